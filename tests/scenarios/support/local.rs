//! The local world: the contoso sample in a scratch git repository behind the local forge.
//! A person's action maps to the target the loop would get, as the demo does: a pull
//! request's event or a review to `Target::Pull`, a comment to `Target::Command`, a push to
//! `main` to the default branch.

use super::world::{Calls, Files, World};
use adoptbot::forge::local::LocalForge;
use adoptbot::forge::{FileChange, Forge, Permission, ReviewState};
use adoptbot::model::Clock;
use adoptbot::model::audit::GateRecord;
use adoptbot::model::event::{CommentInfo, User};
use adoptbot::plan::targets::Target;
use adoptbot::runners::handlers::Ctx;
use adoptbot::runners::outcome::Applied;
use adoptbot::runners::reconcile::run_targets;
use std::cell::RefCell;

pub const BOT: &str = "adoptbot[bot]";

pub struct Local {
    pub tmp: tempfile::TempDir,
    pub forge: LocalForge,
    day: RefCell<String>,
    calls: RefCell<Vec<Calls>>,
}

/// The contoso sample in a scratch repository, without the teams.
pub fn scratch() -> (tempfile::TempDir, LocalForge) {
    let tmp = tempfile::tempdir().unwrap();
    adoptbot::runners::demo::scratch_repository(tmp.path()).unwrap();
    let forge = LocalForge::open(tmp.path(), BOT).unwrap();
    (tmp, forge)
}

fn file_changes(files: &Files<'_>) -> Vec<FileChange> {
    files
        .iter()
        .map(|(p, c)| FileChange {
            path: p.to_string(),
            content: c.map(str::to_owned),
        })
        .collect()
}

impl Local {
    pub fn path(&self) -> &std::path::Path {
        self.tmp.path()
    }

    pub fn clock(&self) -> Clock {
        Clock::at(super::date(&self.day.borrow()))
    }

    /// Runs `targets`, then again: the replay writes nothing.
    pub async fn run(&self, targets: &[Target]) -> Applied {
        let clock = self.clock();
        self.forge.set_clock(clock);
        let once = || async {
            let before = self.forge.calls();
            let mut ctx = Ctx::new(&self.forge, clock);
            run_targets(&mut ctx, targets)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", targets[0].describe()));
            (ctx.applied, super::since(before, self.forge.calls()))
        };
        let (applied, first) = once().await;
        let (replay, again) = once().await;
        eprintln!(
            "local calls: {}r/{}w then {}r/{}w: {:?}",
            first.reads, first.writes, again.reads, again.writes, applied.writes
        );
        assert!(
            replay.writes.is_empty(),
            "a replay writes nothing: {replay:?}"
        );
        self.calls.borrow_mut().push((first, again));
        applied
    }
}

impl World for Local {
    type F = LocalForge;
    const NAME: &'static str = "local";

    async fn contoso() -> Self {
        let (tmp, forge) = scratch();
        for (slug, members) in super::gates::TEAMS {
            forge.set_team("contoso", slug, members).unwrap();
        }
        Local {
            tmp,
            forge,
            day: RefCell::new(super::TODAY.into()),
            calls: Default::default(),
        }
    }

    fn forge(&self) -> &LocalForge {
        &self.forge
    }

    fn set_day(&self, day: &str) {
        *self.day.borrow_mut() = day.into();
    }

    fn set_permission(&self, login: &str, permission: Permission) {
        self.forge.set_permission(login, permission).unwrap();
    }

    fn set_team(&self, org: &str, slug: &str, members: &[&str]) {
        self.forge.set_team(org, slug, members).unwrap();
    }

    fn commit(
        &self,
        branch: &str,
        from: Option<&str>,
        who: &str,
        message: &str,
        files: &Files<'_>,
    ) -> String {
        self.forge
            .commit_as(
                branch,
                from,
                who,
                &format!("{who}@contoso.com"),
                message,
                &file_changes(files),
            )
            .unwrap()
    }

    fn open_pull(&self, who: &str, branch: &str, base: &str, title: &str, body: &str) -> u64 {
        self.forge
            .open_pull_as(who, branch, base, title, body)
            .unwrap()
            .number
    }

    fn add_review(&self, n: u64, who: &str, state: ReviewState) -> u64 {
        self.forge.set_clock(self.clock());
        let sha = head_of(&self.forge, n);
        self.forge.review_as(who, n, state, &sha).unwrap().id
    }

    fn dismiss_review(&self, n: u64, id: u64) {
        self.forge.dismiss_review(n, id).unwrap();
    }

    fn merge_pull(&self, n: u64, by: &str) {
        self.forge.merge_pull(n, by).unwrap();
    }

    fn review_id(&self, n: u64, who: &str) -> u64 {
        let id = self.forge.user_id(who).unwrap();
        let state = self.forge.state().unwrap();
        state
            .reviews
            .iter()
            .rev()
            .find(|r| r.number == n && r.review.user_id == id)
            .map(|r| r.review.id)
            .unwrap_or_else(|| panic!("@{who} never reviewed #{n}"))
    }

    async fn deliver_pull(&self, n: u64, _action: &str) -> Applied {
        // What a webhook about the pull request carries: the pull request as it is now.
        let seen = self.forge.pull(n).await.unwrap();
        self.run(&[Target::Pull {
            number: n,
            seen: Some(seen),
        }])
        .await
    }

    async fn deliver_review(&self, n: u64, _id: u64, _action: &str) -> Applied {
        self.run(&[Target::Pull {
            number: n,
            seen: None,
        }])
        .await
    }

    async fn comment(&self, issue: u64, who: &str, body: &str) -> Applied {
        let c = self.forge.comment_as(who, issue, body).unwrap();
        if who.eq_ignore_ascii_case(BOT) {
            // The trigger of the bot's own comment names no target.
            return Applied::default();
        }
        let on_pull = self
            .forge
            .pulls()
            .unwrap()
            .iter()
            .any(|p| p.pull.number == issue);
        let user = User {
            login: who.into(),
            id: self.forge.user_id(who).unwrap(),
        };
        self.run(&[Target::Command {
            issue,
            on_pull,
            comment: CommentInfo {
                id: c.id,
                user,
                body: body.into(),
            },
        }])
        .await
    }

    async fn deliver_main(&self) -> Applied {
        self.run(&[Target::default_branch()]).await
    }

    fn work_tree(&self) -> Option<&std::path::Path> {
        Some(self.path())
    }

    fn annotations(&self, name: &str) -> Vec<(String, u32)> {
        let run = self
            .forge
            .check_runs_all()
            .unwrap()
            .into_iter()
            .rev()
            .find(|c| c.run.name == name)
            .unwrap_or_else(|| panic!("no check {name}"));
        run.annotations
            .iter()
            .map(|a| (a.path.clone(), a.start_line))
            .collect()
    }

    fn labels(&self, n: u64) -> Vec<String> {
        let pulls = self.forge.pulls().unwrap();
        let pull = pulls.iter().find(|p| p.pull.number == n).unwrap();
        pull.labels.iter().cloned().collect()
    }

    fn set_custom_role(&self, login: &str, _name: &str, base: Permission) {
        // The local forge knows no custom roles: only what they allow.
        self.forge.set_permission(login, base).unwrap();
    }

    fn close_pull(&self, n: u64) {
        self.forge.close_pull(n).unwrap();
    }

    fn calls(&self) -> Vec<Calls> {
        self.calls.borrow().clone()
    }

    fn audit_records(&self) -> Vec<GateRecord> {
        let history = adoptbot::load::history::read(self.path(), "main").unwrap();
        assert!(history.problems.is_empty(), "{:?}", history.problems);
        history.records
    }
}

/// The head of #`n` as the records have it (a person's view: not an API call).
fn head_of(forge: &LocalForge, n: u64) -> String {
    let pull = forge
        .pulls()
        .unwrap()
        .into_iter()
        .find(|p| p.pull.number == n)
        .unwrap_or_else(|| panic!("no pull request #{n}"));
    pull.pull.head_sha
}
