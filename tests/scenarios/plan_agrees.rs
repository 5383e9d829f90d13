//! `adoptbot plan` and the loop agree: every PR and comment the plan lists for the sample
//! repository is one a scheduled run makes, and the run makes nothing the plan does not
//! list, on several dates across the sample's story.

use crate::support::{self as common, local::BOT};
use adoptbot::forge::Forge;
use adoptbot::forge::local::LocalForge;
use adoptbot::model::Clock;
use adoptbot::model::event::Event;
use adoptbot::model::forge::FileChange;
use adoptbot::plan::Action;
use adoptbot::runners::outcome::WriteKind;
use std::collections::BTreeSet;

/// The sample in a scratch repository, with one experiment that records its request PR so
/// that its expiry warning has a PR to go on.
async fn sample(root: &std::path::Path) -> LocalForge {
    adoptbot::runners::demo::scratch_repository(root).unwrap();
    let forge = LocalForge::open(root, BOT).unwrap();
    let issue = forge
        .open_issue_as("mei-lin", "Experiment: demand forecasting sandbox", "")
        .unwrap();
    let (_, main) = forge.default_branch().await.unwrap();
    let snap = forge.snapshot(&main).await.unwrap();
    let path = "experiments/ds-forecast-sandbox.yaml";
    let text = String::from_utf8(snap.contents[path].clone()).unwrap();
    forge
        .commit_as(
            "main",
            Some(&main),
            "Mei Lin",
            "mei.lin@contoso.com",
            "Record the request PR",
            &[FileChange {
                path: path.into(),
                content: Some(format!("{text}request_pr: {issue}\n")),
            }],
        )
        .unwrap();
    forge
}

#[tokio::test]
async fn every_action_plan_lists_is_one_the_loop_performs() {
    let mut seen_kinds = BTreeSet::new();
    for day in [
        "2026-11-20",
        "2026-11-27",
        "2026-11-29",
        "2026-12-05",
        "2027-01-15",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let forge = sample(dir.path()).await;
        let clock = Clock::at(common::date(day));
        forge.set_clock(clock);
        let (_, main) = forge.default_branch().await.unwrap();
        let snap = forge.snapshot(&main).await.unwrap();
        let analysis = adoptbot::analyse(&snap, clock.today).unwrap();
        let actions = adoptbot::plan::offline(&snap, &analysis, clock);

        let planned_pulls: BTreeSet<String> = actions
            .iter()
            .filter_map(|a| match a {
                Action::PullRequest { branch, .. } => Some(branch.clone()),
                _ => None,
            })
            .collect();
        let planned_comments: BTreeSet<String> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Comment { marker, .. } => Some(marker.clone()),
                _ => None,
            })
            .collect();
        let planned_notes = actions
            .iter()
            .filter(|a| matches!(a, Action::Recommendation { topic, .. } if topic.starts_with("unwarned/")))
            .count();

        let applied = adoptbot::runners::reconcile::run(&forge, &Event::Schedule, clock)
            .await
            .unwrap();
        let opened: BTreeSet<String> = applied.opened().into_iter().map(String::from).collect();
        let commented: BTreeSet<String> = applied
            .of(WriteKind::CreateComment)
            .into_iter()
            .map(|w| w.key.clone())
            .collect();
        assert_eq!(opened, planned_pulls, "{day}: PRs planned and opened");
        assert_eq!(
            commented, planned_comments,
            "{day}: comments planned and made"
        );
        let said = applied
            .notes
            .iter()
            .filter(|n| n.contains("no request PR is on record"))
            .count();
        assert_eq!(said, planned_notes, "{day}: {applied:?}");
        for a in &actions {
            seen_kinds.insert(a.key().split(':').next().unwrap_or_default().to_string());
        }
        // And once applied, a second run has nothing left to do.
        let again = adoptbot::runners::reconcile::run(&forge, &Event::Schedule, clock)
            .await
            .unwrap();
        assert!(again.writes.is_empty(), "{day}: {again:?}");
    }
    // The dates cover PRs, a comment and a notice.
    for kind in ["pr", "comment", "recommendation"] {
        assert!(seen_kinds.contains(kind), "{kind} in {seen_kinds:?}");
    }
}
