//! Documents kept across analyses, for a process that handles many events (`serve`, a long
//! reconcile loop). Each file's load is keyed by its path and the SHA-256 of its bytes, so a
//! second snapshot re-parses only the files whose bytes changed, and the repository is
//! updated in place rather than rebuilt. What [`Cache::load`] gives is always the same as
//! [`super::load`] on the same snapshot, diagnostics and their order included.

use super::{FileLoad, Kind, Loaded, Parsed, Snapshot};
use crate::model::{Diagnostic, Id, Repository};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What one file left in the cache: enough to take it out again and to list its diagnostics.
/// The document itself lives in the repository only.
#[derive(Debug, Clone)]
struct Entry {
    digest: [u8; 32],
    diagnostics: Vec<Diagnostic>,
}

/// What the last [`Cache::load`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refresh {
    /// Files parsed: new, or their bytes changed.
    pub parsed: usize,
    /// Files whose document was kept.
    pub kept: usize,
    /// Files gone since the previous snapshot.
    pub removed: usize,
}

/// Parsed documents of the last snapshot, by path and content hash. A clone has its own copy
/// of the documents (two caches never share them, so an analysis that one shares never keeps
/// the other from updating in place).
#[derive(Debug, Default)]
pub struct Cache {
    entries: BTreeMap<String, Entry>,
    /// Shared with the analyses built on it ([`Cache::shared`]): the next snapshot updates it
    /// in place when no analysis holds it any more, and a copy otherwise.
    loaded: Arc<Loaded>,
    /// The snapshot problems of the last load, to tell an unchanged snapshot.
    problems: Vec<Diagnostic>,
    last: Refresh,
    /// What evaluation derived from each request alone (its parameters checked, its
    /// estimate, its GPU demand), forgotten with the request's file, and altogether when a
    /// file under `blueprints/` changes.
    priced: crate::evaluate::PriceMemo,
}

impl Clone for Cache {
    fn clone(&self) -> Cache {
        Cache {
            entries: self.entries.clone(),
            loaded: Arc::new(Loaded::clone(&self.loaded)),
            problems: self.problems.clone(),
            last: self.last,
            priced: self.priced.clone(),
        }
    }
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    /// The repository of `snap`, parsing only the files that are new or changed since the
    /// previous call.
    pub fn load(&mut self, snap: &Snapshot) -> &Loaded {
        use rayon::prelude::*;
        let files: Vec<(&String, &Vec<u8>)> = snap.contents.iter().collect();
        let digests: Vec<[u8; 32]> = files
            .par_iter()
            .with_min_len(64)
            .map(|(_, bytes)| Sha256::digest(bytes).into())
            .collect();
        let removed: Vec<String> = self
            .entries
            .keys()
            .filter(|p| !snap.contents.contains_key(*p))
            .cloned()
            .collect();
        let changed: Vec<(&str, &[u8], [u8; 32])> = files
            .iter()
            .zip(&digests)
            .filter(|((path, _), digest)| {
                self.entries.get(path.as_str()).map(|e| &e.digest) != Some(*digest)
            })
            .map(|((path, bytes), digest)| (path.as_str(), bytes.as_slice(), *digest))
            .collect();
        let touched = || {
            removed
                .iter()
                .map(String::as_str)
                .chain(changed.iter().map(|(p, _, _)| *p))
        };
        // Pricing reads the request's file and the blueprint catalogue (blueprints, prices,
        // SKUs) only: not the settings of adoption.yaml, which rendering uses. So a gate
        // request, which changes adoption.yaml, keeps every request's pricing.
        if touched().any(|p| p.starts_with("blueprints/")) {
            self.priced.clear();
        } else {
            let paths: Vec<&str> = touched().collect();
            for p in paths {
                self.priced.forget(p);
            }
        }
        self.last = Refresh {
            parsed: changed.len(),
            kept: files.len() - changed.len(),
            removed: removed.len(),
        };
        let same = changed.is_empty()
            && removed.is_empty()
            && !self.entries.is_empty()
            && self.loaded.repo.files == snap.paths
            && self.problems == snap.problems;
        if same {
            // Nothing to update: the analyses that share the documents keep sharing them.
            return &self.loaded;
        }
        self.problems = snap.problems.clone();
        let loaded = Arc::make_mut(&mut self.loaded);
        let repo = &mut loaded.repo;
        for path in &removed {
            retract(repo, path);
            self.entries.remove(path);
        }
        let digest_of: BTreeMap<&str, [u8; 32]> =
            changed.iter().map(|(p, _, d)| (*p, *d)).collect();
        let loads = super::load_files(changed.iter().map(|(p, b, _)| (*p, *b)));
        let mut reordered = false;
        for (
            path,
            FileLoad {
                doc,
                diagnostics,
                broken,
            },
        ) in loads
        {
            retract(repo, path);
            reordered |= matches!(doc, Parsed::Runbook(_) | Parsed::Blueprint);
            if broken {
                repo.broken.insert(path.to_owned());
            }
            super::add(repo, snap, path, doc);
            let digest = digest_of.get(path).copied().unwrap_or_default();
            self.entries.insert(
                path.to_owned(),
                Entry {
                    digest,
                    diagnostics,
                },
            );
        }
        if reordered {
            repo.runbooks.sort_by(|a, b| a.path.cmp(&b.path));
            repo.blueprint_files.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if repo.files != snap.paths {
            repo.files = snap.paths.clone();
        }
        let mut diagnostics = snap.problems.clone();
        for entry in self.entries.values() {
            diagnostics.extend(entry.diagnostics.iter().cloned());
        }
        loaded.diagnostics = diagnostics;
        super::finish(loaded, snap);
        &self.loaded
    }

    /// The repository of the last snapshot, shared: an analysis that keeps it costs no copy.
    pub fn shared(&self) -> Arc<Loaded> {
        self.loaded.clone()
    }

    /// Whether no analysis shares the documents: the next snapshot then updates them in
    /// place rather than copying them.
    pub fn is_unshared(&self) -> bool {
        Arc::strong_count(&self.loaded) == 1
    }

    /// [`Cache::load`], and what evaluation may keep of the requests that did not change.
    pub fn load_priced(&mut self, snap: &Snapshot) -> (&Loaded, &crate::evaluate::PriceMemo) {
        self.load(snap);
        (&self.loaded, &self.priced)
    }

    /// The repository of the last snapshot.
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// What the last [`Cache::load`] parsed, kept and dropped.
    pub fn last_refresh(&self) -> Refresh {
        self.last
    }
}

/// Takes what the file at `path` added out of the repository.
fn retract(repo: &mut Repository, path: &str) {
    repo.broken.remove(path);
    if path.starts_with("blueprints/") {
        repo.blueprint_files.retain(|(p, _)| p != path);
        return;
    }
    let Some(kind) = Kind::of(path) else { return };
    let id = || {
        path.rsplit('/')
            .next()
            .and_then(|f| f.rsplit_once('.'))
            .and_then(|(stem, _)| stem.parse::<Id>().ok())
    };
    match kind {
        Kind::Adoption => repo.adoption = None,
        Kind::Inventory => repo.inventory = None,
        Kind::Overrides => repo.overrides = None,
        Kind::Scorecard => repo.scorecards.retain(|d| d.path != path),
        Kind::Runbook => repo.runbooks.retain(|d| d.path != path),
        Kind::Team => drop(id().and_then(|i| repo.teams.remove(&i))),
        Kind::Experiment => drop(id().and_then(|i| repo.experiments.remove(&i))),
        Kind::UseCase => drop(id().and_then(|i| repo.use_cases.remove(&i))),
        Kind::Slo => drop(id().and_then(|i| repo.slos.remove(&i))),
        Kind::Radar => drop(id().and_then(|i| repo.radar.remove(&i))),
    }
}
