//! Where a command reads the adoption repository from: a directory, or a git commit.

use crate::load::{Snapshot, dir, git};
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// The adoption repository's directory.
    #[arg(
        value_name = "DIR",
        required_unless_present = "git",
        conflicts_with = "git"
    )]
    pub dir: Option<PathBuf>,
    /// Read from a commit of this git repository instead, without a checkout.
    #[arg(long, value_name = "REPO")]
    pub git: Option<PathBuf>,
    /// The commit, branch or tag to read with --git (default: HEAD).
    #[arg(long, value_name = "REV", requires = "git")]
    pub rev: Option<String>,
}

impl SourceArgs {
    pub fn snapshot(&self) -> Result<Snapshot, String> {
        let snap = match (&self.dir, &self.git, &self.rev) {
            (_, Some(repo), rev) => git::read_git(repo, rev.as_deref().unwrap_or("HEAD")),
            (Some(d), None, _) => dir::read_dir(d),
            _ => Err("name a directory, or --git REPO [--rev REV]".into()),
        }?;
        tracing::debug!(
            paths = snap.paths.len(),
            read = snap.contents.len(),
            "snapshot read"
        );
        Ok(snap)
    }
}
