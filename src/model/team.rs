//! `teams/<team>.yaml`: a team, its GitHub team and leads, its monthly budget, its GPU quota
//! per VM family and region, and its skills matrix and training status.

use super::{Located, Login, Money, Rating, TeamRef};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// A readable name; the file name is the team's id.
    pub name: String,
    /// The GitHub team whose members belong to this team.
    pub github_team: TeamRef,
    /// Leads review the team's experiment requests.
    pub leads: Located<Vec<Login>>,
    #[serde(default)]
    pub members: Vec<Login>,
    /// What the team may spend on Azure in a month.
    pub monthly_budget: Money,
    /// GPU quota per VM family and region, in vCPUs, as Azure counts it.
    #[serde(default)]
    pub gpu_quota: Vec<Located<GpuQuota>>,
    /// Skills matrix: each member rated 1-5 in the framework's four dimensions.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^@?[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$" }))]
    pub skills: BTreeMap<Login, Skills>,
    /// Training status per member and learning-path tier (`foundational`, `operational`,
    /// `advanced`), each `not-started`, `in-progress` or `completed`.
    #[serde(default)]
    #[schemars(extend("propertyNames" = { "pattern": "^@?[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$" }))]
    #[schemars(extend("additionalProperties" = {
        "type": "object",
        "propertyNames": { "enum": ["foundational", "operational", "advanced"] },
        "additionalProperties": { "$ref": "#/definitions/TrainingStatus" }
    }))]
    pub training: BTreeMap<Login, BTreeMap<Tier, TrainingStatus>>,
}

impl Team {
    /// Leads and members, each once.
    pub fn everyone(&self) -> impl Iterator<Item = &Login> {
        let leads = self.leads.value.iter();
        leads.chain(
            self.members
                .iter()
                .filter(|m| !self.leads.value.contains(m)),
        )
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuQuota {
    /// The Azure quota family, as in Compute usages, e.g. `standardNCADSA100v4Family`.
    pub family: String,
    /// The Azure region, e.g. `westeurope`.
    pub region: String,
    /// The quota in vCPUs.
    pub vcpus: u32,
    pub status: QuotaStatus,
    #[serde(default)]
    pub approved_on: Option<NaiveDate>,
}

/// Where a GPU quota request stands with Azure: `requested`, `approved` or `rejected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum QuotaStatus {
    Requested,
    Approved,
    Rejected,
}

/// The framework's four skill dimensions.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Skills {
    /// Azure services, networking, identity.
    pub cloud_platform: Rating,
    /// Inference, GPU scheduling, token economics.
    pub ai_ml_fundamentals: Rating,
    /// IaC adoption, CI/CD practices.
    pub automation: Rating,
    /// Managed identity, secret management.
    pub security_operations: Rating,
}

impl Skills {
    pub fn min(&self) -> Rating {
        [
            self.cloud_platform,
            self.ai_ml_fundamentals,
            self.automation,
            self.security_operations,
        ]
        .into_iter()
        .min()
        .unwrap_or(self.cloud_platform)
    }
}

/// The learning-path tiers of the training programme: `foundational`, `operational`,
/// `advanced`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    Foundational,
    Operational,
    Advanced,
}

/// A person's progress in a tier: `not-started`, `in-progress` or `completed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TrainingStatus {
    NotStarted,
    InProgress,
    Completed,
}
