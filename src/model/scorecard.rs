//! `scorecards/<date>.yaml`: the Phase 1 readiness scorecard, six areas rated 1-5.

use super::{Login, Rating};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    /// The day of the assessment.
    pub assessed_on: NaiveDate,
    #[serde(default)]
    pub assessors: Vec<Login>,
    /// Every one of the six areas, each with an integer rating 1-5 and the evidence for it:
    /// `team-skills`, `gpu-readiness`, `networking`, `security`, `automation`, `shadow-ai`.
    #[schemars(extend("propertyNames" = { "enum": ["team-skills", "gpu-readiness", "networking", "security", "automation", "shadow-ai"] }))]
    pub areas: BTreeMap<Area, AreaRating>,
}

/// The six assessment areas of the framework's readiness scorecard: `team-skills`,
/// `gpu-readiness`, `networking`, `security`, `automation` and `shadow-ai`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// Can the team provision and manage GPU compute?
    TeamSkills,
    /// Are quotas approved? Are regions selected?
    GpuReadiness,
    /// Private endpoints, bandwidth, DNS resolution?
    Networking,
    /// Managed identity, Key Vault, network isolation?
    Security,
    /// IaC coverage, CI/CD maturity, GitOps adoption?
    Automation,
    /// Unauthorized deployments identified and cataloged?
    ShadowAi,
}

impl Area {
    pub const ALL: [Area; 6] = [
        Area::TeamSkills,
        Area::GpuReadiness,
        Area::Networking,
        Area::Security,
        Area::Automation,
        Area::ShadowAi,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Area::TeamSkills => "team-skills",
            Area::GpuReadiness => "gpu-readiness",
            Area::Networking => "networking",
            Area::Security => "security",
            Area::Automation => "automation",
            Area::ShadowAi => "shadow-ai",
        }
    }

    /// The framework's key question for the area.
    pub fn question(self) -> &'static str {
        match self {
            Area::TeamSkills => "Can the team provision and manage GPU compute?",
            Area::GpuReadiness => "Are quotas approved? Are regions selected?",
            Area::Networking => "Private endpoints, bandwidth, DNS resolution?",
            Area::Security => "Managed identity, Key Vault, network isolation?",
            Area::Automation => "IaC coverage, CI/CD maturity, GitOps adoption?",
            Area::ShadowAi => "Unauthorized deployments identified and cataloged?",
        }
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaRating {
    pub rating: Rating,
    /// What the rating rests on: findings, links, numbers.
    pub evidence: String,
}
