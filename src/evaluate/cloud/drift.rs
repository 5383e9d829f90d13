//! Cloud drift: what Azure runs against what the repository declares. Four kinds:
//! - orphans: resources tagged `managed-by: adoptbot` whose experiment is expired, closed or
//!   unknown, still deployed;
//! - missing: an active experiment that started before today with nothing deployed;
//! - tag drift: a bot-managed resource whose required tags (`experiment`, `team`,
//!   `cost-tag`, `expiry`, `owner`) differ from what its IaC declares (the render context);
//! - baseline drift: a bot-managed resource with public network access or local (key) auth
//!   turned back on.
//!
//! One pass over the inventory, experiments looked up by id: linear in the resources.

use super::{Input, Outcome, file, finding, resource};
use crate::evaluate::{ExperimentState, Lifecycle};
use crate::model::cloud::ResourceRow;
use crate::model::finding::{FindingKind, Urgency};
use std::collections::{BTreeMap, BTreeSet};

/// The drift of one inventory against the repository.
#[derive(Debug, Default)]
pub struct Drift<'a> {
    /// Experiment tag (as written) -> its bot-managed rows, for experiments that should not run.
    pub orphans: BTreeMap<String, Vec<&'a ResourceRow>>,
    /// Running experiments with nothing deployed.
    pub missing: Vec<&'a ExperimentState>,
    /// Experiment id -> (row, tag, found, declared).
    pub tags: BTreeMap<String, Vec<(&'a ResourceRow, &'static str, String, String)>>,
    /// (row, what was re-enabled).
    pub baseline: Vec<(&'a ResourceRow, &'static str)>,
}

/// Why a bot-managed row of experiment `e` should not be deployed, if it should not.
fn orphan_reason(e: Option<&ExperimentState>, today: chrono::NaiveDate) -> Option<String> {
    let Some(e) = e else {
        return Some("its experiment is not in the repository".into());
    };
    match e.lifecycle {
        Lifecycle::Closed => Some(format!("experiment `{}` is {}", e.id, e.status.word())),
        Lifecycle::Expired => Some(format!(
            "the time box of `{}` ended on {}",
            e.id,
            e.expires_on.unwrap_or(today)
        )),
        Lifecycle::Requested => Some(format!("experiment `{}` is not provisioned yet", e.id)),
        Lifecycle::Active | Lifecycle::EndingSoon => None,
    }
}

/// The drift of the inventory, in one pass.
pub fn compare<'a>(input: &Input<'a>) -> Drift<'a> {
    let mut d = Drift::default();
    let inv = &input.signals.inventory;
    let mut deployed: BTreeSet<String> = BTreeSet::new();
    let mut declared: BTreeMap<String, [String; 5]> = BTreeMap::new();
    let rows = inv.resources.iter().chain(inv.resource_groups());
    for r in rows {
        if !super::bot_managed(r) {
            continue;
        }
        let tag = r.tag("experiment").unwrap_or_default();
        let e = input.experiment(tag);
        if let Some(e) = e {
            deployed.insert(e.id.to_string());
        }
        if orphan_reason(e, input.today).is_some() {
            d.orphans.entry(tag.to_string()).or_default().push(r);
            continue;
        }
        let Some(e) = e else { continue };
        let want = declared
            .entry(e.id.to_string())
            .or_insert_with(|| declared_tags(input, e));
        for (i, name) in super::REQUIRED_TAGS.iter().enumerate() {
            let found = r.tag(name).unwrap_or_default();
            if found != want[i] {
                d.tags.entry(e.id.to_string()).or_default().push((
                    r,
                    name,
                    found.to_string(),
                    want[i].clone(),
                ));
            }
        }
        let p = &r.properties;
        if p.get("publicNetworkAccess")
            .and_then(|v| v.as_str())
            .is_some_and(|v| v.eq_ignore_ascii_case("enabled"))
        {
            d.baseline.push((r, "public network access is enabled"));
        }
        if p.get("disableLocalAuth").and_then(|v| v.as_bool()) == Some(false) {
            d.baseline
                .push((r, "local (key) authentication is enabled"));
        }
    }
    if input.has_cloud() && !(inv.resources.is_empty() && inv.containers.is_empty()) {
        for e in input.experiments() {
            if matches!(e.lifecycle, Lifecycle::Active | Lifecycle::EndingSoon)
                && super::is_running(e)
                && e.started_on.is_some_and(|s| s < input.today)
                && !deployed.contains(e.id.as_str())
            {
                d.missing.push(e);
            }
        }
    }
    d
}

/// The required tags the IaC of `e` declares, in [`super::REQUIRED_TAGS`] order.
fn declared_tags(input: &Input, e: &ExperimentState) -> [String; 5] {
    let ctx = input
        .repo()
        .experiments
        .get(&e.id)
        .map(|doc| crate::render::context(&e.id, doc, input.today, input.settings));
    match ctx {
        Some(c) => [
            c.id,
            c.team,
            c.cost_tag,
            c.expiry.format("%Y-%m-%d").to_string(),
            c.owner,
        ],
        None => Default::default(),
    }
}

fn owners_of(input: &Input, e: Option<&ExperimentState>, rows: &[&ResourceRow]) -> Vec<String> {
    if let Some(e) = e {
        return vec![e.owner.to_string()];
    }
    let mut out = Vec::new();
    for r in rows {
        if let Some(t) = r.tag("team") {
            for l in input.team_leads(t) {
                super::push_once(&mut out, l);
            }
        }
    }
    if out.is_empty() {
        out = input.role_users(&["platform-team-lead", "infrastructure-lead"]);
    }
    out
}

fn names(rows: &[&ResourceRow]) -> String {
    rows.iter()
        .map(|r| format!("`{}` ({})", r.name, short_type(r.resource_type())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `virtualMachines` of `Microsoft.Compute/virtualMachines`.
pub fn short_type(t: &str) -> &str {
    t.rsplit('/').next().unwrap_or(t)
}

pub fn rule(input: &Input, out: &mut Outcome) {
    let d = compare(input);
    for (tag, rows) in &d.orphans {
        let e = input.experiment(tag);
        let why = orphan_reason(e, input.today).unwrap_or_default();
        let subject = if tag.is_empty() {
            "(no experiment tag)"
        } else {
            tag
        };
        let mut links: Vec<_> = rows.iter().map(|r| resource(&r.id)).collect();
        if let Some(e) = e {
            links.insert(0, file(&e.path));
            if super::decommissioned_by_default_branch(e) {
                links.push(super::branch(super::decommission_branch(&e.id)));
            }
        }
        out.findings.push(finding(
            format!("orphan/{subject}"),
            FindingKind::Orphan,
            Urgency::ActionNeeded,
            format!("Orphaned resources of `{subject}`: {} still deployed", rows.len()),
            format!(
                "{} tagged `managed-by: adoptbot` for `{subject}` still run, but {why}. Tear them down through the experiment's IaC (its decommission PR), or record the experiment again.",
                names(rows)
            ),
            owners_of(input, e, rows),
            links,
        ));
    }
    for e in &d.missing {
        out.findings.push(finding(
            format!("missing/{}", e.id),
            FindingKind::Missing,
            Urgency::Warning,
            format!("Nothing deployed for `{}`", e.id),
            format!(
                "Experiment `{}` is active since {} but no resource carries `experiment: {}` and `managed-by: adoptbot` in the subscriptions read. Run the infrastructure pipeline for `infra/experiments/{}/`, or record why it has not started.",
                e.id,
                e.started_on.map(|d| d.to_string()).unwrap_or_default(),
                e.id,
                e.id
            ),
            vec![e.owner.to_string()],
            vec![file(&e.path), file(format!("infra/experiments/{}/", e.id))],
        ));
    }
    for (id, drifted) in &d.tags {
        let e = input.experiment(id);
        let lines: Vec<String> = drifted
            .iter()
            .map(|(r, tag, found, want)| {
                let found = if found.is_empty() {
                    "absent".to_string()
                } else {
                    format!("`{found}`")
                };
                format!(
                    "`{}`: `{tag}` is {found}, the IaC declares `{want}`",
                    r.name
                )
            })
            .collect();
        let mut links = vec![];
        if let Some(e) = e {
            links.push(file(&e.path));
        }
        links.extend(drifted.iter().map(|(r, ..)| resource(&r.id)));
        links.dedup();
        out.findings.push(finding(
            format!("tag-drift/{id}"),
            FindingKind::TagDrift,
            Urgency::Warning,
            format!("Tags of `{id}` drifted from its IaC"),
            format!(
                "{}. Cost attribution, expiry and ownership read these tags: redeploy `infra/experiments/{id}/` to restore them.",
                lines.join("; ")
            ),
            e.map(|e| vec![e.owner.to_string()]).unwrap_or_default(),
            links,
        ));
    }
    for (r, what) in &d.baseline {
        let e = super::known_experiment(input, r);
        out.findings.push(finding(
            format!(
                "baseline-drift/{}/{}",
                r.id.trim_end_matches('/').to_ascii_lowercase(),
                if what.starts_with("public") { "public-network" } else { "local-auth" }
            ),
            FindingKind::BaselineDrift,
            Urgency::ActionNeeded,
            format!("Security baseline drift on `{}`", r.name),
            format!(
                "On `{}` ({}, experiment `{}`), {what}, although its IaC turns it off. Someone changed it outside the pipeline: redeploy the experiment's IaC and find out who changed it (Activity Log).",
                r.name,
                r.resource_type(),
                r.tag("experiment").unwrap_or_default()
            ),
            e.map(|e| vec![e.owner.to_string()]).unwrap_or_default(),
            vec![resource(&r.id)],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::model::cloud::Inventory;
    use crate::model::finding::CloudSignals;
    use serde_json::json;

    #[test]
    fn orphans_missing_tag_and_baseline_drift() {
        let files = repo(
            "experimentation",
            "",
            &[
                ("live", "azure-openai", Some("2026-11-20")),
                ("gone", "azure-openai", Some("2026-10-01")),
                ("quiet", "azure-openai", Some("2026-11-25")),
                ("today", "azure-openai", Some("2026-12-01")),
            ],
        );
        let a = analyse(&files, d("2026-12-01"));
        let mut drifted = bot_tags("live", "2026-12-18");
        drifted["owner"] = json!("someone-else");
        drifted.as_object_mut().unwrap().remove("cost-tag");
        let s = CloudSignals {
            identity: identity(),
            inventory: Inventory {
                resources: vec![
                    row(
                        "rg-live",
                        "Microsoft.CognitiveServices/accounts",
                        "aoai-live",
                        bot_tags("live", "2026-12-18"),
                        json!({"publicNetworkAccess": "Enabled", "disableLocalAuth": false}),
                    ),
                    row(
                        "rg-live",
                        "Microsoft.KeyVault/vaults",
                        "kv-live",
                        drifted,
                        json!({}),
                    ),
                    row(
                        "rg-gone",
                        "Microsoft.KeyVault/vaults",
                        "kv-gone",
                        bot_tags("gone", "2026-10-29"),
                        json!({}),
                    ),
                    row(
                        "rg-x",
                        "Microsoft.KeyVault/vaults",
                        "kv-x",
                        bot_tags("ghost", "2026-10-29"),
                        json!({}),
                    ),
                ],
                containers: vec![group("rg-live", bot_tags("live", "2026-12-18"))],
            },
            ..CloudSignals::default()
        };
        let out = run(&a, &s, &[], d("2026-12-01"));
        let k = keys(&out.findings);
        assert!(
            k.contains(&"orphan/gone") && k.contains(&"orphan/ghost"),
            "{k:?}"
        );
        // Started before today with nothing deployed; started today is not missing yet.
        assert!(
            k.contains(&"missing/quiet") && !k.contains(&"missing/today"),
            "{k:?}"
        );
        assert!(!k.contains(&"missing/live"));
        let tag = out
            .findings
            .iter()
            .find(|f| f.key == "tag-drift/live")
            .unwrap();
        assert!(
            tag.detail
                .contains("`owner` is `someone-else`, the IaC declares `dave`"),
            "{}",
            tag.detail
        );
        assert!(
            tag.detail
                .contains("`cost-tag` is absent, the IaC declares `exp-live`"),
            "{}",
            tag.detail
        );
        assert_eq!(
            k.iter()
                .filter(|k| k.starts_with("baseline-drift/"))
                .count(),
            2
        );
        let gone = out
            .findings
            .iter()
            .find(|f| f.key == "orphan/gone")
            .unwrap();
        assert!(
            gone.detail.contains("ended on 2026-10-29"),
            "{}",
            gone.detail
        );
        assert_eq!(gone.owners, ["dave"]);
    }
}
