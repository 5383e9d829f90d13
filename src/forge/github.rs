//! The GitHub adapter of the [`super::Forge`] trait, on octocrab.
//!
//! octocrab carries the requests (authentication, base URI, TLS, timeouts); the adapter
//! makes them through its raw methods so that it sees every status and header, and reads the
//! answers into its own small types ([`wire`]). On top of that it adds what the bot needs to
//! run unattended:
//!
//! - **pagination**: every list asks for `per_page=100` and follows `Link: rel="next"`;
//! - **retries** (see [`RetryPolicy`]): reads are retried on 5xx and transport failures with
//!   exponential backoff; reads and writes are retried on rate limits (a 429, a 403 that says
//!   so, or `x-ratelimit-remaining: 0`), waiting as `Retry-After` or `x-ratelimit-reset` say;
//!   writes are never retried on a 5xx, since the write may have happened;
//! - **errors** in the runner's terms: 404 is [`ForgeError::NotFound`], 401
//!   [`ForgeError::Unauthorised`], 403 (not a rate limit) [`ForgeError::Forbidden`], 409
//!   [`ForgeError::Conflict`], 422 [`ForgeError::Unprocessable`], 451
//!   [`ForgeError::Unavailable`], 5xx [`ForgeError::Server`];
//! - **call counting** (see [`GitHub::calls`]).
//!
//! The token is handed to octocrab as a [`SecretString`] and kept nowhere else: it never
//! appears in `Debug` output or in logs.

pub mod app;
pub mod events;
pub mod tarball;
pub mod wire;

use super::BotApp;
use super::{
    CallCount, ChangedFile, CheckRun, CheckRunSpec, Comment, Commit, FileChange, Forge, ForgeError,
    ForgeResult, Member, Permission, PullRequest, Review, Sha,
};
use crate::load::Snapshot;
use http::{HeaderMap, Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// GitHub's public API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// GitHub takes at most this many annotations in one check-run request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;

/// The most pages one list call follows, a guard against a `Link` that never ends.
const MAX_PAGES: u32 = 1_000;

/// The most times one call is retried for rate limits, whatever the waits.
const MAX_RATE_LIMIT_RETRIES: u32 = 5;

/// How long to wait on a secondary rate limit that names no time: GitHub asks for at least a
/// minute.
const SECONDARY_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// How the adapter retries a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts, in all, for a read that fails with a 5xx or does not get an answer (1 means
    /// no retry). Writes get one attempt for those.
    pub read_attempts: u32,
    /// The wait before the second attempt of a failed read; doubled for each later one.
    pub backoff: Duration,
    /// The most one call waits in all (backoffs plus rate-limit waits). A rate limit that
    /// asks for more ends the call with [`ForgeError::RateLimited`] at once, without waiting.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            read_attempts: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(90),
        }
    }
}

/// The GitHub adapter: one repository, through GitHub's REST API (api.github.com or a
/// GitHub Enterprise Server at `https://host/api/v3`).
pub struct GitHub {
    client: octocrab::Octocrab,
    /// Without a token or a path prefix: follows the tarball's redirect to another host.
    /// (The main client would put the API's path prefix, e.g. `/api/v3`, in front of it.)
    downloader: octocrab::Octocrab,
    api_url: String,
    owner: String,
    repo: String,
    /// `/repos/{owner}/{repo}`, encoded.
    repo_path: String,
    bot_login: String,
    retry: RetryPolicy,
    max_tarball_bytes: u64,
    /// The author of the commits the bot makes; `None` leaves it to GitHub (the token's
    /// identity).
    commit_author: Option<(String, String)>,
    /// The bot's App, by id (`ADOPTBOT_APP_ID`); without it, by the slug of the bot login.
    app_id: Option<u64>,
    reads: AtomicU32,
    writes: AtomicU32,
    /// `x-ratelimit-remaining` of the last answer that had it; -1 before any.
    rate_remaining: std::sync::atomic::AtomicI64,
    /// The tree of each commit a list showed this adapter, or that it made: a commit's tree
    /// never changes, so pushing on top of it needs no `GET /git/commits/{parent}`.
    trees: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// The default branch's name, as the last pull request read from this repository named
    /// it: [`Forge::default_branch`] then reads only the branch's head.
    default_name: std::sync::Mutex<Option<String>>,
}

impl fmt::Debug for GitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHub")
            .field("api_url", &self.api_url)
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("bot_login", &self.bot_login)
            .field("retry", &self.retry)
            .field("calls", &self.calls())
            .finish_non_exhaustive()
    }
}

impl GitHub {
    /// An adapter for `owner/repo` at `api_url` (e.g. `https://api.github.com`, or
    /// `https://github.example.com/api/v3` for GitHub Enterprise Server: the path prefix is
    /// kept), authenticated with `token`, acting as `bot_login`.
    ///
    /// Must be called inside a Tokio runtime: octocrab starts its connection worker on it.
    pub fn new(
        api_url: &str,
        token: SecretString,
        owner: &str,
        repo: &str,
        bot_login: &str,
    ) -> Result<GitHub, ForgeError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ForgeError::Other(
                "the GitHub adapter must be created inside a Tokio runtime".into(),
            ));
        }
        let api_url = api_url.trim().trim_end_matches('/');
        let uri: http::Uri = api_url
            .parse()
            .map_err(|_| ForgeError::Other(format!("the API URL `{api_url}` is not a URL")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
            return Err(ForgeError::Other(format!(
                "the API URL `{api_url}` must start with https:// and name a host"
            )));
        }
        for (what, value) in [("owner", owner), ("repository", repo)] {
            if value.is_empty()
                || !value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                || value == "."
                || value == ".."
            {
                return Err(ForgeError::Other(format!(
                    "`{value}` is not a GitHub {what} name"
                )));
            }
        }
        // octocrab turns the token into a header value and panics if it cannot: check first.
        let secret = token.expose_secret().trim();
        if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ForgeError::Unauthorised(
                "the GitHub token is empty or has characters a token cannot have".into(),
            ));
        }
        let client = octocrab::Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| ForgeError::Other(format!("the API URL `{api_url}`: {e}")))?
            .personal_token(SecretString::from(secret.to_owned()))
            .add_header(
                http::header::ACCEPT,
                "application/vnd.github+json".to_string(),
            )
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| ForgeError::Other(format!("cannot build the GitHub client: {e}")))?;
        let downloader = octocrab::Octocrab::builder()
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| ForgeError::Other(format!("cannot build the download client: {e}")))?;
        Ok(GitHub {
            client,
            downloader,
            api_url: api_url.to_string(),
            owner: owner.to_string(),
            repo: repo.to_string(),
            repo_path: format!("/repos/{owner}/{repo}"),
            bot_login: bot_login.to_string(),
            retry: RetryPolicy::default(),
            max_tarball_bytes: tarball::MAX_UNPACKED_BYTES,
            commit_author: None,
            app_id: None,
            reads: AtomicU32::new(0),
            writes: AtomicU32::new(0),
            rate_remaining: std::sync::atomic::AtomicI64::new(-1),
            trees: Default::default(),
            default_name: Default::default(),
        })
    }

    /// An adapter configured as GitHub Actions does it: `GITHUB_API_URL` (by default
    /// `https://api.github.com`), `GITHUB_TOKEN`, and `GITHUB_REPOSITORY` (`owner/name`).
    pub fn from_env(bot_login: &str) -> Result<GitHub, ForgeError> {
        Self::from_vars(bot_login, |name| std::env::var(name).ok())
    }

    /// [`GitHub::from_env`] with the variables read through `var`.
    pub fn from_vars(
        bot_login: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<GitHub, ForgeError> {
        let api_url = var("GITHUB_API_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let token = var("GITHUB_TOKEN")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| ForgeError::Unauthorised("GITHUB_TOKEN is not set".into()))?;
        let repository = var("GITHUB_REPOSITORY").unwrap_or_default();
        let (owner, repo) = repository
            .trim()
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| {
                ForgeError::Other(format!(
                    "GITHUB_REPOSITORY must be `owner/name`, not `{repository}`"
                ))
            })?;
        let app_id = match var("ADOPTBOT_APP_ID").filter(|v| !v.trim().is_empty()) {
            Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                ForgeError::Other(format!(
                    "ADOPTBOT_APP_ID must be the App's numeric id (in the App's settings, \"App ID\"), not `{v}`"
                ))
            })?),
            None => None,
        };
        let gh = GitHub::new(&api_url, SecretString::from(token), owner, repo, bot_login)?;
        Ok(match app_id {
            Some(id) => gh.with_app_id(id),
            None => gh,
        })
    }

    /// The same adapter, knowing the bot's App by its numeric id: only check runs that App
    /// created are the bot's.
    pub fn with_app_id(mut self, id: u64) -> GitHub {
        self.app_id = Some(id);
        self
    }

    /// The same adapter with another retry policy.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> GitHub {
        self.retry = retry;
        self
    }

    /// The same adapter with another bound on how large a snapshot's tarball may unpack to.
    pub fn with_max_tarball_bytes(mut self, bytes: u64) -> GitHub {
        self.max_tarball_bytes = bytes;
        self
    }

    /// The same adapter, writing its commits as `name <email>`. Without it, GitHub records
    /// the token's identity (the App's bot user) as author and committer and signs the
    /// commit, which is what makes a commit the bot's
    /// ([`crate::plan::reconcile::is_bot_commit`]): an author of another account makes the
    /// bot's own commits look like a person's. For tests of the request body.
    pub fn with_commit_author(mut self, name: &str, email: &str) -> GitHub {
        self.commit_author = Some((name.to_string(), email.to_string()));
        self
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    fn count(&self, method: &Method) {
        let counter = if method == Method::GET {
            &self.reads
        } else {
            &self.writes
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Sends one request, and nothing more.
    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        follow_redirect: bool,
    ) -> Result<Reply, octocrab::Error> {
        let c = &self.client;
        let response = match *method {
            Method::GET => c._get(path).await?,
            Method::POST => c._post(path, body).await?,
            Method::PATCH => c._patch(path, body).await?,
            Method::PUT => c._put(path, body).await?,
            Method::DELETE => c._delete(path, body).await?,
            _ => unreachable!("the adapter sends GET, POST, PATCH, PUT and DELETE only"),
        };
        let response = match response.headers().get(http::header::LOCATION) {
            Some(location) if follow_redirect && response.status().is_redirection() => {
                // The tarball lives at a codeload URL, which carries its own short-lived
                // token: fetching it is part of the same call, and gets no Authorization.
                let location = location.to_str().unwrap_or_default().to_string();
                if location.starts_with('/') {
                    c._get(location).await?
                } else {
                    self.downloader._get(location).await?
                }
            }
            _ => response,
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match c.body_to_string(response).await {
            Ok(text) => text.into_bytes(),
            Err(octocrab::Error::InvalidUtf8 { source, .. }) => source.into_bytes(),
            Err(e) => return Err(e),
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// One logical call, with the retries the policy allows. Returns the final answer,
    /// whatever its status, unless it is a rate limit that outlasts the allowed wait or the
    /// request got no answer.
    async fn call_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        follow_redirect: bool,
    ) -> ForgeResult<Reply> {
        let read = method == Method::GET;
        let mut waited = Duration::ZERO;
        // Attempts that failed with a 5xx or no answer, and retries for rate limits.
        let mut failed: u32 = 0;
        let mut rate_limit_retries = 0;
        loop {
            self.count(&method);
            let outcome = self.send_once(&method, path, body, follow_redirect).await;
            let backoff = self.retry.backoff.saturating_mul(1u32 << failed.min(16));
            let retry_read = read
                && failed + 1 < self.retry.read_attempts.max(1)
                && waited + backoff <= self.retry.max_wait;
            let reply = match outcome {
                Ok(reply) => {
                    if let Some(n) = reply
                        .header("x-ratelimit-remaining")
                        .and_then(|v| v.trim().parse::<i64>().ok())
                    {
                        self.rate_remaining.store(n, Ordering::Relaxed);
                    }
                    reply
                }
                Err(e) if retry_read => {
                    tracing::warn!(%method, path, attempt = failed + 1, "GitHub did not answer; retrying: {e}");
                    tokio::time::sleep(backoff).await;
                    waited += backoff;
                    failed += 1;
                    continue;
                }
                Err(e) => {
                    return Err(ForgeError::Server(format!(
                        "{method} {path}: no answer from GitHub: {e}"
                    )));
                }
            };
            if let Some(wait) = reply.rate_limit_wait() {
                let message = format!("{method} {path}: {}", reply.message());
                if rate_limit_retries >= MAX_RATE_LIMIT_RETRIES
                    || waited + wait > self.retry.max_wait
                {
                    return Err(ForgeError::RateLimited {
                        retry_after: Some(wait),
                        message,
                    });
                }
                tracing::warn!(%method, path, wait_s = wait.as_secs_f64(), "rate limited; waiting");
                tokio::time::sleep(wait).await;
                waited += wait;
                rate_limit_retries += 1;
                continue;
            }
            if reply.status.is_server_error() && retry_read {
                tracing::warn!(%method, path, attempt = failed + 1, status = reply.status.as_u16(), "GitHub failed; retrying");
                tokio::time::sleep(backoff).await;
                waited += backoff;
                failed += 1;
                continue;
            }
            return Ok(reply);
        }
    }

    /// One logical call that must succeed (2xx).
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> ForgeResult<Reply> {
        let reply = self.call_raw(method.clone(), path, body, false).await?;
        if reply.status.is_success() {
            Ok(reply)
        } else {
            Err(reply.error(&method, path))
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> ForgeResult<T> {
        self.call(Method::GET, path, None).await?.json(path)
    }

    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> ForgeResult<T> {
        self.call(method, path, Some(body)).await?.json(path)
    }

    /// Every item of a list, page by page: `per_page=100`, then each `Link: rel="next"`.
    async fn pages<T>(
        &self,
        path: &str,
        parse: fn(&Reply, &str) -> ForgeResult<Vec<T>>,
    ) -> ForgeResult<Vec<T>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{path}{sep}per_page=100"));
        let mut items = Vec::new();
        let mut pages = 0;
        while let Some(page) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(ForgeError::Other(format!(
                    "GET {path}: more than {MAX_PAGES} pages"
                )));
            }
            let reply = self.call(Method::GET, &page, None).await?;
            items.extend(parse(&reply, &page)?);
            next = reply
                .headers
                .get(http::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(wire::next_link)
                .map(same_host_path)
                .transpose()?;
        }
        Ok(items)
    }

    /// Remembers the tree of every commit in `items`, then gives them in the forge's terms.
    fn commits_seen(&self, items: Vec<wire::CommitItem>) -> Vec<Commit> {
        let mut trees = self.trees.lock().unwrap_or_else(|p| p.into_inner());
        items
            .into_iter()
            .map(|c| {
                if let Some(t) = &c.commit.tree {
                    trees.insert(c.sha.clone(), t.sha.clone());
                }
                c.into_forge()
            })
            .collect()
    }

    /// The tree of commit `sha`: remembered, or one read.
    async fn tree_of(&self, sha: &str) -> ForgeResult<String> {
        if let Some(t) = self
            .trees
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sha)
        {
            return Ok(t.clone());
        }
        let commit: wire::GitCommit = self
            .get(&format!(
                "{}/git/commits/{}",
                self.repo_path,
                enc(sha, false)
            ))
            .await?;
        self.remember_tree(sha, &commit.tree.sha);
        Ok(commit.tree.sha)
    }

    fn remember_tree(&self, commit: &str, tree: &str) {
        self.trees
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(commit.to_string(), tree.to_string());
    }

    /// Writes `annotations` beyond the first request's, in further updates of check run `id`.
    async fn add_annotations(&self, id: u64, spec: &CheckRunSpec) -> ForgeResult<()> {
        for chunk in spec.annotations.chunks(ANNOTATIONS_PER_REQUEST).skip(1) {
            let body = json!({ "output": output(spec, chunk) });
            let _: wire::CheckRun = self
                .write(
                    Method::PATCH,
                    &format!("{}/check-runs/{id}", self.repo_path),
                    &body,
                )
                .await?;
        }
        Ok(())
    }
}

/// The path and query of a `Link` target, so that the next page goes to the configured API
/// (and its token never to another host).
fn same_host_path(url: &str) -> ForgeResult<String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| ForgeError::Other(format!("GitHub sent a Link that is not a URL: {url}")))?;
    uri.path_and_query()
        .map(|pq| pq.as_str().to_string())
        .ok_or_else(|| ForgeError::Other(format!("GitHub sent a Link without a path: {url}")))
}

/// An answer: status, headers and the whole body.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json<T: DeserializeOwned>(&self, path: &str) -> ForgeResult<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ForgeError::Other(format!(
                "{path}: GitHub's answer is not what the adapter expects: {e}"
            ))
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// GitHub's `message`, or the start of the body.
    fn message(&self) -> String {
        match serde_json::from_slice::<wire::ErrorBody>(&self.body) {
            Ok(e) if !e.message.is_empty() => e.describe(),
            _ => {
                let text = String::from_utf8_lossy(&self.body);
                let text: String = text.chars().take(200).collect();
                if text.trim().is_empty() {
                    self.status.to_string()
                } else {
                    text
                }
            }
        }
    }

    /// How long to wait when this answer is a rate limit, else `None`.
    fn rate_limit_wait(&self) -> Option<Duration> {
        let status = self.status.as_u16();
        if status != 403 && status != 429 {
            return None;
        }
        let exhausted = self.header("x-ratelimit-remaining").map(str::trim) == Some("0");
        let says_so = {
            let text = String::from_utf8_lossy(&self.body).to_ascii_lowercase();
            text.contains("rate limit")
        };
        if status == 403 && !exhausted && !says_so {
            return None;
        }
        if let Some(secs) = self
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            return Some(Duration::from_secs(secs));
        }
        if exhausted
            && let Some(reset) = self
                .header("x-ratelimit-reset")
                .and_then(|v| v.trim().parse::<u64>().ok())
        {
            // The wait is measured against the answer's own `Date`, so that the adapter needs
            // no clock of its own; an answer without one waits as for a secondary limit.
            let now = self
                .header("date")
                .and_then(|d| chrono::DateTime::parse_from_rfc2822(d.trim()).ok())
                .map(|d| d.timestamp().max(0) as u64);
            return Some(match now {
                Some(now) => Duration::from_secs(reset.saturating_sub(now).max(1)),
                None => SECONDARY_RATE_LIMIT_WAIT,
            });
        }
        Some(SECONDARY_RATE_LIMIT_WAIT)
    }

    /// The error a failed answer means to the runner.
    fn error(&self, method: &Method, path: &str) -> ForgeError {
        let message = format!(
            "{method} {path}: {} {}",
            self.status.as_u16(),
            self.message()
        );
        status_error(self.status.as_u16(), message)
    }
}

/// A refused GitHub call in the loop's terms, from its status. A 429 is a rate limit with no
/// wait known (the adapter reads `Retry-After` and retries before it gets here).
pub(crate) fn status_error(status: u16, message: String) -> ForgeError {
    match status {
        404 => ForgeError::NotFound(message),
        401 => ForgeError::Unauthorised(message),
        403 => ForgeError::Forbidden(message),
        409 => ForgeError::Conflict(message),
        422 => ForgeError::Unprocessable(message),
        429 => ForgeError::RateLimited {
            retry_after: None,
            message,
        },
        // Gone: issues switched off in the repository, for one.
        410 | 451 => ForgeError::Unavailable(message),
        500..=599 => ForgeError::Server(message),
        _ => ForgeError::Other(message),
    }
}

fn array<T: DeserializeOwned>(reply: &Reply, path: &str) -> ForgeResult<Vec<T>> {
    reply.json(path)
}

fn check_run_page(reply: &Reply, path: &str) -> ForgeResult<Vec<wire::CheckRun>> {
    Ok(reply.json::<wire::CheckRunList>(path)?.check_runs)
}

fn comparison_page(reply: &Reply, path: &str) -> ForgeResult<Vec<wire::CommitItem>> {
    Ok(reply.json::<wire::Comparison>(path)?.commits)
}

/// Percent-encodes a value for a URL path; `/` is kept when `keep_slash` (branch names).
fn enc(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn output(spec: &CheckRunSpec, annotations: &[super::Annotation]) -> Value {
    json!({
        "title": spec.title,
        "summary": spec.summary,
        "annotations": annotations.iter().map(|a| json!({
            "path": a.path,
            "start_line": a.start_line,
            "end_line": a.end_line,
            "annotation_level": match a.level {
                super::AnnotationLevel::Notice => "notice",
                super::AnnotationLevel::Warning => "warning",
                super::AnnotationLevel::Failure => "failure",
            },
            "title": a.title,
            "message": a.message,
        })).collect::<Vec<_>>(),
    })
}

/// A completed check run with the first [`ANNOTATIONS_PER_REQUEST`] annotations. The head
/// commit is added on creation; GitHub does not take it on update.
fn check_run_body(spec: &CheckRunSpec) -> Value {
    let first = &spec.annotations[..spec.annotations.len().min(ANNOTATIONS_PER_REQUEST)];
    json!({
        "name": spec.name,
        "status": "completed",
        "conclusion": wire::conclusion_name(spec.conclusion),
        "output": output(spec, first),
    })
}

/// Endpoints and costs, per method (reads are GETs, writes everything else; a retried
/// request counts once per attempt):
///
/// | method | requests | calls |
/// | --- | --- | --- |
/// | `snapshot` | `GET /repos/{o}/{r}/tarball/{sha}` (its 302 to codeload followed within the call) | 1 read |
/// | `default_branch` | `GET /repos/{o}/{r}` (skipped when a pull request read by this adapter named the default branch), `GET /repos/{o}/{r}/git/ref/heads/{branch}` | 2 reads, 1 after `pull` |
/// | `pull` | `GET /pulls/{n}` | 1 read |
/// | `pull_files` | `GET /pulls/{n}/files` | 1 read per 100 files |
/// | `pulls_by_branch_prefix` | `GET /pulls?state=all` | 1 read per 100 pulls of the repository |
/// | `branch_commits` | `GET /compare/{base}...{branch}` | 1 read per 100 commits |
/// | `comments` | `GET /issues/{n}/comments` | 1 read per 100 comments |
/// | `check_runs` | `GET /commits/{sha}/check-runs` | 1 read per 100 check runs |
/// | `reviews` | `GET /pulls/{n}/reviews` | 1 read per 100 reviews |
/// | `requested_reviewers` | `GET /pulls/{n}/requested_reviewers` | 1 read |
/// | `team_members` | `GET /orgs/{org}/teams/{slug}/members` | 1 read per 100 members |
/// | `user` | `GET /users/{login}` | 1 read (none for an empty login) |
/// | `pull_commits` | `GET /pulls/{n}/commits` | 1 read per 100 commits |
/// | `pull_changes` | an open PR: `GET /compare/{base branch}...{head sha}` (no paging: up to 250 commits and 300 files), then `pull_files` if 300 files came back, `pull_commits` if fewer commits than `total_commits`; a closed one, or a compare GitHub refuses (404, or 5xx after the retries): `pull_files` and `pull_commits` | 1 read, or as the two lists |
/// | `bot_app` | none: the configured App id, or the slug of the bot login | 0 |
/// | `branch_rules` | `GET /rules/branches/{branch}` | 1 read per 100 rules |
/// | `create_comment` | `POST /issues/{n}/comments` | 1 write |
/// | `update_comment` | `PATCH /issues/comments/{id}` | 1 write |
/// | `create_check_run` | `POST /check-runs`, then `PATCH /check-runs/{id}` per 50 annotations beyond the first 50 | 1 write + 1 per further 50 annotations |
/// | `update_check_run` | `PATCH /check-runs/{id}`, repeated per 50 annotations | 1 write per 50 annotations (at least 1) |
/// | `commit_to_branch` | `GET /git/commits/{parent}` (skipped when the parent's tree is known: a commit this adapter listed or made), `POST /git/trees` (skipped when there are no files), `POST /git/commits`, `PATCH /git/refs/heads/{branch}`, and `POST /git/refs` when the branch does not exist yet | 1 read + 3 writes to move a branch, 1 read + 4 writes to create it |
/// | `create_pull` | `POST /pulls` | 1 write |
/// | `update_pull` | `PATCH /pulls/{n}` | 1 write |
/// | `request_reviewers` | `POST /pulls/{n}/requested_reviewers` | 1 write, none when nobody is asked |
/// | `add_labels` | `POST /issues/{n}/labels` | 1 write, none without labels |
/// | `issues_by` | `GET /issues?creator={login}&state=all` (pull requests in it left out) | 1 read per 100 issues and PRs of the creator |
/// | `issue` | `GET /issues/{n}` | 1 read |
/// | `create_issue` | `POST /issues` | 1 write |
/// | `update_issue` | `PATCH /issues/{n}` | 1 write |
/// | `branch_head` | `GET /git/ref/heads/{branch}` (404: none) | 1 read |
/// | `files_under` | `GET /tarball/{sha}`, of which one folder is kept | 1 read |
/// | `secret_alerts` | `GET /secret-scanning/alerts?state=open` (403, 404: none) | 1 read per 100 alerts |
impl Forge for GitHub {
    fn bot_login(&self) -> &str {
        &self.bot_login
    }

    /// The requests sent so far: reads are GETs, writes are every other method. Each HTTP
    /// request to the API counts once, and so does each attempt of a retried request (each
    /// one spends GitHub's rate limit). Following the tarball's redirect to codeload is part
    /// of the same call and is not counted again.
    fn calls(&self) -> CallCount {
        CallCount {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    async fn snapshot(&self, sha: &str) -> ForgeResult<Snapshot> {
        let path = format!("{}/tarball/{}", self.repo_path, enc(sha, false));
        let reply = self.call_raw(Method::GET, &path, None, true).await?;
        if !reply.status.is_success() {
            return Err(reply.error(&Method::GET, &path));
        }
        let limit = self.max_tarball_bytes;
        let body = reply.body;
        tokio::task::spawn_blocking(move || tarball::unpack(&body, limit))
            .await
            .map_err(|e| ForgeError::Other(format!("unpacking the tarball of {sha}: {e}")))?
            .map_err(|e| ForgeError::Other(format!("the tarball of {sha}: {e}")))
    }

    /// The name comes from `GET /repos/{o}/{r}`, or from the pull request this adapter read
    /// moments before (its `base.repo` is the repository, default branch included).
    async fn default_branch(&self) -> ForgeResult<(String, Sha)> {
        let known = self
            .default_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let name = match known {
            Some(name) => name,
            None => {
                self.get::<wire::Repository>(&self.repo_path)
                    .await?
                    .default_branch
            }
        };
        let head: wire::GitRef = self
            .get(&format!(
                "{}/git/ref/heads/{}",
                self.repo_path,
                enc(&name, true)
            ))
            .await?;
        Ok((name, head.object.sha))
    }

    async fn pull(&self, number: u64) -> ForgeResult<PullRequest> {
        let pull: wire::PullRequest = self
            .get(&format!("{}/pulls/{number}", self.repo_path))
            .await?;
        if let Some(repo) = &pull.base.repo
            && repo.full_name.eq_ignore_ascii_case(&self.full_name())
            && let Some(name) = repo.default_branch.as_ref().filter(|n| !n.is_empty())
        {
            *self.default_name.lock().unwrap_or_else(|p| p.into_inner()) = Some(name.clone());
        }
        Ok(pull.into_forge())
    }

    async fn pull_files(&self, number: u64) -> ForgeResult<Vec<ChangedFile>> {
        let files: Vec<wire::DiffEntry> = self
            .pages(&format!("{}/pulls/{number}/files", self.repo_path), array)
            .await?;
        Ok(files.into_iter().map(wire::DiffEntry::into_forge).collect())
    }

    /// Lists every pull request of the repository and keeps those whose head branch starts
    /// with `prefix` and lives in this repository: a fork's branch of the same name is not
    /// the bot's. Sorted by number.
    async fn pulls_by_branch_prefix(&self, prefix: &str) -> ForgeResult<Vec<PullRequest>> {
        let pulls: Vec<wire::PullRequest> = self
            .pages(&format!("{}/pulls?state=all", self.repo_path), array)
            .await?;
        let full_name = self.full_name();
        let mut found: Vec<PullRequest> = pulls
            .into_iter()
            .filter(|p| p.head.name.starts_with(prefix) && p.head_is_in(&full_name))
            .map(wire::PullRequest::into_forge)
            .collect();
        found.sort_by_key(|p| p.number);
        found.dedup_by_key(|p| p.number);
        Ok(found)
    }

    async fn branch_commits(&self, base: &str, branch: &str) -> ForgeResult<Vec<Commit>> {
        let commits = self
            .pages(
                &format!(
                    "{}/compare/{}...{}",
                    self.repo_path,
                    enc(base, true),
                    enc(branch, true)
                ),
                comparison_page,
            )
            .await?;
        Ok(self.commits_seen(commits))
    }

    async fn comments(&self, issue: u64) -> ForgeResult<Vec<Comment>> {
        let comments: Vec<wire::IssueComment> = self
            .pages(
                &format!("{}/issues/{issue}/comments", self.repo_path),
                array,
            )
            .await?;
        Ok(comments
            .into_iter()
            .map(wire::IssueComment::into_forge)
            .collect())
    }

    async fn check_runs(&self, sha: &str) -> ForgeResult<Vec<CheckRun>> {
        let runs = self
            .pages(
                &format!("{}/commits/{}/check-runs", self.repo_path, enc(sha, false)),
                check_run_page,
            )
            .await?;
        Ok(runs.into_iter().map(wire::CheckRun::into_forge).collect())
    }

    async fn reviews(&self, number: u64) -> ForgeResult<Vec<Review>> {
        let reviews: Vec<wire::Review> = self
            .pages(&format!("{}/pulls/{number}/reviews", self.repo_path), array)
            .await?;
        Ok(reviews.into_iter().map(wire::Review::into_forge).collect())
    }

    async fn requested_reviewers(&self, number: u64) -> ForgeResult<(Vec<String>, Vec<String>)> {
        let requests: wire::ReviewRequests = self
            .get(&format!(
                "{}/pulls/{number}/requested_reviewers",
                self.repo_path
            ))
            .await?;
        Ok((
            requests.users.into_iter().map(|u| u.login).collect(),
            requests.teams.into_iter().map(|t| t.slug).collect(),
        ))
    }

    /// A 404 or a 403 that is not a rate limit names the team and the permission it takes:
    /// GitHub hides a team from a token that may not read the organisation's teams.
    async fn team_members(&self, org: &str, team_slug: &str) -> ForgeResult<Vec<Member>> {
        let path = format!(
            "/orgs/{}/teams/{}/members",
            enc(org, false),
            enc(team_slug, false)
        );
        let hint = |m: String| {
            format!(
                "the team `{org}/{team_slug}` does not exist or the token cannot see it; check \
                 the team's slug, and give the token the `read:org` scope (a GitHub App: the \
                 organization permission Members: read) ({m})"
            )
        };
        let members: Vec<wire::Account> = self.pages(&path, array).await.map_err(|e| match e {
            ForgeError::NotFound(m) => ForgeError::NotFound(hint(m)),
            ForgeError::Unauthorised(m) => ForgeError::Unauthorised(hint(m)),
            ForgeError::Forbidden(m) => ForgeError::Forbidden(hint(m)),
            other => other,
        })?;
        Ok(members.into_iter().map(wire::Account::into_forge).collect())
    }

    /// GitHub answers with the login as the account spells it. An empty login is not asked
    /// for (`GET /users/` would be another endpoint): it is [`ForgeError::NotFound`] at once.
    async fn user(&self, login: &str) -> ForgeResult<Member> {
        let missing = |m: &str| {
            ForgeError::NotFound(format!(
                "there is no GitHub account `{login}`; check the login (a renamed account is \
                 found by its new login only) ({m})"
            ))
        };
        if login.trim().is_empty() {
            return Err(missing("an empty login"));
        }
        let path = format!("/users/{}", enc(login, false));
        let account: wire::Account = self.get(&path).await.map_err(|e| match e {
            ForgeError::NotFound(m) => missing(&m),
            other => other,
        })?;
        Ok(account.into_forge())
    }

    async fn permission(&self, login: &str) -> ForgeResult<Permission> {
        if login.trim().is_empty() {
            return Ok(Permission::None);
        }
        let path = format!(
            "{}/collaborators/{}/permission",
            self.repo_path,
            enc(login, false)
        );
        match self.get::<wire::CollaboratorPermission>(&path).await {
            Ok(p) => Ok(p.into_forge()),
            // Not an account, or not one GitHub shows this token: no access.
            Err(ForgeError::NotFound(_)) => Ok(Permission::None),
            Err(e) => Err(e),
        }
    }

    // ----- Trust: who made what. -----

    fn bot_app(&self) -> BotApp {
        match self.app_id {
            Some(id) => BotApp::Id(id),
            None => BotApp::from_login(&self.bot_login),
        }
    }

    async fn pull_commits(&self, number: u64) -> ForgeResult<Vec<Commit>> {
        let commits: Vec<wire::CommitItem> = self
            .pages(&format!("{}/pulls/{number}/commits", self.repo_path), array)
            .await?;
        Ok(self.commits_seen(commits))
    }

    /// The comparison of the base branch (by name, as `GET /pulls/{n}/files` diffs against
    /// its merge base with the current base, never the `base.sha` the pull request
    /// remembers, which GitHub does not always move) with the head commit just read. Its
    /// files are the pull request's files and its commits the pull request's commits, oldest
    /// first. A truncated list is read again from the pull request's own endpoint.
    async fn pull_changes(
        &self,
        pull: &PullRequest,
    ) -> ForgeResult<(Vec<ChangedFile>, Vec<Commit>)> {
        let paged = || async {
            Ok((
                self.pull_files(pull.number).await?,
                self.pull_commits(pull.number).await?,
            ))
        };
        if pull.state != super::PrState::Open
            || pull.base_branch.is_empty()
            || pull.head_sha.is_empty()
        {
            return paged().await;
        }
        let path = format!(
            "{}/compare/{}...{}",
            self.repo_path,
            enc(&pull.base_branch, true),
            enc(&pull.head_sha, false)
        );
        let cmp: wire::Comparison = match self.get(&path).await {
            Ok(c) => c,
            // A head GitHub cannot compare here (a fork's commit it does not resolve, say), or
            // a comparison GitHub gave up on after the retries (its 500 and 503 for a diff
            // that takes too long): the pull request's own lists still answer.
            Err(ForgeError::NotFound(_) | ForgeError::Server(_)) => return paged().await,
            Err(e) => return Err(e),
        };
        let files = if cmp.files.len() >= wire::COMPARE_FILES {
            self.pull_files(pull.number).await?
        } else {
            cmp.files
                .into_iter()
                .map(wire::DiffEntry::into_forge)
                .collect()
        };
        let commits = if cmp.commits.len() as u64 != cmp.total_commits {
            self.pull_commits(pull.number).await?
        } else {
            self.commits_seen(cmp.commits)
        };
        Ok((files, commits))
    }

    /// A token that may not read the rules (403), or a forge without them (404), reads as
    /// `None`: nothing is known.
    async fn branch_rules(&self, branch: &str) -> ForgeResult<Option<Vec<super::BranchRule>>> {
        let path = format!("{}/rules/branches/{}", self.repo_path, enc(branch, true));
        match self.pages(&path, array::<wire::BranchRule>).await {
            Ok(rules) => Ok(Some(
                rules
                    .into_iter()
                    .map(wire::BranchRule::into_forge)
                    .collect(),
            )),
            Err(ForgeError::Forbidden(_) | ForgeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create_comment(&self, issue: u64, body: &str) -> ForgeResult<Comment> {
        let comment: wire::IssueComment = self
            .write(
                Method::POST,
                &format!("{}/issues/{issue}/comments", self.repo_path),
                &json!({ "body": body }),
            )
            .await?;
        Ok(comment.into_forge())
    }

    async fn update_comment(&self, id: u64, body: &str) -> ForgeResult<()> {
        let _: wire::IssueComment = self
            .write(
                Method::PATCH,
                &format!("{}/issues/comments/{id}", self.repo_path),
                &json!({ "body": body }),
            )
            .await?;
        Ok(())
    }

    async fn create_check_run(&self, spec: &CheckRunSpec) -> ForgeResult<CheckRun> {
        let mut body = check_run_body(spec);
        body["head_sha"] = json!(spec.head_sha);
        let run: wire::CheckRun = self
            .write(
                Method::POST,
                &format!("{}/check-runs", self.repo_path),
                &body,
            )
            .await?;
        self.add_annotations(run.id, spec).await?;
        Ok(run.into_forge())
    }

    async fn update_check_run(&self, id: u64, spec: &CheckRunSpec) -> ForgeResult<()> {
        let _: wire::CheckRun = self
            .write(
                Method::PATCH,
                &format!("{}/check-runs/{id}", self.repo_path),
                &check_run_body(spec),
            )
            .await?;
        self.add_annotations(id, spec).await
    }

    async fn commit_to_branch(
        &self,
        branch: &str,
        parent: &str,
        message: &str,
        files: &[FileChange],
    ) -> ForgeResult<Sha> {
        let base_tree = self.tree_of(parent).await?;
        let tree = if files.is_empty() {
            base_tree
        } else {
            let entries: Vec<Value> = files
                .iter()
                .map(|f| match &f.content {
                    Some(content) => json!({
                        "path": f.path, "mode": "100644", "type": "blob", "content": content,
                    }),
                    None => json!({
                        "path": f.path, "mode": "100644", "type": "blob", "sha": null,
                    }),
                })
                .collect();
            let created: wire::Sha = self
                .write(
                    Method::POST,
                    &format!("{}/git/trees", self.repo_path),
                    &json!({ "base_tree": base_tree, "tree": entries }),
                )
                .await?;
            created.sha
        };
        let mut body = json!({ "message": message, "tree": tree, "parents": [parent] });
        if let Some((name, email)) = &self.commit_author {
            body["author"] = json!({ "name": name, "email": email });
        }
        let commit: wire::GitCommit = self
            .write(
                Method::POST,
                &format!("{}/git/commits", self.repo_path),
                &body,
            )
            .await?;
        self.remember_tree(&commit.sha, &commit.tree.sha);
        // Move the branch; GitHub answers 422 when it does not exist, and then it is created.
        let ref_path = format!("{}/git/refs/heads/{}", self.repo_path, enc(branch, true));
        let moved = self
            .call_raw(
                Method::PATCH,
                &ref_path,
                Some(&json!({ "sha": commit.sha, "force": true })),
                false,
            )
            .await?;
        if moved.status.is_success() {
            return Ok(commit.sha);
        }
        if moved.status != StatusCode::UNPROCESSABLE_ENTITY {
            return Err(moved.error(&Method::PATCH, &ref_path));
        }
        let created = self
            .call(
                Method::POST,
                &format!("{}/git/refs", self.repo_path),
                Some(&json!({ "ref": format!("refs/heads/{branch}"), "sha": commit.sha })),
            )
            .await;
        match created {
            Ok(_) => Ok(commit.sha),
            // Neither moved nor created: report why it could not be moved.
            Err(ForgeError::Conflict(_) | ForgeError::Unprocessable(_)) => {
                Err(moved.error(&Method::PATCH, &ref_path))
            }
            Err(e) => Err(e),
        }
    }

    async fn create_pull(
        &self,
        head_branch: &str,
        base_branch: &str,
        title: &str,
        body: &str,
    ) -> ForgeResult<PullRequest> {
        let pull: wire::PullRequest = self
            .write(
                Method::POST,
                &format!("{}/pulls", self.repo_path),
                &json!({ "title": title, "head": head_branch, "base": base_branch, "body": body }),
            )
            .await?;
        Ok(pull.into_forge())
    }

    async fn update_pull(
        &self,
        number: u64,
        title: &str,
        body: &str,
        reopen: bool,
    ) -> ForgeResult<()> {
        let mut patch = json!({ "title": title, "body": body });
        if reopen {
            patch["state"] = json!("open");
        }
        let _: wire::PullRequest = self
            .write(
                Method::PATCH,
                &format!("{}/pulls/{number}", self.repo_path),
                &patch,
            )
            .await?;
        Ok(())
    }

    async fn request_reviewers(
        &self,
        number: u64,
        users: &[String],
        teams: &[String],
    ) -> ForgeResult<()> {
        if users.is_empty() && teams.is_empty() {
            return Ok(());
        }
        let _: wire::PullRequest = self
            .write(
                Method::POST,
                &format!("{}/pulls/{number}/requested_reviewers", self.repo_path),
                &json!({ "reviewers": users, "team_reviewers": teams }),
            )
            .await?;
        Ok(())
    }

    async fn add_labels(&self, issue: u64, labels: &[String]) -> ForgeResult<()> {
        if labels.is_empty() {
            return Ok(());
        }
        let _: Vec<wire::Label> = self
            .write(
                Method::POST,
                &format!("{}/issues/{issue}/labels", self.repo_path),
                &json!({ "labels": labels }),
            )
            .await?;
        Ok(())
    }

    // ----- Issues, bot branches and secret-scanning alerts: the scheduled report. -----

    /// `GET /issues?creator=&state=all`, every page; the pull requests in it are left out.
    async fn issues_by(&self, creator: &str) -> ForgeResult<Vec<super::Issue>> {
        let issues: Vec<wire::Issue> = self
            .pages(
                &format!(
                    "{}/issues?creator={}&state=all",
                    self.repo_path,
                    enc(creator, false)
                ),
                array,
            )
            .await?;
        let mut found: Vec<super::Issue> = issues
            .into_iter()
            .filter(|i| !i.is_pull())
            .map(wire::Issue::into_forge)
            .collect();
        found.sort_by_key(|i| i.number);
        Ok(found)
    }

    async fn issue(&self, number: u64) -> ForgeResult<super::Issue> {
        let issue: wire::Issue = self
            .get(&format!("{}/issues/{number}", self.repo_path))
            .await?;
        if issue.is_pull() {
            return Err(ForgeError::NotFound(format!(
                "#{number} is a pull request, not an issue"
            )));
        }
        Ok(issue.into_forge())
    }

    async fn create_issue(&self, title: &str, body: &str) -> ForgeResult<super::Issue> {
        let issue: wire::Issue = self
            .write(
                Method::POST,
                &format!("{}/issues", self.repo_path),
                &json!({ "title": title, "body": body }),
            )
            .await?;
        Ok(issue.into_forge())
    }

    async fn update_issue(
        &self,
        number: u64,
        body: Option<&str>,
        state: Option<super::IssueState>,
    ) -> ForgeResult<()> {
        let mut patch = json!({});
        if let Some(b) = body {
            patch["body"] = json!(b);
        }
        if let Some(s) = state {
            patch["state"] = json!(match s {
                super::IssueState::Open => "open",
                super::IssueState::Closed => "closed",
            });
        }
        let _: wire::Issue = self
            .write(
                Method::PATCH,
                &format!("{}/issues/{number}", self.repo_path),
                &patch,
            )
            .await?;
        Ok(())
    }

    async fn branch_head(&self, branch: &str) -> ForgeResult<Option<Sha>> {
        let path = format!("{}/git/ref/heads/{}", self.repo_path, enc(branch, true));
        match self.get::<wire::GitRef>(&path).await {
            Ok(r) => Ok(Some(r.object.sha)),
            Err(ForgeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One tarball of `sha`, of which only the files under `prefix` are kept.
    async fn files_under(
        &self,
        sha: &str,
        prefix: &str,
    ) -> ForgeResult<std::collections::BTreeMap<String, Vec<u8>>> {
        let path = format!("{}/tarball/{}", self.repo_path, enc(sha, false));
        let reply = self.call_raw(Method::GET, &path, None, true).await?;
        if !reply.status.is_success() {
            return Err(reply.error(&Method::GET, &path));
        }
        let limit = self.max_tarball_bytes;
        let body = reply.body;
        let prefix = prefix.to_owned();
        let max_file = crate::load::yaml::MAX_FILE_BYTES as u64;
        tokio::task::spawn_blocking(move || tarball::unpack_under(&body, limit, &prefix, max_file))
            .await
            .map_err(|e| ForgeError::Other(format!("unpacking the tarball of {sha}: {e}")))?
            .map_err(|e| ForgeError::Other(format!("the tarball of {sha}: {e}")))
    }

    /// A 403 (no permission, or not a rate limit) or a 404 (scanning off, or hidden from the
    /// token) is `None`: the report says the alerts could not be read.
    async fn secret_alerts(&self) -> ForgeResult<Option<Vec<crate::model::finding::SecretAlert>>> {
        let path = format!("{}/secret-scanning/alerts?state=open", self.repo_path);
        match self.pages::<wire::SecretAlert>(&path, array).await {
            Ok(alerts) => Ok(Some(
                alerts
                    .into_iter()
                    .map(wire::SecretAlert::into_model)
                    .collect(),
            )),
            Err(ForgeError::Forbidden(_) | ForgeError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Reads only the server needs, beyond the [`Forge`] trait.
impl GitHub {
    /// The primary rate limit left, as the last answer that said it (`x-ratelimit-remaining`).
    pub fn rate_limit_remaining(&self) -> Option<u64> {
        u64::try_from(self.rate_remaining.load(Ordering::Relaxed)).ok()
    }

    /// The open pull requests of the repository, for the server's backstop, which evaluates
    /// them again in case a delivery was missed.
    pub async fn open_pulls(&self) -> ForgeResult<Vec<PullRequest>> {
        let pulls: Vec<wire::PullRequest> = self
            .pages(&format!("{}/pulls?state=open", self.repo_path), array)
            .await?;
        Ok(pulls
            .into_iter()
            .map(wire::PullRequest::into_forge)
            .collect())
    }
}
