//! The snapshot adapter (`--cloud snapshot:DIR`): the same ARM answers, read from files, so
//! that `report` and `demo` work offline. The layout (see `docs/cloud.md` for the `az`
//! commands that produce each file):
//!
//! - `identity.json`: `{ "oid": "...", "tenant_id": "..." }`, the bot's identity;
//! - `resources.json`: Resource Graph output (`az graph query` prints it), `Resources` and
//!   `ResourceContainers` rows alike (told apart by `type`); `containers.json` optionally;
//! - `cost/<subscription>/<tag>.json`: a Cost Management query answer; absent is zero spend;
//! - `usages/<subscription>/<region>.json` (or `usages/<region>.json` for one subscription):
//!   a Compute usages answer;
//! - `activity/<resource-group>.json`: an Activity Log page, or an array of pages;
//! - `metrics/<resource-group>/<resource-name>.json`: a Monitor metrics answer.
//!
//! A malformed file is an error that names the file and serde_json's line and column.

use super::shapes;
use super::{
    Activity, Api, CallCounter, Cloud, CloudCalls, CloudError, CloudErrorKind, CloudResult,
    Identity, Inventory, MetricSeries, Period, RESOURCE_GROUP_TYPE, RegionUsages,
    SUBSCRIPTION_TYPE, Spend,
};
use crate::model::cloud::{ResourceRow, resource_group_of, same_id, same_resource_group};
use chrono::NaiveDate;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Reads a cloud snapshot directory.
#[derive(Debug)]
pub struct SnapshotCloud {
    dir: PathBuf,
    calls: CallCounter,
}

impl SnapshotCloud {
    /// A snapshot at `dir`; the directory must exist.
    pub fn open(dir: impl Into<PathBuf>) -> CloudResult<Self> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(CloudError::new(
                Api::ResourceGraph,
                format!("file {}", dir.display()),
                CloudErrorKind::NotFound,
                "the cloud snapshot directory does not exist; give --cloud snapshot:DIR with a directory holding resources.json",
            ));
        }
        Ok(SnapshotCloud {
            dir,
            calls: CallCounter::default(),
        })
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Reads a JSON file; `Ok(None)` when it does not exist.
    fn read(&self, api: Api, rel: &str) -> CloudResult<Option<Value>> {
        let path = self.path(rel);
        read_json(api, &path)
    }

    fn file_error(api: Api, path: &Path, msg: impl Into<String>) -> CloudError {
        CloudError::new(
            api,
            format!("file {}", path.display()),
            CloudErrorKind::Malformed,
            msg,
        )
    }
}

fn read_json(api: Api, path: &Path) -> CloudResult<Option<Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CloudError::new(
                api,
                format!("file {}", path.display()),
                CloudErrorKind::Refused,
                format!("cannot read it: {e}"),
            ));
        }
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        SnapshotCloud::file_error(
            api,
            path,
            format!(
                "line {}, column {}: {e}; fix the JSON (it should be the API's answer as `az` prints it)",
                e.line(),
                e.column()
            ),
        )
    })
}

fn safe_segment(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '\\']) && s != "." && s != ".."
}

impl Cloud for SnapshotCloud {
    fn calls(&self) -> CloudCalls {
        self.calls.get()
    }

    async fn identity(&self) -> CloudResult<Identity> {
        self.calls.call(Api::Token);
        let path = self.path("identity.json");
        match self.read(Api::Token, "identity.json")? {
            Some(v) => serde_json::from_value(v).map_err(|e| {
                Self::file_error(
                    Api::Token,
                    &path,
                    format!("{e}; expected {{\"oid\": \"<object id of the bot's identity>\"}}"),
                )
            }),
            None => Err(CloudError::new(
                Api::Token,
                format!("file {}", path.display()),
                CloudErrorKind::NotFound,
                "missing: write the bot's object id as {\"oid\": \"...\"}",
            )),
        }
    }

    async fn inventory(&self, subscriptions: &[String]) -> CloudResult<Inventory> {
        let mut inv = Inventory::default();
        let mut found = false;
        for rel in ["resources.json", "containers.json"] {
            self.calls.call(Api::ResourceGraph);
            let path = self.path(rel);
            let Some(v) = self.read(Api::ResourceGraph, rel)? else {
                continue;
            };
            found = true;
            let page = shapes::graph_page(v)
                .map_err(|m| Self::file_error(Api::ResourceGraph, &path, m))?;
            for row in page.rows {
                let in_scope = row_subscription(&row).is_none_or(|s| {
                    subscriptions.is_empty()
                        || subscriptions.iter().any(|w| w.eq_ignore_ascii_case(s))
                });
                if !in_scope {
                    continue;
                }
                if row.is_type(RESOURCE_GROUP_TYPE) || row.is_type(SUBSCRIPTION_TYPE) {
                    inv.containers.push(row);
                } else {
                    inv.resources.push(row);
                }
            }
        }
        if !found {
            return Err(CloudError::new(
                Api::ResourceGraph,
                format!("file {}", self.path("resources.json").display()),
                CloudErrorKind::NotFound,
                "missing: a snapshot holds resources.json (az graph query output)",
            ));
        }
        Ok(inv)
    }

    async fn spend(&self, subscription: &str, tag: &str, period: Period) -> CloudResult<Spend> {
        self.calls.call(Api::CostManagement);
        let mut spend = Spend {
            subscription_id: subscription.to_owned(),
            tag: tag.to_owned(),
            period,
            rows: vec![],
        };
        if !safe_segment(subscription) || !safe_segment(tag) {
            return Ok(spend);
        }
        let rel = format!("cost/{subscription}/{tag}.json");
        let path = self.path(&rel);
        if let Some(v) = self.read(Api::CostManagement, &rel)? {
            let (rows, _) = shapes::cost_page(&v, subscription, tag, period)
                .map_err(|m| Self::file_error(Api::CostManagement, &path, m))?;
            spend.rows = rows;
        }
        Ok(spend)
    }

    async fn usages(&self, subscription: &str, region: &str) -> CloudResult<RegionUsages> {
        self.calls.call(Api::ComputeUsages);
        let mut out = RegionUsages {
            subscription_id: subscription.to_owned(),
            region: region.to_owned(),
            usages: vec![],
        };
        if !safe_segment(subscription) || !safe_segment(region) {
            return Ok(out);
        }
        let per_sub = format!("usages/{subscription}/{region}.json");
        let rel = if self.path(&format!("usages/{subscription}")).is_dir() {
            per_sub
        } else {
            format!("usages/{region}.json")
        };
        let path = self.path(&rel);
        if let Some(v) = self.read(Api::ComputeUsages, &rel)? {
            let (items, _) = shapes::value_page(v)
                .map_err(|m| Self::file_error(Api::ComputeUsages, &path, m))?;
            out.usages = shapes::usages(items)
                .map_err(|m| Self::file_error(Api::ComputeUsages, &path, m))?;
        }
        Ok(out)
    }

    async fn activity(
        &self,
        subscription: &str,
        resource_group: &str,
        since: NaiveDate,
    ) -> CloudResult<Activity> {
        self.calls.call(Api::ActivityLog);
        let mut out = Activity {
            subscription_id: subscription.to_owned(),
            resource_group: resource_group.to_owned(),
            since,
            events: vec![],
        };
        if !safe_segment(resource_group) {
            return Ok(out);
        }
        let rel = format!("activity/{}.json", resource_group.to_ascii_lowercase());
        let path = self.path(&rel);
        let Some(v) = self.read(Api::ActivityLog, &rel)? else {
            return Ok(out);
        };
        let pages = match v {
            Value::Array(pages) => pages,
            page => vec![page],
        };
        for page in pages {
            let (items, _) = shapes::value_page(page)
                .map_err(|m| Self::file_error(Api::ActivityLog, &path, m))?;
            for item in &items {
                let e = shapes::activity_event(item)
                    .map_err(|m| Self::file_error(Api::ActivityLog, &path, m))?;
                let rg_matches = e
                    .resource_group_name
                    .as_deref()
                    .or_else(|| e.resource_id.as_deref().and_then(resource_group_of))
                    .is_none_or(|g| same_resource_group(g, resource_group));
                if rg_matches && e.event_timestamp.date_naive() >= since {
                    out.events.push(e);
                }
            }
        }
        Ok(out)
    }

    async fn metrics(
        &self,
        resource_id: &str,
        metrics: &[&str],
        period: Period,
    ) -> CloudResult<Vec<MetricSeries>> {
        self.calls.call(Api::Metrics);
        let (Some(rg), Some(name)) = (
            resource_group_of(resource_id),
            resource_id.rsplit('/').find(|s| !s.is_empty()),
        ) else {
            return Ok(vec![]);
        };
        if !safe_segment(rg) || !safe_segment(name) {
            return Ok(vec![]);
        }
        let rel = format!(
            "metrics/{}/{}.json",
            rg.to_ascii_lowercase(),
            name.to_ascii_lowercase()
        );
        let path = self.path(&rel);
        let Some(v) = self.read(Api::Metrics, &rel)? else {
            return Ok(vec![]);
        };
        let mut series = shapes::metrics(&v, resource_id)
            .map_err(|m| Self::file_error(Api::Metrics, &path, m))?;
        series.retain(|s| metrics.iter().any(|m| m.eq_ignore_ascii_case(&s.name)));
        for s in &mut series {
            s.points.retain(|p| {
                let d = p.time_stamp.date_naive();
                d >= period.from && d <= period.to
            });
        }
        Ok(series)
    }
}

fn row_subscription(row: &ResourceRow) -> Option<&str> {
    row.subscription_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .or_else(|| crate::model::cloud::subscription_of(&row.id))
}

/// Whether a resource id belongs to one of the rows (used by tests and callers that hold ids).
pub fn contains_id(rows: &[ResourceRow], id: &str) -> bool {
    rows.iter().any(|r| same_id(&r.id, id))
}
