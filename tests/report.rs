//! The scheduled report end to end: the real GitHub adapter against the GitHub simulator and
//! the real Azure adapter (with azure_identity's managed-identity credential) against the
//! ARM simulator, together. The findings come from hand-made rules where a scenario needs
//! them (`run_with_rules`), so that the dashboard, the observations branch and the fault
//! handling are pinned whatever the cloud rules find.
//!
//! `IDENTITY_ENDPOINT` is process-global, so every test here takes [`ENV`] first.

mod azure_sim;
mod github_sim;

use adoptbot::cloud::Api;
use adoptbot::cloud::snapshot::SnapshotCloud;
use adoptbot::model::Clock;
use adoptbot::model::finding::{
    CloudSignals, Finding, FindingKind, Link, Observation, SecretAlert, Urgency,
};
use adoptbot::plan::dashboard::{Action, MARKER, MAX_BODY_CHARS};
use adoptbot::plan::desired::Branch;
use adoptbot::plan::report::Scheduled;
use adoptbot::runners::error::{Error, Policy};
use adoptbot::runners::handlers::dashboard::{self, Report};
use adoptbot::runners::outcome::{Applied, WriteKind};
use azure_sim::{AzureSim, Estate, Fault as ArmFault, SimApi};
use github_sim::{Fault, GitHubSim};
use std::sync::{Arc, Mutex};

static ENV: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const ISSUES: &str = "/repos/octo-org/adoption/issues";
const OBS: &str = "adoptbot/observations";

fn quiet(_: Api, _: &str) {}

fn clock(d: &str) -> Clock {
    Clock::at(d.parse().expect("date"))
}

fn finding(key: &str, urgency: Urgency, kind: FindingKind, owner: &str) -> Finding {
    Finding {
        key: key.into(),
        kind,
        urgency,
        title: format!("Finding {key}"),
        detail: "Seen in the cloud.\nSince 2026-11-01.".into(),
        owners: vec![owner.into()],
        links: vec![
            Link::File {
                path: "experiments/ds-forecast-sandbox.yaml".into(),
            },
            Link::Resource {
                id: "/subscriptions/9e4a7c21-3d5b-4f86-a0c9-1b8e2d6f4a37/resourceGroups/rg-ds-forecast-sandbox".into(),
            },
        ],
    }
}

/// The findings the hand-made rules return, changeable between runs, and what the rules
/// were given.
#[derive(Clone, Default)]
struct Hand {
    findings: Arc<Mutex<Vec<Finding>>>,
    seen_history: Arc<Mutex<Vec<usize>>>,
    seen_alerts: Arc<Mutex<Vec<Option<Vec<SecretAlert>>>>>,
}

impl Hand {
    fn with(findings: Vec<Finding>) -> Hand {
        let h = Hand::default();
        *h.findings.lock().unwrap() = findings;
        h
    }

    fn set(&self, findings: Vec<Finding>) {
        *self.findings.lock().unwrap() = findings;
    }

    fn rules(&self) -> impl Fn(&Branch<'_>, &CloudSignals, &[Observation]) -> Scheduled + use<> {
        let h = self.clone();
        move |b, signals, history| {
            h.seen_history.lock().unwrap().push(history.len());
            h.seen_alerts
                .lock()
                .unwrap()
                .push(signals.secret_alerts.clone());
            let mut spend = std::collections::BTreeMap::new();
            spend.insert(
                "ds-forecast-sandbox".to_string(),
                signals.spend.len() as f64,
            );
            Scheduled {
                findings: h.findings.lock().unwrap().clone(),
                pulls: Vec::new(),
                observation: Observation {
                    date: Some(b.today),
                    spend_by_experiment: spend,
                    ..Observation::default()
                },
                ..Scheduled::default()
            }
        }
    }
}

/// One scheduled run on `day`, through the GitHub adapter, with the Azure adapter when
/// `arm` is given.
async fn run(
    gh: &GitHubSim,
    arm: Option<&AzureSim>,
    day: &str,
    hand: &Hand,
) -> Result<(Applied, Report), Error> {
    let forge = gh.adapter();
    let cloud = arm.map(azure_sim::adapter);
    dashboard::run_with_rules(&forge, move |_| Ok(cloud), clock(day), &quiet, hand.rules()).await
}

fn dashboards(gh: &GitHubSim) -> Vec<(u64, String, bool)> {
    gh.repo(|r| {
        r.issue_data
            .iter()
            .filter(|(_, i)| i.author == "adoptbot[bot]" && i.body.starts_with(MARKER))
            .map(|(n, i)| (*n, i.body.clone(), i.open))
            .collect()
    })
}

fn observation_commits(gh: &GitHubSim) -> usize {
    gh.repo(|r| {
        let Some(head) = r.branches.get(OBS).cloned() else {
            return 0;
        };
        let main = r.head("main");
        let (commits, _, _) = r.compare(&main, &head);
        commits.len()
    })
}

fn tick(body: &str, action: &Action) -> String {
    let id = format!("<!-- adoptbot-action:{} -->", action.id());
    body.lines()
        .map(|l| {
            if l.ends_with(&id) {
                l.replacen("[ ] ", "[x] ", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn three() -> Vec<Finding> {
    vec![
        finding(
            "idle/ds-forecast-sandbox",
            Urgency::ActionNeeded,
            FindingKind::IdleSandbox,
            "grace-mensah",
        ),
        finding(
            "spend/care-rag/75",
            Urgency::Warning,
            FindingKind::SpendThreshold,
            "contoso/care",
        ),
        finding(
            "anti-pattern/shadow-ai",
            Urgency::Warning,
            FindingKind::AntiPattern,
            "akira-kimura",
        ),
    ]
}

#[tokio::test]
async fn the_dashboard_is_created_once_and_a_replay_or_a_second_run_that_day_writes_nothing() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let arm = AzureSim::start(Estate::contoso()).await;
    let hand = Hand::with(three());

    let (first, report) = run(&gh, Some(&arm), "2026-12-01", &hand)
        .await
        .expect("run");
    assert_eq!(first.of(WriteKind::CreateIssue).len(), 1, "{first:?}");
    assert!(report.cloud_read);
    let boards = dashboards(&gh);
    assert_eq!(boards.len(), 1);
    let (n, body, open) = boards[0].clone();
    assert!(open);
    assert_eq!(report.dashboard, Some(n));
    assert_eq!(
        gh.repo(|r| r.issue_data[&n].title.clone()),
        "adoptbot dashboard"
    );
    // Owners are mentioned on the day a finding first appears.
    assert!(body.contains("@grace-mensah"), "{body}");
    assert!(body.contains("## Action needed (1)"), "{body}");
    assert!(body.contains("## Anti-patterns (1)"), "{body}");
    assert_eq!(observation_commits(&gh), 1);
    insta::assert_snapshot!("dashboard_body", body);

    // The replay, and a second run the same day: nothing anywhere.
    let writes = gh.writes();
    for _ in 0..2 {
        let (again, _) = run(&gh, Some(&arm), "2026-12-01", &hand)
            .await
            .expect("replay");
        assert!(again.writes.is_empty(), "{again:?}");
    }
    assert_eq!(gh.writes(), writes, "nothing reached GitHub");
    assert_eq!(observation_commits(&gh), 1);
    // The history the rules got: none before today, on every run that day.
    assert_eq!(*hand.seen_history.lock().unwrap(), vec![0, 0, 0]);

    // The next day: one observation more, the day before in the history, and the body
    // without the mention (never again for that finding).
    let (next, _) = run(&gh, Some(&arm), "2026-12-02", &hand)
        .await
        .expect("next day");
    assert_eq!(observation_commits(&gh), 2);
    assert_eq!(hand.seen_history.lock().unwrap().last(), Some(&1));
    assert_eq!(next.of(WriteKind::UpdateIssue).len(), 1, "{next:?}");
    let (_, body, _) = dashboards(&gh)[0].clone();
    assert!(!body.contains("@grace-mensah"), "{body}");
    assert!(body.contains("`grace-mensah`"), "{body}");
    let (again, _) = run(&gh, Some(&arm), "2026-12-02", &hand)
        .await
        .expect("replay");
    assert!(again.writes.is_empty(), "{again:?}");
    // The observation file is the rules' observation, as the bot committed it.
    let text = gh.repo(|r| {
        let head = r.branches[OBS].clone();
        let tree = r.tree_of(&head).expect("tree").clone();
        String::from_utf8(tree["observations/2026-12-02.json"].content.clone()).unwrap()
    });
    let o: Observation = serde_json::from_str(&text).expect("an observation");
    assert_eq!(o.date, Some("2026-12-02".parse().unwrap()));
    // Spend read per subscription and tag: 2 subscriptions × 2 tags.
    assert_eq!(o.spend_by_experiment["ds-forecast-sandbox"], 4.0);
    gh.finish();
    arm.finish();
}

#[tokio::test]
async fn a_tick_made_while_the_bot_runs_is_kept_and_a_snooze_hides_a_finding_seven_days() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let hand = Hand::with(three());
    run(&gh, None, "2026-12-01", &hand).await.expect("first");
    let (n, body, _) = dashboards(&gh)[0].clone();
    let idle = Action::Snooze("idle/ds-forecast-sandbox".into());
    let spend = Action::Snooze("spend/care-rag/75".into());
    // A person ticks the snooze of the idle sandbox.
    gh.repo(|r| r.edit_issue(n, Some(&tick(&body, &idle)), None));
    // ... and, while the bot is between its read and its write, the spend's too.
    let late = spend.clone();
    gh.before_next("GET", &format!("{ISSUES}/{n}"), move |r| {
        let now = r.issue_data[&n].body.clone();
        r.edit_issue(n, Some(&tick(&now, &late)), None);
    });
    let (second, _) = run(&gh, None, "2026-12-01", &hand).await.expect("second");
    assert_eq!(second.of(WriteKind::UpdateIssue).len(), 1, "{second:?}");
    let (_, body, _) = dashboards(&gh)[0].clone();
    assert!(body.contains("## Snoozed (1)"), "{body}");
    assert!(body.contains("Snoozed until 2026-12-08."), "{body}");
    assert!(
        body.contains(&spend.checkbox("Snooze for 7 days", true)),
        "the late tick is kept: {body}"
    );
    // The next run acts on the kept tick.
    run(&gh, None, "2026-12-01", &hand).await.expect("third");
    let (_, body, _) = dashboards(&gh)[0].clone();
    assert!(body.contains("## Snoozed (2)"), "{body}");
    assert!(!body.contains("[x]"), "{body}");
    // Six days later still snoozed; on the seventh, back where it was.
    run(&gh, None, "2026-12-07", &hand).await.expect("day 6");
    assert!(dashboards(&gh)[0].1.contains("## Snoozed (2)"));
    run(&gh, None, "2026-12-08", &hand).await.expect("day 7");
    let (_, body, _) = dashboards(&gh)[0].clone();
    assert!(!body.contains("## Snoozed"), "{body}");
    assert!(body.contains("## Action needed (1)"), "{body}");
    assert_eq!(dashboards(&gh).len(), 1);
    gh.finish();
}

#[tokio::test]
async fn a_dashboard_a_person_closed_stays_closed_until_something_new_needs_action() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let hand = Hand::with(three());
    run(&gh, None, "2026-12-01", &hand).await.expect("first");
    let (n, _, _) = dashboards(&gh)[0].clone();
    gh.repo(|r| r.edit_issue(n, None, Some(false)));
    // Other findings change, nothing new needs action: untouched.
    let mut calmer = three();
    calmer.push(finding(
        "info/x",
        Urgency::Information,
        FindingKind::InsufficientData,
        "akira-kimura",
    ));
    hand.set(calmer.clone());
    let (a, _) = run(&gh, None, "2026-12-02", &hand).await.expect("closed");
    assert!(
        a.writes.iter().all(|w| w.key != "dashboard"),
        "{:?}",
        a.writes
    );
    assert!(!dashboards(&gh)[0].2, "still closed");
    // Something new needs action: reopened, with it.
    calmer.push(finding(
        "budget/search/100",
        Urgency::ActionNeeded,
        FindingKind::BudgetExhausted,
        "rahul-mehta",
    ));
    hand.set(calmer);
    let (a, _) = run(&gh, None, "2026-12-03", &hand).await.expect("reopen");
    assert_eq!(a.of(WriteKind::ReopenIssue).len(), 1, "{a:?}");
    let (m, body, open) = dashboards(&gh)[0].clone();
    assert_eq!(m, n, "the same issue, not a new one");
    assert!(open);
    assert!(body.contains("@rahul-mehta"), "{body}");
    gh.finish();
}

#[tokio::test]
async fn the_dashboard_is_found_by_marker_and_author_across_pages_never_by_title() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    // A person's issue that copies the title and the marker, and many issues of the bot.
    gh.repo(|r| {
        r.open_issue("mallory", "adoptbot dashboard", &format!("{MARKER}\nhello"));
        for i in 0..130 {
            r.open_issue("adoptbot[bot]", &format!("adoptbot dashboard {i}"), "other");
        }
    });
    let hand = Hand::with(three());
    run(&gh, None, "2026-12-01", &hand).await.expect("first");
    assert_eq!(dashboards(&gh).len(), 1);
    gh.clear_log();
    let (a, _) = run(&gh, None, "2026-12-01", &hand).await.expect("again");
    assert!(a.writes.is_empty(), "{a:?}");
    assert!(gh.count("GET", ISSUES) >= 2, "the list is paged");
    assert_eq!(dashboards(&gh).len(), 1);
    let mallory = gh.repo(|r| r.issue_data[&1].body.clone());
    assert_eq!(
        mallory,
        format!("{MARKER}\nhello"),
        "a person's issue is never written"
    );
    gh.finish();
}

#[tokio::test]
async fn a_body_too_long_is_cut_from_the_lowest_priority_section_with_a_note() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let mut many = Vec::new();
    for i in 0..180 {
        let (u, k) = match i % 3 {
            0 => (Urgency::ActionNeeded, FindingKind::Orphan),
            1 => (Urgency::Warning, FindingKind::TagDrift),
            _ => (Urgency::Information, FindingKind::InsufficientData),
        };
        let mut f = finding(&format!("drift/resource-{i:04}"), u, k, "grace-mensah");
        f.detail = "A long line of evidence about this resource. ".repeat(3);
        many.push(f);
    }
    let hand = Hand::with(many);
    let (_, report) = run(&gh, None, "2026-12-01", &hand).await.expect("run");
    let (_, body, _) = dashboards(&gh)[0].clone();
    assert!(body.chars().count() <= MAX_BODY_CHARS, "{}", body.len());
    assert_eq!(body, report.body);
    assert!(body.contains("**Cut to fit.**"), "the cut is said");
    assert!(!body.contains("## Information"), "information goes first");
    assert!(!body.contains("## Warnings"), "then warnings");
    assert!(
        body.contains("60 findings from information, 60 findings from warnings"),
        "{body}"
    );
    assert!(
        body.contains("## Action needed (60)"),
        "action needed stays whole: {}",
        body.lines()
            .filter(|l| l.starts_with("##") || l.starts_with("> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        body.contains("<!-- adoptbot:dashboard-record "),
        "the record stays"
    );
    gh.finish();
}

#[tokio::test]
async fn faults_on_both_sides_are_retried_and_a_run_that_failed_between_writes_converges() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let arm = AzureSim::start(Estate::contoso()).await;
    let hand = Hand::with(three());
    // ARM: a 429 with Retry-After, a 503, and a token that expires mid-run.
    arm.fail_next(SimApi::CostManagement, ArmFault::Throttle(1), 1);
    arm.fail_next(SimApi::ComputeUsages, ArmFault::Unavailable, 1);
    // The first token lives 200 s: the adapter holds it, azure_identity does not.
    arm.state().next_lifetime = 200;
    arm.expire_token_after(4);
    // GitHub: a 503 on a read, a 429 on the first write of the dashboard, then a 500 on
    // its creation (the observation is written by then).
    gh.fail_next("GET", ISSUES, 1, Fault::Status(503));
    gh.fail_next("POST", ISSUES, 1, Fault::TooManyRequests { retry_after: 0 });
    gh.fail_next("POST", ISSUES, 1, Fault::ServerError);
    let failed = run(&gh, Some(&arm), "2026-12-01", &hand)
        .await
        .expect_err("the dashboard's creation failed");
    assert_eq!(failed.policy(), Policy::RetryLater, "{failed}");
    assert_eq!(observation_commits(&gh), 1, "written before the failure");
    assert!(dashboards(&gh).is_empty());
    let pulls = gh.repo(|r| r.pulls.len());
    assert!(pulls > 0);
    // The next run converges: one dashboard, no second observation, no PR twice.
    let (a, report) = run(&gh, Some(&arm), "2026-12-01", &hand)
        .await
        .expect("retry");
    assert_eq!(a.of(WriteKind::CreateIssue).len(), 1, "{a:?}");
    assert!(a.of(WriteKind::Push).is_empty(), "{a:?}");
    assert_eq!(observation_commits(&gh), 1);
    assert_eq!(gh.repo(|r| r.pulls.len()), pulls);
    assert_eq!(dashboards(&gh).len(), 1);
    let (again, _) = run(&gh, Some(&arm), "2026-12-01", &hand)
        .await
        .expect("replay");
    assert!(again.writes.is_empty(), "{again:?}");
    // The Azure side: the waits it chose, and a second token.
    assert!(
        arm.count(SimApi::Token) >= 2,
        "a new token after the expiry"
    );
    let statuses: Vec<u16> = arm.requests().iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&429) && statuses.contains(&503),
        "{statuses:?}"
    );
    assert!(report.cloud_calls.is_some());
    gh.finish();
    arm.finish();
}

#[tokio::test]
async fn refusals_of_the_dashboards_writes_follow_the_error_policy() {
    let _g = ENV.lock().await;
    for (status, policy) in [
        (403, Policy::Stop),
        (404, Policy::ReportAndSkip),
        (422, Policy::ReportAndSkip),
    ] {
        let gh = GitHubSim::contoso().await;
        let hand = Hand::with(three());
        gh.fail_next("POST", ISSUES, 1, Fault::Status(status));
        let e = run(&gh, None, "2026-12-01", &hand)
            .await
            .expect_err("refused");
        assert_eq!(e.policy(), policy, "{status}: {e}");
        assert!(dashboards(&gh).is_empty());
        // Refused on an update too.
        run(&gh, None, "2026-12-01", &hand).await.expect("created");
        let (n, _, _) = dashboards(&gh)[0].clone();
        hand.set(vec![]);
        gh.fail_next("PATCH", &format!("{ISSUES}/{n}"), 1, Fault::Status(status));
        let e = run(&gh, None, "2026-12-02", &hand)
            .await
            .expect_err("refused");
        assert_eq!(e.policy(), policy, "{status}: {e}");
        gh.finish();
    }
    // A 429 that outlasts the adapter's patience is retried later.
    let gh = GitHubSim::contoso().await;
    gh.fail_next("POST", ISSUES, 6, Fault::TooManyRequests { retry_after: 3 });
    let e = run(&gh, None, "2026-12-01", &Hand::with(three()))
        .await
        .expect_err("rate limited");
    assert_eq!(e.policy(), Policy::RetryLater, "{e}");
    gh.take_failures();
}

#[tokio::test]
async fn a_bad_snapshot_or_an_unexpected_arm_answer_names_its_source_and_writes_nothing() {
    let _g = ENV.lock().await;
    // A snapshot whose resources.json does not parse.
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contoso/cloud");
    copy_dir(&src, dir.path());
    std::fs::write(dir.path().join("resources.json"), "{ \"data\": [ oops").expect("write");
    let gh = GitHubSim::contoso().await;
    let forge = gh.adapter();
    let cloud = SnapshotCloud::open(dir.path()).expect("open");
    let e = dashboard::run_with_rules(
        &forge,
        move |_| Ok(Some(cloud)),
        clock("2026-12-01"),
        &quiet,
        Hand::with(three()).rules(),
    )
    .await
    .expect_err("malformed");
    assert!(e.to_string().contains("resources.json"), "{e}");
    assert_eq!(gh.writes(), 0, "nothing written half-way");
    gh.finish();

    // An ARM answer of the wrong shape.
    let mut estate = Estate::contoso();
    estate.usages.insert(
        (
            "9e4a7c21-3d5b-4f86-a0c9-1b8e2d6f4a37".to_owned(),
            "eastus".to_owned(),
        ),
        serde_json::json!({ "value": [ { "name": "not an object" } ] }),
    );
    let arm = AzureSim::start(estate).await;
    let gh = GitHubSim::contoso().await;
    let e = run(&gh, Some(&arm), "2026-12-01", &Hand::with(three()))
        .await
        .expect_err("malformed");
    assert!(e.to_string().contains("Compute usages"), "{e}");
    assert_eq!(e.policy(), Policy::ReportAndSkip);
    assert_eq!(gh.writes(), 0, "nothing written half-way");
    gh.finish();
    arm.finish();
}

#[tokio::test]
async fn secret_scanning_alerts_reach_the_rules_when_the_token_can_read_them() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let hand = Hand::with(vec![]);
    // Scanning off (404): none.
    run(&gh, None, "2026-12-01", &hand).await.expect("run");
    gh.repo(|r| {
        r.secret_alerts = Some(vec![(7, "openai_api_key".into(), "OpenAI API Key".into())])
    });
    run(&gh, None, "2026-12-02", &hand).await.expect("run");
    // No permission (403): none, and the run goes on.
    gh.fail_next(
        "GET",
        "/repos/octo-org/adoption/secret-scanning/alerts",
        1,
        Fault::Status(403),
    );
    run(&gh, None, "2026-12-03", &hand).await.expect("run");
    let seen = hand.seen_alerts.lock().unwrap().clone();
    assert_eq!(seen[0], None);
    let alerts = seen[1].clone().expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].secret_type, "openai_api_key");
    assert_eq!(alerts[0].number, 7);
    assert_eq!(seen[2], None);
    gh.finish();
}

#[tokio::test]
async fn observations_only_from_bot_commits_and_a_persons_commit_stops_the_bot_writing_there() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let arm = AzureSim::start(Estate::contoso()).await;
    let hand = Hand::with(vec![]);
    run(&gh, Some(&arm), "2026-12-01", &hand)
        .await
        .expect("day 1");
    // A person adds a forged record of an earlier day.
    gh.repo(|r| {
        r.commit(
            OBS,
            "Add history",
            "mallory@contoso.com",
            &[(
                "observations/2026-11-30.json",
                Some("{\"date\":\"2026-11-30\",\"gpu\":[],\"spend_by_experiment\":{},\"spend_by_team\":{},\"sandbox_last_activity\":{}}\n"),
            )],
        );
    });
    let (a, _) = run(&gh, Some(&arm), "2026-12-02", &hand)
        .await
        .expect("day 2");
    assert_eq!(
        hand.seen_history.lock().unwrap().last(),
        Some(&1),
        "only the bot's day 1"
    );
    assert!(a.of(WriteKind::Push).is_empty(), "{a:?}");
    assert!(
        a.notes.iter().any(|n| n.contains("2026-11-30.json")),
        "{:?}",
        a.notes
    );
    let (_, body, _) = dashboards(&gh)[0].clone();
    assert!(
        body.contains("commits that adoptbot did not make"),
        "{body}"
    );
    gh.finish();
    arm.finish();
}

#[tokio::test]
async fn a_scheduled_run_over_a_thousand_experiments_costs_at_most_twenty_reads() {
    let _g = ENV.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    adoptbot::runners::bench::generate(dir.path(), 1000, 20, 10).expect("generate");
    // The sample estate's subscriptions and regions.
    let adoption = dir.path().join("adoption.yaml");
    let mut text = std::fs::read_to_string(&adoption).expect("adoption.yaml");
    text.push_str("azure:\n  tenant_id: 7c3e9a41-52d8-4b6f-9e0a-3f1d2c8b6a75\n  subscriptions: [2b6f1d3e-8a4c-4e7b-b9d2-5c1a7e3f9b08, 9e4a7c21-3d5b-4f86-a0c9-1b8e2d6f4a37]\n  regions: [westeurope, swedencentral, eastus]\n");
    std::fs::write(&adoption, text).expect("write");
    let mut files = Vec::new();
    walk(dir.path(), dir.path(), &mut files);
    let gh = GitHubSim::start().await;
    gh.repo(|r| {
        let changes: Vec<(&str, Option<&str>)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), Some(c.as_str())))
            .collect();
        r.commit(
            "main",
            "Bench adoption repository",
            "p@bench.example",
            &changes,
        );
    });
    let arm = AzureSim::start(Estate::contoso()).await;
    let forge = gh.adapter();
    let hand = Hand::with(three());
    let mut table = Vec::new();
    for (day, what) in [
        ("2026-12-01", "first run: dashboard and observation written"),
        ("2026-12-01", "same day again"),
        (
            "2026-12-02",
            "next day: observation appended, dashboard updated",
        ),
    ] {
        gh.clear_log();
        let cloud = azure_sim::adapter(&arm);
        let mut ctx = adoptbot::runners::handlers::Ctx::new(&forge, clock(day));
        let report = dashboard::scheduled_with_rules(
            &mut ctx,
            move |_| Ok(Some(cloud)),
            &quiet,
            hand.rules(),
        )
        .await
        .expect("run");
        let reads = gh.requests().iter().filter(|r| r.method == "GET").count();
        let writes = gh.writes();
        assert!(reads <= 20, "{what}: {reads} reads");
        assert!(report.cloud_read, "{what}");
        let arm_calls = report.cloud_calls.map(|c| c.total()).unwrap_or(0);
        table.push(format!("| {what} | {reads} | {writes} | {arm_calls} |"));
    }
    println!("| scheduled run over 1,000 experiments | GitHub reads | GitHub writes | ARM calls |");
    println!("|---|---|---|---|");
    for row in table {
        println!("{row}");
    }
    gh.finish();
    arm.finish();
}

fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).expect("read").flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, root, out);
        } else {
            out.push((
                p.strip_prefix(root).unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).expect("text"),
            ));
        }
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for e in std::fs::read_dir(from).expect("read").flatten() {
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy");
        }
    }
}

#[tokio::test]
async fn checkboxes_renew_an_experiment_and_open_a_closed_bot_pr_again_once() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let hand = Hand::with(vec![]);
    let day = "2026-12-12";
    run(&gh, None, day, &hand).await.expect("first");
    let (n, body, _) = dashboards(&gh)[0].clone();
    let renew = Action::Renew("care-call-summarisation".parse().unwrap());
    assert!(body.contains(&hidden_id(&renew)), "{body}");
    // A person closes a bot PR without merging it.
    let (closed, branch) = gh.repo(|r| {
        let p = r
            .pulls
            .values()
            .find(|p| p.open && p.head_ref.starts_with("adoptbot/decommission/"))
            .expect("a decommission PR")
            .clone();
        r.close_pull(p.number);
        (p.number, p.head_ref)
    });
    run(&gh, None, day, &hand).await.expect("offers");
    let (_, body, _) = dashboards(&gh)[0].clone();
    let recreate = Action::Recreate(branch.clone());
    assert!(body.contains(&hidden_id(&recreate)), "{body}");
    assert!(!gh.repo(|r| r.pulls[&closed].open), "closed stays closed");
    // Both ticked.
    let ticked = tick(&tick(&body, &renew), &recreate);
    assert_eq!(
        adoptbot::plan::dashboard::ticked(&ticked).len(),
        2,
        "{ticked}"
    );
    gh.repo(|r| r.edit_issue(n, Some(&ticked), None));
    let (a, _) = run(&gh, None, day, &hand).await.expect("act");
    let opened = a.opened();
    assert!(
        opened
            .iter()
            .any(|b| b.starts_with("adoptbot/renew/care-call-summarisation-")),
        "{a:?}"
    );
    assert_eq!(a.of(WriteKind::ReopenPull).len(), 1, "{a:?}");
    assert!(gh.repo(|r| r.pulls[&closed].open), "opened again");
    let (_, body, _) = dashboards(&gh)[0].clone();
    assert!(!body.contains("[x]"), "{body}");
    // Read again: nothing more.
    let pulls = gh.repo(|r| r.pulls.len());
    let (again, _) = run(&gh, None, day, &hand).await.expect("replay");
    assert!(again.writes.is_empty(), "{again:?}");
    assert_eq!(gh.repo(|r| r.pulls.len()), pulls, "one renewal PR");
    gh.finish();
}

fn hidden_id(a: &Action) -> String {
    format!("<!-- adoptbot-action:{} -->", a.id())
}

#[tokio::test]
async fn the_azure_adapter_pauses_before_the_next_call_when_few_reads_are_left() {
    let _g = ENV.lock().await;
    let arm = AzureSim::start(Estate::contoso()).await;
    let az = azure_sim::adapter(&arm);
    use adoptbot::cloud::Cloud as _;
    let x = "9e4a7c21-3d5b-4f86-a0c9-1b8e2d6f4a37";
    az.usages(x, "eastus").await.expect("plenty left");
    az.usages(x, "westeurope").await.expect("plenty left");
    assert!(az.pauses().is_empty());
    arm.state().reads_remaining = Some(8);
    az.usages(x, "swedencentral").await.expect("8 left");
    assert!(
        az.pauses().is_empty(),
        "the pause comes before the next call"
    );
    az.usages(x, "eastus").await.expect("after a pause");
    assert_eq!(az.pauses(), vec![std::time::Duration::from_secs(3)]);
    arm.state().reads_remaining = None;
    az.usages(x, "westeurope").await.expect("after a pause");
    az.usages(x, "westeurope").await.expect("no pause");
    assert_eq!(az.pauses().len(), 2, "{:?}", az.pauses());
    arm.finish();
}

#[tokio::test]
async fn with_issues_switched_off_the_report_stands_without_a_dashboard_and_says_why() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let arm = AzureSim::start(Estate::contoso()).await;
    gh.repo(|r| r.issues_disabled = true);
    let (a, report) = run(&gh, Some(&arm), "2026-12-01", &Hand::with(three()))
        .await
        .expect("the rest of the report");
    assert_eq!(report.dashboard, None);
    assert!(a.of(WriteKind::CreateIssue).is_empty());
    assert_eq!(observation_commits(&gh), 1);
    assert!(
        a.notes.iter().any(|n| n.contains("turn on Issues")),
        "{:?}",
        a.notes
    );
    gh.finish();
    arm.finish();
}

#[tokio::test]
async fn the_local_forge_keeps_the_dashboard_too() {
    let _g = ENV.lock().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    adoptbot::runners::demo::scratch_repository(tmp.path()).expect("scratch");
    let forge =
        adoptbot::forge::local::LocalForge::open(tmp.path(), "adoptbot[bot]").expect("open");
    let hand = Hand::with(three());
    let estate = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contoso/cloud");
    let go = |day: &'static str| {
        let forge = &forge;
        let hand = hand.clone();
        let estate = estate.clone();
        async move {
            forge.set_clock(clock(day));
            dashboard::run_with_rules(
                forge,
                move |_| SnapshotCloud::open(estate).map(Some),
                clock(day),
                &quiet,
                hand.rules(),
            )
            .await
            .expect("run")
        }
    };
    let (a, report) = go("2026-12-01").await;
    assert_eq!(a.of(WriteKind::CreateIssue).len(), 1, "{a:?}");
    let n = report.dashboard.expect("a dashboard");
    let (again, _) = go("2026-12-01").await;
    assert!(again.writes.is_empty(), "{again:?}");
    // A person snoozes a finding, then closes the dashboard.
    let body = forge.issues().expect("issues")[0].body.clone();
    let idle = Action::Snooze("idle/ds-forecast-sandbox".into());
    forge
        .edit_issue_as(n, Some(&tick(&body, &idle)), None)
        .expect("tick");
    go("2026-12-02").await;
    let body = forge.issues().expect("issues")[0].body.clone();
    assert!(body.contains("## Snoozed (1)"), "{body}");
    forge.edit_issue_as(n, None, Some(true)).expect("close");
    let (a, _) = go("2026-12-03").await;
    assert!(a.writes.iter().all(|w| w.key != "dashboard"), "{a:?}");
    assert!(forge.issues().expect("issues")[0].closed);
}

#[tokio::test]
async fn the_reports_pull_requests_go_through_the_pull_machinery_once() {
    let _g = ENV.lock().await;
    let gh = GitHubSim::contoso().await;
    let hand = Hand::with(vec![]);
    let go = |day: &'static str| {
        let forge = gh.adapter();
        let rules = with_rerender(&hand);
        async move {
            dashboard::run_with_rules(
                &forge,
                |_| Ok(None::<dashboard::NoCloud>),
                clock(day),
                &quiet,
                rules,
            )
            .await
            .expect("run")
        }
    };
    let branch = "adoptbot/rerender/ds-churn-automl";
    let (a, _) = go("2026-12-01").await;
    assert!(a.opened().contains(&branch), "{a:?}");
    let (again, _) = go("2026-12-01").await;
    assert!(again.writes.is_empty(), "{again:?}");
    // Closed by a person: it stays closed, and the dashboard offers it again.
    let n = gh.repo(|r| {
        let n = r
            .pulls
            .values()
            .find(|p| p.head_ref == branch)
            .expect("the PR")
            .number;
        r.close_pull(n);
        n
    });
    let (a, _) = go("2026-12-02").await;
    assert!(a.of(WriteKind::ReopenPull).is_empty(), "{a:?}");
    let (_, body, _) = dashboards(&gh)[0].clone();
    assert!(
        body.contains(&hidden_id(&Action::Recreate(branch.into()))),
        "{body}"
    );
    assert!(!gh.repo(|r| r.pulls[&n].open));
    gh.finish();
}

/// The hand-made rules with one PR more: a re-render of `ds-churn-automl`.
fn with_rerender(
    hand: &Hand,
) -> impl Fn(&Branch<'_>, &CloudSignals, &[Observation]) -> Scheduled + use<> {
    use adoptbot::model::forge::FileChange;
    use adoptbot::plan::branch::{BotBranch, PullKind};
    use adoptbot::plan::reconcile::DesiredPull;
    let base = hand.rules();
    move |b, s, h| {
        let mut out = base(b, s, h);
        out.pulls.push(DesiredPull {
            bot: BotBranch::pull(PullKind::Rerender, "ds-churn-automl".parse().unwrap()),
            reason: "a hand-made finding".into(),
            base_branch: b.name.to_owned(),
            base_sha: b.sha.clone(),
            title: "Re-render experiment ds-churn-automl".into(),
            body: "Hand-made.".into(),
            files: vec![FileChange {
                path: "infra/experiments/ds-churn-automl/NOTE.md".into(),
                content: Some("note\n".into()),
            }],
        });
        out
    }
}
