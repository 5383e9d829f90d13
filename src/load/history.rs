//! Reads what the audit trail is made of from a git repository, through git2: the phase
//! changes on the first-parent history of a revision (the default branch as it was merged),
//! and the gate records on the `adoptbot/audit` branch (local, or as fetched from `origin`).

use crate::model::Adoption;
use crate::model::audit::{self, GateRecord, PhaseChange};
use std::path::Path;

/// The trail's inputs, and what could not be read (said, never dropped).
#[derive(Debug, Default)]
pub struct History {
    pub changes: Vec<PhaseChange>,
    pub records: Vec<GateRecord>,
    pub problems: Vec<String>,
}

/// Reads the history of `rev` and the audit records of the repository at `path` (a work tree
/// or a bare repository).
pub fn read(path: &Path, rev: &str) -> Result<History, String> {
    let repo = git2::Repository::open(path).map_err(|e| {
        format!(
            "cannot open the git repository {}: {}; `adoptbot audit` reads git history, so run it in a clone of the adoption repository",
            path.display(),
            e.message()
        )
    })?;
    let start = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| format!("cannot find revision `{rev}`: {}", e.message()))?;
    let mut history = History::default();
    // First parents, newest first: the commits the branch itself was at.
    let mut chain = Vec::new();
    let mut at = Some(start);
    while let Some(c) = at {
        at = c.parent(0).ok();
        chain.push(c);
    }
    chain.reverse();
    let mut before: Option<String> = None;
    for c in &chain {
        let phase = match phase_at(&repo, c) {
            Ok(p) => p,
            Err(e) => {
                history
                    .problems
                    .push(format!("{}: {e}", short(&c.id().to_string())));
                continue;
            }
        };
        if let (Some(b), Some(p)) = (&before, &phase)
            && b != p
        {
            history.changes.push(PhaseChange {
                commit: c.id().to_string(),
                date: chrono::DateTime::from_timestamp(c.time().seconds(), 0)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                from: b.clone(),
                to: p.clone(),
                summary: c.summary().ok().flatten().unwrap_or_default().to_owned(),
            });
        }
        if phase.is_some() {
            before = phase;
        }
    }
    let branch = [
        format!("refs/heads/{}", audit::BRANCH),
        format!("refs/remotes/origin/{}", audit::BRANCH),
    ]
    .iter()
    .find_map(|r| repo.find_reference(r).ok()?.peel_to_tree().ok());
    let Some(tree) = branch else {
        history.problems.push(format!(
            "there is no `{}` branch: no gate request was merged while adoptbot ran, or the branch is not fetched (`git fetch origin {}:{}`)",
            audit::BRANCH,
            audit::BRANCH,
            audit::BRANCH
        ));
        return Ok(history);
    };
    if let Ok(entry) = tree.get_path(Path::new(audit::FOLDER))
        && let Ok(folder) = repo.find_tree(entry.id())
    {
        for e in folder.iter() {
            let name = e.name().unwrap_or_default().to_owned();
            if !name.ends_with(".json") {
                continue;
            }
            let file = format!("{}/{name}", audit::FOLDER);
            match repo
                .find_blob(e.id())
                .map_err(|e| e.message().to_owned())
                .and_then(|b| {
                    serde_json::from_slice::<GateRecord>(b.content()).map_err(|e| e.to_string())
                }) {
                Ok(r) => history.records.push(r),
                Err(e) => history.problems.push(format!(
                    "{file} on `{}` could not be read: {e}",
                    audit::BRANCH
                )),
            }
        }
    }
    history
        .records
        .sort_by(|a, b| (&a.recorded_at, a.pull).cmp(&(&b.recorded_at, b.pull)));
    Ok(history)
}

/// The phase `adoption.yaml` states at a commit, as `N (slug)`; `None` when the file is not
/// there yet.
fn phase_at(repo: &git2::Repository, c: &git2::Commit) -> Result<Option<String>, String> {
    let tree = c.tree().map_err(|e| e.message().to_owned())?;
    let Ok(entry) = tree.get_path(Path::new("adoption.yaml")) else {
        return Ok(None);
    };
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| e.message().to_owned())?;
    if blob.size() > super::yaml::MAX_FILE_BYTES {
        return Err("adoption.yaml is too large to read".into());
    }
    let text = String::from_utf8_lossy(blob.content());
    let doc: Adoption = super::yaml::parse("adoption.yaml", &text, "adoption.schema.json")
        .map_err(|d| format!("adoption.yaml could not be read: {}", d.message))?;
    let p = doc.phase.value;
    Ok(Some(format!("{} ({})", p.number(), p.slug())))
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}
