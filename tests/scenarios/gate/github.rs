//! Gate attacks and edge cases that need GitHub's own behaviour (a review GitHub would
//! refuse, a pull request retargeted with PATCH, the API calls per event), on the simulator:
//! every trigger is a webhook delivery built from a real payload and typed by
//! `events::parse`, delivered twice; the second delivery must write nothing.

use crate::support::gates::{self, AUTHOR, GateFixture};
use crate::support::github::Sim;
use crate::support::sim as github_sim;
use crate::support::world::World;
use crate::support::{self as common, changes};
use adoptbot::forge::{CallCount, Forge, PullRequest};
use adoptbot::model::event::Event;
use adoptbot::runners::outcome::Applied;

/// The simulator's world with the helpers of these scenarios.
struct Gh {
    w: Sim,
}

impl Gh {
    async fn start() -> Gh {
        let w = <Sim as World>::contoso().await;
        Gh { w }
    }

    /// Gate 4-5's request opened as [`AUTHOR`] from `gate/4-5`.
    async fn gate_4_5() -> (Gh, GateFixture, u64) {
        let fx = gates::gate("4-5");
        let gh = Gh::start().await;
        let n = gh.open_gate(&fx, "gate/4-5").await;
        (gh, fx, n)
    }

    /// A `release` branch from `main`, with `files` committed on it.
    fn release(&self, message: &str, files: &[(&str, Option<&str>)]) {
        self.w.sim.repo(|r| {
            let main = r.head("main");
            r.branches.insert("release".into(), main);
            r.commit("release", message, "platform@contoso.com", files)
        });
    }

    /// Delivers `event` twice (see [`Sim::deliver`]).
    async fn on(&self, event: &Event) -> Applied {
        self.w.deliver(event).await
    }

    fn calls(&self) -> Vec<(CallCount, CallCount)> {
        self.w.calls()
    }

    async fn pull(&self, n: u64) -> PullRequest {
        self.w.gh.pull(n).await.unwrap()
    }

    async fn pr_event(&self, action: &str, n: u64) -> Event {
        self.w.pull_event(n, action)
    }

    /// Commits `base` on `main` (the gate's "from" phase), then opens the gate request from
    /// `branch` with `head`, as `author`, and handles `opened`.
    async fn open(
        &self,
        branch: &str,
        base_branch: &str,
        head: &[(String, String)],
        author: &str,
    ) -> u64 {
        let n = self.w.sim.repo(|r| {
            let base = r.head(base_branch);
            r.branches.insert(branch.into(), base);
            r.commit(
                branch,
                "Move the adoption to the next phase",
                &format!("{author}@contoso.com"),
                &changes(head),
            );
            r.open_pull(branch, base_branch, "Gate request", "", author)
        });
        self.on(&self.pr_event("opened", n).await).await;
        n
    }

    /// Puts `main` in the gate's "from" phase and opens its request as [`AUTHOR`].
    async fn open_gate(&self, fx: &GateFixture, branch: &str) -> u64 {
        if !fx.base.is_empty() {
            self.w.sim.repo(|r| {
                r.commit(
                    "main",
                    &format!("Contoso is in phase {}", fx.from),
                    "platform@contoso.com",
                    &changes(&fx.base),
                )
            });
        }
        self.open(branch, "main", &fx.head, AUTHOR).await
    }

    /// `who` reviews the current head of #`n`; the event is handled (twice).
    async fn review(&self, n: u64, who: &str, state: &str) -> Applied {
        let head = self.pull(n).await.head_sha;
        let id = self.w.sim.repo(|r| r.add_review(n, who, state, &head));
        self.review_event(n, id, "submitted").await
    }

    async fn review_event(&self, _n: u64, id: u64, action: &str) -> Applied {
        self.on(&self.w.review_event(id, action)).await
    }

    /// Someone pushes `files` to the head branch of #`n`; `synchronize` is handled.
    async fn push(&self, n: u64, files: &[(String, String)]) {
        let branch = self.w.sim.repo(|r| r.pulls[&n].head_ref.clone());
        self.w.sim.repo(|r| {
            r.commit(
                &branch,
                "Another change",
                "elena-rossi@contoso.com",
                &changes(files),
            )
        });
        self.on(&self.pr_event("synchronize", n).await).await;
    }

    /// The check `adoptbot/gate (<base>)` on the current head of #`n`: conclusion and title.
    fn check(&self, n: u64, base: &str) -> (String, String) {
        let name = format!("adoptbot/gate ({base})");
        self.w
            .sim
            .repo(|r| {
                let head = r.pull_head(&r.pulls[&n]);
                let runs: Vec<_> = r
                    .check_runs
                    .iter()
                    .filter(|c| c.name == name && c.head_sha == head)
                    .collect();
                assert!(runs.len() <= 1, "one check per name and head: {runs:?}");
                runs.first().map(|c| {
                    (
                        c.conclusion.clone().unwrap_or_default(),
                        c.title.clone().unwrap_or_default(),
                    )
                })
            })
            .unwrap_or_else(|| panic!("no check {name} on the head of #{n}"))
    }

    /// The gate comment of #`n` for the base `base`; one per base.
    fn comment(&self, n: u64, base: &str) -> String {
        let key = format!("<!-- adoptbot:gate/{base} ");
        let bodies: Vec<String> = self.w.sim.repo(|r| {
            r.comments
                .iter()
                .filter(|c| c.issue == n && c.body.contains(&key))
                .map(|c| c.body.clone())
                .collect()
        });
        assert_eq!(bodies.len(), 1, "one gate comment per base: {bodies:?}");
        bodies.into_iter().next().unwrap()
    }

    fn requested(&self, n: u64) -> (Vec<String>, Vec<String>) {
        self.w.sim.repo(|r| {
            (
                r.pulls[&n].requested_reviewers.clone(),
                r.pulls[&n].requested_teams.clone(),
            )
        })
    }

    /// Every role of `roles` approves the head, one after the other.
    async fn approve_all(&self, n: u64, roles: &[&str]) {
        for role in roles {
            self.review(n, gates::holder(role), "APPROVED").await;
        }
    }
}

fn waiting_for(roles: &[&str]) -> String {
    format!("waiting for {}", roles.join(", "))
}

const PASSED: &str = "every deliverable holds and every role approved";

/// The audit record of pull request `n` on the `adoptbot/audit` branch.
fn audit_record(gh: &Gh, n: u64) -> adoptbot::model::audit::GateRecord {
    gh.w.sim.repo(|r| {
        let head = r.head("adoptbot/audit");
        let tree = r.tree_of(&head).expect("the audit branch");
        let (_, file) = tree
            .iter()
            .find(|(p, _)| p.starts_with("audit/gates/") && p.contains(&format!("-pr{n}-")))
            .expect("the record");
        serde_json::from_slice(&file.content).expect("a record")
    })
}

#[tokio::test]
async fn the_author_cannot_approve_their_own_gate_request() {
    // The platform team lead, the only holder of gate 3-4's role, asks for it.
    let fx = gates::gate("3-4");
    let gh = Gh::start().await;
    gh.w.sim.repo(|r| {
        r.commit(
            "main",
            "Contoso is in phase 3",
            "platform@contoso.com",
            &changes(&fx.base),
        )
    });
    let n = gh.open("gate/3-4", "main", &fx.head, "akira-kimura").await;
    let (users, _) = gh.requested(n);
    assert!(
        !users.contains(&"akira-kimura".to_string()),
        "the author is not asked: {users:?}"
    );
    // GitHub refuses an author's approval; should one reach the review list all the same
    // (an older GitHub Enterprise Server, an API that lets it through), it must not count.
    let head = gh.pull(n).await.head_sha;
    let id = gh.w.sim.repo(|r| {
        let id = r.next_id();
        let user_id = r.user_id("akira-kimura");
        let submitted_at = Some(r.now());
        r.reviews.push(github_sim::model::Review {
            id,
            pull: n,
            user_id,
            state: "APPROVED".into(),
            commit_id: Some(head.clone()),
            body: "lgtm".into(),
            submitted_at,
        });
        id
    });
    gh.review_event(n, id, "submitted").await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(&["platform-team-lead"]))
    );
    assert!(
        gh.comment(n, "main").contains(
            "| ❌ | platform-team-lead | - | @akira-kimura opened this PR and cannot approve it; only @akira-kimura, who opened this PR, holds this role: another holder must approve"
        ),
        "{}",
        gh.comment(n, "main")
    );
    gh.w.finish();
}

#[tokio::test]
async fn an_approval_before_the_last_push_does_not_count() {
    let (gh, fx, n) = Gh::gate_4_5().await;
    gh.approve_all(n, fx.roles).await;
    assert_eq!(gh.check(n, "main").0, "success");
    let approved = gh.pull(n).await.head_sha;

    // A push after the approvals, however small: they were given to another commit.
    let readme = gates::read("README.md") + "\nPhase 5 starts in December.\n";
    gh.push(n, &[("README.md".into(), readme)]).await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(fx.roles))
    );
    let body = gh.comment(n, "main");
    assert!(
        body.contains(&format!(
            "@maria-hernandez approved an earlier commit ({}); approve the current head",
            &approved[..7]
        )),
        "{body}"
    );
    // The roles are asked again.
    let (users, _) = gh.requested(n);
    assert!(users.contains(&"maria-hernandez".to_string()), "{users:?}");
    gh.w.finish();
}

#[tokio::test]
async fn an_approval_from_a_non_member_of_the_role_does_not_count() {
    let (gh, _, n) = Gh::gate_4_5().await;
    gh.review(n, "mallory", "APPROVED").await;
    // The business sponsor approves too, but holds no security role.
    gh.approve_all(n, &["infrastructure-lead", "business-sponsor"])
        .await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(&["security-lead"]))
    );
    let body = gh.comment(n, "main");
    assert!(body.contains("| ❌ | security-lead | - |"), "{body}");
    assert!(body.contains("Not counted (no role): @mallory."), "{body}");
    gh.w.finish();
}

#[tokio::test]
async fn an_approval_followed_by_a_change_request_counts_against_the_role() {
    let (gh, fx, n) = Gh::gate_4_5().await;
    gh.approve_all(n, fx.roles).await;
    gh.review(n, "lena-fischer", "APPROVED").await;
    assert_eq!(gh.check(n, "main").0, "success");
    // Another member of the security lead role asks for changes: the role's approval by
    // priya-raman no longer carries it.
    gh.review(n, "lena-fischer", "CHANGES_REQUESTED").await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(&["security-lead"]))
    );
    let body = gh.comment(n, "main");
    assert!(
        body.contains("| ❌ | security-lead | @priya-raman | @lena-fischer requested changes |"),
        "{body}"
    );
    gh.w.finish();
}

#[tokio::test]
async fn a_dismissed_approval_counts_against_the_role() {
    let (gh, fx, n) = Gh::gate_4_5().await;
    gh.approve_all(n, fx.roles).await;
    assert_eq!(gh.check(n, "main").0, "success");
    let id = gh.w.review_id(n, "sofia-lindqvist");
    gh.w.sim.repo(|r| r.dismiss_review(n, id));
    gh.review_event(n, id, "dismissed").await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(&["business-sponsor"]))
    );
    assert!(
        gh.comment(n, "main")
            .contains("@sofia-lindqvist's review was dismissed")
    );
    gh.w.finish();
}

#[tokio::test]
async fn rules_or_roles_changed_in_the_same_pr_fail() {
    let fx = gates::gate("4-5");
    let gh = Gh::start().await;
    // A lower threshold for the gate, in the gate request itself.
    let mut head = fx.head.clone();
    head.push((
        "phases/overrides.yaml".into(),
        "gates:\n  \"4-5\":\n    validated-use-cases:\n      use-cases-validated: { min: 1 }\n"
            .into(),
    ));
    let n = gh.open("gate/lenient", "main", &head, AUTHOR).await;
    gh.approve_all(n, fx.roles).await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), "the PR also changes the rules".into())
    );
    let body = gh.comment(n, "main");
    assert!(
        body.contains("This PR also changes the rules it is judged by")
            && body.contains("- phases/overrides.yaml is added"),
        "{body}"
    );

    // The author makes themselves a security lead in the same PR.
    let mut head = fx.head.clone();
    head[0].1 = head[0].1.replace(
        "    users: [priya-raman]\n",
        &format!("    users: [priya-raman, {AUTHOR}]\n"),
    );
    let n = gh.open("gate/roles", "main", &head, AUTHOR).await;
    gh.approve_all(n, fx.roles).await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), "the PR also changes the rules".into())
    );
    let body = gh.comment(n, "main");
    assert!(
        body.contains("- adoption.yaml: `roles` is changed"),
        "{body}"
    );

    // An admin merges it all the same: the audit trail records a gate that did not pass.
    gh.w.sim.repo(|r| r.merge_pull(n));
    gh.on(&gh.pr_event("closed", n).await).await;
    let record = audit_record(&gh, n);
    assert!(
        !record.passed
            && record.verdict == "the PR also changes the rules"
            && record
                .rule_changes
                .iter()
                .any(|c| c == "adoption.yaml: `roles` is changed"),
        "{record:?}"
    );
    gh.w.finish();
}

#[tokio::test]
async fn a_two_phase_jump_fails() {
    let fx = gates::gate("4-5");
    let gh = Gh::start().await;
    let mut head = fx.head.clone();
    head[0].1 = head[0].1.replace(
        "\nphase: scale-and-governance\n",
        "\nphase: continuous-adoption\n",
    );
    let n = gh.open("gate/jump", "main", &head, AUTHOR).await;
    gh.approve_all(
        n,
        &[
            "infrastructure-lead",
            "business-sponsor",
            "security-lead",
            "compliance",
        ],
    )
    .await;
    let (conclusion, title) = gh.check(n, "main");
    assert_eq!(conclusion, "failure");
    assert!(
        title.contains("moves 2 phases") && title.contains("gates are passed one at a time"),
        "{title}"
    );
    assert!(
        gh.comment(n, "main")
            .starts_with("### adoptbot: gate request does not pass yet")
    );
    gh.w.finish();
}

/// Retargets #`n` to `base` as a person would (PATCH the pull request), and handles the
/// `edited` event, which carries the new base and its head commit.
async fn retarget(gh: &Gh, n: u64, base: &str) {
    let o = gh.w.sim.options();
    let client = octocrab::Octocrab::builder()
        .base_uri(gh.w.sim.api_url())
        .unwrap()
        .personal_token(secrecy::SecretString::from(o.token))
        .build()
        .unwrap();
    let updated = client
        .pulls(&o.owner, &o.repo)
        .update(n)
        .base(base)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.base.ref_field, base);
    let event = gh.pr_event("edited", n).await;
    let Event::PullRequest { pull, .. } = &event else {
        unreachable!()
    };
    assert_eq!(
        (pull.base_branch.as_str(), pull.base_sha.as_str()),
        (base, gh.w.sim.repo(|r| r.head(base)).as_str())
    );
    gh.on(&event).await;
}

#[tokio::test]
async fn a_gate_request_retargeted_from_release_is_a_two_phase_jump_on_main() {
    // `release` is in phase 5; the request takes it to 6 with gate 5-6's deliverables.
    let fx = gates::gate("5-6");
    let gh = Gh::start().await;
    let release_phase = gates::gate("4-5").head[0].clone();
    gh.release("Release train in phase 5", &changes(&[release_phase]));
    let n = gh.open("gate/5-6", "release", &fx.head, AUTHOR).await;
    gh.approve_all(n, fx.roles).await;
    assert_eq!(
        gh.check(n, "release"),
        ("success".into(), PASSED.to_string())
    );

    retarget(&gh, n, "main").await;
    let (conclusion, title) = gh.check(n, "main");
    assert_eq!(conclusion, "failure");
    assert!(title.contains("moves 2 phases"), "{title}");
    // The passing check stays under release's name: the check main requires is a new one.
    assert_eq!(gh.check(n, "release").0, "success");
    // release's checklist says it no longer applies, in place.
    let old = gh.comment(n, "release");
    assert!(
        old.starts_with("### adoptbot: this checklist no longer applies")
            && old.contains("only the check `adoptbot/gate (main)` counts"),
        "{old}"
    );
    let body = gh.comment(n, "main");
    assert!(
        body.contains("Rules and roles are read from `main`")
            && body.contains("refused: the phase moves 2 phases"),
        "{body}"
    );
    gh.w.finish();
}

#[tokio::test]
async fn a_gate_request_retargeted_from_a_lenient_release_fails_on_main() {
    // `release` lowered gate 4-5's threshold to one validated use case; the request keeps
    // only one of them.
    let fx = gates::gate("4-5");
    let gh = Gh::start().await;
    gh.release(
        "One validated use case is enough for the release train",
        &[(
            "phases/overrides.yaml",
            Some("gates:\n  \"4-5\":\n    validated-use-cases:\n      use-cases-validated: { min: 1 }\n"),
        )],
    );
    let mut head = fx.head.clone();
    head.retain(|(p, _)| p == "adoption.yaml");
    let n = gh.open("gate/4-5", "release", &head, AUTHOR).await;
    gh.w.sim.repo(|r| {
        r.commit(
            "gate/4-5",
            "Drop the use case whose costs were not reviewed",
            "elena-rossi@contoso.com",
            &[("use-cases/search-semantic-ranking.yaml", None)],
        )
    });
    gh.on(&gh.pr_event("synchronize", n).await).await;
    gh.approve_all(n, fx.roles).await;
    assert_eq!(
        gh.check(n, "release"),
        ("success".into(), PASSED.to_string())
    );

    retarget(&gh, n, "main").await;
    // Against main, the release's override is part of the change, and main's own threshold
    // is not met.
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), "the PR also changes the rules".into())
    );
    let body = gh.comment(n, "main");
    assert!(
        body.contains("- phases/overrides.yaml is added")
            && body.contains("| ❌ | At least 2 validated use cases"),
        "{body}"
    );
    gh.w.finish();
}

#[tokio::test]
async fn deliverables_removed_after_approval_fail() {
    let (gh, fx, n) = Gh::gate_4_5().await;
    gh.approve_all(n, fx.roles).await;
    assert_eq!(gh.check(n, "main").0, "success");
    // The cost review is taken out again, and every role approves the new head.
    let path = "use-cases/search-semantic-ranking.yaml";
    gh.push(n, &[(path.into(), gates::read(path))]).await;
    gh.approve_all(n, fx.roles).await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), "1 deliverable missing".into())
    );
    let body = gh.comment(n, "main");
    assert!(
        body.contains(
            "| ❌ | Costs reviewed | `use-cases/`: 1 of 2 validated use cases cost-reviewed"
        ),
        "{body}"
    );
    gh.w.finish();
}

#[tokio::test]
async fn a_team_membership_removed_after_approval_no_longer_counts() {
    let (gh, _, n) = Gh::gate_4_5().await;
    // A member of the security architecture team approves for the security lead role.
    gh.approve_all(n, &["infrastructure-lead", "business-sponsor"])
        .await;
    gh.review(n, "lena-fischer", "APPROVED").await;
    assert_eq!(gh.check(n, "main").0, "success");
    assert!(
        gh.comment(n, "main")
            .contains("| ✅ | security-lead | @lena-fischer |")
    );

    // She leaves the team; the next event sees it.
    gh.w.sim
        .repo(|r| r.set_team("contoso", "security-architecture", &["priya-raman"]));
    gh.review(n, "sofia-lindqvist", "COMMENTED").await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(&["security-lead"]))
    );
    assert!(
        gh.comment(n, "main")
            .contains("Not counted (no role): @lena-fischer."),
    );
    gh.w.finish();
}

#[tokio::test]
async fn rule_changes_in_their_own_pr_pass_with_every_role_of_the_current_gate() {
    // What the comment of a request that also changes the rules asks for: the rules in
    // their own PR, approved by every approver role of the current gate (4-5).
    let fx = gates::gate("4-5");
    let gh = Gh::start().await;
    let overrides = (
        "phases/overrides.yaml".to_string(),
        "gates:\n  \"4-5\":\n    validated-use-cases:\n      use-cases-validated: { min: 3 }\n"
            .to_string(),
    );
    let n = gh
        .open("rules/stricter", "main", &[overrides], AUTHOR)
        .await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(fx.roles))
    );
    let body = gh.comment(n, "main");
    assert!(
        body.starts_with("### adoptbot: gate 4-5 does not pass yet")
            && body.contains("This PR changes the rules the gates are judged by")
            && body.contains("- phases/overrides.yaml is added")
            && !body.contains("#### Deliverables"),
        "{body}"
    );
    gh.approve_all(n, &fx.roles[..2]).await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(&fx.roles[2..]))
    );
    gh.approve_all(n, &fx.roles[2..]).await;
    assert_eq!(
        gh.check(n, "main"),
        (
            "success".into(),
            "every role of gate 4-5 approved the rule change".into()
        )
    );
    insta::assert_snapshot!("rule_change_passes", common::stable(&gh.comment(n, "main")));
    gh.w.finish();
}

#[tokio::test]
async fn a_gate_request_costs_few_calls_and_a_replay_writes_nothing() {
    let (gh, fx, n) = Gh::gate_4_5().await;
    gh.approve_all(n, fx.roles).await;
    gh.w.sim.repo(|r| r.merge_pull(n));
    gh.on(&gh.pr_event("closed", n).await).await;
    let calls = gh.calls();
    let table: Vec<String> = calls
        .iter()
        .map(|(a, b)| format!("{}r/{}w then {}r/{}w", a.reads, a.writes, b.reads, b.writes))
        .collect();
    eprintln!("gate 4-5 calls per event: {table:#?}");
    // Each delivery on its own, as the Action runs (no memory kept between runs; the App
    // server's warm costs are in `warm.rs`). Opened: the pull request (read at handling time,
    // never taken from the event), its files and commits in one comparison, the reviews, two
    // snapshots, the comments and the checks (the role team is not needed before anyone the
    // role does not name reviews; the requested reviewers come with the pull request); the
    // comment, the check and the review request.
    let (opened, replay) = calls[0];
    assert!(opened.reads <= 7 && opened.writes == 3, "{table:#?}");
    assert!(replay.reads <= 7 && replay.writes == 0, "{table:#?}");
    // A review: the same, and the role team's members.
    for (review, replay) in &calls[1..calls.len() - 1] {
        assert!(review.reads <= 8 && review.writes <= 2, "{table:#?}");
        assert_eq!(replay.writes, 0, "{table:#?}");
    }
    // Merged: the audit branch, the judgement, one record (git data API: 1 read, 4 writes).
    let (merged, replay) = calls[calls.len() - 1];
    assert!(
        merged.reads <= 10 && merged.writes == 4 && replay.writes == 0,
        "{table:#?}"
    );
    gh.w.finish();
}

#[tokio::test]
async fn a_rollback_of_one_phase_needs_a_stated_reason_and_the_gates_roles() {
    // `main` is in phase 5; the request goes back to phase 4.
    let fx = gates::gate("4-5");
    let gh = Gh::start().await;
    gh.w.sim.repo(|r| {
        r.commit(
            "main",
            "Contoso is in phase 5",
            "platform@contoso.com",
            &changes(&fx.head),
        )
    });
    let back = vec![(
        "adoption.yaml".to_string(),
        fx.head[0]
            .1
            .replace("phase: scale-and-governance", "phase: experimentation"),
    )];
    let open = |branch: &'static str, body: &'static str| {
        let back = back.clone();
        let sim = &gh.w.sim;
        async move {
            sim.repo(|r| {
                let base = r.head("main");
                r.branches.insert(branch.into(), base);
                r.commit(
                    branch,
                    "Back to phase 4",
                    "elena.rossi@contoso.com",
                    &changes(&back),
                );
                r.open_pull(branch, "main", "Roll back to phase 4", body, AUTHOR)
            })
        }
    };
    // Without a reason: refused, whoever approves.
    let n = open("rollback/no-reason", "The pilot is over.").await;
    gh.on(&gh.pr_event("opened", n).await).await;
    gh.approve_all(n, fx.roles).await;
    let (conclusion, title) = gh.check(n, "main");
    assert_eq!(conclusion, "failure");
    assert!(title.contains("Rollback reason:"), "{title}");

    // With a reason: gate 4-5's roles decide, and the deliverables are not asked for.
    let n = open(
        "rollback/reason",
        "Rollback reason: the search SLO has been breached for three weeks.",
    )
    .await;
    gh.on(&gh.pr_event("opened", n).await).await;
    assert_eq!(
        gh.check(n, "main"),
        ("failure".into(), waiting_for(fx.roles))
    );
    gh.approve_all(n, fx.roles).await;
    assert_eq!(gh.check(n, "main").0, "success");
    let body = gh.comment(n, "main");
    assert!(
        body.contains("back from phase 5")
            && body.contains("the search SLO has been breached")
            && !body.contains("#### Deliverables"),
        "{body}"
    );
    gh.w.sim.repo(|r| r.merge_pull(n));
    gh.on(&gh.pr_event("closed", n).await).await;
    let record = audit_record(&gh, n);
    assert!(
        record.passed
            && record.kind == "rollback"
            && record.rollback_reason.as_deref()
                == Some("the search SLO has been breached for three weeks."),
        "{record:?}"
    );
    gh.w.finish();
}
