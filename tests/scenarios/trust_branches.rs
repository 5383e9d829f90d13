//! Trust, classes 2 and 11: what is the bot's is decided by who opened it, never by a branch
//! name or a commit trailer. A person's PR on an `adoptbot/` branch is judged as any person's PR
//! and told once that the namespace is reserved, and the bot never pushes onto it. Both
//! worlds; every trigger is delivered twice and the replay writes nothing.

use crate::both_worlds;
use crate::support::changes;
use crate::support::gates;
use crate::support::world::World;
use adoptbot::model::forge::Conclusion;
use adoptbot::runners::outcome::WriteKind;

/// A writer squats the provisioning branch of a merged request before the bot opens its
/// PR, with a commit that carries the bot's fingerprint trailer.
async fn a_squatted_bot_branch_is_left_alone_and_the_squatter_is_told<W: World>() {
    let w = W::contoso().await;
    let branch = "adoptbot/provision/fraud-gnn-training";
    let path = "infra/experiments/fraud-gnn-training/NOTES.md";
    let head = w.commit(
        branch,
        Some("main"),
        "mallory",
        "Provision experiment fraud-gnn-training\n\nAdoptbot-Fingerprint: 0123456789abcdef",
        &[(path, Some("a person's file\n"))],
    );
    let n = w.open_pull(
        "mallory",
        branch,
        "main",
        "Provision experiment fraud-gnn-training",
        "<!-- adoptbot:pull fingerprint=0123456789abcdef -->",
    );
    let opened = w.deliver_pull(n, "opened").await;
    assert!(
        opened
            .writes
            .iter()
            .any(|x| x.kind == WriteKind::CreateComment && x.key == "reserved-branch"),
        "the squatter is told once: {opened:?}"
    );

    let backlog = w.deliver_main().await;
    assert!(
        !backlog.writes.iter().any(|x| x.key == branch),
        "nothing is pushed onto or opened from the held branch: {backlog:?}"
    );
    assert!(
        backlog
            .notes
            .iter()
            .any(|x| x.contains(&format!("held by #{n}"))),
        "{backlog:?}"
    );
    // The other merged request still gets its provisioning PR.
    assert!(
        backlog.writes.iter().any(|x| x.kind == WriteKind::OpenPull
            && x.key == "adoptbot/provision/search-multilingual-embeddings"),
        "{backlog:?}"
    );
    let pull = w.pull(n).await;
    assert_eq!(pull.head_sha, head, "the person's branch is untouched");
    assert_eq!(pull.title, "Provision experiment fraud-gnn-training");
    let said = w.bot_comments(n).await;
    assert_eq!(said.len(), 1, "{said:#?}");
    assert!(said[0].contains("reserved for adoptbot"), "{}", said[0]);
    assert!(said[0].starts_with("@mallory:"), "{}", said[0]);
}

/// A person's gate request from a branch in the bot's namespace: it gets its checklist and
/// its gate check like any gate request, plus the one notice.
async fn a_persons_gate_pr_from_a_bot_branch_is_judged<W: World>() {
    let w = W::contoso().await;
    let fx = gates::gate("4-5");
    let n = w
        .open(
            "akira-kimura",
            "adoptbot/gate-phase-5",
            "main",
            "Gate 4-5: scale and governance",
            "",
            &changes(&fx.head),
        )
        .await;
    let (conclusion, _) = w.gate_check(n, "main").await;
    assert_eq!(
        conclusion,
        Some(Conclusion::Failure),
        "judged: no role has approved yet"
    );
    let checklist = w.bot_comment(n, "gate/main").await;
    assert!(checklist.contains("gate 4-5"), "{checklist}");
    let notice = w.bot_comment(n, "reserved-branch").await;
    assert!(notice.contains("judged as any person's PR"), "{notice}");
}

/// A writer asks `/adoptbot recheck` on a person's PR from a bot branch: it is judged as the
/// person's request PR, never reconciled as the bot's provisioning PR.
async fn a_recheck_on_a_squatted_branch_judges_the_persons_pr<W: World>() {
    let w = W::contoso().await;
    w.grant_command_roles();
    let n = w
        .open(
            "ivan-novak",
            "adoptbot/provision/fraud-distill",
            "main",
            "Experiment: fraud rules distillation",
            "",
            &[(
                "experiments/fraud-distill.yaml",
                Some(crate::support::REQUEST),
            )],
        )
        .await;
    // The request changes without a delivery; the recheck is what sees it.
    let over = crate::support::REQUEST.replace("cost_cap: 1500 USD", "cost_cap: 1 USD");
    w.commit(
        "adoptbot/provision/fraud-distill",
        None,
        "ivan-novak",
        "Lower the cap",
        &[("experiments/fraud-distill.yaml", Some(over.as_str()))],
    );
    let asked = w.comment(n, "rahul-mehta", "/adoptbot recheck").await;
    assert!(
        asked
            .writes
            .iter()
            .any(|x| x.kind == WriteKind::UpdateComment && x.key == "experiment/fraud-distill"),
        "judged again as the person's request: {asked:?}"
    );
    assert!(
        !asked.writes.iter().any(|x| x.kind == WriteKind::Push
            || x.kind == WriteKind::OpenPull
            || x.kind == WriteKind::UpdatePull),
        "the bot treats nothing there as its own: {asked:?}"
    );
    let comment = w.bot_comment(n, "experiment/fraud-distill").await;
    assert!(comment.contains("fraud"), "{comment}");
    let pull = w.pull(n).await;
    assert_eq!(pull.title, "Experiment: fraud rules distillation");
}

both_worlds!(
    a_squatted_bot_branch_is_left_alone_and_the_squatter_is_told,
    a_persons_gate_pr_from_a_bot_branch_is_judged,
    a_recheck_on_a_squatted_branch_judges_the_persons_pr,
);
