//! Webhook events, typed from the payloads GitHub sends. Only the fields adoptbot acts on are
//! read; everything else in a payload is ignored, so new fields never break parsing.

use super::wire;
use crate::model::event::*;
use crate::model::forge::{PrState, PullRequest, Sha};
use serde::Deserialize;

#[derive(Deserialize)]
struct RawRepo {
    full_name: String,
    default_branch: String,
}

#[derive(Deserialize)]
struct RawRef {
    #[serde(rename = "ref")]
    branch: String,
    sha: Sha,
}

#[derive(Deserialize)]
struct RawPull {
    number: u64,
    title: String,
    #[serde(default)]
    body: Option<String>,
    state: String,
    #[serde(default)]
    merged: Option<bool>,
    #[serde(default)]
    merged_at: Option<String>,
    #[serde(default)]
    merge_commit_sha: Option<Sha>,
    user: User,
    head: RawRef,
    base: RawRef,
    #[serde(default)]
    requested_reviewers: Option<Vec<wire::User>>,
    #[serde(default)]
    requested_teams: Option<Vec<wire::TeamSlug>>,
}

impl RawPull {
    fn into_pull(self) -> PullRequest {
        let merged = self.merged.unwrap_or(false) || self.merged_at.is_some();
        let state = match (self.state.as_str(), merged) {
            (_, true) => PrState::Merged,
            ("open", _) => PrState::Open,
            _ => PrState::Closed,
        };
        PullRequest {
            number: self.number,
            title: self.title,
            body: self.body.unwrap_or_default(),
            state,
            author: self.user.login,
            author_id: self.user.id,
            head_branch: self.head.branch,
            head_sha: self.head.sha,
            base_branch: self.base.branch,
            base_sha: self.base.sha,
            merge_sha: if merged { self.merge_commit_sha } else { None },
            requested_users: wire::logins(self.requested_reviewers),
            requested_teams: wire::slugs(self.requested_teams),
        }
    }
}

#[derive(Deserialize)]
struct PullEvent {
    action: String,
    pull_request: RawPull,
    repository: RawRepo,
    sender: User,
}

#[derive(Deserialize)]
struct ReviewEvent {
    action: String,
    review: Review,
    pull_request: RawPull,
    repository: RawRepo,
    sender: User,
}

#[derive(Deserialize)]
struct RawIssue {
    number: u64,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct CommentEvent {
    action: String,
    issue: RawIssue,
    comment: CommentInfo,
    repository: RawRepo,
    sender: User,
}

#[derive(Deserialize)]
struct PushEvent {
    #[serde(rename = "ref")]
    git_ref: String,
    after: Sha,
    #[serde(default)]
    deleted: bool,
    repository: RawRepo,
    sender: User,
}

fn repo(r: RawRepo) -> RepoInfo {
    RepoInfo {
        full_name: r.full_name,
        default_branch: r.default_branch,
    }
}

fn ignored(event: &str, reason: impl Into<String>) -> Event {
    Event::Ignored {
        event: event.to_string(),
        reason: reason.into(),
    }
}

/// Where a payload is typed from: its bytes, or JSON a caller already parsed (the App server
/// reads a delivery's routing fields first, and does not parse the body twice).
trait Payload {
    fn typed<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T>;
}

impl Payload for &[u8] {
    fn typed<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T> {
        serde_json::from_slice(self)
    }
}

impl Payload for serde_json::Value {
    fn typed<T: serde::de::DeserializeOwned>(self) -> serde_json::Result<T> {
        serde_json::from_value(self)
    }
}

/// Parses a webhook delivery: `name` is the `X-GitHub-Event` header (or
/// `GITHUB_EVENT_NAME`), `payload` the body. Errors say which field is wrong. An event
/// adoptbot does not handle is `Ignored` without its payload being read.
pub fn parse(name: &str, payload: &[u8]) -> Result<Event, String> {
    parse_from(name, payload)
}

/// [`parse`] of a body already parsed as JSON.
pub fn parse_json(name: &str, payload: serde_json::Value) -> Result<Event, String> {
    parse_from(name, payload)
}

fn parse_from(name: &str, payload: impl Payload) -> Result<Event, String> {
    let bad = |e: serde_json::Error| format!("the `{name}` payload is not what GitHub sends: {e}");
    Ok(match name {
        "pull_request" | "pull_request_target" => {
            let p: PullEvent = payload.typed().map_err(bad)?;
            let action = match p.action.as_str() {
                "opened" => PrAction::Opened,
                "synchronize" => PrAction::Synchronize,
                "reopened" => PrAction::Reopened,
                "edited" => PrAction::Edited,
                "closed" => PrAction::Closed,
                other => return Ok(ignored(name, format!("action `{other}`"))),
            };
            Event::PullRequest {
                action,
                pull: p.pull_request.into_pull(),
                repo: repo(p.repository),
                sender: p.sender,
            }
        }
        "pull_request_review" => {
            let p: ReviewEvent = payload.typed().map_err(bad)?;
            let action = match p.action.as_str() {
                "submitted" => ReviewAction::Submitted,
                "dismissed" => ReviewAction::Dismissed,
                other => return Ok(ignored(name, format!("action `{other}`"))),
            };
            let mut review = p.review;
            review.state = review.state.to_ascii_lowercase();
            Event::Review {
                action,
                review,
                pull: p.pull_request.into_pull(),
                repo: repo(p.repository),
                sender: p.sender,
            }
        }
        "issue_comment" => {
            let p: CommentEvent = payload.typed().map_err(bad)?;
            if p.action != "created" {
                return Ok(ignored(name, format!("action `{}`", p.action)));
            }
            Event::IssueComment {
                issue: p.issue.number,
                on_pull: p.issue.pull_request.is_some(),
                comment: p.comment,
                repo: repo(p.repository),
                sender: p.sender,
            }
        }
        "push" => {
            let p: PushEvent = payload.typed().map_err(bad)?;
            let default = format!("refs/heads/{}", p.repository.default_branch);
            if p.deleted || p.git_ref != default {
                return Ok(ignored(
                    name,
                    format!("a push to `{}`, not to the default branch", p.git_ref),
                ));
            }
            Event::Push {
                after: p.after,
                repo: repo(p.repository),
                sender: p.sender,
            }
        }
        other => ignored(other, "not an event adoptbot handles"),
    })
}
