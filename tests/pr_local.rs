//! `adoptbot pr` on the local forge, and a pull request merged by hand with `git merge`.

use adoptbot::forge::local::LocalForge;
use adoptbot::forge::{FileChange, Forge, PrState};
use std::path::Path;
use std::process::Command;

fn adoptbot(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("adoptbot runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn git(cwd: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("GIT_AUTHOR_NAME", "P")
        .env("GIT_AUTHOR_EMAIL", "p@example.com")
        .env("GIT_COMMITTER_NAME", "P")
        .env("GIT_COMMITTER_EMAIL", "p@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn file(path: &str, text: &str) -> FileChange {
    FileChange {
        path: path.into(),
        content: Some(text.into()),
    }
}

/// A repository with `main` checked out and an open PR #1 from `feature`, on a new file.
fn repository() -> (tempfile::TempDir, LocalForge) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::write(d.join("README.md"), "hello\n").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "first"]);
    let forge = LocalForge::open(d, "adoptbot[bot]").unwrap();
    forge
        .commit_as(
            "feature",
            Some("main"),
            "P",
            "p@example.com",
            "a note",
            &[file("notes.md", "a note\n")],
        )
        .unwrap();
    forge
        .open_pull_as("pat", "feature", "main", "Add a note", "Body text.")
        .unwrap();
    (tmp, forge)
}

#[test]
fn list_and_show() {
    let (tmp, _forge) = repository();
    let (code, out, err) = adoptbot(tmp.path(), &["pr", "list"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "#1    open    feature -> main  Add a note\n");
    let (code, out, err) = adoptbot(tmp.path(), &["pr", "show", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("#1 Add a note (open)\n"), "{out}");
    assert!(out.contains("opened by @pat"), "{out}");
    assert!(out.contains("Body text."), "{out}");
    assert!(out.contains("added    notes.md"), "{out}");
    let (code, _, err) = adoptbot(tmp.path(), &["pr", "show", "7"]);
    assert_eq!(code, 2);
    assert!(err.contains("#7") || err.contains("7"), "{err}");
}

#[test]
fn merge_records_it_moves_the_work_tree_and_runs_the_follow_up() {
    let (tmp, forge) = repository();
    let (code, out, err) = adoptbot(tmp.path(), &["pr", "merge", "1", "--now", "2026-12-01"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("merged #1 into its base: "), "{out}");
    // The follow-up ran: the bot handled the closed event and says what it wrote.
    assert!(out.contains("bot: "), "{out}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pr = rt.block_on(forge.pull(1)).unwrap();
    assert_eq!(pr.state, PrState::Merged);
    assert!(pr.merge_sha.is_some());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("notes.md")).unwrap(),
        "a note\n"
    );
    let (code, _, err) = adoptbot(tmp.path(), &["pr", "merge", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("already merged"), "{err}");
}

#[test]
fn merge_refuses_over_uncommitted_changes() {
    let (tmp, _forge) = repository();
    std::fs::write(tmp.path().join("README.md"), "edited\n").unwrap();
    let (code, _, err) = adoptbot(tmp.path(), &["pr", "merge", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("uncommitted changes (README.md)"), "{err}");
    let (_, list, _) = adoptbot(tmp.path(), &["pr", "list"]);
    assert!(list.contains(" open "), "{list}");
}

#[test]
fn close_leaves_it_closed() {
    let (tmp, _forge) = repository();
    let (code, out, err) = adoptbot(tmp.path(), &["pr", "close", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("closed #1\n"), "{out}");
    let (_, list, _) = adoptbot(tmp.path(), &["pr", "list"]);
    assert!(list.contains("#1    closed  feature -> main"), "{list}");
}

#[test]
fn a_branch_merged_by_hand_is_recorded_as_merged() {
    let (tmp, forge) = repository();
    git(
        tmp.path(),
        &["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"],
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pr = rt.block_on(forge.pull(1)).unwrap();
    assert_eq!(pr.state, PrState::Merged);
    let head = git2::Repository::open(tmp.path())
        .unwrap()
        .head()
        .unwrap()
        .target()
        .unwrap();
    assert_eq!(pr.merge_sha.as_deref(), Some(head.to_string().as_str()));
    // Recorded in the state file, so every later reader agrees.
    let state = std::fs::read_to_string(forge.state_path()).unwrap();
    assert!(state.contains("\"merged\""), "{state}");
    let (_, list, _) = adoptbot(tmp.path(), &["pr", "list"]);
    assert!(list.contains("#1    merged  feature -> main"), "{list}");
}

#[test]
fn a_fast_forward_by_hand_is_a_merge() {
    let (tmp, forge) = repository();
    git(tmp.path(), &["merge", "-q", "--ff-only", "feature"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pr = rt.block_on(forge.pull(1)).unwrap();
    assert_eq!(pr.state, PrState::Merged);
    assert_eq!(pr.merge_sha, Some(pr.head_sha.clone()));
}

#[test]
fn another_commit_on_the_base_leaves_the_pull_request_open() {
    let (tmp, forge) = repository();
    std::fs::write(tmp.path().join("README.md"), "more\n").unwrap();
    git(tmp.path(), &["commit", "-q", "-am", "unrelated"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(forge.pull(1)).unwrap().state, PrState::Open);
}
