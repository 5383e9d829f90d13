//! `adoptbot serve`: the GitHub App. A webhook endpoint (axum) checks each delivery's
//! signature, answers 202 at once, and queues the work per repository: one worker per
//! repository runs its jobs in order, repositories run in parallel, as bors does. Every
//! delivery and every scheduled tick ends in the same loop as the Action and the CLI
//! (`runners::reconcile`), with the installation token of its repository.
//!
//! - `POST {webhook_path}`: 401 without a valid `X-Hub-Signature-256` for one of the
//!   secrets (checked in constant time), 413 above 25 MiB, 400 for a body that is not the
//!   event GitHub sends, 200 for a delivery id already received (nothing is done again), 202
//!   for an event the bot ignores (logged at debug) and for an accepted one.
//! - `GET /healthz` is liveness; `GET /readyz` is 200 once `GET /app` accepted the App's JWT;
//!   `GET /metrics` is Prometheus' text format.
//! - The schedule in each repository's `adoption.yaml` runs the scheduled report; a backstop
//!   evaluates open pull requests again every interval, to catch a missed delivery.
//! - SIGTERM (or Ctrl-C) stops accepting; what was answered 2xx is processed before exit,
//!   within the grace period.

pub mod bench;
pub mod config;
pub mod metrics;

use crate::forge::github::GitHub;
use crate::forge::github::app::AppAuth;
use crate::forge::github::events;
use crate::forge::{Forge, PrState};
use crate::model::Clock;
use crate::model::event::Event;
use crate::plan::schedule::RepoSchedule;
use crate::plan::targets::Target;
use crate::runners::handlers::{Ctx, Memory};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use config::Settings;
use hmac::{Hmac, Mac};
use metrics::Metrics;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::Instrument;

/// GitHub caps a delivery at 25 MB: exactly 26,214,400 bytes are accepted, one more is 413.
pub const MAX_BODY: usize = 25 * 1024 * 1024;

/// How many delivery ids are remembered to refuse a redelivery.
pub const SEEN_DELIVERIES: usize = 50_000;

/// The events that reach the loop; others are acknowledged and ignored.
pub const HANDLED_EVENTS: [&str; 4] = [
    "pull_request",
    "pull_request_review",
    "issue_comment",
    "push",
];

/// The clock the server reads: the system's, or a test's.
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What a worker does.
#[derive(Debug, Clone)]
pub enum Work {
    /// A webhook delivery, typed.
    Delivery {
        id: String,
        name: String,
        event: Box<Event>,
        /// A push that changed `adoption.yaml` on the default branch: read the schedule again.
        reload_schedule: bool,
    },
    /// The repository's schedule fired.
    Schedule,
    /// The backstop: every open pull request again.
    Backstop,
}

/// One unit of work for one repository.
#[derive(Debug, Clone)]
pub struct Job {
    /// `owner/name`.
    pub repo: String,
    pub installation: Option<u64>,
    pub work: Work,
}

impl Job {
    fn event_name(&self) -> &str {
        match &self.work {
            Work::Delivery { name, .. } => name,
            Work::Schedule => "schedule",
            Work::Backstop => "backstop",
        }
    }
}

/// What processing a job did, for metrics and logs.
#[derive(Debug, Clone, Default)]
pub struct Processed {
    pub reads: u32,
    pub writes: Vec<String>,
    /// GitHub's rate limit left after the job, when an answer said it.
    pub rate_remaining: Option<u64>,
    /// A scheduled report's findings by kind, and the ARM calls it took.
    pub findings: Option<std::collections::BTreeMap<String, i64>>,
    pub arm_calls: u64,
}

/// Does the work of a job. The App's is [`AppProcessor`]; the load benchmark counts.
#[async_trait::async_trait]
pub trait Processor: Send + Sync + 'static {
    async fn process(&self, job: Job) -> Result<Processed, String>;
}

type Worker = (mpsc::UnboundedSender<Job>, tokio::task::JoinHandle<()>);

/// The queues, one per repository, each with its worker.
struct Queues {
    workers: Mutex<Option<HashMap<String, Worker>>>,
    processor: Arc<dyn Processor>,
    metrics: Metrics,
}

impl Queues {
    /// Queues `job` behind the repository's others; `false` once shutting down.
    fn push(&self, job: Job) -> bool {
        let mut guard = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        let Some(workers) = guard.as_mut() else {
            return false;
        };
        let key = job.repo.to_ascii_lowercase();
        let depth = self.metrics.depth(&key);
        let (tx, _) = workers.entry(key.clone()).or_insert_with(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            let processor = self.processor.clone();
            let metrics = self.metrics.clone();
            let depth = depth.clone();
            let handle = tokio::spawn(async move {
                while let Some(job) = rx.recv().await {
                    depth.dec();
                    run_job(processor.as_ref(), &metrics, job).await;
                }
            });
            (tx, handle)
        });
        depth.inc();
        tx.send(job).is_ok()
    }

    /// Stops taking jobs and waits, up to `grace`, for the queued ones. `true` when all ran.
    async fn close(&self, grace: Duration) -> bool {
        let workers = self
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default();
        let handles: Vec<_> = workers.into_values().map(|(_, h)| h).collect();
        let all = async {
            for h in handles {
                let _ = h.await;
            }
        };
        tokio::time::timeout(grace, all).await.is_ok()
    }
}

async fn run_job(processor: &dyn Processor, metrics: &Metrics, job: Job) {
    let (delivery, pr) = match &job.work {
        Work::Delivery { id, event, .. } => (id.clone(), pull_number(event)),
        _ => (String::new(), None),
    };
    let name = job.event_name().to_string();
    let span = tracing::info_span!(
        "job",
        repository = %job.repo,
        event = %name,
        delivery = %delivery,
        pr = pr.map(|n| n.to_string()).unwrap_or_default(),
    );
    let started = Instant::now();
    let outcome = processor.process(job).instrument(span.clone()).await;
    metrics
        .processing_seconds
        .observe(started.elapsed().as_secs_f64());
    let _enter = span.enter();
    match outcome {
        Ok(done) => {
            metrics.delivery(&name, "processed");
            metrics
                .github_calls
                .get_or_create(&metrics::ClassLabels {
                    class: "read".into(),
                })
                .inc_by(done.reads.into());
            for w in &done.writes {
                metrics
                    .writes
                    .get_or_create(&metrics::KindLabels { kind: w.clone() })
                    .inc();
            }
            metrics
                .github_calls
                .get_or_create(&metrics::ClassLabels {
                    class: "write".into(),
                })
                .inc_by(done.writes.len() as u64);
            if let Some(kinds) = &done.findings {
                // The latest report's findings: kinds gone from it drop to 0.
                for kind in crate::model::finding::FindingKind::ALL.map(|k| k.name()) {
                    let n = kinds.get(&kind).copied().unwrap_or(0);
                    metrics
                        .findings
                        .get_or_create(&metrics::KindLabels { kind })
                        .set(n);
                }
            }
            metrics.arm_calls.inc_by(done.arm_calls);
            if let Some(n) = done.rate_remaining {
                metrics
                    .github_rate_limit_remaining
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            tracing::info!(writes = done.writes.len(), "processed");
        }
        Err(e) => {
            metrics.delivery(&name, "failed");
            tracing::warn!(error = %e, "failed");
        }
    }
}

fn pull_number(event: &Event) -> Option<u64> {
    match event {
        Event::PullRequest { pull, .. } | Event::Review { pull, .. } => Some(pull.number),
        Event::IssueComment { issue, .. } => Some(*issue),
        _ => None,
    }
}

/// What the endpoints share.
pub struct Shared {
    secrets: Vec<SecretString>,
    seen: Mutex<lru::LruCache<String, ()>>,
    queues: Queues,
    pub metrics: Metrics,
    registry: prometheus_client::registry::Registry,
    pub ready: AtomicBool,
}

impl Shared {
    pub fn new(secrets: Vec<SecretString>, processor: Arc<dyn Processor>) -> Arc<Shared> {
        let (metrics, registry) = Metrics::new();
        Arc::new(Shared {
            secrets,
            seen: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(SEEN_DELIVERIES).unwrap_or(NonZeroUsize::MIN),
            )),
            queues: Queues {
                workers: Mutex::new(Some(HashMap::new())),
                processor,
                metrics: metrics.clone(),
            },
            metrics,
            registry,
            ready: AtomicBool::new(false),
        })
    }

    /// Queues a job that no delivery brought (the schedule, the backstop).
    pub fn enqueue(&self, job: Job) -> bool {
        self.queues.push(job)
    }

    /// Stops taking jobs and waits for the queued ones, up to `grace`.
    pub async fn drain(&self, grace: Duration) -> bool {
        self.queues.close(grace).await
    }
}

/// Whether `signature` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under one of `secrets`.
/// The comparison is constant-time (`Mac::verify_slice`).
pub fn signature_ok(secrets: &[SecretString], body: &[u8], signature: Option<&str>) -> bool {
    let Some(hex_sig) = signature.and_then(|s| s.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    secrets.iter().any(|secret| {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    })
}

/// The parts of any payload the server routes by.
#[derive(serde::Deserialize)]
struct Routing {
    repository: Option<RoutingRepo>,
    installation: Option<RoutingInstallation>,
    #[serde(default)]
    commits: Vec<RoutingCommit>,
    #[serde(rename = "ref", default)]
    git_ref: String,
}

#[derive(serde::Deserialize)]
struct RoutingRepo {
    full_name: String,
    #[serde(default)]
    default_branch: String,
}

#[derive(serde::Deserialize)]
struct RoutingInstallation {
    id: u64,
}

#[derive(serde::Deserialize)]
struct RoutingCommit {
    #[serde(default)]
    added: Vec<String>,
    #[serde(default)]
    modified: Vec<String>,
    #[serde(default)]
    removed: Vec<String>,
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}

async fn webhook(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let name = text("x-github-event").unwrap_or("").to_string();
    if !signature_ok(&s.secrets, &body, text("x-hub-signature-256")) {
        s.metrics.delivery(&name, "bad-signature");
        tracing::warn!(event = %name, "a delivery without a valid signature was refused");
        return plain(
            StatusCode::UNAUTHORIZED,
            "bad or missing X-Hub-Signature-256\n",
        );
    }
    let Some(id) = text("x-github-delivery")
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
    else {
        s.metrics.delivery(&name, "malformed");
        return plain(StatusCode::BAD_REQUEST, "missing X-GitHub-Delivery\n");
    };
    if name.is_empty() {
        s.metrics.delivery(&name, "malformed");
        return plain(StatusCode::BAD_REQUEST, "missing X-GitHub-Event\n");
    }
    if s.seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&id)
    {
        s.metrics.delivery(&name, "duplicate");
        tracing::info!(delivery = %id, event = %name, "a redelivery, already received");
        return plain(StatusCode::OK, "already received\n");
    }
    if name == "ping" {
        s.metrics.delivery(&name, "ignored");
        return plain(StatusCode::OK, "pong\n");
    }
    // The body is parsed once: the routing fields are read from the JSON, which is then typed.
    let parsed = serde_json::from_slice::<serde_json::Value>(&body)
        .and_then(|json| Routing::deserialize(&json).map(|r| (json, r)));
    let (json, routing) = match parsed {
        Ok(both) => both,
        Err(e) => {
            s.metrics.delivery(&name, "malformed");
            tracing::warn!(delivery = %id, event = %name, error = %e, "a malformed body");
            return plain(
                StatusCode::BAD_REQUEST,
                "the body is not a JSON object GitHub sends\n",
            );
        }
    };
    if !HANDLED_EVENTS.contains(&name.as_str()) {
        s.metrics.delivery(&name, "ignored");
        tracing::debug!(delivery = %id, event = %name, "an event adoptbot does not handle");
        return plain(StatusCode::ACCEPTED, "ignored\n");
    }
    let event = match events::parse_json(&name, json) {
        Ok(e) => e,
        Err(e) => {
            s.metrics.delivery(&name, "malformed");
            tracing::warn!(delivery = %id, event = %name, error = %e, "a malformed body");
            return plain(
                StatusCode::BAD_REQUEST,
                "the body is not the event GitHub sends\n",
            );
        }
    };
    let Some(repo) = routing.repository else {
        s.metrics.delivery(&name, "malformed");
        return plain(StatusCode::BAD_REQUEST, "the payload names no repository\n");
    };
    if matches!(event, Event::Ignored { .. }) {
        s.seen.lock().unwrap_or_else(|p| p.into_inner()).put(id, ());
        s.metrics.delivery(&name, "ignored");
        tracing::debug!(event = %name, "an action adoptbot does not handle");
        return plain(StatusCode::ACCEPTED, "ignored\n");
    }
    let reload_schedule = name == "push"
        && routing.git_ref == format!("refs/heads/{}", repo.default_branch)
        && routing.commits.iter().any(|c| {
            [&c.added, &c.modified, &c.removed]
                .into_iter()
                .flatten()
                .any(|p| p == "adoption.yaml")
        });
    let job = Job {
        repo: repo.full_name,
        installation: routing.installation.map(|i| i.id),
        work: Work::Delivery {
            id: id.clone(),
            name: name.clone(),
            event: Box::new(event),
            reload_schedule,
        },
    };
    if !s.queues.push(job) {
        s.metrics.delivery(&name, "refused");
        return plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
    }
    s.seen.lock().unwrap_or_else(|p| p.into_inner()).put(id, ());
    s.metrics.delivery(&name, "accepted");
    plain(StatusCode::ACCEPTED, "accepted\n")
}

async fn readyz(State(s): State<Arc<Shared>>) -> Response {
    if s.ready.load(Ordering::Relaxed) {
        plain(StatusCode::OK, "ready\n")
    } else {
        plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the App's key is not checked against GitHub yet\n",
        )
    }
}

async fn metrics_page(State(s): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics::encode(&s.registry),
    )
        .into_response()
}

/// The server's routes.
pub fn router(shared: Arc<Shared>, webhook_path: &str) -> Router {
    Router::new()
        .route(webhook_path, post(webhook))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_page))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

/// How many repositories' memories the server keeps; the least recently used goes first.
pub const REPOSITORY_MEMORIES: usize = 32;

/// Each repository's [`Memory`], kept across its jobs (which its queue runs one at a time).
pub struct Memories {
    kept: Mutex<lru::LruCache<String, Arc<tokio::sync::Mutex<Memory>>>>,
}

impl Default for Memories {
    fn default() -> Self {
        Memories {
            kept: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(REPOSITORY_MEMORIES).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl Memories {
    /// The memory of `repo` (`owner/name`, any case), new when none is kept.
    pub fn of(&self, repo: &str) -> Arc<tokio::sync::Mutex<Memory>> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get_or_insert(repo.to_ascii_lowercase(), || {
            Arc::new(tokio::sync::Mutex::new(Memory::long_lived()))
        })
        .clone()
    }
}

/// The App's processor: installation tokens, the GitHub adapter per repository, the loop.
pub struct AppProcessor {
    pub auth: Arc<AppAuth>,
    /// The App's bot user, `<slug>[bot]`, known once `GET /app` answered.
    pub bot: OnceLock<String>,
    pub now: Now,
    pub schedules: Arc<Schedules>,
    /// The scheduled report's cloud (`--cloud`), `None` to choose from `adoption.yaml`.
    pub cloud: Option<String>,
    /// What the server keeps of each repository between its events.
    pub memories: Memories,
}

impl AppProcessor {
    async fn forge(&self, job: &Job) -> Result<GitHub, String> {
        let now = (self.now)();
        let installation = match job.installation {
            Some(i) => {
                self.auth.remember_installation(&job.repo, i);
                i
            }
            None => self
                .auth
                .installation_of(&job.repo, now)
                .await
                .map_err(|e| e.to_string())?,
        };
        let token = self
            .auth
            .token(installation, now)
            .await
            .map_err(|e| e.to_string())?;
        let (owner, name) = job
            .repo
            .split_once('/')
            .ok_or_else(|| format!("`{}` is not owner/name", job.repo))?;
        let bot = self
            .bot
            .get()
            .ok_or("the App is not known yet (GET /app has not answered)")?;
        // Check runs are the bot's by its App's id, which the server knows for certain.
        GitHub::new(self.auth.api_url(), token, owner, name, bot)
            .map(|g| g.with_app_id(self.auth.app_id()))
            .map_err(|e| e.to_string())
    }

    fn clock(&self) -> Clock {
        let now = (self.now)();
        Clock {
            today: now.date_naive(),
            valid_at: now.timestamp(),
        }
    }

    /// Reads the schedule of `repo`'s `adoption.yaml` on its default branch.
    pub async fn load_schedule(&self, forge: &GitHub, repo: &str) {
        let memory = self.memories.of(repo);
        let schedule = async {
            let (_, sha) = forge.default_branch().await.map_err(|e| e.to_string())?;
            // Through the repository's memory: the default branch's head is what the next
            // pull request is based on.
            let mut memory = memory.lock().await;
            let mut ctx = Ctx::with_memory(forge, self.clock(), &mut memory);
            let (_, analysis) = ctx.analyse(&sha).await.map_err(|e| e.to_string())?;
            let expr = analysis
                .loaded
                .repo
                .adoption
                .as_ref()
                .and_then(|a| a.schedule.as_ref())
                .map(|s| s.value.clone());
            match expr {
                None => Ok::<_, String>(None),
                Some(e) => RepoSchedule::parse(&e).map(Some).map_err(|why| {
                    format!("adoption.yaml: `schedule: {e}` is not a schedule: {why}")
                }),
            }
        }
        .await;
        match schedule {
            Ok(s) => {
                tracing::info!(repository = %repo, schedule = s.as_ref().map(|s| s.expr.as_str()).unwrap_or("none"), "schedule read");
                self.schedules.set(repo, s);
            }
            Err(e) => {
                tracing::warn!(repository = %repo, error = %e, "the schedule could not be read");
                self.schedules.set(repo, None);
            }
        }
    }
}

#[async_trait::async_trait]
impl Processor for AppProcessor {
    async fn process(&self, job: Job) -> Result<Processed, String> {
        let forge = self.forge(&job).await?;
        let clock = self.clock();
        let mut findings = None;
        let mut arm_calls = 0;
        let applied = match &job.work {
            Work::Delivery {
                event,
                reload_schedule,
                ..
            } => {
                let memory = self.memories.of(&job.repo);
                let mut memory = memory.lock().await;
                let applied =
                    crate::runners::reconcile::run_with(&forge, event, clock, &mut memory)
                        .await
                        .map_err(|e| e.to_string())?;
                drop(memory);
                if *reload_schedule {
                    self.load_schedule(&forge, &job.repo).await;
                }
                applied
            }
            // The scheduled report, as `adoptbot report` and the Action's schedule run it,
            // with the cloud (`ADOPTBOT_CLOUD`, or Azure when adoption.yaml names it).
            Work::Schedule => {
                let memory = self.memories.of(&job.repo);
                let mut memory = memory.lock().await;
                let (applied, report) = crate::runners::action::scheduled_report_with(
                    &forge,
                    clock,
                    self.cloud.as_deref(),
                    Some(&mut memory),
                )
                .await?;
                drop(memory);
                let mut kinds = std::collections::BTreeMap::new();
                for f in &report.scheduled.findings {
                    *kinds.entry(f.kind.name()).or_insert(0) += 1;
                }
                findings = Some(kinds);
                arm_calls = report.cloud_calls.map(|c| c.total()).unwrap_or(0);
                applied
            }
            Work::Backstop => {
                let open = forge.open_pulls().await.map_err(|e| e.to_string())?;
                let memory = self.memories.of(&job.repo);
                let mut memory = memory.lock().await;
                let mut ctx = Ctx::with_memory(&forge, clock, &mut memory);
                let mut targets = Vec::new();
                for p in open.into_iter().filter(|p| p.state == PrState::Open) {
                    // The bot's own PRs are reconciled with the default branch.
                    if !ctx
                        .is_bot(&p.author, p.author_id)
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        targets.push(Target::Pull {
                            number: p.number,
                            seen: None,
                        });
                    }
                }
                crate::runners::reconcile::run_targets(&mut ctx, &targets)
                    .await
                    .map_err(|e| e.to_string())?;
                ctx.applied
            }
        };
        Ok(Processed {
            findings,
            arm_calls,
            rate_remaining: forge.rate_limit_remaining(),
            reads: forge.calls().reads,
            writes: applied
                .writes
                .iter()
                .map(|w| format!("{:?}", w.kind).to_ascii_lowercase())
                .collect(),
        })
    }
}

/// Each repository's schedule, and the repositories the server knows. Their installations
/// are [`AppAuth`]'s to remember.
#[derive(Default)]
pub struct Schedules {
    repos: Mutex<HashMap<String, Option<RepoSchedule>>>,
    /// The metric of how many have a schedule, once the server has its metrics.
    gauge: OnceLock<prometheus_client::metrics::gauge::Gauge>,
}

impl Schedules {
    pub fn set(&self, repo: &str, schedule: Option<RepoSchedule>) {
        let mut repos = self.repos.lock().unwrap_or_else(|p| p.into_inner());
        repos.insert(repo.to_string(), schedule);
        if let Some(g) = self.gauge.get() {
            g.set(repos.values().filter(|s| s.is_some()).count() as i64);
        }
    }

    /// Every known repository.
    pub fn known(&self) -> Vec<String> {
        let mut v: Vec<_> = self
            .repos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// The repositories whose schedule fires in `(after, until]`.
    pub fn due(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<String> {
        let mut v: Vec<_> = self
            .repos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, s)| s.as_ref().is_some_and(|s| s.due(after, until)))
            .map(|(r, _)| r.clone())
            .collect();
        v.sort();
        v
    }
}

/// How often the schedules are looked at.
pub const SCHEDULE_TICK: Duration = Duration::from_secs(30);

/// Runs the App until `shutdown` resolves: the endpoints on `listener`, the readiness check,
/// the schedules and the backstop. Returns once every accepted delivery was processed, or
/// the grace period ran out (an error).
pub async fn run(
    settings: Settings,
    listener: tokio::net::TcpListener,
    now: Now,
    tick: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let auth = Arc::new(AppAuth::new(
        &settings.api_url,
        settings.app_id,
        &settings.private_key,
    )?);
    let schedules = Arc::new(Schedules::default());
    let processor = Arc::new(AppProcessor {
        auth: auth.clone(),
        bot: OnceLock::new(),
        now: now.clone(),
        schedules: schedules.clone(),
        cloud: settings.cloud.clone(),
        memories: Memories::default(),
    });
    let shared = Shared::new(settings.webhook_secrets.clone(), processor.clone());
    let _ = schedules
        .gauge
        .set(shared.metrics.scheduled_repositories.clone());
    let app = router(shared.clone(), &settings.webhook_path);

    // Readiness: the App's key against GitHub, then what is installed and its schedules.
    let ready = {
        let shared = shared.clone();
        let processor = processor.clone();
        tokio::spawn(async move {
            loop {
                match processor.auth.app((processor.now)()).await {
                    Ok(info) => {
                        let _ = processor.bot.set(info.bot_login());
                        shared.ready.store(true, Ordering::Relaxed);
                        tracing::info!(app = %info.slug, "the App's key is accepted");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "GET /app refused the App's key; trying again");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
            match processor.auth.installations((processor.now)()).await {
                Ok(list) => {
                    for inst in list {
                        for repo in inst.repositories {
                            let job = Job {
                                repo: repo.clone(),
                                installation: Some(inst.id),
                                work: Work::Schedule,
                            };
                            match processor.forge(&job).await {
                                Ok(forge) => processor.load_schedule(&forge, &repo).await,
                                Err(e) => {
                                    tracing::warn!(repository = %repo, error = %e, "cannot read the repository")
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot list the App's installations"),
            }
        })
    };

    // The schedules, looked at every tick with the injected clock.
    let scheduler = {
        let shared = shared.clone();
        let schedules = schedules.clone();
        let now = now.clone();
        tokio::spawn(async move {
            let mut last = now();
            let mut every = tokio::time::interval(tick);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let t = now();
                for repo in schedules.due(last, t) {
                    tracing::info!(repository = %repo, "the schedule fired");
                    shared.enqueue(Job {
                        repo,
                        installation: None,
                        work: Work::Schedule,
                    });
                }
                last = t;
            }
        })
    };

    // The backstop: no sooner than one interval after start.
    let backstop = {
        let shared = shared.clone();
        let schedules = schedules.clone();
        let interval = settings.backstop_interval;
        tokio::spawn(async move {
            let mut every =
                tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                for repo in schedules.known() {
                    shared.enqueue(Job {
                        repo,
                        installation: None,
                        work: Work::Backstop,
                    });
                }
            }
        })
    };

    tracing::info!(listen = %settings.listen, path = %settings.webhook_path, "serving");
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| format!("the server failed: {e}"));
    for task in [ready, scheduler, backstop] {
        task.abort();
    }
    tracing::info!("shutting down: finishing accepted deliveries");
    let drained = shared.drain(settings.shutdown_grace).await;
    served?;
    if drained {
        Ok(())
    } else {
        Err(format!(
            "accepted deliveries were still running after the {}s grace period",
            settings.shutdown_grace.as_secs()
        ))
    }
}

/// `adoptbot serve` from the command line: settings from flags and the environment, the real
/// clock, and SIGTERM or Ctrl-C to stop.
pub fn main(args: config::ServeArgs) -> Result<(), String> {
    let settings = Settings::resolve(args, &config::Process)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        let now: Now = Arc::new(crate::runners::clock::now);
        run(settings, listener, now, SCHEDULE_TICK, stop_signal()).await
    })
}

/// `adoptbot healthcheck`: exit 0 when the server on this machine answers `/healthz`, for a
/// container's `HEALTHCHECK` (a distroless image has no curl).
pub fn healthcheck(url: &str) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let answer = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| e.to_string())?
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!("{url}: {}", answer.status()))
        }
    })
}

/// SIGTERM (Kubernetes, Docker) or Ctrl-C.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records when each job of each repository starts and ends.
    #[derive(Default)]
    struct Recorder {
        log: Mutex<Vec<(String, String, bool)>>,
    }

    #[async_trait::async_trait]
    impl Processor for Recorder {
        async fn process(&self, job: Job) -> Result<Processed, String> {
            let id = match &job.work {
                Work::Delivery { id, .. } => id.clone(),
                _ => String::new(),
            };
            self.log
                .lock()
                .unwrap()
                .push((job.repo.clone(), id.clone(), true));
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.log.lock().unwrap().push((job.repo, id, false));
            Ok(Processed::default())
        }
    }

    fn delivery(repo: &str, id: &str) -> Job {
        Job {
            repo: repo.into(),
            installation: None,
            work: Work::Delivery {
                id: id.into(),
                name: "push".into(),
                event: Box::new(Event::Schedule),
                reload_schedule: false,
            },
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_in_order_per_repository_and_in_parallel_across_them() {
        let rec = Arc::new(Recorder::default());
        let shared = Shared::new(vec![], rec.clone());
        for i in 0..3 {
            assert!(shared.enqueue(delivery("o/a", &format!("a{i}"))));
            assert!(shared.enqueue(delivery("o/b", &format!("b{i}"))));
        }
        assert!(shared.drain(Duration::from_secs(10)).await, "all ran");
        // Closed: nothing more is taken.
        assert!(!shared.enqueue(delivery("o/a", "late")));
        let log = rec.log.lock().unwrap().clone();
        for repo in ["o/a", "o/b"] {
            let mine: Vec<_> = log.iter().filter(|(r, _, _)| r == repo).collect();
            // Start, end, start, end...: never two at once, and in the order queued.
            let ids: Vec<&str> = mine.iter().map(|(_, id, _)| id.as_str()).collect();
            let p = &repo[2..];
            assert_eq!(
                ids,
                [0, 0, 1, 1, 2, 2]
                    .map(|i| format!("{p}{i}"))
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
            );
            assert!(
                mine.iter()
                    .map(|(_, _, s)| *s)
                    .eq([true, false, true, false, true, false])
            );
        }
        // The two repositories overlapped: b's first job started before a's first ended.
        let a_end = log.iter().position(|(r, _, s)| r == "o/a" && !s).unwrap();
        let b_start = log.iter().position(|(r, _, s)| r == "o/b" && *s).unwrap();
        assert!(b_start < a_end, "{log:?}");
    }

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked_against_every_secret() {
        let secrets = vec![SecretString::from("old"), SecretString::from("new")];
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        assert!(signature_ok(&secrets, body, Some(&sign("old", body))));
        assert!(signature_ok(&secrets, body, Some(&sign("new", body))));
        assert!(!signature_ok(&secrets, body, Some(&sign("other", body))));
        assert!(!signature_ok(&secrets, body, None));
        assert!(!signature_ok(&secrets, body, Some("sha1=abc")));
        assert!(!signature_ok(&secrets, body, Some("sha256=zz")));
        let mut tampered = body.to_vec();
        tampered[3] ^= 1;
        assert!(!signature_ok(&secrets, &tampered, Some(&sign("old", body))));
    }
}
