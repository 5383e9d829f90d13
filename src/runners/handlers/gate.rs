//! Decision gates: a PR that changes the phase or the rules gets one checklist comment and
//! one check `adoptbot/gate (<base>)`, and the roles still missing are asked for review.
//! When it is merged, its verdict at the merge goes on the audit branch, once.

use super::Ctx;
use crate::forge::{Forge, ForgeError};
use crate::model::forge::{ChangedFile, Commit, FileChange, PullRequest};
use crate::plan::gate::{self, Judged};
use crate::plan::notices::{self, RefusedReviewers};
use crate::plan::reconcile::{self, DesiredComment, Write};
use crate::report;
use crate::runners::error::{Error, Result};
use std::collections::BTreeMap;

/// Judges a PR that touches `adoption.yaml` or `phases/`. Rules, roles and phases are read
/// at the base commit, deliverables at the head. `None` when it is not a gate request (or
/// `adoption.yaml` cannot be read; a note says so). Reads: two snapshots (kept by the
/// repository's memory), and the members of each role team whose members can change the
/// verdict (see [`team_decides`]), kept for a few minutes. People named by login are matched
/// against the reviewer's current login, so they cost no call.
async fn judge<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    pull: &PullRequest,
    files: &[ChangedFile],
    commits: &[Commit],
    reviews: Vec<crate::model::forge::Review>,
) -> Result<Option<Judged>> {
    let (base_snap, base) = ctx.analyse(&pull.base_sha).await?;
    let (head_snap, head) = ctx.analyse(&pull.head_sha).await?;
    let (Some(base_adoption), Some(head_adoption)) = (
        base.loaded.repo.adoption.as_ref(),
        head.loaded.repo.adoption.as_ref(),
    ) else {
        ctx.note(format!(
            "#{}: adoption.yaml could not be read at the base or the head",
            pull.number
        ));
        return Ok(None);
    };
    let Some(frame) = gate::frame(
        (&*base, &*base_snap),
        (head_adoption, &*head_snap),
        base_adoption,
        (&pull.body, files),
    ) else {
        return Ok(None);
    };
    let mut members = BTreeMap::new();
    for t in frame.teams() {
        if !team_decides(&frame, &t, pull, &reviews) {
            continue;
        }
        let m = ctx.team_members(&t.org, &t.slug).await?;
        members.insert((t.org.clone(), t.slug.clone()), m);
    }
    // Who contributed (`commits`): no approval counts from the author or committer of a
    // commit of the PR, or anyone a commit names as co-author.
    Ok(Some(gate::judge(
        frame,
        &head,
        &base,
        &members,
        pull,
        (reviews, commits),
        ctx.clock.today,
    )))
}

/// Whether the members of `team` can change the judgement, so that they must be read. A
/// role's team members count for three things only: whether a reviewer holds the role, and
/// whether the role is held by nobody or by the author alone. A reviewer the role names by
/// login holds it whatever the team, and a role that names someone besides the author by
/// login is held by someone else whatever the team. So the members are needed only when a
/// role that lists the team names nobody but the author, or someone the role does not name
/// reviewed the pull request.
fn team_decides(
    frame: &gate::Frame,
    team: &crate::model::TeamRef,
    pull: &PullRequest,
    reviews: &[crate::model::forge::Review],
) -> bool {
    frame.holders.values().any(|(users, teams)| {
        let named = |login: &str| users.iter().any(|u| u.eq_ignore_ascii_case(login));
        teams.iter().any(|t| {
            t.org.eq_ignore_ascii_case(&team.org) && t.slug.eq_ignore_ascii_case(&team.slug)
        }) && (users.iter().all(|u| u.eq_ignore_ascii_case(&pull.author))
            || reviews.iter().any(|r| !named(&r.user_login)))
    })
}

/// Reconciles an open gate request.
pub async fn reconcile<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    pull: &PullRequest,
    files: &[ChangedFile],
    commits: &[Commit],
) -> Result<()> {
    // Read at handling time, never taken from the event; the checklist is stamped with the
    // newest commit or review it saw.
    let reviews = ctx.forge.reviews(pull.number).await?;
    let valid_at = reconcile::observed_at(commits, &reviews).unwrap_or(ctx.clock.valid_at);
    let judged = judge(ctx, pull, files, commits, reviews).await?;
    let key = gate::checklist_key(&pull.base_branch);
    let comments = ctx.comments(pull.number).await?;
    let bot = ctx.bot().to_string();
    for stale in gate::stale_checklists(&comments, &bot, pull, valid_at) {
        ctx.comment(&stale, &comments).await?;
    }
    let checks = ctx.check_runs(&pull.head_sha).await?;
    let Some(judged) = judged else {
        if reconcile::find_marked(&comments, &bot, &key).is_some() {
            ctx.comment(&gate::moot_checklist(pull, valid_at), &comments)
                .await?;
        }
        let spec = gate::not_a_gate_check(pull);
        if let Some(w) = reconcile::check(&spec, &checks, &ctx.forge.bot_app()) {
            ctx.apply(w, &spec.name).await?;
        }
        return Ok(());
    };

    // Ask the roles still missing first, so that the checklist can say what was refused.
    let earlier = reconcile::find_marked(&comments, &bot, &key);
    let mut refused_before = earlier
        .map(|c| notices::refused_reviewers(&c.body))
        .unwrap_or_default();
    if refused_before.head != pull.head_sha {
        refused_before = RefusedReviewers::default();
    }
    // Nobody is asked twice: `pull` was read from the forge at handling time (never taken
    // from the event), and its requested reviewers and teams are left out.
    let (users, teams) = judged.reviewers_to_ask(
        pull,
        &(refused_before.users.clone(), refused_before.teams.clone()),
    );
    let fix = "Name role holders who can review in `adoption.yaml` (people with access to this repository, or teams of its organisation), or add them as collaborators.";
    let section = match ctx.ask_reviewers(pull.number, &users, &teams, fix).await? {
        Some(refused) => notices::section(
            &[refused],
            &RefusedReviewers {
                head: pull.head_sha.clone(),
                users,
                teams,
            },
        ),
        None => earlier
            .filter(|_| !refused_before.head.is_empty())
            .and_then(|c| notices::carried(&c.body))
            .unwrap_or_default()
            .to_string(),
    };

    let view = judged.view(pull);
    let spec = report::gate::check(&view);
    let app = ctx.forge.bot_app();
    let impostors = reconcile::impostors(&spec.name, &pull.head_sha, &checks, &app);
    let desired = DesiredComment {
        issue: pull.number,
        key,
        // The impostors before the "Not done" section, which runs to the end of the body.
        body: notices::with_section(
            reconcile::with_impostors(report::gate::comment(&view), &impostors),
            &section,
        ),
        valid_at,
    };
    ctx.comment(&desired, &comments).await?;
    if let Some(write) = reconcile::check(&spec, &checks, &app) {
        ctx.apply(write, &spec.name).await?;
    }
    Ok(())
}

/// A gate request merged: its verdict at the merge goes on the audit branch, once. A merge
/// the gate did not pass is recorded too, so that the trail shows it.
pub async fn merged<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    pull: &PullRequest,
    files: &[ChangedFile],
) -> Result<()> {
    use report::audit;
    let recorded: Vec<Commit> = match ctx
        .forge
        .branch_commits(&pull.base_branch, audit::BRANCH)
        .await
    {
        Ok(c) => c,
        Err(ForgeError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let key = audit::key(pull.number);
    let bot = ctx.bot().to_string();
    for forged in audit::foreign_commits(&recorded, &bot) {
        ctx.note(audit::describe_foreign(forged));
    }
    // Recorded means recorded by the bot: a person's commit naming the PR records nothing.
    if audit::is_recorded(&recorded, &key, &bot) {
        ctx.note(format!("#{} is on the audit trail already", pull.number));
        return Ok(());
    }
    let commits = ctx.merged_commits(pull).await?;
    let reviews = ctx.forge.reviews(pull.number).await?;
    let Some(judged) = judge(ctx, pull, files, &commits, reviews).await? else {
        ctx.note(format!(
            "#{} changed neither the phase nor the rules: nothing to record",
            pull.number
        ));
        return Ok(());
    };
    let record = audit::record(
        &judged.view(pull),
        pull,
        &judged.reviews,
        judged.frame.phases,
        &ctx.clock.rfc3339(),
    );
    let Some(parent) = recorded
        .last()
        .map(|c| c.sha.clone())
        .or_else(|| pull.merge_sha.clone())
    else {
        ctx.note(format!(
            "#{} has no merge commit to start the audit branch from",
            pull.number
        ));
        return Ok(());
    };
    let body = serde_json::to_string_pretty(&record).map_err(|e| Error::Record {
        what: "the audit record".into(),
        why: e.to_string(),
    })?;
    let write = Write::PushBranch {
        branch: audit::BRANCH.into(),
        parent,
        message: gate::audit_commit_message(&record, pull.number, &key),
        files: vec![FileChange {
            path: audit::path(&record),
            content: Some(body + "\n"),
        }],
    };
    ctx.apply(write, audit::BRANCH).await?;
    // The trail is only as strong as the rules on its branch: say where they are weaker.
    if let Some(rules) = ctx.forge.branch_rules(audit::BRANCH).await? {
        for w in gate::audit_rule_warnings(&rules) {
            ctx.note(w);
        }
    }
    Ok(())
}
