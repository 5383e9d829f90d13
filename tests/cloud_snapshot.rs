//! The snapshot adapter on bad input, and `adoptbot cloud` on the sample estate.

use adoptbot::cloud::snapshot::SnapshotCloud;
use adoptbot::cloud::{Api, Cloud, CloudErrorKind, Period};
use std::path::{Path, PathBuf};
use std::process::Command;

const X: &str = "9e4a7c21-3d5b-4f86-a0c9-1b8e2d6f4a37";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn period() -> Period {
    Period {
        from: "2026-11-01".parse().expect("date"),
        to: "2026-11-30".parse().expect("date"),
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn adoptbot(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(args)
        .current_dir(root())
        .env_remove("IDENTITY_ENDPOINT")
        .output()
        .expect("run adoptbot");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_malformed_file_is_named_with_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "resources.json",
        "{\n  \"data\": [\n    {\"id\": 3,}\n  ]\n}\n",
    );
    let cloud = SnapshotCloud::open(dir.path()).expect("open");
    let e = cloud
        .inventory(&[X.to_owned()])
        .await
        .expect_err("malformed");
    assert_eq!(e.api, Api::ResourceGraph);
    assert_eq!(e.kind, CloudErrorKind::Malformed);
    let msg = e.to_string();
    assert!(msg.contains("resources.json"), "{msg}");
    assert!(msg.contains("line 3, column"), "{msg}");

    write(dir.path(), "resources.json", "{\"data\": [{\"id\": 3}]}");
    let e = cloud
        .inventory(&[X.to_owned()])
        .await
        .expect_err("wrong type");
    assert!(e.to_string().contains("row 1"), "{e}");

    write(
        dir.path(),
        &format!("usages/{X}/eastus.json"),
        "{\"value\": [{\"name\": {\"value\": \"cores\"}, \"currentValue\": \"many\", \"limit\": 1}]}",
    );
    let e = cloud.usages(X, "eastus").await.expect_err("bad usage");
    assert_eq!(e.api, Api::ComputeUsages);
    assert!(e.to_string().contains("eastus.json"), "{e}");
    assert!(e.to_string().contains("usage 1"), "{e}");

    write(
        dir.path(),
        &format!("cost/{X}/team.json"),
        "{\"properties\": {\"columns\": [{\"name\": \"TagValue\"}], \"rows\": []}}",
    );
    let e = cloud
        .spend(X, "team", period())
        .await
        .expect_err("no cost column");
    assert_eq!(e.api, Api::CostManagement);
    assert!(e.to_string().contains("no cost column"), "{e}");

    write(
        dir.path(),
        "activity/rg-a.json",
        "{\"value\": [{\"eventTimestamp\": \"yesterday\", \"operationName\": {\"value\": \"x/write\"}}]}",
    );
    let e = cloud
        .activity(X, "RG-A", "2026-11-01".parse().expect("date"))
        .await
        .expect_err("bad timestamp");
    assert!(e.to_string().contains("rg-a.json"), "{e}");
    assert!(e.to_string().contains("eventTimestamp"), "{e}");

    let e = cloud.identity().await.expect_err("missing identity");
    assert_eq!(e.kind, CloudErrorKind::NotFound);
    assert!(e.to_string().contains("identity.json"), "{e}");
}

#[tokio::test]
async fn absent_answers_are_empty_and_paths_cannot_escape() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "resources.json", "[]");
    write(
        dir.path(),
        "secret.json",
        "{\"value\": [{\"name\": {\"value\": \"cores\"}, \"currentValue\": 1, \"limit\": 1}]}",
    );
    let cloud = SnapshotCloud::open(dir.path()).expect("open");
    assert!(
        cloud
            .inventory(&[])
            .await
            .expect("inventory")
            .resources
            .is_empty()
    );
    assert!(
        cloud
            .spend(X, "team", period())
            .await
            .expect("spend")
            .rows
            .is_empty()
    );
    assert!(
        cloud
            .usages(X, "../secret")
            .await
            .expect("usages")
            .usages
            .is_empty()
    );
    assert!(
        cloud
            .activity(X, "..", "2026-11-01".parse().expect("date"))
            .await
            .expect("activity")
            .events
            .is_empty()
    );
    assert_eq!(cloud.calls().total(), 5);
    assert!(SnapshotCloud::open(dir.path().join("nope")).is_err());
}

#[test]
fn the_cloud_command_summarises_the_sample_estate() {
    let (code, out, err) = adoptbot(&[
        "cloud",
        "examples/contoso",
        "--cloud",
        "snapshot:examples/contoso/cloud",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("identity: 3f8c2a71-5d4e-4b9a-8c6f-1e2d3a4b5c6d"),
        "{out}"
    );
    assert!(
        out.contains("resources: 28 in 11 resource groups (25 managed by adoptbot)"),
        "{out}"
    );
    assert!(
        out.contains("eastus standardNCASv3_T4Family: 4 / 64 Count"),
        "{out}"
    );
    assert!(
        out.contains("eastus lowPriorityCores: 24 / 100 Count"),
        "{out}"
    );

    let (code, out, err) = adoptbot(&[
        "cloud",
        "examples/contoso",
        "--cloud",
        "snapshot:examples/contoso/cloud",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["resources"], 28);
    assert_eq!(v["calls"]["per_api"]["compute-usages"], 6);
    assert_eq!(v["calls"]["per_api"]["resource-graph"], 2);
}

#[test]
fn the_cloud_command_refuses_bad_sources_clearly() {
    let (code, _, err) = adoptbot(&["cloud", "examples/contoso", "--cloud", "gcp"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`azure` or `snapshot:DIR`"), "{err}");
    let (code, _, err) = adoptbot(&[
        "cloud",
        "examples/contoso",
        "--cloud",
        "snapshot:does/not/exist",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does/not/exist"), "{err}");
}
