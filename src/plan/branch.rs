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
    /// Hoarded GPU quota lowered in `teams/<team>.yaml` (`adoptbot/reclaim/<team>`).
    Reclaim,
    /// Shadow-AI resources added to `inventory/shadow-ai.yaml`
    /// (`adoptbot/inventory/shadow-ai`).
    Inventory,
}

impl PullKind {
    pub const ALL: [PullKind; 6] = [
        PullKind::Provision,
        PullKind::Rerender,
        PullKind::Decommission,
        PullKind::Renew,
        PullKind::Reclaim,
        PullKind::Inventory,
    ];

    /// The word in the branch name and in the `adoptbot:<kind>` label.
    pub fn word(self) -> &'static str {
        match self {
            PullKind::Provision => "provision",
            PullKind::Rerender => "rerender",
            PullKind::Decommission => "decommission",
            PullKind::Renew => "renew",
            PullKind::Reclaim => "reclaim",
            PullKind::Inventory => "inventory",
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

/// The bot's account: the login it acts as (the App's bot user, `<slug>[bot]`, or the
/// configured login) and the numeric id the forge gives that account, resolved once per run
/// (`Forge::user`); `None` when the forge could not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    pub login: String,
    pub id: Option<u64>,
}

impl Bot {
    /// The bot known by its login only.
    pub fn by_login(login: &str) -> Bot {
        Bot {
            login: login.to_string(),
            id: None,
        }
    }
}

/// Whether the account `(login, id)` is the bot's: its login, compared as GitHub compares
/// logins (without case), and, where both the forge and the account give one, its numeric id
/// (`id` 0 means the forge gave none). A branch name, a trailer or a header never decides
/// it. The one place that decides who the bot is.
pub fn is_bot(login: &str, id: u64, bot: &Bot) -> bool {
    login.eq_ignore_ascii_case(&bot.login)
        && match bot.id {
            Some(b) if id != 0 => id == b,
            _ => true,
        }
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
            BotBranch::pull(PullKind::Reclaim, id("fraud-analytics")),
            BotBranch::pull(PullKind::Inventory, id("shadow-ai")),
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
    fn the_bot_is_known_by_login_and_by_id_where_there_is_one() {
        let bot = Bot {
            login: "adoptbot[bot]".into(),
            id: Some(42),
        };
        assert!(is_bot("AdoptBot[bot]", 42, &bot));
        assert!(
            is_bot("adoptbot[bot]", 0, &bot),
            "no id given: the login decides"
        );
        assert!(
            !is_bot("adoptbot[bot]", 7, &bot),
            "another account under the bot's login is not the bot"
        );
        assert!(!is_bot("mallory", 42, &bot));
        assert!(is_bot("adoptbot[bot]", 7, &Bot::by_login("adoptbot[bot]")));
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
