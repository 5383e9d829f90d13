//! `adoptbot init`: the scaffold validates clean on the first run, names schemas that exist,
//! refuses to overwrite; and the whole path a new user follows with the documented commands,
//! on the local forge: init, a merged request, its provisioning PR, the deployment plan, and
//! the decommission that tears it down.

mod common;

use std::path::Path;
use std::process::Command;

fn adoptbot(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("adoptbot runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn git(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("GIT_AUTHOR_NAME", "New User")
        .env("GIT_AUTHOR_EMAIL", "new.user@example.com")
        .env("GIT_COMMITTER_NAME", "New User")
        .env("GIT_COMMITTER_EMAIL", "new.user@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn init_validates_clean_on_the_first_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = adoptbot(tmp.path(), &["init", "repo", "--now", "2026-12-01"]);
    assert_eq!(code, 0, "{out}{err}");
    for f in [
        "adoption.yaml",
        "teams/platform.yaml",
        "experiments/first-sandbox.yaml",
        "scorecards/2026-12-01.yaml",
        "inventory/shadow-ai.yaml",
        ".github/workflows/adoptbot.yml",
        ".github/workflows/deploy-infra.yml",
        ".adoptbot/schema/experiment.schema.json",
    ] {
        assert!(out.contains(&format!("wrote repo/{f}")), "{f} in {out}");
    }
    let (code, out, err) = adoptbot(tmp.path(), &["validate", "repo", "--now", "2026-12-01"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "0 errors, 0 warnings\n");
    // The schemas it wrote are the ones `schema --check` expects.
    let (code, out, err) = adoptbot(
        tmp.path(),
        &["schema", "--check", "--out", "repo/.adoptbot/schema"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("are up to date"), "{out}");
}

#[test]
fn every_scaffolded_document_names_a_schema_that_exists_relative_to_itself() {
    let tmp = tempfile::tempdir().unwrap();
    adoptbot(tmp.path(), &["init", "r", "--now", "2026-12-01"]);
    let root = tmp.path().join("r");
    let mut checked = 0;
    for f in [
        "adoption.yaml",
        "teams/platform.yaml",
        "experiments/first-sandbox.yaml",
        "scorecards/2026-12-01.yaml",
        "inventory/shadow-ai.yaml",
    ] {
        let text = std::fs::read_to_string(root.join(f)).unwrap();
        let first = text.lines().next().unwrap();
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{f} starts with {first}"));
        assert!(!target.starts_with("http"), "{f}: {target}");
        let schema = root.join(f).parent().unwrap().join(target);
        assert!(schema.is_file(), "{f} names {target}, which is not there");
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn init_refuses_to_overwrite_and_says_what_it_would_have_written() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(root.join("teams")).unwrap();
    std::fs::write(root.join("teams/platform.yaml"), "mine\n").unwrap();
    let (code, out, err) = adoptbot(tmp.path(), &["init", "repo"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("exists: repo/teams/platform.yaml"), "{err}");
    assert!(err.contains("it would have written:"), "{err}");
    assert!(err.contains("repo/adoption.yaml\n"), "{err}");
    assert!(err.contains("repo/teams/platform.yaml (exists)"), "{err}");
    // Nothing was written, and the person's file is untouched.
    assert!(!root.join("adoption.yaml").exists());
    assert_eq!(
        std::fs::read_to_string(root.join("teams/platform.yaml")).unwrap(),
        "mine\n"
    );
}

#[test]
fn schema_says_where_it_wrote_and_check_names_missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, _) = adoptbot(tmp.path(), &["schema", "--check"]);
    assert_eq!(code, 1);
    let (_, _, err) = adoptbot(tmp.path(), &["schema", "--check"]);
    assert!(
        err.contains("missing: .adoptbot/schema/adoption.schema.json"),
        "{out}{err}"
    );
    let (code, out, err) = adoptbot(tmp.path(), &["schema"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "wrote 13 schemas to .adoptbot/schema\n");
    std::fs::write(tmp.path().join(".adoptbot/schema/team.schema.json"), "{}").unwrap();
    let (code, _, err) = adoptbot(tmp.path(), &["schema", "--check"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("stale: .adoptbot/schema/team.schema.json"),
        "{err}"
    );
}

/// The inputs a workflow passes to the adoptbot action (`uses: .../adoptbot@...` or `./`).
fn action_inputs_used(workflow: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_saphyr::from_str(workflow).unwrap();
    let mut used = Vec::new();
    for job in doc["jobs"].as_object().unwrap().values() {
        for step in job["steps"].as_array().into_iter().flatten() {
            let uses = step["uses"].as_str().unwrap_or_default();
            if uses == "./" || uses.starts_with("adoptbot/adoptbot@") {
                if let Some(with) = step["with"].as_object() {
                    used.extend(with.keys().cloned());
                }
                used.push(String::new());
            }
        }
    }
    used
}

#[test]
fn workflows_pass_only_inputs_that_action_yml_declares() {
    let root = common::root();
    let action: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root.join("action.yml")).unwrap()).unwrap();
    let declared: Vec<&String> = action["inputs"].as_object().unwrap().keys().collect();
    let mut uses = 0;
    for dir in [
        "examples/contoso/.github/workflows",
        "src/runners/init/workflows",
        ".github/workflows",
    ] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = e.unwrap().path();
            for input in action_inputs_used(&std::fs::read_to_string(&path).unwrap()) {
                if input.is_empty() {
                    uses += 1;
                    continue;
                }
                assert!(
                    declared.contains(&&input),
                    "{} passes `{input}`, which action.yml does not declare ({declared:?})",
                    path.display()
                );
            }
        }
    }
    assert!(
        uses >= 5,
        "the action is used by the sample workflows ({uses})"
    );
}

#[test]
fn comments_that_are_not_commands_start_no_job() {
    for path in [
        "examples/contoso/.github/workflows/adoptbot.yml",
        "src/runners/init/workflows/adoptbot.yml",
    ] {
        let text = std::fs::read_to_string(common::root().join(path)).unwrap();
        let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
        let cond = doc["jobs"]["adoptbot"]["if"].as_str().unwrap_or_default();
        assert!(
            cond.contains("github.event_name != 'issue_comment'")
                && cond.contains("contains(github.event.comment.body, '/adoptbot')"),
            "{path}: {cond}"
        );
    }
}

/// The number of the PR on `branch`, from `pr list`.
fn pr_number(dir: &Path, branch: &str) -> String {
    let (_, list, _) = adoptbot(dir, &["pr", "list"]);
    list.lines()
        .find(|l| l.contains(&format!(" {branch} -> ")))
        .and_then(|l| l.split_whitespace().next())
        .map(|n| n.trim_start_matches('#').to_owned())
        .unwrap_or_else(|| panic!("no PR on {branch}: {list}"))
}

/// The flow of "Done when", with only the documented commands: `adoptbot init`, git, then
/// `pr open|show|merge|list`, `deploy-plan`, `reconcile`.
#[test]
fn from_init_to_a_teardown_on_the_local_forge() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("adoption");
    let d = dir.to_str().unwrap();
    let (code, out, err) = adoptbot(tmp.path(), &["init", d, "--now", "2026-12-01"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = adoptbot(tmp.path(), &["validate", d, "--now", "2026-12-01"]);
    assert_eq!((code, out.as_str()), (0, "0 errors, 0 warnings\n"));
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "Adoption repository"]);
    // validate --git reads HEAD by default.
    let (code, out, err) = adoptbot(&dir, &["validate", "--git", ".", "--now", "2026-12-01"]);
    assert_eq!(code, 0, "{out}{err}");
    // The scaffold's own request is provisioned by the first run.
    let (code, out, err) = adoptbot(tmp.path(), &["reconcile", d, "--now", "2026-12-01"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("opened #1: Provision experiment first-sandbox"),
        "{out}"
    );

    // A team asks for an experiment by pull request, and the bot checks it.
    git(&dir, &["switch", "-q", "-c", "request/second-sandbox"]);
    let request = std::fs::read_to_string(dir.join("experiments/first-sandbox.yaml"))
        .unwrap()
        .replace("first-sandbox", "second-sandbox")
        .replace("A first sandbox", "A second sandbox");
    std::fs::write(dir.join("experiments/second-sandbox.yaml"), request).unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "Request second-sandbox"]);
    git(&dir, &["switch", "-q", "main"]);
    let (code, out, err) = adoptbot(
        &dir,
        &[
            "pr",
            "open",
            "--head",
            "request/second-sandbox",
            "--title",
            "Experiment: second sandbox",
            "--as",
            "your-login",
            "--now",
            "2026-12-01",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("check `adoptbot/experiment`"), "{out}");
    assert!(out.contains(": success"), "{out}");
    let request_pr = pr_number(&dir, "request/second-sandbox");
    let (_, show, _) = adoptbot(&dir, &["pr", "show", &request_pr]);
    assert!(show.contains("ready for review"), "{show}");

    // Merged: the bot opens the provisioning PR, which the platform team merges.
    let (code, out, err) = adoptbot(&dir, &["pr", "merge", &request_pr, "--now", "2026-12-01"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Provision experiment second-sandbox"), "{out}");
    let provision = pr_number(&dir, "adoptbot/provision/second-sandbox");
    let (_, show, _) = adoptbot(&dir, &["pr", "show", &provision]);
    assert!(
        show.contains("added    infra/experiments/second-sandbox/main.bicep"),
        "{show}"
    );
    let before = git(&dir, &["rev-parse", "HEAD"]);
    let (code, out, err) = adoptbot(&dir, &["pr", "merge", &provision, "--now", "2026-12-01"]);
    assert_eq!(code, 0, "{out}{err}");
    let merged = git(&dir, &["rev-parse", "HEAD"]);
    assert_ne!(before, merged);
    // The work tree followed the merge.
    assert!(
        dir.join("infra/experiments/second-sandbox/main.bicep")
            .is_file()
    );
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");

    // The deployment plan of that merge: one deployment stack.
    let (code, plan, err) = adoptbot(
        &dir,
        &[
            "deploy-plan",
            "--base",
            &before,
            "--head",
            &merged,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(plan["deployments"].as_array().unwrap().len(), 1, "{plan:#}");
    assert_eq!(plan["deployments"][0]["experiment"], "second-sandbox");
    assert_eq!(plan["deployments"][0]["change"], "added");
    let create: Vec<&str> = plan["deployments"][0]["apply"][0]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    assert_eq!(
        create[..6],
        [
            "az",
            "stack",
            "sub",
            "create",
            "--name",
            "adoptbot-second-sandbox"
        ]
    );

    // The time box ends: the scheduled run opens the decommission PR, which is merged.
    let (code, out, err) = adoptbot(tmp.path(), &["reconcile", d, "--now", "2026-12-16"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Decommission experiment second-sandbox"),
        "{out}"
    );
    let decommission = pr_number(&dir, "adoptbot/decommission/second-sandbox");
    let (code, out, err) = adoptbot(&dir, &["pr", "merge", &decommission, "--now", "2026-12-16"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!dir.join("infra/experiments/second-sandbox").exists());

    let (code, text, err) = adoptbot(&dir, &["deploy-plan", "--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("second-sandbox (removed, bicep)"), "{text}");
    assert!(
        text.contains(
            "az stack sub delete --name adoptbot-second-sandbox --action-on-unmanage deleteAll --yes"
        ),
        "{text}"
    );
}

#[test]
fn demo_keep_ends_with_commands_that_work_on_the_kept_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let kept = tmp.path().join("demo");
    let k = kept.to_str().unwrap();
    let (code, out, err) = adoptbot(tmp.path(), &["demo", "--keep", k]);
    assert_eq!(code, 0, "{err}");
    let tail = &out[out.rfind("Try next:").expect("the commands to try")..];
    let commands: Vec<&str> = tail
        .lines()
        .skip(1)
        .map(|l| l.trim().split("  #").next().unwrap().trim())
        .collect();
    assert!(
        commands.contains(&format!("adoptbot pr list --repo {k}").as_str()),
        "{tail}"
    );
    // The read-only ones run as printed.
    for c in commands.iter().filter(|c| {
        c.starts_with("adoptbot pr list")
            || c.starts_with("adoptbot pr show")
            || c.starts_with("adoptbot deploy-plan")
    }) {
        let args: Vec<&str> = c.split_whitespace().skip(1).collect();
        let (code, out, err) = adoptbot(tmp.path(), &args);
        assert_eq!(code, 0, "{c}: {out}{err}");
    }
}

#[test]
fn the_scorecard_areas_are_documented_in_the_schema_and_the_docs() {
    let schemas = adoptbot::report::schema::all();
    let scorecard = &schemas
        .iter()
        .find(|(f, _)| *f == "scorecard.schema.json")
        .unwrap()
        .1;
    let described = scorecard["properties"]["areas"]["description"]
        .as_str()
        .unwrap();
    let framework = std::fs::read_to_string(common::root().join("docs/framework.md")).unwrap();
    for area in adoptbot::model::Area::ALL {
        assert!(described.contains(area.slug()), "{area} in {described}");
        assert!(
            framework.contains(&format!("| `{}` | {} |", area.slug(), area.question())),
            "docs/framework.md lists {area} with its question"
        );
    }
    // The deployment stack's deny settings, too.
    for value in ["none", "deny-delete", "deny-write-and-delete"] {
        assert!(framework.contains(&format!("`{value}`")), "{value}");
    }
}
