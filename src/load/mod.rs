//! Load: a repository snapshot into typed documents plus diagnostics. Reading a directory
//! or a git commit is done by the two sources (`dir`, `git`); everything after the bytes is
//! pure and never panics on input. Every problem is collected, not only the first.

pub mod dir;
pub mod framework;
pub mod git;
pub mod history;
pub mod snapshot;
pub mod yaml;

use crate::model::*;
use serde::de::DeserializeOwned;
pub use snapshot::Snapshot;
use std::collections::BTreeMap;

/// A loaded repository and everything wrong with it.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub repo: Repository,
    pub diagnostics: Vec<Diagnostic>,
}

/// The document kinds, by where they live. The schema file documents each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Adoption,
    Scorecard,
    Inventory,
    Team,
    Experiment,
    UseCase,
    Slo,
    Runbook,
    Radar,
    Overrides,
}

impl Kind {
    /// The JSON Schema file, under `docs/schema/`, of this kind.
    pub fn schema(self) -> &'static str {
        match self {
            Kind::Adoption => "adoption.schema.json",
            Kind::Scorecard => "scorecard.schema.json",
            Kind::Inventory => "shadow-inventory.schema.json",
            Kind::Team => "team.schema.json",
            Kind::Experiment => "experiment.schema.json",
            Kind::UseCase => "use-case.schema.json",
            Kind::Slo => "slo.schema.json",
            Kind::Runbook => "runbook.schema.json",
            Kind::Radar => "radar-entry.schema.json",
            Kind::Overrides => "overrides.schema.json",
        }
    }

    /// The kind of document at `path`, if adoptbot reads it as one.
    pub fn of(path: &str) -> Option<Kind> {
        if path == "adoption.yaml" {
            return Some(Kind::Adoption);
        }
        if path == "inventory/shadow-ai.yaml" {
            return Some(Kind::Inventory);
        }
        if path == "phases/overrides.yaml" {
            return Some(Kind::Overrides);
        }
        let (dir, file) = path.split_once('/')?;
        if file.contains('/') {
            return None;
        }
        let ext = if dir == "runbooks" { ".md" } else { ".yaml" };
        file.strip_suffix(ext)?;
        match dir {
            "scorecards" => Some(Kind::Scorecard),
            "teams" => Some(Kind::Team),
            "experiments" => Some(Kind::Experiment),
            "use-cases" => Some(Kind::UseCase),
            "slos" => Some(Kind::Slo),
            "runbooks" => Some(Kind::Runbook),
            "radar" => Some(Kind::Radar),
            _ => None,
        }
    }
}

/// Loads every document of the snapshot.
pub fn load(snap: &Snapshot) -> Loaded {
    let mut out = Loaded {
        diagnostics: snap.problems.clone(),
        ..Loaded::default()
    };
    out.repo.files = snap.paths.clone();
    let mut scorecards = Vec::new();
    for (path, bytes) in &snap.contents {
        if path.starts_with("blueprints/") {
            out.repo.blueprint_files.push((path.clone(), bytes.clone()));
            continue;
        }
        let Some(kind) = Kind::of(path) else {
            misplaced(path, &mut out.diagnostics);
            continue;
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let line = bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count() as u32
                    + 1;
                out.repo.broken.insert(path.clone());
                out.diagnostics.push(
                    Diagnostic::error(Place::new(path, line, 0), "not-text", "the file is not UTF-8 text")
                        .with_hint("adoption documents are YAML text; save the file as UTF-8, or remove binary content"),
                );
                continue;
            }
        };
        // Only this file's diagnostics are looked at, which keeps loading linear in the
        // number of files however many problems the repository has.
        let first = out.diagnostics.len();
        let diags = &mut out.diagnostics;
        let r = &mut out.repo;
        match kind {
            Kind::Adoption => r.adoption = parse_doc(path, text, kind, diags),
            Kind::Scorecard => scorecards.extend(parse_doc(path, text, kind, diags)),
            Kind::Inventory => r.inventory = parse_doc(path, text, kind, diags),
            Kind::Overrides => r.overrides = parse_doc(path, text, kind, diags),
            Kind::Team => keyed(path, text, kind, &mut r.teams, diags),
            Kind::Experiment => keyed(path, text, kind, &mut r.experiments, diags),
            Kind::UseCase => keyed(path, text, kind, &mut r.use_cases, diags),
            Kind::Slo => keyed(path, text, kind, &mut r.slos, diags),
            Kind::Radar => keyed(path, text, kind, &mut r.radar, diags),
            Kind::Runbook => r.runbooks.extend(parse_runbook(path, text, diags)),
        }
        if out.diagnostics[first..].iter().any(Diagnostic::is_error) {
            out.repo.broken.insert(path.clone());
        }
    }
    scorecards.sort_by(|a: &Doc<Scorecard>, b| {
        a.assessed_on
            .cmp(&b.assessed_on)
            .then_with(|| a.path.cmp(&b.path))
    });
    out.repo.scorecards = scorecards;
    if out.repo.adoption.is_none() && !snap.contents.contains_key("adoption.yaml") {
        out.diagnostics.push(
            Diagnostic::error(Place::file("adoption.yaml"), "missing-adoption", "the repository has no adoption.yaml")
                .with_hint("create adoption.yaml with the organisation, its phase and its roles; see .adoptbot/schema/adoption.schema.json (written by `adoptbot init` or `adoptbot schema`)"),
        );
    }
    out
}

fn parse_doc<T: DeserializeOwned>(
    path: &str,
    text: &str,
    kind: Kind,
    diags: &mut Vec<Diagnostic>,
) -> Option<Doc<T>> {
    match yaml::parse::<T>(path, text, kind.schema()) {
        Ok(value) => Some(Doc {
            path: path.to_string(),
            value,
        }),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// A document whose id is its file name, such as `experiments/<id>.yaml`.
fn keyed<T: DeserializeOwned>(
    path: &str,
    text: &str,
    kind: Kind,
    map: &mut BTreeMap<Id, Doc<T>>,
    diags: &mut Vec<Diagnostic>,
) {
    let stem = path
        .rsplit('/')
        .next()
        .and_then(|f| f.rsplit_once('.'))
        .map(|(s, _)| s)
        .unwrap_or_default();
    let id = match stem.parse::<Id>() {
        Ok(id) => Some(id),
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    Place::file(path),
                    "bad-file-name",
                    format!("the file name is the id, and {e}"),
                )
                .with_hint("rename the file"),
            );
            None
        }
    };
    let doc = parse_doc(path, text, kind, diags);
    if let (Some(id), Some(doc)) = (id, doc) {
        map.insert(id, doc);
    }
}

/// Runbooks are Markdown with YAML front matter between `---` lines.
fn parse_runbook(path: &str, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Doc<RunbookMeta>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        diags.push(
            Diagnostic::error(Place::new(path, 1, 1), "no-front-matter", "the runbook has no front matter")
                .with_hint("start the file with a `---` line, then title, owner, covers and last_tested, then `---`"),
        );
        return None;
    }
    let mut front = String::from("\n"); // keeps line numbers equal to the file's
    let mut closed = false;
    for line in lines {
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        front.push_str(line);
    }
    if !closed {
        diags.push(
            Diagnostic::error(
                Place::new(path, 1, 1),
                "no-front-matter",
                "the front matter is not closed",
            )
            .with_hint("end the front matter with a `---` line"),
        );
        return None;
    }
    parse_doc(path, &front, Kind::Runbook, diags)
}

/// A file in a document folder that adoptbot does not read: say so rather than ignore a typo.
fn misplaced(path: &str, diags: &mut Vec<Diagnostic>) {
    let Some((dir, rest)) = path.split_once('/') else {
        if path == "adoption.yml" {
            diags.push(
                Diagnostic::error(
                    Place::file(path),
                    "wrong-extension",
                    "adoptbot reads adoption.yaml, not adoption.yml",
                )
                .with_hint("rename it to adoption.yaml"),
            );
        }
        return;
    };
    if dir == "phases" || !snapshot::DOCUMENT_DIRS.contains(&dir) {
        if dir == "phases" {
            diags.push(
                Diagnostic::warning(Place::file(path), "not-read", "only phases/overrides.yaml is read from phases/")
                    .with_hint("put threshold overrides in phases/overrides.yaml; the phases themselves are the framework's"),
            );
        }
        return;
    }
    if rest.ends_with(".yml") {
        diags.push(
            Diagnostic::error(
                Place::file(path),
                "wrong-extension",
                "adoptbot reads `.yaml` files and would ignore this one",
            )
            .with_hint("rename it to end in .yaml"),
        );
    } else if rest.contains('/') && rest.ends_with(".yaml") {
        diags.push(
            Diagnostic::warning(
                Place::file(path),
                "not-read",
                format!("documents live directly under {dir}/, so this one is not read"),
            )
            .with_hint(format!("move it to {dir}/")),
        );
    } else if dir == "inventory" && rest.ends_with(".yaml") {
        diags.push(
            Diagnostic::warning(
                Place::file(path),
                "not-read",
                "the shadow-AI inventory is read from inventory/shadow-ai.yaml only",
            )
            .with_hint("merge its findings into inventory/shadow-ai.yaml"),
        );
    }
}
