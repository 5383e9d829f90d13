//! The framework's five anti-patterns, named where the evidence shows them, each with the
//! seed's remedy. Run last: three of them read the findings of the other rules.
//! - Big Bang: `big_bang_after_months` or more in a platform phase (enablement,
//!   infrastructure preparation) with no experiment request;
//! - Shadow AI: shadow-AI or leaked-key findings;
//! - GPU hoarding: reclaim findings;
//! - Security afterthought: baseline drift, or an organisation's blueprint that drops a
//!   mandatory control;
//! - Build everything: a radar entry for a custom component in Adopt or Trial while one of
//!   its `managed_alternatives` is in Adopt, or resources tagged for an experiment that
//!   adoptbot's IaC did not deploy.

use super::{Input, Outcome, file, finding};
use crate::model::finding::{FindingKind, Urgency};
use crate::model::{Code, Phase, Ring};

pub const BIG_BANG: &str = "\"Big Bang\" — Perfection Before Progress";
pub const SHADOW_AI: &str = "\"Shadow AI\" — The Invisible Risk";
pub const GPU_HOARDING: &str = "\"GPU Hoarding\" — Reserved but Unused";
pub const SECURITY_AFTERTHOUGHT: &str = "\"Security Afterthought\" — Bolting It On Later";
pub const BUILD_EVERYTHING: &str = "\"Build Everything\" — Custom When Managed Exists";

/// The diagnostics that say a blueprint dropped a mandatory control.
const CONTROL_CODES: &[Code] = &[
    Code::BlueprintClaimMissing,
    Code::BlueprintLocalAuth,
    Code::BlueprintNoIdentity,
    Code::BlueprintNoPrivateEndpoint,
    Code::BlueprintPublicNetwork,
    Code::BlueprintNoDiagnostics,
    Code::BlueprintMissingTags,
    Code::BlueprintNoAutoShutdown,
    Code::BlueprintNoCostCap,
    Code::BlueprintNoCapAction,
    Code::BlueprintNoGuardrailPolicy,
];

fn push(
    out: &mut Outcome,
    id: &str,
    name: &str,
    evidence: String,
    remedy: &str,
    links: Vec<crate::model::finding::Link>,
    owners: Vec<String>,
) {
    out.findings.push(finding(
        format!("anti-pattern/{id}"),
        FindingKind::AntiPattern,
        Urgency::Information,
        format!("Anti-pattern {name}"),
        format!("Evidence: {evidence}. Remedy: {remedy}"),
        owners,
        links,
    ));
}

fn count(out: &Outcome, kinds: &[FindingKind]) -> Vec<String> {
    out.findings
        .iter()
        .filter(|f| kinds.contains(&f.kind))
        .map(|f| f.key.clone())
        .collect()
}

pub fn rule(input: &Input, out: &mut Outcome) {
    let repo = input.repo();
    let p = input.policies();
    let leads = input.role_users(&["infrastructure-lead", "platform-team-lead"]);
    // Big Bang.
    if let Some(a) = &repo.adoption
        && matches!(
            a.phase.value,
            Phase::Enablement | Phase::InfrastructurePreparation
        )
        && repo.experiments.is_empty()
        && let Some(since) = a.phase_entered_on.as_ref().map(|d| d.value)
        && crate::evaluate::months_before(input.today, p.big_bang_after_months) >= since
    {
        push(
            out,
            "big-bang",
            BIG_BANG,
            format!(
                "in phase {} since {since}, {} months or more, and no experiment request under experiments/",
                a.phase.value, p.big_bang_after_months
            ),
            "Start with Phase 3's minimum viable platform and iterate.",
            vec![file(&a.path)],
            leads.clone(),
        );
    }
    // Shadow AI.
    let shadow = count(out, &[FindingKind::ShadowAi, FindingKind::LeakedKey]);
    if !shadow.is_empty() {
        push(
            out,
            "shadow-ai",
            SHADOW_AI,
            format!(
                "{} shadow-AI findings ({})",
                shadow.len(),
                shadow.join(", ")
            ),
            "This isn't a technology problem; it's a trust problem. Make the governed path the easy path.",
            vec![file(super::shadow::INVENTORY)],
            leads.clone(),
        );
    }
    // GPU hoarding.
    let hoarding: Vec<String> = out
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::GpuHoarding)
        .map(|f| f.key.clone())
        .collect();
    if !hoarding.is_empty() {
        push(
            out,
            "gpu-hoarding",
            GPU_HOARDING,
            format!(
                "{} GPU quota allocations used below {}% for {} days ({})",
                hoarding.len(),
                p.quota_reclaim_below_percent,
                p.quota_reclaim_after.in_days(),
                hoarding.join(", ")
            ),
            "Implement use-it-or-lose-it: quota below 20% utilization for 30 days gets reclaimed.",
            vec![file("teams/")],
            leads.clone(),
        );
    }
    // Security afterthought.
    let mut security = count(out, &[FindingKind::BaselineDrift]);
    let dropped: Vec<String> = input
        .analysis
        .evaluation
        .diagnostics
        .iter()
        .filter(|d| d.place.file.starts_with("blueprints/") && CONTROL_CODES.contains(&d.code))
        .map(|d| format!("{}:{} {}", d.place.file, d.place.line, d.code.as_str()))
        .collect();
    security.extend(dropped);
    if !security.is_empty() {
        push(
            out,
            "security-afterthought",
            SECURITY_AFTERTHOUGHT,
            format!(
                "security controls turned off or dropped: {}",
                security.join(", ")
            ),
            "If your templates don't include managed identity and private endpoints by default, fix the templates.",
            vec![],
            input.role_users(&["security-lead"]),
        );
    }
    // Build everything.
    let mut custom = Vec::new();
    let mut links = Vec::new();
    for (id, managed) in &p.managed_alternatives {
        let Some(entry) = repo.radar.get(id.as_str()) else {
            continue;
        };
        if !matches!(entry.ring, Ring::Adopt | Ring::Trial) {
            continue;
        }
        let adopted: Vec<&str> = managed
            .iter()
            .filter(|m| {
                repo.radar
                    .get(m.as_str())
                    .is_some_and(|r| r.ring == Ring::Adopt)
            })
            .map(String::as_str)
            .collect();
        if !adopted.is_empty() {
            custom.push(format!(
                "radar `{id}` ({}) is in {:?} while the managed `{}` is in Adopt",
                entry.name,
                entry.ring,
                adopted.join("`, `")
            ));
            links.push(file(&entry.path));
        }
    }
    let bypass: std::collections::BTreeSet<&str> = input
        .signals
        .inventory
        .resources
        .iter()
        .filter(|r| !super::bot_managed(r))
        .filter_map(|r| r.tag("experiment"))
        .filter(|t| input.experiment(t).is_some())
        .collect();
    for e in bypass {
        custom.push(format!("resources tagged `experiment: {e}` were deployed outside adoptbot's IaC (no `managed-by: adoptbot`)"));
    }
    if !custom.is_empty() {
        push(
            out,
            "build-everything",
            BUILD_EVERYTHING,
            custom.join("; "),
            "Every custom component is a maintenance burden. Default to managed services.",
            links,
            leads,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::model::finding::CloudSignals;

    #[test]
    fn big_bang_after_six_months_in_a_platform_phase_without_experiments() {
        // Entered on 2026-01-05 (see the test repository).
        let at = |phase, today| {
            let a = analyse(&repo(phase, "", &[]), d(today));
            keys(&run(&a, &CloudSignals::default(), &[], d(today)).findings)
                .contains(&"anti-pattern/big-bang")
        };
        assert!(!at("enablement", "2026-07-04"));
        assert!(at("enablement", "2026-07-05"));
        assert!(!at("experimentation", "2026-12-01"));
    }

    #[test]
    fn a_custom_component_in_trial_beside_a_managed_one_in_adopt_is_build_everything() {
        let mut files = repo("experimentation", "", &[]);
        let entry = |name: &str, ring: &str| {
            format!(
                "name: {name}\nquadrant: techniques\nring: {ring}\nowner: alice\nlast_reviewed: 2026-11-01\nrationale: r\n"
            )
        };
        files.push((
            "radar/custom-serving-framework.yaml".into(),
            entry("Custom serving", "trial"),
        ));
        files.push((
            "radar/azure-ml-managed-endpoints.yaml".into(),
            entry("Managed endpoints", "adopt"),
        ));
        let a = analyse(&files, d("2026-12-01"));
        let o = run(&a, &CloudSignals::default(), &[], d("2026-12-01"));
        let f = o
            .findings
            .iter()
            .find(|f| f.key == "anti-pattern/build-everything")
            .unwrap();
        assert!(
            f.detail.contains("Default to managed services")
                && f.detail.contains("custom-serving-framework"),
            "{}",
            f.detail
        );
    }
}
