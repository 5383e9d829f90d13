//! The scheduled report: it reads the cloud (bounded, see `runners::cloud::signals`), the
//! observation history on `adoptbot/observations`, asks the core for the findings, the bot
//! PRs and today's observation (`plan::report::scheduled`), opens the PRs through the
//! default branch's pull machinery, appends the observation (one commit a day at most), and
//! keeps the one dashboard issue up to date, with the checkbox actions people ticked.
//!
//! What each refusal does:
//!
//! | write | 403 | 404 | 422 | 429 / 5xx |
//! |---|---|---|---|---|
//! | a bot PR (push, open, update) | stop | skip the target | skip the target | retry later |
//! | the observation commit | stop | skip the target | skip the target | retry later |
//! | the dashboard (create, update, reopen) | stop | skip the target | skip the target | retry later |
//!
//! "Skip" is the loop's `ReportAndSkip`, "stop" its `Stop`: a 403 that is not a rate limit
//! means the token lacks a permission every later write needs too. Writes are keyed (PRs by
//! branch, the observation by day, the dashboard by its marker), so a run that failed half
//! way is completed by the next one without duplicates.

use super::Ctx;
use super::default_branch;
use crate::cloud::Cloud;
use crate::forge::{Forge, Issue, IssueState};
use crate::model::finding::{CloudSignals, Observation};
use crate::model::forge::{FileChange, PrState, PullRequest};
use crate::plan::branch::BotBranch;
use crate::plan::dashboard::{self as dash, Action, IssuePlan, Offer};
use crate::plan::desired::{self, Branch};
use crate::plan::reconcile::{self, DesiredPull, PullPlan, Write};
use crate::plan::report::Scheduled;
use crate::runners::error::{Error, Result};
use crate::runners::outcome::{Subject, WriteKind, Written};
use std::collections::{BTreeMap, BTreeSet};

/// What a scheduled run found and did, besides its writes (in `Ctx::applied`).
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub scheduled: Scheduled,
    /// Whether the cloud was read.
    pub cloud_read: bool,
    /// The calls the cloud took, when one was read.
    pub cloud_calls: Option<crate::cloud::CloudCalls>,
    /// The dashboard body wanted, and the issue's number once there is one.
    pub body: String,
    pub dashboard: Option<u64>,
}

/// A cloud that is never there: the scheduled run of a loop without one.
pub struct NoCloud;

impl Cloud for NoCloud {
    fn calls(&self) -> crate::cloud::CloudCalls {
        crate::cloud::CloudCalls::default()
    }
    async fn identity(&self) -> crate::cloud::CloudResult<crate::cloud::Identity> {
        Err(absent())
    }
    async fn inventory(&self, _: &[String]) -> crate::cloud::CloudResult<crate::cloud::Inventory> {
        Err(absent())
    }
    async fn spend(
        &self,
        _: &str,
        _: &str,
        _: crate::cloud::Period,
    ) -> crate::cloud::CloudResult<crate::cloud::Spend> {
        Err(absent())
    }
    async fn usages(
        &self,
        _: &str,
        _: &str,
    ) -> crate::cloud::CloudResult<crate::cloud::RegionUsages> {
        Err(absent())
    }
    async fn activity(
        &self,
        _: &str,
        _: &str,
        _: chrono::NaiveDate,
    ) -> crate::cloud::CloudResult<crate::cloud::Activity> {
        Err(absent())
    }
    async fn metrics(
        &self,
        _: &str,
        _: &[&str],
        _: crate::cloud::Period,
    ) -> crate::cloud::CloudResult<Vec<crate::cloud::MetricSeries>> {
        Err(absent())
    }
}

fn absent() -> crate::cloud::CloudError {
    crate::cloud::CloudError::new(
        crate::cloud::Api::ResourceGraph,
        "configuration",
        crate::cloud::CloudErrorKind::Refused,
        "no cloud is configured for this run",
    )
}

fn quiet(_: crate::cloud::Api, _: &str) {}

/// The scheduled run of the loop (`Target::Dashboard`), without a cloud.
pub async fn reconcile<F: Forge>(ctx: &mut Ctx<'_, F>) -> Result<()> {
    scheduled(ctx, |_| Ok(None::<NoCloud>), &quiet)
        .await
        .map(|_| ())
}

/// Chooses the cloud of a run once `adoption.yaml`'s `azure:` section is known (`None` when
/// it has none): `Ok(None)` for a run without a cloud.
pub trait ChooseCloud<C>:
    FnOnce(Option<&crate::model::AzureScopes>) -> crate::cloud::CloudResult<Option<C>>
{
}
impl<C, T> ChooseCloud<C> for T where
    T: FnOnce(Option<&crate::model::AzureScopes>) -> crate::cloud::CloudResult<Option<C>>
{
}

/// The rules a scheduled run asks: `plan::report::scheduled`, or hand-made findings in tests.
pub trait Rules: Fn(&Branch<'_>, &CloudSignals, &[Observation]) -> Scheduled {}
impl<T: Fn(&Branch<'_>, &CloudSignals, &[Observation]) -> Scheduled> Rules for T {}

/// The default-branch steps, then the scheduled report with the cloud `choose` picks: what
/// `adoptbot report`, the Action's schedule and the demo run.
pub async fn run<F: Forge, C: Cloud>(
    forge: &F,
    choose: impl ChooseCloud<C>,
    clock: crate::model::Clock,
    progress: crate::runners::cloud::Progress<'_>,
) -> Result<(crate::runners::outcome::Applied, Report)> {
    run_with_rules(
        forge,
        choose,
        clock,
        progress,
        crate::plan::report::scheduled,
    )
    .await
}

/// [`run`] with other rules. Everything the report needs is read first (the cloud too), so
/// that a cloud that fails leaves nothing written; then the default branch's own steps,
/// then the report's writes.
pub async fn run_with_rules<F: Forge, C: Cloud>(
    forge: &F,
    choose: impl ChooseCloud<C>,
    clock: crate::model::Clock,
    progress: crate::runners::cloud::Progress<'_>,
    rules: impl Rules,
) -> Result<(crate::runners::outcome::Applied, Report)> {
    in_ctx(Ctx::new(forge, clock), choose, progress, rules).await
}

/// [`run`] with the memory a long-lived process keeps for the repository (the App server's
/// schedule): the default branch's snapshot and analysis are shared with its events.
pub async fn run_with_memory<F: Forge, C: Cloud>(
    forge: &F,
    choose: impl ChooseCloud<C>,
    clock: crate::model::Clock,
    progress: crate::runners::cloud::Progress<'_>,
    memory: &mut super::Memory,
) -> Result<(crate::runners::outcome::Applied, Report)> {
    in_ctx(
        Ctx::with_memory(forge, clock, memory),
        choose,
        progress,
        crate::plan::report::scheduled,
    )
    .await
}

async fn in_ctx<F: Forge, C: Cloud>(
    mut ctx: Ctx<'_, F>,
    choose: impl ChooseCloud<C>,
    progress: crate::runners::cloud::Progress<'_>,
    rules: impl Rules,
) -> Result<(crate::runners::outcome::Applied, Report)> {
    let read = gather(&mut ctx, choose, progress).await?;
    crate::runners::reconcile::run_targets(
        &mut ctx,
        &[crate::plan::targets::Target::default_branch()],
    )
    .await?;
    let report = write(&mut ctx, read, rules).await?;
    Ok((ctx.applied, report))
}

/// The scheduled run, with the cloud `choose` picks (none: the repository and the calendar
/// only).
pub async fn scheduled<F: Forge, C: Cloud>(
    ctx: &mut Ctx<'_, F>,
    choose: impl ChooseCloud<C>,
    progress: crate::runners::cloud::Progress<'_>,
) -> Result<Report> {
    scheduled_with_rules(ctx, choose, progress, crate::plan::report::scheduled).await
}

/// [`scheduled`] with other rules.
pub async fn scheduled_with_rules<F: Forge, C: Cloud>(
    ctx: &mut Ctx<'_, F>,
    choose: impl ChooseCloud<C>,
    progress: crate::runners::cloud::Progress<'_>,
    rules: impl Rules,
) -> Result<Report> {
    let read = gather(ctx, choose, progress).await?;
    write(ctx, read, rules).await
}

/// What a scheduled run read before it writes anything.
pub struct Gathered {
    name: String,
    sha: crate::model::forge::Sha,
    snapshot: std::sync::Arc<crate::load::Snapshot>,
    analysis: std::sync::Arc<crate::Analysis>,
    catalogue: crate::render::Catalogue,
    signals: CloudSignals,
    cloud_read: bool,
    cloud_calls: Option<crate::cloud::CloudCalls>,
    history: dash::History,
    obs_head: Option<crate::model::forge::Sha>,
    notes: Vec<String>,
}

/// Every read of a scheduled run: the default branch and its analysis, the cloud, the
/// secret-scanning alerts and the observation history.
async fn gather<F: Forge, C: Cloud>(
    ctx: &mut Ctx<'_, F>,
    choose: impl ChooseCloud<C>,
    progress: crate::runners::cloud::Progress<'_>,
) -> Result<Gathered> {
    let (name, sha) = ctx.forge.default_branch().await?;
    let (snapshot, analysis) = ctx.analyse(&sha).await?;
    let Some(catalogue) = crate::blueprint_facts(&analysis.loaded.repo).catalogue else {
        return Err(Error::Blueprints);
    };
    let today = ctx.clock.today;
    let mut notes: Vec<String> = Vec::new();
    let scopes = analysis
        .loaded
        .repo
        .adoption
        .as_ref()
        .and_then(|a| a.value.azure.clone());
    let cloud = choose(scopes.as_ref())?;
    let mut signals = match (&cloud, &scopes) {
        (Some(c), Some(s)) => {
            crate::runners::cloud::signals(c, s, &analysis, today, progress).await?
        }
        (Some(_), None) => {
            notes.push("adoption.yaml has no `azure:` section, so the cloud was not read: add azure.tenant_id, azure.subscriptions and azure.regions".into());
            CloudSignals::default()
        }
        (None, _) => CloudSignals::default(),
    };
    let cloud_read = signals.identity.is_some();
    signals.secret_alerts = ctx.forge.secret_alerts().await?;
    let obs_branch = BotBranch::Observations.to_string();
    let obs_head = ctx.forge.branch_head(&obs_branch).await?;
    let history = match &obs_head {
        Some(head) => {
            let files = ctx.forge.files_under(head, dash::OBSERVATIONS_DIR).await?;
            let commits = ctx.forge.branch_commits(&name, &obs_branch).await?;
            dash::history(&files, &commits, today, ctx.forge.bot_login())
        }
        None => dash::History::default(),
    };
    for i in &history.ignored {
        ctx.note(format!("{obs_branch}: {i}"));
    }
    Ok(Gathered {
        name,
        sha,
        snapshot,
        analysis,
        catalogue,
        signals,
        cloud_read,
        cloud_calls: cloud.as_ref().map(|c| c.calls()),
        history,
        obs_head,
        notes,
    })
}

/// Every write of a scheduled run, from what [`gather`] read.
async fn write<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    read: Gathered,
    rules: impl Rules,
) -> Result<Report> {
    let today = ctx.clock.today;
    let Gathered {
        name,
        sha,
        snapshot,
        analysis,
        catalogue,
        signals,
        cloud_read,
        cloud_calls,
        history,
        obs_head,
        mut notes,
    } = read;
    let obs_branch = BotBranch::Observations.to_string();
    let branch = Branch {
        name: &name,
        sha: &sha,
        snapshot: &snapshot,
        analysis: &analysis,
        catalogue: &catalogue,
        today,
    };
    let wanted = rules(&branch, &signals, &history.observations);
    let (existing, held) = ctx.bot_pulls().await?;

    // The bot PRs the findings call for, through the one pull machinery.
    for want in &wanted.pulls {
        default_branch::pull(ctx, want, &name, &existing, &held, false, None).await?;
    }

    // Today's observation, once a day, only from a run that read the cloud.
    if history.human_commits {
        notes.push(format!("`{obs_branch}` has commits that adoptbot did not make, so adoptbot no longer records observations there; delete the branch to start again"));
    } else if cloud_read && !history.has_today {
        let mut observation = wanted.observation.clone();
        observation.date = Some(today);
        observation_commit(
            ctx,
            &obs_branch,
            obs_head.as_deref().unwrap_or(&sha),
            &observation,
        )
        .await?;
    }

    // The dashboard.
    let (requests, starts) = desired::remembered(&existing);
    let state = desired::state(&branch, &requests, &starts, ctx.clock.valid_at);
    let all_wanted: Vec<&DesiredPull> = state.pulls.iter().chain(&wanted.pulls).collect();
    let bot_login = ctx.forge.bot_login().to_string();
    let (body, number) = dashboard(
        ctx,
        &DashboardInputs {
            wanted: &wanted,
            all_pulls: &all_wanted,
            existing: &existing,
            held: &held,
            branch: &branch,
            notes,
            bot: &bot_login,
        },
    )
    .await?;
    Ok(Report {
        scheduled: wanted,
        cloud_read,
        cloud_calls,
        body,
        dashboard: number,
    })
}

async fn observation_commit<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    branch: &str,
    parent: &str,
    observation: &Observation,
) -> Result<()> {
    let today = ctx.clock.today;
    let content = dash::observation_file(observation);
    let write = Write::PushBranch {
        branch: branch.to_owned(),
        parent: parent.to_owned(),
        message: dash::observation_message(today, &content),
        files: vec![FileChange {
            path: dash::observation_path(today),
            content: Some(content),
        }],
    };
    ctx.apply(write, branch).await?;
    Ok(())
}

struct DashboardInputs<'a, 'b> {
    wanted: &'a Scheduled,
    all_pulls: &'a [&'a DesiredPull],
    existing: &'a [PullRequest],
    held: &'a [PullRequest],
    branch: &'a Branch<'b>,
    notes: Vec<String>,
    /// The bot's login: whose commits are its own.
    bot: &'a str,
}

/// The latest PR on each bot branch.
fn latest_by_branch(existing: &[PullRequest]) -> BTreeMap<String, &PullRequest> {
    let mut out: BTreeMap<String, &PullRequest> = BTreeMap::new();
    for p in existing {
        match out.get(&p.head_branch) {
            Some(q) if q.number > p.number => {}
            _ => {
                out.insert(p.head_branch.clone(), p);
            }
        }
    }
    out
}

async fn dashboard<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    inputs: &DashboardInputs<'_, '_>,
) -> Result<(String, Option<u64>)> {
    let bot = ctx.bot().to_owned();
    let today = ctx.clock.today;
    let issues = match ctx.forge.issues_by(&bot).await {
        Ok(i) => i,
        // Issues switched off in the repository: the rest of the report stands.
        Err(crate::forge::ForgeError::Unavailable(why)) => {
            ctx.note(format!(
                "no dashboard: the repository's issues are switched off ({why}); turn on Issues in the repository's settings"
            ));
            return Ok((String::new(), None));
        }
        Err(e) => return Err(e.into()),
    };
    let found: Option<Issue> = issues
        .into_iter()
        .filter(|i| dash::is_dashboard(&i.author, &i.body, &bot))
        .min_by_key(|i| i.number);
    let previous = found
        .as_ref()
        .map(|i| dash::Record::of(&i.body))
        .unwrap_or_default();
    let latest = latest_by_branch(inputs.existing);

    // The actions ticked on an open dashboard.
    let ticks = match &found {
        Some(i) if i.state == IssueState::Open => dash::ticked(&i.body),
        _ => Vec::new(),
    };
    let mut snoozes = Vec::new();
    for action in &ticks {
        match action {
            Action::Snooze(key) => snoozes.push(key.clone()),
            Action::Renew(id) => {
                let n = found.as_ref().map(|i| i.number).unwrap_or_default();
                renew(ctx, inputs, id, n).await?;
            }
            Action::Recreate(branch) => {
                recreate(ctx, inputs, &latest, branch).await?;
            }
        }
    }

    let mut view = dash::view(&inputs.wanted.findings, &previous, &snoozes, today);
    let handled: BTreeSet<String> = ticks.iter().map(Action::id).collect();
    // A PR opened again is open now: its offer is gone, as the next run will show.
    view.offers = offers(inputs, &latest)
        .into_iter()
        .filter(|o| !(matches!(o.action, Action::Recreate(_)) && handled.contains(&o.action.id())))
        .collect();
    view.pulls = latest.iter().map(|(b, p)| (b.clone(), p.number)).collect();
    // And the PRs this run opened, so that the next run links them the same way.
    for w in ctx.applied.of(WriteKind::OpenPull) {
        if let Subject::Issue(n) = w.subject {
            view.pulls.insert(w.key.clone(), n);
        }
    }
    view.notes = inputs.notes.clone();
    let mut body = crate::report::dashboard::render(&view);
    let mut plan = dash::plan(
        body.clone(),
        &view.record,
        found.as_ref().map(|i| dash::Existing {
            body: &i.body,
            closed: i.state == IssueState::Closed,
        }),
        today,
    );
    let mut current = found.clone();
    if let (Some(i), false) = (&found, plan == IssuePlan::UpToDate) {
        // Read it again just before writing: a box a person ticked since is kept ticked,
        // for the next run to act on.
        let now = ctx.forge.issue(i.number).await?;
        let late: BTreeSet<String> = dash::ticked(&now.body)
            .iter()
            .map(Action::id)
            .filter(|id| !handled.contains(id))
            .collect();
        if !late.is_empty() {
            view.keep_ticked = late;
            body = crate::report::dashboard::render(&view);
        }
        plan = dash::plan(
            body.clone(),
            &view.record,
            Some(dash::Existing {
                body: &now.body,
                closed: now.state == IssueState::Closed,
            }),
            today,
        );
        current = Some(now);
    }
    let number = current.as_ref().map(|i| i.number);
    match plan {
        IssuePlan::UpToDate => Ok((body, number)),
        IssuePlan::Create { title, body } => {
            let issue = ctx.forge.create_issue(&title, &body).await?;
            ctx.applied.writes.push(Written {
                kind: WriteKind::CreateIssue,
                subject: Subject::Issue(issue.number),
                key: "dashboard".into(),
                detail: title,
            });
            Ok((body, Some(issue.number)))
        }
        IssuePlan::Update { body, reopen } => {
            let n = number.unwrap_or_default();
            let state = reopen.then_some(IssueState::Open);
            ctx.forge.update_issue(n, Some(&body), state).await?;
            ctx.applied.writes.push(Written {
                kind: if reopen {
                    WriteKind::ReopenIssue
                } else {
                    WriteKind::UpdateIssue
                },
                subject: Subject::Issue(n),
                key: "dashboard".into(),
                detail: dash::TITLE.into(),
            });
            Ok((body, Some(n)))
        }
    }
}

/// The checkboxes besides each finding's snooze: renew an experiment whose time box ends
/// soon, and open again a bot PR a person closed unmerged.
fn offers(inputs: &DashboardInputs<'_, '_>, latest: &BTreeMap<String, &PullRequest>) -> Vec<Offer> {
    let b = inputs.branch;
    let policies = &b.analysis.framework.policies;
    let shortest = policies.time_boxes.iter().min_by_key(|s| s.in_days());
    let mut out = Vec::new();
    if let Some(span) = shortest {
        for e in &b.analysis.evaluation.experiments {
            if e.lifecycle == crate::evaluate::Lifecycle::EndingSoon
                && e.renewals < policies.max_renewals
            {
                let ends = e
                    .expires_on
                    .map(|d| format!(", its time box ends on {d}"))
                    .unwrap_or_default();
                out.push(Offer {
                    action: Action::Renew(e.id.clone()),
                    label: format!("Renew experiment `{}` by {span}{ends}", e.id),
                });
            }
        }
    }
    let mut seen = BTreeSet::new();
    for want in inputs.all_pulls {
        let branch = want.branch();
        if !seen.insert(branch.clone()) {
            continue;
        }
        if let Some(p) = latest.get(&branch)
            && p.state == PrState::Closed
            && reconcile::pull(want, &[(*p).clone()], &[], inputs.bot) == PullPlan::UpToDate
        {
            out.push(Offer {
                action: Action::Recreate(branch.clone()),
                label: format!(
                    "Open #{} again (`{branch}`), closed without merging",
                    p.number
                ),
            });
        }
    }
    out
}

/// A renewal asked for on the dashboard, planned as `/adoptbot renew` plans it, and opened
/// through the pull machinery. Keyed by the dashboard and the renewal's number, so that a
/// tick read twice opens one PR.
async fn renew<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    inputs: &DashboardInputs<'_, '_>,
    id: &crate::model::Id,
    dashboard: u64,
) -> Result<()> {
    let b = inputs.branch;
    let analysis = b.analysis;
    let Some(doc) = analysis.loaded.repo.experiments.get(id) else {
        ctx.note(format!("dashboard: no experiment `{id}` to renew"));
        return Ok(());
    };
    let Some(span) = analysis
        .framework
        .policies
        .time_boxes
        .iter()
        .min_by_key(|s| s.in_days())
        .copied()
    else {
        return Ok(());
    };
    let text = b
        .snapshot
        .contents
        .get(&doc.path)
        .map(|t| String::from_utf8_lossy(t).into_owned());
    let key = dashboard * 100 + doc.value.renewals.len() as u64 + 1;
    let bot = ctx.bot().to_owned();
    let want = match crate::plan::command::renewal(
        analysis,
        text.as_deref(),
        (b.name, b.sha),
        id,
        span,
        Some("Asked for on the adoptbot dashboard."),
        crate::plan::command::Asked {
            by: &bot,
            issue: dashboard,
            comment_id: key,
        },
    ) {
        Ok(w) => w,
        Err(why) => {
            ctx.note(format!("dashboard: renewal of `{id}` not opened: {why}"));
            return Ok(());
        }
    };
    let before = ctx.applied.opened().len();
    default_branch::pull(
        ctx,
        &want,
        b.name,
        inputs.existing,
        inputs.held,
        false,
        None,
    )
    .await?;
    let opened: Vec<u64> = ctx.applied.of(WriteKind::OpenPull)[before..]
        .iter()
        .filter_map(|w| match w.subject {
            Subject::Issue(n) if w.key == want.branch() => Some(n),
            _ => None,
        })
        .collect();
    if let Some(n) = opened.first() {
        let team = doc.value.team.value.clone();
        let leads: Vec<String> = analysis
            .loaded
            .repo
            .teams
            .get(&team)
            .map(|t| t.leads.value.iter().map(|l| l.to_string()).collect())
            .unwrap_or_default();
        let fix = format!(
            "Add the leads of team `{team}` as collaborators, or name leads who are in `teams/{team}.yaml`."
        );
        ctx.ask_reviewers(*n, &leads, &[], &fix).await?;
    }
    Ok(())
}

/// A closed bot PR opened again: the branch pushed again and the PR reopened, as when its
/// inputs change.
async fn recreate<F: Forge>(
    ctx: &mut Ctx<'_, F>,
    inputs: &DashboardInputs<'_, '_>,
    latest: &BTreeMap<String, &PullRequest>,
    branch: &str,
) -> Result<()> {
    let Some(want) = inputs.all_pulls.iter().find(|w| w.branch() == branch) else {
        ctx.note(format!(
            "dashboard: `{branch}` is no longer wanted, so it is not opened again"
        ));
        return Ok(());
    };
    let Some(p) = latest.get(branch).filter(|p| p.state == PrState::Closed) else {
        return Ok(());
    };
    if inputs
        .held
        .iter()
        .any(|h| h.head_branch == branch && h.state == PrState::Open)
    {
        ctx.note(format!(
            "dashboard: `{branch}` is held by a person's PR, so it is not opened again"
        ));
        return Ok(());
    }
    // As if its inputs had changed: the PR's remembered fingerprint is forgotten.
    let mut stale = (*p).clone();
    stale.body.clear();
    if let PullPlan::Writes(writes) = reconcile::pull(want, &[stale], &[], ctx.forge.bot_login()) {
        for w in writes {
            ctx.apply(w, branch).await?;
        }
    }
    Ok(())
}
