//! `/adoptbot rerender` over a person's commits, on the simulator, where the bot branch's
//! commits and tree can be read as GitHub has them.

use super::setup;
use crate::support::github::Sim;
use crate::support::world::World;
use adoptbot::runners::outcome::WriteKind;

#[tokio::test]
async fn rerender_renders_over_a_persons_commits_and_names_them() {
    let (w, n) = setup::<Sim>().await;
    let sim = &w.sim;
    // The request is merged: the provisioning PR opens.
    w.merge(n, "rahul-mehta").await;
    let prov = sim.repo(|r| {
        r.pulls
            .values()
            .find(|p| p.head_ref == "adoptbot/provision/fraud-distill")
            .map(|p| p.number)
            .expect("the provisioning PR")
    });
    // A person commits to the bot's branch; the next run leaves it alone and says so.
    let human = sim.repo(|r| {
        r.commit(
            "adoptbot/provision/fraud-distill",
            "Widen the subnet",
            "ivan.novak@contoso.com",
            &[(
                "infra/experiments/fraud-distill/NOTES.md",
                Some("by hand\n"),
            )],
        )
    });
    // Someone with write access asks for it to be rendered again.
    let applied = w.comment(prov, "rahul-mehta", "/adoptbot rerender").await;
    assert!(
        applied
            .writes
            .iter()
            .any(|w| w.kind == WriteKind::Push && w.key == "adoptbot/provision/fraud-distill"),
        "{applied:?}"
    );
    let (head, message, has_notes) = sim.repo(|r| {
        let head = r.head("adoptbot/provision/fraud-distill");
        let message = r.commits[&head].message.clone();
        let has = r
            .tree_of(&head)
            .unwrap()
            .contains_key("infra/experiments/fraud-distill/NOTES.md");
        (head, message, has)
    });
    assert_ne!(head, human);
    assert!(message.contains("Adoptbot-Fingerprint:"), "{message}");
    assert!(!has_notes, "the branch holds the blueprint's output again");
    let said = w.bot_comments(prov).await;
    let notice: Vec<&String> = said
        .iter()
        .filter(|c| c.contains("adoptbot:human-edit/"))
        .collect();
    assert_eq!(notice.len(), 1, "the notice is updated in place: {said:#?}");
    assert!(
        notice[0].contains(&human[..7]) && notice[0].contains("ivan.novak@contoso.com"),
        "the replaced commit is named: {}",
        notice[0]
    );
    w.finish();
}
