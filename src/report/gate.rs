//! What a gate request PR shows: one checklist comment (every deliverable with its evidence,
//! every approver role with who has approved) and one check run `adoptbot/gate (<base>)`.

use crate::evaluate::approval::{RoleApproval, Step};
use crate::evaluate::{DeliverableResult, Status};
use crate::model::forge::{CheckRunSpec, Conclusion};
use std::fmt::Write;

/// Everything the gate verdict rests on.
pub struct GateView<'a> {
    pub base_branch: &'a str,
    pub head_sha: &'a str,
    pub step: &'a Step,
    /// The gate that judges: for an advance, the exit gate of the phase left; for a
    /// rollback, the gate between the two phases; for a PR that changes only the rules (the
    /// phase stays), the current phase's exit gate. `None` for any other invalid step.
    pub gate: Option<&'a str>,
    pub rule_changes: &'a [String],
    /// Files the PR changes that neither the gate nor its deliverables need.
    pub unrelated: &'a [String],
    pub deliverables: &'a [DeliverableResult],
    pub roles: &'a [RoleApproval],
    /// Approvals from people who hold no role: shown, not counted.
    pub outsiders: &'a [String],
}

impl GateView<'_> {
    /// A PR that changes the rules and leaves the phase as it is: the rule change in its own
    /// PR, judged by the approvals of every role of the current phase's exit gate alone.
    pub fn rules_only(&self) -> bool {
        matches!(self.step, Step::Invalid { .. })
            && self.gate.is_some()
            && !self.rule_changes.is_empty()
    }

    fn roles_met(&self) -> bool {
        !self.roles.is_empty() && self.roles.iter().all(|r| r.met)
    }

    /// The gate passes: a valid step, no rule changed, every deliverable holds (for an
    /// advance), and every role has a valid approval. A rules-only PR passes when every role
    /// has a valid approval.
    pub fn passed(&self) -> bool {
        if self.rules_only() {
            return self.roles_met();
        }
        let step_ok = matches!(self.step, Step::Advance { .. } | Step::Rollback { .. });
        let deliverables_ok = matches!(self.step, Step::Rollback { .. })
            || self.deliverables.iter().all(|d| d.status == Status::Pass);
        step_ok && self.rule_changes.is_empty() && deliverables_ok && self.roles_met()
    }

    pub fn check_name(&self) -> String {
        format!("adoptbot/gate ({})", self.base_branch)
    }
}

fn tick(ok: bool) -> &'static str {
    if ok { "✅" } else { "❌" }
}

/// The checklist comment.
pub fn comment(v: &GateView) -> String {
    let mut out = String::new();
    let verdict = if v.passed() {
        "passes"
    } else {
        "does not pass yet"
    };
    let what = match v.step {
        Step::Advance { from, to } => format!("from phase {from} to phase {to}"),
        Step::Rollback { from, to, reason } => {
            format!(
                "back from phase {from} to phase {to} (reason: {})",
                super::markdown::inline(reason)
            )
        }
        Step::Invalid { reason } => format!("refused: {reason}"),
    };
    let _ = writeln!(
        out,
        "### adoptbot: gate {} {verdict}\n",
        v.gate.unwrap_or("request")
    );
    let head = &v.head_sha[..v.head_sha.len().min(7)];
    if v.rules_only() {
        let _ = writeln!(
            out,
            "This PR changes the rules the gates are judged by and leaves the phase as it is, so every approver role of gate {}, the current phase's exit gate, must approve it. Roles are read from `{}`; this PR's head is `{head}`.\n",
            v.gate.unwrap_or("request"),
            v.base_branch,
        );
        out.push_str("#### Rule changes\n\n");
        for c in v.rule_changes {
            let _ = writeln!(out, "- {}", super::markdown::text(c));
        }
        out.push('\n');
    } else {
        let _ = writeln!(
            out,
            "This PR moves the adoption {what}. Rules and roles are read from `{}`; deliverables from this PR's head `{head}`.\n",
            v.base_branch,
        );
    }
    if !v.rule_changes.is_empty() && !v.rules_only() {
        out.push_str("❌ **This PR also changes the rules it is judged by.** Put rule changes in their own PR, approved by every approver role of the current gate:\n");
        for c in v.rule_changes {
            let _ = writeln!(out, "- {}", super::markdown::text(c));
        }
        out.push('\n');
    }
    if !v.unrelated.is_empty() {
        out.push_str("This PR also changes files that neither the gate nor its deliverables need; the approvals cover them too:\n");
        for p in v.unrelated {
            let _ = writeln!(out, "- {}", super::markdown::code(p));
        }
        out.push('\n');
    }
    if matches!(v.step, Step::Advance { .. }) {
        out.push_str("#### Deliverables\n\n| | deliverable | evidence |\n|---|---|---|\n");
        for d in v.deliverables {
            let mark = match d.status {
                Status::Pass => "✅",
                Status::Fail => "❌",
                Status::Unknown => "❔",
            };
            let evidence: Vec<String> = d
                .evidence
                .iter()
                .map(|e| {
                    let at = if e.line > 0 {
                        format!("`{}:{}`", e.file, e.line)
                    } else {
                        format!("`{}`", e.file)
                    };
                    let threshold = e
                        .threshold
                        .as_ref()
                        .map(|t| format!(" (needs {t})"))
                        .unwrap_or_default();
                    format!("{at}: {}{threshold}", super::markdown::text(&e.value))
                })
                .collect();
            let _ = writeln!(
                out,
                "| {mark} | {} | {} |",
                d.description,
                evidence.join("<br>")
            );
        }
        out.push('\n');
    }
    out.push_str("#### Approvals\n\nAn approval counts when it is the reviewer's latest review, on the current head, not from the PR's author, and from a member of the role.\n\n| | role | approved by | |\n|---|---|---|---|\n");
    for r in v.roles {
        let who: Vec<String> = r.approved_by.iter().map(|l| format!("@{l}")).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            tick(r.met),
            r.role,
            if who.is_empty() {
                "-".into()
            } else {
                who.join(", ")
            },
            r.notes.join("; ")
        );
    }
    if !v.outsiders.is_empty() {
        let _ = writeln!(
            out,
            "\nNot counted (no role): {}.",
            v.outsiders
                .iter()
                .map(|l| format!("@{l}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out
}

/// The check run on the head commit.
pub fn check(v: &GateView) -> CheckRunSpec {
    let missing: Vec<String> = v
        .roles
        .iter()
        .filter(|r| !r.met)
        .map(|r| r.role.to_string())
        .collect();
    let failing = v
        .deliverables
        .iter()
        .filter(|d| d.status != Status::Pass)
        .count();
    let title = if v.passed() && v.rules_only() {
        format!(
            "every role of gate {} approved the rule change",
            v.gate.unwrap_or("request")
        )
    } else if v.passed() {
        "every deliverable holds and every role approved".to_string()
    } else if v.rules_only() {
        format!("waiting for {}", missing.join(", "))
    } else if let Step::Invalid { reason } = v.step {
        reason.clone()
    } else if !v.rule_changes.is_empty() {
        "the PR also changes the rules".to_string()
    } else {
        let mut parts = Vec::new();
        if failing > 0 && matches!(v.step, Step::Advance { .. }) {
            parts.push(crate::plan::count(
                failing,
                "deliverable missing",
                "deliverables missing",
            ));
        }
        if !missing.is_empty() {
            parts.push(format!("waiting for {}", missing.join(", ")));
        }
        parts.join("; ")
    };
    CheckRunSpec {
        name: v.check_name(),
        head_sha: v.head_sha.to_string(),
        conclusion: if v.passed() {
            Conclusion::Success
        } else {
            Conclusion::Failure
        },
        title,
        summary: comment(v),
        annotations: Vec::new(),
    }
}
