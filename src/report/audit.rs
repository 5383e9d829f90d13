//! The audit trail of decision gates. When a gate request is merged, adoptbot records the
//! verdict as it stood at the merge: the policy (the base commit the rules were read at), the
//! approvals that counted (who, when, on which commit, through which review), and the
//! evidence that decided each deliverable. Records are JSON files on the `adoptbot/audit`
//! branch, one commit each. `adoptbot audit` prints them beside the phase changes of the
//! default branch's history, so that a phase change with no passing record stands out.

use super::gate::GateView;
use crate::evaluate::Status;
use crate::evaluate::approval::Step;
pub use crate::model::audit::*;
use crate::model::forge::{PullRequest, Review, ReviewState};
use serde::Serialize;
use std::fmt::Write;

fn phase_word(p: crate::model::Phase) -> String {
    format!("{} ({})", p.number(), p.slug())
}

/// The record of a merged gate request, from the verdict at the merge.
pub fn record(
    view: &GateView,
    pull: &PullRequest,
    reviews: &[Review],
    phases: (crate::model::Phase, crate::model::Phase),
    recorded_at: &str,
) -> GateRecord {
    let (kind, reason) = match view.step {
        Step::Advance { .. } => ("advance", None),
        Step::Rollback { reason, .. } => ("rollback", Some(reason.clone())),
        Step::Invalid { .. } if view.rules_only() => ("rules", None),
        Step::Invalid { .. } => ("refused", None),
    };
    let roles = view
        .roles
        .iter()
        .map(|r| RecordedRole {
            role: r.role.to_string(),
            met: r.met,
            approvals: r
                .approved_by
                .iter()
                .filter_map(|login| {
                    // The reviewer's latest approval on the head: the review that counted.
                    let review = reviews.iter().rev().find(|x| {
                        x.user_login.eq_ignore_ascii_case(login)
                            && x.state == ReviewState::Approved
                            && x.commit_id == pull.head_sha
                    })?;
                    Some(RecordedApproval {
                        login: login.clone(),
                        user_id: review.user_id,
                        review_id: review.id,
                        commit: review.commit_id.clone(),
                        submitted_at: review.submitted_at.clone(),
                    })
                })
                .collect(),
            notes: r.notes.clone(),
        })
        .collect();
    let deliverables = view
        .deliverables
        .iter()
        .map(|d| RecordedDeliverable {
            id: d.id.to_string(),
            description: d.description.clone(),
            check: d.check.to_string(),
            status: match d.status {
                Status::Pass => "pass",
                Status::Fail => "fail",
                Status::Unknown => "unknown",
            }
            .into(),
            evidence: d
                .evidence
                .iter()
                .map(|e| RecordedEvidence {
                    file: e.file.clone(),
                    line: e.line,
                    value: e.value.clone(),
                    threshold: e.threshold.clone(),
                })
                .collect(),
        })
        .collect();
    GateRecord {
        version: VERSION,
        gate: view.gate.map(str::to_owned),
        kind: kind.into(),
        from_phase: phase_word(phases.0),
        to_phase: phase_word(phases.1),
        rollback_reason: reason,
        passed: view.passed(),
        verdict: super::gate::check(view).title,
        pull: pull.number,
        title: pull.title.clone(),
        author: pull.author.clone(),
        base_branch: pull.base_branch.clone(),
        rules_at: pull.base_sha.clone(),
        head_sha: pull.head_sha.clone(),
        merge_sha: pull.merge_sha.clone(),
        recorded_at: recorded_at.to_owned(),
        rule_changes: view.rule_changes.to_vec(),
        deliverables,
        roles,
        not_counted: view.outsiders.to_vec(),
    }
}

/// The record's file on the audit branch.
pub fn path(r: &GateRecord) -> String {
    format!(
        "{FOLDER}/{}-pr{}-{}.json",
        r.recorded_at.get(..10).unwrap_or("undated"),
        r.pull,
        r.gate.as_deref().unwrap_or("none")
    )
}

/// The trailer value that marks the commit adding the record of pull request `n`.
pub fn key(n: u64) -> String {
    format!("pr-{n}")
}

/// Whether the bot recorded the record keyed `key` (see [`key`]) on the audit branch: a
/// commit that names it and that the bot made ([`crate::plan::reconcile::is_bot_commit`]).
/// A person's commit with the same trailer records nothing.
pub fn is_recorded(commits: &[crate::model::forge::Commit], key: &str, bot: &str) -> bool {
    recorded_by_bot(commits, key, bot).is_some()
}

/// The bot's commit that added the record keyed `key`, if any.
pub fn recorded_by_bot<'a>(
    commits: &'a [crate::model::forge::Commit],
    key: &str,
    bot: &str,
) -> Option<&'a crate::model::forge::Commit> {
    let trailer = format!("{TRAILER} {key}");
    commits.iter().find(|c| {
        crate::plan::reconcile::is_bot_commit(c, bot)
            && c.message.lines().any(|l| l.trim() == trailer)
    })
}

/// The commits on the audit branch the bot did not make: each one is a forgery, whatever it
/// says.
pub fn foreign_commits<'a>(
    commits: &'a [crate::model::forge::Commit],
    bot: &str,
) -> Vec<&'a crate::model::forge::Commit> {
    commits
        .iter()
        .filter(|c| !crate::plan::reconcile::is_bot_commit(c, bot))
        .collect()
}

/// What a forged or unverifiable commit on the audit branch is called in a finding.
pub fn describe_foreign(c: &crate::model::forge::Commit) -> String {
    let who = |login: &str, email: &str| {
        if login.is_empty() {
            format!("`{email}`")
        } else {
            format!("@{login}")
        }
    };
    format!(
        "commit {} on `{BRANCH}` was not made by adoptbot (author {}, committer {}, signature {}): a forgery",
        &c.sha[..c.sha.len().min(7)],
        who(&c.author_login, &c.author_email),
        who(&c.committer_login, &c.committer_email),
        if c.verified {
            "verified"
        } else {
            "not verified"
        }
    )
}

/// One entry of the trail: a phase change with the record that approved it, a record with no
/// phase change on the history read (a rule change, or a merge elsewhere), and what an
/// auditor should look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub change: Option<PhaseChange>,
    pub record: Option<GateRecord>,
    pub findings: Vec<String>,
}

/// Matches phase changes with records (by merge commit), oldest first.
pub fn trail(changes: &[PhaseChange], records: &[GateRecord]) -> Vec<Entry> {
    let mut used = vec![false; records.len()];
    let mut out = Vec::new();
    for c in changes {
        let found = records
            .iter()
            .position(|r| r.merge_sha.as_deref() == Some(c.commit.as_str()));
        let mut findings = Vec::new();
        let record = match found {
            Some(i) => {
                used[i] = true;
                let r = &records[i];
                if !r.passed {
                    findings.push(format!("merged while the gate did not pass: {}", r.verdict));
                }
                Some(r.clone())
            }
            None => {
                findings.push(
                    "no gate record: the phase changed without a gate request adoptbot judged (a direct push, a merge while adoptbot was not running, or a record that was removed)".into(),
                );
                None
            }
        };
        out.push(Entry {
            change: Some(c.clone()),
            record,
            findings,
        });
    }
    for r in records
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(r, _)| r)
    {
        let mut findings = Vec::new();
        if !r.passed {
            findings.push(format!("merged while the gate did not pass: {}", r.verdict));
        }
        out.push(Entry {
            change: None,
            record: Some(r.clone()),
            findings,
        });
    }
    out
}

/// The trail as an auditor reads it.
pub fn text(entries: &[Entry], source: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Audit trail of decision gates: {source}\n");
    if entries.is_empty() {
        out.push_str("No phase change and no gate record.\n");
        return out;
    }
    for e in entries {
        match (&e.change, &e.record) {
            (Some(c), _) => {
                let _ = writeln!(
                    out,
                    "{}  phase {} -> {}  commit {}  {}",
                    c.date,
                    c.from,
                    c.to,
                    short(&c.commit),
                    c.summary
                );
            }
            (None, Some(r)) => {
                let _ = writeln!(
                    out,
                    "{}  {} #{} (no phase change on this history)",
                    r.recorded_at.get(..10).unwrap_or(""),
                    r.kind,
                    r.pull
                );
            }
            (None, None) => {
                let _ = writeln!(out, "checked against the forge:");
            }
        }
        if let Some(r) = &e.record {
            let _ = writeln!(
                out,
                "  gate {}: {} #{} \"{}\" by @{}: {}",
                r.gate.as_deref().unwrap_or("-"),
                r.kind,
                r.pull,
                r.title,
                r.author,
                if r.passed { "PASSED" } else { "NOT PASSED" }
            );
            let _ = writeln!(
                out,
                "    policy: rules read at {} ({}); approved commit {}; merged as {}; recorded {}",
                short(&r.rules_at),
                r.base_branch,
                short(&r.head_sha),
                r.merge_sha.as_deref().map(short).unwrap_or("-"),
                r.recorded_at
            );
            if let Some(reason) = &r.rollback_reason {
                let _ = writeln!(out, "    rollback reason: {reason}");
            }
            for c in &r.rule_changes {
                let _ = writeln!(out, "    rule change: {c}");
            }
            for d in &r.deliverables {
                let _ = writeln!(out, "    [{}] {}", d.status, d.description);
                for ev in &d.evidence {
                    let at = if ev.line > 0 {
                        format!("{}:{}", ev.file, ev.line)
                    } else {
                        ev.file.clone()
                    };
                    let threshold = ev
                        .threshold
                        .as_ref()
                        .map(|t| format!(" (needs {t})"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "        {at}: {}{threshold}", ev.value);
                }
            }
            for role in &r.roles {
                let who: Vec<String> = role
                    .approvals
                    .iter()
                    .map(|a| {
                        format!(
                            "@{} (id {}, review {}, {}, on {})",
                            a.login,
                            a.user_id,
                            a.review_id,
                            a.submitted_at.as_deref().unwrap_or("time not known"),
                            short(&a.commit)
                        )
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "    role {} {}: {}",
                    role.role,
                    if role.met { "approved" } else { "NOT approved" },
                    if who.is_empty() {
                        "-".into()
                    } else {
                        who.join("; ")
                    }
                );
            }
            if !r.not_counted.is_empty() {
                let _ = writeln!(
                    out,
                    "    not counted (no role): {}",
                    r.not_counted.join(", ")
                );
            }
        }
        for f in &e.findings {
            let _ = writeln!(out, "  ! {f}");
        }
        out.push('\n');
    }
    let flagged = entries.iter().filter(|e| !e.findings.is_empty()).count();
    let _ = writeln!(
        out,
        "{}, {flagged} to look at.",
        crate::plan::count(entries.len(), "entry", "entries")
    );
    out
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(pull: u64, merge: &str, passed: bool) -> GateRecord {
        GateRecord {
            version: VERSION,
            gate: Some("4-5".into()),
            kind: "advance".into(),
            from_phase: "4 (experimentation)".into(),
            to_phase: "5 (scale-and-governance)".into(),
            rollback_reason: None,
            passed,
            verdict: if passed {
                "gate 4-5 passes".into()
            } else {
                "waiting for security-lead".into()
            },
            pull,
            title: "Gate 4-5".into(),
            author: "akira".into(),
            base_branch: "main".into(),
            rules_at: "b".repeat(40),
            head_sha: "h".repeat(40),
            merge_sha: Some(merge.into()),
            recorded_at: "2026-11-27T12:00:00Z".into(),
            rule_changes: vec![],
            deliverables: vec![],
            roles: vec![],
            not_counted: vec![],
        }
    }

    fn change(commit: &str) -> PhaseChange {
        PhaseChange {
            commit: commit.into(),
            date: "2026-11-27".into(),
            from: "4".into(),
            to: "5".into(),
            summary: "Merge".into(),
        }
    }

    #[test]
    fn a_phase_change_without_a_passing_record_is_flagged() {
        let t = trail(
            &[change("m1"), change("m2"), change("m3")],
            &[
                rec(1, "m1", true),
                rec(2, "m2", false),
                rec(3, "elsewhere", true),
            ],
        );
        assert_eq!(t.len(), 4);
        assert!(t[0].findings.is_empty());
        assert!(t[1].findings[0].contains("did not pass"));
        assert!(t[2].record.is_none() && t[2].findings[0].starts_with("no gate record"));
        assert!(t[3].change.is_none() && t[3].record.as_ref().unwrap().pull == 3);
        let shown = text(&t, "main");
        assert!(shown.contains("4 entries, 2 to look at."), "{shown}");
    }
}
