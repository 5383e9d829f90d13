//! Security validation of a blueprint. A blueprint (built-in or an organisation's own) fails
//! unless its manifest claims the mandatory controls and its rendered output, with its
//! example parameters in every flavour it has, shows them:
//!
//! - required tags (`team`, `experiment`, `cost-tag`, `expiry`) on every taggable resource;
//! - a managed identity on every resource that runs code or calls other services;
//! - local authentication, admin users, shared keys and passwords disabled;
//! - public network access disabled, a private endpoint for every resource that takes one,
//!   private AKS clusters, and no public IPs;
//! - a diagnostic setting to a Log Analytics workspace for every resource that supports one;
//! - auto-shutdown for VMs and scale sets.
//!
//! It also probes that every string parameter lands inside a string literal: the template is
//! rendered with a hostile value and the output must still scan.

use crate::model::Code;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::manifest::{Parameter, SecurityControl};
use super::scan::{self, Doc, Entry, Lang, Resource, Tok, Tree};
use super::{Blueprint, ExperimentContext, Flavour, render_effective, with_defaults};
use crate::model::diagnostic::{Diagnostic, Place};

/// The tags every taggable resource must carry.
pub const REQUIRED_TAGS: [&str; 4] = ["team", "experiment", "cost-tag", "expiry"];

const MANDATORY: [SecurityControl; 4] = [
    SecurityControl::ManagedIdentity,
    SecurityControl::PrivateNetworking,
    SecurityControl::DiagnosticSettings,
    SecurityControl::RequiredTags,
];

/// Resource types that take no tags.
const UNTAGGABLE_HCL: &[&str] = &[
    "azurerm_monitor_diagnostic_setting",
    "azurerm_role_assignment",
    "azurerm_role_definition",
    "azurerm_subnet",
    "azurerm_subnet_network_security_group_association",
    "azurerm_subnet_route_table_association",
    "azurerm_subnet_nat_gateway_association",
    "azurerm_network_security_rule",
    "azurerm_cognitive_deployment",
    "azurerm_cognitive_account_customer_managed_key",
    "azurerm_consumption_budget_resource_group",
    "azurerm_consumption_budget_subscription",
    "azurerm_resource_group_policy_assignment",
    "azurerm_subscription_policy_assignment",
    "azurerm_resource_policy_assignment",
    "azurerm_management_group_policy_assignment",
    "azurerm_policy_definition",
    "azurerm_policy_set_definition",
    "azurerm_resource_group_policy_exemption",
    "azurerm_key_vault_access_policy",
    "azurerm_storage_container",
    "azurerm_storage_account_network_rules",
    "azurerm_storage_management_policy",
    "azurerm_storage_blob",
    "azurerm_storage_share",
    "azurerm_kubernetes_cluster_extension",
    "azurerm_federated_identity_credential",
    "azurerm_management_lock",
    "azurerm_monitor_data_collection_rule_association",
    "azurerm_virtual_machine_scale_set_extension",
    "azurerm_virtual_machine_extension_association",
    "azurerm_container_registry_scope_map",
    "azurerm_container_registry_token",
    "azurerm_log_analytics_datasource_windows_event",
    "azurerm_private_dns_zone_group",
    "azurerm_machine_learning_datastore_blobstorage",
    "azurerm_logic_app_trigger_http_request",
    "azurerm_logic_app_action_custom",
    "azurerm_logic_app_action_http",
    "azurerm_automation_variable_string",
];

/// Bicep child types that do take tags (other child types do not).
const TAGGABLE_CHILDREN_BICEP: &[&str] = &[
    "Microsoft.ContainerService/managedClusters/agentPools",
    "Microsoft.MachineLearningServices/workspaces/computes",
    "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    "Microsoft.Web/sites/slots",
];

/// Top-level Bicep types that take no tags.
const UNTAGGABLE_BICEP: &[&str] = &[
    "Microsoft.Insights/diagnosticSettings",
    "Microsoft.Consumption/budgets",
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.Authorization/roleDefinitions",
    "Microsoft.Authorization/policyAssignments",
    "Microsoft.Authorization/policyDefinitions",
    "Microsoft.Authorization/policySetDefinitions",
    "Microsoft.Authorization/policyExemptions",
    "Microsoft.Authorization/locks",
];

/// Bicep types whose tags live in `properties.tags`.
const TAGS_IN_PROPERTIES_BICEP: &[&str] =
    &["Microsoft.ContainerService/managedClusters/agentPools"];

/// (HCL type, Bicep type) of resources that must have a managed identity.
const NEEDS_IDENTITY: &[(&str, &str)] = &[
    (
        "azurerm_linux_virtual_machine_scale_set",
        "Microsoft.Compute/virtualMachineScaleSets",
    ),
    (
        "azurerm_windows_virtual_machine_scale_set",
        "Microsoft.Compute/virtualMachineScaleSets",
    ),
    (
        "azurerm_linux_virtual_machine",
        "Microsoft.Compute/virtualMachines",
    ),
    (
        "azurerm_windows_virtual_machine",
        "Microsoft.Compute/virtualMachines",
    ),
    (
        "azurerm_kubernetes_cluster",
        "Microsoft.ContainerService/managedClusters",
    ),
    (
        "azurerm_cognitive_account",
        "Microsoft.CognitiveServices/accounts",
    ),
    (
        "azurerm_machine_learning_workspace",
        "Microsoft.MachineLearningServices/workspaces",
    ),
    (
        "azurerm_machine_learning_compute_cluster",
        "Microsoft.MachineLearningServices/workspaces/computes",
    ),
];

/// A setting a resource type must have: (HCL type, key, value, Bicep type, key, value).
type Rule = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// (HCL type, HCL key, value) and (Bicep type, Bicep key, value) that disable local auth.
const LOCAL_AUTH: &[Rule] = &[
    (
        "azurerm_cognitive_account",
        "local_auth_enabled",
        "false",
        "Microsoft.CognitiveServices/accounts",
        "disableLocalAuth",
        "true",
    ),
    (
        "azurerm_storage_account",
        "shared_access_key_enabled",
        "false",
        "Microsoft.Storage/storageAccounts",
        "allowSharedKeyAccess",
        "false",
    ),
    (
        "azurerm_container_registry",
        "admin_enabled",
        "false",
        "Microsoft.ContainerRegistry/registries",
        "adminUserEnabled",
        "false",
    ),
    (
        "azurerm_kubernetes_cluster",
        "local_account_disabled",
        "true",
        "Microsoft.ContainerService/managedClusters",
        "disableLocalAccounts",
        "true",
    ),
    (
        "azurerm_linux_virtual_machine_scale_set",
        "disable_password_authentication",
        "true",
        "Microsoft.Compute/virtualMachineScaleSets",
        "disablePasswordAuthentication",
        "true",
    ),
    (
        "azurerm_linux_virtual_machine",
        "disable_password_authentication",
        "true",
        "Microsoft.Compute/virtualMachines",
        "disablePasswordAuthentication",
        "true",
    ),
    (
        "azurerm_machine_learning_compute_cluster",
        "local_auth_enabled",
        "false",
        "Microsoft.MachineLearningServices/workspaces/computes",
        "disableLocalAuth",
        "true",
    ),
];

/// Resource types whose public network access must be off: (HCL type, key, value, Bicep type,
/// key, value).
const PUBLIC_ACCESS: &[Rule] = &[
    (
        "azurerm_storage_account",
        "public_network_access_enabled",
        "false",
        "Microsoft.Storage/storageAccounts",
        "publicNetworkAccess",
        "Disabled",
    ),
    (
        "azurerm_key_vault",
        "public_network_access_enabled",
        "false",
        "Microsoft.KeyVault/vaults",
        "publicNetworkAccess",
        "Disabled",
    ),
    (
        "azurerm_container_registry",
        "public_network_access_enabled",
        "false",
        "Microsoft.ContainerRegistry/registries",
        "publicNetworkAccess",
        "Disabled",
    ),
    (
        "azurerm_cognitive_account",
        "public_network_access_enabled",
        "false",
        "Microsoft.CognitiveServices/accounts",
        "publicNetworkAccess",
        "Disabled",
    ),
    (
        "azurerm_machine_learning_workspace",
        "public_network_access_enabled",
        "false",
        "Microsoft.MachineLearningServices/workspaces",
        "publicNetworkAccess",
        "Disabled",
    ),
    (
        "azurerm_kubernetes_cluster",
        "private_cluster_enabled",
        "true",
        "Microsoft.ContainerService/managedClusters",
        "enablePrivateCluster",
        "true",
    ),
];

/// Resource types that must be reached through a private endpoint.
const NEEDS_PRIVATE_ENDPOINT: &[(&str, &str)] = &[
    (
        "azurerm_storage_account",
        "Microsoft.Storage/storageAccounts",
    ),
    ("azurerm_key_vault", "Microsoft.KeyVault/vaults"),
    (
        "azurerm_container_registry",
        "Microsoft.ContainerRegistry/registries",
    ),
    (
        "azurerm_cognitive_account",
        "Microsoft.CognitiveServices/accounts",
    ),
    (
        "azurerm_machine_learning_workspace",
        "Microsoft.MachineLearningServices/workspaces",
    ),
];

/// Resource types and keys that expose public IPs.
const PUBLIC_IP_TYPES: &[&str] = &[
    "azurerm_public_ip",
    "azurerm_public_ip_prefix",
    "Microsoft.Network/publicIPAddresses",
    "Microsoft.Network/publicIPPrefixes",
];
const PUBLIC_IP_KEYS: &[(&str, &str)] = &[
    ("public_ip_address", ""),
    ("node_public_ip_enabled", "true"),
    ("publicIPAddressConfiguration", ""),
    ("enableNodePublicIP", "true"),
    ("publicIPAddress", ""),
];

/// Resource types that must have a diagnostic setting.
const NEEDS_DIAGNOSTICS: &[(&str, &str)] = &[
    ("azurerm_key_vault", "Microsoft.KeyVault/vaults"),
    (
        "azurerm_storage_account",
        "Microsoft.Storage/storageAccounts",
    ),
    (
        "azurerm_container_registry",
        "Microsoft.ContainerRegistry/registries",
    ),
    (
        "azurerm_cognitive_account",
        "Microsoft.CognitiveServices/accounts",
    ),
    (
        "azurerm_machine_learning_workspace",
        "Microsoft.MachineLearningServices/workspaces",
    ),
    (
        "azurerm_kubernetes_cluster",
        "Microsoft.ContainerService/managedClusters",
    ),
    (
        "azurerm_network_security_group",
        "Microsoft.Network/networkSecurityGroups",
    ),
    (
        "azurerm_linux_virtual_machine_scale_set",
        "Microsoft.Compute/virtualMachineScaleSets",
    ),
];

const VM_TYPES: &[&str] = &[
    "azurerm_linux_virtual_machine",
    "azurerm_windows_virtual_machine",
    "Microsoft.Compute/virtualMachines",
];
const VMSS_TYPES: &[&str] = &[
    "azurerm_linux_virtual_machine_scale_set",
    "azurerm_windows_virtual_machine_scale_set",
    "azurerm_orchestrated_virtual_machine_scale_set",
    "Microsoft.Compute/virtualMachineScaleSets",
];

fn hcl_or_bicep<'a>(lang: Lang, hcl: &'a str, bicep: &'a str) -> &'a str {
    match lang {
        Lang::Hcl => hcl,
        Lang::Bicep => bicep,
    }
}

/// Whether `kind` is in a table of (HCL type, Bicep type) pairs for the language.
fn listed(lang: Lang, table: &[(&str, &str)], kind: &str) -> bool {
    table.iter().any(|(h, b)| kind == hcl_or_bicep(lang, h, b))
}

fn is_taggable(lang: Lang, kind: &str) -> bool {
    match lang {
        Lang::Hcl => !UNTAGGABLE_HCL.contains(&kind),
        Lang::Bicep => {
            if UNTAGGABLE_BICEP.contains(&kind) {
                return false;
            }
            let segments = kind.split('/').count();
            segments <= 2 || TAGGABLE_CHILDREN_BICEP.contains(&kind)
        }
    }
}

fn usd() -> crate::model::Currency {
    match "USD".parse() {
        Ok(c) => c,
        Err(e) => unreachable!("USD is a currency: {e}"),
    }
}

/// The example context used to render a blueprint for validation.
pub fn example_context() -> ExperimentContext {
    ExperimentContext {
        id: "example-experiment".into(),
        team: "example-team".into(),
        owner: "example-owner".into(),
        cost_tag: "cc-example".into(),
        expiry: chrono::NaiveDate::from_ymd_opt(2030, 1, 31).unwrap_or_default(),
        starts_on: chrono::NaiveDate::from_ymd_opt(2030, 1, 3).unwrap_or_default(),
        cost_cap: crate::model::Money::new(500_000, usd()),
        contact_emails: vec!["owner@example.com".into()],
        settings: super::RenderSettings {
            allowed_locations: vec!["westeurope".into(), "swedencentral".into()],
            ..super::RenderSettings::default()
        },
    }
}

/// A rendered, scanned file with the template it came from.
struct Scanned<'a> {
    bp: &'a Blueprint,
    flavour: Flavour,
    output: String,
    template_path: String,
    template_text: String,
    doc: Doc,
    /// The rendered text.
    text: String,
    /// Whether it is one of the guardrail files every blueprint gets (it proves no claim).
    shared: bool,
}

impl Scanned<'_> {
    fn lang(&self) -> Lang {
        super::lang(self.flavour)
    }

    /// A diagnostic about resource `r`, placed in the template at the resource's declaration
    /// when it can be found there.
    fn problem(&self, r: Option<&Resource>, code: Code, what: String, hint: &str) -> Diagnostic {
        let (line, subject) = match r {
            Some(r) => {
                let needle = match self.lang() {
                    Lang::Hcl => format!("\"{}\" \"{}\"", r.kind, r.name),
                    Lang::Bicep => format!("resource {} ", r.name),
                };
                let line = self
                    .template_text
                    .lines()
                    .position(|l| l.contains(&needle))
                    .map_or(0, |i| i as u32 + 1);
                (
                    line,
                    format!(
                        "resource {} ({}:{})",
                        r.address(self.lang()),
                        self.output,
                        r.line
                    ),
                )
            }
            None => (0, format!("rendered {}", self.output)),
        };
        Diagnostic::error(
            Place::new(&self.template_path, line, 0),
            code,
            format!(
                "blueprint `{}` ({}): {subject}: {what}",
                self.bp.manifest.name, self.flavour
            ),
        )
        .with_hint(hint)
    }
}

/// Resolve a tags expression to the set of keys it certainly has, or `None` when it cannot be
/// resolved statically.
fn tag_keys(lang: Lang, value: &[Tree], vars: &[Entry], depth: u32) -> Option<BTreeSet<String>> {
    if depth > 8 {
        return None;
    }
    match value {
        [
            Tree::Group {
                open: '{', items, ..
            },
        ] => Some(
            scan::entries(items)
                .into_iter()
                .filter(|e| e.scalar().is_none_or(|v| !v.trim().is_empty()))
                .map(|e| e.key)
                .collect(),
        ),
        [
            Tree::Leaf {
                tok: Tok::Word(w), ..
            },
        ] => {
            let name = match lang {
                Lang::Hcl => w.strip_prefix("local.")?,
                Lang::Bicep => w.as_str(),
            };
            let var = vars.iter().find(|v| v.key == name)?;
            tag_keys(lang, &var.value, vars, depth + 1)
        }
        [
            Tree::Leaf {
                tok: Tok::Word(f), ..
            },
            Tree::Group {
                open: '(', items, ..
            },
        ] if f == "merge" || f == "union" => {
            let mut keys = BTreeSet::new();
            for arg in scan::statements(items) {
                keys.extend(tag_keys(lang, arg, vars, depth + 1)?);
            }
            Some(keys)
        }
        _ => None,
    }
}

fn check_tags(s: &Scanned<'_>, out: &mut Vec<Diagnostic>) -> usize {
    let lang = s.lang();
    let mut taggable = 0;
    for r in s
        .doc
        .resources
        .iter()
        .filter(|r| is_taggable(lang, &r.kind))
    {
        taggable += 1;
        let entry = r.entry("tags").cloned().or_else(|| {
            TAGS_IN_PROPERTIES_BICEP
                .contains(&r.kind.as_str())
                .then(|| r.entry("properties").and_then(Entry::object))
                .flatten()
                .and_then(|props| props.into_iter().find(|e| e.key == "tags"))
        });
        let hint = "add `tags` with team, experiment, cost-tag and expiry (e.g. `tags = local.tags` / `tags: tags`)";
        let Some(entry) = entry else {
            out.push(s.problem(
                Some(r),
                Code::BlueprintMissingTags,
                "has no tags".into(),
                hint,
            ));
            continue;
        };
        match tag_keys(lang, &entry.value, &s.doc.vars, 0) {
            None => out.push(s.problem(
                Some(r),
                Code::BlueprintMissingTags,
                "its tags cannot be verified (use a literal map, a local/var, or merge/union of them)".into(),
                hint,
            )),
            Some(keys) => {
                let missing: Vec<&str> =
                    REQUIRED_TAGS.iter().copied().filter(|t| !keys.contains(*t)).collect();
                if !missing.is_empty() {
                    out.push(s.problem(
                        Some(r),
                        Code::BlueprintMissingTags,
                        format!("is missing the required tag(s) {}", missing.join(", ")),
                        hint,
                    ));
                }
            }
        }
    }
    taggable
}

/// The (key, value) a rule table requires of a resource type in a language, if any.
fn required_setting(
    lang: Lang,
    rules: &[Rule],
    kind: &str,
) -> Option<(&'static str, &'static str)> {
    rules
        .iter()
        .find_map(|(ht, hk, hv, bt, bk, bv)| match lang {
            Lang::Hcl if *ht == kind => Some((*hk, *hv)),
            Lang::Bicep if *bt == kind => Some((*bk, *bv)),
            _ => None,
        })
}

fn has_value(r: &Resource, key: &str, want: &str) -> bool {
    let found = r.find(key);
    !found.is_empty()
        && found
            .iter()
            .all(|e| e.scalar().is_some_and(|v| v.eq_ignore_ascii_case(want)))
}

fn check_identity(s: &Scanned<'_>, out: &mut Vec<Diagnostic>) -> bool {
    let lang = s.lang();
    let mut any = false;
    for r in &s.doc.resources {
        let identity = r.entry("identity").and_then(Entry::object).and_then(|o| {
            o.into_iter()
                .find(|e| e.key == "type")
                .and_then(|e| e.scalar())
        });
        let managed = identity.as_deref().is_some_and(|t| t.contains("Assigned"));
        any |= managed
            || r.kind == "azurerm_user_assigned_identity"
            || r.kind == "Microsoft.ManagedIdentity/userAssignedIdentities";
        let required = listed(lang, NEEDS_IDENTITY, &r.kind);
        if required && !managed {
            out.push(s.problem(
                Some(r),
                Code::BlueprintNoIdentity,
                "has no managed identity".into(),
                "add an identity of type SystemAssigned or UserAssigned",
            ));
        }
    }
    any
}

fn check_local_auth(s: &Scanned<'_>, out: &mut Vec<Diagnostic>) -> bool {
    let lang = s.lang();
    let mut present = false;
    for r in &s.doc.resources {
        if let Some((k, v)) = required_setting(lang, LOCAL_AUTH, &r.kind) {
            present = true;
            if !has_value(r, k, v) {
                out.push(s.problem(
                    Some(r),
                    Code::BlueprintLocalAuth,
                    format!("must set `{k}` to {v} (local authentication disabled)"),
                    "authenticate with Entra ID and managed identities only",
                ));
            }
        }
    }
    present
}

fn check_network(s: &Scanned<'_>, out: &mut Vec<Diagnostic>) -> bool {
    let lang = s.lang();
    let mut evidence = false;
    let endpoints: Vec<&Resource> = s
        .doc
        .resources
        .iter()
        .filter(|r| {
            r.kind
                == hcl_or_bicep(
                    lang,
                    "azurerm_private_endpoint",
                    "Microsoft.Network/privateEndpoints",
                )
        })
        .collect();
    evidence |= !endpoints.is_empty();
    for r in &s.doc.resources {
        if matches!(
            r.kind.as_str(),
            "azurerm_virtual_network" | "Microsoft.Network/virtualNetworks"
        ) {
            evidence = true;
        }
        if PUBLIC_IP_TYPES.contains(&r.kind.as_str()) {
            out.push(s.problem(
                Some(r),
                Code::BlueprintPublicNetwork,
                "is a public IP".into(),
                "remove it; reach the workload privately",
            ));
        }
        for (key, value) in PUBLIC_IP_KEYS {
            for e in r.find(key) {
                if value.is_empty() || e.scalar().is_some_and(|v| v.eq_ignore_ascii_case(value)) {
                    out.push(s.problem(
                        Some(r),
                        Code::BlueprintPublicNetwork,
                        format!("sets `{key}` (a public IP)"),
                        "remove it",
                    ));
                }
            }
        }
        if let Some((k, v)) = required_setting(lang, PUBLIC_ACCESS, &r.kind) {
            if has_value(r, k, v) {
                evidence = true;
            } else {
                out.push(s.problem(
                    Some(r),
                    Code::BlueprintPublicNetwork,
                    format!("must set `{k}` to {v}"),
                    "disable public network access; use private endpoints",
                ));
            }
        }
        let needs_pe = listed(lang, NEEDS_PRIVATE_ENDPOINT, &r.kind);
        let reference = format!("{}.id", r.address(lang));
        if needs_pe && !endpoints.iter().any(|pe| pe.mentions(&reference)) {
            out.push(s.problem(
                Some(r),
                Code::BlueprintNoPrivateEndpoint,
                "has no private endpoint".into(),
                "add a private endpoint whose private service connection points at it",
            ));
        }
    }
    evidence
}

fn check_diagnostics(s: &Scanned<'_>, out: &mut Vec<Diagnostic>) -> bool {
    let lang = s.lang();
    let (diag_kind, workspace_key, target_key) = match lang {
        Lang::Hcl => (
            "azurerm_monitor_diagnostic_setting",
            "log_analytics_workspace_id",
            "target_resource_id",
        ),
        Lang::Bicep => (
            "Microsoft.Insights/diagnosticSettings",
            "workspaceId",
            "scope",
        ),
    };
    let settings: Vec<&Resource> = s
        .doc
        .resources
        .iter()
        .filter(|r| r.kind == diag_kind)
        .collect();
    for d in &settings {
        if d.find(workspace_key).is_empty() {
            out.push(s.problem(
                Some(d),
                Code::BlueprintNoDiagnostics,
                format!("does not send to a Log Analytics workspace (`{workspace_key}`)"),
                "send diagnostics to the experiment's Log Analytics workspace",
            ));
        }
    }
    for r in &s.doc.resources {
        let needs = listed(lang, NEEDS_DIAGNOSTICS, &r.kind);
        if !needs {
            continue;
        }
        let reference = match lang {
            Lang::Hcl => format!("{}.id", r.address(lang)),
            Lang::Bicep => r.address(lang),
        };
        let covered = settings.iter().any(|d| {
            d.entry(target_key)
                .is_some_and(|t| scan::trees_mention(&t.value, &reference))
        });
        if !covered {
            out.push(s.problem(
                Some(r),
                Code::BlueprintNoDiagnostics,
                "has no diagnostic setting".into(),
                "add a diagnostic setting targeting it, sending to Log Analytics",
            ));
        }
    }
    !settings.is_empty()
}

fn check_auto_shutdown(s: &Scanned<'_>, out: &mut Vec<Diagnostic>) -> (bool, bool) {
    let lang = s.lang();
    let mut has_vms = false;
    let mut evidence = false;
    for r in &s.doc.resources {
        let reference = format!("{}.id", r.address(lang));
        if VM_TYPES.contains(&r.kind.as_str()) {
            has_vms = true;
            let ok = s.doc.resources.iter().any(|x| {
                matches!(
                    x.kind.as_str(),
                    "azurerm_dev_test_global_vm_shutdown_schedule"
                        | "Microsoft.DevTestLab/schedules"
                ) && x.mentions(&reference)
            });
            evidence |= ok;
            if !ok {
                out.push(s.problem(
                    Some(r),
                    Code::BlueprintNoAutoShutdown,
                    "has no auto-shutdown schedule".into(),
                    "add a daily shutdown schedule for it",
                ));
            }
        }
        if VMSS_TYPES.contains(&r.kind.as_str()) {
            has_vms = true;
            let ok = s.doc.resources.iter().any(|x| {
                matches!(
                    x.kind.as_str(),
                    "azurerm_monitor_autoscale_setting" | "Microsoft.Insights/autoscalesettings"
                ) && x.mentions(&reference)
                    && !x.find("recurrence").is_empty()
                    && x.find("maximum")
                        .iter()
                        .any(|m| m.scalar().as_deref() == Some("0"))
            });
            evidence |= ok;
            if !ok {
                out.push(s.problem(
                    Some(r),
                    Code::BlueprintNoAutoShutdown,
                    "has no autoscale setting with a recurring profile that scales it to 0".into(),
                    "add an autoscale setting with a recurring shutdown profile (capacity 0)",
                ));
            }
        }
    }
    (has_vms, evidence)
}

/// The values of a numeric setting (`threshold = 50` / `threshold: 50`) anywhere in a body.
fn numbers(r: &Resource, key: &str) -> Vec<String> {
    r.find(key).iter().filter_map(Entry::scalar).collect()
}

/// The hard cost cap and the guardrails, across all files of a flavour: a budget on the
/// experiment's resource group with a notification at every policy threshold and an action at
/// 100%, an action group that starts the cap runbook, the runbook's custom role without delete
/// actions, and the policy assignments. Returns whether they are all there.
fn check_guardrails(files: &[Scanned<'_>], thresholds: &[u32], out: &mut Vec<Diagnostic>) -> bool {
    let Some(first) = files.first() else {
        return false;
    };
    let lang = first.lang();
    let all: Vec<&Resource> = files.iter().flat_map(|s| s.doc.resources.iter()).collect();
    let of = |hcl: &str, bicep: &str| -> Vec<&Resource> {
        let kind = hcl_or_bicep(lang, hcl, bicep);
        all.iter().copied().filter(|r| r.kind == kind).collect()
    };
    let before = out.len();
    let mut missing = |code: Code, what: String, hint: &str| {
        out.push(first.problem(None, code, what, hint));
    };
    // The budget, scoped to the experiment's resource group.
    let budgets = of(
        "azurerm_consumption_budget_resource_group",
        "Microsoft.Consumption/budgets",
    );
    let groups = of(
        "azurerm_monitor_action_group",
        "Microsoft.Insights/actionGroups",
    );
    let rg_ids: Vec<String> = of(
        "azurerm_resource_group",
        "Microsoft.Resources/resourceGroups",
    )
    .iter()
    .map(|r| format!("{}.id", r.address(lang)))
    .collect();
    let scoped = |b: &Resource| match lang {
        Lang::Hcl => b
            .entry("resource_group_id")
            .is_some_and(|e| rg_ids.iter().any(|id| scan::trees_mention(&e.value, id))),
        // A Bicep budget is deployed at the resource group's scope by its module.
        Lang::Bicep => b.entry("scope").is_none(),
    };
    let capped: Vec<&&Resource> = budgets
        .iter()
        .filter(|b| {
            scoped(b)
                && b.find("notification").len() + b.find("notifications").len() > 0
                && numbers(b, "threshold").iter().any(|t| t == "100")
                && groups.iter().any(|g| {
                    let key = hcl_or_bicep(lang, "contact_groups", "contactGroups");
                    b.find(key)
                        .iter()
                        .any(|e| scan::trees_mention(&e.value, &format!("{}.id", g.address(lang))))
                })
        })
        .collect();
    match capped.first() {
        None => missing(
            Code::BlueprintNoCostCap,
            "has no budget on the experiment's resource group with an action at 100% of the cost cap".into(),
            "keep guardrails.tf / guardrails.bicep: name the resource group `rg` (Terraform) and deploy `module guardrails 'guardrails.bicep'` into it (Bicep)",
        ),
        Some(b) => {
            let have = numbers(b, "threshold");
            for t in thresholds {
                if !have.contains(&t.to_string()) {
                    missing(
                        Code::BlueprintNoCostCap,
                        format!("its budget does not notify at {t}% (budget_alerts_percent of the policies)"),
                        "notify at every threshold of phases/policies.yaml",
                    );
                }
            }
        }
    }
    // The action group starts the runbook (through the Logic App or directly).
    let starts = groups.iter().any(|g| {
        [
            "logic_app_receiver",
            "logicAppReceivers",
            "automation_runbook_receiver",
            "automationRunbookReceivers",
        ]
        .iter()
        .any(|k| !g.find(k).is_empty())
    });
    let runbooks = of(
        "azurerm_automation_runbook",
        "Microsoft.Automation/automationAccounts/runbooks",
    );
    if !starts || runbooks.is_empty() {
        missing(
            Code::BlueprintNoCapAction,
            "has no action group that starts the cap runbook at 100%".into(),
            "keep the action group, the Logic App and the runbook of the guardrails",
        );
    }
    // The runbook's identity: a custom role that deletes nothing.
    let roles = of(
        "azurerm_role_definition",
        "Microsoft.Authorization/roleDefinitions",
    );
    let mut actions: Vec<String> = Vec::new();
    for r in &roles {
        for e in r.find("actions") {
            scan::texts(&e.value, &mut actions);
        }
    }
    if roles.is_empty() {
        missing(
            Code::BlueprintNoCapAction,
            "has no custom role for the cap runbook".into(),
            "keep the runbook's custom role of the guardrails",
        );
    }
    for a in actions
        .iter()
        .filter(|a| a.contains('*') || a.ends_with("/delete"))
    {
        missing(
            Code::BlueprintCapRole,
            format!("the cap runbook's role allows `{a}`"),
            "allow only reading, stopping, scaling and tagging compute",
        );
    }
    // The policy assignments, by built-in definition id.
    let assignments = of(
        "azurerm_resource_group_policy_assignment",
        "Microsoft.Authorization/policyAssignments",
    );
    use super::guardrails::policy;
    let wanted = [
        (policy::ALLOWED_VM_SKUS, "allowed VM SKUs"),
        (
            policy::NO_NIC_PUBLIC_IP,
            "no public IPs on network interfaces",
        ),
        (policy::NOT_ALLOWED_TYPES, "no public IP addresses"),
        (policy::REQUIRE_TAG, "required tags"),
        (
            policy::INHERIT_TAG,
            "tags inherited from the resource group",
        ),
        (policy::ALLOWED_LOCATIONS, "allowed locations"),
    ];
    for (id, what) in wanted {
        let found = assignments.iter().any(|a| {
            let mut t = Vec::new();
            if let Some(e) = a.entry("policy_definition_id") {
                scan::texts(&e.value, &mut t);
            }
            for e in a.find("policyDefinitionId") {
                scan::texts(&e.value, &mut t);
            }
            t.iter().any(|x| x.contains(id))
        });
        if !found {
            missing(
                Code::BlueprintNoGuardrailPolicy,
                format!("has no policy assignment of the built-in definition {id} ({what})"),
                "keep the policy assignments of the guardrails",
            );
        }
    }
    // Bicep: the guardrails module must be deployed.
    if lang == Lang::Bicep {
        let deployed = files.iter().any(|s| {
            scan::trees(Lang::Bicep, &s.text).is_ok_and(|top| {
                scan::statements(&top).iter().any(|st| {
                    matches!(st.first(), Some(Tree::Leaf { tok: Tok::Word(w), .. }) if w == "module")
                        && matches!(st.get(2), Some(Tree::Leaf { tok: Tok::Str { value: Some(v), .. }, .. }) if v == "guardrails.bicep")
                })
            })
        });
        if !deployed {
            out.push(first.problem(
                None,
                Code::BlueprintNoCostCap,
                "no file deploys the module 'guardrails.bicep'".into(),
                "add `module guardrails 'guardrails.bicep' = { scope: rg ... }` to main.bicep",
            ));
        }
    }
    out.len() == before
}

/// Render with the example parameters and scan every output file.
fn scanned<'a>(bp: &'a Blueprint, flavour: Flavour, out: &mut Vec<Diagnostic>) -> Vec<Scanned<'a>> {
    let effective = with_defaults(&bp.manifest, &bp.manifest.example_parameters);
    let files = match render_effective(bp, flavour, &example_context(), &effective) {
        Ok(files) => files,
        Err(diags) => {
            out.extend(diags);
            return Vec::new();
        }
    };
    let templates = bp
        .templates
        .get(&flavour)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut result = Vec::new();
    for f in files
        .into_iter()
        .filter(|f| f.path.ends_with(flavour.extension()))
    {
        let t = templates.iter().find(|t| t.output == f.path);
        let shared = super::guardrails::shared_templates(flavour)
            .iter()
            .find(|(_, output, _)| *output == f.path);
        let (template_path, template_text) = match (t, shared) {
            (Some(t), _) => (t.path.clone(), t.text.clone()),
            (None, Some((name, _, text))) => (format!("built-in:{name}"), (*text).to_owned()),
            (None, None) => Default::default(),
        };
        match scan::parse(super::lang(flavour), &f.content) {
            Ok(doc) => result.push(Scanned {
                bp,
                flavour,
                output: f.path,
                template_path,
                template_text,
                doc,
                text: f.content,
                shared: shared.is_some() && t.is_none(),
            }),
            Err(e) => out.push(Diagnostic::error(
                Place::file(&template_path),
                Code::RenderUnbalanced,
                format!("rendered {} does not scan: {e}", f.path),
            )),
        }
    }
    // Terraform's locals are shared by every file of the module.
    if flavour == Flavour::Terraform {
        let all: Vec<Entry> = result.iter().flat_map(|s| s.doc.vars.clone()).collect();
        for s in &mut result {
            s.doc.vars = all.clone();
        }
    }
    result
}

/// Probe that string parameters and free-text context fields land inside string literals.
fn probe_escaping(bp: &Blueprint, flavour: Flavour, out: &mut Vec<Diagnostic>) {
    const PROBE: &str = "adoptbot-probe */ '\"}]) ${probe} %{probe} \n";
    let base = with_defaults(&bp.manifest, &bp.manifest.example_parameters);
    let mut cases: Vec<(String, BTreeMap<String, Value>, ExperimentContext)> = Vec::new();
    for (name, spec) in &bp.manifest.parameters {
        if matches!(spec, Parameter::String(_)) {
            let mut p = base.clone();
            p.insert(name.clone(), Value::String(PROBE.into()));
            cases.push((format!("parameter `{name}`"), p, example_context()));
        }
    }
    let mut ctx = example_context();
    ctx.team = PROBE.into();
    cases.push(("experiment team".into(), base.clone(), ctx));
    let mut ctx = example_context();
    ctx.owner = PROBE.into();
    cases.push(("experiment owner".into(), base.clone(), ctx));
    for (what, params, ctx) in cases {
        // A template may branch on the value; if it fails to render with the probe, the
        // parameter validation (allowed values, pattern) is what protects it.
        if let Err(diags) = render_effective(bp, flavour, &ctx, &params) {
            for d in diags.into_iter().filter(|d| d.code == "render-unbalanced") {
                out.push(
                    Diagnostic::error(
                        d.place,
                        Code::TemplateUnquotedValue,
                        format!(
                            "blueprint `{}` ({flavour}): with a hostile value in {what}, {}",
                            bp.manifest.name, d.message
                        ),
                    )
                    .with_hint("put every interpolated value inside a string literal"),
                );
            }
        }
    }
}

/// Validate a blueprint's security: the claims in its manifest and the controls in its
/// rendered output (example parameters, every flavour it has). Returns all problems.
pub fn validate_blueprint(bp: &Blueprint) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let claims: BTreeSet<SecurityControl> = bp.manifest.security_controls.iter().copied().collect();
    let place = Place::file(&bp.manifest_path);
    let name = &bp.manifest.name;
    for c in MANDATORY {
        if !claims.contains(&c) {
            out.push(
                Diagnostic::error(
                    place.clone(),
                    Code::BlueprintClaimMissing,
                    format!(
                        "blueprint `{name}` does not claim the mandatory control `{}`",
                        c.as_str()
                    ),
                )
                .with_hint("add it to security_controls, and make the templates implement it"),
            );
        }
    }
    for (&flavour, _) in bp.templates.iter().filter(|(_, t)| !t.is_empty()) {
        let files = scanned(bp, flavour, &mut out);
        if files.is_empty() {
            continue;
        }
        let mut evidence: BTreeMap<SecurityControl, bool> = BTreeMap::new();
        let mut local_auth_present = false;
        let mut has_vms = false;
        for s in &files {
            let own = !s.shared;
            let mut e = |c: SecurityControl, v: bool| *evidence.entry(c).or_default() |= v && own;
            e(SecurityControl::RequiredTags, check_tags(s, &mut out) > 0);
            e(
                SecurityControl::ManagedIdentity,
                check_identity(s, &mut out),
            );
            e(
                SecurityControl::PrivateNetworking,
                check_network(s, &mut out),
            );
            e(
                SecurityControl::DiagnosticSettings,
                check_diagnostics(s, &mut out),
            );
            local_auth_present |= check_local_auth(s, &mut out);
            e(SecurityControl::LocalAuthDisabled, local_auth_present);
            let (vms, shutdown) = check_auto_shutdown(s, &mut out);
            has_vms |= vms;
            e(SecurityControl::AutoShutdown, shutdown);
        }
        check_guardrails(
            &files,
            &example_context().settings.budget_alerts_percent,
            &mut out,
        );
        for c in &claims {
            if !evidence.get(c).copied().unwrap_or(false) {
                let severity_error =
                    *c != SecurityControl::AutoShutdown && *c != SecurityControl::LocalAuthDisabled;
                let msg = format!(
                    "blueprint `{name}` claims `{}`, but its rendered {flavour} output shows no sign of it",
                    c.as_str()
                );
                out.push(if severity_error {
                    Diagnostic::error(place.clone(), Code::BlueprintClaimUnsupported, msg)
                } else {
                    Diagnostic::warning(place.clone(), Code::BlueprintClaimUnsupported, msg)
                });
            }
        }
        let required_claims = [
            (local_auth_present, SecurityControl::LocalAuthDisabled),
            (has_vms, SecurityControl::AutoShutdown),
        ];
        for (needed, c) in required_claims {
            if needed && !claims.contains(&c) {
                out.push(Diagnostic::error(
                    place.clone(),
                    Code::BlueprintClaimMissing,
                    format!("blueprint `{name}` ({flavour}) has resources that need `{}`, but does not claim it", c.as_str()),
                ));
            }
        }
        probe_escaping(bp, flavour, &mut out);
    }
    out.sort();
    out.dedup();
    out
}
