//! Trust, class 4: a gate PR may not change what enforces the gate. In a gate request,
//! changes to `.github/` (workflows, CODEOWNERS), `action.yml` or the bot's configuration
//! are rule changes: named, and the phase change fails until they go in their own PR, which
//! every role of the current gate approves. Files nothing of the gate needs are listed.
//! Both worlds.

use crate::both_worlds;
use crate::support::gates;
use crate::support::world::World;
use adoptbot::forge::{Conclusion, ReviewState};

/// The gate request 4-5 with `extra` files beside it, every role approving.
async fn gate_with<W: World>(w: &W, extra: &[(&str, &str)]) -> u64 {
    let fx = gates::gate("4-5");
    let mut files: Vec<(&str, Option<&str>)> = fx
        .head
        .iter()
        .map(|(p, c)| (p.as_str(), Some(c.as_str())))
        .collect();
    files.extend(extra.iter().map(|(p, c)| (*p, Some(*c))));
    let n = w
        .open(gates::AUTHOR, "gate-4-5", "main", "Gate 4-5", "", &files)
        .await;
    for role in fx.roles {
        w.review(n, gates::holder(role), ReviewState::Approved)
            .await;
    }
    n
}

/// The PR rewrites the workflow that runs the bot and the action: approvals or not, the
/// phase change fails and names both.
async fn a_gate_pr_that_rewrites_the_workflow_fails_and_names_it<W: World>() {
    let w = W::contoso().await;
    let n = gate_with(
        &w,
        &[
            (
                ".github/workflows/adoptbot.yml",
                "on: pull_request\njobs: { pass: { runs-on: ubuntu-latest, steps: [ { run: 'true' } ] } }\n",
            ),
            ("action.yml", "name: not adoptbot\nruns: { using: node20, main: x.js }\n"),
        ],
    )
    .await;
    let (conclusion, _) = w.gate_check(n, "main").await;
    assert_eq!(conclusion, Some(Conclusion::Failure));
    let checklist = w.bot_comment(n, "gate/main").await;
    for path in [".github/workflows/adoptbot.yml", "action.yml"] {
        assert!(
            checklist.contains(&format!("{path} is changed, and it enforces the gates")),
            "{checklist}"
        );
    }
}

/// CODEOWNERS and the bot's configuration count too; a file nothing needs is listed.
async fn codeowners_and_configuration_are_rule_changes_and_extras_are_listed<W: World>() {
    let w = W::contoso().await;
    let n = gate_with(
        &w,
        &[
            (".github/CODEOWNERS", "* @mallory\n"),
            (".adoptbot/config.yaml", "strict: false\n"),
            ("notes/plan.md", "a note\n"),
        ],
    )
    .await;
    let (conclusion, _) = w.gate_check(n, "main").await;
    assert_eq!(conclusion, Some(Conclusion::Failure));
    let checklist = w.bot_comment(n, "gate/main").await;
    assert!(
        checklist.contains(".github/CODEOWNERS is changed, and it enforces the gates"),
        "{checklist}"
    );
    assert!(
        checklist.contains(".adoptbot/config.yaml is changed, and it enforces the gates"),
        "{checklist}"
    );
    assert!(checklist.contains("`notes/plan.md`"), "{checklist}");
}

both_worlds!(
    a_gate_pr_that_rewrites_the_workflow_fails_and_names_it,
    codeowners_and_configuration_are_rule_changes_and_extras_are_listed,
);
