//! `/adoptbot renew`, on both worlds: one renewal PR within the renewals the framework
//! allows, the request file edited with its comments kept, and a clear answer for a third
//! renewal, a request not yet running, a completed experiment and a non-standard duration.
//! Every command is delivered twice and writes nothing the second time.

use crate::both_worlds;
use crate::command::setup;
use crate::support::{self, world::World};
use adoptbot::forge::Forge;

async fn renew_opens_one_renewal_pr_within_the_allowed_renewals<W: World>() {
    let (w, n) = setup::<W>().await;
    let applied = w
        .comment(
            n,
            "grace-mensah",
            "/adoptbot renew 2w platform-vllm-benchmark\nThe A100 x2 cells of the matrix are still to run.",
        )
        .await;
    let renewals = w
        .forge()
        .pulls_by_branch_prefix("adoptbot/renew/platform-vllm-benchmark-")
        .await
        .unwrap();
    assert_eq!(renewals.len(), 1, "{renewals:?}");
    let pr = renewals.into_iter().next().unwrap();
    assert_eq!(pr.base_branch, "main");
    assert!(pr.body.contains("renewal 2 of the 2"), "{:?}", pr.body);
    let path = "experiments/platform-vllm-benchmark.yaml";
    let snap = w.forge().snapshot(&pr.head_sha).await.unwrap();
    let text = String::from_utf8(snap.contents[path].clone()).unwrap();
    let doc: adoptbot::model::Experiment = adoptbot::load::yaml::parse(path, &text, "experiment")
        .expect("the renewed request still reads");
    assert_eq!(doc.renewals.len(), 2);
    assert_eq!(
        doc.renewals[1].reason,
        "The A100 x2 cells of the matrix are still to run."
    );
    assert!(
        text.starts_with("# yaml-language-server"),
        "the rest of the file is kept"
    );
    let labels = w.labels(pr.number);
    assert!(labels.contains(&"adoptbot:renew".to_string()), "{labels:?}");
    assert!(
        !w.requested(pr.number).await.0.is_empty(),
        "the team's leads are asked to review"
    );
    let said = w.bot_comments(n).await;
    assert!(
        said.last().unwrap().starts_with(&format!(
            "@grace-mensah: #{} renews `platform-vllm-benchmark` by 2w",
            pr.number
        )),
        "{said:#?}"
    );
    insta::assert_snapshot!("renewal_pr_body", support::stable(&pr.body));
    // The answer's marker names the comment it answers, and each forge numbers comments its
    // own way: the snapshot holds GitHub's numbering.
    if W::NAME == "github" {
        insta::assert_snapshot!("renewal_answer", support::stable(said.last().unwrap()));
    }
    assert!(applied.writes.len() >= 3, "{applied:?}");

    // Merged, the experiment has had the two renewals the framework allows: a third is refused.
    w.merge_pull(pr.number, "akira-kimura");
    let applied = w
        .comment(
            n,
            "grace-mensah",
            "/adoptbot renew 2w platform-vllm-benchmark",
        )
        .await;
    assert_eq!(applied.writes.len(), 1, "only the answer: {applied:?}");
    let said = w.bot_comments(n).await;
    assert!(
        said.last()
            .unwrap()
            .contains("has had 2 renewals, and the framework allows 2"),
        "{said:#?}"
    );

    // A request not yet running, and a duration that is not a standard time box.
    for (command, answer) in [
        (
            "/adoptbot renew 2w",
            "there is no experiment `fraud-distill` on `main`",
        ),
        (
            "/adoptbot renew 2w care-rag-assistant",
            "is `completed`, and only an active experiment is renewed",
        ),
        (
            "/adoptbot renew 3w care-call-summarisation",
            "`3w` is not a standard time box; use 2w or 4w",
        ),
    ] {
        w.comment(n, "grace-mensah", command).await;
        let said = w.bot_comments(n).await;
        assert!(said.last().unwrap().contains(answer), "{said:#?}");
    }
    assert_eq!(
        w.forge()
            .pulls_by_branch_prefix("adoptbot/renew/")
            .await
            .unwrap()
            .len(),
        1
    );
}

both_worlds!(renew_opens_one_renewal_pr_within_the_allowed_renewals);
