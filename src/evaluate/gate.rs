//! The current gate's checklist: each deliverable of the gate checked by its catalogue
//! check, with the evidence (file, value, threshold) that decided it.

use super::{Input, days_between, staleness};
use crate::model::*;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// The inputs could not be read, so nobody can tell.
    Unknown,
}

/// What decided a deliverable: a file, the value found there, and the threshold it met or
/// missed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub file: String,
    pub line: u32,
    pub value: String,
    pub threshold: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliverableResult {
    pub id: Id,
    pub description: String,
    pub check: &'static str,
    pub status: Status,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleHolding {
    pub role: Id,
    pub users: Vec<Login>,
    pub teams: Vec<TeamRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateChecklist {
    pub gate: String,
    pub from: Phase,
    pub to: Phase,
    pub deliverables: Vec<DeliverableResult>,
    /// The approval authority, and who holds each role.
    pub approvers: Vec<RoleHolding>,
    /// Every deliverable passes (approvals are judged on the gate PR).
    pub deliverables_met: bool,
}

impl GateChecklist {
    /// How many deliverables pass.
    pub fn met(&self) -> usize {
        self.deliverables
            .iter()
            .filter(|d| d.status == Status::Pass)
            .count()
    }
}

pub fn checklist(input: &Input, from: Phase, gate: &GateDef) -> GateChecklist {
    let deliverables: Vec<_> = gate
        .deliverables
        .iter()
        .map(|d| {
            let (status, evidence) = run(input, &d.check);
            DeliverableResult {
                id: d.id.clone(),
                description: d.description.clone(),
                check: d.check.name(),
                status,
                evidence,
            }
        })
        .collect();
    let roles = input.repo.adoption.as_ref().map(|a| &a.roles);
    let approvers = gate
        .approvers
        .iter()
        .map(|r| {
            let h = roles.and_then(|rs| rs.get(r));
            RoleHolding {
                role: r.clone(),
                users: h.map(|h| h.users.clone()).unwrap_or_default(),
                teams: h.map(|h| h.teams.clone()).unwrap_or_default(),
            }
        })
        .collect();
    GateChecklist {
        gate: gate.id.clone(),
        from,
        to: from.next().unwrap_or(from),
        deliverables_met: deliverables.iter().all(|d| d.status == Status::Pass),
        deliverables,
        approvers,
    }
}

pub(super) fn ev(
    file: impl Into<String>,
    line: u32,
    value: impl Into<String>,
    threshold: Option<String>,
) -> Evidence {
    Evidence {
        file: file.into(),
        line,
        value: value.into(),
        threshold,
    }
}

fn pass_if(ok: bool) -> Status {
    if ok { Status::Pass } else { Status::Fail }
}

/// `Unknown` with the unreadable files as evidence, when any document the check reads is
/// broken.
fn unreadable(repo: &Repository, dirs: &[&str]) -> Option<(Status, Vec<Evidence>)> {
    let broken: Vec<_> = dirs
        .iter()
        .flat_map(|d| repo.broken_in(d))
        .map(|p| ev(p.clone(), 0, "could not be read", None))
        .collect();
    (!broken.is_empty()).then_some((Status::Unknown, broken))
}

/// Runs one check of the catalogue.
pub fn run(input: &Input, check: &Check) -> (Status, Vec<Evidence>) {
    let repo = input.repo;
    let today = input.today;
    match check {
        Check::ScorecardComplete | Check::MinRating { .. } => {
            if let Some(u) = unreadable(repo, &["scorecards"]) {
                return u;
            }
            let Some(card) = repo.latest_scorecard() else {
                return (
                    Status::Fail,
                    vec![ev(
                        "scorecards/",
                        0,
                        "no scorecard",
                        Some("a scorecard rating all six areas".into()),
                    )],
                );
            };
            let rated = Area::ALL
                .iter()
                .filter(|a| card.areas.contains_key(a))
                .count();
            match check {
                Check::MinRating { min } => {
                    let low = card.areas.iter().min_by_key(|(_, r)| r.rating);
                    let value = low.map_or("no areas rated".to_string(), |(a, r)| {
                        format!("lowest: {a} rated {}", r.rating.get())
                    });
                    let ok = rated == 6 && low.is_some_and(|(_, r)| r.rating.get() >= *min);
                    (
                        pass_if(ok),
                        vec![ev(
                            &card.path,
                            1,
                            value,
                            Some(format!("every area >= {min}")),
                        )],
                    )
                }
                _ => (
                    pass_if(rated == 6),
                    vec![ev(
                        &card.path,
                        1,
                        format!("{rated} of 6 areas rated on {}", card.assessed_on),
                        Some("all 6".into()),
                    )],
                ),
            }
        }
        Check::ShadowInventoryPresent { max_age_days } => {
            if let Some(u) = unreadable(repo, &["inventory"]) {
                return u;
            }
            let threshold = Some(format!("surveyed within {max_age_days} days"));
            match &repo.inventory {
                None => (
                    Status::Fail,
                    vec![ev("inventory/shadow-ai.yaml", 0, "absent", threshold)],
                ),
                Some(inv) => {
                    let age = days_between(inv.surveyed_on, today);
                    let value = format!(
                        "surveyed {} ({age} days ago), {} findings",
                        inv.surveyed_on,
                        inv.findings.len()
                    );
                    (
                        pass_if(age <= i64::from(*max_age_days) && age >= 0),
                        vec![ev(&inv.path, 1, value, threshold)],
                    )
                }
            }
        }
        Check::StakeholdersAligned => {
            let Some(a) = &repo.adoption else {
                return (
                    Status::Unknown,
                    vec![ev("adoption.yaml", 0, "could not be read", None)],
                );
            };
            let aligned = a
                .stakeholders
                .iter()
                .filter(|s| s.aligned_on.is_some())
                .count();
            let mut evidence = vec![ev(
                &a.path,
                1,
                format!("{aligned} of {} stakeholders aligned", a.stakeholders.len()),
                Some("all, and at least one".into()),
            )];
            evidence.extend(
                a.stakeholders
                    .iter()
                    .filter(|s| s.aligned_on.is_none())
                    .map(|s| {
                        ev(
                            &a.path,
                            1,
                            format!("{} ({}) not aligned", s.name, s.represents),
                            None,
                        )
                    }),
            );
            (
                pass_if(aligned > 0 && aligned == a.stakeholders.len()),
                evidence,
            )
        }
        Check::TrainingCompletion { min } => {
            if let Some(u) = unreadable(repo, &["teams"]) {
                return u;
            }
            let teams = staleness::training(repo);
            let (done, total) = teams
                .iter()
                .fold((0u32, 0u32), |(d, t), x| (d + x.completed, t + x.total));
            let ratio = if total == 0 {
                0.0
            } else {
                f64::from(done) / f64::from(total)
            };
            let threshold = format!(">= {:.0}%", min * 100.0);
            let mut evidence = vec![ev(
                "teams/",
                0,
                format!(
                    "{:.0}% ({done} of {total} assignments completed)",
                    ratio * 100.0
                ),
                Some(threshold.clone()),
            )];
            evidence.extend(teams.iter().filter(|t| t.ratio < *min).map(|t| {
                ev(
                    &t.path,
                    1,
                    format!("{:.0}% ({} of {})", t.ratio * 100.0, t.completed, t.total),
                    Some(threshold.clone()),
                )
            }));
            (pass_if(total > 0 && ratio >= *min), evidence)
        }
        Check::QuotasApproved => {
            if let Some(u) = unreadable(repo, &["teams"]) {
                return u;
            }
            let all: Vec<_> = repo
                .teams
                .values()
                .flat_map(|t| t.gpu_quota.iter().map(move |q| (t, q)))
                .collect();
            let approved = all
                .iter()
                .filter(|(_, q)| q.status == QuotaStatus::Approved)
                .count();
            let mut evidence = vec![ev(
                "teams/",
                0,
                format!("{approved} of {} GPU quotas approved", all.len()),
                Some("all, and at least one".into()),
            )];
            evidence.extend(
                all.iter()
                    .filter(|(_, q)| q.status != QuotaStatus::Approved)
                    .map(|(t, q)| {
                        ev(
                            &t.path,
                            q.line,
                            format!("{} in {}: {:?}", q.family, q.region, q.status).to_lowercase(),
                            Some("approved".into()),
                        )
                    }),
            );
            (pass_if(!all.is_empty() && approved == all.len()), evidence)
        }
        Check::FileExists { path } => {
            let found = repo.exists(path);
            (
                pass_if(found),
                vec![ev(
                    path.clone(),
                    0,
                    if found { "present" } else { "absent" },
                    Some("present".into()),
                )],
            )
        }
        Check::BlueprintsValid => {
            let Some(known) = input.blueprints.names() else {
                return (
                    Status::Unknown,
                    vec![ev("blueprints/", 0, "blueprints were not evaluated", None)],
                );
            };
            let problems = input
                .blueprints
                .problems
                .iter()
                .filter(|d| d.is_error())
                .count();
            let missing: Vec<_> = repo
                .experiments
                .values()
                .filter(|e| !known.contains(e.blueprint.as_str()))
                .collect();
            let mut evidence = vec![ev(
                "blueprints/",
                0,
                format!("{} blueprints, {problems} with errors", known.len()),
                Some("no errors, and every blueprint in use exists".into()),
            )];
            evidence.extend(
                input
                    .blueprints
                    .problems
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| ev(d.place.file.clone(), d.place.line, d.message.clone(), None)),
            );
            evidence.extend(missing.iter().map(|e| {
                ev(
                    &e.path,
                    e.blueprint.line,
                    format!("unknown blueprint `{}`", e.blueprint.value),
                    None,
                )
            }));
            (
                pass_if(problems == 0 && missing.is_empty() && !known.is_empty()),
                evidence,
            )
        }
        Check::CiOperational => {
            let Some(a) = &repo.adoption else {
                return (
                    Status::Unknown,
                    vec![ev("adoption.yaml", 0, "could not be read", None)],
                );
            };
            let wf = &a.platform.ci_workflows;
            if wf.is_empty() {
                return (
                    Status::Fail,
                    vec![ev(
                        &a.path,
                        1,
                        "no platform.ci_workflows listed",
                        Some("at least one workflow that exists".into()),
                    )],
                );
            }
            let evidence: Vec<_> = wf
                .iter()
                .map(|w| {
                    ev(
                        &a.path,
                        w.line,
                        format!(
                            "{}: {}",
                            w.value,
                            if repo.exists(w) { "present" } else { "absent" }
                        ),
                        Some("present".into()),
                    )
                })
                .collect();
            (pass_if(wf.iter().all(|w| repo.exists(w))), evidence)
        }
        Check::MonitoringAlerting => {
            let Some(a) = &repo.adoption else {
                return (
                    Status::Unknown,
                    vec![ev("adoption.yaml", 0, "could not be read", None)],
                );
            };
            let threshold =
                Some("a workspace, an action group and at least one alert rule".to_string());
            match &a.platform.monitoring {
                None => (
                    Status::Fail,
                    vec![ev(&a.path, 1, "no platform.monitoring", threshold)],
                ),
                Some(m) => {
                    let ok = !m.log_analytics_workspace.trim().is_empty()
                        && m.alert_action_group.is_some()
                        && !m.alert_rules.is_empty();
                    let value = format!(
                        "workspace set, action group {}, {} alert rules",
                        if m.alert_action_group.is_some() {
                            "set"
                        } else {
                            "missing"
                        },
                        m.alert_rules.len()
                    );
                    (pass_if(ok), vec![ev(&a.path, 1, value, threshold)])
                }
            }
        }
        Check::UseCasesValidated { min } => {
            if let Some(u) = unreadable(repo, &["use-cases"]) {
                return u;
            }
            let valid: Vec<_> = repo
                .use_cases
                .values()
                .filter(|u| u.validation.is_complete() && u.production_estimate.is_some())
                .collect();
            let mut evidence = vec![ev(
                "use-cases/",
                0,
                format!(
                    "{} of {} use cases validated with a production estimate",
                    valid.len(),
                    repo.use_cases.len()
                ),
                Some(format!(">= {min}")),
            )];
            evidence.extend(valid.iter().map(|u| {
                let est = u
                    .production_estimate
                    .as_ref()
                    .map(|e| e.monthly_cost.to_string())
                    .unwrap_or_default();
                ev(
                    &u.path,
                    1,
                    format!("{}: validated, {est}/month", u.title),
                    None,
                )
            }));
            (pass_if(valid.len() as u32 >= *min), evidence)
        }
        Check::CostsReviewed => {
            if let Some(u) = unreadable(repo, &["use-cases"]) {
                return u;
            }
            let valid: Vec<_> = repo
                .use_cases
                .values()
                .filter(|u| u.validation.is_complete())
                .collect();
            let reviewed = valid.iter().filter(|u| u.cost_review.is_some()).count();
            let mut evidence = vec![ev(
                "use-cases/",
                0,
                format!(
                    "{reviewed} of {} validated use cases cost-reviewed",
                    valid.len()
                ),
                Some("all, and at least one".into()),
            )];
            evidence.extend(valid.iter().filter(|u| u.cost_review.is_none()).map(|u| {
                ev(
                    &u.path,
                    1,
                    "no cost_review",
                    Some("cost_review with reviewer and date".into()),
                )
            }));
            (
                pass_if(!valid.is_empty() && reviewed == valid.len()),
                evidence,
            )
        }
        Check::SloMetDays { min } => {
            if let Some(u) = unreadable(repo, &["slos"]) {
                return u;
            }
            if repo.slos.is_empty() {
                return (
                    Status::Fail,
                    vec![ev(
                        "slos/",
                        0,
                        "no SLOs",
                        Some(format!("every SLO met for >= {min} days")),
                    )],
                );
            }
            let evidence: Vec<_> = repo
                .slos
                .values()
                .map(|s| match &s.met_since {
                    Some(d) => ev(
                        &s.path,
                        d.line,
                        format!(
                            "{}: met since {} ({} days)",
                            s.endpoint,
                            d.value,
                            days_between(d.value, today)
                        ),
                        Some(format!(">= {min} days")),
                    ),
                    None => ev(
                        &s.path,
                        1,
                        format!("{}: not met", s.endpoint),
                        Some(format!(">= {min} days")),
                    ),
                })
                .collect();
            let ok = repo.slos.values().all(|s| {
                s.met_since
                    .as_ref()
                    .is_some_and(|d| days_between(d.value, today) >= i64::from(*min))
            });
            (pass_if(ok), evidence)
        }
        Check::RunbooksTested { max_age_days } => {
            if let Some(u) = unreadable(repo, &["runbooks"]) {
                return u;
            }
            let threshold = Some(format!(
                "every procedure covered, tested within {max_age_days} days"
            ));
            let fresh = |r: &Doc<RunbookMeta>| {
                r.last_tested.as_ref().is_some_and(|d| {
                    (0..=i64::from(*max_age_days)).contains(&days_between(d.value, today))
                })
            };
            let mut evidence = Vec::new();
            let mut ok = true;
            for topic in RunbookTopic::ALL {
                let covering: Vec<_> = repo
                    .runbooks
                    .iter()
                    .filter(|r| r.covers.contains(&topic))
                    .collect();
                match covering.iter().find(|r| fresh(r)).or(covering.first()) {
                    Some(r) => {
                        let tested = r
                            .last_tested
                            .as_ref()
                            .map_or("never tested".to_string(), |d| {
                                format!("tested {}", d.value)
                            });
                        ok &= fresh(r);
                        evidence.push(ev(
                            &r.path,
                            r.last_tested.as_ref().map_or(1, |d| d.line),
                            format!("{topic}: {tested}"),
                            threshold.clone(),
                        ));
                    }
                    None => {
                        ok = false;
                        evidence.push(ev(
                            "runbooks/",
                            0,
                            format!("{topic}: no runbook"),
                            threshold.clone(),
                        ));
                    }
                }
            }
            (pass_if(ok), evidence)
        }
        Check::ComplianceAuditPassed { max_age_days } => {
            let Some(a) = &repo.adoption else {
                return (
                    Status::Unknown,
                    vec![ev("adoption.yaml", 0, "could not be read", None)],
                );
            };
            let threshold = Some(format!(
                "passed, no open findings, within {max_age_days} days"
            ));
            match a.compliance_audits.iter().max_by_key(|x| x.date.value) {
                None => (
                    Status::Fail,
                    vec![ev(&a.path, 1, "no compliance audit", threshold)],
                ),
                Some(x) => {
                    let age = days_between(x.date.value, today);
                    let ok = x.result == AuditResult::Passed
                        && x.findings == 0
                        && (0..=i64::from(*max_age_days)).contains(&age);
                    let value = format!(
                        "{} by {}: {}, {} open findings",
                        x.date.value,
                        x.auditor,
                        if x.result == AuditResult::Passed {
                            "passed"
                        } else {
                            "failed"
                        },
                        x.findings
                    );
                    (pass_if(ok), vec![ev(&a.path, 1, value, threshold)])
                }
            }
        }
    }
}
