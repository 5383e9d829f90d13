//! Slash commands in PR comments, on both worlds: honoured only from people with write
//! access (asked of the forge's permission read), one polite refusal for anyone else,
//! `recheck`, and an answer to an unknown command. Every command is delivered twice and
//! writes nothing the second time.

mod github;

use crate::both_worlds;
use crate::support::world::World;
use crate::support::{self, REQUEST, REQUEST_BRANCH, REQUEST_FILE, REQUEST_TITLE};
use adoptbot::forge::Forge;
use adoptbot::runners::outcome::{Subject, WriteKind};

pub const REFUSAL: &str = "only from people with write access";

/// Contoso on `main`, the request PR of `fraud-distill` open (nothing delivered yet), and
/// people with every kind of access.
pub async fn setup<W: World>() -> (W, u64) {
    let w = W::contoso().await;
    w.grant_command_roles();
    w.commit(
        REQUEST_BRANCH,
        Some("main"),
        "ivan-novak",
        "Request fraud-distill",
        &[(REQUEST_FILE, Some(REQUEST))],
    );
    let n = w.open_pull("ivan-novak", REQUEST_BRANCH, "main", REQUEST_TITLE, "");
    (w, n)
}

async fn a_command_from_someone_without_write_access_gets_one_polite_refusal<W: World>() {
    let (w, n) = setup::<W>().await;
    let applied = w.comment(n, "mallory", "/adoptbot recheck").await;
    assert_eq!(applied.writes.len(), 1, "{applied:?}");
    let said = w.bot_comments(n).await;
    assert_eq!(said.len(), 1);
    assert!(
        said[0].starts_with("@mallory: thank you") && said[0].contains(REFUSAL),
        "{}",
        said[0]
    );
    insta::assert_snapshot!("command_refusal", support::stable(&said[0]));
    let head = w.pull(n).await.head_sha;
    assert!(
        w.forge().check_runs(&head).await.unwrap().is_empty(),
        "nothing was checked for a refused command"
    );

    // Trying again, with another command, gets no second refusal.
    let applied = w
        .comment(n, "mallory", "/adoptbot renew 4w care-call-summarisation")
        .await;
    assert!(applied.writes.is_empty(), "{applied:?}");
    assert_eq!(w.bot_comments(n).await.len(), 1);
    assert!(
        w.forge()
            .pulls_by_branch_prefix("adoptbot/")
            .await
            .unwrap()
            .is_empty()
    );

    // Triage is not write access either; the author of the PR without access neither.
    for who in ["tina-triage", "ivan-novak"] {
        w.comment(n, who, "/adoptbot rerender").await;
    }
    let said = w.bot_comments(n).await;
    assert_eq!(said.len(), 3, "one refusal per person: {said:#?}");
    assert!(said[1].starts_with("@tina-triage:") && said[1].contains(REFUSAL));
    assert!(said[2].starts_with("@ivan-novak:") && said[2].contains(REFUSAL));

    // A custom role whose base is write is write access.
    let applied = w.comment(n, "sam-reviewer", "/adoptbot recheck").await;
    assert!(
        applied.writes.iter().any(|x| matches!(
            x.kind,
            WriteKind::CreateCheck | WriteKind::UpdateCheck
        ) && x.key == "adoptbot/experiment"),
        "{applied:?}"
    );
    // adoptbot's own comments are never commands, whatever they say.
    let bot = w.forge().bot_login().to_string();
    assert!(
        w.comment(n, &bot, "/adoptbot recheck")
            .await
            .writes
            .is_empty()
    );
}

async fn recheck_from_a_writer_evaluates_the_pr_and_replays_quietly<W: World>() {
    let (w, n) = setup::<W>().await;
    let applied = w
        .comment(n, "rahul-mehta", "Looks right.\n\n/adoptbot recheck")
        .await;
    assert!(
        applied
            .writes
            .iter()
            .any(|x| x.kind == WriteKind::CreateComment && x.subject == Subject::Issue(n)),
        "{applied:?}"
    );
    let head = w.pull(n).await.head_sha;
    let checks = w.forge().check_runs(&head).await.unwrap();
    assert!(
        checks.iter().any(|c| c.name == "adoptbot/experiment"),
        "{checks:?}"
    );
    assert_eq!(
        w.bot_comments(n).await.len(),
        1,
        "the request comment, no reply"
    );

    // A command adoptbot does not know gets an answer that says what it knows.
    w.comment(n, "rahul-mehta", "/adoptbot deploy").await;
    let said = w.bot_comments(n).await;
    assert!(
        said.last()
            .unwrap()
            .contains("`/adoptbot deploy` is not a command")
            && said.last().unwrap().contains("/adoptbot renew 2w"),
        "{said:#?}"
    );
}

both_worlds!(
    a_command_from_someone_without_write_access_gets_one_polite_refusal,
    recheck_from_a_writer_evaluates_the_pr_and_replays_quietly,
);
