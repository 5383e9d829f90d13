//! `inventory/shadow-ai.yaml`: the shadow-AI inventory, what was found outside the governed
//! path, where, and what is being done about it.

use super::{Id, Located, Login};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShadowInventory {
    /// When the last survey for unauthorized AI usage was completed.
    pub surveyed_on: NaiveDate,
    #[serde(default)]
    pub surveyed_by: Vec<Login>,
    /// What the survey covered, e.g. subscriptions, code repositories, SaaS expense reports.
    #[serde(default)]
    pub scope: Vec<String>,
    #[serde(default)]
    pub findings: Vec<ShadowFinding>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShadowFinding {
    pub id: Id,
    pub kind: ShadowKind,
    /// What was found.
    pub description: String,
    /// Where: a subscription, repository, SaaS tenant or department.
    pub location: String,
    /// The team responsible, when known.
    #[serde(default)]
    pub team: Option<Id>,
    pub found_on: Located<NaiveDate>,
    pub status: ShadowStatus,
    /// The Azure resource id, for findings that are Azure resources.
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The kinds of unauthorized AI usage the framework tells us to survey for:
/// `personal-subscription`, `api-key-in-repo`, `gpu-vm-outside-iac`, `saas-tool`,
/// `unreviewed-endpoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ShadowKind {
    PersonalSubscription,
    ApiKeyInRepo,
    GpuVmOutsideIac,
    SaasTool,
    UnreviewedEndpoint,
}

/// Where a shadow-AI finding stands: `discovered` and `under-review` are open;
/// `approved`, `migrated` and `decommissioned` are closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ShadowStatus {
    /// Found, nobody has looked at it yet.
    Discovered,
    UnderReview,
    /// Reviewed and allowed as it is.
    Approved,
    /// Moved onto the governed platform.
    Migrated,
    Decommissioned,
}

impl ShadowStatus {
    /// Whether the finding still needs action.
    pub fn is_open(self) -> bool {
        matches!(self, ShadowStatus::Discovered | ShadowStatus::UnderReview)
    }
}
