//! One small module per capability, each reconciling one kind of target: `request` (a PR's
//! experiment requests), `gate` (decision gates and their audit record), `command` (slash
//! commands), `renew` (the renewal a command asks for), `default_branch` (provisioning,
//! re-render and decommission PRs, expiry warnings), `dashboard` (the scheduled report: the
//! cloud, the observations, the report's PRs and the dashboard issue).
//! Each reads through the forge, asks the pure core (`plan`) what it wants, and applies the
//! difference with [`Ctx::apply`].

pub mod command;
pub mod dashboard;
pub mod default_branch;
pub mod gate;
pub mod memory;
pub mod renew;
pub mod request;

use super::error::{Error, Result};
use super::outcome::{Applied, Refusal, Subject, WriteKind, Written, short};
use crate::Analysis;
use crate::forge::{Forge, ForgeError};
use crate::load::Snapshot;
use crate::model::Clock;
use crate::model::forge::{CheckRun, Comment, Commit, Member};
use crate::plan::branch::BotBranch;
use crate::plan::notices::Refused;
use crate::plan::reconcile::{self, DesiredComment, Write};
pub use memory::Memory;
use std::collections::HashMap;
use std::sync::Arc;

/// What every handler works with: the forge, the injected clock, the repository's memory,
/// and what the run did.
pub struct Ctx<'a, F: Forge> {
    pub forge: &'a F,
    pub clock: Clock,
    pub applied: Applied,
    memory: Kept<'a>,
    /// The comments of each issue and the check runs of each commit read in this run, with
    /// the run's own writes applied: one handler's read serves the next one's.
    comments: HashMap<u64, Vec<Comment>>,
    checks: HashMap<String, Vec<CheckRun>>,
}

/// The memory a run works with: its own, or one a long-lived process keeps.
enum Kept<'a> {
    Own(Box<Memory>),
    Lent(&'a mut Memory),
}

impl std::ops::Deref for Kept<'_> {
    type Target = Memory;
    fn deref(&self) -> &Memory {
        match self {
            Kept::Own(m) => m,
            Kept::Lent(m) => m,
        }
    }
}

impl std::ops::DerefMut for Kept<'_> {
    fn deref_mut(&mut self) -> &mut Memory {
        match self {
            Kept::Own(m) => m,
            Kept::Lent(m) => m,
        }
    }
}

impl<'a, F: Forge> Ctx<'a, F> {
    /// A run with a memory of its own, empty: the CLI, the Action, the demo.
    pub fn new(forge: &'a F, clock: Clock) -> Self {
        Self::build(forge, clock, Kept::Own(Box::default()))
    }

    /// A run with the memory a long-lived process keeps for the repository (`serve`).
    pub fn with_memory(forge: &'a F, clock: Clock, memory: &'a mut Memory) -> Self {
        Self::build(forge, clock, Kept::Lent(memory))
    }

    fn build(forge: &'a F, clock: Clock, memory: Kept<'a>) -> Self {
        Ctx {
            forge,
            clock,
            applied: Applied::default(),
            memory,
            comments: HashMap::new(),
            checks: HashMap::new(),
        }
    }

    /// What the memory saved and spent so far.
    pub fn memory_stats(&self) -> memory::Stats {
        self.memory.stats()
    }

    /// The bot's account with its numeric id, asked of the forge once per memory. A forge
    /// that does not know the login leaves the id unknown, and the login decides.
    pub async fn bot_account(&mut self) -> Result<crate::plan::branch::Bot> {
        if let Some(b) = self.memory.bot() {
            return Ok(b.clone());
        }
        let login = self.forge.bot_login().to_string();
        let id = match self.forge.user(&login).await {
            Ok(m) => Some(m.id),
            Err(ForgeError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let bot = crate::plan::branch::Bot { login, id };
        self.memory.keep_bot(bot.clone());
        Ok(bot)
    }

    /// Every member of the team `org/slug`, as read less than [`memory::TEAM_TTL`] ago by the
    /// injected clock, or read now.
    pub async fn team_members(&mut self, org: &str, slug: &str) -> Result<Vec<Member>> {
        let now = self.clock.valid_at;
        if let Some(m) = self.memory.team(org, slug, now) {
            return Ok(m);
        }
        let members = self.forge.team_members(org, slug).await?;
        self.memory.keep_team(org, slug, now, members.clone());
        Ok(members)
    }

    /// An open pull request's files and commits (one comparison on GitHub); the commits are
    /// kept for the event of its merge ([`Ctx::merged_commits`]).
    pub async fn pull_changes(
        &mut self,
        pull: &crate::model::forge::PullRequest,
    ) -> Result<(Vec<crate::model::forge::ChangedFile>, Vec<Commit>)> {
        let (files, commits) = self.forge.pull_changes(pull).await?;
        self.memory
            .keep_commits(pull.number, &pull.head_sha, commits.clone());
        Ok((files, commits))
    }

    /// A merged pull request's commits: those kept from an event on the same head while it
    /// was open, or read now.
    pub async fn merged_commits(
        &mut self,
        pull: &crate::model::forge::PullRequest,
    ) -> Result<Vec<Commit>> {
        if let Some(c) = self.memory.commits(pull.number, &pull.head_sha) {
            return Ok(c);
        }
        Ok(self.forge.pull_commits(pull.number).await?)
    }

    /// The comments of `issue`: read once per run, then as the run's own writes left them.
    pub async fn comments(&mut self, issue: u64) -> Result<Vec<Comment>> {
        if let Some(c) = self.comments.get(&issue) {
            return Ok(c.clone());
        }
        let c = self.forge.comments(issue).await?;
        self.comments.insert(issue, c.clone());
        Ok(c)
    }

    /// The check runs on `sha`: read once per run, then as the run's own writes left them.
    pub async fn check_runs(&mut self, sha: &str) -> Result<Vec<CheckRun>> {
        if let Some(c) = self.checks.get(sha) {
            return Ok(c.clone());
        }
        let c = self.forge.check_runs(sha).await?;
        self.checks.insert(sha.to_string(), c.clone());
        Ok(c)
    }

    /// Whether the account `(login, id)` is the bot's, by [`crate::plan::branch::is_bot`]. The
    /// forge is asked for the bot's id only when the login is the bot's.
    pub async fn is_bot(&mut self, login: &str, id: u64) -> Result<bool> {
        if !login.eq_ignore_ascii_case(self.forge.bot_login()) {
            return Ok(false);
        }
        let bot = self.bot_account().await?;
        Ok(crate::plan::branch::is_bot(login, id, &bot))
    }

    /// Every PR on the bot's branches, split by identity: those the bot opened (by login and
    /// id), and people's, which are theirs whatever the branch. One list call, and the bot's
    /// account only when a PR's author has its login.
    pub async fn bot_pulls(
        &mut self,
    ) -> Result<(
        Vec<crate::model::forge::PullRequest>,
        Vec<crate::model::forge::PullRequest>,
    )> {
        let pulls = self
            .forge
            .pulls_by_branch_prefix(crate::plan::branch::PREFIX)
            .await?;
        let me = if pulls
            .iter()
            .any(|p| p.author.eq_ignore_ascii_case(self.forge.bot_login()))
        {
            self.bot_account().await?
        } else {
            crate::plan::branch::Bot::by_login(self.forge.bot_login())
        };
        Ok(pulls
            .into_iter()
            .partition(|p| crate::plan::branch::is_bot(&p.author, p.author_id, &me)))
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.applied.notes.push(text.into());
    }

    pub fn bot(&self) -> &str {
        self.forge.bot_login()
    }

    /// The files of commit `sha`: from the memory when this commit was read before (a
    /// commit's tree never changes), else one read.
    pub async fn snapshot(&mut self, sha: &str) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.memory.snapshot(sha) {
            return Ok(s);
        }
        let s = Arc::new(self.forge.snapshot(sha).await?);
        self.memory.keep_snapshot(sha, s.clone());
        Ok(s)
    }

    /// A snapshot of `sha` and its analysis as of the clock's day. Both come from the memory
    /// when kept; a new analysis parses only the files the memory has not seen.
    pub async fn analyse(&mut self, sha: &str) -> Result<(Arc<Snapshot>, Arc<Analysis>)> {
        let snapshot = self.snapshot(sha).await?;
        let today = self.clock.today;
        if let Some(a) = self.memory.analysis(sha, today) {
            return Ok((snapshot, a));
        }
        let analysis = self
            .memory
            .analyse(sha, &snapshot, today)
            .map_err(|d| Error::Analysis {
                at: short(sha).to_string(),
                diagnostics: d,
            })?;
        Ok((snapshot, analysis))
    }

    /// Brings the bot's comment for `desired.key` up to date against `existing`.
    pub async fn comment(
        &mut self,
        desired: &DesiredComment,
        existing: &[crate::model::forge::Comment],
    ) -> Result<()> {
        if let Some(w) = reconcile::comment(desired, existing, self.forge.bot_login()) {
            self.apply(w, &desired.key).await?;
        }
        Ok(())
    }

    /// Applies one write the core planned, keyed by `key`, and records it. Returns the
    /// number of a pull request it opened. A refusal of an essential write (a comment, a
    /// check, a push, a pull request) is the target's error, for the loop's error policy.
    pub async fn apply(&mut self, write: Write, key: &str) -> Result<Option<u64>> {
        let f = self.forge;
        let mut opened = None;
        let written = match &write {
            Write::CreateComment { issue, body } => {
                let c = f.create_comment(*issue, body).await?;
                let id = c.id;
                if let Some(list) = self.comments.get_mut(issue) {
                    list.push(c);
                }
                Written {
                    kind: WriteKind::CreateComment,
                    subject: Subject::Issue(*issue),
                    key: key.into(),
                    detail: format!("comment {id}"),
                }
            }
            Write::UpdateComment { issue, id, body } => {
                f.update_comment(*id, body).await?;
                if let Some(c) = self
                    .comments
                    .get_mut(issue)
                    .and_then(|l| l.iter_mut().find(|c| c.id == *id))
                {
                    c.body = body.clone();
                }
                Written {
                    kind: WriteKind::UpdateComment,
                    subject: Subject::Issue(*issue),
                    key: key.into(),
                    detail: format!("comment {id}"),
                }
            }
            Write::CreateCheck(spec) => {
                let run = f.create_check_run(spec).await?;
                if let Some(list) = self.checks.get_mut(&spec.head_sha) {
                    list.push(run);
                }
                Written {
                    kind: WriteKind::CreateCheck,
                    subject: Subject::Commit(spec.head_sha.clone()),
                    key: spec.name.clone(),
                    detail: format!("{:?}", spec.conclusion).to_lowercase(),
                }
            }
            Write::UpdateCheck { id, spec } => {
                f.update_check_run(*id, spec).await?;
                if let Some(run) = self
                    .checks
                    .get_mut(&spec.head_sha)
                    .and_then(|l| l.iter_mut().find(|r| r.id == *id))
                {
                    run.conclusion = Some(spec.conclusion);
                    run.title = spec.title.clone();
                    run.summary = spec.summary.clone();
                }
                Written {
                    kind: WriteKind::UpdateCheck,
                    subject: Subject::Commit(spec.head_sha.clone()),
                    key: spec.name.clone(),
                    detail: format!("{:?}", spec.conclusion).to_lowercase(),
                }
            }
            Write::PushBranch {
                branch,
                parent,
                message,
                files,
            } => {
                let sha = f.commit_to_branch(branch, parent, message, files).await?;
                Written {
                    kind: WriteKind::Push,
                    subject: Subject::Branch(branch.clone()),
                    key: branch.clone(),
                    detail: format!(
                        "{} as {}",
                        crate::plan::count(files.len(), "file", "files"),
                        short(&sha)
                    ),
                }
            }
            Write::CreatePull {
                branch,
                base,
                title,
                body,
            } => {
                let p = f.create_pull(branch, base, title, body).await?;
                opened = Some(p.number);
                self.applied.writes.push(Written {
                    kind: WriteKind::OpenPull,
                    subject: Subject::Issue(p.number),
                    key: branch.clone(),
                    detail: title.clone(),
                });
                // Labelled once, when opened, so that people can filter the bot's PRs by
                // kind. A refused label does not undo the PR.
                let kind = BotBranch::parse(branch)
                    .and_then(|b| b.kind())
                    .map(|k| k.word())
                    .unwrap_or("pr");
                let labels = vec!["adoptbot".to_string(), format!("adoptbot:{kind}")];
                self.labels(p.number, &labels).await?;
                return Ok(opened);
            }
            Write::UpdatePull {
                number,
                title,
                body,
                reopen,
            } => {
                f.update_pull(*number, title, body, *reopen).await?;
                Written {
                    kind: if *reopen {
                        WriteKind::ReopenPull
                    } else {
                        WriteKind::UpdatePull
                    },
                    subject: Subject::Issue(*number),
                    key: key.into(),
                    detail: title.clone(),
                }
            }
        };
        self.applied.writes.push(written);
        Ok(opened)
    }

    /// Labels an issue. Labels are a courtesy: a refusal is reported and the run goes on.
    pub async fn labels(&mut self, issue: u64, labels: &[String]) -> Result<()> {
        match self.forge.add_labels(issue, labels).await {
            Ok(()) => {
                self.applied.writes.push(Written {
                    kind: WriteKind::AddLabels,
                    subject: Subject::Issue(issue),
                    key: labels.join(","),
                    detail: labels.join(", "),
                });
                Ok(())
            }
            Err(e) => self.refused(
                WriteKind::AddLabels,
                Subject::Issue(issue),
                e,
                "create the labels, or give the bot the Issues: write permission".into(),
            ),
        }
    }

    /// Asks for reviews. A courtesy too: the verdict never waits on it. Returns what the
    /// forge refused, for the bot's comment to report.
    pub async fn ask_reviewers(
        &mut self,
        number: u64,
        users: &[String],
        teams: &[String],
        fix: &str,
    ) -> Result<Option<Refused>> {
        if users.is_empty() && teams.is_empty() {
            return Ok(None);
        }
        let who: Vec<String> = users
            .iter()
            .map(|u| format!("@{u}"))
            .chain(teams.iter().map(|t| format!("team {t}")))
            .collect();
        match self.forge.request_reviewers(number, users, teams).await {
            Ok(()) => {
                self.applied.writes.push(Written {
                    kind: WriteKind::RequestReviewers,
                    subject: Subject::Issue(number),
                    key: who.join(","),
                    detail: who.join(", "),
                });
                Ok(None)
            }
            Err(e) => {
                let refused = Refused {
                    what: format!(
                        "asking {} for review",
                        who.iter()
                            .map(|w| format!("`{}`", w.trim_start_matches('@')))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    why: e.to_string(),
                    fix: fix.to_string(),
                };
                self.refused(
                    WriteKind::RequestReviewers,
                    Subject::Issue(number),
                    e,
                    fix.into(),
                )?;
                Ok(Some(refused))
            }
        }
    }

    /// The policy for a courtesy write the forge refused: rate limits and server errors
    /// still fail the target (the next delivery retries); credentials that do not work stop
    /// the run; anything else (403 on this resource, 404, 409, 422, 451) is reported and
    /// the run goes on.
    fn refused(
        &mut self,
        kind: WriteKind,
        subject: Subject,
        error: ForgeError,
        fix: String,
    ) -> Result<()> {
        match error {
            ForgeError::RateLimited { .. }
            | ForgeError::Server(_)
            | ForgeError::Unauthorised(_) => Err(Error::Forge(error)),
            error => {
                self.applied.refused.push(Refusal {
                    kind,
                    subject,
                    error,
                    fix,
                });
                Ok(())
            }
        }
    }
}
