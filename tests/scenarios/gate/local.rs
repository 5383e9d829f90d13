//! What only the local forge has: a git repository on disk that `adoptbot audit` reads.

use super::{gate_change, open_as_akira};
use crate::support::local::Local;
use crate::support::world::World;
use adoptbot::forge::Conclusion::Success;
use adoptbot::forge::{FileChange, ReviewState};

#[tokio::test]
async fn adoptbot_audit_prints_the_policy_and_the_evidence_and_flags_a_bypass() {
    let w = Local::contoso().await;
    let (tmp, forge) = (&w.tmp, &w.forge);
    let n = open_as_akira(&w, "gate/phase-5", &gate_change("scale-and-governance")).await;
    for who in ["maria-hernandez", "sofia-lindqvist", "lena-fischer"] {
        w.review(n, who, ReviewState::Approved).await;
    }
    assert_eq!(w.gate_check(n, "main").await.0, Some(Success));
    w.merge(n, "maria-hernandez").await;
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
