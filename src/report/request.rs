//! What an experiment request PR shows: one comment with the validation checklist, the cost
//! estimate against the cap and the team's budget, and the rendered IaC in a collapsed
//! block; one check run `adoptbot/experiment` with an annotation on every offending line.

use crate::evaluate::{Evaluation, ExperimentState};
use crate::model::forge::{Annotation, AnnotationLevel, CheckRunSpec, Conclusion};
use crate::model::{Code, Diagnostic, Flavour, Severity};
use crate::render::RenderedFile;
use std::fmt::Write;

/// GitHub refuses comments over 65,536 characters; the IaC preview gives way first.
const MAX_COMMENT: usize = 60_000;

/// The requirements of a request, each with the diagnostic codes that break it.
const REQUIREMENTS: [(&str, &[Code]); 9] = [
    (
        "Measurable success criteria (metric, comparator, target)",
        &[Code::NoSuccessCriteria, Code::UnmeasurableCriterion],
    ),
    (
        "A standard time box, renewals explicit",
        &[Code::NonStandardTimeBox, Code::TooManyRenewals],
    ),
    (
        "A cost cap, and the estimate within it",
        &[
            Code::NoCostCap,
            Code::EstimateOverCap,
            Code::CurrencyMismatch,
        ],
    ),
    ("A unique cost tag", &[Code::DuplicateCostTag]),
    ("An existing team", &[Code::UnknownTeam]),
    ("An owner from the team", &[Code::OwnerNotInTeam]),
    (
        "A blueprint that exists, with valid parameters",
        &[
            Code::UnknownBlueprint,
            Code::MissingParameter,
            Code::UnknownParameter,
            Code::WrongType,
            Code::ParameterType,
            Code::ParameterNotAllowed,
            Code::ParameterPattern,
            Code::ParameterRange,
            Code::ParameterForbiddenCharacter,
            Code::ParameterTooLong,
            Code::OutOfRange,
        ],
    ),
    (
        "GPU quota headroom for the team",
        &[Code::NoQuotaHeadroom, Code::QuotaPending],
    ),
    ("Within the team's monthly budget", &[Code::OverTeamBudget]),
];

fn mark(diags: &[&Diagnostic]) -> &'static str {
    if diags.iter().any(|d| d.severity == Severity::Error) {
        "❌"
    } else if diags.is_empty() {
        "✅"
    } else {
        "⚠️"
    }
}

/// The problems of one row of the requirements table, each on its line, made inert.
fn notes(diagnostics: &[&Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "line {}: {}",
                d.place.line,
                super::markdown::text(&d.message)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The comment on a request PR for one experiment.
pub fn comment(
    ev: &Evaluation,
    e: &ExperimentState,
    flavour: Flavour,
    rendered: Option<&[RenderedFile]>,
) -> String {
    let mine: Vec<&Diagnostic> = ev
        .diagnostics
        .iter()
        .filter(|d| d.place.file == e.path)
        .collect();
    let mut out = String::new();
    let errors = mine.iter().filter(|d| d.is_error()).count();
    let verdict = if errors == 0 {
        "ready for review"
    } else {
        "needs changes"
    };
    let _ = writeln!(out, "### adoptbot: experiment `{}`: {verdict}\n", e.id);
    let _ = writeln!(
        out,
        "**{}**, team `{}`, owner @{}, blueprint `{}`\n",
        super::markdown::inline(&e.title),
        e.team,
        e.owner,
        e.blueprint
    );
    out.push_str("| | requirement | |\n|---|---|---|\n");
    let mut claimed = vec![false; mine.len()];
    for (label, codes) in REQUIREMENTS {
        let hits: Vec<&Diagnostic> = mine
            .iter()
            .enumerate()
            .filter(|(_, d)| codes.contains(&d.code))
            .map(|(i, d)| {
                claimed[i] = true;
                *d
            })
            .collect();
        let _ = writeln!(out, "| {} | {label} | {} |", mark(&hits), notes(&hits));
    }
    let others: Vec<&Diagnostic> = mine
        .iter()
        .zip(&claimed)
        .filter(|(_, c)| !**c)
        .map(|(d, _)| *d)
        .collect();
    if !others.is_empty() {
        let _ = writeln!(
            out,
            "| {} | Other problems | {} |",
            mark(&others),
            notes(&others)
        );
    }

    out.push_str("\n#### Cost\n\n| estimate for the time box | cost cap | team budget left this month |\n|---|---|---|\n");
    let money = |m: Option<crate::model::Money>| m.map_or("-".to_string(), |m| m.to_string());
    let _ = writeln!(
        out,
        "| {} | {} | {} |",
        money(e.estimate),
        e.cost_cap,
        money(e.team_budget_left)
    );
    let rg = crate::render::derived_names(e.id.as_str(), e.team.as_str())
        .remove("resource_group")
        .unwrap_or_default();
    let until = e
        .expires_on
        .map_or("the time box and its renewals".to_owned(), |d| {
            format!("the time box and its renewals, until {d}")
        });
    let _ = writeln!(
        out,
        "\nAzure enforces the cap: the IaC sets a budget of **{}** on `{rg}` over {until}. It notifies the owner and the team at the budget thresholds, and at 100% of actual cost it deallocates the compute and scales it to zero (nothing is deleted).",
        e.cost_cap
    );
    if let Some(g) = &e.gpu {
        let _ = writeln!(
            out,
            "\nGPU quota: {} vCPUs of `{}` in `{}` ({}).",
            g.vcpus, g.family, g.region, g.sku
        );
    }

    if let Some(files) = rendered {
        let lang = match flavour {
            Flavour::Bicep => "bicep",
            Flavour::Terraform => "hcl",
        };
        let mut preview = String::new();
        for f in files {
            // A fence longer than any run of backticks in the file: nothing in it can end
            // the block early.
            let longest = f
                .content
                .split(|c| c != '`')
                .map(str::len)
                .max()
                .unwrap_or(0);
            let fence = "`".repeat(longest.max(2) + 1);
            let _ = write!(
                preview,
                "\n`{}`\n\n{fence}{lang}\n{}\n{fence}\n",
                f.path,
                f.content.trim_end()
            );
        }
        if out.len() + preview.len() > MAX_COMMENT {
            preview = format!(
                "\nThe rendered files are too large to show here ({} characters); run `adoptbot render . --experiment {}` to see them.\n",
                preview.len(),
                e.id
            );
        }
        let _ = write!(
            out,
            "\n<details><summary>Rendered {flavour} ({})</summary>\n{preview}\n</details>\n",
            crate::plan::count(files.len(), "file", "files")
        );
    }
    out
}

/// The `adoptbot/experiment` check run for a request PR's head commit: failure when any
/// changed request has an error, with an annotation on each problem's line.
pub fn check(ev: &Evaluation, paths: &[String], head_sha: &str) -> CheckRunSpec {
    let diags: Vec<&Diagnostic> = ev
        .diagnostics
        .iter()
        .filter(|d| paths.contains(&d.place.file))
        .collect();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let annotations = diags
        .iter()
        .map(|d| Annotation {
            path: d.place.file.clone(),
            start_line: d.place.line.max(1),
            end_line: d.place.line.max(1),
            level: if d.is_error() {
                AnnotationLevel::Failure
            } else {
                AnnotationLevel::Warning
            },
            title: d.code.to_string(),
            message: if d.hint.is_empty() {
                d.message.clone()
            } else {
                format!("{}\n{}", d.message, d.hint)
            },
        })
        .collect();
    CheckRunSpec {
        name: "adoptbot/experiment".into(),
        head_sha: head_sha.into(),
        conclusion: if errors == 0 {
            Conclusion::Success
        } else {
            Conclusion::Failure
        },
        title: crate::plan::tally(errors, diags.len() - errors),
        summary: format!(
            "{} checked.",
            crate::plan::count(paths.len(), "experiment request", "experiment requests")
        ),
        annotations,
    }
}

/// The `adoptbot/experiment` check of a PR that changes no experiment request.
pub fn no_requests_check(head_sha: &str) -> CheckRunSpec {
    CheckRunSpec {
        name: "adoptbot/experiment".into(),
        head_sha: head_sha.into(),
        conclusion: Conclusion::Success,
        title: crate::plan::tally(0, 0),
        summary: "No experiment request changed.".into(),
        annotations: Vec::new(),
    }
}

/// The `adoptbot/experiment` check with the files a person's PR adds or changes under
/// `infra/`, which only the bot writes (its IaC is rendered from the blueprints, whatever
/// header a file carries): each one fails the check, named and annotated.
pub fn with_hand_written_iac(mut spec: CheckRunSpec, infra: &[String]) -> CheckRunSpec {
    if infra.is_empty() {
        return spec;
    }
    spec.conclusion = Conclusion::Failure;
    spec.title = format!(
        "{} under infra/, which only adoptbot writes",
        crate::plan::count(infra.len(), "hand-written file", "hand-written files")
    );
    let listed: Vec<String> = infra
        .iter()
        .map(|p| format!("- {}", super::markdown::code(p)))
        .collect();
    spec.summary = format!(
        "{}\n\n`infra/` holds the IaC adoptbot renders from the blueprints, through its own PRs. This PR adds or changes:\n\n{}\n\nRemove these files from the PR; to change an experiment's IaC, change its request or its blueprint, and adoptbot opens a re-render PR.",
        spec.summary,
        listed.join("\n")
    );
    for p in infra {
        spec.annotations.push(Annotation {
            path: p.clone(),
            start_line: 1,
            end_line: 1,
            level: AnnotationLevel::Failure,
            title: "hand-written IaC".into(),
            message: "infra/ is written by adoptbot only; a generated-file header does not make a file the bot's".into(),
        });
    }
    spec
}
