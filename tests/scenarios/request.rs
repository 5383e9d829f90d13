//! Experiment requests, on both worlds: the request PR is reviewed (reviewers once, one
//! comment updated in place, one check per head), merged into a provisioning PR, warned
//! three days before its time box ends, and decommissioned; bad requests get a failing check
//! that says where and why. Every trigger is delivered twice and the replay writes nothing;
//! the API calls of each delivery are counted.

mod github;

use crate::both_worlds;
use crate::support::world::World;
use crate::support::{REQUEST, REQUEST_BRANCH, REQUEST_FILE, REQUEST_TITLE};
use adoptbot::forge::{Conclusion, FileStatus, Forge, PrState};
use adoptbot::runners::outcome::{Applied, Subject, WriteKind};

async fn a_request_is_reviewed_provisioned_warned_and_decommissioned<W: World>() {
    let w = W::contoso().await;
    // Bring the sample's own backlog up to date first, so what follows is about one request.
    w.deliver_main().await;

    // 1. A person opens a request PR.
    let (n, opened) = w
        .open_applied(
            "ivan-novak",
            REQUEST_BRANCH,
            "main",
            REQUEST_TITLE,
            "",
            &[(
                REQUEST_FILE,
                Some(&REQUEST.replace("time_box: 2w", "time_box: 3w")),
            )],
        )
        .await;
    let (calls, replay) = w.last_calls();
    assert!(
        calls.reads <= 6,
        "a PR event costs at most 6 reads, not {}",
        calls.reads
    );
    assert_eq!(calls.writes, 3, "reviewers, one comment, one check");
    assert_eq!(
        opened.writes.len(),
        3,
        "reviewers, one comment, one check: {opened:?}"
    );
    assert_eq!(replay.writes, 0, "a replay writes nothing");
    let comments = w.comments(n).await;
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("needs changes")
            && comments[0].body.contains("❌ | A standard time box"),
        "{}",
        comments[0].body
    );
    let head = w.pull(n).await.head_sha;
    assert_eq!(w.forge().check_runs(&head).await.unwrap().len(), 1);
    assert!(w.requested(n).await.0.contains(&"rahul-mehta".to_string()));

    // 2. The fix is pushed: the comment is updated in place, a new check on the new head.
    let synced = w
        .push(n, "ivan-novak", &[(REQUEST_FILE, Some(REQUEST))])
        .await;
    assert_eq!(synced.writes.len(), 2, "{synced:?}");
    assert_eq!(w.last_calls().0.writes, 2);
    assert!(
        synced.writes[0].kind == WriteKind::UpdateComment,
        "{synced:?}"
    );
    let comments = w.comments(n).await;
    assert_eq!(comments.len(), 1, "updated in place, never re-posted");
    assert!(comments[0].body.contains("ready for review"));

    // 3. Merged: the provisioning PR opens, with the rendered IaC and the start date.
    let provisioned = w.merge(n, "akira-kimura").await;
    assert!(
        provisioned
            .writes
            .iter()
            .any(|x| x.kind == WriteKind::OpenPull && x.key == "adoptbot/provision/fraud-distill"),
        "{provisioned:?}"
    );
    // The merged PR is read again at handling time (never taken from the event), and the
    // bot's account once per run, to tell its own PRs by id.
    let (calls, replay) = w.last_calls();
    assert!(calls.reads <= 8, "{calls:?}");
    assert_eq!(replay.writes, 0, "a replay of the merge writes nothing");
    let prov = w.bot_pull("adoptbot/provision/fraud-distill").await;
    assert!(prov.body.contains(&format!("Requested in #{n}.")));
    let files = w.forge().pull_files(prov.number).await.unwrap();
    assert!(
        files
            .iter()
            .any(|f| f.path.starts_with("infra/experiments/fraud-distill/")
                && f.path.ends_with(".bicep")),
        "{files:?}"
    );

    // 4. The provisioning PR is merged: the request now records its start.
    w.merge_pull(prov.number, "akira-kimura");
    let text = w.main_file(REQUEST_FILE).await;
    assert!(
        text.contains("started_on: 2026-11-27\n")
            && text.contains("status: active\n")
            && text.contains(&format!("request_pr: {n}\n")),
        "{text}"
    );
    w.set_day("2026-11-28");
    let quiet = w.deliver_main().await;
    assert!(
        quiet.writes.is_empty(),
        "nothing to do the day after: {quiet:?}"
    );

    // 5. Three days before the end of the time box, the owner is warned once, on the request PR.
    w.set_day("2026-12-08");
    let warned = w.deliver_main().await;
    let on_request = |a: &Applied| {
        a.writes
            .iter()
            .filter(|x| x.kind == WriteKind::CreateComment && x.subject == Subject::Issue(n))
            .count()
    };
    assert_eq!(on_request(&warned), 1, "{warned:?}");
    let comments = w.comments(n).await;
    assert!(comments.last().unwrap().body.contains(
        "@ivan-novak: the time box of experiment `fraud-distill` ends on **2026-12-11**"
    ));
    w.set_day("2026-12-09");
    let again = w.deliver_main().await;
    assert_eq!(on_request(&again), 0, "warned once: {again:?}");

    // 6. The time box ends: the decommission PR removes the IaC and marks the request expired.
    w.set_day("2026-12-11");
    let ended = w.deliver_main().await;
    assert!(
        ended.writes.iter().any(
            |x| x.kind == WriteKind::OpenPull && x.key == "adoptbot/decommission/fraud-distill"
        ),
        "{ended:?}"
    );
    let warnings = w
        .comments(n)
        .await
        .iter()
        .filter(|c| c.body.contains("ends on **2026-12-11**"))
        .count();
    assert_eq!(warnings, 1);
    let decom = w.bot_pull("adoptbot/decommission/fraud-distill").await;
    let files = w.forge().pull_files(decom.number).await.unwrap();
    assert!(
        files
            .iter()
            .any(|f| f.path.starts_with("infra/experiments/fraud-distill/")
                && f.status == FileStatus::Removed),
        "{files:?}"
    );

    // 7. A person commits to the bot's branch: the bot stops touching it and says so once.
    w.commit(
        "adoptbot/decommission/fraud-distill",
        None,
        "ivan-novak",
        "Keep the workspace",
        &[("NOTES.md", Some("keep\n"))],
    );
    let renamed = text.replace(
        "title: Fraud rules distillation",
        "title: Fraud rules distillation (v2)",
    );
    w.commit(
        "main",
        None,
        "ivan-novak",
        "Rename",
        &[(REQUEST_FILE, Some(&renamed))],
    );
    let stopped = w.deliver_main().await;
    let on_decom = |a: &Applied| {
        a.writes
            .iter()
            .filter(|x| {
                x.subject == Subject::Issue(decom.number)
                    || x.key == "adoptbot/decommission/fraud-distill"
            })
            .count()
    };
    assert_eq!(on_decom(&stopped), 1, "{stopped:?}");
    let notice = w.comments(decom.number).await;
    assert!(
        notice
            .last()
            .unwrap()
            .body
            .contains("no longer updates this PR")
    );
    assert_eq!(w.pull(decom.number).await.state, PrState::Open);
}

async fn a_malformed_request_gets_a_failing_check_annotated_on_its_line<W: World>() {
    let w = W::contoso().await;
    let (n, applied) = w
        .open_request("broken", "title: Broken\nteam: [fraud-analytics\n")
        .await;
    assert_eq!(
        applied.writes.len(),
        1,
        "only the check: there is no request to comment on: {applied:?}"
    );
    assert!(w.last_calls().0.reads <= 6, "{:?}", w.last_calls());
    let check = w.check(n, "adoptbot/experiment").await;
    assert_eq!(check.conclusion, Some(Conclusion::Failure));
    let annotated = w.annotations("adoptbot/experiment");
    assert!(
        annotated.contains(&("experiments/broken.yaml".into(), 2)),
        "{annotated:?}"
    );
    assert!(w.comments(n).await.is_empty());
}

async fn an_unknown_blueprint_and_a_request_over_its_cap_need_changes<W: World>() {
    let w = W::contoso().await;
    let unknown = REQUEST
        .replace("blueprint: azure-openai", "blueprint: quantum-annealer")
        .replace("exp-fraud-distill", "exp-unknown");
    let (n, _) = w.open_request("unknown-bp", &unknown).await;
    let body = &w.comments(n).await[0].body;
    assert!(body.contains("❌ | A blueprint that exists, with valid parameters | line 11: there is no blueprint `quantum-annealer`"), "{body}");

    let over = REQUEST
        .replace("cost_cap: 1500 USD", "cost_cap: 20 USD")
        .replace("exp-fraud-distill", "exp-over");
    let (n, _) = w.open_request("over-cap", &over).await;
    let body = &w.comments(n).await[0].body;
    assert!(
        body.contains(
            "❌ | A cost cap, and the estimate within it | line 9: the estimate for 14 days is"
        ),
        "{body}"
    );
    assert_eq!(
        w.check(n, "adoptbot/experiment").await.conclusion,
        Some(Conclusion::Failure)
    );
    // Neither is provisioned when merged.
    let merged = w.merge(n, "akira-kimura").await;
    assert!(merged.writes.is_empty(), "{merged:?}");
}

both_worlds!(
    a_request_is_reviewed_provisioned_warned_and_decommissioned,
    a_malformed_request_gets_a_failing_check_annotated_on_its_line,
    an_unknown_blueprint_and_a_request_over_its_cap_need_changes,
);
