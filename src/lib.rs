//! adoptbot: a GitOps reconciliation bot that runs an organisation's AI adoption on Azure
//! from one git repository, through the six-phase AI adoption framework.
//!
//! The parts, in the order data flows through them:
//! - [`load`]: a repository snapshot (a directory, or a git tree at a commit) into typed
//!   documents and diagnostics;
//! - [`model`]: the documents, the framework as data, diagnostics;
//! - [`evaluate`]: pure functions from (model, now) to findings;
//! - [`plan`]: the actions the bot would take for those findings;
//! - [`render`]: blueprints into IaC;
//! - [`report`]: findings and plans for people (text) and scripts (JSON);
//! - [`runners`]: the command line.

pub mod cloud;
pub mod evaluate;
pub mod forge;
pub mod load;
pub mod model;
pub mod plan;
pub mod render;
pub mod report;
pub mod runners;

use chrono::NaiveDate;

/// Everything the bot knows about a repository on a day: the loaded documents, the
/// framework with the organisation's overrides, and the findings. Pure.
#[derive(Debug)]
pub struct Analysis {
    pub loaded: load::Loaded,
    pub framework: model::Framework,
    pub evaluation: evaluate::Evaluation,
}

/// The blueprint catalogue: the built-in blueprints with the organisation's own from its
/// `blueprints/` folder. A built-in catalogue that fails its own checks is a bug in adoptbot
/// and is reported as diagnostics, with blueprint checks left `unknown`.
pub fn blueprint_facts(repo: &model::Repository) -> evaluate::BlueprintFacts {
    match render::Catalogue::builtin() {
        Ok(builtin) => {
            let (catalogue, problems) = builtin.with_overrides(&repo.blueprint_files);
            evaluate::BlueprintFacts {
                catalogue: Some(catalogue),
                problems,
            }
        }
        Err(problems) => evaluate::BlueprintFacts {
            catalogue: None,
            problems,
        },
    }
}

/// Loads a snapshot and evaluates it as of `today`. All diagnostics, from loading and from
/// evaluation, end up in `evaluation.diagnostics`, sorted.
pub fn analyse(
    snapshot: &load::Snapshot,
    today: NaiveDate,
) -> Result<Analysis, Vec<model::Diagnostic>> {
    let loaded = load::load(snapshot);
    let mut framework = load::framework::builtin()?;
    let mut diagnostics = loaded.diagnostics.clone();
    if let Some(o) = &loaded.repo.overrides {
        let (fw, d) = load::framework::apply_overrides(framework, o);
        framework = fw;
        diagnostics.extend(d);
    }
    let blueprints = blueprint_facts(&loaded.repo);
    let mut evaluation = evaluate::evaluate(&evaluate::Input {
        repo: &loaded.repo,
        framework: &framework,
        today,
        blueprints: &blueprints,
    });
    evaluation.diagnostics.extend(diagnostics);
    evaluation.diagnostics.sort();
    evaluation.diagnostics.dedup();
    Ok(Analysis {
        loaded,
        framework,
        evaluation,
    })
}
