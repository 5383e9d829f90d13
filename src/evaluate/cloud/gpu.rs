//! GPU hoarding ("use it or lose it: quota below 20% utilization for 30 days gets
//! reclaimed") and quota over-allocation.
//!
//! Use per team, family and region comes from the observations (one a day, today's from the
//! signals): running GPU compute attributed by its `team` tag, Spot VMs under
//! `lowPriorityCores` as Compute usages counts them. An approved `gpu_quota` entry whose use
//! stayed below `quota_reclaim_below_percent` on every one of the last
//! `quota_reclaim_after` days is cut to the observed peak, rounded up to whole VMs of the
//! family, and never below what runs now (or what the team's running experiments request, if
//! more) plus what its requested experiments need. A day without a sample makes the rule say
//! "insufficient history", never guess. An allocation approved less than the period ago is
//! not judged yet.

use super::{Input, Outcome, QuotaCut, Reclaim, branch, file, finding};
use crate::evaluate::Lifecycle;
use crate::model::QuotaStatus;
use crate::model::finding::{FindingKind, Observation, Urgency};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The daily samples of one (team, family, region) over the window, oldest first; `None`
/// for a day without an observation.
pub fn series(
    days: &[NaiveDate],
    by_day: &BTreeMap<NaiveDate, &Observation>,
    team: &str,
    family: &str,
    region: &str,
) -> Vec<Option<u32>> {
    days.iter()
        .map(|d| {
            by_day.get(d).map(|o| {
                o.gpu
                    .iter()
                    .filter(|s| {
                        s.team == team
                            && s.family.eq_ignore_ascii_case(family)
                            && s.region.eq_ignore_ascii_case(region)
                    })
                    .map(|s| s.vcpus)
                    .sum()
            })
        })
        .collect()
}

/// Whether `used` is below `percent` of `quota`, exactly (19.9% is, 20% is not).
pub fn below(used: u32, quota: u32, percent: u32) -> bool {
    u64::from(used) * 100 < u64::from(percent) * u64::from(quota)
}

/// The vCPUs of the smallest VM of a quota family (1 for `lowPriorityCores` or an unknown
/// family).
pub fn vm_step(input: &Input, family: &str) -> u32 {
    input
        .skus
        .skus
        .values()
        .filter(|s| s.family.eq_ignore_ascii_case(family))
        .map(|s| s.vcpus)
        .min()
        .unwrap_or(1)
        .max(1)
}

fn round_up(v: u32, step: u32) -> u32 {
    v.div_ceil(step).saturating_mul(step)
}

pub fn rule(input: &Input, today: &Observation, out: &mut Outcome) {
    over_allocation(input, out);
    if !input.has_cloud() {
        return;
    }
    let p = input.policies();
    let n = p.quota_reclaim_after.in_days().max(1);
    let days: Vec<NaiveDate> = (0..n)
        .rev()
        .filter_map(|back| {
            input
                .today
                .checked_sub_days(chrono::Days::new(u64::from(back)))
        })
        .collect();
    let mut by_day: BTreeMap<NaiveDate, &Observation> = BTreeMap::new();
    for o in input.history {
        if let Some(d) = o.date {
            by_day.insert(d, o);
        }
    }
    by_day.insert(input.today, today);
    let platform_lead = input.role_users(&["platform-team-lead"]);
    for (team_id, team) in &input.repo().teams {
        let mut cuts = Vec::new();
        let mut gap: Option<(usize, NaiveDate)> = None;
        for (index, q) in team.gpu_quota.iter().enumerate() {
            if q.status != QuotaStatus::Approved || q.vcpus == 0 {
                continue;
            }
            // Held for less than the period: not judged yet.
            if q.approved_on.is_some_and(|a| a > days[0]) {
                continue;
            }
            let s = series(&days, &by_day, team_id.as_str(), &q.family, &q.region);
            let sampled = s.iter().filter(|v| v.is_some()).count();
            if sampled < s.len() {
                let first_missing = days[s.iter().position(Option::is_none).unwrap_or(0)];
                gap.get_or_insert((sampled, first_missing));
                continue;
            }
            let values: Vec<u32> = s.into_iter().flatten().collect();
            if !values
                .iter()
                .all(|v| below(*v, q.vcpus, p.quota_reclaim_below_percent))
            {
                continue;
            }
            let peak = values.iter().copied().max().unwrap_or(0);
            let peak_day = days[values.iter().position(|v| *v == peak).unwrap_or(0)];
            let now = values.last().copied().unwrap_or(0);
            let demand = |running: bool| -> u32 {
                input
                    .experiments()
                    .iter()
                    .filter(|e| &e.team == team_id)
                    .filter(|e| {
                        if running {
                            matches!(e.lifecycle, Lifecycle::Active | Lifecycle::EndingSoon)
                        } else {
                            e.lifecycle == Lifecycle::Requested
                        }
                    })
                    .filter_map(|e| e.gpu.as_ref())
                    .filter(|g| {
                        g.family.eq_ignore_ascii_case(&q.family)
                            && g.region.eq_ignore_ascii_case(&q.region)
                    })
                    .map(|g| g.vcpus)
                    .sum()
            };
            let floor = now.max(demand(true)).saturating_add(demand(false));
            let step = vm_step(input, &q.family);
            let to = round_up(peak.max(floor), step);
            let window = format!("{} to {}", days[0], input.today);
            let rows: Vec<String> = days
                .iter()
                .zip(&values)
                .map(|(d, v)| format!("| {d} | {v} |"))
                .collect();
            let evidence = format!(
                "{} daily samples from {window}: below {}% of {} vCPUs ({:.1}) every day; peak {peak} vCPUs on {peak_day}, {now} in use today; running and requested experiments need {floor}; whole VMs of the family are {step} vCPUs.\n\n| day | vCPUs in use |\n|---|---|\n{}",
                values.len(),
                p.quota_reclaim_below_percent,
                q.vcpus,
                f64::from(q.vcpus) * f64::from(p.quota_reclaim_below_percent) / 100.0,
                rows.join("\n")
            );
            let key = format!("gpu-hoarding/{team_id}/{}/{}", q.family, q.region);
            let mut owners = input.team_leads(team_id.as_str());
            for l in &platform_lead {
                super::push_once(&mut owners, l.clone());
            }
            if to >= q.vcpus {
                out.findings.push(finding(
                    key,
                    FindingKind::GpuHoarding,
                    Urgency::Warning,
                    format!(
                        "Team `{team_id}` used under {}% of its {} {} quota for {n} days, but cannot release any",
                        p.quota_reclaim_below_percent, q.family, q.region
                    ),
                    format!(
                        "{} The team's experiments still need {floor} vCPUs of the {} approved, so nothing is reclaimed: check that they run what they requested.",
                        evidence.lines().next().unwrap_or_default(),
                        q.vcpus
                    ),
                    owners,
                    vec![file(&team.path)],
                ));
                continue;
            }
            let reclaim_branch = crate::plan::branch::BotBranch::pull(
                crate::plan::branch::PullKind::Reclaim,
                team_id.clone(),
            )
            .to_string();
            out.findings.push(finding(
                key,
                FindingKind::GpuHoarding,
                Urgency::ActionNeeded,
                format!(
                    "GPU hoarding: team `{team_id}` used under {}% of {} vCPUs of {} in {} for {n} days",
                    p.quota_reclaim_below_percent, q.vcpus, q.family, q.region
                ),
                format!(
                    "{} The reclaim PR lowers the quota from {} to {}.",
                    evidence.lines().next().unwrap_or_default(),
                    q.vcpus,
                    if to == 0 { "nothing (the entry is removed)".to_string() } else { format!("{to} vCPUs") }
                ),
                owners,
                vec![file(&team.path), branch(reclaim_branch)],
            ));
            cuts.push(QuotaCut {
                index,
                line: q.line as usize,
                family: q.family.clone(),
                region: q.region.clone(),
                from: q.vcpus,
                to,
                evidence,
            });
        }
        if let Some((sampled, first)) = gap {
            out.findings.push(finding(
                format!("gpu-history/{team_id}"),
                FindingKind::InsufficientData,
                Urgency::Information,
                format!("GPU use of team `{team_id}`: insufficient history"),
                format!(
                    "insufficient history: {sampled} of the last {n} days have an observation (the first missing is {first}), so whether the team's approved GPU quota is used is not judged. It will be once {n} consecutive days are observed."
                ),
                vec![],
                vec![file(&team.path)],
            ));
        }
        if !cuts.is_empty() {
            let mut reviewers = input.team_leads(team_id.as_str());
            for l in &platform_lead {
                super::push_once(&mut reviewers, l.clone());
            }
            out.reclaims.push(Reclaim {
                team: team_id.clone(),
                path: team.path.clone(),
                cuts,
                reviewers,
            });
        }
    }
}

/// Approved vCPUs of a (family, region): the sum, who holds them, and the names as written.
type Allocation = (u32, Vec<String>, String, String);

/// The teams' approved allocations against the subscriptions' limits, per family and region.
fn over_allocation(input: &Input, out: &mut Outcome) {
    let mut approved: BTreeMap<(String, String), Allocation> = BTreeMap::new();
    for (id, team) in &input.repo().teams {
        for q in &team.gpu_quota {
            if q.status != QuotaStatus::Approved {
                continue;
            }
            let e = approved
                .entry((q.family.to_ascii_lowercase(), q.region.to_ascii_lowercase()))
                .or_insert_with(|| (0, Vec::new(), q.family.clone(), q.region.clone()));
            e.0 = e.0.saturating_add(q.vcpus);
            e.1.push(format!("`{id}` {}", q.vcpus));
        }
    }
    for ((family, region), (sum, teams, fam, reg)) in approved {
        let limits: Vec<i64> = input
            .signals
            .usages
            .iter()
            .filter(|u| u.region.eq_ignore_ascii_case(&region))
            .filter_map(|u| u.get(&family).map(|x| x.limit))
            .collect();
        if limits.is_empty() {
            continue;
        }
        let limit: i64 = limits.iter().sum();
        if i64::from(sum) <= limit {
            continue;
        }
        out.findings.push(finding(
            format!("quota-over-allocation/{fam}/{reg}"),
            FindingKind::QuotaOverAllocation,
            Urgency::Warning,
            format!("{fam} in {reg}: {sum} vCPUs approved to teams, {limit} granted by Azure"),
            format!(
                "The teams' approved allocations ({}) add up to {sum} vCPUs, above the {limit} vCPUs the subscriptions' quota allows in {reg}. Ask Azure for more quota, or lower an allocation in teams/.",
                teams.join(", ")
            ),
            input.role_users(&["platform-team-lead"]),
            vec![file("teams/")],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::below;
    use crate::model::cloud::{Inventory, RegionUsages, Usage, UsageName};
    use crate::model::finding::{CloudSignals, GpuSample, Observation};
    use serde_json::json;

    #[test]
    fn below_is_exact_at_the_boundary() {
        assert!(below(199, 1000, 20));
        assert!(!below(200, 1000, 20));
        assert!(below(0, 8, 20));
    }

    const QUOTA: &str = "  - { family: standardNCASv3_T4Family, region: eastus, vcpus: 1000, status: approved }\n  - { family: standardNCADSA100v4Family, region: eastus, vcpus: 48, status: approved } # kept\n";

    fn history(days: u32, used: u32) -> Vec<Observation> {
        (1..=days)
            .map(|back| Observation {
                date: d("2026-12-01").checked_sub_days(chrono::Days::new(u64::from(back))),
                gpu: vec![
                    GpuSample {
                        team: "search".into(),
                        family: "standardNCASv3_T4Family".into(),
                        region: "eastus".into(),
                        vcpus: used,
                    },
                    GpuSample {
                        team: "search".into(),
                        family: "standardNCADSA100v4Family".into(),
                        region: "eastus".into(),
                        vcpus: 24,
                    },
                ],
                ..Observation::default()
            })
            .collect()
    }

    fn outcome(
        history: &[Observation],
        running: u32,
        experiments: &[(&str, &str, Option<&str>)],
    ) -> super::super::Outcome {
        let a = analyse(
            &repo("experimentation", QUOTA, experiments),
            d("2026-12-01"),
        );
        let vmss = |n: u32| {
            let mut r = row(
                "rg-t",
                "Microsoft.Compute/virtualMachineScaleSets",
                "vmss",
                json!({"team": "search"}),
                json!({"virtualMachineProfile": {"priority": "Regular"}}),
            );
            r.sku = json!({"name": "Standard_NC4as_T4_v3", "capacity": n});
            r
        };
        let mut a100 = row(
            "rg-a",
            "Microsoft.Compute/virtualMachines",
            "vm-a",
            json!({"team": "search"}),
            json!({"hardwareProfile": {"vmSize": "Standard_NC24ads_A100_v4"}}),
        );
        a100.location = Some("EastUS".into());
        let spot = row(
            "rg-s",
            "Microsoft.Compute/virtualMachines",
            "vm-s",
            json!({"team": "search"}),
            json!({"hardwareProfile": {"vmSize": "Standard_NC24ads_A100_v4"}, "priority": "Spot"}),
        );
        let s = CloudSignals {
            identity: identity(),
            inventory: Inventory {
                resources: vec![vmss(running / 4), a100, spot],
                containers: vec![],
            },
            ..CloudSignals::default()
        };
        run(&a, &s, history, d("2026-12-01"))
    }

    #[test]
    fn todays_observation_attributes_by_tag_and_counts_spot_apart() {
        let o = outcome(&[], 8, &[]);
        let gpu: Vec<(&str, &str, u32)> = o
            .observation
            .gpu
            .iter()
            .map(|s| (s.family.as_str(), s.region.as_str(), s.vcpus))
            .collect();
        assert_eq!(
            gpu,
            [
                ("lowPriorityCores", "eastus", 24),
                ("standardNCADSA100v4Family", "eastus", 24),
                ("standardNCASv3_T4Family", "eastus", 8)
            ]
        );
    }

    #[test]
    fn a_gap_in_the_samples_is_insufficient_history() {
        let o = outcome(&history(28, 4), 4, &[]);
        let f = o
            .findings
            .iter()
            .find(|f| f.key == "gpu-history/search")
            .unwrap();
        assert!(
            f.detail
                .starts_with("insufficient history: 29 of the last 30 days"),
            "{}",
            f.detail
        );
        assert!(o.reclaims.is_empty());
    }

    #[test]
    fn reclaimed_below_20_percent_for_30_days_not_at_20() {
        // 199 of 1000 vCPUs (19.9%) every day: reclaimed to the peak in whole 4-vCPU VMs.
        let o = outcome(&history(29, 199), 196, &[]);
        assert_eq!(o.reclaims.len(), 1, "{:?}", keys(&o.findings));
        let cut = &o.reclaims[0].cuts[0];
        assert_eq!((cut.from, cut.to), (1000, 200));
        assert_eq!(o.reclaims[0].reviewers, ["alice", "paula"]);
        // The A100 entry (24 of 48, 50%) is kept.
        assert_eq!(o.reclaims[0].cuts.len(), 1);
        // 200 of 1000 (20%) on one day: kept.
        let mut h = history(29, 100);
        h[5].gpu[0].vcpus = 200;
        assert!(outcome(&h, 100, &[]).reclaims.is_empty());
        // 29 days of history and today make 30; 28 and today do not.
        assert!(outcome(&history(28, 0), 0, &[]).reclaims.is_empty());
    }

    #[test]
    fn never_below_what_runs_plus_what_is_requested() {
        // Peak 8, but a requested experiment needs 1 x NC4as_T4 (4) on top of the 8 running.
        let o = outcome(
            &history(29, 8),
            8,
            &[("train", "gpu-training-cluster", None)],
        );
        assert_eq!(o.reclaims[0].cuts[0].to, 12, "{:?}", o.findings);
        // Nothing used at all and nothing needed: the entry goes.
        let o = outcome(&history(29, 0), 0, &[]);
        assert_eq!(o.reclaims[0].cuts[0].to, 0);
    }

    #[test]
    fn allocations_above_the_subscription_limit_are_reported() {
        let a = analyse(&repo("experimentation", QUOTA, &[]), d("2026-12-01"));
        let usage = |limit| RegionUsages {
            subscription_id: SUB.into(),
            region: "eastus".into(),
            usages: vec![Usage {
                name: UsageName {
                    value: "standardNCASv3_T4Family".into(),
                    localized_value: String::new(),
                },
                current_value: 0,
                limit,
                unit: "Count".into(),
            }],
        };
        let at = |limit| {
            let s = CloudSignals {
                identity: identity(),
                usages: vec![usage(limit)],
                ..CloudSignals::default()
            };
            keys(&run(&a, &s, &[], d("2026-12-01")).findings)
                .into_iter()
                .filter(|k| k.starts_with("quota-over"))
                .count()
        };
        assert_eq!(at(999), 1);
        assert_eq!(at(1000), 0);
    }
}
