//! JSON Schemas of every document kind, generated from the types, so editors validate YAML
//! as people type. Written to `docs/schema/` by `adoptbot schema`; a test fails when the
//! committed files are stale.

use crate::load::schema::WHOLE_NUMBER;
use crate::model::*;
use crate::render::Catalogue;
use crate::render::MAX_STRING_CHARS;
use crate::render::manifest::{Manifest, Parameter};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// `(file name, schema)` for every document kind, in a stable order.
///
/// Beyond what the types say, the schemas carry what adoptbot knows from its built-in
/// blueprints and dated tables: the experiment schema holds each built-in blueprint's
/// parameter schema (`if blueprint is X then parameters …`), regions are limited to the ones
/// the blueprints and the price table know, and every integer must be written as one
/// ([`crate::load::schema::WHOLE_NUMBER`]).
pub fn all() -> Vec<(&'static str, serde_json::Value)> {
    let catalogue = crate::render::Catalogue::builtin().ok();
    let mut out = generated();
    for (file, schema) in &mut out {
        if let Some(cat) = &catalogue {
            match *file {
                "experiment.schema.json" => add_blueprints(schema, cat),
                "adoption.schema.json" => limit_regions(
                    schema,
                    &[
                        "definitions",
                        "AzureScopes",
                        "properties",
                        "regions",
                        "items",
                    ],
                    cat,
                ),
                "team.schema.json" => limit_regions(
                    schema,
                    &["definitions", "GpuQuota", "properties", "region"],
                    cat,
                ),
                _ => {}
            }
        }
        whole_numbers(schema);
    }
    out
}

/// Every `"type": "integer"` also says that the value is written as a whole number.
fn whole_numbers(schema: &mut Value) {
    match schema {
        Value::Object(m) => {
            let integer = match m.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                _ => false,
            };
            for v in m.values_mut() {
                whole_numbers(v);
            }
            if integer {
                m.insert(WHOLE_NUMBER.into(), Value::Bool(true));
            }
        }
        Value::Array(a) => a.iter_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// The regions adoptbot knows, as an `enum` at `at` (a path of object keys).
fn limit_regions(schema: &mut Value, at: &[&str], cat: &Catalogue) {
    let mut cur = &mut *schema;
    for key in at {
        match cur.get_mut(*key) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Value::Object(m) = cur {
        let regions = cat.regions();
        // Editors complete from the enum; Azure compares region names ignoring case, and so
        // does adoptbot, hence the pattern beside it.
        let any_case: Vec<String> = regions
            .iter()
            .map(|r| {
                r.chars()
                    .map(|c| {
                        if c.is_ascii_alphabetic() {
                            format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                        } else {
                            regex::escape(&c.to_string())
                        }
                    })
                    .collect()
            })
            .collect();
        m.insert("type".into(), "string".into());
        m.insert(
            "anyOf".into(),
            json!([
                { "enum": regions },
                { "pattern": format!("^(?:{})$", any_case.join("|")) },
            ]),
        );
        m.insert(
            "description".into(),
            format!(
                "An Azure region (ARM name), one of those adoptbot's blueprints and price table know: {}.",
                regions.join(", ")
            )
            .into(),
        );
    }
}

/// The JSON Schema of one blueprint parameter, from its manifest entry.
fn parameter_schema(p: &Parameter) -> Value {
    let mut s = Map::new();
    s.insert("description".into(), p.description().into());
    if let Some(d) = p.default_value() {
        s.insert("default".into(), d);
    }
    match p {
        Parameter::String(p) => {
            s.insert("type".into(), "string".into());
            if let Some(a) = &p.allowed {
                s.insert("enum".into(), json!(a));
            }
            if let Some(pat) = &p.pattern {
                s.insert("pattern".into(), format!("^(?:{pat})$").into());
            }
            if let Some(n) = p.min_length {
                s.insert("minLength".into(), n.into());
            }
            let max = p
                .max_length
                .map_or(MAX_STRING_CHARS, |n| (n as usize).min(MAX_STRING_CHARS));
            s.insert("maxLength".into(), max.into());
        }
        Parameter::Integer(p) => {
            s.insert("type".into(), "integer".into());
            if let Some(a) = &p.allowed {
                s.insert("enum".into(), json!(a));
            }
            if let Some(n) = p.min {
                s.insert("minimum".into(), n.into());
            }
            if let Some(n) = p.max {
                s.insert("maximum".into(), n.into());
            }
        }
        Parameter::Number(p) => {
            s.insert("type".into(), "number".into());
            if let Some(n) = p.min {
                s.insert("minimum".into(), n.into());
            }
            if let Some(n) = p.max {
                s.insert("maximum".into(), n.into());
            }
        }
        Parameter::Boolean(_) => {
            s.insert("type".into(), "boolean".into());
        }
    }
    Value::Object(s)
}

/// The schema of a blueprint's `parameters` map: each parameter typed, unknown names refused,
/// those without a default required, and the `allowed_by` rules as `if … then`.
fn parameters_schema(m: &Manifest) -> Value {
    let properties: Map<String, Value> = m
        .parameters
        .iter()
        .map(|(name, p)| (name.clone(), parameter_schema(p)))
        .collect();
    let required: Vec<&String> = m
        .parameters
        .iter()
        .filter(|(_, p)| p.default_value().is_none())
        .map(|(n, _)| n)
        .collect();
    let mut s = json!({
        "type": "object",
        "description": format!("The parameters of blueprint `{}`: {}", m.name, m.description),
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    let mut rules = Vec::new();
    for rule in &m.allowed_by {
        let default_of = |name: &str| {
            m.parameters
                .get(name)
                .and_then(Parameter::default_value)
                .and_then(|v| v.as_str().map(str::to_owned))
        };
        let own_default = default_of(&rule.parameter);
        let then = |allowed: &Vec<String>| {
            let mut t = json!({ "properties": { rule.parameter.clone(): { "enum": allowed } } });
            if own_default.as_ref().is_none_or(|d| !allowed.contains(d)) {
                t["required"] = json!([rule.parameter]);
            }
            t
        };
        for (by, allowed) in &rule.values {
            rules.push(json!({
                "if": { "properties": { rule.by.clone(): { "const": by } }, "required": [rule.by] },
                "then": then(allowed),
            }));
        }
        if let Some(allowed) = default_of(&rule.by).and_then(|d| rule.values.get(&d)) {
            rules.push(json!({
                "if": { "not": { "required": [rule.by] } },
                "then": then(allowed),
            }));
        }
    }
    if !rules.is_empty() {
        s["allOf"] = Value::Array(rules);
    }
    s
}

/// `if blueprint is X then parameters …` for every built-in blueprint. A blueprint of the
/// organisation's own is not known here, and its parameters are checked when the repository
/// is validated.
fn add_blueprints(schema: &mut Value, cat: &Catalogue) {
    let rules: Vec<Value> = cat
        .blueprints()
        .map(|bp| {
            let m = &bp.manifest;
            let mut then = json!({ "properties": { "parameters": parameters_schema(m) } });
            if m.parameters.values().any(|p| p.default_value().is_none()) {
                then["required"] = json!(["parameters"]);
            }
            json!({
                "if": { "properties": { "blueprint": { "const": m.name } }, "required": ["blueprint"] },
                "then": then,
            })
        })
        .collect();
    if let Some(Value::Object(root)) = Some(&mut *schema) {
        root.insert("allOf".into(), Value::Array(rules));
    }
    let names: Vec<&str> = cat.names().collect();
    if let Some(p) = schema.pointer_mut("/properties/parameters/description") {
        *p = format!(
            "The blueprint's parameters. For the built-in blueprints ({}) each parameter is typed here, with its allowed values, pattern, default and description.",
            names.join(", ")
        )
        .into();
    }
}

/// The schemas as the types alone give them.
fn generated() -> Vec<(&'static str, Value)> {
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
