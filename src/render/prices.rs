//! Cost estimates and GPU quota demand from two dated tables shipped with the blueprints:
//!
//! - `blueprints/prices.json`: rows in the shape of the Azure Retail Prices API
//!   (`https://prices.azure.com/api/retail/prices`), pay-as-you-go and spot Linux VM meters by
//!   the hour, under `Items`, with a top-level `as_of` date;
//! - `blueprints/skus.json`: per VM size, its quota family (as reported by the Compute usages
//!   API), vCPUs and GPUs. These are not retail-price fields, hence the separate table.

use crate::model::Code;
use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Blueprint;
use super::params::with_defaults;
use crate::model::diagnostic::{Diagnostic, Place};

/// Hours in the month used to prorate monthly amounts (the Azure pricing calculator's 730).
pub const HOURS_PER_MONTH: u32 = 730;

/// The price table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// The day the prices were taken.
    pub as_of: NaiveDate,
    /// The currency of every row (`currencyCode`).
    pub currency: String,
    /// Where the rows come from and how they were selected.
    pub source: String,
    /// Rows in the Retail Prices API's shape.
    #[serde(rename = "Items")]
    pub items: Vec<PriceItem>,
}

/// One row of the Azure Retail Prices API. Fields the API sends that are not listed here are
/// accepted and ignored, so a refreshed table can be pasted in as it comes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceItem {
    pub currency_code: String,
    pub retail_price: f64,
    pub arm_region_name: String,
    pub arm_sku_name: String,
    pub meter_name: String,
    pub product_name: String,
    pub unit_of_measure: String,
    pub effective_start_date: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_name: Option<String>,
}

impl PriceItem {
    fn is_spot(&self) -> bool {
        self.meter_name.contains("Spot")
    }

    fn is_linux_vm_hour(&self) -> bool {
        self.kind == "Consumption"
            && self.unit_of_measure == "1 Hour"
            && !self.product_name.contains("Windows")
            && !self.meter_name.contains("Low Priority")
    }
}

impl PriceTable {
    /// Parse and check a table: one currency, prices finite and not negative, hourly rows, and
    /// at most one Linux row per (SKU, region, spot).
    pub fn from_json(bytes: &[u8]) -> Result<PriceTable, String> {
        let t: PriceTable = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let mut seen = BTreeSet::new();
        for (i, item) in t.items.iter().enumerate() {
            let at = format!(
                "Items[{i}] ({} in {})",
                item.arm_sku_name, item.arm_region_name
            );
            if item.currency_code != t.currency {
                return Err(format!(
                    "{at}: currency {} differs from {}",
                    item.currency_code, t.currency
                ));
            }
            if !item.retail_price.is_finite() || item.retail_price < 0.0 {
                return Err(format!(
                    "{at}: retailPrice {} is not a price",
                    item.retail_price
                ));
            }
            if item.is_linux_vm_hour() {
                let key = (
                    item.arm_sku_name.to_lowercase(),
                    item.arm_region_name.clone(),
                    item.is_spot(),
                );
                if !seen.insert(key) {
                    return Err(format!(
                        "{at}: a second row for the same SKU, region and meter"
                    ));
                }
            }
        }
        Ok(t)
    }

    /// A row that is not a VM hour, by service, meter and unit: the one of the region, or a
    /// `Global` one.
    pub fn fixed(
        &self,
        service: &str,
        meter: &str,
        unit: &str,
        region: &str,
    ) -> Option<&PriceItem> {
        let rows = || {
            self.items.iter().filter(|i| {
                i.service_name.as_deref() == Some(service)
                    && i.meter_name == meter
                    && i.unit_of_measure == unit
            })
        };
        rows()
            .find(|i| i.arm_region_name == region)
            .or_else(|| rows().find(|i| i.arm_region_name.eq_ignore_ascii_case("global")))
    }

    /// The Linux pay-as-you-go (or spot) hourly row for a SKU in a region.
    pub fn hourly(&self, sku: &str, region: &str, spot: bool) -> Option<&PriceItem> {
        self.items.iter().find(|i| {
            i.is_linux_vm_hour()
                && i.arm_sku_name.eq_ignore_ascii_case(sku)
                && i.arm_region_name == region
                && i.is_spot() == spot
        })
    }
}

/// The fixed costs the cost cap adds to every blueprint, whatever the time box: (serviceName,
/// meterName, unitOfMeasure, quantity, description). The budget notifies for free; at 100% the
/// Logic App runs a trigger and one action, and the runbook runs for a few minutes. Counted for
/// two runs (the cap is reached, someone restarts compute by hand, and it is reached again).
pub const CAP_LINES: [(&str, &str, &str, u32, &str); 2] = [
    (
        "Automation",
        "Basic Runtime",
        "1 Minute",
        30,
        "Cost cap runbook: Automation job minutes (2 runs of up to 15 minutes)",
    ),
    (
        "Logic Apps",
        "Consumption Built-in Actions",
        "1",
        4,
        "Cost cap trigger: Logic App actions (2 runs of a trigger and an action)",
    ),
];

/// Quota facts about a VM size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuInfo {
    /// The quota family, as `name.value` of the Compute usages API (e.g.
    /// `standardNDASv4_A100Family`).
    pub family: String,
    /// The series as Azure documents it, e.g. `ND A100 v4`.
    pub series: String,
    pub vcpus: u32,
    pub gpus: u32,
    /// The GPU model, e.g. `A100 40GB`.
    pub gpu: String,
}

/// The SKU table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SkuTable {
    pub as_of: NaiveDate,
    pub source: String,
    pub skus: BTreeMap<String, SkuInfo>,
}

impl SkuTable {
    pub fn from_json(bytes: &[u8]) -> Result<SkuTable, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    pub fn get(&self, sku: &str) -> Option<&SkuInfo> {
        self.skus
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(sku))
            .map(|(_, v)| v)
    }
}

/// One line of an estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimateLine {
    pub description: String,
    /// The priced SKU and region, for hourly lines.
    pub sku: Option<String>,
    pub region: Option<String>,
    /// The meter used (`meterName` of the price row), or `fixed monthly`.
    pub meter: String,
    pub spot: bool,
    pub quantity: u32,
    /// Price per unit (hour or month) in the table's currency.
    pub unit_price: f64,
    /// `1 Hour` or `1 Month`.
    pub unit: String,
    pub cents: u64,
}

/// A cost estimate for a number of hours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub currency: String,
    pub total_cents: u64,
    pub hours: u32,
    pub price_table_as_of: NaiveDate,
    pub lines: Vec<EstimateLine>,
}

fn problem(bp: &Blueprint, code: Code, msg: String) -> Diagnostic {
    Diagnostic::error(Place::file(&bp.manifest_path), code, msg)
}

fn param_str<'a>(
    bp: &Blueprint,
    p: &'a BTreeMap<String, Value>,
    name: &str,
) -> Result<&'a str, Diagnostic> {
    p.get(name).and_then(Value::as_str).ok_or_else(|| {
        problem(
            bp,
            Code::EstimateParameter,
            format!("parameter `{name}` is not set to a string"),
        )
    })
}

fn param_count(bp: &Blueprint, p: &BTreeMap<String, Value>, name: &str) -> Result<u32, Diagnostic> {
    p.get(name)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            problem(
                bp,
                Code::EstimateParameter,
                format!("parameter `{name}` is not set to a count"),
            )
        })
}

fn to_cents(amount: f64) -> u64 {
    (amount * 100.0).round().max(0.0) as u64
}

/// Estimate the cost of running `bp` with `params` for `hours`, from the manifest's price lines
/// and the price table. Amounts are rounded to the cent per line.
pub fn estimate(
    bp: &Blueprint,
    params: &BTreeMap<String, Value>,
    prices: &PriceTable,
    hours: u32,
) -> Result<Estimate, Diagnostic> {
    estimate_filled(bp, &with_defaults(&bp.manifest, params), prices, hours)
}

/// [`estimate`] of parameters whose defaults are filled in already
/// ([`super::params::fill_defaults`]).
pub fn estimate_filled(
    bp: &Blueprint,
    p: &BTreeMap<String, Value>,
    prices: &PriceTable,
    hours: u32,
) -> Result<Estimate, Diagnostic> {
    let mut lines = Vec::new();
    for line in &bp.manifest.prices {
        let quantity = match (&line.count, &line.count_parameter) {
            (_, Some(name)) => param_count(bp, p, name)?,
            (Some(n), None) => *n,
            (None, None) => 1,
        };
        let monthly = match (&line.monthly_usd, &line.monthly_usd_parameter) {
            (Some(v), _) => Some(*v),
            (None, Some(name)) => Some(p.get(name).and_then(Value::as_f64).ok_or_else(|| {
                problem(
                    bp,
                    Code::EstimateParameter,
                    format!("parameter `{name}` is not set to a number"),
                )
            })?),
            (None, None) => None,
        };
        if let Some(per_month) = monthly {
            if prices.currency != "USD" {
                return Err(problem(
                    bp,
                    Code::EstimateCurrency,
                    format!(
                        "monthly_usd lines need a USD price table, not {}",
                        prices.currency
                    ),
                ));
            }
            let amount =
                per_month * f64::from(quantity) * f64::from(hours) / f64::from(HOURS_PER_MONTH);
            lines.push(EstimateLine {
                description: line.description.clone(),
                sku: None,
                region: None,
                meter: "fixed monthly".into(),
                spot: false,
                quantity,
                unit_price: per_month,
                unit: "1 Month".into(),
                cents: to_cents(amount),
            });
            continue;
        }
        let sku = match (&line.sku, &line.sku_parameter) {
            (Some(s), _) => s.as_str(),
            (None, Some(name)) => param_str(bp, p, name)?,
            (None, None) => {
                return Err(problem(
                    bp,
                    Code::ManifestPrice,
                    format!("price line `{}` names nothing to price", line.description),
                ));
            }
        };
        let region = param_str(
            bp,
            p,
            line.region_parameter.as_deref().unwrap_or("location"),
        )?;
        let spot = match &line.spot_parameter {
            Some(name) => p.get(name).and_then(Value::as_bool).unwrap_or(false),
            None => false,
        };
        let Some(row) = prices.hourly(sku, region, spot) else {
            return Err(problem(
                bp,
                Code::PriceMissing,
                format!(
                    "the price table (as of {}) has no {} Linux price for {sku} in {region}",
                    prices.as_of,
                    if spot { "spot" } else { "pay-as-you-go" }
                ),
            )
            .with_hint("choose a region where the size is priced, or refresh blueprints/prices.json (docs/blueprints.md)"));
        };
        let amount = row.retail_price * f64::from(quantity) * f64::from(hours);
        lines.push(EstimateLine {
            description: line.description.clone(),
            sku: Some(row.arm_sku_name.clone()),
            region: Some(region.to_owned()),
            meter: row.meter_name.clone(),
            spot,
            quantity,
            unit_price: row.retail_price,
            unit: row.unit_of_measure.clone(),
            cents: to_cents(amount),
        });
    }
    let region = p.get("location").and_then(Value::as_str).unwrap_or("");
    for (service, meter, unit, quantity, description) in CAP_LINES {
        let Some(row) = prices.fixed(service, meter, unit, region) else {
            return Err(problem(
                bp,
                Code::PriceMissing,
                format!(
                    "the price table (as of {}) has no `{service}` row with meterName `{meter}` and unitOfMeasure `{unit}`, which the cost cap of every blueprint uses",
                    prices.as_of
                ),
            )
            .with_hint("add the row to blueprints/prices.json (see docs/blueprints.md, \"The price table\")"));
        };
        lines.push(EstimateLine {
            description: description.to_owned(),
            sku: None,
            region: Some(row.arm_region_name.clone()),
            meter: row.meter_name.clone(),
            spot: false,
            quantity,
            unit_price: row.retail_price,
            unit: row.unit_of_measure.clone(),
            cents: to_cents(row.retail_price * f64::from(quantity)),
        });
    }
    Ok(Estimate {
        currency: prices.currency.clone(),
        total_cents: lines.iter().map(|l| l.cents).sum(),
        hours,
        price_table_as_of: prices.as_of,
        lines,
    })
}

/// The GPU quota a render of `bp` with `params` would consume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuDemand {
    pub sku: String,
    /// The quota family of the SKU.
    pub family: String,
    pub region: String,
    pub instances: u32,
    /// vCPUs the quota is counted in: `instances * vcpus per instance`.
    pub vcpus: u32,
    pub gpus: u32,
}

/// The GPU quota demand of a blueprint with parameters, or `None` for a blueprint without GPUs.
pub fn gpu_demand(
    bp: &Blueprint,
    params: &BTreeMap<String, Value>,
    skus: &SkuTable,
) -> Result<Option<GpuDemand>, Diagnostic> {
    gpu_demand_filled(bp, &with_defaults(&bp.manifest, params), skus)
}

/// [`gpu_demand`] of parameters whose defaults are filled in already.
pub fn gpu_demand_filled(
    bp: &Blueprint,
    p: &BTreeMap<String, Value>,
    skus: &SkuTable,
) -> Result<Option<GpuDemand>, Diagnostic> {
    let Some(gpu) = &bp.manifest.gpu else {
        return Ok(None);
    };
    let sku = param_str(bp, p, &gpu.sku_parameter)?;
    let region = param_str(bp, p, &gpu.region_parameter)?;
    let instances = param_count(bp, p, &gpu.count_parameter)?;
    let info = skus.get(sku).ok_or_else(|| {
        problem(
            bp,
            Code::SkuUnknown,
            format!("blueprints/skus.json has no entry for {sku}"),
        )
        .with_hint("add the size with its quota family, vCPUs and GPUs")
    })?;
    Ok(Some(GpuDemand {
        sku: sku.to_owned(),
        family: info.family.clone(),
        region: region.to_owned(),
        instances,
        vcpus: instances.saturating_mul(info.vcpus),
        gpus: instances.saturating_mul(info.gpus),
    }))
}
