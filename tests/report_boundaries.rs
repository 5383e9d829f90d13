//! The cloud rules at their boundaries, end to end: the real scheduled report
//! (`dashboard::run` with the real rules), the GitHub adapter against the GitHub simulator
//! and the Azure adapter against the ARM simulator, on the sample estate changed only as
//! each boundary needs.
//!
//! `IDENTITY_ENDPOINT` is process-global, so every test here takes [`ENV`] first.

mod azure_sim;
mod github_sim;

use adoptbot::cloud::Api;
use adoptbot::forge::Forge;
use adoptbot::model::Clock;
use adoptbot::model::finding::{GpuSample, Observation, Urgency};
use adoptbot::model::forge::FileChange;
use adoptbot::plan::dashboard::MARKER;
use adoptbot::plan::dashboard::{observation_file, observation_message, observation_path};
use adoptbot::runners::handlers::dashboard::{self, Report};
use adoptbot::runners::outcome::Applied;
use azure_sim::{AzureSim, Estate};
use github_sim::GitHubSim;

static ENV: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn quiet(_: Api, _: &str) {}

fn clock(d: &str) -> Clock {
    Clock::at(d.parse().expect("date"))
}

/// One real scheduled run on `day`.
async fn run(gh: &GitHubSim, arm: &AzureSim, day: &str) -> (Applied, Report) {
    let forge = gh.adapter();
    let cloud = azure_sim::adapter(arm);
    dashboard::run(&forge, move |_| Ok(Some(cloud)), clock(day), &quiet)
        .await
        .expect("the scheduled run")
}

fn keys(r: &Report) -> Vec<String> {
    r.scheduled.findings.iter().map(|f| f.key.clone()).collect()
}

const OBS: &str = "adoptbot/observations";
const SANDBOX: &str = "experiments/ds-forecast-sandbox.yaml";
const FRAUD: &str = "teams/fraud-analytics.yaml";

/// What one side of a boundary gave: the findings, the dashboard body as it reached
/// GitHub, and the pull requests the run opened.
struct Side {
    report: Report,
    body: String,
    opened: Vec<String>,
}

impl Side {
    fn with_prefix(&self, prefix: &str) -> Vec<String> {
        keys(&self.report)
            .into_iter()
            .filter(|k| k.starts_with(prefix))
            .collect()
    }

    fn opened(&self, branch: &str) -> bool {
        self.opened.iter().any(|b| b == branch)
    }
}

/// The sample estate with the cost of every `tag` row for `value` set to `cost` (the
/// first such row; any other is zeroed, so that `cost` is the total).
fn with_cost(tag: &str, value: &str, cost: f64) -> Estate {
    let mut e = Estate::contoso();
    let mut set = false;
    let mut answers: Vec<_> = e.cost.iter_mut().filter(|((_, t), _)| t == tag).collect();
    answers.sort_by(|a, b| a.0.cmp(b.0));
    for (_, answer) in answers {
        for row in answer["properties"]["rows"]
            .as_array_mut()
            .expect("cost rows")
        {
            if row[2].as_str() == Some(value) {
                row[0] = serde_json::json!(if set { 0.0 } else { cost });
                set = true;
            }
        }
    }
    assert!(set, "no {tag} row for {value} in the sample estate");
    e
}

/// A person's commit on main.
fn person_commits(gh: &GitHubSim, path: &str, edit: impl FnOnce(String) -> String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contoso");
    let text = std::fs::read_to_string(root.join(path)).expect("sample file");
    let changed = edit(text.clone());
    assert_ne!(changed, text, "the edit of {path} changed nothing");
    gh.repo(|r| {
        r.commit(
            "main",
            &format!("Edit {path}"),
            "grace.mensah@contoso.com",
            &[(path, Some(changed.as_str()))],
        );
    });
}

/// The sandbox renewed (time box 4w plus 2w, to 2026-12-27), so that idleness alone
/// decides on each side of 14 and 30 days.
fn renew_sandbox(gh: &GitHubSim) {
    person_commits(gh, SANDBOX, |t| {
        t.replace(
            "time_box: 2w\n",
            "time_box: 4w\nrenewals:\n  - { duration: 2w, reason: Holiday backtests }\n",
        )
    });
}

/// Writes one observation a day to `adoptbot/observations` as the bot's scheduled runs
/// do: a bot commit through the adapter, with the bot's message and path.
async fn bot_observations(gh: &GitHubSim, days: &[Observation]) {
    let forge = gh.adapter();
    let (_, mut parent) = forge.default_branch().await.expect("default branch");
    for o in days {
        let day = o.date.expect("dated");
        let text = observation_file(o);
        let files = [FileChange {
            path: observation_path(day),
            content: Some(text.clone()),
        }];
        parent = forge
            .commit_to_branch(OBS, &parent, &observation_message(day, &text), &files)
            .await
            .expect("an observation commit");
    }
}

/// One side of a boundary: both simulators fresh, `setup` on GitHub, one real run on
/// `day`, and both simulators finished (no unexpected request).
async fn side(estate: Estate, day: &str, setup: impl AsyncFnOnce(&GitHubSim)) -> Side {
    let gh = GitHubSim::contoso().await;
    let arm = AzureSim::start(estate).await;
    setup(&gh).await;
    let (applied, report) = run(&gh, &arm, day).await;
    let opened: Vec<String> = applied.opened().into_iter().map(String::from).collect();
    let open_on_github: Vec<String> = gh.repo(|r| {
        r.pulls
            .values()
            .filter(|p| p.open && p.author == "adoptbot[bot]")
            .map(|p| p.head_ref.clone())
            .collect()
    });
    for b in &opened {
        assert!(
            open_on_github.contains(b),
            "{b} was opened but is not open on GitHub: {open_on_github:?}"
        );
    }
    let body = gh.repo(|r| {
        r.issue_data
            .values()
            .find(|i| i.author == "adoptbot[bot]" && i.body.starts_with(MARKER))
            .map(|i| i.body.clone())
            .expect("the dashboard on GitHub")
    });
    assert_eq!(
        body, report.body,
        "the dashboard on GitHub is the one wanted"
    );
    gh.finish();
    arm.finish();
    Side {
        report,
        body,
        opened,
    }
}

async fn nothing(_: &GitHubSim) {}

fn listed(body: &str, key: &str) -> bool {
    body.contains(&format!("`{key}`"))
}

const EXP: &str = "care-call-summarisation";
const EXP_TAG: &str = "exp-care-call-summarisation";
const EXP_DECOMMISSION: &str = "adoptbot/decommission/care-call-summarisation";

/// `care-call-summarisation` (cap 3500 USD) with its cost tag at `cost`, on 2026-12-01.
async fn spend_side(cost: f64) -> Side {
    side(with_cost("cost-tag", EXP_TAG, cost), "2026-12-01", nothing).await
}

#[tokio::test]
async fn an_experiment_at_50_percent_of_its_cap_is_reported_and_just_below_it_is_not() {
    let _g = ENV.lock().await;
    for cost in [1715.0, 1749.99] {
        // 49%, and a cent below 50%.
        let below = spend_side(cost).await;
        assert!(
            below.with_prefix(&format!("spend/{EXP}/")).is_empty(),
            "at {cost} USD: {:?}",
            keys(&below.report)
        );
        assert!(
            !below.body.contains(&format!("spend/{EXP}/")),
            "at {cost} USD: {}",
            below.body
        );
    }
    let at = spend_side(1750.0).await;
    let key = format!("spend/{EXP}/50");
    assert_eq!(at.with_prefix(&format!("spend/{EXP}/")), vec![key.clone()]);
    let f = at
        .report
        .scheduled
        .findings
        .iter()
        .find(|f| f.key == key)
        .unwrap();
    assert_eq!(f.urgency, Urgency::Information);
    assert!(listed(&at.body, &key), "{}", at.body);
    assert!(!at.opened(EXP_DECOMMISSION), "{:?}", at.opened);
}

#[tokio::test]
async fn at_75_and_90_percent_the_key_carries_the_highest_threshold_reached() {
    let _g = ENV.lock().await;
    for (cost, want, urgency) in [
        (2624.99, 50, Urgency::Information),
        (2625.0, 75, Urgency::Information),
        (3149.99, 75, Urgency::Information),
        (3150.0, 90, Urgency::Warning),
    ] {
        let s = spend_side(cost).await;
        let key = format!("spend/{EXP}/{want}");
        assert_eq!(
            s.with_prefix(&format!("spend/{EXP}/")),
            vec![key.clone()],
            "at {cost} USD"
        );
        let f = s
            .report
            .scheduled
            .findings
            .iter()
            .find(|f| f.key == key)
            .unwrap();
        assert_eq!(f.urgency, urgency, "at {cost} USD");
        assert!(listed(&s.body, &key), "at {cost} USD: {}", s.body);
        assert!(!s.opened(EXP_DECOMMISSION), "at {cost} USD: {:?}", s.opened);
    }
}

#[tokio::test]
async fn at_100_percent_of_its_cap_an_urgent_decommission_pr_is_opened_and_not_a_cent_before() {
    let _g = ENV.lock().await;
    let below = spend_side(3499.99).await;
    assert_eq!(
        below.with_prefix(&format!("spend/{EXP}/")),
        vec![format!("spend/{EXP}/90")]
    );
    assert!(!below.opened(EXP_DECOMMISSION), "{:?}", below.opened);
    let at = spend_side(3500.0).await;
    let key = format!("spend/{EXP}/100");
    assert_eq!(at.with_prefix(&format!("spend/{EXP}/")), vec![key.clone()]);
    let f = at
        .report
        .scheduled
        .findings
        .iter()
        .find(|f| f.key == key)
        .unwrap();
    assert_eq!(f.urgency, Urgency::ActionNeeded);
    assert!(listed(&at.body, &key), "{}", at.body);
    assert!(at.opened(EXP_DECOMMISSION), "{:?}", at.opened);
    let pull = at
        .report
        .scheduled
        .pulls
        .iter()
        .find(|p| p.branch() == EXP_DECOMMISSION)
        .expect("the decommission PR wanted");
    assert!(pull.title.contains("budget exhausted"), "{}", pull.title);
}

#[tokio::test]
async fn a_team_at_90_percent_of_its_monthly_budget_is_warned_and_a_cent_below_is_at_75() {
    let _g = ENV.lock().await;
    // search's monthly budget is 18,000 USD: 90% is 16,200.
    let below = side(with_cost("team", "search", 16199.99), "2026-12-01", nothing).await;
    assert_eq!(
        below.with_prefix("team-budget/search/"),
        vec!["team-budget/search/2026-12/75".to_string()]
    );
    let at = side(with_cost("team", "search", 16200.0), "2026-12-01", nothing).await;
    let key = "team-budget/search/2026-12/90";
    assert_eq!(at.with_prefix("team-budget/search/"), vec![key.to_string()]);
    let f = at
        .report
        .scheduled
        .findings
        .iter()
        .find(|f| f.key == key)
        .unwrap();
    assert_eq!(f.urgency, Urgency::Warning);
    assert!(listed(&at.body, key), "{}", at.body);
    assert!(!listed(&below.body, key), "{}", below.body);
}

const IDLE: &str = "idle-sandbox/ds-forecast-sandbox/2026-11-16";
const IDLE_DECOMMISSION: &str = "adoptbot/decommission/ds-forecast-sandbox";

async fn renewed(gh: &GitHubSim) {
    renew_sandbox(gh);
}

#[tokio::test]
async fn a_sandbox_idle_14_days_is_flagged_and_13_days_is_not() {
    let _g = ENV.lock().await;
    // The last write by a person in its resource group: 2026-11-16.
    let d13 = side(Estate::contoso(), "2026-11-29", renewed).await;
    assert!(
        d13.with_prefix("idle-sandbox/").is_empty(),
        "{:?}",
        keys(&d13.report)
    );
    assert!(!d13.body.contains("idle-sandbox/"), "{}", d13.body);
    let d14 = side(Estate::contoso(), "2026-11-30", renewed).await;
    assert_eq!(d14.with_prefix("idle-sandbox/"), vec![IDLE.to_string()]);
    assert!(listed(&d14.body, IDLE), "{}", d14.body);
    assert!(!d14.opened(IDLE_DECOMMISSION), "{:?}", d14.opened);
}

#[tokio::test]
async fn a_sandbox_idle_30_days_gets_a_decommission_pr_and_29_days_does_not() {
    let _g = ENV.lock().await;
    let d29 = side(Estate::contoso(), "2026-12-15", renewed).await;
    assert_eq!(d29.with_prefix("idle-sandbox/"), vec![IDLE.to_string()]);
    assert!(!d29.opened(IDLE_DECOMMISSION), "{:?}", d29.opened);
    let d30 = side(Estate::contoso(), "2026-12-16", renewed).await;
    let key = format!("{IDLE}/decommission");
    assert_eq!(d30.with_prefix("idle-sandbox/"), vec![key.clone()]);
    assert!(listed(&d30.body, &key), "{}", d30.body);
    assert!(d30.opened(IDLE_DECOMMISSION), "{:?}", d30.opened);
}

#[tokio::test]
async fn a_later_write_by_a_person_resets_the_idle_count() {
    let _g = ENV.lock().await;
    // The same 14th day, but a person started the VM again on 2026-11-17.
    let mut estate = Estate::contoso();
    let event = estate
        .events
        .iter_mut()
        .find(|e| e["eventTimestamp"] == "2026-11-16T09:40:27.0000000Z")
        .expect("the last write by a person");
    event["eventTimestamp"] = serde_json::json!("2026-11-17T09:40:27.0000000Z");
    let s = side(estate, "2026-11-30", renewed).await;
    assert!(
        s.with_prefix("idle-sandbox/").is_empty(),
        "{:?}",
        keys(&s.report)
    );
}

const T4: &str = "standardNCASv3_T4Family";
const A100: &str = "standardNCADSA100v4Family";
const HOARDING: &str = "gpu-hoarding/fraud-analytics/standardNCASv3_T4Family/eastus";
const RECLAIM: &str = "adoptbot/reclaim/fraud-analytics";

fn sample(family: &str, vcpus: u32) -> GpuSample {
    GpuSample {
        team: "fraud-analytics".into(),
        family: family.into(),
        region: "eastus".into(),
        vcpus,
    }
}

/// fraud-analytics' T4 quota in eastus raised to 1,000 vCPUs by a person (so that 19.9% is
/// a whole number of vCPUs), and the sample's November observations (2026-11-02 to 11-30)
/// written by the bot, with fraud-analytics' T4 use in eastus at 4 vCPUs a day (what runs
/// in the sample estate today) but `peak` on 2026-11-20, and its 48 A100 vCPUs used at 10
/// (20.8%) once, so that only the T4 allocation is judged.
async fn gpu_history(gh: &GitHubSim, peak: u32) {
    person_commits(gh, FRAUD, |t| {
        t.replacen(
            "region: eastus\n    vcpus: 64\n",
            "region: eastus\n    vcpus: 1000\n",
            1,
        )
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/contoso/cloud/observations");
    let first: chrono::NaiveDate = "2026-11-02".parse().unwrap();
    let days: Vec<Observation> = (0..29)
        .map(|n| {
            let date = first + chrono::Days::new(n);
            let text = std::fs::read_to_string(dir.join(format!("{date}.json")))
                .expect("a sample observation");
            let mut o: Observation = serde_json::from_str(&text).expect("observation json");
            assert_eq!(o.date, Some(date));
            o.gpu.retain(|g| {
                !(g.team == "fraud-analytics"
                    && g.region == "eastus"
                    && [T4, A100].contains(&g.family.as_str()))
            });
            let t4 = if date.to_string() == "2026-11-20" {
                peak
            } else {
                4
            };
            o.gpu.push(sample(T4, t4));
            if date.to_string() == "2026-11-10" {
                o.gpu.push(sample(A100, 10));
            }
            o
        })
        .collect();
    bot_observations(gh, &days).await;
}

#[tokio::test]
async fn gpu_quota_used_below_20_percent_for_30_days_gets_a_reclaim_pr_and_at_20_it_does_not() {
    let _g = ENV.lock().await;
    // 199 of 1,000 vCPUs at the peak: 19.9%, below on every one of the 30 days.
    let below = side(Estate::contoso(), "2026-12-01", async |gh: &GitHubSim| {
        gpu_history(gh, 199).await
    })
    .await;
    assert_eq!(
        below.with_prefix("gpu-hoarding/fraud-analytics/"),
        vec![HOARDING.to_string()],
        "{:?}",
        keys(&below.report)
    );
    assert!(
        below.with_prefix("gpu-history/fraud-analytics").is_empty(),
        "the 30 days are all there: {:?}",
        keys(&below.report)
    );
    let f = below
        .report
        .scheduled
        .findings
        .iter()
        .find(|f| f.key == HOARDING)
        .unwrap();
    assert_eq!(f.urgency, Urgency::ActionNeeded);
    assert!(listed(&below.body, HOARDING), "{}", below.body);
    assert!(below.opened(RECLAIM), "{:?}", below.opened);
    // Cut to the peak rounded up to whole 4-vCPU T4 VMs.
    let pull = below
        .report
        .scheduled
        .pulls
        .iter()
        .find(|p| p.branch() == RECLAIM)
        .expect("the reclaim PR wanted");
    let team = pull
        .files
        .iter()
        .find(|f| f.path == FRAUD)
        .and_then(|f| f.content.clone())
        .expect("the team file in the reclaim PR");
    assert!(team.contains("vcpus: 200"), "{team}");
    // 200 of 1,000 on one day: 20%, not below, so the allocation is kept.
    let at = side(Estate::contoso(), "2026-12-01", async |gh: &GitHubSim| {
        gpu_history(gh, 200).await
    })
    .await;
    assert!(
        at.with_prefix("gpu-hoarding/fraud-analytics/").is_empty(),
        "{:?}",
        keys(&at.report)
    );
    assert!(
        at.with_prefix("gpu-history/fraud-analytics").is_empty(),
        "{:?}",
        keys(&at.report)
    );
    assert!(!listed(&at.body, HOARDING), "{}", at.body);
    assert!(!at.opened(RECLAIM), "{:?}", at.opened);
}
