//! The readiness scorecard: "A score below 3 in any area means focused work in Phase 2
//! before you proceed." A missing area is an error.

use crate::model::Code;
use crate::model::*;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    /// The newest scorecard.
    pub scorecard: String,
    pub assessed_on: NaiveDate,
    /// Areas rated below the threshold: Phase 2 focus items.
    pub focus: Vec<FocusItem>,
    /// Areas the scorecard does not rate.
    pub missing: Vec<Area>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FocusItem {
    pub area: Area,
    pub question: &'static str,
    pub rating: u8,
    pub evidence: String,
}

/// Evaluates the newest scorecard; every scorecard's missing areas are errors.
pub fn evaluate(
    repo: &Repository,
    policies: &Policies,
    diags: &mut Vec<Diagnostic>,
) -> Option<Readiness> {
    for card in &repo.scorecards {
        for area in missing(card) {
            diags.push(
                Diagnostic::error(card.place(), Code::MissingArea, format!("the scorecard does not rate `{area}` ({})", area.question()))
                    .with_hint(format!("add `{area}: {{ rating: 1-5, evidence: ... }}` under `areas:`; all six areas are required")),
            );
        }
        for (area, r) in &card.areas {
            if r.evidence.trim().is_empty() {
                diags.push(
                    Diagnostic::warning(
                        card.place(),
                        Code::NoEvidence,
                        format!("`{area}` is rated without evidence"),
                    )
                    .with_hint("say what the rating rests on: findings, numbers, links"),
                );
            }
        }
    }
    let card = repo.latest_scorecard()?;
    let focus = card
        .areas
        .iter()
        .filter(|(_, r)| r.rating.get() < policies.focus_below_rating)
        .map(|(area, r)| FocusItem {
            area: *area,
            question: area.question(),
            rating: r.rating.get(),
            evidence: r.evidence.clone(),
        })
        .collect();
    Some(Readiness {
        scorecard: card.path.clone(),
        assessed_on: card.assessed_on,
        focus,
        missing: missing(card),
    })
}

fn missing(card: &Scorecard) -> Vec<Area> {
    Area::ALL
        .into_iter()
        .filter(|a| !card.areas.contains_key(a))
        .collect()
}
