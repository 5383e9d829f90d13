//! The deployment plan between two commits: which experiments' IaC under
//! `infra/experiments/<id>/` was added, changed or removed, and the commands that preview
//! (on the pull request) and apply (on the merge) each change. Pure: the runner reads the two
//! trees and hands over what each side holds.
//!
//! - Bicep deploys through an Azure deployment stack per experiment, `adoptbot-<id>`, so that
//!   removing the IaC deletes every resource the stack manages (`--action-on-unmanage
//!   deleteAll`). The preview is `az deployment sub what-if`.
//! - Terraform runs `init` then `plan` (preview) or `apply`; removed IaC is destroyed from
//!   the base commit's files, restored first with `git checkout <base> -- <dir>`, so the
//!   state's backend and the resources it tracks are the ones that were deployed.

use serde::Serialize;
use std::collections::BTreeSet;

/// Where rendered experiments live.
pub const INFRA_DIR: &str = "infra/experiments";

/// What one side (base or head) of the comparison holds for an experiment's folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Side {
    /// File names relative to the folder, e.g. `main.bicep`, `modules/net.tf`.
    pub files: BTreeSet<String>,
    /// The Azure region of the experiment (its request's `location` parameter, or the first
    /// region of `adoption.yaml`), if known.
    pub location: Option<String>,
    /// The team of the experiment's request, if known: with the id, it names the resource
    /// group and the cap's Automation account, the way `render` names them.
    pub team: Option<String>,
}

/// An experiment folder that differs between the two commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderChange {
    pub id: String,
    /// The folder at the base commit; `None` when it did not exist there.
    pub base: Option<Side>,
    /// The folder at the head commit; `None` when it does not exist there.
    pub head: Option<Side>,
}

/// How a deployment stack protects the resources it manages, from `stack_deny_settings` in
/// `adoption.yaml` (`az stack sub create --deny-settings-mode`).
pub use crate::model::DenySettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Added,
    Changed,
    Removed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Removed => "removed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    Bicep,
    Terraform,
}

/// One experiment's deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub experiment: String,
    pub change: Change,
    /// `None` when the folder has neither `main.bicep` nor `main.tf`: nothing to run.
    pub tool: Option<Tool>,
    pub dir: String,
    /// What the pull request runs: `what-if`, `terraform plan`. Read-only on the cloud.
    pub preview: Vec<Vec<String>>,
    /// What the merge runs: create or update the stack, `apply`, or the teardown.
    pub apply: Vec<Vec<String>>,
    /// Why something is missing or was chosen, for people.
    pub notes: Vec<String>,
}

/// The whole plan between two commits, in experiment order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeployPlan {
    pub base: String,
    pub head: String,
    pub deployments: Vec<Deployment>,
}

/// Splits a repository path into the experiment id and the path inside its folder.
pub fn experiment_of(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(INFRA_DIR)?.strip_prefix('/')?;
    let (id, inner) = rest.split_once('/')?;
    (!id.is_empty() && !inner.is_empty()).then_some((id, inner))
}

fn tool_of(side: &Side) -> Option<Tool> {
    if side.files.contains("main.bicep") {
        Some(Tool::Bicep)
    } else if side.files.contains("main.tf") {
        Some(Tool::Terraform)
    } else {
        None
    }
}

fn argv(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

/// Plans the deployments of `changes` from `base` to `head`.
pub fn plan(base: &str, head: &str, changes: &[FolderChange], deny: DenySettings) -> DeployPlan {
    let mut deployments: Vec<Deployment> = changes
        .iter()
        .filter_map(|c| deployment(base, c, deny))
        .collect();
    deployments.sort_by(|a, b| a.experiment.cmp(&b.experiment));
    DeployPlan {
        base: base.to_owned(),
        head: head.to_owned(),
        deployments,
    }
}

fn deployment(base_sha: &str, c: &FolderChange, deny: DenySettings) -> Option<Deployment> {
    let (change, side) = match (&c.base, &c.head) {
        (None, Some(h)) => (Change::Added, h),
        (Some(_), Some(h)) => (Change::Changed, h),
        (Some(b), None) => (Change::Removed, b),
        (None, None) => return None,
    };
    let id = c.id.as_str();
    let dir = format!("{INFRA_DIR}/{id}");
    let mut d = Deployment {
        experiment: id.to_owned(),
        change,
        tool: tool_of(side),
        dir: dir.clone(),
        preview: Vec::new(),
        apply: Vec::new(),
        notes: Vec::new(),
    };
    // A folder that changed flavour: the old deployment is torn down by the new one's tool
    // only if it is the same tool, so say so.
    if let (Some(b), Some(h)) = (&c.base, &c.head)
        && tool_of(b).is_some()
        && tool_of(b) != tool_of(h)
    {
        d.notes.push(format!(
            "the IaC changed language from {:?} to {:?}; tear the old deployment down by hand \
             (see docs/deploy-infra.md)",
            tool_of(b),
            tool_of(h)
        ));
    }
    // A folder name becomes a stack name and a path in commands: only experiment ids pass.
    if id.parse::<crate::model::Id>().is_err() {
        d.tool = None;
        d.notes.push(format!(
            "`{id}` is not an experiment id (lower-case letters, digits and `-`); nothing is \
             run for it, rename the folder"
        ));
        return Some(d);
    }
    let stack = format!("adoptbot-{id}");
    let location = side.location.clone();
    match (d.tool, change) {
        (None, _) => d.notes.push(format!(
            "{dir} has neither main.bicep nor main.tf; nothing to deploy (render it with \
             `adoptbot render`)"
        )),
        (Some(Tool::Bicep), Change::Added | Change::Changed) => {
            let template = format!("{dir}/main.bicep");
            let params = format!("{dir}/main.bicepparam");
            let with_params = side.files.contains("main.bicepparam");
            if !with_params {
                d.notes.push(format!(
                    "{params} is missing; the template is deployed with its defaults (render \
                     the experiment again to write it)"
                ));
            }
            let Some(loc) = location else {
                d.notes.push(format!(
                    "no region for {id}: give the request a `location` parameter or \
                     `azure.regions` in adoption.yaml"
                ));
                return Some(d);
            };
            let mut what_if = argv(&[
                "az",
                "deployment",
                "sub",
                "what-if",
                "--name",
                &stack,
                "--location",
                &loc,
                "--template-file",
                &template,
            ]);
            let mut create = argv(&[
                "az",
                "stack",
                "sub",
                "create",
                "--name",
                &stack,
                "--location",
                &loc,
                "--template-file",
                &template,
            ]);
            if with_params {
                for cmd in [&mut what_if, &mut create] {
                    cmd.extend(argv(&["--parameters", &params]));
                }
            }
            create.extend(argv(&[
                "--action-on-unmanage",
                "deleteAll",
                "--deny-settings-mode",
                deny.az_value(),
                "--yes",
            ]));
            d.preview.push(what_if);
            d.apply.push(create);
            cap_runbook(&mut d, side, id);
        }
        (Some(Tool::Bicep), Change::Removed) => {
            d.preview
                .push(argv(&["az", "stack", "sub", "show", "--name", &stack]));
            d.apply.push(argv(&[
                "az",
                "stack",
                "sub",
                "delete",
                "--name",
                &stack,
                "--action-on-unmanage",
                "deleteAll",
                "--yes",
            ]));
        }
        (Some(Tool::Terraform), Change::Added | Change::Changed) => {
            let chdir = format!("-chdir={dir}");
            let init = argv(&["terraform", &chdir, "init", "-input=false"]);
            d.preview.push(init.clone());
            d.preview
                .push(argv(&["terraform", &chdir, "plan", "-input=false"]));
            d.apply.push(init);
            d.apply.push(argv(&[
                "terraform",
                &chdir,
                "apply",
                "-input=false",
                "-auto-approve",
            ]));
        }
        (Some(Tool::Terraform), Change::Removed) => {
            let chdir = format!("-chdir={dir}");
            let restore = argv(&["git", "checkout", base_sha, "--", &dir]);
            let init = argv(&["terraform", &chdir, "init", "-input=false"]);
            d.notes.push(format!(
                "the folder is gone at the head commit; it is restored from the base commit \
                 {} to destroy what its state holds",
                short(base_sha)
            ));
            for steps in [&mut d.preview, &mut d.apply] {
                steps.push(restore.clone());
                steps.push(init.clone());
            }
            d.preview.push(argv(&[
                "terraform",
                &chdir,
                "plan",
                "-destroy",
                "-input=false",
            ]));
            d.apply.push(argv(&[
                "terraform",
                &chdir,
                "destroy",
                "-input=false",
                "-auto-approve",
            ]));
        }
    }
    Some(d)
}

/// ARM takes a runbook's content only from a URL, so a Bicep deployment leaves the cap's
/// runbook empty: after the stack, upload the rendered script and publish it, or the budget's
/// 100% action has nothing to run. Terraform sets the content itself.
fn cap_runbook(d: &mut Deployment, side: &Side, id: &str) {
    use crate::render::guardrails::{CAP_RUNBOOK, RUNBOOK_FILE};
    if !side.files.contains(RUNBOOK_FILE) {
        return;
    }
    let Some(team) = &side.team else {
        d.notes.push(format!(
            "no request names the team of {id}, so the cap runbook's Automation account is not \
             known: upload {}/{RUNBOOK_FILE} by hand (see docs/deploy-infra.md), or the cost cap \
             stops nothing",
            d.dir
        ));
        return;
    };
    let names = crate::render::names::derive(id, team);
    let group = &names["resource_group"];
    let account = format!("aa-adoptbot-cap-{}", names["base"]);
    let content = format!("@{}/{RUNBOOK_FILE}", d.dir);
    let target = [
        "--resource-group",
        group.as_str(),
        "--automation-account-name",
        account.as_str(),
        "--name",
        CAP_RUNBOOK,
    ];
    d.apply.push(argv(&[
        "az",
        "extension",
        "add",
        "--name",
        "automation",
        "--upgrade",
        "--yes",
    ]));
    let mut replace = argv(&["az", "automation", "runbook", "replace-content"]);
    replace.extend(argv(&target));
    replace.extend(argv(&["--content", &content]));
    d.apply.push(replace);
    let mut publish = argv(&["az", "automation", "runbook", "publish"]);
    publish.extend(argv(&target));
    d.apply.push(publish);
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// Quotes one argument for a POSIX shell, only when it needs it.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// One command as a shell line.
pub fn shell_line(cmd: &[String]) -> String {
    cmd.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The plan for people.
pub fn text(plan: &DeployPlan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Deployment plan {}..{}: {}",
        short(&plan.base),
        short(&plan.head),
        super::count(plan.deployments.len(), "experiment", "experiments")
    );
    if plan.deployments.is_empty() {
        let _ = writeln!(
            out,
            "  nothing under {INFRA_DIR}/ changed; nothing to deploy or tear down"
        );
    }
    for d in &plan.deployments {
        let tool = match d.tool {
            Some(Tool::Bicep) => "bicep",
            Some(Tool::Terraform) => "terraform",
            None => "no IaC",
        };
        let _ = writeln!(
            out,
            "\n{} ({}, {tool}) in {}",
            d.experiment,
            d.change.as_str(),
            d.dir
        );
        for (title, cmds) in [
            ("on the pull request", &d.preview),
            ("on the merge", &d.apply),
        ] {
            if cmds.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {title}:");
            for c in cmds {
                let _ = writeln!(out, "    {}", shell_line(c));
            }
        }
        for n in &d.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(files: &[&str], loc: Option<&str>) -> Side {
        Side {
            files: files.iter().map(|s| s.to_string()).collect(),
            location: loc.map(str::to_owned),
            team: Some("search".into()),
        }
    }

    #[test]
    fn paths_are_split_into_experiment_and_file() {
        assert_eq!(
            experiment_of("infra/experiments/a/main.tf"),
            Some(("a", "main.tf"))
        );
        assert_eq!(experiment_of("infra/experiments/a"), None);
        assert_eq!(experiment_of("infra/other/a/main.tf"), None);
        assert_eq!(experiment_of("experiments/a.yaml"), None);
    }

    #[test]
    fn bicep_added_uses_a_stack_with_the_deny_settings() {
        let p = plan(
            "b",
            "h",
            &[FolderChange {
                id: "x".into(),
                base: None,
                head: Some(side(&["main.bicep", "main.bicepparam"], Some("westeurope"))),
            }],
            DenySettings::DenyDelete,
        );
        let d = &p.deployments[0];
        assert_eq!(d.change, Change::Added);
        let line = shell_line(&d.apply[0]);
        assert!(line.contains("az stack sub create --name adoptbot-x --location westeurope"));
        assert!(line.contains("--parameters infra/experiments/x/main.bicepparam"));
        assert!(line.contains("--deny-settings-mode denyDelete"));
        assert!(shell_line(&d.preview[0]).starts_with("az deployment sub what-if"));
    }

    #[test]
    fn terraform_removed_restores_the_base_files_then_destroys() {
        let p = plan(
            "abc1234def",
            "h",
            &[FolderChange {
                id: "y".into(),
                base: Some(side(&["main.tf"], None)),
                head: None,
            }],
            DenySettings::None,
        );
        let d = &p.deployments[0];
        assert_eq!(
            shell_line(&d.apply[0]),
            "git checkout abc1234def -- infra/experiments/y"
        );
        assert!(shell_line(&d.apply[2]).contains("destroy"));
        assert!(shell_line(&d.preview[2]).contains("plan -destroy"));
    }

    #[test]
    fn a_folder_that_is_not_an_experiment_id_runs_nothing() {
        let p = plan(
            "b",
            "h",
            &[FolderChange {
                id: "$(curl evil)".into(),
                base: None,
                head: Some(side(&["main.bicep"], Some("westeurope"))),
            }],
            DenySettings::None,
        );
        let d = &p.deployments[0];
        assert!(d.apply.is_empty() && d.preview.is_empty());
        assert!(d.notes[0].contains("is not an experiment id"));
    }

    #[test]
    fn quoting_only_when_needed() {
        assert_eq!(shell_quote("a-b/c.d"), "a-b/c.d");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
