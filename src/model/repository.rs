//! The adoption repository as typed documents: what `load` produces and `evaluate` reads.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// A document and the repository path it was read from.
#[derive(Debug, Clone)]
pub struct Doc<T> {
    pub path: String,
    pub value: T,
}

impl<T> Doc<T> {
    /// The place of a located value of this document.
    pub fn at<V>(&self, v: &Located<V>) -> Place {
        Place::new(self.path.clone(), v.line, v.column)
    }

    /// The document as a whole.
    pub fn place(&self) -> Place {
        Place::new(self.path.clone(), 1, 1)
    }
}

impl<T> std::ops::Deref for Doc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

#[derive(Debug, Clone, Default)]
pub struct Repository {
    pub adoption: Option<Doc<Adoption>>,
    /// Oldest first, by `assessed_on`.
    pub scorecards: Vec<Doc<Scorecard>>,
    pub inventory: Option<Doc<ShadowInventory>>,
    pub teams: BTreeMap<Id, Doc<Team>>,
    pub experiments: BTreeMap<Id, Doc<Experiment>>,
    pub use_cases: BTreeMap<Id, Doc<UseCase>>,
    pub slos: BTreeMap<Id, Doc<Slo>>,
    pub runbooks: Vec<Doc<RunbookMeta>>,
    pub radar: BTreeMap<Id, Doc<RadarEntry>>,
    pub overrides: Option<Doc<FrameworkOverrides>>,
    /// The organisation's own blueprint files (`blueprints/**`), as bytes.
    pub blueprint_files: Vec<(String, Vec<u8>)>,
    /// Every file path in the snapshot, for checks that ask whether something exists.
    pub files: BTreeSet<String>,
    /// Documents that could not be read; checks that depend on them are `unknown`.
    pub broken: BTreeSet<String>,
}

impl Repository {
    /// The newest scorecard.
    pub fn latest_scorecard(&self) -> Option<&Doc<Scorecard>> {
        self.scorecards.last()
    }

    /// Whether `path` is a file, or a folder holding at least one file.
    pub fn exists(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        if self.files.contains(path) {
            return true;
        }
        let prefix = format!("{path}/");
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|f| f.starts_with(&prefix))
    }

    /// The unreadable documents under `dir/` (or the file `dir` itself).
    pub fn broken_in<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.broken.iter().filter(move |p| {
            p.as_str() == dir || p.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
        })
    }
}
