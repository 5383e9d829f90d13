//! The hard cost cap and the guardrails that every blueprint renders, whatever the workload:
//!
//! - a consumption budget on the experiment's resource group at the request's cost cap, over
//!   the time box and its renewals, notifying at the thresholds of `phases/policies.yaml`;
//! - at 100% of actual cost, an action group that starts a Logic App, which starts the
//!   `adoptbot-cap` runbook of an Automation account. The runbook, with the account's
//!   system-assigned identity and a custom role that allows exactly these actions on the
//!   resource group, deallocates VMs, scales scale sets, AKS user node pools and Azure ML
//!   compute to zero, deletes nothing, and tags what it stopped `adoptbot-capped: <date>`;
//! - Azure Policy assignments of built-in definitions on the resource group: allowed VM SKUs,
//!   no public IPs, required tags (inherited from the resource group when missing, denied
//!   otherwise) and allowed locations.
//!
//! The shared templates live next to this file and are added to every blueprint's flavour:
//! `guardrails.tf` / `guardrails.bicep`, the runbook `adoptbot-cap.py`, `backend.tf` and
//! `main.bicepparam`.

use crate::model::Code;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::manifest::{Manifest, Parameter};
use super::params::{full_match, string_hazards};
use super::{ExperimentContext, Flavour};
use crate::model::diagnostic::{Diagnostic, Place};

/// The tag the cap runbook writes on every resource it stopped, with the day as its value.
/// The scheduled cloud report reads it to put a capped experiment on the dashboard.
pub const CAPPED_TAG: &str = "adoptbot-capped";

/// The name of the runbook (and of its rendered script, `adoptbot-cap.py`).
pub const CAP_RUNBOOK: &str = "adoptbot-cap";

/// The file the runbook's script is rendered to, next to the IaC.
pub const RUNBOOK_FILE: &str = "adoptbot-cap.py";

/// The tags that the required-tags policy assignments demand on every resource.
pub const POLICY_TAGS: [&str; 5] = ["experiment", "team", "cost-tag", "expiry", "owner"];

/// What the runbook's identity may do, and nothing else: read and stop compute, and tag it.
/// No `delete` action, no wildcard.
pub const CAP_ROLE_ACTIONS: [&str; 15] = [
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/virtualMachines/deallocate/action",
    "Microsoft.Compute/virtualMachineScaleSets/read",
    "Microsoft.Compute/virtualMachineScaleSets/write",
    "Microsoft.Insights/autoscalesettings/read",
    "Microsoft.Insights/autoscalesettings/write",
    "Microsoft.ContainerService/managedClusters/read",
    "Microsoft.ContainerService/managedClusters/agentPools/read",
    "Microsoft.ContainerService/managedClusters/agentPools/write",
    "Microsoft.MachineLearningServices/workspaces/read",
    "Microsoft.MachineLearningServices/workspaces/computes/read",
    "Microsoft.MachineLearningServices/workspaces/computes/write",
    "Microsoft.MachineLearningServices/workspaces/computes/stop/action",
    "Microsoft.Resources/tags/write",
];

/// Built-in Azure Policy definitions the guardrails assign, by id.
pub mod policy {
    /// Allowed virtual machine size SKUs (`listOfAllowedSKUs`).
    pub const ALLOWED_VM_SKUS: &str = "cccc23c7-8427-4f53-ad12-b6a63eb452b3";
    /// Network interfaces should not have public IPs.
    pub const NO_NIC_PUBLIC_IP: &str = "83a86a26-fd1f-447c-b59d-e51f44264114";
    /// Not allowed resource types (`listOfResourceTypesNotAllowed`).
    pub const NOT_ALLOWED_TYPES: &str = "6c112d4e-5bc7-47ae-a041-ea2d9dccd749";
    /// Require a tag on resources (`tagName`).
    pub const REQUIRE_TAG: &str = "871b6d14-10aa-478d-b590-94f262ecfa99";
    /// Inherit a tag from the resource group if missing (`tagName`).
    pub const INHERIT_TAG: &str = "ea3f2387-9b95-492a-a190-fcdc54f7b070";
    /// Allowed locations (`listOfAllowedLocations`).
    pub const ALLOWED_LOCATIONS: &str = "e56962a6-4747-49cd-b67b-bf8b01975c4c";
}

/// The shared templates, by output file and flavour.
pub(crate) const GUARDRAILS_TF: &str = include_str!("guardrails/guardrails.tf.tera");
pub(crate) const GUARDRAILS_BICEP: &str = include_str!("guardrails/guardrails.bicep.tera");
pub(crate) const BACKEND_TF: &str = include_str!("guardrails/backend.tf.tera");
pub(crate) const BICEPPARAM: &str = include_str!("guardrails/main.bicepparam.tera");
/// The runbook script. It has no templated values: it reads the resource group from the
/// Automation variable `adoptbot_resource_group_id`.
pub const RUNBOOK_SCRIPT: &str = include_str!("guardrails/adoptbot-cap.py");

/// The shared templates of a flavour: (template name, output file, text).
pub(crate) fn shared_templates(
    flavour: Flavour,
) -> &'static [(&'static str, &'static str, &'static str)] {
    match flavour {
        Flavour::Terraform => &[
            (
                "adoptbot/guardrails.tf.tera",
                "guardrails.tf",
                GUARDRAILS_TF,
            ),
            ("adoptbot/backend.tf.tera", "backend.tf", BACKEND_TF),
        ],
        Flavour::Bicep => &[
            (
                "adoptbot/guardrails.bicep.tera",
                "guardrails.bicep",
                GUARDRAILS_BICEP,
            ),
            (
                "adoptbot/main.bicepparam.tera",
                "main.bicepparam",
                BICEPPARAM,
            ),
        ],
    }
}

/// Where rendered Terraform keeps its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StateBackend {
    pub resource_group: String,
    pub storage_account: String,
    pub container: String,
}

/// The organisation's settings that every render uses: from `adoption.yaml` and the
/// framework's policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderSettings {
    /// Budget notification thresholds in percent (`budget_alerts_percent` of the policies).
    pub budget_alerts_percent: Vec<u32>,
    /// The organisation's regions (`azure.regions`); the experiment's own location is always
    /// allowed too.
    pub allowed_locations: Vec<String>,
    /// `terraform_state` of `adoption.yaml`.
    pub terraform_state: Option<StateBackend>,
    /// `budget_contacts` of `adoption.yaml`: login or team id -> email address.
    pub budget_contacts: BTreeMap<String, String>,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings {
            budget_alerts_percent: vec![50, 75, 90],
            allowed_locations: Vec::new(),
            terraform_state: None,
            budget_contacts: BTreeMap::new(),
        }
    }
}

const EMAIL: &str = r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}";
const REGION: &str = r"[a-z][a-z0-9]{1,39}";
const RESOURCE_GROUP: &str = r"[A-Za-z0-9._()-]{1,89}[A-Za-z0-9_()-]";
const STORAGE_ACCOUNT: &str = r"[a-z0-9]{3,24}";
const CONTAINER: &str = r"[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,62}";

fn check(
    out: &mut Vec<Diagnostic>,
    place: &Place,
    what: &str,
    value: &str,
    pattern: &str,
    hint: &str,
) {
    for (code, msg) in string_hazards(what, value) {
        out.push(Diagnostic::error(place.clone(), code, msg));
    }
    if full_match(pattern, value) != Ok(true) {
        out.push(
            Diagnostic::error(
                place.clone(),
                Code::SettingInvalid,
                format!("{what} `{}` is not valid", value.escape_debug()),
            )
            .with_hint(hint),
        );
    }
}

/// Check the settings before they reach a template: every value must match its Azure naming
/// rule, so that nothing hostile is ever rendered (it is escaped as well).
pub fn validate_settings(s: &RenderSettings, place: &Place) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let t = &s.budget_alerts_percent;
    if t.is_empty() || t.len() > 4 || t.iter().any(|p| *p == 0 || *p >= 100) {
        out.push(
            Diagnostic::error(
                place.clone(),
                Code::SettingInvalid,
                format!("budget_alerts_percent {t:?} cannot be rendered into a budget"),
            )
            .with_hint("give one to four thresholds between 1 and 99 (an Azure budget has at most five notifications, and the fifth is the 100% cap)"),
        );
    }
    for r in &s.allowed_locations {
        check(
            &mut out,
            place,
            "region",
            r,
            REGION,
            "write an Azure region name such as westeurope",
        );
    }
    for (who, email) in &s.budget_contacts {
        check(
            &mut out,
            place,
            &format!("budget contact of `{who}`"),
            email,
            EMAIL,
            "write one email address, such as mei.lin@contoso.com",
        );
    }
    if let Some(b) = &s.terraform_state {
        check(
            &mut out,
            place,
            "terraform_state.resource_group",
            &b.resource_group,
            RESOURCE_GROUP,
            "write a resource group name: letters, digits, `.`, `_`, `-`, `(`, `)`; not ending in `.`",
        );
        check(
            &mut out,
            place,
            "terraform_state.storage_account",
            &b.storage_account,
            STORAGE_ACCOUNT,
            "write a storage account name: 3-24 lowercase letters and digits",
        );
        check(
            &mut out,
            place,
            "terraform_state.container",
            &b.container,
            CONTAINER,
            "write a container name: 3-63 lowercase letters, digits and single hyphens",
        );
    }
    out
}

/// The VM sizes the allowed-SKU policy permits: the manifest's `allowed_vm_skus`, or else
/// every allowed value of a string parameter whose allowed values are all VM sizes.
pub fn allowed_vm_skus(m: &Manifest) -> Vec<String> {
    if let Some(list) = &m.allowed_vm_skus {
        return list.clone();
    }
    let mut out = BTreeSet::new();
    for p in m.parameters.values() {
        if let Parameter::String(s) = p
            && let Some(allowed) = &s.allowed
            && !allowed.is_empty()
            && allowed.iter().all(|v| v.starts_with("Standard_"))
        {
            out.extend(allowed.iter().cloned());
        }
    }
    out.into_iter().collect()
}

/// The pattern every allowed VM size must match.
pub const VM_SKU: &str = r"Standard_[A-Za-z0-9_]{1,60}";

/// An amount in cents as a decimal number (`5000`, `1250.5`).
fn decimal(cents: i64) -> String {
    let abs = cents.unsigned_abs();
    let sign = if cents < 0 { "-" } else { "" };
    if abs.is_multiple_of(100) {
        format!("{sign}{}", abs / 100)
    } else {
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// The `cap` and `state` values of the template context.
pub(crate) fn template_values(
    m: &Manifest,
    ctx: &ExperimentContext,
    effective: &BTreeMap<String, Value>,
) -> (Value, Value) {
    let s = &ctx.settings;
    let mut locations: Vec<String> = s.allowed_locations.clone();
    if let Some(Value::String(own)) = effective.get("location")
        && !locations.contains(own)
    {
        locations.push(own.clone());
    }
    let start = ctx.starts_on.format("%Y-%m-01").to_string();
    let end = ctx.expiry.format("%Y-%m-%d").to_string();
    let cap = json!({
        "amount": decimal(ctx.cost_cap.cents),
        "currency": ctx.cost_cap.currency.as_str(),
        "budget_start": start,
        "budget_end": end,
        "thresholds": s.budget_alerts_percent,
        "contact_emails": ctx.contact_emails,
        "allowed_locations": locations,
        "allowed_vm_skus": allowed_vm_skus(m),
        "required_tags": POLICY_TAGS,
        "capped_tag": CAPPED_TAG,
        "runbook": CAP_RUNBOOK,
        "runbook_file": RUNBOOK_FILE,
        "actions": CAP_ROLE_ACTIONS,
        "policy": {
            "allowed_vm_skus": policy::ALLOWED_VM_SKUS,
            "no_nic_public_ip": policy::NO_NIC_PUBLIC_IP,
            "not_allowed_types": policy::NOT_ALLOWED_TYPES,
            "require_tag": policy::REQUIRE_TAG,
            "inherit_tag": policy::INHERIT_TAG,
            "allowed_locations": policy::ALLOWED_LOCATIONS,
        },
    });
    let state = json!({
        "key": format!("experiments/{}.tfstate", ctx.id),
        "backend": s.terraform_state,
    });
    (cap, state)
}

/// Check what the guardrails take from the experiment: the cap, its contacts and the
/// organisation's settings.
pub fn validate_guardrail_inputs(
    m: &Manifest,
    ctx: &ExperimentContext,
    place: &Place,
) -> Vec<Diagnostic> {
    let mut out = validate_settings(&ctx.settings, place);
    if ctx.cost_cap.cents <= 0 {
        out.push(
            Diagnostic::error(
                place.clone(),
                Code::ContextInvalid,
                format!("the cost cap {} cannot be a budget", ctx.cost_cap),
            )
            .with_hint("write a positive cost cap, such as `5000 USD`"),
        );
    }
    if ctx.starts_on > ctx.expiry {
        out.push(Diagnostic::error(
            place.clone(),
            Code::ContextInvalid,
            format!(
                "the time box starts on {} after it ends on {}",
                ctx.starts_on, ctx.expiry
            ),
        ));
    }
    for email in &ctx.contact_emails {
        check(
            &mut out,
            place,
            "budget contact",
            email,
            EMAIL,
            "write one email address, such as mei.lin@contoso.com",
        );
    }
    for sku in allowed_vm_skus(m) {
        check(
            &mut out,
            place,
            "allowed VM size",
            &sku,
            VM_SKU,
            "write an ARM VM size such as Standard_NC24ads_A100_v4",
        );
    }
    out
}
