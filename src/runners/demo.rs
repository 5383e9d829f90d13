//! `adoptbot demo`: a month of Contoso's adoption, played on the local forge in a scratch
//! repository built from the embedded sample. No network, no credentials. Every PR, comment
//! and check the bot writes is printed as it happens.

use super::error::Error;
use super::handlers::Ctx;
use super::outcome::Applied;
use super::reconcile::run_targets;
use crate::forge::local::LocalForge;
use crate::forge::{FileChange, Forge, ForgeResult};
use crate::model::Clock;
use crate::model::event::CommentInfo;
use crate::plan::targets::Target;
use chrono::NaiveDate;
use include_dir::{Dir, include_dir};
use std::path::Path;

/// The sample adoption repository, embedded so the demo runs from any folder.
static CONTOSO: Dir = include_dir!("$CARGO_MANIFEST_DIR/examples/contoso");

const BOT: &str = "adoptbot[bot]";

const REQUEST: &str = "# yaml-language-server: $schema=../../../docs/schema/experiment.schema.json
title: Fraud rules distillation
team: fraud-analytics
owner: ivan-novak
hypothesis: A distilled model catches 95% of what the hand-written rules catch, at a tenth of the review time.
success_criteria:
  - { metric: recall_vs_rules, comparator: \">=\", target: 0.95 }
  - { metric: p99_latency_ms, comparator: \"<=\", target: 300, unit: ms }
next_step: Shadow-run it next to the rules engine for a month.
time_box: 3w
cost_cap: 1500 USD
cost_tag: exp-fraud-distill
blueprint: azure-openai
parameters:
  location: swedencentral
  chat_model: gpt-4o-mini
  expected_monthly_token_spend_usd: 300
  address_space: 10.63.8.0/24
  endpoint_subnet: 10.63.8.0/27
";

fn write_tree(dir: &Dir, root: &Path) -> std::io::Result<()> {
    for f in dir.files() {
        let p = root.join(f.path());
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, f.contents())?;
    }
    for d in dir.dirs() {
        write_tree(d, root)?;
    }
    Ok(())
}

/// Writes the embedded sample into `root` as a git repository with one commit on `main`.
pub fn scratch_repository(root: &Path) -> Result<(), String> {
    write_tree(&CONTOSO, root)
        .map_err(|e| format!("cannot write the sample to {}: {e}", root.display()))?;
    let git = |e: git2::Error| format!("git: {}", e.message());
    let repo = git2::Repository::init_opts(
        root,
        git2::RepositoryInitOptions::new().initial_head("main"),
    )
    .map_err(git)?;
    let mut index = repo.index().map_err(git)?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(git)?;
    index.write().map_err(git)?;
    let tree = repo
        .find_tree(index.write_tree().map_err(git)?)
        .map_err(git)?;
    let sig = git2::Signature::new(
        "Contoso platform team",
        "platform@contoso.com",
        &git2::Time::new(1_764_000_000, 0),
    )
    .map_err(git)?;
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "Contoso adoption repository",
        &tree,
        &[],
    )
    .map_err(git)?;
    Ok(())
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn user(login: &str) -> crate::model::event::User {
    crate::model::event::User {
        login: login.into(),
        id: 1,
    }
}

/// A person's pull request, to reconcile: what a webhook about it would name.
fn pull(number: u64) -> Vec<Target> {
    vec![Target::Pull { number, seen: None }]
}

/// A scheduled run on the default branch.
fn schedule() -> Vec<Target> {
    vec![Target::default_branch()]
}

/// Prints what the bot wrote in a step: the writes, then every new comment and check.
fn show(
    forge: &LocalForge,
    applied: &Applied,
    seen: &mut (usize, usize, usize),
) -> ForgeResult<()> {
    for w in &applied.writes {
        println!("  bot: {w}");
    }
    let comments = forge.all_comments()?;
    for rec in comments.iter().skip(seen.0) {
        let (issue, c) = (rec.issue, &rec.comment);
        println!("\n  ┌ comment on #{issue} by @{}", c.author);
        let body = c.body.split("<details>").next().unwrap_or(&c.body);
        for line in body.lines().filter(|l| !l.starts_with("<!-- adoptbot:")) {
            println!("  │ {line}");
        }
        if c.body.contains("<details>") {
            println!("  │ (rendered IaC in a collapsed block)");
        }
        println!("  └");
    }
    let checks = forge.check_runs_all()?;
    for rec in checks.iter().skip(seen.1) {
        let c = &rec.run;
        println!(
            "\n  check `{}` on {}: {}: {}",
            c.name,
            &c.head_sha[..7.min(c.head_sha.len())],
            c.conclusion
                .map(|x| format!("{x:?}").to_lowercase())
                .unwrap_or_default(),
            c.title
        );
        for a in &rec.annotations {
            println!(
                "    {}:{}: {}: {}",
                a.path,
                a.start_line,
                a.title,
                a.message.lines().next().unwrap_or_default()
            );
        }
    }
    let pulls = forge.pulls()?;
    for rec in pulls.iter().skip(seen.2) {
        let p = &rec.pull;
        println!(
            "\n  PR #{} `{}` -> `{}` by @{}: {}",
            p.number, p.head_branch, p.base_branch, p.author, p.title
        );
        for line in p
            .body
            .lines()
            .filter(|l| !l.starts_with("<!-- adoptbot:"))
            .take(12)
        {
            println!("  │ {line}");
        }
    }
    *seen = (comments.len(), checks.len(), pulls.len());
    if applied.writes.is_empty() {
        println!("  bot: nothing to write");
    }
    println!();
    Ok(())
}

/// Reconciles `targets` on `date`, as the loop does for a trigger, and shows what the bot
/// wrote.
async fn deliver(
    forge: &LocalForge,
    targets: &[Target],
    date: &str,
    seen: &mut (usize, usize, usize),
) -> Result<(), Error> {
    let clock = Clock::at(day(date));
    forge.set_clock(clock);
    let mut ctx = Ctx::new(forge, clock);
    run_targets(&mut ctx, targets).await?;
    Ok(show(forge, &ctx.applied, seen)?)
}

/// The scheduled report on the sample estate (`cloud/` of the sample, read by the snapshot
/// adapter): what it finds, the PRs it opens, the day's observation and the dashboard issue;
/// then the same run again, which writes nothing.
async fn scheduled_report(
    forge: &LocalForge,
    seen: &mut (usize, usize, usize),
    root: &Path,
    date: &str,
    runs: &[&str],
) -> Result<(), Error> {
    use super::handlers::dashboard;
    let clock = Clock::at(day(date));
    forge.set_clock(clock);
    let estate = root.join("cloud");
    for what in runs {
        println!("== {date}  {what}");
        let dir = estate.clone();
        let choose = move |_: Option<&crate::model::AzureScopes>| {
            crate::cloud::snapshot::SnapshotCloud::open(dir).map(Some)
        };
        let quiet = |_: crate::cloud::Api, _: &str| {};
        let (applied, report) = dashboard::run(forge, choose, clock, &quiet).await?;
        for line in super::cli::report_text(&report).lines() {
            println!("  {line}");
        }
        show(forge, &applied, seen)?;
        if applied.of(super::outcome::WriteKind::CreateIssue).len()
            + applied.of(super::outcome::WriteKind::UpdateIssue).len()
            > 0
        {
            println!("  ┌ the dashboard issue");
            for line in report
                .body
                .lines()
                .filter(|l| !l.starts_with("<!-- adoptbot"))
            {
                println!("  │ {line}");
            }
            println!("  └\n");
        }
    }
    Ok(())
}

/// November's observations of the sample estate (`cloud/observations/`), as November's
/// scheduled runs wrote them to `adoptbot/observations`, one bot commit a day: the history
/// the GPU-hoarding rule needs (30 days of samples).
async fn november_observations(forge: &LocalForge, root: &Path) -> Result<(), Error> {
    use crate::plan::dashboard::{observation_message, observation_path};
    let dir = root.join("cloud/observations");
    let mut days: Vec<(chrono::NaiveDate, String)> = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .map_err(|e| Error::Record {
            what: dir.display().to_string(),
            why: e.to_string(),
        })?
        .flatten()
    {
        let path = entry.path();
        let Some(d) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse().ok())
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Record {
            what: path.display().to_string(),
            why: e.to_string(),
        })?;
        days.push((d, text));
    }
    days.sort();
    let branch = crate::plan::branch::BotBranch::Observations.to_string();
    let (_, mut parent) = forge.default_branch().await?;
    for (d, text) in days {
        forge.set_clock(Clock::at(d));
        let files = [FileChange {
            path: observation_path(d),
            content: Some(text.clone()),
        }];
        parent = forge
            .commit_to_branch(&branch, &parent, &observation_message(d, &text), &files)
            .await?;
    }
    Ok(())
}

/// The gate from phase 4 to phase 5: the request, a refused command, the three roles'
/// approvals, the merge, and the audit trail it leaves.
async fn gate_request(
    forge: &LocalForge,
    seen: &mut (usize, usize, usize),
    root: &Path,
) -> Result<(), Error> {
    let step = |date: &str, what: &str| println!("== {date}  {what}");
    let date = "2026-12-14";
    forge.set_team(
        "contoso",
        "security-architecture",
        &["priya-raman", "lena-fischer"],
    )?;
    let (_, main) = forge.default_branch().await?;
    let snap = forge.snapshot(&main).await?;
    let text = |p: &str| {
        snap.contents
            .get(p)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let use_case = "use-cases/search-semantic-ranking.yaml";
    let files = [
        FileChange {
            path: "adoption.yaml".into(),
            content: Some(
                text("adoption.yaml")
                    .replace("phase: experimentation", "phase: scale-and-governance"),
            ),
        },
        FileChange {
            path: use_case.into(),
            content: Some(
                text(use_case)
                    + "cost_review: { reviewed_by: sofia-lindqvist, reviewed_on: 2026-12-10 }\n",
            ),
        },
    ];
    step(
        date,
        "@akira-kimura opens the gate request to phase 5, with the missing cost review",
    );
    forge.commit_as(
        "gate/phase-5",
        Some(&main),
        "Akira Kimura",
        "akira.kimura@contoso.com",
        "Advance to phase 5: scale and governance",
        &files,
    )?;
    let pr = forge.open_pull_as(
        "akira-kimura",
        "gate/phase-5",
        "main",
        "Gate 4-5: scale and governance",
        "Two use cases are validated with production estimates and reviewed costs.",
    )?;
    deliver(forge, &pull(pr.number), date, seen).await?;

    step(
        date,
        "@mallory, who may only read, comments `/adoptbot recheck`",
    );
    let comment = |who: &str, body: &str| {
        vec![Target::Command {
            issue: pr.number,
            on_pull: true,
            comment: CommentInfo {
                id: 9000 + body.len() as u64,
                user: user(who),
                body: body.into(),
            },
        }]
    };
    deliver(forge, &comment("mallory", "/adoptbot recheck"), date, seen).await?;
    step(date, "@mallory tries again: no second refusal");
    deliver(forge, &comment("mallory", "/adoptbot rerender"), date, seen).await?;

    for who in ["maria-hernandez", "sofia-lindqvist", "lena-fischer"] {
        step(date, &format!("@{who} approves"));
        let head = forge.pull(pr.number).await?.head_sha;
        forge.review_as(
            who,
            pr.number,
            crate::model::forge::ReviewState::Approved,
            &head,
        )?;
        deliver(forge, &pull(pr.number), date, seen).await?;
    }

    step(
        date,
        "@maria-hernandez merges the gate request: the verdict goes on the audit trail",
    );
    forge.merge_pull(pr.number, "maria-hernandez")?;
    deliver(forge, &pull(pr.number), date, seen).await?;

    step(date, "`adoptbot audit`: what an auditor is shown");
    let history = crate::load::history::read(root, "main").map_err(|why| Error::Record {
        what: "the audit trail".into(),
        why,
    })?;
    let entries = crate::report::audit::trail(&history.changes, &history.records);
    for line in crate::report::audit::text(&entries, "main").lines() {
        println!("  {line}");
    }
    println!();
    Ok(())
}

pub fn run(keep: Option<&Path>) -> Result<(), String> {
    let tmp;
    let root = match keep {
        Some(p) => {
            if p.exists() {
                return Err(format!(
                    "{} exists; name a new folder for --keep",
                    p.display()
                ));
            }
            p.to_path_buf()
        }
        None => {
            tmp = std::env::temp_dir().join(format!("adoptbot-demo-{}", std::process::id()));
            tmp.clone()
        }
    };
    scratch_repository(&root)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = rt.block_on(play(&root)).map_err(|e| e.to_string());
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        let d = root.display();
        println!(
            "The scratch repository is in {d}; its PRs, comments and checks are in .git/adoptbot/state.json.\n\
             Try next:\n\
             \x20 adoptbot pr list --repo {d}\n\
             \x20 adoptbot pr show 1 --repo {d}\n\
             \x20 adoptbot pr merge N --repo {d}      # an open PR from the list; the bot follows up\n\
             \x20 adoptbot deploy-plan --git {d} --base main~1 --head main\n\
             \x20 adoptbot plan {d}\n\
             \x20 adoptbot audit {d}"
        );
    }
    result
}

async fn play(root: &Path) -> Result<(), Error> {
    let forge = LocalForge::open(root, BOT)?;
    let mut seen = (0, 0, 0);
    println!(
        "adoptbot demo: a month of Contoso's AI adoption, on a local forge in {}\n",
        root.display()
    );

    let step = |date: &str, what: &str| println!("== {date}  {what}");
    let (_, main) = forge.default_branch().await?;
    step(
        "2026-11-27",
        "the scheduled run on main: the sample's backlog",
    );
    deliver(&forge, &schedule(), "2026-11-27", &mut seen).await?;

    step(
        "2026-11-27",
        "@ivan-novak opens a request PR for `fraud-distill`, with a 3-week time box",
    );
    let files = [FileChange {
        path: "experiments/fraud-distill.yaml".into(),
        content: Some(REQUEST.into()),
    }];
    forge.commit_as(
        "request/fraud-distill",
        Some(&main),
        "Ivan Novak",
        "ivan.novak@contoso.com",
        "Request the fraud-distill experiment",
        &files,
    )?;
    let pr = forge.open_pull_as(
        "ivan-novak",
        "request/fraud-distill",
        "main",
        "Experiment: fraud rules distillation",
        "Distil the fraud rules into a model.",
    )?;
    deliver(&forge, &pull(pr.number), "2026-11-27", &mut seen).await?;

    step("2026-11-27", "the same event is delivered again");
    deliver(&forge, &pull(pr.number), "2026-11-27", &mut seen).await?;

    step(
        "2026-11-27",
        "@ivan-novak pushes a fix: a standard 2-week time box",
    );
    let files = [FileChange {
        path: "experiments/fraud-distill.yaml".into(),
        content: Some(REQUEST.replace("time_box: 3w", "time_box: 2w")),
    }];
    forge.commit_as(
        "request/fraud-distill",
        None,
        "Ivan Novak",
        "ivan.novak@contoso.com",
        "Use a standard time box",
        &files,
    )?;
    deliver(&forge, &pull(pr.number), "2026-11-27", &mut seen).await?;

    step(
        "2026-11-27",
        "@akira-kimura, the team's lead, merges the request",
    );
    forge.merge_pull(pr.number, "akira-kimura")?;
    deliver(&forge, &pull(pr.number), "2026-11-27", &mut seen).await?;

    step("2026-11-28", "the platform team merges the provisioning PR");
    use crate::plan::branch::{BotBranch, PullKind};
    let prov: Vec<_> = forge
        .pulls_by_branch_prefix(&BotBranch::prefix_of(PullKind::Provision))
        .await?
        .into_iter()
        .filter(|p| {
            BotBranch::parse(&p.head_branch)
                .and_then(|b| b.experiment().map(|e| e.as_str() == "fraud-distill"))
                .unwrap_or(false)
        })
        .collect();
    if let Some(p) = prov.last() {
        forge.merge_pull(p.number, "akira-kimura")?;
    }
    deliver(&forge, &schedule(), "2026-11-28", &mut seen).await?;

    step(
        "2026-11-30",
        "November's scheduled reports have kept 30 days of observations on `adoptbot/observations`",
    );
    november_observations(&forge, root).await?;
    scheduled_report(
        &forge,
        &mut seen,
        root,
        "2026-12-01",
        &[
            "the scheduled report reads the sample estate (`--cloud snapshot:cloud`)",
            "the same report again: nothing changed, nothing is written",
        ],
    )
    .await?;

    for (date, what) in [
        (
            "2026-12-08",
            "the scheduled run, three days before the time box ends",
        ),
        ("2026-12-09", "the scheduled run the next day"),
        (
            "2026-12-11",
            "the scheduled run on the day the time box ends",
        ),
    ] {
        step(date, what);
        deliver(&forge, &schedule(), date, &mut seen).await?;
    }

    step(
        "2026-12-11",
        "the same run again: nothing changed, nothing is written",
    );
    deliver(&forge, &schedule(), "2026-12-11", &mut seen).await?;

    gate_request(&forge, &mut seen, root).await?;

    scheduled_report(
        &forge,
        &mut seen,
        root,
        "2026-12-16",
        &["the scheduled report: the sandbox has now been idle for 30 days"],
    )
    .await?;

    let calls = forge.calls();
    println!(
        "Forge calls in the whole month: {} reads, {} writes.",
        calls.reads, calls.writes
    );
    Ok(())
}
