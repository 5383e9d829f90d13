//! The rules of the scheduled report: pure functions from the repository (and its analysis),
//! the cloud signals, the observation history and `today` to findings, and to the facts the
//! bot PRs are built from (decommissions, reclaims, the shadow-AI inventory). One module per
//! rule; every threshold comes from `phases/policies.yaml` (or the gates' rollback triggers)
//! and the organisation's overrides. No I/O: `plan::report` turns the outcome into PRs.
//!
//! Without cloud signals (no `azure:`, `--cloud none`) the rules that need the cloud say
//! nothing, except where the repository alone decides (the `spend:` field, anti-patterns).

pub mod antipatterns;
pub mod drift;
pub mod gpu;
pub mod idle;
pub mod rollback;
pub mod shadow;
pub mod spend;

use super::{ExperimentState, Lifecycle};
use crate::Analysis;
use crate::model::cloud::ResourceRow;
use crate::model::finding::{CloudSignals, Finding, FindingKind, Link, Observation, Urgency};
use crate::model::{ExperimentStatus, Id, Policies, Repository};
use crate::render::RenderSettings;
use crate::render::SkuTable;
use chrono::NaiveDate;
use serde_json::Value;
use std::collections::BTreeMap;

/// The tag every resource rendered by adoptbot carries (`managed-by: adoptbot`).
pub const MANAGED_BY: &str = "managed-by";
/// The blueprint whose experiments are sandboxes (idle rule).
pub const SANDBOX_BLUEPRINT: &str = "experiment-sandbox";
/// The tags the IaC declares on every resource, compared by the tag-drift rule.
pub const REQUIRED_TAGS: [&str; 5] = ["experiment", "team", "cost-tag", "expiry", "owner"];
/// The `family` a Spot VM's vCPUs count under in Compute usages.
pub const SPOT_FAMILY: &str = "lowPriorityCores";

/// Everything the rules read, all plain data.
pub struct Input<'a> {
    pub analysis: &'a Analysis,
    /// The SKU table: GPU sizes, their quota family and vCPUs.
    pub skus: &'a SkuTable,
    /// The render settings, for the tags the IaC declares.
    pub settings: &'a RenderSettings,
    pub signals: &'a CloudSignals,
    /// Earlier observations, oldest first (today's is computed from the signals).
    pub history: &'a [Observation],
    pub today: NaiveDate,
}

impl<'a> Input<'a> {
    pub fn repo(&self) -> &'a Repository {
        &self.analysis.loaded.repo
    }

    pub fn policies(&self) -> &'a Policies {
        &self.analysis.framework.policies
    }

    pub fn experiments(&self) -> &'a [ExperimentState] {
        &self.analysis.evaluation.experiments
    }

    pub fn experiment(&self, id: &str) -> Option<&'a ExperimentState> {
        let exps = self.experiments();
        exps.binary_search_by(|e| e.id.as_str().cmp(id))
            .ok()
            .map(|i| &exps[i])
    }

    /// Whether any cloud signal was read at all.
    pub fn has_cloud(&self) -> bool {
        let s = self.signals;
        s.identity.is_some()
            || !s.inventory.resources.is_empty()
            || !s.inventory.containers.is_empty()
            || !s.spend.is_empty()
            || !s.usages.is_empty()
    }

    /// The users holding any of the roles, each once, in order.
    pub fn role_users(&self, roles: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(a) = &self.repo().adoption {
            for r in roles {
                for (id, holders) in &a.roles {
                    if id.as_str() == *r {
                        for u in &holders.value.users {
                            push_once(&mut out, u.to_string());
                        }
                        for t in &holders.value.teams {
                            push_once(&mut out, t.to_string());
                        }
                    }
                }
            }
        }
        out
    }

    /// The leads of a team, as logins.
    pub fn team_leads(&self, team: &str) -> Vec<String> {
        self.repo()
            .teams
            .get(team)
            .map(|t| t.leads.value.iter().map(|l| l.to_string()).collect())
            .unwrap_or_default()
    }
}

pub(crate) fn push_once(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// An experiment the rules want decommissioned (the PR is built by `plan::desired`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decommission {
    pub experiment: Id,
    /// Why, as the PR body's first line continues it ("Decommissions experiment x: ...").
    pub why: String,
    /// Marked urgent in the PR: the budget is exhausted.
    pub urgent: bool,
    /// The finding that asks for it.
    pub finding: String,
}

/// A shadow-AI resource to add to the inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowResource {
    pub resource_id: String,
    pub name: String,
    pub resource_type: String,
    pub resource_group: String,
    pub subscription: String,
    pub location: String,
    /// What it is, e.g. `Azure OpenAI account`, `GPU virtual machine`.
    pub what: String,
    /// `gpu-vm-outside-iac` or `unreviewed-endpoint`.
    pub kind: crate::model::ShadowKind,
    pub description: String,
    /// The team a `team` tag names, when it is a known team.
    pub team: Option<Id>,
}

/// One GPU quota entry to lower or remove.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaCut {
    /// Index of the entry in the team's `gpu_quota` list.
    pub index: usize,
    /// The line of the entry in `teams/<team>.yaml`.
    pub line: usize,
    pub family: String,
    pub region: String,
    pub from: u32,
    /// `0` removes the entry.
    pub to: u32,
    /// What the samples show, for the PR body.
    pub evidence: String,
}

/// A reclaim of one team's hoarded quota.
#[derive(Debug, Clone, PartialEq)]
pub struct Reclaim {
    pub team: Id,
    pub path: String,
    pub cuts: Vec<QuotaCut>,
    /// The team's leads and the platform team lead.
    pub reviewers: Vec<String>,
}

/// What the rules conclude.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub shadow: Vec<ShadowResource>,
    pub decommissions: Vec<Decommission>,
    pub reclaims: Vec<Reclaim>,
    /// What this run measured.
    pub observation: Observation,
}

/// Every rule, in order; findings most urgent first, then by key.
pub fn run(input: &Input) -> Outcome {
    let observation = observe(input);
    let mut out = Outcome::default();
    shadow::rule(input, &mut out);
    drift::rule(input, &mut out);
    spend::rule(input, &mut out);
    idle::rule(input, &mut out);
    gpu::rule(input, &observation, &mut out);
    rollback::rule(input, &mut out);
    antipatterns::rule(input, &mut out);
    out.findings
        .sort_by(|a, b| (a.urgency, &a.key).cmp(&(b.urgency, &b.key)));
    out.findings.dedup_by(|a, b| a.key == b.key);
    // One decommission per experiment: the most urgent reason wins.
    out.decommissions
        .sort_by(|a, b| (&a.experiment, !a.urgent).cmp(&(&b.experiment, !b.urgent)));
    out.decommissions
        .dedup_by(|a, b| a.experiment == b.experiment);
    out.observation = observation;
    out.observation.shadow_ai = out
        .shadow
        .iter()
        .map(|s| s.resource_id.trim_end_matches('/').to_ascii_lowercase())
        .collect();
    out
}

/// The day a shadow-AI resource was first seen: its earliest observation, else today.
pub fn first_seen(input: &Input, resource_id: &str) -> NaiveDate {
    let id = resource_id.trim_end_matches('/').to_ascii_lowercase();
    input
        .history
        .iter()
        .filter(|o| o.shadow_ai.contains(&id))
        .filter_map(|o| o.date)
        .min()
        .unwrap_or(input.today)
        .min(input.today)
}

/// Today's observation: GPU vCPUs in use per team, family and region (attributed by the
/// `team` tag of running GPU compute, Spot under `lowPriorityCores`), spend per experiment
/// (by its cost tag) and per team (month to date), and each active sandbox's last activity.
pub fn observe(input: &Input) -> Observation {
    let mut gpu: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    for r in &input.signals.inventory.resources {
        let team = team_of(input, r).unwrap_or_else(|| UNATTRIBUTED.to_string());
        for g in gpu_in_use(r, input.skus) {
            *gpu.entry((team.clone(), g.family, g.region)).or_default() += g.vcpus;
        }
    }
    let mut obs = Observation {
        date: Some(input.today),
        gpu: gpu
            .into_iter()
            .map(
                |((team, family, region), vcpus)| crate::model::finding::GpuSample {
                    team,
                    family,
                    region,
                    vcpus,
                },
            )
            .collect(),
        ..Observation::default()
    };
    for (id, cost) in spend::experiment_spend(input) {
        obs.spend_by_experiment.insert(id, cost);
    }
    for (team, cost) in spend::team_spend(input) {
        obs.spend_by_team.insert(team, cost);
    }
    for s in idle::sandboxes(input) {
        obs.sandbox_last_activity
            .insert(s.experiment.to_string(), s.last_activity());
    }
    obs
}

/// The team a GPU sample of untagged compute is recorded under.
pub const UNATTRIBUTED: &str = "(unattributed)";

/// The team a resource belongs to: its `team` tag, else its experiment's team.
fn team_of(input: &Input, r: &ResourceRow) -> Option<String> {
    if let Some(t) = r.tag("team").filter(|t| !t.is_empty()) {
        return Some(t.to_string());
    }
    let e = input.experiment(r.tag("experiment")?)?;
    Some(e.team.to_string())
}

/// Whether a row carries `managed-by: adoptbot`.
pub fn bot_managed(r: &ResourceRow) -> bool {
    r.tag(MANAGED_BY)
        .is_some_and(|v| v.eq_ignore_ascii_case("adoptbot"))
}

/// The experiment a bot-managed row belongs to, when the repository knows it.
pub fn known_experiment<'a>(input: &Input<'a>, r: &ResourceRow) -> Option<&'a ExperimentState> {
    input.experiment(r.tag("experiment")?)
}

/// Whether an experiment still holds resources by its record: requested, running, or
/// expired but not closed yet.
pub fn is_open(e: &ExperimentState) -> bool {
    !matches!(e.lifecycle, Lifecycle::Closed)
}

/// Whether an experiment is running by its record (status `active`).
pub fn is_running(e: &ExperimentState) -> bool {
    e.status == ExperimentStatus::Active && e.started_on.is_some()
}

/// Whether `plan::desired` already decommissions the experiment (time box ended, or the
/// `spend:` field reached the cap): the scheduled report then links that PR instead of
/// asking for a second one on the same branch.
pub fn decommissioned_by_default_branch(e: &ExperimentState) -> bool {
    match e.lifecycle {
        Lifecycle::Expired => true,
        Lifecycle::Active | Lifecycle::EndingSoon => e.over_budget,
        _ => false,
    }
}

/// The branch of an experiment's decommission PR.
pub fn decommission_branch(id: &Id) -> String {
    crate::plan::branch::BotBranch::pull(crate::plan::branch::PullKind::Decommission, id.clone())
        .to_string()
}

/// Whether a VM size has GPUs: in the SKU table with GPUs, or an N-series size.
pub fn is_gpu_size(size: &str, skus: &SkuTable) -> bool {
    match skus.get(size) {
        Some(info) => info.gpus > 0,
        None => size
            .to_ascii_lowercase()
            .strip_prefix("standard_n")
            .is_some_and(|rest| !rest.is_empty()),
    }
}

/// GPU vCPUs one resource holds while running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuHeld {
    pub family: String,
    pub region: String,
    pub vcpus: u32,
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    cur.as_str()
}

fn u32_of(v: Option<&Value>) -> Option<u32> {
    v.and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}

fn stopped(r: &ResourceRow) -> bool {
    str_at(
        &r.properties,
        &["extended", "instanceView", "powerState", "code"],
    )
    .is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("deallocated") || c.contains("stopped")
    })
}

fn family_of(size: &str, spot: bool, skus: &SkuTable) -> Option<(String, u32)> {
    let info = skus.get(size)?;
    let family = if spot {
        SPOT_FAMILY.to_string()
    } else {
        info.family.clone()
    };
    Some((family, info.vcpus))
}

/// The GPU sizes a row runs, with how many: a VM's `hardwareProfile.vmSize`, a scale set's
/// `sku` and capacity, an AKS cluster's GPU node pools. Spot counts as `lowPriorityCores`.
pub fn gpu_sizes(r: &ResourceRow, skus: &SkuTable) -> Vec<(String, u32, bool)> {
    let p = &r.properties;
    let spot = |v: Option<&str>| v.is_some_and(|s| s.eq_ignore_ascii_case("spot"));
    let mut out = Vec::new();
    if r.is_type("Microsoft.Compute/virtualMachines") {
        if let Some(size) = str_at(p, &["hardwareProfile", "vmSize"]) {
            out.push((size.to_string(), 1, spot(str_at(p, &["priority"]))));
        }
    } else if r.is_type("Microsoft.Compute/virtualMachineScaleSets") {
        if let Some(size) = r.sku.get("name").and_then(Value::as_str) {
            let n = u32_of(r.sku.get("capacity")).unwrap_or(1);
            out.push((
                size.to_string(),
                n,
                spot(str_at(p, &["virtualMachineProfile", "priority"])),
            ));
        }
    } else if r.is_type("Microsoft.ContainerService/managedClusters") {
        for pool in p
            .get("agentPoolProfiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(size) = pool.get("vmSize").and_then(Value::as_str) {
                let n = u32_of(pool.get("count")).unwrap_or(0);
                out.push((
                    size.to_string(),
                    n,
                    spot(pool.get("scaleSetPriority").and_then(Value::as_str)),
                ));
            }
        }
    }
    out.retain(|(size, _, _)| is_gpu_size(size, skus));
    out
}

/// The GPU vCPUs a running resource holds, per quota family (Spot: `lowPriorityCores`).
pub fn gpu_in_use(r: &ResourceRow, skus: &SkuTable) -> Vec<GpuHeld> {
    if stopped(r) {
        return Vec::new();
    }
    let region = r.location.clone().unwrap_or_default().to_ascii_lowercase();
    gpu_sizes(r, skus)
        .into_iter()
        .filter_map(|(size, n, spot)| {
            let (family, vcpus) = family_of(&size, spot, skus)?;
            Some(GpuHeld {
                family,
                region: region.clone(),
                vcpus: vcpus.saturating_mul(n),
            })
        })
        .collect()
}

/// A finding with the fields every rule fills.
pub(crate) fn finding(
    key: impl Into<String>,
    kind: FindingKind,
    urgency: Urgency,
    title: impl Into<String>,
    detail: impl Into<String>,
    owners: Vec<String>,
    links: Vec<Link>,
) -> Finding {
    Finding {
        key: key.into(),
        kind,
        urgency,
        title: title.into(),
        detail: detail.into(),
        owners,
        links,
    }
}

pub(crate) fn file(path: impl Into<String>) -> Link {
    Link::File { path: path.into() }
}

pub(crate) fn resource(id: impl Into<String>) -> Link {
    Link::Resource { id: id.into() }
}

pub(crate) fn branch(name: impl Into<String>) -> Link {
    Link::Branch { name: name.into() }
}

#[cfg(test)]
pub(crate) mod testing;
