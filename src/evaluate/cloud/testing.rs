//! Small repositories and cloud rows for the rules' unit tests.

use super::Input;
use crate::Analysis;
use crate::load::Snapshot;
use crate::model::cloud::{ResourceRow, Spend};
use crate::model::finding::{CloudSignals, Finding, Observation};
use crate::render::{Catalogue, RenderSettings};
use chrono::NaiveDate;
use serde_json::{Value, json};

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a test date")
}

pub const SUB: &str = "00000000-0000-0000-0000-000000000001";

/// adoption.yaml in `phase`, a team `search` (lead alice, budget 10000 USD, `quota` lines
/// under `gpu_quota:`), and the experiments given as (id, blueprint, started_on).
pub fn repo(
    phase: &str,
    quota: &str,
    experiments: &[(&str, &str, Option<&str>)],
) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "adoption.yaml".to_string(),
            format!(
                "organisation: Test\nphase: {phase}\nphase_entered_on: 2026-01-05\nroles:\n  infrastructure-lead: {{ users: [alice] }}\n  security-lead: {{ users: [carol] }}\n  platform-team-lead: {{ users: [paula] }}\n  business-sponsor: {{ users: [bob] }}\n  management-sponsor: {{ users: [bob] }}\n  compliance: {{ users: [bob] }}\nazure:\n  tenant_id: 00000000-0000-0000-0000-00000000000a\n  subscriptions: [{SUB}]\n  regions: [eastus]\n  deployment_identities: [deployer-oid]\n"
            ),
        ),
        (
            "teams/search.yaml".to_string(),
            if quota.is_empty() {
                "name: Search\ngithub_team: test/search\nleads: [alice]\nmembers: [dave]\nmonthly_budget: 10000 USD\n".to_string()
            } else {
                format!(
                    "name: Search\ngithub_team: test/search\nleads: [alice]\nmembers: [dave]\nmonthly_budget: 10000 USD\ngpu_quota:\n{quota}"
                )
            },
        ),
    ];
    for (id, blueprint, start) in experiments {
        let started = start
            .map(|s| format!("started_on: {s}\nstatus: active\n"))
            .unwrap_or_default();
        let params = match *blueprint {
            "gpu-training-cluster" => {
                "parameters:\n  location: eastus\n  vm_sku: Standard_NC4as_T4_v3\n  instance_count: 1\n  ssh_public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHNmvpVKiZ/dRSzaYjXxB9fGKwkn0EiQhO9PadfxLBu5 dave@test\n"
            }
            "experiment-sandbox" => {
                "parameters:\n  location: eastus\n  monthly_budget_usd: 1000\n  budget_contact_email: dave@test.example\n"
            }
            _ => "",
        };
        files.push((
            format!("experiments/{id}.yaml"),
            format!("title: Experiment {id}\nteam: search\nowner: dave\nhypothesis: It works.\nsuccess_criteria:\n  - {{ metric: accuracy, comparator: \">=\", target: 0.9 }}\nnext_step: Pilot.\ntime_box: 4w\ncost_cap: 1000 USD\ncost_tag: exp-{id}\nblueprint: {blueprint}\n{params}{started}"),
        ));
    }
    files
}

pub fn snapshot(files: &[(String, String)]) -> Snapshot {
    let mut s = Snapshot::default();
    for (path, text) in files {
        let bytes = text.as_bytes().to_vec();
        s.add(path.clone(), bytes.len() as u64, || Ok(bytes));
    }
    s
}

pub fn analyse(files: &[(String, String)], today: NaiveDate) -> Analysis {
    crate::analyse(&snapshot(files), today).expect("the test repository analyses")
}

pub fn catalogue() -> Catalogue {
    Catalogue::builtin().expect("the built-in catalogue")
}

/// Runs every rule.
pub fn run(
    analysis: &Analysis,
    signals: &CloudSignals,
    history: &[Observation],
    today: NaiveDate,
) -> super::Outcome {
    let c = catalogue();
    let settings: RenderSettings = c.settings().clone();
    let input = Input {
        analysis,
        skus: c.skus(),
        settings: &settings,
        signals,
        history,
        today,
    };
    super::run(&input)
}

pub fn keys(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.key.as_str()).collect()
}

/// A Resource Graph row in resource group `rg`.
pub fn row(rg: &str, rtype: &str, name: &str, tags: Value, properties: Value) -> ResourceRow {
    ResourceRow {
        id: format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/{rtype}/{name}"),
        name: name.into(),
        kind_type: rtype.to_ascii_lowercase(),
        kind: None,
        location: Some("eastus".into()),
        resource_group: Some(rg.into()),
        subscription_id: Some(SUB.into()),
        tags,
        sku: Value::Null,
        properties,
        identity: Value::Null,
    }
}

/// The tags the IaC of experiment `id` (team search, owner dave) declares.
pub fn bot_tags(id: &str, expiry: &str) -> Value {
    json!({"managed-by": "adoptbot", "experiment": id, "team": "search", "cost-tag": format!("exp-{id}"), "expiry": expiry, "owner": "dave"})
}

/// A resource group row.
pub fn group(rg: &str, tags: Value) -> ResourceRow {
    ResourceRow {
        id: format!("/subscriptions/{SUB}/resourceGroups/{rg}"),
        name: rg.into(),
        kind_type: crate::model::cloud::RESOURCE_GROUP_TYPE.into(),
        kind: None,
        location: Some("eastus".into()),
        resource_group: Some(rg.into()),
        subscription_id: Some(SUB.into()),
        tags,
        sku: Value::Null,
        properties: Value::Null,
        identity: Value::Null,
    }
}

/// Spend by `tag` over a period: (value, cost) rows in USD.
pub fn spend(tag: &str, from: &str, to: &str, rows: &[(&str, f64)]) -> Spend {
    let period = crate::model::cloud::Period {
        from: d(from),
        to: d(to),
    };
    Spend {
        subscription_id: SUB.into(),
        tag: tag.into(),
        period,
        rows: rows
            .iter()
            .map(|(v, c)| crate::model::cloud::CostRow {
                subscription_id: SUB.into(),
                tag: tag.into(),
                value: (*v).into(),
                cost: *c,
                currency: "USD".into(),
                period,
            })
            .collect(),
    }
}

pub fn identity() -> Option<crate::model::cloud::Identity> {
    Some(crate::model::cloud::Identity {
        oid: "bot-oid".into(),
        tenant_id: None,
    })
}
