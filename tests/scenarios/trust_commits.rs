//! Trust, class 5: a person's commit on a bot PR is noticed on every event that concerns
//! the PR (a push to its branch, a push to the default branch, a schedule), and said once;
//! a commit is the bot's by who made it, never by its trailer. Both worlds.

use crate::both_worlds;
use crate::support::world::World;

const BRANCH: &str = "adoptbot/provision/fraud-gnn-training";

/// The backlog's provisioning PR, opened by the bot.
async fn provisioning_pr<W: World>(w: &W) -> u64 {
    w.deliver_main().await;
    w.bot_pull(BRANCH).await.number
}

fn tamper<W: World>(w: &W, message: &str) {
    w.commit(
        BRANCH,
        None,
        "mallory",
        message,
        &[(
            "infra/experiments/fraud-gnn-training/extra.bicep",
            Some("resource ip 'Microsoft.Network/publicIPAddresses@2023-04-01' = {}\n"),
        )],
    );
}

/// A person pushes to the bot's branch; the synchronize is the event.
async fn a_push_to_a_bot_pr_is_said_on_synchronize<W: World>() {
    let w = W::contoso().await;
    let n = provisioning_pr(&w).await;
    tamper(&w, "Add a public IP");
    let sync = w.deliver_pull(n, "synchronize").await;
    assert!(
        sync.writes.iter().any(|x| x.key.starts_with("human-edit/")),
        "{sync:?}"
    );
    let notice = w.bot_comment(n, &format!("human-edit/{BRANCH}")).await;
    assert!(notice.contains("A person has committed"), "{notice}");
    // Said once: the next push to main says nothing more.
    let again = w.deliver_main().await;
    assert!(
        !again
            .writes
            .iter()
            .any(|x| x.key.starts_with("human-edit/")),
        "{again:?}"
    );
}

/// A person's commit carrying the bot's fingerprint trailer, noticed on a push to main (or a
/// schedule) although the bot would change nothing.
async fn a_forged_trailer_is_noticed_on_the_next_run<W: World>() {
    let w = W::contoso().await;
    let n = provisioning_pr(&w).await;
    let head = w.pull(n).await.head_sha;
    tamper(
        &w,
        "Provision experiment fraud-gnn-training\n\nAdoptbot-Fingerprint: 0123456789abcdef",
    );
    let run = w.deliver_main().await;
    assert!(
        run.writes.iter().any(|x| x.key.starts_with("human-edit/")),
        "{run:?}"
    );
    let notice = w.bot_comment(n, &format!("human-edit/{BRANCH}")).await;
    assert!(
        notice.contains("The first commit adoptbot did not make"),
        "{notice}"
    );
    assert_ne!(w.pull(n).await.head_sha, head, "the person's commit stays");
    assert!(
        !run.writes.iter().any(|x| x.key == BRANCH),
        "the bot leaves the branch alone: {run:?}"
    );
}

/// What both forges say about who made a commit: the bot's own commits (through the forge)
/// have the bot as author and committer and are verified; a person's push is theirs and is
/// not; a pull request's commits are listed oldest first, with their accounts.
async fn the_forge_says_who_made_each_commit<W: World>() {
    use adoptbot::forge::{FileChange, Forge};
    use adoptbot::plan::reconcile::is_bot_commit;
    let w = W::contoso().await;
    let f = w.forge();
    let bot = f.bot_login().to_string();
    let (_, main) = f.default_branch().await.unwrap();
    f.commit_to_branch(
        "adoptbot/provision/x",
        &main,
        "Provision x\n\nAdoptbot-Fingerprint: abc",
        &[FileChange {
            path: "infra/experiments/x/README.md".into(),
            content: Some("x\n".into()),
        }],
    )
    .await
    .unwrap();
    w.commit(
        "adoptbot/provision/x",
        None,
        "ivan-novak",
        "Edit\n\nAdoptbot-Fingerprint: abc",
        &[("infra/experiments/x/README.md", Some("y\n"))],
    );
    let commits = f
        .branch_commits("main", "adoptbot/provision/x")
        .await
        .unwrap();
    assert_eq!(commits.len(), 2, "{commits:#?}");
    let (mine, theirs) = (&commits[0], &commits[1]);
    assert!(
        mine.author_login.eq_ignore_ascii_case(&bot)
            && mine.committer_login.eq_ignore_ascii_case(&bot)
            && mine.verified
            && mine.committed_at.is_some(),
        "{mine:#?}"
    );
    assert!(is_bot_commit(mine, &bot));
    assert!(
        theirs.author_login == "ivan-novak" && !theirs.verified,
        "{theirs:#?}"
    );
    assert!(!is_bot_commit(theirs, &bot), "the trailer decides nothing");

    let n = w.open_pull("ivan-novak", "adoptbot/provision/x", "main", "x", "");
    let listed = f.pull_commits(n).await.unwrap();
    let shas: Vec<&str> = listed.iter().map(|c| c.sha.as_str()).collect();
    assert_eq!(shas, [mine.sha.as_str(), theirs.sha.as_str()]);
    assert_eq!(listed[1].author_login, "ivan-novak");
}

both_worlds!(
    a_push_to_a_bot_pr_is_said_on_synchronize,
    a_forged_trailer_is_noticed_on_the_next_run,
    the_forge_says_who_made_each_commit,
);
