//! Blueprints and rendering: typed blueprint manifests, parameter validation, Tera templates
//! rendered to Bicep or Terraform with every value escaped for the target language, a header
//! with a fingerprint on every file, security validation of each blueprint's rendered output,
//! and cost estimates from a dated price table.
//!
//! Everything here is pure: no file system, network or clock. Built-in blueprints are embedded
//! in the binary; an organisation's own blueprints are passed in as bytes.
//!
//! See `docs/blueprints.md` for how to write a blueprint.

mod catalogue;
pub mod escape;
pub mod experiment;
pub mod guardrails;
pub mod hclfmt;
mod header;
pub mod manifest;
pub mod names;
mod params;
mod prices;
pub mod scan;
mod security;

use crate::model::Code;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::diagnostic::{Diagnostic, Place};

pub use catalogue::{BUILTIN_SOURCE, Catalogue};
pub use experiment::{context, render_experiment};
pub use guardrails::{
    CAP_ROLE_ACTIONS, CAP_RUNBOOK, CAPPED_TAG, POLICY_TAGS, RUNBOOK_FILE, RUNBOOK_SCRIPT,
    RenderSettings, StateBackend,
};
pub use header::{HeaderError, RENDER_FORMAT, RenderedHeader, check_rendered, inputs_fingerprint};
pub use manifest::{Manifest, Parameter, SecurityControl};
pub use names::derive as derived_names;
pub use params::{MAX_STRING_CHARS, fill_defaults, full_match, with_defaults};
pub use prices::{
    CAP_LINES, Estimate, EstimateLine, GpuDemand, HOURS_PER_MONTH, PriceItem, PriceTable, SkuInfo,
    SkuTable, estimate, estimate_filled, gpu_demand, gpu_demand_filled,
};
pub use security::{REQUIRED_TAGS, example_context, validate_blueprint};

pub use crate::model::Flavour;

/// How the output of a flavour is scanned.
pub(crate) fn lang(flavour: Flavour) -> scan::Lang {
    match flavour {
        Flavour::Bicep => scan::Lang::Bicep,
        Flavour::Terraform => scan::Lang::Hcl,
    }
}

/// How values are escaped into a flavour's string literals.
fn escape_fn(flavour: Flavour) -> fn(&str) -> String {
    match flavour {
        Flavour::Bicep => escape::bicep_string,
        Flavour::Terraform => escape::hcl_string,
    }
}

/// Who and what a render is for. Its values reach templates as `experiment.*` and as tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperimentContext {
    /// Lowercase kebab-case, `^[a-z][a-z0-9-]{1,62}$`.
    pub id: String,
    pub team: String,
    pub owner: String,
    /// `^[a-z0-9][a-z0-9-]{2,62}$`.
    pub cost_tag: String,
    /// The first day the experiment may no longer run (start plus time box plus renewals).
    pub expiry: chrono::NaiveDate,
    /// The first day of the time box: the day it started, or the day it is provisioned.
    pub starts_on: chrono::NaiveDate,
    /// The request's hard cost cap: the budget Azure enforces over the whole time box.
    pub cost_cap: crate::model::Money,
    /// Where Azure sends the budget notifications: the owner's and the team's addresses from
    /// `budget_contacts` in `adoption.yaml`, when known.
    pub contact_emails: Vec<String>,
    /// The organisation's settings (thresholds, regions, Terraform state).
    pub settings: RenderSettings,
}

/// One template file of a blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFile {
    /// Where it comes from, for diagnostics: `blueprints/<name>/terraform/main.tf.tera`
    /// (prefixed with `built-in:` for built-in blueprints).
    pub path: String,
    /// Its name inside the flavour folder, e.g. `main.tf.tera` or `modules/net.bicep.tera`.
    /// Templates include each other by this name.
    pub name: String,
    /// The output file it renders to (`main.tf`), or empty for a partial (a file whose name
    /// starts with `_`), which is only included by other templates.
    pub output: String,
    pub text: String,
}

/// A blueprint: its manifest and its templates per flavour.
#[derive(Debug, Clone, PartialEq)]
pub struct Blueprint {
    pub manifest: Manifest,
    pub templates: BTreeMap<Flavour, Vec<TemplateFile>>,
    /// `built-in`, or the folder in the organisation's repository (`blueprints/<name>`).
    pub source: String,
    /// The path of the manifest, for diagnostics.
    pub manifest_path: String,
}

/// A rendered file. `path` is relative to the experiment's output folder (see [`output_dir`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedFile {
    pub path: String,
    pub content: String,
}

/// Where the rendered files of an experiment go, relative to the repository root.
pub fn output_dir(experiment_id: &str) -> String {
    format!("infra/experiments/{experiment_id}")
}

/// Validate an experiment's parameters against a blueprint: unknown and missing parameters,
/// wrong types, values not allowed, pattern mismatches, ranges, forbidden characters and
/// lengths. All problems are returned. `place_of_param(name)` places a diagnostic about a
/// parameter; it is called with `""` for a missing one.
pub fn validate_parameters(
    bp: &Blueprint,
    params: &BTreeMap<String, Value>,
    place_of_param: impl Fn(&str) -> Place,
) -> Vec<Diagnostic> {
    params::validate_against(&bp.manifest, params, &place_of_param)
}

/// Check the experiment context itself: the id and cost tag formats, and the hazards of the
/// free-text fields.
pub fn validate_context(ctx: &ExperimentContext, place: &Place) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let fields = [
        ("id", &ctx.id, Some(r"[a-z][a-z0-9-]{1,62}")),
        ("cost_tag", &ctx.cost_tag, Some(r"[a-z0-9][a-z0-9-]{2,62}")),
        ("team", &ctx.team, None),
        ("owner", &ctx.owner, None),
    ];
    for (name, value, pattern) in fields {
        if value.trim().is_empty() {
            out.push(Diagnostic::error(
                place.clone(),
                Code::ContextInvalid,
                format!("experiment {name} is empty"),
            ));
            continue;
        }
        for (code, msg) in params::string_hazards(&format!("experiment {name}"), value) {
            out.push(Diagnostic::error(place.clone(), code, msg));
        }
        if let Some(p) = pattern
            && full_match(p, value) != Ok(true)
        {
            out.push(
                Diagnostic::error(
                    place.clone(),
                    Code::ContextInvalid,
                    format!("experiment {name} `{value}` does not match `^{p}$`"),
                )
                .with_hint("use lowercase letters, digits and hyphens, starting with a letter"),
            );
        }
    }
    out
}

/// The Tera context a template sees.
fn template_context(
    bp: &Blueprint,
    ctx: &ExperimentContext,
    effective: &BTreeMap<String, Value>,
) -> Value {
    let expiry = ctx.expiry.format("%Y-%m-%d").to_string();
    let (cap, state) = guardrails::template_values(&bp.manifest, ctx, effective);
    json!({
        "cap": cap,
        "state": state,
        "experiment": {
            "id": ctx.id, "team": ctx.team, "owner": ctx.owner,
            "cost_tag": ctx.cost_tag, "expiry": expiry,
        },
        "params": effective,
        "blueprint": { "name": bp.manifest.name, "version": bp.manifest.version },
        "tags": {
            "team": ctx.team,
            "experiment": ctx.id,
            "cost-tag": ctx.cost_tag,
            "expiry": expiry,
            "owner": ctx.owner,
            "managed-by": "adoptbot",
            "blueprint": format!("{}-{}", bp.manifest.name, bp.manifest.version),
        },
        "names": names::derive(&ctx.id, &ctx.team),
    })
}

fn tera_error_text(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// Build the Tera instance for one flavour of a blueprint: autoescape on for every template,
/// with the flavour's string escaper.
fn tera_for(bp: &Blueprint, flavour: Flavour) -> Result<tera::Tera, Vec<Diagnostic>> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".tera"]);
    tera.set_escape_fn(escape_fn(flavour));
    let templates = bp
        .templates
        .get(&flavour)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut diags = Vec::new();
    for t in templates {
        if let Err(e) = tera.add_raw_template(&t.name, &t.text) {
            diags.push(Diagnostic::error(
                Place::file(&t.path),
                Code::TemplateSyntax,
                format!("template does not parse: {}", tera_error_text(&e)),
            ));
        }
    }
    for (name, _, text) in guardrails::shared_templates(flavour) {
        if let Err(e) = tera.add_raw_template(name, text) {
            diags.push(Diagnostic::error(
                Place::file(format!("built-in:{name}")),
                Code::TemplateSyntax,
                format!("template does not parse: {}", tera_error_text(&e)),
            ));
        }
    }
    if diags.is_empty()
        && let Err(e) = tera.build_inheritance_chains()
    {
        diags.push(Diagnostic::error(
            Place::file(&bp.manifest_path),
            Code::TemplateSyntax,
            tera_error_text(&e),
        ));
    }
    if diags.is_empty() {
        Ok(tera)
    } else {
        Err(diags)
    }
}

/// Render with already validated, defaulted parameters. Used by [`render`] and by the security
/// validation (which probes templates with hostile values on purpose).
fn render_effective(
    bp: &Blueprint,
    flavour: Flavour,
    ctx: &ExperimentContext,
    effective: &BTreeMap<String, Value>,
) -> Result<Vec<RenderedFile>, Vec<Diagnostic>> {
    let Some(templates) = bp.templates.get(&flavour).filter(|t| !t.is_empty()) else {
        return Err(vec![
            Diagnostic::error(
                Place::file(&bp.manifest_path),
                Code::BlueprintMissingFlavour,
                format!(
                    "blueprint `{}` has no {flavour} templates",
                    bp.manifest.name
                ),
            )
            .with_hint(format!(
                "add {}/*.tera files next to blueprint.yaml",
                flavour.as_str()
            )),
        ]);
    };
    let tera = tera_for(bp, flavour)?;
    let context = tera::Context::from_value(template_context(bp, ctx, effective)).map_err(|e| {
        vec![Diagnostic::error(
            Place::file(&bp.manifest_path),
            Code::RenderFailed,
            e.to_string(),
        )]
    })?;
    let inputs = inputs_fingerprint(bp, flavour, ctx, effective);
    let mut out = Vec::new();
    let mut diags = Vec::new();
    let own = templates
        .iter()
        .filter(|t| !t.output.is_empty())
        .map(|t| (t.name.as_str(), t.output.as_str(), t.path.clone()));
    let shared = guardrails::shared_templates(flavour)
        .iter()
        .map(|(name, output, _)| (*name, *output, format!("built-in:{name}")));
    let reserved: Vec<&str> = guardrails::shared_templates(flavour)
        .iter()
        .map(|(_, output, _)| *output)
        .chain([guardrails::RUNBOOK_FILE])
        .collect();
    for t in templates
        .iter()
        .filter(|t| reserved.contains(&t.output.as_str()))
    {
        diags.push(
            Diagnostic::error(
                Place::file(&t.path),
                Code::TemplateReservedName,
                format!("`{}` is written by adoptbot for every blueprint", t.output),
            )
            .with_hint("rename the template; the guardrails and the state backend are added to every render"),
        );
    }
    let skips: Vec<&manifest::CheckovSkip> = bp
        .manifest
        .checkov_skips
        .iter()
        .filter(|s| s.applies_to(flavour))
        .collect();
    for (name, output, path) in own.chain(shared) {
        match tera.render(name, &context) {
            Ok(body) => {
                let mut body = tidy(&body);
                if output.ends_with(flavour.extension()) {
                    body = with_checkov_skips(flavour, &body, &skips);
                }
                if flavour == Flavour::Terraform {
                    body = hclfmt::format(&body);
                }
                if let Err(e) = scan::parse(lang(flavour), &body) {
                    diags.push(
                        Diagnostic::error(
                            Place::file(&path),
                            Code::RenderUnbalanced,
                            format!("rendered {output} does not scan: {e}"),
                        )
                        .with_hint("check the template's quotes and braces"),
                    );
                    continue;
                }
                let content = header::with_header(flavour, ctx, bp, &inputs, &body);
                out.push(RenderedFile {
                    path: output.to_owned(),
                    content,
                });
            }
            Err(e) => diags.push(Diagnostic::error(
                Place::file(&path),
                Code::RenderFailed,
                format!("template failed to render: {}", tera_error_text(&e)),
            )),
        }
    }
    out.push(RenderedFile {
        path: guardrails::RUNBOOK_FILE.to_owned(),
        content: header::with_header_in("#", flavour, ctx, bp, &inputs, guardrails::RUNBOOK_SCRIPT),
    });
    out.sort_by(|a, b| a.path.cmp(&b.path));
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// Write each of the manifest's checkov skips into the rendered file as checkov's inline skip
/// comment (`#checkov:skip=ID:reason` in HCL, `// checkov:skip=ID:reason` in Bicep) on the
/// first line inside every resource it applies to, so that anyone's checkov run agrees with
/// the manifest.
fn with_checkov_skips(flavour: Flavour, body: &str, skips: &[&manifest::CheckovSkip]) -> String {
    if skips.is_empty() {
        return body.to_owned();
    }
    let Ok(doc) = scan::parse(lang(flavour), body) else {
        return body.to_owned();
    };
    let mut after: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for r in &doc.resources {
        for s in skips.iter().filter(|s| s.applies_to_resource(&r.kind)) {
            let reason: String = s.reason.split_whitespace().collect::<Vec<_>>().join(" ");
            let comment = match flavour {
                Flavour::Terraform => format!("#checkov:skip={}:{reason}", s.id),
                Flavour::Bicep => format!("// checkov:skip={}:{reason}", s.id),
            };
            after.entry(r.line as usize).or_default().push(comment);
        }
    }
    let mut out = String::with_capacity(body.len() + 256);
    for (i, line) in body.lines().enumerate() {
        out.push_str(line);
        out.push('\n');
        if let Some(comments) = after.get(&(i + 1)) {
            let indent = line.len() - line.trim_start().len() + 2;
            for c in comments {
                out.push_str(&" ".repeat(indent));
                out.push_str(c);
                out.push('\n');
            }
        }
    }
    out
}

/// Trim trailing whitespace on each line, collapse runs of blank lines and end with one newline.
fn tidy(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut blank = 0;
    for line in body.trim_start_matches('\n').lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Render a blueprint for an experiment. Parameters and context are validated first; every
/// problem is returned. The output files carry a header with the fingerprint of the inputs.
pub fn render(
    bp: &Blueprint,
    flavour: Flavour,
    ctx: &ExperimentContext,
    params: &BTreeMap<String, Value>,
) -> Result<Vec<RenderedFile>, Vec<Diagnostic>> {
    let place = Place::file(format!("experiments/{}.yaml", ctx.id));
    let mut diags = validate_context(ctx, &place);
    diags.extend(guardrails::validate_guardrail_inputs(
        &bp.manifest,
        ctx,
        &place,
    ));
    diags.extend(validate_parameters(bp, params, |_| place.clone()));
    if !diags.is_empty() {
        return Err(diags);
    }
    render_effective(bp, flavour, ctx, &with_defaults(&bp.manifest, params))
}
