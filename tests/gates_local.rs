//! Decision gates approved by review, end to end on the local forge: the happy path of every
//! gate with exactly the framework's roles, and attacks that must fail closed. Every event is
//! handled twice; the second time must write nothing.

mod common;

use adoptbot::forge::local::LocalForge;
use adoptbot::forge::{Conclusion, FileChange, Forge, PullRequest, ReviewState};
use adoptbot::model::Clock;
use adoptbot::model::event::{Event, PrAction, RepoInfo, ReviewAction, User};
use adoptbot::runners::outcome::{Applied, WriteKind};
use adoptbot::runners::reconcile::run as handle;
use common::gates::{self, AUTHOR, HOLDERS};

const BOT: &str = "adoptbot[bot]";

fn setup() -> (tempfile::TempDir, LocalForge) {
    let tmp = tempfile::tempdir().unwrap();
    adoptbot::runners::demo::scratch_repository(tmp.path()).unwrap();
    let forge = LocalForge::open(tmp.path(), BOT).unwrap();
    forge
        .set_team(
            "contoso",
            "security-architecture",
            &["priya-raman", "lena-fischer"],
        )
        .unwrap();
    forge
        .set_team("contoso", "compliance", &["tom-okafor"])
        .unwrap();
    (tmp, forge)
}

fn pr_event(action: PrAction, pull: PullRequest) -> Event {
    Event::PullRequest {
        action,
        pull,
        repo: RepoInfo {
            full_name: "contoso/adoption".into(),
            default_branch: "main".into(),
        },
        sender: User {
            login: "akira-kimura".into(),
            id: 1,
        },
    }
}

/// Handles `event`, then delivers it again: the replay must write nothing.
async fn on(forge: &LocalForge, event: &Event) -> Applied {
    let clock = Clock::at(common::date("2026-11-27"));
    let applied = handle(forge, event, clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let replay = handle(forge, event, clock)
        .await
        .unwrap_or_else(|e| panic!("replay: {e}"));
    assert!(
        replay.writes.is_empty(),
        "a replay writes nothing: {replay:?}"
    );
    applied
}

async fn review(forge: &LocalForge, n: u64, who: &str, state: ReviewState) -> Applied {
    let pull = forge.pull(n).await.unwrap();
    let r = forge.review_as(who, n, state, &pull.head_sha).unwrap();
    let event = Event::Review {
        action: ReviewAction::Submitted,
        review: adoptbot::model::event::Review {
            id: r.id,
            user: User {
                login: who.into(),
                id: r.user_id,
            },
            state: state.github_name().to_lowercase(),
            commit_id: pull.head_sha.clone(),
        },
        pull,
        repo: RepoInfo {
            full_name: "contoso/adoption".into(),
            default_branch: "main".into(),
        },
        sender: User {
            login: who.into(),
            id: r.user_id,
        },
    };
    on(forge, &event).await
}

/// The phase moved to 5 and the missing cost review added: gate 4-5's deliverables hold.
fn gate_change(tmp: &std::path::Path, phase: &str) -> Vec<FileChange> {
    let adoption = std::fs::read_to_string(tmp.join("adoption.yaml"))
        .unwrap()
        .replace("phase: experimentation", &format!("phase: {phase}"));
    let uc = std::fs::read_to_string(tmp.join("use-cases/search-semantic-ranking.yaml")).unwrap()
        + "cost_review: { reviewed_by: sofia-lindqvist, reviewed_on: 2026-11-20 }\n";
    vec![
        FileChange {
            path: "adoption.yaml".into(),
            content: Some(adoption),
        },
        FileChange {
            path: "use-cases/search-semantic-ranking.yaml".into(),
            content: Some(uc),
        },
    ]
}

async fn open_gate(
    forge: &LocalForge,
    tmp: &std::path::Path,
    branch: &str,
    changes: &[FileChange],
) -> u64 {
    let (_, main) = forge.default_branch().await.unwrap();
    forge
        .commit_as(
            branch,
            Some(&main),
            "Akira Kimura",
            "akira.kimura@contoso.com",
            "Advance to phase 5",
            changes,
        )
        .unwrap();
    let _ = tmp;
    let pr = forge
        .open_pull_as(
            "akira-kimura",
            branch,
            "main",
            "Gate 4-5: scale and governance",
            "",
        )
        .unwrap();
    on(
        forge,
        &pr_event(PrAction::Opened, forge.pull(pr.number).await.unwrap()),
    )
    .await;
    pr.number
}

async fn gate_check(forge: &LocalForge, n: u64) -> (Option<Conclusion>, String) {
    let head = forge.pull(n).await.unwrap().head_sha;
    let run = forge
        .check_runs(&head)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "adoptbot/gate (main)")
        .expect("the gate check");
    (run.conclusion, run.title)
}

#[tokio::test]
async fn gate_four_to_five_passes_with_exactly_its_roles_and_fails_closed_otherwise() {
    let (tmp, forge) = setup();
    let n = open_gate(
        &forge,
        tmp.path(),
        "gate/phase-5",
        &gate_change(tmp.path(), "scale-and-governance"),
    )
    .await;
    let (c, title) = gate_check(&forge, n).await;
    assert_eq!(c, Some(Conclusion::Failure));
    assert!(
        title.contains("waiting for infrastructure-lead, business-sponsor, security-lead"),
        "{title}"
    );
    let comments = forge.comments(n).await.unwrap();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0]
            .body
            .contains("✅ | At least 2 validated use cases"),
        "{}",
        comments[0].body
    );
    insta::assert_snapshot!("gate_4_5_opened", common::stable(&comments[0].body));
    let (users, _teams) = forge.requested_reviewers(n).await.unwrap();
    assert!(
        users.contains(&"maria-hernandez".to_string())
            && users.contains(&"sofia-lindqvist".to_string()),
        "{users:?}"
    );
    let replay = on(
        &forge,
        &pr_event(PrAction::Opened, forge.pull(n).await.unwrap()),
    )
    .await;
    assert!(replay.writes.is_empty(), "{replay:?}");

    // A non-member's approval is shown and never counted.
    review(&forge, n, "mallory", ReviewState::Approved).await;
    review(&forge, n, "maria-hernandez", ReviewState::Approved).await;
    review(&forge, n, "sofia-lindqvist", ReviewState::Approved).await;
    let (c, title) = gate_check(&forge, n).await;
    assert_eq!(c, Some(Conclusion::Failure), "{title}");
    assert!(
        forge.comments(n).await.unwrap()[0]
            .body
            .contains("Not counted (no role): @mallory")
    );

    // A team member approves for security-lead: every role has approved the head.
    review(&forge, n, "lena-fischer", ReviewState::Approved).await;
    assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Success));
    assert_eq!(
        forge.comments(n).await.unwrap().len(),
        1,
        "one checklist comment, updated in place"
    );

    // The team membership is removed after the approval: it no longer counts.
    forge
        .set_team("contoso", "security-architecture", &["priya-raman"])
        .unwrap();
    review(&forge, n, "sofia-lindqvist", ReviewState::Commented).await;
    assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Failure));
    review(&forge, n, "priya-raman", ReviewState::Approved).await;
    assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Success));

    // An approval followed by "request changes" from the same person counts against the role.
    review(&forge, n, "maria-hernandez", ReviewState::ChangesRequested).await;
    assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Failure));
    review(&forge, n, "maria-hernandez", ReviewState::Approved).await;
    assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Success));

    // A dismissed approval counts against the role.
    let reviews = forge.reviews(n).await.unwrap();
    let last = reviews
        .iter()
        .rev()
        .find(|r| r.user_login == "maria-hernandez")
        .unwrap();
    forge.dismiss_review(n, last.id).unwrap();
    review(&forge, n, "sofia-lindqvist", ReviewState::Commented).await;
    assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Failure));
    review(&forge, n, "maria-hernandez", ReviewState::Approved).await;
    assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Success));

    // The deliverables are removed after approval: the new head has no approvals, and the
    // deliverable fails.
    let uc =
        std::fs::read_to_string(tmp.path().join("use-cases/search-semantic-ranking.yaml")).unwrap();
    forge
        .commit_as(
            "gate/phase-5",
            None,
            "Akira Kimura",
            "akira.kimura@contoso.com",
            "Drop the review",
            &[FileChange {
                path: "use-cases/search-semantic-ranking.yaml".into(),
                content: Some(uc),
            }],
        )
        .unwrap();
    on(
        &forge,
        &pr_event(PrAction::Synchronize, forge.pull(n).await.unwrap()),
    )
    .await;
    let (c, title) = gate_check(&forge, n).await;
    assert_eq!(c, Some(Conclusion::Failure));
    assert!(
        title.contains("1 deliverable missing") && title.contains("waiting for"),
        "{title}"
    );
    assert!(
        forge.comments(n).await.unwrap()[0]
            .body
            .contains("approved an earlier commit")
    );
}

#[tokio::test]
async fn a_two_phase_jump_and_rules_changed_in_the_same_pr_fail() {
    let (tmp, forge) = setup();
    let n = open_gate(
        &forge,
        tmp.path(),
        "gate/jump",
        &gate_change(tmp.path(), "continuous-adoption"),
    )
    .await;
    let (c, title) = gate_check(&forge, n).await;
    assert_eq!(c, Some(Conclusion::Failure));
    assert!(title.contains("moves 2 phases"), "{title}");

    let mut changes = gate_change(tmp.path(), "scale-and-governance");
    changes[0].content = Some(changes[0].content.clone().unwrap().replace(
        "users: [sofia-lindqvist]",
        "users: [sofia-lindqvist, akira-kimura]",
    ));
    changes.push(FileChange {
        path: "phases/overrides.yaml".into(),
        content: Some(
            "gates:\n  \"4-5\":\n    validated-use-cases:\n      use-cases-validated: { min: 1 }\n"
                .into(),
        ),
    });
    let n = open_gate(&forge, tmp.path(), "gate/rules", &changes).await;
    let (c, title) = gate_check(&forge, n).await;
    assert_eq!(c, Some(Conclusion::Failure));
    assert!(title.contains("changes the rules"), "{title}");
    let body = &forge.comments(n).await.unwrap()[0].body;
    assert!(
        body.contains("phases/overrides.yaml is added")
            && body.contains("adoption.yaml: `roles` is changed"),
        "{body}"
    );
}

fn file_changes(files: &[(String, String)]) -> Vec<FileChange> {
    files
        .iter()
        .map(|(p, c)| FileChange {
            path: p.clone(),
            content: Some(c.clone()),
        })
        .collect()
}

fn waiting_for(roles: &[&str]) -> String {
    format!("waiting for {}", roles.join(", "))
}

/// Gate `gate` on the local forge: `main` put in the gate's "from" phase, the request opened
/// by someone who holds no role; it passes once exactly the roles of the decision matrix
/// approved the head, not before, and not with any other role's approval.
async fn happy_path(gate: &str) {
    let fx = gates::gate(gate);
    let (tmp, forge) = setup();
    if !fx.base.is_empty() {
        forge
            .commit_as(
                "main",
                None,
                "Contoso platform team",
                "platform@contoso.com",
                &format!("Contoso is in phase {}", fx.from),
                &file_changes(&fx.base),
            )
            .unwrap();
    }
    let (_, main) = forge.default_branch().await.unwrap();
    let branch = format!("gate/{gate}");
    forge
        .commit_as(
            &branch,
            Some(&main),
            "Elena Rossi",
            "elena.rossi@contoso.com",
            &format!("Move the adoption to phase {}", fx.to),
            &file_changes(&fx.head),
        )
        .unwrap();
    let n = forge
        .open_pull_as(AUTHOR, &branch, "main", &format!("Gate {gate}"), "")
        .unwrap()
        .number;
    on(
        &forge,
        &pr_event(PrAction::Opened, forge.pull(n).await.unwrap()),
    )
    .await;
    let (c, title) = gate_check(&forge, n).await;
    assert_eq!(c, Some(Conclusion::Failure));
    assert_eq!(title, waiting_for(fx.roles));
    let body = forge.comments(n).await.unwrap()[0].body.clone();
    let deliverables = body.split("#### Approvals").next().unwrap();
    assert!(
        body.starts_with(&format!("### adoptbot: gate {gate} does not pass yet"))
            && deliverables.contains("| ✅ |")
            && !deliverables.contains("| ❌ |")
            && !deliverables.contains("| ❔ |"),
        "{body}"
    );

    // The holders of every other role approve: none of them counts for this gate.
    for (role, login) in HOLDERS {
        if !fx.roles.contains(&role) && !fx.roles.iter().any(|r| gates::holder(r) == login) {
            review(&forge, n, login, ReviewState::Approved).await;
        }
    }
    assert_eq!(
        gate_check(&forge, n).await,
        (Some(Conclusion::Failure), waiting_for(fx.roles))
    );
    // The gate's roles, one at a time: it fails while one is missing.
    for (i, role) in fx.roles.iter().enumerate() {
        review(&forge, n, gates::holder(role), ReviewState::Approved).await;
        let (c, title) = gate_check(&forge, n).await;
        if i + 1 < fx.roles.len() {
            assert_eq!(
                (c, title),
                (Some(Conclusion::Failure), waiting_for(&fx.roles[i + 1..]))
            );
        } else {
            assert_eq!(c, Some(Conclusion::Success), "{title}");
        }
    }
    assert!(
        forge.comments(n).await.unwrap()[0]
            .body
            .starts_with(&format!("### adoptbot: gate {gate} passes"))
    );
    // Each role is needed: with its approval withdrawn, the gate fails and names it.
    for role in fx.roles {
        let who = gates::holder(role);
        review(&forge, n, who, ReviewState::ChangesRequested).await;
        assert_eq!(
            gate_check(&forge, n).await,
            (Some(Conclusion::Failure), waiting_for(&[role]))
        );
        review(&forge, n, who, ReviewState::Approved).await;
        assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Success));
    }
    assert_eq!(forge.comments(n).await.unwrap().len(), 1);

    // Merged: the verdict goes on the audit trail, once (`on` replays the event).
    let head = forge.pull(n).await.unwrap().head_sha;
    forge.merge_pull(n, gates::holder(fx.roles[0])).unwrap();
    let merged = on(
        &forge,
        &pr_event(PrAction::Closed, forge.pull(n).await.unwrap()),
    )
    .await;
    assert!(
        merged
            .writes
            .iter()
            .any(|w| w.kind == WriteKind::Push && w.key == "adoptbot/audit"),
        "{merged:?}"
    );
    let history = adoptbot::load::history::read(tmp.path(), "main").unwrap();
    assert_eq!(history.records.len(), 1, "{:?}", history.problems);
    let r = &history.records[0];
    assert!(
        r.passed && r.gate.as_deref() == Some(gate) && r.kind == "advance",
        "{r:?}"
    );
    assert_eq!(
        (r.head_sha.as_str(), r.author.as_str()),
        (head.as_str(), AUTHOR)
    );
    assert_eq!(r.roles.len(), fx.roles.len());
    for role in &r.roles {
        let holder = gates::holder(&role.role);
        assert!(
            role.met
                && role.approvals.len() == 1
                && role.approvals[0].login == holder
                && role.approvals[0].commit == head
                && role.approvals[0].review_id > 0
                && role.approvals[0].submitted_at.is_some(),
            "{role:?}"
        );
    }
    assert!(
        r.deliverables
            .iter()
            .all(|d| d.status == "pass" && !d.evidence.is_empty()),
        "{:?}",
        r.deliverables
    );
    // The trail: the merge matched with its record; a phase set by a direct push is flagged.
    let trail = adoptbot::report::audit::trail(&history.changes, &history.records);
    let merge = trail.last().unwrap();
    assert!(
        merge
            .change
            .as_ref()
            .is_some_and(|c| Some(&c.commit) == r.merge_sha.as_ref())
            && merge.findings.is_empty(),
        "{trail:#?}"
    );
    assert_eq!(
        trail.iter().filter(|e| !e.findings.is_empty()).count(),
        usize::from(!fx.base.is_empty()),
        "{trail:#?}"
    );
}

#[tokio::test]
async fn gate_1_2_passes_with_the_infrastructure_and_security_leads() {
    happy_path("1-2").await;
}

#[tokio::test]
async fn gate_2_3_passes_with_the_infrastructure_lead_and_the_management_sponsor() {
    happy_path("2-3").await;
}

#[tokio::test]
async fn gate_3_4_passes_with_the_platform_team_lead() {
    happy_path("3-4").await;
}

#[tokio::test]
async fn gate_4_5_passes_with_the_infrastructure_lead_business_sponsor_and_security_lead() {
    happy_path("4-5").await;
}

#[tokio::test]
async fn gate_5_6_passes_with_the_infrastructure_lead_and_compliance() {
    happy_path("5-6").await;
}

#[tokio::test]
async fn adoptbot_audit_prints_the_policy_and_the_evidence_and_flags_a_bypass() {
    let (tmp, forge) = setup();
    let n = open_gate(
        &forge,
        tmp.path(),
        "gate/phase-5",
        &gate_change(tmp.path(), "scale-and-governance"),
    )
    .await;
    for who in ["maria-hernandez", "sofia-lindqvist", "lena-fischer"] {
        review(&forge, n, who, ReviewState::Approved).await;
    }
    assert_eq!(gate_check(&forge, n).await.0, Some(Conclusion::Success));
    forge.merge_pull(n, "maria-hernandez").unwrap();
    on(
        &forge,
        &pr_event(PrAction::Closed, forge.pull(n).await.unwrap()),
    )
    .await;
    let audit = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"))
            .arg("audit")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let dir = tmp.path().to_str().unwrap();
    let (code, text) = audit(&[dir]);
    assert_eq!(code, Some(0), "{text}");
    for line in [
        "phase 4 (experimentation) -> 5 (scale-and-governance)",
        &format!(
            "gate 4-5: advance #{n} \"Gate 4-5: scale and governance\" by @akira-kimura: PASSED"
        ),
        "policy: rules read at",
        "[pass] At least 2 validated use cases",
        "role security-lead approved: @lena-fischer (id",
        "1 entry, 0 to look at.",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    let (code, json) = audit(&["--git", dir, "--rev", "main", "--format", "json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["entries"][0]["record"]["passed"], true, "{json}");

    // Someone pushes a phase change straight to main: the trail flags it, and exits 1.
    let adoption = std::fs::read_to_string(tmp.path().join("adoption.yaml"))
        .unwrap()
        .replace("phase: experimentation", "phase: continuous-adoption")
        .replace("phase: scale-and-governance", "phase: continuous-adoption");
    forge
        .commit_as(
            "main",
            None,
            "Mallory",
            "mallory@contoso.com",
            "Skip ahead",
            &[FileChange {
                path: "adoption.yaml".into(),
                content: Some(adoption),
            }],
        )
        .unwrap();
    let (code, text) = audit(&[dir, "--rev", "main"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("phase 5 (scale-and-governance) -> 6 (continuous-adoption)")
            && text.contains("! no gate record")
            && text.contains("2 entries, 1 to look at."),
        "{text}"
    );
}
