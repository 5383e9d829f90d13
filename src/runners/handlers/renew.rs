//! Renewals: `/adoptbot renew <2w|4w> [experiment]` opens a reviewed PR that appends to the
//! request's `renewals:`, within the framework's limits, and asks the team's leads to
//! review it. One PR per asking comment.

use super::Ctx;
use super::command::Answer;
use crate::forge::Forge;
use crate::model::forge::PullRequest;
use crate::model::{Id, Span};
use crate::plan::command;
use crate::plan::reconcile::{self, PullPlan};
use crate::runners::error::Result;

/// What was asked, and where.
pub struct Asked<'a> {
    pub pull: &'a PullRequest,
    pub comment_id: u64,
    pub duration: Span,
    pub reason: Option<&'a str>,
}

/// Opens the renewal of the one experiment in `ids`, or says why not.
pub async fn reconcile<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    answer: &Answer<'_>,
    ids: &[Id],
    asked: Asked<'_>,
) -> Result<()> {
    let [id] = ids else {
        return answer
            .say(
                ctx,
                command::which_experiment(asked.pull.number, ids, asked.duration),
            )
            .await;
    };
    let (name, sha) = ctx.forge.default_branch().await?;
    let (snapshot, analysis) = ctx.analyse(&sha).await?;
    let text = analysis
        .loaded
        .repo
        .experiments
        .get(id)
        .and_then(|d| snapshot.contents.get(&d.path))
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let want = match command::renewal(
        &analysis,
        text.as_deref(),
        (&name, &sha),
        id,
        asked.duration,
        asked.reason,
        command::Asked {
            by: answer.who,
            issue: answer.issue,
            comment_id: asked.comment_id,
        },
    ) {
        Ok(want) => want,
        Err(message) => return answer.say(ctx, message).await,
    };
    let branch = want.branch();
    let mine: Vec<PullRequest> = ctx
        .forge
        .pulls_by_branch_prefix(&branch)
        .await?
        .into_iter()
        .filter(|p| p.head_branch == branch)
        .collect();
    let bot = ctx.bot_account().await?;
    if let Some(p) = mine
        .iter()
        .find(|p| !crate::plan::branch::is_bot(&p.author, p.author_id, &bot))
    {
        return answer
            .say(
                ctx,
                format!(
                    "#{} already uses the branch `{branch}`, which is reserved for adoptbot, so no renewal PR was opened. Close it, then ask again.",
                    p.number
                ),
            )
            .await;
    }
    let mut number = mine.first().map(|p| p.number);
    if number.is_none()
        && let PullPlan::Writes(writes) = reconcile::pull(&want, &mine, &[], ctx.forge.bot_login())
    {
        for w in writes {
            if let Some(n) = ctx.apply(w, &branch).await? {
                number = Some(n);
            }
        }
        let team = analysis.loaded.repo.experiments[id].team.value.clone();
        let leads: Vec<String> = analysis
            .loaded
            .repo
            .teams
            .get(&team)
            .map(|t| t.leads.value.iter().map(|l| l.to_string()).collect())
            .unwrap_or_default();
        if let Some(n) = number {
            let fix = format!(
                "Add the leads of team `{team}` as collaborators, or name leads who are in `teams/{team}.yaml`."
            );
            ctx.ask_reviewers(n, &leads, &[], &fix).await?;
        }
    }
    answer
        .say(ctx, command::renewal_answer(id, asked.duration, number))
        .await
}
