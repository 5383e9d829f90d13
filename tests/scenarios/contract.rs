//! The contract of the `Forge` trait, proved by both adapters: the local forge on git2 and
//! the GitHub adapter on the simulator. Every test is generic over the world, and so over
//! its forge (`W::F: Forge`); a person's part (a commit, a pull request, a review, a team)
//! is done through the world, and every call under test through the forge. What only one
//! adapter has (pagination, retries, the GHES prefix, git2's records) is in
//! `contract::github` and `tests/forge_local.rs`.

mod github;

use crate::both_worlds;
use crate::support::gates;
use crate::support::world::{COMMAND_ROLES, World};
use adoptbot::forge::{
    CheckRunSpec, Conclusion, FileChange, FileStatus, Forge, ForgeError, Permission, PrState,
    ReviewState,
};

fn spec(name: &str, sha: &str, conclusion: Conclusion) -> CheckRunSpec {
    CheckRunSpec {
        name: name.into(),
        head_sha: sha.into(),
        conclusion,
        title: format!("{name} title"),
        summary: format!("{name} summary"),
        annotations: Vec::new(),
    }
}

fn put(path: &str, content: &str) -> FileChange {
    FileChange {
        path: path.into(),
        content: Some(content.into()),
    }
}

async fn the_default_branch_and_its_snapshot_hold_the_repository<W: World>() {
    let w = W::contoso().await;
    let f = w.forge();
    let (branch, sha) = f.default_branch().await.unwrap();
    assert_eq!(branch, "main");
    assert_eq!(sha.len(), 40, "{sha}");
    let snap = f.snapshot(&sha).await.unwrap();
    assert_eq!(
        String::from_utf8(snap.contents["adoption.yaml"].clone()).unwrap(),
        gates::read("adoption.yaml")
    );
    assert!(
        snap.contents.contains_key("teams/fraud-analytics.yaml"),
        "{:?}",
        snap.contents.keys().collect::<Vec<_>>()
    );
    // An unknown commit is not found.
    let missing = f.snapshot("0123456789abcdef0123456789abcdef01234567").await;
    assert!(
        matches!(missing, Err(ForgeError::NotFound(_))),
        "{missing:?}"
    );
}

async fn a_pull_request_reads_in_each_state_with_its_files<W: World>() {
    let w = W::contoso().await;
    let f = w.forge();
    let (_, main) = f.default_branch().await.unwrap();
    let readme = gates::read("README.md");
    let head = w.commit(
        "topic",
        Some("main"),
        "ivan-novak",
        "Change things",
        &[
            ("NEW.md", Some("new\n")),
            ("README.md", Some(&(readme + "more\n"))),
            ("phases/.gitkeep", None),
            ("adoption.yaml", None),
        ],
    );
    let n = w.open_pull("ivan-novak", "topic", "main", "A change", "Its body");
    let pull = f.pull(n).await.unwrap();
    assert_eq!(
        (
            pull.number,
            pull.title.as_str(),
            pull.body.as_str(),
            pull.state,
            pull.author.as_str(),
            pull.head_branch.as_str(),
            pull.head_sha.as_str(),
            pull.base_branch.as_str(),
            pull.base_sha.as_str(),
            pull.merge_sha.as_ref()
        ),
        (
            n,
            "A change",
            "Its body",
            PrState::Open,
            "ivan-novak",
            "topic",
            head.as_str(),
            "main",
            main.as_str(),
            None
        )
    );
    let mut files: Vec<(String, FileStatus)> = f
        .pull_files(n)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.path, c.status))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        files,
        vec![
            ("NEW.md".into(), FileStatus::Added),
            ("README.md".into(), FileStatus::Modified),
            ("adoption.yaml".into(), FileStatus::Removed),
        ]
    );

    w.merge_pull(n, "akira-kimura");
    let merged = f.pull(n).await.unwrap();
    assert_eq!(merged.state, PrState::Merged);
    let (_, main_now) = f.default_branch().await.unwrap();
    assert_eq!(merged.merge_sha.as_deref(), Some(main_now.as_str()));

    w.commit(
        "other",
        Some("main"),
        "ivan-novak",
        "Other",
        &[("X.md", Some("x\n"))],
    );
    let m = w.open_pull("ivan-novak", "other", "main", "Other", "");
    w.close_pull(m);
    let closed = f.pull(m).await.unwrap();
    assert_eq!((closed.state, closed.merge_sha), (PrState::Closed, None));
    // A number that is no pull request is not found.
    assert!(matches!(f.pull(999).await, Err(ForgeError::NotFound(_))));
}

async fn the_bots_branches_commits_and_pulls_are_its_own<W: World>() {
    let w = W::contoso().await;
    let f = w.forge();
    let (_, main) = f.default_branch().await.unwrap();
    // A new branch, then moved by a second commit on top of the first.
    let first = f
        .commit_to_branch(
            "adoptbot/provision/x",
            &main,
            "Provision x\n\nAdoptbot-Fingerprint: 1",
            &[put("infra/experiments/x/main.bicep", "// x\n")],
        )
        .await
        .unwrap();
    let second = f
        .commit_to_branch(
            "adoptbot/provision/x",
            &first,
            "Provision x again\n\nAdoptbot-Fingerprint: 2",
            &[
                put("infra/experiments/x/main.bicep", "// x, again\n"),
                put("infra/experiments/x/nested/deep.txt", "deep\n"),
            ],
        )
        .await
        .unwrap();
    assert_ne!(first, second);
    let snap = f.snapshot(&second).await.unwrap();
    assert_eq!(
        snap.contents["infra/experiments/x/main.bicep"],
        b"// x, again\n"
    );
    // A deletion.
    let third = f
        .commit_to_branch(
            "adoptbot/provision/x",
            &second,
            "Drop the nested file",
            &[FileChange {
                path: "infra/experiments/x/nested/deep.txt".into(),
                content: None,
            }],
        )
        .await
        .unwrap();
    let snap = f.snapshot(&third).await.unwrap();
    assert!(
        !snap
            .contents
            .contains_key("infra/experiments/x/nested/deep.txt")
    );
    // A person commits on the bot's branch: the commits tell who wrote what, oldest first.
    w.commit(
        "adoptbot/provision/x",
        None,
        "ivan-novak",
        "By hand",
        &[("NOTES.md", Some("by hand\n"))],
    );
    let commits = f
        .branch_commits("main", "adoptbot/provision/x")
        .await
        .unwrap();
    assert_eq!(commits.len(), 4, "{commits:?}");
    assert_eq!(commits[0].sha, first);
    assert!(commits[0].message.contains("Adoptbot-Fingerprint: 1"));
    assert_eq!(commits[2].sha, third);
    assert_eq!(commits[3].author_email, "ivan-novak@contoso.com");
    assert_ne!(commits[0].author_email, commits[3].author_email);

    // The bot's pull request: created, updated, closed and reopened, labelled, reviewers asked.
    let pull = f
        .create_pull("adoptbot/provision/x", "main", "Provision x", "Body 1")
        .await
        .unwrap();
    assert_eq!(
        (pull.state, pull.author.as_str(), pull.head_branch.as_str()),
        (PrState::Open, f.bot_login(), "adoptbot/provision/x")
    );
    f.update_pull(pull.number, "Provision x (2)", "Body 2", false)
        .await
        .unwrap();
    let read = f.pull(pull.number).await.unwrap();
    assert_eq!(
        (read.title.as_str(), read.body.as_str()),
        ("Provision x (2)", "Body 2")
    );
    w.close_pull(pull.number);
    f.update_pull(pull.number, "Provision x (3)", "Body 3", true)
        .await
        .unwrap();
    assert_eq!(f.pull(pull.number).await.unwrap().state, PrState::Open);
    f.add_labels(pull.number, &["adoptbot:provision".into()])
        .await
        .unwrap();
    assert_eq!(
        w.labels(pull.number),
        vec!["adoptbot:provision".to_string()]
    );
    f.request_reviewers(pull.number, &["rahul-mehta".into()], &[])
        .await
        .unwrap();
    assert_eq!(
        f.requested_reviewers(pull.number).await.unwrap().0,
        vec!["rahul-mehta".to_string()]
    );
    // Listed by prefix in any state, a person's pull request elsewhere never.
    w.commit(
        "topic",
        Some("main"),
        "ivan-novak",
        "Topic",
        &[("T.md", Some("t\n"))],
    );
    w.open_pull("ivan-novak", "topic", "main", "Topic", "");
    let other = f
        .commit_to_branch(
            "adoptbot/rerender/y",
            &main,
            "Rerender y",
            &[put("Y.md", "y\n")],
        )
        .await
        .unwrap();
    assert_eq!(other.len(), 40);
    let closed = f
        .create_pull("adoptbot/rerender/y", "main", "Rerender y", "")
        .await
        .unwrap();
    w.close_pull(closed.number);
    let mut listed: Vec<(String, PrState)> = f
        .pulls_by_branch_prefix("adoptbot/")
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.head_branch, p.state))
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        listed,
        vec![
            ("adoptbot/provision/x".into(), PrState::Open),
            ("adoptbot/rerender/y".into(), PrState::Closed),
        ]
    );
}

async fn comments_and_checks_are_created_listed_and_updated<W: World>() {
    let w = W::contoso().await;
    let f = w.forge();
    w.commit(
        "topic",
        Some("main"),
        "ivan-novak",
        "Topic",
        &[("T.md", Some("t\n"))],
    );
    let n = w.open_pull("ivan-novak", "topic", "main", "Topic", "");
    w.comment(n, "ivan-novak", "A person's comment").await;
    let made = f.create_comment(n, "first").await.unwrap();
    assert_eq!(
        (made.author.as_str(), made.body.as_str()),
        (f.bot_login(), "first")
    );
    f.create_comment(n, "second").await.unwrap();
    f.update_comment(made.id, "first, edited").await.unwrap();
    let listed: Vec<(String, String)> = f
        .comments(n)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.author, c.body))
        .collect();
    let bot = f.bot_login().to_string();
    assert_eq!(
        listed,
        vec![
            ("ivan-novak".into(), "A person's comment".into()),
            (bot.clone(), "first, edited".into()),
            (bot, "second".into()),
        ]
    );

    let head = f.pull(n).await.unwrap().head_sha;
    assert!(f.check_runs(&head).await.unwrap().is_empty());
    let run = f
        .create_check_run(&spec("adoptbot/experiment", &head, Conclusion::Failure))
        .await
        .unwrap();
    assert_eq!(
        (run.name.as_str(), run.head_sha.as_str(), run.conclusion),
        (
            "adoptbot/experiment",
            head.as_str(),
            Some(Conclusion::Failure)
        )
    );
    f.update_check_run(
        run.id,
        &spec("adoptbot/experiment", &head, Conclusion::Success),
    )
    .await
    .unwrap();
    f.create_check_run(&spec("adoptbot/gate (main)", &head, Conclusion::Neutral))
        .await
        .unwrap();
    let mut runs: Vec<(String, Option<Conclusion>, String)> = f
        .check_runs(&head)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.conclusion, c.title))
        .collect();
    runs.sort();
    assert_eq!(
        runs,
        vec![
            (
                "adoptbot/experiment".into(),
                Some(Conclusion::Success),
                "adoptbot/experiment title".into()
            ),
            (
                "adoptbot/gate (main)".into(),
                Some(Conclusion::Neutral),
                "adoptbot/gate (main) title".into()
            ),
        ]
    );
}

async fn reviews_show_who_reviewed_which_commit_and_leave_the_requested_list<W: World>() {
    let w = W::contoso().await;
    let f = w.forge();
    let fx = gates::gate("4-5");
    let n = w
        .open(
            gates::AUTHOR,
            "gate/4-5",
            "main",
            "Gate 4-5",
            "",
            &crate::support::changes(&fx.head),
        )
        .await;
    let (users, teams) = f.requested_reviewers(n).await.unwrap();
    assert!(users.contains(&"maria-hernandez".to_string()), "{users:?}");
    assert!(
        teams.contains(&"security-architecture".to_string()),
        "{teams:?}"
    );
    let first_head = f.pull(n).await.unwrap().head_sha;
    let a = w.add_review(n, "maria-hernandez", ReviewState::Approved);
    let b = w.add_review(n, "sofia-lindqvist", ReviewState::ChangesRequested);
    w.commit(
        "gate/4-5",
        None,
        gates::AUTHOR,
        "More",
        &[("M.md", Some("m\n"))],
    );
    let new_head = f.pull(n).await.unwrap().head_sha;
    let c = w.add_review(n, "sofia-lindqvist", ReviewState::Commented);
    w.dismiss_review(n, a);
    let reviews = f.reviews(n).await.unwrap();
    let maria = f.user("maria-hernandez").await.unwrap();
    let seen: Vec<(u64, String, u64, ReviewState, String)> = reviews
        .iter()
        .map(|r| {
            (
                r.id,
                r.user_login.clone(),
                r.user_id,
                r.state,
                r.commit_id.clone(),
            )
        })
        .collect();
    let sofia = f.user("sofia-lindqvist").await.unwrap();
    assert_eq!(
        seen,
        vec![
            (
                a,
                "maria-hernandez".into(),
                maria.id,
                ReviewState::Dismissed,
                first_head.clone()
            ),
            (
                b,
                "sofia-lindqvist".into(),
                sofia.id,
                ReviewState::ChangesRequested,
                first_head
            ),
            (
                c,
                "sofia-lindqvist".into(),
                sofia.id,
                ReviewState::Commented,
                new_head
            ),
        ]
    );
    assert!(
        reviews.iter().all(|r| r.submitted_at.is_some()),
        "{reviews:?}"
    );
    // Whoever reviewed leaves the list of those still asked.
    let (users, _) = f.requested_reviewers(n).await.unwrap();
    assert!(
        !users.contains(&"maria-hernandez".to_string())
            && !users.contains(&"sofia-lindqvist".to_string()),
        "{users:?}"
    );
}

async fn people_teams_and_permissions_read_with_their_ids<W: World>() {
    let w = W::contoso().await;
    let f = w.forge();
    w.set_team("contoso", "search", &["dave", "erin"]);
    let members = f.team_members("contoso", "search").await.unwrap();
    let mut logins: Vec<&str> = members.iter().map(|m| m.login.as_str()).collect();
    logins.sort();
    assert_eq!(logins, ["dave", "erin"]);
    for m in &members {
        assert_eq!(f.user(&m.login).await.unwrap().id, m.id, "{m:?}");
        assert!(m.id > 0);
    }
    assert!(matches!(
        f.team_members("contoso", "no-such-team").await,
        Err(ForgeError::NotFound(_))
    ));
    // A login in another case is the same person.
    let dave = f.user("DAVE").await.unwrap();
    let id = members.iter().find(|m| m.login == "dave").unwrap().id;
    assert_eq!(dave.id, id, "{dave:?}");
    // Permissions: what each role may do; someone unknown may at most read.
    w.grant_command_roles();
    for (login, permission) in COMMAND_ROLES {
        assert_eq!(f.permission(login).await.unwrap(), permission, "{login}");
    }
    let nobody = f.permission("nobody-at-all").await.unwrap();
    assert!(nobody <= Permission::Read, "{nobody:?}");
}

both_worlds!(
    the_default_branch_and_its_snapshot_hold_the_repository,
    a_pull_request_reads_in_each_state_with_its_files,
    the_bots_branches_commits_and_pulls_are_its_own,
    comments_and_checks_are_created_listed_and_updated,
    reviews_show_who_reviewed_which_commit_and_leave_the_requested_list,
    people_teams_and_permissions_read_with_their_ids,
);
