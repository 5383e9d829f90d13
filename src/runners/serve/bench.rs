//! `adoptbot bench-serve`: a bounded loopback load test of the webhook endpoint. Real
//! `pull_request.opened` payloads (GitHub's example, 23 KB), signed as GitHub signs them, are
//! posted by concurrent keep-alive clients across many repositories to the real router; a
//! counting processor stands in for GitHub, so the figures are the server's own: deliveries
//! acknowledged per second, acknowledgement latency, and that every delivery was processed
//! exactly once. Then the idle RSS of a real `adoptbot serve` process. A benchmark, run on
//! demand and recorded in docs/performance.md; never a timed test.

use super::{Job, Processed, Processor, Shared, Work, router};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use sha2::Sha256;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct BenchServeArgs {
    /// Deliveries to send.
    #[arg(long, default_value_t = 20_000)]
    pub deliveries: usize,
    /// Repositories they are spread over (one queue each).
    #[arg(long, default_value_t = 50)]
    pub repositories: usize,
    /// Concurrent client connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
}

const PAYLOAD: &str = include_str!("../../../tests/fixtures/webhooks/pull_request.opened.json");
const SECRET: &str = "bench-secret";

/// Counts what it is given, per delivery id.
#[derive(Default)]
struct Counting {
    seen: Mutex<HashMap<String, u32>>,
}

#[async_trait::async_trait]
impl Processor for Counting {
    async fn process(&self, job: Job) -> Result<Processed, String> {
        if let Work::Delivery { id, .. } = job.work {
            *self
                .seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(id)
                .or_default() += 1;
        }
        Ok(Processed::default())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The resident memory of process `pid`, from `/proc` (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Starts `adoptbot serve` with a GitHub that does not answer, waits, and reads its RSS.
fn idle_rss() -> Result<Option<u64>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = std::process::Command::new(exe)
        .arg("serve")
        .env("APP_ID", "1")
        .env(
            "PRIVATE_KEY",
            include_str!("../../../tests/fixtures/app/app-key.pkcs1.pem"),
        )
        .env("WEBHOOK_SECRET", SECRET)
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("ADOPTBOT_LOG", "error")
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start adoptbot serve: {e}"))?;
    std::thread::sleep(Duration::from_secs(2));
    let rss = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    Ok(rss)
}

pub fn run(args: &BenchServeArgs) -> Result<ExitCode, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let counting = Arc::new(Counting::default());
    let shared = Shared::new(vec![SecretString::from(SECRET)], counting.clone());
    let n = args.deliveries.max(1);
    // The bodies, signed, before the clock starts: a client's cost is not the server's.
    let template: serde_json::Value =
        serde_json::from_str(PAYLOAD).map_err(|e| format!("the bench payload: {e}"))?;
    let bodies: Vec<(String, Vec<u8>, String)> = (0..n)
        .map(|i| {
            let mut v = template.clone();
            v["repository"]["full_name"] =
                serde_json::json!(format!("bench/repo-{}", i % args.repositories.max(1)));
            let body = serde_json::to_vec(&v).unwrap_or_default();
            let mut mac =
                Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).map_err(|e| e.to_string())?;
            mac.update(&body);
            let sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
            Ok((format!("bench-{i:08}"), body, sig))
        })
        .collect::<Result<_, String>>()?;
    let bodies = Arc::new(bodies);
    let (elapsed, mut latencies, refused) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let app = router(shared.clone(), "/api/github/webhooks");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let url = format!("http://{addr}/api/github/webhooks");
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(args.connections)
            .build()
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let mut tasks = Vec::new();
        let connections = args.connections.max(1);
        for c in 0..connections {
            let client = client.clone();
            let url = url.clone();
            let bodies = bodies.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut refused = 0usize;
                for (id, body, sig) in bodies.iter().skip(c).step_by(connections) {
                    let t = Instant::now();
                    let answer = client
                        .post(&url)
                        .header("X-GitHub-Event", "pull_request")
                        .header("X-GitHub-Delivery", id)
                        .header("X-Hub-Signature-256", sig)
                        .header("Content-Type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    lat.push(t.elapsed());
                    if !matches!(answer, Ok(ref r) if r.status().as_u16() == 202) {
                        refused += 1;
                    }
                }
                (lat, refused)
            }));
        }
        let mut latencies = Vec::with_capacity(n);
        let mut refused = 0;
        for t in tasks {
            let (lat, r) = t.await.map_err(|e| e.to_string())?;
            latencies.extend(lat);
            refused += r;
        }
        let elapsed = started.elapsed();
        // Every accepted delivery is processed: wait for the queues.
        for _ in 0..3000 {
            let done: usize = counting
                .seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .map(|c| *c as usize)
                .sum();
            if done >= n - refused {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok::<_, String>((elapsed, latencies, refused))
    })?;
    latencies.sort();
    let seen = counting.seen.lock().unwrap_or_else(|p| p.into_inner());
    let processed = seen.len();
    let twice = seen.values().filter(|c| **c > 1).count();
    let lost = n - refused - processed.min(n - refused);
    println!(
        "bench-serve: {n} signed pull_request deliveries ({} KB each) over {} repositories, {} connections",
        PAYLOAD.len() / 1024,
        args.repositories,
        args.connections
    );
    println!(
        "  acknowledged: {:.0} deliveries/s ({} in {})",
        (n - refused) as f64 / elapsed.as_secs_f64(),
        n - refused,
        ms(elapsed)
    );
    println!(
        "  acknowledgement latency: p50 {}, p99 {}, max {}",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0))
    );
    println!(
        "  processed: {processed}, refused: {refused}, lost: {lost}, processed twice: {twice}"
    );
    match idle_rss()? {
        Some(kib) => println!(
            "  idle RSS of `adoptbot serve`: {:.1} MiB",
            kib as f64 / 1024.0
        ),
        None => println!("  idle RSS of `adoptbot serve`: not measured (no /proc)"),
    }
    Ok(if refused == 0 && lost == 0 && twice == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
