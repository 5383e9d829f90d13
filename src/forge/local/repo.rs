//! The git side of the local forge, on git2: resolving branches and commits, building trees
//! from file changes, committing, moving branches, and comparing commits.

use crate::forge::{ChangedFile, Commit, FileChange, FileStatus, ForgeError, ForgeResult};
use git2::{Oid, Repository};
use std::collections::BTreeMap;

/// The time of a commit with no parent, so that commits are the same on every run.
const FIRST_COMMIT_TIME: i64 = 1_700_000_000;

/// Turns a git2 error into a forge error that says what was being done.
pub fn git_err(doing: &str) -> impl FnOnce(git2::Error) -> ForgeError + '_ {
    move |e| ForgeError::Other(format!("git failed to {doing}: {}", e.message()))
}

pub fn branch_ref(branch: &str) -> String {
    format!("refs/heads/{branch}")
}

pub fn check_branch_name(branch: &str) -> ForgeResult<()> {
    if git2::Reference::is_valid_name(&branch_ref(branch)) {
        Ok(())
    } else {
        Err(ForgeError::Other(format!(
            "`{branch}` is not a valid branch name; use letters, digits, `-`, `_`, `.` and `/`"
        )))
    }
}

/// The commit a branch points to, or `None` when there is no such branch.
pub fn branch_tip(repo: &Repository, branch: &str) -> ForgeResult<Option<Oid>> {
    match repo.refname_to_id(&branch_ref(branch)) {
        Ok(id) => Ok(Some(id)),
        Err(e)
            if e.code() == git2::ErrorCode::NotFound
                || e.code() == git2::ErrorCode::InvalidSpec =>
        {
            Ok(None)
        }
        Err(e) => Err(git_err("read a branch")(e)),
    }
}

/// The commit a branch points to; a missing branch is `NotFound`.
pub fn require_branch(repo: &Repository, branch: &str) -> ForgeResult<Oid> {
    branch_tip(repo, branch)?
        .ok_or_else(|| ForgeError::NotFound(format!("there is no branch `{branch}`")))
}

/// A commit named by its full SHA or by a branch.
pub fn resolve_commit<'r>(repo: &'r Repository, rev: &str) -> ForgeResult<git2::Commit<'r>> {
    let by_sha = (rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Oid::from_str(rev).ok())
        .flatten()
        .and_then(|id| repo.find_commit(id).ok());
    if let Some(c) = by_sha {
        return Ok(c);
    }
    match branch_tip(repo, rev)? {
        Some(id) => repo.find_commit(id).map_err(git_err("read a commit")),
        None => Err(ForgeError::NotFound(format!(
            "there is no commit or branch `{rev}`"
        ))),
    }
}

/// Checks that a path is a plain relative path inside the repository.
fn check_path(path: &str) -> ForgeResult<()> {
    let bad = path.is_empty()
        || path.contains('\\')
        || path.contains('\0')
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == ".." || part == ".git");
    if bad {
        return Err(ForgeError::Other(format!(
            "`{path}` is not a file path inside the repository; write it relative to the root, \
             with `/` between folders and no `.`, `..` or `.git`"
        )));
    }
    Ok(())
}

/// The tree of `base` with `files` written or deleted. A later change to the same path wins;
/// deleting a file that is not there does nothing.
pub fn build_tree(repo: &Repository, base: &git2::Tree, files: &[FileChange]) -> ForgeResult<Oid> {
    let mut last = BTreeMap::new();
    for f in files {
        check_path(&f.path)?;
        last.insert(f.path.as_str(), f.content.as_deref());
    }
    let mut update = git2::build::TreeUpdateBuilder::new();
    for (path, content) in last {
        match content {
            Some(text) => {
                let blob = repo
                    .blob(text.as_bytes())
                    .map_err(git_err("write a file"))?;
                update.upsert(path, blob, git2::FileMode::Blob);
            }
            None if base.get_path(std::path::Path::new(path)).is_ok() => {
                update.remove(path);
            }
            None => {}
        }
    }
    update
        .create_updated(repo, base)
        .map_err(git_err("build the tree of the commit"))
}

/// The time for a new commit: a minute after the latest parent, so runs are deterministic.
pub fn next_time(parents: &[&git2::Commit]) -> git2::Time {
    let latest = parents.iter().map(|c| c.time().seconds()).max();
    git2::Time::new(latest.map_or(FIRST_COMMIT_TIME, |t| t + 60), 0)
}

/// Writes a commit with the same author and committer, without moving any reference.
pub fn write_commit(
    repo: &Repository,
    parents: &[&git2::Commit],
    tree: Oid,
    (name, email): (&str, &str),
    message: &str,
) -> ForgeResult<Oid> {
    let sig = git2::Signature::new(name, email, &next_time(parents)).map_err(|e| {
        ForgeError::Other(format!(
            "`{name} <{email}>` cannot sign a commit: {}",
            e.message()
        ))
    })?;
    let tree = repo.find_tree(tree).map_err(git_err("read a tree"))?;
    repo.commit(None, &sig, &sig, message, &tree, parents)
        .map_err(git_err("write a commit"))
}

/// Points `branch` at `to`, creating it or moving it. When the branch is the one checked out
/// in a work tree, the work tree follows if it has no local changes in the way; otherwise
/// only the branch moves, as a push to a remote would, and a warning says so.
pub fn set_branch(repo: &Repository, branch: &str, to: Oid, log: &str) -> ForgeResult<()> {
    let name = branch_ref(branch);
    if !repo.is_bare() && head_target(repo).as_deref() == Some(name.as_str()) {
        let tree = repo
            .find_commit(to)
            .and_then(|c| c.tree())
            .map_err(git_err("read a commit"))?;
        let mut checkout = git2::build::CheckoutBuilder::new();
        checkout.safe();
        if let Err(e) = repo.checkout_tree(tree.as_object(), Some(&mut checkout)) {
            tracing::warn!(
                branch,
                "the work tree has changes in the way and was left as it is: {}",
                e.message()
            );
        }
    }
    repo.reference(&name, to, true, log)
        .map(|_| ())
        .map_err(git_err("move a branch"))
}

/// The reference HEAD points to, if it is symbolic.
pub fn head_target(repo: &Repository) -> Option<String> {
    let head = repo.find_reference("HEAD").ok()?;
    head.symbolic_target().ok().flatten().map(str::to_owned)
}

/// The files that `head` changes since `base`, renames detected.
pub fn changed_files(repo: &Repository, base: Oid, head: Oid) -> ForgeResult<Vec<ChangedFile>> {
    let tree = |id| {
        repo.find_commit(id)
            .and_then(|c| c.tree())
            .map_err(git_err("read a commit"))
    };
    let (old, new) = (tree(base)?, tree(head)?);
    let mut diff = repo
        .diff_tree_to_tree(Some(&old), Some(&new), None)
        .map_err(git_err("compare two commits"))?;
    diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))
        .map_err(git_err("find renamed files"))?;
    let path = |f: git2::DiffFile| {
        f.path()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    };
    let mut files = Vec::new();
    for delta in diff.deltas() {
        use git2::Delta;
        let (status, file) = match delta.status() {
            Delta::Added | Delta::Copied => (FileStatus::Added, delta.new_file()),
            Delta::Deleted => (FileStatus::Removed, delta.old_file()),
            Delta::Modified | Delta::Typechange => (FileStatus::Modified, delta.new_file()),
            Delta::Renamed => (FileStatus::Renamed, delta.new_file()),
            _ => continue,
        };
        let previous_path = (status == FileStatus::Renamed).then(|| path(delta.old_file()));
        files.push(ChangedFile {
            path: path(file),
            status,
            previous_path,
        });
    }
    Ok(files)
}

/// The commits reachable from `head` and not from `base`, oldest first.
pub fn commits_between(repo: &Repository, base: Oid, head: Oid) -> ForgeResult<Vec<Commit>> {
    let mut walk = repo.revwalk().map_err(git_err("walk the history"))?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .and_then(|_| walk.push(head))
        .and_then(|_| walk.hide(base))
        .map_err(git_err("walk the history"))?;
    walk.map(|id| {
        let c = id
            .and_then(|id| repo.find_commit(id))
            .map_err(git_err("walk the history"))?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let (author, committer) = (c.author(), c.committer());
        Ok(Commit {
            sha: c.id().to_string(),
            message: text(c.message_bytes()),
            author_email: text(author.email_bytes()),
            // The local forge's accounts are logins, and a commit names its person by them.
            author_login: text(author.name_bytes()),
            committer_login: text(committer.name_bytes()),
            committer_email: text(committer.email_bytes()),
            // No signatures here: the local forge vouches for its own commits (see
            // `LocalForge::vouch`).
            verified: false,
            committed_at: chrono::DateTime::from_timestamp(committer.when().seconds(), 0)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        })
    })
    .collect()
}

/// Whether `ancestor` is `commit` or one of its ancestors.
pub fn contains(repo: &Repository, commit: Oid, ancestor: Oid) -> ForgeResult<bool> {
    Ok(commit == ancestor
        || repo
            .graph_descendant_of(commit, ancestor)
            .map_err(git_err("compare two commits"))?)
}
