//! Idle sandboxes ("sandboxes inactive for 14 days get flagged, 30 days get
//! decommissioned"). A sandbox is a running experiment on the `experiment-sandbox`
//! blueprint. Activity in its resource group is:
//! - a write in the Activity Log by anyone other than the bot, the deployment identities of
//!   `azure.deployment_identities`, or Azure itself (no caller, or Azure's own schedules);
//! - or a day on which a compute resource's `Percentage CPU` maximum was above
//!   `sandbox_active_cpu_percent`.
//!
//! Idle days count from the last activity (or the start, or the first day the Activity Log
//! covers). At `sandbox_idle_flag` the sandbox is flagged (owner mentioned once: the key
//! carries the day of the last activity); at `sandbox_idle_decommission` a decommission PR
//! gives the dates of the last activity.

use super::{Decommission, Input, Outcome, file, finding, resource};
use crate::evaluate::{ExperimentState, Lifecycle};
use crate::model::cloud::{Activity, ActivityEvent};
use crate::model::finding::{FindingKind, Urgency};
use chrono::NaiveDate;

/// The Monitor metric that tells busy compute from idle.
pub const CPU_METRIC: &str = "Percentage CPU";

/// What the signals show of one sandbox.
#[derive(Debug, Clone)]
pub struct Sandbox<'a> {
    pub experiment: &'a crate::model::Id,
    pub state: &'a ExperimentState,
    pub resource_group: Option<String>,
    /// The Activity Log read for its resource group, if any.
    pub activity_read: bool,
    /// The last write by a person: (day, caller, operation).
    pub last_write: Option<(NaiveDate, String, String)>,
    /// The last day compute was above the threshold, and its maximum.
    pub last_busy: Option<(NaiveDate, f64)>,
    /// The first day the Activity Log covers.
    pub since: Option<NaiveDate>,
}

impl Sandbox<'_> {
    /// The day of the last activity seen: a person's write or busy compute.
    pub fn last_activity(&self) -> Option<NaiveDate> {
        [
            self.last_write.as_ref().map(|w| w.0),
            self.last_busy.map(|b| b.0),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// The day idleness counts from: the last activity, else the start or the first day
    /// the log covers, whichever is later.
    pub fn idle_from(&self) -> Option<NaiveDate> {
        let floor = [self.state.started_on, self.since]
            .into_iter()
            .flatten()
            .max();
        [self.last_activity(), floor].into_iter().flatten().max()
    }
}

/// Whether an event is Azure's own (no caller, or one of Azure's schedules).
fn by_azure(e: &ActivityEvent) -> bool {
    let caller = e.caller.as_deref().unwrap_or_default().trim();
    let op = e.operation_name.to_ascii_lowercase();
    caller.is_empty()
        || op.starts_with("microsoft.devtestlab/schedules")
        || caller.eq_ignore_ascii_case("Microsoft.Advisor")
        || caller.eq_ignore_ascii_case("Azure Policy")
}

fn failed(e: &ActivityEvent) -> bool {
    e.status
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("failed"))
}

/// The identities whose writes are not a person's: the bot and the deployment identities.
pub fn machine_identities(input: &Input) -> Vec<String> {
    let mut ids: Vec<String> = input
        .signals
        .identity
        .iter()
        .map(|i| i.oid.clone())
        .collect();
    if let Some(a) = input
        .repo()
        .adoption
        .as_ref()
        .and_then(|a| a.azure.as_ref())
    {
        ids.extend(a.deployment_identities.iter().cloned());
    }
    ids
}

/// The resource group of a sandbox: the one tagged with its experiment, else `rg-<id>`.
fn group_of(input: &Input, id: &str) -> Option<String> {
    input
        .signals
        .inventory
        .resource_groups()
        .find(|g| super::bot_managed(g) && g.tag("experiment") == Some(id))
        .map(|g| g.name.clone())
        .or_else(|| {
            let name = format!("rg-{id}");
            input
                .signals
                .inventory
                .resources
                .iter()
                .any(|r| r.in_resource_group(&name))
                .then_some(name)
        })
}

/// Every running sandbox with what the signals show of it.
pub fn sandboxes<'a>(input: &Input<'a>) -> Vec<Sandbox<'a>> {
    if !input.has_cloud() {
        return Vec::new();
    }
    let machines = machine_identities(input);
    let threshold = input.policies().sandbox_active_cpu_percent;
    let mut out = Vec::new();
    for e in input.experiments() {
        if e.blueprint.as_str() != super::SANDBOX_BLUEPRINT
            || !super::is_running(e)
            || e.lifecycle == Lifecycle::Closed
        {
            continue;
        }
        let rg = group_of(input, e.id.as_str());
        let logs: Vec<&Activity> = rg
            .as_deref()
            .map(|rg| {
                input
                    .signals
                    .activity
                    .iter()
                    .filter(|a| crate::model::cloud::same_resource_group(&a.resource_group, rg))
                    .collect()
            })
            .unwrap_or_default();
        let last_write = logs
            .iter()
            .flat_map(|a| a.events.iter())
            .filter(|ev| {
                ev.is_write()
                    && !failed(ev)
                    && !by_azure(ev)
                    && !ev.by_any_of(machines.iter().map(String::as_str))
            })
            .max_by_key(|ev| ev.event_timestamp)
            .map(|ev| {
                (
                    ev.event_timestamp.date_naive(),
                    ev.caller.clone().unwrap_or_default(),
                    ev.operation_name.clone(),
                )
            });
        let last_busy = rg.as_deref().and_then(|rg| {
            input
                .signals
                .metrics
                .iter()
                .filter(|m| {
                    crate::model::cloud::resource_group_of(&m.resource_id)
                        .is_some_and(|g| crate::model::cloud::same_resource_group(g, rg))
                        && m.name.eq_ignore_ascii_case(CPU_METRIC)
                })
                .flat_map(|m| m.points.iter())
                .filter_map(|p| {
                    let v = p.maximum.or(p.average)?;
                    (v > threshold).then_some((p.time_stamp.date_naive(), v))
                })
                .max_by(|a, b| a.0.cmp(&b.0))
        });
        out.push(Sandbox {
            experiment: &e.id,
            state: e,
            resource_group: rg,
            activity_read: !logs.is_empty(),
            last_write,
            last_busy,
            since: logs.iter().map(|a| a.since).min(),
        });
    }
    out
}

pub fn rule(input: &Input, out: &mut Outcome) {
    let p = input.policies();
    let flag = i64::from(p.sandbox_idle_flag.in_days());
    let decommission = i64::from(p.sandbox_idle_decommission.in_days());
    for s in sandboxes(input) {
        let e = s.state;
        let Some(rg) = s.resource_group.clone() else {
            continue;
        };
        if !s.activity_read {
            out.findings.push(finding(
                format!("idle-sandbox/{}/needs-data", e.id),
                FindingKind::InsufficientData,
                Urgency::Information,
                format!("Sandbox `{}`: no Activity Log read", e.id),
                format!("The Activity Log of `{rg}` was not read, so whether the sandbox is idle cannot be judged. Give the bot Reader on its subscription."),
                vec![],
                vec![file(&e.path)],
            ));
            continue;
        }
        let Some(from) = s.idle_from() else { continue };
        let idle = (input.today - from).num_days();
        if idle < flag {
            continue;
        }
        let mut seen = Vec::new();
        match &s.last_write {
            Some((d, who, op)) => seen.push(format!(
                "last write by a person on {d} (`{}` by `{}`)",
                op.replace('`', "'"),
                who.replace('`', "'")
            )),
            None => seen.push(format!(
                "no write by a person since {}",
                s.since
                    .or(e.started_on)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            )),
        }
        match s.last_busy {
            Some((d, v)) => seen.push(format!(
                "last day with compute above {}% CPU: {d} ({v:.1}%)",
                p.sandbox_active_cpu_percent
            )),
            None => seen.push(format!(
                "compute never above {}% CPU in the metrics read",
                p.sandbox_active_cpu_percent
            )),
        }
        let since = from.to_string();
        let rg_link = resource(
            input
                .signals
                .inventory
                .resource_groups()
                .find(|g| g.name.eq_ignore_ascii_case(&rg))
                .map(|g| g.id.clone())
                .unwrap_or_else(|| rg.clone()),
        );
        if idle >= decommission {
            let key = format!("idle-sandbox/{}/{since}/decommission", e.id);
            out.findings.push(finding(
                key.clone(),
                FindingKind::IdleSandbox,
                Urgency::ActionNeeded,
                format!("Sandbox `{}` idle for {idle} days: decommission", e.id),
                format!(
                    "Resource group `{rg}` shows no activity for {idle} days ({}). Sandboxes inactive for {decommission} days are decommissioned.",
                    seen.join("; ")
                ),
                vec![e.owner.to_string()],
                vec![file(&e.path), rg_link, super::branch(super::decommission_branch(&e.id))],
            ));
            if !super::decommissioned_by_default_branch(e) {
                out.decommissions.push(Decommission {
                    experiment: e.id.clone(),
                    why: format!(
                        "the sandbox has been idle for {idle} days, since {since}: {}",
                        seen.join("; ")
                    ),
                    urgent: false,
                    finding: key,
                });
            }
        } else {
            out.findings.push(finding(
                format!("idle-sandbox/{}/{since}", e.id),
                FindingKind::IdleSandbox,
                Urgency::Warning,
                format!("Sandbox `{}` idle for {idle} days", e.id),
                format!(
                    "Resource group `{rg}` shows no activity for {idle} days ({}). At {decommission} days idle adoptbot opens a PR that decommissions it; use it, or close the experiment.",
                    seen.join("; ")
                ),
                vec![e.owner.to_string()],
                vec![file(&e.path), rg_link],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::model::cloud::{Activity, ActivityEvent, Inventory, MetricPoint, MetricSeries};
    use crate::model::finding::CloudSignals;
    use serde_json::json;

    fn event(day: &str, caller: &str, op: &str) -> ActivityEvent {
        ActivityEvent {
            caller: Some(caller.into()),
            operation_name: op.into(),
            status: Some("Succeeded".into()),
            event_timestamp: format!("{day}T10:00:00Z").parse().unwrap(),
            resource_group_name: Some("RG-BOX".into()),
            resource_id: None,
            action: None,
            oid: None,
        }
    }

    /// A sandbox started on 2026-10-01 (4w, renewed twice: running until 2026-12-24), with
    /// a person's last write on `last`, judged on `today`.
    fn judge(last: &str, today: &str, cpu: Option<(&str, f64)>) -> Vec<String> {
        judge_with(last, today, cpu, None)
    }

    fn judge_with(
        last: &str,
        today: &str,
        cpu: Option<(&str, f64)>,
        overrides: Option<&str>,
    ) -> Vec<String> {
        let mut files = repo(
            "experimentation",
            "",
            &[("box", "experiment-sandbox", Some("2026-10-01"))],
        );
        if let Some(o) = overrides {
            files.push(("phases/overrides.yaml".into(), o.into()));
        }
        // Keep it within its time box for the test dates.
        files.last_mut().unwrap().1 = files.last().unwrap().1.replace("time_box: 4w", "time_box: 4w\nrenewals:\n  - { duration: 4w, reason: more }\n  - { duration: 4w, reason: more }");
        let a = analyse(&files, d(today));
        let vm = row(
            "rg-box",
            "Microsoft.Compute/virtualMachines",
            "vm-box",
            bot_tags("box", "2026-12-24"),
            json!({}),
        );
        let metrics = cpu
            .map(|(day, v)| {
                vec![MetricSeries {
                    resource_id: vm.id.clone(),
                    name: "Percentage CPU".into(),
                    unit: "Percent".into(),
                    points: vec![MetricPoint {
                        time_stamp: format!("{day}T00:00:00Z").parse().unwrap(),
                        maximum: Some(v),
                        average: Some(v / 2.0),
                    }],
                }]
            })
            .unwrap_or_default();
        let s = CloudSignals {
            identity: identity(),
            inventory: Inventory {
                resources: vec![vm],
                containers: vec![group("rg-box", bot_tags("box", "2026-12-24"))],
            },
            activity: vec![Activity {
                subscription_id: SUB.into(),
                resource_group: "RG-BOX".into(),
                since: d("2026-09-01"),
                events: vec![
                    event(
                        last,
                        "dave@test.example",
                        "Microsoft.Compute/virtualMachines/write",
                    ),
                    // Neither the bot, the deployer, Azure, a read nor a failure is activity.
                    event("2026-11-28", "bot-oid", "Microsoft.Resources/tags/write"),
                    event(
                        "2026-11-28",
                        "deployer-oid",
                        "Microsoft.Resources/deployments/write",
                    ),
                    event(
                        "2026-11-28",
                        "",
                        "Microsoft.Compute/virtualMachines/deallocate/action",
                    ),
                    event(
                        "2026-11-28",
                        "dave@test.example",
                        "Microsoft.Compute/virtualMachines/read",
                    ),
                    ActivityEvent {
                        status: Some("Failed".into()),
                        ..event(
                            "2026-11-28",
                            "dave@test.example",
                            "Microsoft.Compute/virtualMachines/write",
                        )
                    },
                ],
            }],
            metrics,
            ..CloudSignals::default()
        };
        let o = run(&a, &s, &[], d(today));
        assert_eq!(o.observation.sandbox_last_activity.len(), 1);
        let mut k: Vec<String> = keys(&o.findings)
            .into_iter()
            .filter(|k| k.starts_with("idle-sandbox/"))
            .map(String::from)
            .collect();
        k.extend(
            o.decommissions
                .iter()
                .map(|x| format!("decommission {}: {}", x.experiment, x.why)),
        );
        k
    }

    #[test]
    fn flagged_at_14_days_not_13() {
        assert!(judge("2026-11-17", "2026-11-30", None).is_empty());
        assert_eq!(
            judge("2026-11-16", "2026-11-30", None),
            ["idle-sandbox/box/2026-11-16"]
        );
    }

    #[test]
    fn decommissioned_at_30_days_not_29() {
        assert_eq!(
            judge("2026-11-01", "2026-11-30", None),
            ["idle-sandbox/box/2026-11-01"]
        );
        let k = judge("2026-10-31", "2026-11-30", None);
        assert_eq!(k[0], "idle-sandbox/box/2026-10-31/decommission");
        assert!(k[1].starts_with("decommission box: the sandbox has been idle for 30 days, since 2026-10-31: last write by a person on 2026-10-31"), "{}", k[1]);
    }

    #[test]
    fn the_periods_and_the_cpu_threshold_are_overridable() {
        let o = "policies:\n  sandbox_idle_flag: 10d\n  sandbox_idle_decommission: 20d\n  sandbox_active_cpu_percent: 50\n";
        assert_eq!(
            judge_with("2026-11-20", "2026-11-30", None, Some(o)),
            ["idle-sandbox/box/2026-11-20"]
        );
        // 40% CPU is no longer activity: 20 days idle since the last write, decommissioned.
        let k = judge_with(
            "2026-11-10",
            "2026-11-30",
            Some(("2026-11-25", 40.0)),
            Some(o),
        );
        assert_eq!(k[0], "idle-sandbox/box/2026-11-10/decommission");
    }

    #[test]
    fn busy_compute_is_activity_and_idle_compute_is_not() {
        assert!(judge("2026-10-31", "2026-11-30", Some(("2026-11-20", 5.1))).is_empty());
        // At the threshold (5%) compute is not busy.
        assert_eq!(
            judge("2026-10-31", "2026-11-30", Some(("2026-11-20", 5.0)))[0],
            "idle-sandbox/box/2026-10-31/decommission"
        );
    }
}
