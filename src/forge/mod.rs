//! The forge: where pull requests, comments, checks and branches live. The [`Forge`] trait is
//! the one door to it; the GitHub adapter (`github`) and the local git adapter (`local`, the
//! embedded default that needs no network) implement it. The core never calls a forge: the
//! runners read through it, hand plain data to the core, and apply the writes the core plans.

pub mod github;
pub mod local;

use crate::load::Snapshot;
pub use crate::model::forge::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// Why a forge call failed, in the terms the runner acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    #[error("not found: {0}")]
    NotFound(String),
    /// Primary or secondary rate limit, after the retries the adapter allows.
    #[error("rate limited{}: {message}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// The change conflicts with the forge's state, e.g. a ref moved (409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The credentials were not accepted (401).
    #[error("unauthorised: {0}")]
    Unauthorised(String),
    /// The credentials lack a permission, or the resource refuses the change (403, not a
    /// rate limit).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request was understood and refused as invalid (422), e.g. a review requested
    /// from someone who is not a collaborator.
    #[error("refused: {0}")]
    Unprocessable(String),
    /// Unavailable for legal reasons (451), or gone (410: issues switched off).
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("the forge failed: {0}")]
    Server(String),
    #[error("{0}")]
    Other(String),
}

pub type ForgeResult<T> = Result<T, ForgeError>;

/// The forge operations adoptbot uses. Reads first, then writes. Every list call returns all
/// pages. Implementations count their calls (see [`CallCount`]).
pub trait Forge {
    /// The login the bot acts as; its comments and commits are recognised by it.
    fn bot_login(&self) -> &str;
    /// The calls made so far.
    fn calls(&self) -> CallCount;

    /// Every file of the repository at a commit: one call (a tarball) or none (a checkout).
    fn snapshot(&self, sha: &str) -> impl Future<Output = ForgeResult<Snapshot>> + Send;
    /// The default branch and the commit at its head.
    fn default_branch(&self) -> impl Future<Output = ForgeResult<(String, Sha)>> + Send;
    fn pull(&self, number: u64) -> impl Future<Output = ForgeResult<PullRequest>> + Send;
    fn pull_files(&self, number: u64)
    -> impl Future<Output = ForgeResult<Vec<ChangedFile>>> + Send;
    /// Every pull request, in any state, whose head branch starts with `prefix`.
    fn pulls_by_branch_prefix(
        &self,
        prefix: &str,
    ) -> impl Future<Output = ForgeResult<Vec<PullRequest>>> + Send;
    /// The commits on `branch` that `base` does not have, oldest first.
    fn branch_commits(
        &self,
        base: &str,
        branch: &str,
    ) -> impl Future<Output = ForgeResult<Vec<Commit>>> + Send;
    /// The comments of an issue or pull request, oldest first.
    fn comments(&self, issue: u64) -> impl Future<Output = ForgeResult<Vec<Comment>>> + Send;
    /// The check runs on a commit.
    fn check_runs(&self, sha: &str) -> impl Future<Output = ForgeResult<Vec<CheckRun>>> + Send;
    /// Every review of a pull request, oldest first, in every state: a person's latest review
    /// is the last of theirs. Pending reviews of others are not shown (GitHub shows a pending
    /// review to its author only).
    fn reviews(&self, number: u64) -> impl Future<Output = ForgeResult<Vec<Review>>> + Send;
    /// Whose review a pull request still waits for: `(user logins, team slugs)`. A person
    /// leaves the list once they review.
    fn requested_reviewers(
        &self,
        number: u64,
    ) -> impl Future<Output = ForgeResult<(Vec<String>, Vec<String>)>> + Send;
    /// Every member of the team `team_slug` of the organisation `org` (with the members of
    /// its child teams, as GitHub lists them), with their numeric ids. A team the forge does
    /// not know, or cannot show, is [`ForgeError::NotFound`].
    fn team_members(
        &self,
        org: &str,
        team_slug: &str,
    ) -> impl Future<Output = ForgeResult<Vec<Member>>> + Send;
    /// The account of `login` (any case) with its numeric id, so that people named by login
    /// (approval roles, say) can be matched by id against reviews and team members. The login
    /// comes back as the forge spells it; a renamed account is found by its new login only.
    /// A login the forge does not know is [`ForgeError::NotFound`], naming it.
    fn user(&self, login: &str) -> impl Future<Output = ForgeResult<Member>> + Send;
    /// What `login` may do in the repository. Someone who is not a collaborator, or not an
    /// account at all, is [`Permission::None`] or [`Permission::Read`], never an error.
    fn permission(&self, login: &str) -> impl Future<Output = ForgeResult<Permission>> + Send;

    // ----- Trust: who made what (the bot's App, a pull request's commits). -----

    /// The App whose check runs are the bot's. A run another App created is never the bot's,
    /// whatever its name.
    fn bot_app(&self) -> BotApp;
    /// The commits of a pull request, oldest first, with their authors' and committers'
    /// accounts where the forge knows them: who contributed to it.
    fn pull_commits(&self, number: u64) -> impl Future<Output = ForgeResult<Vec<Commit>>> + Send;
    /// The files and the commits of the pull request `pull` as just read from the forge:
    /// what [`Forge::pull_files`] and [`Forge::pull_commits`] give, in as few calls as the
    /// forge allows (GitHub: one comparison of its base branch with its head, when neither
    /// list is truncated).
    fn pull_changes(
        &self,
        pull: &PullRequest,
    ) -> impl Future<Output = ForgeResult<(Vec<ChangedFile>, Vec<Commit>)>> + Send;
    /// The rules that apply to `branch`, or `None` when the forge cannot show them (the local
    /// forge has none; a token that may not read them).
    fn branch_rules(
        &self,
        branch: &str,
    ) -> impl Future<Output = ForgeResult<Option<Vec<BranchRule>>>> + Send;

    fn create_comment(
        &self,
        issue: u64,
        body: &str,
    ) -> impl Future<Output = ForgeResult<Comment>> + Send;
    fn update_comment(&self, id: u64, body: &str) -> impl Future<Output = ForgeResult<()>> + Send;
    fn create_check_run(
        &self,
        spec: &CheckRunSpec,
    ) -> impl Future<Output = ForgeResult<CheckRun>> + Send;
    fn update_check_run(
        &self,
        id: u64,
        spec: &CheckRunSpec,
    ) -> impl Future<Output = ForgeResult<()>> + Send;
    /// Commits `files` on top of `parent` and points `branch` at the commit, creating the
    /// branch or moving it (force, since bot branches are the bot's). Returns the commit.
    fn commit_to_branch(
        &self,
        branch: &str,
        parent: &str,
        message: &str,
        files: &[FileChange],
    ) -> impl Future<Output = ForgeResult<Sha>> + Send;
    fn create_pull(
        &self,
        head_branch: &str,
        base_branch: &str,
        title: &str,
        body: &str,
    ) -> impl Future<Output = ForgeResult<PullRequest>> + Send;
    /// Sets the title and body; `reopen` reopens a closed, unmerged pull request.
    fn update_pull(
        &self,
        number: u64,
        title: &str,
        body: &str,
        reopen: bool,
    ) -> impl Future<Output = ForgeResult<()>> + Send;
    fn request_reviewers(
        &self,
        number: u64,
        users: &[String],
        teams: &[String],
    ) -> impl Future<Output = ForgeResult<()>> + Send;
    fn add_labels(
        &self,
        issue: u64,
        labels: &[String],
    ) -> impl Future<Output = ForgeResult<()>> + Send;

    // ----- Issues, bot branches and secret-scanning alerts: the scheduled report. -----

    /// Every issue (not pull request) that `creator` opened, in any state, by number.
    fn issues_by(&self, creator: &str) -> impl Future<Output = ForgeResult<Vec<Issue>>> + Send;
    /// One issue, as it is now: body, state, author.
    fn issue(&self, number: u64) -> impl Future<Output = ForgeResult<Issue>> + Send;
    fn create_issue(
        &self,
        title: &str,
        body: &str,
    ) -> impl Future<Output = ForgeResult<Issue>> + Send;
    /// Sets the body, the state, or both, of an issue.
    fn update_issue(
        &self,
        number: u64,
        body: Option<&str>,
        state: Option<IssueState>,
    ) -> impl Future<Output = ForgeResult<()>> + Send;
    /// The commit at the head of `branch`, `None` when there is no such branch.
    fn branch_head(&self, branch: &str) -> impl Future<Output = ForgeResult<Option<Sha>>> + Send;
    /// Every file under `prefix` (a folder, ending in `/`) at commit `sha`, with its bytes,
    /// in one call (a tarball) whatever their number.
    fn files_under(
        &self,
        sha: &str,
        prefix: &str,
    ) -> impl Future<Output = ForgeResult<BTreeMap<String, Vec<u8>>>> + Send;
    /// The open secret-scanning alerts; `None` when the forge will not show them (no
    /// permission, scanning off, or a forge without them).
    fn secret_alerts(
        &self,
    ) -> impl Future<Output = ForgeResult<Option<Vec<crate::model::finding::SecretAlert>>>> + Send;
}

/// Whether an issue is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    Open,
    Closed,
}

/// An issue (not a pull request), as the forge shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: IssueState,
    /// The login of whoever opened it.
    pub author: String,
}

/// API calls made, reads and writes apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCount {
    pub reads: u32,
    pub writes: u32,
}
