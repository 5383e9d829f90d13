//! Spend (the framework's cost caps, cost tags and budgets at 50/75/90%), and the cost cap
//! Azure enforced (`adoptbot-capped`).
//! - Per experiment: Cost Management's actual cost by the experiment's cost tag, against its
//!   cap, at each of `budget_alerts_percent` (one finding per threshold: the key carries
//!   it), and at 100% an urgent decommission PR. The cloud figure replaces the `spend:`
//!   field when both exist; without cloud spend the field is used.
//! - Per team: month-to-date actual cost by the `team` tag against `monthly_budget`, at the
//!   same thresholds, keyed per month.
//! - Per use case in production: month-to-date cost by a cost tag equal to its id, above the
//!   gate 4 -> 5 rollback trigger's `max_ratio` times its production estimate (see
//!   `rollback.rs` for the criterion).
//! - Capped: a resource tagged `adoptbot-capped: <date>` was stopped by the cap runbook.

use super::{Decommission, Input, Outcome, branch, file, finding, resource};
use crate::evaluate::Lifecycle;
use crate::model::finding::{FindingKind, Urgency};
use crate::model::{Id, Money};
use std::collections::BTreeMap;

/// Cents of a cost figure, rounded.
fn cents(cost: f64) -> i64 {
    (cost * 100.0).round() as i64
}

/// The highest threshold of `thresholds` (percent) that `spent` reaches of `cap`, and
/// whether it reaches 100%. Exact: integer cents.
pub fn crossed(spent: i64, cap: i64, thresholds: &[u32]) -> (Option<u32>, bool) {
    if cap <= 0 {
        return (None, false);
    }
    let reached = |t: u32| spent.saturating_mul(100) >= i64::from(t).saturating_mul(cap);
    let top = thresholds.iter().copied().filter(|t| reached(*t)).max();
    (top, reached(100))
}

fn spend_of(input: &Input, tag: &str, value: &str) -> Option<(f64, Option<String>)> {
    let mut seen = false;
    let mut total = 0.0;
    let mut currency = None;
    for s in input
        .signals
        .spend
        .iter()
        .filter(|s| s.tag.eq_ignore_ascii_case(tag))
    {
        seen = true;
        for r in s
            .rows
            .iter()
            .filter(|r| r.value.eq_ignore_ascii_case(value))
        {
            total += r.cost;
            currency.get_or_insert_with(|| r.currency.clone());
        }
    }
    seen.then_some((total, currency))
}

/// The cloud spend of every started, open experiment by its cost tag, when Cost Management
/// was read for `cost-tag`.
pub fn experiment_spend(input: &Input) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for e in input.experiments() {
        if e.started_on.is_none() || e.lifecycle == Lifecycle::Closed {
            continue;
        }
        let Some(doc) = input.repo().experiments.get(&e.id) else {
            continue;
        };
        if let Some((cost, _)) = spend_of(input, "cost-tag", doc.cost_tag.as_str()) {
            out.insert(e.id.to_string(), cost);
        }
    }
    out
}

/// Month-to-date spend of every team by its `team` tag, when Cost Management was read for it.
pub fn team_spend(input: &Input) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for id in input.repo().teams.keys() {
        if let Some((cost, _)) = spend_of(input, "team", id.as_str()) {
            out.insert(id.to_string(), cost);
        }
    }
    out
}

fn pct(spent: i64, cap: i64) -> String {
    if cap <= 0 {
        return "-".into();
    }
    format!("{:.1}%", spent as f64 * 100.0 / cap as f64)
}

pub fn rule(input: &Input, out: &mut Outcome) {
    experiments(input, out);
    teams(input, out);
    capped(input, out);
}

fn experiments(input: &Input, out: &mut Outcome) {
    let thresholds = &input.policies().budget_alerts_percent;
    for e in input.experiments() {
        if !matches!(
            e.lifecycle,
            Lifecycle::Active | Lifecycle::EndingSoon | Lifecycle::Expired
        ) || !super::is_running(e)
        {
            continue;
        }
        let Some(doc) = input.repo().experiments.get(&e.id) else {
            continue;
        };
        let cap = e.cost_cap;
        let (spent, source) = match spend_of(input, "cost-tag", doc.cost_tag.as_str()) {
            Some((cost, currency)) => {
                if let Some(c) = currency.filter(|c| !c.eq_ignore_ascii_case(cap.currency.as_str()))
                {
                    out.findings.push(finding(
                        format!("spend/{}/currency", e.id),
                        FindingKind::InsufficientData,
                        Urgency::Information,
                        format!("Spend of `{}` is billed in {c}, its cap is in {}", e.id, cap.currency),
                        format!("Cost Management reports the cost tag `{}` in {c}; the cost cap {cap} cannot be compared with it. Write the cap in the billing currency.", doc.cost_tag.value),
                        vec![e.owner.to_string()],
                        vec![file(&e.path)],
                    ));
                    continue;
                }
                (cents(cost), "Cost Management, by its cost tag")
            }
            None => match e.spend {
                Some(m) if m.currency == cap.currency => (m.cents, "the `spend:` field"),
                _ => continue,
            },
        };
        let (top, exhausted) = crossed(spent, cap.cents, thresholds);
        let spent_m = Money::new(spent, cap.currency);
        let said = format!(
            "`{}` has spent {spent_m} of its cost cap of {cap} ({}), by {source}, since {}.",
            e.id,
            pct(spent, cap.cents),
            e.started_on.map(|d| d.to_string()).unwrap_or_default()
        );
        if exhausted {
            let key = format!("spend/{}/100", e.id);
            let mut links = vec![file(&e.path), branch(super::decommission_branch(&e.id))];
            links.dedup();
            out.findings.push(finding(
                key.clone(),
                FindingKind::BudgetExhausted,
                Urgency::ActionNeeded,
                format!("Budget exhausted: `{}`", e.id),
                format!("{said} \"Hard cost caps — budget exhausted, resources deallocated\": the decommission PR is marked urgent."),
                vec![e.owner.to_string()],
                links,
            ));
            if !super::decommissioned_by_default_branch(e) {
                out.decommissions.push(Decommission {
                    experiment: e.id.clone(),
                    why: format!(
                        "budget exhausted, resources deallocated: its spend reached its cost cap of {cap} (by {source})"
                    ),
                    urgent: true,
                    finding: key,
                });
            }
        } else if let Some(t) = top {
            out.findings.push(finding(
                format!("spend/{}/{t}", e.id),
                FindingKind::SpendThreshold,
                if t >= 90 {
                    Urgency::Warning
                } else {
                    Urgency::Information
                },
                format!("`{}` has reached {t}% of its cost cap", e.id),
                format!("{said} At 100% its resources are deallocated and it is decommissioned."),
                vec![e.owner.to_string()],
                vec![file(&e.path)],
            ));
        }
    }
}

fn teams(input: &Input, out: &mut Outcome) {
    let thresholds = &input.policies().budget_alerts_percent;
    let month = input.today.format("%Y-%m");
    for (id, team) in &input.repo().teams {
        let Some((cost, currency)) = spend_of(input, "team", id.as_str()) else {
            continue;
        };
        let budget = team.monthly_budget;
        if currency.is_some_and(|c| !c.eq_ignore_ascii_case(budget.currency.as_str())) {
            continue;
        }
        let spent = cents(cost);
        let (top, over) = crossed(spent, budget.cents, thresholds);
        let t = if over { Some(100) } else { top };
        let Some(t) = t else { continue };
        out.findings.push(finding(
            format!("team-budget/{id}/{month}/{t}"),
            FindingKind::TeamBudget,
            if t >= 90 { Urgency::Warning } else { Urgency::Information },
            format!("Team `{id}` has reached {t}% of its monthly budget"),
            format!(
                "Month to date ({month}), resources tagged `team: {id}` cost {} of the team's monthly budget of {budget} ({}). Review the running experiments before the month ends.",
                Money::new(spent, budget.currency),
                pct(spent, budget.cents)
            ),
            input.team_leads(id.as_str()),
            vec![file(&team.path)],
        ));
    }
}

/// The month-to-date cost of a use case in production (cost tag = its id), when read.
pub fn use_case_cost(input: &Input, id: &Id) -> Option<f64> {
    spend_of(input, "cost-tag", id.as_str()).map(|(c, _)| c)
}

fn capped(input: &Input, out: &mut Outcome) {
    let inv = &input.signals.inventory;
    let mut by_exp: BTreeMap<String, Vec<(&crate::model::cloud::ResourceRow, String)>> =
        BTreeMap::new();
    for r in inv.resources.iter().chain(inv.resource_groups()) {
        if let Some(date) = r.tag(crate::render::CAPPED_TAG) {
            let exp = r.tag("experiment").unwrap_or_default().to_string();
            by_exp.entry(exp).or_default().push((r, date.to_string()));
        }
    }
    for (exp, rows) in by_exp {
        let e = input.experiment(&exp);
        let first = rows
            .iter()
            .map(|(_, d)| d.as_str())
            .min()
            .unwrap_or_default()
            .to_string();
        let names: Vec<String> = rows.iter().map(|(r, _)| format!("`{}`", r.name)).collect();
        let key = format!("capped/{exp}");
        let mut links: Vec<_> = rows.iter().map(|(r, _)| resource(&r.id)).collect();
        if let Some(e) = e {
            links.insert(0, file(&e.path));
            if super::is_open(e) {
                links.push(branch(super::decommission_branch(&e.id)));
            }
        }
        out.findings.push(finding(
            key.clone(),
            FindingKind::Capped,
            Urgency::ActionNeeded,
            format!("Cost cap reached: Azure stopped `{exp}`"),
            format!(
                "The cost cap runbook deallocated {} on {first} (`{}` tag): the experiment's budget reached 100% of its cost cap. Its decommission PR removes the IaC.",
                names.join(", "),
                crate::render::CAPPED_TAG
            ),
            e.map(|e| vec![e.owner.to_string()]).unwrap_or_default(),
            links,
        ));
        if let Some(e) = e
            && super::is_open(e)
            && !super::decommissioned_by_default_branch(e)
        {
            out.decommissions.push(Decommission {
                experiment: e.id.clone(),
                why: format!(
                    "budget exhausted, resources deallocated: Azure's cost cap stopped its compute on {first} (tag `{}`)",
                    crate::render::CAPPED_TAG
                ),
                urgent: true,
                finding: key,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::crossed;
    use crate::model::cloud::Inventory;
    use crate::model::finding::CloudSignals;
    use serde_json::json;

    #[test]
    fn thresholds_are_crossed_exactly_at_their_boundary() {
        // Cents: 49.99 of 100.00 is below 50%.
        let t = [50, 75, 90];
        assert_eq!(crossed(4999, 10000, &t), (None, false));
        assert_eq!(crossed(5000, 10000, &t), (Some(50), false));
        assert_eq!(crossed(7499, 10000, &t), (Some(50), false));
        assert_eq!(crossed(7500, 10000, &t), (Some(75), false));
        assert_eq!(crossed(9000, 10000, &t), (Some(90), false));
        assert_eq!(crossed(9999, 10000, &t), (Some(90), false));
        assert_eq!(crossed(10000, 10000, &t), (Some(90), true));
        assert_eq!(crossed(1, 0, &t), (None, false));
    }

    fn at(cost: f64, field: Option<&str>) -> super::super::Outcome {
        let mut files = repo(
            "experimentation",
            "",
            &[("x", "azure-openai", Some("2026-11-20"))],
        );
        if let Some(f) = field {
            files
                .last_mut()
                .unwrap()
                .1
                .push_str(&format!("spend:\n  to_date: {f}\n  as_of: 2026-11-30\n"));
        }
        let a = analyse(&files, d("2026-12-01"));
        let s = CloudSignals {
            identity: identity(),
            spend: vec![spend(
                "cost-tag",
                "2026-11-20",
                "2026-12-01",
                &[("EXP-X", cost)],
            )],
            ..CloudSignals::default()
        };
        run(&a, &s, &[], d("2026-12-01"))
    }

    #[test]
    fn experiment_spend_at_49_50_75_90_and_100_percent() {
        let spend_keys = |o: &super::super::Outcome| {
            keys(&o.findings)
                .into_iter()
                .filter(|k| k.starts_with("spend/"))
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert!(spend_keys(&at(499.99, None)).is_empty());
        assert_eq!(spend_keys(&at(500.0, None)), ["spend/x/50"]);
        assert_eq!(spend_keys(&at(750.0, None)), ["spend/x/75"]);
        assert_eq!(spend_keys(&at(900.0, None)), ["spend/x/90"]);
        let full = at(1000.0, None);
        assert_eq!(spend_keys(&full), ["spend/x/100"]);
        assert_eq!(full.decommissions.len(), 1);
        assert!(full.decommissions[0].urgent);
        assert!(
            full.decommissions[0]
                .why
                .starts_with("budget exhausted, resources deallocated")
        );
        assert!(at(999.99, None).decommissions.is_empty());
    }

    #[test]
    fn the_cloud_figure_replaces_the_spend_field() {
        // The field says 95%, the cloud 60%: the cloud wins.
        let o = at(600.0, Some("950 USD"));
        assert!(
            keys(&o.findings).contains(&"spend/x/50"),
            "{:?}",
            keys(&o.findings)
        );
        let f = o.findings.iter().find(|f| f.key == "spend/x/50").unwrap();
        assert!(f.detail.contains("by Cost Management"), "{}", f.detail);
    }

    #[test]
    fn without_cloud_spend_the_field_is_read() {
        let mut files = repo(
            "experimentation",
            "",
            &[("x", "azure-openai", Some("2026-11-20"))],
        );
        files
            .last_mut()
            .unwrap()
            .1
            .push_str("spend:\n  to_date: 760 USD\n  as_of: 2026-11-30\n");
        let a = analyse(&files, d("2026-12-01"));
        let o = run(&a, &CloudSignals::default(), &[], d("2026-12-01"));
        let f = o.findings.iter().find(|f| f.key == "spend/x/75").unwrap();
        assert!(f.detail.contains("the `spend:` field"), "{}", f.detail);
    }

    #[test]
    fn team_budget_thresholds_are_keyed_per_month() {
        let a = analyse(&repo("experimentation", "", &[]), d("2026-12-01"));
        let team = |cost: f64| {
            let s = CloudSignals {
                identity: identity(),
                spend: vec![spend(
                    "team",
                    "2026-12-01",
                    "2026-12-01",
                    &[("search", cost)],
                )],
                ..CloudSignals::default()
            };
            keys(&run(&a, &s, &[], d("2026-12-01")).findings)
                .into_iter()
                .filter(|k| k.starts_with("team-budget/"))
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert!(team(4999.99).is_empty());
        assert_eq!(team(5000.0), ["team-budget/search/2026-12/50"]);
        assert_eq!(team(7500.0), ["team-budget/search/2026-12/75"]);
        assert_eq!(team(9000.0), ["team-budget/search/2026-12/90"]);
        assert_eq!(team(10000.0), ["team-budget/search/2026-12/100"]);
    }

    #[test]
    fn a_capped_resource_puts_the_experiment_on_the_dashboard_with_its_decommission() {
        let a = analyse(
            &repo(
                "experimentation",
                "",
                &[("x", "azure-openai", Some("2026-11-20"))],
            ),
            d("2026-12-01"),
        );
        let mut tags = bot_tags("x", "2026-12-18");
        tags["adoptbot-capped"] = json!("2026-11-30");
        let s = CloudSignals {
            identity: identity(),
            inventory: Inventory {
                resources: vec![row(
                    "rg-x",
                    "Microsoft.Compute/virtualMachines",
                    "vm-x",
                    tags,
                    json!({}),
                )],
                containers: vec![],
            },
            ..CloudSignals::default()
        };
        let o = run(&a, &s, &[], d("2026-12-01"));
        let f = o.findings.iter().find(|f| f.key == "capped/x").unwrap();
        assert!(f.detail.contains("on 2026-11-30"), "{}", f.detail);
        assert!(f.links.contains(&crate::model::finding::Link::Branch {
            name: "adoptbot/decommission/x".into()
        }));
        assert_eq!(o.decommissions.len(), 1);
        assert!(o.decommissions[0].urgent);
    }
}
