//! The audit trail's records as data: what a merged gate request leaves on the
//! `adoptbot/audit` branch, and the phase changes of the history they are matched with.
//! Written by the runner (`report::audit::record`), read back by `adoptbot audit`.

use serde::{Deserialize, Serialize};

/// The branch that holds the records.
pub const BRANCH: &str = "adoptbot/audit";
/// The folder of the records on that branch.
pub const FOLDER: &str = "audit/gates";
/// The trailer that names the record a commit of the audit branch adds.
pub const TRAILER: &str = "Adoptbot-Audit:";
/// The version of the record format.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRecord {
    pub version: u32,
    /// `4-5`; `None` when the request named no gate (an invalid step).
    pub gate: Option<String>,
    /// `advance`, `rollback`, `rules` (a rule change in its own PR) or `refused`.
    pub kind: String,
    pub from_phase: String,
    pub to_phase: String,
    pub rollback_reason: Option<String>,
    /// Whether the gate passed when the PR was merged.
    pub passed: bool,
    /// The check's title at the merge.
    pub verdict: String,
    pub pull: u64,
    pub title: String,
    pub author: String,
    pub base_branch: String,
    /// The commit the rules, roles and phases were read at: the policy.
    pub rules_at: String,
    /// The commit the deliverables were read at and the approvals were given on.
    pub head_sha: String,
    /// The commit the merge made on the base branch.
    pub merge_sha: Option<String>,
    /// When adoptbot recorded it (RFC 3339).
    pub recorded_at: String,
    pub rule_changes: Vec<String>,
    pub deliverables: Vec<RecordedDeliverable>,
    pub roles: Vec<RecordedRole>,
    /// Approvals from people who hold no role: shown, not counted.
    pub not_counted: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedDeliverable {
    pub id: String,
    pub description: String,
    pub check: String,
    /// `pass`, `fail` or `unknown`.
    pub status: String,
    pub evidence: Vec<RecordedEvidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvidence {
    pub file: String,
    pub line: u32,
    pub value: String,
    pub threshold: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRole {
    pub role: String,
    pub met: bool,
    pub approvals: Vec<RecordedApproval>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedApproval {
    pub login: String,
    pub user_id: u64,
    pub review_id: u64,
    pub commit: String,
    pub submitted_at: Option<String>,
}

/// A change of `phase` on the default branch's first-parent history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    pub commit: String,
    pub date: String,
    pub from: String,
    pub to: String,
    /// The commit's first line.
    pub summary: String,
}
