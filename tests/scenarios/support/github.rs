//! The simulator's world: a simulated `contoso/adoption` on loopback behind the real
//! octocrab adapter. Every action a person takes changes the simulator's state, and its
//! trigger is the webhook GitHub would send, built from a real payload (`webhooks`) and typed
//! by `events::parse`.

use super::sim::{GitHubSim, Options, Recorded};
use super::webhooks;
use super::world::{Calls, Files, World};
use adoptbot::forge::github::GitHub;
use adoptbot::forge::{Forge, Permission, ReviewState};
use adoptbot::model::Clock;
use adoptbot::model::audit::GateRecord;
use adoptbot::model::event::Event;
use adoptbot::runners::error::Error;
use adoptbot::runners::handlers::Memory;
use adoptbot::runners::handlers::memory::Stats;
use adoptbot::runners::outcome::Applied;
use adoptbot::runners::reconcile::{run, run_with};
use std::cell::RefCell;

pub struct Sim {
    pub sim: GitHubSim,
    pub gh: GitHub,
    day: RefCell<String>,
    calls: RefCell<Vec<Calls>>,
    /// The repository's memory when the world is a long-lived process ([`Sim::long_lived`]);
    /// `None`: every delivery starts empty, as the Action does.
    memory: RefCell<Option<Memory>>,
    /// Seconds added to the clock, to let the memory's team members expire.
    later: std::cell::Cell<i64>,
}

/// GitHub's word for a review state.
pub fn state_word(state: ReviewState) -> &'static str {
    match state {
        ReviewState::Approved => "APPROVED",
        ReviewState::ChangesRequested => "CHANGES_REQUESTED",
        ReviewState::Commented => "COMMENTED",
        ReviewState::Pending => "PENDING",
        ReviewState::Dismissed => panic!("a review is dismissed with `dismiss_review`"),
    }
}

impl Sim {
    /// A world on a simulator already started (with `GitHubSim::contoso_with` or the like).
    pub fn on(sim: GitHubSim) -> Sim {
        let gh = sim.adapter();
        Sim {
            sim,
            gh,
            day: RefCell::new(super::TODAY.into()),
            calls: Default::default(),
            memory: RefCell::new(None),
            later: Default::default(),
        }
    }

    /// The same world as a long-lived process: one memory kept across every delivery, as
    /// `adoptbot serve` keeps one per repository.
    pub fn long_lived(self) -> Sim {
        *self.memory.borrow_mut() = Some(Memory::long_lived());
        self
    }

    /// What the kept memory saved and spent so far.
    pub fn memory_stats(&self) -> Stats {
        self.memory
            .borrow()
            .as_ref()
            .map(Memory::stats)
            .unwrap_or_default()
    }

    /// Moves the clock `seconds` on within the day.
    pub fn wait(&self, seconds: i64) {
        self.later.set(self.later.get() + seconds);
    }

    /// Checks that the simulator saw nothing unexpected, and stops it.
    pub fn finish(self) {
        self.sim.finish();
    }

    pub fn clock(&self) -> Clock {
        let mut clock = Clock::at(super::date(&self.day.borrow()));
        clock.valid_at += self.later.get();
        clock
    }

    /// Handles `event` once, with the calls it cost.
    pub async fn try_run(
        &self,
        event: &Event,
    ) -> Result<(Applied, adoptbot::forge::CallCount), Error> {
        let before = self.gh.calls();
        // Taken out for the run and put back, so that no borrow is held across an await.
        let kept = self.memory.borrow_mut().take();
        let applied = match kept {
            Some(mut memory) => {
                let out = run_with(&self.gh, event, self.clock(), &mut memory).await;
                *self.memory.borrow_mut() = Some(memory);
                out?
            }
            None => run(&self.gh, event, self.clock()).await?,
        };
        let calls = super::since(before, self.gh.calls());
        eprintln!(
            "github calls: {} reads, {} writes: {:?}",
            calls.reads, calls.writes, applied.writes
        );
        Ok((applied, calls))
    }

    /// Handles `event`, then delivers it again: the replay must write nothing, neither in
    /// what the loop reports nor in what reached GitHub.
    pub async fn deliver(&self, event: &Event) -> Applied {
        let (applied, first) = self.try_run(event).await.unwrap_or_else(|e| panic!("{e}"));
        let before = self.sim.requests().len();
        let (replay, again) = self
            .try_run(event)
            .await
            .unwrap_or_else(|e| panic!("replay: {e}"));
        self.calls.borrow_mut().push((first, again));
        assert!(
            replay.writes.is_empty(),
            "a replay writes nothing: {replay:?}"
        );
        let written: Vec<Recorded> = self.sim.requests()[before..]
            .iter()
            .filter(|r| r.method != "GET")
            .cloned()
            .collect();
        assert!(
            written.is_empty(),
            "a replay sends no write to GitHub: {written:?}"
        );
        applied
    }

    /// The webhook `pull_request` `action` for #`n`, sent by its author.
    pub fn pull_event(&self, n: u64, action: &str) -> Event {
        self.sim.repo(|r| {
            let author = r.pulls[&n].author.clone();
            webhooks::pull_request(r, action, n, &author)
        })
    }

    /// The webhook `pull_request_review` `action` for the review `id`.
    pub fn review_event(&self, id: u64, action: &str) -> Event {
        self.sim.repo(|r| webhooks::review(r, action, id))
    }

    /// `who` writes `body` on `issue`; the webhook `issue_comment` it causes.
    pub fn say(&self, issue: u64, who: &str, body: &str) -> Event {
        self.sim.repo(|r| {
            let id = r.add_comment(issue, who, body);
            webhooks::comment(r, id)
        })
    }

    /// The webhook `push` of `main`, from `before` to its head.
    pub fn push_event(&self, before: &str) -> Event {
        self.sim
            .repo(|r| webhooks::push(r, "main", before, "akira-kimura"))
    }

    /// Ivan opens the request PR of `fraud-distill` ([`REQUEST`](super::REQUEST)); nothing
    /// is delivered.
    pub async fn open_pull_request_quietly(&self) -> u64 {
        self.commit(
            super::REQUEST_BRANCH,
            Some("main"),
            "ivan-novak",
            "Request fraud-distill",
            &[(super::REQUEST_FILE, Some(super::REQUEST))],
        );
        self.open_pull(
            "ivan-novak",
            super::REQUEST_BRANCH,
            "main",
            super::REQUEST_TITLE,
            "",
        )
    }
}

impl World for Sim {
    type F = GitHub;
    const NAME: &'static str = "github";

    async fn contoso() -> Self {
        let sim = GitHubSim::contoso_with(Options {
            owner: "contoso".into(),
            ..Options::default()
        })
        .await;
        sim.repo(|r| {
            for (_, login) in super::gates::HOLDERS {
                r.add_user(login);
            }
            for login in [
                super::gates::AUTHOR,
                "rahul-mehta",
                "ivan-novak",
                "akira-kimura",
            ] {
                r.add_user(login);
            }
            for (slug, members) in super::gates::TEAMS {
                r.set_team("contoso", slug, members);
            }
            // The App's bot user is an account with an id, as on GitHub.
            let bot = r.user_id("adoptbot[bot]");
            r.accounts.insert("adoptbot[bot]".into(), bot);
        });
        Sim::on(sim)
    }

    fn forge(&self) -> &GitHub {
        &self.gh
    }

    fn set_day(&self, day: &str) {
        *self.day.borrow_mut() = day.into();
    }

    fn set_permission(&self, login: &str, permission: Permission) {
        let role = match permission {
            Permission::None => return,
            Permission::Read => "read",
            Permission::Triage => "triage",
            Permission::Write => "write",
            Permission::Maintain => "maintain",
            Permission::Admin => "admin",
        };
        self.sim.repo(|r| r.set_role(login, role));
    }

    fn set_team(&self, org: &str, slug: &str, members: &[&str]) {
        self.sim.repo(|r| {
            r.set_team(org, slug, members);
        });
    }

    fn commit(
        &self,
        branch: &str,
        from: Option<&str>,
        who: &str,
        message: &str,
        files: &Files<'_>,
    ) -> String {
        self.sim.repo(|r| {
            if !r.branches.contains_key(branch) {
                let base = r.head(from.expect("a new branch starts from another"));
                r.branches.insert(branch.into(), base);
            }
            r.commit(branch, message, &format!("{who}@contoso.com"), files)
        })
    }

    fn open_pull(&self, who: &str, branch: &str, base: &str, title: &str, body: &str) -> u64 {
        self.sim
            .repo(|r| r.open_pull(branch, base, title, body, who))
    }

    fn add_review(&self, n: u64, who: &str, state: ReviewState) -> u64 {
        self.sim.repo(|r| {
            let head = r.pull_head(&r.pulls[&n]);
            r.add_review(n, who, state_word(state), &head)
        })
    }

    fn dismiss_review(&self, n: u64, id: u64) {
        self.sim.repo(|r| r.dismiss_review(n, id));
    }

    fn merge_pull(&self, n: u64, _by: &str) {
        self.sim.repo(|r| r.merge_pull(n));
    }

    fn review_id(&self, n: u64, who: &str) -> u64 {
        self.sim.repo(|r| {
            let id = r.user_id(who);
            r.reviews
                .iter()
                .rev()
                .find(|x| x.pull == n && x.user_id == id)
                .map(|x| x.id)
                .unwrap_or_else(|| panic!("@{who} never reviewed #{n}"))
        })
    }

    async fn deliver_pull(&self, n: u64, action: &str) -> Applied {
        self.deliver(&self.pull_event(n, action)).await
    }

    async fn deliver_review(&self, _n: u64, id: u64, action: &str) -> Applied {
        self.deliver(&self.review_event(id, action)).await
    }

    async fn comment(&self, issue: u64, who: &str, body: &str) -> Applied {
        let event = self.say(issue, who, body);
        self.deliver(&event).await
    }

    async fn deliver_main(&self) -> Applied {
        let before = self.sim.repo(|r| {
            let head = r.head("main");
            r.commits[&head].parents.first().cloned().unwrap_or(head)
        });
        self.deliver(&self.push_event(&before)).await
    }

    fn annotations(&self, name: &str) -> Vec<(String, u32)> {
        self.sim.repo(|r| {
            let run = r
                .check_runs
                .iter()
                .rev()
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("no check {name}"));
            run.annotations
                .iter()
                .map(|a| {
                    (
                        a["path"].as_str().unwrap_or_default().to_string(),
                        a["start_line"].as_u64().unwrap_or_default() as u32,
                    )
                })
                .collect()
        })
    }

    fn labels(&self, n: u64) -> Vec<String> {
        self.sim
            .repo(|r| r.labels.get(&n).cloned().unwrap_or_default())
            .into_iter()
            .collect()
    }

    fn set_custom_role(&self, login: &str, name: &str, base: Permission) {
        let base = match base {
            Permission::Write => "write",
            Permission::Maintain => "maintain",
            Permission::Admin => "admin",
            Permission::Triage => "triage",
            _ => "read",
        };
        self.sim.repo(|r| r.set_custom_role(login, name, base));
    }

    fn close_pull(&self, n: u64) {
        self.sim.repo(|r| r.close_pull(n));
    }

    fn calls(&self) -> Vec<Calls> {
        self.calls.borrow().clone()
    }

    fn audit_records(&self) -> Vec<GateRecord> {
        self.sim.repo(|r| {
            let Some(head) = r.resolve("adoptbot/audit") else {
                return Vec::new();
            };
            let tree = r.tree_of(&head).expect("the audit branch's tree");
            tree.iter()
                .filter(|(p, _)| p.starts_with("audit/gates/"))
                .map(|(p, f)| {
                    serde_json::from_slice(&f.content).unwrap_or_else(|e| panic!("{p}: {e}"))
                })
                .collect()
        })
    }
}
