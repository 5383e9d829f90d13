//! Plan: the outcomes the bot wants, derived from the findings. Each outcome is keyed so
//! that a later run recognises its own work: checks by name, comments by a hidden marker,
//! PRs by their branch `adoptbot/<kind>/<id>`.

pub mod branch;
pub mod command;
pub mod dashboard;
pub mod deploy;
pub mod desired;
pub mod gate;
pub mod notices;
pub mod reconcile;
pub mod report;
pub mod schedule;
pub mod targets;
pub mod yaml_edit;

use crate::evaluate::approval::ROLLBACK_REASON;
use crate::evaluate::{Evaluation, Lifecycle, RollbackStatus};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
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

/// What a run on the default branch does, as `adoptbot plan` prints it: derived from the same
/// desired state that the loop applies (`desired::state`), so that every PR and comment
/// listed is one the bot makes, plus the advice it shows and never acts on.
pub fn plan(ev: &Evaluation, desired: &desired::Desired) -> Vec<Action> {
    let mut actions = Vec::new();
    for p in &desired.pulls {
        actions.push(Action::PullRequest {
            branch: p.branch(),
            title: p.title.clone(),
            reason: p.reason.clone(),
        });
    }
    for w in &desired.warnings {
        let left = ev
            .experiments
            .iter()
            .find(|e| e.id == w.experiment)
            .and_then(|e| e.days_left)
            .unwrap_or(0);
        actions.push(Action::Comment {
            target: Target::ExperimentRequest(w.experiment.to_string()),
            marker: w.comment.key.clone(),
            summary: format!(
                "on #{}: the time box ends on {} ({left} days left)",
                w.comment.issue, w.ends_on
            ),
            mentions: vec![w.owner.clone()],
        });
    }
    for u in &desired.unwarned {
        actions.push(Action::Recommendation {
            topic: format!("unwarned/{}", u.experiment),
            title: format!("Warn the owner of {}", u.experiment),
            reason: u.to_string(),
        });
    }
    if let Some(r) = &ev.rollback
        && let Some(reason) = r.rollback_reason()
    {
        actions.push(Action::Recommendation {
            topic: "rollback".into(),
            title: format!("Roll back to phase {}", r.to),
            reason: format!(
                "open a gate request PR that sets `phase: {}` in adoption.yaml, with the line `{ROLLBACK_REASON} {reason}` in its description",
                r.to.slug()
            ),
        });
    }
    actions.sort();
    actions.dedup_by(|a, b| a.key() == b.key());
    actions
}

/// What `adoptbot plan` prints for a repository read without a forge: the desired state of
/// its default branch, with no bot PRs on record yet.
pub fn offline(
    snapshot: &crate::load::Snapshot,
    analysis: &crate::Analysis,
    clock: crate::model::Clock,
) -> Vec<Action> {
    let desired = match crate::blueprint_facts(&analysis.loaded.repo).catalogue {
        Some(catalogue) => {
            let sha = String::new();
            let branch = desired::Branch {
                name: "the default branch",
                sha: &sha,
                snapshot,
                analysis,
                catalogue: &catalogue,
                today: clock.today,
            };
            desired::state(
                &branch,
                &Default::default(),
                &Default::default(),
                clock.valid_at,
            )
        }
        // The built-in blueprints failed their own checks: the diagnostics say so.
        None => desired::Desired::default(),
    };
    plan(&analysis.evaluation, &desired)
}

/// One line on the state of the repository, for people: the gate's progress, rollback
/// criteria, focus areas, overdue reviews and experiments that need attention.
pub fn summary(ev: &Evaluation) -> String {
    let mut parts = Vec::new();
    if let Some(g) = &ev.gate {
        let met = g.met();
        parts.push(format!(
            "gate {}: {met} of {} deliverables met",
            g.gate,
            g.deliverables.len()
        ));
    }
    if let Some(r) = &ev.rollback
        && r.rollback_reason().is_some()
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
    if parts.is_empty() {
        "all clear".into()
    } else {
        parts.join("; ")
    }
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
