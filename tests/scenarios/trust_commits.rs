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

both_worlds!(
    a_push_to_a_bot_pr_is_said_on_synchronize,
    a_forged_trailer_is_noticed_on_the_next_run,
);
