//! Triggers to targets. Every trigger (a webhook event, a schedule, a slash command, a CLI
//! run) names the things to reconcile; the loop (`runners::reconcile`) then reads each
//! target's current state from the forge and brings it to the desired state. Level-
//! triggered: what an event says happened only chooses the targets, never the outcome.

use crate::model::Id;
use crate::model::event::{CommentInfo, Event, PrAction};
use crate::model::forge::{PrState, PullRequest};
use std::collections::BTreeMap;

/// Something the loop reconciles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A person's pull request: its request comments and check, its gate checklist and
    /// check, or, once merged, its audit record and the provisioning it asks for. `seen` is
    /// the pull request as the trigger showed it, when it did: for logs only. The loop reads
    /// the pull request from the forge when it handles the target and never takes its head,
    /// state or author from an event.
    Pull {
        number: u64,
        seen: Option<PullRequest>,
    },
    /// The default branch: provisioning, re-render and decommission PRs and expiry
    /// warnings, for the experiments in `only` or all of them. `request_prs` names the PR
    /// that requested an experiment, where the trigger knows it.
    DefaultBranch {
        only: Option<Vec<Id>>,
        request_prs: BTreeMap<Id, u64>,
    },
    /// The scheduled report: the cloud and the observations read, the report's PRs, the
    /// day's observation and the dashboard issue.
    Dashboard,
    /// A slash command in a comment.
    Command {
        issue: u64,
        on_pull: bool,
        comment: CommentInfo,
    },
}

impl Target {
    /// Everything on the default branch.
    pub fn default_branch() -> Target {
        Target::DefaultBranch {
            only: None,
            request_prs: BTreeMap::new(),
        }
    }

    /// A short name for logs and notes.
    pub fn describe(&self) -> String {
        match self {
            Target::Pull { number, .. } => format!("#{number}"),
            Target::DefaultBranch { only: None, .. } => "the default branch".into(),
            Target::DefaultBranch {
                only: Some(ids), ..
            } => format!(
                "the default branch for {}",
                ids.iter()
                    .map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Target::Command { comment, .. } => format!("command in comment {}", comment.id),
            Target::Dashboard => "the dashboard".into(),
        }
    }
}

/// Why a trigger maps to no target, for the run's notes.
pub type Skip = String;

/// The targets of a trigger, or why there are none. `bot` is the bot's login: its own
/// comments are never commands.
pub fn targets(event: &Event, bot: &str) -> Result<Vec<Target>, Skip> {
    match event {
        Event::PullRequest {
            action: PrAction::Opened | PrAction::Synchronize | PrAction::Reopened | PrAction::Edited,
            pull,
            ..
        } if pull.state == PrState::Open => Ok(vec![Target::Pull {
            number: pull.number,
            seen: Some(pull.clone()),
        }]),
        Event::PullRequest {
            action: PrAction::Closed,
            pull,
            ..
        } if pull.state == PrState::Merged => Ok(vec![Target::Pull {
            number: pull.number,
            seen: Some(pull.clone()),
        }]),
        Event::PullRequest { .. } => Err("nothing to do for this pull request event".into()),
        Event::Review { pull, .. } if pull.state == PrState::Open => Ok(vec![Target::Pull {
            number: pull.number,
            // The event's copy of the PR may be older than its head: read it again.
            seen: None,
        }]),
        Event::Review { .. } => Err("a review of a closed pull request".into()),
        Event::IssueComment {
            comment, sender, ..
        } if sender.login.eq_ignore_ascii_case(bot)
            || comment.user.login.eq_ignore_ascii_case(bot) =>
        {
            Err("a comment of adoptbot's own".into())
        }
        Event::IssueComment {
            issue,
            on_pull,
            comment,
            ..
        } => {
            if super::command::parse(&comment.body).is_some() {
                Ok(vec![Target::Command {
                    issue: *issue,
                    on_pull: *on_pull,
                    comment: comment.clone(),
                }])
            } else {
                Err(format!("comment {} holds no command", comment.id))
            }
        }
        Event::Push { .. } => Ok(vec![Target::default_branch()]),
        // A schedule runs the report after the default branch's own steps.
        Event::Schedule => Ok(vec![Target::default_branch(), Target::Dashboard]),
        Event::Ignored { event, reason } => Err(format!("ignored `{event}`: {reason}")),
    }
}
