//! Webhook events parse from the payloads GitHub really sends (tests/fixtures/webhooks,
//! from @octokit/webhooks-examples 7.6.1, MIT).

mod common;

use adoptbot::forge::PrState;
use adoptbot::forge::github::events::parse;
use adoptbot::model::event::{Event, PrAction, ReviewAction};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::root().join("tests/fixtures/webhooks").join(name)).unwrap()
}

#[test]
fn pull_request_actions() {
    for (file, action) in [
        ("opened", PrAction::Opened),
        ("synchronize", PrAction::Synchronize),
        ("reopened", PrAction::Reopened),
        ("closed", PrAction::Closed),
    ] {
        let Event::PullRequest {
            action: a,
            pull,
            repo,
            sender,
        } = parse(
            "pull_request",
            &fixture(&format!("pull_request.{file}.json")),
        )
        .unwrap()
        else {
            panic!("{file}")
        };
        assert_eq!(a, action);
        assert_eq!(repo.full_name, "Codertocat/Hello-World");
        assert_eq!(repo.default_branch, "master");
        assert!(!pull.head_sha.is_empty() && !pull.base_sha.is_empty() && pull.number > 0);
        assert!(!sender.login.is_empty());
        if action == PrAction::Closed {
            assert_eq!(
                (pull.state, pull.merge_sha),
                (PrState::Closed, None),
                "closed without merging"
            );
        }
    }
    let mut edited: serde_json::Value =
        serde_json::from_slice(&fixture("pull_request.opened.json")).unwrap();
    edited["action"] = "edited".into();
    let Event::PullRequest { action, .. } =
        parse("pull_request", edited.to_string().as_bytes()).unwrap()
    else {
        panic!()
    };
    assert_eq!(action, PrAction::Edited);
    let mut merged: serde_json::Value =
        serde_json::from_slice(&fixture("pull_request.closed.json")).unwrap();
    merged["pull_request"]["merged"] = true.into();
    let Event::PullRequest { pull, .. } =
        parse("pull_request", merged.to_string().as_bytes()).unwrap()
    else {
        panic!()
    };
    assert_eq!(pull.state, PrState::Merged);
    assert!(pull.merge_sha.is_some());
}

#[test]
fn reviews_comments_and_pushes() {
    let Event::Review { action, review, .. } = parse(
        "pull_request_review",
        &fixture("pull_request_review.submitted.json"),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(action, ReviewAction::Submitted);
    assert!(review.user.id > 0 && !review.commit_id.is_empty());
    assert_eq!(review.state, review.state.to_lowercase());
    let Event::Review { action, .. } = parse(
        "pull_request_review",
        &fixture("pull_request_review.dismissed.json"),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(action, ReviewAction::Dismissed);
    let Event::IssueComment { issue, comment, .. } =
        parse("issue_comment", &fixture("issue_comment.created.json")).unwrap()
    else {
        panic!()
    };
    assert!(issue > 0 && !comment.body.is_empty());
    // The example push is to a tag: not the default branch, so it is ignored.
    assert!(matches!(
        parse("push", &fixture("push.json")).unwrap(),
        Event::Ignored { .. }
    ));
    let mut to_main: serde_json::Value = serde_json::from_slice(&fixture("push.json")).unwrap();
    to_main["ref"] = "refs/heads/master".into();
    assert!(matches!(
        parse("push", to_main.to_string().as_bytes()).unwrap(),
        Event::Push { .. }
    ));
}

#[test]
fn unknown_events_are_ignored_and_broken_payloads_are_errors() {
    assert!(matches!(
        parse("star", b"{}").unwrap(),
        Event::Ignored { .. }
    ));
    let err = parse("pull_request", b"{\"action\": \"opened\"}").unwrap_err();
    assert!(err.contains("missing field"), "{err}");
    assert!(parse("push", b"\xff").is_err());
}
