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
    /// Shared with a long-lived process's `load::Cache` when it built the analysis.
    pub loaded: std::sync::Arc<load::Loaded>,
    pub framework: model::Framework,
    pub evaluation: evaluate::Evaluation,
}

/// The blueprint catalogue: the built-in blueprints with the organisation's own from its
/// `blueprints/` folder. A built-in catalogue that fails its own checks is a bug in adoptbot
/// and is reported as diagnostics, with blueprint checks left `unknown`.
pub fn blueprint_facts(repo: &model::Repository) -> evaluate::BlueprintFacts {
    match render::Catalogue::builtin() {
        Ok(builtin) => {
            let (catalogue, mut problems) = builtin.with_overrides(&repo.blueprint_files);
            let settings = render_settings(repo);
            problems.extend(settings_problems(repo, &settings));
            evaluate::BlueprintFacts {
                catalogue: Some(catalogue.with_settings(settings)),
                problems,
            }
        }
        Err(problems) => evaluate::BlueprintFacts {
            catalogue: None,
            problems,
        },
    }
}

/// What every render of the repository's experiments takes from the organisation: the budget
/// thresholds of the framework's policies (with the organisation's overrides), and from
/// `adoption.yaml` the regions, the Terraform state backend and the budget contacts.
pub fn render_settings(repo: &model::Repository) -> render::RenderSettings {
    let mut s = render::RenderSettings::default();
    if let Ok(mut fw) = load::framework::builtin() {
        if let Some(o) = &repo.overrides {
            fw = load::framework::apply_overrides(fw, o).0;
        }
        s.budget_alerts_percent = fw.policies.budget_alerts_percent.clone();
    }
    if let Some(a) = &repo.adoption {
        if let Some(azure) = &a.azure {
            s.allowed_locations = azure.regions.clone();
        }
        s.terraform_state = a.terraform_state.as_ref().map(|t| render::StateBackend {
            resource_group: t.resource_group.clone(),
            storage_account: t.storage_account.clone(),
            container: t.container.clone(),
        });
        s.budget_contacts = a
            .budget_contacts
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
    }
    s
}

/// The render settings that cannot be rendered, placed where they are written.
fn settings_problems(
    repo: &model::Repository,
    settings: &render::RenderSettings,
) -> Vec<model::Diagnostic> {
    use render::{RenderSettings, guardrails::validate_settings};
    let mut out = Vec::new();
    if let Some(o) = &repo.overrides {
        let only = RenderSettings {
            budget_alerts_percent: settings.budget_alerts_percent.clone(),
            ..RenderSettings::default()
        };
        out.extend(validate_settings(&only, &o.place()));
    }
    let Some(a) = &repo.adoption else {
        return out;
    };
    let only = RenderSettings {
        allowed_locations: settings.allowed_locations.clone(),
        ..RenderSettings::default()
    };
    out.extend(validate_settings(&only, &a.place()));
    for (who, email) in &a.budget_contacts {
        let only = RenderSettings {
            budget_contacts: [(who.clone(), email.value.clone())].into(),
            ..RenderSettings::default()
        };
        out.extend(validate_settings(&only, &a.at(email)));
    }
    if let Some(t) = &a.terraform_state {
        let only = RenderSettings {
            terraform_state: settings.terraform_state.clone(),
            ..RenderSettings::default()
        };
        out.extend(validate_settings(&only, &a.at(t)));
    }
    out
}

/// Loads a snapshot and evaluates it as of `today`. All diagnostics, from loading and from
/// evaluation, end up in `evaluation.diagnostics`, sorted.
pub fn analyse(
    snapshot: &load::Snapshot,
    today: NaiveDate,
) -> Result<Analysis, Vec<model::Diagnostic>> {
    // The built-in blueprint catalogue (parsed, rendered and checked once per process) is
    // built while the documents are parsed, so that a core does not wait for it afterwards.
    let (loaded, _) = rayon::join(|| load::load(snapshot), render::Catalogue::builtin);
    let Findings {
        framework,
        evaluation,
    } = evaluate_loaded(&loaded, today)?;
    Ok(Analysis {
        loaded: std::sync::Arc::new(loaded),
        framework,
        evaluation,
    })
}

/// The framework with the organisation's overrides, and the findings, of a loaded repository.
#[derive(Debug)]
pub struct Findings {
    pub framework: model::Framework,
    pub evaluation: evaluate::Evaluation,
}

/// [`analyse`] for a long-lived process: the documents come from `cache`, which parses only
/// the files that changed since its previous snapshot. The findings are those [`analyse`]
/// gives for the same snapshot.
pub fn analyse_cached<'c>(
    cache: &'c mut load::Cache,
    snapshot: &load::Snapshot,
    today: NaiveDate,
) -> Result<(&'c load::Loaded, Findings), Vec<model::Diagnostic>> {
    let (loaded, priced) = cache.load_priced(snapshot);
    let findings = evaluate_with(loaded, today, Some(priced))?;
    Ok((loaded, findings))
}

/// Evaluates loaded documents as of `today`: applies the overrides, builds the blueprint
/// catalogue, and merges and sorts the diagnostics of loading and of evaluation.
pub fn evaluate_loaded(
    loaded: &load::Loaded,
    today: NaiveDate,
) -> Result<Findings, Vec<model::Diagnostic>> {
    evaluate_with(loaded, today, None)
}

/// [`evaluate_loaded`] with what a long-lived process kept of each request's pricing
/// ([`load::Cache::load_priced`] gives both).
pub fn evaluate_with(
    loaded: &load::Loaded,
    today: NaiveDate,
    priced: Option<&evaluate::PriceMemo>,
) -> Result<Findings, Vec<model::Diagnostic>> {
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
        priced,
    });
    evaluation.diagnostics.extend(diagnostics);
    evaluation.diagnostics.sort();
    evaluation.diagnostics.dedup();
    Ok(Findings {
        framework,
        evaluation,
    })
}
