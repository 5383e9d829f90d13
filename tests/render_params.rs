//! Parameter validation against a blueprint manifest: every kind of error, all errors at once,
//! and diagnostics that name the parameter and say what is allowed.

use std::collections::BTreeMap;

use adoptbot::model::diagnostic::{Diagnostic, Place};
use adoptbot::render::{
    Blueprint, Catalogue, ExperimentContext, Flavour, render, validate_parameters,
};
use serde_json::{Value, json};

fn gpu() -> Blueprint {
    Catalogue::builtin()
        .unwrap()
        .get("gpu-training-cluster")
        .unwrap()
        .clone()
}

fn params(v: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(v).unwrap()
}

fn check(p: Value) -> Vec<Diagnostic> {
    validate_parameters(&gpu(), &params(p), |name| {
        Place::new("experiments/x.yaml", 7, if name.is_empty() { 1 } else { 3 })
    })
}

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ7cWJ2c2FtcGxla2V5Zm9yYWRvcHRib3R0ZXN0czE1 me";

fn valid() -> Value {
    json!({ "vm_sku": "Standard_ND96asr_v4", "ssh_public_key": KEY })
}

fn with(key: &str, value: Value) -> Value {
    let mut v = valid();
    v[key] = value;
    v
}

fn only(diags: &[Diagnostic]) -> &Diagnostic {
    assert_eq!(diags.len(), 1, "{diags:#?}");
    &diags[0]
}

#[test]
fn valid_parameters_pass_and_defaults_fill_in() {
    assert!(check(valid()).is_empty());
    let eff = adoptbot::render::with_defaults(&gpu().manifest, &params(valid()));
    assert_eq!(eff["location"], json!("westeurope"));
    assert_eq!(eff["instance_count"], json!(1));
    assert_eq!(eff["spot"], json!(false));
}

#[test]
fn unknown_parameter_is_named_with_the_known_ones() {
    let d = check(with("colour", json!("blue")));
    let d = only(&d);
    assert_eq!(d.code, "unknown-parameter");
    assert!(d.message.contains("`colour`"), "{d}");
    assert!(
        d.hint.contains("vm_sku") && d.hint.contains("instance_count"),
        "{d}"
    );
    assert_eq!(d.place, Place::new("experiments/x.yaml", 7, 3));
}

#[test]
fn missing_required_parameter() {
    let d = check(json!({ "vm_sku": "Standard_ND96asr_v4" }));
    let d = only(&d);
    assert_eq!(d.code, "missing-parameter");
    assert!(d.message.contains("`ssh_public_key`"), "{d}");
    assert_eq!(d.place.column, 1);
}

#[test]
fn wrong_types() {
    for (key, value, expected) in [
        ("instance_count", json!("4"), "an integer"),
        ("instance_count", json!(1.5), "an integer"),
        ("spot", json!("yes"), "a boolean"),
        ("location", json!(3), "a string"),
        ("location", json!(["eastus"]), "a string"),
    ] {
        let d = check(with(key, value.clone()));
        let d = only(&d);
        assert_eq!(d.code, "parameter-type", "{key}={value}");
        assert!(
            d.message.contains(&format!("`{key}`")) && d.message.contains(expected),
            "{d}"
        );
    }
    let d = check(with("instance_count", json!("4")));
    assert!(d[0].hint.contains("without quotes"), "{}", d[0]);
}

#[test]
fn value_not_allowed_lists_the_allowed_values() {
    let d = check(with("location", json!("mars-north")));
    let d = only(&d);
    assert_eq!(d.code, "parameter-not-allowed");
    assert!(
        d.message.contains("`location`") && d.message.contains("\"mars-north\""),
        "{d}"
    );
    assert!(
        d.message.contains("westeurope, northeurope, swedencentral"),
        "{d}"
    );
    assert!(d.hint.contains("eastus"), "{d}");
}

#[test]
fn pattern_mismatch() {
    let d = check(with("ssh_public_key", json!("ssh-rsa AAAAB3NzaC1yc2E")));
    let d = only(&d);
    assert_eq!(d.code, "parameter-pattern");
    assert!(
        d.message.contains("`ssh_public_key`") && d.message.contains("ssh-ed25519"),
        "{d}"
    );
    // Patterns are anchored: a valid key with a suffix does not match.
    let d = check(with("admin_username", json!("azureuser; rm -rf /")));
    assert_eq!(only(&d).code, "parameter-pattern");
}

#[test]
fn out_of_range() {
    for v in [0, 9, -1, i64::MAX] {
        let d = check(with("instance_count", json!(v)));
        let d = only(&d);
        assert_eq!(d.code, "parameter-range");
        assert!(d.message.contains("1..=8"), "{d}");
    }
}

#[test]
fn control_characters_and_length_are_refused() {
    let d = check(with("admin_username", json!("ab\u{7}c")));
    assert!(
        d.iter()
            .any(|d| d.code == "parameter-forbidden-character" && d.message.contains("U+0007")),
        "{d:#?}"
    );
    let d = check(with("admin_username", json!("a\u{202E}bc")));
    assert!(
        d.iter().any(|d| d.code == "parameter-forbidden-character"),
        "{d:#?}"
    );
    let d = check(with("admin_username", json!("a".repeat(257))));
    assert!(
        d.iter()
            .any(|d| d.code == "parameter-too-long" && d.message.contains("257")),
        "{d:#?}"
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let d = check(json!({
        "location": "mars",
        "vm_sku": 42,
        "instance_count": 100,
        "spot": "no",
        "admin_username": "Root!",
        "colour": "blue",
    }));
    let mut codes: Vec<&str> = d.iter().map(|d| d.code.as_str()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "missing-parameter",
            "parameter-not-allowed",
            "parameter-pattern",
            "parameter-range",
            "parameter-type",
            "parameter-type",
            "unknown-parameter"
        ],
        "{d:#?}"
    );
}

#[test]
fn render_refuses_invalid_parameters_and_context() {
    let bp = gpu();
    let ctx = ExperimentContext {
        id: "Bad_ID".into(),
        team: "ml".into(),
        owner: "a".into(),
        cost_tag: "x".into(),
        expiry: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        starts_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        ..adoptbot::render::example_context()
    };
    let err = render(
        &bp,
        Flavour::Terraform,
        &ctx,
        &params(with("spot", json!("maybe"))),
    )
    .unwrap_err();
    let codes: Vec<&str> = err.iter().map(|d| d.code.as_str()).collect();
    assert!(
        codes.contains(&"context-invalid") && codes.contains(&"parameter-type"),
        "{err:#?}"
    );
    assert_eq!(
        err.iter().filter(|d| d.code == "context-invalid").count(),
        2,
        "id and cost tag: {err:#?}"
    );
}

#[test]
fn example_parameters_of_every_blueprint_are_valid() {
    let cat = Catalogue::builtin().unwrap();
    for bp in cat.blueprints() {
        let d = validate_parameters(bp, &bp.manifest.example_parameters, |_| Place::file("x"));
        assert!(d.is_empty(), "{}: {d:#?}", bp.manifest.name);
    }
}

#[test]
fn manifest_errors_are_placed_and_explained() {
    let base = Catalogue::builtin().unwrap();
    let manifest = "name: mine\nversion: 1.0\ndescription: x\nparameters:\n  Bad-Name:\n    type: integer\n    description: d\n    min: 5\n    max: 1\n  region:\n    type: string\n    description: r\n    pattern: \"(unclosed\"\nprices:\n  - description: gpu\n    sku_parameter: nope\nsecurity_controls: [managed-identity, private-networking, diagnostic-settings, required-tags]\ncheckov_skips:\n  - { id: CKV_AZURE_1, reason: short }\nexample_parameters: {}\n";
    let files = vec![
        (
            "blueprints/mine/blueprint.yaml".to_string(),
            manifest.as_bytes().to_vec(),
        ),
        (
            "blueprints/mine/terraform/main.tf.tera".to_string(),
            b"locals {}\n".to_vec(),
        ),
    ];
    let (cat, diags) = base.with_overrides(&files);
    assert!(cat.get("mine").is_none());
    let find = |code: &str, text: &str| {
        diags
            .iter()
            .find(|d| d.code == code && d.message.contains(text))
            .unwrap_or_else(|| panic!("{code} {text}: {diags:#?}"))
    };
    assert_eq!(find("manifest-version", "1.0").place.line, 2);
    assert_eq!(find("manifest-parameter", "Bad-Name").place.line, 5);
    find("manifest-parameter", "min > max");
    assert_eq!(find("manifest-invalid-pattern", "region").place.line, 10);
    find("manifest-reference", "nope");
    find("manifest-checkov-skip", "reason");
    assert!(
        diags
            .iter()
            .all(|d| d.place.file.starts_with("blueprints/mine/")),
        "{diags:#?}"
    );

    let unknown = "name: mine\nversion: 1.0.0\ndescription: x\nsecurity_controls: [managed-identity, teleport]\nexample_parameters: {}\n";
    let (_, diags) = Catalogue::builtin().unwrap().with_overrides(&[(
        "blueprints/mine/blueprint.yaml".to_string(),
        unknown.as_bytes().to_vec(),
    )]);
    let d = diags
        .iter()
        .find(|d| d.code == "manifest-invalid")
        .expect("strict enum");
    assert_eq!(d.place.line, 4, "{d}");
    assert!(d.message.contains("teleport"), "{d}");
}
