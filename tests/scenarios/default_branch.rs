//! The default branch, on both worlds: a push to `main` (or a scheduled run) reconciles the
//! provisioning, re-render and decommission PRs of every experiment. Every trigger is
//! delivered twice and the replay writes nothing.

use crate::both_worlds;
use crate::support::gates;
use crate::support::world::World;
use adoptbot::forge::Forge;
use adoptbot::runners::outcome::{Subject, WriteKind};

async fn a_scheduled_run_brings_the_samples_backlog_up_to_date<W: World>() {
    let w = W::contoso().await;
    let backlog = w.deliver_main().await;
    assert!(
        backlog.writes.iter().any(|x| x.kind == WriteKind::OpenPull
            && x.key == "adoptbot/decommission/search-query-rewrite"),
        "{backlog:?}"
    );
    let (_, replay) = w.last_calls();
    assert_eq!(replay.writes, 0);
    assert!(
        replay.reads <= 20,
        "a scheduled run over the sample costs {} reads",
        replay.reads
    );
}

async fn a_changed_request_or_blueprint_input_opens_a_rerender_pr<W: World>() {
    let w = W::contoso().await;
    w.deliver_main().await;
    let path = "experiments/care-call-summarisation.yaml";
    let text = gates::read(path);
    assert!(
        text.contains("chat_capacity: 100"),
        "the sample's parameter moved: update this test"
    );
    let more = text.replace("chat_capacity: 100", "chat_capacity: 120");
    w.commit(
        "main",
        None,
        "aisha-bello",
        "More capacity",
        &[(path, Some(&more))],
    );
    let applied = w.deliver_main().await;
    assert!(
        applied.writes.iter().any(|x| x.kind == WriteKind::OpenPull
            && x.key == "adoptbot/rerender/care-call-summarisation"),
        "{applied:?}"
    );
    let pr = w
        .bot_pull("adoptbot/rerender/care-call-summarisation")
        .await;
    let files = w.forge().pull_files(pr.number).await.unwrap();
    assert!(
        !files.is_empty()
            && files.iter().all(|f| f
                .path
                .starts_with("infra/experiments/care-call-summarisation/")),
        "{files:?}"
    );

    // Closed unmerged, it stays closed until its inputs change again.
    w.close_pull(pr.number);
    let after_close = w.deliver_main().await;
    assert!(after_close.writes.is_empty(), "{after_close:?}");
    let even_more = text.replace("chat_capacity: 100", "chat_capacity: 140");
    w.commit(
        "main",
        None,
        "aisha-bello",
        "Even more capacity",
        &[(path, Some(&even_more))],
    );
    let reopened = w.deliver_main().await;
    assert!(
        reopened
            .writes
            .iter()
            .any(|x| x.kind == WriteKind::ReopenPull && x.subject == Subject::Issue(pr.number)),
        "{reopened:?}"
    );
}

both_worlds!(
    a_scheduled_run_brings_the_samples_backlog_up_to_date,
    a_changed_request_or_blueprint_input_opens_a_rerender_pr,
);
