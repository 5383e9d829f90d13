//! What a refusal from GitHub does, write by write, against the simulator with GitHub's
//! error bodies (`tests/fixtures/github/recorded/errors.json` for the recorded 422; the
//! `basic-error` shape of the OpenAPI description for the others).
//!
//! | write | 403 | 404 | 409 | 422 | 451 |
//! |---|---|---|---|---|---|
//! | review request, label (courtesy) | report, go on | report, go on | report, go on | report, go on | report, go on |
//! | comment, check, push, PR (essential) | stop | skip target | skip target | skip target | skip target |
//!
//! Rate limits and 5xx are retried by the adapter, then fail the run so that the delivery
//! is retried (`request::github`). A reported refusal is named in the bot's comment with
//! what to fix; a skipped target leaves a note and the next run converges.

use crate::support::REQUEST;
use crate::support::github::Sim;
use crate::support::sim::{Fault, GitHubSim};
use crate::support::{self as common};
use adoptbot::forge::{Forge, ForgeError};
use adoptbot::runners::error::{Error, Policy};
use adoptbot::runners::outcome::{Applied, WriteKind};
use serde_json::{Value, json};

/// The lead of `fraud-analytics` in the sample.
const LEAD: &str = "rahul-mehta";

/// GitHub's `basic-error` body, as the REST API sends it.
fn basic(status: u16, message: &str) -> Fault {
    Fault::Body {
        status,
        body: json!({
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.to_string(),
        }),
    }
}

/// The 422 GitHub was recorded sending for an invalid label (`@octokit/fixtures`).
fn recorded_label_422() -> Fault {
    let text =
        std::fs::read_to_string(common::root().join("tests/fixtures/github/recorded/errors.json"))
            .expect("the recorded errors");
    let all: Vec<Value> = serde_json::from_str(&text).expect("JSON");
    let label = all
        .iter()
        .find(|r| r["status"] == 422 && r["path"].as_str().is_some_and(|p| p.ends_with("/labels")))
        .expect("the recorded 422");
    Fault::Body {
        status: 422,
        body: label["response"].clone(),
    }
}

/// The simulator's world with only `collaborators` besides the role holders: the request
/// of `fraud-distill` open as Ivan, nothing delivered yet.
async fn with_request(collaborators: &[&str]) -> (Sim, u64) {
    let sim = GitHubSim::contoso().await;
    sim.repo(|r| {
        for u in collaborators {
            r.users.insert(u.to_string());
        }
    });
    let w = Sim::on(sim);
    let n = w.open_pull_request_quietly().await;
    (w, n)
}

/// Delivers the webhook `pull_request` `action` of #`n` once.
async fn deliver(w: &Sim, n: u64, action: &str) -> Result<Applied, Error> {
    w.try_run(&w.pull_event(n, action)).await.map(|(a, _)| a)
}

#[tokio::test]
async fn a_lead_who_is_not_a_collaborator_is_reported_and_the_verdict_stands() {
    // The lead is named in teams/fraud-analytics.yaml but is no collaborator.
    let (w, n) = with_request(&["ivan-novak", "akira-kimura"]).await;
    let sim = &w.sim;

    let applied = deliver(&w, n, "opened").await.expect("the run goes on");
    assert_eq!(applied.refused.len(), 1, "{applied:?}");
    let refusal = &applied.refused[0];
    assert_eq!(refusal.kind, WriteKind::RequestReviewers);
    assert!(
        matches!(&refusal.error, ForgeError::Unprocessable(m) if m.contains("collaborators")),
        "{refusal:?}"
    );
    let (comments, checks) = sim.repo(|r| (r.comments.clone(), r.check_runs.clone()));
    assert_eq!(comments.len(), 1, "the verdict comment is posted");
    assert_eq!(checks.len(), 1, "and the check");
    let body = &comments[0].body;
    assert!(body.contains("#### Not done"), "{body}");
    assert!(body.contains(&format!("`{LEAD}`")), "{body}");
    assert!(
        body.contains("as collaborators of this repository"),
        "the comment says what to fix: {body}"
    );
    assert!(
        !body.contains(&format!("@{LEAD}")),
        "the notice pings nobody: {body}"
    );

    // A replay neither asks again nor drops the notice.
    let asked = sim.count("POST", "*/requested_reviewers");
    let before = sim.writes();
    let again = deliver(&w, n, "opened").await.unwrap();
    assert!(
        again.writes.is_empty() && again.refused.is_empty(),
        "{again:?}"
    );
    assert_eq!(sim.writes(), before, "a replay sends no write");
    assert_eq!(sim.count("POST", "*/requested_reviewers"), asked);

    // A fix pushed: the comment is updated in place and still says what was refused.
    sim.repo(|r| {
        r.commit(
            "request/fraud-distill",
            "Reword",
            "ivan.novak@contoso.com",
            &[(
                "experiments/fraud-distill.yaml",
                Some(&REQUEST.replace("next_step: Shadow-run", "next_step: Shadow run")),
            )],
        );
    });
    deliver(&w, n, "synchronize").await.unwrap();
    let comments = sim.repo(|r| r.comments.clone());
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("#### Not done"),
        "{}",
        comments[0].body
    );
    w.finish();
}

#[tokio::test]
async fn a_refused_label_never_undoes_the_bot_pr() {
    for (what, fault) in [
        ("403", basic(403, "Resource not accessible by integration")),
        ("404", basic(404, "Not Found")),
        ("422 as recorded", recorded_label_422()),
        ("451", basic(451, "Repository access blocked")),
    ] {
        let (w, n) = with_request(&["ivan-novak", "akira-kimura", LEAD]).await;
        let sim = &w.sim;
        deliver(&w, n, "opened").await.unwrap();
        sim.repo(|r| r.merge_pull(n));
        sim.fail_next("POST", "*/issues/*/labels", 1, fault);
        let merged = deliver(&w, n, "closed")
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            merged.opened(),
            ["adoptbot/provision/fraud-distill"],
            "{what}"
        );
        assert_eq!(merged.refused.len(), 1, "{what}: {merged:?}");
        assert_eq!(merged.refused[0].kind, WriteKind::AddLabels, "{what}");
        assert!(merged.of(WriteKind::AddLabels).is_empty(), "{what}");
        let replay = deliver(&w, n, "closed").await.unwrap();
        assert!(replay.writes.is_empty(), "{what}: {replay:?}");
        w.finish();
    }
}

#[tokio::test]
async fn a_refused_comment_stops_on_403_and_skips_the_target_otherwise() {
    for (status, message, policy) in [
        (
            403,
            "Resource not accessible by integration",
            Some(Policy::Stop),
        ),
        (404, "Not Found", None),
        (409, "Conflict", None),
        (422, "Validation Failed", None),
        (451, "Repository access blocked", None),
    ] {
        let (w, n) = with_request(&["ivan-novak", "akira-kimura", LEAD]).await;
        let sim = &w.sim;
        sim.fail_next("POST", "*/issues/*/comments", 1, basic(status, message));
        let result = deliver(&w, n, "opened").await;
        match policy {
            Some(p) => {
                let e = result.expect_err("stopped");
                assert_eq!(e.policy(), p, "{status}: {e}");
            }
            None => {
                let applied = result.unwrap_or_else(|e| panic!("{status}: {e}"));
                assert!(
                    applied.notes.iter().any(|n| n.starts_with("skipped #")),
                    "{status}: {applied:?}"
                );
            }
        }
        // Nothing is half-done that the next delivery does not finish, once.
        let next = deliver(&w, n, "opened").await.unwrap();
        assert_eq!(
            next.of(WriteKind::CreateComment).len(),
            1,
            "{status}: {next:?}"
        );
        assert_eq!(sim.repo(|r| r.comments.len()), 1, "{status}");
        assert_eq!(sim.repo(|r| r.check_runs.len()), 1, "{status}");
        let replay = deliver(&w, n, "opened").await.unwrap();
        assert!(replay.writes.is_empty(), "{status}: {replay:?}");
        w.finish();
    }
}

#[tokio::test]
async fn a_refused_check_or_push_is_reported_and_the_next_run_converges() {
    // The check: 422 skips the target; the comment is already written.
    let (w, n) = with_request(&["ivan-novak", "akira-kimura", LEAD]).await;
    let (sim, gh) = (&w.sim, &w.gh);
    sim.fail_next("POST", "*/check-runs", 1, basic(422, "Validation Failed"));
    let first = deliver(&w, n, "opened").await.unwrap();
    assert_eq!(first.of(WriteKind::CreateComment).len(), 1, "{first:?}");
    assert!(first.of(WriteKind::CreateCheck).is_empty());
    let next = deliver(&w, n, "opened").await.unwrap();
    assert_eq!(next.of(WriteKind::CreateCheck).len(), 1, "{next:?}");
    assert!(next.of(WriteKind::CreateComment).is_empty(), "{next:?}");

    // The provisioning branch: a 409 when the ref moves skips the target; the next run
    // opens the PR once.
    sim.repo(|r| r.merge_pull(n));
    sim.fail_next(
        "POST",
        "*/git/commits",
        1,
        basic(409, "Git Repository is empty."),
    );
    let merged = deliver(&w, n, "closed").await.unwrap();
    assert!(merged.opened().is_empty(), "{merged:?}");
    assert!(
        merged.notes.iter().any(|n| n.starts_with("skipped")),
        "{merged:?}"
    );
    let again = deliver(&w, n, "closed").await.unwrap();
    assert_eq!(
        again.opened(),
        ["adoptbot/provision/fraud-distill"],
        "{again:?}"
    );
    let pulls = gh.pulls_by_branch_prefix("adoptbot/").await.unwrap();
    assert_eq!(pulls.len(), 1, "no duplicate PR");
    w.finish();
}
