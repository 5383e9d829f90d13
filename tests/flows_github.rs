//! The reconciler's flows against the GitHub simulator on loopback, through the real
//! octocrab-based adapter: the request PR, its replay, a fix pushed, the merge and the
//! provisioning PR; API calls per event; and faults (a 500, a 429 with Retry-After, a
//! failure between two writes) after which the next run converges with no duplicate.

mod common;
mod github_sim;

use adoptbot::forge::github::GitHub;
use adoptbot::forge::{CallCount, Forge};
use adoptbot::model::Clock;
use adoptbot::model::event::{Event, PrAction, RepoInfo, User};
use adoptbot::runners::outcome::{Applied, Subject, WriteKind};
use adoptbot::runners::reconcile::run as handle;
use github_sim::{Fault, GitHubSim};

const REQUEST: &str = "title: Fraud rules distillation\nteam: fraud-analytics\nowner: ivan-novak\nhypothesis: A distilled model catches 95% of what the rules catch.\nsuccess_criteria:\n  - { metric: recall_vs_rules, comparator: \">=\", target: 0.95 }\nnext_step: Shadow-run it next to the rules engine.\ntime_box: 2w\ncost_cap: 1500 USD\ncost_tag: exp-fraud-distill\nblueprint: azure-openai\nparameters:\n  location: swedencentral\n  chat_model: gpt-4o-mini\n  expected_monthly_token_spend_usd: 300\n  address_space: 10.63.8.0/24\n  endpoint_subnet: 10.63.8.0/27\n";

async fn seeded() -> GitHubSim {
    let sim = GitHubSim::contoso().await;
    sim.repo(|r| {
        for u in ["rahul-mehta", "ivan-novak", "akira-kimura"] {
            r.users.insert(u.to_string());
        }
    });
    sim
}

fn adapter(sim: &GitHubSim) -> GitHub {
    sim.adapter()
}

fn pr_event(action: PrAction, pull: adoptbot::forge::PullRequest) -> Event {
    Event::PullRequest {
        action,
        pull,
        repo: RepoInfo {
            full_name: "contoso/adoption".into(),
            default_branch: "main".into(),
        },
        sender: User {
            login: "ivan-novak".into(),
            id: 7,
        },
    }
}

async fn run(
    gh: &GitHub,
    event: &Event,
) -> Result<(Applied, CallCount), adoptbot::runners::error::Error> {
    run_on(gh, event, "2026-11-27").await
}

async fn run_on(
    gh: &GitHub,
    event: &Event,
    day: &str,
) -> Result<(Applied, CallCount), adoptbot::runners::error::Error> {
    let before = gh.calls();
    let applied = handle(gh, event, Clock::at(common::date(day))).await?;
    let after = gh.calls();
    let calls = CallCount {
        reads: after.reads - before.reads,
        writes: after.writes - before.writes,
    };
    eprintln!(
        "github calls: {} reads, {} writes: {:?}",
        calls.reads, calls.writes, applied.writes
    );
    Ok((applied, calls))
}

/// Opens the request PR as Ivan, with `text` as the request file.
fn open_request(sim: &GitHubSim, text: &str) -> u64 {
    sim.repo(|r| {
        let base = r.head("main");
        r.branches.insert("request/fraud-distill".into(), base);
        r.commit(
            "request/fraud-distill",
            "Request fraud-distill",
            "ivan.novak@contoso.com",
            &[("experiments/fraud-distill.yaml", Some(text))],
        );
        r.open_pull(
            "request/fraud-distill",
            "main",
            "Experiment: fraud rules distillation",
            "",
            "ivan-novak",
        )
    })
}

#[tokio::test]
async fn the_request_flow_is_quiet_and_idempotent_on_github() {
    let sim = seeded().await;
    let gh = adapter(&sim);
    let n = open_request(&sim, &REQUEST.replace("time_box: 2w", "time_box: 3w"));

    let (opened, calls) = run(&gh, &pr_event(PrAction::Opened, gh.pull(n).await.unwrap()))
        .await
        .unwrap();
    assert!(
        calls.reads <= 6,
        "a PR event costs at most 6 reads: {calls:?}"
    );
    assert_eq!(
        calls.writes, 3,
        "reviewers, the comment, the check: {opened:?}"
    );
    let (comments, checks) = sim.repo(|r| (r.comments.clone(), r.check_runs.clone()));
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains("needs changes"));
    assert_eq!(checks.len(), 1);
    assert!(
        sim.repo(|r| r.pulls[&n].requested_reviewers.clone())
            .contains(&"rahul-mehta".to_string())
    );

    let (_, calls) = run(&gh, &pr_event(PrAction::Opened, gh.pull(n).await.unwrap()))
        .await
        .unwrap();
    assert_eq!(calls.writes, 0, "a replay writes nothing");

    sim.repo(|r| {
        r.commit(
            "request/fraud-distill",
            "Use a standard time box",
            "ivan.novak@contoso.com",
            &[("experiments/fraud-distill.yaml", Some(REQUEST))],
        )
    });
    let (synced, calls) = run(
        &gh,
        &pr_event(PrAction::Synchronize, gh.pull(n).await.unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(calls.writes, 2, "{synced:?}");
    assert_eq!(
        sim.repo(|r| r.comments.len()),
        1,
        "the comment is updated in place"
    );
    assert!(sim.repo(|r| r.comments[0].body.contains("ready for review")));

    sim.repo(|r| r.merge_pull(n));
    let (merged, calls) = run(&gh, &pr_event(PrAction::Closed, gh.pull(n).await.unwrap()))
        .await
        .unwrap();
    assert!(
        merged
            .writes
            .iter()
            .any(|w| w.kind == WriteKind::OpenPull && w.key == "adoptbot/provision/fraud-distill"),
        "{merged:?}"
    );
    assert!(calls.reads <= 6, "{calls:?}");
    let (_, calls) = run(&gh, &pr_event(PrAction::Closed, gh.pull(n).await.unwrap()))
        .await
        .unwrap();
    assert_eq!(calls.writes, 0, "a replay of the merge writes nothing");
    let provision = sim
        .repo(|r| {
            r.pulls
                .values()
                .find(|p| p.head_ref == "adoptbot/provision/fraud-distill")
                .cloned()
        })
        .expect("the provisioning PR");
    assert!(
        provision
            .body
            .unwrap_or_default()
            .contains(&format!("Requested in #{n}."))
    );
    let files = sim
        .repo(|r| {
            r.tree_of(&r.head("adoptbot/provision/fraud-distill"))
                .cloned()
        })
        .unwrap();
    assert!(
        files
            .keys()
            .any(|p| p.starts_with("infra/experiments/fraud-distill/") && p.ends_with(".bicep"))
    );
    // The provisioning PR is merged; three days before the end the owner is warned once on
    // the request PR, and on the last day the decommission PR opens.
    let prov = sim
        .repo(|r| {
            r.pulls
                .values()
                .find(|p| p.head_ref == "adoptbot/provision/fraud-distill")
                .map(|p| p.number)
        })
        .unwrap();
    sim.repo(|r| r.merge_pull(prov));
    let main = sim.repo(|r| r.head("main"));
    let push = Event::Push {
        after: main,
        repo: RepoInfo {
            full_name: "contoso/adoption".into(),
            default_branch: "main".into(),
        },
        sender: User {
            login: "akira-kimura".into(),
            id: 9,
        },
    };
    let (warned, _) = run_on(&gh, &push, "2026-12-08").await.unwrap();
    assert!(
        warned
            .writes
            .iter()
            .any(|w| w.kind == WriteKind::CreateComment && w.subject == Subject::Issue(n)),
        "{warned:?}"
    );
    let (again, calls) = run_on(&gh, &push, "2026-12-08").await.unwrap();
    assert_eq!(calls.writes, 0, "{again:?}");
    let (ended, _) = run_on(&gh, &push, "2026-12-11").await.unwrap();
    assert!(
        ended.writes.iter().any(
            |w| w.kind == WriteKind::OpenPull && w.key == "adoptbot/decommission/fraud-distill"
        ),
        "{ended:?}"
    );
    let warnings = sim.repo(|r| {
        r.comments
            .iter()
            .filter(|c| c.issue == n && c.body.contains("ends on **2026-12-11**"))
            .count()
    });
    assert_eq!(warnings, 1);
    sim.finish();
}

#[tokio::test]
async fn faults_converge_without_duplicates() {
    let sim = seeded().await;
    let gh = adapter(&sim);
    let n = open_request(&sim, REQUEST);
    let event = pr_event(PrAction::Opened, gh.pull(n).await.unwrap());

    // A 500 on reading the comments: the read is retried and the run completes.
    sim.fail_next("GET", "/repos/*/issues/*/comments", 1, Fault::ServerError);
    let (applied, _) = run(&gh, &event).await.unwrap();
    assert_eq!(applied.writes.len(), 3, "{applied:?}");

    // A 429 with Retry-After on the check run of a new head: waited for, written once.
    sim.repo(|r| {
        r.commit(
            "request/fraud-distill",
            "Tweak",
            "ivan.novak@contoso.com",
            &[(
                "experiments/fraud-distill.yaml",
                Some(&REQUEST.replace("Fraud rules distillation", "Fraud rules distillation v2")),
            )],
        )
    });
    sim.fail_next(
        "POST",
        "/repos/*/check-runs",
        1,
        Fault::TooManyRequests { retry_after: 1 },
    );
    let event = pr_event(PrAction::Synchronize, gh.pull(n).await.unwrap());
    let (applied, _) = run(&gh, &event).await.unwrap();
    assert_eq!(applied.writes.len(), 2, "{applied:?}");
    assert_eq!(
        sim.repo(|r| r.check_runs.len()),
        2,
        "one check per head commit, none twice"
    );

    // A failure between two writes: the provisioning branch is pushed, opening the PR fails.
    sim.repo(|r| r.merge_pull(n));
    let merged = pr_event(PrAction::Closed, gh.pull(n).await.unwrap());
    sim.fail_next("POST", "/repos/*/pulls", 1, Fault::ServerError);
    assert!(
        run(&gh, &merged).await.is_err(),
        "the run reports the failure"
    );
    // The next delivery converges: one provisioning PR, no duplicate.
    let (applied, _) = run(&gh, &merged).await.unwrap();
    assert!(
        applied.writes.iter().any(|w| w.kind == WriteKind::OpenPull),
        "{applied:?}"
    );
    let (_, calls) = run(&gh, &merged).await.unwrap();
    assert_eq!(calls.writes, 0);
    let provisioning = sim.repo(|r| {
        r.pulls
            .values()
            .filter(|p| p.head_ref == "adoptbot/provision/fraud-distill")
            .count()
    });
    assert_eq!(provisioning, 1);
    assert_eq!(sim.repo(|r| r.comments.len()), 1, "no duplicate comment");
    sim.finish();
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
    let sim = seeded().await;
    let n = open_request(&sim, REQUEST);
    let (head, base) = sim.repo(|r| (r.head("request/fraud-distill"), r.head("main")));
    let o = sim.options();
    let payload = serde_json::json!({
        "action": "opened",
        "number": n,
        "pull_request": {
            "number": n, "title": "Experiment: fraud rules distillation", "body": null, "state": "open",
            "merged": false, "merged_at": null, "merge_commit_sha": null,
            "user": { "login": "ivan-novak", "id": 7 },
            "head": { "ref": "request/fraud-distill", "sha": head },
            "base": { "ref": "main", "sha": base }
        },
        "repository": { "full_name": format!("{}/{}", o.owner, o.repo), "default_branch": "main" },
        "sender": { "login": "ivan-novak", "id": 7 }
    });
    let (code, out, err) = action(&sim, "pull_request", Some(payload.clone())).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("commented on #{n}")), "{out}");
    let (code, out, _) = action(&sim, "pull_request", Some(payload)).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("nothing to write"),
        "a redelivery writes nothing: {out}"
    );

    let (code, out, err) = action(&sim, "schedule", None).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Decommission experiment search-query-rewrite"),
        "{out}"
    );

    let (code, _, err) = action(
        &sim,
        "pull_request",
        Some(serde_json::json!({"action": "opened"})),
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("not what GitHub sends"), "{err}");
    sim.finish();
}

/// Opens a request PR for `id` with `text` and handles its `opened` event.
async fn request_on_github(sim: &GitHubSim, gh: &GitHub, id: &str, text: &str) -> (u64, Applied) {
    let branch = format!("request/{id}");
    let path = format!("experiments/{id}.yaml");
    let n = sim.repo(|r| {
        let base = r.head("main");
        r.branches.insert(branch.clone(), base);
        r.commit(
            &branch,
            "Request",
            "ivan.novak@contoso.com",
            &[(path.as_str(), Some(text))],
        );
        r.open_pull(&branch, "main", "Experiment", "", "ivan-novak")
    });
    let (applied, calls) = run(gh, &pr_event(PrAction::Opened, gh.pull(n).await.unwrap()))
        .await
        .unwrap();
    assert!(calls.reads <= 6, "{calls:?}");
    (n, applied)
}

#[tokio::test]
async fn malformed_unknown_blueprint_and_over_cap_requests_on_github() {
    let sim = seeded().await;
    let gh = adapter(&sim);
    let (n, applied) = request_on_github(
        &sim,
        &gh,
        "broken",
        "title: Broken\nteam: [fraud-analytics\n",
    )
    .await;
    assert_eq!(applied.writes.len(), 1, "only the check: {applied:?}");
    let check = sim
        .repo(|r| {
            r.check_runs
                .iter()
                .rev()
                .find(|c| c.name == "adoptbot/experiment")
                .cloned()
        })
        .unwrap();
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    assert!(
        check
            .annotations
            .iter()
            .any(|a| a["path"] == "experiments/broken.yaml" && a["start_line"] == 2),
        "{:?}",
        check.annotations
    );
    assert!(sim.repo(|r| r.comments.iter().all(|c| c.issue != n)));

    let unknown = REQUEST
        .replace("blueprint: azure-openai", "blueprint: quantum-annealer")
        .replace("exp-fraud-distill", "exp-unknown");
    let (n, _) = request_on_github(&sim, &gh, "unknown-bp", &unknown).await;
    let body = sim
        .repo(|r| {
            r.comments
                .iter()
                .find(|c| c.issue == n)
                .map(|c| c.body.clone())
        })
        .unwrap();
    assert!(
        body.contains("there is no blueprint `quantum-annealer`"),
        "{body}"
    );

    let over = REQUEST
        .replace("cost_cap: 1500 USD", "cost_cap: 20 USD")
        .replace("exp-fraud-distill", "exp-over");
    let (n, _) = request_on_github(&sim, &gh, "over-cap", &over).await;
    let body = sim
        .repo(|r| {
            r.comments
                .iter()
                .find(|c| c.issue == n)
                .map(|c| c.body.clone())
        })
        .unwrap();
    assert!(
        body.contains("❌ | A cost cap, and the estimate within it"),
        "{body}"
    );
    sim.finish();
}

#[tokio::test]
async fn a_changed_request_opens_a_rerender_pr_on_github() {
    let sim = seeded().await;
    let gh = adapter(&sim);
    let path = "experiments/care-call-summarisation.yaml";
    let text = std::fs::read_to_string(common::contoso().join(path)).unwrap();
    let main = sim.repo(|r| {
        r.commit(
            "main",
            "More capacity",
            "aisha.bello@contoso.com",
            &[(
                path,
                Some(&text.replace("chat_capacity: 100", "chat_capacity: 120")),
            )],
        )
    });
    let push = Event::Push {
        after: main,
        repo: RepoInfo {
            full_name: "contoso/adoption".into(),
            default_branch: "main".into(),
        },
        sender: User {
            login: "aisha-bello".into(),
            id: 3,
        },
    };
    let (applied, _) = run(&gh, &push).await.unwrap();
    assert!(
        applied.writes.iter().any(|w| w.kind == WriteKind::OpenPull
            && w.key == "adoptbot/rerender/care-call-summarisation"),
        "{applied:?}"
    );
    let (again, calls) = run(&gh, &push).await.unwrap();
    assert_eq!(calls.writes, 0, "{again:?}");
    let files = sim
        .repo(|r| {
            r.tree_of(&r.head("adoptbot/rerender/care-call-summarisation"))
                .cloned()
        })
        .unwrap();
    let main_files = sim.repo(|r| r.tree_of(&r.head("main")).cloned()).unwrap();
    let changed: Vec<_> = files
        .iter()
        .filter(|(p, f)| main_files.get(*p) != Some(f))
        .map(|(p, _)| p.clone())
        .collect();
    assert!(
        !changed.is_empty()
            && changed
                .iter()
                .all(|p| p.starts_with("infra/experiments/care-call-summarisation/")),
        "{changed:?}"
    );
    sim.finish();
}
