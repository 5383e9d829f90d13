//! Staleness and coverage: radar entries and scorecards not reviewed in the last quarter,
//! whether the shadow-AI inventory is present and dated, and training completion per team.

use super::{days_between, months_before};
use crate::model::*;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Stale {
    pub kind: StaleKind,
    pub path: String,
    pub line: u32,
    pub name: String,
    pub owner: Option<Login>,
    pub last_reviewed: NaiveDate,
    pub age_days: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StaleKind {
    Radar,
    Scorecard,
    Inventory,
}

/// Everything last reviewed before the start of the review period (a quarter by default).
pub fn stale(repo: &Repository, policies: &Policies, today: NaiveDate) -> Vec<Stale> {
    let cutoff = months_before(today, policies.review_every_months);
    let mut out = Vec::new();
    for entry in repo.radar.values() {
        let d = entry.last_reviewed.value;
        if d < cutoff {
            out.push(Stale {
                kind: StaleKind::Radar,
                path: entry.path.clone(),
                line: entry.last_reviewed.line,
                name: entry.name.clone(),
                owner: Some(entry.owner.clone()),
                last_reviewed: d,
                age_days: days_between(d, today),
            });
        }
    }
    if let Some(card) = repo.latest_scorecard()
        && card.assessed_on < cutoff
    {
        out.push(Stale {
            kind: StaleKind::Scorecard,
            path: card.path.clone(),
            line: 1,
            name: "readiness scorecard".into(),
            owner: card.assessors.first().cloned(),
            last_reviewed: card.assessed_on,
            age_days: days_between(card.assessed_on, today),
        });
    }
    if let Some(inv) = &repo.inventory
        && inv.surveyed_on < cutoff
    {
        out.push(Stale {
            kind: StaleKind::Inventory,
            path: inv.path.clone(),
            line: 1,
            name: "shadow-AI inventory".into(),
            owner: inv.surveyed_by.first().cloned(),
            last_reviewed: inv.surveyed_on,
            age_days: days_between(inv.surveyed_on, today),
        });
    }
    out
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct InventoryCoverage {
    pub present: bool,
    pub path: Option<String>,
    pub surveyed_on: Option<NaiveDate>,
    pub age_days: Option<i64>,
    pub findings: usize,
    /// Findings still discovered or under review.
    pub open: usize,
}

pub fn inventory(repo: &Repository, today: NaiveDate) -> InventoryCoverage {
    match &repo.inventory {
        None => InventoryCoverage::default(),
        Some(inv) => InventoryCoverage {
            present: true,
            path: Some(inv.path.clone()),
            surveyed_on: Some(inv.surveyed_on),
            age_days: Some(days_between(inv.surveyed_on, today)),
            findings: inv.findings.len(),
            open: inv.findings.iter().filter(|f| f.status.is_open()).count(),
        },
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamTraining {
    pub team: Id,
    pub path: String,
    /// Completed assignments.
    pub completed: u32,
    /// All assignments; a lead or member with none counts as one not started.
    pub total: u32,
    pub ratio: f64,
}

/// Training completion per team. Each (person, tier) listed is an assignment; a lead or
/// member with no training recorded counts as one assignment not started, so forgetting
/// someone never raises the figure.
pub fn training(repo: &Repository) -> Vec<TeamTraining> {
    repo.teams
        .iter()
        .map(|(id, team)| {
            let (mut completed, mut total) = (0u32, 0u32);
            for who in team.everyone() {
                match team.training.get(who) {
                    Some(tiers) if !tiers.is_empty() => {
                        total += tiers.len() as u32;
                        completed += tiers
                            .values()
                            .filter(|s| **s == TrainingStatus::Completed)
                            .count() as u32;
                    }
                    _ => total += 1,
                }
            }
            let ratio = if total == 0 {
                0.0
            } else {
                f64::from(completed) / f64::from(total)
            };
            TeamTraining {
                team: id.clone(),
                path: team.path.clone(),
                completed,
                total,
                ratio,
            }
        })
        .collect()
}
