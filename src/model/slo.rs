//! `slos/<endpoint>.yaml`: the service level objectives of a production AI endpoint.

use super::{Id, Located};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// A readable name of the endpoint; the file name is its id.
    pub endpoint: String,
    pub team: Located<Id>,
    #[serde(default)]
    pub use_case: Option<Located<Id>>,
    pub objectives: Objectives,
    /// Since when every objective has been met without interruption. Unset while violated.
    #[serde(default)]
    pub met_since: Option<Located<NaiveDate>>,
    /// Recorded violations, newest last.
    #[serde(default)]
    pub violations: Vec<SloViolation>,
}

/// The framework's SLO dimensions: availability, p99 latency, throughput and error budget.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Objectives {
    /// Availability in percent, e.g. 99.9.
    pub availability_percent: f64,
    /// p99 latency in milliseconds. Account for cold starts that load model weights.
    pub latency_p99_ms: u32,
    /// Sustained requests per second the endpoint must serve.
    #[serde(default)]
    pub throughput_rps: Option<f64>,
    /// The error budget over the window, in percent of requests.
    #[serde(default)]
    pub error_budget_percent: Option<f64>,
    /// The window the objectives are measured over, e.g. `4w`.
    #[serde(default)]
    pub window: Option<super::Span>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloViolation {
    pub date: NaiveDate,
    /// Which objective, e.g. `latency_p99_ms`.
    pub objective: String,
    #[serde(default)]
    pub note: Option<String>,
}
