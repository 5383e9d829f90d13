//! The one event handler every runner feeds: the CLI's `reconcile` and `demo`, the GitHub
//! Action, and later `serve`. It reads what it needs through the forge (few calls), hands
//! plain data to the pure core, and applies the writes the core plans, in order. A failure
//! part-way leaves nothing the next run does not converge: every write is keyed.

use crate::forge::events::{CommentInfo, Event, PrAction};
use crate::forge::{FileStatus, Forge, ForgeError, ForgeResult, PrState, PullRequest};
use crate::model::{Flavour, Id};
use crate::plan::command::{self, Command};
use crate::plan::desired::{self, Branch};
use crate::plan::reconcile::{self, DesiredComment, PullPlan, Write};
use crate::report;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The clock, injected: the day for time boxes, and the time results are valid at.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub today: NaiveDate,
    /// Seconds since the epoch; an older run's comment never overwrites a newer one's.
    pub valid_at: i64,
}

impl Clock {
    /// Midday of `today`, for runs that only know the day.
    pub fn at(today: NaiveDate) -> Clock {
        let valid_at = today
            .and_hms_opt(12, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or(0);
        Clock { today, valid_at }
    }
}

/// What a run did, for people to read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub writes: Vec<String>,
    pub notes: Vec<String>,
}

fn is_request(path: &str) -> Option<Id> {
    let file = path.strip_prefix("experiments/")?;
    if file.contains('/') {
        return None;
    }
    file.strip_suffix(".yaml")?.parse().ok()
}

/// Handles one event.
pub async fn handle<F: Forge>(forge: &F, event: &Event, clock: Clock) -> ForgeResult<Applied> {
    let mut applied = Applied::default();
    match event {
        Event::PullRequest {
            action: PrAction::Opened | PrAction::Synchronize | PrAction::Reopened | PrAction::Edited,
            pull,
            ..
        } if pull.state == PrState::Open && !pull.head_branch.starts_with("adoptbot/") => {
            let files = forge.pull_files(pull.number).await?;
            if touches_rules(&files) {
                gate_pr(forge, pull, clock, &mut applied).await?;
            }
            request_pr(forge, pull, &files, clock, &mut applied).await?
        }
        Event::PullRequest {
            action: PrAction::Closed,
            pull,
            ..
        } if pull.state == PrState::Merged && !pull.head_branch.starts_with("adoptbot/") => {
            let files = forge.pull_files(pull.number).await?;
            if touches_rules(&files) {
                gate_merged(forge, pull, clock, &mut applied).await?;
            }
            let requests = requests_in(&files, pull.number);
            if requests.is_empty() {
                applied
                    .notes
                    .push(format!("#{} requested no experiment", pull.number));
            } else {
                let only: Vec<Id> = requests.keys().cloned().collect();
                default_branch(forge, clock, &requests, Some(&only), &mut applied).await?
            }
        }
        Event::PullRequest { .. } => applied
            .notes
            .push("nothing to do for this pull request event".into()),
        Event::Push { .. } => {
            default_branch(forge, clock, &BTreeMap::new(), None, &mut applied).await?
        }
        Event::Review { pull, .. } if pull.state == PrState::Open => {
            let files = forge.pull_files(pull.number).await?;
            if touches_rules(&files) {
                // The event's copy of the PR may be older than its head: read it again.
                let current = forge.pull(pull.number).await?;
                gate_pr(forge, &current, clock, &mut applied).await?
            } else {
                applied
                    .notes
                    .push(format!("#{} is not a gate request", pull.number));
            }
        }
        Event::Review { .. } => applied
            .notes
            .push("a review of a closed pull request".into()),
        Event::IssueComment {
            issue,
            on_pull,
            comment,
            sender,
            ..
        } => {
            let bot = forge.bot_login();
            if sender.login.eq_ignore_ascii_case(bot)
                || comment.user.login.eq_ignore_ascii_case(bot)
            {
                applied.notes.push("a comment of adoptbot's own".into());
            } else if let Some(parsed) = command::parse(&comment.body) {
                slash_command(
                    forge,
                    *issue,
                    *on_pull,
                    comment,
                    parsed,
                    clock,
                    &mut applied,
                )
                .await?
            } else {
                applied
                    .notes
                    .push(format!("comment {} holds no command", comment.id));
            }
        }
        Event::Ignored { event, reason } => {
            applied.notes.push(format!("ignored `{event}`: {reason}"))
        }
    }
    Ok(applied)
}

/// A slash command in a comment. Honoured only from people with write access; anyone else
/// gets one polite refusal per pull request, whatever they try. Answers are keyed by the
/// asking comment, so a replayed event finds its answer and does nothing.
async fn slash_command<F: Forge>(
    forge: &F,
    issue: u64,
    on_pull: bool,
    comment: &CommentInfo,
    parsed: Result<Command, String>,
    clock: Clock,
    applied: &mut Applied,
) -> ForgeResult<()> {
    let who = comment.user.login.as_str();
    let permission = forge.permission(who).await?;
    let comments = forge.comments(issue).await?;
    let bot = forge.bot_login();
    let reply_key = format!("command/{}", comment.id);
    if reconcile::find_marked(&comments, bot, &reply_key).is_some() {
        applied
            .notes
            .push(format!("comment {} was answered already", comment.id));
        return Ok(());
    }
    if !permission.can_write() {
        let refusal = DesiredComment {
            issue,
            key: format!("refusal/{}", who.to_ascii_lowercase()),
            body: format!(
                "@{who}: thank you. adoptbot takes `/adoptbot` commands only from people with write access to this repository, so it has not acted on yours. Anyone with write access can run it for you."
            ),
            valid_at: clock.valid_at,
        };
        match reconcile::comment(&refusal, &comments, bot) {
            Some(w) => {
                apply(forge, w, applied).await?;
            }
            None => applied
                .notes
                .push(format!("@{who} was told once already; no second refusal")),
        }
        return Ok(());
    }
    let reply = |body: String| DesiredComment {
        issue,
        key: reply_key.clone(),
        body: format!("@{who}: {body}"),
        valid_at: clock.valid_at,
    };
    let answer = |body: String| reconcile::comment(&reply(body), &comments, bot);
    let command = match parsed {
        Ok(c) => c,
        Err(message) => {
            if let Some(w) = answer(message) {
                apply(forge, w, applied).await?;
            }
            return Ok(());
        }
    };
    if !on_pull {
        if let Some(w) = answer(format!(
            "`/adoptbot {}` works in pull requests only.",
            command.name()
        )) {
            apply(forge, w, applied).await?;
        }
        return Ok(());
    }
    let pull = forge.pull(issue).await?;
    match command {
        Command::Recheck if pull.head_branch.starts_with("adoptbot/") => {
            let (requests, ids) = experiments_of(forge, &pull).await?;
            default_branch_with(forge, clock, &requests, Some(&ids), false, applied).await?
        }
        Command::Recheck if pull.state == PrState::Open => {
            let files = forge.pull_files(pull.number).await?;
            if touches_rules(&files) {
                gate_pr(forge, &pull, clock, applied).await?;
            }
            request_pr(forge, &pull, &files, clock, applied).await?
        }
        Command::Recheck => {
            if let Some(w) = answer(format!(
                "#{} is closed, so there is nothing to check again.",
                pull.number
            )) {
                apply(forge, w, applied).await?;
            }
        }
        Command::Rerender => {
            let (requests, ids) = experiments_of(forge, &pull).await?;
            if ids.is_empty() {
                if let Some(w) = answer(format!(
                    "#{} concerns no experiment, so there is nothing to render.",
                    pull.number
                )) {
                    apply(forge, w, applied).await?;
                }
            } else {
                default_branch_with(forge, clock, &requests, Some(&ids), true, applied).await?
            }
        }
        Command::Renew {
            duration,
            experiment,
            reason,
        } => {
            let ids = match experiment {
                Some(id) => vec![id],
                None => experiments_of(forge, &pull).await?.1,
            };
            let [id] = &ids[..] else {
                let listed: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
                let message = if ids.is_empty() {
                    format!(
                        "#{} concerns no experiment: name it, as in `/adoptbot renew {duration} <experiment>`.",
                        pull.number
                    )
                } else {
                    format!(
                        "#{} concerns {}: name the one to renew, as in `/adoptbot renew {duration} {}`.",
                        pull.number,
                        listed.join(", "),
                        ids[0]
                    )
                };
                if let Some(w) = answer(message) {
                    apply(forge, w, applied).await?;
                }
                return Ok(());
            };
            let (name, sha) = forge.default_branch().await?;
            let snapshot = forge.snapshot(&sha).await?;
            let analysis = crate::analyse(&snapshot, clock.today)
                .map_err(|d| ForgeError::Other(report::text::diagnostics(&d)))?;
            let text = analysis
                .loaded
                .repo
                .experiments
                .get(id)
                .and_then(|d| snapshot.contents.get(&d.path))
                .map(|b| String::from_utf8_lossy(b).into_owned());
            let asked = command::Asked {
                by: who,
                issue,
                comment_id: comment.id,
            };
            let want = match command::renewal(
                &analysis,
                text.as_deref(),
                (&name, &sha),
                id,
                duration,
                reason.as_deref(),
                asked,
            ) {
                Ok(want) => want,
                Err(message) => {
                    if let Some(w) = answer(message) {
                        apply(forge, w, applied).await?;
                    }
                    return Ok(());
                }
            };
            let branch = want.branch();
            let mine: Vec<PullRequest> = forge
                .pulls_by_branch_prefix(&branch)
                .await?
                .into_iter()
                .filter(|p| p.head_branch == branch)
                .collect();
            let mut number = mine.first().map(|p| p.number);
            if number.is_none()
                && let PullPlan::Writes(writes) = reconcile::pull(&want, &mine, &[])
            {
                for w in writes {
                    if let Some(n) = apply(forge, w, applied).await? {
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
                if let (Some(n), false) = (number, leads.is_empty()) {
                    if let Err(e) = forge.request_reviewers(n, &leads, &[]).await {
                        applied
                            .notes
                            .push(format!("could not request reviews on #{n}: {e}"));
                    } else {
                        applied.writes.push(format!(
                            "requested reviews on #{n} from {}",
                            leads
                                .iter()
                                .map(|l| format!("@{l}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
            }
            let message = match number {
                Some(n) => format!(
                    "#{n} renews `{id}` by {duration}. It takes effect when a lead of its team approves and merges it."
                ),
                None => format!("adoptbot could not open the renewal of `{id}`."),
            };
            if let Some(w) = answer(message) {
                apply(forge, w, applied).await?;
            }
        }
    }
    Ok(())
}

/// The experiments a pull request concerns: the one of a bot PR (by its branch), or the
/// requests a person's PR adds or changes, with the PR that asked for each.
async fn experiments_of<F: Forge>(
    forge: &F,
    pull: &PullRequest,
) -> ForgeResult<(BTreeMap<Id, u64>, Vec<Id>)> {
    if let Some(rest) = pull.head_branch.strip_prefix("adoptbot/") {
        let (kind, id) = rest.split_once('/').unwrap_or((rest, ""));
        // Renewal branches end with the asking comment's id.
        let id = match kind {
            "renew" => id.rsplit_once('-').map(|(i, _)| i).unwrap_or(id),
            _ => id,
        };
        return Ok((BTreeMap::new(), id.parse::<Id>().into_iter().collect()));
    }
    let files = forge.pull_files(pull.number).await?;
    let requests = requests_in(&files, pull.number);
    let ids = requests.keys().cloned().collect();
    Ok((requests, ids))
}

/// The experiment requests a PR's files add or change, each with the PR that asks for it.
fn requests_in(files: &[crate::forge::ChangedFile], number: u64) -> BTreeMap<Id, u64> {
    files
        .iter()
        .filter(|f| f.status != FileStatus::Removed)
        .filter_map(|f| is_request(&f.path))
        .map(|id| (id, number))
        .collect()
}

/// Whether a PR changes what the gates judge by: the phase in `adoption.yaml`, the roles,
/// or the framework overrides.
fn touches_rules(files: &[crate::forge::ChangedFile]) -> bool {
    files
        .iter()
        .any(|f| f.path == "adoption.yaml" || f.path.starts_with("phases/"))
}

/// A gate request judged: everything the verdict rests on, read through the forge.
struct Judged {
    step: crate::evaluate::approval::Step,
    /// The phases at the base and at the head.
    phases: (crate::model::Phase, crate::model::Phase),
    gate: Option<String>,
    rule_changes: Vec<String>,
    deliverables: Vec<crate::evaluate::DeliverableResult>,
    roles: Vec<crate::evaluate::approval::RoleApproval>,
    outsiders: Vec<String>,
    reviews: Vec<crate::forge::Review>,
    /// Who holds each role, as `adoption.yaml` names them at the base: (users, team slugs).
    askable: BTreeMap<Id, (Vec<String>, Vec<String>)>,
}

impl Judged {
    fn view<'a>(&'a self, pull: &'a PullRequest) -> report::gate::GateView<'a> {
        report::gate::GateView {
            base_branch: &pull.base_branch,
            head_sha: &pull.head_sha,
            step: &self.step,
            gate: self.gate.as_deref(),
            rule_changes: &self.rule_changes,
            deliverables: &self.deliverables,
            roles: &self.roles,
            outsiders: &self.outsiders,
        }
    }
}

/// Judges a PR that touches `adoption.yaml` or `phases/`. Rules, roles and phases are read at
/// the base commit, deliverables at the head. `None` when it is not a gate request: the
/// phase and the rules stay as they are (or `adoption.yaml` cannot be read; a note says so).
/// Reads: two snapshots, the members of each role team, and the reviews. People named by
/// login are matched against the reviewer's current login, so they cost no call.
async fn judge_gate<F: Forge>(
    forge: &F,
    pull: &PullRequest,
    clock: Clock,
    applied: &mut Applied,
) -> ForgeResult<Option<Judged>> {
    use crate::evaluate::approval::{self, Holders, Step};
    let base_snap = forge.snapshot(&pull.base_sha).await?;
    let head_snap = forge.snapshot(&pull.head_sha).await?;
    let base = crate::analyse(&base_snap, clock.today)
        .map_err(|d| ForgeError::Other(report::text::diagnostics(&d)))?;
    let head = crate::analyse(&head_snap, clock.today)
        .map_err(|d| ForgeError::Other(report::text::diagnostics(&d)))?;
    let (Some(base_adoption), Some(head_adoption)) = (
        base.loaded.repo.adoption.as_ref(),
        head.loaded.repo.adoption.as_ref(),
    ) else {
        applied.notes.push(format!(
            "#{}: adoption.yaml could not be read at the base or the head",
            pull.number
        ));
        return Ok(None);
    };
    let rule_changes = approval::rule_changes(&base_snap, &head_snap, base_adoption, head_adoption);
    let (from, to) = (base_adoption.phase.value, head_adoption.phase.value);
    if from == to && rule_changes.is_empty() {
        return Ok(None);
    }
    let step = approval::step(from, to, &pull.body);
    // The gate that judges: for an advance, the exit gate of the phase left; for a rollback,
    // the gate between the two phases; for a rules-only PR, the current phase's exit gate
    // (in the last phase, which has none, the gate that entered it).
    let gate_phase = match &step {
        Step::Advance { from, .. } => Some(*from),
        Step::Rollback { to, .. } => Some(*to),
        Step::Invalid { .. } if !rule_changes.is_empty() && from == to => {
            if base.framework.exit_gate(from).is_some() {
                Some(from)
            } else {
                crate::model::Phase::from_number(from.number().saturating_sub(1))
            }
        }
        Step::Invalid { .. } => None,
    };
    let gate = gate_phase.and_then(|p| base.framework.exit_gate(p).map(|g| (p, g.clone())));
    let deliverables = match (&step, &gate) {
        (Step::Advance { .. }, Some((p, g))) => {
            let facts = crate::blueprint_facts(&head.loaded.repo);
            let input = crate::evaluate::Input {
                repo: &head.loaded.repo,
                framework: &base.framework,
                today: clock.today,
                blueprints: &facts,
            };
            crate::evaluate::gate::checklist(&input, *p, g).deliverables
        }
        _ => Vec::new(),
    };
    let roles: Vec<Id> = gate
        .as_ref()
        .map(|(_, g)| g.approvers.clone())
        .unwrap_or_default();
    let mut holders: BTreeMap<Id, Holders> = BTreeMap::new();
    let mut askable = BTreeMap::new();
    for role in &roles {
        let Some(h) = base_adoption.roles.get(role) else {
            continue;
        };
        let entry = holders.entry(role.clone()).or_default();
        entry.logins = h.users.iter().map(|u| u.to_string()).collect();
        for team in &h.teams {
            for m in forge.team_members(&team.org, &team.slug).await? {
                entry.ids.insert(m.id, m.login);
            }
        }
        askable.insert(
            role.clone(),
            (
                entry.logins.clone(),
                h.teams.iter().map(|t| t.slug.clone()).collect(),
            ),
        );
    }
    let reviews = forge.reviews(pull.number).await?;
    let role_results = approval::approvals(
        &roles,
        &holders,
        (pull.author_id, &pull.author),
        &pull.head_sha,
        &reviews,
    );
    let outsiders = approval::outsiders(&holders, &reviews);
    Ok(Some(Judged {
        step,
        phases: (from, to),
        gate: gate.map(|(_, g)| g.id),
        rule_changes,
        deliverables,
        roles: role_results,
        outsiders,
        reviews,
        askable,
    }))
}

/// A gate request: one checklist comment, one check `adoptbot/gate (<base>)`, and review
/// requests to the roles still missing. A PR that touches `adoption.yaml` without changing
/// the phase or the rules is not a gate request: its gate check passes and says so, and a
/// checklist left from an earlier head says it no longer applies.
async fn gate_pr<F: Forge>(
    forge: &F,
    pull: &PullRequest,
    clock: Clock,
    applied: &mut Applied,
) -> ForgeResult<()> {
    let judged = judge_gate(forge, pull, clock, applied).await?;
    let key = format!("gate/{}", pull.base_branch);
    let comments = forge.comments(pull.number).await?;
    let bot = forge.bot_login();
    // A checklist for another base (the PR was retargeted) no longer applies: say so in place.
    for c in comments.iter().filter(|c| c.author == bot) {
        let Some((k, _, _)) = reconcile::parse_marker(&c.body) else {
            continue;
        };
        let Some(old_base) = k.strip_prefix("gate/") else {
            continue;
        };
        if k == key {
            continue;
        }
        let stale = DesiredComment {
            issue: pull.number,
            key: k.clone(),
            body: format!(
                "### adoptbot: this checklist no longer applies\n\nIt judged this PR against `{old_base}`; the PR now targets `{}`, and only the check `adoptbot/gate ({})` counts.",
                pull.base_branch, pull.base_branch
            ),
            valid_at: clock.valid_at,
        };
        if let Some(w) = reconcile::comment(&stale, &comments, bot) {
            apply(forge, w, applied).await?;
        }
    }
    let checks = forge.check_runs(&pull.head_sha).await?;
    let Some(judged) = judged else {
        let spec = crate::forge::CheckRunSpec {
            name: format!("adoptbot/gate ({})", pull.base_branch),
            head_sha: pull.head_sha.clone(),
            conclusion: crate::forge::Conclusion::Success,
            title: "not a gate request: the phase and the rules stay as they are".into(),
            summary: "This PR changes `adoption.yaml` or `phases/` without changing the phase, the roles or the rules the gates are judged by.".into(),
            annotations: Vec::new(),
        };
        if reconcile::find_marked(&comments, bot, &key).is_some() {
            let moot = DesiredComment {
                issue: pull.number,
                key: key.clone(),
                body: "### adoptbot: no longer a gate request\n\nThis PR no longer changes the phase or the rules, so no gate judges it.".into(),
                valid_at: clock.valid_at,
            };
            if let Some(w) = reconcile::comment(&moot, &comments, bot) {
                apply(forge, w, applied).await?;
            }
        }
        if let Some(w) = reconcile::check(&spec, &checks) {
            apply(forge, w, applied).await?;
        }
        return Ok(());
    };
    let view = judged.view(pull);
    let desired = DesiredComment {
        issue: pull.number,
        key,
        body: report::gate::comment(&view),
        valid_at: clock.valid_at,
    };
    if let Some(write) = reconcile::comment(&desired, &comments, bot) {
        apply(forge, write, applied).await?;
    }
    if let Some(write) = reconcile::check(&report::gate::check(&view), &checks) {
        apply(forge, write, applied).await?;
    }
    // Ask the roles still missing, once per head commit: not the author, not anyone already
    // asked (the pull request lists them) or who has reviewed this head already. Someone
    // whose approval went to an earlier commit is asked again.
    let reviewed = |login: &str| {
        judged
            .reviews
            .iter()
            .any(|r| r.user_login.eq_ignore_ascii_case(login) && r.commit_id == pull.head_sha)
    };
    let mut users = Vec::new();
    let mut teams = Vec::new();
    for r in judged
        .roles
        .iter()
        .filter(|r| !r.met && r.approved_by.is_empty())
    {
        if let Some((role_users, role_teams)) = judged.askable.get(&r.role) {
            users.extend(
                role_users
                    .iter()
                    .filter(|u| {
                        !u.eq_ignore_ascii_case(&pull.author)
                            && !reviewed(u)
                            && !pull
                                .requested_users
                                .iter()
                                .any(|a| a.eq_ignore_ascii_case(u))
                    })
                    .cloned(),
            );
            teams.extend(
                role_teams
                    .iter()
                    .filter(|t| {
                        !pull
                            .requested_teams
                            .iter()
                            .any(|a| a.eq_ignore_ascii_case(t))
                    })
                    .cloned(),
            );
        }
    }
    users.sort();
    users.dedup();
    teams.sort();
    teams.dedup();
    if !users.is_empty() || !teams.is_empty() {
        // The event's copy of the pull request may be older than the requests already made
        // (a replayed delivery): ask the forge before asking anyone.
        let (asked_users, asked_teams) = forge.requested_reviewers(pull.number).await?;
        users.retain(|u| !asked_users.iter().any(|a| a.eq_ignore_ascii_case(u)));
        teams.retain(|t| !asked_teams.iter().any(|a| a.eq_ignore_ascii_case(t)));
    }
    if !users.is_empty() || !teams.is_empty() {
        // A refused request (a team outside the repository's organisation, say) must not stop
        // the verdict, which is already written: note it and go on.
        if let Err(e) = forge.request_reviewers(pull.number, &users, &teams).await {
            applied.notes.push(format!(
                "could not request reviews on #{}: {e}",
                pull.number
            ));
            return Ok(());
        }
        let who: Vec<String> = users
            .iter()
            .map(|u| format!("@{u}"))
            .chain(teams.iter().map(|t| format!("team {t}")))
            .collect();
        applied.writes.push(format!(
            "requested reviews on #{} from {}",
            pull.number,
            who.join(", ")
        ));
    }
    Ok(())
}

/// A gate request merged: its verdict at the merge goes on the audit branch, once. A merge
/// the gate did not pass is recorded too, so that the trail shows it.
async fn gate_merged<F: Forge>(
    forge: &F,
    pull: &PullRequest,
    clock: Clock,
    applied: &mut Applied,
) -> ForgeResult<()> {
    use report::audit;
    let recorded: Vec<crate::forge::Commit> =
        match forge.branch_commits(&pull.base_branch, audit::BRANCH).await {
            Ok(c) => c,
            Err(ForgeError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
    let key = audit::key(pull.number);
    let trailer = format!("{} {key}", audit::TRAILER);
    if recorded
        .iter()
        .any(|c| c.message.lines().any(|l| l.trim() == trailer))
    {
        applied
            .notes
            .push(format!("#{} is on the audit trail already", pull.number));
        return Ok(());
    }
    let Some(judged) = judge_gate(forge, pull, clock, applied).await? else {
        applied.notes.push(format!(
            "#{} changed neither the phase nor the rules: nothing to record",
            pull.number
        ));
        return Ok(());
    };
    let at = chrono::DateTime::from_timestamp(clock.valid_at, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    let record = audit::record(
        &judged.view(pull),
        pull,
        &judged.reviews,
        judged.phases,
        &at,
    );
    let Some(parent) = recorded
        .last()
        .map(|c| c.sha.clone())
        .or_else(|| pull.merge_sha.clone())
    else {
        applied.notes.push(format!(
            "#{} has no merge commit to start the audit branch from",
            pull.number
        ));
        return Ok(());
    };
    let body = serde_json::to_string_pretty(&record)
        .map_err(|e| ForgeError::Other(format!("could not write the audit record: {e}")))?;
    let message = format!(
        "Gate {} record for #{} ({})\n\n{trailer}\n{} {}",
        record.gate.as_deref().unwrap_or("request"),
        pull.number,
        if record.passed {
            "passed"
        } else {
            "merged without passing"
        },
        reconcile::TRAILER,
        key
    );
    let write = Write::PushBranch {
        branch: audit::BRANCH.into(),
        parent,
        message,
        files: vec![crate::forge::FileChange {
            path: audit::path(&record),
            content: Some(body + "\n"),
        }],
    };
    apply(forge, write, applied).await?;
    Ok(())
}

/// A PR that adds or changes experiment requests: one comment per request, one check, and
/// review requests to the team's leads. Four reads, whatever the size of the repository.
async fn request_pr<F: Forge>(
    forge: &F,
    pull: &PullRequest,
    files: &[crate::forge::ChangedFile],
    clock: Clock,
    applied: &mut Applied,
) -> ForgeResult<()> {
    let ids: Vec<Id> = requests_in(files, pull.number).into_keys().collect();
    if ids.is_empty() {
        applied
            .notes
            .push(format!("#{} changes no experiment request", pull.number));
        return Ok(());
    }
    let snapshot = forge.snapshot(&pull.head_sha).await?;
    let analysis = crate::analyse(&snapshot, clock.today)
        .map_err(|d| ForgeError::Other(report::text::diagnostics(&d)))?;
    let catalogue = crate::blueprint_facts(&analysis.loaded.repo).catalogue;
    let flavour = analysis
        .loaded
        .repo
        .adoption
        .as_ref()
        .map(|a| a.iac_flavour)
        .unwrap_or(Flavour::Bicep);
    let comments = forge.comments(pull.number).await?;
    let checks = forge.check_runs(&pull.head_sha).await?;

    let mut paths = Vec::new();
    for id in &ids {
        let path = format!("experiments/{id}.yaml");
        paths.push(path.clone());
        let Some(state) = analysis.evaluation.experiments.iter().find(|e| &e.id == id) else {
            // The file did not load: the check's annotations say why.
            continue;
        };
        let doc = &analysis.loaded.repo.experiments[id];
        let rendered = catalogue
            .as_ref()
            .and_then(|c| crate::render::render_experiment(c, id, doc, flavour, clock.today).ok());
        let body =
            report::request::comment(&analysis.evaluation, state, flavour, rendered.as_deref());
        let desired = DesiredComment {
            issue: pull.number,
            key: format!("experiment/{id}"),
            body,
            valid_at: clock.valid_at,
        };
        if let Some(write) = reconcile::comment(&desired, &comments, forge.bot_login()) {
            if matches!(write, Write::CreateComment { .. }) {
                // Asked once, before the comment: a crash in between asks again, which is harmless.
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
                if !leads.is_empty() {
                    forge.request_reviewers(pull.number, &leads, &[]).await?;
                    applied.writes.push(format!(
                        "requested reviews on #{} from {}",
                        pull.number,
                        leads
                            .iter()
                            .map(|l| format!("@{l}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            apply(forge, write, applied).await?;
        }
    }
    let spec = report::request::check(&analysis.evaluation, &paths, &pull.head_sha);
    if let Some(write) = reconcile::check(&spec, &checks) {
        apply(forge, write, applied).await?;
    }
    Ok(())
}

/// The default branch: provisioning, re-render and decommission PRs, and expiry warnings;
/// for the experiments in `only`, or all of them.
pub async fn default_branch<F: Forge>(
    forge: &F,
    clock: Clock,
    request_prs: &BTreeMap<Id, u64>,
    only: Option<&[Id]>,
    applied: &mut Applied,
) -> ForgeResult<()> {
    default_branch_with(forge, clock, request_prs, only, false, applied).await
}

/// [`default_branch`]; with `over_edits`, bot PRs a person committed to are rendered again
/// over those commits (`/adoptbot rerender`), and the PR says whose commits were replaced.
async fn default_branch_with<F: Forge>(
    forge: &F,
    clock: Clock,
    request_prs: &BTreeMap<Id, u64>,
    only: Option<&[Id]>,
    over_edits: bool,
    applied: &mut Applied,
) -> ForgeResult<()> {
    let (name, sha) = forge.default_branch().await?;
    let snapshot = forge.snapshot(&sha).await?;
    let analysis = crate::analyse(&snapshot, clock.today)
        .map_err(|d| ForgeError::Other(report::text::diagnostics(&d)))?;
    let Some(catalogue) = crate::blueprint_facts(&analysis.loaded.repo).catalogue else {
        return Err(ForgeError::Other(
            "the built-in blueprints failed their own checks".into(),
        ));
    };
    let existing = forge.pulls_by_branch_prefix("adoptbot/").await?;
    let mut requests = request_prs.clone();
    let mut starts = BTreeMap::new();
    for p in existing
        .iter()
        .filter(|p| p.head_branch.starts_with("adoptbot/provision/"))
    {
        if let (Some(id), Some(n)) = (
            p.head_branch
                .strip_prefix("adoptbot/provision/")
                .and_then(|i| i.parse::<Id>().ok()),
            desired::parse_request_line(&p.body),
        ) {
            requests.entry(id.clone()).or_insert(n);
        }
    }
    for p in existing
        .iter()
        .filter(|p| p.state == PrState::Open && p.head_branch.starts_with("adoptbot/provision/"))
    {
        if let (Some(id), Some(d)) = (
            p.head_branch
                .strip_prefix("adoptbot/provision/")
                .and_then(|i| i.parse::<Id>().ok()),
            desired::parse_start_line(&p.body),
        ) {
            starts.insert(id, d);
        }
    }
    let branch = Branch {
        name: &name,
        sha: &sha,
        snapshot: &snapshot,
        analysis: &analysis,
        catalogue: &catalogue,
        today: clock.today,
    };
    let wanted = |id: &str| only.is_none_or(|o| o.iter().any(|x| x.as_str() == id));
    for want in desired::pulls(&branch, &requests, &starts)
        .into_iter()
        .filter(|p| wanted(&p.id))
    {
        let branch_name = want.branch();
        let mine: Vec<PullRequest> = existing
            .iter()
            .filter(|p| p.head_branch == branch_name)
            .cloned()
            .collect();
        // Who committed to the branch matters only when the bot would change it.
        let mut plan = reconcile::pull(&want, &mine, &[]);
        let mut replaced = Vec::new();
        if (plan != PullPlan::UpToDate || over_edits)
            && mine.iter().any(|p| p.state == PrState::Open)
        {
            let commits = forge.branch_commits(&name, &branch_name).await?;
            plan = if over_edits {
                replaced = commits
                    .iter()
                    .filter(|c| !reconcile::is_bot_commit(c))
                    .map(|c| format!("`{}` ({})", short(&c.sha), c.author_email))
                    .collect();
                reconcile::pull_over_edits(&want, &mine, &commits)
            } else {
                reconcile::pull(&want, &mine, &commits)
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
                    apply(forge, w, applied).await?;
                }
                // The person's commits left the branch: say which, so that nothing is lost.
                if let (Some(number), false) = (number, replaced.is_empty()) {
                    let notice = DesiredComment {
                        issue: number,
                        key: format!("human-edit/{branch_name}"),
                        body: format!(
                            "At the request of someone with write access (`/adoptbot rerender`), adoptbot rendered `{branch_name}` again from its blueprint. The commits it replaced stay reachable by their SHAs: {}.",
                            replaced.join(", ")
                        ),
                        valid_at: clock.valid_at,
                    };
                    let comments = forge.comments(number).await?;
                    if let Some(w) = reconcile::comment(&notice, &comments, forge.bot_login()) {
                        apply(forge, w, applied).await?;
                    }
                }
            }
            PullPlan::HumanEdited { number } => {
                let notice = DesiredComment {
                    issue: number,
                    key: format!("human-edit/{branch_name}"),
                    body: format!(
                        "A person has committed to `{branch_name}`, so adoptbot no longer updates this PR. Merge or close it as you see fit; close it to let adoptbot open a fresh one when its inputs change."
                    ),
                    valid_at: clock.valid_at,
                };
                let comments = forge.comments(number).await?;
                if let Some(w) = reconcile::comment(&notice, &comments, forge.bot_login()) {
                    apply(forge, w, applied).await?;
                }
            }
        }
    }
    for warning in desired::expiry_warnings(&branch, clock.valid_at)
        .into_iter()
        .filter(|w| wanted(w.key.split('/').nth(1).unwrap_or_default()))
    {
        let comments = forge.comments(warning.issue).await?;
        if let Some(w) = reconcile::comment(&warning, &comments, forge.bot_login()) {
            apply(forge, w, applied).await?;
        }
    }
    Ok(())
}

/// Applies one write and records it. Returns the number of a pull request it opened.
async fn apply<F: Forge>(
    forge: &F,
    write: Write,
    applied: &mut Applied,
) -> ForgeResult<Option<u64>> {
    let mut opened = None;
    let what = match &write {
        Write::CreateComment { issue, body } => {
            let c = forge.create_comment(*issue, body).await?;
            format!("commented on #{issue} (comment {})", c.id)
        }
        Write::UpdateComment { id, body } => {
            forge.update_comment(*id, body).await?;
            format!("updated comment {id}")
        }
        Write::CreateCheck(spec) => {
            forge.create_check_run(spec).await?;
            format!(
                "check `{}` on {}: {:?}",
                spec.name,
                short(&spec.head_sha),
                spec.conclusion
            )
            .to_lowercase()
        }
        Write::UpdateCheck { id, spec } => {
            forge.update_check_run(*id, spec).await?;
            format!(
                "updated check `{}` on {}: {:?}",
                spec.name,
                short(&spec.head_sha),
                spec.conclusion
            )
            .to_lowercase()
        }
        Write::PushBranch {
            branch,
            parent,
            message,
            files,
        } => {
            let sha = forge
                .commit_to_branch(branch, parent, message, files)
                .await?;
            format!(
                "pushed {} to `{branch}` ({})",
                crate::plan::count(files.len(), "file", "files"),
                short(&sha)
            )
        }
        Write::CreatePull {
            branch,
            base,
            title,
            body,
        } => {
            let p = forge.create_pull(branch, base, title, body).await?;
            opened = Some(p.number);
            // Labelled once, when opened, so that people can filter the bot's PRs by kind.
            let kind = branch.split('/').nth(1).unwrap_or("pr");
            forge
                .add_labels(
                    p.number,
                    &["adoptbot".to_string(), format!("adoptbot:{kind}")],
                )
                .await?;
            format!(
                "opened #{}: {title} (labelled adoptbot, adoptbot:{kind})",
                p.number
            )
        }
        Write::UpdatePull {
            number,
            title,
            body,
            reopen,
        } => {
            forge.update_pull(*number, title, body, *reopen).await?;
            if *reopen {
                format!("reopened #{number}: {title}")
            } else {
                format!("updated #{number}: {title}")
            }
        }
    };
    applied.writes.push(what);
    Ok(opened)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}
