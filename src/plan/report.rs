//! The scheduled report, planned: from the default branch, what the cloud shows and the
//! observation history, the findings for the dashboard, the bot PRs that follow from them
//! (decommission for an exhausted budget, a capped experiment or an idle sandbox, reclaim
//! for hoarded GPU quota, the shadow-AI inventory) and today's observation. Pure: the
//! runners read the signals and the history, and apply the result.
//!
//! The rules are `evaluate::cloud`. Decommission PRs are built by `plan::desired` (one
//! builder); an experiment the default branch already decommissions (time box ended, or
//! the `spend:` field at the cap) gets no second PR here. PR files change only when their
//! inputs do (discovery dates come from the observations), so a daily run does not rewrite
//! an open PR.

use super::branch::{BotBranch, PullKind};
use super::desired::{Branch, decommission};
use super::reconcile::DesiredPull;
use super::yaml_edit::append_list_item;
use crate::evaluate::cloud::{self, Input, Reclaim, ShadowResource};
use crate::model::ShadowKind;
use crate::model::finding::{CloudSignals, Finding, Observation};
use crate::model::forge::FileChange;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// What a scheduled run wants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scheduled {
    /// Every finding, most urgent first, then by key.
    pub findings: Vec<Finding>,
    /// The bot PRs the findings call for.
    pub pulls: Vec<DesiredPull>,
    /// What this run measured, for `adoptbot/observations`.
    pub observation: Observation,
    /// The reviewers to ask on a PR, by its branch (reclaim PRs: the team's leads and the
    /// platform team lead). Also named in the PR body.
    pub reviewers: BTreeMap<String, Vec<String>>,
}

/// The scheduled report for the default branch `b`, given the cloud `signals` (empty when
/// there is no cloud) and the observations of earlier runs, oldest first.
pub fn scheduled(b: &Branch, signals: &CloudSignals, history: &[Observation]) -> Scheduled {
    let input = Input {
        analysis: b.analysis,
        skus: b.catalogue.skus(),
        settings: b.catalogue.settings(),
        signals,
        history,
        today: b.today,
    };
    let out = cloud::run(&input);
    let mut pulls = Vec::new();
    let mut reviewers = BTreeMap::new();
    let repo = &b.analysis.loaded.repo;
    for d in &out.decommissions {
        let (Some(e), Some(doc)) = (
            input.experiment(d.experiment.as_str()),
            repo.experiments.get(&d.experiment),
        ) else {
            continue;
        };
        let mut pull = decommission(b, e, doc.request_pr, d.why.clone());
        // The builder's note about a missing expiry warning is about time boxes, not these.
        if let Some(at) = pull.body.find("\n\nNo request PR is on record") {
            pull.body.truncate(at);
        }
        if d.urgent {
            pull.title = format!("Decommission experiment {} (budget exhausted)", e.id);
            pull.body = format!(
                "**Urgent: budget exhausted, resources deallocated.** Review this PR first: Azure's cost cap stops the compute, and merging removes what is left of the experiment.\n\n{}",
                pull.body
            );
        }
        pull.body
            .push_str(&format!("\n\nDashboard finding: `{}`.", d.finding));
        pulls.push(pull);
    }
    if let Some(p) = inventory_pull(b, &input, &out.shadow) {
        pulls.push(p);
    }
    for r in &out.reclaims {
        if let Some(p) = reclaim_pull(b, r) {
            reviewers.insert(p.branch(), r.reviewers.clone());
            pulls.push(p);
        }
    }
    pulls.sort_by_key(|p| p.branch());
    Scheduled {
        findings: out.findings,
        pulls,
        observation: out.observation,
        reviewers,
    }
}

fn text(b: &Branch, path: &str) -> Option<String> {
    b.snapshot
        .contents
        .get(path)
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

/// A YAML double-quoted scalar (JSON's string syntax is one).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// An inventory id from a resource name: lower-case letters, digits and single hyphens,
/// starting with a letter, unique among `taken`.
fn inventory_id(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut id = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let mut id = id.trim_end_matches('-').to_string();
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id = format!("shadow-{id}").trim_end_matches('-').to_string();
    }
    id.truncate(56);
    let id = id.trim_end_matches('-').to_string();
    let mut candidate = id.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{id}-{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

fn kind_word(k: ShadowKind) -> &'static str {
    match k {
        ShadowKind::PersonalSubscription => "personal-subscription",
        ShadowKind::ApiKeyInRepo => "api-key-in-repo",
        ShadowKind::GpuVmOutsideIac => "gpu-vm-outside-iac",
        ShadowKind::SaasTool => "saas-tool",
        ShadowKind::UnreviewedEndpoint => "unreviewed-endpoint",
    }
}

/// The inventory entry of a shadow resource, as a block-sequence item at column 2.
fn inventory_item(s: &ShadowResource, id: &str, found_on: NaiveDate) -> String {
    let mut item = format!(
        "  - id: {id}\n    kind: {}\n    description: {}\n    location: {}\n",
        kind_word(s.kind),
        quoted(&s.description),
        quoted(&format!(
            "subscription {} / resource group {} ({})",
            s.subscription, s.resource_group, s.location
        )),
    );
    if let Some(t) = &s.team {
        item.push_str(&format!("    team: {t}\n"));
    }
    item.push_str(&format!(
        "    found_on: {found_on}\n    status: discovered\n    resource_id: {}\n    notes: {}\n",
        quoted(&s.resource_id),
        quoted("Found by adoptbot's scheduled report in Azure Resource Graph: not deployed by adoptbot's IaC. Triage it: under-review, approved, migrated or decommissioned.")
    ));
    item
}

/// ONE PR that adds every shadow-AI resource to `inventory/shadow-ai.yaml`, with status
/// `discovered` and the day it was first seen, keeping the file's comments.
fn inventory_pull(b: &Branch, input: &Input, shadow: &[ShadowResource]) -> Option<DesiredPull> {
    if shadow.is_empty() {
        return None;
    }
    let path = cloud::shadow::INVENTORY;
    let repo = &b.analysis.loaded.repo;
    let mut taken: BTreeSet<String> = repo
        .inventory
        .iter()
        .flat_map(|i| i.findings.iter().map(|f| f.id.to_string()))
        .collect();
    let mut content = text(b, path).unwrap_or_else(|| {
        format!(
            "# The shadow-AI inventory: what was found outside the governed path, and what is done about it.\nsurveyed_on: {}\nscope: [Azure subscriptions (Resource Graph)]\nfindings: []\n",
            b.today
        )
    });
    let mut lines = Vec::new();
    for s in shadow {
        let id = inventory_id(&s.name, &mut taken);
        let found = cloud::first_seen(input, &s.resource_id);
        content = append_list_item(&content, "findings", &inventory_item(s, &id, found))?;
        lines.push(format!(
            "- `{id}`: {} {} in resource group {}, subscription {} (first seen {found})",
            s.what,
            crate::report::markdown::code(&s.name),
            crate::report::markdown::code(&s.resource_group),
            crate::report::markdown::code(&s.subscription)
        ));
    }
    let body = format!(
        "Adds {} AI or GPU resources that adoptbot's IaC did not deploy to `{path}`, with status `discovered`, for people to triage:\n\n{}\n\n\"Shadow AI isn't just a governance problem — it's a security exposure. Every unreviewed model endpoint is a potential data leak.\" Merging records them; it changes nothing in Azure. Set each entry's `status` as triage goes (`under-review`, `approved`, `migrated`, `decommissioned`).",
        shadow.len(),
        lines.join("\n")
    );
    Some(DesiredPull {
        bot: BotBranch::pull(PullKind::Inventory, cloud::shadow::inventory_id()),
        reason: format!(
            "{} shadow-AI resources are not in the inventory",
            shadow.len()
        ),
        base_branch: b.name.into(),
        base_sha: b.sha.clone(),
        title: "Add shadow AI found in Azure to the inventory".into(),
        body,
        files: vec![FileChange {
            path: path.into(),
            content: Some(content),
        }],
    })
}

/// The line ranges `[start, end)` of the items of the top-level block list `key`.
fn list_items(lines: &[&str], key: &str) -> Vec<(usize, usize)> {
    let prefix = format!("{key}:");
    let Some(at) = lines.iter().position(|l| {
        l.starts_with(&prefix)
            && l[prefix.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '\n' || c == '\r')
    }) else {
        return Vec::new();
    };
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut item_indent: Option<usize> = None;
    let mut last_content = at;
    for (i, l) in lines.iter().enumerate().skip(at + 1) {
        let t = l.trim_start();
        if t.trim().is_empty() || t.starts_with('#') {
            continue;
        }
        let indent = l.len() - t.len();
        let is_item = t.starts_with("- ") || t.trim_end() == "-";
        if indent == 0 && !is_item {
            break;
        }
        if is_item && item_indent.is_none_or(|n| n == indent) {
            item_indent = Some(indent);
            if let Some(last) = items.last_mut() {
                last.1 = last_content + 1;
            }
            items.push((i, i + 1));
        }
        last_content = i;
    }
    if let Some(last) = items.last_mut() {
        last.1 = last_content + 1;
    }
    items
}

/// Sets `vcpus` of the `index`-th `gpu_quota` entry to `to`, or removes the entry when `to`
/// is 0, keeping every other line (and the entry's comments) as written. `None` when the
/// entry is not found.
pub fn edit_quota(text: &str, index: usize, to: u32) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let items = list_items(&lines, "gpu_quota");
    let (start, end) = *items.get(index)?;
    let mut out = String::with_capacity(text.len());
    let re = regex::Regex::new(r"(\bvcpus:\s*)(\d+)").ok()?;
    let mut done = false;
    for (i, l) in lines.iter().enumerate() {
        if (start..end).contains(&i) {
            if to == 0 {
                continue;
            }
            if !done && re.is_match(l) {
                out.push_str(&re.replace(l, format!("${{1}}{to}")));
                done = true;
                continue;
            }
        }
        out.push_str(l);
    }
    if to == 0 {
        // An emptied list stays valid YAML.
        if items.len() == 1 {
            let prefix = "gpu_quota:";
            out = out
                .split_inclusive('\n')
                .map(|l| {
                    if l.starts_with(prefix) && l[prefix.len()..].trim().is_empty() {
                        "gpu_quota: []\n".to_string()
                    } else {
                        l.to_string()
                    }
                })
                .collect();
        }
        return Some(out);
    }
    done.then_some(out)
}

/// The reclaim PR of one team: its `teams/<team>.yaml` with the cut allocations.
fn reclaim_pull(b: &Branch, r: &Reclaim) -> Option<DesiredPull> {
    let mut content = text(b, &r.path)?;
    // Highest index first, so that a removal does not shift the entries still to edit.
    let mut cuts = r.cuts.clone();
    cuts.sort_by_key(|c| std::cmp::Reverse(c.index));
    for c in &cuts {
        content = edit_quota(&content, c.index, c.to)?;
    }
    let sections: Vec<String> = r
        .cuts
        .iter()
        .map(|c| {
            format!(
                "### `{}` in `{}`: {} → {}\n\n{}",
                c.family,
                c.region,
                c.from,
                if c.to == 0 {
                    "removed".to_string()
                } else {
                    format!("{} vCPUs", c.to)
                },
                c.evidence
            )
        })
        .collect();
    let mentions: Vec<String> = r.reviewers.iter().map(|l| format!("@{l}")).collect();
    let body = format!(
        "Reclaims GPU quota that team `{}` has not used. \"Implement use-it-or-lose-it: quota below 20% utilization for 30 days gets reclaimed.\" Each allocation is lowered to the observed peak in whole VMs of its family, never below what runs now plus what the team's experiments request.\n\n{}\n\nReviewers: {} (the team's leads and the platform team lead). Merging this PR records the lower allocation in `{}`; the quota the team gives back can go to the teams that wait for it. Nothing changes in Azure until the platform team adjusts the quota there.",
        r.team,
        sections.join("\n\n"),
        mentions.join(", "),
        r.path
    );
    Some(DesiredPull {
        bot: BotBranch::pull(PullKind::Reclaim, r.team.clone()),
        reason: format!(
            "team `{}` used its GPU quota below the reclaim threshold",
            r.team
        ),
        base_branch: b.name.into(),
        base_sha: b.sha.clone(),
        title: format!("Reclaim unused GPU quota of team {}", r.team),
        body,
        files: vec![FileChange {
            path: r.path.clone(),
            content: Some(content),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::edit_quota;

    const TEAM: &str = "name: Fraud\ngpu_quota:\n  - family: a # first\n    region: eastus\n    vcpus: 64\n    status: approved\n\n  # the second\n  - { family: b, region: eastus, vcpus: 48, status: approved } # kept\nskills: {}\n";

    #[test]
    fn lowers_an_entry_keeping_comments() {
        let t = edit_quota(TEAM, 0, 8).unwrap();
        assert_eq!(t, TEAM.replace("vcpus: 64", "vcpus: 8"));
        let t = edit_quota(TEAM, 1, 24).unwrap();
        assert!(
            t.contains("  - { family: b, region: eastus, vcpus: 24, status: approved } # kept\n"),
            "{t}"
        );
        assert_eq!(edit_quota(TEAM, 2, 8), None);
    }

    #[test]
    fn removes_an_entry() {
        let t = edit_quota(TEAM, 0, 0).unwrap();
        assert_eq!(
            t,
            "name: Fraud\ngpu_quota:\n\n  # the second\n  - { family: b, region: eastus, vcpus: 48, status: approved } # kept\nskills: {}\n"
        );
        let t = edit_quota(&t, 0, 0).unwrap();
        assert!(t.starts_with("name: Fraud\ngpu_quota: []\n"), "{t}");
    }
}
