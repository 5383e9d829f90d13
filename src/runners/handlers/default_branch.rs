//! The default branch: provisioning PRs for merged requests, re-render PRs when committed
//! IaC no longer matches a fresh render, decommission PRs when a time box ends or the cap is
//! spent, and the one-time warning before a time box ends. Bot PRs a person committed to are
//! left alone, and said so once.

use super::Ctx;
use crate::forge::Forge;
use crate::model::Id;
use crate::model::forge::{PrState, PullRequest};
use crate::plan::branch::{PREFIX, is_bot};
use crate::plan::desired::{self, Branch};
use crate::plan::reconcile::{self, PullPlan, Write};
use crate::runners::error::{Error, Result};
use std::collections::BTreeMap;

/// Which experiments, and how.
#[derive(Debug, Clone, Default)]
pub struct Scope<'a> {
    /// The PR that requested an experiment, where the trigger knows it.
    pub request_prs: BTreeMap<Id, u64>,
    /// Only these experiments; all when `None`.
    pub only: Option<&'a [Id]>,
    /// Bot PRs a person committed to are rendered again over those commits
    /// (`/adoptbot rerender`), and the PR says whose commits were replaced.
    pub over_edits: bool,
}

/// Reconciles the default branch for the experiments in `scope`.
pub async fn reconcile<F: Forge>(ctx: &mut Ctx<'_, F>, scope: Scope<'_>) -> Result<()> {
    let (name, sha) = ctx.forge.default_branch().await?;
    let (snapshot, analysis) = ctx.analyse(&sha).await?;
    let Some(catalogue) = crate::blueprint_facts(&analysis.loaded.repo).catalogue else {
        return Err(Error::Blueprints);
    };
    // Only the PRs the bot opened are the bot's; a person's PR on a bot branch is theirs.
    let (existing, held): (Vec<PullRequest>, Vec<PullRequest>) = ctx
        .forge
        .pulls_by_branch_prefix(PREFIX)
        .await?
        .into_iter()
        .partition(|p| is_bot(&p.author, ctx.forge.bot_login()));
    let (mut requests, starts) = desired::remembered(&existing);
    for (id, n) in scope.request_prs {
        requests.insert(id, n);
    }
    let branch = Branch {
        name: &name,
        sha: &sha,
        snapshot: &snapshot,
        analysis: &analysis,
        catalogue: &catalogue,
        today: ctx.clock.today,
    };
    let wanted = |id: &Id| scope.only.is_none_or(|o| o.contains(id));
    let state = desired::state(&branch, &requests, &starts, ctx.clock.valid_at);
    for want in state
        .pulls
        .into_iter()
        .filter(|p| p.bot.experiment().is_some_and(wanted))
    {
        pull(ctx, &want, &name, &existing, &held, scope.over_edits).await?;
    }
    for warning in state.warnings.into_iter().filter(|w| wanted(&w.experiment)) {
        let comments = ctx.forge.comments(warning.comment.issue).await?;
        ctx.comment(&warning.comment, &comments).await?;
    }
    for u in state.unwarned.iter().filter(|u| wanted(&u.experiment)) {
        ctx.note(u.to_string());
    }
    Ok(())
}

/// Brings one bot pull request to `want`, against the bot's PRs on the default branch
/// `name` (`existing`) and people's PRs on bot branches (`held`). The one place a bot PR is
/// opened, updated or left alone; the scheduled report's PRs go through it too.
pub async fn pull<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    want: &crate::plan::reconcile::DesiredPull,
    name: &str,
    existing: &[PullRequest],
    held: &[PullRequest],
    over_edits: bool,
) -> Result<()> {
    let branch_name = want.branch();
    // A person's open PR from the branch: pushing would rewrite their PR. Leave it.
    if let Some(p) = held
        .iter()
        .find(|p| p.head_branch == branch_name && p.state == PrState::Open)
    {
        ctx.note(format!(
            "`{branch_name}` is held by #{}, which @{} opened: adoptbot leaves the branch alone until that PR is closed",
            p.number, p.author
        ));
        return Ok(());
    }
    let mine: Vec<PullRequest> = existing
        .iter()
        .filter(|p| p.head_branch == branch_name)
        .cloned()
        .collect();
    // Who committed to the branch matters only when the bot would change it.
    let mut plan = reconcile::pull(want, &mine, &[]);
    let mut replaced = Vec::new();
    if (plan != PullPlan::UpToDate || over_edits) && mine.iter().any(|p| p.state == PrState::Open) {
        let commits = ctx.forge.branch_commits(name, &branch_name).await?;
        plan = if over_edits {
            replaced = commits
                .iter()
                .filter(|c| !reconcile::is_bot_commit(c))
                .cloned()
                .collect();
            reconcile::pull_over_edits(want, &mine, &commits)
        } else {
            reconcile::pull(want, &mine, &commits)
        };
    }
    match plan {
        PullPlan::UpToDate => {}
        PullPlan::Writes(writes) => {
            let number = writes.iter().find_map(|w| match w {
                Write::UpdatePull { number, .. } => Some(*number),
                _ => None,
            });
            for w in writes {
                ctx.apply(w, &branch_name).await?;
            }
            if let (Some(number), false) = (number, replaced.is_empty()) {
                let notice =
                    desired::rerendered_notice(&branch_name, number, &replaced, ctx.clock.valid_at);
                let comments = ctx.forge.comments(number).await?;
                ctx.comment(&notice, &comments).await?;
            }
        }
        PullPlan::HumanEdited { number } => {
            let notice = desired::human_edit_notice(&branch_name, number, ctx.clock.valid_at);
            let comments = ctx.forge.comments(number).await?;
            ctx.comment(&notice, &comments).await?;
        }
    }
    Ok(())
}
