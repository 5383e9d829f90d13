//! The scheduled report's rules on the sample: `examples/contoso` with its snapshot estate
//! (`examples/contoso/cloud/`, read through the snapshot adapter) and its observation
//! history (`examples/contoso/cloud/observations/`), on 2026-12-01. Each rule the estate is
//! made for fires, and the new PR bodies are snapshots.

mod common;

use adoptbot::cloud::snapshot::SnapshotCloud;
use adoptbot::cloud::{Cloud, Period};
use adoptbot::model::finding::{CloudSignals, FindingKind, Observation, Urgency};
use adoptbot::plan::desired::Branch;
use adoptbot::plan::report::{Scheduled, scheduled};
use chrono::NaiveDate;

fn today() -> NaiveDate {
    common::date("2026-12-01")
}

/// Reads every signal a scheduled run reads, as the shell does: inventory once, spend per
/// subscription and tag, usages per subscription and region, the Activity Log and CPU of
/// the sandbox's resource group.
async fn signals(analysis: &adoptbot::Analysis) -> CloudSignals {
    let cloud = SnapshotCloud::open(common::contoso().join("cloud")).expect("the sample estate");
    let azure = analysis
        .loaded
        .repo
        .adoption
        .as_ref()
        .unwrap()
        .azure
        .clone()
        .unwrap();
    let subs = azure.subscriptions.clone();
    let mut s = CloudSignals {
        identity: Some(cloud.identity().await.unwrap()),
        inventory: cloud.inventory(&subs).await.unwrap(),
        ..CloudSignals::default()
    };
    let month = Period {
        from: common::date("2026-12-01"),
        to: today(),
    };
    let since_start = Period {
        from: common::date("2026-08-01"),
        to: today(),
    };
    for sub in &subs {
        s.spend
            .push(cloud.spend(sub, "cost-tag", since_start).await.unwrap());
        s.spend.push(cloud.spend(sub, "team", month).await.unwrap());
        for region in &azure.regions {
            s.usages.push(cloud.usages(sub, region).await.unwrap());
        }
    }
    let sub = &subs[1];
    s.activity.push(
        cloud
            .activity(sub, "rg-ds-forecast-sandbox", common::date("2026-11-01"))
            .await
            .unwrap(),
    );
    let vm = s
        .inventory
        .resources
        .iter()
        .find(|r| r.name == "vm-forecast-01")
        .unwrap()
        .id
        .clone();
    s.metrics.extend(
        cloud
            .metrics(
                &vm,
                &["Percentage CPU"],
                Period {
                    from: common::date("2026-11-01"),
                    to: today(),
                },
            )
            .await
            .unwrap(),
    );
    s.secret_alerts = Some(vec![]);
    s
}

fn history() -> Vec<Observation> {
    let dir = common::contoso().join("cloud/observations");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            serde_json::from_slice(&std::fs::read(p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

struct Run {
    snapshot: adoptbot::load::Snapshot,
    analysis: adoptbot::Analysis,
    catalogue: adoptbot::render::Catalogue,
}

fn contoso() -> Run {
    let snapshot = adoptbot::load::dir::read_dir(&common::contoso()).unwrap();
    let analysis = adoptbot::analyse(&snapshot, today()).unwrap();
    let catalogue = adoptbot::blueprint_facts(&analysis.loaded.repo)
        .catalogue
        .unwrap();
    Run {
        snapshot,
        analysis,
        catalogue,
    }
}

fn report(run: &Run, signals: &CloudSignals, history: &[Observation]) -> Scheduled {
    let sha = "0".repeat(40);
    let b = Branch {
        name: "main",
        sha: &sha,
        snapshot: &run.snapshot,
        analysis: &run.analysis,
        catalogue: &run.catalogue,
        today: today(),
    };
    scheduled(&b, signals, history)
}

fn pull<'a>(s: &'a Scheduled, branch: &str) -> &'a adoptbot::plan::reconcile::DesiredPull {
    s.pulls
        .iter()
        .find(|p| p.branch() == branch)
        .unwrap_or_else(|| {
            panic!(
                "no PR on {branch}: {:?}",
                s.pulls.iter().map(|p| p.branch()).collect::<Vec<_>>()
            )
        })
}

#[tokio::test]
async fn the_sample_estate_fires_every_rule_it_is_made_for() {
    let run = contoso();
    let sig = signals(&run.analysis).await;
    let s = report(&run, &sig, &history());
    let keys: Vec<&str> = s.findings.iter().map(|f| f.key.as_str()).collect();
    let has = |k: &str| keys.iter().any(|x| x.starts_with(k));
    // Shadow AI: the playground account and the Spot GPU VM.
    assert!(keys.iter().any(|k| k.starts_with("shadow-ai/") && k.ends_with("/resourcegroups/rg-search-playground/providers/microsoft.cognitiveservices/accounts/search-gpt4o-playground")), "{keys:#?}");
    assert!(
        has(
            "shadow-ai//subscriptions/9e4a7c21-3d5b-4f86-a0c9-1b8e2d6f4a37/resourcegroups/rg-fraud-gpu-scratch/providers/microsoft.compute/virtualmachines/gpu-scratch-01"
        ),
        "{keys:#?}"
    );
    // The orphan AKS cluster of a completed experiment.
    assert!(
        keys.contains(&"orphan/platform-t4-llm-serving"),
        "{keys:#?}"
    );
    // The idle sandbox: the last write by a person on 2026-11-16, 15 days ago: flagged.
    assert!(
        keys.contains(&"idle-sandbox/ds-forecast-sandbox/2026-11-16"),
        "{keys:#?}"
    );
    // The hoarding team: fraud-analytics never used its 48 A100 vCPUs in eastus, and used
    // its 64 T4 vCPUs there at 6 to 12% (the experiment that asked for them ended on
    // 2026-11-30): one reclaim PR for both.
    for family in ["standardNCADSA100v4Family", "standardNCASv3_T4Family"] {
        let f = s
            .findings
            .iter()
            .find(|f| f.key == format!("gpu-hoarding/fraud-analytics/{family}/eastus"))
            .unwrap();
        assert_eq!(f.urgency, Urgency::ActionNeeded);
    }
    // No other team hoards: each of their allocations was used at 20% or more on some day.
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("gpu-hoarding/"))
            .count(),
        2
    );
    // The whole list, for review.
    let listed: Vec<String> = s
        .findings
        .iter()
        .map(|f| format!("{:?} {} | {}", f.urgency, f.key, f.title))
        .collect();
    insta::assert_snapshot!("contoso_findings", listed.join("\n"));
    // The team near its budget: search at 91% of 18,000 USD.
    assert!(keys.contains(&"team-budget/search/2026-12/90"), "{keys:#?}");
    // Findings are ordered most urgent first, then by key.
    let order: Vec<_> = s
        .findings
        .iter()
        .map(|f| (f.urgency, f.key.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    // The anti-patterns the evidence shows.
    assert!(
        keys.contains(&"anti-pattern/shadow-ai") && keys.contains(&"anti-pattern/gpu-hoarding"),
        "{keys:#?}"
    );
    assert!(
        s.findings
            .iter()
            .any(|f| f.kind == FindingKind::AntiPattern)
    );
    // No rule asks for a second decommission PR of an experiment the default branch already
    // decommissions (ds-forecast-sandbox's time box ended on 2026-11-29).
    assert!(
        s.pulls
            .iter()
            .all(|p| p.branch() != "adoptbot/decommission/ds-forecast-sandbox")
    );
    // Today's observation.
    let obs = &s.observation;
    assert_eq!(obs.date, Some(today()));
    assert!(
        obs.gpu.iter().any(|g| g.team == "fraud-analytics"
            && g.family == "standardNCASv3_T4Family"
            && g.region == "eastus"
            && g.vcpus == 4),
        "{:?}",
        obs.gpu
    );
    assert!(
        obs.gpu
            .iter()
            .any(|g| g.family == "lowPriorityCores" && g.vcpus == 24)
    );
    assert!(
        (obs.spend_by_team["search"] - 16380.2).abs() < 0.01,
        "{:?}",
        obs.spend_by_team
    );
    assert_eq!(
        obs.sandbox_last_activity["ds-forecast-sandbox"],
        Some(common::date("2026-11-16"))
    );
    assert_eq!(obs.shadow_ai.len(), 2);
    // The observation reads back through its serde, as the observations branch stores it.
    let json = serde_json::to_string(obs).unwrap();
    assert_eq!(&serde_json::from_str::<Observation>(&json).unwrap(), obs);
}

#[tokio::test]
async fn the_inventory_pr_adds_each_shadow_resource_once_with_its_first_day() {
    let run = contoso();
    let sig = signals(&run.analysis).await;
    let s = report(&run, &sig, &history());
    let p = pull(&s, "adoptbot/inventory/shadow-ai");
    insta::assert_snapshot!("inventory_pr_body", p.body);
    let text = p.files[0].content.clone().unwrap();
    // The comments of the file are kept, and the file still validates.
    let before =
        String::from_utf8(run.snapshot.contents["inventory/shadow-ai.yaml"].clone()).unwrap();
    for line in before.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(text.contains(line), "comment lost: {line}");
    }
    assert!(
        text.contains("found_on: 2026-11-05") && text.contains("found_on: 2026-11-19"),
        "{text}"
    );
    assert_eq!(
        text.matches("status: discovered").count() - before.matches("status: discovered").count(),
        2
    );
    assert_validates(&run, "inventory/shadow-ai.yaml", &text);
    // Once merged, the resources are inventoried: no shadow finding and no PR the next day.
    let mut merged = run.snapshot.clone();
    merged
        .contents
        .insert("inventory/shadow-ai.yaml".into(), text.into_bytes());
    let analysis = adoptbot::analyse(&merged, today()).unwrap();
    let again = Run {
        snapshot: merged,
        analysis,
        catalogue: run.catalogue.clone(),
    };
    let s2 = report(&again, &sig, &history());
    assert!(s2.findings.iter().all(|f| f.kind != FindingKind::ShadowAi));
    assert!(
        s2.pulls
            .iter()
            .all(|p| p.branch() != "adoptbot/inventory/shadow-ai")
    );
    // The same inputs a day later want the same files: the open PR is not rewritten.
    let mut later = history();
    later.push(s.observation.clone());
    let files_again = {
        let sha = "0".repeat(40);
        let b = Branch {
            name: "main",
            sha: &sha,
            snapshot: &run.snapshot,
            analysis: &run.analysis,
            catalogue: &run.catalogue,
            today: today(),
        };
        scheduled(&b, &sig, &later)
    };
    assert_eq!(
        pull(&files_again, "adoptbot/inventory/shadow-ai").files,
        p.files
    );
}

/// Loads the repository with `path` replaced by `text`: no diagnostic may name the file.
fn assert_validates(run: &Run, path: &str, text: &str) {
    let mut snap = run.snapshot.clone();
    snap.contents.insert(path.into(), text.as_bytes().to_vec());
    let a = adoptbot::analyse(&snap, today()).unwrap();
    let problems: Vec<_> = a
        .loaded
        .diagnostics
        .iter()
        .chain(&a.evaluation.diagnostics)
        .filter(|d| d.place.file == path && d.is_error())
        .collect();
    assert!(
        problems.is_empty(),
        "{path} no longer validates: {problems:#?}"
    );
}

#[tokio::test]
async fn the_reclaim_pr_lowers_the_team_file_which_still_validates() {
    let run = contoso();
    let sig = signals(&run.analysis).await;
    let s = report(&run, &sig, &history());
    let p = pull(&s, "adoptbot/reclaim/fraud-analytics");
    insta::assert_snapshot!("reclaim_pr_body", p.body);
    assert_eq!(
        s.reviewers["adoptbot/reclaim/fraud-analytics"],
        ["rahul-mehta", "akira-kimura"]
    );
    let text = p.files[0].content.clone().unwrap();
    assert_eq!(p.files[0].path, "teams/fraud-analytics.yaml");
    let before =
        String::from_utf8(run.snapshot.contents["teams/fraud-analytics.yaml"].clone()).unwrap();
    // The unused A100 entry is removed, the T4 entry lowered to its peak of 8, and the
    // entry approved a week ago (for a requested experiment) is not touched.
    assert!(
        before.contains("standardNCADSA100v4Family") && !text.contains("standardNCADSA100v4Family"),
        "{text}"
    );
    assert!(
        text.contains("family: standardNCASv3_T4Family\n    region: eastus\n    vcpus: 8\n"),
        "{text}"
    );
    assert!(text.contains("# 1 x ND96asr_v4") && text.contains("vcpus: 96"));
    assert_validates(&run, "teams/fraud-analytics.yaml", &text);
    // Without the history there is no reclaim, and the rule says why.
    let s = report(&run, &sig, &[]);
    assert!(
        s.pulls
            .iter()
            .all(|p| !p.branch().starts_with("adoptbot/reclaim/"))
    );
    let gap = s
        .findings
        .iter()
        .find(|f| f.key == "gpu-history/fraud-analytics")
        .unwrap();
    assert!(
        gap.detail
            .starts_with("insufficient history: 1 of the last 30 days"),
        "{}",
        gap.detail
    );
}

#[tokio::test]
async fn an_exhausted_budget_opens_an_urgent_decommission_pr() {
    let run = contoso();
    let mut sig = signals(&run.analysis).await;
    // care-call-summarisation's cost tag at exactly its cap of 3500 USD.
    for s in &mut sig.spend {
        for r in &mut s.rows {
            if r.value == "exp-care-call-summarisation" {
                r.cost = 3500.0;
            }
        }
    }
    let s = report(&run, &sig, &history());
    let p = pull(&s, "adoptbot/decommission/care-call-summarisation");
    assert!(p.title.contains("budget exhausted"));
    insta::assert_snapshot!("budget_exhausted_pr_body", p.body);
    assert!(s.findings.iter().any(
        |f| f.key == "spend/care-call-summarisation/100" && f.urgency == Urgency::ActionNeeded
    ));
}

#[tokio::test]
async fn without_a_cloud_only_the_repository_speaks() {
    let run = contoso();
    let s = report(&run, &CloudSignals::default(), &history());
    assert!(s.findings.iter().all(|f| !matches!(
        f.kind,
        FindingKind::ShadowAi
            | FindingKind::Orphan
            | FindingKind::IdleSandbox
            | FindingKind::GpuHoarding
    )));
    assert!(
        s.pulls.is_empty(),
        "{:?}",
        s.pulls.iter().map(|p| p.branch()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_sandbox_idle_for_30_days_gets_a_decommission_pr_with_its_last_activity() {
    let mut run = contoso();
    // The sandbox renewed, so that it still runs on 2026-12-16, 30 days after the last
    // write by a person (2026-11-16).
    let path = "experiments/ds-forecast-sandbox.yaml";
    let text = String::from_utf8(run.snapshot.contents[path].clone()).unwrap();
    let text = text.replace(
        "time_box: 2w\n",
        "time_box: 4w\nrenewals:\n  - { duration: 2w, reason: Holiday backtests }\n",
    );
    run.snapshot.contents.insert(path.into(), text.into_bytes());
    let day = common::date("2026-12-16");
    run.analysis = adoptbot::analyse(&run.snapshot, day).unwrap();
    let sig = signals(&run.analysis).await;
    let sha = "0".repeat(40);
    let at = |d: NaiveDate| {
        let analysis = adoptbot::analyse(&run.snapshot, d).unwrap();
        let b = Branch {
            name: "main",
            sha: &sha,
            snapshot: &run.snapshot,
            analysis: &analysis,
            catalogue: &run.catalogue,
            today: d,
        };
        scheduled(&b, &sig, &[])
    };
    // 29 days: flagged, no PR.
    let s = at(common::date("2026-12-15"));
    assert!(
        s.findings
            .iter()
            .any(|f| f.key == "idle-sandbox/ds-forecast-sandbox/2026-11-16")
    );
    assert!(
        s.pulls
            .iter()
            .all(|p| p.branch() != "adoptbot/decommission/ds-forecast-sandbox")
    );
    // 30 days: the decommission PR, with the dates of the last activity.
    let s = at(day);
    assert!(
        s.findings
            .iter()
            .any(|f| f.key == "idle-sandbox/ds-forecast-sandbox/2026-11-16/decommission")
    );
    let p = pull(&s, "adoptbot/decommission/ds-forecast-sandbox");
    insta::assert_snapshot!("idle_decommission_pr_body", p.body);
}

/// Azure's cost cap stopped an experiment's VM (the runbook's `adoptbot-capped` tag): the
/// experiment is an urgent finding, with the decommission PR that follows.
#[tokio::test]
async fn a_capped_experiment_gets_an_urgent_finding_and_its_decommission_pr() {
    let run = contoso();
    let mut sig = signals(&run.analysis).await;
    let row = sig
        .inventory
        .resources
        .iter_mut()
        .find(|r| {
            r.tag("experiment") == Some("care-call-summarisation")
                && r.tag("managed-by")
                    .is_some_and(|v| v.eq_ignore_ascii_case("adoptbot"))
        })
        .expect("a bot-managed resource of care-call-summarisation in the sample estate");
    row.tags["adoptbot-capped"] = serde_json::json!("2026-11-30");
    let s = report(&run, &sig, &history());
    let f = s
        .findings
        .iter()
        .find(|f| f.key == "capped/care-call-summarisation")
        .expect("the capped finding");
    assert_eq!(f.urgency, Urgency::ActionNeeded);
    let p = pull(&s, "adoptbot/decommission/care-call-summarisation");
    insta::assert_snapshot!("capped_decommission_pr_body", p.body);
}
