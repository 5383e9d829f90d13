//! The GitHub adapter against the GitHub simulator on loopback (`tests/github_sim/`): every
//! `Forge` method, pagination, the tarball snapshot, the git data API, retries and rate
//! limits, call counting, GitHub Enterprise Server's path prefix, and the token's secrecy;
//! reviews, requested reviewers, team members and users with their numeric ids.
//! Also parses payloads recorded from the real api.github.com with the adapter's own types.

use crate::support::sim::model::{File, MODE_EXECUTABLE, MODE_SYMLINK, Tree};
use crate::support::sim::{Fault, GitHubSim, Options};
use adoptbot::forge::github::{GitHub, RetryPolicy, wire};
use adoptbot::forge::{
    Annotation, AnnotationLevel, CallCount, CheckRunSpec, Conclusion, FileChange, FileStatus,
    Forge, ForgeError, Member, PrState, Review, ReviewState,
};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Retries fast, and waits at most one second in all.
fn fast() -> RetryPolicy {
    RetryPolicy {
        read_attempts: 3,
        backoff: Duration::from_millis(10),
        max_wait: Duration::from_secs(1),
    }
}

fn adapter(sim: &GitHubSim) -> GitHub {
    let o = sim.options();
    GitHub::new(
        &sim.api_url(),
        SecretString::from(o.token),
        &o.owner,
        &o.repo,
        &o.actor,
    )
    .expect("adapter")
    .with_retry_policy(fast())
}

fn calls(reads: u32, writes: u32) -> CallCount {
    CallCount { reads, writes }
}

/// A simulator whose `main` has one commit of a small adoption repository.
async fn seeded() -> (GitHubSim, String) {
    let sim = GitHubSim::start().await;
    let sha = sim.repo(|r| {
        r.commit(
            "main",
            "Initial commit",
            "alice@example.com",
            &[
                ("adoption.yaml", Some("organisation: Contoso\nphase: 1\n")),
                ("teams/platform.yaml", Some("name: platform\n")),
                ("README.md", Some("# Adoption\n")),
            ],
        )
    });
    (sim, sha)
}

fn spec(name: &str, sha: &str, annotations: usize) -> CheckRunSpec {
    CheckRunSpec {
        name: name.into(),
        head_sha: sha.into(),
        conclusion: Conclusion::Failure,
        title: "2 problems".into(),
        summary: "Gate 1 is not ready".into(),
        annotations: (0..annotations)
            .map(|i| Annotation {
                path: "adoption.yaml".into(),
                start_line: i as u32 + 1,
                end_line: i as u32 + 1,
                level: AnnotationLevel::Warning,
                title: format!("problem {i}"),
                message: "say what to write instead".into(),
            })
            .collect(),
    }
}

#[tokio::test]
async fn default_branch_is_two_reads() {
    let (sim, sha) = seeded().await;
    let gh = adapter(&sim);
    assert_eq!(gh.default_branch().await.unwrap(), ("main".into(), sha));
    assert_eq!(gh.calls(), calls(2, 0));
    assert_eq!(sim.count("GET", "/repos/octo-org/adoption"), 1);
    assert_eq!(
        sim.count("GET", "/repos/octo-org/adoption/git/ref/heads/main"),
        1
    );
    assert_eq!(gh.bot_login(), "adoptbot[bot]");
    sim.finish();
}

#[tokio::test]
async fn snapshot_equals_the_same_files_read_from_a_directory() {
    let sim = GitHubSim::start().await;
    let long_dir = format!("blueprints/{}", "deep-folder-name/".repeat(8));
    let mut files: Vec<(String, String)> = vec![
        (
            "adoption.yaml".into(),
            "organisation: Contoso\nphase: 2\n".into(),
        ),
        (
            "experiments/exp-1.yaml".into(),
            "id: exp-1\nowner: alice\n".into(),
        ),
        (
            "experiments/exp-2.yaml".into(),
            "id: exp-2\n# ünïcödé\n".into(),
        ),
        ("teams/platform.yaml".into(), "name: platform\n".into()),
        ("radar/entry.yaml".into(), "ring: adopt\n".into()),
        ("README.md".into(), "# not read, only listed\n".into()),
        ("infra/main.bicep".into(), "param x string\n".into()),
        (format!("{long_dir}manifest.yaml"), "name: long\n".into()),
        (
            "scorecards/2024-05-01.yaml".into(),
            "x".repeat(1024 * 1024 + 1),
        ),
    ];
    files.sort();
    let tmp = tempfile::tempdir().unwrap();
    let mut tree = Tree::new();
    for (path, content) in &files {
        let full = tmp.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
        tree.insert(
            path.clone(),
            File {
                mode: if path.ends_with(".bicep") {
                    MODE_EXECUTABLE
                } else {
                    "100644"
                },
                content: content.as_bytes().to_vec(),
            },
        );
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../adoption.yaml", tmp.path().join("teams/link.yaml")).unwrap();
        tree.insert(
            "teams/link.yaml".into(),
            File {
                mode: MODE_SYMLINK,
                content: b"../adoption.yaml".to_vec(),
            },
        );
    }
    let sha = sim.repo(|r| r.commit_tree("main", "Seed", "alice@example.com", tree));
    let gh = adapter(&sim);

    let got = gh.snapshot(&sha).await.unwrap();
    let want = adoptbot::load::dir::read_dir(tmp.path()).unwrap();
    assert_eq!(got.paths, want.paths);
    assert_eq!(got.contents, want.contents);
    let (mut gp, mut wp) = (got.problems.clone(), want.problems.clone());
    gp.sort();
    wp.sort();
    assert_eq!(gp, wp);
    assert!(
        !gp.is_empty(),
        "the oversized scorecard and the symlink are problems"
    );
    assert_eq!(gh.calls(), calls(1, 0), "one logical call");
    assert_eq!(sim.count("GET", "/repos/octo-org/adoption/tarball/*"), 1);
    assert_eq!(
        sim.count("GET", "/codeload/*"),
        1,
        "the redirect was followed"
    );
    sim.finish();
}

#[tokio::test]
async fn snapshot_fails_clearly_past_the_size_bound_and_on_an_unknown_commit() {
    let (sim, _) = seeded().await;
    let sha = sim.repo(|r| {
        r.commit(
            "main",
            "big",
            "a@example.com",
            &[("blob.bin", Some(&"y".repeat(64 * 1024)))],
        )
    });
    let gh = adapter(&sim).with_max_tarball_bytes(16 * 1024);
    match gh.snapshot(&sha).await {
        Err(ForgeError::Other(m)) => assert!(m.contains("more than 16384 bytes"), "{m}"),
        other => panic!("{other:?}"),
    }
    let missing = "0123456789012345678901234567890123456789";
    assert!(matches!(
        gh.snapshot(missing).await,
        Err(ForgeError::NotFound(_))
    ));
    sim.finish();
}

#[tokio::test]
async fn pull_in_each_state() {
    let (sim, _) = seeded().await;
    let (open, closed, merged, merge_sha, head) = sim.repo(|r| {
        let head = r.commit("main", "base", "a@example.com", &[]);
        r.branches.insert("feature/a".into(), head.clone());
        let a = r.commit(
            "feature/a",
            "add",
            "bob@example.com",
            &[("experiments/a.yaml", Some("id: a\n"))],
        );
        r.branches.insert("feature/b".into(), head.clone());
        r.commit(
            "feature/b",
            "b",
            "bob@example.com",
            &[("experiments/b.yaml", Some("id: b\n"))],
        );
        r.branches.insert("feature/c".into(), head);
        r.commit(
            "feature/c",
            "c",
            "bob@example.com",
            &[("experiments/c.yaml", Some("id: c\n"))],
        );
        let open = r.open_pull("feature/a", "main", "Experiment A", "Please", "bob");
        r.pulls.get_mut(&open).unwrap().body = None;
        let closed = r.open_pull("feature/b", "main", "Experiment B", "", "bob");
        r.close_pull(closed);
        let merged = r.open_pull("feature/c", "main", "Experiment C", "", "carol");
        let merge_sha = r.merge_pull(merged);
        (open, closed, merged, merge_sha, a)
    });
    let gh = adapter(&sim);
    let p = gh.pull(open).await.unwrap();
    assert_eq!(p.state, PrState::Open);
    assert_eq!(p.body, "", "a null body reads as empty");
    assert_eq!(p.author, "bob");
    assert_eq!(
        (p.head_branch.as_str(), p.head_sha.as_str()),
        ("feature/a", head.as_str())
    );
    assert_eq!(p.base_branch, "main");
    assert_eq!(p.base_sha, sim.repo(|r| r.head("main")));
    assert_eq!(p.merge_sha, None);
    assert_eq!(gh.pull(closed).await.unwrap().state, PrState::Closed);
    let m = gh.pull(merged).await.unwrap();
    assert_eq!((m.state, m.merge_sha), (PrState::Merged, Some(merge_sha)));
    assert!(matches!(gh.pull(999).await, Err(ForgeError::NotFound(_))));
    assert_eq!(gh.calls(), calls(4, 0));
    sim.finish();
}

#[tokio::test]
async fn pull_files_follow_pages_and_show_renames_and_removals() {
    let (sim, _) = seeded().await;
    let number = sim.repo(|r| {
        let main = r.head("main");
        r.branches.insert("many".into(), main);
        let names: Vec<String> = (0..150)
            .map(|i| format!("experiments/e{i:03}.yaml"))
            .collect();
        let changes: Vec<(&str, Option<&str>)> = names
            .iter()
            .map(|n| (n.as_str(), Some("id: x\n")))
            .collect();
        r.commit("many", "150 experiments", "bob@example.com", &changes);
        r.commit(
            "many",
            "move and remove",
            "bob@example.com",
            &[
                ("teams/platform.yaml", None),
                ("teams/platform-team.yaml", Some("name: platform\n")),
                ("README.md", None),
                ("adoption.yaml", Some("organisation: Contoso\nphase: 2\n")),
            ],
        );
        r.open_pull("many", "main", "Many", "", "bob")
    });
    let gh = adapter(&sim);
    let files = gh.pull_files(number).await.unwrap();
    assert_eq!(files.len(), 153);
    assert_eq!(gh.calls(), calls(2, 0), "two pages of 100");
    let find = |p: &str| files.iter().find(|f| f.path == p).unwrap().clone();
    assert_eq!(find("experiments/e149.yaml").status, FileStatus::Added);
    assert_eq!(find("adoption.yaml").status, FileStatus::Modified);
    assert_eq!(find("README.md").status, FileStatus::Removed);
    let renamed = find("teams/platform-team.yaml");
    assert_eq!(renamed.status, FileStatus::Renamed);
    assert_eq!(
        renamed.previous_path.as_deref(),
        Some("teams/platform.yaml")
    );
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.query.contains("per_page=100"))
    );
    sim.finish();
}

#[tokio::test]
async fn pulls_by_branch_prefix_lists_every_page_and_skips_forks() {
    let (sim, _) = seeded().await;
    let merged = sim.repo(|r| {
        let main = r.head("main");
        for i in 0..120 {
            let branch = if i % 3 == 0 {
                format!("feature/{i}")
            } else {
                format!("adoptbot/experiment/{i}")
            };
            r.branches.insert(branch.clone(), main.clone());
            r.open_pull(&branch, "main", &format!("PR {i}"), "", "adoptbot[bot]");
        }
        r.branches.insert("adoptbot/merged".into(), main);
        r.commit(
            "adoptbot/merged",
            "x",
            "adoptbot@example.com",
            &[("infra/x.bicep", Some("x"))],
        );
        let merged = r.open_pull("adoptbot/merged", "main", "Merged", "", "adoptbot[bot]");
        r.merge_pull(merged);
        r.open_fork_pull(
            "mallory/adoption",
            "adoptbot/experiment/evil",
            "main",
            "Evil",
            "mallory",
        );
        merged
    });
    let gh = adapter(&sim);
    let pulls = gh.pulls_by_branch_prefix("adoptbot/").await.unwrap();
    assert_eq!(pulls.len(), 81, "80 open and one merged, not the fork's");
    assert!(pulls.iter().all(|p| p.head_branch.starts_with("adoptbot/")));
    assert!(pulls.windows(2).all(|w| w[0].number < w[1].number));
    assert!(!pulls.iter().any(|p| p.author == "mallory"));
    let m = pulls.iter().find(|p| p.number == merged).unwrap();
    assert_eq!(m.state, PrState::Merged);
    assert_eq!(gh.calls(), calls(2, 0), "122 pulls in two pages");
    for r in sim.requests() {
        assert!(
            r.query.contains("state=all") && r.query.contains("per_page=100"),
            "{r:?}"
        );
    }
    sim.finish();
}

#[tokio::test]
async fn branch_commits_are_oldest_first_with_their_authors() {
    let (sim, _) = seeded().await;
    let expected = sim.repo(|r| {
        let main = r.head("main");
        r.branches.insert("adoptbot/render/x".into(), main);
        let mut shas = Vec::new();
        for i in 0..130 {
            let email = if i == 129 {
                "human@example.com"
            } else {
                "adoptbot@example.com"
            };
            let path = format!("infra/f{i}.bicep");
            shas.push((
                r.commit(
                    "adoptbot/render/x",
                    &format!("commit {i}"),
                    email,
                    &[(path.as_str(), Some("x"))],
                ),
                email,
            ));
        }
        // Main moves on: its commits are not the branch's.
        r.commit(
            "main",
            "elsewhere",
            "carol@example.com",
            &[("radar/x.yaml", Some("ring: hold\n"))],
        );
        shas
    });
    let gh = adapter(&sim);
    let commits = gh
        .branch_commits("main", "adoptbot/render/x")
        .await
        .unwrap();
    assert_eq!(commits.len(), 130);
    for (c, (sha, email)) in commits.iter().zip(&expected) {
        assert_eq!((&c.sha, c.author_email.as_str()), (sha, *email));
    }
    assert_eq!(commits[0].message, "commit 0");
    assert_eq!(gh.calls(), calls(2, 0));
    assert!(gh.branch_commits("main", "main").await.unwrap().is_empty());
    assert!(matches!(
        gh.branch_commits("main", "no-such-branch").await,
        Err(ForgeError::NotFound(_))
    ));
    sim.finish();
}

#[tokio::test]
async fn comments_are_listed_created_and_updated() {
    let (sim, _) = seeded().await;
    let issue = sim.repo(|r| {
        let n = r.add_issue();
        for i in 0..120 {
            r.add_comment(
                n,
                if i == 0 { "alice" } else { "bob" },
                &format!("comment {i}"),
            );
        }
        n
    });
    let gh = adapter(&sim);
    let comments = gh.comments(issue).await.unwrap();
    assert_eq!(comments.len(), 120);
    assert_eq!(
        (comments[0].author.as_str(), comments[0].body.as_str()),
        ("alice", "comment 0")
    );
    assert_eq!(comments[119].body, "comment 119");
    assert_eq!(gh.calls(), calls(2, 0));

    let created = gh
        .create_comment(issue, "<!-- adoptbot -->\nDashboard")
        .await
        .unwrap();
    assert_eq!(created.author, "adoptbot[bot]");
    assert_eq!(created.body, "<!-- adoptbot -->\nDashboard");
    gh.update_comment(created.id, "<!-- adoptbot -->\nDashboard v2")
        .await
        .unwrap();
    let last = gh.comments(issue).await.unwrap().pop().unwrap();
    assert_eq!(
        (last.id, last.body.as_str()),
        (created.id, "<!-- adoptbot -->\nDashboard v2")
    );
    assert_eq!(gh.calls(), calls(4, 2));
    assert!(matches!(
        gh.update_comment(1, "x").await,
        Err(ForgeError::NotFound(_))
    ));
    assert!(matches!(
        gh.create_comment(9999, "x").await,
        Err(ForgeError::NotFound(_))
    ));
    sim.finish();
}

#[tokio::test]
async fn check_runs_carry_every_annotation_in_requests_of_fifty() {
    let (sim, sha) = seeded().await;
    let gh = adapter(&sim);
    let created = gh
        .create_check_run(&spec("adoptbot/gate", &sha, 120))
        .await
        .unwrap();
    assert_eq!(created.name, "adoptbot/gate");
    assert_eq!(created.conclusion, Some(Conclusion::Failure));
    assert_eq!(created.title, "2 problems");
    assert_eq!(
        gh.calls(),
        calls(0, 3),
        "one POST and two PATCHes: 50 + 50 + 20"
    );
    let stored = sim.repo(|r| {
        r.check_runs
            .iter()
            .find(|c| c.id == created.id)
            .unwrap()
            .clone()
    });
    assert_eq!(stored.annotations.len(), 120);
    assert_eq!(stored.annotations[119]["title"], "problem 119");

    let mut passing = spec("adoptbot/gate", &sha, 0);
    passing.conclusion = Conclusion::Success;
    passing.title = "Ready".into();
    gh.update_check_run(created.id, &passing).await.unwrap();
    assert_eq!(gh.calls(), calls(0, 4));
    let runs = gh.check_runs(&sha).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].id, created.id);
    assert_eq!(runs[0].conclusion, Some(Conclusion::Success));
    assert_eq!(
        (runs[0].title.as_str(), runs[0].head_sha.as_str()),
        ("Ready", sha.as_str())
    );
    assert!(matches!(
        gh.update_check_run(1, &passing).await,
        Err(ForgeError::NotFound(_))
    ));
    sim.finish();
}

#[tokio::test]
async fn check_runs_follow_pages() {
    let (sim, sha) = seeded().await;
    sim.repo(|r| {
        for i in 0..110 {
            let conclusion = [
                "success",
                "failure",
                "neutral",
                "action_required",
                "skipped",
                "cancelled",
            ][i % 6];
            r.add_check_run(&sha, &format!("ci/{i}"), Some(conclusion), "t");
        }
        r.add_check_run(&sha, "ci/pending", None, "t");
    });
    let gh = adapter(&sim);
    let runs = gh.check_runs(&sha).await.unwrap();
    assert_eq!(runs.len(), 111);
    let by = |n: &str| runs.iter().find(|r| r.name == n).unwrap().conclusion;
    assert_eq!(by("ci/0"), Some(Conclusion::Success));
    assert_eq!(by("ci/3"), Some(Conclusion::ActionRequired));
    assert_eq!(by("ci/4"), Some(Conclusion::Neutral));
    assert_eq!(by("ci/5"), Some(Conclusion::Failure));
    assert_eq!(by("ci/pending"), None);
    assert_eq!(gh.calls(), calls(2, 0));
    sim.finish();
}

#[tokio::test]
async fn commit_to_branch_creates_then_moves_a_branch() {
    let (sim, base) = seeded().await;
    let gh = adapter(&sim);
    let files = vec![
        FileChange {
            path: "infra/exp-1/main.bicep".into(),
            content: Some("// generated by adoptbot\n".into()),
        },
        FileChange {
            path: "README.md".into(),
            content: None,
        },
    ];
    let first = gh
        .commit_to_branch("adoptbot/provision/exp-1", &base, "Provision exp-1", &files)
        .await
        .unwrap();
    assert_eq!(
        gh.calls(),
        calls(1, 4),
        "commit, tree, commit, PATCH (422), POST ref"
    );
    assert_eq!(
        sim.count("PATCH", "/repos/*/git/refs/heads/adoptbot/provision/exp-1"),
        1
    );
    assert_eq!(sim.count("POST", "/repos/*/git/refs"), 1);
    sim.repo(|r| {
        assert_eq!(r.head("adoptbot/provision/exp-1"), first);
        assert_eq!(r.head("main"), base, "the parent's branch did not move");
        let c = &r.commits[&first];
        assert_eq!(
            (c.parents.clone(), c.message.as_str()),
            (vec![base.clone()], "Provision exp-1")
        );
        let tree = r.tree_of(&first).unwrap();
        let paths: Vec<&str> = tree.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "adoption.yaml",
                "infra/exp-1/main.bicep",
                "teams/platform.yaml"
            ]
        );
    });

    // Move it: force, on top of the first commit, changing and deleting.
    let second = gh
        .commit_to_branch(
            "adoptbot/provision/exp-1",
            &first,
            "Re-render exp-1",
            &[
                FileChange {
                    path: "infra/exp-1/main.bicep".into(),
                    content: Some("// v2\n".into()),
                },
                FileChange {
                    path: "teams/platform.yaml".into(),
                    content: None,
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        gh.calls(),
        calls(1, 7),
        "moving costs three writes, and no read on top of a commit the adapter made"
    );
    let snap = gh.snapshot(&second).await.unwrap();
    assert_eq!(
        snap.paths.iter().map(String::as_str).collect::<Vec<_>>(),
        ["adoption.yaml", "infra/exp-1/main.bicep"]
    );
    sim.repo(|r| {
        assert_eq!(r.head("adoptbot/provision/exp-1"), second);
        assert_eq!(
            r.tree_of(&second).unwrap()["infra/exp-1/main.bicep"].content,
            b"// v2\n"
        );
    });

    // Moving it back to an older parent works too (force), and no files reuse the tree.
    let third = gh
        .commit_to_branch("adoptbot/provision/exp-1", &base, "Reset", &[])
        .await
        .unwrap();
    assert_eq!(
        sim.repo(|r| r.commits[&third].tree.clone()),
        sim.repo(|r| r.commits[&base].tree.clone())
    );

    // Deleting a file that is not there is GitHub's 422.
    let err = gh
        .commit_to_branch(
            "adoptbot/x",
            &base,
            "m",
            &[FileChange {
                path: "nope.txt".into(),
                content: None,
            }],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ForgeError::Unprocessable(_)), "{err:?}");
    assert!(matches!(
        gh.commit_to_branch(
            "adoptbot/y",
            "0000000000000000000000000000000000000000",
            "m",
            &[]
        )
        .await,
        Err(ForgeError::NotFound(_))
    ));
    sim.finish();
}

#[tokio::test]
async fn the_bots_commits_carry_its_author_email() {
    let (sim, base) = seeded().await;
    let gh = adapter(&sim).with_commit_author("adoptbot", "adoptbot@contoso.example");
    let bot = gh
        .commit_to_branch(
            "adoptbot/render/x",
            &base,
            "Render",
            &[FileChange {
                path: "infra/x.bicep".into(),
                content: Some("x".into()),
            }],
        )
        .await
        .unwrap();
    let human = sim.repo(|r| {
        r.commit(
            "adoptbot/render/x",
            "Fix by hand",
            "dave@contoso.example",
            &[("infra/x.bicep", Some("y"))],
        )
    });
    let commits = gh
        .branch_commits("main", "adoptbot/render/x")
        .await
        .unwrap();
    let got: Vec<(&str, &str)> = commits
        .iter()
        .map(|c| (c.sha.as_str(), c.author_email.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (bot.as_str(), "adoptbot@contoso.example"),
            (human.as_str(), "dave@contoso.example")
        ]
    );
    sim.finish();
}

#[tokio::test]
async fn pulls_are_created_updated_reopened_reviewed_and_labelled() {
    let (sim, base) = seeded().await;
    sim.repo(|r| {
        r.users.insert("alice".into());
        r.teams.insert("platform".into());
    });
    let gh = adapter(&sim);
    let head = gh
        .commit_to_branch(
            "adoptbot/experiment/exp-1",
            &base,
            "Request exp-1",
            &[FileChange {
                path: "experiments/exp-1.yaml".into(),
                content: Some("id: exp-1\n".into()),
            }],
        )
        .await
        .unwrap();
    let before = gh.calls();
    let pull = gh
        .create_pull(
            "adoptbot/experiment/exp-1",
            "main",
            "Provision exp-1",
            "Body",
        )
        .await
        .unwrap();
    assert_eq!(pull.state, PrState::Open);
    assert_eq!(pull.author, "adoptbot[bot]");
    assert_eq!(
        (pull.head_sha.as_str(), pull.base_sha.as_str()),
        (head.as_str(), base.as_str())
    );
    assert!(matches!(
        gh.create_pull("adoptbot/experiment/exp-1", "main", "Again", "")
            .await,
        Err(ForgeError::Unprocessable(_))
    ));

    gh.update_pull(pull.number, "Provision exp-1 (v2)", "Body v2", false)
        .await
        .unwrap();
    sim.repo(|r| r.close_pull(pull.number));
    gh.update_pull(pull.number, "Provision exp-1 (v3)", "Body v3", true)
        .await
        .unwrap();
    let p = gh.pull(pull.number).await.unwrap();
    assert_eq!(
        (p.state, p.title.as_str(), p.body.as_str()),
        (PrState::Open, "Provision exp-1 (v3)", "Body v3")
    );

    gh.request_reviewers(pull.number, &["alice".into()], &["platform".into()])
        .await
        .unwrap();
    gh.request_reviewers(pull.number, &[], &[]).await.unwrap();
    gh.add_labels(pull.number, &["adoptbot".into(), "experiment".into()])
        .await
        .unwrap();
    gh.add_labels(pull.number, &[]).await.unwrap();
    sim.repo(|r| {
        let p = &r.pulls[&pull.number];
        assert_eq!(p.requested_reviewers, ["alice"]);
        assert_eq!(p.requested_teams, ["platform"]);
        assert_eq!(r.labels[&pull.number], ["adoptbot", "experiment"]);
    });
    assert!(matches!(
        gh.request_reviewers(pull.number, &["adoptbot[bot]".into()], &[])
            .await,
        Err(ForgeError::Unprocessable(_))
    ));
    let after = gh.calls();
    assert_eq!(
        (after.reads - before.reads, after.writes - before.writes),
        (1, 7),
        "empty reviewer and label requests cost nothing"
    );
    sim.finish();
}

/// A pull request by bob from `gate` (one commit on top of `main`); returns its number and
/// its head.
fn gate_pull(sim: &GitHubSim) -> (u64, String) {
    sim.repo(|r| {
        let main = r.head("main");
        r.branches.insert("gate".into(), main);
        let head = r.commit(
            "gate",
            "Move to phase 2",
            "bob@example.com",
            &[("adoption.yaml", Some("organisation: Contoso\nphase: 2\n"))],
        );
        (r.open_pull("gate", "main", "Gate 1", "", "bob"), head)
    })
}

fn review(id: u64, login: &str, user_id: u64, state: ReviewState, commit: &str) -> Review {
    Review {
        id,
        user_login: login.into(),
        user_id,
        state,
        commit_id: commit.into(),
        submitted_at: None,
    }
}

#[tokio::test]
async fn reviews_are_oldest_first_with_the_reviewers_id_state_and_commit() {
    let (sim, _) = seeded().await;
    let (n, first) = gate_pull(&sim);
    let (ids, second) = sim.repo(|r| {
        let ids = [
            r.add_review(n, "alice", "APPROVED", &first),
            r.add_review(n, "carol", "CHANGES_REQUESTED", &first),
            r.add_review(n, "dave", "COMMENTED", &first),
            r.add_review(n, "erin", "PENDING", &first),
            r.add_review(n, "adoptbot[bot]", "PENDING", &first),
        ];
        let second = r.commit(
            "gate",
            "Fix the scorecard",
            "bob@example.com",
            &[("scorecards/q1.yaml", Some("ratings: {}\n"))],
        );
        let again = r.add_review(n, "alice", "APPROVED", &second);
        r.dismiss_review(n, ids[1]);
        ([ids[0], ids[1], ids[2], ids[4], again], second)
    });
    let uid = |login: &str| sim.repo(|r| r.user_id(login));
    let gh = adapter(&sim);
    let mut got = gh.reviews(n).await.unwrap();
    for r in &mut got {
        // Submitted reviews carry their time; the pending one has none.
        assert_eq!(
            r.submitted_at.is_some(),
            r.state != ReviewState::Pending,
            "{r:?}"
        );
        r.submitted_at = None;
    }
    assert_eq!(
        got,
        [
            review(ids[0], "alice", uid("alice"), ReviewState::Approved, &first),
            review(
                ids[1],
                "carol",
                uid("carol"),
                ReviewState::Dismissed,
                &first
            ),
            review(ids[2], "dave", uid("dave"), ReviewState::Commented, &first),
            review(
                ids[3],
                "adoptbot[bot]",
                uid("adoptbot[bot]"),
                ReviewState::Pending,
                &first
            ),
            review(
                ids[4],
                "alice",
                uid("alice"),
                ReviewState::Approved,
                &second
            ),
        ],
        "erin's pending review is hers alone; the bot sees its own"
    );
    assert_ne!(uid("alice"), uid("carol"));
    assert_eq!(gh.calls(), calls(1, 0));
    assert_eq!(
        sim.count(
            "GET",
            &format!("/repos/octo-org/adoption/pulls/{n}/reviews")
        ),
        1
    );
    assert_eq!(sim.requests()[0].query, "per_page=100");

    // A renamed account keeps its id, and its reviews show the new login.
    let alice = uid("alice");
    sim.repo(|r| r.rename_user("alice", "alice-liddell"));
    let got = gh.reviews(n).await.unwrap();
    assert_eq!(
        (got[0].user_login.as_str(), got[0].user_id),
        ("alice-liddell", alice)
    );
    assert_ne!(
        uid("alice"),
        alice,
        "whoever takes the old login is someone else"
    );

    let missing = gh.reviews(999).await;
    assert!(
        matches!(missing, Err(ForgeError::NotFound(_))),
        "{missing:?}"
    );
    assert_eq!(gh.calls(), calls(3, 0), "a 404 is not retried");
    sim.finish();
}

#[tokio::test]
async fn reviews_follow_pages() {
    let (sim, _) = seeded().await;
    let (n, head) = gate_pull(&sim);
    sim.repo(|r| {
        for i in 0..250 {
            let state = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED"][i % 3];
            r.add_review(n, &format!("reviewer-{i}"), state, &head);
        }
    });
    let gh = adapter(&sim);
    let got = gh.reviews(n).await.unwrap();
    assert_eq!(got.len(), 250);
    assert_eq!(got[0].user_login, "reviewer-0");
    assert_eq!(got[249].user_login, "reviewer-249");
    assert!(got.windows(2).all(|w| w[0].id < w[1].id), "oldest first");
    assert_eq!(got[1].state, ReviewState::ChangesRequested);
    assert_eq!(gh.calls(), calls(3, 0), "one read per 100 reviews");
    let queries: Vec<String> = sim.requests().into_iter().map(|r| r.query).collect();
    assert_eq!(
        queries,
        ["per_page=100", "per_page=100&page=2", "per_page=100&page=3"]
    );
    sim.finish();
}

#[tokio::test]
async fn requested_reviewers_are_users_and_teams_still_asked() {
    let (sim, _) = seeded().await;
    let (n, head) = gate_pull(&sim);
    sim.repo(|r| {
        r.add_user("alice");
        r.add_user("carol");
        r.set_team("octo-org", "platform", &["dave"]);
    });
    let gh = adapter(&sim);
    assert_eq!(gh.requested_reviewers(n).await.unwrap(), (vec![], vec![]));
    gh.request_reviewers(n, &["alice".into(), "carol".into()], &["platform".into()])
        .await
        .unwrap();
    assert_eq!(
        gh.requested_reviewers(n).await.unwrap(),
        (
            vec!["alice".to_string(), "carol".to_string()],
            vec!["platform".to_string()]
        )
    );
    sim.repo(|r| r.add_review(n, "alice", "APPROVED", &head));
    assert_eq!(
        gh.requested_reviewers(n).await.unwrap(),
        (vec!["carol".to_string()], vec!["platform".to_string()]),
        "whoever reviewed is no longer asked"
    );
    assert_eq!(gh.calls(), calls(3, 1));
    assert_eq!(
        sim.count(
            "GET",
            &format!("/repos/octo-org/adoption/pulls/{n}/requested_reviewers")
        ),
        3
    );
    let missing = gh.requested_reviewers(999).await;
    assert!(
        matches!(missing, Err(ForgeError::NotFound(_))),
        "{missing:?}"
    );
    sim.finish();
}

#[tokio::test]
async fn team_members_follow_pages_with_their_ids() {
    let (sim, _) = seeded().await;
    let logins: Vec<String> = (0..230).map(|i| format!("member-{i:03}")).collect();
    let ids = sim.repo(|r| {
        let logins: Vec<&str> = logins.iter().map(String::as_str).collect();
        r.set_team("octo-org", "gate-approvers", &logins)
    });
    sim.repo(|r| r.set_team("Other-Org", "Security", &["sam"]));
    let gh = adapter(&sim);
    let members = gh.team_members("octo-org", "gate-approvers").await.unwrap();
    let want: Vec<Member> = logins
        .iter()
        .zip(&ids)
        .map(|(login, id)| Member {
            login: login.clone(),
            id: *id,
        })
        .collect();
    assert_eq!(members, want);
    assert_eq!(gh.calls(), calls(3, 0), "one read per 100 members");
    assert_eq!(
        sim.count("GET", "/orgs/octo-org/teams/gate-approvers/members"),
        3,
        "the next pages' /organizations/{{id}}/team/{{id}} links lead back to the team"
    );
    let sam = sim.repo(|r| r.user_id("sam"));
    assert_eq!(
        gh.team_members("other-org", "security").await.unwrap(),
        [Member {
            login: "sam".into(),
            id: sam
        }],
        "a team of another organisation, named in any case"
    );
    sim.repo(|r| r.set_team("octo-org", "empty", &[]));
    assert!(
        gh.team_members("octo-org", "empty")
            .await
            .unwrap()
            .is_empty()
    );
    sim.finish();
}

#[tokio::test]
async fn a_team_the_token_cannot_see_names_the_team_and_read_org() {
    let (sim, _) = seeded().await;
    sim.repo(|r| r.set_team("octo-org", "platform", &["alice"]));
    let gh = adapter(&sim);
    let err = gh.team_members("octo-org", "ghosts").await.unwrap_err();
    let ForgeError::NotFound(message) = &err else {
        panic!("expected NotFound, got {err:?}")
    };
    assert!(message.contains("`octo-org/ghosts`"), "{message}");
    assert!(message.contains("read:org"), "{message}");
    assert!(message.contains("404"), "{message}");
    assert_eq!(gh.calls(), calls(1, 0), "a 404 is not retried");

    // An organisation that refuses the token says the same.
    sim.fail_next(
        "GET",
        "/orgs/octo-org/teams/platform/members",
        1,
        Fault::Status(403),
    );
    let err = gh.team_members("octo-org", "platform").await.unwrap_err();
    assert!(
        matches!(&err, ForgeError::Forbidden(m) if m.contains("read:org") && m.contains("octo-org/platform")),
        "{err:?}"
    );
    sim.finish();
}

#[tokio::test]
async fn users_are_found_by_login_with_the_ids_reviews_and_teams_show() {
    let (sim, _) = seeded().await;
    let (n, head) = gate_pull(&sim);
    let (alice, bot) = sim.repo(|r| {
        r.set_team("octo-org", "gate-approvers", &["alice", "carol"]);
        r.add_review(n, "alice", "APPROVED", &head);
        r.users.insert("dave".into());
        (r.user_id("alice"), r.add_user("renovate[bot]"))
    });
    let gh = adapter(&sim);
    let member = |login: &str, id: u64| Member {
        login: login.into(),
        id,
    };
    assert_eq!(gh.user("alice").await.unwrap(), member("alice", alice));
    assert_eq!(
        gh.user("ALICE").await.unwrap(),
        member("alice", alice),
        "any case; the login as the account spells it"
    );
    assert_eq!(gh.reviews(n).await.unwrap()[0].user_id, alice);
    let team = gh.team_members("octo-org", "gate-approvers").await.unwrap();
    assert_eq!(gh.user("carol").await.unwrap(), team[1]);
    let dave = sim.repo(|r| r.user_id("dave"));
    assert_eq!(
        gh.user("dave").await.unwrap(),
        member("dave", dave),
        "a collaborator"
    );
    assert_eq!(
        gh.user("renovate[bot]").await.unwrap(),
        member("renovate[bot]", bot)
    );
    assert_eq!(gh.calls(), calls(7, 0), "one read per user");
    assert_eq!(sim.count("GET", "/users/*"), 5);
    assert_eq!(
        sim.count("GET", "/users/renovate%5Bbot%5D"),
        1,
        "the login is percent-encoded"
    );
    sim.finish();
}

#[tokio::test]
async fn an_unknown_user_is_not_found_and_names_the_login() {
    let (sim, _) = seeded().await;
    let gh = adapter(&sim);
    let err = gh.user("nobody-here").await.unwrap_err();
    let ForgeError::NotFound(message) = &err else {
        panic!("expected NotFound, got {err:?}")
    };
    assert!(message.contains("`nobody-here`"), "{message}");
    assert!(message.contains("404"), "{message}");
    assert_eq!(gh.calls(), calls(1, 0), "a 404 is not retried");
    assert_eq!(sim.count("GET", "/users/nobody-here"), 1);

    // An empty login is not asked for: `GET /users/` would list everyone.
    let err = gh.user("").await.unwrap_err();
    assert!(matches!(&err, ForgeError::NotFound(_)), "{err:?}");
    assert_eq!(gh.calls(), calls(1, 0));

    // A 5xx is retried like any read.
    sim.repo(|r| r.add_user("alice"));
    sim.fail_next("GET", "/users/alice", 1, Fault::ServerError);
    assert_eq!(gh.user("alice").await.unwrap().login, "alice");
    assert_eq!(gh.calls(), calls(3, 0));
    sim.finish();
}

#[tokio::test]
async fn a_renamed_user_keeps_its_id_under_the_new_login() {
    let (sim, _) = seeded().await;
    let (n, head) = gate_pull(&sim);
    let alice = sim.repo(|r| {
        r.set_team("octo-org", "gate-approvers", &["alice"]);
        r.add_review(n, "alice", "APPROVED", &head);
        r.user_id("alice")
    });
    let gh = adapter(&sim);
    assert_eq!(gh.user("alice").await.unwrap().id, alice);
    sim.repo(|r| r.rename_user("alice", "alice-liddell"));
    let renamed = gh.user("alice-liddell").await.unwrap();
    assert_eq!(
        renamed,
        Member {
            login: "alice-liddell".into(),
            id: alice
        }
    );
    assert_eq!(gh.reviews(n).await.unwrap()[0].user_id, renamed.id);
    assert_eq!(
        gh.team_members("octo-org", "gate-approvers").await.unwrap(),
        [renamed]
    );
    let old = gh.user("alice").await;
    assert!(
        matches!(&old, Err(ForgeError::NotFound(m)) if m.contains("`alice`")),
        "the old login finds nobody: {old:?}"
    );
    // Whoever takes the old login is someone else.
    let newcomer = sim.repo(|r| r.add_user("alice"));
    assert_ne!(newcomer, alice);
    assert_eq!(gh.user("alice").await.unwrap().id, newcomer);
    assert_eq!(gh.calls(), calls(6, 0));
    sim.finish();
}

#[test]
fn review_states_read_both_spellings() {
    for (rest, hook, state) in [
        ("APPROVED", "approved", ReviewState::Approved),
        (
            "CHANGES_REQUESTED",
            "changes_requested",
            ReviewState::ChangesRequested,
        ),
        ("COMMENTED", "commented", ReviewState::Commented),
        ("DISMISSED", "dismissed", ReviewState::Dismissed),
        ("PENDING", "pending", ReviewState::Pending),
    ] {
        assert_eq!(ReviewState::from_github(rest), Some(state));
        assert_eq!(ReviewState::from_github(hook), Some(state));
        assert_eq!(state.github_name(), rest);
        assert_eq!(serde_json::to_value(state).unwrap(), hook);
    }
    assert_eq!(ReviewState::from_github("LGTM"), None);

    // A deleted reviewer, a collected commit and a state GitHub may add approve nothing.
    let review: wire::Review = serde_json::from_value(serde_json::json!({
        "id": 7, "user": null, "state": "SOMETHING_NEW", "commit_id": null,
    }))
    .unwrap();
    assert_eq!(
        review.into_forge(),
        Review {
            id: 7,
            user_login: "ghost".into(),
            user_id: 0,
            state: ReviewState::Commented,
            commit_id: String::new(),
            submitted_at: None,
        }
    );
}

#[test]
fn real_review_payloads_parse() {
    for (name, state) in [
        ("pull_request_review.submitted.json", ReviewState::Commented),
        ("pull_request_review.dismissed.json", ReviewState::Dismissed),
    ] {
        let path = format!(
            "{}/tests/fixtures/webhooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let payload: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let review: wire::Review = serde_json::from_value(payload["review"].clone()).unwrap();
        let review = review.into_forge();
        assert_eq!(review.state, state, "{name}");
        assert_eq!(
            (review.user_login.as_str(), review.user_id),
            ("Codertocat", 21031067)
        );
        assert_eq!(review.commit_id, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
    }
}

#[tokio::test]
async fn a_read_that_fails_with_500_is_retried() {
    let (sim, _) = seeded().await;
    sim.fail_next("GET", "/repos/octo-org/adoption", 1, Fault::ServerError);
    let gh = adapter(&sim);
    assert_eq!(gh.default_branch().await.unwrap().0, "main");
    assert_eq!(gh.calls(), calls(3, 0), "each attempt counts");
    assert_eq!(sim.count("GET", "/repos/octo-org/adoption"), 2);
    sim.finish();
}

#[tokio::test]
async fn a_read_that_keeps_failing_gives_up_after_its_attempts() {
    let (sim, _) = seeded().await;
    sim.fail_next("GET", "/repos/*/pulls/1", 3, Fault::ServerError);
    let gh = adapter(&sim);
    assert!(matches!(gh.pull(1).await, Err(ForgeError::Server(_))));
    assert_eq!(gh.calls(), calls(3, 0));
    sim.finish();
}

#[tokio::test]
async fn a_write_rate_limited_with_retry_after_waits_and_happens_once() {
    let (sim, _) = seeded().await;
    let issue = sim.repo(|r| r.add_issue());
    sim.fail_next(
        "POST",
        "/repos/*/issues/*/comments",
        1,
        Fault::TooManyRequests { retry_after: 1 },
    );
    let gh = adapter(&sim);
    let start = Instant::now();
    gh.create_comment(issue, "hello").await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(sim.repo(|r| r.comments.len()), 1, "the write happened once");
    assert_eq!(sim.count("POST", "/repos/*/issues/*/comments"), 2);
    assert_eq!(gh.calls(), calls(0, 2));
    sim.finish();
}

#[tokio::test]
async fn a_rate_limit_longer_than_the_allowed_wait_is_reported_without_waiting() {
    let (sim, _) = seeded().await;
    let issue = sim.repo(|r| r.add_issue());
    sim.fail_next(
        "POST",
        "/repos/*/issues/*/labels",
        1,
        Fault::SecondaryRateLimit { retry_after: None },
    );
    sim.fail_next(
        "GET",
        "/repos/*/issues/*/comments",
        1,
        Fault::PrimaryRateLimit { reset_in: 3600 },
    );
    sim.fail_next(
        "POST",
        "/repos/*/issues/*/comments",
        1,
        Fault::TooManyRequests { retry_after: 30 },
    );
    let gh = adapter(&sim);
    let start = Instant::now();
    match gh.add_labels(issue, &["x".into()]).await {
        Err(ForgeError::RateLimited {
            retry_after,
            message,
        }) => {
            assert_eq!(
                retry_after,
                Some(Duration::from_secs(60)),
                "GitHub asks for a minute"
            );
            assert!(message.contains("secondary rate limit"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match gh.comments(issue).await {
        Err(ForgeError::RateLimited {
            retry_after: Some(d),
            ..
        }) => {
            assert!(
                d > Duration::from_secs(3500) && d <= Duration::from_secs(3600),
                "{d:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        gh.create_comment(issue, "x").await,
        Err(ForgeError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(30)
    ));
    assert!(start.elapsed() < Duration::from_millis(900), "no waiting");
    assert!(sim.repo(|r| r.labels.is_empty() && r.comments.is_empty()));
    sim.finish();
}

#[tokio::test]
async fn a_secondary_rate_limit_with_retry_after_is_waited_out() {
    let (sim, sha) = seeded().await;
    sim.fail_next(
        "POST",
        "/repos/*/check-runs",
        1,
        Fault::SecondaryRateLimit {
            retry_after: Some(1),
        },
    );
    let gh = adapter(&sim);
    gh.create_check_run(&spec("adoptbot/gate", &sha, 1))
        .await
        .unwrap();
    assert_eq!(sim.repo(|r| r.check_runs.len()), 1);
    assert_eq!(gh.calls(), calls(0, 2));
    sim.finish();
}

#[tokio::test]
async fn rate_limits_that_keep_coming_end_in_rate_limited() {
    let (sim, _) = seeded().await;
    sim.fail_next(
        "GET",
        "/repos/*/pulls/1",
        2,
        Fault::TooManyRequests { retry_after: 1 },
    );
    let gh = adapter(&sim);
    assert!(matches!(
        gh.pull(1).await,
        Err(ForgeError::RateLimited { .. })
    ));
    assert_eq!(gh.calls(), calls(2, 0), "waited once (1 s), then the cap");
    sim.finish();
}

#[tokio::test]
async fn a_write_failing_with_500_is_not_retried() {
    let (sim, _) = seeded().await;
    let issue = sim.repo(|r| r.add_issue());
    sim.fail_next("POST", "/repos/*/issues/*/comments", 1, Fault::ServerError);
    let gh = adapter(&sim);
    assert!(matches!(
        gh.create_comment(issue, "x").await,
        Err(ForgeError::Server(_))
    ));
    assert_eq!(sim.count("POST", "*"), 1);
    assert_eq!(gh.calls(), calls(0, 1));
    sim.finish();
}

#[tokio::test]
async fn statuses_map_to_the_runners_errors() {
    let (sim, _) = seeded().await;
    let gh = adapter(&sim);
    for (status, check) in [
        (
            401u16,
            (|e: &ForgeError| matches!(e, ForgeError::Unauthorised(_))) as fn(&ForgeError) -> bool,
        ),
        (403, |e| matches!(e, ForgeError::Forbidden(_))),
        (404, |e| matches!(e, ForgeError::NotFound(_))),
        (409, |e| matches!(e, ForgeError::Conflict(_))),
        (422, |e| matches!(e, ForgeError::Unprocessable(_))),
        (451, |e| matches!(e, ForgeError::Unavailable(_))),
        (400, |e| matches!(e, ForgeError::Other(_))),
    ] {
        sim.fail_next("GET", "/repos/octo-org/adoption", 1, Fault::Status(status));
        let err = gh.default_branch().await.unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
    }
    sim.finish();
}

#[tokio::test]
async fn github_enterprise_server_keeps_the_api_prefix() {
    let sim = GitHubSim::start_with(Options {
        base_path: "/api/v3".into(),
        ..Options::default()
    })
    .await;
    let sha = sim.repo(|r| {
        let sha = r.commit(
            "main",
            "init",
            "a@example.com",
            &[("adoption.yaml", Some("phase: 1\n"))],
        );
        let n = r.add_issue();
        for i in 0..150 {
            r.add_comment(n, "bob", &format!("c{i}"));
        }
        sha
    });
    assert!(sim.api_url().ends_with("/api/v3"));
    let gh = adapter(&sim);
    assert_eq!(
        gh.default_branch().await.unwrap(),
        ("main".into(), sha.clone())
    );
    assert_eq!(
        gh.comments(1).await.unwrap().len(),
        150,
        "the next page keeps the prefix"
    );
    assert!(
        gh.snapshot(&sha)
            .await
            .unwrap()
            .contents
            .contains_key("adoption.yaml")
    );
    assert_eq!(gh.calls(), calls(5, 0));
    sim.finish();
}

#[tokio::test]
async fn the_token_stays_secret() {
    let (sim, _) = seeded().await;
    let token = sim.options().token;
    let gh = adapter(&sim);
    gh.default_branch().await.unwrap();
    let debug = format!("{gh:?}");
    assert!(!debug.contains(&token), "{debug}");
    assert!(debug.contains("octo-org"), "{debug}");
    sim.finish();
}

/// Collects what the logger writes.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_never_reaches_the_logs() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (sim, sha) = seeded().await;
    let token = sim.options().token;
    sim.fail_next("GET", "/repos/octo-org/adoption", 1, Fault::ServerError);
    let gh = adapter(&sim);
    gh.default_branch().await.unwrap();
    gh.snapshot(&sha).await.unwrap();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("retrying"), "the logs were captured: {text}");
    assert!(!text.contains(&token), "{text}");
    sim.finish();
}

#[tokio::test]
async fn configuration_from_the_environment() {
    let (sim, _) = seeded().await;
    let o = sim.options();
    let url = sim.api_url();
    let vars = |token: Option<&str>, repo: &str| {
        let (url, token, repo) = (url.clone(), token.map(String::from), repo.to_string());
        move |k: &str| match k {
            "GITHUB_API_URL" => Some(url.clone()),
            "GITHUB_TOKEN" => token.clone(),
            "GITHUB_REPOSITORY" => Some(repo.clone()),
            _ => None,
        }
    };
    // A token read from a file may end with a newline.
    let with_newline = format!("{}\n", o.token);
    let gh = GitHub::from_vars(
        "adoptbot[bot]",
        vars(Some(&with_newline), "octo-org/adoption"),
    )
    .unwrap();
    assert_eq!(gh.full_name(), "octo-org/adoption");
    assert_eq!(gh.default_branch().await.unwrap().0, "main");
    assert!(matches!(
        GitHub::from_vars("b", vars(None, "octo-org/adoption")),
        Err(ForgeError::Unauthorised(_))
    ));
    assert!(matches!(
        GitHub::from_vars("b", vars(Some("t"), "no-slash")),
        Err(ForgeError::Other(_))
    ));
    match GitHub::from_vars("b", vars(Some("bad token"), "o/r")) {
        Err(ForgeError::Unauthorised(m)) => assert!(!m.contains("bad token")),
        other => panic!("{other:?}"),
    }
    let default = GitHub::from_vars("b", |k| match k {
        "GITHUB_TOKEN" => Some("t".into()),
        "GITHUB_REPOSITORY" => Some("o/r".into()),
        _ => None,
    })
    .unwrap();
    assert!(format!("{default:?}").contains("https://api.github.com"));
    assert!(GitHub::new("not a url", SecretString::from("t"), "o", "r", "b").is_err());
    sim.finish();
}

#[tokio::test]
async fn the_simulator_is_strict() {
    let (sim, _) = seeded().await;
    let o = sim.options();
    // An adapter for another repository asks for what this simulator does not serve.
    let other = GitHub::new(
        &sim.api_url(),
        SecretString::from(o.token),
        "someone",
        "else",
        "b",
    )
    .unwrap()
    .with_retry_policy(RetryPolicy {
        read_attempts: 1,
        ..fast()
    });
    assert!(matches!(other.pull(1).await, Err(ForgeError::Server(_))));
    // A wrong token is refused and recorded.
    let wrong = GitHub::new(
        &sim.api_url(),
        SecretString::from("wrong"),
        &o.owner,
        &o.repo,
        "b",
    )
    .unwrap();
    assert!(matches!(
        wrong.pull(1).await,
        Err(ForgeError::Unauthorised(_))
    ));
    let failures = sim.take_failures();
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(
        failures[0].contains("not this simulator's repository"),
        "{failures:#?}"
    );

    // The schema check catches an answer that is not GitHub's shape.
    let spec = crate::support::sim::openapi::spec();
    let mut pull = sim.repo(|r| {
        let main = r.head("main");
        r.branches.insert("b".into(), main);
        let n = r.open_pull("b", "main", "t", "", "bob");
        crate::support::sim::api::pull_json(r, &r.pulls[&n], false)
    });
    assert!(
        spec.check_response("GET", "/repos/o/r/pulls/1", 200, &pull)
            .is_empty()
    );
    pull["number"] = Value::String("1".into());
    pull.as_object_mut().unwrap().remove("head");
    pull["state"] = Value::String("merged".into());
    let problems = spec.check_response("GET", "/repos/o/r/pulls/1", 200, &pull);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    // ... and for reviews, review requests and team members.
    let review = serde_json::json!([{ "id": "1", "user": null, "state": "APPROVED" }]);
    let problems = spec.check_response("GET", "/repos/o/r/pulls/1/reviews", 200, &review);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("$[0].id: expected integer"))
            && problems.iter().any(|p| p.contains("`commit_id`")),
        "{problems:#?}"
    );
    let requests = serde_json::json!({ "users": [{ "login": "alice" }] });
    let problems = spec.check_response(
        "GET",
        "/repos/o/r/pulls/1/requested_reviewers",
        200,
        &requests,
    );
    assert!(
        problems.iter().any(|p| p.contains("`teams`"))
            && problems.iter().any(|p| p.contains("`id`")),
        "{problems:#?}"
    );
    let members = serde_json::json!([{ "login": "alice" }]);
    let problems = spec.check_response("GET", "/orgs/o/teams/t/members", 200, &members);
    assert!(problems.iter().any(|p| p.contains("`id`")), "{problems:#?}");
    // ... and for a user, whose answer is a `public-user` and nothing else.
    let user = sim.repo(|r| {
        r.add_user("alice");
        crate::support::sim::api::public_user(r, "alice").unwrap()
    });
    assert!(
        spec.check_response("GET", "/users/alice", 200, &user)
            .is_empty()
    );
    for broken in [
        serde_json::json!({ "login": "alice", "id": 1 }),
        merge_json(&user, serde_json::json!({ "id": "1" })),
        merge_json(
            &user,
            serde_json::json!({ "starred_at": "2024-05-01T00:00:00Z" }),
        ),
    ] {
        let problems = spec.check_response("GET", "/users/alice", 200, &broken);
        assert!(!problems.is_empty(), "{broken}");
    }
    sim.finish();
}

fn merge_json(base: &Value, over: Value) -> Value {
    crate::support::sim::api::merge(base.clone(), over)
}

fn recorded(name: &str) -> Vec<Value> {
    let path = format!(
        "{}/tests/fixtures/github/recorded/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn real_git_refs_parse() {
    for exchange in recorded("git-refs.json") {
        match (
            exchange["method"].as_str().unwrap(),
            exchange["status"].as_u64().unwrap(),
        ) {
            ("post", 201) | ("patch", 200) => {
                let r: wire::GitRef = serde_json::from_value(exchange["response"].clone()).unwrap();
                assert_eq!(r.name, "refs/heads/test");
                assert_eq!(r.object.kind, "commit");
                assert_eq!(r.object.sha.len(), 40);
            }
            ("get", 200) => {
                let refs: Vec<wire::GitRef> =
                    serde_json::from_value(exchange["response"].clone()).unwrap();
                assert!(refs.iter().any(|r| r.name == "refs/heads/main"));
            }
            _ => {}
        }
    }
}

#[test]
fn real_errors_parse() {
    let exchange = &recorded("errors.json")[0];
    assert_eq!(exchange["status"], 422);
    let e: wire::ErrorBody = serde_json::from_value(exchange["response"].clone()).unwrap();
    assert_eq!(e.message, "Validation Failed");
    assert_eq!(e.describe(), "Validation Failed (Label color invalid)");
    assert!(e.documentation_url.is_some());
}

#[test]
fn real_pagination_links_parse() {
    let pages = recorded("paginate-issues.json");
    for (i, page) in pages.iter().enumerate() {
        let link = page["headers"]["link"].as_str().unwrap();
        let next = wire::next_link(link);
        if i + 1 < pages.len() {
            let next = next.unwrap();
            assert!(next.ends_with(&format!("page={}", i + 2)), "{next}");
            let following = format!(
                "/{}",
                pages[i + 1]["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches('/')
            );
            assert!(next.ends_with(&following), "{next} vs {following}");
        } else {
            assert_eq!(next, None, "the last page has no next");
        }
        // Issues carry the same user objects as comments and pulls.
        let items: Vec<wire::IssueComment> =
            serde_json::from_value(page["response"].clone()).unwrap();
        assert!(items.iter().all(|c| c.user.is_some()));
    }
}

#[test]
fn real_labels_parse() {
    let exchange = &recorded("add-labels-to-issue.json")[1];
    let labels: Vec<wire::Label> = serde_json::from_value(exchange["response"].clone()).unwrap();
    let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Foo", "bAr", "baZ"]);
}

/// A branch `feature` from `main` with `commits` commits, the last of which moves and
/// removes files, then `main` moved on; the pull request from it. Returns its number.
fn feature_pull(sim: &GitHubSim, files: usize, commits: usize) -> u64 {
    sim.repo(|r| {
        let main = r.head("main");
        r.branches.insert("feature".into(), main);
        let names: Vec<String> = (0..files)
            .map(|i| format!("experiments/e{i:03}.yaml"))
            .collect();
        let changes: Vec<(&str, Option<&str>)> = names
            .iter()
            .map(|n| (n.as_str(), Some("id: x\n")))
            .collect();
        r.commit("feature", "many files", "bob@example.com", &changes);
        for i in 1..commits.max(2) - 1 {
            let text = format!("name: platform {i}\n");
            r.commit(
                "feature",
                &format!("step {i}"),
                "bob@example.com",
                &[("teams/platform.yaml", Some(text.as_str()))],
            );
        }
        r.commit(
            "feature",
            "move and remove",
            "bob@example.com",
            &[
                ("teams/platform.yaml", None),
                ("teams/platform-team.yaml", Some("name: platform\n")),
                ("README.md", None),
            ],
        );
        // The base moves on: the pull request's files are still those since the merge base.
        r.commit(
            "main",
            "Later on main",
            "alice@example.com",
            &[("radar/rust.yaml", Some("ring: adopt\n"))],
        );
        r.open_pull("feature", "main", "Feature", "", "bob")
    })
}

#[tokio::test]
async fn pull_changes_are_one_comparison_equal_to_the_pull_requests_lists() {
    let (sim, _) = seeded().await;
    let n = feature_pull(&sim, 150, 3);
    let gh = adapter(&sim);
    let pull = gh.pull(n).await.unwrap();
    let before = gh.calls();
    let (files, commits) = gh.pull_changes(&pull).await.unwrap();
    assert_eq!(gh.calls().reads - before.reads, 1, "one comparison");
    assert_eq!(
        sim.count("GET", "/repos/octo-org/adoption/compare/main...*"),
        1
    );
    let (paged_files, paged_commits) = (
        gh.pull_files(n).await.unwrap(),
        gh.pull_commits(n).await.unwrap(),
    );
    assert_eq!(files, paged_files);
    assert_eq!(commits, paged_commits);
    assert_eq!(commits.len(), 3, "oldest first: {commits:?}");
    assert_eq!(commits[0].message, "many files");
    assert!(
        !files.iter().any(|f| f.path.starts_with("radar/")),
        "the base's own later commit is not the pull request's"
    );
    let renamed = files
        .iter()
        .find(|f| f.path == "teams/platform-team.yaml")
        .unwrap();
    assert_eq!(renamed.status, FileStatus::Renamed);
    sim.finish();
}

#[tokio::test]
async fn pull_changes_read_the_paged_lists_when_the_comparison_is_truncated() {
    // 301 files: GitHub lists 300 in a comparison, so the files are read page by page.
    let (sim, _) = seeded().await;
    let n = feature_pull(&sim, 301, 2);
    let gh = adapter(&sim);
    let pull = gh.pull(n).await.unwrap();
    let (files, commits) = gh.pull_changes(&pull).await.unwrap();
    assert_eq!(files.len(), 301 + 2, "{}", files.len());
    assert_eq!(files, gh.pull_files(n).await.unwrap());
    assert_eq!(commits, gh.pull_commits(n).await.unwrap());
    assert_eq!(
        sim.count("GET", "/repos/octo-org/adoption/pulls/*/files"),
        2 * 4,
        "the fallback and the check: four pages each"
    );
    sim.finish();

    // 260 commits: a comparison without paging lists the newest 250, so the commits are read
    // from the pull request's own list.
    let (sim, _) = seeded().await;
    let n = feature_pull(&sim, 1, 260);
    let gh = adapter(&sim);
    let pull = gh.pull(n).await.unwrap();
    let before = gh.calls().reads;
    let (files, commits) = gh.pull_changes(&pull).await.unwrap();
    assert_eq!(
        gh.calls().reads - before,
        1 + 3,
        "the comparison, then three pages"
    );
    assert_eq!(commits.len(), 260);
    assert_eq!(commits[0].message, "many files", "the oldest first");
    assert_eq!(files, gh.pull_files(n).await.unwrap());
    sim.finish();
}

#[tokio::test]
async fn pull_changes_of_a_closed_pull_or_an_unknown_head_read_the_paged_lists() {
    let (sim, _) = seeded().await;
    let n = feature_pull(&sim, 2, 2);
    let gh = adapter(&sim);
    let mut pull = gh.pull(n).await.unwrap();
    // A head GitHub does not know: the comparison is a 404, and the lists are read instead.
    pull.head_sha = "0123456789abcdef0123456789abcdef01234567".into();
    let (files, commits) = gh.pull_changes(&pull).await.unwrap();
    assert_eq!(
        sim.count("GET", "/repos/octo-org/adoption/compare/*"),
        1,
        "asked once"
    );
    assert_eq!(files, gh.pull_files(n).await.unwrap());
    assert_eq!(commits, gh.pull_commits(n).await.unwrap());
    // A comparison GitHub fails on every attempt (a diff too slow to generate): the lists.
    let pull = gh.pull(n).await.unwrap();
    sim.fail_next("GET", "/repos/*/compare/*", 3, Fault::ServerError);
    let (files, commits) = gh.pull_changes(&pull).await.unwrap();
    assert_eq!(
        sim.count("GET", "/repos/octo-org/adoption/compare/*"),
        1 + 3,
        "the retries, then the lists"
    );
    assert_eq!(files, gh.pull_files(n).await.unwrap());
    assert_eq!(commits, gh.pull_commits(n).await.unwrap());
    // Merged: the pull request's own lists, which keep what it changed at the merge.
    sim.repo(|r| r.merge_pull(n));
    let merged = gh.pull(n).await.unwrap();
    assert_eq!(merged.state, PrState::Merged);
    let (files, commits) = gh.pull_changes(&merged).await.unwrap();
    assert_eq!(files.len(), 2 + 2);
    assert_eq!(commits.len(), 2);
    assert_eq!(
        sim.count("GET", "/repos/octo-org/adoption/compare/*"),
        4,
        "no comparison for a merged pull request"
    );
    sim.finish();
}

#[tokio::test]
async fn a_comparison_is_answered_as_github_does() {
    let (sim, _) = seeded().await;
    feature_pull(&sim, 2, 2);
    let gh = adapter(&sim);
    // An unknown ref is a 404.
    let err = gh
        .branch_commits("main", "no-such-branch")
        .await
        .unwrap_err();
    assert!(matches!(err, ForgeError::NotFound(_)), "{err:?}");
    // Paged: the files on the first page only; without paging, the commits and the files.
    let url = |q: &str| {
        format!(
            "{}/repos/octo-org/adoption/compare/main...feature{q}",
            sim.api_url()
        )
    };
    let client = reqwest::Client::new();
    let token = sim.options().token;
    let get = |u: String| {
        let client = client.clone();
        let token = token.clone();
        async move {
            client
                .get(u)
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .map(|b| serde_json::from_slice::<Value>(&b).unwrap())
                .unwrap()
        }
    };
    let whole = get(url("")).await;
    assert_eq!(whole["files"].as_array().unwrap().len(), 4, "{whole}");
    assert_eq!(whole["commits"].as_array().unwrap().len(), 2);
    let page2 = get(url("?per_page=1&page=2")).await;
    assert_eq!(page2["commits"].as_array().unwrap().len(), 1);
    assert_eq!(
        page2["files"].as_array().unwrap().len(),
        0,
        "files on page 1 only"
    );
    let page1 = get(url("?per_page=1")).await;
    assert_eq!(page1["files"].as_array().unwrap().len(), 4);
    // Two histories without a common ancestor: a 404, as on GitHub.
    sim.repo(|r| {
        r.commit(
            "orphan",
            "alone",
            "eve@example.com",
            &[("x.txt", Some("x\n"))],
        )
    });
    let err = gh.branch_commits("main", "orphan").await.unwrap_err();
    assert!(matches!(err, ForgeError::NotFound(_)), "{err:?}");
    sim.finish();
}
