//! Plan: the outcomes the bot wants, derived from the findings. Each outcome is keyed so
//! that a later run recognises its own work: checks by name, comments by a hidden marker,
//! PRs by their branch `adoptbot/<kind>/<id>`.

pub mod command;
pub mod deploy;
pub mod desired;
pub mod reconcile;
pub mod yaml_edit;

use crate::evaluate::approval::ROLLBACK_REASON;
use crate::evaluate::{Evaluation, Lifecycle, RollbackStatus, Status};
use crate::model::Severity;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// A check run on the commit.
    Check {
        name: String,
        conclusion: Conclusion,
        summary: String,
        annotations: usize,
    },
    /// A comment, updated in place, keyed by its marker.
    Comment {
        target: Target,
        marker: String,
        summary: String,
        mentions: Vec<String>,
    },
    /// A pull request, keyed by its branch.
    PullRequest {
        branch: String,
        title: String,
        reason: String,
    },
    /// Advice for people that the bot shows and does not act on, keyed by its topic.
    Recommendation {
        topic: String,
        title: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Conclusion {
    Success,
    Failure,
    Neutral,
}

/// What a comment is posted on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "kebab-case")]
pub enum Target {
    /// The PR that requested an experiment.
    ExperimentRequest(String),
    /// The one dashboard issue of the adoption repository.
    Dashboard,
}

impl Action {
    /// The key that identifies the outcome across runs.
    pub fn key(&self) -> String {
        match self {
            Action::Check { name, .. } => format!("check:{name}"),
            Action::Comment {
                target: Target::Dashboard,
                marker,
                ..
            } => format!("dashboard:{marker}"),
            Action::Comment {
                target: Target::ExperimentRequest(id),
                marker,
                ..
            } => format!("comment:{id}:{marker}"),
            Action::PullRequest { branch, .. } => format!("pr:{branch}"),
            Action::Recommendation { topic, .. } => format!("recommendation:{topic}"),
        }
    }
}

/// The actions for a scheduled run on the default branch.
pub fn plan(ev: &Evaluation) -> Vec<Action> {
    let mut actions = Vec::new();
    let errors = ev
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = ev.diagnostics.len() - errors;
    actions.push(Action::Check {
        name: "adoptbot/validate".into(),
        conclusion: if errors == 0 {
            Conclusion::Success
        } else {
            Conclusion::Failure
        },
        summary: tally(errors, warnings),
        annotations: ev.diagnostics.len(),
    });

    for e in &ev.experiments {
        let id = e.id.as_str();
        match e.lifecycle {
            Lifecycle::Requested if e.valid && !e.waiting_for_quota => {
                actions.push(Action::PullRequest {
                    branch: format!("adoptbot/provision/{id}"),
                    title: format!("Provision experiment {id}"),
                    reason: format!(
                        "the request is merged and valid; render blueprint `{}`",
                        e.blueprint
                    ),
                })
            }
            Lifecycle::EndingSoon => actions.push(Action::Comment {
                target: Target::ExperimentRequest(id.into()),
                marker: "expiry-warning".into(),
                summary: format!(
                    "the time box ends on {} ({} days left)",
                    fmt_date(e.expires_on),
                    e.days_left.unwrap_or(0)
                ),
                mentions: vec![e.owner.to_string()],
            }),
            Lifecycle::Expired => actions.push(Action::PullRequest {
                branch: format!("adoptbot/decommission/{id}"),
                title: format!("Decommission experiment {id}"),
                reason: format!("the time box ended on {}", fmt_date(e.expires_on)),
            }),
            _ => {}
        }
        if e.over_budget && matches!(e.lifecycle, Lifecycle::Active | Lifecycle::EndingSoon) {
            actions.push(Action::PullRequest {
                branch: format!("adoptbot/decommission/{id}"),
                title: format!("Decommission experiment {id}"),
                reason: format!(
                    "spend {} reached the cost cap {}",
                    e.spend.map(|s| s.to_string()).unwrap_or_default(),
                    e.cost_cap
                ),
            });
        }
    }

    let mut mentions: Vec<String> = ev
        .stale
        .iter()
        .filter_map(|s| s.owner.as_ref().map(|o| o.to_string()))
        .collect();
    mentions.sort();
    mentions.dedup();
    let mut parts = Vec::new();
    if let Some(g) = &ev.gate {
        let met = g
            .deliverables
            .iter()
            .filter(|d| d.status == Status::Pass)
            .count();
        parts.push(format!(
            "gate {}: {met} of {} deliverables met",
            g.gate,
            g.deliverables.len()
        ));
    }
    if let Some(r) = &ev.rollback
        && let Some(reason) = r.rollback_reason()
    {
        let ids: Vec<&str> = r
            .criteria
            .iter()
            .filter(|c| c.status == RollbackStatus::Triggered)
            .map(|c| c.id.as_str())
            .collect();
        parts.push(format!(
            "gate {} rollback criteria triggered: {}",
            r.gate,
            ids.join(", ")
        ));
        actions.push(Action::Recommendation {
            topic: "rollback".into(),
            title: format!("Roll back to phase {}", r.to),
            reason: format!(
                "open a gate request PR that sets `phase: {}` in adoption.yaml, with the line `{ROLLBACK_REASON} {reason}` in its description",
                r.to.slug()
            ),
        });
    }
    if let Some(r) = &ev.readiness
        && !r.focus.is_empty()
    {
        parts.push(count(
            r.focus.len(),
            "Phase 2 focus area",
            "Phase 2 focus areas",
        ));
    }
    if !ev.stale.is_empty() {
        parts.push(format!(
            "{} overdue",
            count(ev.stale.len(), "review", "reviews")
        ));
    }
    let attention = ev
        .experiments
        .iter()
        .filter(|e| {
            matches!(e.lifecycle, Lifecycle::EndingSoon | Lifecycle::Expired) || e.over_budget
        })
        .count();
    if attention > 0 {
        parts.push(format!("{attention} experiments need attention"));
    }
    actions.push(Action::Comment {
        target: Target::Dashboard,
        marker: "dashboard".into(),
        summary: if parts.is_empty() {
            "all clear".into()
        } else {
            parts.join("; ")
        },
        mentions,
    });
    actions.sort();
    actions.dedup_by(|a, b| a.key() == b.key());
    actions
}

/// `1 error, 2 warnings`.
pub fn tally(errors: usize, warnings: usize) -> String {
    format!(
        "{}, {}",
        count(errors, "error", "errors"),
        count(warnings, "warning", "warnings")
    )
}

/// `1 experiment`, `2 experiments`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn fmt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map_or_else(|| "?".into(), |d| d.to_string())
}
