//! The JSON shapes of `validate --format json` and `plan --format json`. The shape is
//! versioned by `schema_version`; fields are only ever added within a version.

use crate::evaluate::Evaluation;
use crate::model::Diagnostic;
use crate::plan::Action;
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct PlanReport<'a> {
    pub schema_version: u32,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: &'a [Diagnostic],
    pub findings: &'a Evaluation,
    pub actions: &'a [Action],
}

#[derive(Debug, Serialize)]
pub struct ValidateReport<'a> {
    pub schema_version: u32,
    pub errors: usize,
    pub warnings: usize,
    pub diagnostics: &'a [Diagnostic],
}

fn counts(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    (errors, diags.len() - errors)
}

pub fn plan(ev: &Evaluation, actions: &[Action]) -> String {
    let (errors, warnings) = counts(&ev.diagnostics);
    let r = PlanReport {
        schema_version: SCHEMA_VERSION,
        errors,
        warnings,
        diagnostics: &ev.diagnostics,
        findings: ev,
        actions,
    };
    serde_json::to_string_pretty(&r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub fn validate(diags: &[Diagnostic]) -> String {
    let (errors, warnings) = counts(diags);
    let r = ValidateReport {
        schema_version: SCHEMA_VERSION,
        errors,
        warnings,
        diagnostics: diags,
    };
    serde_json::to_string_pretty(&r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
