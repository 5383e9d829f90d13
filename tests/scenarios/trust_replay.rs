//! Trust, class 8: events never roll state back. The head, the reviews and the files are
//! read from the forge when the event is handled, never taken from its payload, and the
//! bot's comments are stamped (`valid-at`) with the state observed (the newest commit or
//! review), not with the run's clock. On the GitHub simulator, whose deliveries carry real
//! payloads.

use crate::support::REQUEST;
use crate::support::github::Sim;
use crate::support::world::World;
use adoptbot::forge::{Conclusion, Forge};
use adoptbot::plan::reconcile::parse_marker;

/// An old `opened` delivery, replayed after the head moved to a failing request, writes
/// nothing: the comment and the check stay those of the real head.
#[tokio::test]
async fn an_old_delivery_does_not_roll_the_comment_back() {
    let w = Sim::contoso().await;
    let (n, _) = w.open_request("fraud-distill", REQUEST).await;
    let old = w.pull_event(n, "opened");
    let broken = REQUEST.replace("cost_cap: 1500 USD", "cost_cap: 1 USD");
    w.push(
        n,
        "ivan-novak",
        &[("experiments/fraud-distill.yaml", Some(&broken))],
    )
    .await;
    let before = w.bot_comment(n, "experiment/fraud-distill").await;
    let (replayed, _) = w.try_run(&old).await.unwrap();
    assert!(replayed.writes.is_empty(), "{replayed:?}");
    assert_eq!(w.bot_comment(n, "experiment/fraud-distill").await, before);
    let check = w.check(n, "adoptbot/experiment").await;
    assert_eq!(check.conclusion, Some(Conclusion::Failure), "{check:?}");
    w.finish();
}

/// The comment's `valid-at` is the time of the newest commit or review, whatever day the
/// run happens on: a run on a later day that sees the same state keeps the same stamp.
#[tokio::test]
async fn valid_at_stamps_the_observed_state_not_the_clock() {
    let w = Sim::contoso().await;
    let (n, _) = w.open_request("fraud-distill", REQUEST).await;
    let commits = w.forge().pull_commits(n).await.unwrap();
    let newest = commits
        .iter()
        .filter_map(|c| c.committed_at.as_deref())
        .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp())
        .max()
        .expect("commit times");
    let body = w.bot_comment(n, "experiment/fraud-distill").await;
    let (_, _, at) = parse_marker(&body).expect("a marker");
    assert_eq!(at, newest, "stamped with the newest commit");
    assert_ne!(at, w.clock().valid_at, "not with the run's clock");

    w.set_day("2026-11-28");
    w.try_run(&w.pull_event(n, "synchronize")).await.unwrap();
    let (_, _, again) =
        parse_marker(&w.bot_comment(n, "experiment/fraud-distill").await).expect("a marker");
    assert_eq!(again, newest);
    w.finish();
}
