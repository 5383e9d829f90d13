//! The reconciler's flows end to end against the local forge: an experiment request PR,
//! its provisioning, the warning before its time box ends, and its decommissioning. Every
//! step is replayed, and the replay writes nothing.

mod common;

use adoptbot::forge::local::LocalForge;
use adoptbot::forge::{CallCount, FileChange, Forge, PrState, PullRequest};
use adoptbot::model::Clock;
use adoptbot::model::event::{Event, PrAction, RepoInfo, User};
use adoptbot::runners::outcome::{Applied, Subject, WriteKind};
use adoptbot::runners::reconcile::run as handle;

const BOT: &str = "adoptbot[bot]";

fn repo_from_contoso() -> (tempfile::TempDir, LocalForge) {
    let tmp = tempfile::tempdir().unwrap();
    adoptbot::runners::demo::scratch_repository(tmp.path()).unwrap();
    let forge = LocalForge::open(tmp.path(), BOT).unwrap();
    (tmp, forge)
}

fn pr_event(action: PrAction, pull: PullRequest) -> Event {
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

fn push_event(sha: &str) -> Event {
    Event::Push {
        after: sha.into(),
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

const REQUEST: &str = "title: Fraud rules distillation\nteam: fraud-analytics\nowner: ivan-novak\nhypothesis: A distilled model catches 95% of what the rules catch.\nsuccess_criteria:\n  - { metric: recall_vs_rules, comparator: \">=\", target: 0.95 }\nnext_step: Shadow-run it next to the rules engine.\ntime_box: 2w\ncost_cap: 1500 USD\ncost_tag: exp-fraud-distill\nblueprint: azure-openai\nparameters:\n  location: swedencentral\n  chat_model: gpt-4o-mini\n  expected_monthly_token_spend_usd: 300\n  address_space: 10.63.8.0/24\n  endpoint_subnet: 10.63.8.0/27\n";

async fn run(forge: &LocalForge, event: &Event, day: &str) -> (Applied, CallCount) {
    let before = forge.calls();
    let applied = handle(forge, event, Clock::at(common::date(day)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after = forge.calls();
    let calls = CallCount {
        reads: after.reads - before.reads,
        writes: after.writes - before.writes,
    };
    // `cargo test --test flows_local -- --nocapture` prints the table in docs/performance.md.
    eprintln!(
        "calls on {day}: {} reads, {} writes: {:?}",
        calls.reads, calls.writes, applied.writes
    );
    (applied, calls)
}

#[tokio::test]
async fn a_request_is_reviewed_provisioned_warned_and_decommissioned() {
    let (_tmp, forge) = repo_from_contoso();
    // Bring the sample's own backlog up to date first, so what follows is about one request.
    let (_, main_sha) = forge.default_branch().await.unwrap();
    let (backlog, _) = run(&forge, &push_event(&main_sha), "2026-11-27").await;
    assert!(
        backlog.writes.iter().any(|w| w.kind == WriteKind::OpenPull
            && w.key == "adoptbot/decommission/search-query-rewrite"),
        "{backlog:?}"
    );
    let (again, calls) = run(&forge, &push_event(&main_sha), "2026-11-27").await;
    assert!(again.writes.is_empty(), "replay writes nothing: {again:?}");
    assert_eq!(calls.writes, 0);
    assert!(
        calls.reads <= 20,
        "a scheduled run over the sample costs {} reads",
        calls.reads
    );

    // 1. A person opens a request PR.
    let change = [FileChange {
        path: "experiments/fraud-distill.yaml".into(),
        content: Some(REQUEST.replace("time_box: 2w", "time_box: 3w")),
    }];
    forge
        .commit_as(
            "request/fraud-distill",
            Some(&main_sha),
            "Ivan Novak",
            "ivan.novak@contoso.com",
            "Request fraud-distill",
            &change,
        )
        .unwrap();
    let pr = forge
        .open_pull_as(
            "ivan-novak",
            "request/fraud-distill",
            "main",
            "Experiment: fraud rules distillation",
            "",
        )
        .unwrap();
    let (opened, calls) = run(
        &forge,
        &pr_event(PrAction::Opened, forge.pull(pr.number).await.unwrap()),
        "2026-11-27",
    )
    .await;
    assert!(
        calls.reads <= 6,
        "a PR event costs at most 6 reads, not {}",
        calls.reads
    );
    assert_eq!(
        opened.writes.len(),
        3,
        "reviewers, one comment, one check: {opened:?}"
    );
    let comments = forge.comments(pr.number).await.unwrap();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("needs changes")
            && comments[0].body.contains("❌ | A standard time box"),
        "{}",
        comments[0].body
    );
    let (replay, calls) = run(
        &forge,
        &pr_event(PrAction::Opened, forge.pull(pr.number).await.unwrap()),
        "2026-11-27",
    )
    .await;
    assert!(replay.writes.is_empty() && calls.writes == 0, "{replay:?}");

    // 2. The fix is pushed: the comment is updated in place, a new check on the new head.
    let fix = [FileChange {
        path: "experiments/fraud-distill.yaml".into(),
        content: Some(REQUEST.to_string()),
    }];
    forge
        .commit_as(
            "request/fraud-distill",
            None,
            "Ivan Novak",
            "ivan.novak@contoso.com",
            "Use a standard time box",
            &fix,
        )
        .unwrap();
    let (synced, _) = run(
        &forge,
        &pr_event(PrAction::Synchronize, forge.pull(pr.number).await.unwrap()),
        "2026-11-27",
    )
    .await;
    assert_eq!(synced.writes.len(), 2, "{synced:?}");
    assert!(
        synced.writes[0].kind == WriteKind::UpdateComment,
        "{synced:?}"
    );
    let comments = forge.comments(pr.number).await.unwrap();
    assert_eq!(comments.len(), 1, "updated in place, never re-posted");
    assert!(comments[0].body.contains("ready for review"));

    // 3. Merged: the provisioning PR opens, with the rendered IaC and the start date.
    forge.merge_pull(pr.number, "akira-kimura").unwrap();
    let merged = forge.pull(pr.number).await.unwrap();
    let (provisioned, calls) = run(
        &forge,
        &pr_event(PrAction::Closed, merged.clone()),
        "2026-11-27",
    )
    .await;
    assert!(
        provisioned
            .writes
            .iter()
            .any(|w| w.kind == WriteKind::OpenPull && w.key == "adoptbot/provision/fraud-distill"),
        "{provisioned:?}"
    );
    assert!(calls.reads <= 6, "{calls:?}");
    let (replay, calls) = run(&forge, &pr_event(PrAction::Closed, merged), "2026-11-27").await;
    assert!(replay.writes.is_empty() && calls.writes == 0, "{replay:?}");
    let prov = forge
        .pulls_by_branch_prefix("adoptbot/provision/fraud-distill")
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert!(prov.body.contains(&format!("Requested in #{}.", pr.number)));
    let files = forge.pull_files(prov.number).await.unwrap();
    assert!(
        files
            .iter()
            .any(|f| f.path.starts_with("infra/experiments/fraud-distill/")
                && f.path.ends_with(".bicep")),
        "{files:?}"
    );

    // 4. The provisioning PR is merged: the request now records its start.
    forge.merge_pull(prov.number, "akira-kimura").unwrap();
    let (_, main_sha) = forge.default_branch().await.unwrap();
    let snap = forge.snapshot(&main_sha).await.unwrap();
    let text = String::from_utf8(snap.contents["experiments/fraud-distill.yaml"].clone()).unwrap();
    assert!(
        text.contains("started_on: 2026-11-27\n")
            && text.contains("status: active\n")
            && text.contains(&format!("request_pr: {}\n", pr.number)),
        "{text}"
    );
    let (quiet, _) = run(&forge, &push_event(&main_sha), "2026-11-28").await;
    assert!(
        quiet.writes.is_empty(),
        "nothing to do the day after: {quiet:?}"
    );

    // 5. Three days before the end of the time box, the owner is warned once, on the request PR.
    let (warned, _) = run(&forge, &push_event(&main_sha), "2026-12-08").await;
    let on_request = |a: &Applied| {
        a.writes
            .iter()
            .filter(|w| {
                w.kind == WriteKind::CreateComment && w.subject == Subject::Issue(pr.number)
            })
            .count()
    };
    assert_eq!(on_request(&warned), 1, "{warned:?}");
    let (replay, calls) = run(&forge, &push_event(&main_sha), "2026-12-08").await;
    assert!(replay.writes.is_empty() && calls.writes == 0, "{replay:?}");
    let comments = forge.comments(pr.number).await.unwrap();
    assert!(comments.last().unwrap().body.contains(
        "@ivan-novak: the time box of experiment `fraud-distill` ends on **2026-12-11**"
    ));
    let (again, _) = run(&forge, &push_event(&main_sha), "2026-12-09").await;
    assert_eq!(on_request(&again), 0, "warned once: {again:?}");

    // 6. The time box ends: the decommission PR removes the IaC and marks the request expired.
    let (ended, _) = run(&forge, &push_event(&main_sha), "2026-12-11").await;
    assert!(
        ended.writes.iter().any(
            |w| w.kind == WriteKind::OpenPull && w.key == "adoptbot/decommission/fraud-distill"
        ),
        "{ended:?}"
    );
    let decom = forge
        .pulls_by_branch_prefix("adoptbot/decommission/fraud-distill")
        .await
        .unwrap()
        .pop()
        .unwrap();
    let files = forge.pull_files(decom.number).await.unwrap();
    assert!(
        files
            .iter()
            .any(|f| f.path.starts_with("infra/experiments/fraud-distill/")
                && f.status == adoptbot::forge::FileStatus::Removed),
        "{files:?}"
    );
    let (again, calls) = run(&forge, &push_event(&main_sha), "2026-12-11").await;
    assert!(again.writes.is_empty() && calls.writes == 0, "{again:?}");

    // 7. A person commits to the bot's branch: the bot stops touching it and says so once.
    forge
        .commit_as(
            "adoptbot/decommission/fraud-distill",
            None,
            "Ivan Novak",
            "ivan.novak@contoso.com",
            "Keep the workspace",
            &[FileChange {
                path: "NOTES.md".into(),
                content: Some("keep\n".into()),
            }],
        )
        .unwrap();
    let fix = [FileChange {
        path: "experiments/fraud-distill.yaml".into(),
        content: Some(text.replace(
            "title: Fraud rules distillation",
            "title: Fraud rules distillation (v2)",
        )),
    }];
    forge
        .commit_as(
            "main",
            None,
            "Ivan Novak",
            "ivan.novak@contoso.com",
            "Rename",
            &fix,
        )
        .unwrap();
    let (_, main_sha) = forge.default_branch().await.unwrap();
    let (stopped, _) = run(&forge, &push_event(&main_sha), "2026-12-11").await;
    let on_decom = |a: &Applied| {
        a.writes
            .iter()
            .filter(|w| {
                w.subject == Subject::Issue(decom.number)
                    || w.key == "adoptbot/decommission/fraud-distill"
            })
            .count()
    };
    assert_eq!(on_decom(&stopped), 1, "{stopped:?}");
    let notice = forge.comments(decom.number).await.unwrap();
    assert!(
        notice
            .last()
            .unwrap()
            .body
            .contains("no longer updates this PR")
    );
    let (again, _) = run(&forge, &push_event(&main_sha), "2026-12-11").await;
    assert!(again.writes.is_empty(), "said once: {again:?}");
    assert_eq!(forge.pull(decom.number).await.unwrap().state, PrState::Open);
}

/// Opens a request PR with `text` as `experiments/<id>.yaml` and handles it.
async fn request_pr(forge: &LocalForge, id: &str, text: &str) -> (u64, Applied) {
    let (_, main_sha) = forge.default_branch().await.unwrap();
    let branch = format!("request/{id}");
    let change = [FileChange {
        path: format!("experiments/{id}.yaml"),
        content: Some(text.to_string()),
    }];
    forge
        .commit_as(
            &branch,
            Some(&main_sha),
            "Ivan Novak",
            "ivan.novak@contoso.com",
            "Request",
            &change,
        )
        .unwrap();
    let pr = forge
        .open_pull_as("ivan-novak", &branch, "main", "Experiment", "")
        .unwrap();
    let (applied, _) = run(
        forge,
        &pr_event(PrAction::Opened, forge.pull(pr.number).await.unwrap()),
        "2026-11-27",
    )
    .await;
    (pr.number, applied)
}

#[tokio::test]
async fn a_malformed_request_gets_a_failing_check_annotated_on_its_line() {
    let (_tmp, forge) = repo_from_contoso();
    let (n, applied) =
        request_pr(&forge, "broken", "title: Broken\nteam: [fraud-analytics\n").await;
    assert_eq!(
        applied.writes.len(),
        1,
        "only the check: there is no request to comment on: {applied:?}"
    );
    let head = forge.pull(n).await.unwrap().head_sha;
    let checks = forge.check_runs(&head).await.unwrap();
    assert_eq!(
        checks[0].conclusion,
        Some(adoptbot::forge::Conclusion::Failure)
    );
    let annotated = forge.check_runs_all().unwrap().pop().unwrap().annotations;
    assert!(
        annotated
            .iter()
            .any(|a| a.path == "experiments/broken.yaml" && a.start_line == 2),
        "{annotated:?}"
    );
}

#[tokio::test]
async fn an_unknown_blueprint_and_a_request_over_its_cap_need_changes() {
    let (_tmp, forge) = repo_from_contoso();
    let unknown = REQUEST
        .replace("blueprint: azure-openai", "blueprint: quantum-annealer")
        .replace("exp-fraud-distill", "exp-unknown");
    let (n, _) = request_pr(&forge, "unknown-bp", &unknown).await;
    let body = &forge.comments(n).await.unwrap()[0].body;
    assert!(body.contains("❌ | A blueprint that exists, with valid parameters | line 11: there is no blueprint `quantum-annealer`"), "{body}");

    let over = REQUEST
        .replace("cost_cap: 1500 USD", "cost_cap: 20 USD")
        .replace("exp-fraud-distill", "exp-over");
    let (n, _) = request_pr(&forge, "over-cap", &over).await;
    let body = &forge.comments(n).await.unwrap()[0].body;
    assert!(
        body.contains(
            "❌ | A cost cap, and the estimate within it | line 9: the estimate for 14 days is"
        ),
        "{body}"
    );
    let head = forge.pull(n).await.unwrap().head_sha;
    assert_eq!(
        forge.check_runs(&head).await.unwrap()[0].conclusion,
        Some(adoptbot::forge::Conclusion::Failure)
    );
    // Neither is provisioned when merged.
    forge.merge_pull(n, "akira-kimura").unwrap();
    let (merged, _) = run(
        &forge,
        &pr_event(PrAction::Closed, forge.pull(n).await.unwrap()),
        "2026-11-27",
    )
    .await;
    assert!(merged.writes.is_empty(), "{merged:?}");
}

#[tokio::test]
async fn a_changed_request_or_blueprint_input_opens_a_rerender_pr() {
    let (tmp, forge) = repo_from_contoso();
    let (_, main_sha) = forge.default_branch().await.unwrap();
    run(&forge, &push_event(&main_sha), "2026-11-27").await;
    let path = "experiments/care-call-summarisation.yaml";
    let text = std::fs::read_to_string(tmp.path().join(path)).unwrap();
    assert!(
        text.contains("chat_capacity: 100"),
        "the sample's parameter moved: update this test"
    );
    let change = [FileChange {
        path: path.into(),
        content: Some(text.replace("chat_capacity: 100", "chat_capacity: 120")),
    }];
    forge
        .commit_as(
            "main",
            None,
            "Aisha Bello",
            "aisha.bello@contoso.com",
            "More capacity",
            &change,
        )
        .unwrap();
    let (_, main_sha) = forge.default_branch().await.unwrap();
    let (applied, _) = run(&forge, &push_event(&main_sha), "2026-11-27").await;
    assert!(
        applied.writes.iter().any(|w| w.kind == WriteKind::OpenPull
            && w.key == "adoptbot/rerender/care-call-summarisation"),
        "{applied:?}"
    );
    let pr = forge
        .pulls_by_branch_prefix("adoptbot/rerender/care-call-summarisation")
        .await
        .unwrap()
        .pop()
        .unwrap();
    let files = forge.pull_files(pr.number).await.unwrap();
    assert!(
        !files.is_empty()
            && files.iter().all(|f| f
                .path
                .starts_with("infra/experiments/care-call-summarisation/")),
        "{files:?}"
    );
    let (again, calls) = run(&forge, &push_event(&main_sha), "2026-11-27").await;
    assert!(again.writes.is_empty() && calls.writes == 0, "{again:?}");

    // Closed unmerged, it stays closed until its inputs change again.
    forge.close_pull(pr.number).unwrap();
    let (after_close, _) = run(&forge, &push_event(&main_sha), "2026-11-27").await;
    assert!(after_close.writes.is_empty(), "{after_close:?}");
    let change = [FileChange {
        path: path.into(),
        content: Some(text.replace("chat_capacity: 100", "chat_capacity: 140")),
    }];
    forge
        .commit_as(
            "main",
            None,
            "Aisha Bello",
            "aisha.bello@contoso.com",
            "Even more capacity",
            &change,
        )
        .unwrap();
    let (_, main_sha) = forge.default_branch().await.unwrap();
    let (reopened, _) = run(&forge, &push_event(&main_sha), "2026-11-27").await;
    assert!(
        reopened
            .writes
            .iter()
            .any(|w| w.kind == WriteKind::ReopenPull && w.subject == Subject::Issue(pr.number)),
        "{reopened:?}"
    );
}
