//! The cloud: what is actually running in Azure. The [`Cloud`] trait is the one door to it;
//! the Azure adapter (`azure`, ARM REST with a bearer token) and the snapshot adapter
//! (`snapshot`, the same JSON shapes from files) implement it and return the same plain data
//! (`model::cloud`). The core never knows which one it got.
//!
//! Reads only: no method can change the cloud. The Azure adapter's HTTP layer can express a
//! GET, or a POST to one of the two query endpoints (Resource Graph, Cost Management), and
//! nothing else.

pub mod azure;
pub mod shapes;
pub mod snapshot;

pub use crate::model::cloud::*;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

/// The ARM APIs the bot reads, one per signal (and the token endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// Resource Graph `POST /providers/Microsoft.ResourceGraph/resources`.
    ResourceGraph,
    /// Cost Management `POST /subscriptions/{id}/providers/Microsoft.CostManagement/query`.
    CostManagement,
    /// Compute usages `GET /subscriptions/{id}/providers/Microsoft.Compute/locations/{r}/usages`.
    ComputeUsages,
    /// Activity Log `GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values`.
    ActivityLog,
    /// Azure Monitor metrics `GET {resourceId}/providers/Microsoft.Insights/metrics`.
    Metrics,
    /// The credential's token (and the bot's identity in it).
    Token,
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Api::ResourceGraph => "Resource Graph",
            Api::CostManagement => "Cost Management",
            Api::ComputeUsages => "Compute usages",
            Api::ActivityLog => "Activity Log",
            Api::Metrics => "Azure Monitor metrics",
            Api::Token => "the Azure credential",
        })
    }
}

/// What went wrong, in the terms the runner acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloudErrorKind {
    /// 429 after the retries the adapter allows.
    Throttled,
    /// 404.
    NotFound,
    /// 401 or 403: the identity lacks a role, or its token was refused.
    Unauthorised,
    /// 5xx after the retries, or the network.
    Server,
    /// An answer (or a snapshot file) that is not the documented shape.
    Malformed,
    /// A request the bot refuses to send (a write method, a non-query POST, an http
    /// endpoint that is not loopback), or a configuration it cannot use.
    Refused,
}

impl fmt::Display for CloudErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloudErrorKind::Throttled => "throttled",
            CloudErrorKind::NotFound => "not found",
            CloudErrorKind::Unauthorised => "unauthorised",
            CloudErrorKind::Server => "server error",
            CloudErrorKind::Malformed => "malformed answer",
            CloudErrorKind::Refused => "refused",
        })
    }
}

/// A failed cloud read. Every message names the API and the scope (the subscription, the
/// resource, or the snapshot file) and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{api} ({scope}): {kind}: {message}")]
pub struct CloudError {
    pub api: Api,
    /// `subscription S`, `resource ID`, `file PATH`, or `configuration`.
    pub scope: String,
    pub kind: CloudErrorKind,
    pub message: String,
    /// For [`CloudErrorKind::Throttled`]: what the last answer asked for.
    pub retry_after: Option<Duration>,
}

impl CloudError {
    pub fn new(
        api: Api,
        scope: impl Into<String>,
        kind: CloudErrorKind,
        message: impl Into<String>,
    ) -> Self {
        CloudError {
            api,
            scope: scope.into(),
            kind,
            message: message.into(),
            retry_after: None,
        }
    }
}

pub type CloudResult<T> = Result<T, CloudError>;

/// The calls a cloud adapter made, per API (HTTP requests for Azure, files read for a
/// snapshot), with the retries among them and the waits it chose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CloudCalls {
    pub per_api: BTreeMap<Api, u64>,
    pub retries: u64,
    /// Every pause before a retry, in milliseconds, in order.
    pub waits_ms: Vec<u64>,
}

impl CloudCalls {
    pub fn total(&self) -> u64 {
        self.per_api.values().sum()
    }

    pub fn of(&self, api: Api) -> u64 {
        self.per_api.get(&api).copied().unwrap_or(0)
    }
}

/// A thread-safe [`CloudCalls`] the adapters update.
#[derive(Debug, Default)]
pub struct CallCounter(Mutex<CloudCalls>);

impl CallCounter {
    pub fn call(&self, api: Api) {
        if let Ok(mut c) = self.0.lock() {
            *c.per_api.entry(api).or_default() += 1;
        }
    }

    pub fn retry(&self, wait: Duration) {
        if let Ok(mut c) = self.0.lock() {
            c.retries += 1;
            c.waits_ms
                .push(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
        }
    }

    pub fn get(&self) -> CloudCalls {
        self.0.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// The metrics the bot reads for a resource's utilisation: CPU for VMs and scale sets.
pub const UTILISATION_METRICS: &[&str] = &["Percentage CPU"];

/// The upper bound on pages one paged read follows; more is an error, never a silent cut.
pub const MAX_PAGES: usize = 200;

/// The cloud operations adoptbot uses, all reads. Each is bounded: a run calls `inventory`
/// once, `spend` per subscription and tag, `usages` per subscription and region, and
/// `activity` and `metrics` for active sandboxes only, never per resource in general.
pub trait Cloud {
    /// The calls made so far.
    fn calls(&self) -> CloudCalls;

    /// Who the bot is: the `oid` of its token.
    fn identity(&self) -> impl Future<Output = CloudResult<Identity>> + Send;

    /// The `Resources` and `ResourceContainers` rows of the subscriptions, whole.
    fn inventory(
        &self,
        subscriptions: &[String],
    ) -> impl Future<Output = CloudResult<Inventory>> + Send;

    /// Actual cost in a subscription over a period, grouped by a tag (`team`, `cost-tag`).
    /// No cost (a 204, an empty answer) is an empty [`Spend`], never an error.
    fn spend(
        &self,
        subscription: &str,
        tag: &str,
        period: Period,
    ) -> impl Future<Output = CloudResult<Spend>> + Send;

    /// Compute quota limits and current usage in a subscription and region.
    fn usages(
        &self,
        subscription: &str,
        region: &str,
    ) -> impl Future<Output = CloudResult<RegionUsages>> + Send;

    /// The administrative Activity Log of a resource group since a day.
    fn activity(
        &self,
        subscription: &str,
        resource_group: &str,
        since: NaiveDate,
    ) -> impl Future<Output = CloudResult<Activity>> + Send;

    /// Daily Maximum and Average of `metrics` for one resource over a period.
    fn metrics(
        &self,
        resource_id: &str,
        metrics: &[&str],
        period: Period,
    ) -> impl Future<Output = CloudResult<Vec<MetricSeries>>> + Send;
}
