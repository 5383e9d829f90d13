//! The bot pull requests and notices that follow from a repository on its default branch:
//! provisioning PRs for merged requests, re-render PRs when committed IaC no longer matches a
//! fresh render, decommission PRs when a time box ends or the cost cap is spent, and the
//! one-time warning before a time box ends. Pure: the snapshot, the analysis and the date in;
//! desired PRs and comments out.

use super::branch::{BotBranch, PullKind};
use super::reconcile::{DesiredComment, DesiredPull};
use super::yaml_edit::set_top_level;
use crate::Analysis;
use crate::evaluate::{ExperimentState, Lifecycle};
use crate::load::Snapshot;
use crate::model::forge::{FileChange, Sha};
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
fn pulls(
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
                request_pr,
                format!(
                    "its spend of {} reached the cost cap of {}",
                    e.spend.map(|s| s.to_string()).unwrap_or_default(),
                    e.cost_cap
                ),
            )),
            Lifecycle::Expired => out.push(decommission(
                b,
                e,
                request_pr,
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
        crate::report::markdown::inline(&e.title),
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
        bot: BotBranch::pull(PullKind::Provision, e.id.clone()),
        reason: format!(
            "the request is merged and valid; render blueprint `{}`",
            e.blueprint
        ),
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
        bot: BotBranch::pull(PullKind::Rerender, e.id.clone()),
        reason: format!("it {what}"),
        base_branch: b.name.into(),
        base_sha: b.sha.clone(),
        title: format!("Re-render experiment {}", e.id),
        body,
        files: changes,
    })
}

pub(crate) fn decommission(
    b: &Branch,
    e: &ExperimentState,
    request_pr: Option<u64>,
    why: String,
) -> DesiredPull {
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
    let body = if request_pr.is_none() {
        format!(
            "{body}\n\nNo request PR is on record for this experiment, so adoptbot could not warn its owner on one before the time box ended."
        )
    } else {
        body
    };
    DesiredPull {
        bot: BotBranch::pull(PullKind::Decommission, e.id.clone()),
        reason: why.clone(),
        base_branch: b.name.into(),
        base_sha: b.sha.clone(),
        title: format!("Decommission experiment {}", e.id),
        body,
        files: changes,
    }
}

/// The one-time warning, on the request PR, that a time box ends soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub experiment: Id,
    pub owner: String,
    pub ends_on: NaiveDate,
    pub comment: DesiredComment,
}

/// A time box that ends soon for an experiment with no request PR on record: there is no PR
/// to warn on. The run says so, and the decommission PR will say it too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwarned {
    pub experiment: Id,
    pub owner: String,
    pub ends_on: NaiveDate,
    pub path: String,
}

impl std::fmt::Display for Unwarned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the time box of `{}` (owner @{}) ends on {}, and no request PR is on record to warn on: set `request_pr:` in {} to get the warning there",
            self.experiment, self.owner, self.ends_on, self.path
        )
    }
}

/// Everything the default branch calls for: the one desired state that the loop applies and
/// that `adoptbot plan` prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    pub pulls: Vec<DesiredPull>,
    pub warnings: Vec<Warning>,
    pub unwarned: Vec<Unwarned>,
}

/// The desired state of the default branch. `request_prs` maps experiments to the PR that
/// requested them (beyond what the request files record), and `starts` to the start date
/// their open provisioning PR records.
pub fn state(
    b: &Branch,
    request_prs: &BTreeMap<Id, u64>,
    starts: &BTreeMap<Id, NaiveDate>,
    valid_at: i64,
) -> Desired {
    let repo = &b.analysis.loaded.repo;
    let mut out = Desired {
        pulls: pulls(b, request_prs, starts),
        ..Desired::default()
    };
    for e in &b.analysis.evaluation.experiments {
        if e.lifecycle != Lifecycle::EndingSoon {
            continue;
        }
        let (Some(doc), Some(end)) = (repo.experiments.get(&e.id), e.expires_on) else {
            continue;
        };
        let Some(issue) = doc.request_pr.or_else(|| request_prs.get(&e.id).copied()) else {
            out.unwarned.push(Unwarned {
                experiment: e.id.clone(),
                owner: e.owner.to_string(),
                ends_on: end,
                path: e.path.clone(),
            });
            continue;
        };
        out.warnings.push(Warning {
            experiment: e.id.clone(),
            owner: e.owner.to_string(),
            ends_on: end,
            comment: DesiredComment {
                issue,
                key: format!("expiry/{}/{end}", e.id),
                body: format!(
                    "@{}: the time box of experiment `{}` ends on **{end}**. On that day adoptbot opens a PR that decommissions it.\n\nTo keep it running, ask for a renewal (`/adoptbot renew 2w`), within the renewals the framework allows. Record the go/no-go decision in `{}` under `outcome:`.",
                    e.owner, e.id, e.path
                ),
                valid_at,
            },
        });
    }
    out
}

/// What the bot's own PRs remember: the request PR each provisioning PR names, and the start
/// date each open provisioning PR records. Only provisioning branches count.
pub fn remembered(
    pulls: &[crate::model::forge::PullRequest],
) -> (BTreeMap<Id, u64>, BTreeMap<Id, NaiveDate>) {
    use crate::model::forge::PrState;
    let mut requests = BTreeMap::new();
    let mut starts = BTreeMap::new();
    for p in pulls {
        let Some(BotBranch::Pull {
            kind: PullKind::Provision,
            experiment,
            ..
        }) = BotBranch::parse(&p.head_branch)
        else {
            continue;
        };
        if let Some(n) = parse_request_line(&p.body) {
            requests.entry(experiment.clone()).or_insert(n);
        }
        if p.state == PrState::Open
            && let Some(d) = parse_start_line(&p.body)
        {
            starts.insert(experiment, d);
        }
    }
    (requests, starts)
}

/// The one notice on a bot PR a person committed to: the bot leaves it alone from now on.
pub fn human_edit_notice(
    branch: &str,
    number: u64,
    first: Option<&crate::model::forge::Commit>,
    valid_at: i64,
) -> DesiredComment {
    let which = first
        .map(|c| {
            let who = if c.author_login.is_empty() {
                crate::report::markdown::code(&c.author_email)
            } else {
                format!("@{}", crate::report::markdown::inline(&c.author_login))
            };
            format!(
                " The first commit adoptbot did not make is `{}`, by {who}.",
                &c.sha[..c.sha.len().min(7)]
            )
        })
        .unwrap_or_default();
    DesiredComment {
        issue: number,
        key: format!("human-edit/{branch}"),
        body: format!(
            "A person has committed to `{branch}`, so adoptbot no longer updates this PR.{which} Review those commits before merging: adoptbot's checks do not vouch for them. Merge or close it as you see fit; close it to let adoptbot open a fresh one when its inputs change."
        ),
        valid_at,
    }
}

/// The notice on a bot PR rendered again over a person's commits (`/adoptbot rerender`),
/// naming the commits replaced, so that nothing is lost.
pub fn rerendered_notice(
    branch: &str,
    number: u64,
    replaced: &[crate::model::forge::Commit],
    valid_at: i64,
) -> DesiredComment {
    let listed: Vec<String> = replaced
        .iter()
        .map(|c| {
            format!(
                "`{}` ({})",
                &c.sha[..c.sha.len().min(7)],
                crate::report::markdown::code(&c.author_email)
            )
        })
        .collect();
    DesiredComment {
        issue: number,
        key: format!("human-edit/{branch}"),
        body: format!(
            "At the request of someone with write access (`/adoptbot rerender`), adoptbot rendered `{branch}` again from its blueprint. The commits it replaced stay reachable by their SHAs: {}.",
            listed.join(", ")
        ),
        valid_at,
    }
}
