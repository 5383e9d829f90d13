//! The server's metrics, served at `GET /metrics` in the OpenMetrics text format that
//! Prometheus scrapes (the `prometheus-client` crate).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    pub event: String,
    /// `accepted`, `duplicate`, `ignored`, `bad-signature`, `malformed`, `too-large`,
    /// `processed`, `failed`.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RepoLabels {
    pub repository: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClassLabels {
    /// `read` or `write`.
    pub class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

/// Every metric, cheap to clone (they share their values).
#[derive(Clone)]
pub struct Metrics {
    pub deliveries: Family<DeliveryLabels, Counter>,
    pub queue_depth: Family<RepoLabels, Gauge>,
    pub processing_seconds: Histogram,
    pub github_calls: Family<ClassLabels, Counter>,
    pub github_rate_limit_remaining: Gauge,
    pub arm_calls: Counter,
    pub findings: Family<KindLabels, Gauge>,
    pub writes: Family<KindLabels, Counter>,
    /// Repositories whose `adoption.yaml` schedule the server has read.
    pub scheduled_repositories: Gauge,
}

impl Metrics {
    /// The metrics, and the registry that serves them.
    pub fn new() -> (Metrics, Registry) {
        let m = Metrics {
            deliveries: Family::default(),
            queue_depth: Family::default(),
            processing_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            github_calls: Family::default(),
            github_rate_limit_remaining: Gauge::default(),
            arm_calls: Counter::default(),
            findings: Family::default(),
            writes: Family::default(),
            scheduled_repositories: Gauge::default(),
        };
        let mut r = Registry::with_prefix("adoptbot");
        r.register(
            "deliveries",
            "Webhook deliveries by event and outcome",
            m.deliveries.clone(),
        );
        r.register(
            "queue_depth",
            "Deliveries and scheduled runs waiting, per repository",
            m.queue_depth.clone(),
        );
        r.register(
            "processing_seconds",
            "Time to process one delivery or scheduled run",
            m.processing_seconds.clone(),
        );
        r.register(
            "github_calls",
            "GitHub API calls, reads and writes",
            m.github_calls.clone(),
        );
        r.register(
            "github_rate_limit_remaining",
            "The GitHub rate limit left, as the last answer said",
            m.github_rate_limit_remaining.clone(),
        );
        r.register(
            "arm_calls",
            "Azure Resource Manager calls",
            m.arm_calls.clone(),
        );
        r.register(
            "findings",
            "Findings of the last scheduled report, by kind",
            m.findings.clone(),
        );
        r.register("writes", "Writes to the forge, by kind", m.writes.clone());
        r.register(
            "scheduled_repositories",
            "Repositories whose schedule has been read",
            m.scheduled_repositories.clone(),
        );
        (m, r)
    }

    pub fn delivery(&self, event: &str, outcome: &str) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                event: event.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    pub fn depth(&self, repository: &str) -> Gauge {
        self.queue_depth
            .get_or_create(&RepoLabels {
                repository: repository.to_string(),
            })
            .clone()
    }
}

/// The registry as OpenMetrics text.
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}
