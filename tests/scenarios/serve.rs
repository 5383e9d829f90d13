//! `adoptbot serve` end to end: real payloads, signed as GitHub signs them, posted to the real
//! axum router, which authenticates as the App (JWT, installation tokens) against the GitHub
//! simulator's App endpoints and runs the same loop as the Action. Refusals write nothing; a
//! redelivery makes no API call; an expired installation token is replaced; the schedule and
//! the backstop fire with an injected clock; a SIGTERM-style shutdown finishes what was
//! accepted.

use crate::support::github::Sim;
use crate::support::sim::app::AppSim;
use crate::support::webhooks;
use crate::support::world::World;
use crate::support::{REQUEST, REQUEST_BRANCH, REQUEST_FILE, REQUEST_TITLE, gates};
use adoptbot::runners::serve::{self, config};
use chrono::{DateTime, Duration as Span, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "It's a Secret to Everybody";
const KEY: &str = include_str!("../fixtures/app/app-key.pkcs1.pem");

struct Env(HashMap<&'static str, String>);

impl config::Sources for Env {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
    fn read(&self, path: &std::path::Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A running server in front of a simulator world.
struct Server {
    w: Sim,
    url: String,
    http: reqwest::Client,
    now: Arc<Mutex<DateTime<Utc>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<Result<(), String>>>,
    deliveries: u64,
}

impl Server {
    /// The contoso world with the test App installed, and a server for it, ready.
    async fn start(secrets: &str, backstop: &str) -> Server {
        Server::start_listed(secrets, backstop, true).await
    }

    /// [`Server::start`]; `listed: false` leaves the repository out of the installation's
    /// repository list, so the server learns of it from a delivery only.
    async fn start_listed(secrets: &str, backstop: &str, listed: bool) -> Server {
        let w = <Sim as World>::contoso().await;
        let start: DateTime<Utc> = "2026-11-27T05:59:00Z".parse().unwrap();
        let mut app = AppSim::test_app();
        app.listed = listed;
        app.now = Some(start.timestamp());
        w.sim.enable_app(app);
        let env = Env(HashMap::from([
            ("APP_ID", "424242".to_string()),
            ("PRIVATE_KEY", KEY.to_string()),
            ("WEBHOOK_SECRET", secrets.to_string()),
            ("GITHUB_API_URL", w.sim.api_url()),
            ("HOST", "127.0.0.1".to_string()),
            ("PORT", "0".to_string()),
            ("ADOPTBOT_BACKSTOP_INTERVAL", backstop.to_string()),
            ("ADOPTBOT_SHUTDOWN_GRACE", "20s".to_string()),
            (
                "ADOPTBOT_CLOUD",
                format!(
                    "snapshot:{}/examples/contoso/cloud",
                    env!("CARGO_MANIFEST_DIR")
                ),
            ),
        ]));
        let settings = config::Settings::resolve(config::ServeArgs::default(), &env).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let now = Arc::new(Mutex::new(start));
        let clock = now.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let done = tokio::spawn(serve::run(
            settings,
            listener,
            Arc::new(move || *clock.lock().unwrap()),
            Duration::from_millis(20),
            async {
                let _ = stopped.await;
            },
        ));
        let s = Server {
            w,
            url,
            http: reqwest::Client::new(),
            now,
            stop: Some(stop),
            done: Some(done),
            deliveries: 0,
        };
        s.wait("ready", || async { s.get("/readyz").await.0 == 200 })
            .await;
        // The schedules are read once the App is known: one tarball of `main`.
        if listed {
            s.wait("the schedule read", || async {
                s.get("/metrics")
                    .await
                    .1
                    .contains("adoptbot_scheduled_repositories 1")
            })
            .await;
        } else {
            s.wait("the installations listed", || async {
                s.w.sim.count("GET", "/installation/repositories") >= 1
            })
            .await;
        }
        s
    }

    async fn wait<F, Fut>(&self, what: &str, ok: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..1000 {
            if ok().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}");
    }

    /// Moves the server's clock and the simulator's together.
    fn set_now(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap() = t;
        self.w.sim.app(|a| a.now = Some(t.timestamp()));
    }

    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap()
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Posts `body` as delivery `id` of `event`, signed with `secret` (or not at all).
    async fn post_raw(&self, event: &str, id: &str, body: Vec<u8>, secret: Option<&str>) -> u16 {
        let mut r = self
            .http
            .post(format!("{}/api/github/webhooks", self.url))
            .header("X-GitHub-Event", event)
            .header("X-GitHub-Delivery", id)
            .header("Content-Type", "application/json");
        if let Some(s) = secret {
            r = r.header("X-Hub-Signature-256", sign(s, &body));
        }
        r.body(body).send().await.unwrap().status().as_u16()
    }

    /// Posts `body` signed, in HTTP/1.1 chunks with no `Content-Length`; the status.
    async fn post_chunked(&self, event: &str, id: &str, body: &[u8]) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.url.trim_start_matches("http://");
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/github/webhooks HTTP/1.1\r\nHost: {addr}\r\nX-GitHub-Event: {event}\r\nX-GitHub-Delivery: {id}\r\nX-Hub-Signature-256: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            sign(SECRET, body)
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        for chunk in body.chunks(1 << 20) {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
            // The server may answer 413 and close before it read everything.
            if tcp.write_all(&framed).await.is_err() {
                break;
            }
        }
        let _ = tcp.write_all(b"0\r\n\r\n").await;
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer);
        text.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"))
    }

    /// Delivers `payload` as GitHub does, and waits until the server processed it.
    async fn deliver(&mut self, event: &str, payload: &Value) -> String {
        self.deliveries += 1;
        let id = format!("72d3162e-cc78-11e3-81ab-4c9367dc{:04}", self.deliveries);
        let before = self.processed().await;
        let status = self
            .post_raw(
                event,
                &id,
                serde_json::to_vec(payload).unwrap(),
                Some(SECRET),
            )
            .await;
        assert_eq!(status, 202, "{event} is accepted");
        self.wait("the delivery processed", || async {
            self.processed().await > before
        })
        .await;
        id
    }

    /// Deliveries and runs processed so far (successfully or not), from `/metrics`.
    async fn processed(&self) -> u64 {
        metric_sum(
            &self.get("/metrics").await.1,
            "adoptbot_deliveries_total",
            &["outcome=\"processed\""],
        ) + metric_sum(
            &self.get("/metrics").await.1,
            "adoptbot_deliveries_total",
            &["outcome=\"failed\""],
        )
    }

    async fn count(&self, outcome: &str, event: &str) -> u64 {
        metric_sum(
            &self.get("/metrics").await.1,
            "adoptbot_deliveries_total",
            &[
                &format!("outcome=\"{outcome}\""),
                &format!("event=\"{event}\""),
            ],
        )
    }

    /// Stops the server as SIGTERM does, and returns what `run` returned.
    async fn stop(&mut self) -> Result<(), String> {
        let _ = self.stop.take().unwrap().send(());
        self.done.take().unwrap().await.unwrap()
    }

    fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.w.finish();
    }
}

/// The sum of the samples of `name` whose labels hold every one of `labels`.
fn metric_sum(text: &str, name: &str, labels: &[&str]) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

fn open_request(s: &Server) -> u64 {
    s.w.sim.repo(|r| {
        let main = r.head("main");
        r.branches.insert(REQUEST_BRANCH.into(), main);
        r.commit(
            REQUEST_BRANCH,
            "Request fraud-distill",
            "ivan-novak@contoso.com",
            &[(REQUEST_FILE, Some(REQUEST))],
        );
        r.open_pull(REQUEST_BRANCH, "main", REQUEST_TITLE, "", "ivan-novak")
    })
}

fn pull_payload(s: &Server, n: u64, action: &str) -> Value {
    s.w.sim.repo(|r| {
        let author = r.pulls[&n].author.clone();
        let mut v = webhooks::pull_request_payload(r, action, n, &author);
        v["installation"] =
            serde_json::json!({ "id": 77, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" });
        v
    })
}

fn check_of(s: &Server, n: u64, name: &str) -> Option<(String, Option<String>)> {
    s.w.sim.repo(|r| {
        let head = r.pull_head(&r.pulls[&n]);
        r.check_runs
            .iter()
            .rev()
            .find(|c| c.head_sha == head && c.name == name)
            .map(|c| (c.status.clone(), c.conclusion.clone()))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_pr_is_checked_through_the_app_and_a_redelivery_costs_no_call() {
    let mut s = Server::start(SECRET, "1h").await;
    let n = open_request(&s);
    let payload = pull_payload(&s, n, "opened");
    let id = s.deliver("pull_request", &payload).await;
    let (status, conclusion) = check_of(&s, n, "adoptbot/experiment").expect("the check");
    assert_eq!(
        (status.as_str(), conclusion.as_deref()),
        ("completed", Some("success"))
    );
    let comments = s.w.sim.repo(|r| {
        r.comments
            .iter()
            .filter(|c| c.issue == n && c.author == "adoptbot[bot]")
            .count()
    });
    assert_eq!(comments, 1, "one comment, by the App's bot user");
    // One installation token served the whole delivery.
    assert_eq!(s.w.sim.app(|a| a.minted.len()), 1);
    // The rate limit GitHub reported, as a metric.
    let metrics = s.get("/metrics").await.1;
    let left = metrics
        .lines()
        .find_map(|l| l.strip_prefix("adoptbot_github_rate_limit_remaining "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .expect("the rate limit gauge");
    assert!((1..5000).contains(&left), "{left}");

    // GitHub redelivers the same delivery: acknowledged, and not one API call about it.
    let calls = s.w.sim.requests().len();
    let again = s
        .post_raw(
            "pull_request",
            &id,
            serde_json::to_vec(&payload).unwrap(),
            Some(SECRET),
        )
        .await;
    assert_eq!(again, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        s.w.sim.requests().len(),
        calls,
        "a redelivery calls nothing"
    );
    assert_eq!(s.count("duplicate", "pull_request").await, 1);
    s.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_request_passes_through_the_app_once_its_roles_approve() {
    let mut s = Server::start(SECRET, "1h").await;
    let fx = gates::gate("4-5");
    let n = s.w.sim.repo(|r| {
        let main = r.head("main");
        r.branches.insert("gate/4-5".into(), main);
        r.commit(
            "gate/4-5",
            "Move the adoption to the next phase",
            &format!("{}@contoso.com", gates::AUTHOR),
            &crate::support::changes(&fx.head),
        );
        r.open_pull("gate/4-5", "main", "Gate request", "", gates::AUTHOR)
    });
    // Reads of the repository's API (not the App's own endpoints), per delivery: at most six.
    let reads = |s: &Server| {
        s.w.sim
            .requests()
            .iter()
            .filter(|r| {
                // The tarball's redirect to codeload is part of the same call.
                r.method == "GET"
                    && !r.path.starts_with("/app")
                    && !r.path.starts_with("/installation")
                    && !r.path.starts_with("/codeload")
            })
            .count()
    };
    let tarballs = |s: &Server| s.w.sim.count("GET", "/repos/contoso/adoption/tarball/*");
    let mut costs = Vec::new();
    let opened = pull_payload(&s, n, "opened");
    let before = reads(&s);
    s.deliver("pull_request", &opened).await;
    costs.push(("opened", reads(&s) - before));
    // The server read `main` at start (its schedule), so the base came from its memory: the
    // head is the one tarball.
    let after_open = tarballs(&s);
    let gate_check = |s: &Server| {
        s.w.sim.repo(|r| {
            let head = r.pull_head(&r.pulls[&n]);
            r.check_runs
                .iter()
                .rev()
                .find(|c| c.head_sha == head && c.name.starts_with("adoptbot/gate"))
                .map(|c| c.conclusion.clone())
        })
    };
    assert_ne!(
        gate_check(&s),
        Some(Some("success".into())),
        "no approval yet"
    );
    for role in fx.roles {
        let who = gates::holder(role);
        let id = s.w.sim.repo(|r| {
            let head = r.pull_head(&r.pulls[&n]);
            r.add_review(n, who, "APPROVED", &head)
        });
        let mut payload =
            s.w.sim
                .repo(|r| webhooks::review_payload(r, "submitted", id));
        payload["installation"] = serde_json::json!({ "id": 77 });
        let before = reads(&s);
        s.deliver("pull_request_review", &payload).await;
        costs.push((role, reads(&s) - before));
    }
    assert_eq!(
        gate_check(&s),
        Some(Some("success".into())),
        "every role approved"
    );
    eprintln!("reads per delivery through the App: {costs:?}");
    assert!(costs.iter().all(|(_, n)| *n <= 6), "{costs:?}");
    assert_eq!(tarballs(&s), after_open, "no review read a tarball");
    s.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_deliveries_get_their_status_and_write_nothing() {
    // Two secrets while one is rotated: both are accepted.
    let s = Server::start(&format!("{SECRET}, the-new-secret"), "1h").await;
    let n = open_request(&s);
    let body = serde_json::to_vec(&pull_payload(&s, n, "opened")).unwrap();
    let calls = s.w.sim.requests().len();
    // What is refused, the event header, the body, the secret it is signed with, the status.
    type Case<'a> = (&'a str, &'a str, Vec<u8>, Option<&'a str>, u16);
    let cases: Vec<Case> = vec![
        ("a wrong secret", "pull_request", body.clone(), Some("not-the-secret"), 401),
        ("no signature", "pull_request", body.clone(), None, 401),
        ("a body that is not JSON", "pull_request", b"{\"action\": ".to_vec(), Some(SECRET), 400),
        (
            "a body that is not the event",
            "pull_request",
            br#"{"action":"opened","pull_request":42,"repository":{"full_name":"contoso/adoption"}}"#.to_vec(),
            Some(SECRET),
            400,
        ),
        ("an unknown event", "star", br#"{"action":"created","repository":{"full_name":"contoso/adoption"}}"#.to_vec(), Some(SECRET), 202),
    ];
    for (i, (what, event, body, secret, want)) in cases.into_iter().enumerate() {
        let status = s
            .post_raw(event, &format!("refused-{i}"), body, secret)
            .await;
        assert_eq!(status, want, "{what}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        s.w.sim.requests().len(),
        calls,
        "a refused delivery calls nothing"
    );
    assert_eq!(s.count("bad-signature", "pull_request").await, 2);
    assert_eq!(s.count("malformed", "pull_request").await, 2);
    assert_eq!(s.count("ignored", "star").await, 1);

    // Signed with the new secret: accepted.
    let status = s
        .post_raw(
            "pull_request",
            "rotated",
            body.clone(),
            Some("the-new-secret"),
        )
        .await;
    assert_eq!(status, 202);
    s.wait("processed", || async { s.processed().await >= 1 })
        .await;
    s.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_of_exactly_25_mib_is_read_and_one_byte_more_is_413() {
    let s = Server::start(SECRET, "1h").await;
    let limit = serve::MAX_BODY;
    // A JSON object of exactly `limit` bytes, for an event adoptbot ignores.
    let head = br#"{"repository":{"full_name":"contoso/adoption"},"pad":""#;
    let tail = br#""}"#;
    let pad = limit - head.len() - tail.len();
    let mut exact = Vec::with_capacity(limit + 1);
    exact.extend_from_slice(head);
    exact.extend(std::iter::repeat_n(b'x', pad));
    exact.extend_from_slice(tail);
    assert_eq!(exact.len(), 26_214_400);
    assert_eq!(
        s.post_raw("star", "big-1", exact.clone(), Some(SECRET))
            .await,
        202
    );
    let mut over = exact.clone();
    over.insert(head.len(), b'x');
    assert_eq!(
        s.post_raw("star", "big-2", over.clone(), Some(SECRET))
            .await,
        413
    );
    // Chunked, with no length announced: the same limit.
    assert_eq!(s.post_chunked("star", "big-3", &over).await, 413);
    assert_eq!(s.post_chunked("star", "big-4", &exact).await, 202);
    let writes =
        s.w.sim
            .requests()
            .iter()
            .filter(|r| r.method != "GET" && !r.path.starts_with("/app/"))
            .count();
    assert_eq!(writes, 0, "only installation tokens were asked for");
    s.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_installation_token_about_to_expire_is_replaced_between_deliveries() {
    let mut s = Server::start(SECRET, "1h").await;
    let n = open_request(&s);
    s.deliver("pull_request", &pull_payload(&s, n, "opened"))
        .await;
    assert_eq!(s.w.sim.app(|a| a.minted.len()), 1);
    // 56 minutes on, the one-hour token has 4 minutes left: inside the 5-minute margin.
    s.set_now(s.now() + Span::minutes(56));
    s.deliver("pull_request", &pull_payload(&s, n, "synchronize"))
        .await;
    assert_eq!(s.w.sim.app(|a| a.minted.len()), 2, "a fresh token");
    // And a minute later the cached fresh one serves, with no new token.
    s.set_now(s.now() + Span::minutes(1));
    s.deliver("pull_request", &pull_payload(&s, n, "edited"))
        .await;
    assert_eq!(s.w.sim.app(|a| a.minted.len()), 2);
    assert_eq!(s.count("failed", "pull_request").await, 0);
    // Three deliveries, one head: the App's check run is found by its App id and kept.
    let runs = s.w.sim.repo(|r| {
        r.check_runs
            .iter()
            .filter(|c| c.name == "adoptbot/experiment")
            .count()
    });
    assert_eq!(runs, 1);
    s.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_fires_on_the_injected_clock() {
    let s = Server::start(SECRET, "1h").await;
    // Friday 27 November 2026, 05:59: contoso's schedule is `0 6 * * 1-5`.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.count("processed", "schedule").await, 0, "not yet");
    s.set_now("2026-11-27T06:00:30Z".parse().unwrap());
    s.wait("the scheduled run", || async {
        s.count("processed", "schedule").await + s.count("failed", "schedule").await == 1
    })
    .await;
    // Once per occurrence: later ticks of the same minute do not run it again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(s.count("processed", "schedule").await, 1);
    // It was the scheduled report, with the cloud the server was given: the dashboard issue,
    // and its findings and ARM calls as metrics.
    let dashboards = s.w.sim.repo(|r| {
        r.issue_data
            .values()
            .filter(|i| {
                i.author == "adoptbot[bot]" && i.body.starts_with("<!-- adoptbot:dashboard -->")
            })
            .count()
    });
    assert_eq!(dashboards, 1);
    let metrics = s.get("/metrics").await.1;
    assert!(
        metric_sum(&metrics, "adoptbot_findings", &["kind=\"shadow-ai\""]) >= 1,
        "{metrics}"
    );
    let arm = metrics
        .lines()
        .find_map(|l| l.strip_prefix("adoptbot_arm_calls_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(arm >= 1.0, "{metrics}");
    s.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backstop_catches_a_pull_request_whose_delivery_was_dropped() {
    let s = Server::start(SECRET, "1s").await;
    let n = open_request(&s);
    assert!(check_of(&s, n, "adoptbot/experiment").is_none());
    // No delivery: the backstop, one interval after start, evaluates the open PR.
    s.wait("the backstop", || async {
        check_of(&s, n, "adoptbot/experiment").is_some()
    })
    .await;
    assert_eq!(
        check_of(&s, n, "adoptbot/experiment").unwrap().1.as_deref(),
        Some("success")
    );
    s.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_finishes_the_accepted_delivery_and_then_refuses() {
    let mut s = Server::start(SECRET, "1h").await;
    let n = open_request(&s);
    let body = serde_json::to_vec(&pull_payload(&s, n, "opened")).unwrap();
    assert_eq!(
        s.post_raw("pull_request", "last", body, Some(SECRET)).await,
        202
    );
    // Stop at once, as a SIGTERM would, while the delivery is queued or running.
    let stopped = s.stop().await;
    assert_eq!(stopped, Ok(()));
    // Nothing half-written: the check and the comment are both there.
    assert_eq!(
        check_of(&s, n, "adoptbot/experiment").map(|c| c.0),
        Some("completed".to_string())
    );
    let comments =
        s.w.sim
            .repo(|r| r.comments.iter().filter(|c| c.issue == n).count());
    assert_eq!(comments, 1);
    // The port no longer takes deliveries.
    let refused = s
        .http
        .post(format!("{}/api/github/webhooks", s.url))
        .body("{}")
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
    s.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_answer() {
    let s = Server::start(SECRET, "1h").await;
    assert_eq!(s.get("/healthz").await.0, 200);
    assert_eq!(s.get("/readyz").await, (200, "ready\n".to_string()));
    let (status, text) = s.get("/metrics").await;
    assert_eq!(status, 200);
    for family in [
        "adoptbot_processing_seconds",
        "adoptbot_github_rate_limit_remaining",
        "adoptbot_arm_calls_total",
    ] {
        assert!(text.contains(family), "{family} in {text}");
    }
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    // GET /app accepted the JWT: one call with it, before anything else.
    assert!(s.w.sim.count("GET", "/app") >= 1);
    s.finish();
}

/// The binary itself: settings from the environment, `healthcheck` against it, and a real
/// SIGTERM, after which it exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_until_sigterm_and_exits_zero() {
    let w = <Sim as World>::contoso().await;
    w.sim.enable_app(AppSim::test_app());
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, KEY).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .arg("serve")
        .env("APP_ID", "424242")
        .env("PRIVATE_KEY_PATH", &key)
        .env("WEBHOOK_SECRET", SECRET)
        .env("GITHUB_API_URL", w.sim.api_url())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("ADOPTBOT_LOG_FORMAT", "json")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..500 {
        if let Ok(r) = http.get(format!("{url}/readyz")).send().await
            && r.status() == 200
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ready, "the server became ready");
    let health = tokio::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(["healthcheck", "--url", &format!("{url}/healthz")])
        .status()
        .await
        .unwrap();
    assert!(health.success());
    let pid = child.id().unwrap() as i32;
    // SAFETY: kill(2) with a pid we spawned and a valid signal number.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("it exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let mut logs = String::new();
    use tokio::io::AsyncReadExt;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    // JSON logs, one object per line, and no secret in them.
    let first = logs.lines().next().expect("a log line");
    let line: Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert!(line.get("level").is_some(), "{line}");
    assert!(
        !logs.contains(SECRET) && !logs.contains("PRIVATE KEY"),
        "{logs}"
    );
    // A healthcheck against a server that is gone fails.
    let gone = tokio::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .args(["healthcheck", "--url", &format!("{url}/healthz")])
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(!gone.success());
    w.finish();
}

/// A payload that names no installation: the server asks GitHub for the repository's
/// installation once, and remembers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installation_is_resolved_from_github_when_the_payload_has_none() {
    let mut s = Server::start_listed(SECRET, "1h", false).await;
    let n = open_request(&s);
    let path = "/repos/contoso/adoption/installation";
    assert_eq!(s.w.sim.count("GET", path), 0);
    for action in ["opened", "synchronize"] {
        let mut payload = pull_payload(&s, n, action);
        payload.as_object_mut().unwrap().remove("installation");
        s.deliver("pull_request", &payload).await;
    }
    assert_eq!(s.count("failed", "pull_request").await, 0);
    assert!(check_of(&s, n, "adoptbot/experiment").is_some());
    // Asked once, with the App's JWT, then remembered for the next delivery.
    assert_eq!(s.w.sim.count("GET", path), 1);
    s.finish();
}

/// A push to the default branch that changes `adoption.yaml` reads the schedule again: the
/// new time fires, the old one no longer does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_schedule_on_main_is_read_again() {
    let mut s = Server::start(SECRET, "1h").await;
    let before = s.w.sim.repo(|r| {
        let before = r.head("main");
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/contoso/adoption.yaml"),
        )
        .unwrap()
        .replace("schedule: \"0 6 * * 1-5\"", "schedule: \"30 5 * * 1-5\"");
        r.commit(
            "main",
            "Run the report at 05:30",
            "akira-kimura@contoso.com",
            &[("adoption.yaml", Some(text.as_str()))],
        );
        before
    });
    let tarballs = s.w.sim.count("GET", "/repos/contoso/adoption/tarball/*");
    let mut payload =
        s.w.sim
            .repo(|r| webhooks::push_payload(r, "main", &before, "akira-kimura"));
    payload["commits"] = serde_json::json!([
        { "id": payload["after"], "message": "Run the report at 05:30", "added": [], "removed": [], "modified": ["adoption.yaml"] }
    ]);
    payload["installation"] = serde_json::json!({ "id": 77 });
    s.deliver("push", &payload).await;
    // The push's job reconciles `main`, then reads the schedule again from the same commit,
    // which the repository's memory already holds: one tarball for both.
    s.wait("the push and the schedule read again", || async {
        s.count("processed", "push").await == 1
    })
    .await;
    assert_eq!(
        s.w.sim.count("GET", "/repos/contoso/adoption/tarball/*"),
        tarballs + 1
    );
    // 05:59 → 06:00:30 no longer holds an occurrence; 06:00:30 → next day 05:30:30 does.
    s.set_now("2026-11-27T06:00:30Z".parse().unwrap());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        s.count("processed", "schedule").await,
        0,
        "the old time is gone"
    );
    s.set_now("2026-11-30T05:30:30Z".parse().unwrap());
    s.wait("the new time fires", || async {
        s.count("processed", "schedule").await + s.count("failed", "schedule").await == 1
    })
    .await;
    s.finish();
}
