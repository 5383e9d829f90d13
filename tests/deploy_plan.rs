//! `adoptbot deploy-plan` on scripted git histories: IaC added, changed, removed, renamed,
//! a request with no IaC, both flavours, and the deny settings of adoption.yaml.

use std::path::Path;
use std::process::Command;

/// A repository where each call commits the tree given as (path, Some(text) | None to delete)
/// on top of the previous commit, returning its SHA.
struct History {
    dir: tempfile::TempDir,
    head: Option<git2::Oid>,
}

impl History {
    fn new() -> History {
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        History { dir, head: None }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn commit(&mut self, changes: &[(&str, Option<&str>)]) -> String {
        let repo = git2::Repository::open(self.path()).unwrap();
        let mut index = repo.index().unwrap();
        for (path, text) in changes {
            let full = self.path().join(path);
            match text {
                Some(t) => {
                    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                    std::fs::write(&full, t).unwrap();
                    index.add_path(Path::new(path)).unwrap();
                }
                None => {
                    std::fs::remove_file(&full).unwrap();
                    index.remove_path(Path::new(path)).unwrap();
                }
            }
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig =
            git2::Signature::new("t", "t@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap();
        let parents: Vec<git2::Commit> = self
            .head
            .map(|h| repo.find_commit(h).unwrap())
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        let id = repo
            .commit(Some("HEAD"), &sig, &sig, "step", &tree, &refs)
            .unwrap();
        self.head = Some(id);
        id.to_string()
    }

    fn plan(&self, base: &str, head: &str) -> serde_json::Value {
        let out = Command::new(env!("CARGO_BIN_EXE_adoptbot"))
            .args([
                "deploy-plan",
                "--base",
                base,
                "--head",
                head,
                "--format",
                "json",
            ])
            .args(["--git".as_ref(), self.path().as_os_str()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

const ADOPTION: &str = "organisation: T\nphase: experimentation\nroles: {}\nazure: { tenant_id: t, subscriptions: [s], regions: [northeurope] }\n";

fn lines(cmds: &serde_json::Value) -> Vec<String> {
    cmds.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c.as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn only(plan: &serde_json::Value) -> &serde_json::Value {
    let ds = plan["deployments"].as_array().unwrap();
    assert_eq!(ds.len(), 1, "{plan:#}");
    &ds[0]
}

#[test]
fn bicep_add_change_remove_through_a_deployment_stack() {
    let mut h = History::new();
    let c0 = h.commit(&[(
        "adoption.yaml",
        Some(&format!(
            "{ADOPTION}stack_deny_settings: deny-write-and-delete\n"
        )),
    )]);
    let c1 = h.commit(&[
        ("infra/experiments/x/main.bicep", Some("// v1\n")),
        (
            "infra/experiments/x/main.bicepparam",
            Some("using 'main.bicep'\n"),
        ),
    ]);
    let added = h.plan(&c0, &c1);
    let d = only(&added);
    assert_eq!(d["experiment"], "x");
    assert_eq!(d["change"], "added");
    assert_eq!(d["tool"], "bicep");
    assert_eq!(
        lines(&d["apply"]),
        [
            "az stack sub create --name adoptbot-x --location northeurope --template-file infra/experiments/x/main.bicep --parameters infra/experiments/x/main.bicepparam --action-on-unmanage deleteAll --deny-settings-mode denyWriteAndDelete --yes"
        ]
    );
    assert_eq!(
        lines(&d["preview"]),
        [
            "az deployment sub what-if --name adoptbot-x --location northeurope --template-file infra/experiments/x/main.bicep --parameters infra/experiments/x/main.bicepparam"
        ]
    );

    let c2 = h.commit(&[("infra/experiments/x/main.bicep", Some("// v2\n"))]);
    let changed = h.plan(&c1, &c2);
    assert_eq!(only(&changed)["change"], "changed");
    assert!(
        lines(&only(&changed)["apply"])[0].starts_with("az stack sub create --name adoptbot-x")
    );

    let c3 = h.commit(&[
        ("infra/experiments/x/main.bicep", None),
        ("infra/experiments/x/main.bicepparam", None),
    ]);
    let removed = h.plan(&c2, &c3);
    let d = only(&removed);
    assert_eq!(d["change"], "removed");
    assert_eq!(
        lines(&d["apply"]),
        ["az stack sub delete --name adoptbot-x --action-on-unmanage deleteAll --yes"]
    );
}

#[test]
fn the_region_is_the_requests_location_and_deny_settings_default_to_none() {
    let mut h = History::new();
    let c0 = h.commit(&[("adoption.yaml", Some(ADOPTION))]);
    let c1 = h.commit(&[
        (
            "experiments/y.yaml",
            Some("title: y\nteam: t\nowner: o\nhypothesis: h\nnext_step: n\ntime_box: 2w\ncost_cap: 10 USD\ncost_tag: exp-y\nblueprint: experiment-sandbox\nparameters: { location: swedencentral }\n"),
        ),
        ("infra/experiments/y/main.bicep", Some("// y\n")),
    ]);
    let d = h.plan(&c0, &c1);
    let apply = lines(&only(&d)["apply"]);
    assert!(apply[0].contains("--location swedencentral"), "{apply:?}");
    assert!(apply[0].contains("--deny-settings-mode none"), "{apply:?}");
    // No parameters file: deployed without one, and the plan says so.
    assert!(!apply[0].contains("--parameters"), "{apply:?}");
    assert!(
        only(&d)["notes"][0]
            .as_str()
            .unwrap()
            .contains("main.bicepparam is missing")
    );
}

#[test]
fn terraform_add_then_remove_destroys_from_the_base_commits_files() {
    let mut h = History::new();
    let c0 = h.commit(&[("adoption.yaml", Some(ADOPTION))]);
    let c1 = h.commit(&[
        ("infra/experiments/tf/main.tf", Some("# tf\n")),
        ("infra/experiments/tf/backend.tf", Some("# backend\n")),
    ]);
    let d = h.plan(&c0, &c1);
    assert_eq!(only(&d)["tool"], "terraform");
    assert_eq!(
        lines(&only(&d)["preview"]),
        [
            "terraform -chdir=infra/experiments/tf init -input=false",
            "terraform -chdir=infra/experiments/tf plan -input=false"
        ]
    );
    assert_eq!(
        lines(&only(&d)["apply"]),
        [
            "terraform -chdir=infra/experiments/tf init -input=false",
            "terraform -chdir=infra/experiments/tf apply -input=false -auto-approve"
        ]
    );
    let c2 = h.commit(&[
        ("infra/experiments/tf/main.tf", None),
        ("infra/experiments/tf/backend.tf", None),
    ]);
    let d = h.plan(&c1, &c2);
    assert_eq!(only(&d)["change"], "removed");
    assert_eq!(
        lines(&only(&d)["apply"]),
        [
            format!("git checkout {c1} -- infra/experiments/tf"),
            "terraform -chdir=infra/experiments/tf init -input=false".into(),
            "terraform -chdir=infra/experiments/tf destroy -input=false -auto-approve".into()
        ]
    );
    assert!(lines(&only(&d)["preview"])[2].contains("plan -destroy"));
}

#[test]
fn a_renamed_folder_tears_the_old_one_down_and_deploys_the_new_one() {
    let mut h = History::new();
    let c0 = h.commit(&[("adoption.yaml", Some(ADOPTION))]);
    let c1 = h.commit(&[("infra/experiments/old/main.bicep", Some("// same\n"))]);
    let c2 = h.commit(&[
        ("infra/experiments/old/main.bicep", None),
        ("infra/experiments/new/main.bicep", Some("// same\n")),
    ]);
    let _ = c0;
    let plan = h.plan(&c1, &c2);
    let ds = plan["deployments"].as_array().unwrap();
    let by: Vec<(&str, &str)> = ds
        .iter()
        .map(|d| {
            (
                d["experiment"].as_str().unwrap(),
                d["change"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(by, [("new", "added"), ("old", "removed")]);
    assert!(lines(&ds[1]["apply"])[0].starts_with("az stack sub delete --name adoptbot-old"));
}

#[test]
fn a_request_with_no_iac_and_files_outside_infra_plan_nothing() {
    let mut h = History::new();
    let c0 = h.commit(&[("adoption.yaml", Some(ADOPTION))]);
    let c1 = h.commit(&[
        ("experiments/z.yaml", Some("title: z\n")),
        ("infra/README.md", Some("generated IaC lives below\n")),
    ]);
    let plan = h.plan(&c0, &c1);
    assert_eq!(plan["deployments"], serde_json::json!([]), "{plan:#}");
    assert_eq!(plan["base"], c0.as_str());
    assert_eq!(plan["head"], c1.as_str());

    // The text form says so in words.
    let out = Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(["deploy-plan", "--base", &c0, "--head", &c1])
        .current_dir(h.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("nothing to deploy or tear down"), "{text}");
}

#[test]
fn a_folder_without_a_main_file_is_listed_with_nothing_to_run() {
    let mut h = History::new();
    let c0 = h.commit(&[("adoption.yaml", Some(ADOPTION))]);
    let c1 = h.commit(&[("infra/experiments/half/resources.bicep", Some("// x\n"))]);
    let plan = h.plan(&c0, &c1);
    let d = only(&plan);
    assert_eq!(d["tool"], serde_json::Value::Null);
    assert_eq!(d["apply"], serde_json::json!([]));
    assert!(
        d["notes"][0]
            .as_str()
            .unwrap()
            .contains("neither main.bicep nor main.tf")
    );
}

#[test]
fn an_unknown_commit_is_a_clear_error() {
    let mut h = History::new();
    let c0 = h.commit(&[("adoption.yaml", Some(ADOPTION))]);
    let out = Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(["deploy-plan", "--base", "0123456789abcdef", "--head", &c0])
        .current_dir(h.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--base `0123456789abcdef` is not a commit"),
        "{err}"
    );
    assert!(err.contains("fetch-depth: 0"), "{err}");
}

/// Bicep cannot give a runbook its content, so after the stack the plan uploads the rendered
/// cap script and publishes it, into the account `render` names; without it the budget's 100%
/// action would start an empty runbook.
#[test]
fn a_bicep_cap_runbook_is_uploaded_and_published_after_the_stack() {
    let mut h = History::new();
    let c0 = h.commit(&[("adoption.yaml", Some(ADOPTION))]);
    let c1 = h.commit(&[
        (
            "experiments/y.yaml",
            Some("title: y\nteam: search\nowner: o\nhypothesis: h\nnext_step: n\ntime_box: 2w\ncost_cap: 10 USD\ncost_tag: exp-y\nblueprint: experiment-sandbox\n"),
        ),
        ("infra/experiments/y/main.bicep", Some("// y\n")),
        ("infra/experiments/y/adoptbot-cap.py", Some("# cap\n")),
    ]);
    let d = h.plan(&c0, &c1);
    let apply = lines(&only(&d)["apply"]);
    assert!(
        apply[0].starts_with("az stack sub create --name adoptbot-y"),
        "{apply:?}"
    );
    assert_eq!(
        apply[1..],
        [
            "az extension add --name automation --upgrade --yes",
            "az automation runbook replace-content --resource-group rg-y --automation-account-name aa-adoptbot-cap-y --name adoptbot-cap --content @infra/experiments/y/adoptbot-cap.py",
            "az automation runbook publish --resource-group rg-y --automation-account-name aa-adoptbot-cap-y --name adoptbot-cap",
        ]
    );
    // The pull request only previews: nothing is uploaded before the merge.
    assert_eq!(lines(&only(&d)["preview"]).len(), 1);

    // Without a request naming the team, the account is unknown: said, not guessed.
    let c2 = h.commit(&[("experiments/y.yaml", None)]);
    let c3 = h.commit(&[("infra/experiments/y/main.bicep", Some("// y2\n"))]);
    let d = h.plan(&c2, &c3);
    assert_eq!(lines(&only(&d)["apply"]).len(), 1);
    assert!(
        only(&d)["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("upload infra/experiments/y/adoptbot-cap.py by hand")),
        "{d:#}"
    );
}
