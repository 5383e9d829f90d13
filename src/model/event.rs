//! The events adoptbot reacts to, as plain data. The GitHub adapter types them from webhook
//! payloads (`forge::github::events`); runners without webhooks (the CLI, the demo, a
//! schedule) make them directly. Each event maps to the targets the loop reconciles
//! (`plan::targets`).

use super::forge::{PullRequest, Sha};
use serde::Deserialize;

/// The events adoptbot handles; anything else is `Ignored` with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    PullRequest {
        action: PrAction,
        pull: PullRequest,
        repo: RepoInfo,
        sender: User,
    },
    Review {
        action: ReviewAction,
        review: Review,
        pull: PullRequest,
        repo: RepoInfo,
        sender: User,
    },
    IssueComment {
        issue: u64,
        on_pull: bool,
        comment: CommentInfo,
        repo: RepoInfo,
        sender: User,
    },
    /// A scheduled run (the Action's `schedule`, a CLI run, the server's cron), or a manual
    /// `workflow_dispatch`: everything on the default branch is reconciled.
    Schedule,
    /// A push to the default branch.
    Push {
        after: Sha,
        repo: RepoInfo,
        sender: User,
    },
    Ignored {
        event: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrAction {
    Opened,
    Synchronize,
    Reopened,
    Edited,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    Submitted,
    Dismissed,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub login: String,
    pub id: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// `owner/name`.
    pub full_name: String,
    pub default_branch: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Review {
    pub id: u64,
    pub user: User,
    /// `approved`, `changes_requested`, `commented`, `dismissed` (lower-cased).
    pub state: String,
    /// The head commit the review was given on.
    pub commit_id: Sha,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommentInfo {
    pub id: u64,
    pub user: User,
    pub body: String,
}
