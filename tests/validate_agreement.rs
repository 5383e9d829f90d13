//! The JSON Schemas (run by the `jsonschema` crate, over documents read by another YAML
//! parser) and `adoptbot validate` give the same verdict: over the corpus of broken files,
//! and over every one-value type change of every scalar of every `examples/contoso`
//! document (a number quoted, a word where a number belongs, `"true"`, `3.0` for `3`, a
//! string quoted or unquoted). A disagreement is a bug in one of them.

mod common;

use adoptbot::load::{Kind, Snapshot, load_file};
use std::collections::BTreeMap;

/// The committed schemas, compiled with adoptbot's validator options.
fn schemas() -> BTreeMap<String, jsonschema::Validator> {
    let dir = common::root().join("docs/schema");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let v = adoptbot::load::schema::compile(&schema)
            .unwrap_or_else(|e| panic!("{name} does not compile: {e}"));
        out.insert(name, v);
    }
    out
}

/// The schema's verdict on a YAML document: `Some(true)` valid, `Some(false)` invalid,
/// `None` when the text is not a single YAML document (no type change, so not compared).
fn schema_accepts(
    schemas: &BTreeMap<String, jsonschema::Validator>,
    rel: &str,
    text: &str,
) -> Option<bool> {
    let kind = Kind::of(rel)?;
    let value: serde_json::Value = serde_yaml_ng::from_str(text).ok()?;
    Some(schemas[kind.schema()].is_valid(&value))
}

/// `adoptbot validate`'s verdict on the contoso repository with one file replaced: no
/// error anywhere.
fn validate_accepts(base: &[(String, Vec<u8>)], rel: &str, text: &str) -> bool {
    // A file that does not load is refused whatever the rest says; this saves the full run.
    if load_file(rel, text.as_bytes())
        .diagnostics
        .iter()
        .any(|d| d.is_error())
    {
        return false;
    }
    let mut snap = Snapshot::default();
    for (path, bytes) in base {
        let bytes = if path == rel {
            text.as_bytes().to_vec()
        } else {
            bytes.clone()
        };
        snap.add(path.clone(), bytes.len() as u64, || Ok(bytes));
    }
    let analysis = adoptbot::analyse(&snap, common::contoso_today()).expect("analysis");
    !analysis.evaluation.diagnostics.iter().any(|d| d.is_error())
}

fn files(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, root, out);
        } else {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

fn is_number(v: &str) -> bool {
    v.parse::<f64>().is_ok() && !v.eq_ignore_ascii_case("nan") && !v.contains("inf")
}

/// The one-value type changes of a plain or quoted scalar.
fn changes(value: &str) -> Vec<String> {
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')));
    if quoted {
        let inner = &value[1..value.len() - 1];
        if inner.contains(['"', '\'', '\\', ':', '#']) || inner.is_empty() {
            return vec![];
        }
        return vec![inner.to_string(), "12345".into()];
    }
    if value.parse::<i64>().is_ok() {
        return vec![format!("\"{value}\""), format!("{value}.0"), "word".into()];
    }
    if is_number(value) {
        return vec![format!("\"{value}\""), "word".into()];
    }
    if value == "true" || value == "false" {
        return vec![format!("\"{value}\""), "1".into()];
    }
    if value == "null" || value == "~" {
        return vec![];
    }
    vec![
        "12345".into(),
        "true".into(),
        format!("\"{value}\""),
        "3.5".into(),
    ]
}

/// Every mutated text of a document: each scalar of a `key: value` or `- value` line, and
/// the first item of a one-line flow list, changed once.
fn mutations(text: &str) -> Vec<(usize, String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        // The value part: after `key: ` or `- `.
        let start = if let Some(rest) = trimmed.strip_prefix("- ") {
            let off = line.len() - rest.len();
            // `- key: value` puts the value after the key.
            match rest.find(": ") {
                Some(k) if !rest.starts_with(['"', '\'']) => off + k + 2,
                _ => off,
            }
        } else if let Some(k) = line.find(": ") {
            k + 2
        } else {
            continue;
        };
        let raw = &line[start..];
        let value = raw.split(" #").next().unwrap_or_default().trim_end();
        let value = value.trim_start();
        let start = line.len() - raw.trim_start().len();
        if value.is_empty() || value.starts_with(['|', '>', '&', '*', '!', '{']) {
            continue;
        }
        let (from, to, olds): (usize, usize, String) = if let Some(list) = value.strip_prefix('[') {
            let Some(first) = list.split([',', ']']).next() else {
                continue;
            };
            let first = first.trim();
            if first.is_empty() || first.contains(['{', '[']) {
                continue;
            }
            let at = start + 1 + list.find(first).unwrap_or(0);
            (at, at + first.len(), first.to_string())
        } else {
            (start, start + value.len(), value.to_string())
        };
        for new in changes(&olds) {
            let mut m = lines.clone();
            let changed = format!("{}{}{}", &line[..from], new, &line[to..]);
            m[i] = &changed;
            let mut t = m.join("\n");
            t.push('\n');
            out.push((i + 1, format!("{olds} -> {new}"), t));
        }
    }
    out
}

#[test]
fn schemas_and_validate_agree_on_every_type_change_of_the_sample() {
    let schemas = schemas();
    let root = common::contoso();
    let mut base = Vec::new();
    files(&root, &root, &mut base);
    let unchanged = base
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect::<Vec<_>>();
    let mut snap = Snapshot::default();
    for (p, b) in &unchanged {
        snap.add(p.to_string(), b.len() as u64, || Ok(b.to_vec()));
    }
    let analysis = adoptbot::analyse(&snap, common::contoso_today()).unwrap();
    assert!(
        !analysis.evaluation.diagnostics.iter().any(|d| d.is_error()),
        "the sample itself has errors"
    );
    let (mut compared, mut accepted, mut rejected) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for (rel, bytes) in &base {
        if !rel.ends_with(".yaml") || Kind::of(rel).is_none() {
            continue;
        }
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            schema_accepts(&schemas, rel, &text),
            Some(true),
            "{rel}: the schema refuses the sample"
        );
        for (line, change, mutated) in mutations(&text) {
            let Some(by_schema) = schema_accepts(&schemas, rel, &mutated) else {
                continue;
            };
            let by_validate = validate_accepts(&base, rel, &mutated);
            compared += 1;
            if by_validate {
                accepted += 1;
            } else {
                rejected += 1;
            }
            if by_schema != by_validate {
                disagreements.push(format!(
                    "{rel}:{line} `{change}`: the schema {}, validate {}",
                    if by_schema { "accepts" } else { "refuses" },
                    if by_validate { "accepts" } else { "refuses" },
                ));
            }
        }
    }
    eprintln!("{compared} type changes compared: {accepted} accepted, {rejected} refused by both");
    assert!(compared >= 500, "only {compared} type changes compared");
    assert!(
        accepted > 0 && rejected > 0,
        "{accepted} accepted, {rejected} refused"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {compared} type changes disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn schemas_refuse_every_broken_document_of_the_corpus() {
    let schemas = schemas();
    let dir = common::root().join("tests/corpus/broken");
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
        let header = text.lines().next().unwrap();
        let rest = header.strip_prefix("# path: ").unwrap();
        let (rel, expect) = rest.split_once(" expect: ").unwrap();
        // File names and extensions are not in a document, and alias bombs are not read
        // twice: the loader's own tests cover them.
        if expect.starts_with("bad-file-name")
            || expect.starts_with("wrong-extension")
            || rel.contains("bomb")
            || rel.ends_with(".md")
        {
            continue;
        }
        let loaded = load_file(rel, text.as_bytes());
        assert!(
            loaded.diagnostics.iter().any(|d| d.is_error()),
            "{}: validate accepts it",
            p.display()
        );
        // A text that is not one YAML document is refused by every reader.
        if let Some(ok) = schema_accepts(&schemas, rel, &text) {
            assert!(!ok, "{}: the schema accepts it", p.display());
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} corpus files compared");
}

#[test]
fn the_mutator_changes_one_value_at_a_time() {
    let text = "title: A test\nrating: 3\nflag: true\nregions: [westeurope, eastus]\nversion: \"2024-07-18\"\n";
    let m = mutations(text);
    let shown: Vec<&str> = m.iter().map(|(_, c, _)| c.as_str()).collect();
    for want in [
        "A test -> 12345",
        "3 -> \"3\"",
        "3 -> 3.0",
        "true -> \"true\"",
        "westeurope -> 12345",
        "\"2024-07-18\" -> 2024-07-18",
    ] {
        assert!(shown.contains(&want), "{want} missing from {shown:?}");
    }
    let (_, _, t) = m.iter().find(|(_, c, _)| c == "3 -> 3.0").unwrap();
    assert_eq!(
        t,
        "title: A test\nrating: 3.0\nflag: true\nregions: [westeurope, eastus]\nversion: \"2024-07-18\"\n"
    );
}
