//! Trust, class 3: check runs are the bot's by name, head commit and App. A same-named run
//! another App created is never updated (GitHub answers 403) and never counts: the bot
//! creates its own and names the impostor in its comment. On the GitHub simulator (the local
//! forge has no Apps: every run there is the bot's).

use crate::support::gates;
use crate::support::github::Sim;
use crate::support::world::World;
use adoptbot::forge::{Conclusion, Forge};

const IMPOSTOR: (u64, &str) = (777, "mallory-ci");

/// The runs named `name` on `sha`, with their App ids.
async fn runs(w: &Sim, sha: &str, name: &str) -> Vec<(u64, Option<Conclusion>)> {
    w.forge()
        .check_runs(sha)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.name == name)
        .map(|c| (c.app.map(|a| a.id).unwrap_or(0), c.conclusion))
        .collect()
}

/// Another App posted `adoptbot/gate (main)` = success on the head before the bot ran.
#[tokio::test]
async fn a_forged_gate_success_is_ignored_and_named() {
    let w = Sim::contoso().await;
    let fx = gates::gate("4-5");
    let files: Vec<(&str, Option<&str>)> = fx
        .head
        .iter()
        .map(|(p, c)| (p.as_str(), Some(c.as_str())))
        .collect();
    let head = w.commit("gate-4-5", Some("main"), gates::AUTHOR, "Gate 4-5", &files);
    let n = w.open_pull(gates::AUTHOR, "gate-4-5", "main", "Gate 4-5", "");
    w.sim.repo(|r| {
        r.add_check_run_by(
            IMPOSTOR,
            &head,
            "adoptbot/gate (main)",
            Some("success"),
            "passed",
        )
    });
    w.deliver_pull(n, "opened").await;
    let app = w.sim.options().app.0;
    let mut seen = runs(&w, &head, "adoptbot/gate (main)").await;
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (IMPOSTOR.0, Some(Conclusion::Success)),
            (app, Some(Conclusion::Failure))
        ],
        "the bot's own run beside the impostor's, which is untouched"
    );
    let checklist = w.bot_comment(n, "gate/main").await;
    assert!(checklist.contains("mallory-ci"), "{checklist}");
    assert!(checklist.contains("not adoptbot's verdict"), "{checklist}");
    w.finish();
}

/// The impostor posts after the bot, on a request PR: the bot's next run keeps its own
/// check (never the newer impostor's, which it could not update) and names it.
#[tokio::test]
async fn a_later_impostor_on_a_request_is_never_updated() {
    let w = Sim::contoso().await;
    let (n, _) = w
        .open_request("fraud-distill", crate::support::REQUEST)
        .await;
    let head = w.pull(n).await.head_sha;
    w.sim.repo(|r| {
        r.add_check_run_by(
            IMPOSTOR,
            &head,
            "adoptbot/experiment",
            Some("failure"),
            "no",
        )
    });
    w.deliver_pull(n, "synchronize").await;
    let app = w.sim.options().app.0;
    let mut seen = runs(&w, &head, "adoptbot/experiment").await;
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (IMPOSTOR.0, Some(Conclusion::Failure)),
            (app, Some(Conclusion::Success))
        ]
    );
    let comment = w.bot_comment(n, "experiment/fraud-distill").await;
    assert!(comment.contains("mallory-ci"), "{comment}");
    assert!(w.sim.failures().is_empty(), "{:?}", w.sim.failures());
    w.finish();
}
