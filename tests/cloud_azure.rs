//! The Azure adapter against the strict ARM simulator, with the real azure_identity
//! `ManagedIdentityCredential` getting its token from the simulator through
//! `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, and the contract: the Azure adapter on the
//! simulator and the snapshot adapter on the same estate return the same data.
//!
//! `IDENTITY_ENDPOINT` is process-global, so every test here takes [`ENV`] first.

mod azure_sim;

use adoptbot::cloud::snapshot::SnapshotCloud;
use adoptbot::cloud::{Api, Cloud, CloudErrorKind, Period};
use azure_sim::{AzureSim, Estate, Fault, SimApi};
use chrono::NaiveDate;
use std::path::PathBuf;
use std::time::Duration;

static ENV: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const P: &str = "2b6f1d3e-8a4c-4e7b-b9d2-5c1a7e3f9b08";
const X: &str = "9e4a7c21-3d5b-4f86-a0c9-1b8e2d6f4a37";
const REGIONS: [&str; 3] = ["westeurope", "swedencentral", "eastus"];

fn estate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/contoso/cloud")
}

fn subs() -> Vec<String> {
    vec![P.to_owned(), X.to_owned()]
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn period() -> Period {
    Period {
        from: day("2026-11-01"),
        to: day("2026-12-01"),
    }
}

fn snapshot() -> SnapshotCloud {
    SnapshotCloud::open(estate_dir()).expect("snapshot")
}

#[tokio::test]
async fn both_adapters_return_the_same_estate() {
    let _g = ENV.lock().await;
    let sim = AzureSim::start(Estate::contoso()).await;
    let az = azure_sim::adapter(&sim);
    let snap = snapshot();

    let a = az.identity().await.expect("identity");
    let b = snap.identity().await.expect("identity");
    assert_eq!(a.oid, azure_sim::BOT_OID);
    assert_eq!(a.oid, b.oid);

    let a = az.inventory(&subs()).await.expect("inventory");
    let b = snap.inventory(&subs()).await.expect("inventory");
    assert_eq!(a, b);
    assert_eq!(a.resources.len(), 28);
    assert_eq!(a.subscriptions().count(), 2);
    assert_eq!(a.resource_groups().count(), 11);
    let shadow = a
        .resources
        .iter()
        .filter(|r| {
            r.is_type("Microsoft.CognitiveServices/accounts") && r.tag("managed-by").is_none()
        })
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>();
    assert_eq!(shadow, ["search-gpt4o-playground"]);

    for sub in subs() {
        for tag in ["team", "cost-tag", "no-such-tag"] {
            let a = az.spend(&sub, tag, period()).await.expect("spend");
            let b = snap.spend(&sub, tag, period()).await.expect("spend");
            assert_eq!(a, b, "{sub} {tag}");
        }
        for region in REGIONS {
            let a = az.usages(&sub, region).await.expect("usages");
            let b = snap.usages(&sub, region).await.expect("usages");
            assert_eq!(a, b, "{sub} {region}");
            assert!(a.low_priority_cores().is_some(), "{sub} {region}");
        }
    }
    let search = snap
        .spend(X, "team", period())
        .await
        .expect("spend")
        .of("search")
        + snap
            .spend(P, "team", period())
            .await
            .expect("spend")
            .of("search");
    assert!((search - 16380.2).abs() < 0.01, "{search}");
    let t4 = az.usages(X, "eastus").await.expect("usages");
    let t4 = t4.get("standardNCASv3_T4Family").expect("T4 family");
    assert_eq!((t4.current_value, t4.limit), (4, 64));

    // The Activity Log upper-cases resource-group names; both adapters match either case.
    let a = az
        .activity(X, "rg-ds-forecast-sandbox", day("2026-11-16"))
        .await
        .expect("activity");
    let b = snap
        .activity(X, "RG-DS-FORECAST-SANDBOX", day("2026-11-16"))
        .await
        .expect("activity");
    assert_eq!(a.events, b.events);
    assert_eq!(a.events.len(), 3);
    assert!(
        a.events
            .iter()
            .all(|e| e.resource_group_name.as_deref() == Some("RG-DS-FORECAST-SANDBOX"))
    );
    let human = a
        .events
        .iter()
        .filter(|e| e.is_write() && !e.by_any_of([azure_sim::BOT_OID]))
        .map(|e| e.event_timestamp.date_naive())
        .max();
    assert_eq!(human, Some(day("2026-11-16")));

    let vm = format!(
        "/subscriptions/{X}/resourceGroups/rg-ds-forecast-sandbox/providers/Microsoft.Compute/virtualMachines/vm-forecast-01"
    );
    let a = az
        .metrics(&vm, &["Percentage CPU"], period())
        .await
        .expect("metrics");
    let b = snap
        .metrics(&vm, &["Percentage CPU"], period())
        .await
        .expect("metrics");
    assert_eq!(a, b);
    assert_eq!(a[0].points.len(), 17);
    assert_eq!(
        a[0].points
            .iter()
            .filter_map(|p| p.maximum)
            .fold(0.0, f64::max),
        88.0
    );

    // Bounded: one call per API and scope, no retries, one token.
    let calls = az.calls();
    assert_eq!(calls.of(Api::ResourceGraph), 2);
    assert_eq!(calls.of(Api::CostManagement), 6);
    assert_eq!(calls.of(Api::ComputeUsages), 7);
    assert_eq!(calls.retries, 0);
    assert_eq!(sim.count(SimApi::Token), 1);
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.method == "GET" || r.method == "POST")
    );
    sim.finish();
}

#[tokio::test]
async fn pages_are_followed_across_every_paged_api() {
    let _g = ENV.lock().await;
    let sim = AzureSim::start(Estate::contoso()).await;
    {
        let mut st = sim.state();
        st.graph_page = 5;
        st.activity_page = 2;
        st.cost_page = 1;
    }
    let az = azure_sim::adapter(&sim);
    let snap = snapshot();
    let a = az.inventory(&subs()).await.expect("inventory");
    assert_eq!(a, snap.inventory(&subs()).await.expect("inventory"));
    // 28 resources in pages of 5, 13 containers in pages of 5.
    assert_eq!(sim.count(SimApi::ResourceGraph), 6 + 3);
    let s = az.spend(X, "team", period()).await.expect("spend");
    assert_eq!(s, snap.spend(X, "team", period()).await.expect("spend"));
    assert_eq!(sim.count(SimApi::CostManagement), 4);
    let e = az
        .activity(X, "rg-ds-forecast-sandbox", day("2026-11-01"))
        .await
        .expect("activity");
    assert_eq!(e.events.len(), 5);
    assert_eq!(sim.count(SimApi::ActivityLog), 3);
    sim.finish();
}

#[tokio::test]
async fn throttling_and_unavailability_are_retried_honouring_retry_after() {
    let _g = ENV.lock().await;
    let sim = AzureSim::start(Estate::contoso()).await;
    let az = azure_sim::adapter(&sim);
    sim.fail_next(SimApi::ComputeUsages, Fault::Throttle(7), 1);
    sim.fail_next(SimApi::CostManagement, Fault::Unavailable, 2);
    let u = az.usages(X, "eastus").await.expect("usages after a 429");
    assert!(u.get("lowPriorityCores").is_some());
    let s = az
        .spend(X, "team", period())
        .await
        .expect("spend after two 503s");
    assert_eq!(s.rows.len(), 4);
    let calls = az.calls();
    assert_eq!(calls.retries, 3);
    // Retry-After: 7 s first, then the bounded backoff (1 s, 2 s) for the 503s.
    assert_eq!(calls.waits_ms, [7000, 1000, 2000]);
    assert_eq!(calls.of(Api::ComputeUsages), 2);
    assert_eq!(calls.of(Api::CostManagement), 3);
    sim.finish();
}

#[tokio::test]
async fn retries_are_bounded_and_the_error_names_the_api_and_subscription() {
    let _g = ENV.lock().await;
    let sim = AzureSim::start(Estate::contoso()).await;
    let az = azure_sim::adapter(&sim);
    sim.fail_next(SimApi::ComputeUsages, Fault::Throttle(3600), 10);
    let e = az.usages(X, "eastus").await.expect_err("throttled");
    assert_eq!(e.kind, CloudErrorKind::Throttled);
    let msg = e.to_string();
    assert!(msg.contains("Compute usages"), "{msg}");
    assert!(msg.contains(X), "{msg}");
    assert_eq!(e.retry_after, Some(Duration::from_secs(3600)));
    let calls = az.calls();
    assert_eq!(calls.of(Api::ComputeUsages), 5);
    // Retry-After is honoured up to the cap.
    assert!(
        calls.waits_ms.iter().all(|w| *w == 60_000),
        "{:?}",
        calls.waits_ms
    );
    sim.fail_next(SimApi::ActivityLog, Fault::Unavailable, 10);
    let e = az
        .activity(X, "rg-ds-forecast-sandbox", day("2026-11-01"))
        .await
        .expect_err("503");
    assert_eq!(e.kind, CloudErrorKind::Server);
    assert!(e.to_string().contains("Activity Log"), "{e}");
    sim.finish();
}

#[tokio::test]
async fn a_token_that_expires_mid_run_is_replaced_once() {
    let _g = ENV.lock().await;
    let sim = AzureSim::start(Estate::contoso()).await;
    // The first token lives 200 s: the adapter holds it, azure_identity does not.
    sim.state().next_lifetime = 200;
    let az = azure_sim::adapter(&sim);
    az.usages(X, "eastus").await.expect("first call");
    az.usages(X, "westeurope")
        .await
        .expect("second call, same token");
    assert_eq!(sim.count(SimApi::Token), 1);
    sim.expire_token_after(0);
    let u = az
        .usages(X, "swedencentral")
        .await
        .expect("after a new token");
    assert!(u.get("cores").is_some());
    assert_eq!(sim.count(SimApi::Token), 2);
    let refused = sim.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!(refused, 1);
    sim.finish();
}

#[tokio::test]
async fn an_unexpected_answer_names_the_api() {
    let _g = ENV.lock().await;
    let mut estate = Estate::contoso();
    estate.usages.insert(
        (X.to_owned(), "eastus".to_owned()),
        serde_json::json!({ "value": [ { "name": "not an object" } ] }),
    );
    let sim = AzureSim::start(estate).await;
    let az = azure_sim::adapter(&sim);
    let e = az.usages(X, "eastus").await.expect_err("malformed");
    assert_eq!(e.kind, CloudErrorKind::Malformed);
    assert!(e.to_string().contains("Compute usages"), "{e}");
    assert!(e.to_string().contains("usage 1"), "{e}");
    let e = az.usages(X, "northeurope").await.expect_err("404");
    assert_eq!(e.kind, CloudErrorKind::NotFound);
    sim.finish();
}

#[tokio::test]
async fn the_adapter_refuses_bad_ids_and_follows_no_foreign_links() {
    let _g = ENV.lock().await;
    let sim = AzureSim::start(Estate::contoso()).await;
    let az = azure_sim::adapter(&sim);
    let e = az
        .metrics("https://evil.example/x", &["Percentage CPU"], period())
        .await
        .expect_err("refused");
    assert_eq!(e.kind, CloudErrorKind::Refused);
    let e = az
        .usages("../../providers", "eastus")
        .await
        .expect_err("refused");
    assert_eq!(e.kind, CloudErrorKind::Refused);
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    sim.finish();
}

#[tokio::test]
async fn the_simulator_fails_a_test_on_any_write() {
    let _g = ENV.lock().await;
    let sim = AzureSim::start(Estate::contoso()).await;
    let client = reqwest::Client::new();
    for m in [
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ] {
        let r = client
            .request(
                m,
                format!(
                    "{}/subscriptions/{X}/resourceGroups/rg-x?api-version=2021-04-01",
                    sim.endpoint()
                ),
            )
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status().as_u16(), 405);
    }
    let failures = sim.take_failures();
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert!(
        failures
            .iter()
            .all(|f| f.starts_with("a write reached ARM"))
    );
}
