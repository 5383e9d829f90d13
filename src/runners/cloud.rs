//! `adoptbot cloud`: what the bot sees in Azure for an adoption repository, read through the
//! Azure adapter or a snapshot, summarised with the calls it took. Reads only.

use crate::cloud::azure::AzureCloud;
use crate::cloud::snapshot::SnapshotCloud;
use crate::cloud::{Cloud, CloudCalls, CloudResult, Identity, Inventory, RegionUsages};
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
