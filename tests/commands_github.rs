//! Slash commands in PR comments against the GitHub simulator, through the real adapter:
//! honoured only from people with write access (asked of GitHub's collaborator-permission
//! endpoint), one polite refusal for anyone else, `recheck`, `renew` within the allowed
//! renewals, and `rerender` over a person's commits. Every command is replayed and writes
//! nothing the second time.

mod common;
mod github_sim;

use adoptbot::forge::Forge;
use adoptbot::forge::github::GitHub;
use adoptbot::model::Clock;
use adoptbot::model::event::{CommentInfo, Event, PrAction, RepoInfo, User};
use adoptbot::runners::outcome::{Applied, Subject, WriteKind};
use adoptbot::runners::reconcile::run as handle;
use github_sim::GitHubSim;

const REQUEST: &str = "title: Fraud rules distillation\nteam: fraud-analytics\nowner: ivan-novak\nhypothesis: A distilled model catches 95% of what the rules catch.\nsuccess_criteria:\n  - { metric: recall_vs_rules, comparator: \">=\", target: 0.95 }\nnext_step: Shadow-run it next to the rules engine.\ntime_box: 2w\ncost_cap: 1500 USD\ncost_tag: exp-fraud-distill\nblueprint: azure-openai\nparameters:\n  location: swedencentral\n  chat_model: gpt-4o-mini\n  expected_monthly_token_spend_usd: 300\n  address_space: 10.63.8.0/24\n  endpoint_subnet: 10.63.8.0/27\n";

const REFUSAL: &str = "only from people with write access";

fn repo_info() -> RepoInfo {
    RepoInfo {
        full_name: "contoso/adoption".into(),
        default_branch: "main".into(),
    }
}

/// The simulator with Contoso on `main`, the request PR of `fraud-distill` open, and people
/// with every kind of access.
async fn setup() -> (GitHubSim, GitHub, u64) {
    let sim = GitHubSim::contoso().await;
    let n = sim.repo(|r| {
        for (login, role) in [
            ("grace-mensah", "write"),
            ("rahul-mehta", "maintain"),
            ("akira-kimura", "admin"),
            ("tina-triage", "triage"),
            ("mallory", "read"),
        ] {
            r.set_role(login, role);
        }
        r.set_custom_role("sam-reviewer", "ai-reviewer", "write");
        r.add_user("ivan-novak");
        let base = r.head("main");
        r.branches.insert("request/fraud-distill".into(), base);
        r.commit(
            "request/fraud-distill",
            "Request fraud-distill",
            "ivan.novak@contoso.com",
            &[("experiments/fraud-distill.yaml", Some(REQUEST))],
        );
        r.open_pull(
            "request/fraud-distill",
            "main",
            "Experiment: fraud rules distillation",
            "",
            "ivan-novak",
        )
    });
    let gh = sim.adapter();
    (sim, gh, n)
}

/// `who` comments `body` on `issue`, and adoptbot handles the event.
async fn say(sim: &GitHubSim, issue: u64, who: &str, body: &str) -> Event {
    let (id, user_id) = sim.repo(|r| (r.add_comment(issue, who, body), r.user_id(who)));
    let user = User {
        login: who.into(),
        id: user_id,
    };
    Event::IssueComment {
        issue,
        on_pull: true,
        comment: CommentInfo {
            id,
            user: user.clone(),
            body: body.into(),
        },
        repo: repo_info(),
        sender: user,
    }
}

async fn on(gh: &GitHub, event: &Event) -> Applied {
    handle(gh, event, Clock::at(common::date("2026-11-27")))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Handles `event` again and asserts that nothing is written.
async fn replay_writes_nothing(sim: &GitHubSim, gh: &GitHub, event: &Event) {
    let before = sim.writes();
    let again = on(gh, event).await;
    assert!(again.writes.is_empty(), "{again:?}");
    assert_eq!(sim.writes(), before, "a replay made no request that writes");
}

fn bot_comments(sim: &GitHubSim, issue: u64) -> Vec<String> {
    let actor = sim.options().actor;
    sim.repo(|r| {
        r.comments
            .iter()
            .filter(|c| c.issue == issue && c.author == actor)
            .map(|c| c.body.clone())
            .collect()
    })
}

#[tokio::test]
async fn a_command_from_someone_without_write_access_gets_one_polite_refusal() {
    let (sim, gh, n) = setup().await;
    let asked = say(&sim, n, "mallory", "/adoptbot recheck").await;
    let applied = on(&gh, &asked).await;
    assert_eq!(applied.writes.len(), 1, "{applied:?}");
    let said = bot_comments(&sim, n);
    assert_eq!(said.len(), 1);
    assert!(
        said[0].starts_with("@mallory: thank you") && said[0].contains(REFUSAL),
        "{}",
        said[0]
    );
    insta::assert_snapshot!("command_refusal", common::stable(&said[0]));
    assert_eq!(
        sim.count("POST", "/repos/*/check-runs"),
        0,
        "nothing was checked for a refused command"
    );
    replay_writes_nothing(&sim, &gh, &asked).await;

    // Trying again, with another command, gets no second refusal.
    let again = say(
        &sim,
        n,
        "mallory",
        "/adoptbot renew 4w care-call-summarisation",
    )
    .await;
    let applied = on(&gh, &again).await;
    assert!(applied.writes.is_empty(), "{applied:?}");
    assert_eq!(bot_comments(&sim, n).len(), 1);
    assert!(sim.repo(|r| {
        r.pulls
            .values()
            .all(|p| !p.head_ref.starts_with("adoptbot/"))
    }));

    // Triage is not write access either; the author of the PR without access neither.
    for who in ["tina-triage", "ivan-novak"] {
        let asked = say(&sim, n, who, "/adoptbot rerender").await;
        on(&gh, &asked).await;
    }
    let said = bot_comments(&sim, n);
    assert_eq!(said.len(), 3, "one refusal per person: {said:#?}");
    assert!(said[1].starts_with("@tina-triage:") && said[1].contains(REFUSAL));
    assert!(said[2].starts_with("@ivan-novak:") && said[2].contains(REFUSAL));

    // A custom role whose base is write is write access.
    let asked = say(&sim, n, "sam-reviewer", "/adoptbot recheck").await;
    let applied = on(&gh, &asked).await;
    assert!(
        applied.writes.iter().any(|w| matches!(
            w.kind,
            WriteKind::CreateCheck | WriteKind::UpdateCheck
        ) && w.key == "adoptbot/experiment"),
        "{applied:?}"
    );
    // adoptbot's own comments are never commands, whatever they say.
    let own = say(&sim, n, &sim.options().actor, "/adoptbot recheck").await;
    assert!(on(&gh, &own).await.writes.is_empty());
    sim.finish();
}

#[tokio::test]
async fn recheck_from_a_writer_evaluates_the_pr_and_replays_quietly() {
    let (sim, gh, n) = setup().await;
    let asked = say(&sim, n, "rahul-mehta", "Looks right.\n\n/adoptbot recheck").await;
    let applied = on(&gh, &asked).await;
    assert!(
        applied
            .writes
            .iter()
            .any(|w| w.kind == WriteKind::CreateComment && w.subject == Subject::Issue(n)),
        "{applied:?}"
    );
    let head = gh.pull(n).await.unwrap().head_sha;
    let checks = gh.check_runs(&head).await.unwrap();
    assert!(
        checks.iter().any(|c| c.name == "adoptbot/experiment"),
        "{checks:?}"
    );
    assert_eq!(
        bot_comments(&sim, n).len(),
        1,
        "the request comment, no reply"
    );
    replay_writes_nothing(&sim, &gh, &asked).await;

    // A command adoptbot does not know gets an answer that says what it knows.
    let wrong = say(&sim, n, "rahul-mehta", "/adoptbot deploy").await;
    on(&gh, &wrong).await;
    let said = bot_comments(&sim, n);
    assert!(
        said.last()
            .unwrap()
            .contains("`/adoptbot deploy` is not a command")
            && said.last().unwrap().contains("/adoptbot renew 2w"),
        "{said:#?}"
    );
    replay_writes_nothing(&sim, &gh, &wrong).await;
    sim.finish();
}

#[tokio::test]
async fn renew_opens_one_renewal_pr_within_the_allowed_renewals() {
    let (sim, gh, n) = setup().await;
    let asked = say(&sim, n,
        "grace-mensah",
        "/adoptbot renew 2w platform-vllm-benchmark\nThe A100 x2 cells of the matrix are still to run.",
    )
    .await;
    let applied = on(&gh, &asked).await;
    let pr = sim.repo(|r| {
        r.pulls
            .values()
            .find(|p| {
                p.head_ref
                    .starts_with("adoptbot/renew/platform-vllm-benchmark-")
            })
            .cloned()
            .expect("a renewal PR")
    });
    assert_eq!(pr.base_ref, "main");
    assert!(
        pr.body
            .as_deref()
            .unwrap_or_default()
            .contains("renewal 2 of the 2"),
        "{:?}",
        pr.body
    );
    let text = sim.repo(|r| {
        let head = r.pull_head(&pr);
        let tree = r.tree_of(&head).unwrap();
        String::from_utf8(
            tree["experiments/platform-vllm-benchmark.yaml"]
                .content
                .clone(),
        )
        .unwrap()
    });
    let doc: adoptbot::model::Experiment = adoptbot::load::yaml::parse(
        "experiments/platform-vllm-benchmark.yaml",
        &text,
        "experiment",
    )
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
    let (labels, reviewers) = sim.repo(|r| {
        (
            r.labels.get(&pr.number).cloned().unwrap_or_default(),
            r.pulls[&pr.number].requested_reviewers.clone(),
        )
    });
    assert!(labels.contains(&"adoptbot:renew".to_string()), "{labels:?}");
    assert!(
        !reviewers.is_empty(),
        "the team's leads are asked to review"
    );
    let said = bot_comments(&sim, n);
    assert!(
        said.last().unwrap().starts_with(&format!(
            "@grace-mensah: #{} renews `platform-vllm-benchmark` by 2w",
            pr.number
        )),
        "{said:#?}"
    );
    insta::assert_snapshot!(
        "renewal_pr_body",
        common::stable(pr.body.as_deref().unwrap_or_default())
    );
    insta::assert_snapshot!("renewal_answer", common::stable(said.last().unwrap()));
    assert!(applied.writes.len() >= 3, "{applied:?}");
    replay_writes_nothing(&sim, &gh, &asked).await;

    // Merged, the experiment has had the two renewals the framework allows: a third is refused.
    sim.repo(|r| r.merge_pull(pr.number));
    let third = say(
        &sim,
        n,
        "grace-mensah",
        "/adoptbot renew 2w platform-vllm-benchmark",
    )
    .await;
    let applied = on(&gh, &third).await;
    assert_eq!(applied.writes.len(), 1, "only the answer: {applied:?}");
    let said = bot_comments(&sim, n);
    assert!(
        said.last()
            .unwrap()
            .contains("has had 2 renewals, and the framework allows 2"),
        "{said:#?}"
    );
    replay_writes_nothing(&sim, &gh, &third).await;

    // A request not yet running, and a duration that is not a standard time box.
    let requested = say(&sim, n, "grace-mensah", "/adoptbot renew 2w").await;
    on(&gh, &requested).await;
    assert!(
        bot_comments(&sim, n)
            .last()
            .unwrap()
            .contains("there is no experiment `fraud-distill` on `main`"),
    );
    let done = say(
        &sim,
        n,
        "grace-mensah",
        "/adoptbot renew 2w care-rag-assistant",
    )
    .await;
    on(&gh, &done).await;
    assert!(
        bot_comments(&sim, n)
            .last()
            .unwrap()
            .contains("is `completed`, and only an active experiment is renewed"),
    );
    let odd = say(
        &sim,
        n,
        "grace-mensah",
        "/adoptbot renew 3w care-call-summarisation",
    )
    .await;
    on(&gh, &odd).await;
    assert!(
        bot_comments(&sim, n)
            .last()
            .unwrap()
            .contains("`3w` is not a standard time box; use 2w or 4w"),
    );
    assert_eq!(
        sim.repo(|r| r
            .pulls
            .values()
            .filter(|p| p.head_ref.starts_with("adoptbot/renew/"))
            .count()),
        1
    );
    sim.finish();
}

#[tokio::test]
async fn rerender_renders_over_a_persons_commits_and_names_them() {
    let (sim, gh, n) = setup().await;
    // The request is merged: the provisioning PR opens.
    sim.repo(|r| r.merge_pull(n));
    on(
        &gh,
        &Event::PullRequest {
            action: PrAction::Closed,
            pull: gh.pull(n).await.unwrap(),
            repo: repo_info(),
            sender: User {
                login: "rahul-mehta".into(),
                id: 1,
            },
        },
    )
    .await;
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
    let asked = say(&sim, prov, "rahul-mehta", "/adoptbot rerender").await;
    let applied = on(&gh, &asked).await;
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
    let said = bot_comments(&sim, prov);
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
    replay_writes_nothing(&sim, &gh, &asked).await;
    sim.finish();
}
