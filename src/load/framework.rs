//! The framework as data: the built-in `phases/` embedded in the binary, with an
//! organisation's threshold overrides (`phases/overrides.yaml`) applied.

use super::yaml;
use crate::model::Code;
use crate::model::*;

/// The built-in phase files, in order, as embedded at build time.
pub const BUILTIN: [(&str, &str); 7] = [
    (
        "phases/policies.yaml",
        include_str!("../../phases/policies.yaml"),
    ),
    (
        "phases/1-diagnostic.yaml",
        include_str!("../../phases/1-diagnostic.yaml"),
    ),
    (
        "phases/2-enablement.yaml",
        include_str!("../../phases/2-enablement.yaml"),
    ),
    (
        "phases/3-infrastructure-preparation.yaml",
        include_str!("../../phases/3-infrastructure-preparation.yaml"),
    ),
    (
        "phases/4-experimentation.yaml",
        include_str!("../../phases/4-experimentation.yaml"),
    ),
    (
        "phases/5-scale-and-governance.yaml",
        include_str!("../../phases/5-scale-and-governance.yaml"),
    ),
    (
        "phases/6-continuous-adoption.yaml",
        include_str!("../../phases/6-continuous-adoption.yaml"),
    ),
];

/// Parses the built-in framework. Its files are part of adoptbot; a failure here is a bug
/// that the test suite catches, reported as diagnostics all the same.
pub fn builtin() -> Result<Framework, Vec<Diagnostic>> {
    // Parsed once per process: every analysis of a long-lived process starts from it.
    static BUILT: std::sync::OnceLock<Result<Framework, Vec<Diagnostic>>> =
        std::sync::OnceLock::new();
    BUILT.get_or_init(parse_builtin).clone()
}

fn parse_builtin() -> Result<Framework, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let policies = yaml::parse::<Policies>(BUILTIN[0].0, BUILTIN[0].1, "policies.schema.json")
        .map_err(|d| diags.push(d))
        .ok();
    let mut phases = Vec::new();
    for (path, text) in &BUILTIN[1..] {
        match yaml::parse::<PhaseDef>(path, text, "phase.schema.json") {
            Ok(p) => phases.push(p),
            Err(d) => diags.push(d),
        }
    }
    match policies {
        Some(policies) if diags.is_empty() => {
            let fw = Framework { policies, phases };
            let order: Vec<_> = fw.phases.iter().map(|p| p.phase).collect();
            if order != Phase::ALL {
                return Err(vec![Diagnostic::error(
                    Place::file("phases/"),
                    Code::FrameworkOrder,
                    "the built-in phases are not the six phases in order",
                )]);
            }
            Ok(fw)
        }
        _ => Err(diags),
    }
}

/// Applies an organisation's overrides. Unknown gates or deliverables, and overrides that
/// change a check rather than its thresholds, are errors; the framework stays as it was there.
pub fn apply_overrides(
    mut fw: Framework,
    overrides: &Doc<FrameworkOverrides>,
) -> (Framework, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let p = &overrides.value.policies;
    let pol = &mut fw.policies;
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = &p.$f { pol.$f = v.clone(); } )* };
    }
    set!(
        focus_below_rating,
        time_boxes,
        max_renewals,
        review_every_months,
        sandbox_idle_flag,
        sandbox_idle_decommission,
        quota_reclaim_below_percent,
        quota_reclaim_after,
        budget_alerts_percent,
        sandbox_active_cpu_percent,
        big_bang_after_months,
        managed_alternatives
    );

    let gate_ids: Vec<String> = fw.gates().map(|(_, g)| g.id.clone()).collect();
    for (gate_id, items) in &overrides.value.gates {
        let Some(gate) = fw
            .phases
            .iter_mut()
            .filter_map(|p| p.exit_gate.as_mut())
            .find(|g| &g.id == gate_id)
        else {
            diags.push(unknown_gate(overrides, gate_id, &gate_ids));
            continue;
        };
        for (id, check) in items {
            match gate.deliverables.iter_mut().find(|d| &d.id == id) {
                Some(d) if d.check.name() == check.name() => d.check = check.value.clone(),
                Some(d) => diags.push(
                    Diagnostic::error(overrides.at(check), Code::OverrideChangesCheck, format!("`{id}` of gate {gate_id} is checked by `{}`; an override may change its thresholds only, not make it `{}`", d.check.name(), check.name()))
                        .with_hint(format!("write `{}` with the thresholds you want", d.check.name())),
                ),
                None => diags.push(unknown_item(overrides, check, gate_id, id, gate.deliverables.iter().map(|d| d.id.as_str()), "deliverable")),
            }
        }
    }
    for (gate_id, items) in &overrides.value.rollback {
        let Some(gate) = fw
            .phases
            .iter_mut()
            .filter_map(|p| p.exit_gate.as_mut())
            .find(|g| &g.id == gate_id)
        else {
            diags.push(unknown_gate(overrides, gate_id, &gate_ids));
            continue;
        };
        for (id, trigger) in items {
            match gate.rollback.iter_mut().find(|r| &r.id == id) {
                Some(r) if std::mem::discriminant(&r.trigger) == std::mem::discriminant(&trigger.value) => r.trigger = trigger.value.clone(),
                Some(_) => diags.push(
                    Diagnostic::error(overrides.at(trigger), Code::OverrideChangesCheck, format!("rollback criterion `{id}` of gate {gate_id} has another trigger; an override may change its thresholds only"))
                        .with_hint("keep the trigger and change its thresholds"),
                ),
                None => diags.push(unknown_item(overrides, trigger, gate_id, id, gate.rollback.iter().map(|r| r.id.as_str()), "rollback criterion")),
            }
        }
    }
    (fw, diags)
}

fn unknown_gate(doc: &Doc<FrameworkOverrides>, gate_id: &str, known: &[String]) -> Diagnostic {
    Diagnostic::error(
        doc.place(),
        Code::UnknownGate,
        format!("there is no gate `{gate_id}`"),
    )
    .with_hint(format!("the gates are {}", known.join(", ")))
}

fn unknown_item<'a, T>(
    doc: &Doc<FrameworkOverrides>,
    at: &Located<T>,
    gate: &str,
    id: &Id,
    known: impl Iterator<Item = &'a str>,
    what: &str,
) -> Diagnostic {
    let known: Vec<_> = known.collect();
    Diagnostic::error(
        doc.at(at),
        Code::UnknownDeliverable,
        format!("gate {gate} has no {what} `{id}`"),
    )
    .with_hint(format!("gate {gate} has: {}", known.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_framework_is_the_decision_matrix() {
        let fw = builtin().expect("built-in phases parse");
        let gates: Vec<_> = fw
            .gates()
            .map(|(p, g)| {
                (
                    p.number(),
                    g.id.as_str(),
                    g.approvers.iter().map(Id::as_str).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            gates,
            vec![
                (1, "1-2", vec!["infrastructure-lead", "security-lead"]),
                (2, "2-3", vec!["infrastructure-lead", "management-sponsor"]),
                (3, "3-4", vec!["platform-team-lead"]),
                (
                    4,
                    "4-5",
                    vec!["infrastructure-lead", "business-sponsor", "security-lead"]
                ),
                (5, "5-6", vec!["infrastructure-lead", "compliance"]),
            ]
        );
        assert!(fw.exit_gate(Phase::ContinuousAdoption).is_none());
        assert_eq!(fw.policies.budget_alerts_percent, vec![50, 75, 90]);
    }
}
