//! The framework as data: phases, their exit gates, each gate's deliverables as checks from
//! a catalogue implemented in `evaluate::gate`, its approver roles and its rollback
//! criteria, plus the framework-wide thresholds. The built-in definitions live in
//! `phases/` at the root of this project and are embedded in the binary; an organisation
//! overrides thresholds with `phases/overrides.yaml` in its adoption repository.

use super::{Id, Phase, Span};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One phase of the six-phase model, with its exit gate.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseDef {
    pub phase: Phase,
    /// The one question the phase answers.
    pub question: String,
    /// What the phase delivers, in the framework's words.
    pub deliverables: Vec<String>,
    /// The decision gate to the next phase. Phase 6 has none: it never ends.
    #[serde(default)]
    pub exit_gate: Option<GateDef>,
}

/// A decision gate between two phases: the framework's decision matrix, one row.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateDef {
    /// `1-2`, `2-3`, ... : the phase it leaves and the phase it enters.
    pub id: String,
    /// The approval authority: every role must approve.
    pub approvers: Vec<Id>,
    /// The required deliverables, each a machine check.
    pub deliverables: Vec<DeliverableDef>,
    /// What sends the organisation back to the previous phase after the gate.
    pub rollback: Vec<RollbackDef>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverableDef {
    pub id: Id,
    pub description: String,
    pub check: Check,
}

/// The check catalogue. Each check is implemented in Rust; its thresholds are data.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    /// The newest scorecard rates all six areas.
    ScorecardComplete,
    /// Every area of the newest scorecard is rated at least `min`.
    MinRating { min: u8 },
    /// `inventory/shadow-ai.yaml` exists and its survey is at most `max_age_days` old.
    ShadowInventoryPresent { max_age_days: u32 },
    /// Every stakeholder in `adoption.yaml` has a date of alignment, and there is at least one.
    StakeholdersAligned,
    /// Completed training assignments across all teams are at least `min` (0-1) of all.
    TrainingCompletion { min: f64 },
    /// Every team's GPU quota is approved, and at least one quota exists.
    QuotasApproved,
    /// The file, or a folder with at least one file, exists in the repository.
    FileExists { path: String },
    /// Every blueprint in use exists and passes validation.
    BlueprintsValid,
    /// The CI/CD workflows named in `adoption.yaml` exist.
    CiOperational,
    /// Monitoring sends alerts: a workspace, an action group and at least one alert rule.
    MonitoringAlerting,
    /// At least `min` use cases validated technically, operationally and economically,
    /// each with a production estimate.
    UseCasesValidated { min: u32 },
    /// Every validated use case has a cost review.
    CostsReviewed,
    /// Every SLO has been met for at least `min` days, and there is at least one.
    SloMetDays { min: u32 },
    /// Runbooks cover every required procedure and were tested in the last `max_age_days`.
    RunbooksTested { max_age_days: u32 },
    /// The newest compliance audit passed, with no open findings, in the last `max_age_days`.
    ComplianceAuditPassed { max_age_days: u32 },
}

impl Check {
    pub fn name(&self) -> &'static str {
        match self {
            Check::ScorecardComplete => "scorecard-complete",
            Check::MinRating { .. } => "min-rating",
            Check::ShadowInventoryPresent { .. } => "shadow-inventory-present",
            Check::StakeholdersAligned => "stakeholders-aligned",
            Check::TrainingCompletion { .. } => "training-completion",
            Check::QuotasApproved => "quotas-approved",
            Check::FileExists { .. } => "file-exists",
            Check::BlueprintsValid => "blueprints-valid",
            Check::CiOperational => "ci-operational",
            Check::MonitoringAlerting => "monitoring-alerting",
            Check::UseCasesValidated { .. } => "use-cases-validated",
            Check::CostsReviewed => "costs-reviewed",
            Check::SloMetDays { .. } => "slo-met-days",
            Check::RunbooksTested { .. } => "runbooks-tested",
            Check::ComplianceAuditPassed { .. } => "compliance-audit-passed",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackDef {
    pub id: Id,
    pub description: String,
    pub trigger: Trigger,
}

/// What sets off a rollback criterion. Each trigger is implemented in Rust
/// (`evaluate::rollback`); its thresholds are data. A trigger is judged from the repository
/// as far as its files tell, and names the cloud signal that decides the rest.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Trigger {
    /// A shadow-AI finding dated after the gate passed (the repository), or an AI resource
    /// that nothing declares (the cloud).
    ShadowAiAfterGate,
    /// A team in which nobody is rated at least `min` in every skill dimension.
    TeamSkillsBelow { min: u8 },
    /// A blueprint fails validation (the repository), or a deployment of one fails (the
    /// cloud).
    BlueprintsInvalid,
    /// Monitoring without a workspace, an action group or alert rules (the repository), or a
    /// declared workload without monitoring (the cloud).
    MonitoringGaps,
    /// A use case in production costs more than `max_ratio` times its estimate.
    UseCaseCostOverrun { max_ratio: f64 },
    /// An SLO is not met now.
    SloViolations,
    /// The newest compliance audit has open findings or failed.
    ComplianceFindings,
}

impl Trigger {
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::ShadowAiAfterGate => "shadow-ai-after-gate",
            Trigger::TeamSkillsBelow { .. } => "team-skills-below",
            Trigger::BlueprintsInvalid => "blueprints-invalid",
            Trigger::MonitoringGaps => "monitoring-gaps",
            Trigger::UseCaseCostOverrun { .. } => "use-case-cost-overrun",
            Trigger::SloViolations => "slo-violations",
            Trigger::ComplianceFindings => "compliance-findings",
        }
    }

    /// The cloud signal that decides the criterion where the repository cannot: read by the
    /// scheduled report. `None` when the repository decides it whole.
    pub fn cloud_signal(&self) -> Option<&'static str> {
        match self {
            Trigger::ShadowAiAfterGate => Some(
                "Azure Resource Graph: AI and GPU resources that neither infra/ nor the inventory declares",
            ),
            Trigger::TeamSkillsBelow { .. } => None,
            Trigger::BlueprintsInvalid => {
                Some("Activity Log: failed deployments of the rendered templates")
            }
            Trigger::MonitoringGaps => Some(
                "Azure Monitor: diagnostic settings and GPU, latency and token metrics of every declared workload",
            ),
            Trigger::UseCaseCostOverrun { .. } => {
                Some("Cost Management: monthly actual cost per use case, by cost tag")
            }
            Trigger::SloViolations => Some(
                "Azure Monitor: availability, p99 latency, throughput and errors of each endpoint",
            ),
            Trigger::ComplianceFindings => {
                Some("Azure Policy: compliance state of the AI subscriptions")
            }
        }
    }
}

/// Framework-wide thresholds that are not part of one gate.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    /// A scorecard area rated below this becomes a Phase 2 focus item.
    pub focus_below_rating: u8,
    /// The standard experiment time boxes.
    pub time_boxes: Vec<Span>,
    /// How many explicit renewals an experiment may have.
    pub max_renewals: u32,
    /// Radar entries and scorecards older than this are stale (a quarter).
    pub review_every_months: u32,
    /// Sandboxes idle this long are flagged.
    pub sandbox_idle_flag: Span,
    /// Sandboxes idle this long are decommissioned.
    pub sandbox_idle_decommission: Span,
    /// GPU quota used below this percentage ...
    pub quota_reclaim_below_percent: u32,
    /// ... for this long is reclaimed.
    pub quota_reclaim_after: Span,
    /// Budget alert thresholds, in percent.
    pub budget_alerts_percent: Vec<u32>,
    /// A sandbox's compute counts as activity on a day its `Percentage CPU` maximum is above
    /// this.
    pub sandbox_active_cpu_percent: f64,
    /// The "Big Bang" anti-pattern: this many months in a platform phase (enablement or
    /// infrastructure preparation) with no experiment request.
    pub big_bang_after_months: u32,
    /// The "Build Everything" anti-pattern: radar entry id of a custom component -> the ids
    /// of its managed alternatives.
    #[serde(default)]
    pub managed_alternatives: BTreeMap<String, Vec<String>>,
}

/// The whole framework: thresholds and the six phases in order.
#[derive(Debug, Clone)]
pub struct Framework {
    pub policies: Policies,
    pub phases: Vec<PhaseDef>,
}

impl Framework {
    pub fn phase(&self, phase: Phase) -> Option<&PhaseDef> {
        self.phases.iter().find(|p| p.phase == phase)
    }

    /// The exit gate of `phase`, if it has one.
    pub fn exit_gate(&self, phase: Phase) -> Option<&GateDef> {
        self.phase(phase)?.exit_gate.as_ref()
    }

    /// The gate `phase` was entered through: the exit gate of the phase before, with that
    /// phase, where a rollback returns to. Phase 1 has none.
    pub fn entry_gate(&self, phase: Phase) -> Option<(Phase, &GateDef)> {
        let before = phase.previous()?;
        Some((before, self.exit_gate(before)?))
    }

    pub fn gates(&self) -> impl Iterator<Item = (Phase, &GateDef)> {
        self.phases
            .iter()
            .filter_map(|p| Some((p.phase, p.exit_gate.as_ref()?)))
    }
}

/// `phases/overrides.yaml` in an adoption repository: thresholds the organisation sets
/// differently. Only thresholds: the checks, roles and criteria stay the framework's.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameworkOverrides {
    #[serde(default)]
    pub policies: PolicyOverrides,
    /// Per gate id (`2-3`), per deliverable id: the same check with other thresholds.
    #[serde(default)]
    pub gates: BTreeMap<String, BTreeMap<Id, super::Located<Check>>>,
    /// Per gate id, per rollback criterion id: the same trigger with other thresholds.
    #[serde(default)]
    pub rollback: BTreeMap<String, BTreeMap<Id, super::Located<Trigger>>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverrides {
    pub focus_below_rating: Option<u8>,
    pub time_boxes: Option<Vec<Span>>,
    pub max_renewals: Option<u32>,
    pub review_every_months: Option<u32>,
    pub sandbox_idle_flag: Option<Span>,
    pub sandbox_idle_decommission: Option<Span>,
    pub quota_reclaim_below_percent: Option<u32>,
    pub quota_reclaim_after: Option<Span>,
    pub budget_alerts_percent: Option<Vec<u32>>,
    pub sandbox_active_cpu_percent: Option<f64>,
    pub big_bang_after_months: Option<u32>,
    pub managed_alternatives: Option<BTreeMap<String, Vec<String>>>,
}
