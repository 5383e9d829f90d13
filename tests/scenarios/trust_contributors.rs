//! Trust, class 7: no approval from a contributor. The author or committer of any commit of
//! the PR, or anyone a `Co-authored-by:` trailer names, cannot approve it, whoever opened it;
//! the checklist says why. Both worlds.

use crate::both_worlds;
use crate::support::gates;
use crate::support::world::World;
use adoptbot::forge::{Conclusion, ReviewState};

/// The gate request 4-5, committed as `message` by `who`, opened by the usual author; every
/// role holder approves.
async fn approved_by_all<W: World>(w: &W, who: &str, message: &str) -> u64 {
    let fx = gates::gate("4-5");
    let files: Vec<(&str, Option<&str>)> = fx
        .head
        .iter()
        .map(|(p, c)| (p.as_str(), Some(c.as_str())))
        .collect();
    w.commit("gate-4-5", Some("main"), who, message, &files);
    let n = w.open_pull(gates::AUTHOR, "gate-4-5", "main", "Gate 4-5", "");
    w.deliver_pull(n, "opened").await;
    for role in fx.roles {
        w.review(n, gates::holder(role), ReviewState::Approved)
            .await;
    }
    n
}

/// The phase change is written and pushed by the sole holder of a role.
async fn a_holder_who_wrote_the_change_cannot_approve_it<W: World>() {
    let w = W::contoso().await;
    let holder = gates::holder("infrastructure-lead");
    let n = approved_by_all(&w, holder, "Move to phase 5").await;
    let (conclusion, _) = w.gate_check(n, "main").await;
    assert_eq!(conclusion, Some(Conclusion::Failure));
    let checklist = w.bot_comment(n, "gate/main").await;
    assert!(
        checklist.contains(&format!("@{holder} wrote commit")),
        "{checklist}"
    );
    // Merged anyway: the record judges the same way.
    w.merge(n, holder).await;
    let records = w.audit_records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(!records[0].passed, "{:?}", records[0]);
    let role = records[0]
        .roles
        .iter()
        .find(|r| r.role == "infrastructure-lead")
        .expect("the role");
    assert!(!role.met && role.approvals.is_empty(), "{role:?}");
}

/// The holder is only named as co-author, with GitHub's noreply address.
async fn a_co_author_cannot_approve_either<W: World>() {
    let w = W::contoso().await;
    let holder = gates::holder("infrastructure-lead");
    let n = approved_by_all(
        &w,
        gates::AUTHOR,
        &format!(
            "Move to phase 5\n\nCo-authored-by: Maria <4242+{holder}@users.noreply.github.com>"
        ),
    )
    .await;
    let (conclusion, _) = w.gate_check(n, "main").await;
    assert_eq!(conclusion, Some(Conclusion::Failure));
    let checklist = w.bot_comment(n, "gate/main").await;
    assert!(
        checklist.contains(&format!("@{holder} is named co-author")),
        "{checklist}"
    );
}

both_worlds!(
    a_holder_who_wrote_the_change_cannot_approve_it,
    a_co_author_cannot_approve_either,
);
