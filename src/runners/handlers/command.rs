//! Slash commands in comments: `/adoptbot recheck`, `/adoptbot rerender` and
//! `/adoptbot renew` (see `renew`). Honoured only from people with write access; anyone else
//! gets one polite refusal per pull request, whatever they try. Answers are keyed by the
//! asking comment, so a replayed event finds its answer and does nothing.

use super::default_branch::{self, Scope};
use super::{Ctx, gate, renew, request};
use crate::forge::Forge;
use crate::model::Id;
use crate::model::event::CommentInfo;
use crate::model::forge::{Comment, PrState, PullRequest};
use crate::plan::branch::BotBranch;
use crate::plan::command::{self, Command};
use crate::plan::gate::touches_rules;
use crate::plan::reconcile::{self, DesiredComment};
use crate::runners::error::Result;
use std::collections::BTreeMap;

/// Where the answer goes: the asking comment's issue, and the comments already there.
pub struct Answer<'a> {
    pub issue: u64,
    pub key: String,
    pub who: &'a str,
    pub comments: Vec<Comment>,
}

impl Answer<'_> {
    /// Answers the asker, once: a replay finds the answer keyed by the comment.
    pub async fn say<F: Forge>(&self, ctx: &mut Ctx<'_, F>, text: String) -> Result<()> {
        let desired = DesiredComment {
            issue: self.issue,
            key: self.key.clone(),
            body: format!("@{}: {text}", self.who),
            valid_at: ctx.clock.valid_at,
        };
        ctx.comment(&desired, &self.comments).await
    }
}

/// Reconciles a command found in `comment` on issue or pull request `issue`.
pub async fn reconcile<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    issue: u64,
    on_pull: bool,
    comment: &CommentInfo,
) -> Result<()> {
    let Some(parsed) = command::parse(&comment.body) else {
        ctx.note(format!("comment {} holds no command", comment.id));
        return Ok(());
    };
    let who = comment.user.login.as_str();
    let permission = ctx.forge.permission(who).await?;
    let comments = ctx.comments(issue).await?;
    let bot = ctx.bot().to_string();
    let answer = Answer {
        issue,
        key: format!("command/{}", comment.id),
        who,
        comments,
    };
    if reconcile::find_marked(&answer.comments, &bot, &answer.key).is_some() {
        ctx.note(format!("comment {} was answered already", comment.id));
        return Ok(());
    }
    if !permission.can_write() {
        let refusal = command::refusal(issue, who, ctx.clock.valid_at);
        if reconcile::find_marked(&answer.comments, &bot, &refusal.key).is_some() {
            ctx.note(format!("@{who} was told once already; no second refusal"));
        } else {
            ctx.comment(&refusal, &answer.comments).await?;
        }
        return Ok(());
    }
    let command = match parsed {
        Ok(c) => c,
        Err(message) => return answer.say(ctx, message).await,
    };
    if !on_pull {
        return answer
            .say(
                ctx,
                format!(
                    "`/adoptbot {}` works in pull requests only.",
                    command.name()
                ),
            )
            .await;
    }
    let pull = ctx.forge.pull(issue).await?;
    // A bot PR by who opened it, never by its branch name alone.
    let bot_pull = BotBranch::parse(&pull.head_branch).is_some()
        && ctx.is_bot(&pull.author, pull.author_id).await?;
    match command {
        Command::Recheck if bot_pull => {
            let (requests, ids) = experiments_of(ctx, &pull).await?;
            default_branch::reconcile(
                ctx,
                Scope {
                    request_prs: requests,
                    only: Some(&ids),
                    over_edits: false,
                },
            )
            .await
        }
        Command::Recheck if pull.state == PrState::Open => {
            let (files, commits) = ctx.pull_changes(&pull).await?;
            if touches_rules(files.iter().map(|f| f.path.as_str())) {
                gate::reconcile(ctx, &pull, &files, &commits).await?;
            }
            request::reconcile(ctx, &pull, &files, &commits).await
        }
        Command::Recheck => {
            answer
                .say(
                    ctx,
                    format!(
                        "#{} is closed, so there is nothing to check again.",
                        pull.number
                    ),
                )
                .await
        }
        Command::Rerender => {
            let (requests, ids) = experiments_of(ctx, &pull).await?;
            if ids.is_empty() {
                return answer
                    .say(
                        ctx,
                        format!(
                            "#{} concerns no experiment, so there is nothing to render.",
                            pull.number
                        ),
                    )
                    .await;
            }
            default_branch::reconcile(
                ctx,
                Scope {
                    request_prs: requests,
                    only: Some(&ids),
                    over_edits: true,
                },
            )
            .await
        }
        Command::Renew {
            duration,
            experiment,
            reason,
        } => {
            let ids = match experiment {
                Some(id) => vec![id],
                None => experiments_of(ctx, &pull).await?.1,
            };
            let asked = renew::Asked {
                pull: &pull,
                comment_id: comment.id,
                duration,
                reason: reason.as_deref(),
            };
            renew::reconcile(ctx, &answer, &ids, asked).await
        }
    }
}

/// The experiments a pull request concerns: the one of a bot PR (by its branch), or the
/// requests a person's PR adds or changes, with the PR that asked for each.
pub async fn experiments_of<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    pull: &PullRequest,
) -> Result<(BTreeMap<Id, u64>, Vec<Id>)> {
    if let Some(branch) = BotBranch::parse(&pull.head_branch) {
        return Ok((
            BTreeMap::new(),
            branch.experiment().cloned().into_iter().collect(),
        ));
    }
    let files = ctx.forge.pull_files(pull.number).await?;
    let requests = request::requests_in(&files, pull.number);
    let ids = requests.keys().cloned().collect();
    Ok((requests, ids))
}
