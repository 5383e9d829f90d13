//! `adoptbot pr list|open|show N|merge N|close N [--repo DIR]`: the pull requests of the local
//! forge, seen and merged from a terminal. A merge is recorded as the forge records it (a
//! fast-forward, or a merge commit), the checked-out work tree follows the base branch, and
//! then the bot's follow-up runs as it does on GitHub after a merge.

use super::handlers::Ctx;
use super::outcome::Applied;
use super::reconcile::run_targets;
use crate::forge::local::LocalForge;
use crate::forge::{Forge, PrState, PullRequest};
use crate::model::Clock;
use crate::plan::targets::Target;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// The login the bot acts as on the local forge.
pub const BOT: &str = "adoptbot[bot]";

#[derive(Debug, Clone, clap::Subcommand)]
pub enum PrCommand {
    /// Every pull request: number, state, branches, title.
    List,
    /// Open a pull request from a branch, as a person does on GitHub; the bot then checks it
    /// (an experiment request gets its comment and check, a gate request its checklist).
    Open {
        /// The branch with the changes.
        #[arg(long, value_name = "BRANCH")]
        head: String,
        /// The branch to merge into.
        #[arg(long, value_name = "BRANCH", default_value = "main")]
        base: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        body: String,
        /// Who opens it: a login.
        #[arg(long = "as", value_name = "LOGIN", default_value = "maintainer")]
        by: String,
    },
    /// One pull request: its description, files, comments and checks.
    Show { number: u64 },
    /// Merge an open pull request, then run the bot's follow-up (provisioning PRs, audit).
    Merge {
        number: u64,
        /// Who merges: the login recorded on a merge commit.
        #[arg(long = "as", value_name = "LOGIN", default_value = "maintainer")]
        by: String,
    },
    /// Close an open pull request without merging it.
    Close { number: u64 },
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn state_word(s: PrState) -> &'static str {
    match s {
        PrState::Open => "open",
        PrState::Closed => "closed",
        PrState::Merged => "merged",
    }
}

/// Runs one `pr` command on the local forge at `dir`.
pub fn run(dir: &Path, command: &PrCommand, clock: Clock) -> Result<ExitCode, String> {
    let forge = LocalForge::open(dir, BOT).map_err(|e| e.to_string())?;
    let rt = runtime()?;
    match command {
        PrCommand::List => {
            print!("{}", list(&forge)?);
            Ok(ExitCode::SUCCESS)
        }
        PrCommand::Open {
            head,
            base,
            title,
            body,
            by,
        } => {
            let pull = forge
                .open_pull_as(by, head, base, title, body)
                .map_err(|e| e.to_string())?;
            println!("opened #{}: {title}", pull.number);
            let pull = rt
                .block_on(forge.pull(pull.number))
                .map_err(|e| e.to_string())?;
            let applied = rt.block_on(follow_up(&forge, &pull, clock))?;
            print_applied(&applied);
            Ok(ExitCode::SUCCESS)
        }
        PrCommand::Show { number } => {
            print!("{}", rt.block_on(show(&forge, *number))?);
            Ok(ExitCode::SUCCESS)
        }
        PrCommand::Merge { number, by } => {
            let sha = merge(&forge, dir, *number, by)?;
            println!("merged #{number} into its base: {}", short(&sha));
            after(&rt, &forge, *number, clock)
        }
        PrCommand::Close { number } => {
            forge.close_pull(*number).map_err(|e| e.to_string())?;
            println!("closed #{number}");
            after(&rt, &forge, *number, clock)
        }
    }
}

/// The bot's follow-up of pull request `number`, printed.
fn after(
    rt: &tokio::runtime::Runtime,
    forge: &LocalForge,
    number: u64,
    clock: Clock,
) -> Result<ExitCode, String> {
    let pull = rt.block_on(forge.pull(number)).map_err(|e| e.to_string())?;
    let applied = rt.block_on(follow_up(forge, &pull, clock))?;
    print_applied(&applied);
    Ok(ExitCode::SUCCESS)
}

fn print_applied(applied: &Applied) {
    for w in &applied.writes {
        println!("bot: {w}");
    }
    for n in &applied.notes {
        println!("note: {n}");
    }
    if applied.writes.is_empty() {
        println!("bot: nothing to write");
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// The list of pull requests, one a line.
pub fn list(forge: &LocalForge) -> Result<String, String> {
    let pulls = forge.pulls().map_err(|e| e.to_string())?;
    let mut out = String::new();
    if pulls.is_empty() {
        out.push_str("no pull requests\n");
    }
    for rec in &pulls {
        let p = &rec.pull;
        let _ = writeln!(
            out,
            "#{:<4} {:<7} {} -> {}  {}",
            p.number,
            state_word(p.state),
            p.head_branch,
            p.base_branch,
            p.title
        );
    }
    Ok(out)
}

/// One pull request with its files, comments and checks.
pub async fn show(forge: &LocalForge, number: u64) -> Result<String, String> {
    let p = forge.pull(number).await.map_err(|e| e.to_string())?;
    let files = forge.pull_files(number).await.map_err(|e| e.to_string())?;
    let mut out = String::new();
    let _ = writeln!(out, "#{} {} ({})", p.number, p.title, state_word(p.state));
    let _ = writeln!(
        out,
        "{} ({}) -> {} ({}), opened by @{}",
        p.head_branch,
        short(&p.head_sha),
        p.base_branch,
        short(&p.base_sha),
        p.author
    );
    if let Some(m) = &p.merge_sha {
        let _ = writeln!(out, "merged as {}", short(m));
    }
    let body: Vec<&str> = p
        .body
        .lines()
        .filter(|l| !l.starts_with("<!-- adoptbot:"))
        .collect();
    if !body.is_empty() {
        let _ = writeln!(out, "\n{}", body.join("\n").trim_end());
    }
    let _ = writeln!(out, "\nfiles:");
    for f in &files {
        let _ = writeln!(
            out,
            "  {:<8} {}",
            format!("{:?}", f.status).to_lowercase(),
            f.path
        );
    }
    for c in forge
        .all_comments()
        .map_err(|e| e.to_string())?
        .iter()
        .filter(|c| c.issue == number)
    {
        let _ = writeln!(out, "\ncomment by @{}:", c.comment.author);
        let body = c.comment.body.split("<details>").next().unwrap_or_default();
        for line in body.lines().filter(|l| !l.starts_with("<!-- adoptbot:")) {
            let _ = writeln!(out, "  {line}");
        }
    }
    for rec in forge
        .check_runs_all()
        .map_err(|e| e.to_string())?
        .iter()
        .filter(|r| r.run.head_sha == p.head_sha)
    {
        let c = &rec.run;
        let conclusion = c
            .conclusion
            .map(|x| format!("{x:?}").to_lowercase())
            .unwrap_or_else(|| "pending".into());
        let _ = writeln!(out, "\ncheck {}: {conclusion}: {}", c.name, c.title);
    }
    Ok(out)
}

/// Merges pull request `number` as `by`. When the base branch is checked out in `dir`, the
/// work tree must be clean, and it is brought to the merged commit.
pub fn merge(forge: &LocalForge, dir: &Path, number: u64, by: &str) -> Result<String, String> {
    let rt = runtime()?;
    let pull = rt.block_on(forge.pull(number)).map_err(|e| e.to_string())?;
    let repo = git2::Repository::open(dir)
        .map_err(|e| format!("cannot open {}: {}", dir.display(), e.message()))?;
    let checked_out = !repo.is_bare()
        && repo
            .head()
            .ok()
            .and_then(|h| h.shorthand().ok().map(str::to_owned))
            .is_some_and(|b| b == pull.base_branch);
    if checked_out {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(false).include_ignored(false);
        let dirty = repo
            .statuses(Some(&mut opts))
            .map_err(|e| format!("cannot read the work tree's status: {}", e.message()))?
            .iter()
            .map(|s| s.path().unwrap_or_default().to_owned())
            .collect::<Vec<_>>();
        if !dirty.is_empty() {
            return Err(format!(
                "{} has uncommitted changes ({}); `{}` is checked out there and would move \
                 under them. Commit or stash them, then merge again",
                dir.display(),
                dirty.join(", "),
                pull.base_branch
            ));
        }
    }
    let sha = forge.merge_pull(number, by).map_err(|e| e.to_string())?;
    if checked_out {
        let mut co = git2::build::CheckoutBuilder::new();
        co.force();
        repo.checkout_head(Some(&mut co)).map_err(|e| {
            format!(
                "merged, but the work tree could not be updated: {}; run `git reset --hard`",
                e.message()
            )
        })?;
    }
    Ok(sha)
}

/// The bot's follow-up of a pull request that was just opened, merged or closed, as the
/// loop does for GitHub's deliveries: the pull request, then, for a merge into the default
/// branch, the default branch. Every call into the loop goes through here.
pub async fn follow_up(
    forge: &LocalForge,
    pull: &PullRequest,
    clock: Clock,
) -> Result<Applied, String> {
    let (default_branch, _) = forge.default_branch().await.map_err(|e| e.to_string())?;
    forge.set_clock(clock);
    let mut targets = vec![Target::Pull {
        number: pull.number,
        seen: None,
    }];
    if pull.state == PrState::Merged && pull.base_branch == default_branch {
        targets.push(Target::default_branch());
    }
    let mut ctx = Ctx::new(forge, clock);
    run_targets(&mut ctx, &targets)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ctx.applied)
}
