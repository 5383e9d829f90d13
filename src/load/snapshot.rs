//! A repository snapshot: every path, and the bytes of the files adoptbot reads. Both
//! sources (a directory, a git tree at a commit) produce one, so loading gives the same
//! result either way.

use crate::model::Code;
use crate::model::{Diagnostic, Place};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Every file path in the repository, relative, with `/` separators.
    pub paths: BTreeSet<String>,
    /// The contents of the files adoptbot reads (see [`wanted`]).
    pub contents: BTreeMap<String, Vec<u8>>,
    /// Problems met while reading: symlinks, oversized files.
    pub problems: Vec<Diagnostic>,
}

impl Snapshot {
    /// Records a file. `read` is called only for files adoptbot reads and gets the largest
    /// size worth reading; it returns the bytes, or `None` when the file is larger.
    pub fn add(&mut self, path: String, size: u64, read: impl FnOnce() -> Result<Vec<u8>, String>) {
        if wanted(&path) {
            if size > super::yaml::MAX_FILE_BYTES as u64 {
                self.problems.push(too_large(&path, size));
            } else {
                match read() {
                    Ok(bytes) if bytes.len() > super::yaml::MAX_FILE_BYTES => {
                        self.problems.push(too_large(&path, bytes.len() as u64))
                    }
                    Ok(bytes) => {
                        self.contents.insert(path.clone(), bytes);
                    }
                    Err(e) => self.problems.push(
                        Diagnostic::error(
                            Place::file(&path),
                            Code::Unreadable,
                            format!("could not read the file: {e}"),
                        )
                        .with_hint("check its permissions, or that the commit is complete"),
                    ),
                }
            }
        }
        self.paths.insert(path);
    }

    /// Records a symbolic link, which adoptbot never follows.
    pub fn add_symlink(&mut self, path: String) {
        if wanted(&path) {
            self.problems.push(
                Diagnostic::error(Place::file(&path), Code::Symlink, "symbolic links are not followed")
                    .with_hint("replace the link with the file itself; a link could point outside the repository"),
            );
        }
    }
}

fn too_large(path: &str, size: u64) -> Diagnostic {
    Diagnostic::error(
        Place::file(path),
        Code::FileTooLarge,
        format!(
            "the file is {size} bytes, more than the {} bytes adoptbot reads",
            super::yaml::MAX_FILE_BYTES
        ),
    )
    .with_hint("split it, or remove what does not belong in an adoption document")
}

/// The folders whose documents adoptbot reads.
pub const DOCUMENT_DIRS: [&str; 8] = [
    "scorecards",
    "inventory",
    "teams",
    "experiments",
    "use-cases",
    "slos",
    "runbooks",
    "radar",
];

/// Whether adoptbot reads this file's contents. Other files are only listed.
pub fn wanted(path: &str) -> bool {
    if path == "adoption.yaml"
        || path == "adoption.yml"
        || path.starts_with("blueprints/")
        || path.starts_with("phases/")
        // The bot's generated IaC, read to detect drift from a fresh render.
        || path.starts_with("infra/")
        // The gate records of the audit branch, checked by `adoptbot audit --forge`.
        || path.starts_with("audit/gates/")
    {
        return true;
    }
    match path.split_once('/') {
        Some((dir, _)) => DOCUMENT_DIRS.contains(&dir),
        None => false,
    }
}

/// Folders a directory walk skips: version control, build output, dependencies.
pub fn skipped_dir(name: &str) -> bool {
    matches!(
        name,
        ".git" | "target" | "node_modules" | ".venv" | ".terraform"
    )
}
