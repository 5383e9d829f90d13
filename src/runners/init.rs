//! `adoptbot init [DIR]`: scaffolds a new adoption repository that validates clean on the
//! first run: `adoption.yaml` with every setting commented, one team, one experiment request,
//! a first scorecard, the shadow-AI inventory, the two workflows, and the JSON Schemas under
//! `.adoptbot/schema/` that every document names in its `# yaml-language-server` line.
//! Nothing that exists is overwritten.

use chrono::NaiveDate;
use std::path::Path;

/// Where the JSON Schemas live in an adoption repository.
pub const SCHEMA_DIR: &str = ".adoptbot/schema";

const ADOPTION: &str = include_str!("init/adoption.yaml");
const TEAM: &str = include_str!("init/teams/platform.yaml");
const EXPERIMENT: &str = include_str!("init/experiments/first-sandbox.yaml");
const SCORECARD: &str = include_str!("init/scorecard.yaml");
const INVENTORY: &str = include_str!("init/inventory/shadow-ai.yaml");
const WORKFLOW_ADOPTBOT: &str = include_str!("init/workflows/adoptbot.yml");
const WORKFLOW_DEPLOY: &str = include_str!("init/workflows/deploy-infra.yml");
const GITIGNORE: &str = "# Scratch output of `adoptbot render --out`\n/out/\n";

/// The JSON Schema files, `(file name, text)`, exactly as `adoptbot schema` writes them.
pub fn schema_files() -> Result<Vec<(&'static str, String)>, String> {
    crate::report::schema::all()
        .into_iter()
        .map(|(file, schema)| {
            serde_json::to_string_pretty(&schema)
                .map(|t| (file, format!("{t}\n")))
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Every file `init` writes, relative to the repository root, for the day `today`.
pub fn files(today: NaiveDate) -> Result<Vec<(String, String)>, String> {
    let day = today.format("%Y-%m-%d").to_string();
    let fill = |t: &str| t.replace("{{today}}", &day);
    let mut out = vec![
        ("adoption.yaml".to_owned(), ADOPTION.to_owned()),
        ("teams/platform.yaml".to_owned(), TEAM.to_owned()),
        (
            "experiments/first-sandbox.yaml".to_owned(),
            EXPERIMENT.to_owned(),
        ),
        (format!("scorecards/{day}.yaml"), fill(SCORECARD)),
        ("inventory/shadow-ai.yaml".to_owned(), fill(INVENTORY)),
        (
            ".github/workflows/adoptbot.yml".to_owned(),
            WORKFLOW_ADOPTBOT.to_owned(),
        ),
        (
            ".github/workflows/deploy-infra.yml".to_owned(),
            WORKFLOW_DEPLOY.to_owned(),
        ),
        (".gitignore".to_owned(), GITIGNORE.to_owned()),
    ];
    for (file, text) in schema_files()? {
        out.push((format!("{SCHEMA_DIR}/{file}"), text));
    }
    Ok(out)
}

/// What `init` did, or would have done.
#[derive(Debug)]
pub enum Outcome {
    Wrote(Vec<String>),
    /// Nothing was written: these paths exist. The second list is everything it would write.
    Refused {
        existing: Vec<String>,
        planned: Vec<String>,
    },
}

/// Writes the scaffold into `dir` (created if missing), unless any of its files exists.
pub fn init(dir: &Path, today: NaiveDate) -> Result<Outcome, String> {
    let files = files(today)?;
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| dir.join(p).symlink_metadata().is_ok())
        .map(|(p, _)| p.clone())
        .collect();
    let planned: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
    if !existing.is_empty() {
        return Ok(Outcome::Refused { existing, planned });
    }
    for (path, text) in &files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        // `create_new` so that a file appearing since the check is not overwritten either.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&full)
            .map_err(|e| format!("cannot create {}: {e}", full.display()))?;
        f.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", full.display()))?;
    }
    Ok(Outcome::Wrote(planned))
}

/// `adoptbot init`: prints what it wrote and what to do next; exit 1 when it refused.
pub fn run(dir: &Path, today: NaiveDate) -> Result<std::process::ExitCode, String> {
    match init(dir, today)? {
        Outcome::Wrote(paths) => {
            for p in &paths {
                println!("wrote {}", dir.join(p).display());
            }
            let d = dir.display();
            println!(
                "\nA new adoption repository in {d}. Next:\n\
                 \x20 1. Replace `your-login`, `example-org` and the Azure ids with yours.\n\
                 \x20 2. adoptbot validate {d}\n\
                 \x20 3. git -C {d} init -b main && git -C {d} add -A && git -C {d} commit -m \"Adoption repository\"\n\
                 \x20 4. adoptbot reconcile {d}        # opens the provisioning PR of experiments/first-sandbox.yaml\n\
                 \x20 5. adoptbot pr list --repo {d}   # then `pr show N`, `pr merge N`; `pr open` for a request branch\n\
                 See docs/deploy-infra.md for the deployment pipeline."
            );
            Ok(std::process::ExitCode::SUCCESS)
        }
        Outcome::Refused { existing, planned } => {
            for p in &existing {
                eprintln!("exists: {}", dir.join(p).display());
            }
            eprintln!(
                "adoptbot init writes nothing when any of its files exists; it would have written:"
            );
            for p in &planned {
                let mark = if existing.contains(p) {
                    " (exists)"
                } else {
                    ""
                };
                eprintln!("  {}{mark}", dir.join(p).display());
            }
            eprintln!(
                "move the existing files away, or run `adoptbot init` in a new folder; to only \
                 refresh the schemas, run `adoptbot schema --out {}`",
                dir.join(SCHEMA_DIR).display()
            );
            Ok(std::process::ExitCode::from(1))
        }
    }
}
