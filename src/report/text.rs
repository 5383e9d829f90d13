//! Terminal output: aligned, readable, and in the order a person acts on it.

use super::table::Table;
use crate::evaluate::rollback::place;
use crate::evaluate::{Evaluation, Lifecycle, RollbackCriteria, RollbackStatus, Status};
use crate::model::{Diagnostic, Severity};
use crate::plan::{Action, Target};
use std::fmt::Write;

/// Diagnostics, one per entry, with a count line at the end.
pub fn diagnostics(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let _ = writeln!(out, "{d}");
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let _ = writeln!(out, "{}", crate::plan::tally(errors, diags.len() - errors));
    out
}

/// The rollback criteria of the current phase, each with its evidence. A triggered
/// criterion is in capitals, like an expired experiment; the plan's actions say what to do.
pub fn rollback(out: &mut String, r: &RollbackCriteria) {
    let counts: Vec<String> = [
        RollbackStatus::Triggered,
        RollbackStatus::Clear,
        RollbackStatus::Unknown,
        RollbackStatus::NeedsCloud,
    ]
    .into_iter()
    .map(|s| format!("{} {}", r.count(s), s.as_str().replace('-', " ")))
    .collect();
    let entered = r
        .entered_on
        .map(|d| format!(", entered {d}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Rollback criteria of gate {}{entered}, back to phase {} if triggered: {}",
        r.gate,
        r.to.number(),
        counts.join(", ")
    );
    let mut t = Table::new();
    for c in &r.criteria {
        let status = match c.status {
            RollbackStatus::Triggered => "TRIGGERED",
            RollbackStatus::Clear => "clear",
            RollbackStatus::Unknown => "unknown",
            RollbackStatus::NeedsCloud => "needs cloud",
        };
        t.row([status.to_string(), c.id.to_string(), c.description.clone()]);
        let mut lines: Vec<String> = c
            .evidence
            .iter()
            .map(|e| {
                let threshold = e
                    .threshold
                    .as_ref()
                    .map(|t| format!(" (needs {t})"))
                    .unwrap_or_default();
                format!("{}: {}{threshold}", place(e), e.value)
            })
            .collect();
        if let Some(h) = &c.hint {
            lines.push(format!("hint: {h}"));
        }
        match (c.status, c.cloud) {
            (RollbackStatus::NeedsCloud, Some(s)) => lines.push(format!("waits for {s}")),
            (_, Some(s)) => lines.push(format!("the cloud part waits for {s}")),
            _ => {}
        }
        for l in lines {
            t.row([String::new(), String::new(), l]);
        }
    }
    out.push_str(&t.render(2));
    out.push('\n');
}

pub fn plan(ev: &Evaluation, actions: &[Action]) -> String {
    let mut out = String::new();
    let org = ev.organisation.as_deref().unwrap_or("(no adoption.yaml)");
    let phase = ev
        .phase
        .map_or("unknown phase".to_string(), |p| format!("phase {p}"));
    let _ = writeln!(out, "adoptbot plan: {org}, {phase}, as of {}\n", ev.today);

    let errors = ev
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let _ = writeln!(
        out,
        "Diagnostics: {}",
        crate::plan::tally(errors, ev.diagnostics.len() - errors)
    );
    let mut t = Table::new();
    for d in &ev.diagnostics {
        let sev = if d.is_error() { "error" } else { "warning" };
        t.row([
            d.place.to_string(),
            sev.to_string(),
            d.code.to_string(),
            d.message.clone(),
        ]);
    }
    out.push_str(&t.render(2));
    out.push('\n');

    if let Some(g) = &ev.gate {
        let met = g.met();
        let _ = writeln!(
            out,
            "Gate {} to phase {}: {met} of {} deliverables met",
            g.gate,
            g.to,
            g.deliverables.len()
        );
        let mut t = Table::new();
        for d in &g.deliverables {
            let status = match d.status {
                Status::Pass => "PASS",
                Status::Fail => "FAIL",
                Status::Unknown => "????",
            };
            t.row([status.to_string(), d.id.to_string(), d.description.clone()]);
            for e in &d.evidence {
                let place = if e.line > 0 {
                    format!("{}:{}", e.file, e.line)
                } else {
                    e.file.clone()
                };
                let threshold = e
                    .threshold
                    .as_ref()
                    .map(|t| format!(" (needs {t})"))
                    .unwrap_or_default();
                t.row([
                    String::new(),
                    String::new(),
                    format!("{place}: {}{threshold}", e.value),
                ]);
            }
        }
        out.push_str(&t.render(2));
        let roles: Vec<String> = g
            .approvers
            .iter()
            .map(|r| {
                let who: Vec<String> = r
                    .users
                    .iter()
                    .map(|u| format!("@{u}"))
                    .chain(r.teams.iter().map(|t| format!("@{t}")))
                    .collect();
                format!(
                    "{} ({})",
                    r.role,
                    if who.is_empty() {
                        "nobody".into()
                    } else {
                        who.join(", ")
                    }
                )
            })
            .collect();
        let _ = writeln!(out, "  approvers: {}\n", roles.join(", "));
    }

    if let Some(r) = &ev.rollback {
        rollback(&mut out, r);
    }

    if let Some(r) = &ev.readiness {
        let _ = writeln!(
            out,
            "Readiness: {} (assessed {}), {} focus areas",
            r.scorecard,
            r.assessed_on,
            r.focus.len()
        );
        let mut t = Table::new();
        for f in &r.focus {
            t.row([
                f.area.to_string(),
                format!("rated {}", f.rating),
                f.evidence.clone(),
            ]);
        }
        for a in &r.missing {
            t.row([a.to_string(), "missing".into(), a.question().into()]);
        }
        out.push_str(&t.render(2));
        out.push('\n');
    }

    let _ = writeln!(out, "Experiments: {}", ev.experiments.len());
    let mut t = Table::new();
    t.row([
        "ID",
        "TEAM",
        "STATE",
        "EXPIRES",
        "LEFT",
        "ESTIMATE",
        "SPEND / CAP",
    ]);
    for e in &ev.experiments {
        let state = match e.lifecycle {
            Lifecycle::Requested => "requested",
            Lifecycle::Active => "active",
            Lifecycle::EndingSoon => "ending soon",
            Lifecycle::Expired => "EXPIRED",
            Lifecycle::Closed => "closed",
        };
        let state = if e.over_budget && e.lifecycle != Lifecycle::Closed {
            format!("{state}, OVER BUDGET")
        } else {
            state.to_string()
        };
        let state = if e.valid {
            state
        } else {
            format!("{state}, invalid")
        };
        let left = e
            .days_left
            .filter(|_| e.lifecycle != Lifecycle::Closed)
            .map_or("-".into(), |d| format!("{d}d"));
        let spend = e.spend.map_or("-".into(), |s| s.to_string());
        t.row([
            e.id.to_string(),
            e.team.to_string(),
            state,
            e.expires_on.map_or("-".into(), |d| d.to_string()),
            left,
            e.estimate.map_or("-".into(), |m| m.to_string()),
            format!("{spend} / {}", e.cost_cap),
        ]);
    }
    out.push_str(&t.render(2));
    out.push('\n');

    if !ev.stale.is_empty() {
        let _ = writeln!(out, "Overdue reviews: {}", ev.stale.len());
        let mut t = Table::new();
        for s in &ev.stale {
            let owner = s.owner.as_ref().map_or("-".into(), |o| format!("@{o}"));
            t.row([
                s.path.clone(),
                s.name.clone(),
                owner,
                format!("last reviewed {} ({} days)", s.last_reviewed, s.age_days),
            ]);
        }
        out.push_str(&t.render(2));
        out.push('\n');
    }

    let inv = &ev.inventory;
    match (&inv.path, inv.surveyed_on) {
        (Some(p), Some(d)) => {
            let _ = writeln!(
                out,
                "Shadow AI: {p}, surveyed {d} ({} days ago), {}, {} open\n",
                inv.age_days.unwrap_or(0),
                crate::plan::count(inv.findings, "finding", "findings"),
                inv.open
            );
        }
        _ => out.push_str("Shadow AI: no inventory (inventory/shadow-ai.yaml)\n\n"),
    }

    if !ev.training.is_empty() {
        out.push_str("Training completion\n");
        let mut t = Table::new();
        for tr in &ev.training {
            t.row([
                tr.team.to_string(),
                format!("{:.0}%", tr.ratio * 100.0),
                format!("{} of {} assignments", tr.completed, tr.total),
            ]);
        }
        out.push_str(&t.render(2));
        out.push('\n');
    }

    let _ = writeln!(out, "In short: {}\n", crate::plan::summary(ev));
    let _ = writeln!(out, "Actions: {}", actions.len());
    let mut t = Table::new();
    for a in actions {
        match a {
            Action::PullRequest {
                branch,
                title,
                reason,
            } => t.row([
                "pull request".to_string(),
                branch.clone(),
                format!("{title}: {reason}"),
            ]),
            Action::Recommendation {
                topic,
                title,
                reason,
            } => t.row([
                "recommended".to_string(),
                topic.clone(),
                format!("{title}: {reason}"),
            ]),
            Action::Comment {
                target,
                summary,
                mentions,
                ..
            } => {
                let on = match target {
                    Target::Dashboard => "dashboard issue".to_string(),
                    Target::ExperimentRequest(id) => format!("request {id}"),
                };
                let m = if mentions.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        mentions
                            .iter()
                            .map(|m| format!("@{m}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                };
                t.row(["comment".to_string(), on, format!("{summary}{m}")])
            }
        };
    }
    out.push_str(&t.render(2));
    out
}
