//! What the scheduled report finds, as plain data: the findings the dashboard shows, the
//! observations a run appends to `adoptbot/observations`, and the cloud signals a run read.
//! The rules (`evaluate::cloud`) produce them from the repository, the signals, the
//! observation history and the injected clock; the runners apply them (dashboard issue,
//! bot PRs, one observation commit a day). No I/O here.

use crate::model::cloud::{Activity, Identity, Inventory, MetricSeries, RegionUsages, Spend};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The dashboard's sections, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    ActionNeeded,
    Warning,
    Information,
}

/// What a finding is about. The anti-patterns are findings too, one per pattern shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// An AI or GPU resource that adoptbot's IaC did not produce and the inventory lacks.
    ShadowAi,
    /// An open secret-scanning alert for an AI provider's key.
    LeakedKey,
    /// A bot-managed resource whose experiment is expired, closed or unknown.
    Orphan,
    /// An active, started experiment with nothing deployed.
    Missing,
    /// A deployed resource's required tags differ from its IaC.
    TagDrift,
    /// A bot-managed resource with public network access or local auth re-enabled.
    BaselineDrift,
    /// An experiment's spend crossed an alert threshold of its cap (50/75/90%).
    SpendThreshold,
    /// An experiment spent its whole cap.
    BudgetExhausted,
    /// A team's month-to-date spend crossed an alert threshold of its monthly budget.
    TeamBudget,
    /// A production use case costs more than 1.5× its estimate.
    CostOverrun,
    /// A sandbox with no activity for the flag period (14 days) or longer.
    IdleSandbox,
    /// A team's GPU quota used below the reclaim threshold for the reclaim period.
    GpuHoarding,
    /// The teams' approved allocations exceed the subscription's limit.
    QuotaOverAllocation,
    /// A gate's rollback criterion, judged from the cloud.
    RollbackCriterion,
    /// An experiment whose resources Azure's cost cap stopped (`adoptbot-capped` tag).
    Capped,
    /// A rule could not be judged: missing history or data, said plainly.
    InsufficientData,
    /// One of the framework's five anti-patterns, with its evidence and remedy.
    AntiPattern,
}

impl FindingKind {
    pub const ALL: [FindingKind; 17] = [
        FindingKind::ShadowAi,
        FindingKind::LeakedKey,
        FindingKind::Orphan,
        FindingKind::Missing,
        FindingKind::TagDrift,
        FindingKind::BaselineDrift,
        FindingKind::SpendThreshold,
        FindingKind::BudgetExhausted,
        FindingKind::TeamBudget,
        FindingKind::CostOverrun,
        FindingKind::IdleSandbox,
        FindingKind::GpuHoarding,
        FindingKind::QuotaOverAllocation,
        FindingKind::RollbackCriterion,
        FindingKind::Capped,
        FindingKind::InsufficientData,
        FindingKind::AntiPattern,
    ];

    /// The kind as it is written (`shadow-ai`): its serde name.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// A link a finding carries: a repository file, an Azure resource, or a bot PR's branch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "kebab-case")]
pub enum Link {
    File {
        path: String,
    },
    Resource {
        id: String,
    },
    /// The bot PR that follows from the finding, by its branch (`adoptbot/reclaim/search`).
    Branch {
        name: String,
    },
}

/// One finding of a scheduled run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable across runs (`shadow-ai/<lower-case resource id>`, `spend/<exp>/75`): what a
    /// snooze, a mention-once and the dashboard's diff are keyed by.
    pub key: String,
    pub kind: FindingKind,
    pub urgency: Urgency,
    /// One line, as written by the bot (people's text in it is escaped when rendered).
    pub title: String,
    /// The evidence, in a few lines.
    pub detail: String,
    /// Who is mentioned when the finding first appears: logins or `org/team` slugs.
    pub owners: Vec<String>,
    pub links: Vec<Link>,
}

/// GPU vCPUs in use by one team in one family and region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GpuSample {
    pub team: String,
    /// The quota family as Compute usages names it (`standardNCADSA100v4Family`), or
    /// `lowPriorityCores` for Spot.
    pub family: String,
    pub region: String,
    pub vcpus: u32,
}

/// What one scheduled run measured, appended to `adoptbot/observations` (one per day).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub date: Option<NaiveDate>,
    pub gpu: Vec<GpuSample>,
    /// Spend so far per experiment id, in the billing currency.
    pub spend_by_experiment: BTreeMap<String, f64>,
    /// Month-to-date spend per team id.
    pub spend_by_team: BTreeMap<String, f64>,
    /// The day of each sandbox's last activity (experiment id → day), `None` when none seen.
    pub sandbox_last_activity: BTreeMap<String, Option<NaiveDate>>,
    /// The shadow-AI resources seen that day, by lower-case resource id: the inventory PR
    /// gives each the day it was first seen as its discovery date.
    #[serde(default)]
    pub shadow_ai: Vec<String>,
}

/// An open GitHub secret-scanning alert (`GET /repos/{o}/{r}/secret-scanning/alerts`), where
/// the token can read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretAlert {
    pub number: u64,
    /// GitHub's `secret_type`, e.g. `openai_api_key`, `azure_openai_key`.
    pub secret_type: String,
    pub secret_type_display_name: Option<String>,
    pub html_url: Option<String>,
}

/// Everything a scheduled run read from the cloud (and the forge's secret-scanning alerts),
/// for the rules. Absent parts (no cloud,
/// or a signal the identity cannot read) are empty, and the rules say "needs data".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CloudSignals {
    pub identity: Option<Identity>,
    pub inventory: Inventory,
    pub spend: Vec<Spend>,
    pub usages: Vec<RegionUsages>,
    pub activity: Vec<Activity>,
    pub metrics: Vec<MetricSeries>,
    /// `None` when the forge would not show them (no permission, or the local forge).
    pub secret_alerts: Option<Vec<SecretAlert>>,
}

#[cfg(test)]
mod tests {
    use super::FindingKind;

    #[test]
    fn every_kind_is_listed_once_with_its_written_name() {
        let names: Vec<String> = FindingKind::ALL.iter().map(|k| k.name()).collect();
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), FindingKind::ALL.len());
        assert_eq!(FindingKind::ShadowAi.name(), "shadow-ai");
        assert_eq!(
            FindingKind::QuotaOverAllocation.name(),
            "quota-over-allocation"
        );
    }
}
