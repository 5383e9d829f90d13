//! The `adoptbot` command line.

use super::source::SourceArgs;
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
    /// Show the findings and the actions the bot would take: comments, checks, PRs.
    Plan {
        #[command(flatten)]
        source: SourceArgs,
        /// Evaluate as of this day instead of today (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        now: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write the JSON Schemas of every document kind, for editors.
    Schema {
        /// The folder to write to.
        #[arg(long, default_value = "docs/schema")]
        out: PathBuf,
        /// Do not write; exit 1 if the files there differ from what would be written.
        #[arg(long)]
        check: bool,
    },
    /// Measure loading and evaluation on a generated repository against a bare parse.
    Bench(super::bench::BenchArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date: write YYYY-MM-DD, e.g. 2026-11-27"))
}

/// Today, from the system clock: the only place the command line reads it.
fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ADOPTBOT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
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
            Ok(exit(diags.iter().any(|d| d.is_error())))
        }
        Command::Plan {
            source,
            now,
            format,
        } => {
            let snap = source.snapshot()?;
            let analysis = crate::analyse(&snap, now.unwrap_or_else(today))
                .map_err(|d| report::text::diagnostics(&d))?;
            let actions = crate::plan::plan(&analysis.evaluation);
            match format {
                Format::Text => print!("{}", report::text::plan(&analysis.evaluation, &actions)),
                Format::Json => println!("{}", report::json::plan(&analysis.evaluation, &actions)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { out, check } => {
            let mut stale = Vec::new();
            for (file, schema) in crate::model::schema::all() {
                let path = out.join(file);
                let text = format!(
                    "{}\n",
                    serde_json::to_string_pretty(&schema).map_err(|e| e.to_string())?
                );
                if check {
                    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                        stale.push(path.display().to_string());
                    }
                } else {
                    std::fs::create_dir_all(&out)
                        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
                    std::fs::write(&path, text)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                }
            }
            for s in &stale {
                eprintln!("stale: {s}");
            }
            if !stale.is_empty() {
                eprintln!(
                    "run `adoptbot schema --out {}` and commit the result",
                    out.display()
                );
            }
            Ok(exit(!stale.is_empty()))
        }
        Command::Bench(args) => super::bench::run(&args),
    }
}

fn exit(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
