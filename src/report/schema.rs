//! JSON Schemas of every document kind, generated from the types, so editors validate YAML
//! as people type. Written to `docs/schema/` by `adoptbot schema`; a test fails when the
//! committed files are stale.

use crate::model::*;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

/// `(file name, schema)` for every document kind, in a stable order.
pub fn all() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        one::<Adoption>(
            "adoption.schema.json",
            "adoption.yaml: the organisation, its phase, roles, Azure scopes and settings",
        ),
        one::<Scorecard>(
            "scorecard.schema.json",
            "scorecards/<date>.yaml: a readiness scorecard, six areas rated 1-5",
        ),
        one::<ShadowInventory>(
            "shadow-inventory.schema.json",
            "inventory/shadow-ai.yaml: the shadow-AI inventory",
        ),
        one::<Team>(
            "team.schema.json",
            "teams/<team>.yaml: a team, its budget, GPU quota, skills and training",
        ),
        one::<Experiment>(
            "experiment.schema.json",
            "experiments/<id>.yaml: an experiment request",
        ),
        one::<UseCase>(
            "use-case.schema.json",
            "use-cases/<id>.yaml: a validated use case with its production estimate",
        ),
        one::<Slo>(
            "slo.schema.json",
            "slos/<endpoint>.yaml: the SLOs of a production endpoint",
        ),
        one::<RunbookMeta>(
            "runbook.schema.json",
            "runbooks/*.md: the front matter of a runbook",
        ),
        one::<RadarEntry>(
            "radar-entry.schema.json",
            "radar/<entry>.yaml: a technology radar entry",
        ),
        one::<FrameworkOverrides>(
            "overrides.schema.json",
            "phases/overrides.yaml: an organisation's thresholds for the framework",
        ),
        one::<PhaseDef>(
            "phase.schema.json",
            "A phase of the framework and its exit gate (adoptbot's phases/)",
        ),
        one::<Policies>(
            "policies.schema.json",
            "The framework-wide thresholds (adoptbot's phases/policies.yaml)",
        ),
        one::<crate::render::Manifest>(
            "blueprint.schema.json",
            "blueprints/<name>/blueprint.yaml: a blueprint's manifest",
        ),
    ]
}

fn one<T: JsonSchema>(file: &'static str, title: &str) -> (&'static str, serde_json::Value) {
    let mut schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    (file, schema.to_value())
}
