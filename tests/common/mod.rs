//! Helpers shared by the integration tests.
#![allow(dead_code)]

use adoptbot::load::Snapshot;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn contoso() -> PathBuf {
    root().join("examples/contoso")
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a test date")
}

/// The day the contoso example describes.
pub fn contoso_today() -> NaiveDate {
    date("2026-11-27")
}

/// A snapshot from in-memory files.
pub fn snapshot(files: &[(&str, &[u8])]) -> Snapshot {
    let mut s = Snapshot::default();
    for (path, bytes) in files {
        s.add(path.to_string(), bytes.len() as u64, || Ok(bytes.to_vec()));
    }
    s
}

/// Copies a directory tree (files only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A minimal valid repository: adoption.yaml and one team, as (path, text) pairs.
pub fn minimal() -> Vec<(String, String)> {
    vec![
        (
            "adoption.yaml".into(),
            "organisation: Test\nphase: experimentation\nroles:\n  infrastructure-lead: { users: [alice] }\n  business-sponsor: { users: [bob] }\n  security-lead: { users: [carol] }\n".into(),
        ),
        (
            "teams/search.yaml".into(),
            "name: Search\ngithub_team: test/search\nleads: [alice]\nmembers: [dave]\nmonthly_budget: 10000 USD\n".into(),
        ),
    ]
}

/// A valid experiment request of team `search`, started on `start` (or not started).
pub fn experiment(id: &str, start: Option<&str>) -> String {
    let started = start
        .map(|s| format!("started_on: {s}\nstatus: active\n"))
        .unwrap_or_default();
    format!(
        "title: Experiment {id}\nteam: search\nowner: dave\nhypothesis: It works.\nsuccess_criteria:\n  - {{ metric: accuracy, comparator: \">=\", target: 0.9 }}\nnext_step: Pilot.\ntime_box: 2w\ncost_cap: 1000 USD\ncost_tag: exp-{id}\nblueprint: azure-openai\n{started}"
    )
}

pub fn snapshot_of(files: &[(String, String)]) -> Snapshot {
    let owned: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_bytes()))
        .collect();
    snapshot(&owned)
}

/// A bot comment with its commit SHAs (in backticks) and its marker's fingerprint replaced,
/// for snapshots that must not change whenever the example repository does.
#[allow(dead_code)]
pub fn stable(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut parts = body.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        out.push('`');
        let is_sha = (7..=40).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_hexdigit());
        out.push_str(if is_sha { "<sha>" } else { part });
    }
    // The stamp is the time of the state observed, which each forge records its own way.
    if let Some(at) = out.find("valid-at=") {
        let start = at + "valid-at=".len();
        let end = out[start..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(out.len(), |e| start + e);
        out.replace_range(start..end, "<time>");
    }
    match out.find("fingerprint=") {
        Some(at) => {
            let start = at + "fingerprint=".len();
            let end = out[start..]
                .find(|c: char| !c.is_ascii_hexdigit())
                .map_or(out.len(), |e| start + e);
            out.replace_range(start..end, "<fingerprint>");
            out
        }
        None => out,
    }
}
