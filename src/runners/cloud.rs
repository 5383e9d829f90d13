//! `adoptbot cloud`: what the bot sees in Azure for an adoption repository, read through the
//! Azure adapter or a snapshot, summarised with the calls it took. Reads only.

use crate::cloud::azure::AzureCloud;
use crate::cloud::snapshot::SnapshotCloud;
use crate::cloud::{
    Api, Cloud, CloudCalls, CloudResult, Identity, Inventory, Period, RegionUsages,
};
use crate::model::AzureScopes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where the cloud is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudSource {
    Azure,
    Snapshot(PathBuf),
}

impl std::str::FromStr for CloudSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "azure" => Ok(CloudSource::Azure),
            _ => match s.strip_prefix("snapshot:") {
                Some(d) if !d.is_empty() => Ok(CloudSource::Snapshot(PathBuf::from(d))),
                _ => Err(format!(
                    "`{s}` is not a cloud: write `azure` or `snapshot:DIR`"
                )),
            },
        }
    }
}

/// The summary `adoptbot cloud` prints.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub identity: Identity,
    pub subscriptions: Vec<String>,
    pub regions: Vec<String>,
    pub resources: usize,
    pub resource_groups: usize,
    /// Resources per type (lower-case), most first.
    pub by_type: Vec<(String, usize)>,
    /// Resources tagged `managed-by: adoptbot`.
    pub managed_by_adoptbot: usize,
    pub usages: Vec<RegionUsages>,
    pub calls: CloudCalls,
}

/// Reads the inventory, and the usages of every subscription and region.
pub async fn summarise(cloud: &impl Cloud, scopes: &AzureScopes) -> CloudResult<Summary> {
    let identity = cloud.identity().await?;
    let inventory: Inventory = cloud.inventory(&scopes.subscriptions).await?;
    let mut usages = Vec::new();
    for s in &scopes.subscriptions {
        for r in &scopes.regions {
            usages.push(cloud.usages(s, r).await?);
        }
    }
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for r in &inventory.resources {
        *by_type
            .entry(r.resource_type().to_ascii_lowercase())
            .or_default() += 1;
    }
    let mut by_type: Vec<_> = by_type.into_iter().collect();
    by_type.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Summary {
        identity,
        subscriptions: scopes.subscriptions.clone(),
        regions: scopes.regions.clone(),
        resources: inventory.resources.len(),
        resource_groups: inventory.resource_groups().count(),
        by_type,
        managed_by_adoptbot: inventory
            .resources
            .iter()
            .filter(|r| {
                r.tag("managed-by")
                    .is_some_and(|v| v.eq_ignore_ascii_case("adoptbot"))
            })
            .count(),
        usages,
        calls: cloud.calls(),
    })
}

pub fn text(s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "identity: {}", s.identity.oid);
    let _ = writeln!(out, "subscriptions: {}", s.subscriptions.join(", "));
    let _ = writeln!(out, "regions: {}", s.regions.join(", "));
    let _ = writeln!(
        out,
        "resources: {} in {} resource groups ({} managed by adoptbot)",
        s.resources, s.resource_groups, s.managed_by_adoptbot
    );
    for (t, n) in &s.by_type {
        let _ = writeln!(out, "  {n:>4}  {t}");
    }
    let _ = writeln!(out, "GPU and spot quota in use:");
    for u in &s.usages {
        for q in &u.usages {
            let v = q.name.value.to_ascii_lowercase();
            let gpu = v.starts_with("standardn") || v == "lowprioritycores";
            if gpu && (q.current_value > 0 || v != "lowprioritycores") {
                let _ = writeln!(
                    out,
                    "  {} {}: {} / {} {} (subscription {})",
                    u.region, q.name.value, q.current_value, q.limit, q.unit, u.subscription_id
                );
            }
        }
    }
    let per_api = s
        .calls
        .per_api
        .iter()
        .map(|(a, n)| format!("{a} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "calls: {} ({per_api}), {} retries",
        s.calls.total(),
        s.calls.retries
    );
    out
}

/// Runs `adoptbot cloud`: the summary as text or JSON.
pub fn run(scopes: &AzureScopes, source: &CloudSource, json: bool) -> Result<String, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let summary = rt
        .block_on(async {
            match source {
                CloudSource::Azure => {
                    let cloud = AzureCloud::from_env(Some(&scopes.tenant_id))?;
                    summarise(&cloud, scopes).await
                }
                CloudSource::Snapshot(dir) => {
                    let cloud = SnapshotCloud::open(dir)?;
                    summarise(&cloud, scopes).await
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(if json {
        serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())? + "\n"
    } else {
        text(&summary)
    })
}

// ----- The signals of a scheduled run. -----

/// Where a scheduled run is in its reading of the cloud, for a progress display: the API
/// and what it is asked about.
pub type Progress<'a> = &'a (dyn Fn(Api, &str) + Send + Sync);

/// The blueprint whose experiments are sandboxes, watched for inactivity.
pub const SANDBOX_BLUEPRINT: &str = "experiment-sandbox";

/// The days of Activity Log and metrics read for a sandbox: the longest idle period a rule
/// judges (30 days), and a day more to see its boundary.
pub const ACTIVITY_DAYS: u64 = 31;

/// The tags spend is grouped by: an experiment's cost tag, and its team.
pub const SPEND_TAGS: [&str; 2] = ["cost-tag", "team"];

/// Reads every signal a scheduled run needs, bounded: the identity and the inventory once,
/// spend per subscription and tag, usages per subscription and region, and the Activity Log
/// and compute metrics of active sandboxes only. Any failure stops the reading (nothing is
/// written from half the signals) with the API and the scope named.
pub async fn signals(
    cloud: &impl Cloud,
    scopes: &AzureScopes,
    analysis: &crate::Analysis,
    today: chrono::NaiveDate,
    progress: Progress<'_>,
) -> CloudResult<crate::model::finding::CloudSignals> {
    use crate::evaluate::Lifecycle;
    use chrono::{Datelike, Days};
    let subs = &scopes.subscriptions;
    progress(Api::Token, "identity");
    let identity = cloud.identity().await?;
    progress(Api::ResourceGraph, &format!("{} subscriptions", subs.len()));
    let inventory = cloud.inventory(subs).await?;
    let running = |l: Lifecycle| {
        matches!(
            l,
            Lifecycle::Active | Lifecycle::EndingSoon | Lifecycle::Expired
        )
    };
    let experiments = &analysis.evaluation.experiments;
    let month_start = today.with_day(1).unwrap_or(today);
    let since_start = experiments
        .iter()
        .filter(|e| running(e.lifecycle))
        .filter_map(|e| e.started_on)
        .min()
        .unwrap_or(month_start)
        .min(month_start);
    let mut spend = Vec::new();
    for s in subs {
        for tag in SPEND_TAGS {
            let from = if tag == "team" {
                month_start
            } else {
                since_start
            };
            progress(Api::CostManagement, &format!("subscription {s}, by {tag}"));
            spend.push(cloud.spend(s, tag, Period { from, to: today }).await?);
        }
    }
    let mut usages = Vec::new();
    for s in subs {
        for r in &scopes.regions {
            progress(Api::ComputeUsages, &format!("subscription {s}, {r}"));
            usages.push(cloud.usages(s, r).await?);
        }
    }
    let since = today
        .checked_sub_days(Days::new(ACTIVITY_DAYS))
        .unwrap_or(today);
    let (mut activity, mut metrics) = (Vec::new(), Vec::new());
    for e in experiments
        .iter()
        .filter(|e| running(e.lifecycle) && e.blueprint.as_str() == SANDBOX_BLUEPRINT)
    {
        // The blueprints name an experiment's resource group `rg-<id>`.
        let rg_name = format!("rg-{}", e.id);
        let Some(rg) = inventory
            .resource_groups()
            .find(|g| crate::model::cloud::same_resource_group(&g.name, &rg_name))
        else {
            continue;
        };
        let Some(sub) = rg
            .subscription_id
            .clone()
            .or_else(|| crate::model::cloud::subscription_of(&rg.id).map(str::to_owned))
        else {
            continue;
        };
        progress(Api::ActivityLog, &format!("resource group {}", rg.name));
        activity.push(cloud.activity(&sub, &rg.name, since).await?);
        let compute: Vec<String> = inventory
            .in_resource_group(&rg.name)
            .filter(|r| {
                r.is_type("Microsoft.Compute/virtualMachines")
                    || r.is_type("Microsoft.Compute/virtualMachineScaleSets")
            })
            .map(|r| r.id.clone())
            .collect();
        for id in compute {
            progress(Api::Metrics, &id);
            metrics.extend(
                cloud
                    .metrics(
                        &id,
                        crate::cloud::UTILISATION_METRICS,
                        Period {
                            from: since,
                            to: today,
                        },
                    )
                    .await?,
            );
        }
    }
    Ok(crate::model::finding::CloudSignals {
        identity: Some(identity),
        inventory,
        spend,
        usages,
        activity,
        metrics,
        secret_alerts: None,
    })
}

/// The cloud of a run, Azure or a snapshot, chosen at run time.
#[derive(Debug)]
pub enum AnyCloud {
    Azure(Box<AzureCloud>),
    Snapshot(SnapshotCloud),
}

impl AnyCloud {
    /// Opens `source`; Azure takes its credential from the environment, for `tenant`.
    pub fn open(source: &CloudSource, tenant: Option<&str>) -> CloudResult<AnyCloud> {
        Ok(match source {
            CloudSource::Azure => AnyCloud::Azure(Box::new(AzureCloud::from_env(tenant)?)),
            CloudSource::Snapshot(dir) => AnyCloud::Snapshot(SnapshotCloud::open(dir)?),
        })
    }
}

impl Cloud for AnyCloud {
    fn calls(&self) -> CloudCalls {
        match self {
            AnyCloud::Azure(c) => c.calls(),
            AnyCloud::Snapshot(c) => c.calls(),
        }
    }
    async fn identity(&self) -> CloudResult<Identity> {
        match self {
            AnyCloud::Azure(c) => c.identity().await,
            AnyCloud::Snapshot(c) => c.identity().await,
        }
    }
    async fn inventory(&self, subscriptions: &[String]) -> CloudResult<Inventory> {
        match self {
            AnyCloud::Azure(c) => c.inventory(subscriptions).await,
            AnyCloud::Snapshot(c) => c.inventory(subscriptions).await,
        }
    }
    async fn spend(
        &self,
        subscription: &str,
        tag: &str,
        period: Period,
    ) -> CloudResult<crate::cloud::Spend> {
        match self {
            AnyCloud::Azure(c) => c.spend(subscription, tag, period).await,
            AnyCloud::Snapshot(c) => c.spend(subscription, tag, period).await,
        }
    }
    async fn usages(&self, subscription: &str, region: &str) -> CloudResult<RegionUsages> {
        match self {
            AnyCloud::Azure(c) => c.usages(subscription, region).await,
            AnyCloud::Snapshot(c) => c.usages(subscription, region).await,
        }
    }
    async fn activity(
        &self,
        subscription: &str,
        resource_group: &str,
        since: chrono::NaiveDate,
    ) -> CloudResult<crate::cloud::Activity> {
        match self {
            AnyCloud::Azure(c) => c.activity(subscription, resource_group, since).await,
            AnyCloud::Snapshot(c) => c.activity(subscription, resource_group, since).await,
        }
    }
    async fn metrics(
        &self,
        resource_id: &str,
        metrics: &[&str],
        period: Period,
    ) -> CloudResult<Vec<crate::cloud::MetricSeries>> {
        match self {
            AnyCloud::Azure(c) => c.metrics(resource_id, metrics, period).await,
            AnyCloud::Snapshot(c) => c.metrics(resource_id, metrics, period).await,
        }
    }
}
