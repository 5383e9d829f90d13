//! The forge: where pull requests, comments, checks and branches live. The [`Forge`] trait is
//! the one door to it; the GitHub adapter (`github`) and the local git adapter (`local`, the
//! embedded default that needs no network) implement it. The core never calls a forge: the
//! runners read through it, hand plain data to the core, and apply the writes the core plans.

pub mod events;
pub mod github;
pub mod local;

use crate::load::Snapshot;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;

/// A git object id, hex.
pub type Sha = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrState {
    Open,
    Closed,
    Merged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: PrState,
    /// The login of whoever opened it.
    pub author: String,
    /// Their numeric id (0 when the forge does not say).
    #[serde(default)]
    pub author_id: u64,
    pub head_branch: String,
    pub head_sha: Sha,
    pub base_branch: String,
    pub base_sha: Sha,
    /// The merge commit, once merged.
    pub merge_sha: Option<Sha>,
    /// Whose review it waits for, as the forge showed the pull request: user logins and
    /// team slugs. A person leaves the list once they review.
    #[serde(skip)]
    pub requested_users: Vec<String>,
    #[serde(skip)]
    pub requested_teams: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Added,
    Modified,
    Removed,
    Renamed,
}

/// A file a pull request changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    pub path: String,
    pub status: FileStatus,
    /// For renames, the path before.
    pub previous_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: u64,
    pub author: String,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    Success,
    Failure,
    Neutral,
    ActionRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnotationLevel {
    Notice,
    Warning,
    Failure,
}

/// A note on a line of a file, shown in the PR's diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Annotation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub level: AnnotationLevel,
    pub title: String,
    pub message: String,
}

/// A check run as the bot wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRunSpec {
    pub name: String,
    pub head_sha: Sha,
    pub conclusion: Conclusion,
    pub title: String,
    pub summary: String,
    pub annotations: Vec<Annotation>,
}

/// A check run as the forge shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: Sha,
    pub conclusion: Option<Conclusion>,
    pub title: String,
    pub summary: String,
}

/// A commit on a branch, with who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub sha: Sha,
    pub message: String,
    /// The author's email, as recorded in the commit.
    pub author_email: String,
}

/// A review of a pull request, as the forge shows it to the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: u64,
    /// The reviewer's login now (a renamed account shows its new login on old reviews).
    /// A deleted account shows as `ghost`, with `user_id` 0.
    pub user_login: String,
    /// The reviewer's numeric id, which survives a rename: match people by it, not by login.
    pub user_id: u64,
    pub state: ReviewState,
    /// The commit the review was given on; empty if GitHub no longer knows it (the commit was
    /// garbage-collected), so that it never equals a head.
    pub commit_id: Sha,
    /// When it was submitted (RFC 3339), if the forge says; `None` while pending.
    #[serde(default)]
    pub submitted_at: Option<String>,
}

/// What a review says. Serialised in snake case (`changes_requested`), as webhook payloads
/// write it; the REST API writes it in capitals (`CHANGES_REQUESTED`), see
/// [`ReviewState::from_github`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    /// An approval or a change request that someone dismissed: it no longer counts.
    Dismissed,
    /// Started and not submitted yet. GitHub shows a pending review only to its author.
    Pending,
}

impl ReviewState {
    /// GitHub's word for a state in either spelling, `APPROVED` (REST) or `approved`
    /// (webhooks); `None` for a word it does not know.
    pub fn from_github(word: &str) -> Option<ReviewState> {
        const ALL: [ReviewState; 5] = [
            ReviewState::Approved,
            ReviewState::ChangesRequested,
            ReviewState::Commented,
            ReviewState::Dismissed,
            ReviewState::Pending,
        ];
        ALL.into_iter()
            .find(|s| s.github_name().eq_ignore_ascii_case(word.trim()))
    }

    /// The REST API's word: `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`,
    /// `PENDING`.
    pub fn github_name(self) -> &'static str {
        match self {
            ReviewState::Approved => "APPROVED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Commented => "COMMENTED",
            ReviewState::Dismissed => "DISMISSED",
            ReviewState::Pending => "PENDING",
        }
    }
}

/// A member of a team: the login now, and the numeric id that identifies the person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Member {
    pub login: String,
    pub id: u64,
}

/// What a person may do in the repository, as GitHub's roles name it (highest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    None,
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Permission {
    /// GitHub's `role_name` (or legacy `permission`) word; a custom role or an unknown word is
    /// read as the least, so that nothing unknown is trusted.
    pub fn from_github(word: &str) -> Permission {
        match word.to_ascii_lowercase().as_str() {
            "admin" => Permission::Admin,
            "maintain" => Permission::Maintain,
            "write" | "push" => Permission::Write,
            "triage" => Permission::Triage,
            "read" | "pull" => Permission::Read,
            _ => Permission::None,
        }
    }

    /// Whether this lets a person push to the repository: write, maintain or admin.
    pub fn can_write(self) -> bool {
        self >= Permission::Write
    }
}

/// One file of a commit the bot makes: new content, or `None` to delete it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub content: Option<String>,
}

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
    /// The change conflicts with the forge's state, e.g. a ref moved.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("unauthorised: {0}")]
    Unauthorised(String),
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
}

/// API calls made, reads and writes apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCount {
    pub reads: u32,
    pub writes: u32,
}
