//! `radar/<entry>.yaml`: one entry of the technology radar for AI infrastructure.

use super::{Located, Login};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RadarEntry {
    /// The tool, service or technique, e.g. `vLLM`.
    pub name: String,
    pub quadrant: Quadrant,
    pub ring: Ring,
    /// Who keeps this entry current.
    pub owner: Login,
    /// Reviewed quarterly; older entries are reported as stale.
    pub last_reviewed: Located<NaiveDate>,
    /// Why it is in this ring.
    pub rationale: String,
}

/// The radar quadrant: `techniques`, `platforms`, `tools` or `languages-and-frameworks`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Quadrant {
    Techniques,
    Platforms,
    Tools,
    LanguagesAndFrameworks,
}

/// The radar ring: `adopt` (proven, standardise), `trial` (promising, time-boxed
/// evaluation), `assess` (interesting, monitor) or `hold` (not ready).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Ring {
    /// Proven, standardise.
    Adopt,
    /// Promising, time-boxed evaluation.
    Trial,
    /// Interesting, monitor.
    Assess,
    /// Not ready.
    Hold,
}
