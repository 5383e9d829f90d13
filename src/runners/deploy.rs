//! `adoptbot deploy-plan --base SHA --head SHA`: reads the two commits through git2 (no
//! checkout), finds the experiment folders under `infra/experiments/` that differ, and hands
//! them to the pure planner in [`crate::plan::deploy`].

use crate::plan::deploy::{self, DeployPlan, FolderChange, Side};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn git_msg(doing: &str) -> impl FnOnce(git2::Error) -> String + '_ {
    move |e| format!("cannot {doing}: {}", e.message())
}

/// Plans the deployments from `base` to `head` in the repository at `repo`.
pub fn plan(repo: &Path, base: &str, head: &str) -> Result<DeployPlan, String> {
    let git = git2::Repository::open(repo).map_err(|e| {
        format!(
            "cannot open the git repository {}: {}; run in the adoption repository's clone or \
             pass --git REPO",
            repo.display(),
            e.message()
        )
    })?;
    let commit = |rev: &str, flag: &str| {
        git.revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| {
                format!(
                    "{flag} `{rev}` is not a commit of {}: {}; fetch enough history (for \
                     example `actions/checkout` with `fetch-depth: 0`)",
                    repo.display(),
                    e.message()
                )
            })
    };
    let (base_c, head_c) = (commit(base, "--base")?, commit(head, "--head")?);
    let base_tree = base_c.tree().map_err(git_msg("read the base tree"))?;
    let head_tree = head_c.tree().map_err(git_msg("read the head tree"))?;

    let mut ids = BTreeSet::new();
    let mut opts = git2::DiffOptions::new();
    opts.pathspec(format!("{}/", deploy::INFRA_DIR));
    let diff = git
        .diff_tree_to_tree(Some(&base_tree), Some(&head_tree), Some(&mut opts))
        .map_err(git_msg("compare the two commits"))?;
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(p) = file.path().and_then(|p| p.to_str())
                && let Some((id, _)) = deploy::experiment_of(p)
            {
                ids.insert(id.to_owned());
            }
        }
    }

    let mut changes = Vec::new();
    if !ids.is_empty() {
        let base_side = SideReader::new(&git, &base_tree)?;
        let head_side = SideReader::new(&git, &head_tree)?;
        for id in ids {
            changes.push(FolderChange {
                base: base_side.side(&id),
                head: head_side.side(&id),
                id,
            });
        }
    }
    let deny = SideReader::adoption(&git, &head_tree)?
        .map(|a| a.stack_deny_settings)
        .unwrap_or_default();
    Ok(deploy::plan(
        &base_c.id().to_string(),
        &head_c.id().to_string(),
        &changes,
        deny,
    ))
}

/// What a commit holds for each experiment folder, and the regions its requests name.
struct SideReader {
    files: BTreeMap<String, BTreeSet<String>>,
    locations: BTreeMap<String, String>,
    teams: BTreeMap<String, String>,
    default_location: Option<String>,
}

impl SideReader {
    fn new(git: &git2::Repository, tree: &git2::Tree) -> Result<SideReader, String> {
        let snap = crate::load::git::read_tree(git, tree)?;
        let mut files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for p in &snap.paths {
            if let Some((id, inner)) = deploy::experiment_of(p) {
                files
                    .entry(id.to_owned())
                    .or_default()
                    .insert(inner.to_owned());
            }
        }
        let loaded = crate::load::load(&snap);
        let locations = loaded
            .repo
            .experiments
            .iter()
            .filter_map(|(id, e)| {
                let loc = e.parameters.get("location")?.value.as_str()?;
                Some((id.to_string(), loc.to_owned()))
            })
            .collect();
        let teams = loaded
            .repo
            .experiments
            .iter()
            .map(|(id, e)| (id.to_string(), e.team.to_string()))
            .collect();
        let default_location = loaded
            .repo
            .adoption
            .as_ref()
            .and_then(|a| a.azure.as_ref())
            .and_then(|z| z.regions.first().cloned());
        Ok(SideReader {
            files,
            locations,
            teams,
            default_location,
        })
    }

    fn side(&self, id: &str) -> Option<Side> {
        let files = self.files.get(id)?.clone();
        Some(Side {
            files,
            location: self
                .locations
                .get(id)
                .cloned()
                .or_else(|| self.default_location.clone()),
            team: self.teams.get(id).cloned(),
        })
    }

    fn adoption(
        git: &git2::Repository,
        tree: &git2::Tree,
    ) -> Result<Option<crate::model::Adoption>, String> {
        let Ok(entry) = tree.get_path(Path::new("adoption.yaml")) else {
            return Ok(None);
        };
        let blob = git
            .find_blob(entry.id())
            .map_err(git_msg("read adoption.yaml"))?;
        let text = String::from_utf8_lossy(blob.content());
        crate::load::yaml::parse::<crate::model::Adoption>(
            "adoption.yaml",
            &text,
            "adoption.schema.json",
        )
        .map(Some)
        .map_err(|d| {
            format!(
                "{}:{}:{}: {}; fix adoption.yaml first (`adoptbot validate`)",
                d.place.file, d.place.line, d.place.column, d.message
            )
        })
    }
}
