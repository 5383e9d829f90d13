//! The command line, as a user runs it: exit codes, output, and the JSON shape.

mod common;

use std::process::Command;

fn adoptbot(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(args)
        .current_dir(common::root())
        .output()
        .expect("adoptbot runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn validate_passes_the_sample_repository() {
    let (code, out, err) = adoptbot(&["validate", "examples/contoso", "--now", "2026-11-27"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("0 errors, 0 warnings\n"), "{out}");
}

#[test]
fn validate_reports_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&common::contoso(), dir.path());
    let exp = dir.path().join("experiments");
    let first = std::fs::read_dir(&exp)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(
        &first,
        text.replace("time_box: 2w", "time_box: 3w")
            .replace("time_box: 4w", "time_box: 3w"),
    )
    .unwrap();
    std::fs::write(
        exp.join("typo.yaml"),
        "title: x\nteam: search\ncolour: blue\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("radar/broken.yaml"), "name: [\n").unwrap();
    let (code, out, _) = adoptbot(&[
        "validate",
        dir.path().to_str().unwrap(),
        "--now",
        "2026-11-27",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("non-standard-time-box"), "{out}");
    assert!(
        out.contains("experiments/typo.yaml:3:1: error[unknown-field]"),
        "{out}"
    );
    assert!(out.contains("radar/broken.yaml:"), "{out}");
    assert!(out.contains("hint:"), "{out}");

    let (code, json, _) = adoptbot(&["validate", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(v["schema_version"], 1);
    assert!(v["errors"].as_u64().unwrap() >= 3);
    assert_eq!(
        v["diagnostics"].as_array().unwrap().len() as u64,
        v["errors"].as_u64().unwrap() + v["warnings"].as_u64().unwrap()
    );
}

#[test]
fn a_missing_directory_is_exit_2_with_a_clear_message() {
    let (code, _, err) = adoptbot(&["validate", "no/such/dir"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read no/such/dir"), "{err}");
    let (code, _, err) = adoptbot(&["plan", "examples/contoso", "--now", "27/11/2026"]);
    assert_eq!(code, 2);
    assert!(err.contains("write YYYY-MM-DD"), "{err}");
}

#[test]
fn plan_text_tells_the_story() {
    let (code, out, err) = adoptbot(&["plan", "examples/contoso", "--now", "2026-11-27"]);
    assert_eq!(code, 0, "{err}");
    for needle in [
        "adoptbot plan: Contoso, phase 4 (Experimentation), as of 2026-11-27",
        "Gate 4-5",
        "ending soon",
        "EXPIRED",
        "OVER BUDGET",
        "adoptbot/decommission/",
        "Overdue reviews",
        "In short: gate 4-5:",
        "unwarned/ds-forecast-sandbox",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    insta::assert_snapshot!("contoso_plan", out);
}

#[test]
fn plan_json_is_stable_and_documented() {
    let (code, out, _) = adoptbot(&[
        "plan",
        "examples/contoso",
        "--now",
        "2026-11-27",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["findings"]["phase"], "experimentation");
    assert_eq!(v["findings"]["gate"]["gate"], "4-5");
    for key in [
        "today",
        "organisation",
        "readiness",
        "experiments",
        "stale",
        "inventory",
        "training",
        "rollback",
    ] {
        assert!(
            v["findings"].get(key).is_some(),
            "findings.{key} is documented in docs/plan-json.md"
        );
    }
    let doc = std::fs::read_to_string(common::root().join("docs/plan-json.md")).unwrap();
    for key in v["findings"]["experiments"][0].as_object().unwrap().keys() {
        assert!(
            doc.contains(&format!("\"{key}\"")),
            "experiments[].{key} is not documented"
        );
    }
    let rollback = &v["findings"]["rollback"];
    assert_eq!(rollback["gate"], "3-4");
    for key in rollback.as_object().unwrap().keys() {
        assert!(
            doc.contains(&format!("\"{key}\"")),
            "rollback.{key} is not documented"
        );
    }
    for key in rollback["criteria"][0].as_object().unwrap().keys() {
        assert!(
            doc.contains(&format!("\"{key}\"")),
            "rollback.criteria[].{key} is not documented"
        );
    }
    for a in v["actions"].as_array().unwrap() {
        assert!(
            ["check", "comment", "pull-request", "recommendation"]
                .contains(&a["kind"].as_str().unwrap())
        );
    }
}

#[test]
fn git_source_reads_head_by_default() {
    let head = adoptbot(&["validate", "--git", ".", "--rev", "HEAD"]);
    let default = adoptbot(&["validate", "--git", "."]);
    assert_ne!(default.0, 2, "{}", default.2);
    assert_eq!(default, head);
}

#[test]
fn schema_check_passes_on_the_committed_schemas() {
    let (code, _, err) = adoptbot(&["schema", "--check", "--out", "docs/schema"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn every_sample_experiment_renders_in_both_flavours() {
    let a = adoptbot::analyse(
        &adoptbot::load::dir::read_dir(&common::contoso()).unwrap(),
        common::contoso_today(),
    )
    .unwrap();
    let catalogue = adoptbot::blueprint_facts(&a.loaded.repo)
        .catalogue
        .expect("the built-in catalogue");
    let mut blueprints = std::collections::BTreeSet::new();
    for (id, doc) in &a.loaded.repo.experiments {
        for flavour in adoptbot::model::Flavour::ALL {
            let files = adoptbot::render::render_experiment(
                &catalogue,
                id,
                doc,
                flavour,
                common::contoso_today(),
            )
            .unwrap_or_else(|d| panic!("{id} {flavour}: {d:#?}"));
            assert!(!files.is_empty());
            for f in &files {
                assert!(
                    f.path.starts_with(&format!("infra/experiments/{id}/"))
                        && (f.path.ends_with(flavour.extension())
                            || f.path.ends_with("/adoptbot-cap.py")
                            || f.path.ends_with("/main.bicepparam")),
                    "{}",
                    f.path
                );
                let header = adoptbot::render::check_rendered(&f.content)
                    .unwrap_or_else(|e| panic!("{}: {e}", f.path));
                assert_eq!(
                    (header.experiment.as_str(), header.blueprint.as_str()),
                    (id.as_str(), doc.blueprint.as_str())
                );
                assert!(header.content_matches);
            }
        }
        blueprints.insert(doc.blueprint.to_string());
    }
    assert_eq!(
        blueprints.len(),
        5,
        "the sample uses all five blueprints: {blueprints:?}"
    );
}

#[test]
fn render_writes_the_open_experiments_and_refuses_unknown_ones() {
    let out = tempfile::tempdir().unwrap();
    for flavour in ["bicep", "terraform"] {
        let (code, stdout, err) = adoptbot(&[
            "render",
            "examples/contoso",
            "--flavour",
            flavour,
            "--out",
            out.path().to_str().unwrap(),
            "--now",
            "2026-11-27",
        ]);
        assert_eq!(code, 0, "{stdout}{err}");
        assert!(
            stdout.contains(&format!(
                "rendered 10 experiments in {flavour}, 4 closed skipped"
            )),
            "{stdout}"
        );
    }
    let dir = out.path().join("infra/experiments/fraud-gnn-training");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with(".bicep")) && names.iter().any(|n| n.ends_with(".tf")),
        "{names:?}"
    );
    assert!(
        !out.path()
            .join("infra/experiments/care-rag-assistant")
            .exists(),
        "closed experiments are not rendered"
    );

    let (code, _, err) = adoptbot(&[
        "render",
        "examples/contoso",
        "--experiment",
        "nope",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("there is no experiment `nope`"), "{err}");
}

#[test]
fn the_request_comment_shows_checklist_cost_and_iac() {
    let a = adoptbot::analyse(
        &adoptbot::load::dir::read_dir(&common::contoso()).unwrap(),
        common::contoso_today(),
    )
    .unwrap();
    let catalogue = adoptbot::blueprint_facts(&a.loaded.repo).catalogue.unwrap();
    let id: adoptbot::model::Id = "fraud-gnn-training".parse().unwrap();
    let state = a
        .evaluation
        .experiments
        .iter()
        .find(|e| e.id == id)
        .unwrap();
    let files = adoptbot::render::render_experiment(
        &catalogue,
        &id,
        &a.loaded.repo.experiments[&id],
        adoptbot::model::Flavour::Bicep,
        common::contoso_today(),
    )
    .unwrap();
    let body = adoptbot::report::request::comment(
        &a.evaluation,
        state,
        adoptbot::model::Flavour::Bicep,
        Some(&files),
    );
    assert!(
        body.contains("ready for review") && body.contains("<details><summary>Rendered bicep"),
        "{body}"
    );
    let without_iac = adoptbot::report::request::comment(
        &a.evaluation,
        state,
        adoptbot::model::Flavour::Bicep,
        None,
    );
    insta::assert_snapshot!("request_comment", without_iac);

    let check = adoptbot::report::request::check(
        &a.evaluation,
        std::slice::from_ref(&state.path),
        "abc123",
    );
    assert_eq!(check.conclusion, adoptbot::forge::Conclusion::Success);
    assert!(check.annotations.is_empty());
}

#[test]
fn a_broken_request_is_annotated_on_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&common::contoso(), dir.path());
    let path = dir.path().join("experiments/fraud-gnn-training.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("time_box: 4w", "time_box: 5w")
        .replace("cost_cap: 9500 USD", "cost_cap: 100 USD");
    std::fs::write(&path, text).unwrap();
    let a = adoptbot::analyse(
        &adoptbot::load::dir::read_dir(dir.path()).unwrap(),
        common::contoso_today(),
    )
    .unwrap();
    let state = a
        .evaluation
        .experiments
        .iter()
        .find(|e| e.id.as_str() == "fraud-gnn-training")
        .unwrap();
    let body = adoptbot::report::request::comment(
        &a.evaluation,
        state,
        adoptbot::model::Flavour::Bicep,
        None,
    );
    assert!(
        body.contains("needs changes") && body.contains("❌ | A standard time box"),
        "{body}"
    );
    let check = adoptbot::report::request::check(
        &a.evaluation,
        std::slice::from_ref(&state.path),
        "abc123",
    );
    assert_eq!(check.conclusion, adoptbot::forge::Conclusion::Failure);
    assert!(
        check
            .annotations
            .iter()
            .any(|x| x.title == "non-standard-time-box" && x.start_line > 1),
        "{:?}",
        check.annotations
    );
}

#[test]
fn the_demo_tells_the_whole_story_offline() {
    let (code, out, err) = adoptbot(&["demo"]);
    assert_eq!(code, 0, "{err}");
    for needle in [
        "@ivan-novak opens a request PR",
        "needs changes",
        "check `adoptbot/experiment`",
        "the same event is delivered again\n  bot: nothing to write",
        "bot: updated comment 1",
        "opened #7: Provision experiment fraud-distill",
        "Requested in #6.",
        "@ivan-novak: the time box of experiment `fraud-distill` ends on **2026-12-11**",
        "opened #14: Decommission experiment fraud-distill",
        "nothing changed, nothing is written\n  bot: nothing to write",
        "check `adoptbot/gate (main)` on",
        "waiting for infrastructure-lead, business-sponsor, security-lead",
        "only from people with write access",
        "no second refusal\n  bot: nothing to write",
        "bot: pushed 1 file to `adoptbot/audit`",
        "gate 4-5: advance #15 \"Gate 4-5: scale and governance\" by @akira-kimura: PASSED",
        // The scheduled report on the sample estate: the dashboard and the PRs it calls for.
        "opened issue #12: adoptbot dashboard",
        "opened #10: Add shadow AI found in Azure to the inventory",
        "opened #11: Reclaim unused GPU quota of team fraud-analytics",
        "idle for 30 days: decommission",
        "1 entry, 0 to look at.",
    ] {
        assert!(
            out.contains(needle),
            "missing {needle:?} in the demo:\n{out}"
        );
    }
    // Four comments in the whole story (the request's, the expiry warning, the gate's
    // checklist, one refusal), each posted once and then updated in place.
    let posted: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("bot: commented on"))
        .collect();
    assert_eq!(posted.len(), 4, "{posted:#?}");
    assert!(
        out.contains("bot: updated check `adoptbot/gate (main)`") && out.contains(": success"),
        "{out}"
    );
}
