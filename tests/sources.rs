//! Loading from a directory and from a git commit gives the same result.

mod common;

use adoptbot::load::{dir, git};

fn commit_tree(repo: &git2::Repository, root: &std::path::Path) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree_id = index.write_tree().unwrap();
    let tree = repo.find_tree(tree_id).unwrap();
    let sig = git2::Signature::new(
        "test",
        "test@example.com",
        &git2::Time::new(1_700_000_000, 0),
    )
    .unwrap();
    let _ = root;
    repo.commit(Some("HEAD"), &sig, &sig, "sample", &tree, &[])
        .unwrap()
}

#[test]
fn directory_and_git_commit_load_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(&common::contoso(), tmp.path());
    let repo = git2::Repository::init(tmp.path()).unwrap();
    let oid = commit_tree(&repo, tmp.path());

    let from_dir = dir::read_dir(tmp.path()).unwrap();
    let from_git = git::read_git(tmp.path(), &oid.to_string()).unwrap();
    assert_eq!(from_dir, from_git, "the two sources give the same snapshot");

    let today = common::contoso_today();
    let a = adoptbot::analyse(&from_dir, today).unwrap();
    let b = adoptbot::analyse(&from_git, today).unwrap();
    assert_eq!(a.evaluation.diagnostics, b.evaluation.diagnostics);
    assert_eq!(
        serde_json::to_value(&a.evaluation).unwrap(),
        serde_json::to_value(&b.evaluation).unwrap()
    );
    assert!(a.evaluation.experiments.len() >= 12);

    // A later change in the work tree does not affect the commit.
    std::fs::write(tmp.path().join("experiments/new.yaml"), "title: [broken\n").unwrap();
    let again = git::read_git(tmp.path(), "HEAD").unwrap();
    assert_eq!(again, from_git);
    assert_ne!(dir::read_dir(tmp.path()).unwrap(), from_git);
}

#[test]
fn unknown_revisions_and_non_repositories_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let err = git::read_git(tmp.path(), "HEAD").unwrap_err();
    assert!(err.contains("cannot open the git repository"), "{err}");
    let repo = git2::Repository::init(tmp.path()).unwrap();
    std::fs::write(tmp.path().join("adoption.yaml"), "organisation: x\n").unwrap();
    commit_tree(&repo, tmp.path());
    let err = git::read_git(tmp.path(), "no-such-branch").unwrap_err();
    assert!(
        err.contains("cannot find revision `no-such-branch`"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_in_a_directory_are_reported_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("experiments")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("experiments/leak.yaml")).unwrap();
    let snap = dir::read_dir(tmp.path()).unwrap();
    assert!(snap.contents.is_empty());
    assert!(
        snap.problems
            .iter()
            .any(|d| d.code == "symlink" && d.place.file == "experiments/leak.yaml")
    );
}
