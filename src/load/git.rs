//! Reads a snapshot from a commit of a git repository, through git2, without a checkout.

use super::snapshot::Snapshot;
use std::path::Path;

/// Reads the tree of `rev` (a branch, tag or SHA) in the repository at `repo`.
pub fn read_git(repo: &Path, rev: &str) -> Result<Snapshot, String> {
    let repo = git2::Repository::open(repo).map_err(|e| {
        format!(
            "cannot open the git repository {}: {}",
            repo.display(),
            e.message()
        )
    })?;
    let object = repo
        .revparse_single(rev)
        .map_err(|e| format!("cannot find revision `{rev}`: {}", e.message()))?;
    let tree = object
        .peel_to_tree()
        .map_err(|e| format!("revision `{rev}` has no tree: {}", e.message()))?;
    read_tree(&repo, &tree)
}

/// Reads every entry of `tree` into a snapshot.
pub fn read_tree(repo: &git2::Repository, tree: &git2::Tree) -> Result<Snapshot, String> {
    let mut snap = Snapshot::default();
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Skip;
        };
        let path = format!("{dir}{name}");
        match (entry.kind(), entry.filemode()) {
            (Some(git2::ObjectType::Blob), 0o120000) => snap.add_symlink(path),
            (Some(git2::ObjectType::Blob), _) => {
                let id = entry.id();
                let size = match repo.odb().and_then(|odb| odb.read_header(id)) {
                    Ok((size, _)) => size as u64,
                    Err(e) => {
                        failure = Some(format!("cannot read {path}: {}", e.message()));
                        return git2::TreeWalkResult::Abort;
                    }
                };
                snap.add(path, size, || {
                    repo.find_blob(id)
                        .map(|b| b.content().to_vec())
                        .map_err(|e| e.message().to_string())
                });
            }
            _ => {}
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| e.message().to_string())?;
    match failure {
        Some(f) => Err(f),
        None => Ok(snap),
    }
}
