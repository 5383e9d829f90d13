//! A stateful GitHub on loopback, for the adapter's tests: an in-memory repository
//! ([`model::Repo`]) served over HTTP on `127.0.0.1:0` by the REST endpoints adoptbot uses
//! (`api.rs`), in the spirit of rust-lang/bors's test model.
//!
//! - **Strict**: a request it does not expect (an unknown endpoint or query parameter, a
//!   request without the token, a body that does not match GitHub's request schema) is
//!   recorded as a failure and answered 500. [`GitHubSim::finish`] fails the test on any.
//! - **Checked**: every JSON answer is validated against the operation's response schema in
//!   GitHub's OpenAPI description (`tests/fixtures/github/openapi-used.json`); a mismatch is
//!   a failure too.
//! - **Recorded**: every request (method, path, query, body, status) is kept, see
//!   [`GitHubSim::requests`] and [`GitHubSim::count`].
//! - **Faults**: [`GitHubSim::fail_next`] makes the next N requests matching a method and a
//!   path pattern answer 500, 429 with `Retry-After`, a 403 secondary or primary rate limit,
//!   or any status, before the model sees them (so a refused write did not happen).
//! - Reviews (pending ones shown to their author only), review requests, and the teams of
//!   any organisation (`/orgs/{org}/teams/{slug}/members`, paged through GitHub's
//!   `/organizations/{id}/team/{id}/members` links), with people's numeric ids, and
//!   `/users/{username}` for the model's users (404 for anyone else, or a renamed account's
//!   old login).
//! - Pull requests retargeted to another branch (`PATCH /pulls/{n}` with `base`); reviews
//!   stay, as on GitHub.
//! - Real tarballs (gzip, `owner-repo-sha/` top folder, served through a 302 to a
//!   codeload-like URL), real git object ids, and writes that change the model.
//! - An API path prefix, to act as GitHub Enterprise Server (`/api/v3`).

#![allow(dead_code)]

pub mod api;
pub mod app;
pub mod model;
pub mod openapi;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
pub use model::Repo;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct Options {
    pub owner: String,
    pub repo: String,
    /// The token requests must carry, as `Authorization: Bearer`.
    pub token: String,
    /// The login the token belongs to: the author of what it writes.
    pub actor: String,
    /// The API prefix: empty for api.github.com, `/api/v3` for GitHub Enterprise Server.
    pub base_path: String,
    /// The App the token belongs to, `(id, slug)`: the owner of the check runs it creates.
    pub app: (u64, String),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            owner: "octo-org".into(),
            repo: "adoption".into(),
            token: "ghs_SimulatedToken0123456789abcdefABCDEF".into(),
            actor: "adoptbot[bot]".into(),
            base_path: String::new(),
            app: (424_242, "adoptbot".into()),
        }
    }
}

/// An answer the simulator gives instead of serving a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 500 Internal Server Error.
    ServerError,
    /// 429 with `Retry-After: {retry_after}`.
    TooManyRequests { retry_after: u64 },
    /// 403 "You have exceeded a secondary rate limit", with `Retry-After` when given.
    SecondaryRateLimit { retry_after: Option<u64> },
    /// 403 "API rate limit exceeded" with `x-ratelimit-remaining: 0` and a reset
    /// `reset_in` seconds from now.
    PrimaryRateLimit { reset_in: u64 },
    /// Any status, with a `basic-error` body.
    Status(u16),
    /// Any status with this exact body, e.g. one GitHub was recorded sending.
    Body { status: u16, body: Value },
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub method: String,
    /// The API path without the prefix (`/repos/o/r/...`), or `/codeload/...`.
    pub path: String,
    pub query: String,
    pub body: Option<Value>,
    pub status: u16,
    /// Whether a fault answered it.
    pub faulted: bool,
}

struct FaultRule {
    method: String,
    pattern: String,
    left: u32,
    fault: Fault,
}

/// A change to the model made when a matching request arrives, before it is served: what a
/// person does while the bot is between two calls.
struct Hook {
    method: String,
    pattern: String,
    change: Box<dyn FnOnce(&mut Repo) + Send>,
}

struct SimState {
    options: Options,
    repo: Repo,
    origin: String,
    log: Vec<Recorded>,
    failures: Vec<String>,
    faults: Vec<FaultRule>,
    /// A GitHub App installed on the repository, when a test enables one.
    app: Option<app::AppSim>,
    hooks: Vec<Hook>,
}

type Shared = Arc<Mutex<SimState>>;

/// A running simulator. Dropping it stops the server.
pub struct GitHubSim {
    state: Shared,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for GitHubSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl GitHubSim {
    /// Starts a simulator with the default options and an empty repository.
    pub async fn start() -> GitHubSim {
        GitHubSim::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> GitHubSim {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let repo = Repo::new(&options.owner, &options.repo);
        let state: Shared = Arc::new(Mutex::new(SimState {
            options,
            repo,
            origin: format!("http://{addr}"),
            log: Vec::new(),
            failures: Vec::new(),
            faults: Vec::new(),
            app: None,
            hooks: Vec::new(),
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        GitHubSim {
            state,
            addr,
            server,
        }
    }

    /// A simulator whose `main` holds the example organisation `examples/contoso`.
    pub async fn contoso() -> GitHubSim {
        GitHubSim::contoso_with(Options::default()).await
    }

    /// [`GitHubSim::contoso`] with other options.
    pub async fn contoso_with(options: Options) -> GitHubSim {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, String)>) {
            for e in std::fs::read_dir(dir).expect("read examples").flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, root, out);
                } else {
                    out.push((
                        p.strip_prefix(root)
                            .expect("under root")
                            .to_string_lossy()
                            .into_owned(),
                        std::fs::read_to_string(&p).expect("a text file"),
                    ));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contoso");
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        let sim = GitHubSim::start_with(options).await;
        sim.repo(|r| {
            let changes: Vec<(&str, Option<&str>)> = files
                .iter()
                .map(|(p, c)| (p.as_str(), Some(c.as_str())))
                .collect();
            r.commit(
                "main",
                "Contoso adoption repository",
                "platform@contoso.com",
                &changes,
            );
        });
        sim
    }

    /// The real GitHub adapter, pointed at this simulator, with short retry waits.
    pub fn adapter(&self) -> adoptbot::forge::github::GitHub {
        let o = self.options();
        adoptbot::forge::github::GitHub::new(
            &self.api_url(),
            secrecy::SecretString::from(o.token),
            &o.owner,
            &o.repo,
            &o.actor,
        )
        .expect("adapter")
        .with_app_id(o.app.0)
        .with_retry_policy(adoptbot::forge::github::RetryPolicy {
            read_attempts: 3,
            backoff: std::time::Duration::from_millis(10),
            max_wait: std::time::Duration::from_secs(2),
        })
    }

    /// Installs a GitHub App on the repository: its endpoints answer, and the installation
    /// tokens it mints are accepted.
    pub fn enable_app(&self, app: app::AppSim) {
        self.lock().app = Some(app);
    }

    /// Reads or changes the installed App (its clock, its minted tokens).
    pub fn app<T>(&self, f: impl FnOnce(&mut app::AppSim) -> T) -> T {
        f(self.lock().app.as_mut().expect("no App is installed"))
    }

    /// The number of writes (POST, PATCH, PUT, DELETE) logged so far.
    pub fn writes(&self) -> usize {
        self.requests().iter().filter(|r| r.method != "GET").count()
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The API URL to give the adapter: `http://127.0.0.1:port` plus the prefix.
    pub fn api_url(&self) -> String {
        format!("http://{}{}", self.addr, self.lock().options.base_path)
    }

    pub fn options(&self) -> Options {
        self.lock().options.clone()
    }

    /// Reads or changes the repository.
    pub fn repo<T>(&self, f: impl FnOnce(&mut Repo) -> T) -> T {
        f(&mut self.lock().repo)
    }

    /// Makes the next `times` requests whose method is `method` (or `*`) and whose path
    /// (without the API prefix) matches `pattern` (`*` matches any run of characters)
    /// answer with `fault`.
    pub fn fail_next(&self, method: &str, pattern: &str, times: u32, fault: Fault) {
        self.lock().faults.push(FaultRule {
            method: method.into(),
            pattern: pattern.into(),
            left: times,
            fault,
        });
    }

    /// When the next request matching `method` and `pattern` arrives, `change` is made to
    /// the repository first: a person's edit between two of the bot's calls.
    pub fn before_next(
        &self,
        method: &str,
        pattern: &str,
        change: impl FnOnce(&mut Repo) + Send + 'static,
    ) {
        self.lock().hooks.push(Hook {
            method: method.into(),
            pattern: pattern.into(),
            change: Box::new(change),
        });
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().log.clone()
    }

    /// How many requests matched `method` (or `*`) and `pattern`.
    pub fn count(&self, method: &str, pattern: &str) -> usize {
        self.lock()
            .log
            .iter()
            .filter(|r| (method == "*" || r.method == method) && glob(pattern, &r.path))
            .count()
    }

    pub fn clear_log(&self) {
        self.lock().log.clear();
    }

    /// The unexpected requests and schema mismatches so far.
    pub fn failures(&self) -> Vec<String> {
        self.lock().failures.clone()
    }

    /// Forgets the failures so far (for a test that provokes one on purpose).
    pub fn take_failures(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().failures)
    }

    /// Ends a test: fails it on any unexpected request or schema mismatch, and on a fault
    /// that was never used.
    pub fn finish(self) {
        let state = self.lock();
        let unused: Vec<String> = state
            .faults
            .iter()
            .filter(|f| f.left > 0)
            .map(|f| format!("{} {} ({} left)", f.method, f.pattern, f.left))
            .collect();
        assert!(
            state.failures.is_empty(),
            "the GitHub simulator saw unexpected requests or sent answers that do not match \
             GitHub's schemas:\n{}",
            state.failures.join("\n")
        );
        assert!(unused.is_empty(), "faults never triggered: {unused:?}");
    }
}

/// `*` matches any run of characters, everything else itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

fn pct_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

// The simulator is GitHub: its clock is the server's wall clock, as in the `Date` header
// hyper sends with every answer.
#[allow(clippy::disallowed_methods)]
fn fault_answer(fault: &Fault) -> api::Answer {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut a = match fault {
        Fault::ServerError => api::error(500, "Internal Server Error"),
        Fault::TooManyRequests { .. } => api::error(429, "Too Many Requests"),
        Fault::SecondaryRateLimit { .. } => api::error(
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        ),
        Fault::PrimaryRateLimit { .. } => {
            api::error(403, "API rate limit exceeded for installation.")
        }
        Fault::Status(s) => api::error(*s, "Simulated failure"),
        Fault::Body { status, body } => api::answer(*status, body.clone()),
    };
    match fault {
        Fault::TooManyRequests { retry_after }
        | Fault::SecondaryRateLimit {
            retry_after: Some(retry_after),
        } => a
            .headers
            .push(("retry-after".into(), retry_after.to_string())),
        Fault::PrimaryRateLimit { reset_in } => {
            a.headers.push(("x-ratelimit-remaining".into(), "0".into()));
            a.headers
                .push(("x-ratelimit-reset".into(), (now + reset_in).to_string()));
        }
        _ => {}
    }
    a
}

async fn handle(State(state): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let method = parts.method.as_str().to_string();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    let auth = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
    let st = &mut *guard;
    let json_body: Option<Value> = if bytes.is_empty() {
        None
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                st.failures
                    .push(format!("{method} {raw_path}: the body is not JSON: {e}"));
                None
            }
        }
    };
    let (path, answer, faulted, tarball) = serve(
        st,
        &method,
        &raw_path,
        &raw_query,
        auth.as_deref(),
        json_body.as_ref(),
    );
    // GitHub reports the primary rate limit on every API answer.
    let mut answer = answer;
    if !raw_path.starts_with("/codeload/")
        && !answer
            .headers
            .iter()
            .any(|(k, _)| k == "x-ratelimit-remaining")
    {
        let used = st.log.len() + 1;
        answer.headers.extend([
            ("x-ratelimit-limit".to_string(), "5000".to_string()),
            (
                "x-ratelimit-remaining".to_string(),
                5000usize.saturating_sub(used).to_string(),
            ),
            ("x-ratelimit-used".to_string(), used.to_string()),
            ("x-ratelimit-resource".to_string(), "core".to_string()),
        ]);
    }
    st.log.push(Recorded {
        method: method.clone(),
        path,
        query: raw_query,
        body: json_body,
        status: answer.status,
        faulted,
    });
    let mut response = Response::builder()
        .status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (k, v) in &answer.headers {
        response = response.header(k.as_str(), HeaderValue::from_str(v).expect("header"));
    }
    let body = match (tarball, &answer.body) {
        (Some(bytes), _) => {
            response = response.header("content-type", "application/x-gzip");
            Body::from(bytes)
        }
        (None, Some(v)) => {
            response = response.header("content-type", "application/json; charset=utf-8");
            Body::from(serde_json::to_vec(v).expect("json"))
        }
        (None, None) => Body::empty(),
    };
    response.body(body).expect("response")
}

/// Which endpoints a request is for.
enum Scope {
    /// `/repos/{owner}/{repo}/...` of the simulated repository.
    Repo,
    /// `/orgs/...`.
    Org,
    /// `/users/...`.
    Users,
}

/// Serves one request: returns the path as logged, the answer, whether a fault gave it, and
/// the bytes of a tarball.
fn serve(
    st: &mut SimState,
    method: &str,
    raw_path: &str,
    raw_query: &str,
    auth: Option<&str>,
    body: Option<&Value>,
) -> (String, api::Answer, bool, Option<Vec<u8>>) {
    let query = parse_query(raw_query);
    // The codeload host: no API prefix and no token header needed (the URL carries one).
    if let Some(rest) = raw_path.strip_prefix("/codeload/") {
        let want = format!("{}/legacy.tar.gz/", st.repo.full_name());
        let token_ok = query
            .iter()
            .any(|(k, v)| k == "token" && *v == codeload_token(&st.options));
        return match rest.strip_prefix(&want) {
            Some(sha) if method == "GET" && token_ok && st.repo.commits.contains_key(sha) => {
                let bytes = api::tarball(&st.repo, sha);
                let answer = api::Answer {
                    status: 200,
                    headers: Vec::new(),
                    body: None,
                };
                (raw_path.to_string(), answer, false, Some(bytes))
            }
            _ => {
                st.failures.push(format!(
                    "{method} {raw_path}?{raw_query}: unexpected codeload request"
                ));
                (
                    raw_path.to_string(),
                    api::error(500, "unexpected"),
                    false,
                    None,
                )
            }
        };
    }
    let base = st.options.base_path.clone();
    let Some(path) = raw_path.strip_prefix(&base).filter(|p| p.starts_with('/')) else {
        st.failures.push(format!(
            "{method} {raw_path}: outside the API prefix `{base}`"
        ));
        return (
            raw_path.to_string(),
            api::error(500, "unexpected"),
            false,
            None,
        );
    };
    // GitHub's Link headers use /repositories/{id}/...; serve them as /repos/{owner}/{repo}/...
    let repositories = format!("/repositories/{}", st.repo.id);
    let path = match path.strip_prefix(&repositories) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("/repos/{}{rest}", st.repo.full_name())
        }
        _ => path.to_string(),
    };
    // ... and /organizations/{org_id}/team/{team_id}/members for a team's members.
    let path = team_link_path(&st.repo, &path).unwrap_or(path);
    if let Some(app) = st.app.as_mut() {
        let owner = st.repo.owner.clone();
        let full_name = st.repo.full_name();
        if let Some(answer) = app.serve(method, &path, auth, &owner, &full_name) {
            return (path, answer, false, None);
        }
    }
    let installation_token = st.app.as_ref().is_some_and(|a| a.accepts(auth));
    if !installation_token && auth != Some(format!("Bearer {}", st.options.token).as_str()) {
        st.failures
            .push(format!("{method} {path}: no or wrong Authorization header"));
        return (path, api::error(401, "Bad credentials"), false, None);
    }
    if let Some(at) = st
        .hooks
        .iter()
        .position(|h| (h.method == "*" || h.method == method) && glob(&h.pattern, &path))
    {
        let hook = st.hooks.remove(at);
        (hook.change)(&mut st.repo);
    }
    if let Some(rule) = st
        .faults
        .iter_mut()
        .find(|f| f.left > 0 && (f.method == "*" || f.method == method) && glob(&f.pattern, &path))
    {
        rule.left -= 1;
        return (path, fault_answer(&rule.fault), true, None);
    }
    let spec = openapi::spec();
    if let Some(b) = body {
        let problems = spec.check_request(method, &path, b);
        if !problems.is_empty() {
            st.failures.extend(problems);
            return (path, api::error(422, "Invalid request"), false, None);
        }
    }
    let prefix = format!("/repos/{}/", st.repo.full_name());
    let scope = if path.starts_with("/orgs/") {
        Scope::Org
    } else if path.starts_with("/users/") {
        Scope::Users
    } else {
        Scope::Repo
    };
    let rest_raw = if let Some(rest) = path
        .strip_prefix("/orgs/")
        .or_else(|| path.strip_prefix("/users/"))
    {
        Some(rest.to_string())
    } else if path.eq_ignore_ascii_case(prefix.trim_end_matches('/')) {
        Some(String::new())
    } else if path.len() > prefix.len() && path[..prefix.len()].eq_ignore_ascii_case(&prefix) {
        Some(path[prefix.len()..].to_string())
    } else {
        None
    };
    let Some(rest_raw) = rest_raw else {
        st.failures
            .push(format!("{method} {path}: not this simulator's repository"));
        return (path, api::error(500, "unexpected"), false, None);
    };
    let mut ctx = api::Ctx {
        method,
        rest: if rest_raw.is_empty() {
            Vec::new()
        } else {
            rest_raw.split('/').map(pct_decode).collect()
        },
        link_path: format!("/repositories/{}/{rest_raw}", st.repo.id),
        raw_rest: rest_raw,
        query: &query,
        body,
        api_base: format!("{}{}", st.origin, base),
        codeload: format!("{}/codeload", st.origin),
        actor: st.options.actor.clone(),
        app: st.options.app.clone(),
        repo: &mut st.repo,
    };
    let routed = match scope {
        Scope::Repo => api::route(&mut ctx),
        Scope::Org => api::route_org(&mut ctx),
        Scope::Users => api::route_users(&mut ctx),
    };
    let mut answer = match routed {
        Ok(a) => a,
        Err(why) => {
            st.failures.push(why);
            return (path, api::error(500, "unexpected"), false, None);
        }
    };
    if answer.status == 302 {
        let token = codeload_token(&st.options);
        for (k, v) in &mut answer.headers {
            if k == "location" {
                v.push_str(&format!("?token={token}"));
            }
        }
    }
    let empty = Value::Null;
    let problems = spec.check_response(
        method,
        &path,
        answer.status,
        answer.body.as_ref().unwrap_or(&empty),
    );
    st.failures.extend(problems);
    (path, answer, false, None)
}

/// `/organizations/{org_id}/team/{team_id}/members`, as GitHub's `Link` headers write a
/// team's members, to `/orgs/{org}/teams/{slug}/members`.
fn team_link_path(repo: &Repo, path: &str) -> Option<String> {
    let rest = path.strip_prefix("/organizations/")?;
    let (org_id, rest) = rest.split_once("/team/")?;
    let (team_id, tail) = rest.split_once('/')?;
    let (org, slug) = repo.team_members.keys().find(|(o, s)| {
        model::org_id(o).to_string() == org_id && model::team_id(o, s).to_string() == team_id
    })?;
    Some(format!("/orgs/{org}/teams/{slug}/{tail}"))
}

/// The token a tarball URL carries, as codeload's do.
fn codeload_token(options: &Options) -> String {
    format!("{:x}", options.token.len() * 7919 + options.repo.len())
}
