//! The `adoptbot` command line.

use super::source::SourceArgs;
use crate::model::Flavour;
use crate::report;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "adoptbot",
    version,
    about = "GitOps reconciliation bot for AI adoption on Azure"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an adoption repository: exit 0 when it is clean, 1 with every problem when not.
    Validate {
        #[command(flatten)]
        source: SourceArgs,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Evaluate as of this day instead of today (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        now: Option<NaiveDate>,
    },
    /// Show what the bot sees in Azure for the repository (its inventory, quota use and
    /// the calls it took). Reads only.
    Cloud {
        #[command(flatten)]
        source: SourceArgs,
        /// `azure` (ARM, credentials from the environment) or `snapshot:DIR`.
        #[arg(long, value_name = "azure|snapshot:DIR", default_value = "azure",
              value_parser = |s: &str| s.parse::<super::cloud::CloudSource>())]
        cloud: super::cloud::CloudSource,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the findings and the actions the bot would take: comments, checks, PRs.
    Plan {
        #[command(flatten)]
        source: SourceArgs,
        /// Evaluate as of this day instead of today (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        now: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also read the branch rules on the forge and warn, on stderr, where they are weaker
        /// than the docs ask for (`adoptbot/audit` open to pushes, the gate check not pinned
        /// to the App). `github` reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL and
        /// ADOPTBOT_APP_ID; the local forge has no branch rules.
        #[arg(long, value_enum, value_name = "FORGE")]
        forge: Option<AuditForge>,
        /// The bot's login on the forge.
        #[arg(long, value_name = "LOGIN", default_value = "adoptbot[bot]")]
        bot: String,
    },
    /// Render experiments' IaC from their blueprints into `infra/experiments/<id>/`.
    Render {
        /// The adoption repository's directory.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Render only this experiment.
        #[arg(long, value_name = "ID")]
        experiment: Option<String>,
        /// The IaC language (default: `iac_flavour` of adoption.yaml).
        #[arg(long, value_name = "bicep|terraform", value_parser = |s: &str| s.parse::<Flavour>())]
        flavour: Option<Flavour>,
        /// Write under this folder instead of DIR.
        #[arg(long, value_name = "OUT")]
        out: Option<PathBuf>,
        /// The day a request not yet started is taken to start (default: today).
        #[arg(long, value_parser = parse_date)]
        now: Option<NaiveDate>,
    },
    /// Play a month of the sample's adoption on a local forge: requests, reviews,
    /// provisioning, the end of a time box. No network, no credentials.
    Demo {
        /// Keep the scratch repository in this new folder instead of a temporary one.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
    },
    /// Handle the GitHub Actions event of this job (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH,
    /// GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL).
    Action,
    /// Run the time-based steps now: provisioning, re-render and decommission PRs, and
    /// expiry warnings, on a local repository (DIR, the local forge) or on GitHub
    /// (--repo OWNER/NAME, with GITHUB_TOKEN and GITHUB_API_URL).
    Reconcile {
        /// The adoption repository's git work tree; PRs live under .git/adoptbot/.
        #[arg(
            value_name = "DIR",
            required_unless_present = "repo",
            conflicts_with = "repo"
        )]
        dir: Option<PathBuf>,
        /// The GitHub repository, `owner/name`.
        #[arg(long, value_name = "OWNER/NAME")]
        repo: Option<String>,
        /// Act as of this day instead of today (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        now: Option<NaiveDate>,
    },
    /// The scheduled report: read the cloud and the observations, open the decommission,
    /// reclaim and inventory PRs the findings call for, record the day's observation and keep
    /// the dashboard issue, on a local repository (DIR) or on GitHub (--repo OWNER/NAME, with
    /// GITHUB_TOKEN and GITHUB_API_URL). Never writes to the cloud.
    Report {
        /// The adoption repository's git work tree; PRs and issues live under .git/adoptbot/.
        #[arg(
            value_name = "DIR",
            required_unless_present = "repo",
            conflicts_with = "repo"
        )]
        dir: Option<PathBuf>,
        /// The GitHub repository, `owner/name`.
        #[arg(long, value_name = "OWNER/NAME")]
        repo: Option<String>,
        /// Act as of this day instead of today (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        now: Option<NaiveDate>,
        /// `azure`, `snapshot:DIR` or `none`; default: azure when adoption.yaml has `azure:`.
        #[arg(long, value_name = "azure|snapshot:DIR|none", value_parser = parse_cloud)]
        cloud: Option<CloudArg>,
        /// Print the writes instead of making them.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Scaffold a new adoption repository in DIR (default: the current folder): adoption.yaml
    /// with every setting commented, a team, an experiment request, a scorecard, the shadow-AI
    /// inventory, the two workflows and the JSON Schemas. Nothing that exists is overwritten.
    Init {
        #[arg(value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        /// Date the scorecard and the inventory this day instead of today (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        now: Option<NaiveDate>,
    },
    /// List the experiments whose IaC under infra/experiments/<id>/ was added, changed or
    /// removed between two commits, and the commands that preview (PR) and apply (merge)
    /// each: Azure deployment stacks for Bicep, terraform for Terraform.
    DeployPlan {
        /// The commit before the change (the PR's base, or the push's `before`).
        #[arg(long, value_name = "SHA")]
        base: String,
        /// The commit after it (the PR's head, or the pushed commit).
        #[arg(long, value_name = "SHA")]
        head: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The git repository to read (default: the current folder).
        #[arg(long, value_name = "REPO", default_value = ".")]
        git: PathBuf,
    },
    /// The pull requests of a local repository (the local forge): list, show, merge, close.
    Pr {
        #[command(subcommand)]
        command: super::pr::PrCommand,
        /// The repository's work tree (or bare git directory).
        #[arg(long, value_name = "DIR", default_value = ".", global = true)]
        repo: PathBuf,
        /// Run the bot's follow-up as of this day instead of today (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date, global = true)]
        now: Option<NaiveDate>,
    },
    /// Write the JSON Schemas of every document kind, for editors.
    Schema {
        /// The folder to write to: `.adoptbot/schema` of an adoption repository, where its
        /// documents' `# yaml-language-server: $schema=` lines point.
        #[arg(long, default_value = super::init::SCHEMA_DIR)]
        out: PathBuf,
        /// Do not write; exit 1 if the files there differ from what would be written.
        #[arg(long)]
        check: bool,
    },
    /// Measure loading and evaluation on a generated repository against a bare parse.
    Bench(super::bench::BenchArgs),
    /// Run the GitHub App: the webhook endpoint, the schedules and the backstop, until
    /// SIGTERM. Every setting also comes from the environment (see docs/deploy.md).
    Serve(super::serve::config::ServeArgs),
    /// Load-test the webhook endpoint on loopback: signed deliveries acknowledged per second,
    /// acknowledgement latency, none lost or processed twice, and the server's idle RSS.
    BenchServe(super::serve::bench::BenchServeArgs),
    /// Exit 0 when the server answers its liveness check (a container's HEALTHCHECK).
    Healthcheck {
        /// The liveness URL [default: http://127.0.0.1:$PORT/healthz, PORT by default 3000].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Print the audit trail of decision gates from git history: every phase change on REV's
    /// history with the gate record that approved it (policy, approvals, evidence), and what
    /// an auditor should look at. Exit 1 when something needs looking at.
    Audit {
        /// A clone of the adoption repository.
        #[arg(
            value_name = "DIR",
            required_unless_present = "git",
            conflicts_with = "git"
        )]
        dir: Option<PathBuf>,
        /// A git repository (bare or not) to read instead.
        #[arg(long, value_name = "REPO")]
        git: Option<PathBuf>,
        /// The branch whose history is audited.
        #[arg(long, value_name = "REV", default_value = "HEAD")]
        rev: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also check every record against the forge: made and signed by the bot, unaltered,
        /// its merge commit and the bot's gate check on its head. `github` reads
        /// GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL (and ADOPTBOT_APP_ID); `local`
        /// the local forge of DIR. A forgery is a finding: exit 1.
        #[arg(long, value_enum, value_name = "FORGE")]
        forge: Option<AuditForge>,
        /// The bot's login on the forge.
        #[arg(long, value_name = "LOGIN", default_value = "adoptbot[bot]")]
        bot: String,
    },
}

/// The forge `adoptbot audit --forge` checks the records against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditForge {
    Local,
    Github,
}

/// The audit branch checked against the forge.
fn verify_on_forge(
    which: AuditForge,
    path: &std::path::Path,
    bot: &str,
) -> Result<super::audit::Verified, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        use crate::forge::Forge;
        match which {
            AuditForge::Local => {
                let forge =
                    crate::forge::local::LocalForge::open(path, bot).map_err(|e| e.to_string())?;
                let (default, _) = forge.default_branch().await.map_err(|e| e.to_string())?;
                super::audit::verify(&forge, &default).await
            }
            AuditForge::Github => {
                let forge =
                    crate::forge::github::GitHub::from_env(bot).map_err(|e| e.to_string())?;
                let (default, _) = forge.default_branch().await.map_err(|e| e.to_string())?;
                super::audit::verify(&forge, &default).await
            }
        }
        .map_err(|e| format!("checking the audit trail against the forge: {e}"))
    })
}

/// What `adoptbot plan --forge` says about the branch rules.
fn plan_rule_warnings(which: AuditForge, bot: &str) -> Result<Vec<String>, String> {
    if which == AuditForge::Local {
        return Ok(vec![
            "the local forge has no branch rules: nothing protects `adoptbot/audit` but access to the repository".into(),
        ]);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        use crate::forge::Forge;
        let forge = crate::forge::github::GitHub::from_env(bot).map_err(|e| e.to_string())?;
        let (default, _) = forge.default_branch().await.map_err(|e| e.to_string())?;
        match super::audit::rule_warnings(&forge, &default).await {
            Ok(Some(w)) => Ok(w),
            Ok(None) => Ok(vec![
                "the token cannot read the branch rules (it needs Administration: read, or a public repository): they were not checked".into(),
            ]),
            Err(e) => Err(format!("reading the branch rules: {e}")),
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `--cloud` of `report`: a source, or `none`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudArg(pub Option<super::cloud::CloudSource>);

/// `none` is no cloud; anything else a [`super::cloud::CloudSource`].
fn parse_cloud(s: &str) -> Result<CloudArg, String> {
    if s == "none" {
        return Ok(CloudArg(None));
    }
    s.parse()
        .map(|c| CloudArg(Some(c)))
        .map_err(|e: String| e.replace(" or `snapshot:DIR`", ", `snapshot:DIR` or `none`"))
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date: write YYYY-MM-DD, e.g. 2026-11-27"))
}

/// Today, from the system clock: the only place the command line reads it.
fn today() -> NaiveDate {
    super::clock::system().today
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ADOPTBOT_LOG")
        .unwrap_or_else(|_| default_level.into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // `ADOPTBOT_LOG_FORMAT=json`: one JSON object per line, with the span's fields.
    if std::env::var("ADOPTBOT_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().with_current_span(true).init();
    } else {
        logs.init();
    }
    match run(cli.command) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("adoptbot: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Runs a command. `Err` is a failure to run at all (exit 2); problems found in the
/// repository are reported and give exit 1.
pub fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Serve(args) => {
            super::serve::main(args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchServe(args) => super::serve::bench::run(&args),
        Command::Healthcheck { url } => {
            let url = url.unwrap_or_else(|| {
                let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
                format!("http://127.0.0.1:{port}/healthz")
            });
            match super::serve::healthcheck(&url) {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(e) => {
                    eprintln!("adoptbot: unhealthy: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Audit {
            dir,
            git,
            rev,
            format,
            forge,
            bot,
        } => {
            let path = git
                .or(dir)
                .ok_or("name a clone of the adoption repository, or --git REPO")?;
            let history = crate::load::history::read(&path, &rev)?;
            let mut entries = report::audit::trail(&history.changes, &history.records);
            if let Some(which) = forge {
                let checked = verify_on_forge(which, &path, &bot)?;
                for w in &checked.warnings {
                    eprintln!("warning: {w}");
                }
                if !checked.findings.is_empty() {
                    entries.push(report::audit::Entry {
                        change: None,
                        record: None,
                        findings: checked.findings,
                    });
                }
            }
            match format {
                Format::Text => {
                    print!(
                        "{}",
                        report::audit::text(&entries, &format!("{} at {rev}", path.display()))
                    );
                    for p in &history.problems {
                        println!("note: {p}");
                    }
                    if forge.is_none() {
                        println!(
                            "note: the records were read from git and not checked against the forge: who made them is not verified; run with --forge github (or --forge local) to check them"
                        );
                    }
                }
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "entries": entries,
                        "problems": history.problems,
                    }))
                    .map_err(|e| e.to_string())?
                ),
            }
            Ok(exit(entries.iter().any(|e| !e.findings.is_empty())))
        }
        Command::Cloud {
            source,
            cloud,
            format,
        } => {
            let snap = source.snapshot()?;
            let loaded = crate::load::load(&snap);
            let adoption = loaded
                .repo
                .adoption
                .as_ref()
                .ok_or("adoption.yaml is missing or does not load; run `adoptbot validate`")?;
            let scopes = adoption.value.azure.as_ref().ok_or_else(|| {
                format!(
                    "{}: no `azure:` section; add azure.tenant_id, azure.subscriptions and azure.regions",
                    adoption.path
                )
            })?;
            print!(
                "{}",
                super::cloud::run(scopes, &cloud, format == Format::Json)?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            source,
            format,
            now,
        } => {
            let snap = source.snapshot()?;
            let analysis = crate::analyse(&snap, now.unwrap_or_else(today))
                .map_err(|d| report::text::diagnostics(&d))?;
            let diags = &analysis.evaluation.diagnostics;
            match format {
                Format::Text => print!("{}", report::text::diagnostics(diags)),
                Format::Json => println!("{}", report::json::validate(diags)),
            }
            let code = exit(diags.iter().any(|d| d.is_error()));
            // The process ends here: the system takes the memory back at once, where freeing
            // every document of a large repository one by one took a tenth of the run.
            std::mem::forget(analysis);
            std::mem::forget(snap);
            Ok(code)
        }
        Command::Plan {
            source,
            now,
            format,
            forge,
            bot,
        } => {
            if let Some(which) = forge {
                for w in plan_rule_warnings(which, &bot)? {
                    eprintln!("warning: {w}");
                }
            }
            let snap = source.snapshot()?;
            let analysis = crate::analyse(&snap, now.unwrap_or_else(today))
                .map_err(|d| report::text::diagnostics(&d))?;
            let clock = crate::model::Clock::at(now.unwrap_or_else(today));
            let actions = crate::plan::offline(&snap, &analysis, clock);
            match format {
                Format::Text => print!("{}", report::text::plan(&analysis.evaluation, &actions)),
                Format::Json => println!("{}", report::json::plan(&analysis.evaluation, &actions)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { out, check } => schema(&out, check),
        Command::Init { dir, now } => super::init::run(&dir, now.unwrap_or_else(today)),
        Command::DeployPlan {
            base,
            head,
            format,
            git,
        } => {
            let plan = super::deploy::plan(&git, &base, &head)?;
            match format {
                Format::Text => print!("{}", crate::plan::deploy::text(&plan)),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&plan).map_err(|e| e.to_string())?
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Pr { command, repo, now } => {
            let clock = match now {
                Some(day) => crate::model::Clock::at(day),
                None => super::clock::system(),
            };
            super::pr::run(&repo, &command, clock)
        }
        Command::Bench(args) => super::bench::run(&args),
        Command::Demo { keep } => super::demo::run(keep.as_deref()).map(|()| ExitCode::SUCCESS),
        Command::Reconcile { dir, repo, now } => {
            reconcile(dir.as_deref(), repo.as_deref(), now.unwrap_or_else(today))
        }
        Command::Report {
            dir,
            repo,
            now,
            cloud,
            dry_run,
            format,
        } => report(
            &ReportArgs {
                dir: dir.as_deref(),
                repo: repo.as_deref(),
                cloud: cloud.map(|c| c.0),
                dry_run,
                json: format == Format::Json,
            },
            now.unwrap_or_else(today),
        ),
        Command::Action => {
            let applied = super::action::run(super::clock::system())?;
            print_applied(&applied);
            Ok(ExitCode::SUCCESS)
        }
        Command::Render {
            dir,
            experiment,
            flavour,
            out,
            now,
        } => render(
            &dir,
            experiment.as_deref(),
            flavour,
            out.as_deref(),
            now.unwrap_or_else(today),
        ),
    }
}

/// `adoptbot schema`: writes the schemas into `out`, or with `check` compares them.
fn schema(out: &std::path::Path, check: bool) -> Result<ExitCode, String> {
    let files = super::init::schema_files()?;
    let mut problems = Vec::new();
    for (file, text) in &files {
        let path = out.join(file);
        if check {
            match std::fs::read_to_string(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    problems.push(format!("missing: {}", path.display()))
                }
                Ok(t) if t == *text => {}
                _ => problems.push(format!("stale: {}", path.display())),
            }
        } else {
            std::fs::create_dir_all(out)
                .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    if check {
        for p in &problems {
            eprintln!("{p}");
        }
        if problems.is_empty() {
            println!(
                "{} schemas in {} are up to date",
                files.len(),
                out.display()
            );
        } else {
            eprintln!(
                "run `adoptbot schema --out {}` and commit the result",
                out.display()
            );
        }
    } else {
        println!("wrote {} schemas to {}", files.len(), out.display());
    }
    Ok(exit(!problems.is_empty()))
}

/// `adoptbot render`: every experiment that is not closed, or the one named.
fn render(
    dir: &std::path::Path,
    only: Option<&str>,
    flavour: Option<Flavour>,
    out: Option<&std::path::Path>,
    today: NaiveDate,
) -> Result<ExitCode, String> {
    use crate::evaluate::Lifecycle;
    let snap = crate::load::dir::read_dir(dir)?;
    let analysis = crate::analyse(&snap, today).map_err(|d| report::text::diagnostics(&d))?;
    let repo = &analysis.loaded.repo;
    let flavour = flavour
        .or_else(|| repo.adoption.as_ref().map(|a| a.iac_flavour))
        .unwrap_or_default();
    let catalogue = crate::blueprint_facts(repo)
        .catalogue
        .ok_or("the built-in blueprints failed their own checks; this is a bug in adoptbot")?;
    if let Some(id) = only
        && !repo.experiments.contains_key(id)
    {
        let known: Vec<_> = repo.experiments.keys().map(|k| k.to_string()).collect();
        return Err(format!(
            "there is no experiment `{id}` in {}; experiments: {}",
            dir.display(),
            known.join(", ")
        ));
    }
    let out = out.unwrap_or(dir);
    let mut problems = Vec::new();
    let (mut rendered, mut skipped) = (0, 0);
    for state in &analysis.evaluation.experiments {
        if only.is_some_and(|o| o != state.id.as_str()) {
            continue;
        }
        if only.is_none() && state.lifecycle == Lifecycle::Closed {
            skipped += 1;
            continue;
        }
        let mine: Vec<_> = analysis
            .evaluation
            .diagnostics
            .iter()
            .filter(|d| d.is_error() && d.place.file == state.path)
            .cloned()
            .collect();
        if !mine.is_empty() {
            problems.extend(mine);
            continue;
        }
        let doc = &repo.experiments[&state.id];
        match crate::render::render_experiment(&catalogue, &state.id, doc, flavour, today) {
            Ok(files) => {
                for f in files {
                    let path = out.join(&f.path);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                    }
                    std::fs::write(&path, &f.content)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    println!("wrote {}", path.display());
                }
                rendered += 1;
            }
            Err(ds) => problems.extend(ds),
        }
    }
    if !problems.is_empty() {
        print!("{}", report::text::diagnostics(&problems));
    }
    let closed = if skipped > 0 {
        format!(", {skipped} closed skipped")
    } else {
        String::new()
    };
    println!(
        "rendered {} in {flavour}{closed}",
        crate::plan::count(rendered, "experiment", "experiments")
    );
    Ok(exit(!problems.is_empty()))
}

/// `adoptbot reconcile DIR|--repo OWNER/NAME`: the default-branch steps, on the local forge
/// or on GitHub.
fn reconcile(
    dir: Option<&std::path::Path>,
    repo: Option<&str>,
    today: NaiveDate,
) -> Result<ExitCode, String> {
    use super::reconcile;
    use crate::forge::Forge;
    use crate::model::Clock;
    use crate::model::event::Event;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let clock = Clock::at(today);
    let (applied, calls) = match (dir, repo) {
        (Some(dir), _) => {
            let forge = crate::forge::local::LocalForge::open(dir, "adoptbot[bot]")
                .map_err(|e| e.to_string())?;
            forge.set_clock(clock);
            let applied = rt
                .block_on(reconcile::run(&forge, &Event::Schedule, clock))
                .map_err(|e| e.to_string())?;
            (applied, forge.calls())
        }
        (None, Some(repo)) => rt.block_on(async {
            let bot =
                std::env::var("ADOPTBOT_BOT_LOGIN").unwrap_or_else(|_| "adoptbot[bot]".into());
            let forge = crate::forge::github::GitHub::from_vars(&bot, |name| {
                if name == "GITHUB_REPOSITORY" {
                    Some(repo.to_string())
                } else {
                    std::env::var(name).ok()
                }
            })
            .map_err(|e| e.to_string())?;
            let applied = reconcile::run(&forge, &Event::Schedule, clock)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((applied, forge.calls()))
        })?,
        (None, None) => return Err("name a directory, or --repo OWNER/NAME".into()),
    };
    print_applied(&applied);
    println!("{} reads, {} writes", calls.reads, calls.writes);
    Ok(ExitCode::SUCCESS)
}

/// What `adoptbot report` was asked.
struct ReportArgs<'a> {
    dir: Option<&'a std::path::Path>,
    repo: Option<&'a str>,
    /// `None`: as adoption.yaml says; `Some(None)`: no cloud.
    cloud: Option<Option<super::cloud::CloudSource>>,
    dry_run: bool,
    json: bool,
}

/// `adoptbot report`: the default-branch steps and the scheduled report, on the local forge
/// or on GitHub, through the forge or (`--dry-run`) printing the writes only.
fn report(args: &ReportArgs<'_>, today: NaiveDate) -> Result<ExitCode, String> {
    use crate::model::Clock;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let clock = Clock::at(today);
    let bar = progress_bar(args.json);
    let progress = |api: crate::cloud::Api, what: &str| {
        if let Some(b) = &bar {
            b.set_message(format!("{api}: {what}"));
            b.tick();
        }
    };
    let choice = args.cloud.clone();
    let choose = move |scopes: Option<&crate::model::AzureScopes>| {
        let source = match choice {
            Some(c) => c,
            None => scopes.map(|_| super::cloud::CloudSource::Azure),
        };
        source
            .map(|s| super::cloud::AnyCloud::open(&s, scopes.map(|a| a.tenant_id.as_str())))
            .transpose()
    };
    let done = match (args.dir, args.repo) {
        (Some(dir), _) => {
            let forge = crate::forge::local::LocalForge::open(dir, "adoptbot[bot]")
                .map_err(|e| e.to_string())?;
            forge.set_clock(clock);
            rt.block_on(report_on(&forge, choose, clock, &progress, args.dry_run))
        }
        (None, Some(repo)) => rt.block_on(async {
            let bot =
                std::env::var("ADOPTBOT_BOT_LOGIN").unwrap_or_else(|_| "adoptbot[bot]".into());
            let forge = crate::forge::github::GitHub::from_vars(&bot, |name| {
                if name == "GITHUB_REPOSITORY" {
                    Some(repo.to_string())
                } else {
                    std::env::var(name).ok()
                }
            })
            .map_err(|e| e.to_string())?;
            report_on(&forge, choose, clock, &progress, args.dry_run).await
        }),
        (None, None) => return Err("name a directory, or --repo OWNER/NAME".into()),
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (applied, report, calls) = done?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report_json(&applied, &report, calls, args.dry_run))
                .map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", report_text(&report));
        if args.dry_run {
            println!("dry run: these writes were planned and not made");
        }
        print_applied(&applied);
        println!("{} reads, {} writes", calls.reads, calls.writes);
        if let Some(c) = &report.cloud_calls {
            println!("cloud: {} calls, {} retries", c.total(), c.retries);
        }
    }
    let urgent = report
        .scheduled
        .findings
        .iter()
        .any(|f| f.urgency == crate::model::finding::Urgency::ActionNeeded);
    Ok(exit(urgent))
}

type ReportDone = (
    super::outcome::Applied,
    super::handlers::dashboard::Report,
    crate::forge::CallCount,
);

async fn report_on<F: crate::forge::Forge + Sync>(
    forge: &F,
    choose: impl super::handlers::dashboard::ChooseCloud<super::cloud::AnyCloud>,
    clock: crate::model::Clock,
    progress: super::cloud::Progress<'_>,
    dry_run: bool,
) -> Result<ReportDone, String> {
    use super::handlers::dashboard;
    use crate::forge::Forge as _;
    if dry_run {
        let dry = super::dry_run::DryRun::new(forge);
        let (a, r) = dashboard::run(&dry, choose, clock, progress)
            .await
            .map_err(|e| e.to_string())?;
        Ok((a, r, dry.calls()))
    } else {
        let (a, r) = dashboard::run(forge, choose, clock, progress)
            .await
            .map_err(|e| e.to_string())?;
        Ok((a, r, forge.calls()))
    }
}

/// A spinner on stderr, only on a terminal, outside CI, and not for JSON.
fn progress_bar(json: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if json || std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_message("reading the repository");
    Some(bar)
}

/// The findings, by section, for a terminal.
pub fn report_text(report: &super::handlers::dashboard::Report) -> String {
    use crate::plan::dashboard::Section;
    use std::fmt::Write as _;
    let mut out = String::new();
    let findings = &report.scheduled.findings;
    if findings.is_empty() {
        out.push_str("no findings\n");
    }
    for s in Section::ALL {
        let here: Vec<_> = findings.iter().filter(|f| Section::of(f) == s).collect();
        if here.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{} ({}):", s.heading(), here.len());
        for f in here {
            let _ = writeln!(out, "  {}  {}", f.key, f.title);
        }
    }
    for p in &report.scheduled.pulls {
        let _ = writeln!(out, "wants PR {}: {} ({})", p.branch(), p.title, p.reason);
    }
    if !report.cloud_read {
        out.push_str("cloud: not read\n");
    }
    if let Some(n) = report.dashboard {
        let _ = writeln!(out, "dashboard: #{n}");
    }
    out
}

fn report_json(
    applied: &super::outcome::Applied,
    report: &super::handlers::dashboard::Report,
    calls: crate::forge::CallCount,
    dry_run: bool,
) -> serde_json::Value {
    let w = |w: &super::outcome::Written| {
        serde_json::json!({
            "kind": format!("{:?}", w.kind),
            "subject": w.subject.to_string(),
            "key": w.key,
            "detail": w.detail,
        })
    };
    serde_json::json!({
        "dry_run": dry_run,
        "findings": report.scheduled.findings,
        "pulls": report.scheduled.pulls.iter().map(|p| serde_json::json!({
            "branch": p.branch(), "title": p.title, "reason": p.reason,
        })).collect::<Vec<_>>(),
        "observation": report.scheduled.observation,
        "cloud_read": report.cloud_read,
        "dashboard": report.dashboard,
        "writes": applied.writes.iter().map(w).collect::<Vec<_>>(),
        "refused": applied.refused.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "notes": applied.notes,
        "calls": { "github": calls, "cloud": report.cloud_calls },
    })
}

fn print_applied(applied: &super::outcome::Applied) {
    for w in &applied.writes {
        println!("{w}");
    }
    for r in &applied.refused {
        println!("refused: {r}");
    }
    for n in &applied.notes {
        println!("note: {n}");
    }
    if applied.writes.is_empty() {
        println!("nothing to write");
    }
}

fn exit(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
