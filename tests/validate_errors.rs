//! `validate` reports every schema error of a file at once, each at its line and column
//! with a code and a fix; the strictness the schemas hold; unknown models and regions.

mod common;

use adoptbot::load::{Snapshot, load_file};
use adoptbot::model::{Code, Diagnostic};

fn errors(path: &str, text: &str) -> Vec<Diagnostic> {
    load_file(path, text.as_bytes())
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect()
}

fn at(d: &Diagnostic) -> (Code, u32, u32) {
    (d.code, d.place.line, d.place.column)
}

/// The contoso sample with `rel` replaced by `text`, analysed: the errors.
fn contoso_with(rel: &str, text: &str) -> Vec<Diagnostic> {
    let root = common::contoso();
    let mut snap = Snapshot::default();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let r = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = if r == rel {
                text.as_bytes().to_vec()
            } else {
                std::fs::read(&p).unwrap()
            };
            snap.add(r, bytes.len() as u64, || Ok(bytes));
        }
    }
    let analysis = adoptbot::analyse(&snap, common::contoso_today()).unwrap();
    analysis
        .evaluation
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect()
}

fn contoso_file(rel: &str) -> String {
    std::fs::read_to_string(common::contoso().join(rel)).unwrap()
}

#[test]
fn five_mistakes_are_five_errors_in_one_run() {
    let text = "\
title: 12345
team: Search_Team
owner: alice
hypothesis: All at once.
next_step: Nothing.
success_criteria:
  - { metric: accuracy, comparator: \">=\", target: \"0.85\" }
time_box: 1 month
cost_cap: 100 USD
cost_tag: five
blueprint: experiment-sandbox
colour: red
request_pr: 3.0
";
    let found: Vec<_> = errors("experiments/five.yaml", text)
        .iter()
        .map(at)
        .collect();
    assert_eq!(
        found,
        vec![
            (Code::MissingParameter, 1, 1),
            (Code::WrongType, 1, 8),
            (Code::BadValue, 2, 7),
            (Code::WrongType, 7, 51),
            (Code::BadValue, 8, 11),
            (Code::UnknownField, 12, 1),
            (Code::WrongType, 13, 13),
        ],
        "{:#?}",
        errors("experiments/five.yaml", text)
    );
    let all = errors("experiments/five.yaml", text);
    for d in &all {
        assert!(!d.hint.is_empty(), "no fix for {d}");
    }
    // The sandbox's parameter without a default is named, with what to add.
    assert!(
        all[0].hint.contains("`budget_contact_email:`"),
        "{}",
        all[0].hint
    );
}

#[test]
fn every_fix_says_what_to_write() {
    let text = "\
title: 12345
team: search
owner: alice
hypothesis: x
next_step: y
time_box: 2w
cost_cap: 3000
cost_tag: fix
blueprint: experiment-sandbox
status: active
started_on: 01/12/2026
";
    let errs = errors("experiments/fix.yaml", text);
    let hint = |line: u32| {
        errs.iter()
            .find(|d| d.place.line == line)
            .map(|d| d.hint.clone())
            .unwrap_or_else(|| panic!("no error on line {line}: {errs:#?}"))
    };
    let title = errs
        .iter()
        .find(|d| d.place.line == 1 && d.code == Code::WrongType)
        .unwrap();
    assert_eq!(
        title.hint,
        "put the value in quotes to make it text: `title: \"12345\"`"
    );
    assert!(hint(7).contains("`3000 USD`"), "{}", hint(7));
    assert!(hint(11).contains("YYYY-MM-DD"), "{}", hint(11));
    let date = errs.iter().find(|d| d.place.line == 11).unwrap();
    assert_eq!(date.code, Code::BadDate);
    assert_eq!(date.message, "`01/12/2026` is not a date");
}

#[test]
fn the_listed_disagreements_are_refused() {
    // Numbers where strings belong, quoted numbers and booleans, a fractional rating, an
    // area that does not exist, a phase in quotes.
    let cases: &[(&str, &str, Code, u32, u32)] = &[
        (
            "scorecards/2026-01-01.yaml",
            "assessed_on: 2026-01-01\nareas:\n  team-skills: { rating: 3.0, evidence: x }\n",
            Code::WrongType,
            3,
            26,
        ),
        (
            "scorecards/2026-01-01.yaml",
            "assessed_on: 2026-01-01\nareas:\n  budgets: { rating: 3, evidence: x }\n",
            Code::UnknownValue,
            3,
            3,
        ),
        (
            "adoption.yaml",
            "organisation: X\nphase: \"4\"\nroles: {}\n",
            Code::UnknownValue,
            2,
            8,
        ),
        (
            "teams/search.yaml",
            "name: 12345\ngithub_team: t/s\nleads: [alice]\nmonthly_budget: 1 USD\n",
            Code::WrongType,
            1,
            7,
        ),
        (
            "adoption.yaml",
            "organisation: X\nphase: 4\nnotices: { mention_owners: \"true\" }\nroles: {}\n",
            Code::WrongType,
            3,
            28,
        ),
    ];
    for (path, text, code, line, column) in cases {
        let errs = errors(path, text);
        assert!(
            errs.iter().any(|d| at(d) == (*code, *line, *column)),
            "{path} {text:?}: expected {code} at {line}:{column}, got {errs:#?}"
        );
    }
    // The hint of an unknown area names the six.
    let errs = errors(
        "scorecards/2026-01-01.yaml",
        "assessed_on: 2026-01-01\nareas:\n  budgets: { rating: 3, evidence: x }\n",
    );
    assert!(errs[0].hint.contains("team-skills"), "{}", errs[0].hint);
}

#[test]
fn an_unknown_region_is_an_error_that_lists_the_regions() {
    let text = contoso_file("adoption.yaml").replace(
        "regions: [westeurope, swedencentral, eastus]",
        "regions: [westeurope, mars]",
    );
    assert!(text.contains("mars"));
    let errs = contoso_with("adoption.yaml", &text);
    let d = errs
        .iter()
        .find(|d| d.place.file == "adoption.yaml")
        .unwrap_or_else(|| panic!("mars is accepted: {errs:#?}"));
    assert_eq!(d.code, Code::UnknownValue);
    assert!(d.message.contains("mars"), "{}", d.message);
    for region in ["westeurope", "swedencentral", "eastus"] {
        assert!(d.hint.contains(region), "{}", d.hint);
    }
    // A team's quota region too.
    let team = contoso_file("teams/ml-platform.yaml");
    let first = team
        .lines()
        .find(|l| l.trim_start().starts_with("region:"))
        .expect("a quota region");
    let errs = contoso_with(
        "teams/ml-platform.yaml",
        &team.replacen(first, "    region: mars", 1),
    );
    assert!(
        errs.iter()
            .any(|d| d.place.file == "teams/ml-platform.yaml" && d.code == Code::UnknownValue),
        "{errs:#?}"
    );
}

#[test]
fn a_model_with_another_models_default_version_is_an_error() {
    // gpt-4.1 with no version used to render with gpt-4o-mini's default version.
    let rel = "experiments/search-query-rewrite.yaml";
    let text = contoso_file(rel)
        .replace("chat_model: gpt-4o-mini", "chat_model: gpt-4.1")
        .replace("  chat_model_version: \"2024-07-18\"\n", "");
    let errs = contoso_with(rel, &text);
    let d = errs
        .iter()
        .find(|d| d.place.file == rel)
        .unwrap_or_else(|| panic!("gpt-4.1 without a version is accepted: {errs:#?}"));
    assert_eq!(d.code, Code::ParameterCombination, "{d}");
    assert!(d.message.contains("2024-07-18"), "{}", d.message);
    assert!(d.hint.contains("2025-04-14"), "{}", d.hint);
    assert!(d.hint.contains("gpt-4o-mini"), "{}", d.hint);
    // With its own version it is fine.
    let ok = text.replace(
        "chat_model: gpt-4.1\n",
        "chat_model: gpt-4.1\n  chat_model_version: \"2025-04-14\"\n",
    );
    let errs = contoso_with(rel, &ok);
    assert!(!errs.iter().any(|d| d.place.file == rel), "{errs:#?}");
    // A model the blueprint does not know names the models it does.
    let errs = contoso_with(rel, &contoso_file(rel).replace("gpt-4o-mini", "gpt-5"));
    let d = errs
        .iter()
        .find(|d| d.place.file == rel && d.code == Code::ParameterNotAllowed)
        .unwrap_or_else(|| panic!("gpt-5 is accepted: {errs:#?}"));
    assert!(
        d.hint.contains("gpt-4o") && d.hint.contains("gpt-4.1-mini"),
        "{}",
        d.hint
    );
}

#[test]
fn parameter_errors_alone_are_reported_once_by_the_parameter_check() {
    let rel = "experiments/fraud-xgboost-gpu.yaml";
    let text = contoso_file(rel);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("instance_count:"))
        .expect("an instance count");
    let value = line.split(": ").nth(1).unwrap().trim();
    let mutated = text.replacen(line, &format!("  instance_count: \"{value}\""), 1);
    // The file reads: its parameters are judged against the blueprint the repository has.
    assert!(
        errors(rel, &mutated).is_empty(),
        "{:#?}",
        errors(rel, &mutated)
    );
    let errs: Vec<_> = contoso_with(rel, &mutated)
        .into_iter()
        .filter(|d| d.place.file == rel)
        .collect();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code, Code::ParameterType);
    // Beside another error of the file, the schema reports it at once.
    let both = mutated.replacen("title: ", "title: 12345\nxtitle: ", 1);
    let errs = errors(rel, &both);
    assert!(
        errs.iter().any(|d| d.code == Code::ParameterType),
        "{errs:#?}"
    );
    assert!(
        errs.iter().any(|d| d.code == Code::UnknownField),
        "{errs:#?}"
    );
}

#[test]
fn the_experiment_schema_carries_every_built_in_blueprints_parameters() {
    let all = adoptbot::report::schema::all();
    let (_, schema) = all
        .iter()
        .find(|(f, _)| *f == "experiment.schema.json")
        .unwrap();
    let rules = schema["allOf"].as_array().expect("if/then per blueprint");
    let catalogue = adoptbot::render::Catalogue::builtin().unwrap();
    assert_eq!(rules.len(), catalogue.names().count());
    let openai = rules
        .iter()
        .find(|r| r["if"]["properties"]["blueprint"]["const"] == "azure-openai")
        .expect("azure-openai");
    let params = &openai["then"]["properties"]["parameters"];
    assert_eq!(params["additionalProperties"], false);
    let model = &params["properties"]["chat_model"];
    assert_eq!(model["type"], "string");
    assert_eq!(model["default"], "gpt-4o-mini");
    assert!(
        model["enum"]
            .as_array()
            .unwrap()
            .contains(&"gpt-4.1".into())
    );
    assert!(model["description"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(
        params["properties"]["address_space"]["pattern"]
            .as_str()
            .is_some_and(|p| p.starts_with("^(?:"))
    );
    assert_eq!(params["properties"]["chat_capacity"]["maximum"], 1000);
    // The versions each model is offered at.
    let by_model = params["allOf"].as_array().expect("allowed_by rules");
    let gpt41 = by_model
        .iter()
        .find(|r| r["if"]["properties"]["chat_model"]["const"] == "gpt-4.1")
        .unwrap();
    assert_eq!(
        gpt41["then"]["properties"]["chat_model_version"]["enum"],
        serde_json::json!(["2025-04-14"])
    );
    assert_eq!(
        gpt41["then"]["required"],
        serde_json::json!(["chat_model_version"])
    );
    // A required parameter without a default is required by the schema too.
    let gpu = rules
        .iter()
        .find(|r| r["if"]["properties"]["blueprint"]["const"] == "gpu-training-cluster")
        .unwrap();
    assert!(
        gpu["then"]["properties"]["parameters"]["required"]
            .as_array()
            .unwrap()
            .contains(&"ssh_public_key".into())
    );
}

#[test]
fn init_and_schema_write_the_same_schemas() {
    let from_init = adoptbot::runners::init::schema_files().unwrap();
    let all = adoptbot::report::schema::all();
    assert_eq!(from_init.len(), all.len());
    for ((f1, text), (f2, schema)) in from_init.iter().zip(&all) {
        assert_eq!(f1, f2);
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(&parsed, schema, "{f1}");
    }
}

#[test]
fn each_schema_is_compiled_once_and_shared() {
    let a = adoptbot::load::schema::schema("experiment.schema.json").unwrap();
    let b = adoptbot::load::schema::schema("experiment.schema.json").unwrap();
    assert!(std::ptr::eq(a, b));
    // Every document kind has a compiled schema.
    for kind in [
        "adoption",
        "scorecard",
        "shadow-inventory",
        "team",
        "experiment",
        "use-case",
        "slo",
        "runbook",
        "radar-entry",
        "overrides",
    ] {
        assert!(
            adoptbot::load::schema::schema(&format!("{kind}.schema.json")).is_some(),
            "{kind}"
        );
    }
}

#[test]
fn a_document_that_is_not_a_map_says_what_a_document_is() {
    for text in ["- a\n- b\n", "just words\n", "12\n"] {
        let errs = errors("teams/x.yaml", text);
        assert_eq!(errs.len(), 1, "{text:?}: {errs:#?}");
        assert_eq!(errs[0].code, Code::WrongType);
        assert_eq!(
            (errs[0].place.line, errs[0].place.column),
            (1, 1),
            "{text:?}"
        );
        assert!(errs[0].hint.contains("`field: value`"), "{}", errs[0].hint);
    }
}
