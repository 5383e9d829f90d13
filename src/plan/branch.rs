//! The bot's branches, typed: every `adoptbot/…` name is formatted and parsed here and
//! nowhere else. A branch name is a key, never proof: whether a PR on it is the bot's is
//! decided by who opened it.

use crate::model::Id;
use std::fmt;

/// The prefix of every branch the bot writes.
pub const PREFIX: &str = "adoptbot/";

/// What a bot pull request does to one experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PullKind {
    /// The IaC rendered for a merged request.
    Provision,
    /// Committed IaC brought back to a fresh render.
    Rerender,
    /// The IaC removed when the time box ends or the cap is spent.
    Decommission,
    /// A renewal asked for by `/adoptbot renew`.
    Renew,
}

impl PullKind {
    pub const ALL: [PullKind; 4] = [
        PullKind::Provision,
        PullKind::Rerender,
        PullKind::Decommission,
        PullKind::Renew,
    ];

    /// The word in the branch name and in the `adoptbot:<kind>` label.
    pub fn word(self) -> &'static str {
        match self {
            PullKind::Provision => "provision",
            PullKind::Rerender => "rerender",
            PullKind::Decommission => "decommission",
            PullKind::Renew => "renew",
        }
    }

    fn from_word(word: &str) -> Option<PullKind> {
        PullKind::ALL.into_iter().find(|k| k.word() == word)
    }
}

/// A branch the bot writes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BotBranch {
    /// `adoptbot/<kind>/<experiment>` for one experiment; a renewal is keyed by the asking
    /// comment too (`adoptbot/renew/<experiment>-<comment id>`), so that asking again opens a
    /// new PR and replaying the same comment does not.
    Pull {
        kind: PullKind,
        experiment: Id,
        comment: Option<u64>,
    },
    /// `adoptbot/audit`: the gate records, append-only.
    Audit,
    /// `adoptbot/observations`: what each scheduled run measured, one commit a day at most,
    /// append-only.
    Observations,
}

impl BotBranch {
    pub fn pull(kind: PullKind, experiment: Id) -> BotBranch {
        BotBranch::Pull {
            kind,
            experiment,
            comment: None,
        }
    }

    pub fn renewal(experiment: Id, comment: u64) -> BotBranch {
        BotBranch::Pull {
            kind: PullKind::Renew,
            experiment,
            comment: Some(comment),
        }
    }

    /// The branch behind a name, if the name is one the bot writes.
    pub fn parse(name: &str) -> Option<BotBranch> {
        let rest = name.strip_prefix(PREFIX)?;
        if rest == "audit" {
            return Some(BotBranch::Audit);
        }
        if rest == "observations" {
            return Some(BotBranch::Observations);
        }
        let (kind, tail) = rest.split_once('/')?;
        let kind = PullKind::from_word(kind)?;
        let (id, comment) = match kind {
            PullKind::Renew => {
                let (id, comment) = tail.rsplit_once('-')?;
                (id, Some(comment.parse().ok()?))
            }
            _ => (tail, None),
        };
        Some(BotBranch::Pull {
            kind,
            experiment: id.parse().ok()?,
            comment,
        })
    }

    /// The experiment a pull-request branch is about.
    pub fn experiment(&self) -> Option<&Id> {
        match self {
            BotBranch::Pull { experiment, .. } => Some(experiment),
            BotBranch::Audit | BotBranch::Observations => None,
        }
    }

    pub fn kind(&self) -> Option<PullKind> {
        match self {
            BotBranch::Pull { kind, .. } => Some(*kind),
            BotBranch::Audit | BotBranch::Observations => None,
        }
    }

    /// The prefix every branch of `kind` starts with, to list them in one call.
    pub fn prefix_of(kind: PullKind) -> String {
        format!("{PREFIX}{}/", kind.word())
    }
}

impl fmt::Display for BotBranch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BotBranch::Pull {
                kind,
                experiment,
                comment: Some(c),
            } => write!(f, "{PREFIX}{}/{experiment}-{c}", kind.word()),
            BotBranch::Pull {
                kind, experiment, ..
            } => write!(f, "{PREFIX}{}/{experiment}", kind.word()),
            BotBranch::Audit => write!(f, "{PREFIX}audit"),
            BotBranch::Observations => write!(f, "{PREFIX}observations"),
        }
    }
}

/// Whether the account `login` is the bot's: its configured login, compared as GitHub
/// compares logins (without case). A branch name, a trailer or a header never decides it.
pub fn is_bot(login: &str, bot: &str) -> bool {
    login.eq_ignore_ascii_case(bot)
}

/// The one notice on a person's pull request from a branch in the bot's namespace: it is
/// judged as any person's PR, and the bot never treats the branch as its own.
pub fn reserved_notice(
    pull: &crate::model::forge::PullRequest,
    valid_at: i64,
) -> super::reconcile::DesiredComment {
    super::reconcile::DesiredComment {
        issue: pull.number,
        key: "reserved-branch".into(),
        body: format!(
            "@{}: branches under `{PREFIX}` are reserved for adoptbot's own pull requests. This PR is judged as any person's PR is, and adoptbot will not push to `{}` or treat it as its own. Use another branch name for your work.",
            pull.author,
            crate::report::markdown::inline(&pull.head_branch)
        ),
        valid_at,
    }
}

/// Whether a branch name is in the bot's namespace (`adoptbot/…`), whatever it holds.
pub fn reserved(name: &str) -> bool {
    name.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Id {
        s.parse().unwrap()
    }

    #[test]
    fn every_branch_reads_back_as_itself() {
        let all = [
            BotBranch::pull(PullKind::Provision, id("rag-bot")),
            BotBranch::pull(PullKind::Rerender, id("rag-bot")),
            BotBranch::pull(PullKind::Decommission, id("a-b-c")),
            BotBranch::renewal(id("fraud-distill"), 4242),
            BotBranch::Audit,
            BotBranch::Observations,
        ];
        for b in all {
            assert_eq!(BotBranch::parse(&b.to_string()), Some(b.clone()), "{b}");
        }
        assert_eq!(
            BotBranch::renewal(id("x-y"), 7).to_string(),
            "adoptbot/renew/x-y-7"
        );
    }

    #[test]
    fn names_outside_the_namespace_or_malformed_are_not_bot_branches() {
        for name in [
            "main",
            "feature/adoptbot/provision/x",
            "adoptbot/provision/",
            "adoptbot/unknown/x",
            "adoptbot/renew/x",
            "adoptbot/renew/x-notanumber",
            "adoptbot/provision/Bad_Id",
        ] {
            assert_eq!(BotBranch::parse(name), None, "{name}");
        }
        assert!(reserved("adoptbot/anything"));
        assert!(!reserved("main"));
    }
}
