//! The JSON Schemas in docs/schema are generated from the types; a stale one fails here.
//! Every YAML example file names its schema on its first line, for editors.

mod common;

use adoptbot::load::Kind;

#[test]
fn committed_schemas_match_the_types() {
    let dir = common::root().join("docs/schema");
    for (file, schema) in adoptbot::report::schema::all() {
        let expected = format!("{}\n", serde_json::to_string_pretty(&schema).unwrap());
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            committed == expected,
            "docs/schema/{file} is stale: run `cargo run -- schema --out docs/schema` and commit the result"
        );
    }
}

#[test]
fn schemas_reject_unknown_fields() {
    for (file, schema) in adoptbot::report::schema::all() {
        assert_eq!(
            schema["additionalProperties"],
            serde_json::Value::Bool(false),
            "{file} allows unknown fields"
        );
    }
}

fn yaml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "md") {
            out.push(p);
        }
    }
}

/// The schema a repository file must name, if it is a document.
fn expected_schema(rel: &str) -> Option<&'static str> {
    Kind::of(rel).map(Kind::schema)
}

#[test]
fn every_example_document_names_its_schema() {
    let mut checked = 0;
    for root in [
        common::root().join("examples"),
        common::root().join("phases"),
    ] {
        let mut files = Vec::new();
        yaml_files(&root, &mut files);
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let rel_to_repo = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            // examples/<org>/<path>: the document path is below the organisation folder.
            let doc_path = if root.ends_with("blueprints") {
                rel_to_repo.clone()
            } else if root.ends_with("examples") {
                rel_to_repo
                    .split_once('/')
                    .map(|x| x.1.to_string())
                    .unwrap_or_default()
            } else {
                format!("phases/{rel_to_repo}")
            };
            let schema = if root.ends_with("blueprints") {
                doc_path
                    .ends_with("/blueprint.yaml")
                    .then_some("blueprint.schema.json")
            } else if root.ends_with("phases") {
                Some(if doc_path.ends_with("policies.yaml") {
                    "policies.schema.json"
                } else {
                    "phase.schema.json"
                })
            } else {
                expected_schema(&doc_path)
            };
            let Some(schema) = schema else { continue };
            let first = if doc_path.ends_with(".md") {
                text.lines().nth(1)
            } else {
                text.lines().next()
            }
            .unwrap_or("");
            let target = first
                .strip_prefix("# yaml-language-server: $schema=")
                .unwrap_or_else(|| {
                    panic!("{}: the first line does not name a schema", path.display())
                });
            assert!(
                target.ends_with(&format!("/{schema}")),
                "{}: names {target}, should name {schema}",
                path.display()
            );
            let resolved = path.parent().unwrap().join(target);
            assert!(
                resolved.exists(),
                "{}: {target} does not exist",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} documents checked");
}
