//! Shadow AI (the framework's audit): an AI or GPU resource that adoptbot's IaC did not
//! produce and that `inventory/shadow-ai.yaml` does not list by resource id. AI or GPU
//! resources are Cognitive Services / Azure OpenAI / AI Services accounts, ML workspaces, VMs
//! and scale sets of GPU sizes, and AKS clusters with GPU node pools. Produced by adoptbot's
//! IaC means tagged `managed-by: adoptbot` for an experiment the repository knows. Open
//! secret-scanning alerts for AI providers' keys are findings too ("API keys in code repos").

use super::{Input, Outcome, ShadowResource, file, finding, resource};
use crate::model::ShadowKind;
use crate::model::cloud::ResourceRow;
use crate::model::finding::{FindingKind, Urgency};
use std::collections::HashSet;

pub const INVENTORY: &str = "inventory/shadow-ai.yaml";

/// Substrings of GitHub's `secret_type` that name an AI provider's key.
pub const AI_SECRET_TYPES: &[&str] = &[
    "openai",
    "anthropic",
    "cohere",
    "hugging_face",
    "huggingface",
    "azure_ai",
    "azure_cognitive",
    "cognitive_services",
    "google_gemini",
    "gemini",
    "mistral",
    "groq",
    "replicate",
    "deepseek",
    "perplexity",
];

/// What kind of AI or GPU resource a row is, if it is one.
pub fn ai_resource(r: &ResourceRow, skus: &crate::render::SkuTable) -> Option<&'static str> {
    if r.is_type("Microsoft.CognitiveServices/accounts") {
        return Some(
            match r.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("openai") => "Azure OpenAI account",
                Some("aiservices") => "AI Services account",
                _ => "Cognitive Services account",
            },
        );
    }
    if r.is_type("Microsoft.MachineLearningServices/workspaces") {
        return Some("Azure ML workspace");
    }
    let sizes = super::gpu_sizes(r, skus);
    if sizes.is_empty() {
        return None;
    }
    if r.is_type("Microsoft.Compute/virtualMachines") {
        Some("GPU virtual machine")
    } else if r.is_type("Microsoft.Compute/virtualMachineScaleSets") {
        Some("GPU scale set")
    } else {
        Some("AKS cluster with a GPU node pool")
    }
}

/// The inventory's resource ids, lower-cased, a trailing `/` dropped.
fn inventoried(input: &Input) -> HashSet<String> {
    input
        .repo()
        .inventory
        .iter()
        .flat_map(|inv| inv.findings.iter())
        .filter_map(|f| f.resource_id.as_deref())
        .map(|id| id.trim_end_matches('/').to_ascii_lowercase())
        .collect()
}

/// The shadow-AI resources of the inventory, in inventory order.
pub fn find(input: &Input) -> Vec<ShadowResource> {
    let listed = inventoried(input);
    let mut out = Vec::new();
    for r in &input.signals.inventory.resources {
        let Some(what) = ai_resource(r, input.skus) else {
            continue;
        };
        if super::bot_managed(r) && super::known_experiment(input, r).is_some() {
            continue;
        }
        if listed.contains(&r.id.trim_end_matches('/').to_ascii_lowercase()) {
            continue;
        }
        let sizes: Vec<String> = super::gpu_sizes(r, input.skus)
            .into_iter()
            .map(|(s, n, spot)| format!("{n} x {s}{}", if spot { " (Spot)" } else { "" }))
            .collect();
        let mut description = format!("{what} {}", r.name);
        if !sizes.is_empty() {
            description.push_str(&format!(" ({})", sizes.join(", ")));
        }
        description.push_str(", not deployed by adoptbot's IaC");
        let props = &r.properties;
        if props
            .get("publicNetworkAccess")
            .and_then(|v| v.as_str())
            .is_some_and(|v| v.eq_ignore_ascii_case("enabled"))
        {
            description.push_str("; public network access enabled");
        }
        if props.get("disableLocalAuth").and_then(|v| v.as_bool()) == Some(false) {
            description.push_str("; key authentication enabled");
        }
        let team = r
            .tag("team")
            .and_then(|t| t.parse::<crate::model::Id>().ok())
            .filter(|t| input.repo().teams.contains_key(t));
        out.push(ShadowResource {
            resource_id: r.id.clone(),
            name: r.name.clone(),
            resource_type: r.resource_type().to_string(),
            resource_group: r.group().unwrap_or_default().to_string(),
            subscription: r
                .subscription_id
                .clone()
                .or_else(|| crate::model::cloud::subscription_of(&r.id).map(str::to_string))
                .unwrap_or_default(),
            location: r.location.clone().unwrap_or_default(),
            what: what.to_string(),
            kind: if what.contains("GPU") {
                ShadowKind::GpuVmOutsideIac
            } else {
                ShadowKind::UnreviewedEndpoint
            },
            description,
            team,
        });
    }
    out
}

/// Who triages shadow AI: the approvers of gate 1 -> 2 (infrastructure and security leads).
pub fn triagers(input: &Input) -> Vec<String> {
    input.role_users(&["infrastructure-lead", "security-lead"])
}

pub fn rule(input: &Input, out: &mut Outcome) {
    let owners = triagers(input);
    let shadow = find(input);
    let branch = super::branch(
        crate::plan::branch::BotBranch::pull(
            crate::plan::branch::PullKind::Inventory,
            inventory_id(),
        )
        .to_string(),
    );
    for s in &shadow {
        out.findings.push(finding(
            format!("shadow-ai/{}", s.resource_id.trim_end_matches('/').to_ascii_lowercase()),
            FindingKind::ShadowAi,
            Urgency::ActionNeeded,
            format!("Shadow AI: `{}` in `{}`", s.name, s.resource_group),
            format!(
                "{} in resource group `{}` (subscription {}, {}). It is in neither adoptbot's IaC nor {INVENTORY}. \"Treat shadow AI discovery with the same urgency as discovering unpatched servers.\" The inventory PR adds it with status `discovered` for triage.",
                s.description, s.resource_group, s.subscription, s.location
            ),
            owners.clone(),
            vec![resource(&s.resource_id), file(INVENTORY), branch.clone()],
        ));
    }
    if let Some(alerts) = &input.signals.secret_alerts {
        for a in alerts {
            let t = a.secret_type.to_ascii_lowercase();
            if !AI_SECRET_TYPES.iter().any(|k| t.contains(k)) {
                continue;
            }
            let name = a
                .secret_type_display_name
                .clone()
                .unwrap_or_else(|| a.secret_type.clone());
            let mut links = Vec::new();
            if let Some(url) = &a.html_url {
                links.push(resource(url));
            }
            out.findings.push(finding(
                format!("leaked-key/{}", a.number),
                FindingKind::LeakedKey,
                Urgency::ActionNeeded,
                format!("API key in code: {name} (secret-scanning alert #{})", a.number),
                format!(
                    "GitHub secret scanning has an open alert #{} for a {name}: an AI provider's key in a code repository, the shadow AI the framework's audit looks for. Revoke the key, move the workload onto a governed deployment with managed identity, and close the alert.",
                    a.number
                ),
                owners.clone(),
                links,
            ));
        }
    }
    out.shadow = shadow;
}

/// The subject of the inventory PR's branch (`adoptbot/inventory/shadow-ai`).
pub fn inventory_id() -> crate::model::Id {
    "shadow-ai".parse().expect("a valid id")
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::model::finding::{CloudSignals, SecretAlert};
    use serde_json::json;

    fn signals(resources: Vec<crate::model::cloud::ResourceRow>) -> CloudSignals {
        CloudSignals {
            identity: identity(),
            inventory: crate::model::cloud::Inventory {
                resources,
                containers: vec![],
            },
            ..CloudSignals::default()
        }
    }

    #[test]
    fn ai_resources_outside_the_iac_and_the_inventory_are_shadow() {
        let mut files = repo(
            "experimentation",
            "",
            &[("rag", "azure-openai", Some("2026-11-20"))],
        );
        files.push((
            "inventory/shadow-ai.yaml".into(),
            format!("surveyed_on: 2026-03-01\nfindings:\n  - id: known-vm\n    kind: gpu-vm-outside-iac\n    description: known\n    location: sub\n    found_on: 2026-03-01\n    status: under-review\n    resource_id: /SUBSCRIPTIONS/{SUB}/resourcegroups/RG-X/providers/Microsoft.Compute/virtualMachines/KNOWN\n"),
        ));
        let a = analyse(&files, d("2026-12-01"));
        let gpu =
            json!({"hardwareProfile": {"vmSize": "Standard_NC24ads_A100_v4"}, "priority": "Spot"});
        let mut aoai = row(
            "rg-p",
            "Microsoft.CognitiveServices/accounts",
            "playground",
            json!({}),
            json!({"publicNetworkAccess": "Enabled", "disableLocalAuth": false}),
        );
        aoai.kind = Some("OpenAI".into());
        let rows = vec![
            aoai,
            row(
                "rg-x",
                "Microsoft.Compute/virtualMachines",
                "known",
                json!({}),
                gpu.clone(),
            ),
            row(
                "rg-y",
                "Microsoft.Compute/virtualMachines",
                "scratch",
                json!({}),
                gpu.clone(),
            ),
            // A CPU VM is not AI.
            row(
                "rg-y",
                "Microsoft.Compute/virtualMachines",
                "cpu",
                json!({}),
                json!({"hardwareProfile": {"vmSize": "Standard_D8s_v5"}}),
            ),
            // The bot's own, for a known experiment.
            row(
                "rg-rag",
                "Microsoft.CognitiveServices/accounts",
                "aoai-rag",
                bot_tags("rag", "2026-12-18"),
                json!({}),
            ),
            // Tagged as the bot's, but for no experiment the repository knows: shadow.
            row(
                "rg-z",
                "Microsoft.MachineLearningServices/workspaces",
                "mlw",
                bot_tags("ghost", "2026-12-18"),
                json!({}),
            ),
        ];
        let out = run(&a, &signals(rows), &[], d("2026-12-01"));
        let shadow: Vec<&str> = out.shadow.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(shadow, ["playground", "scratch", "mlw"]);
        let f = out
            .findings
            .iter()
            .find(|f| f.key.contains("/playground"))
            .unwrap();
        assert!(
            f.detail.contains("Azure OpenAI account")
                && f.detail.contains("public network access enabled")
                && f.detail.contains("key authentication enabled"),
            "{}",
            f.detail
        );
        assert_eq!(f.owners, ["alice", "carol"]);
        assert!(out.shadow[1].description.contains("(Spot)"));
        assert!(f.key.starts_with(&format!(
            "shadow-ai//subscriptions/{SUB}/resourcegroups/rg-p/"
        )));
    }

    #[test]
    fn secret_alerts_of_ai_key_types_are_findings() {
        let a = analyse(&repo("experimentation", "", &[]), d("2026-12-01"));
        let alert = |n, t: &str| SecretAlert {
            number: n,
            secret_type: t.into(),
            secret_type_display_name: None,
            html_url: Some(format!(
                "https://github.com/o/r/security/secret-scanning/{n}"
            )),
        };
        let s = CloudSignals {
            secret_alerts: Some(vec![
                alert(1, "openai_api_key"),
                alert(2, "github_personal_access_token"),
                alert(3, "azure_openai_key"),
            ]),
            ..CloudSignals::default()
        };
        let out = run(&a, &s, &[], d("2026-12-01"));
        let leaked: Vec<&str> = keys(&out.findings)
            .into_iter()
            .filter(|k| k.starts_with("leaked-key/"))
            .collect();
        assert_eq!(leaked, ["leaked-key/1", "leaked-key/3"]);
    }
}
