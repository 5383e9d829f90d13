//! The loop. Every trigger maps to targets (`plan::targets`); `reconcile` brings one target
//! to its desired state through its capability's handler; `run` does every target of a
//! trigger under the error policy (`runners::error::Policy`). The CLI, the Action, the demo
//! and the server all go through `run`.

use super::error::{Error, Policy};
use super::handlers::default_branch::{self, Scope};
use super::handlers::{Ctx, command, gate, request};
use super::outcome::Applied;
use crate::forge::Forge;
use crate::model::Clock;
use crate::model::event::Event;
use crate::model::forge::{PrState, PullRequest};
use crate::plan::branch;
use crate::plan::gate::touches_rules;
use crate::plan::targets::{self, Target};

/// Reconciles one target.
pub async fn reconcile<F: Forge>(ctx: &mut Ctx<'_, F>, target: &Target) -> Result<(), Error> {
    match target {
        // The pull request is read from the forge at handling time: its head, its state and
        // its author are the forge's now, never a payload's, so an old or replayed delivery
        // cannot roll anything back.
        Target::Pull { number, .. } => {
            let pull = ctx.forge.pull(*number).await?;
            pull_request(ctx, &pull).await
        }
        Target::DefaultBranch { only, request_prs } => {
            default_branch::reconcile(
                ctx,
                Scope {
                    request_prs: request_prs.clone(),
                    only: only.as_deref(),
                    over_edits: false,
                },
            )
            .await
        }
        Target::Command {
            issue,
            on_pull,
            comment,
        } => command::reconcile(ctx, *issue, *on_pull, comment).await,
        Target::Dashboard => super::handlers::dashboard::reconcile(ctx).await,
    }
}

/// A person's pull request: open, its gate checklist (if it changes the rules) and its
/// request comments; merged, its audit record and the provisioning it asks for.
async fn pull_request<F: Forge>(ctx: &mut Ctx<'_, F>, pull: &PullRequest) -> Result<(), Error> {
    // What is the bot's is decided by who opened it, never by the branch name.
    if ctx.is_bot(&pull.author, pull.author_id).await? {
        ctx.note(format!("#{} is adoptbot's own pull request", pull.number));
        if pull.state == PrState::Open {
            default_branch::watch(ctx, pull).await?;
        }
        return Ok(());
    }
    if branch::reserved(&pull.head_branch) && pull.state == PrState::Open {
        let comments = ctx.comments(pull.number).await?;
        let notice = crate::plan::branch::reserved_notice(pull, ctx.clock.valid_at);
        ctx.comment(&notice, &comments).await?;
    }
    match pull.state {
        PrState::Open => {
            // The files, and who contributed and when the PR last changed: read once, for
            // both handlers.
            let (files, commits) = ctx.pull_changes(pull).await?;
            if touches_rules(files.iter().map(|f| f.path.as_str())) {
                gate::reconcile(ctx, pull, &files, &commits).await?;
            }
            request::reconcile(ctx, pull, &files, &commits).await
        }
        PrState::Merged => {
            let files = ctx.forge.pull_files(pull.number).await?;
            if touches_rules(files.iter().map(|f| f.path.as_str())) {
                gate::merged(ctx, pull, &files).await?;
            }
            let requests = request::requests_in(&files, pull.number);
            if requests.is_empty() {
                ctx.note(format!("#{} requested no experiment", pull.number));
                return Ok(());
            }
            let only: Vec<_> = requests.keys().cloned().collect();
            default_branch::reconcile(
                ctx,
                Scope {
                    request_prs: requests,
                    only: Some(&only),
                    over_edits: false,
                },
            )
            .await
        }
        PrState::Closed => {
            ctx.note(format!("#{} is closed", pull.number));
            Ok(())
        }
    }
}

/// Runs every target of `event`. A target that fails is handled by the error policy: a
/// transient failure is retried by the next delivery (the run fails at the end so that it
/// is), one that cannot be done now is reported and the others go on, and anything that
/// would stop every target stops the run.
pub async fn run<F: Forge>(forge: &F, event: &Event, clock: Clock) -> Result<Applied, Error> {
    run_in(Ctx::new(forge, clock), event).await
}

/// [`run`] with the memory a long-lived process keeps for the repository: snapshots and
/// parsed documents by commit, the bot's account, team members for a few minutes.
pub async fn run_with<F: Forge>(
    forge: &F,
    event: &Event,
    clock: Clock,
    memory: &mut super::handlers::Memory,
) -> Result<Applied, Error> {
    run_in(Ctx::with_memory(forge, clock, memory), event).await
}

async fn run_in<F: Forge>(mut ctx: Ctx<'_, F>, event: &Event) -> Result<Applied, Error> {
    let forge = ctx.forge;
    let targets = match targets::targets(event, forge.bot_login()) {
        Ok(t) => t,
        Err(skip) => {
            ctx.note(skip);
            return Ok(ctx.applied);
        }
    };
    run_targets(&mut ctx, &targets).await?;
    Ok(ctx.applied)
}

/// Runs `targets` in order under the error policy.
pub async fn run_targets<F: Forge>(ctx: &mut Ctx<'_, F>, targets: &[Target]) -> Result<(), Error> {
    let mut retry = None;
    for target in targets {
        match reconcile(ctx, target).await {
            Ok(()) => {}
            Err(e) => match e.policy() {
                Policy::Stop => return Err(e),
                Policy::ReportAndSkip => {
                    tracing::warn!(target = %target.describe(), error = %e, "skipped");
                    ctx.note(format!("skipped {}: {e}", target.describe()));
                }
                Policy::RetryLater => {
                    tracing::warn!(target = %target.describe(), error = %e, "to retry");
                    ctx.note(format!("to retry {}: {e}", target.describe()));
                    retry.get_or_insert(e);
                }
            },
        }
    }
    match retry {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
