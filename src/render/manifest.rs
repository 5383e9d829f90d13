//! The blueprint manifest, `blueprints/<name>/blueprint.yaml`: typed parameters, the GPU
//! quota it needs, how to price it, the security controls it claims and the checkov checks it
//! skips (each with a written reason). Unknown fields are errors everywhere.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Flavour;

/// A blueprint manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The blueprint's name, equal to its folder name: lowercase kebab-case,
    /// `^[a-z][a-z0-9-]{1,62}$`.
    pub name: String,
    /// Semantic version `MAJOR.MINOR.PATCH`. Part of every rendered file's header and fingerprint.
    pub version: String,
    /// What the blueprint provisions, in one or two sentences.
    pub description: String,
    /// The parameters an experiment request may set, by name (`^[a-z][a-z0-9_]{0,62}$`).
    /// Templates read them as `params.<name>`.
    #[serde(default)]
    pub parameters: BTreeMap<String, Parameter>,
    /// The GPU quota the blueprint consumes. Omit it for blueprints without GPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuQuota>,
    /// How to estimate the cost: one line per billed item.
    #[serde(default)]
    pub prices: Vec<PriceLine>,
    /// The security controls the blueprint claims. `managed-identity`, `private-networking`,
    /// `diagnostic-settings` and `required-tags` are mandatory for every blueprint; the rendered
    /// output is checked against the claims.
    pub security_controls: Vec<SecurityControl>,
    /// checkov checks that do not apply, each with a written reason. Each is written into the
    /// rendered files as checkov's inline skip comment on the resources it names.
    #[serde(default)]
    pub checkov_skips: Vec<CheckovSkip>,
    /// The VM sizes the allowed-SKU policy of the resource group permits (ARM names such as
    /// `Standard_NC24ads_A100_v4`). Default: every allowed value of the string parameters whose
    /// allowed values are all VM sizes. An empty list allows no VM at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_vm_skus: Option<Vec<String>>,
    /// Parameters whose allowed values depend on another parameter's value, e.g. the model
    /// versions each model is offered at (dated by the manifest's `version`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_by: Vec<AllowedBy>,
    /// Parameters used to render the blueprint in CI and in `validate_blueprint`. They must
    /// pass the parameter validation.
    pub example_parameters: BTreeMap<String, serde_json::Value>,
}

/// A typed parameter. `type` selects the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Parameter {
    String(StringParameter),
    Integer(IntegerParameter),
    Number(NumberParameter),
    Boolean(BooleanParameter),
}

/// A string parameter. Values are at most 256 characters, contain no control characters other
/// than newline, carriage return and tab, and no invisible or bidirectional formatting
/// characters. They are escaped for the target language when rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StringParameter {
    /// What the parameter controls.
    pub description: String,
    /// The value used when the request does not set one. Without a default the parameter is
    /// required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The only values accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// A regular expression (Rust `regex` syntax) the whole value must match; it is anchored
    /// at both ends automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Minimum length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Maximum length in characters (at most 256).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
}

/// The values a string parameter may take, by the value of another string parameter: for
/// each value of `by`, the values `parameter` may take, e.g. the versions each model is offered
/// at. A value of `by` that is not listed allows none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowedBy {
    /// The string parameter whose values are restricted, e.g. `chat_model_version`.
    pub parameter: String,
    /// The string parameter it depends on, e.g. `chat_model`.
    pub by: String,
    /// For each value of `by`, the values `parameter` may take.
    pub values: BTreeMap<String, Vec<String>>,
}

/// An integer parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegerParameter {
    /// What the parameter controls.
    pub description: String,
    /// The value used when the request does not set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<i64>,
    /// The only values accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<i64>>,
    /// Smallest value accepted (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest value accepted (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

/// A number parameter (may have a fraction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberParameter {
    /// What the parameter controls.
    pub description: String,
    /// The value used when the request does not set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<f64>,
    /// Smallest value accepted (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value accepted (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// A boolean parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BooleanParameter {
    /// What the parameter controls.
    pub description: String,
    /// The value used when the request does not set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

impl Parameter {
    pub fn description(&self) -> &str {
        match self {
            Parameter::String(p) => &p.description,
            Parameter::Integer(p) => &p.description,
            Parameter::Number(p) => &p.description,
            Parameter::Boolean(p) => &p.description,
        }
    }

    /// The type name as written in the manifest.
    pub fn type_name(&self) -> &'static str {
        match self {
            Parameter::String(_) => "string",
            Parameter::Integer(_) => "integer",
            Parameter::Number(_) => "number",
            Parameter::Boolean(_) => "boolean",
        }
    }

    /// The default as a JSON value, if there is one.
    pub fn default_value(&self) -> Option<serde_json::Value> {
        match self {
            Parameter::String(p) => p.default.clone().map(serde_json::Value::from),
            Parameter::Integer(p) => p.default.map(serde_json::Value::from),
            Parameter::Number(p) => p.default.map(serde_json::Value::from),
            Parameter::Boolean(p) => p.default.map(serde_json::Value::from),
        }
    }
}

/// Which parameters say how much GPU quota the blueprint consumes: the VM size, how many
/// instances, and in which region. Quota is checked per VM family (see `blueprints/skus.json`)
/// and region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuQuota {
    /// A string parameter holding the GPU VM size (ARM SKU name, e.g. `Standard_ND96asr_v4`).
    pub sku_parameter: String,
    /// An integer parameter holding the (maximum) number of GPU instances.
    pub count_parameter: String,
    /// A string parameter holding the Azure region.
    pub region_parameter: String,
}

/// One billed item of the cost estimate. Either an hourly VM meter from the price table (`sku`
/// or `sku_parameter`), or a fixed monthly amount in USD (`monthly_usd` or
/// `monthly_usd_parameter`) for what is not billed by the VM hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceLine {
    /// What the line pays for, shown in the estimate.
    pub description: String,
    /// A fixed ARM SKU name, priced by the hour from the price table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// A string parameter holding the ARM SKU name, priced by the hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku_parameter: Option<String>,
    /// A fixed number of instances (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// An integer parameter holding the number of instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_parameter: Option<String>,
    /// A string parameter holding the region (default `location`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_parameter: Option<String>,
    /// A boolean parameter: when true, the spot meter is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_parameter: Option<String>,
    /// A fixed amount per month (730 hours) in USD, prorated to the estimated hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_usd: Option<f64>,
    /// A number or integer parameter holding an amount per month in USD, prorated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_usd_parameter: Option<String>,
}

/// A security control a blueprint claims.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityControl {
    /// Workloads authenticate with a managed identity.
    ManagedIdentity,
    /// Private endpoints or a private cluster; public network access disabled; no public IPs.
    PrivateNetworking,
    /// Diagnostic settings send logs and metrics to a Log Analytics workspace.
    DiagnosticSettings,
    /// Every taggable resource carries `team`, `experiment`, `cost-tag` and `expiry`.
    RequiredTags,
    /// Local authentication, admin users, shared keys and passwords are disabled.
    LocalAuthDisabled,
    /// VMs and scale sets shut down on a schedule.
    AutoShutdown,
}

impl SecurityControl {
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityControl::ManagedIdentity => "managed-identity",
            SecurityControl::PrivateNetworking => "private-networking",
            SecurityControl::DiagnosticSettings => "diagnostic-settings",
            SecurityControl::RequiredTags => "required-tags",
            SecurityControl::LocalAuthDisabled => "local-auth-disabled",
            SecurityControl::AutoShutdown => "auto-shutdown",
        }
    }
}

/// A checkov check that does not apply to this blueprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckovSkip {
    /// The check id, e.g. `CKV_AZURE_117` or `CKV2_AZURE_1`.
    pub id: String,
    /// Why the check does not apply (at least 20 characters).
    pub reason: String,
    /// Only skip it for these flavours (default: both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavours: Option<Vec<Flavour>>,
    /// The resource types it is skipped on, Terraform (`azurerm_storage_account`) or Bicep
    /// (`Microsoft.Storage/storageAccounts`) (default: every resource of the blueprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<String>>,
}

impl CheckovSkip {
    pub fn applies_to(&self, flavour: Flavour) -> bool {
        self.flavours.as_ref().is_none_or(|f| f.contains(&flavour))
    }

    /// Whether the skip goes on a resource of this type (`azurerm_*` or a Bicep type without
    /// its API version).
    pub fn applies_to_resource(&self, kind: &str) -> bool {
        self.resources
            .as_ref()
            .is_none_or(|r| r.iter().any(|t| t.eq_ignore_ascii_case(kind)))
    }
}

/// Parse a manifest from YAML. The error carries a 1-based line and column when known.
pub fn parse_manifest(text: &str) -> Result<Manifest, (String, u32, u32)> {
    serde_saphyr::from_str::<Manifest>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as u32, l.column() as u32))
            .unwrap_or((0, 0));
        (e.to_string(), line, column)
    })
}
