//! `adoption.yaml`: the organisation, its current phase, who holds each approval role, its
//! Azure scopes, the schedule and notice settings, and the IaC flavour it deploys with.

use super::{Id, Located, Login, Phase, TeamRef};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adoption {
    /// The organisation's name, as shown in reports.
    pub organisation: String,
    /// The phase the organisation is in now. Changing it in a PR is a gate request.
    pub phase: Located<Phase>,
    /// The day the organisation entered `phase`: the day its gate request merged. Rollback
    /// criteria about what happened after the gate (shadow AI found since) count from it.
    #[serde(default)]
    pub phase_entered_on: Option<Located<NaiveDate>>,
    /// The IaC language that provisioning PRs are rendered in.
    #[serde(default)]
    pub iac_flavour: Flavour,
    /// Approval roles of the decision gates (e.g. `infrastructure-lead`), each held by
    /// GitHub users and/or teams.
    #[schemars(extend("propertyNames" = { "pattern": "^[a-z](?:-?[a-z0-9])*$", "maxLength": 63 }))]
    pub roles: BTreeMap<Id, Located<RoleHolders>>,
    /// Where the organisation's AI workloads live in Azure.
    #[serde(default)]
    pub azure: Option<AzureScopes>,
    /// When the scheduled report runs: a five-field cron expression in UTC, e.g. `0 6 * * 1-5`.
    #[serde(default)]
    pub schedule: Option<Located<String>>,
    /// How and when the bot gives notice.
    #[serde(default)]
    pub notices: Notices,
    /// The stakeholders whose alignment Gate 1 -> 2 requires.
    #[serde(default)]
    pub stakeholders: Vec<Stakeholder>,
    /// The shared platform that Gate 3 -> 4 requires: CI/CD workflows and monitoring with alerting.
    #[serde(default)]
    pub platform: Platform,
    /// Compliance audits of the production platform (Gate 5 -> 6).
    #[serde(default)]
    pub compliance_audits: Vec<ComplianceAudit>,
    /// How the Azure deployment stack of each Bicep experiment protects the resources it
    /// manages (`az stack sub create --deny-settings-mode`): `none` (the default),
    /// `deny-delete` or `deny-write-and-delete`. See docs/deploy-infra.md.
    #[serde(default)]
    pub stack_deny_settings: DenySettings,
    /// Where rendered Terraform keeps its state: an Azure storage account container. Every
    /// experiment gets its own state key, `experiments/<id>.tfstate`. Unset, the rendered
    /// `backend "azurerm"` block holds only the key and the rest is given to `terraform init`
    /// with `-backend-config`.
    #[serde(default)]
    pub terraform_state: Option<Located<TerraformState>>,
    /// Email addresses that Azure sends an experiment's budget notifications to (50/75/90% and
    /// the 100% cap), by GitHub login (the experiment's owner) or by team id (the team's
    /// contact), e.g. `mei-lin: mei.lin@contoso.com` and `data-science: ds@contoso.com`.
    #[serde(default)]
    pub budget_contacts: BTreeMap<String, Located<String>>,
}

/// The storage account container that holds rendered Terraform's state (`backend "azurerm"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerraformState {
    /// The resource group of the storage account, e.g. `rg-tfstate`.
    pub resource_group: String,
    /// The storage account: 3-24 lowercase letters and digits.
    pub storage_account: String,
    /// The blob container, e.g. `tfstate`: 3-63 lowercase letters, digits and hyphens.
    pub container: String,
}

/// What a deployment stack forbids on the resources it manages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DenySettings {
    /// Nothing is denied: people may change and delete the resources in the portal.
    #[default]
    None,
    /// The resources cannot be deleted except through the stack.
    DenyDelete,
    /// The resources cannot be changed or deleted except through the stack.
    DenyWriteAndDelete,
}

impl DenySettings {
    /// The value `az stack sub create --deny-settings-mode` takes.
    pub fn az_value(self) -> &'static str {
        match self {
            DenySettings::None => "none",
            DenySettings::DenyDelete => "denyDelete",
            DenySettings::DenyWriteAndDelete => "denyWriteAndDelete",
        }
    }
}

/// The IaC language blueprints are rendered to: `bicep` (the default; deployed as Azure
/// deployment stacks) or `terraform` (`azurerm` resources).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    #[default]
    Bicep,
    Terraform,
}

impl Flavour {
    pub const ALL: [Flavour; 2] = [Flavour::Bicep, Flavour::Terraform];

    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::Bicep => "bicep",
            Flavour::Terraform => "terraform",
        }
    }

    /// The extension every output file of this flavour has.
    pub fn extension(self) -> &'static str {
        match self {
            Flavour::Bicep => ".bicep",
            Flavour::Terraform => ".tf",
        }
    }
}

impl std::fmt::Display for Flavour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Flavour {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bicep" => Ok(Flavour::Bicep),
            "terraform" => Ok(Flavour::Terraform),
            _ => Err(format!("unknown flavour `{s}`: use bicep or terraform")),
        }
    }
}

/// Who holds a role: GitHub users, GitHub teams, or both.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleHolders {
    #[serde(default)]
    pub users: Vec<Login>,
    #[serde(default)]
    pub teams: Vec<TeamRef>,
}

impl RoleHolders {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.teams.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureScopes {
    /// The Entra ID tenant, a GUID.
    pub tenant_id: String,
    /// Subscription GUIDs the bot reads for drift, cost and quota.
    pub subscriptions: Vec<String>,
    /// Regions the organisation has selected for AI workloads.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Object ids (or sign-in names) of the identities that deploy the rendered IaC, such as
    /// the deployment pipeline's service principal. Their Activity Log writes are not a
    /// person's activity in an idle sandbox.
    #[serde(default)]
    pub deployment_identities: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Notices {
    /// Days before a time box ends that the owner is warned, once.
    #[serde(default = "default_warning_days")]
    pub expiry_warning_days: u32,
    /// Whether owners are @-mentioned in the dashboard issue.
    #[serde(default = "yes")]
    pub mention_owners: bool,
}

fn default_warning_days() -> u32 {
    3
}
fn yes() -> bool {
    true
}

impl Default for Notices {
    fn default() -> Self {
        Notices {
            expiry_warning_days: default_warning_days(),
            mention_owners: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stakeholder {
    pub name: String,
    /// What they represent, e.g. `CFO office`.
    pub represents: String,
    #[serde(default)]
    pub github: Option<Login>,
    /// When they agreed to the adoption plan. Unset means not aligned yet.
    #[serde(default)]
    pub aligned_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// Repository paths of the CI/CD workflows that deploy infrastructure and models.
    #[serde(default)]
    pub ci_workflows: Vec<Located<String>>,
    #[serde(default)]
    pub monitoring: Option<Monitoring>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Resource id of the Log Analytics workspace that collects diagnostics and GPU metrics.
    pub log_analytics_workspace: String,
    /// Resource id of the action group that alerts page.
    #[serde(default)]
    pub alert_action_group: Option<String>,
    /// The alert rules in place, e.g. `gpu-utilisation-low`, `inference-p99-latency`.
    #[serde(default)]
    pub alert_rules: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplianceAudit {
    pub date: Located<NaiveDate>,
    pub auditor: String,
    pub result: AuditResult,
    /// Open findings from the audit.
    #[serde(default)]
    pub findings: u32,
    /// Where the report is, a repository path or a URL.
    #[serde(default)]
    pub report: Option<String>,
}

/// The result of a compliance audit: `passed` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuditResult {
    Passed,
    Failed,
}
