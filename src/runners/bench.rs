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
    /// The repository sizes, in experiments; radar entries and teams grow with them (one
    /// radar entry per 10 experiments, one team per 50).
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 10_000, 100_000])]
    pub sizes: Vec<usize>,
    /// Runs of each measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub iterations: usize,
    /// A Python with PyYAML, to time `yaml.load(..., Loader=yaml.CSafeLoader)` over the same
    /// files in a fresh process next to `adoptbot validate`.
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// Where to generate the repositories (default: a new folder under the temp dir, removed
    /// afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Measure the cloud-drift comparison of the scheduled report instead, over this many
    /// generated Resource Graph rows each (e.g. `--drift 10000,100000,1000000`), against a
    /// repository of 1,000 experiments.
    #[arg(long, value_delimiter = ',')]
    pub drift: Vec<usize>,
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
            "title: Experiment {e}\nteam: team-{t}\nowner: dev-{t}-a\nhypothesis: A smaller model answers as well at a tenth of the cost.\nsuccess_criteria:\n  - {{ metric: answer_accuracy, comparator: \">=\", target: 0.85 }}\n  - {{ metric: p99_latency_ms, comparator: \"<=\", target: 800, unit: ms }}\nnext_step: Propose a production pilot.\ntime_box: 4w\ncost_cap: 3500 USD\ncost_tag: exp-{e}\nblueprint: azure-openai\nparameters:\n  location: swedencentral\n  chat_model: gpt-4o-mini\n  chat_model_version: \"2024-07-18\"\n  deployment_type: Standard\n  chat_capacity: 100\n  embedding_model: none\n  expected_monthly_token_spend_usd: 2800\n  address_space: 10.63.1.0/24\n  endpoint_subnet: 10.63.1.0/27\nstarted_on: 2026-11-{start:02}\nstatus: active\nspend: {{ to_date: 1200.50 USD, as_of: 2026-11-20 }}\n"
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

/// One repository's figures.
struct Figures {
    experiments: usize,
    files: usize,
    bytes: usize,
    read: Duration,
    load_one_core: Duration,
    load: Duration,
    evaluate: Duration,
    in_process: Duration,
    event_cpu: Duration,
    event_load_cpu: Duration,
    event_parsed: usize,
    /// The same event through the server's repository memory.
    event_served_cpu: Duration,
    errors: usize,
    validate: Option<Process>,
    pyyaml: Option<Process>,
    parsers: Vec<(&'static str, Duration)>,
}

/// A child process: wall time (median), CPU time and peak RSS (of the median run).
#[derive(Clone, Copy)]
struct Process {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: u64,
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

/// User plus system CPU time of this process, every thread included.
fn cpu_now() -> Duration {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_micros(t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64)
}

/// Runs a command to the end, as a fresh process, with its output discarded.
fn run_process(cmd: &mut std::process::Command) -> Result<Process, String> {
    let t = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes the child's status and resource usage into the values given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut u) };
    let wall = t.elapsed();
    if r != pid {
        return Err(format!("cannot wait for {cmd:?}"));
    }
    Ok(Process {
        wall,
        cpu: tv(u.ru_utime) + tv(u.ru_stime),
        max_rss_kib: u.ru_maxrss as u64,
    })
}

fn median_process(
    n: usize,
    mut make: impl FnMut() -> std::process::Command,
) -> Result<Process, String> {
    let mut runs = Vec::new();
    for _ in 0..n {
        runs.push(run_process(&mut make())?);
    }
    runs.sort_by_key(|p| p.wall);
    let mut m = runs[runs.len() / 2];
    m.max_rss_kib = runs.iter().map(|p| p.max_rss_kib).max().unwrap_or(0);
    Ok(m)
}

/// The PyYAML baseline: every `.yaml` file parsed with libyaml's C loader.
const PYYAML: &str = "import os, sys, yaml\nfor root, dirs, files in os.walk(sys.argv[1]):\n    for f in files:\n        if f.endswith('.yaml'):\n            with open(os.path.join(root, f), 'rb') as fh:\n                yaml.load(fh, Loader=yaml.CSafeLoader)\n";

/// A candidate parser: whether it read the document.
type Parse<'a> = dyn Fn(&str) -> bool + 'a;

/// The experiment documents of a snapshot, parsed on one core by each candidate parser.
fn parsers(snap: &crate::load::Snapshot, iterations: usize) -> Vec<(&'static str, Duration)> {
    let docs: Vec<&str> = snap
        .contents
        .iter()
        .filter(|(p, _)| p.starts_with("experiments/"))
        .filter_map(|(_, b)| std::str::from_utf8(b).ok())
        .collect();
    let options = || serde_saphyr::options! { strict_booleans: true, with_snippet: false };
    let candidates: [(&'static str, &Parse<'_>); 5] = [
        (
            "granit-parser into the tree, then typed (as loaded)",
            &|t| {
                crate::load::tree::read(t).ok().is_some_and(|n| {
                    <crate::model::Experiment as serde::Deserialize>::deserialize(
                        crate::load::tree::De(n),
                    )
                    .is_ok()
                })
            },
        ),
        ("serde-saphyr, typed with spans", &|t| {
            serde_saphyr::from_str_with_options::<crate::model::Experiment>(t, options()).is_ok()
        }),
        ("serde-saphyr, untyped", &|t| {
            serde_saphyr::from_str_with_options::<serde_json::Value>(t, options()).is_ok()
        }),
        ("serde_yaml_ng (libyaml), untyped, no spans", &|t| {
            serde_yaml_ng::from_str::<serde_json::Value>(t).is_ok()
        }),
        ("granit-parser events with spans, no typing", &|t| {
            granit_parser::Parser::new_from_str(t)
                .map_while(Result::ok)
                .fold(0usize, |n, (_, span)| n ^ span.start.line())
                < usize::MAX
        }),
    ];
    candidates
        .iter()
        .map(|(name, parse)| {
            let runs = (0..iterations)
                .map(|_| timed(|| docs.iter().filter(|t| parse(t)).count()).0)
                .collect();
            (*name, median(runs))
        })
        .collect()
}

/// `adoptbot validate` and the PyYAML baseline as fresh processes. Run before anything is
/// measured in this process: a child's peak RSS counts the memory of the process it was
/// started from, which is still small then.
fn processes(root: &Path, args: &BenchArgs) -> Result<(Option<Process>, Option<Process>), String> {
    let iterations = args.iterations.max(1);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let validate = Some(median_process(iterations, || {
        let mut c = std::process::Command::new(&exe);
        c.arg("validate").arg(root).args(["--now", "2026-11-27"]);
        c
    })?);
    let pyyaml = match &args.python {
        Some(py) => Some(median_process(iterations, || {
            let mut c = std::process::Command::new(py);
            c.args(["-c", PYYAML]).arg(root);
            c
        })?),
        None => None,
    };
    Ok((validate, pyyaml))
}

fn measure(
    root: &Path,
    experiments: usize,
    args: &BenchArgs,
    (validate, pyyaml): (Option<Process>, Option<Process>),
) -> Result<Figures, String> {
    let iterations = args.iterations.max(1);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| e.to_string())?;
    // What is built once per process (the blueprint catalogue, the framework) is built
    // before anything is timed; `validate` above pays it, as any fresh process does.
    let _ = (
        crate::render::Catalogue::builtin(),
        crate::load::framework::builtin(),
    );
    let (mut read, mut load1, mut load, mut eval, mut whole) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut errors = 0;
    let mut snap = crate::load::Snapshot::default();
    for _ in 0..iterations {
        let (t, s) = timed(|| read_dir(root));
        read.push(t);
        snap = s?;
        load1.push(one_core.install(|| timed(|| crate::load::load(&snap)).0));
        let (t, loaded) = timed(|| crate::load::load(&snap));
        load.push(t);
        let (t, findings) = timed(|| crate::evaluate_loaded(&loaded, today));
        eval.push(t);
        std::hint::black_box(findings.map_err(|d| format!("{d:?}"))?);
        let (t, analysis) = timed(|| {
            read_dir(root).and_then(|s| crate::analyse(&s, today).map_err(|d| format!("{d:?}")))
        });
        whole.push(t);
        errors = analysis?
            .evaluation
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count();
    }
    // A PR event in a long-lived process: the cache is warm, one request file changed.
    let mut cache = crate::load::Cache::new();
    crate::analyse_cached(&mut cache, &snap, today).map_err(|d| format!("{d:?}"))?;
    let (mut event, mut event_load) = (Vec::new(), Vec::new());
    let mut event_parsed = 0;
    for i in 0..iterations {
        edit(&mut snap, "experiments/exp-0.yaml", i);
        // The same steps as `analyse_cached`, timed apart.
        let before = cpu_now();
        let (loaded, priced) = cache.load_priced(&snap);
        let loaded_at = cpu_now();
        let findings =
            crate::evaluate_with(loaded, today, Some(priced)).map_err(|d| format!("{d:?}"))?;
        std::hint::black_box(&findings);
        let done = cpu_now();
        event.push(done - before);
        event_load.push(loaded_at - before);
        event_parsed = cache.last_refresh().parsed;
    }
    // The same event through the server's repository memory (what `adoptbot serve` runs for
    // a delivery): its kept analyses share their documents with its two document caches, and
    // forgetting the oldest analysis (its findings) is part of the event's cost.
    let mut memory = crate::runners::handlers::memory::Memory::long_lived();
    for warm in ["base", "head"] {
        // Both of its document caches (a pull request's base and head) are warm.
        memory
            .analyse(warm, &snap, today)
            .map_err(|d| format!("{d:?}"))?;
    }
    let mut served = Vec::new();
    for i in 0..iterations {
        edit(&mut snap, "experiments/exp-1.yaml", i);
        let before = cpu_now();
        let analysis = memory
            .analyse(&format!("head-{i}"), &snap, today)
            .map_err(|d| format!("{d:?}"))?;
        std::hint::black_box(&analysis);
        served.push(cpu_now() - before);
    }
    Ok(Figures {
        experiments,
        files: snap.contents.len(),
        bytes: snap.contents.values().map(Vec::len).sum(),
        read: median(read),
        load_one_core: median(load1),
        load: median(load),
        evaluate: median(eval),
        in_process: median(whole),
        event_cpu: median(event),
        event_load_cpu: median(event_load),
        event_parsed,
        event_served_cpu: median(served),
        errors,
        validate,
        pyyaml,
        parsers: one_core.install(|| parsers(&snap, iterations)),
    })
}

/// One request file changed, as a pushed commit would change it.
fn edit(snap: &mut crate::load::Snapshot, path: &str, i: usize) {
    let mut text = snap.contents.get(path).cloned().unwrap_or_default();
    text.extend_from_slice(format!("# edit {i}\n").as_bytes());
    snap.contents.insert(path.to_owned(), text);
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub fn run(args: &BenchArgs) -> Result<ExitCode, String> {
    if !args.drift.is_empty() {
        return drift(args);
    }
    let (base, cleanup) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("adoptbot-bench-{}", std::process::id())),
            true,
        ),
    };
    println!(
        "adoptbot bench: {} cores, median of {} runs",
        rayon::current_num_threads(),
        args.iterations.max(1)
    );
    let mut children = Vec::new();
    for &n in &args.sizes {
        let root = base.join(format!("repo-{n}"));
        generate(&root, n, n / 10, (n / 50).max(1))
            .map_err(|e| format!("cannot generate in {}: {e}", root.display()))?;
        children.push(processes(&root, args)?);
    }
    let mut all = Vec::new();
    for (&n, child) in args.sizes.iter().zip(children) {
        let root = base.join(format!("repo-{n}"));
        let f = measure(&root, n, args, child);
        if cleanup {
            let _ = std::fs::remove_dir_all(&root);
        }
        let f = f?;
        println!(
            "\n{} experiments ({} files read, {:.1} MB):",
            f.experiments,
            f.files,
            f.bytes as f64 / 1e6
        );
        println!("  read the files:                      {:>10}", ms(f.read));
        println!(
            "  load, one core:                      {:>10}",
            ms(f.load_one_core)
        );
        println!("  load, every core:                    {:>10}", ms(f.load));
        println!(
            "  evaluate:                            {:>10}",
            ms(f.evaluate)
        );
        println!(
            "  read + load + evaluate, in process:  {:>10}",
            ms(f.in_process)
        );
        println!(
            "  PR event, cache warm, {} file parsed:  {:>10} CPU (load + evaluate; of which load {})",
            f.event_parsed,
            ms(f.event_cpu),
            ms(f.event_load_cpu)
        );
        println!(
            "  the same, through the server's memory:  {:>10} CPU (its analyses share the documents with its two caches)",
            ms(f.event_served_cpu)
        );
        if let Some(v) = f.validate {
            println!(
                "  `adoptbot validate`, whole process:  {:>10} wall, {} CPU, peak RSS {:.0} MiB",
                ms(v.wall),
                ms(v.cpu),
                v.max_rss_kib as f64 / 1024.0
            );
        }
        if let Some(p) = f.pyyaml {
            println!(
                "  PyYAML CSafeLoader, whole process:   {:>10} wall, {} CPU",
                ms(p.wall),
                ms(p.cpu)
            );
            if let Some(v) = f.validate {
                println!(
                    "  validate / PyYAML:                   {:>9.2}x wall, {:.2}x CPU",
                    v.wall.as_secs_f64() / p.wall.as_secs_f64().max(1e-9),
                    v.cpu.as_secs_f64() / p.cpu.as_secs_f64().max(1e-9)
                );
            }
        }
        println!("  parsers, experiment documents, one core:");
        let mb = f.bytes as f64 / 1e6;
        for (name, t) in &f.parsers {
            println!(
                "    {name:<44} {:>10}  ({:.0} MB/s of all files' size)",
                ms(*t),
                mb / t.as_secs_f64().max(1e-9)
            );
        }
        println!("  errors in the generated repository:  {:>10}", f.errors);
        all.push(f);
    }
    if cleanup {
        let _ = std::fs::remove_dir_all(&base);
    }
    if let (Some(first), Some(last)) = (all.first(), all.last())
        && last.experiments > first.experiments
    {
        let scale = last.experiments as f64 / first.experiments as f64;
        let growth = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64().max(1e-9) / scale;
        println!(
            "\ngrowth from {} to {} experiments, per experiment (1.00 = linear):",
            first.experiments, last.experiments
        );
        println!(
            "  read + load + evaluate in process: {:.2}",
            growth(first.in_process, last.in_process)
        );
        if let (Some(a), Some(b)) = (first.validate, last.validate) {
            println!(
                "  validate, whole process (CPU):     {:.2}",
                growth(a.cpu, b.cpu)
            );
        }
        for w in all.windows(2) {
            if let (Some(a), Some(b)) = (w[0].validate, w[1].validate) {
                println!(
                    "  validate CPU, {} -> {} experiments: {:.2}x for {:.0}x the experiments",
                    w[0].experiments,
                    w[1].experiments,
                    b.cpu.as_secs_f64() / a.cpu.as_secs_f64().max(1e-9),
                    w[1].experiments as f64 / w[0].experiments.max(1) as f64
                );
            }
        }
    }
    let clean = all.iter().all(|f| f.errors == 0);
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `n` Resource Graph rows for a repository of `experiments` generated experiments: nine in
/// ten bot-managed for a known experiment (a tenth of those with drifted tags, a hundredth
/// with public network access), the rest orphans of unknown experiments and GPU VMs
/// outside the IaC.
pub fn resources(n: usize, experiments: usize) -> Vec<crate::model::cloud::ResourceRow> {
    use serde_json::json;
    let sub = "00000000-0000-0000-0000-0000000000b1";
    (0..n)
        .map(|i| {
            let e = i % experiments.max(1);
            let (rg, tags, rtype, props) = match i % 10 {
                9 if i % 20 == 9 => (
                    format!("rg-ghost-{i}"),
                    json!({"managed-by": "adoptbot", "experiment": format!("ghost-{i}")}),
                    "microsoft.keyvault/vaults",
                    json!({}),
                ),
                9 => (
                    format!("rg-shadow-{}", i % 97),
                    json!({}),
                    "microsoft.compute/virtualmachines",
                    json!({"hardwareProfile": {"vmSize": "Standard_NC24ads_A100_v4"}}),
                ),
                k => (
                    format!("rg-exp-{e}"),
                    json!({"managed-by": "adoptbot", "experiment": format!("exp-{e}"), "team": format!("team-{}", e % (experiments / 50).max(1)), "cost-tag": format!("exp-{e}"), "expiry": if k == 0 { "2099-01-01".to_string() } else { String::new() }, "owner": format!("dev-{}-a", e % (experiments / 50).max(1))}),
                    "microsoft.cognitiveservices/accounts",
                    json!({"publicNetworkAccess": if i % 100 == 1 { "Enabled" } else { "Disabled" }, "disableLocalAuth": true}),
                ),
            };
            crate::model::cloud::ResourceRow {
                id: format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{rtype}/r{i}"),
                name: format!("r{i}"),
                kind_type: rtype.into(),
                kind: Some("OpenAI".into()),
                location: Some("swedencentral".into()),
                resource_group: Some(rg),
                subscription_id: Some(sub.into()),
                tags,
                sku: serde_json::Value::Null,
                properties: props,
                identity: serde_json::Value::Null,
            }
        })
        .collect()
}

/// The cloud-drift comparison (orphans, missing, tag and baseline drift, and the shadow-AI
/// match against the inventory) over generated inventories, on one core.
fn drift(args: &BenchArgs) -> Result<ExitCode, String> {
    use crate::evaluate::cloud;
    let experiments = 1_000;
    let root = match &args.dir {
        Some(d) => d.join("drift-repo"),
        None => std::env::temp_dir().join(format!("adoptbot-drift-{}", std::process::id())),
    };
    generate(&root, experiments, 10, experiments / 50)
        .map_err(|e| format!("cannot generate in {}: {e}", root.display()))?;
    let snap = crate::load::dir::read_dir(&root)?;
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&root);
    }
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
    let analysis = crate::analyse(&snap, today).map_err(|d| format!("{d:?}"))?;
    let catalogue = crate::render::Catalogue::builtin().map_err(|d| format!("{d:?}"))?;
    println!(
        "adoptbot bench --drift: cloud-drift comparison, {experiments} experiments, one core, median of {} runs",
        args.iterations.max(1)
    );
    let mut per_row = Vec::new();
    for &n in &args.drift {
        let signals = crate::model::finding::CloudSignals {
            inventory: crate::model::cloud::Inventory {
                resources: resources(n, experiments),
                containers: Vec::new(),
            },
            identity: Some(crate::model::cloud::Identity {
                oid: "bench".into(),
                tenant_id: None,
            }),
            ..Default::default()
        };
        let input = cloud::Input {
            analysis: &analysis,
            skus: catalogue.skus(),
            settings: catalogue.settings(),
            signals: &signals,
            history: &[],
            today,
        };
        let mut times = Vec::new();
        let mut found = (0, 0, 0, 0);
        for _ in 0..args.iterations.max(1) {
            let before = cpu_now();
            let d = cloud::drift::compare(&input);
            let shadow = cloud::shadow::find(&input);
            times.push(cpu_now() - before);
            found = (
                d.orphans.values().map(Vec::len).sum::<usize>(),
                d.tags.values().map(Vec::len).sum::<usize>(),
                d.baseline.len(),
                shadow.len(),
            );
            std::hint::black_box((&d, &shadow));
        }
        let t = median(times);
        println!(
            "  {n:>9} resources: {:>10} CPU ({:.0} ns per resource); {} orphans, {} drifted tags, {} baseline drifts, {} shadow AI",
            ms(t),
            t.as_secs_f64() * 1e9 / n.max(1) as f64,
            found.0,
            found.1,
            found.2,
            found.3
        );
        per_row.push((n, t));
    }
    for w in per_row.windows(2) {
        let ((a, ta), (b, tb)) = (w[0], w[1]);
        println!(
            "  {a} -> {b} resources: {:.2}x the time for {:.0}x the resources",
            tb.as_secs_f64() / ta.as_secs_f64().max(1e-9),
            b as f64 / a.max(1) as f64
        );
    }
    Ok(ExitCode::SUCCESS)
}
