//! `adoptbot bench`: generates an adoption repository of a given size on disk, then measures
//! reading + loading + evaluating it against the bare cost of reading and parsing the same
//! files into untyped YAML. A benchmark, run on demand and recorded in docs/performance.md;
//! never a timed test.

use crate::load::dir::read_dir;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    #[arg(long, default_value_t = 10_000)]
    pub experiments: usize,
    #[arg(long, default_value_t = 1_000)]
    pub radar: usize,
    #[arg(long, default_value_t = 200)]
    pub teams: usize,
    /// Runs of each measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub iterations: usize,
    /// Where to generate the repository (default: a new folder under the temp dir, removed
    /// afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Writes a valid adoption repository with the given numbers of documents.
pub fn generate(
    root: &Path,
    experiments: usize,
    radar: usize,
    teams: usize,
) -> std::io::Result<()> {
    let teams = teams.max(1);
    for d in [
        "teams",
        "experiments",
        "radar",
        "scorecards",
        "inventory",
        "policies",
    ] {
        std::fs::create_dir_all(root.join(d))?;
    }
    std::fs::write(
        root.join("adoption.yaml"),
        "organisation: Bench\nphase: experimentation\nroles:\n  infrastructure-lead: { users: [lead-a] }\n  security-lead: { users: [lead-b] }\n  business-sponsor: { users: [lead-c] }\n  management-sponsor: { users: [lead-c] }\n  platform-team-lead: { users: [lead-a] }\n  compliance: { users: [lead-b] }\nschedule: \"0 6 * * 1-5\"\n",
    )?;
    let areas = [
        "team-skills",
        "gpu-readiness",
        "networking",
        "security",
        "automation",
        "shadow-ai",
    ];
    let mut card = String::from("assessed_on: 2026-10-01\nareas:\n");
    for a in areas {
        card.push_str(&format!("  {a}: {{ rating: 3, evidence: measured }}\n"));
    }
    std::fs::write(root.join("scorecards/2026-10-01.yaml"), card)?;
    std::fs::write(
        root.join("inventory/shadow-ai.yaml"),
        "surveyed_on: 2026-10-01\nfindings: []\n",
    )?;
    std::fs::write(
        root.join("policies/security-baseline.md"),
        "# Security baseline\n",
    )?;
    for t in 0..teams {
        let text = format!(
            "name: Team {t}\ngithub_team: bench/team-{t}\nleads: [lead-{t}]\nmembers: [dev-{t}-a, dev-{t}-b]\nmonthly_budget: 50000 USD\ngpu_quota:\n  - {{ family: standardNCADSA100v4Family, region: westeurope, vcpus: 96, status: approved, approved_on: 2026-06-01 }}\nskills:\n  lead-{t}: {{ cloud_platform: 4, ai_ml_fundamentals: 3, automation: 4, security_operations: 3 }}\ntraining:\n  lead-{t}: {{ foundational: completed, operational: completed }}\n  dev-{t}-a: {{ foundational: completed }}\n  dev-{t}-b: {{ foundational: in-progress }}\n"
        );
        std::fs::write(root.join(format!("teams/team-{t}.yaml")), text)?;
    }
    for e in 0..experiments {
        let t = e % teams;
        let start = 1 + (e % 28);
        let text = format!(
            "title: Experiment {e}\nteam: team-{t}\nowner: dev-{t}-a\nhypothesis: A smaller model answers as well at a tenth of the cost.\nsuccess_criteria:\n  - {{ metric: answer_accuracy, comparator: \">=\", target: 0.85 }}\n  - {{ metric: p99_latency_ms, comparator: \"<=\", target: 800, unit: ms }}\nnext_step: Propose a production pilot.\ntime_box: 4w\ncost_cap: 2500 USD\ncost_tag: exp-{e}\nblueprint: azure-openai\nparameters: {{}}\nstarted_on: 2026-11-{start:02}\nstatus: active\nspend: {{ to_date: 1200.50 USD, as_of: 2026-11-20 }}\n"
        );
        std::fs::write(root.join(format!("experiments/exp-{e}.yaml")), text)?;
    }
    let rings = ["adopt", "trial", "assess", "hold"];
    let quadrants = [
        "techniques",
        "platforms",
        "tools",
        "languages-and-frameworks",
    ];
    for r in 0..radar {
        let text = format!(
            "name: Tool {r}\nquadrant: {}\nring: {}\nowner: lead-0\nlast_reviewed: 2026-{:02}-15\nrationale: Because it was measured.\n",
            quadrants[r % 4],
            rings[r % 4],
            1 + r % 11
        );
        std::fs::write(root.join(format!("radar/tool-{r}.yaml")), text)?;
    }
    Ok(())
}

/// Parses every YAML file of a snapshot into untyped values: the floor that typed loading
/// is compared with.
fn bare_parse_snapshot(snap: &crate::load::Snapshot) -> usize {
    snap.contents
        .values()
        .filter_map(|b| std::str::from_utf8(b).ok())
        .filter_map(|t| serde_saphyr::from_str::<serde_json::Value>(t).ok())
        .filter(|v| !v.is_null())
        .count()
}

/// Reads every file and parses the YAML ones into untyped values: the floor that typed
/// loading is compared with.
fn bare_parse(root: &Path) -> usize {
    fn walk(dir: &Path, n: &mut usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, n);
            } else if let Ok(text) = std::fs::read_to_string(&p)
                && p.extension().is_some_and(|x| x == "yaml")
                && let Ok(v) = serde_saphyr::from_str::<serde_json::Value>(&text)
            {
                *n += usize::from(!v.is_null());
            }
        }
    }
    let mut n = 0;
    walk(root, &mut n);
    n
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

pub fn run(args: &BenchArgs) -> Result<ExitCode, String> {
    let (root, cleanup) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("adoptbot-bench-{}", std::process::id())),
            true,
        ),
    };
    generate(&root, args.experiments, args.radar, args.teams)
        .map_err(|e| format!("cannot generate in {}: {e}", root.display()))?;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
    let iterations = args.iterations.max(1);
    let mut bare = Vec::new();
    let mut full = Vec::new();
    let mut problems = 0;
    let mut mem_load = Vec::new();
    let mut catalogue = Vec::new();
    let mut mem_bare = Vec::new();
    let mut mem_full = Vec::new();
    let mut read = Vec::new();
    for _ in 0..iterations {
        let t = Instant::now();
        let snap = read_dir(&root)?;
        read.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(bare_parse_snapshot(&snap));
        mem_bare.push(t.elapsed());
        let t = Instant::now();
        let loaded = crate::load::load(&snap);
        mem_load.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(crate::blueprint_facts(&loaded.repo));
        catalogue.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(crate::analyse(&snap, today).map_err(|d| format!("{d:?}"))?);
        mem_full.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(bare_parse(&root));
        bare.push(t.elapsed());
        let t = Instant::now();
        let snap = read_dir(&root)?;
        let analysis = crate::analyse(&snap, today).map_err(|d| format!("{d:?}"))?;
        problems = analysis
            .evaluation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
        std::hint::black_box(&analysis);
        full.push(t.elapsed());
    }
    if cleanup {
        let _ = std::fs::remove_dir_all(&root);
    }
    let (bare, full) = (median(bare), median(full));
    let ratio = full.as_secs_f64() / bare.as_secs_f64().max(1e-9);
    println!(
        "repository: {} experiments, {} radar entries, {} teams",
        args.experiments, args.radar, args.teams
    );
    println!(
        "bare read + untyped parse: {:>8.1} ms (median of {iterations})",
        bare.as_secs_f64() * 1e3
    );
    println!(
        "read + load + evaluate:    {:>8.1} ms (median of {iterations})",
        full.as_secs_f64() * 1e3
    );
    println!("ratio:                     {ratio:>8.2}x");
    println!(
        "of which reading the files: {:>7.1} ms",
        median(read).as_secs_f64() * 1e3
    );
    println!(
        "in memory, untyped parse:  {:>8.1} ms",
        median(mem_bare).as_secs_f64() * 1e3
    );
    println!(
        "in memory, load only:      {:>8.1} ms",
        median(mem_load).as_secs_f64() * 1e3
    );
    println!(
        "blueprint catalogue:       {:>8.1} ms",
        median(catalogue).as_secs_f64() * 1e3
    );
    println!(
        "in memory, load + evaluate:{:>8.1} ms",
        median(mem_full).as_secs_f64() * 1e3
    );
    println!("errors in generated repo:  {problems:>8}");
    let within = full.as_secs_f64() < 0.5 && ratio <= 3.0;
    println!(
        "budget (< 500 ms and <= 3x): {}",
        if within { "met" } else { "NOT met" }
    );
    Ok(if within && problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
