//! Experiment requests: a person's PR that adds or changes `experiments/<id>.yaml` gets one
//! comment per request (the verdict, the estimate, a preview of the IaC), one check
//! `adoptbot/experiment`, and review requests to the team's leads, once. Four reads besides
//! the pull request and its files and commits, whatever the size of the repository.

use super::Ctx;
use crate::forge::Forge;
use crate::model::forge::{ChangedFile, FileStatus, PullRequest};
use crate::model::{Flavour, Id};
use crate::plan::notices::{self, RefusedReviewers};
use crate::plan::reconcile::{self, DesiredComment, Write};
use crate::report;
use crate::runners::error::Result;
use std::collections::BTreeMap;

/// The experiment id of a request file, `experiments/<id>.yaml`.
pub fn request_id(path: &str) -> Option<Id> {
    let file = path.strip_prefix("experiments/")?;
    if file.contains('/') {
        return None;
    }
    file.strip_suffix(".yaml")?.parse().ok()
}

/// The experiment requests a PR's files add or change, each with the PR that asks for it.
pub fn requests_in(files: &[ChangedFile], number: u64) -> BTreeMap<Id, u64> {
    files
        .iter()
        .filter(|f| f.status != FileStatus::Removed)
        .filter_map(|f| request_id(&f.path))
        .map(|id| (id, number))
        .collect()
}

/// Reconciles the request comments and check of an open PR.
pub async fn reconcile<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    pull: &PullRequest,
    files: &[ChangedFile],
    commits: &[crate::model::forge::Commit],
) -> Result<()> {
    let ids: Vec<Id> = requests_in(files, pull.number).into_keys().collect();
    // The comments are stamped with the state observed, not with the run's clock.
    let valid_at = reconcile::observed_at(commits, &[]).unwrap_or(ctx.clock.valid_at);
    // `infra/` is the bot's: a person's PR that adds or changes a file there fails the check.
    let infra: Vec<String> = files
        .iter()
        .filter(|f| f.status != FileStatus::Removed && f.path.starts_with("infra/"))
        .map(|f| f.path.clone())
        .collect();
    if ids.is_empty() && infra.is_empty() {
        ctx.note(format!("#{} changes no experiment request", pull.number));
        return Ok(());
    }
    if ids.is_empty() {
        let checks = ctx.check_runs(&pull.head_sha).await?;
        let spec = report::request::with_hand_written_iac(
            report::request::no_requests_check(&pull.head_sha),
            &infra,
        );
        if let Some(write) = reconcile::check(&spec, &checks, &ctx.forge.bot_app()) {
            ctx.apply(write, &spec.name).await?;
        }
        return Ok(());
    }
    let (_, analysis) = ctx.analyse(&pull.head_sha).await?;
    let catalogue = crate::blueprint_facts(&analysis.loaded.repo).catalogue;
    let flavour = analysis
        .loaded
        .repo
        .adoption
        .as_ref()
        .map(|a| a.iac_flavour)
        .unwrap_or(Flavour::Bicep);
    let comments = ctx.comments(pull.number).await?;
    let checks = ctx.check_runs(&pull.head_sha).await?;
    let bot = ctx.bot().to_string();
    let app = ctx.forge.bot_app();
    let impostors = reconcile::impostors("adoptbot/experiment", &pull.head_sha, &checks, &app);

    let mut paths = Vec::new();
    for id in &ids {
        paths.push(format!("experiments/{id}.yaml"));
        let Some(state) = analysis.evaluation.experiments.iter().find(|e| &e.id == id) else {
            // The file did not load: the check's annotations say why.
            continue;
        };
        let doc = &analysis.loaded.repo.experiments[id];
        let rendered = catalogue.as_ref().and_then(|c| {
            crate::render::render_experiment(c, id, doc, flavour, ctx.clock.today).ok()
        });
        let key = format!("experiment/{id}");
        // The impostors before any "Not done" section, which runs to the end of the body.
        let mut body = reconcile::with_impostors(
            report::request::comment(&analysis.evaluation, state, flavour, rendered.as_deref()),
            &impostors,
        );
        let earlier = reconcile::find_marked(&comments, &bot, &key);
        match earlier {
            // Asked once, with the first comment: a crash in between asks again, harmlessly.
            None => {
                let leads: Vec<String> = analysis
                    .loaded
                    .repo
                    .teams
                    .get(&state.team)
                    .map(|t| {
                        t.leads
                            .value
                            .iter()
                            .map(|l| l.to_string())
                            .filter(|l| !l.eq_ignore_ascii_case(&pull.author))
                            .collect()
                    })
                    .unwrap_or_default();
                let fix = format!(
                    "Add the leads of team `{}` as collaborators of this repository, or name leads who are in `teams/{}.yaml`.",
                    state.team, state.team
                );
                if let Some(refused) = ctx.ask_reviewers(pull.number, &leads, &[], &fix).await? {
                    let who = RefusedReviewers {
                        head: pull.head_sha.clone(),
                        users: leads.clone(),
                        teams: Vec::new(),
                    };
                    body = notices::with_section(body, &notices::section(&[refused], &who));
                }
            }
            // A refusal reported before stays reported: the leads are not asked again.
            Some(c) => {
                if let Some(section) = notices::carried(&c.body) {
                    body = notices::with_section(body, section);
                }
            }
        }
        let desired = DesiredComment {
            issue: pull.number,
            key: key.clone(),
            body,
            valid_at,
        };
        ctx.comment(&desired, &comments).await?;
    }
    let spec = report::request::with_hand_written_iac(
        report::request::check(&analysis.evaluation, &paths, &pull.head_sha),
        &infra,
    );
    if let Some(write @ (Write::CreateCheck(_) | Write::UpdateCheck { .. })) =
        reconcile::check(&spec, &checks, &app)
    {
        ctx.apply(write, &spec.name).await?;
    }
    Ok(())
}
