//! Reconcile: the outcomes the bot wants against what the forge shows, to the smallest set
//! of writes. Pure. Bot comments carry a hidden marker with a key, a fingerprint of the body
//! and the time the result is valid at: a body that did not change is not written, and an
//! older run never overwrites a newer result. Bot pull requests are keyed by their branch
//! `adoptbot/<kind>/<id>` and carry the fingerprint of their inputs in the body: a PR closed
//! unmerged stays closed until its inputs change, and a human commit on the branch stops the
//! bot from touching it.

use super::branch::BotBranch;
use crate::model::forge::{
    BotApp, CheckRun, CheckRunSpec, Comment, Commit, FileChange, PrState, PullRequest, Sha,
};
use sha2::{Digest, Sha256};

/// A comment the bot wants on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredComment {
    pub issue: u64,
    /// What the comment is about, e.g. `experiment/rag-bot`; one comment per key and issue.
    pub key: String,
    pub body: String,
    /// When the result was true: the head commit's time, or the run's clock. Seconds.
    pub valid_at: i64,
}

/// A pull request the bot wants, on its bot branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredPull {
    pub bot: BotBranch,
    /// Why the bot wants it, in a few words, for `adoptbot plan`.
    pub reason: String,
    pub base_branch: String,
    pub base_sha: Sha,
    pub title: String,
    pub body: String,
    pub files: Vec<FileChange>,
}

impl DesiredPull {
    pub fn branch(&self) -> String {
        self.bot.to_string()
    }

    /// The fingerprint of what the PR changes: its title and files, not its base, so a
    /// moving default branch alone does not re-open a closed PR.
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.title.as_bytes());
        let mut files = self.files.clone();
        files.sort();
        for f in &files {
            h.update([0]);
            h.update(f.path.as_bytes());
            h.update([0]);
            match &f.content {
                Some(c) => h.update(c.as_bytes()),
                None => h.update([0xff]),
            }
        }
        short(h)
    }
}

/// A write to the forge, in the order it must be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    CreateComment {
        issue: u64,
        body: String,
    },
    UpdateComment {
        issue: u64,
        id: u64,
        body: String,
    },
    CreateCheck(CheckRunSpec),
    UpdateCheck {
        id: u64,
        spec: CheckRunSpec,
    },
    /// Commit the files on top of `parent` and point the branch at it.
    PushBranch {
        branch: String,
        parent: Sha,
        message: String,
        files: Vec<FileChange>,
    },
    CreatePull {
        branch: String,
        base: String,
        title: String,
        body: String,
    },
    UpdatePull {
        number: u64,
        title: String,
        body: String,
        reopen: bool,
    },
}

fn short(h: Sha256) -> String {
    hex::encode(&h.finalize()[..8])
}

fn fingerprint_of(body: &str) -> String {
    let mut h = Sha256::new();
    h.update(body.as_bytes());
    short(h)
}

/// The hidden marker that ends every bot comment.
pub fn marker(key: &str, body: &str, valid_at: i64) -> String {
    format!(
        "<!-- adoptbot:{key} fingerprint={} valid-at={valid_at} -->",
        fingerprint_of(body)
    )
}

/// When the state a run observed was last changed, in seconds since the epoch: the newest
/// commit of the pull request or the newest review submitted, as the forge shows them at
/// handling time. A bot comment is stamped with it (`valid-at`), so that a run which saw an
/// older state never overwrites one that saw a newer state. `None` when the forge gives no
/// times. (Commit times are written by whoever commits; the checks, which the branch rules
/// require, are per head commit and never rolled back by a stamp.)
pub fn observed_at(commits: &[Commit], reviews: &[crate::model::forge::Review]) -> Option<i64> {
    let parse = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|d| d.timestamp())
    };
    commits
        .iter()
        .filter_map(|c| c.committed_at.as_deref().and_then(parse))
        .chain(
            reviews
                .iter()
                .filter_map(|r| r.submitted_at.as_deref().and_then(parse)),
        )
        .max()
}

/// `(key, fingerprint, valid_at)` of a comment's marker.
pub fn parse_marker(body: &str) -> Option<(String, String, i64)> {
    let start = body.rfind("<!-- adoptbot:")?;
    let rest = body[start + "<!-- adoptbot:".len()..]
        .strip_suffix("-->")
        .or_else(|| body[start + "<!-- adoptbot:".len()..].split("-->").next())?;
    let mut parts = rest.split_whitespace();
    let key = parts.next()?.to_string();
    let mut fp = None;
    let mut at = None;
    for p in parts {
        if let Some(v) = p.strip_prefix("fingerprint=") {
            fp = Some(v.to_string());
        } else if let Some(v) = p.strip_prefix("valid-at=") {
            at = v.parse().ok();
        }
    }
    Some((key, fp?, at?))
}

/// The bot's comment keyed `key`, if there is one. Only the bot's own comments count: a
/// person who copies a marker into their comment changes nothing.
pub fn find_marked<'a>(existing: &'a [Comment], bot: &str, key: &str) -> Option<&'a Comment> {
    existing
        .iter()
        .filter(|c| c.author == bot)
        .find(|c| parse_marker(&c.body).is_some_and(|(k, _, _)| k == key))
}

/// The write that brings the bot's comment for `desired.key` up to date, if any.
pub fn comment(desired: &DesiredComment, existing: &[Comment], bot: &str) -> Option<Write> {
    let body = format!(
        "{}\n\n{}",
        desired.body.trim_end(),
        marker(&desired.key, &desired.body, desired.valid_at)
    );
    let mine = existing.iter().filter(|c| c.author == bot).find_map(|c| {
        let (key, fp, at) = parse_marker(&c.body)?;
        (key == desired.key).then_some((c, fp, at))
    });
    match mine {
        None => Some(Write::CreateComment {
            issue: desired.issue,
            body,
        }),
        Some((_, _, at)) if at > desired.valid_at => None,
        Some((_, fp, _)) if fp == fingerprint_of(&desired.body) => None,
        Some((c, _, _)) => Some(Write::UpdateComment {
            issue: desired.issue,
            id: c.id,
            body,
        }),
    }
}

/// The check run's summary ends with a marker of everything in it, annotations included,
/// since the forge does not give annotations back with the run.
fn check_fingerprint(spec: &CheckRunSpec) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(spec).unwrap_or_default());
    short(h)
}

fn with_check_marker(spec: &CheckRunSpec) -> CheckRunSpec {
    let mut s = spec.clone();
    s.summary = format!(
        "{}\n\n<!-- adoptbot:check fingerprint={} -->",
        spec.summary.trim_end(),
        check_fingerprint(spec)
    );
    s
}

/// The write that brings the bot's check run named `spec.name` on `spec.head_sha` up to
/// date. A run is the bot's by name, head commit and App (`app`): a run of the same name that
/// another App created is never updated (GitHub refuses it with 403) and never counts; the
/// bot creates its own beside it.
pub fn check(spec: &CheckRunSpec, existing: &[CheckRun], app: &BotApp) -> Option<Write> {
    let want = with_check_marker(spec);
    match existing
        .iter()
        .filter(|c| c.name == spec.name && c.head_sha == spec.head_sha && app.owns(c))
        .max_by_key(|c| c.id)
    {
        None => Some(Write::CreateCheck(want)),
        Some(c)
            if c.summary == want.summary
                && c.conclusion == Some(spec.conclusion)
                && c.title == spec.title =>
        {
            None
        }
        Some(c) => Some(Write::UpdateCheck {
            id: c.id,
            spec: want,
        }),
    }
}

/// The runs named `name` on `head_sha` that another App created: impostors of the bot's
/// check, named in the bot's comment so that nobody mistakes them for its verdict.
pub fn impostors<'a>(
    name: &str,
    head_sha: &str,
    existing: &'a [CheckRun],
    app: &BotApp,
) -> Vec<&'a CheckRun> {
    existing
        .iter()
        .filter(|c| c.name == name && c.head_sha == head_sha && !app.owns(c))
        .collect()
}

/// The paragraph the bot's comment ends with when another App posted a check of the bot's
/// name: which App, with what result, and that only the bot's own run counts. Empty when
/// there is none.
pub fn impostor_section(impostors: &[&CheckRun]) -> String {
    if impostors.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "#### Checks adoptbot did not post

",
    );
    for c in impostors {
        let who = match &c.app {
            Some(a) if !a.slug.is_empty() => format!(
                "the App `{}` (id {})",
                crate::report::markdown::inline(&a.slug),
                a.id
            ),
            Some(a) => format!("the App with id {}", a.id),
            None => "an App the forge does not name".to_string(),
        };
        let said = c
            .conclusion
            .map(|x| format!("{x:?}").to_lowercase())
            .unwrap_or_else(|| "no conclusion".into());
        out.push_str(&format!(
            "- `{}` ({said}) on this commit was created by {who}, not by adoptbot: it is not adoptbot's verdict. Pin the required check to adoptbot's App in the branch rules.\n",
            crate::report::markdown::inline(&c.name)
        ));
    }
    out
}

/// A comment body with the impostor section (if any) at its end.
pub fn with_impostors(body: String, impostors: &[&CheckRun]) -> String {
    let section = impostor_section(impostors);
    if section.is_empty() {
        body
    } else {
        format!("{}\n\n{}", body.trim_end(), section.trim_end())
    }
}

/// What became of a bot pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullPlan {
    /// Nothing to do.
    UpToDate,
    /// These writes, in order.
    Writes(Vec<Write>),
    /// A person committed to the branch: the bot leaves it alone, and says so once on the PR.
    HumanEdited { number: u64 },
}

/// The trailer every bot commit carries, naming what it renders. A key, never proof: who
/// made a commit is decided by [`is_bot_commit`].
pub const TRAILER: &str = "Adoptbot-Fingerprint:";

/// Whether the bot made this commit: both its author and its committer are the bot's account
/// (`bot`, its login), and the forge verified its signature (GitHub signs the commits an App
/// makes through the git data API; the local forge vouches for the bot's own). A trailer, a
/// name or an email in the commit decides nothing.
pub fn is_bot_commit(c: &Commit, bot: &str) -> bool {
    let bot = super::branch::Bot::by_login(bot);
    super::branch::is_bot(&c.author_login, 0, &bot)
        && super::branch::is_bot(&c.committer_login, 0, &bot)
        && c.verified
}

/// Plans a bot pull request. `existing` are the PRs whose head is the branch, any state;
/// `branch_commits` the commits on the branch that its base does not have.
pub fn pull(
    desired: &DesiredPull,
    existing: &[PullRequest],
    branch_commits: &[Commit],
    bot: &str,
) -> PullPlan {
    let fp = desired.fingerprint();
    let body = format!(
        "{}\n\n<!-- adoptbot:pull fingerprint={fp} -->",
        desired.body.trim_end()
    );
    let branch = desired.branch();
    let push = || Write::PushBranch {
        branch: branch.clone(),
        parent: desired.base_sha.clone(),
        message: format!("{}\n\n{TRAILER} {fp}", desired.title),
        files: desired.files.clone(),
    };
    let latest = existing
        .iter()
        .filter(|p| p.head_branch == branch)
        .max_by_key(|p| p.number);
    let same = |p: &PullRequest| p.body.contains(&format!("fingerprint={fp} -->"));
    // No PR on the branch yet, or only merged ones: a new PR.
    let open = |body: String| {
        PullPlan::Writes(vec![
            push(),
            Write::CreatePull {
                branch: branch.clone(),
                base: desired.base_branch.clone(),
                title: desired.title.clone(),
                body,
            },
        ])
    };
    match latest {
        None => open(body),
        Some(p)
            if p.state == PrState::Open
                && branch_commits.iter().any(|c| !is_bot_commit(c, bot)) =>
        {
            PullPlan::HumanEdited { number: p.number }
        }
        Some(p) if same(p) => PullPlan::UpToDate,
        Some(p) if p.state == PrState::Merged => open(body),
        Some(p) => PullPlan::Writes(vec![
            push(),
            Write::UpdatePull {
                number: p.number,
                title: desired.title.clone(),
                body,
                reopen: p.state == PrState::Closed,
            },
        ]),
    }
}

/// Plans a bot pull request as [`pull`] does, except that a person's commits on its branch
/// do not stop the bot: it renders the branch again over them. Only for an explicit request
/// by someone with write access (`/adoptbot rerender`).
pub fn pull_over_edits(
    desired: &DesiredPull,
    existing: &[PullRequest],
    branch_commits: &[Commit],
    bot: &str,
) -> PullPlan {
    match pull(desired, existing, branch_commits, bot) {
        PullPlan::HumanEdited { number } => {
            // As if the PR were out of date: the branch is pushed again and the PR updated.
            let stale: Vec<PullRequest> = existing
                .iter()
                .cloned()
                .map(|mut p| {
                    if p.number == number {
                        p.body.clear();
                    }
                    p
                })
                .collect();
            pull(desired, &stale, &[], bot)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::forge::Conclusion;

    fn c(id: u64, author: &str, body: &str) -> Comment {
        Comment {
            id,
            author: author.into(),
            body: body.into(),
        }
    }

    #[test]
    fn comments_are_created_once_and_updated_in_place() {
        let d = DesiredComment {
            issue: 7,
            key: "experiment/a".into(),
            body: "hello".into(),
            valid_at: 100,
        };
        let Some(Write::CreateComment { body, .. }) = comment(&d, &[], "bot") else {
            panic!("a create")
        };
        assert!(body.starts_with("hello\n\n<!-- adoptbot:experiment/a fingerprint="));
        let existing = vec![c(1, "someone", "hello"), c(2, "bot", &body)];
        assert_eq!(
            comment(&d, &existing, "bot"),
            None,
            "same body: nothing written"
        );
        let later_same = DesiredComment {
            valid_at: 200,
            ..d.clone()
        };
        assert_eq!(
            comment(&later_same, &existing, "bot"),
            None,
            "a newer run with the same body writes nothing"
        );
        let changed = DesiredComment {
            body: "bye".into(),
            valid_at: 200,
            ..d.clone()
        };
        assert!(matches!(
            comment(&changed, &existing, "bot"),
            Some(Write::UpdateComment { id: 2, .. })
        ));
        let older = DesiredComment {
            body: "stale".into(),
            valid_at: 50,
            ..d.clone()
        };
        assert_eq!(
            comment(&older, &existing, "bot"),
            None,
            "an older run never overwrites a newer result"
        );
        let forged = vec![c(3, "mallory", &body)];
        assert!(
            matches!(
                comment(&d, &forged, "bot"),
                Some(Write::CreateComment { .. })
            ),
            "only the bot's own comments count"
        );
    }

    #[test]
    fn markers_round_trip() {
        let m = marker("gate/2-3", "body", 42);
        let (k, fp, at) = parse_marker(&format!("text\n{m}")).unwrap();
        assert_eq!((k.as_str(), fp.len(), at), ("gate/2-3", 16, 42));
        assert!(parse_marker("no marker").is_none());
    }

    fn spec() -> CheckRunSpec {
        CheckRunSpec {
            name: "adoptbot/experiment".into(),
            head_sha: "abc".into(),
            conclusion: Conclusion::Success,
            title: "ok".into(),
            summary: "all good".into(),
            annotations: vec![],
        }
    }

    #[test]
    fn check_runs_are_written_only_when_they_change() {
        let Some(Write::CreateCheck(created)) = check(&spec(), &[], &BotApp::Every) else {
            panic!()
        };
        let run = CheckRun {
            id: 5,
            name: created.name.clone(),
            head_sha: "abc".into(),
            conclusion: Some(Conclusion::Success),
            title: created.title.clone(),
            summary: created.summary.clone(),
            app: None,
        };
        assert_eq!(
            check(&spec(), std::slice::from_ref(&run), &BotApp::Every),
            None
        );
        let failing = CheckRunSpec {
            conclusion: Conclusion::Failure,
            ..spec()
        };
        assert!(matches!(
            check(&failing, &[run], &BotApp::Every),
            Some(Write::UpdateCheck { id: 5, .. })
        ));
    }

    fn desired() -> DesiredPull {
        DesiredPull {
            bot: BotBranch::pull(
                super::super::branch::PullKind::Provision,
                "a".parse().unwrap(),
            ),
            reason: String::new(),
            base_branch: "main".into(),
            base_sha: "base1".into(),
            title: "Provision experiment a".into(),
            body: "body".into(),
            files: vec![FileChange {
                path: "infra/experiments/a/main.bicep".into(),
                content: Some("x".into()),
            }],
        }
    }

    fn pr(number: u64, state: PrState, body: &str) -> PullRequest {
        PullRequest {
            number,
            title: "t".into(),
            body: body.into(),
            state,
            author: "bot".into(),
            head_branch: "adoptbot/provision/a".into(),
            head_sha: "h".into(),
            base_branch: "main".into(),
            base_sha: "b".into(),
            merge_sha: None,
            author_id: 0,
            requested_users: Vec::new(),
            requested_teams: Vec::new(),
        }
    }

    #[test]
    fn bot_pulls_are_keyed_by_branch_and_respect_closing_and_human_commits() {
        let d = desired();
        let PullPlan::Writes(w) = pull(&d, &[], &[], "bot") else {
            panic!()
        };
        assert!(matches!(
            &w[..],
            [Write::PushBranch { .. }, Write::CreatePull { .. }]
        ));
        let Write::CreatePull { body, .. } = &w[1] else {
            panic!()
        };

        assert_eq!(
            pull(&d, &[pr(3, PrState::Open, body)], &[], "bot"),
            PullPlan::UpToDate
        );
        assert_eq!(
            pull(&d, &[pr(3, PrState::Closed, body)], &[], "bot"),
            PullPlan::UpToDate,
            "closed unmerged stays closed"
        );

        let mut changed = d.clone();
        changed.files[0].content = Some("y".into());
        let PullPlan::Writes(w) = pull(&changed, &[pr(3, PrState::Closed, body)], &[], "bot")
        else {
            panic!()
        };
        assert!(
            matches!(
                &w[..],
                [
                    Write::PushBranch { .. },
                    Write::UpdatePull {
                        number: 3,
                        reopen: true,
                        ..
                    }
                ]
            ),
            "inputs changed: reopened"
        );

        let moved_base = DesiredPull {
            base_sha: "base2".into(),
            ..d.clone()
        };
        assert_eq!(
            pull(&moved_base, &[pr(3, PrState::Closed, body)], &[], "bot"),
            PullPlan::UpToDate,
            "a moving base alone changes nothing"
        );

        let human = Commit::plain("h2", "fix", "alice@contoso.com");
        assert_eq!(
            pull(
                &changed,
                &[pr(3, PrState::Open, body)],
                std::slice::from_ref(&human),
                "bot"
            ),
            PullPlan::HumanEdited { number: 3 }
        );
        // Asked to render over the person's commits: even an unchanged PR is pushed again.
        let PullPlan::Writes(w) =
            pull_over_edits(&d, &[pr(3, PrState::Open, body)], &[human], "bot")
        else {
            panic!("writes")
        };
        assert!(
            matches!(
                &w[..],
                [
                    Write::PushBranch { .. },
                    Write::UpdatePull {
                        number: 3,
                        reopen: false,
                        ..
                    }
                ]
            ),
            "{w:?}"
        );
        assert_eq!(
            pull_over_edits(&d, &[pr(3, PrState::Open, body)], &[], "bot"),
            PullPlan::UpToDate
        );
    }

    #[test]
    fn a_commit_is_the_bots_only_when_author_committer_and_signature_say_so() {
        let mut c = Commit::plain("s", "x\n\nAdoptbot-Fingerprint: abc", "bot@x");
        assert!(
            !is_bot_commit(&c, "adoptbot[bot]"),
            "a trailer decides nothing"
        );
        c.author_login = "adoptbot[bot]".into();
        c.committer_login = "adoptbot[bot]".into();
        assert!(!is_bot_commit(&c, "adoptbot[bot]"), "not verified");
        c.verified = true;
        assert!(is_bot_commit(&c, "AdoptBot[bot]"));
        c.committer_login = "mallory".into();
        assert!(!is_bot_commit(&c, "adoptbot[bot]"), "a person committed it");
    }

    #[test]
    fn the_stamp_is_the_newest_commit_or_review() {
        let mut a = Commit::plain("a", "m", "e");
        a.committed_at = Some("2026-01-01T00:00:10Z".into());
        let mut b = Commit::plain("b", "m", "e");
        b.committed_at = Some("2026-01-01T00:00:05Z".into());
        let review = crate::model::forge::Review {
            id: 1,
            user_login: "x".into(),
            user_id: 1,
            state: crate::model::forge::ReviewState::Approved,
            commit_id: "a".into(),
            submitted_at: Some("2026-01-01T00:01:00Z".into()),
        };
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        assert_eq!(
            observed_at(&[a.clone(), b.clone()], &[]),
            Some(t("2026-01-01T00:00:10Z"))
        );
        assert_eq!(
            observed_at(&[a, b], std::slice::from_ref(&review)),
            Some(t("2026-01-01T00:01:00Z"))
        );
        assert_eq!(observed_at(&[Commit::plain("c", "m", "e")], &[]), None);
    }

    #[test]
    fn an_impostor_check_is_ignored_and_named() {
        let mut other = CheckRun {
            id: 9,
            name: "adoptbot/experiment".into(),
            head_sha: "abc".into(),
            conclusion: Some(Conclusion::Success),
            title: "ok".into(),
            summary: "all good".into(),
            app: Some(crate::model::forge::App {
                id: 7,
                slug: "mallory-ci".into(),
            }),
        };
        let app = BotApp::Id(42);
        assert!(
            matches!(
                check(&spec(), std::slice::from_ref(&other), &app),
                Some(Write::CreateCheck(_))
            ),
            "the bot creates its own beside the impostor"
        );
        let named = impostors(
            "adoptbot/experiment",
            "abc",
            std::slice::from_ref(&other),
            &app,
        );
        let section = impostor_section(&named);
        assert!(section.contains("`mallory-ci` (id 7)"), "{section}");
        other.app = None;
        let named = impostors(
            "adoptbot/experiment",
            "abc",
            std::slice::from_ref(&other),
            &app,
        );
        assert!(impostor_section(&named).contains("does not name"));
        assert_eq!(with_impostors("body".into(), &[]), "body");
    }
}
