//! `runbooks/*.md` front matter: what a runbook covers, who owns it, and when it was last
//! tested.

use super::{Located, Login};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunbookMeta {
    pub title: String,
    pub owner: Login,
    /// The operational procedures it documents.
    pub covers: Vec<RunbookTopic>,
    /// When it was last exercised, e.g. in a game day.
    #[serde(default)]
    pub last_tested: Option<Located<NaiveDate>>,
}

/// The procedures Gate 5 -> 6 needs runbooks for: `scaling`, `model-rotation`,
/// `gpu-failure`, `rate-limiting` and `cost-overrun`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RunbookTopic {
    /// Scaling inference endpoints during traffic spikes.
    Scaling,
    /// Zero-downtime model version rotations.
    ModelRotation,
    /// GPU hardware failure response.
    GpuFailure,
    /// Token rate limiting (HTTP 429s).
    RateLimiting,
    /// Cost overrun management.
    CostOverrun,
}

impl RunbookTopic {
    pub const ALL: [RunbookTopic; 5] = [
        RunbookTopic::Scaling,
        RunbookTopic::ModelRotation,
        RunbookTopic::GpuFailure,
        RunbookTopic::RateLimiting,
        RunbookTopic::CostOverrun,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            RunbookTopic::Scaling => "scaling",
            RunbookTopic::ModelRotation => "model-rotation",
            RunbookTopic::GpuFailure => "gpu-failure",
            RunbookTopic::RateLimiting => "rate-limiting",
            RunbookTopic::CostOverrun => "cost-overrun",
        }
    }
}

impl fmt::Display for RunbookTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}
