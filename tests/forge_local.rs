//! The local forge over a real git repository in a temporary folder: every `Forge` method,
//! the humans' part (commits, pull requests, merges, reviews, teams), persistence, call
//! counting and errors.

use adoptbot::forge::local::LocalForge;
use adoptbot::forge::{
    CallCount, ChangedFile, CheckRunSpec, Conclusion, FileChange, FileStatus, Forge, ForgeError,
    Member, PrState, Review, ReviewState,
};
use std::path::Path;

const BOT: &str = "adoptbot[bot]";
const BOT_EMAIL: &str = "adoptbot[bot]@adoptbot.local";
const ADOPTION: &str = "organisation: contoso\nphase: 3\n";
const EXPERIMENT_A: &str = "id: a\ntitle: Experiment A\n";

fn put(path: &str, content: &str) -> FileChange {
    FileChange {
        path: path.into(),
        content: Some(content.into()),
    }
}

fn del(path: &str) -> FileChange {
    FileChange {
        path: path.into(),
        content: None,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A repository with a work tree, `main` checked out, and a first commit of
/// `adoption.yaml` and `experiments/a.yaml`. Returns the folder and the commit.
fn init_repo() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = git2::Repository::init_opts(tmp.path(), &opts).unwrap();
    std::fs::create_dir(tmp.path().join("experiments")).unwrap();
    std::fs::write(tmp.path().join("adoption.yaml"), ADOPTION).unwrap();
    std::fs::write(tmp.path().join("experiments/a.yaml"), EXPERIMENT_A).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let time = git2::Time::new(1_700_000_000, 0);
    let sig = git2::Signature::new("Olivia Owner", "olivia@contoso.example", &time).unwrap();
    let id = repo
        .commit(Some("HEAD"), &sig, &sig, "Start", &tree, &[])
        .unwrap();
    (tmp, id.to_string())
}

fn setup() -> (tempfile::TempDir, LocalForge, String) {
    let (tmp, main) = init_repo();
    let forge = LocalForge::open(tmp.path(), BOT).unwrap();
    (tmp, forge, main)
}

/// Alice commits `files` on a new branch off main and opens a pull request; returns its number.
fn alice_pull(forge: &LocalForge, branch: &str, files: &[FileChange]) -> u64 {
    forge
        .commit_as(
            branch,
            Some("main"),
            "Alice",
            "alice@contoso.example",
            "Request",
            files,
        )
        .unwrap();
    let pr = forge
        .open_pull_as("alice", branch, "main", "Request", "Please")
        .unwrap();
    pr.number
}

fn check(name: &str, sha: &str, conclusion: Conclusion) -> CheckRunSpec {
    CheckRunSpec {
        name: name.into(),
        head_sha: sha.into(),
        conclusion,
        title: format!("{name}: {conclusion:?}"),
        summary: "summary".into(),
        annotations: vec![],
    }
}

fn parents(commit: &git2::Commit) -> Vec<String> {
    commit.parent_ids().map(|p| p.to_string()).collect()
}

fn tip(dir: &Path, branch: &str) -> String {
    let repo = git2::Repository::open(dir).unwrap();
    repo.refname_to_id(&format!("refs/heads/{branch}"))
        .unwrap()
        .to_string()
}

#[test]
fn the_futures_can_cross_threads() {
    fn send<T: Send>(_: T) {}
    let (_tmp, forge, main) = setup();
    send(forge.snapshot(&main));
    send(forge.pull(1));
    send(forge.user("olivia"));
    send(forge.commit_to_branch("b", &main, "m", &[]));
}

#[tokio::test]
async fn default_branch_and_snapshot_read_git() {
    let (_tmp, forge, main) = setup();
    assert_eq!(forge.bot_login(), BOT);
    assert_eq!(
        forge.default_branch().await.unwrap(),
        ("main".to_string(), main.clone())
    );
    let snap = forge.snapshot(&main).await.unwrap();
    assert_eq!(
        snap.paths.iter().collect::<Vec<_>>(),
        ["adoption.yaml", "experiments/a.yaml"]
    );
    assert_eq!(snap.contents["adoption.yaml"], ADOPTION.as_bytes());
    // A branch name works too, as a ref does on GitHub.
    assert_eq!(forge.snapshot("main").await.unwrap(), snap);
}

#[tokio::test]
async fn a_human_pull_request_gets_bot_comments_and_checks() {
    let (tmp, forge, main) = setup();
    let number = alice_pull(&forge, "request/b", &[put("experiments/b.yaml", "id: b\n")]);
    let head = tip(tmp.path(), "request/b");

    let pr = forge.pull(number).await.unwrap();
    assert_eq!(pr.number, 1);
    assert_eq!(pr.state, PrState::Open);
    assert_eq!(pr.author, "alice");
    assert_eq!(
        (pr.head_branch.as_str(), pr.head_sha.as_str()),
        ("request/b", head.as_str())
    );
    assert_eq!(
        (pr.base_branch.as_str(), pr.base_sha.as_str()),
        ("main", main.as_str())
    );
    assert_eq!(pr.merge_sha, None);
    assert_eq!(
        forge.pull_files(number).await.unwrap(),
        [ChangedFile {
            path: "experiments/b.yaml".into(),
            status: FileStatus::Added,
            previous_path: None,
        }]
    );

    // The bot comments, then edits its comment; a human comments in between.
    assert!(forge.comments(number).await.unwrap().is_empty());
    let c = forge
        .create_comment(number, "Estimate: 10 EUR")
        .await
        .unwrap();
    assert_eq!((c.id, c.author.as_str()), (1, BOT));
    let human = forge.comment_as("alice", number, "Thanks").unwrap();
    assert_eq!(human.id, 2);
    forge
        .update_comment(c.id, "Estimate: 12 EUR")
        .await
        .unwrap();
    let comments = forge.comments(number).await.unwrap();
    assert_eq!(
        comments
            .iter()
            .map(|c| (c.id, c.author.as_str(), c.body.as_str()))
            .collect::<Vec<_>>(),
        [(1, BOT, "Estimate: 12 EUR"), (2, "alice", "Thanks")]
    );

    // Check runs belong to a commit.
    let run = forge
        .create_check_run(&check("adoptbot/request", &head, Conclusion::Failure))
        .await
        .unwrap();
    assert_eq!((run.id, run.conclusion), (1, Some(Conclusion::Failure)));
    let mut spec = check("adoptbot/request", &head, Conclusion::Success);
    spec.annotations.push(adoptbot::forge::Annotation {
        path: "experiments/b.yaml".into(),
        start_line: 1,
        end_line: 1,
        level: adoptbot::forge::AnnotationLevel::Notice,
        title: "fine".into(),
        message: "all good".into(),
    });
    forge.update_check_run(run.id, &spec).await.unwrap();
    let runs = forge.check_runs(&head).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].conclusion, Some(Conclusion::Success));
    assert_eq!(runs[0].title, "adoptbot/request: Success");
    assert!(forge.check_runs(&main).await.unwrap().is_empty());
    assert_eq!(forge.check_runs_all().unwrap()[0].annotations.len(), 1);
    // A check run stays on its commit.
    let moved = forge
        .update_check_run(run.id, &check("x", &main, Conclusion::Neutral))
        .await;
    assert!(matches!(moved, Err(ForgeError::Conflict(m)) if m.contains("create a new check run")));

    // Reviewers and labels.
    forge
        .request_reviewers(number, &strings(&["bob"]), &strings(&["platform"]))
        .await
        .unwrap();
    forge
        .add_labels(number, &strings(&["experiment", "cost"]))
        .await
        .unwrap();
    forge
        .add_labels(number, &strings(&["experiment"]))
        .await
        .unwrap();
    let rec = &forge.pulls().unwrap()[0];
    assert_eq!(rec.requested_reviewers.iter().collect::<Vec<_>>(), ["bob"]);
    assert_eq!(rec.requested_teams.iter().collect::<Vec<_>>(), ["platform"]);
    assert_eq!(
        rec.labels.iter().collect::<Vec<_>>(),
        ["cost", "experiment"]
    );
    let own = forge
        .request_reviewers(number, &strings(&["Alice"]), &[])
        .await;
    assert!(matches!(own, Err(ForgeError::Conflict(m)) if m.contains("the author")));

    // Alice pushes again: the pull request shows the new head, which has no checks yet.
    let again = forge
        .commit_as(
            "request/b",
            None,
            "Alice",
            "alice@contoso.example",
            "Fix",
            &[put("experiments/b.yaml", "id: b\ncost: 5\n")],
        )
        .unwrap();
    assert_eq!(forge.pull(number).await.unwrap().head_sha, again);
    assert!(forge.check_runs(&again).await.unwrap().is_empty());

    // The bot edits the pull request; reopening an open one does nothing.
    forge
        .update_pull(number, "New title", "New body", true)
        .await
        .unwrap();
    let pr = forge.pull(number).await.unwrap();
    assert_eq!(
        (pr.title.as_str(), pr.body.as_str(), pr.state),
        ("New title", "New body", PrState::Open)
    );
}

#[tokio::test]
async fn commit_to_branch_writes_nested_files_and_deletions_then_moves_the_branch() {
    let (tmp, forge, main) = setup();
    let branch = "adoptbot/provision/a";
    let files = [
        put("infra/experiments/a/main.bicep", "param location string\n"),
        put("infra/experiments/a/params/dev.json", "{}\n"),
        put("adoption.yaml", "organisation: contoso\nphase: 4\n"),
        del("experiments/a.yaml"),
        del("no/such/file.yaml"),
    ];
    let first = forge
        .commit_to_branch(branch, &main, "Provision a", &files)
        .await
        .unwrap();
    assert_eq!(tip(tmp.path(), branch), first);
    let snap = forge.snapshot(&first).await.unwrap();
    assert_eq!(
        snap.paths.iter().collect::<Vec<_>>(),
        [
            "adoption.yaml",
            "infra/experiments/a/main.bicep",
            "infra/experiments/a/params/dev.json"
        ],
        "nested files are written; deleting the only file of a folder drops the folder"
    );
    assert_eq!(
        snap.contents["adoption.yaml"],
        b"organisation: contoso\nphase: 4\n"
    );

    let repo = git2::Repository::open(tmp.path()).unwrap();
    let commit = repo
        .find_commit(git2::Oid::from_str(&first).unwrap())
        .unwrap();
    assert_eq!(commit.author().email().ok(), Some(BOT_EMAIL));
    assert_eq!(commit.committer().name().ok(), Some(BOT));
    assert_eq!(commit.message().ok(), Some("Provision a"));
    assert_eq!(parents(&commit), [main.as_str()]);
    let parent_time = commit.parent(0).unwrap().time().seconds();
    assert_eq!(commit.time().seconds(), parent_time + 60);

    // A second commit on top, then a force move back onto main.
    let second = forge
        .commit_to_branch(
            branch,
            &first,
            "More",
            &[put("infra/experiments/a/main.bicep", "x\n")],
        )
        .await
        .unwrap();
    assert_eq!(tip(tmp.path(), branch), second);
    let commits = forge.branch_commits("main", branch).await.unwrap();
    assert_eq!(
        commits.iter().map(|c| c.sha.as_str()).collect::<Vec<_>>(),
        [&first, &second]
    );
    let moved = forge
        .commit_to_branch(branch, &main, "Redo", &[put("infra/b.bicep", "b\n")])
        .await
        .unwrap();
    assert_eq!(tip(tmp.path(), branch), moved);
    let commits = forge.branch_commits("main", branch).await.unwrap();
    assert_eq!(commits.len(), 1, "the branch was rebuilt from main");
    assert_eq!(commits[0].sha, moved);

    // Bad paths and branch names are refused with a reason.
    for path in ["/etc/passwd", "a/../b", ".git/config", "a//b", ""] {
        let bad = forge
            .commit_to_branch(branch, &main, "bad", &[put(path, "x")])
            .await;
        assert!(
            matches!(&bad, Err(ForgeError::Other(m)) if m.contains("not a file path")),
            "{path}: {bad:?}"
        );
    }
    let bad = forge.commit_to_branch("bad..name", &main, "bad", &[]).await;
    assert!(matches!(bad, Err(ForgeError::Other(m)) if m.contains("not a valid branch name")));
    assert_eq!(
        tip(tmp.path(), branch),
        moved,
        "a refused commit moves nothing"
    );
}

#[tokio::test]
async fn branch_commits_tell_a_human_commit_on_a_bot_branch() {
    let (_tmp, forge, main) = setup();
    let branch = "adoptbot/rerender/a";
    let bot = forge
        .commit_to_branch(branch, &main, "Re-render", &[put("infra/a.bicep", "a\n")])
        .await
        .unwrap();
    let human = forge
        .commit_as(
            branch,
            None,
            "Bob",
            "bob@contoso.example",
            "Tweak",
            &[put("infra/a.bicep", "b\n")],
        )
        .unwrap();
    let commits = forge.branch_commits("main", branch).await.unwrap();
    assert_eq!(
        commits
            .iter()
            .map(|c| (c.sha.as_str(), c.author_email.as_str(), c.message.as_str()))
            .collect::<Vec<_>>(),
        [
            (bot.as_str(), BOT_EMAIL, "Re-render"),
            (human.as_str(), "bob@contoso.example", "Tweak")
        ]
    );
    assert!(
        forge
            .branch_commits(branch, branch)
            .await
            .unwrap()
            .is_empty()
    );
    let missing = forge.branch_commits("main", "adoptbot/none").await;
    assert!(matches!(missing, Err(ForgeError::NotFound(m)) if m.contains("adoptbot/none")));
}

#[tokio::test]
async fn merges_fast_forward_or_make_a_merge_commit() {
    let (tmp, forge, main) = setup();
    // Two requests from the same main.
    let first = alice_pull(
        &forge,
        "request/b",
        &[
            put("experiments/b.yaml", "id: b\n"),
            put("adoption.yaml", "organisation: contoso\nphase: 4\n"),
        ],
    );
    let second = alice_pull(
        &forge,
        "request/rename",
        &[
            del("experiments/a.yaml"),
            put("experiments/renamed-a.yaml", EXPERIMENT_A),
            put("teams/ml.yaml", "name: ml\n"),
        ],
    );
    let first_head = tip(tmp.path(), "request/b");
    let second_head = tip(tmp.path(), "request/rename");

    // The first one fast-forwards main.
    let merged = forge.merge_pull(first, "olivia").unwrap();
    assert_eq!(merged, first_head);
    assert_eq!(tip(tmp.path(), "main"), first_head);
    let pr = forge.pull(first).await.unwrap();
    assert_eq!(pr.state, PrState::Merged);
    assert_eq!(pr.merge_sha.as_deref(), Some(first_head.as_str()));
    assert_eq!(
        (pr.head_sha.as_str(), pr.base_sha.as_str()),
        (first_head.as_str(), main.as_str())
    );
    let status = |files: Vec<ChangedFile>| {
        files
            .into_iter()
            .map(|f| (f.path, f.status, f.previous_path))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        status(forge.pull_files(first).await.unwrap()),
        [
            ("adoption.yaml".into(), FileStatus::Modified, None),
            ("experiments/b.yaml".into(), FileStatus::Added, None),
        ],
        "a merged pull request keeps its files"
    );

    // The second one now needs a merge commit; its files are those since the merge base.
    assert_eq!(
        forge.pull(second).await.unwrap().base_sha,
        first_head,
        "the base moved"
    );
    assert_eq!(
        status(forge.pull_files(second).await.unwrap()),
        [
            (
                "experiments/renamed-a.yaml".into(),
                FileStatus::Renamed,
                Some("experiments/a.yaml".into())
            ),
            ("teams/ml.yaml".into(), FileStatus::Added, None),
        ]
    );
    let merge = forge.merge_pull(second, "olivia").unwrap();
    assert_eq!(tip(tmp.path(), "main"), merge);
    let repo = git2::Repository::open(tmp.path()).unwrap();
    let commit = repo
        .find_commit(git2::Oid::from_str(&merge).unwrap())
        .unwrap();
    assert_eq!(
        parents(&commit),
        [first_head.as_str(), second_head.as_str()]
    );
    assert!(
        commit
            .message()
            .unwrap()
            .starts_with("Merge pull request #2 from request/rename")
    );
    assert_eq!(commit.author().email().ok(), Some("olivia@adoptbot.local"));
    let pr = forge.pull(second).await.unwrap();
    assert_eq!(
        (pr.state, pr.merge_sha.as_deref()),
        (PrState::Merged, Some(merge.as_str()))
    );

    // A removal, and what cannot be merged.
    let third = alice_pull(&forge, "request/drop", &[del("teams/ml.yaml")]);
    assert_eq!(
        status(forge.pull_files(third).await.unwrap()),
        [("teams/ml.yaml".into(), FileStatus::Removed, None)]
    );
    let again = forge.merge_pull(first, "olivia");
    assert!(matches!(again, Err(ForgeError::Conflict(m)) if m.contains("already merged")));
    forge
        .commit_as(
            "main",
            None,
            "Olivia",
            "olivia@contoso.example",
            "Edit",
            &[put("teams/ml.yaml", "name: ML\n")],
        )
        .unwrap();
    forge
        .commit_as(
            "request/drop",
            None,
            "Alice",
            "alice@contoso.example",
            "Edit",
            &[put("teams/ml.yaml", "name: ml2\n")],
        )
        .unwrap();
    let clash = forge.merge_pull(third, "olivia");
    assert!(
        matches!(&clash, Err(ForgeError::Conflict(m)) if m.contains("teams/ml.yaml")),
        "{clash:?}"
    );
    assert_eq!(forge.pull(third).await.unwrap().state, PrState::Open);
}

#[tokio::test]
async fn the_merged_main_reads_like_its_checkout() {
    let (tmp, forge, _) = setup();
    let a = alice_pull(&forge, "request/b", &[put("experiments/b.yaml", "id: b\n")]);
    let b = alice_pull(
        &forge,
        "request/c",
        &[
            put("experiments/c.yaml", "id: c\n"),
            del("experiments/a.yaml"),
            put("runbooks/gpu.md", "---\ntested: 2024-01-01\n---\n# GPU\n"),
        ],
    );
    forge.merge_pull(a, "olivia").unwrap();
    forge.merge_pull(b, "olivia").unwrap();
    let (_, head) = forge.default_branch().await.unwrap();
    let snap = forge.snapshot(&head).await.unwrap();

    let out = tempfile::tempdir().unwrap();
    let repo = git2::Repository::open(tmp.path()).unwrap();
    let tree = repo
        .revparse_single("main")
        .unwrap()
        .peel_to_tree()
        .unwrap();
    let mut checkout = git2::build::CheckoutBuilder::new();
    checkout.force().target_dir(out.path());
    repo.checkout_tree(tree.as_object(), Some(&mut checkout))
        .unwrap();
    assert_eq!(adoptbot::load::dir::read_dir(out.path()).unwrap(), snap);
    // The work tree of the repository, clean before, followed main.
    assert_eq!(adoptbot::load::dir::read_dir(tmp.path()).unwrap(), snap);
    assert!(
        repo.statuses(None).unwrap().is_empty(),
        "git status is clean"
    );
}

#[tokio::test]
async fn pulls_by_branch_prefix_lists_bot_pulls_in_any_state() {
    let (_tmp, forge, main) = setup();
    let issue = forge.open_issue_as(BOT, "Adoption dashboard", "").unwrap();
    assert_eq!(issue, 1);
    for id in ["x", "y"] {
        let branch = format!("adoptbot/provision/{id}");
        forge
            .commit_to_branch(
                &branch,
                &main,
                "Provision",
                &[put(&format!("infra/{id}.bicep"), "x\n")],
            )
            .await
            .unwrap();
        forge
            .create_pull(&branch, "main", &format!("Provision {id}"), "")
            .await
            .unwrap();
    }
    alice_pull(&forge, "feature/z", &[put("z.txt", "z\n")]);
    forge.close_pull(3).unwrap();

    let pulls = forge.pulls_by_branch_prefix("adoptbot/").await.unwrap();
    assert_eq!(
        pulls
            .iter()
            .map(|p| (p.number, p.head_branch.as_str(), p.author.as_str(), p.state))
            .collect::<Vec<_>>(),
        [
            (2, "adoptbot/provision/x", BOT, PrState::Open),
            (3, "adoptbot/provision/y", BOT, PrState::Closed),
        ],
        "issues and pull requests share numbers"
    );
    assert_eq!(
        forge.pulls_by_branch_prefix("feature/").await.unwrap()[0].number,
        4
    );
    assert!(
        forge
            .pulls_by_branch_prefix("nothing/")
            .await
            .unwrap()
            .is_empty()
    );

    // A duplicate is refused while the first is open; reopening brings it back.
    let dup = forge
        .create_pull("adoptbot/provision/x", "main", "Again", "")
        .await;
    assert!(matches!(dup, Err(ForgeError::Conflict(m)) if m.contains("#2 is already open")));
    let empty = forge.create_pull("main", "main", "Nothing", "").await;
    assert!(matches!(empty, Err(ForgeError::Conflict(m)) if m.contains("no commits between")));
    forge
        .update_pull(3, "Provision y", "again", true)
        .await
        .unwrap();
    assert_eq!(forge.pull(3).await.unwrap().state, PrState::Open);
    forge.merge_pull(2, "olivia").unwrap();
    let reopen = forge.update_pull(2, "t", "b", true).await;
    assert!(matches!(reopen, Err(ForgeError::Conflict(m)) if m.contains("already merged")));
    assert_eq!(
        forge.pull(2).await.unwrap().title,
        "Provision x",
        "a refused update changes nothing"
    );

    // Comments and labels on the issue; it is not a pull request.
    forge.create_comment(issue, "Dashboard").await.unwrap();
    forge
        .add_labels(issue, &strings(&["adoptbot"]))
        .await
        .unwrap();
    assert_eq!(forge.issues().unwrap()[0].labels.len(), 1);
    let not_pull = forge.pull(issue).await;
    assert!(matches!(not_pull, Err(ForgeError::NotFound(m)) if m.contains("is an issue")));
}

#[tokio::test]
async fn records_persist_across_opens() {
    let (tmp, forge, main) = setup();
    let number = alice_pull(&forge, "request/b", &[put("experiments/b.yaml", "id: b\n")]);
    forge.create_comment(number, "hello").await.unwrap();
    forge
        .create_check_run(&check("gate", &main, Conclusion::Neutral))
        .await
        .unwrap();
    forge.add_labels(number, &strings(&["gate"])).await.unwrap();
    let before = forge.state().unwrap();
    drop(forge);

    let state_file = tmp.path().join(".git/adoptbot/state.json");
    assert!(state_file.is_file());
    let leftovers: Vec<_> = std::fs::read_dir(state_file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["state.json"],
        "no temporary file is left behind"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["pulls"][0]["head_branch"], "request/b");
    assert_eq!(json["comments"][0]["issue"], 1);

    let forge = LocalForge::open(tmp.path(), BOT).unwrap();
    assert_eq!(forge.state_path(), state_file);
    assert_eq!(forge.state().unwrap(), before);
    assert_eq!(forge.comments(number).await.unwrap()[0].body, "hello");
    assert_eq!(forge.check_runs(&main).await.unwrap().len(), 1);
    // Counters go on where they were.
    assert_eq!(forge.create_comment(number, "again").await.unwrap().id, 2);
    assert_eq!(
        forge
            .create_check_run(&check("gate", &main, Conclusion::Success))
            .await
            .unwrap()
            .id,
        2
    );
    assert_eq!(forge.open_issue_as("olivia", "Question", "").unwrap(), 2);
}

#[tokio::test]
async fn calls_are_counted_like_an_api() {
    let (_tmp, forge, main) = setup();
    let number = alice_pull(&forge, "request/b", &[put("experiments/b.yaml", "id: b\n")]);
    forge.comment_as("alice", number, "hi").unwrap(); // human steps are not counted
    assert_eq!(forge.calls(), CallCount::default());

    forge.default_branch().await.unwrap();
    forge.snapshot(&main).await.unwrap();
    forge.pull(number).await.unwrap();
    forge.pull_files(number).await.unwrap();
    forge.pulls_by_branch_prefix("adoptbot/").await.unwrap();
    forge.branch_commits("main", "request/b").await.unwrap();
    forge.comments(number).await.unwrap();
    forge.check_runs(&main).await.unwrap();
    forge.pull(404).await.unwrap_err(); // a failed call is still a call
    assert_eq!(
        forge.calls(),
        CallCount {
            reads: 9,
            writes: 0
        }
    );

    let c = forge.create_comment(number, "a").await.unwrap();
    forge.update_comment(c.id, "b").await.unwrap();
    let run = forge
        .create_check_run(&check("c", &main, Conclusion::Success))
        .await
        .unwrap();
    forge
        .update_check_run(run.id, &check("c", &main, Conclusion::Failure))
        .await
        .unwrap();
    let sha = forge
        .commit_to_branch("adoptbot/x", &main, "m", &[put("x", "x")])
        .await
        .unwrap();
    forge
        .create_pull("adoptbot/x", "main", "t", "b")
        .await
        .unwrap();
    forge.update_pull(number, "t", "b", false).await.unwrap();
    forge
        .request_reviewers(number, &strings(&["bob"]), &[])
        .await
        .unwrap();
    forge.add_labels(number, &strings(&["l"])).await.unwrap();
    assert_eq!(
        forge.calls(),
        CallCount {
            reads: 9,
            writes: 9
        }
    );
    forge.state().unwrap();
    forge.pulls().unwrap();
    assert_eq!(
        forge.calls(),
        CallCount {
            reads: 9,
            writes: 9
        },
        "reading back is not counted"
    );
    assert_eq!(forge.bot_email(), BOT_EMAIL);
    assert_eq!(sha.len(), 40);
}

#[tokio::test]
async fn missing_things_are_not_found() {
    let (_tmp, forge, main) = setup();
    let unknown = "0123456789abcdef0123456789abcdef01234567";
    let not_found = |r: Result<(), ForgeError>, what: &str| match r {
        Err(ForgeError::NotFound(m)) => assert!(m.contains(what), "{m} should name {what}"),
        other => panic!("{what}: expected NotFound, got {other:?}"),
    };
    not_found(forge.pull(7).await.map(drop), "pull request #7");
    not_found(forge.pull_files(7).await.map(drop), "pull request #7");
    not_found(forge.comments(7).await.map(drop), "#7");
    not_found(forge.create_comment(7, "x").await.map(drop), "#7");
    not_found(forge.update_comment(7, "x").await, "comment 7");
    not_found(
        forge
            .update_check_run(7, &check("c", &main, Conclusion::Success))
            .await,
        "check run 7",
    );
    not_found(
        forge.update_pull(7, "t", "b", false).await,
        "pull request #7",
    );
    not_found(
        forge.request_reviewers(7, &[], &[]).await,
        "pull request #7",
    );
    not_found(forge.add_labels(7, &[]).await, "#7");
    not_found(forge.snapshot(unknown).await.map(drop), unknown);
    not_found(forge.check_runs(unknown).await.map(drop), unknown);
    not_found(
        forge
            .create_check_run(&check("c", unknown, Conclusion::Success))
            .await
            .map(drop),
        unknown,
    );
    not_found(forge.branch_commits("nope", "main").await.map(drop), "nope");
    not_found(
        forge
            .commit_to_branch("b", unknown, "m", &[])
            .await
            .map(drop),
        unknown,
    );
    not_found(
        forge.create_pull("nope", "main", "t", "b").await.map(drop),
        "branch `nope`",
    );
    not_found(forge.merge_pull(7, "olivia").map(drop), "pull request #7");
    not_found(forge.close_pull(7), "pull request #7");
}

#[tokio::test]
async fn a_corrupt_record_file_is_a_clear_error() {
    let (tmp, forge, _) = setup();
    let state = tmp.path().join(".git/adoptbot/state.json");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, "{ not json").unwrap();

    // An open forge meets it on its next call, an opening one at once; nothing panics.
    let err = forge.pull(1).await.unwrap_err();
    let ForgeError::Other(message) = &err else {
        panic!("expected Other, got {err:?}")
    };
    assert!(message.contains(&state.display().to_string()), "{message}");
    assert!(message.contains("corrupt"), "{message}");
    assert!(message.contains("delete it to start again"), "{message}");
    let err = LocalForge::open(tmp.path(), BOT).unwrap_err();
    assert!(
        matches!(&err, ForgeError::Other(m) if m.contains("state.json are corrupt")),
        "{err}"
    );

    std::fs::write(
        &state,
        r#"{"version": 99, "next_number": 1, "next_comment_id": 1, "next_check_run_id": 1}"#,
    )
    .unwrap();
    let err = LocalForge::open(tmp.path(), BOT).unwrap_err();
    assert!(
        matches!(&err, ForgeError::Other(m) if m.contains("version 99")),
        "{err}"
    );

    std::fs::remove_file(&state).unwrap();
    assert!(
        LocalForge::open(tmp.path(), BOT)
            .unwrap()
            .pulls()
            .unwrap()
            .is_empty()
    );
    let err = LocalForge::open(&tmp.path().join("experiments"), BOT).unwrap_err();
    assert!(matches!(&err, ForgeError::Other(m) if m.contains("cannot open the git repository")));
}

#[tokio::test]
async fn a_bare_repository_works_and_commits_are_deterministic() {
    let run = || {
        let tmp = tempfile::tempdir().unwrap();
        let mut opts = git2::RepositoryInitOptions::new();
        opts.bare(true).initial_head("main");
        git2::Repository::init_opts(tmp.path(), &opts).unwrap();
        let forge = LocalForge::open(tmp.path(), BOT).unwrap();
        let first = forge
            .commit_as(
                "main",
                None,
                "Olivia",
                "olivia@contoso.example",
                "Start",
                &[put("adoption.yaml", ADOPTION)],
            )
            .unwrap();
        (tmp, forge, first)
    };
    let (tmp, forge, first) = run();
    let (_other, _, same) = run();
    assert_eq!(first, same, "the same steps give the same commit");
    assert_eq!(
        forge.default_branch().await.unwrap(),
        ("main".into(), first.clone())
    );
    let number = alice_pull(&forge, "request/b", &[put("experiments/b.yaml", "id: b\n")]);
    forge.create_comment(number, "hi").await.unwrap();
    assert_eq!(forge.state_path(), tmp.path().join("adoptbot/state.json"));
    assert!(forge.state_path().is_file());
}

#[tokio::test]
async fn a_work_tree_with_local_changes_is_left_alone() {
    let (tmp, forge, _) = setup();
    let number = alice_pull(
        &forge,
        "request/phase",
        &[put("adoption.yaml", "phase: 4\n")],
    );
    std::fs::write(tmp.path().join("adoption.yaml"), "local edit\n").unwrap();
    let merged = forge.merge_pull(number, "olivia").unwrap();
    assert_eq!(
        tip(tmp.path(), "main"),
        merged,
        "the branch moves all the same"
    );
    let kept = std::fs::read_to_string(tmp.path().join("adoption.yaml")).unwrap();
    assert_eq!(kept, "local edit\n", "the local change is not overwritten");
}

fn reads(n: u32) -> CallCount {
    CallCount {
        reads: n,
        writes: 0,
    }
}

#[tokio::test]
async fn reviews_record_who_reviewed_what_and_on_which_commit() {
    let (_tmp, forge, _) = setup();
    let number = alice_pull(&forge, "gate/2", &[put("adoption.yaml", "phase: 2\n")]);
    let first = forge.pull(number).await.unwrap().head_sha;
    let olivia = forge
        .review_as("olivia", number, ReviewState::Approved, &first)
        .unwrap();
    let bob = forge
        .review_as("bob", number, ReviewState::ChangesRequested, "gate/2")
        .unwrap();
    let carol = forge
        .review_as("carol", number, ReviewState::Commented, &first)
        .unwrap();
    forge
        .review_as("dave", number, ReviewState::Pending, &first)
        .unwrap();
    let own = forge
        .review_as(BOT, number, ReviewState::Pending, &first)
        .unwrap();
    let by_author = forge
        .review_as("alice", number, ReviewState::Commented, &first)
        .unwrap();
    assert_eq!(bob.commit_id, first, "a branch names its tip");
    assert_eq!(
        [olivia.user_id, bob.user_id, carol.user_id],
        [1, 2, 3],
        "ids in order of first sight"
    );

    // A new commit; olivia approves again; bob's change request is dismissed.
    let second = forge
        .commit_as(
            "gate/2",
            None,
            "Alice",
            "alice@contoso.example",
            "Fix",
            &[put("scorecards/q1.yaml", "ratings: {}\n")],
        )
        .unwrap();
    let again = forge
        .review_as("Olivia", number, ReviewState::Approved, &second)
        .unwrap();
    assert_eq!(again.user_id, olivia.user_id, "logins are case-insensitive");
    forge.dismiss_review(number, bob.id).unwrap();

    let before = forge.calls();
    let got = forge.reviews(number).await.unwrap();
    let dismissed = Review {
        state: ReviewState::Dismissed,
        ..bob.clone()
    };
    assert_eq!(
        got,
        [
            olivia.clone(),
            dismissed,
            carol.clone(),
            own,
            by_author,
            again.clone()
        ],
        "oldest first; dave's pending review is his alone, the bot sees its own"
    );
    assert_eq!(got[5].commit_id, second);
    assert_eq!(got[5].user_login, "Olivia");
    assert_eq!(forge.calls().reads - before.reads, 1);
    assert_eq!(forge.user_id("OLIVIA").unwrap(), olivia.user_id);

    // What GitHub refuses.
    for state in [ReviewState::Approved, ReviewState::ChangesRequested] {
        let refused = forge.review_as("alice", number, state, &second);
        assert!(
            matches!(&refused, Err(ForgeError::Conflict(m)) if m.contains("alice opened")),
            "{refused:?}"
        );
    }
    let refused = forge.review_as("erin", number, ReviewState::Dismissed, &second);
    assert!(
        matches!(&refused, Err(ForgeError::Other(m)) if m.contains("dismiss_review")),
        "{refused:?}"
    );
    for (id, word) in [(carol.id, "commented"), (bob.id, "dismissed")] {
        let refused = forge.dismiss_review(number, id);
        assert!(
            matches!(&refused, Err(ForgeError::Conflict(m)) if m.contains(word)),
            "{refused:?}"
        );
    }
    let missing = forge.dismiss_review(number, 99);
    assert!(
        matches!(&missing, Err(ForgeError::NotFound(m)) if m.contains("no review 99")),
        "{missing:?}"
    );
    let unknown = forge.review_as("erin", number, ReviewState::Approved, "nope");
    assert!(
        matches!(unknown, Err(ForgeError::NotFound(_))),
        "{unknown:?}"
    );
    let nobody = forge.review_as(" ", number, ReviewState::Approved, &second);
    assert!(matches!(nobody, Err(ForgeError::Other(_))), "{nobody:?}");
    let no_pull = forge.review_as("erin", 42, ReviewState::Approved, &second);
    assert!(
        matches!(no_pull, Err(ForgeError::NotFound(_))),
        "{no_pull:?}"
    );
    assert_eq!(
        forge.reviews(number).await.unwrap().len(),
        6,
        "refusals change nothing"
    );

    // A merged pull request keeps its reviews.
    forge.merge_pull(number, "olivia").unwrap();
    assert_eq!(forge.reviews(number).await.unwrap().len(), 6);
}

#[tokio::test]
async fn requested_reviewers_drop_whoever_reviewed() {
    let (_tmp, forge, _) = setup();
    let number = alice_pull(&forge, "gate/2", &[put("adoption.yaml", "phase: 2\n")]);
    let head = forge.pull(number).await.unwrap().head_sha;
    assert_eq!(
        forge.requested_reviewers(number).await.unwrap(),
        (vec![], vec![])
    );
    forge
        .request_reviewers(
            number,
            &strings(&["olivia", "bob"]),
            &strings(&["platform"]),
        )
        .await
        .unwrap();
    assert_eq!(
        forge.requested_reviewers(number).await.unwrap(),
        (strings(&["bob", "olivia"]), strings(&["platform"]))
    );
    forge
        .review_as("bob", number, ReviewState::Pending, &head)
        .unwrap();
    forge
        .review_as("OLIVIA", number, ReviewState::Commented, &head)
        .unwrap();
    assert_eq!(
        forge.requested_reviewers(number).await.unwrap(),
        (strings(&["bob"]), strings(&["platform"])),
        "a submitted review answers the request, a pending one does not"
    );
}

#[tokio::test]
async fn teams_list_their_members_by_id() {
    let (tmp, forge, main) = setup();
    let number = alice_pull(&forge, "gate/2", &[put("adoption.yaml", "phase: 2\n")]);
    let olivia = forge
        .review_as("olivia", number, ReviewState::Approved, &main)
        .unwrap();
    let members = forge
        .set_team("contoso", "ai-board", &["bob", "olivia", "Bob"])
        .unwrap();
    let member = |login: &str, id: u64| Member {
        login: login.into(),
        id,
    };
    assert_eq!(
        members,
        [member("bob", 2), member("olivia", olivia.user_id)],
        "a login is listed once, with the id it already had"
    );
    assert_eq!(
        forge.team_members("Contoso", "AI-Board").await.unwrap(),
        members
    );
    forge.set_team("contoso", "ai-board", &["carol"]).unwrap();
    forge.set_team("fabrikam", "ai-board", &["dan"]).unwrap();
    assert_eq!(
        forge.team_members("contoso", "ai-board").await.unwrap(),
        [member("carol", 3)],
        "setting a team again replaces its members"
    );
    assert_eq!(
        forge.team_members("fabrikam", "ai-board").await.unwrap(),
        [member("dan", 4)]
    );
    let missing = forge.team_members("contoso", "nobody").await;
    assert!(
        matches!(&missing, Err(ForgeError::NotFound(m)) if m.contains("contoso/nobody") && m.contains("set_team")),
        "{missing:?}"
    );
    for (org, slug, login) in [
        ("contoso", "a/b", "x"),
        ("", "t", "x"),
        ("contoso", "t", ""),
    ] {
        let bad = forge.set_team(org, slug, &[login]);
        assert!(matches!(bad, Err(ForgeError::Other(_))), "{bad:?}");
    }
    assert_eq!(
        forge.calls(),
        reads(4),
        "every read counts, a failed one too"
    );

    // Teams, reviews and ids persist.
    drop(forge);
    let forge = LocalForge::open(tmp.path(), BOT).unwrap();
    assert_eq!(
        forge.team_members("contoso", "ai-board").await.unwrap(),
        [member("carol", 3)]
    );
    assert_eq!(forge.reviews(number).await.unwrap(), [olivia]);
    assert_eq!(forge.user_id("erin").unwrap(), 5);
}

#[tokio::test]
async fn a_record_file_from_before_reviews_still_reads() {
    let (tmp, forge, main) = setup();
    let number = alice_pull(&forge, "gate/2", &[put("adoption.yaml", "phase: 2\n")]);
    forge
        .request_reviewers(number, &strings(&["olivia"]), &[])
        .await
        .unwrap();
    drop(forge);
    let state_file = tmp.path().join(".git/adoptbot/state.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    for field in ["next_review_id", "reviews", "teams", "user_ids"] {
        assert!(
            json.as_object_mut().unwrap().remove(field).is_some(),
            "{field}"
        );
    }
    std::fs::write(&state_file, serde_json::to_vec(&json).unwrap()).unwrap();

    let forge = LocalForge::open(tmp.path(), BOT).unwrap();
    assert!(forge.reviews(number).await.unwrap().is_empty());
    assert_eq!(
        forge.requested_reviewers(number).await.unwrap(),
        (strings(&["olivia"]), vec![])
    );
    let review = forge
        .review_as("olivia", number, ReviewState::Approved, &main)
        .unwrap();
    assert_eq!((review.id, review.user_id), (1, 1));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    assert_eq!(json["version"], 1, "no new version");
    assert_eq!(json["reviews"][0]["state"], "approved");
    assert_eq!(json["reviews"][0]["number"], number);
    assert_eq!(json["user_ids"]["olivia"], 1);
}

#[tokio::test]
async fn reviews_of_what_is_not_a_pull_request_are_not_found() {
    let (_tmp, forge, _) = setup();
    let issue = forge.open_issue_as("olivia", "Dashboard", "").unwrap();
    for number in [issue, 7] {
        let reviews = forge.reviews(number).await;
        assert!(
            matches!(&reviews, Err(ForgeError::NotFound(m)) if m.contains(&format!("#{number}"))),
            "{reviews:?}"
        );
        let requested = forge.requested_reviewers(number).await;
        assert!(
            matches!(requested, Err(ForgeError::NotFound(_))),
            "{requested:?}"
        );
    }
    assert_eq!(forge.calls(), reads(4));
}

#[tokio::test]
async fn users_have_the_ids_reviews_and_teams_give_them() {
    let (tmp, forge, main) = setup();
    let number = alice_pull(&forge, "gate/2", &[put("adoption.yaml", "phase: 2\n")]);
    let olivia = forge
        .review_as("olivia", number, ReviewState::Approved, &main)
        .unwrap();
    let team = forge.set_team("contoso", "ai-board", &["bob"]).unwrap();
    let member = |login: &str, id: u64| Member {
        login: login.into(),
        id,
    };
    assert_eq!(
        forge.user("olivia").await.unwrap(),
        member("olivia", olivia.user_id)
    );
    assert_eq!(
        forge.user("Olivia").await.unwrap(),
        member("Olivia", olivia.user_id),
        "ids ignore case; the login comes back as given"
    );
    assert_eq!(forge.user("bob").await.unwrap(), team[0]);

    // No account list: an unknown login gets the next id now, and keeps it.
    let erin = forge.user("erin").await.unwrap();
    assert_eq!(erin, member("erin", 3));
    assert_eq!(forge.user("erin").await.unwrap(), erin);
    let review = forge
        .review_as("erin", number, ReviewState::Approved, &main)
        .unwrap();
    assert_eq!(review.user_id, erin.id);
    assert_eq!(forge.user_id("erin").unwrap(), erin.id);

    // What cannot be a login is nobody.
    for bad in ["", "two words", "a/b"] {
        let got = forge.user(bad).await;
        assert!(
            matches!(&got, Err(ForgeError::NotFound(m)) if m.contains("not a login")),
            "{got:?}"
        );
    }
    assert_eq!(
        forge.calls(),
        reads(8),
        "one read per user, a failed one too"
    );

    // The ids persist.
    drop(forge);
    let forge = LocalForge::open(tmp.path(), BOT).unwrap();
    assert_eq!(forge.user("ERIN").await.unwrap().id, erin.id);
    assert_eq!(forge.user("frank").await.unwrap().id, 4);
}
