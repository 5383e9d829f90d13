//! A world a scenario runs in: a forge, the people who act on it, and the delivery of the
//! trigger each of their actions causes. Scenarios are written once, generic over
//! [`World`], and instantiated for both worlds with [`both_worlds!`](crate::both_worlds):
//!
//! - [`Local`](super::local::Local): the local forge on git2; an action maps to the target
//!   the loop would get (`Target::Pull`, `Target::Command`, `Target::DefaultBranch`), as the
//!   demo does;
//! - [`Sim`](super::github::Sim): the GitHub simulator behind the real octocrab adapter; an
//!   action is delivered as webhook JSON built from a real payload and typed by
//!   `events::parse`.
//!
//! Every delivery is handled twice: the replay must write nothing (in what the loop reports
//! and, on the simulator, in what reached GitHub).
#![allow(async_fn_in_trait)]

use adoptbot::forge::{CallCount, CheckRun, Comment, Conclusion, Forge, Permission, ReviewState};
use adoptbot::model::audit::GateRecord;
use adoptbot::runners::outcome::Applied;

/// People and what they may do in the repository, for the slash commands.
pub const COMMAND_ROLES: [(&str, Permission); 5] = [
    ("grace-mensah", Permission::Write),
    ("rahul-mehta", Permission::Maintain),
    ("akira-kimura", Permission::Admin),
    ("tina-triage", Permission::Triage),
    ("mallory", Permission::Read),
];

/// A commit's changes: a path and its new text, `None` to delete it.
pub type Files<'a> = [(&'a str, Option<&'a str>)];

/// The calls of one delivery and of its replay.
pub type Calls = (CallCount, CallCount);

pub trait World: Sized {
    type F: Forge;
    /// `local` or `github`, for messages.
    const NAME: &'static str;

    /// The contoso example on `main`, every role holder and team lead a collaborator, and
    /// the teams that hold roles (`security-architecture`, `compliance`).
    async fn contoso() -> Self;
    fn forge(&self) -> &Self::F;
    /// The day the next deliveries happen on.
    fn set_day(&self, day: &str);

    /// `login` gets `permission` on the repository.
    fn set_permission(&self, login: &str, permission: Permission);
    /// The team `org/slug` now has exactly `members`.
    fn set_team(&self, org: &str, slug: &str, members: &[&str]);

    /// `who` commits `files` (`None` deletes) on `branch`, created from `from` if given.
    fn commit(
        &self,
        branch: &str,
        from: Option<&str>,
        who: &str,
        message: &str,
        files: &Files<'_>,
    ) -> String;
    /// `who` opens a pull request from `branch` into `base`; nothing is delivered yet.
    fn open_pull(&self, who: &str, branch: &str, base: &str, title: &str, body: &str) -> u64;
    /// `who` reviews the head of #`n`; returns the review's id. Nothing is delivered.
    fn add_review(&self, n: u64, who: &str, state: ReviewState) -> u64;
    /// The review `id` of #`n` is dismissed. Nothing is delivered.
    fn dismiss_review(&self, n: u64, id: u64);
    /// #`n` is merged by `by`. Nothing is delivered.
    fn merge_pull(&self, n: u64, by: &str);
    /// The latest review of `who` on #`n`.
    fn review_id(&self, n: u64, who: &str) -> u64;

    /// The trigger of a pull request's `action` (`opened`, `synchronize`, `closed`...).
    async fn deliver_pull(&self, n: u64, action: &str) -> Applied;
    /// The trigger of review `id` (`submitted` or `dismissed`).
    async fn deliver_review(&self, n: u64, id: u64, action: &str) -> Applied;
    /// `who` comments `body` on `issue`, and the trigger is delivered.
    async fn comment(&self, issue: u64, who: &str, body: &str) -> Applied;
    /// A push to `main` (or a scheduled run): the default branch is reconciled.
    async fn deliver_main(&self) -> Applied;

    /// The calls of every delivery so far.
    fn calls(&self) -> Vec<Calls>;
    /// The gate records on `adoptbot/audit`.
    fn audit_records(&self) -> Vec<GateRecord>;
    /// The repository's work tree, where the world has one (the local forge's).
    fn work_tree(&self) -> Option<&std::path::Path> {
        None
    }

    // What people do, each followed by its trigger.

    /// `who` opens #`n` from `branch` (created from `base`) with `files`; `opened` is delivered.
    async fn open(
        &self,
        who: &str,
        branch: &str,
        base: &str,
        title: &str,
        body: &str,
        files: &Files<'_>,
    ) -> u64 {
        self.open_applied(who, branch, base, title, body, files)
            .await
            .0
    }

    /// [`World::open`], with what the `opened` delivery wrote.
    async fn open_applied(
        &self,
        who: &str,
        branch: &str,
        base: &str,
        title: &str,
        body: &str,
        files: &Files<'_>,
    ) -> (u64, Applied) {
        self.commit(branch, Some(base), who, title, files);
        let n = self.open_pull(who, branch, base, title, body);
        (n, self.deliver_pull(n, "opened").await)
    }

    /// Ivan opens the request PR of experiment `id` with `text`; `opened` is delivered.
    async fn open_request(&self, id: &str, text: &str) -> (u64, Applied) {
        let path = format!("experiments/{id}.yaml");
        self.open_applied(
            "ivan-novak",
            &format!("request/{id}"),
            "main",
            "Experiment",
            "",
            &[(path.as_str(), Some(text))],
        )
        .await
    }

    /// The calls of the last delivery and of its replay.
    fn last_calls(&self) -> Calls {
        *self.calls().last().expect("a delivery")
    }

    /// The annotations of the latest check `name`, as (path, start line).
    fn annotations(&self, name: &str) -> Vec<(String, u32)>;

    /// #`n` is closed unmerged. Nothing is delivered.
    fn close_pull(&self, n: u64);

    /// The labels of #`n`.
    fn labels(&self, n: u64) -> Vec<String>;

    /// People with every kind of access, for the slash commands: write, maintain, admin,
    /// triage, read, and a custom role whose base is write.
    fn grant_command_roles(&self) {
        for (login, permission) in COMMAND_ROLES {
            self.set_permission(login, permission);
        }
        self.set_custom_role("sam-reviewer", "ai-reviewer", Permission::Write);
    }

    /// `login` gets the custom role `name`, whose base is `base`.
    fn set_custom_role(&self, login: &str, name: &str, base: Permission);

    /// The bodies of the bot's comments on `issue`, oldest first.
    async fn bot_comments(&self, issue: u64) -> Vec<String> {
        let bot = self.forge().bot_login().to_string();
        self.comments(issue)
            .await
            .into_iter()
            .filter(|c| c.author == bot)
            .map(|c| c.body)
            .collect()
    }

    /// The bot's pull request on `branch`.
    async fn bot_pull(&self, branch: &str) -> adoptbot::forge::PullRequest {
        self.forge()
            .pulls_by_branch_prefix(branch)
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.head_branch == branch)
            .unwrap_or_else(|| panic!("no pull request on {branch}"))
    }

    /// The text of `path` at the head of `main`.
    async fn main_file(&self, path: &str) -> String {
        let (_, main) = self.forge().default_branch().await.unwrap();
        let snap = self.forge().snapshot(&main).await.unwrap();
        String::from_utf8(snap.contents[path].clone()).unwrap()
    }

    /// `who` pushes `files` to the head branch of #`n`; `synchronize` is delivered.
    async fn push(&self, n: u64, who: &str, files: &Files<'_>) -> Applied {
        let branch = self.pull(n).await.head_branch;
        self.commit(&branch, None, who, "Another change", files);
        self.deliver_pull(n, "synchronize").await
    }

    /// `who` reviews the head of #`n`; the review is delivered.
    async fn review(&self, n: u64, who: &str, state: ReviewState) -> Applied {
        let id = self.add_review(n, who, state);
        self.deliver_review(n, id, "submitted").await
    }

    /// The latest review of `who` on #`n` is dismissed; the dismissal is delivered.
    async fn dismiss(&self, n: u64, who: &str) -> Applied {
        let id = self.review_id(n, who);
        self.dismiss_review(n, id);
        self.deliver_review(n, id, "dismissed").await
    }

    /// `by` merges #`n`; `closed` is delivered.
    async fn merge(&self, n: u64, by: &str) -> Applied {
        self.merge_pull(n, by);
        self.deliver_pull(n, "closed").await
    }

    // What the bot left, read through the forge.

    async fn pull(&self, n: u64) -> adoptbot::forge::PullRequest {
        self.forge()
            .pull(n)
            .await
            .unwrap_or_else(|e| panic!("#{n}: {e}"))
    }

    async fn comments(&self, n: u64) -> Vec<Comment> {
        self.forge()
            .comments(n)
            .await
            .unwrap_or_else(|e| panic!("comments of #{n}: {e}"))
    }

    /// The bot's comment of #`n` whose marker key starts with `key` (one at most).
    async fn bot_comment(&self, n: u64, key: &str) -> String {
        let marker = format!("<!-- adoptbot:{key}");
        let bodies: Vec<String> = self
            .comments(n)
            .await
            .into_iter()
            .filter(|c| c.body.contains(&marker))
            .map(|c| c.body)
            .collect();
        assert_eq!(bodies.len(), 1, "one comment {key} on #{n}: {bodies:?}");
        bodies.into_iter().next().unwrap()
    }

    /// The check `name` on the head of #`n`; one per name and head.
    async fn check(&self, n: u64, name: &str) -> CheckRun {
        let head = self.pull(n).await.head_sha;
        let runs: Vec<CheckRun> = self
            .forge()
            .check_runs(&head)
            .await
            .unwrap_or_else(|e| panic!("checks of #{n}: {e}"))
            .into_iter()
            .filter(|c| c.name == name)
            .collect();
        assert!(runs.len() <= 1, "one check per name and head: {runs:?}");
        runs.into_iter()
            .next()
            .unwrap_or_else(|| panic!("no check {name} on the head of #{n}"))
    }

    /// The gate check `adoptbot/gate (<base>)` of #`n`: conclusion and title.
    async fn gate_check(&self, n: u64, base: &str) -> (Option<Conclusion>, String) {
        let c = self.check(n, &format!("adoptbot/gate ({base})")).await;
        (c.conclusion, c.title)
    }

    async fn requested(&self, n: u64) -> (Vec<String>, Vec<String>) {
        self.forge()
            .requested_reviewers(n)
            .await
            .unwrap_or_else(|e| panic!("reviewers of #{n}: {e}"))
    }
}

/// Instantiates a generic scenario `fn name<W: World>()` for both worlds, as
/// `name::local` and `name::github`.
#[macro_export]
macro_rules! both_worlds {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn local() {
                super::$name::<$crate::support::local::Local>().await;
            }
            #[tokio::test]
            async fn github() {
                super::$name::<$crate::support::github::Sim>().await;
            }
        }
    )*};
}
