//! Rollback criteria that wait on the cloud (the decision matrix's last column), judged for
//! every gate the adoption has passed:
//! - gate 1 -> 2, "Undiscovered shadow AI found after gate": any shadow-AI resource;
//! - gate 3 -> 4, "Templates fail, monitoring gaps discovered": failed deployments in the
//!   Activity Log read, and running experiments whose resource group has no Log Analytics
//!   workspace;
//! - gate 4 -> 5, "Use cases exceed cost projections by >50%": a use case's month-to-date
//!   cost (cost tag = its id) above the trigger's `max_ratio` times its estimate;
//! - gate 5 -> 6, "SLO violations": Azure Monitor where the endpoint's metric was read
//!   (`Availability` below the objective, a latency metric above it), else "needs data"
//!   naming the metric to wire up.
//!
//! The bot recommends a rollback gate request and never opens one.

use super::{Input, Outcome, file, finding, resource};
use crate::evaluate::Lifecycle;
use crate::model::finding::{FindingKind, Urgency};
use crate::model::{Phase, Trigger};

/// Whether the adoption has passed the gate out of `phase`.
fn past(input: &Input, phase: Phase) -> bool {
    input
        .repo()
        .adoption
        .as_ref()
        .is_some_and(|a| a.phase.value > phase)
}

fn gate_of<'a>(input: &Input<'a>, phase: Phase) -> Option<&'a crate::model::GateDef> {
    input.analysis.framework.exit_gate(phase)
}

fn recommend(input: &Input, phase: Phase) -> String {
    format!(
        "The framework's answer is a rollback to phase {}: adoptbot recommends a gate request that sets `phase: {}` in adoption.yaml with a `Rollback reason:`, and never opens one itself. Current phase: {}.",
        phase,
        phase.slug(),
        input
            .repo()
            .adoption
            .as_ref()
            .map(|a| a.phase.value.to_string())
            .unwrap_or_default()
    )
}

fn triggered(
    input: &Input,
    out: &mut Outcome,
    phase: Phase,
    id: &str,
    title: String,
    evidence: String,
    links: Vec<crate::model::finding::Link>,
) {
    let gate = gate_of(input, phase)
        .map(|g| g.id.clone())
        .unwrap_or_default();
    out.findings.push(finding(
        format!("rollback/{gate}/{id}"),
        FindingKind::RollbackCriterion,
        Urgency::ActionNeeded,
        format!("Rollback criterion of gate {gate} triggered: {title}"),
        format!("{evidence} {}", recommend(input, phase)),
        input.role_users(&["infrastructure-lead"]),
        links,
    ));
}

fn needs_data(
    input: &Input,
    out: &mut Outcome,
    phase: Phase,
    id: &str,
    title: String,
    what: String,
) {
    let gate = gate_of(input, phase)
        .map(|g| g.id.clone())
        .unwrap_or_default();
    out.findings.push(finding(
        format!("rollback/{gate}/{id}/needs-data"),
        FindingKind::InsufficientData,
        Urgency::Information,
        format!("Rollback criterion of gate {gate} needs data: {title}"),
        what,
        vec![],
        vec![],
    ));
}

pub fn rule(input: &Input, out: &mut Outcome) {
    if !input.has_cloud() {
        return;
    }
    // Gate 1 -> 2: shadow AI after the gate.
    if past(input, Phase::Diagnostic) && !out.shadow.is_empty() {
        let names: Vec<String> = out
            .shadow
            .iter()
            .map(|s| format!("`{}` ({})", s.name, s.resource_group))
            .collect();
        let links = out
            .shadow
            .iter()
            .map(|s| resource(&s.resource_id))
            .collect();
        triggered(
            input,
            out,
            Phase::Diagnostic,
            "shadow-ai",
            "undiscovered shadow AI found after the gate".into(),
            format!(
                "{} AI or GPU resources outside IaC and the inventory: {}.",
                names.len(),
                names.join(", ")
            ),
            links,
        );
    }
    // Gate 3 -> 4: failed deployments and monitoring gaps.
    if past(input, Phase::InfrastructurePreparation) {
        let failed: Vec<_> = input
            .signals
            .activity
            .iter()
            .flat_map(|a| a.events.iter().map(move |e| (a, e)))
            .filter(|(_, e)| {
                e.operation_name
                    .eq_ignore_ascii_case("Microsoft.Resources/deployments/write")
                    && e.status
                        .as_deref()
                        .is_some_and(|s| s.eq_ignore_ascii_case("failed"))
            })
            .collect();
        if !failed.is_empty() {
            let list: Vec<String> = failed
                .iter()
                .map(|(a, e)| {
                    format!(
                        "`{}` on {}",
                        a.resource_group,
                        e.event_timestamp.date_naive()
                    )
                })
                .collect();
            triggered(
                input,
                out,
                Phase::InfrastructurePreparation,
                "failed-deployments",
                "templates fail".into(),
                format!(
                    "Failed deployments in the Activity Log read: {}.",
                    list.join(", ")
                ),
                vec![],
            );
        }
        let inv = &input.signals.inventory;
        let gaps: Vec<String> = input
            .experiments()
            .iter()
            .filter(|e| {
                matches!(e.lifecycle, Lifecycle::Active | Lifecycle::EndingSoon)
                    && super::is_running(e)
            })
            .filter(|e| {
                let mine: Vec<_> = inv
                    .resources
                    .iter()
                    .filter(|r| super::bot_managed(r) && r.tag("experiment") == Some(e.id.as_str()))
                    .collect();
                !mine.is_empty()
                    && !mine
                        .iter()
                        .any(|r| r.is_type("Microsoft.OperationalInsights/workspaces"))
            })
            .map(|e| format!("`{}`", e.id))
            .collect();
        if !gaps.is_empty() {
            triggered(
                input,
                out,
                Phase::InfrastructurePreparation,
                "monitoring-gaps",
                "monitoring gaps discovered".into(),
                format!(
                    "Running experiments deployed without their Log Analytics workspace: {}.",
                    gaps.join(", ")
                ),
                vec![],
            );
        }
    }
    // Gate 4 -> 5: cost overrun of use cases in production (a finding in any phase; the
    // rollback criterion once the gate is passed).
    let max_ratio = gate_of(input, Phase::Experimentation)
        .and_then(|g| {
            g.rollback.iter().find_map(|r| match r.trigger {
                Trigger::UseCaseCostOverrun { max_ratio } => Some(max_ratio),
                _ => None,
            })
        })
        .unwrap_or(1.5);
    for (id, uc) in &input.repo().use_cases {
        let (Some(est), Some(cost)) = (
            uc.production_estimate
                .as_ref()
                .map(|e| e.monthly_cost.value),
            super::spend::use_case_cost(input, id),
        ) else {
            continue;
        };
        if est.cents <= 0 {
            continue;
        }
        let cents = (cost * 100.0).round() as i64;
        if cents as f64 <= max_ratio * est.cents as f64 {
            continue;
        }
        let evidence = format!(
            "Use case `{id}` cost {} this month (cost tag `{id}`), {:.2}x its production estimate of {est}/month (threshold {max_ratio}x).",
            crate::model::Money::new(cents, est.currency),
            cents as f64 / est.cents as f64
        );
        out.findings.push(finding(
            format!("cost-overrun/{id}"),
            FindingKind::CostOverrun,
            Urgency::Warning,
            format!("Use case `{id}` exceeds its cost projection"),
            evidence.clone(),
            input.team_leads(uc.team.as_str()),
            vec![file(&uc.path)],
        ));
        if past(input, Phase::Experimentation) {
            triggered(
                input,
                out,
                Phase::Experimentation,
                &format!("cost-overrun/{id}"),
                format!("use case `{id}` exceeds its cost projection"),
                evidence,
                vec![file(&uc.path)],
            );
        }
    }
    // Gate 5 -> 6: SLO violations, from Monitor where the metric is there.
    if past(input, Phase::ScaleAndGovernance) {
        for (id, slo) in &input.repo().slos {
            let series: Vec<_> = input
                .signals
                .metrics
                .iter()
                .filter(|m| m.resource_id.to_ascii_lowercase().contains(id.as_str()))
                .collect();
            let availability = series
                .iter()
                .find(|m| m.name.eq_ignore_ascii_case("Availability"));
            let latency = series
                .iter()
                .find(|m| m.name.to_ascii_lowercase().contains("latency"));
            if availability.is_none() && latency.is_none() {
                needs_data(
                    input,
                    out,
                    Phase::ScaleAndGovernance,
                    &format!("slo/{id}"),
                    format!("SLO `{id}`"),
                    format!(
                        "No Azure Monitor metric of endpoint `{id}` was read: wire up `Availability` (percent) and a p99 latency metric (e.g. `RequestLatency_P99`, milliseconds) on a resource whose id names `{id}`, so the SLOs of {} are judged from Monitor.",
                        slo.path
                    ),
                );
                continue;
            }
            let mut broken = Vec::new();
            if let Some(m) = availability {
                for p in &m.points {
                    if let Some(v) = p.average.or(p.maximum)
                        && v < slo.objectives.availability_percent
                    {
                        broken.push(format!(
                            "availability {v:.2}% on {} (objective {}%)",
                            p.time_stamp.date_naive(),
                            slo.objectives.availability_percent
                        ));
                    }
                }
            }
            if let Some(m) = latency {
                for p in &m.points {
                    if let Some(v) = p.maximum.or(p.average)
                        && v > f64::from(slo.objectives.latency_p99_ms)
                    {
                        broken.push(format!(
                            "p99 latency {v:.0} ms on {} (objective {} ms)",
                            p.time_stamp.date_naive(),
                            slo.objectives.latency_p99_ms
                        ));
                    }
                }
            }
            if !broken.is_empty() {
                triggered(
                    input,
                    out,
                    Phase::ScaleAndGovernance,
                    &format!("slo-violations/{id}"),
                    format!("SLO violations of `{id}`"),
                    format!("Azure Monitor shows: {}.", broken.join("; ")),
                    vec![file(&slo.path)],
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::model::cloud::Inventory;
    use crate::model::finding::CloudSignals;
    use serde_json::json;

    fn shadow_signals() -> CloudSignals {
        CloudSignals {
            identity: identity(),
            inventory: Inventory {
                resources: vec![row(
                    "rg-p",
                    "Microsoft.MachineLearningServices/workspaces",
                    "mlw",
                    json!({}),
                    json!({}),
                )],
                containers: vec![],
            },
            ..CloudSignals::default()
        }
    }

    #[test]
    fn shadow_ai_triggers_the_gate_1_2_criterion_only_past_the_gate() {
        let at = |phase| {
            let a = analyse(&repo(phase, "", &[]), d("2026-12-01"));
            keys(&run(&a, &shadow_signals(), &[], d("2026-12-01")).findings)
                .into_iter()
                .filter(|k| k.starts_with("rollback/"))
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert!(at("diagnostic").is_empty());
        assert_eq!(at("enablement"), ["rollback/1-2/shadow-ai"]);
    }

    #[test]
    fn a_use_case_above_1_5_times_its_estimate_triggers_gate_4_5() {
        let mut files = repo("scale-and-governance", "", &[]);
        files.push(("use-cases/triage.yaml".into(), "title: Triage\nteam: search\nvalidation: { technical: true, operational: true, economic: true, validated_on: 2026-06-01 }\nproduction_estimate: { compute: a, storage: b, networking: c, monthly_cost: 1000 USD }\n".into()));
        let a = analyse(&files, d("2026-12-01"));
        let at = |cost: f64| {
            let s = CloudSignals {
                identity: identity(),
                spend: vec![spend(
                    "cost-tag",
                    "2026-12-01",
                    "2026-12-01",
                    &[("triage", cost)],
                )],
                ..CloudSignals::default()
            };
            keys(&run(&a, &s, &[], d("2026-12-01")).findings)
                .into_iter()
                .filter(|k| k.contains("cost-overrun"))
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert!(at(1500.0).is_empty());
        assert_eq!(
            at(1500.01),
            ["rollback/4-5/cost-overrun/triage", "cost-overrun/triage"]
        );
    }

    #[test]
    fn slo_without_monitor_metrics_needs_data_naming_the_metric() {
        let mut files = repo("continuous-adoption", "", &[]);
        files.push(("slos/chat-api.yaml".into(), "endpoint: Chat API\nteam: search\nobjectives:\n  availability_percent: 99.9\n  latency_p99_ms: 800\nmet_since: 2026-10-01\n".into()));
        let a = analyse(&files, d("2026-12-01"));
        let o = run(&a, &shadow_signals(), &[], d("2026-12-01"));
        let f = o
            .findings
            .iter()
            .find(|f| f.key == "rollback/5-6/slo/chat-api/needs-data")
            .unwrap();
        assert!(
            f.detail.contains("`Availability`") && f.detail.contains("RequestLatency_P99"),
            "{}",
            f.detail
        );
    }
}
