//! The ARM answer shapes both adapters read, from the REST API (and `az`, which prints the
//! same JSON) into `model::cloud`. One place, so that the Azure adapter and the snapshot
//! adapter cannot drift apart. Errors are plain strings; the caller adds the API and scope.

use super::{ActivityEvent, CostRow, MetricPoint, MetricSeries, Period, ResourceRow, Usage};
use serde::Deserialize;
use serde_json::Value;

/// A Resource Graph answer page: `data` rows (objectArray) and the `$skipToken` of the next.
/// `az graph query` prints `data` and `skip_token`; a bare array of rows is accepted too.
pub struct GraphPage {
    pub rows: Vec<ResourceRow>,
    pub skip_token: Option<String>,
}

pub fn graph_page(v: Value) -> Result<GraphPage, String> {
    let (data, skip) = match v {
        Value::Array(rows) => (Value::Array(rows), None),
        Value::Object(mut o) => {
            let data = o.remove("data").ok_or(
                "no `data` field: expected a Resource Graph answer (resultFormat objectArray)",
            )?;
            let skip = o
                .remove("$skipToken")
                .or_else(|| o.remove("skip_token"))
                .and_then(|t| t.as_str().map(str::to_owned))
                .filter(|t| !t.is_empty());
            (data, skip)
        }
        _ => return Err("expected an object with `data`, or an array of rows".into()),
    };
    let rows = match data {
        Value::Array(rows) => rows,
        Value::Object(_) => {
            return Err("`data` is a table: ask for resultFormat objectArray".into());
        }
        _ => return Err("`data` is not an array of rows".into()),
    };
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| ResourceRow::deserialize(r).map_err(|e| format!("row {}: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(GraphPage {
        rows,
        skip_token: skip,
    })
}

/// A `{ "value": [...], "nextLink": ... }` page, as Compute usages, the Activity Log and
/// Monitor return.
pub fn value_page(v: Value) -> Result<(Vec<Value>, Option<String>), String> {
    let Value::Object(mut o) = v else {
        return Err("expected an object with `value`".into());
    };
    let next = o
        .remove("nextLink")
        .and_then(|n| n.as_str().map(str::to_owned))
        .filter(|n| !n.is_empty());
    match o.remove("value") {
        Some(Value::Array(items)) => Ok((items, next)),
        Some(_) => Err("`value` is not an array".into()),
        None => Err("no `value` field".into()),
    }
}

pub fn usages(items: Vec<Value>) -> Result<Vec<Usage>, String> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, u)| Usage::deserialize(u).map_err(|e| format!("usage {}: {e}", i + 1)))
        .collect()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// An Activity Log event (the fields the rules read).
pub fn activity_event(v: &Value) -> Result<ActivityEvent, String> {
    let ts = str_at(v, &["eventTimestamp"]).ok_or("an event has no `eventTimestamp`")?;
    let event_timestamp = chrono::DateTime::parse_from_rfc3339(ts)
        .map_err(|e| format!("eventTimestamp {ts:?}: {e}"))?
        .to_utc();
    let operation_name = str_at(v, &["operationName", "value"])
        .or_else(|| str_at(v, &["operationName"]))
        .ok_or("an event has no `operationName.value`")?
        .to_owned();
    let claims = v.get("claims");
    let oid = claims.and_then(|c| {
        c.get("http://schemas.microsoft.com/identity/claims/objectidentifier")
            .or_else(|| c.get("oid"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    Ok(ActivityEvent {
        caller: str_at(v, &["caller"]).map(str::to_owned),
        operation_name,
        status: str_at(v, &["status", "value"]).map(str::to_owned),
        event_timestamp,
        resource_group_name: str_at(v, &["resourceGroupName"]).map(str::to_owned),
        resource_id: str_at(v, &["resourceId"]).map(str::to_owned),
        action: str_at(v, &["authorization", "action"]).map(str::to_owned),
        oid,
    })
}

/// A Cost Management query answer: `properties.columns` and `properties.rows`, grouped by
/// `TagKey`/`TagValue`. Returns the rows and `properties.nextLink`.
pub fn cost_page(
    v: &Value,
    subscription: &str,
    tag: &str,
    period: Period,
) -> Result<(Vec<CostRow>, Option<String>), String> {
    let props = v.get("properties").ok_or("no `properties`")?;
    let next = props
        .get("nextLink")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let columns = props
        .get("columns")
        .and_then(Value::as_array)
        .ok_or("no `properties.columns`")?;
    let col = |names: &[&str]| {
        columns.iter().position(|c| {
            c.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| names.iter().any(|w| n.eq_ignore_ascii_case(w)))
        })
    };
    let cost_at = col(&["Cost", "PreTaxCost", "totalCost", "CostUSD"])
        .ok_or("no cost column (Cost or PreTaxCost) in `properties.columns`")?;
    let value_at = col(&["TagValue"]);
    let key_at = col(&["TagKey"]);
    let currency_at = col(&["Currency"]);
    let rows = props
        .get("rows")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let cells = row
            .as_array()
            .ok_or_else(|| format!("row {} is not an array", i + 1))?;
        let cost = cells
            .get(cost_at)
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("row {}: the cost is not a number", i + 1))?;
        if let Some(k) = key_at.and_then(|k| cells.get(k)).and_then(Value::as_str)
            && !k.is_empty()
            && !k.eq_ignore_ascii_case(tag)
        {
            continue;
        }
        out.push(CostRow {
            subscription_id: subscription.to_owned(),
            tag: tag.to_owned(),
            value: value_at
                .and_then(|k| cells.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            cost,
            currency: currency_at
                .and_then(|k| cells.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            period,
        });
    }
    Ok((out, next))
}

/// An Azure Monitor metrics answer: `value[]` of metrics with `timeseries[].data[]`.
pub fn metrics(v: &Value, resource_id: &str) -> Result<Vec<MetricSeries>, String> {
    let items = v
        .get("value")
        .and_then(Value::as_array)
        .ok_or("no `value` array of metrics")?;
    let mut out = Vec::new();
    for m in items {
        let name = str_at(m, &["name", "value"])
            .ok_or("a metric has no `name.value`")?
            .to_owned();
        let mut points = Vec::new();
        for ts in m
            .get("timeseries")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            for d in ts
                .get("data")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let t = str_at(d, &["timeStamp"]).ok_or("a data point has no `timeStamp`")?;
                points.push(MetricPoint {
                    time_stamp: chrono::DateTime::parse_from_rfc3339(t)
                        .map_err(|e| format!("timeStamp {t:?}: {e}"))?
                        .to_utc(),
                    maximum: d.get("maximum").and_then(Value::as_f64),
                    average: d.get("average").and_then(Value::as_f64),
                });
            }
        }
        out.push(MetricSeries {
            resource_id: resource_id.to_owned(),
            name,
            unit: str_at(m, &["unit"]).unwrap_or_default().to_owned(),
            points,
        });
    }
    Ok(out)
}
