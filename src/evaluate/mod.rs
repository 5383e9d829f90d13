//! Evaluate: pure functions from (repository, framework, today) to findings. No I/O, no
//! clock: `today` is passed in.

pub mod approval;
pub mod cloud;
pub mod experiment;
pub mod gate;
pub mod readiness;
pub mod references;
pub mod rollback;
pub mod staleness;

use crate::model::*;
use crate::render::Catalogue;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeSet;

pub use experiment::{ExperimentState, Lifecycle, PriceMemo, Priced};
pub use gate::{DeliverableResult, Evidence, GateChecklist, Status};
pub use readiness::Readiness;
pub use rollback::{CriterionResult, RollbackCriteria, RollbackStatus};
pub use staleness::{InventoryCoverage, Stale, TeamTraining};

/// What evaluation knows about blueprints: the catalogue (built-in plus the organisation's
/// own) and the problems found in the organisation's blueprints.
#[derive(Debug, Clone, Default)]
pub struct BlueprintFacts {
    /// `None` when blueprints were not looked at; checks that need them are `unknown`.
    pub catalogue: Option<Catalogue>,
    pub problems: Vec<Diagnostic>,
}

impl BlueprintFacts {
    /// The blueprint names, when the catalogue was looked at.
    pub fn names(&self) -> Option<BTreeSet<&str>> {
        self.catalogue.as_ref().map(|c| c.names().collect())
    }
}

/// Everything evaluation needs, all plain data.
pub struct Input<'a> {
    pub repo: &'a Repository,
    pub framework: &'a Framework,
    pub today: NaiveDate,
    pub blueprints: &'a BlueprintFacts,
    /// What a long-lived process kept of each request's pricing (see [`PriceMemo`]); `None`
    /// computes everything.
    pub priced: Option<&'a PriceMemo>,
}

/// The findings about one repository on one day.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub today: NaiveDate,
    pub organisation: Option<String>,
    pub phase: Option<Phase>,
    pub readiness: Option<Readiness>,
    /// The checklist of the current phase's exit gate.
    pub gate: Option<GateChecklist>,
    /// The rollback criteria of the current phase: those of the gate it was entered
    /// through. `None` in Phase 1.
    pub rollback: Option<RollbackCriteria>,
    pub experiments: Vec<ExperimentState>,
    pub stale: Vec<Stale>,
    pub inventory: InventoryCoverage,
    pub training: Vec<TeamTraining>,
    /// Problems found by evaluation (references, requirements, consistency) and, through
    /// [`crate::analyse`], by loading. Reported at the top level of the JSON, not here.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

pub fn evaluate(input: &Input) -> Evaluation {
    let repo = input.repo;
    let mut diagnostics = Vec::new();
    references::check(input, &mut diagnostics);
    let readiness = readiness::evaluate(repo, &input.framework.policies, &mut diagnostics);
    let experiments = experiment::evaluate_all(input, &mut diagnostics);
    let phase = repo.adoption.as_ref().map(|a| a.phase.value);
    let gate = phase.and_then(|p| {
        input
            .framework
            .exit_gate(p)
            .map(|g| gate::checklist(input, p, g))
    });
    let rollback = rollback::current(input);
    diagnostics.extend(input.blueprints.problems.iter().cloned());
    diagnostics.sort();
    diagnostics.dedup();
    Evaluation {
        today: input.today,
        organisation: repo.adoption.as_ref().map(|a| a.organisation.clone()),
        phase,
        readiness,
        gate,
        rollback,
        experiments,
        stale: staleness::stale(repo, &input.framework.policies, input.today),
        inventory: staleness::inventory(repo, input.today),
        training: staleness::training(repo),
        diagnostics,
    }
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// `date` moved back by `months` calendar months (clamped to the month's last day).
pub fn months_before(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}
