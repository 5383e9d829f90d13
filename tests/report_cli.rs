//! `adoptbot report` as a process: on a local repository (the local forge) with the sample
//! estate as a snapshot, as text and as JSON, with and without `--dry-run`.

mod common;

use std::path::Path;
use std::process::Command;

fn adoptbot(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(args)
        .current_dir(dir)
        .env("CI", "true")
        .output()
        .expect("adoptbot runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The sample as a git repository with one commit on `main`.
fn scratch() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    adoptbot::runners::demo::scratch_repository(tmp.path()).expect("scratch");
    tmp
}

#[test]
fn a_dry_run_prints_the_writes_and_makes_none_then_the_run_makes_them_once() {
    let tmp = scratch();
    let repo = tmp.path().to_str().unwrap();
    let estate = common::contoso().join("cloud");
    let cloud = format!("snapshot:{}", estate.display());
    let args = |extra: &[&str]| {
        let mut a = vec!["report", repo, "--now", "2026-12-01", "--cloud", &cloud];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        adoptbot(tmp.path(), &a)
    };
    // The sample estate has findings that need action (an exhausted budget): exit 1, as
    // `validate` does for problems.
    let (code, out, err) = run(&["--dry-run", "--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.is_empty(), "nothing but the result with json: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["dry_run"], true);
    let writes = v["writes"].as_array().expect("writes");
    assert!(
        writes.iter().any(|w| w["kind"] == "CreateIssue"),
        "{writes:?}"
    );
    assert!(writes.iter().any(|w| w["key"] == "adoptbot/observations"));
    assert_eq!(v["cloud_read"], true);
    assert!(v["calls"]["cloud"]["per_api"]["resource-graph"].as_u64() >= Some(1));
    // Nothing was written: no dashboard, no observation branch.
    let git = git2::Repository::open(tmp.path()).expect("git");
    assert!(
        git.find_branch("adoptbot/observations", git2::BranchType::Local)
            .is_err()
    );

    let (code, out, err) = run(&[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("opened issue #"), "{out}");
    assert!(
        out.contains("pushed 1 file to `adoptbot/observations`"),
        "{out}"
    );
    assert!(
        git.find_branch("adoptbot/observations", git2::BranchType::Local)
            .is_ok()
    );
    let (code, out, _) = run(&[]);
    assert_eq!(code, 1);
    assert!(out.contains("nothing to write"), "{out}");
}

#[test]
fn a_cloud_that_is_not_one_is_refused_with_what_to_write() {
    let tmp = scratch();
    let repo = tmp.path().to_str().unwrap();
    let (code, _, err) = adoptbot(tmp.path(), &["report", repo, "--cloud", "aws"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`snapshot:DIR` or `none`"), "{err}");
    let (code, out, err) = adoptbot(
        tmp.path(),
        &[
            "report",
            repo,
            "--cloud",
            "snapshot:/no/such/dir",
            "--now",
            "2026-12-01",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("/no/such/dir"), "{err}");
    let (code, out, err) = adoptbot(
        tmp.path(),
        &["report", repo, "--cloud", "none", "--now", "2026-12-01"],
    );
    // Without the cloud, the hand-written spend still shows an exhausted budget.
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("Action needed"), "{out}");
    assert!(out.contains("cloud: not read"), "{out}");
}
