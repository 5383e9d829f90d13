//! Trust, class 1: the audit trail is the bot's. Only commits the bot made (author and
//! committer the bot, signature verified) record a gate; a person's commit with the record
//! trailer records nothing, and `runners::audit::verify` reports it, and any record a person
//! altered, as a forgery. Both worlds.

use crate::both_worlds;
use crate::support::changes;
use crate::support::gates;
use crate::support::world::World;
use adoptbot::forge::Forge;
use adoptbot::runners::audit::verify;
use adoptbot::runners::outcome::WriteKind;

/// A gate request opened by the usual author, judged, nobody approving.
async fn unapproved_gate_request<W: World>(w: &W) -> u64 {
    let fx = gates::gate("4-5");
    w.open(
        gates::AUTHOR,
        "gate-4-5",
        "main",
        "Gate 4-5: scale and governance",
        "",
        &changes(&fx.head),
    )
    .await
}

/// Before the bot records the merge, a writer pushes a commit to `adoptbot/audit` whose
/// message carries the record trailer of the PR.
async fn a_forged_trailer_records_nothing_and_is_reported<W: World>() {
    let w = W::contoso().await;
    let n = unapproved_gate_request(&w).await;
    w.commit(
        "adoptbot/audit",
        Some("main"),
        "mallory",
        &format!("Gate 4-5 record for #{n} (passed)\n\nAdoptbot-Audit: pr-{n}\nAdoptbot-Fingerprint: pr-{n}"),
        &[("audit/README.md", Some("trust me\n"))],
    );
    let merged = w.merge(n, gates::holder("infrastructure-lead")).await;
    assert!(
        merged
            .writes
            .iter()
            .any(|x| x.kind == WriteKind::Push && x.key == "adoptbot/audit"),
        "the bot writes its own record: {merged:?}"
    );
    assert!(
        merged.notes.iter().any(|x| x.contains("a forgery")),
        "{merged:?}"
    );
    let records = w.audit_records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(!records[0].passed, "{:?}", records[0]);

    let checked = verify(w.forge(), "main").await.unwrap();
    assert_eq!(
        checked
            .findings
            .iter()
            .filter(|f| f.contains("was not made by adoptbot"))
            .count(),
        1,
        "{checked:?}"
    );
    assert_eq!(checked.verified, vec![n], "the bot's own record holds up");
}

/// The bot's honest record is edited by an ordinary push to say the gate passed.
async fn an_altered_record_is_a_forgery<W: World>() {
    let w = W::contoso().await;
    let n = unapproved_gate_request(&w).await;
    w.merge(n, gates::holder("infrastructure-lead")).await;
    let clean = verify(w.forge(), "main").await.unwrap();
    assert!(clean.findings.is_empty(), "{clean:?}");
    assert_eq!(clean.verified, vec![n]);

    let head = w
        .forge()
        .branch_commits("main", "adoptbot/audit")
        .await
        .unwrap();
    let snap = w.forge().snapshot(&head.last().unwrap().sha).await.unwrap();
    let (path, bytes) = snap
        .contents
        .iter()
        .find(|(p, _)| p.starts_with("audit/gates/"))
        .map(|(p, b)| (p.clone(), b.clone()))
        .expect("a record");
    let forged = String::from_utf8(bytes)
        .unwrap()
        .replace("\"passed\": false", "\"passed\": true");
    assert!(forged.contains("\"passed\": true"));
    w.commit(
        "adoptbot/audit",
        None,
        "mallory",
        "Fix the record",
        &[(path.as_str(), Some(forged.as_str()))],
    );
    let checked = verify(w.forge(), "main").await.unwrap();
    assert!(
        checked.findings.iter().any(|f| f.contains("altered")),
        "{checked:?}"
    );
    assert!(
        checked
            .findings
            .iter()
            .any(|f| f.contains("was not made by adoptbot")),
        "{checked:?}"
    );
    assert!(checked.verified.is_empty(), "{checked:?}");
}

both_worlds!(
    a_forged_trailer_records_nothing_and_is_reported,
    an_altered_record_is_a_forgery,
);

/// A rule of a ruleset, as `GET /rules/branches/{branch}` lists it.
fn rule(kind: &str, parameters: Option<serde_json::Value>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "type": kind,
        "ruleset_source_type": "Repository",
        "ruleset_source": "contoso/adoption",
        "ruleset_id": 7,
    });
    if let Some(p) = parameters {
        v["parameters"] = p;
    }
    v
}

/// Where the forge shows branch rules, rules weaker than the docs ask for are said: when the
/// bot records a merge, and by the audit. With the recommended rulesets, nothing is said.
#[tokio::test]
async fn weaker_branch_rules_are_warned_where_the_forge_shows_them() {
    use crate::support::github::Sim;
    let w = Sim::contoso().await;
    let n = unapproved_gate_request(&w).await;
    let merged = w.merge(n, gates::holder("infrastructure-lead")).await;
    assert!(
        merged
            .notes
            .iter()
            .any(|x| x.contains("takes pushes from anyone with write access")),
        "{merged:?}"
    );
    let weak = verify(w.forge(), "main").await.unwrap();
    assert_eq!(weak.warnings.len(), 4, "{weak:?}");
    assert!(
        weak.warnings
            .iter()
            .any(|x| x.contains("does not require `adoptbot/gate (main)`")),
        "{weak:?}"
    );

    let app = w.sim.options().app.0;
    w.sim.repo(|r| {
        r.branch_rules.insert(
            "adoptbot/audit".into(),
            vec![
                rule(
                    "update",
                    Some(serde_json::json!({ "update_allows_fetch_and_merge": false })),
                ),
                rule("deletion", None),
                rule("non_fast_forward", None),
            ],
        );
        r.branch_rules.insert(
            "main".into(),
            vec![rule(
                "required_status_checks",
                Some(serde_json::json!({
                    "strict_required_status_checks_policy": false,
                    "required_status_checks": [
                        { "context": "adoptbot/gate (main)", "integration_id": app }
                    ],
                })),
            )],
        );
    });
    let strict = verify(w.forge(), "main").await.unwrap();
    assert!(strict.warnings.is_empty(), "{strict:?}");
    assert_eq!(strict.verified, vec![n]);
    w.finish();
}

/// `adoptbot audit DIR --forge local`: exit 0 on the bot's own trail, 1 once a person
/// altered a record, and the forgery is named.
#[tokio::test]
async fn the_audit_command_exits_1_on_a_forgery() {
    use crate::support::local::Local;
    let w = Local::contoso().await;
    let n = unapproved_gate_request(&w).await;
    w.merge(n, gates::holder("infrastructure-lead")).await;
    let dir = w.work_tree().expect("a work tree").to_path_buf();
    let audit = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"))
            .arg("audit")
            .arg(&dir)
            .args(["--rev", "main", "--forge", "local", "--bot"])
            .arg(w.forge().bot_login())
            .output()
            .expect("run adoptbot audit")
    };
    let clean = audit();
    let out = String::from_utf8_lossy(&clean.stdout).to_string();
    // Merged without passing: something to look at, but no forgery.
    assert!(!out.contains("forgery"), "{out}");

    w.commit(
        "adoptbot/audit",
        None,
        "mallory",
        "Tidy",
        &[("audit/gates/extra.json", Some("{}\n"))],
    );
    let forged = audit();
    let out = String::from_utf8_lossy(&forged.stdout).to_string();
    assert_eq!(forged.status.code(), Some(1), "{out}");
    assert!(out.contains("was not made by adoptbot"), "{out}");
}

/// `adoptbot plan --forge github` reads the branch rules and warns, on stderr, where they
/// are weaker than the docs ask for; with the recommended rules it says nothing.
#[tokio::test]
async fn plan_warns_when_the_branch_rules_are_weaker() {
    use crate::support::github::Sim;
    let w = Sim::contoso().await;
    let o = w.sim.options();
    let api = w.sim.api_url();
    let dir = format!("{}/examples/contoso", env!("CARGO_MANIFEST_DIR"));
    let plan = move || {
        let (api, o, dir) = (api.clone(), o.clone(), dir.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"))
                .args(["plan", &dir, "--now", "2026-11-27", "--forge", "github"])
                .env("GITHUB_API_URL", &api)
                .env("GITHUB_TOKEN", &o.token)
                .env("GITHUB_REPOSITORY", format!("{}/{}", o.owner, o.repo))
                .env("ADOPTBOT_APP_ID", o.app.0.to_string())
                .output()
                .expect("run adoptbot plan")
        })
    };
    let weak = plan().await.unwrap();
    let said = String::from_utf8_lossy(&weak.stderr).to_string();
    assert!(weak.status.success(), "{said}");
    assert!(
        said.contains("warning: `adoptbot/audit` takes pushes from anyone"),
        "{said}"
    );
    assert!(
        said.contains("does not require `adoptbot/gate (main)`"),
        "{said}"
    );

    let app = w.sim.options().app.0;
    w.sim.repo(|r| {
        r.branch_rules.insert(
            "adoptbot/audit".into(),
            vec![
                rule(
                    "update",
                    Some(serde_json::json!({ "update_allows_fetch_and_merge": false })),
                ),
                rule("deletion", None),
                rule("non_fast_forward", None),
            ],
        );
        r.branch_rules.insert(
            "main".into(),
            vec![rule(
                "required_status_checks",
                Some(serde_json::json!({
                    "strict_required_status_checks_policy": false,
                    "required_status_checks": [
                        { "context": "adoptbot/gate (main)", "integration_id": app }
                    ],
                })),
            )],
        );
    });
    let strict = plan().await.unwrap();
    let said = String::from_utf8_lossy(&strict.stderr).to_string();
    assert!(strict.status.success(), "{said}");
    assert!(!said.contains("warning:"), "{said}");
    w.finish();
}
