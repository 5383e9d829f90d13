//! Load: a repository snapshot into typed documents plus diagnostics. Reading a directory
//! or a git commit is done by the two sources (`dir`, `git`); everything after the bytes is
//! pure and never panics on input. Every problem is collected, not only the first.

pub mod cache;
pub mod dir;
pub mod framework;
pub mod git;
pub mod history;
pub mod schema;
pub mod snapshot;
pub mod tree;
pub mod yaml;

use crate::model::Code;
use crate::model::*;
pub use cache::Cache;
use serde::de::DeserializeOwned;
pub use snapshot::Snapshot;

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
    /// The JSON Schema file of this kind (in `.adoptbot/schema/` of an adoption repository).
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

/// What one file gives the repository: its typed document, if it could be read, and its
/// diagnostics. Depends only on the file's path and bytes, so files are loaded in parallel
/// and a long-lived process can keep it for bytes it has seen (see [`cache`]).
#[derive(Debug, Clone)]
pub struct FileLoad {
    pub doc: Parsed,
    pub diagnostics: Vec<Diagnostic>,
    /// The file could not be read as its kind of document.
    pub broken: bool,
}

/// A file's typed document, by kind.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// Nothing to add: an unread or broken file.
    Nothing,
    /// A file of the organisation's own `blueprints/`, kept as bytes.
    Blueprint,
    Adoption(Doc<Adoption>),
    Scorecard(Doc<Scorecard>),
    Inventory(Doc<ShadowInventory>),
    Overrides(Doc<FrameworkOverrides>),
    Team(Id, Doc<Team>),
    Experiment(Id, Doc<Experiment>),
    UseCase(Id, Doc<UseCase>),
    Slo(Id, Doc<Slo>),
    Radar(Id, Doc<RadarEntry>),
    Runbook(Doc<RunbookMeta>),
}

/// Loads every document of the snapshot. Files are parsed on every core; the result, its
/// documents and its diagnostics are the same, in the same order, as one file after another.
pub fn load(snap: &Snapshot) -> Loaded {
    let loads = load_files(
        snap.contents
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice())),
    );
    let mut out = Loaded {
        diagnostics: snap.problems.clone(),
        ..Loaded::default()
    };
    out.repo.files = snap.paths.clone();
    for (path, load) in loads {
        out.diagnostics.extend(load.diagnostics);
        if load.broken {
            out.repo.broken.insert(path.to_owned());
        }
        add(&mut out.repo, snap, path, load.doc);
    }
    finish(&mut out, snap);
    out
}

/// Loads files on every core, and gives them back in the order they came.
pub(crate) fn load_files<'a>(
    files: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Vec<(&'a str, FileLoad)> {
    use rayon::prelude::*;
    let files: Vec<(&str, &[u8])> = files.collect();
    files
        .into_par_iter()
        .with_min_len(32)
        .map(|(path, bytes)| (path, load_file(path, bytes)))
        .collect()
}

/// Adds one file's document to the repository.
pub(crate) fn add(r: &mut Repository, snap: &Snapshot, path: &str, doc: Parsed) {
    match doc {
        Parsed::Nothing => {}
        Parsed::Blueprint => {
            if let Some(bytes) = snap.contents.get(path) {
                r.blueprint_files.push((path.to_owned(), bytes.clone()));
            }
        }
        Parsed::Adoption(d) => r.adoption = Some(d),
        Parsed::Scorecard(d) => r.scorecards.push(d),
        Parsed::Inventory(d) => r.inventory = Some(d),
        Parsed::Overrides(d) => r.overrides = Some(d),
        Parsed::Team(id, d) => {
            r.teams.insert(id, d);
        }
        Parsed::Experiment(id, d) => {
            r.experiments.insert(id, d);
        }
        Parsed::UseCase(id, d) => {
            r.use_cases.insert(id, d);
        }
        Parsed::Slo(id, d) => {
            r.slos.insert(id, d);
        }
        Parsed::Radar(id, d) => {
            r.radar.insert(id, d);
        }
        Parsed::Runbook(d) => r.runbooks.push(d),
    }
}

/// What is judged over the whole repository once every file is in: scorecards in date
/// order, and a missing `adoption.yaml`.
pub(crate) fn finish(out: &mut Loaded, snap: &Snapshot) {
    sort_scorecards(&mut out.repo.scorecards);
    if out.repo.adoption.is_none() && !snap.contents.contains_key("adoption.yaml") {
        out.diagnostics.push(missing_adoption());
    }
}

pub(crate) fn sort_scorecards(scorecards: &mut [Doc<Scorecard>]) {
    scorecards.sort_by(|a, b| {
        a.assessed_on
            .cmp(&b.assessed_on)
            .then_with(|| a.path.cmp(&b.path))
    });
}

fn missing_adoption() -> Diagnostic {
    Diagnostic::error(Place::file("adoption.yaml"), Code::MissingAdoption, "the repository has no adoption.yaml")
        .with_hint("create adoption.yaml with the organisation, its phase and its roles; see .adoptbot/schema/adoption.schema.json (written by `adoptbot init` or `adoptbot schema`)")
}

/// Loads one file: pure, from its path and bytes only.
pub fn load_file(path: &str, bytes: &[u8]) -> FileLoad {
    let mut diags = Vec::new();
    let doc = parse_file(path, bytes, &mut diags);
    let broken = diags.iter().any(Diagnostic::is_error) && !matches!(doc, Parsed::Blueprint);
    FileLoad {
        doc,
        diagnostics: diags,
        broken: broken && Kind::of(path).is_some(),
    }
}

fn parse_file(path: &str, bytes: &[u8], diags: &mut Vec<Diagnostic>) -> Parsed {
    if path.starts_with("blueprints/") {
        return Parsed::Blueprint;
    }
    let Some(kind) = Kind::of(path) else {
        misplaced(path, diags);
        return Parsed::Nothing;
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u32
                + 1;
            diags.push(
                Diagnostic::error(Place::new(path, line, 0), Code::NotText, "the file is not UTF-8 text")
                    .with_hint("adoption documents are YAML text; save the file as UTF-8, or remove binary content"),
            );
            return Parsed::Nothing;
        }
    };
    let d = diags;
    let parsed = match kind {
        Kind::Adoption => parse_doc(path, text, kind, d).map(Parsed::Adoption),
        Kind::Scorecard => parse_doc(path, text, kind, d).map(Parsed::Scorecard),
        Kind::Inventory => parse_doc(path, text, kind, d).map(Parsed::Inventory),
        Kind::Overrides => parse_doc(path, text, kind, d).map(Parsed::Overrides),
        Kind::Team => keyed(path, text, kind, d).map(|(i, x)| Parsed::Team(i, x)),
        Kind::Experiment => keyed(path, text, kind, d).map(|(i, x)| Parsed::Experiment(i, x)),
        Kind::UseCase => keyed(path, text, kind, d).map(|(i, x)| Parsed::UseCase(i, x)),
        Kind::Slo => keyed(path, text, kind, d).map(|(i, x)| Parsed::Slo(i, x)),
        Kind::Radar => keyed(path, text, kind, d).map(|(i, x)| Parsed::Radar(i, x)),
        Kind::Runbook => parse_runbook(path, text, d).map(Parsed::Runbook),
    };
    parsed.unwrap_or(Parsed::Nothing)
}

fn parse_doc<T: DeserializeOwned>(
    path: &str,
    text: &str,
    kind: Kind,
    diags: &mut Vec<Diagnostic>,
) -> Option<Doc<T>> {
    // One parse into a tree of values with their positions. The schema first: every error
    // of the file at once, placed from the tree. Only a valid document is read into its
    // type, from the same tree, which then judges what a schema cannot say.
    let node = match yaml::read(path, text, kind.schema()) {
        Ok(n) => n,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let problems = schema::check(path, &node, kind.schema());
    if !problems.is_empty() {
        diags.extend(problems);
        return None;
    }
    match yaml::typed::<T>(path, text, node, kind.schema()) {
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
    diags: &mut Vec<Diagnostic>,
) -> Option<(Id, Doc<T>)> {
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
                    Code::BadFileName,
                    format!("the file name is the id, and {e}"),
                )
                .with_hint("rename the file"),
            );
            None
        }
    };
    let doc = parse_doc(path, text, kind, diags);
    id.zip(doc)
}

/// Runbooks are Markdown with YAML front matter between `---` lines.
fn parse_runbook(path: &str, text: &str, diags: &mut Vec<Diagnostic>) -> Option<Doc<RunbookMeta>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        diags.push(
            Diagnostic::error(Place::new(path, 1, 1), Code::NoFrontMatter, "the runbook has no front matter")
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
                Code::NoFrontMatter,
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
                    Code::WrongExtension,
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
                Diagnostic::warning(Place::file(path), Code::NotRead, "only phases/overrides.yaml is read from phases/")
                    .with_hint("put threshold overrides in phases/overrides.yaml; the phases themselves are the framework's"),
            );
        }
        return;
    }
    if rest.ends_with(".yml") {
        diags.push(
            Diagnostic::error(
                Place::file(path),
                Code::WrongExtension,
                "adoptbot reads `.yaml` files and would ignore this one",
            )
            .with_hint("rename it to end in .yaml"),
        );
    } else if rest.contains('/') && rest.ends_with(".yaml") {
        diags.push(
            Diagnostic::warning(
                Place::file(path),
                Code::NotRead,
                format!("documents live directly under {dir}/, so this one is not read"),
            )
            .with_hint(format!("move it to {dir}/")),
        );
    } else if dir == "inventory" && rest.ends_with(".yaml") {
        diags.push(
            Diagnostic::warning(
                Place::file(path),
                Code::NotRead,
                "the shadow-AI inventory is read from inventory/shadow-ai.yaml only",
            )
            .with_hint("merge its findings into inventory/shadow-ai.yaml"),
        );
    }
}
