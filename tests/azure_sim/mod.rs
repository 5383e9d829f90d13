//! A strict, stateful ARM on loopback for the Azure adapter's tests. It serves an estate
//! (by default the sample one, `examples/contoso/cloud/`) through exactly the APIs adoptbot
//! reads, and a managed-identity token endpoint for the real azure_identity
//! `ManagedIdentityCredential` (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`).
//!
//! Response shapes follow the azure-rest-api-specs examples (only what the tests use):
//! - Resource Graph: `specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/stable/2022-10-01/examples/ResourcesBasicQuery.json`
//!   and `ResourcesFirstPageQuery.json`/`ResourcesNextPageQuery.json` (`$skipToken`, `data` as objectArray);
//! - Cost Management: `specification/cost-management/resource-manager/Microsoft.CostManagement/stable/2023-11-01/examples/SubscriptionQueryGrouping.json`
//!   (`properties.columns`/`rows`, `nextLink`);
//! - Compute usages: `specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2023-07-01/examples/computeRPCommonExamples/Usage_List_MaximumSet_Gen.json`
//!   (same shape at 2024-07-01, the version adoptbot asks for);
//! - Activity Log: `specification/monitor/resource-manager/Microsoft.Insights/stable/2015-04-01/examples/GetActivityLogsFiltered.json`;
//! - Metrics: `specification/monitor/resource-manager/Microsoft.Insights/stable/2023-10-01/examples/GetMetric.json`.
//!
//! Strict: an unknown path, api-version or parameter, a request without a valid token, and
//! ANY PUT, PATCH or DELETE are failures; [`AzureSim::finish`] fails the test on any.
//! Faults: [`AzureSim::fail_next`] answers the next N requests of an API with 429 +
//! `Retry-After` or 503; [`AzureSim::expire_token_after`] refuses the current token after
//! N ARM calls, as an expired token is refused.

#![allow(dead_code)]

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub const IDENTITY_HEADER: &str = "sim-identity-header-5f0c1d";
pub const BOT_OID: &str = "3f8c2a71-5d4e-4b9a-8c6f-1e2d3a4b5c6d";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimApi {
    Token,
    ResourceGraph,
    CostManagement,
    ComputeUsages,
    ActivityLog,
    Metrics,
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `Retry-After: secs` and `x-ms-ratelimit-remaining-subscription-reads: 0`.
    Throttle(u64),
    /// 503 Service Unavailable.
    Unavailable,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
    pub api: Option<SimApi>,
    pub status: u16,
}

#[derive(Debug, Default)]
pub struct Estate {
    pub rows: Vec<Value>,
    /// (subscription, tag) to a Cost Management answer.
    pub cost: HashMap<(String, String), Value>,
    /// (subscription, region) to a usages answer.
    pub usages: HashMap<(String, String), Value>,
    /// Activity Log events, all resource groups.
    pub events: Vec<Value>,
    /// (resource group, resource name), lower-case, to a metrics answer.
    pub metrics: HashMap<(String, String), Value>,
}

impl Estate {
    /// Loads a snapshot directory in the snapshot adapter's layout.
    pub fn load(dir: &Path) -> Estate {
        let read = |p: &Path| -> Value {
            serde_json::from_str(&std::fs::read_to_string(p).expect("read estate"))
                .expect("estate json")
        };
        let mut e = Estate::default();
        let res = read(&dir.join("resources.json"));
        e.rows = res["data"].as_array().expect("data").clone();
        let sub_dirs = |d: &str| -> Vec<(String, std::path::PathBuf)> {
            let Ok(rd) = std::fs::read_dir(dir.join(d)) else {
                return vec![];
            };
            rd.flatten()
                .map(|x| (x.file_name().to_string_lossy().into_owned(), x.path()))
                .collect()
        };
        let stem = |p: &Path| p.file_stem().expect("stem").to_string_lossy().into_owned();
        for (sub, p) in sub_dirs("cost") {
            for f in std::fs::read_dir(p).expect("cost").flatten() {
                e.cost
                    .insert((sub.clone(), stem(&f.path())), read(&f.path()));
            }
        }
        for (sub, p) in sub_dirs("usages") {
            for f in std::fs::read_dir(p).expect("usages").flatten() {
                e.usages
                    .insert((sub.clone(), stem(&f.path())), read(&f.path()));
            }
        }
        for (_, p) in sub_dirs("activity") {
            let v = read(&p);
            e.events
                .extend(v["value"].as_array().expect("value").iter().cloned());
        }
        for (rg, p) in sub_dirs("metrics") {
            for f in std::fs::read_dir(p).expect("metrics").flatten() {
                e.metrics
                    .insert((rg.clone(), stem(&f.path())), read(&f.path()));
            }
        }
        e
    }

    pub fn contoso() -> Estate {
        Estate::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contoso/cloud"))
    }
}

#[derive(Debug)]
pub struct SimState {
    pub origin: String,
    pub estate: Estate,
    /// Rows per Resource Graph page (the sim's own limit, below `$top`).
    pub graph_page: usize,
    /// Events per Activity Log page.
    pub activity_page: usize,
    /// Cost rows per Cost Management page.
    pub cost_page: usize,
    pub log: Vec<Logged>,
    pub failures: Vec<String>,
    pub faults: Vec<(SimApi, Fault, usize)>,
    /// Tokens ARM accepts now.
    pub valid: Vec<String>,
    pub issued: usize,
    /// After this many more ARM calls, the current tokens stop being accepted.
    pub expire_after: Option<usize>,
    /// The next token's lifetime in seconds.
    pub next_lifetime: u64,
    /// When set, every successful ARM answer says this many subscription reads are left
    /// (`x-ms-ratelimit-remaining-subscription-reads`), as ARM does near its limit.
    pub reads_remaining: Option<u64>,
}

type Shared = Arc<Mutex<SimState>>;

pub struct AzureSim {
    state: Shared,
    pub addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl AzureSim {
    pub async fn start(estate: Estate) -> AzureSim {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let state: Shared = Arc::new(Mutex::new(SimState {
            origin: format!("http://{addr}"),
            estate,
            graph_page: 1000,
            activity_page: 1000,
            cost_page: 1000,
            log: vec![],
            failures: vec![],
            faults: vec![],
            valid: vec![],
            issued: 0,
            expire_after: None,
            next_lifetime: 3600,
            reads_remaining: None,
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        AzureSim {
            state,
            addr,
            server,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().expect("sim state")
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The managed-identity endpoint for `IDENTITY_ENDPOINT`.
    pub fn identity_endpoint(&self) -> String {
        format!("http://{}/msi/token", self.addr)
    }

    pub fn fail_next(&self, api: SimApi, fault: Fault, times: usize) {
        self.state().faults.push((api, fault, times));
    }

    /// The current token is refused after `calls` more ARM calls; the next token issued
    /// lives `lifetime` seconds.
    pub fn expire_token_after(&self, calls: usize) {
        self.state().expire_after = Some(calls);
    }

    pub fn count(&self, api: SimApi) -> usize {
        self.state()
            .log
            .iter()
            .filter(|l| l.api == Some(api))
            .count()
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.state().log.clone()
    }

    /// Fails the test on any unexpected request.
    pub fn finish(&self) {
        let f = self.state().failures.clone();
        assert!(
            f.is_empty(),
            "the ARM simulator saw unexpected requests:\n{}",
            f.join("\n")
        );
    }

    /// Takes the failures (for tests that provoke them on purpose).
    pub fn take_failures(&self) -> Vec<String> {
        std::mem::take(&mut self.state().failures)
    }
}

impl Drop for AzureSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn json_response(status: u16, v: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from(v.to_string()))
        .expect("response")
}

fn arm_error(status: u16, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({ "error": { "code": code, "message": message } }),
    )
}

fn query_map(q: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

/// The token the sim issues: an unsigned JWT whose claims carry the bot's `oid`.
fn jwt(n: usize) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.sig{n}",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&format!(
            r#"{{"oid":"{BOT_OID}","tid":"7c3e9a41-52d8-4b6f-9e0a-3f1d2c8b6a75","n":{n}}}"#
        ))
    )
}

/// Azure's clock: a token's `expires_on` is wall-clock Unix time.
#[allow(clippy::disallowed_methods)]
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn handle(State(state): State<Shared>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let mut st = state.lock().expect("sim state");
    let (api, resp) = route(&mut st, &method, &path, &query, &headers, &body);
    let status = resp.status().as_u16();
    st.log.push(Logged {
        method: method.to_string(),
        path,
        query,
        api,
        status,
    });
    resp
}

fn classify(method: &Method, path: &str) -> Option<SimApi> {
    let p = path.to_ascii_lowercase();
    if p == "/msi/token" && method == Method::GET {
        Some(SimApi::Token)
    } else if p == "/providers/microsoft.resourcegraph/resources" && method == Method::POST {
        Some(SimApi::ResourceGraph)
    } else if p.starts_with("/subscriptions/")
        && p.ends_with("/providers/microsoft.costmanagement/query")
        && method == Method::POST
    {
        Some(SimApi::CostManagement)
    } else if p.starts_with("/subscriptions/")
        && p.contains("/providers/microsoft.compute/locations/")
        && p.ends_with("/usages")
        && method == Method::GET
    {
        Some(SimApi::ComputeUsages)
    } else if p.starts_with("/subscriptions/")
        && p.ends_with("/providers/microsoft.insights/eventtypes/management/values")
        && method == Method::GET
    {
        Some(SimApi::ActivityLog)
    } else if p.starts_with("/subscriptions/")
        && p.ends_with("/providers/microsoft.insights/metrics")
        && method == Method::GET
    {
        Some(SimApi::Metrics)
    } else {
        None
    }
}

fn route(
    st: &mut SimState,
    method: &Method,
    path: &str,
    query: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> (Option<SimApi>, Response) {
    if [Method::PUT, Method::PATCH, Method::DELETE].contains(method) {
        st.failures
            .push(format!("a write reached ARM: {method} {path}"));
        return (
            None,
            arm_error(405, "MethodNotAllowed", "the simulator refuses writes"),
        );
    }
    let Some(api) = classify(method, path) else {
        st.failures
            .push(format!("unexpected request: {method} {path}?{query}"));
        return (
            None,
            arm_error(500, "Unexpected", "not an API adoptbot reads"),
        );
    };
    let q = query_map(query);
    if api == SimApi::Token {
        return (Some(api), token(st, &q, headers));
    }
    // Faults come before auth and the model: a throttled request did not happen.
    if let Some(i) = st.faults.iter().position(|(a, _, n)| *a == api && *n > 0) {
        st.faults[i].2 -= 1;
        let fault = st.faults[i].1.clone();
        let resp = match fault {
            Fault::Throttle(secs) => Response::builder()
                .status(429)
                .header("retry-after", secs.to_string())
                .header("x-ms-ratelimit-remaining-subscription-reads", "0")
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"error": {"code": "TooManyRequests", "message": "Rate limit exceeded"}})
                        .to_string(),
                ))
                .expect("response"),
            Fault::Unavailable => arm_error(503, "ServiceUnavailable", "try again later"),
        };
        return (Some(api), resp);
    }
    // Auth.
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned();
    if let Some(n) = st.expire_after {
        if n == 0 {
            st.valid.clear();
            st.expire_after = None;
        } else {
            st.expire_after = Some(n - 1);
        }
    }
    if !st.valid.contains(&bearer) {
        if bearer.is_empty() || st.issued == 0 {
            st.failures
                .push(format!("{method} {path} without a token the sim issued"));
        }
        return (
            Some(api),
            arm_error(
                401,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            ),
        );
    }
    let resp = match api {
        SimApi::ResourceGraph => graph(st, &q, body),
        SimApi::CostManagement => cost(st, path, &q, body),
        SimApi::ComputeUsages => usages(st, path, &q),
        SimApi::ActivityLog => activity(st, path, &q),
        SimApi::Metrics => metrics(st, path, &q),
        SimApi::Token => unreachable!(),
    };
    let mut resp = resp;
    if let Some(left) = st.reads_remaining
        && resp.status().is_success()
    {
        resp.headers_mut().insert(
            "x-ms-ratelimit-remaining-subscription-reads",
            axum::http::HeaderValue::from(left),
        );
    }
    (Some(api), resp)
}

fn strict_params(
    st: &mut SimState,
    q: &HashMap<String, String>,
    version: &str,
    allowed: &[&str],
) -> bool {
    let mut ok = true;
    if q.get("api-version").map(String::as_str) != Some(version) {
        st.failures.push(format!(
            "wrong api-version {:?}, expected {version}",
            q.get("api-version")
        ));
        ok = false;
    }
    for k in q.keys() {
        if k != "api-version" && !allowed.contains(&k.as_str()) {
            st.failures.push(format!("unexpected query parameter {k}"));
            ok = false;
        }
    }
    ok
}

fn token(
    st: &mut SimState,
    q: &HashMap<String, String>,
    headers: &axum::http::HeaderMap,
) -> Response {
    let header_ok = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok())
        == Some(IDENTITY_HEADER);
    let metadata = headers.get("metadata").and_then(|v| v.to_str().ok()) == Some("true");
    if !header_ok
        || !metadata
        || q.get("api-version").map(String::as_str) != Some("2019-08-01")
        || !q.contains_key("resource")
    {
        st.failures
            .push(format!("a bad managed-identity token request: {q:?}"));
        return json_response(400, &json!({"error": "invalid_request"}));
    }
    st.issued += 1;
    let tok = jwt(st.issued);
    st.valid.push(tok.clone());
    let lifetime = st.next_lifetime;
    st.next_lifetime = 3600;
    json_response(
        200,
        &json!({
            "access_token": tok,
            "expires_on": (unix_now() + lifetime).to_string(),
            "resource": q["resource"],
            "token_type": "Bearer",
        }),
    )
}

fn graph(st: &mut SimState, q: &HashMap<String, String>, body: &[u8]) -> Response {
    if !strict_params(st, q, "2022-10-01", &[]) {
        return arm_error(400, "BadRequest", "parameters");
    }
    let Ok(b) = serde_json::from_slice::<Value>(body) else {
        st.failures.push("Resource Graph body is not JSON".into());
        return arm_error(400, "BadRequest", "body");
    };
    let top = b["options"]["$top"].as_u64().unwrap_or(100);
    if top > 1000 {
        st.failures.push(format!("$top {top} above 1000"));
    }
    if b["options"]["resultFormat"] != "objectArray" {
        st.failures.push("resultFormat is not objectArray".into());
    }
    let query = b["query"].as_str().unwrap_or("");
    let subs: Vec<String> = b["subscriptions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_ascii_lowercase))
                .collect()
        })
        .unwrap_or_default();
    let containers = query.trim_start().starts_with("ResourceContainers");
    if !containers && !query.trim_start().starts_with("Resources") {
        st.failures
            .push(format!("unexpected Resource Graph table in {query:?}"));
    }
    let rows: Vec<&Value> = st
        .estate
        .rows
        .iter()
        .filter(|r| {
            let t = r["type"].as_str().unwrap_or("").to_ascii_lowercase();
            let is_container = t == "microsoft.resources/subscriptions/resourcegroups"
                || t == "microsoft.resources/subscriptions";
            is_container == containers
                && subs.contains(
                    &r["subscriptionId"]
                        .as_str()
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                )
        })
        .collect();
    let start: usize = b["options"]["$skipToken"]
        .as_str()
        .map(|t| t.trim_start_matches("skip-").parse().unwrap_or(0))
        .unwrap_or(0);
    let size = st.graph_page.min(top as usize).max(1);
    let page: Vec<Value> = rows
        .iter()
        .skip(start)
        .take(size)
        .map(|r| (*r).clone())
        .collect();
    let mut out = json!({
        "totalRecords": rows.len(),
        "count": page.len(),
        "resultTruncated": "false",
        "facets": [],
        "data": page,
    });
    if start + size < rows.len() {
        out["$skipToken"] = json!(format!("skip-{}", start + size));
    }
    json_response(200, &out)
}

fn segment_after<'a>(path: &'a str, key: &str) -> &'a str {
    let parts: Vec<&str> = path.split('/').collect();
    parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case(key))
        .and_then(|i| parts.get(i + 1))
        .copied()
        .unwrap_or("")
}

fn cost(st: &mut SimState, path: &str, q: &HashMap<String, String>, body: &[u8]) -> Response {
    if !strict_params(st, q, "2023-11-01", &["$skiptoken"]) {
        return arm_error(400, "BadRequest", "parameters");
    }
    let b: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if b["type"] != "ActualCost" || b["dataset"]["grouping"][0]["type"] != "TagKey" {
        st.failures
            .push(format!("a cost query that is not ActualCost by tag: {b}"));
        return arm_error(400, "BadRequest", "body");
    }
    let sub = segment_after(path, "subscriptions").to_owned();
    let tag = b["dataset"]["grouping"][0]["name"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let Some(answer) = st.estate.cost.get(&(sub.clone(), tag)).cloned() else {
        return Response::builder()
            .status(204)
            .body(Body::empty())
            .expect("204");
    };
    let rows = answer["properties"]["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let start: usize = q
        .get("$skiptoken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let size = st.cost_page.max(1);
    let mut out = answer.clone();
    out["properties"]["rows"] = json!(rows.iter().skip(start).take(size).collect::<Vec<_>>());
    out["properties"]["nextLink"] = if start + size < rows.len() {
        json!(format!(
            "{}/subscriptions/{sub}/providers/Microsoft.CostManagement/query?api-version=2023-11-01&$skiptoken={}",
            st.origin,
            start + size
        ))
    } else {
        Value::Null
    };
    json_response(200, &out)
}

fn usages(st: &mut SimState, path: &str, q: &HashMap<String, String>) -> Response {
    if !strict_params(st, q, "2024-07-01", &[]) {
        return arm_error(400, "BadRequest", "parameters");
    }
    let sub = segment_after(path, "subscriptions").to_owned();
    let region = segment_after(path, "locations").to_owned();
    match st.estate.usages.get(&(sub, region.clone())) {
        Some(v) => json_response(200, v),
        None => arm_error(404, "LocationNotFound", &format!("no location {region}")),
    }
}

fn activity(st: &mut SimState, path: &str, q: &HashMap<String, String>) -> Response {
    if !strict_params(st, q, "2015-04-01", &["$filter", "$select", "$skipToken"]) {
        return arm_error(400, "BadRequest", "parameters");
    }
    let filter = q.get("$filter").cloned().unwrap_or_default();
    // eventTimestamp ge '2026-11-01T00:00:00Z' and resourceGroupName eq 'rg'
    let quoted: Vec<&str> = filter.split('\'').skip(1).step_by(2).collect();
    if !filter.starts_with("eventTimestamp ge '")
        || !filter.contains("resourceGroupName eq '")
        || quoted.len() != 2
    {
        st.failures.push(format!(
            "an Activity Log filter the API does not take: {filter}"
        ));
        return arm_error(400, "BadRequest", "filter");
    }
    let (since, rg) = (quoted[0].to_owned(), quoted[1].to_ascii_lowercase());
    let sub = segment_after(path, "subscriptions").to_ascii_lowercase();
    let events: Vec<Value> = st
        .estate
        .events
        .iter()
        .filter(|e| {
            e["resourceGroupName"]
                .as_str()
                .unwrap_or("")
                .to_ascii_lowercase()
                == rg
                && e["subscriptionId"]
                    .as_str()
                    .unwrap_or("")
                    .to_ascii_lowercase()
                    == sub
                && e["eventTimestamp"].as_str().unwrap_or("") >= since.as_str()
        })
        .cloned()
        .collect();
    let start: usize = q
        .get("$skipToken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let size = st.activity_page.max(1);
    let page: Vec<Value> = events.iter().skip(start).take(size).cloned().collect();
    let mut out = json!({ "value": page });
    if start + size < events.len() {
        let mut next = url::Url::parse(&format!("{}{}", st.origin, path)).expect("url");
        next.query_pairs_mut()
            .append_pair("api-version", "2015-04-01")
            .append_pair("$filter", &filter)
            .append_pair("$skipToken", &(start + size).to_string());
        out["nextLink"] = json!(next.as_str());
    }
    json_response(200, &out)
}

fn metrics(st: &mut SimState, path: &str, q: &HashMap<String, String>) -> Response {
    if !strict_params(
        st,
        q,
        "2023-10-01",
        &["metricnames", "timespan", "interval", "aggregation"],
    ) {
        return arm_error(400, "BadRequest", "parameters");
    }
    if q.get("interval").map(String::as_str) != Some("P1D")
        || q.get("aggregation").map(String::as_str) != Some("Maximum,Average")
    {
        st.failures
            .push(format!("metrics not daily Maximum,Average: {q:?}"));
    }
    let rid = path.trim_end_matches("/providers/Microsoft.Insights/metrics");
    let rg = segment_after(rid, "resourceGroups").to_ascii_lowercase();
    let name = rid.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    match st.estate.metrics.get(&(rg, name)) {
        Some(v) => json_response(200, v),
        None => arm_error(404, "ResourceNotFound", "no such resource"),
    }
}

/// A status code helper for tests.
pub fn status(s: u16) -> StatusCode {
    StatusCode::from_u16(s).expect("status")
}

/// The real Azure adapter on this simulator: the real managed-identity credential, through
/// the simulator's identity endpoint, and no sleeping between retries. It sets
/// `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`, so the caller holds its test binary's lock on
/// the environment while it uses the adapter.
pub fn adapter(sim: &AzureSim) -> adoptbot::cloud::azure::AzureCloud {
    use adoptbot::cloud::azure::credential::{self, CredentialKind};
    use adoptbot::cloud::azure::http::{Backoff, Endpoint};
    // SAFETY: every test of a binary that uses this holds its environment lock meanwhile.
    unsafe {
        std::env::set_var("IDENTITY_ENDPOINT", sim.identity_endpoint());
        std::env::set_var("IDENTITY_HEADER", IDENTITY_HEADER);
        std::env::remove_var("AZURE_CLIENT_ID");
    }
    let env = |k: &str| std::env::var(k).ok();
    let kind = CredentialKind::choose(&env).expect("credential");
    assert_eq!(kind, CredentialKind::ManagedIdentity);
    let cred = credential::build(kind, None, &env).expect("managed identity");
    adoptbot::cloud::azure::AzureCloud::new(
        Endpoint::parse(&sim.endpoint()).expect("endpoint"),
        cred,
        kind.name(),
        Backoff {
            sleep: false,
            ..Backoff::default()
        },
    )
    .expect("adapter")
}
