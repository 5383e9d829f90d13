//! `experiments/<id>.yaml`: an experiment request. Time-boxed, capped in cost, tagged, and
//! with success criteria defined before it starts: "Experiments without success criteria
//! aren't experiments — they're hobbies."

use super::{Id, Located, Login, Money, Span};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    pub title: String,
    /// The team (file name under `teams/`) that runs and pays for the experiment.
    pub team: Located<Id>,
    /// The GitHub login of the person accountable for it.
    pub owner: Located<Login>,
    /// What the experiment tests and why.
    pub hypothesis: String,
    /// Measurable success criteria, defined before it starts.
    #[serde(default)]
    pub success_criteria: Located<Vec<SuccessCriterion>>,
    /// What happens next if it succeeds.
    pub next_step: String,
    /// The standard time box: `2w` or `4w`.
    pub time_box: Located<Span>,
    /// Explicit renewals, each extending the time box.
    #[serde(default)]
    pub renewals: Vec<Located<Renewal>>,
    /// The hard cost cap: when it is spent, the resources are deallocated.
    pub cost_cap: Located<Money>,
    /// A unique cost tag, put on every resource, for cost attribution.
    pub cost_tag: Located<Id>,
    /// The blueprint the infrastructure is rendered from.
    pub blueprint: Located<Id>,
    /// The blueprint's parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, Located<serde_json::Value>>,
    /// The day the environment was provisioned; written by the provisioning PR.
    #[serde(default)]
    pub started_on: Option<Located<NaiveDate>>,
    #[serde(default)]
    pub status: Located<ExperimentStatus>,
    /// Spend so far, as last reported by cost management.
    #[serde(default)]
    pub spend: Option<Located<Spend>>,
    /// The pull request that asked for the experiment; written by the provisioning PR, so
    /// that warnings reach the people who asked.
    #[serde(default)]
    pub request_pr: Option<u64>,
    /// The go/no-go decision, once taken.
    #[serde(default)]
    pub outcome: Option<Outcome>,
}

impl Experiment {
    /// The days granted: the time box plus every renewal.
    pub fn granted_days(&self) -> u32 {
        self.renewals.iter().fold(self.time_box.in_days(), |d, r| {
            d.saturating_add(r.duration.in_days())
        })
    }

    /// The first day the experiment may no longer run: its start plus the days granted.
    /// `None` until it has started.
    pub fn expires_on(&self) -> Option<NaiveDate> {
        let start = self.started_on.as_ref()?.value;
        start.checked_add_days(chrono::Days::new(u64::from(self.granted_days())))
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuccessCriterion {
    /// What is measured, e.g. `answer_accuracy`, `p99_latency_ms`, `cost_per_1k_requests_usd`.
    pub metric: String,
    pub comparator: Comparator,
    pub target: f64,
    #[serde(default)]
    pub unit: Option<String>,
}

/// How a success criterion's measurement is compared with its target: `>=`, `>`, `<=`,
/// `<` or `==`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Comparator {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = ">")]
    Above,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "==")]
    Equal,
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Comparator::AtLeast => ">=",
            Comparator::Above => ">",
            Comparator::AtMost => "<=",
            Comparator::Below => "<",
            Comparator::Equal => "==",
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Renewal {
    /// How much longer: `2w` or `4w`.
    pub duration: Span,
    pub reason: String,
    /// Who approved the renewal.
    #[serde(default)]
    pub approved_by: Option<Login>,
}

/// Where the request is in its life. The bot computes whether it is ending or expired from
/// the dates; this records the decisions people and the bot's PRs have made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExperimentStatus {
    /// Asked for, not provisioned yet.
    #[default]
    Requested,
    /// Provisioned and running.
    Active,
    /// The time box ended and the decommission PR marked it so.
    Expired,
    /// Finished with an outcome.
    Completed,
    /// Stopped before its time box ended.
    Cancelled,
}

impl ExperimentStatus {
    /// The word a request file writes: `requested`, `active`, `expired`, `completed`,
    /// `cancelled`.
    pub fn word(self) -> &'static str {
        match self {
            ExperimentStatus::Requested => "requested",
            ExperimentStatus::Active => "active",
            ExperimentStatus::Expired => "expired",
            ExperimentStatus::Completed => "completed",
            ExperimentStatus::Cancelled => "cancelled",
        }
    }
}

impl Default for Located<ExperimentStatus> {
    fn default() -> Self {
        Located::unplaced(ExperimentStatus::default())
    }
}

impl Default for Located<Vec<SuccessCriterion>> {
    fn default() -> Self {
        Located::unplaced(Vec::new())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spend {
    pub to_date: Money,
    pub as_of: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub decision: Decision,
    pub decided_on: NaiveDate,
    pub summary: String,
    /// The use case it validated, if any.
    #[serde(default)]
    pub use_case: Option<Id>,
}

/// The go/no-go decision at the end of an experiment: `go` (it becomes a use case) or
/// `no-go`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Go,
    NoGo,
}
