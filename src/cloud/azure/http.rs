//! The Azure adapter's HTTP layer: reads only. A request is a [`Read`]: a GET, or a POST to
//! one of the two query endpoints. The method guard refuses anything else before a byte is
//! sent, so no code path can send PUT, PATCH or DELETE to ARM. Retries 429 and 5xx with a
//! bounded backoff that honours `Retry-After` and `x-ms-ratelimit-remaining-*`, and pauses
//! before the next call when an answer says few requests are left ([`LOW_REMAINING`]).

use crate::cloud::{Api, CallCounter, CloudError, CloudErrorKind, CloudResult};
use std::time::Duration;

/// The ARM endpoint: `https://`, or `http://` on a loopback host (tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint(reqwest::Url);

impl Endpoint {
    pub const DEFAULT: &'static str = "https://management.azure.com";

    /// Parses `ADOPTBOT_ARM_ENDPOINT`'s value.
    pub fn parse(raw: &str) -> CloudResult<Endpoint> {
        let refuse = |m: String| {
            CloudError::new(
                Api::ResourceGraph,
                "configuration",
                CloudErrorKind::Refused,
                format!("ADOPTBOT_ARM_ENDPOINT={raw:?}: {m}"),
            )
        };
        let url = reqwest::Url::parse(raw.trim())
            .map_err(|e| refuse(format!("not a URL ({e}); use e.g. {}", Self::DEFAULT)))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(refuse(
                    "http:// is accepted for loopback hosts only; use https://".into(),
                ));
            }
            s => return Err(refuse(format!("scheme {s}:// is not https://"))),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("no host".into()));
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(refuse("give only scheme, host and port".into()));
        }
        Ok(Endpoint(url))
    }

    /// The URL of an ARM path (`/subscriptions/...`) with query parameters.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> reqwest::Url {
        let mut url = self.0.clone();
        url.set_path(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// The token scope for this endpoint: `{origin}/.default`.
    pub fn scope(&self) -> String {
        let origin = self.0.origin().ascii_serialization();
        format!("{origin}/.default")
    }

    /// Whether a URL (e.g. a `nextLink`) points at this endpoint.
    pub fn owns(&self, url: &reqwest::Url) -> bool {
        url.origin() == self.0.origin()
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The query endpoints a POST may go to (path suffixes, compared case-insensitively).
const QUERY_ENDPOINTS: &[&str] = &[
    "/providers/microsoft.resourcegraph/resources",
    "/providers/microsoft.costmanagement/query",
];

/// A read the adapter may send.
#[derive(Debug, Clone)]
pub enum Read {
    Get(reqwest::Url),
    /// A POST to a query endpoint, with its JSON body.
    Query(reqwest::Url, serde_json::Value),
}

impl Read {
    pub fn method(&self) -> http::Method {
        match self {
            Read::Get(_) => http::Method::GET,
            Read::Query(..) => http::Method::POST,
        }
    }

    pub fn url(&self) -> &reqwest::Url {
        match self {
            Read::Get(u) | Read::Query(u, _) => u,
        }
    }
}

/// The method guard: GET anywhere on the endpoint, POST only to a query endpoint, nothing
/// else. Every request passes here before it is sent.
pub fn guard(method: &http::Method, path: &str) -> Result<(), String> {
    if *method == http::Method::GET {
        return Ok(());
    }
    if *method == http::Method::POST {
        let p = path.trim_end_matches('/').to_ascii_lowercase();
        if QUERY_ENDPOINTS.iter().any(|q| p.ends_with(q)) {
            return Ok(());
        }
        return Err(format!(
            "POST {path} is not a query endpoint; adoptbot only reads Azure"
        ));
    }
    Err(format!(
        "{method} {path}: adoptbot only reads Azure (GET, or POST to a query endpoint)"
    ))
}

/// At or below this many requests left (`x-ms-ratelimit-remaining-*`), the next call waits
/// first: one backoff base per request short of it, at most the cap. ARM allows thousands of
/// reads an hour per subscription; a scheduled run makes tens, so the pause is rare.
pub const LOW_REMAINING: i64 = 10;

/// The pause before the next call after an answer with `remaining` requests left, if any.
pub fn proactive_pause(backoff: &Backoff, remaining: Option<i64>) -> Option<Duration> {
    let left = remaining?;
    if left > LOW_REMAINING {
        return None;
    }
    let short = u32::try_from(LOW_REMAINING - left.max(0) + 1).unwrap_or(u32::MAX);
    Some(backoff.base.saturating_mul(short).min(backoff.cap))
}

/// How retries wait. `sleep: false` records the waits without sleeping (tests).
#[derive(Debug, Clone)]
pub struct Backoff {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base: Duration,
    /// No single wait is longer, whatever `Retry-After` says.
    pub cap: Duration,
    pub sleep: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempts: 5,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            sleep: true,
        }
    }
}

impl Backoff {
    /// The wait before attempt `n + 1` (after `n` failures): `Retry-After` if given, else
    /// `base * 2^(n-1)`; never above `cap`.
    pub fn wait(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        retry_after.unwrap_or(exp).min(self.cap)
    }
}

/// A successful answer: the status and the JSON body (`None` for 204 or an empty body).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Option<serde_json::Value>,
}

/// Why one attempt failed, and whether to try again.
enum Attempt {
    Retry {
        status: u16,
        retry_after: Option<Duration>,
        message: String,
    },
    /// The token was refused (401): get a fresh one and try once more.
    Unauthorised(String),
    Fail(CloudError),
}

/// Sends reads with a bearer token and the retry policy.
#[derive(Debug)]
pub struct ReadOnlyHttp {
    client: reqwest::Client,
    pub endpoint: Endpoint,
    pub backoff: Backoff,
    /// The pause the last answer asked for, taken before the next call.
    pending: std::sync::Mutex<Option<Duration>>,
    /// Every proactive pause taken, in order.
    paused: std::sync::Mutex<Vec<Duration>>,
}

impl ReadOnlyHttp {
    pub fn new(endpoint: Endpoint, backoff: Backoff) -> CloudResult<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("adoptbot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                CloudError::new(
                    Api::ResourceGraph,
                    "configuration",
                    CloudErrorKind::Refused,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(ReadOnlyHttp {
            client,
            endpoint,
            backoff,
            pending: std::sync::Mutex::new(None),
            paused: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The proactive pauses taken so far (see [`LOW_REMAINING`]).
    pub fn pauses(&self) -> Vec<Duration> {
        self.paused.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Waits as the last answer asked, if it said few requests were left.
    async fn pause_if_asked(&self) {
        let wait = self.pending.lock().ok().and_then(|mut p| p.take());
        if let Some(w) = wait {
            if let Ok(mut p) = self.paused.lock() {
                p.push(w);
            }
            tracing::info!(
                wait_ms = w.as_millis() as u64,
                "few ARM requests left; pausing"
            );
            if self.backoff.sleep {
                tokio::time::sleep(w).await;
            }
        }
    }

    /// Sends `read` with the token `token()` gives, retrying as the policy says. On a 401 the
    /// token is asked for again with `refresh = true`, once.
    pub async fn send<F, Fut>(
        &self,
        api: Api,
        scope: &str,
        read: &Read,
        calls: &CallCounter,
        token: F,
    ) -> CloudResult<Answer>
    where
        F: Fn(bool) -> Fut,
        Fut: std::future::Future<Output = CloudResult<secrecy::SecretString>>,
    {
        let err = |kind, m: String| CloudError::new(api, scope, kind, m);
        guard(&read.method(), read.url().path()).map_err(|m| err(CloudErrorKind::Refused, m))?;
        if !self.endpoint.owns(read.url()) {
            return Err(err(
                CloudErrorKind::Refused,
                format!(
                    "{} is not on the ARM endpoint; adoptbot follows links on its endpoint only",
                    read.url().origin().ascii_serialization()
                ),
            ));
        }
        let mut failures = 0u32;
        let mut refreshed = false;
        let mut refresh = false;
        loop {
            self.pause_if_asked().await;
            let tok = token(refresh).await?;
            refresh = false;
            calls.call(api);
            match self.attempt(api, scope, read, &tok).await {
                Ok(a) => return Ok(a),
                Err(Attempt::Fail(e)) => return Err(e),
                Err(Attempt::Unauthorised(m)) => {
                    if refreshed {
                        return Err(err(
                            CloudErrorKind::Unauthorised,
                            format!(
                                "{m}; check that the bot's identity has the Reader, Cost Management Reader and Monitoring Reader roles on the subscription"
                            ),
                        ));
                    }
                    refreshed = true;
                    refresh = true;
                }
                Err(Attempt::Retry {
                    status,
                    retry_after,
                    message,
                }) => {
                    failures += 1;
                    if failures >= self.backoff.attempts {
                        let kind = if status == 429 {
                            CloudErrorKind::Throttled
                        } else {
                            CloudErrorKind::Server
                        };
                        let mut e = err(
                            kind,
                            format!(
                                "{message} (HTTP {status}, {failures} attempts); run again later"
                            ),
                        );
                        e.retry_after = retry_after;
                        return Err(e);
                    }
                    let wait = self.backoff.wait(failures, retry_after);
                    calls.retry(wait);
                    if self.backoff.sleep {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
    }

    async fn attempt(
        &self,
        api: Api,
        scope: &str,
        read: &Read,
        token: &secrecy::SecretString,
    ) -> Result<Answer, Attempt> {
        use secrecy::ExposeSecret;
        let err = |kind, m: String| Attempt::Fail(CloudError::new(api, scope, kind, m));
        let req = match read {
            Read::Get(url) => self.client.get(url.clone()),
            Read::Query(url, body) => self
                .client
                .post(url.clone())
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        };
        let resp = match req
            .bearer_auth(token.expose_secret())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return Err(Attempt::Retry {
                    status: 0,
                    retry_after: None,
                    message: format!("no answer: {}", without_url(&e)),
                });
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let exhausted = resp.headers().iter().any(|(k, v)| {
            k.as_str().starts_with("x-ms-ratelimit-remaining-")
                && v.to_str().ok().and_then(|v| v.trim().parse::<i64>().ok()) == Some(0)
        });
        // The fewest requests left that any of ARM's budgets reports.
        let remaining = resp
            .headers()
            .iter()
            .filter(|(k, _)| k.as_str().starts_with("x-ms-ratelimit-remaining-"))
            .filter_map(|(_, v)| v.to_str().ok()?.trim().parse::<i64>().ok())
            .min();
        if let Some(p) = proactive_pause(&self.backoff, remaining)
            && let Ok(mut pending) = self.pending.lock()
        {
            *pending = Some(p);
        }
        let bytes = resp.bytes().await.map_err(|e| Attempt::Retry {
            status,
            retry_after,
            message: format!("the answer broke off: {}", without_url(&e)),
        })?;
        let message = || arm_message(&bytes);
        match status {
            200..=299 => {
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Answer { status, body: None });
                }
                let body = serde_json::from_slice(&bytes).map_err(|e| {
                    err(
                        CloudErrorKind::Malformed,
                        format!(
                            "the answer is not JSON (line {}, column {}): {e}",
                            e.line(),
                            e.column()
                        ),
                    )
                })?;
                Ok(Answer {
                    status,
                    body: Some(body),
                })
            }
            429 => Err(Attempt::Retry {
                status,
                // A throttled answer with the remaining budget at zero and no Retry-After
                // waits the backoff.
                retry_after: retry_after.or(exhausted.then_some(self.backoff.base)),
                message: message(),
            }),
            500..=599 => Err(Attempt::Retry {
                status,
                retry_after,
                message: message(),
            }),
            401 => Err(Attempt::Unauthorised(message())),
            403 => Err(err(
                CloudErrorKind::Unauthorised,
                format!(
                    "{} (HTTP 403); grant the bot's identity the reader role this API needs (docs/cloud.md)",
                    message()
                ),
            )),
            404 => Err(err(
                CloudErrorKind::NotFound,
                format!("{} (HTTP 404)", message()),
            )),
            _ => Err(err(
                CloudErrorKind::Malformed,
                format!("unexpected HTTP {status}: {}", message()),
            )),
        }
    }
}

/// A reqwest error without its URL (which may carry a `$skipToken`).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), u.path());
    }
    s
}

/// ARM's `{"error": {"code", "message"}}`, or the start of the body.
fn arm_message(bytes: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(e) = v.get("error")
    {
        let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("error");
        let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
        return format!("{code}: {msg}");
    }
    let text = String::from_utf8_lossy(bytes);
    let text: String = text.chars().take(200).collect();
    if text.trim().is_empty() {
        "no details".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_requests_left_pause_the_next_call_in_proportion() {
        let b = Backoff::default();
        assert_eq!(proactive_pause(&b, None), None);
        assert_eq!(proactive_pause(&b, Some(11)), None);
        assert_eq!(proactive_pause(&b, Some(10)), Some(Duration::from_secs(1)));
        assert_eq!(proactive_pause(&b, Some(0)), Some(Duration::from_secs(11)));
        assert_eq!(proactive_pause(&b, Some(-3)), Some(Duration::from_secs(11)));
        let tight = Backoff {
            cap: Duration::from_secs(5),
            ..Backoff::default()
        };
        assert_eq!(
            proactive_pause(&tight, Some(0)),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn only_get_and_query_posts_pass_the_guard() {
        let rg = "/providers/Microsoft.ResourceGraph/resources";
        let cost = "/subscriptions/s/providers/Microsoft.CostManagement/query";
        assert!(
            guard(
                &http::Method::GET,
                "/subscriptions/s/providers/Microsoft.Compute/locations/x/usages"
            )
            .is_ok()
        );
        assert!(guard(&http::Method::POST, rg).is_ok());
        assert!(guard(&http::Method::POST, cost).is_ok());
        for m in [http::Method::PUT, http::Method::PATCH, http::Method::DELETE] {
            let e = guard(&m, rg).unwrap_err();
            assert!(e.contains("only reads Azure"), "{e}");
        }
        assert!(
            guard(
                &http::Method::POST,
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v/deallocate"
            )
            .is_err()
        );
        assert!(guard(&http::Method::HEAD, "/").is_err());
    }

    #[tokio::test]
    async fn a_post_that_is_not_a_query_is_refused_before_anything_is_sent() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9").expect("endpoint");
        let http = ReadOnlyHttp::new(endpoint.clone(), Backoff::default()).expect("client");
        let calls = CallCounter::default();
        let read = Read::Query(
            endpoint.url(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v/deallocate",
                &[("api-version", "2024-07-01")],
            ),
            serde_json::json!({}),
        );
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let e = http
            .send(Api::ComputeUsages, "subscription s", &read, &calls, |_| {
                asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { Ok(secrecy::SecretString::from("t".to_string())) }
            })
            .await
            .expect_err("refused");
        assert_eq!(e.kind, CloudErrorKind::Refused);
        assert!(e.to_string().contains("only reads Azure"), "{e}");
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(calls.get().total(), 0);
        let foreign =
            Read::Get(reqwest::Url::parse("https://evil.example/subscriptions/s").expect("url"));
        let e = http
            .send(
                Api::ComputeUsages,
                "subscription s",
                &foreign,
                &calls,
                |_| async { Ok(secrecy::SecretString::from("t".to_string())) },
            )
            .await
            .expect_err("foreign");
        assert_eq!(e.kind, CloudErrorKind::Refused);
        assert_eq!(calls.get().total(), 0);
    }

    #[test]
    fn endpoints_are_https_or_loopback_http() {
        assert!(Endpoint::parse("https://management.azure.com").is_ok());
        assert!(Endpoint::parse("https://management.usgovcloudapi.net").is_ok());
        assert!(Endpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(Endpoint::parse("http://[::1]:8080").is_ok());
        assert!(Endpoint::parse("http://localhost:1").is_ok());
        let e = Endpoint::parse("http://management.azure.com").unwrap_err();
        assert!(e.to_string().contains("loopback hosts only"), "{e}");
        assert!(e.to_string().contains("ADOPTBOT_ARM_ENDPOINT"), "{e}");
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("not a url").is_err());
        assert_eq!(
            Endpoint::parse("https://management.azure.com")
                .unwrap()
                .scope(),
            "https://management.azure.com/.default"
        );
    }

    #[test]
    fn backoff_honours_retry_after_within_its_cap() {
        let b = Backoff::default();
        assert_eq!(b.wait(1, None), Duration::from_secs(1));
        assert_eq!(b.wait(3, None), Duration::from_secs(4));
        assert_eq!(
            b.wait(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            b.wait(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
        assert_eq!(b.wait(30, None), Duration::from_secs(60));
    }
}
