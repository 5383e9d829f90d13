//! Rollback criteria: the last column of the framework's decision matrix. Once a gate has
//! passed, its rollback criteria say when the organisation goes back to the phase it left.
//! For the current phase, each criterion of the gate it was entered through is judged from
//! the repository as far as its files tell: `triggered` or `clear` with the evidence (file,
//! line, value, threshold), `unknown` with the file to add when the data is not there, and
//! `needs-cloud` naming the cloud signal when only the cloud can decide. Thresholds come
//! from the phase data and the organisation's overrides.
//!
//! The result lives in the [`Evaluation`](super::Evaluation), so that `plan` and the
//! scheduled report print the same findings.

use super::gate::{self, Evidence, ev};
use super::{Input, days_between};
use crate::model::*;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackStatus {
    /// The repository shows the criterion is met: the framework says roll back one phase.
    Triggered,
    /// The repository shows it is not met.
    Clear,
    /// The data it needs is missing from the repository, or could not be read.
    Unknown,
    /// Only cloud signals can decide it; the scheduled report reads them.
    NeedsCloud,
}

impl RollbackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RollbackStatus::Triggered => "triggered",
            RollbackStatus::Clear => "clear",
            RollbackStatus::Unknown => "unknown",
            RollbackStatus::NeedsCloud => "needs-cloud",
        }
    }
}

/// One rollback criterion of the gate, judged.
#[derive(Debug, Clone, Serialize)]
pub struct CriterionResult {
    pub id: Id,
    pub description: String,
    /// The trigger's name in the catalogue, e.g. `use-case-cost-overrun`.
    pub trigger: &'static str,
    pub status: RollbackStatus,
    pub evidence: Vec<Evidence>,
    /// For `unknown`: which file to add or fix so that the repository can decide.
    pub hint: Option<String>,
    /// The cloud signal the scheduled report reads for this criterion: for `needs-cloud`,
    /// what decides it; otherwise the part the repository cannot see. `None` when the
    /// repository decides it whole.
    pub cloud: Option<&'static str>,
}

/// The rollback criteria of the current phase: those of the gate it was entered through.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackCriteria {
    /// The gate the organisation entered its current phase through, e.g. `3-4`.
    pub gate: String,
    /// The current phase.
    pub phase: Phase,
    /// Where a rollback returns to: the phase before.
    pub to: Phase,
    /// `phase_entered_on` of `adoption.yaml`, when recorded.
    pub entered_on: Option<NaiveDate>,
    pub criteria: Vec<CriterionResult>,
    /// At least one criterion is triggered.
    pub triggered: bool,
}

impl RollbackCriteria {
    pub fn count(&self, status: RollbackStatus) -> usize {
        self.criteria.iter().filter(|c| c.status == status).count()
    }

    /// What a rollback gate request writes after `Rollback reason:`, when a criterion is
    /// triggered: each triggered criterion with its first piece of evidence.
    pub fn rollback_reason(&self) -> Option<String> {
        let parts: Vec<String> = self
            .criteria
            .iter()
            .filter(|c| c.status == RollbackStatus::Triggered)
            .map(|c| match c.evidence.first() {
                Some(e) => format!("{} ({}: {})", c.description, place(e), e.value),
                None => c.description.clone(),
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// `file:line`, or `file` when the evidence is about the whole file or folder.
pub fn place(e: &Evidence) -> String {
    if e.line > 0 {
        format!("{}:{}", e.file, e.line)
    } else {
        e.file.clone()
    }
}

/// The rollback criteria of the organisation's current phase, or `None` without a readable
/// `adoption.yaml` or in Phase 1, which no gate leads into.
pub fn current(input: &Input) -> Option<RollbackCriteria> {
    let phase = input.repo.adoption.as_ref()?.phase.value;
    let (before, gate) = input.framework.entry_gate(phase)?;
    Some(criteria(input, phase, before, gate))
}

/// The rollback criteria of `gate`, which leads from `before` into `phase`.
pub fn criteria(input: &Input, phase: Phase, before: Phase, gate: &GateDef) -> RollbackCriteria {
    let entered_on = input
        .repo
        .adoption
        .as_ref()
        .and_then(|a| a.phase_entered_on.as_ref())
        .map(|d| d.value);
    let criteria: Vec<_> = gate
        .rollback
        .iter()
        .map(|r| {
            let j = judge(input, &r.trigger);
            CriterionResult {
                id: r.id.clone(),
                description: r.description.clone(),
                trigger: r.trigger.name(),
                status: j.status,
                evidence: j.evidence,
                hint: j.hint,
                cloud: r.trigger.cloud_signal(),
            }
        })
        .collect();
    RollbackCriteria {
        gate: gate.id.clone(),
        phase,
        to: before,
        entered_on,
        triggered: criteria
            .iter()
            .any(|c| c.status == RollbackStatus::Triggered),
        criteria,
    }
}

/// A trigger's verdict on the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub status: RollbackStatus,
    pub evidence: Vec<Evidence>,
    pub hint: Option<String>,
}

fn judged(status: RollbackStatus, evidence: Vec<Evidence>) -> Judgement {
    Judgement {
        status,
        evidence,
        hint: None,
    }
}

fn unknown(evidence: Vec<Evidence>, hint: impl Into<String>) -> Judgement {
    Judgement {
        status: RollbackStatus::Unknown,
        evidence,
        hint: Some(hint.into()),
    }
}

/// `Unknown` naming the unreadable documents, when any document the trigger reads is broken.
fn unreadable(repo: &Repository, dirs: &[&str]) -> Option<Judgement> {
    let broken: Vec<_> = dirs
        .iter()
        .flat_map(|d| repo.broken_in(d))
        .map(|p| ev(p.clone(), 0, "could not be read", None))
        .collect();
    (!broken.is_empty()).then(|| {
        unknown(
            broken,
            "fix the documents that could not be read (see the diagnostics)",
        )
    })
}

fn no_adoption() -> Judgement {
    unknown(
        vec![ev("adoption.yaml", 0, "could not be read", None)],
        "fix adoption.yaml (see the diagnostics)",
    )
}

/// Judges one trigger of the catalogue from the repository.
pub fn judge(input: &Input, trigger: &Trigger) -> Judgement {
    let repo = input.repo;
    match trigger {
        Trigger::ShadowAiAfterGate => shadow_ai_after_gate(input),
        Trigger::TeamSkillsBelow { min } => team_skills_below(repo, *min),
        Trigger::BlueprintsInvalid => blueprints_invalid(input),
        Trigger::MonitoringGaps => monitoring_gaps(input),
        Trigger::UseCaseCostOverrun { max_ratio } => use_case_cost_overrun(repo, *max_ratio),
        Trigger::SloViolations => slo_violations(input),
        Trigger::ComplianceFindings => compliance_findings(repo),
    }
}

fn shadow_ai_after_gate(input: &Input) -> Judgement {
    let repo = input.repo;
    if let Some(u) = unreadable(repo, &["adoption.yaml", "inventory"]) {
        return u;
    }
    let Some(a) = &repo.adoption else {
        return no_adoption();
    };
    let Some(entered) = &a.phase_entered_on else {
        return unknown(
            vec![ev(
                &a.path,
                a.phase.line,
                "no phase_entered_on: the day the gate passed is not recorded",
                None,
            )],
            "add `phase_entered_on: YYYY-MM-DD` (the day the gate request merged) to adoption.yaml",
        );
    };
    let Some(inv) = &repo.inventory else {
        return unknown(
            vec![ev("inventory/shadow-ai.yaml", 0, "absent", None)],
            "add inventory/shadow-ai.yaml with the findings of the shadow-AI surveys",
        );
    };
    let threshold = Some(format!("no finding after the gate ({})", entered.value));
    let after: Vec<_> = inv
        .findings
        .iter()
        .filter(|f| f.found_on.value > entered.value)
        .collect();
    if after.is_empty() {
        let value = format!(
            "{} findings, none found after {}; last survey {}",
            inv.findings.len(),
            entered.value,
            inv.surveyed_on
        );
        return judged(
            RollbackStatus::Clear,
            vec![ev(&inv.path, 1, value, threshold)],
        );
    }
    let evidence = after
        .iter()
        .map(|f| {
            ev(
                &inv.path,
                f.found_on.line,
                format!(
                    "{} ({}) found on {} at {}",
                    f.id,
                    kind(f.kind),
                    f.found_on.value,
                    f.location
                ),
                threshold.clone(),
            )
        })
        .collect();
    judged(RollbackStatus::Triggered, evidence)
}

fn kind(k: ShadowKind) -> &'static str {
    match k {
        ShadowKind::PersonalSubscription => "personal subscription",
        ShadowKind::ApiKeyInRepo => "API key in a repository",
        ShadowKind::GpuVmOutsideIac => "GPU VM outside IaC",
        ShadowKind::SaasTool => "SaaS tool",
        ShadowKind::UnreviewedEndpoint => "unreviewed endpoint",
    }
}

fn team_skills_below(repo: &Repository, min: u8) -> Judgement {
    if let Some(u) = unreadable(repo, &["teams"]) {
        return u;
    }
    if repo.teams.is_empty() {
        return unknown(
            vec![ev("teams/", 0, "no teams", None)],
            "add teams/<team>.yaml with a `skills:` matrix for each team",
        );
    }
    let threshold = Some(format!("someone rated >= {min} in all four dimensions"));
    let mut below = Vec::new();
    let mut unrated = Vec::new();
    let mut ok = Vec::new();
    for team in repo.teams.values() {
        let best = team
            .skills
            .iter()
            .map(|(who, s)| (s.min().get(), who))
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)));
        match best {
            None => unrated.push(ev(
                &team.path,
                1,
                format!("{}: no skills matrix", team.name),
                threshold.clone(),
            )),
            Some((r, who)) => {
                let e = ev(
                    &team.path,
                    1,
                    format!(
                        "{}: best rated {r} in every dimension (@{who}), {} rated",
                        team.name,
                        team.skills.len()
                    ),
                    threshold.clone(),
                );
                if r < min { below.push(e) } else { ok.push(e) }
            }
        }
    }
    if !below.is_empty() {
        return judged(RollbackStatus::Triggered, below);
    }
    if !unrated.is_empty() {
        let files: Vec<_> = unrated.iter().map(|e| e.file.clone()).collect();
        return unknown(
            unrated.into_iter().chain(ok).collect(),
            format!(
                "add `skills:` (each member rated 1-5 in the four dimensions) to {}",
                files.join(", ")
            ),
        );
    }
    judged(RollbackStatus::Clear, ok)
}

fn blueprints_invalid(input: &Input) -> Judgement {
    let Some(names) = input.blueprints.names() else {
        return unknown(
            vec![ev("blueprints/", 0, "blueprints were not evaluated", None)],
            "the built-in blueprints failed their own checks (see the diagnostics)",
        );
    };
    let errors: Vec<_> = input
        .blueprints
        .problems
        .iter()
        .filter(|d| d.is_error())
        .collect();
    let threshold = Some("no blueprint with errors".to_string());
    if errors.is_empty() {
        return judged(
            RollbackStatus::Clear,
            vec![ev(
                "blueprints/",
                0,
                format!("{} blueprints, none with errors", names.len()),
                threshold,
            )],
        );
    }
    judged(
        RollbackStatus::Triggered,
        errors
            .iter()
            .map(|d| {
                ev(
                    d.place.file.clone(),
                    d.place.line,
                    d.message.clone(),
                    threshold.clone(),
                )
            })
            .collect(),
    )
}

fn monitoring_gaps(input: &Input) -> Judgement {
    // The repository's part is the gate's own deliverable: monitoring that alerts.
    let (status, evidence) = gate::run(input, &Check::MonitoringAlerting);
    match status {
        gate::Status::Pass => judged(RollbackStatus::NeedsCloud, evidence),
        gate::Status::Fail => judged(RollbackStatus::Triggered, evidence),
        gate::Status::Unknown => no_adoption(),
    }
}

fn use_case_cost_overrun(repo: &Repository, max_ratio: f64) -> Judgement {
    if let Some(u) = unreadable(repo, &["use-cases"]) {
        return u;
    }
    let threshold = Some(format!("<= {max_ratio}x the estimate"));
    let mut over = Vec::new();
    let mut within = Vec::new();
    let mut undecided = Vec::new();
    let mut waiting = Vec::new();
    let mut estimated = 0;
    for uc in repo.use_cases.values() {
        let estimate = uc.production_estimate.as_ref().map(|e| &e.monthly_cost);
        estimated += usize::from(estimate.is_some());
        match (estimate, &uc.actual_monthly_cost) {
            (Some(est), Some(actual)) if est.currency == actual.currency && est.cents > 0 => {
                let ratio = actual.cents as f64 / est.cents as f64;
                let e = ev(
                    &uc.path,
                    actual.line,
                    format!(
                        "{}: {}/month actual, {}/month estimated ({ratio:.2}x)",
                        uc.title, actual.value, est.value
                    ),
                    threshold.clone(),
                );
                if ratio > max_ratio {
                    over.push(e)
                } else {
                    within.push(e)
                }
            }
            (Some(est), Some(actual)) => undecided.push(ev(
                &uc.path,
                actual.line,
                format!(
                    "{}: actual {} cannot be compared with the estimate {}",
                    uc.title, actual.value, est.value
                ),
                threshold.clone(),
            )),
            (None, Some(actual)) => undecided.push(ev(
                &uc.path,
                actual.line,
                format!(
                    "{}: actual {} and no production_estimate",
                    uc.title, actual.value
                ),
                threshold.clone(),
            )),
            (Some(est), None) => waiting.push(ev(
                &uc.path,
                est.line,
                format!(
                    "{}: estimated {}/month, no actual cost recorded",
                    uc.title, est.value
                ),
                threshold.clone(),
            )),
            (None, None) => {}
        }
    }
    if !over.is_empty() {
        return judged(RollbackStatus::Triggered, over);
    }
    if !undecided.is_empty() {
        return unknown(
            undecided.into_iter().chain(within).chain(waiting).collect(),
            "give each use case with an actual_monthly_cost a production_estimate.monthly_cost above zero, in the same currency",
        );
    }
    if !within.is_empty() {
        return judged(
            RollbackStatus::Clear,
            within.into_iter().chain(waiting).collect(),
        );
    }
    if estimated > 0 {
        return judged(RollbackStatus::NeedsCloud, waiting);
    }
    unknown(
        vec![ev(
            "use-cases/",
            0,
            "no use case with a production estimate",
            threshold,
        )],
        "add use-cases/<id>.yaml with production_estimate.monthly_cost and, once it runs in production, actual_monthly_cost",
    )
}

fn slo_violations(input: &Input) -> Judgement {
    let repo = input.repo;
    if let Some(u) = unreadable(repo, &["slos"]) {
        return u;
    }
    if repo.slos.is_empty() {
        return unknown(
            vec![ev("slos/", 0, "no SLOs", None)],
            "add slos/<endpoint>.yaml for each production endpoint",
        );
    }
    let threshold = Some("every SLO met now".to_string());
    let mut violated = Vec::new();
    let mut met = Vec::new();
    for s in repo.slos.values() {
        let last = s
            .violations
            .iter()
            .max_by_key(|v| v.date)
            .map_or(String::new(), |v| {
                format!("; last violation {} ({})", v.date, v.objective)
            });
        match &s.met_since {
            Some(d) if d.value <= input.today => met.push(ev(
                &s.path,
                d.line,
                format!(
                    "{}: met since {} ({} days){last}",
                    s.endpoint,
                    d.value,
                    days_between(d.value, input.today)
                ),
                threshold.clone(),
            )),
            Some(d) => violated.push(ev(
                &s.path,
                d.line,
                format!("{}: met only from {}{last}", s.endpoint, d.value),
                threshold.clone(),
            )),
            None => violated.push(ev(
                &s.path,
                1,
                format!("{}: not met (no met_since){last}", s.endpoint),
                threshold.clone(),
            )),
        }
    }
    if violated.is_empty() {
        judged(RollbackStatus::Clear, met)
    } else {
        judged(RollbackStatus::Triggered, violated)
    }
}

fn compliance_findings(repo: &Repository) -> Judgement {
    let Some(a) = &repo.adoption else {
        return no_adoption();
    };
    let Some(x) = a.compliance_audits.iter().max_by_key(|x| x.date.value) else {
        return unknown(
            vec![ev(&a.path, 1, "no compliance audit", None)],
            "record each audit under `compliance_audits:` in adoption.yaml (date, auditor, result, findings)",
        );
    };
    let failed = x.result == AuditResult::Failed;
    let value = format!(
        "{} by {}: {}, {} open findings",
        x.date.value,
        x.auditor,
        if failed { "failed" } else { "passed" },
        x.findings
    );
    let status = if failed || x.findings > 0 {
        RollbackStatus::Triggered
    } else {
        RollbackStatus::Clear
    };
    judged(
        status,
        vec![ev(
            &a.path,
            x.date.line,
            value,
            Some("the newest audit passed, no open findings".into()),
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::RollbackStatus::*;
    use super::*;
    use crate::evaluate::BlueprintFacts;
    use crate::load::{self, Snapshot};

    const TODAY: &str = "2026-11-27";

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn adoption(phase: &str, extra: &str) -> String {
        format!("organisation: Test\nphase: {phase}\nroles: {{}}\n{extra}")
    }

    fn repo(files: &[(&str, &str)]) -> Repository {
        let mut snap = Snapshot::default();
        for (path, text) in files {
            let bytes = text.as_bytes().to_vec();
            snap.add(path.to_string(), bytes.len() as u64, || Ok(bytes));
        }
        load::load(&snap).repo
    }

    fn framework() -> Framework {
        load::framework::builtin().expect("the built-in framework loads")
    }

    fn judge_with(files: &[(&str, &str)], trigger: Trigger, bp: &BlueprintFacts) -> Judgement {
        let repo = repo(files);
        let fw = framework();
        judge(
            &Input {
                repo: &repo,
                framework: &fw,
                today: day(TODAY),
                blueprints: bp,
                priced: None,
            },
            &trigger,
        )
    }

    fn judge_on(files: &[(&str, &str)], trigger: Trigger) -> Judgement {
        judge_with(files, trigger, &BlueprintFacts::default())
    }

    fn values(j: &Judgement) -> Vec<String> {
        j.evidence
            .iter()
            .map(|e| format!("{}: {}", place(e), e.value))
            .collect()
    }

    // Shadow AI found after the gate.

    const INVENTORY: &str = "surveyed_on: 2026-10-14\nfindings:\n  - id: old-key\n    kind: api-key-in-repo\n    description: A key.\n    location: github.com/test/a\n    found_on: 2026-03-06\n    status: decommissioned\n  - id: new-vm\n    kind: gpu-vm-outside-iac\n    description: A VM.\n    location: sub-1, westeurope\n    found_on: 2026-10-14\n    status: discovered\n";

    #[test]
    fn shadow_ai_found_after_the_gate_triggers_with_the_finding_line() {
        let a = adoption("enablement", "phase_entered_on: 2026-07-01\n");
        let j = judge_on(
            &[
                ("adoption.yaml", &a),
                ("inventory/shadow-ai.yaml", INVENTORY),
            ],
            Trigger::ShadowAiAfterGate,
        );
        assert_eq!(j.status, Triggered);
        assert_eq!(
            values(&j),
            vec![
                "inventory/shadow-ai.yaml:13: new-vm (GPU VM outside IaC) found on 2026-10-14 at sub-1, westeurope"
            ]
        );
        assert_eq!(
            j.evidence[0].threshold.as_deref(),
            Some("no finding after the gate (2026-07-01)")
        );
    }

    #[test]
    fn shadow_ai_found_before_the_gate_is_clear() {
        let a = adoption("enablement", "phase_entered_on: 2026-10-14\n");
        let j = judge_on(
            &[
                ("adoption.yaml", &a),
                ("inventory/shadow-ai.yaml", INVENTORY),
            ],
            Trigger::ShadowAiAfterGate,
        );
        assert_eq!(j.status, Clear, "a finding on the gate's day was known");
        assert_eq!(
            values(&j),
            vec![
                "inventory/shadow-ai.yaml:1: 2 findings, none found after 2026-10-14; last survey 2026-10-14"
            ]
        );
    }

    #[test]
    fn shadow_ai_without_the_gate_day_or_the_inventory_is_unknown() {
        let j = judge_on(
            &[
                ("adoption.yaml", &adoption("2", "")),
                ("inventory/shadow-ai.yaml", INVENTORY),
            ],
            Trigger::ShadowAiAfterGate,
        );
        assert_eq!(j.status, Unknown);
        assert!(j.hint.unwrap().contains("phase_entered_on"));
        assert_eq!(j.evidence[0].line, 2, "points at `phase:`");

        let a = adoption("2", "phase_entered_on: 2026-07-01\n");
        let j = judge_on(&[("adoption.yaml", &a)], Trigger::ShadowAiAfterGate);
        assert_eq!(j.status, Unknown);
        assert!(j.hint.unwrap().contains("inventory/shadow-ai.yaml"));

        let j = judge_on(
            &[
                ("adoption.yaml", &a),
                ("inventory/shadow-ai.yaml", "surveyed_on: [not a date]\n"),
            ],
            Trigger::ShadowAiAfterGate,
        );
        assert_eq!(j.status, Unknown);
        assert_eq!(
            values(&j),
            vec!["inventory/shadow-ai.yaml: could not be read"]
        );
    }

    // A team unable to execute basic AI infra tasks.

    fn team(skills: &str) -> String {
        format!(
            "name: Search\ngithub_team: test/search\nleads: [alice]\nmembers: [bob]\nmonthly_budget: 1000 USD\n{skills}"
        )
    }

    const ABLE: &str = "skills:\n  alice: { cloud_platform: 3, ai_ml_fundamentals: 2, automation: 4, security_operations: 3 }\n  bob: { cloud_platform: 1, ai_ml_fundamentals: 5, automation: 5, security_operations: 5 }\n";
    const UNABLE: &str = "skills:\n  alice: { cloud_platform: 3, ai_ml_fundamentals: 1, automation: 4, security_operations: 3 }\n  bob: { cloud_platform: 1, ai_ml_fundamentals: 5, automation: 5, security_operations: 5 }\n";

    #[test]
    fn a_team_where_nobody_reaches_the_minimum_everywhere_triggers() {
        let able = team(ABLE);
        let unable = team(UNABLE);
        let files = [
            ("teams/search.yaml", able.as_str()),
            ("teams/fraud.yaml", unable.as_str()),
        ];
        let j = judge_on(&files, Trigger::TeamSkillsBelow { min: 2 });
        assert_eq!(j.status, Triggered);
        assert_eq!(
            values(&j),
            vec!["teams/fraud.yaml:1: Search: best rated 1 in every dimension (@alice), 2 rated"]
        );
        let j = judge_on(&files[..1], Trigger::TeamSkillsBelow { min: 2 });
        assert_eq!(j.status, Clear);
        assert_eq!(
            values(&j),
            vec!["teams/search.yaml:1: Search: best rated 2 in every dimension (@alice), 2 rated"]
        );
        let j = judge_on(&files[..1], Trigger::TeamSkillsBelow { min: 3 });
        assert_eq!(j.status, Triggered, "the threshold is data");
    }

    #[test]
    fn a_team_without_a_skills_matrix_is_unknown() {
        let j = judge_on(
            &[("teams/search.yaml", &team(""))],
            Trigger::TeamSkillsBelow { min: 2 },
        );
        assert_eq!(j.status, Unknown);
        assert!(j.hint.unwrap().contains("teams/search.yaml"));
        let j = judge_on(&[], Trigger::TeamSkillsBelow { min: 2 });
        assert_eq!(j.status, Unknown);
        assert!(j.hint.unwrap().contains("teams/<team>.yaml"));
    }

    // Templates fail.

    #[test]
    fn a_blueprint_with_errors_triggers() {
        let catalogue = crate::render::Catalogue::builtin().expect("built-in blueprints");
        let mut bp = BlueprintFacts {
            catalogue: Some(catalogue),
            problems: vec![Diagnostic::warning(
                Place::new("blueprints/vm/blueprint.yaml", 3, 1),
                crate::model::Code::PublicNetworkAccess,
                "a warning is not a failure",
            )],
        };
        let j = judge_with(&[], Trigger::BlueprintsInvalid, &bp);
        assert_eq!(j.status, Clear);
        bp.problems.push(Diagnostic::error(
            Place::new("blueprints/vm/bicep/main.bicep.tera", 12, 3),
            crate::model::Code::PublicNetworkAccess,
            "publicNetworkAccess is Enabled",
        ));
        let j = judge_with(&[], Trigger::BlueprintsInvalid, &bp);
        assert_eq!(j.status, Triggered);
        assert_eq!(
            values(&j),
            vec!["blueprints/vm/bicep/main.bicep.tera:12: publicNetworkAccess is Enabled"]
        );
        let j = judge_on(&[], Trigger::BlueprintsInvalid);
        assert_eq!(j.status, Unknown, "blueprints not evaluated");
    }

    // Monitoring gaps.

    #[test]
    fn monitoring_gaps_need_the_cloud_unless_the_repository_shows_one() {
        let with = adoption(
            "4",
            "platform:\n  monitoring: { log_analytics_workspace: /subscriptions/x/law, alert_action_group: /subscriptions/x/ag, alert_rules: [gpu-idle] }\n",
        );
        let j = judge_on(&[("adoption.yaml", &with)], Trigger::MonitoringGaps);
        assert_eq!(j.status, NeedsCloud);
        assert_eq!(
            values(&j),
            vec!["adoption.yaml:1: workspace set, action group set, 1 alert rules"]
        );
        let without = adoption("4", "");
        let j = judge_on(&[("adoption.yaml", &without)], Trigger::MonitoringGaps);
        assert_eq!(j.status, Triggered);
        assert_eq!(values(&j), vec!["adoption.yaml:1: no platform.monitoring"]);
        let j = judge_on(&[], Trigger::MonitoringGaps);
        assert_eq!(j.status, Unknown);
        assert!(Trigger::MonitoringGaps.cloud_signal().is_some());
    }

    // Use cases exceed cost projections by more than 50%.

    fn use_case(estimate: Option<&str>, actual: Option<&str>) -> String {
        let mut s = "title: Assistant\nteam: search\nvalidation: { technical: true, operational: true, economic: true, validated_on: 2026-09-01 }\n".to_string();
        if let Some(e) = estimate {
            s.push_str(&format!(
                "production_estimate:\n  compute: 2 x NC24\n  storage: 1 TB\n  networking: private\n  monthly_cost: {e}\n"
            ));
        }
        if let Some(a) = actual {
            s.push_str(&format!("actual_monthly_cost: {a}\n"));
        }
        s
    }

    const OVERRUN: Trigger = Trigger::UseCaseCostOverrun { max_ratio: 1.5 };

    #[test]
    fn an_actual_cost_above_the_ratio_triggers() {
        let over = use_case(Some("1000 USD"), Some("1600 USD"));
        let j = judge_on(&[("use-cases/a.yaml", &over)], OVERRUN);
        assert_eq!(j.status, Triggered);
        assert_eq!(
            values(&j),
            vec![
                "use-cases/a.yaml:9: Assistant: 1600 USD/month actual, 1000 USD/month estimated (1.60x)"
            ]
        );
        assert_eq!(
            j.evidence[0].threshold.as_deref(),
            Some("<= 1.5x the estimate")
        );
    }

    #[test]
    fn fifty_percent_over_is_not_more_than_fifty_percent() {
        let at = use_case(Some("1000 USD"), Some("1500 USD"));
        let waiting = use_case(Some("900 USD"), None);
        let j = judge_on(
            &[("use-cases/a.yaml", &at), ("use-cases/b.yaml", &waiting)],
            OVERRUN,
        );
        assert_eq!(j.status, Clear);
        assert_eq!(
            values(&j),
            vec![
                "use-cases/a.yaml:9: Assistant: 1500 USD/month actual, 1000 USD/month estimated (1.50x)",
                "use-cases/b.yaml:8: Assistant: estimated 900 USD/month, no actual cost recorded",
            ]
        );
    }

    #[test]
    fn estimates_without_actuals_need_the_cloud() {
        let waiting = use_case(Some("900 USD"), None);
        let j = judge_on(&[("use-cases/b.yaml", &waiting)], OVERRUN);
        assert_eq!(j.status, NeedsCloud);
        assert!(OVERRUN.cloud_signal().unwrap().contains("Cost Management"));
    }

    #[test]
    fn costs_that_cannot_be_compared_are_unknown() {
        let j = judge_on(&[("use-cases/a.yaml", &use_case(None, None))], OVERRUN);
        assert_eq!(j.status, Unknown);
        assert!(j.hint.unwrap().contains("production_estimate"));
        let eur = use_case(Some("1000 USD"), Some("5000 EUR"));
        let j = judge_on(&[("use-cases/a.yaml", &eur)], OVERRUN);
        assert_eq!(j.status, Unknown);
        assert!(j.hint.unwrap().contains("same currency"));
        let zero = use_case(Some("0 USD"), Some("10 USD"));
        assert_eq!(
            judge_on(&[("use-cases/a.yaml", &zero)], OVERRUN).status,
            Unknown
        );
        let no_estimate = use_case(None, Some("10 USD"));
        assert_eq!(
            judge_on(&[("use-cases/a.yaml", &no_estimate)], OVERRUN).status,
            Unknown
        );
    }

    // SLO violations.

    fn slo(met_since: Option<&str>) -> String {
        let met = met_since.map_or(String::new(), |d| format!("met_since: {d}\n"));
        format!(
            "endpoint: Chat API\nteam: search\nobjectives: {{ availability_percent: 99.9, latency_p99_ms: 800 }}\n{met}violations:\n  - {{ date: 2026-10-01, objective: latency_p99_ms }}\n"
        )
    }

    #[test]
    fn an_slo_not_met_now_triggers() {
        let j = judge_on(&[("slos/chat.yaml", &slo(None))], Trigger::SloViolations);
        assert_eq!(j.status, Triggered);
        assert_eq!(
            values(&j),
            vec![
                "slos/chat.yaml:1: Chat API: not met (no met_since); last violation 2026-10-01 (latency_p99_ms)"
            ]
        );
        let j = judge_on(
            &[("slos/chat.yaml", &slo(Some("2026-12-01")))],
            Trigger::SloViolations,
        );
        assert_eq!(
            j.status, Triggered,
            "met only from a later day is not met now"
        );
        let j = judge_on(
            &[("slos/chat.yaml", &slo(Some("2026-10-02")))],
            Trigger::SloViolations,
        );
        assert_eq!(j.status, Clear);
        assert_eq!(
            values(&j),
            vec![
                "slos/chat.yaml:4: Chat API: met since 2026-10-02 (56 days); last violation 2026-10-01 (latency_p99_ms)"
            ]
        );
        let j = judge_on(&[], Trigger::SloViolations);
        assert_eq!(j.status, Unknown);
        assert!(j.hint.unwrap().contains("slos/<endpoint>.yaml"));
    }

    // Compliance findings.

    #[test]
    fn an_audit_with_open_findings_triggers() {
        let audit = |result: &str, findings: u32| {
            adoption(
                "6",
                &format!(
                    "compliance_audits:\n  - {{ date: 2026-01-10, auditor: Old, result: failed, findings: 9 }}\n  - {{ date: 2026-09-01, auditor: Fabrikam, result: {result}, findings: {findings} }}\n"
                ),
            )
        };
        let j = judge_on(
            &[("adoption.yaml", &audit("passed", 0))],
            Trigger::ComplianceFindings,
        );
        assert_eq!(j.status, Clear, "the newest audit decides");
        assert_eq!(
            values(&j),
            vec!["adoption.yaml:6: 2026-09-01 by Fabrikam: passed, 0 open findings"]
        );
        let j = judge_on(
            &[("adoption.yaml", &audit("passed", 2))],
            Trigger::ComplianceFindings,
        );
        assert_eq!(j.status, Triggered);
        let j = judge_on(
            &[("adoption.yaml", &audit("failed", 0))],
            Trigger::ComplianceFindings,
        );
        assert_eq!(j.status, Triggered);
        let j = judge_on(
            &[("adoption.yaml", &adoption("6", ""))],
            Trigger::ComplianceFindings,
        );
        assert_eq!(j.status, Unknown);
        assert!(j.hint.unwrap().contains("compliance_audits"));
    }

    // The criteria of the current phase.

    fn current_of(files: &[(&str, &str)]) -> Option<RollbackCriteria> {
        let repo = repo(files);
        let fw = framework();
        current(&Input {
            repo: &repo,
            framework: &fw,
            today: day(TODAY),
            blueprints: &BlueprintFacts::default(),
            priced: None,
        })
    }

    #[test]
    fn the_current_phase_is_judged_by_the_gate_it_was_entered_through() {
        assert!(current_of(&[("adoption.yaml", &adoption("1", ""))]).is_none());
        assert!(current_of(&[]).is_none());
        let r = current_of(&[("adoption.yaml", &adoption("6", ""))]).unwrap();
        assert_eq!(
            (r.gate.as_str(), r.phase, r.to),
            ("5-6", Phase::ContinuousAdoption, Phase::ScaleAndGovernance)
        );
        let got: Vec<_> = r
            .criteria
            .iter()
            .map(|c| (c.id.as_str(), c.trigger, c.status))
            .collect();
        assert_eq!(
            got,
            vec![
                ("slo-violations", "slo-violations", Unknown),
                ("compliance-findings", "compliance-findings", Unknown),
            ]
        );
        assert!(!r.triggered);
        assert_eq!(r.rollback_reason(), None);
    }

    #[test]
    fn the_rollback_reason_names_each_triggered_criterion_and_its_evidence() {
        let a = adoption("5", "phase_entered_on: 2026-10-01\n");
        let over = use_case(Some("1000 USD"), Some("2000 USD"));
        let r = current_of(&[("adoption.yaml", &a), ("use-cases/a.yaml", &over)]).unwrap();
        assert_eq!(r.gate, "4-5");
        assert_eq!(r.entered_on, Some(day("2026-10-01")));
        assert!(r.triggered);
        assert_eq!(
            r.rollback_reason().unwrap(),
            "Use cases exceed cost projections by more than 50% (use-cases/a.yaml:9: Assistant: 2000 USD/month actual, 1000 USD/month estimated (2.00x))"
        );
    }
}
