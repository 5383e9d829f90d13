//! The default branch: provisioning PRs for merged requests, re-render PRs when committed
//! IaC no longer matches a fresh render, decommission PRs when a time box ends or the cap is
//! spent, and the one-time warning before a time box ends. Bot PRs a person committed to are
//! left alone, and said so once.

use super::Ctx;
use crate::forge::Forge;
use crate::model::Id;
use crate::model::forge::{PrState, PullRequest};
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
    let (existing, held) = ctx.bot_pulls().await?;
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
    // Every open bot PR in scope: its branch's commits are read once, on every event, so
    // that a person's commit is noticed (and said once) whether or not the bot would change
    // the PR.
    let bot = ctx.bot().to_string();
    let mut commits_of: BTreeMap<String, Vec<crate::model::forge::Commit>> = BTreeMap::new();
    for p in existing.iter().filter(|p| {
        p.state == PrState::Open
            && crate::plan::branch::BotBranch::parse(&p.head_branch)
                .and_then(|b| b.experiment().cloned())
                .is_some_and(|id| wanted(&id))
    }) {
        if commits_of.contains_key(&p.head_branch) {
            continue;
        }
        let commits = ctx.forge.branch_commits(&name, &p.head_branch).await?;
        if let Some(first) = commits.iter().find(|c| !reconcile::is_bot_commit(c, &bot))
            && !scope.over_edits
        {
            let notice = desired::human_edit_notice(
                &p.head_branch,
                p.number,
                Some(first),
                ctx.clock.valid_at,
            );
            let comments = ctx.comments(p.number).await?;
            ctx.comment(&notice, &comments).await?;
        }
        commits_of.insert(p.head_branch.clone(), commits);
    }
    let state = desired::state(&branch, &requests, &starts, ctx.clock.valid_at);
    for want in state
        .pulls
        .into_iter()
        .filter(|p| p.bot.experiment().is_some_and(wanted))
    {
        let known = commits_of.get(&want.branch()).cloned().unwrap_or_default();
        pull(
            ctx,
            &want,
            &name,
            &existing,
            &held,
            scope.over_edits,
            Some(&known),
        )
        .await?;
    }
    for warning in state.warnings.into_iter().filter(|w| wanted(&w.experiment)) {
        let comments = ctx.comments(warning.comment.issue).await?;
        ctx.comment(&warning.comment, &comments).await?;
    }
    for u in state.unwarned.iter().filter(|u| wanted(&u.experiment)) {
        ctx.note(u.to_string());
    }
    Ok(())
}

/// One open bot PR, on an event about it (a push to its branch): its branch's commits are
/// read, and the first one the bot did not make gets the one notice. One read, plus the
/// comments when there is something to say.
pub async fn watch<F: Forge>(ctx: &mut Ctx<'_, F>, pull: &PullRequest) -> Result<()> {
    let bot = ctx.bot().to_string();
    let commits = ctx
        .forge
        .branch_commits(&pull.base_branch, &pull.head_branch)
        .await?;
    if let Some(first) = commits.iter().find(|c| !reconcile::is_bot_commit(c, &bot)) {
        let notice = desired::human_edit_notice(
            &pull.head_branch,
            pull.number,
            Some(first),
            ctx.clock.valid_at,
        );
        let comments = ctx.comments(pull.number).await?;
        ctx.comment(&notice, &comments).await?;
    }
    Ok(())
}

/// Brings one bot pull request to `want`, against the bot's PRs on the default branch
/// `name` (`existing`) and people's PRs on bot branches (`held`). The one place a bot PR is
/// opened, updated or left alone; the scheduled report's PRs go through it too. `known` are
/// the branch's commits when the caller read them already (and said what a person
/// committed); otherwise they are read here when the bot has an open PR on the branch.
pub async fn pull<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    want: &crate::plan::reconcile::DesiredPull,
    name: &str,
    existing: &[PullRequest],
    held: &[PullRequest],
    over_edits: bool,
    known: Option<&[crate::model::forge::Commit]>,
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
    let bot = ctx.bot().to_string();
    let read;
    let commits: &[crate::model::forge::Commit] = match known {
        Some(c) => c,
        None if mine.iter().any(|p| p.state == PrState::Open) => {
            read = ctx.forge.branch_commits(name, &branch_name).await?;
            &read
        }
        None => &[],
    };
    let mut replaced = Vec::new();
    let plan = if over_edits {
        replaced = commits
            .iter()
            .filter(|c| !reconcile::is_bot_commit(c, &bot))
            .cloned()
            .collect();
        reconcile::pull_over_edits(want, &mine, commits, &bot)
    } else {
        reconcile::pull(want, &mine, commits, &bot)
    };
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
                let comments = ctx.comments(number).await?;
                ctx.comment(&notice, &comments).await?;
            }
        }
        // Said once already by the caller, when it read the commits.
        PullPlan::HumanEdited { number } if known.is_some() => {
            ctx.note(format!(
                "#{number} on `{branch_name}` has a person's commits: adoptbot leaves it alone"
            ));
        }
        PullPlan::HumanEdited { number } => {
            let first = commits.iter().find(|c| !reconcile::is_bot_commit(c, &bot));
            let notice =
                desired::human_edit_notice(&branch_name, number, first, ctx.clock.valid_at);
            let comments = ctx.comments(number).await?;
            ctx.comment(&notice, &comments).await?;
        }
    }
    Ok(())
}
