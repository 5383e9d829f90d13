//! Requests on GitHub only: faults GitHub answers (a 500, a 429 with Retry-After, a failure
//! between two writes) after which the next delivery converges with no duplicate, and the
//! `adoptbot action` binary run as a GitHub Actions job against the simulator.

use crate::support::github::Sim;
use crate::support::sim::{Fault, GitHubSim};
use crate::support::webhooks;
use crate::support::world::World;
use crate::support::{REQUEST, REQUEST_FILE};
use adoptbot::runners::outcome::WriteKind;

#[tokio::test]
async fn faults_converge_without_duplicates() {
    let w = Sim::contoso().await;
    let n = w.open_pull_request_quietly().await;
    let event = w.pull_event(n, "opened");

    // A 500 on reading the comments: the read is retried and the run completes.
    w.sim
        .fail_next("GET", "/repos/*/issues/*/comments", 1, Fault::ServerError);
    let (applied, _) = w.try_run(&event).await.unwrap();
    assert_eq!(applied.writes.len(), 3, "{applied:?}");

    // A 429 with Retry-After on the check run of a new head: waited for, written once.
    let v2 = REQUEST.replace("Fraud rules distillation", "Fraud rules distillation v2");
    w.commit(
        "request/fraud-distill",
        None,
        "ivan-novak",
        "Tweak",
        &[(REQUEST_FILE, Some(&v2))],
    );
    w.sim.fail_next(
        "POST",
        "/repos/*/check-runs",
        1,
        Fault::TooManyRequests { retry_after: 1 },
    );
    let event = w.pull_event(n, "synchronize");
    let (applied, _) = w.try_run(&event).await.unwrap();
    assert_eq!(applied.writes.len(), 2, "{applied:?}");
    assert_eq!(
        w.sim.repo(|r| r.check_runs.len()),
        2,
        "one check per head commit, none twice"
    );

    // A failure between two writes: the provisioning branch is pushed, opening the PR fails.
    w.merge_pull(n, "akira-kimura");
    let merged = w.pull_event(n, "closed");
    w.sim
        .fail_next("POST", "/repos/*/pulls", 1, Fault::ServerError);
    assert!(
        w.try_run(&merged).await.is_err(),
        "the run reports the failure"
    );
    // The next delivery converges: one provisioning PR, no duplicate.
    let (applied, _) = w.try_run(&merged).await.unwrap();
    assert!(
        applied.writes.iter().any(|x| x.kind == WriteKind::OpenPull),
        "{applied:?}"
    );
    let (_, calls) = w.try_run(&merged).await.unwrap();
    assert_eq!(calls.writes, 0);
    let provisioning = w.sim.repo(|r| {
        r.pulls
            .values()
            .filter(|p| p.head_ref == "adoptbot/provision/fraud-distill")
            .count()
    });
    assert_eq!(provisioning, 1);
    assert_eq!(w.sim.repo(|r| r.comments.len()), 1, "no duplicate comment");
    w.finish();
}

/// Runs the `adoptbot` binary as a GitHub Actions job would, against the simulator.
async fn action(
    sim: &GitHubSim,
    event_name: &str,
    payload: Option<serde_json::Value>,
) -> (i32, String, String) {
    let o = sim.options();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    if let Some(p) = payload {
        std::fs::write(&path, p.to_string()).unwrap();
    }
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"));
    cmd.arg("action")
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_EVENT_PATH", &path)
        .env("GITHUB_TOKEN", &o.token)
        .env("GITHUB_REPOSITORY", format!("{}/{}", o.owner, o.repo))
        .env("GITHUB_API_URL", sim.api_url())
        .env("ADOPTBOT_BOT_LOGIN", &o.actor);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_runner_handles_the_job_event() {
    let w = Sim::contoso().await;
    let n = w.open_pull_request_quietly().await;
    let payload = w
        .sim
        .repo(|r| webhooks::pull_request_payload(r, "opened", n, "ivan-novak"));
    let (code, out, err) = action(&w.sim, "pull_request", Some(payload.clone())).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("commented on #{n}")), "{out}");
    let (code, out, _) = action(&w.sim, "pull_request", Some(payload)).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("nothing to write"),
        "a redelivery writes nothing: {out}"
    );

    let (code, out, err) = action(&w.sim, "schedule", None).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Decommission experiment search-query-rewrite"),
        "{out}"
    );

    let (code, _, err) = action(
        &w.sim,
        "pull_request",
        Some(serde_json::json!({"action": "opened"})),
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("not what GitHub sends"), "{err}");
    w.finish();
}
