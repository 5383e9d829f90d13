//! The cost cap runbook that every blueprint renders (`adoptbot-cap.py`), run with the system
//! Python against a strict, stateful stub of the ARM calls it makes, on loopback
//! (`tests/render_fixtures/runbook_stub.py`): it stops every kind of compute, deletes nothing,
//! tags what it stopped, stays inside its resource group, and a second run writes nothing.

use std::process::Command;

use adoptbot::render::{CAP_RUNBOOK, CAPPED_TAG, Catalogue, Flavour, RUNBOOK_FILE, render};
use serde_json::Value;

fn rendered_script(flavour: Flavour) -> String {
    let cat = Catalogue::builtin().unwrap_or_else(|d| panic!("{d:#?}"));
    let bp = cat.get("gpu-training-cluster").unwrap();
    let files = render(
        bp,
        flavour,
        &adoptbot::render::example_context(),
        &bp.manifest.example_parameters,
    )
    .unwrap_or_else(|d| panic!("{d:#?}"));
    files
        .into_iter()
        .find(|f| f.path == RUNBOOK_FILE)
        .expect("the runbook is rendered")
        .content
}

#[test]
fn the_runbook_is_the_same_script_in_both_flavours() {
    let body = |s: String| s.split_once("\n\n").unwrap().1.to_owned();
    assert_eq!(
        body(rendered_script(Flavour::Bicep)),
        body(rendered_script(Flavour::Terraform))
    );
    assert_eq!(CAP_RUNBOOK, "adoptbot-cap");
    assert_eq!(CAPPED_TAG, "adoptbot-capped");
}

#[test]
fn the_runbook_stops_all_compute_against_an_arm_stub_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join(RUNBOOK_FILE);
    std::fs::write(&script, rendered_script(Flavour::Terraform)).unwrap();
    let report = dir.path().join("report.json");
    let stub = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/render_fixtures/runbook_stub.py"
    );
    let out = Command::new("python3")
        .arg(stub)
        .arg(&script)
        .arg(&report)
        .output()
        .expect("python3 runs (the runbook is Python; CI has python3 for checkov)");
    assert!(
        out.status.success(),
        "stub run failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let rg = r["rg"].as_str().unwrap();
    let state = &r["state"];
    assert_eq!(
        r["unexpected"],
        serde_json::json!([]),
        "only expected calls"
    );
    assert_eq!(
        r["auth_failures"], 0,
        "every call carries the identity's token"
    );
    assert_eq!(r["token_requests"], 2, "one token per run");

    // Everything that ran is stopped; nothing was deleted.
    for (vm, power) in state["vms"].as_object().unwrap() {
        assert_eq!(power, "PowerState/deallocated", "{vm}");
    }
    for (_, sku) in state["vmss"].as_object().unwrap() {
        assert_eq!(sku["capacity"], 0);
        assert_eq!(sku["name"], "Standard_NC24ads_A100_v4", "the size is kept");
    }
    for (_, a) in state["autoscale"].as_object().unwrap() {
        assert_eq!(a["enabled"], false, "autoscale cannot bring the nodes back");
    }
    let pools = state["pools"].as_object().unwrap();
    let gpu = pools.iter().find(|(k, _)| k.ends_with("/gpu")).unwrap().1;
    assert_eq!(gpu["count"], 0);
    assert_eq!(gpu["enableAutoScaling"], false);
    assert!(gpu.get("minCount").is_none() && gpu.get("maxCount").is_none());
    assert_eq!(gpu["tags"][CAPPED_TAG], "2026-12-01");
    assert_eq!(gpu["vmSize"], "Standard_NC4as_T4_v3", "the pool is kept");
    let system = pools
        .iter()
        .find(|(k, _)| k.ends_with("/system"))
        .unwrap()
        .1;
    assert_eq!(
        system["count"], 2,
        "the system pool keeps the cluster alive"
    );
    let computes = state["computes"].as_object().unwrap();
    let cluster = computes
        .iter()
        .find(|(k, _)| k.ends_with("/cluster"))
        .unwrap()
        .1;
    assert_eq!(cluster["properties"]["scaleSettings"]["maxNodeCount"], 0);
    assert_eq!(cluster["properties"]["scaleSettings"]["minNodeCount"], 0);
    let instance = computes
        .iter()
        .find(|(k, _)| k.ends_with("/instance"))
        .unwrap()
        .1;
    assert_eq!(instance["properties"]["state"], "Stopped");

    // What it stopped carries the capped tag with the day; what was already stopped does not.
    let tags = state["tags"].as_object().unwrap();
    let stopped: Vec<&str> = r["stopped_first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(stopped.len(), 6, "{stopped:#?}");
    for id in &stopped {
        assert!(id.starts_with(rg), "{id} is in the resource group");
        if !id.contains("/agentPools/") {
            assert_eq!(tags[*id][CAPPED_TAG], "2026-12-01", "{id} is tagged");
        }
    }
    assert!(tags.keys().all(|k| !k.ends_with("vm-stopped")));
    assert!(tags.keys().any(|k| k.ends_with("managedClusters/aks1")));

    // No write is a DELETE, every write stays in the group, and a second run writes nothing.
    for w in r["writes_first"].as_array().unwrap() {
        assert_ne!(w[0], "DELETE");
        assert!(w[1].as_str().unwrap().starts_with(rg), "{w}");
    }
    assert_eq!(
        r["writes_first"].as_array().unwrap().len(),
        6 + 6,
        "six stops and six tags (the node pool carries its tag in its own body, its cluster gets one)"
    );
    assert_eq!(r["writes_second"], serde_json::json!([]), "idempotent");
    assert_eq!(r["stopped_second"], serde_json::json!([]));
    assert!(
        r["outside"].as_str().unwrap().contains("refusing to touch"),
        "{}",
        r["outside"]
    );
    assert!(
        r["no_identity"]
            .as_str()
            .unwrap()
            .contains("IDENTITY_ENDPOINT")
    );
}
