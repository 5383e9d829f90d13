//! What the bot sees in Azure, as plain data: the rows and answers every cloud adapter returns
//! (Azure REST or snapshot files) and the core reads. No I/O here.
//!
//! Resource Graph rows keep their table shape and their column names (`resourceGroup`,
//! `subscriptionId`, ...), so that a snapshot can be the output of `az graph query` as it is.
//! The open parts (`tags`, `sku`, `properties`, `identity`) stay `serde_json::Value`.
//! ARM compares ids, types and resource-group names case-insensitively (the Activity Log
//! upper-cases resource-group names); use the `same_*` helpers, never `==`, on them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// ARM's comparison of resource ids: case-insensitive, a trailing `/` ignored.
pub fn same_id(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// ARM's comparison of resource types (`Microsoft.Compute/virtualMachines`): case-insensitive.
pub fn same_type(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// ARM's comparison of resource-group names: case-insensitive (the Activity Log upper-cases
/// them).
pub fn same_resource_group(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The resource-group segment of an ARM id (`/subscriptions/s/resourceGroups/RG/...`), if any.
pub fn resource_group_of(id: &str) -> Option<&str> {
    let mut parts = id.split('/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("resourceGroups") {
            return parts.next();
        }
    }
    None
}

/// The subscription segment of an ARM id, if any.
pub fn subscription_of(id: &str) -> Option<&str> {
    let mut parts = id.split('/').filter(|p| !p.is_empty());
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("subscriptions") {
            return parts.next();
        }
    }
    None
}

/// One row of the Resource Graph `Resources` (or `ResourceContainers`) table, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRow {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind_type: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(rename = "resourceGroup", default)]
    pub resource_group: Option<String>,
    #[serde(rename = "subscriptionId", default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub tags: Value,
    #[serde(default)]
    pub sku: Value,
    #[serde(default)]
    pub properties: Value,
    #[serde(default)]
    pub identity: Value,
}

impl ResourceRow {
    /// The resource type (the `type` column).
    pub fn resource_type(&self) -> &str {
        &self.kind_type
    }

    /// A tag's value. Tag names are case-insensitive in ARM.
    pub fn tag(&self, name: &str) -> Option<&str> {
        self.tags
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    }

    pub fn is_type(&self, t: &str) -> bool {
        same_type(&self.kind_type, t)
    }

    /// The row's resource group: the column, else the id's segment.
    pub fn group(&self) -> Option<&str> {
        self.resource_group
            .as_deref()
            .filter(|g| !g.is_empty())
            .or_else(|| resource_group_of(&self.id))
    }

    pub fn in_resource_group(&self, rg: &str) -> bool {
        self.group().is_some_and(|g| same_resource_group(g, rg))
    }
}

pub const RESOURCE_GROUP_TYPE: &str = "microsoft.resources/subscriptions/resourcegroups";
pub const SUBSCRIPTION_TYPE: &str = "microsoft.resources/subscriptions";

/// What the bot saw in Resource Graph: the `Resources` rows, and the `ResourceContainers`
/// rows (resource groups and subscriptions, told apart by [`Inventory::resource_groups`] and
/// [`Inventory::subscriptions`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub resources: Vec<ResourceRow>,
    pub containers: Vec<ResourceRow>,
}

impl Inventory {
    /// The containers of type resource group.
    pub fn resource_groups(&self) -> impl Iterator<Item = &ResourceRow> {
        self.containers
            .iter()
            .filter(|r| r.is_type(RESOURCE_GROUP_TYPE))
    }

    /// The containers of type subscription.
    pub fn subscriptions(&self) -> impl Iterator<Item = &ResourceRow> {
        self.containers
            .iter()
            .filter(|r| r.is_type(SUBSCRIPTION_TYPE))
    }

    /// The resources in a resource group, by name, case-insensitively.
    pub fn in_resource_group<'a>(&'a self, rg: &'a str) -> impl Iterator<Item = &'a ResourceRow> {
        self.resources
            .iter()
            .filter(move |r| r.in_resource_group(rg))
    }

    /// A resource by id, case-insensitively.
    pub fn resource(&self, id: &str) -> Option<&ResourceRow> {
        self.resources.iter().find(|r| same_id(&r.id, id))
    }
}

/// The period a cost query covers, both days inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Actual cost of one tag value over a period, in the billing currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostRow {
    pub subscription_id: String,
    /// The tag grouped by (e.g. `cost-tag`, `team`).
    pub tag: String,
    /// The tag's value; empty for untagged cost.
    pub value: String,
    pub cost: f64,
    pub currency: String,
    pub period: Period,
}

/// Spend by one tag in one subscription over a period. No rows means zero spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spend {
    pub subscription_id: String,
    pub tag: String,
    pub period: Period,
    pub rows: Vec<CostRow>,
}

impl Spend {
    /// The spend of one tag value (case-insensitive, as ARM tags); zero when absent.
    pub fn of(&self, value: &str) -> f64 {
        self.rows
            .iter()
            .filter(|r| r.value.eq_ignore_ascii_case(value))
            .map(|r| r.cost)
            .sum()
    }
}

/// The name of a Compute usage: `value` is the quota's key (`standardNCASv3_T4Family`,
/// `lowPriorityCores`, `cores`), `localizedValue` its display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageName {
    pub value: String,
    #[serde(rename = "localizedValue", default)]
    pub localized_value: String,
}

/// One Compute usage row, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub name: UsageName,
    #[serde(rename = "currentValue")]
    pub current_value: i64,
    pub limit: i64,
    #[serde(default = "count_unit")]
    pub unit: String,
}

fn count_unit() -> String {
    "Count".into()
}

/// The usages of one subscription in one region. Spot VMs count under `lowPriorityCores`,
/// not against their family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionUsages {
    pub subscription_id: String,
    pub region: String,
    pub usages: Vec<Usage>,
}

impl RegionUsages {
    /// A usage by its `name.value`, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&Usage> {
        self.usages
            .iter()
            .find(|u| u.name.value.eq_ignore_ascii_case(name))
    }

    /// Spot (low-priority) vCPUs in use.
    pub fn low_priority_cores(&self) -> Option<&Usage> {
        self.get("lowPriorityCores")
    }
}

/// One Activity Log (administrative) event, the fields the rules read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityEvent {
    /// The caller: a UPN, or an object id for service principals and managed identities.
    pub caller: Option<String>,
    /// `operationName.value`, e.g. `Microsoft.Compute/virtualMachines/write`.
    pub operation_name: String,
    /// `status.value`, e.g. `Succeeded`, `Started`.
    pub status: Option<String>,
    pub event_timestamp: DateTime<Utc>,
    /// As the log gives it: usually upper-cased.
    pub resource_group_name: Option<String>,
    pub resource_id: Option<String>,
    /// `authorization.action`.
    pub action: Option<String>,
    /// The `oid` claim, where the claims carry one.
    pub oid: Option<String>,
}

impl ActivityEvent {
    /// Whether the caller (or the claims' oid) is one of `identities`, case-insensitively.
    pub fn by_any_of<'a>(&self, identities: impl IntoIterator<Item = &'a str>) -> bool {
        identities.into_iter().any(|i| {
            self.caller
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(i))
                || self
                    .oid
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(i))
        })
    }

    /// Whether the operation is a write or delete (not a read, list or action).
    pub fn is_write(&self) -> bool {
        let op = self.operation_name.to_ascii_lowercase();
        op.ends_with("/write") || op.ends_with("/delete")
    }
}

/// The Activity Log of one resource group since a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub subscription_id: String,
    pub resource_group: String,
    pub since: NaiveDate,
    pub events: Vec<ActivityEvent>,
}

/// One daily point of a metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    pub time_stamp: DateTime<Utc>,
    pub maximum: Option<f64>,
    pub average: Option<f64>,
}

/// A metric's daily series for one resource (e.g. `Percentage CPU`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSeries {
    pub resource_id: String,
    /// `name.value`.
    pub name: String,
    pub unit: String,
    pub points: Vec<MetricPoint>,
}

/// Who the bot is in Azure: the `oid` claim of its access token (for the snapshot adapter,
/// as recorded in the snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub oid: String,
    pub tenant_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_types_and_groups_compare_as_arm_does() {
        assert!(same_id(
            "/subscriptions/S/resourceGroups/RG-A/providers/Microsoft.Compute/virtualMachines/vm1",
            "/subscriptions/s/resourcegroups/rg-a/providers/microsoft.compute/virtualmachines/VM1/"
        ));
        assert!(!same_id(
            "/subscriptions/s/resourceGroups/a",
            "/subscriptions/s/resourceGroups/b"
        ));
        assert!(same_type(
            "Microsoft.CognitiveServices/accounts",
            "microsoft.cognitiveservices/ACCOUNTS"
        ));
        assert!(same_resource_group("RG-CARE-RAG", "rg-care-rag"));
        assert_eq!(
            resource_group_of("/subscriptions/s/resourcegroups/Rg1/providers/x/y/z"),
            Some("Rg1")
        );
        assert_eq!(
            subscription_of("/subscriptions/abc/resourceGroups/x"),
            Some("abc")
        );
        assert_eq!(resource_group_of("/subscriptions/abc"), None);
    }

    #[test]
    fn containers_are_told_apart_by_type() {
        let row = |t: &str, name: &str| ResourceRow {
            id: format!("/subscriptions/s/{name}"),
            name: name.into(),
            kind_type: t.into(),
            kind: None,
            location: None,
            resource_group: None,
            subscription_id: Some("s".into()),
            tags: Value::Null,
            sku: Value::Null,
            properties: Value::Null,
            identity: Value::Null,
        };
        let inv = Inventory {
            resources: vec![],
            containers: vec![
                row("Microsoft.Resources/subscriptions", "sub"),
                row("microsoft.resources/subscriptions/resourcegroups", "rg"),
            ],
        };
        assert_eq!(
            inv.resource_groups()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["rg"]
        );
        assert_eq!(
            inv.subscriptions()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["sub"]
        );
    }

    #[test]
    fn activity_callers_match_identities_by_caller_or_oid() {
        let e = ActivityEvent {
            caller: Some("Someone@Contoso.com".into()),
            operation_name: "Microsoft.Compute/virtualMachines/WRITE".into(),
            status: Some("Succeeded".into()),
            event_timestamp: "2026-11-01T10:00:00Z".parse().unwrap(),
            resource_group_name: Some("RG".into()),
            resource_id: None,
            action: None,
            oid: Some("abc".into()),
        };
        assert!(e.by_any_of(["someone@contoso.com"]));
        assert!(e.by_any_of(["ABC"]));
        assert!(!e.by_any_of(["other"]));
        assert!(e.is_write());
    }

    #[test]
    fn spend_of_a_missing_value_is_zero() {
        let p = Period {
            from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        };
        let s = Spend {
            subscription_id: "s".into(),
            tag: "team".into(),
            period: p,
            rows: vec![CostRow {
                subscription_id: "s".into(),
                tag: "team".into(),
                value: "Search".into(),
                cost: 12.5,
                currency: "EUR".into(),
                period: p,
            }],
        };
        assert_eq!(s.of("search"), 12.5);
        assert_eq!(s.of("nobody"), 0.0);
    }
}
