//! The Azure adapter: ARM REST calls with reqwest and a bearer token from azure_identity.
//! Exactly these APIs, and no others (all reads):
//!
//! | signal | API (api-version) |
//! |---|---|
//! | inventory | Resource Graph `POST /providers/Microsoft.ResourceGraph/resources` (2022-10-01), `$skipToken` paging, `$top` 1000 |
//! | spend | Cost Management `POST /subscriptions/{id}/providers/Microsoft.CostManagement/query` (2023-11-01), ActualCost by tag, `nextLink` paging |
//! | quota | Compute usages `GET /subscriptions/{id}/providers/Microsoft.Compute/locations/{region}/usages` (2024-07-01) |
//! | activity | Activity Log `GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values` (2015-04-01) |
//! | utilisation | Monitor metrics `GET {resourceId}/providers/Microsoft.Insights/metrics` (2023-10-01), P1D Maximum,Average |

pub mod credential;
pub mod http;

use self::credential::{CredentialKind, Tokens};
use self::http::{Answer, Backoff, Endpoint, Read, ReadOnlyHttp};
use super::shapes;
use super::{
    Activity, Api, CallCounter, Cloud, CloudCalls, CloudError, CloudErrorKind, CloudResult,
    Identity, Inventory, MAX_PAGES, MetricSeries, Period, RESOURCE_GROUP_TYPE, RegionUsages,
    SUBSCRIPTION_TYPE, Spend,
};
use chrono::NaiveDate;
use serde_json::{Value, json};
use std::sync::Arc;

pub const RESOURCE_GRAPH_API: &str = "2022-10-01";
pub const COST_MANAGEMENT_API: &str = "2023-11-01";
pub const COMPUTE_USAGES_API: &str = "2024-07-01";
pub const ACTIVITY_LOG_API: &str = "2015-04-01";
pub const METRICS_API: &str = "2023-10-01";
/// Resource Graph's page size; the service allows at most 1000.
pub const GRAPH_TOP: u32 = 1000;

/// The Resource Graph queries. The `where` clause only narrows the download; the core
/// filters again.
pub const RESOURCES_QUERY: &str = "Resources | project id, name, type, kind, location, resourceGroup, subscriptionId, tags, sku, properties, identity";
pub const CONTAINERS_QUERY: &str = "ResourceContainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups' or type =~ 'microsoft.resources/subscriptions' | project id, name, type, kind, location, resourceGroup, subscriptionId, tags, sku, properties, identity";

/// The Azure adapter.
#[derive(Debug)]
pub struct AzureCloud {
    http: ReadOnlyHttp,
    tokens: Tokens,
    calls: CallCounter,
}

impl AzureCloud {
    /// From the environment: `ADOPTBOT_ARM_ENDPOINT`, `ADOPTBOT_AZURE_CREDENTIAL` and the
    /// credential's own variables. `tenant` is `adoption.yaml`'s `azure.tenant_id`.
    pub fn from_env(tenant: Option<&str>) -> CloudResult<Self> {
        let env = |k: &str| std::env::var(k).ok();
        let endpoint = Endpoint::parse(
            &env("ADOPTBOT_ARM_ENDPOINT")
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| Endpoint::DEFAULT.to_owned()),
        )?;
        let kind = CredentialKind::choose(&env)?;
        let credential = credential::build(kind, tenant, &env)?;
        Self::new(endpoint, credential, kind.name(), Backoff::default())
    }

    /// With a given endpoint, credential and backoff (tests use a backoff that does not
    /// sleep).
    pub fn new(
        endpoint: Endpoint,
        credential: Arc<dyn azure_core::credentials::TokenCredential>,
        credential_name: &str,
        backoff: Backoff,
    ) -> CloudResult<Self> {
        let tokens = Tokens::new(credential, credential_name, endpoint.scope());
        Ok(AzureCloud {
            http: ReadOnlyHttp::new(endpoint, backoff)?,
            tokens,
            calls: CallCounter::default(),
        })
    }

    async fn send(&self, api: Api, scope: &str, read: &Read) -> CloudResult<Answer> {
        self.http
            .send(api, scope, read, &self.calls, |refresh| {
                self.tokens.get(refresh)
            })
            .await
    }

    fn malformed(api: Api, scope: &str, m: impl Into<String>) -> CloudError {
        CloudError::new(api, scope, CloudErrorKind::Malformed, m)
    }

    /// A `nextLink`, checked to stay on the endpoint (the guard checks it again).
    fn next_url(&self, api: Api, scope: &str, link: &str) -> CloudResult<reqwest::Url> {
        let url = reqwest::Url::parse(link)
            .map_err(|e| Self::malformed(api, scope, format!("nextLink is not a URL: {e}")))?;
        if !self.http.endpoint.owns(&url) {
            return Err(CloudError::new(
                api,
                scope,
                CloudErrorKind::Refused,
                "nextLink leaves the ARM endpoint",
            ));
        }
        Ok(url)
    }

    async fn graph(
        &self,
        subscriptions: &[String],
        query: &str,
    ) -> CloudResult<Vec<super::ResourceRow>> {
        let scope = format!("subscriptions {}", subscriptions.join(", "));
        let url = self.http.endpoint.url(
            "/providers/Microsoft.ResourceGraph/resources",
            &[("api-version", RESOURCE_GRAPH_API)],
        );
        let mut rows = Vec::new();
        let mut skip: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut options = json!({ "$top": GRAPH_TOP, "resultFormat": "objectArray" });
            if let Some(s) = &skip {
                options["$skipToken"] = json!(s);
            }
            let body =
                json!({ "subscriptions": subscriptions, "query": query, "options": options });
            let answer = self
                .send(Api::ResourceGraph, &scope, &Read::Query(url.clone(), body))
                .await?;
            let v = answer
                .body
                .ok_or_else(|| Self::malformed(Api::ResourceGraph, &scope, "an empty answer"))?;
            let page = shapes::graph_page(v)
                .map_err(|m| Self::malformed(Api::ResourceGraph, &scope, m))?;
            rows.extend(page.rows);
            match page.skip_token {
                Some(t) => skip = Some(t),
                None => return Ok(rows),
            }
        }
        Err(Self::malformed(
            Api::ResourceGraph,
            &scope,
            format!("more than {MAX_PAGES} pages; narrow adoption.yaml's azure.subscriptions"),
        ))
    }

    /// Follows `{value, nextLink}` pages from `first`.
    async fn value_pages(
        &self,
        api: Api,
        scope: &str,
        first: reqwest::Url,
    ) -> CloudResult<Vec<Value>> {
        let mut items = Vec::new();
        let mut url = first;
        for _ in 0..MAX_PAGES {
            let answer = self.send(api, scope, &Read::Get(url)).await?;
            let Some(v) = answer.body else {
                return Ok(items);
            };
            let (page, next) = shapes::value_page(v).map_err(|m| Self::malformed(api, scope, m))?;
            items.extend(page);
            match next {
                Some(n) => url = self.next_url(api, scope, &n)?,
                None => return Ok(items),
            }
        }
        Err(Self::malformed(
            api,
            scope,
            format!("more than {MAX_PAGES} pages"),
        ))
    }
}

fn check_segment(api: Api, what: &str, s: &str) -> CloudResult<()> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.()".contains(c))
    {
        return Err(CloudError::new(
            api,
            format!("{what} {s:?}"),
            CloudErrorKind::Refused,
            format!("not a valid {what}; fix adoption.yaml's azure section"),
        ));
    }
    Ok(())
}

impl AzureCloud {
    /// The pauses taken because ARM said few requests were left
    /// (`x-ms-ratelimit-remaining-*`, see [`http::LOW_REMAINING`]).
    pub fn pauses(&self) -> Vec<std::time::Duration> {
        self.http.pauses()
    }
}

impl Cloud for AzureCloud {
    fn calls(&self) -> CloudCalls {
        self.calls.get()
    }

    async fn identity(&self) -> CloudResult<Identity> {
        self.calls.call(Api::Token);
        let token = self.tokens.get(false).await?;
        credential::identity_of(&token)
    }

    async fn inventory(&self, subscriptions: &[String]) -> CloudResult<Inventory> {
        for s in subscriptions {
            check_segment(Api::ResourceGraph, "subscription", s)?;
        }
        if subscriptions.is_empty() {
            return Ok(Inventory::default());
        }
        let resources = self.graph(subscriptions, RESOURCES_QUERY).await?;
        let mut containers = self.graph(subscriptions, CONTAINERS_QUERY).await?;
        // The query's `where` only narrows the download: filter again by type.
        containers.retain(|r| r.is_type(RESOURCE_GROUP_TYPE) || r.is_type(SUBSCRIPTION_TYPE));
        Ok(Inventory {
            resources,
            containers,
        })
    }

    async fn spend(&self, subscription: &str, tag: &str, period: Period) -> CloudResult<Spend> {
        check_segment(Api::CostManagement, "subscription", subscription)?;
        let scope = format!("subscription {subscription}");
        let mut url = self.http.endpoint.url(
            &format!("/subscriptions/{subscription}/providers/Microsoft.CostManagement/query"),
            &[("api-version", COST_MANAGEMENT_API)],
        );
        let body = json!({
            "type": "ActualCost",
            "timeframe": "Custom",
            "timePeriod": {
                "from": format!("{}T00:00:00Z", period.from),
                "to": format!("{}T23:59:59Z", period.to),
            },
            "dataset": {
                "granularity": "None",
                "aggregation": { "totalCost": { "name": "Cost", "function": "Sum" } },
                "grouping": [ { "type": "TagKey", "name": tag } ],
            },
        });
        let mut spend = Spend {
            subscription_id: subscription.to_owned(),
            tag: tag.to_owned(),
            period,
            rows: vec![],
        };
        for _ in 0..MAX_PAGES {
            let answer = self
                .send(
                    Api::CostManagement,
                    &scope,
                    &Read::Query(url.clone(), body.clone()),
                )
                .await?;
            // 204, or an empty body: no cost.
            let Some(v) = answer.body.filter(|_| answer.status != 204) else {
                return Ok(spend);
            };
            let (rows, next) = shapes::cost_page(&v, subscription, tag, period)
                .map_err(|m| Self::malformed(Api::CostManagement, &scope, m))?;
            spend.rows.extend(rows);
            match next {
                Some(n) => url = self.next_url(Api::CostManagement, &scope, &n)?,
                None => return Ok(spend),
            }
        }
        Err(Self::malformed(
            Api::CostManagement,
            &scope,
            format!("more than {MAX_PAGES} pages"),
        ))
    }

    async fn usages(&self, subscription: &str, region: &str) -> CloudResult<RegionUsages> {
        check_segment(Api::ComputeUsages, "subscription", subscription)?;
        check_segment(Api::ComputeUsages, "region", region)?;
        let scope = format!("subscription {subscription}, region {region}");
        let url = self.http.endpoint.url(
            &format!("/subscriptions/{subscription}/providers/Microsoft.Compute/locations/{region}/usages"),
            &[("api-version", COMPUTE_USAGES_API)],
        );
        let items = self.value_pages(Api::ComputeUsages, &scope, url).await?;
        let usages =
            shapes::usages(items).map_err(|m| Self::malformed(Api::ComputeUsages, &scope, m))?;
        Ok(RegionUsages {
            subscription_id: subscription.to_owned(),
            region: region.to_owned(),
            usages,
        })
    }

    async fn activity(
        &self,
        subscription: &str,
        resource_group: &str,
        since: NaiveDate,
    ) -> CloudResult<Activity> {
        check_segment(Api::ActivityLog, "subscription", subscription)?;
        check_segment(Api::ActivityLog, "resource group", resource_group)?;
        let scope = format!("subscription {subscription}, resource group {resource_group}");
        let filter = format!(
            "eventTimestamp ge '{since}T00:00:00Z' and resourceGroupName eq '{resource_group}'"
        );
        let url = self.http.endpoint.url(
            &format!("/subscriptions/{subscription}/providers/Microsoft.Insights/eventtypes/management/values"),
            &[
                ("api-version", ACTIVITY_LOG_API),
                ("$filter", filter.as_str()),
                (
                    "$select",
                    "caller,operationName,status,eventTimestamp,resourceGroupName,resourceId,authorization,claims",
                ),
            ],
        );
        let items = self.value_pages(Api::ActivityLog, &scope, url).await?;
        let events = items
            .iter()
            .map(shapes::activity_event)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| Self::malformed(Api::ActivityLog, &scope, m))?;
        Ok(Activity {
            subscription_id: subscription.to_owned(),
            resource_group: resource_group.to_owned(),
            since,
            events,
        })
    }

    async fn metrics(
        &self,
        resource_id: &str,
        metrics: &[&str],
        period: Period,
    ) -> CloudResult<Vec<MetricSeries>> {
        let scope = format!("resource {resource_id}");
        if !resource_id.starts_with("/subscriptions/")
            || resource_id.contains(['?', '#', '\\'])
            || resource_id.split('/').any(|s| s == "..")
        {
            return Err(CloudError::new(
                Api::Metrics,
                scope,
                CloudErrorKind::Refused,
                "not an ARM resource id",
            ));
        }
        let names = metrics.join(",");
        let timespan = format!("{}T00:00:00Z/{}T23:59:59Z", period.from, period.to);
        let url = self.http.endpoint.url(
            &format!(
                "{}/providers/Microsoft.Insights/metrics",
                resource_id.trim_end_matches('/')
            ),
            &[
                ("api-version", METRICS_API),
                ("metricnames", names.as_str()),
                ("timespan", timespan.as_str()),
                ("interval", "P1D"),
                ("aggregation", "Maximum,Average"),
            ],
        );
        let answer = self.send(Api::Metrics, &scope, &Read::Get(url)).await?;
        let Some(v) = answer.body else {
            return Ok(vec![]);
        };
        shapes::metrics(&v, resource_id).map_err(|m| Self::malformed(Api::Metrics, &scope, m))
    }
}
