//! The bot pull requests and notices that follow from a repository on its default branch:
//! provisioning PRs for merged requests, re-render PRs when committed IaC no longer matches a
//! fresh render, decommission PRs when a time box ends or the cost cap is spent, and the
//! one-time warning before a time box ends. Pure: the snapshot, the analysis and the date in;
//! desired PRs and comments out.

use super::reconcile::{DesiredComment, DesiredPull};
use super::yaml_edit::set_top_level;
use crate::Analysis;
use crate::evaluate::{ExperimentState, Lifecycle};
use crate::forge::{FileChange, Sha};
use crate::load::Snapshot;
use crate::model::{Flavour, Id};
use crate::render::{Catalogue, output_dir, render_experiment};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Where the default branch is and how to render on it.
pub struct Branch<'a> {
    pub name: &'a str,
    pub sha: &'a Sha,
    pub snapshot: &'a Snapshot,
    pub analysis: &'a Analysis,
    pub catalogue: &'a Catalogue,
    pub today: NaiveDate,
}

impl Branch<'_> {
    fn flavour(&self) -> Flavour {
        self.analysis
            .loaded
            .repo
            .adoption
            .as_ref()
            .map(|a| a.iac_flavour)
            .unwrap_or_default()
    }

    fn text(&self, path: &str) -> Option<String> {
        self.snapshot
            .contents
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// The committed IaC of an experiment: every file under `infra/experiments/<id>/`.
    fn committed(&self, id: &Id) -> BTreeMap<String, String> {
        let prefix = format!("{}/", output_dir(id.as_str()));
        self.snapshot
            .paths
            .range(prefix.clone()..)
            .take_while(|p| p.starts_with(&prefix))
            .map(|p| (p.clone(), self.text(p).unwrap_or_default()))
            .collect()
    }
}

/// `Requested in #N.`, as provisioning PR bodies say it.
pub fn request_line(n: u64) -> String {
    format!("Requested in #{n}.")
}

/// The request PR number a provisioning PR body names.
pub fn parse_request_line(body: &str) -> Option<u64> {
    let rest = &body[body.find("Requested in #")? + "Requested in #".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// `Starts on YYYY-MM-DD.`, as provisioning PR bodies say it.
fn start_line(d: NaiveDate) -> String {
    format!("Starts on {d}.")
}

/// The start date a provisioning PR body names.
pub fn parse_start_line(body: &str) -> Option<NaiveDate> {
    let rest = &body[body.find("Starts on ")? + "Starts on ".len()..];
    NaiveDate::parse_from_str(rest.get(..10)?, "%Y-%m-%d").ok()
}

/// How long a provisioning PR keeps the start date it was opened with: a PR left open
/// longer is refreshed to start on the day, so that no experiment begins already used up.
const START_KEPT_DAYS: i64 = 3;

/// Every bot PR the default branch calls for. `request_prs` maps experiments to the PR that
/// requested them, and `starts` to the start date their open provisioning PR records.
pub fn pulls(
    b: &Branch,
    request_prs: &BTreeMap<Id, u64>,
    starts: &BTreeMap<Id, NaiveDate>,
) -> Vec<DesiredPull> {
    let repo = &b.analysis.loaded.repo;
    let mut out = Vec::new();
    for e in &b.analysis.evaluation.experiments {
        let Some(doc) = repo.experiments.get(&e.id) else {
            continue;
        };
        let request_pr = request_prs.get(&e.id).copied().or(doc.request_pr);
        match e.lifecycle {
            Lifecycle::Requested if e.valid && !e.waiting_for_quota => {
                let start = starts
                    .get(&e.id)
                    .copied()
                    .filter(|s| (0..=START_KEPT_DAYS).contains(&(b.today - *s).num_days()))
                    .unwrap_or(b.today);
                out.extend(provision(b, e, request_pr, start))
            }
            Lifecycle::Active | Lifecycle::EndingSoon if e.over_budget => out.push(decommission(
                b,
                e,
                format!(
                    "its spend of {} reached the cost cap of {}",
                    e.spend.map(|s| s.to_string()).unwrap_or_default(),
                    e.cost_cap
                ),
            )),
            Lifecycle::Expired => out.push(decommission(
                b,
                e,
                format!(
                    "its time box ended on {}",
                    e.expires_on.map(|d| d.to_string()).unwrap_or_default()
                ),
            )),
            Lifecycle::Active | Lifecycle::EndingSoon if e.valid => out.extend(rerender(b, e)),
            _ => {}
        }
    }
    out
}

fn provision(
    b: &Branch,
    e: &ExperimentState,
    request_pr: Option<u64>,
    start: NaiveDate,
) -> Option<DesiredPull> {
    let doc = b.analysis.loaded.repo.experiments.get(&e.id)?;
    let mut request = doc.clone();
    request.value.started_on = Some(crate::model::Located::unplaced(start));
    let files = render_experiment(b.catalogue, &e.id, &request, b.flavour(), start).ok()?;
    let mut text = b.text(&e.path)?;
    text = set_top_level(&text, "started_on", &start.to_string());
    text = set_top_level(&text, "status", "active");
    if let Some(n) = request_pr {
        text = set_top_level(&text, "request_pr", &n.to_string());
    }
    let mut changes: Vec<FileChange> = files
        .into_iter()
        .map(|f| FileChange {
            path: f.path,
            content: Some(f.content),
        })
        .collect();
    changes.push(FileChange {
        path: e.path.clone(),
        content: Some(text),
    });
    let expires = request.expires_on().unwrap_or(start);
    let mut body = format!(
        "Provisions experiment `{}` ({}) from blueprint `{}` in {}.\n\n- team `{}`, owner @{}\n- time box {}: {} until {}\n- cost cap {}, estimate {}\n\nMerging this PR records the start date in `{}`; the infrastructure pipeline deploys `{}/`. {}",
        e.id,
        e.title,
        e.blueprint,
        b.flavour(),
        e.team,
        e.owner,
        doc.time_box.value,
        start,
        expires,
        e.cost_cap,
        e.estimate
            .map(|m| m.to_string())
            .unwrap_or_else(|| "-".into()),
        e.path,
        output_dir(e.id.as_str()),
        start_line(start)
    );
    if let Some(n) = request_pr {
        body = format!("{}\n\n{body}", request_line(n));
    }
    Some(DesiredPull {
        kind: "provision".into(),
        id: e.id.to_string(),
        base_branch: b.name.into(),
        base_sha: b.sha.clone(),
        title: format!("Provision experiment {}", e.id),
        body,
        files: changes,
    })
}

fn rerender(b: &Branch, e: &ExperimentState) -> Option<DesiredPull> {
    let doc = b.analysis.loaded.repo.experiments.get(&e.id)?;
    let files = render_experiment(b.catalogue, &e.id, doc, b.flavour(), b.today).ok()?;
    let committed = b.committed(&e.id);
    let mut changes: Vec<FileChange> = files
        .iter()
        .filter(|f| committed.get(&f.path) != Some(&f.content))
        .map(|f| FileChange {
            path: f.path.clone(),
            content: Some(f.content.clone()),
        })
        .collect();
    changes.extend(
        committed
            .keys()
            .filter(|p| !files.iter().any(|f| &f.path == *p))
            .map(|p| FileChange {
                path: p.clone(),
                content: None,
            }),
    );
    if changes.is_empty() {
        return None;
    }
    let what = if committed.is_empty() {
        "has no committed IaC"
    } else {
        "has committed IaC that differs from a fresh render of its request and blueprint"
    };
    let body = format!(
        "Re-renders experiment `{}` from blueprint `{}`: it {what}.\n\n{}",
        e.id,
        e.blueprint,
        changes
            .iter()
            .map(|c| format!(
                "- `{}` {}",
                c.path,
                if c.content.is_some() {
                    "rendered"
                } else {
                    "removed"
                }
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Some(DesiredPull {
        kind: "rerender".into(),
        id: e.id.to_string(),
        base_branch: b.name.into(),
        base_sha: b.sha.clone(),
        title: format!("Re-render experiment {}", e.id),
        body,
        files: changes,
    })
}

fn decommission(b: &Branch, e: &ExperimentState, why: String) -> DesiredPull {
    let mut changes: Vec<FileChange> = b
        .committed(&e.id)
        .into_keys()
        .map(|path| FileChange {
            path,
            content: None,
        })
        .collect();
    if let Some(text) = b.text(&e.path) {
        changes.push(FileChange {
            path: e.path.clone(),
            content: Some(set_top_level(&text, "status", "expired")),
        });
    }
    let body = format!(
        "Decommissions experiment `{}`: {why}.\n\nThis PR removes its IaC under `{}/` and marks the request `expired`. Nothing is deleted until it is reviewed and merged; the infrastructure pipeline then tears the environment down. Owner: @{}.",
        e.id,
        output_dir(e.id.as_str()),
        e.owner
    );
    DesiredPull {
        kind: "decommission".into(),
        id: e.id.to_string(),
        base_branch: b.name.into(),
        base_sha: b.sha.clone(),
        title: format!("Decommission experiment {}", e.id),
        body,
        files: changes,
    }
}

/// The one-time warning, on the request PR, that a time box ends soon.
pub fn expiry_warnings(b: &Branch, valid_at: i64) -> Vec<DesiredComment> {
    let repo = &b.analysis.loaded.repo;
    b.analysis
        .evaluation
        .experiments
        .iter()
        .filter(|e| e.lifecycle == Lifecycle::EndingSoon)
        .filter_map(|e| {
            let issue = repo.experiments.get(&e.id)?.request_pr?;
            let end = e.expires_on?;
            Some(DesiredComment {
                issue,
                key: format!("expiry/{}/{end}", e.id),
                body: format!(
                    "@{}: the time box of experiment `{}` ends on **{end}**. On that day adoptbot opens a PR that decommissions it.\n\nTo keep it running, ask for a renewal (`/adoptbot renew 2w`), within the renewals the framework allows. Record the go/no-go decision in `{}` under `outcome:`.",
                    e.owner, e.id, e.path
                ),
                valid_at,
            })
        })
        .collect()
}
