//! The records the local forge keeps beside the git objects, in `<gitdir>/adoptbot/state.json`:
//! issues, pull requests, comments, check runs, reviews, teams and the numeric ids of the
//! people named in them, with the counters that number them. The
//! file is read before every call and replaced atomically (a temporary file, then a rename)
//! after every write, so a crash leaves either the old records or the new ones.

use crate::forge::{
    Annotation, CheckRun, Comment, ForgeError, ForgeResult, Member, PullRequest, Review,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The version of the record format this build reads and writes. Fields added since version 1
/// (reviews, teams, user ids) default to empty, so older files read as they are.
pub const STATE_VERSION: u32 = 1;

/// Everything the local forge records. Lists are kept in creation order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// The next issue or pull request number: the two share one sequence, as on GitHub.
    pub next_number: u64,
    pub next_comment_id: u64,
    pub next_check_run_id: u64,
    #[serde(default = "first_id")]
    pub next_review_id: u64,
    #[serde(default)]
    pub issues: Vec<IssueRecord>,
    #[serde(default)]
    pub pulls: Vec<PullRecord>,
    #[serde(default)]
    pub comments: Vec<CommentRecord>,
    #[serde(default)]
    pub check_runs: Vec<CheckRunRecord>,
    #[serde(default)]
    pub reviews: Vec<ReviewRecord>,
    #[serde(default)]
    pub teams: Vec<TeamRecord>,
    /// The numeric id of every person the records name, by lower-case login (logins are
    /// case-insensitive). Ids are handed out in order from 1 and never change.
    #[serde(default)]
    pub user_ids: BTreeMap<String, u64>,
    /// What people may do in the repository, by lower-case login; anyone else may read.
    #[serde(default)]
    pub permissions: BTreeMap<String, crate::forge::Permission>,
}

fn first_id() -> u64 {
    1
}

impl Default for State {
    fn default() -> Self {
        State {
            version: STATE_VERSION,
            next_number: 1,
            next_comment_id: 1,
            next_check_run_id: 1,
            next_review_id: 1,
            issues: Vec::new(),
            pulls: Vec::new(),
            comments: Vec::new(),
            check_runs: Vec::new(),
            reviews: Vec::new(),
            teams: Vec::new(),
            user_ids: BTreeMap::new(),
            permissions: BTreeMap::new(),
        }
    }
}

/// An issue that is not a pull request, such as the dashboard issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRecord {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub author: String,
    #[serde(default)]
    pub labels: BTreeSet<String>,
    /// Closed by someone (the dashboard issue stays closed until something needs action).
    #[serde(default)]
    pub closed: bool,
}

/// A pull request. For an open one, `head_sha` and `base_sha` are the last SHAs seen; the
/// forge reads the branches themselves when it shows the pull request. Once closed or merged
/// they are frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRecord {
    #[serde(flatten)]
    pub pull: PullRequest,
    #[serde(default)]
    pub labels: BTreeSet<String>,
    #[serde(default)]
    pub requested_reviewers: BTreeSet<String>,
    #[serde(default)]
    pub requested_teams: BTreeSet<String>,
}

/// A comment on an issue or a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRecord {
    /// The number of the issue or pull request it is on.
    pub issue: u64,
    #[serde(flatten)]
    pub comment: Comment,
}

/// A check run, with its annotations. As on GitHub, an update appends its annotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRunRecord {
    #[serde(flatten)]
    pub run: CheckRun,
    #[serde(default)]
    pub annotations: Vec<Annotation>,
}

/// A review of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRecord {
    /// The number of the pull request it is on.
    pub number: u64,
    #[serde(flatten)]
    pub review: Review,
}

/// A team of an organisation and its members' logins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRecord {
    pub org: String,
    pub slug: String,
    #[serde(default)]
    pub members: Vec<String>,
}

impl State {
    /// Takes the next issue or pull request number.
    pub fn take_number(&mut self) -> u64 {
        let used = self.issues.iter().map(|i| i.number);
        let used = used.chain(self.pulls.iter().map(|p| p.pull.number));
        take(&mut self.next_number, used)
    }

    pub fn take_comment_id(&mut self) -> u64 {
        let used = self.comments.iter().map(|c| c.comment.id);
        take(&mut self.next_comment_id, used)
    }

    pub fn take_check_run_id(&mut self) -> u64 {
        let used = self.check_runs.iter().map(|c| c.run.id);
        take(&mut self.next_check_run_id, used)
    }

    pub fn take_review_id(&mut self) -> u64 {
        let used = self.reviews.iter().map(|r| r.review.id);
        take(&mut self.next_review_id, used)
    }

    /// The numeric id of `login`, given on first sight.
    pub fn user_id(&mut self, login: &str) -> u64 {
        let key = login.to_ascii_lowercase();
        if let Some(id) = self.user_ids.get(&key) {
            return *id;
        }
        let id = self.user_ids.values().max().map_or(1, |m| m + 1);
        self.user_ids.insert(key, id);
        id
    }

    /// A team, by organisation and slug (both case-insensitive), with its members' ids.
    pub fn team_members(&self, org: &str, slug: &str) -> Option<Vec<Member>> {
        let team = self
            .teams
            .iter()
            .find(|t| t.org.eq_ignore_ascii_case(org) && t.slug.eq_ignore_ascii_case(slug))?;
        let members = team.members.iter().map(|login| Member {
            login: login.clone(),
            id: self
                .user_ids
                .get(&login.to_ascii_lowercase())
                .copied()
                .unwrap_or_default(),
        });
        Some(members.collect())
    }

    /// Whether an issue or a pull request has this number.
    pub fn has_issue(&self, number: u64) -> bool {
        self.issues.iter().any(|i| i.number == number) || self.pull(number).is_some()
    }

    pub fn pull(&self, number: u64) -> Option<&PullRecord> {
        self.pulls.iter().find(|p| p.pull.number == number)
    }

    pub fn pull_mut(&mut self, number: u64) -> ForgeResult<&mut PullRecord> {
        let issue = self.issues.iter().any(|i| i.number == number);
        self.pulls
            .iter_mut()
            .find(|p| p.pull.number == number)
            .ok_or_else(|| no_pull(number, issue))
    }

    /// The labels of an issue or a pull request.
    pub fn labels_mut(&mut self, number: u64) -> ForgeResult<&mut BTreeSet<String>> {
        if let Some(i) = self.issues.iter_mut().find(|i| i.number == number) {
            return Ok(&mut i.labels);
        }
        match self.pulls.iter_mut().find(|p| p.pull.number == number) {
            Some(p) => Ok(&mut p.labels),
            None => Err(no_issue(number)),
        }
    }
}

/// Never hands out a number already used, even if the counter in the file was set back.
fn take(counter: &mut u64, used: impl Iterator<Item = u64>) -> u64 {
    let next = used.map(|n| n + 1).fold((*counter).max(1), u64::max);
    *counter = next + 1;
    next
}

pub fn no_issue(number: u64) -> ForgeError {
    ForgeError::NotFound(format!("there is no issue or pull request #{number}"))
}

pub fn no_pull(number: u64, is_issue: bool) -> ForgeError {
    if is_issue {
        ForgeError::NotFound(format!("#{number} is an issue, not a pull request"))
    } else {
        ForgeError::NotFound(format!("there is no pull request #{number}"))
    }
}

/// Where the records of the repository whose git directory is `gitdir` live.
pub fn state_path(gitdir: &Path) -> PathBuf {
    gitdir.join("adoptbot").join("state.json")
}

/// Reads the records; a missing file is an empty forge.
pub fn load(path: &Path) -> ForgeResult<State> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => {
            return Err(ForgeError::Other(format!(
                "cannot read the local forge records {}: {e}",
                path.display()
            )));
        }
    };
    let state: State = serde_json::from_slice(&bytes).map_err(|e| corrupt(path, &e.to_string()))?;
    if state.version != STATE_VERSION {
        return Err(corrupt(
            path,
            &format!(
                "it has version {}, and this adoptbot reads version {STATE_VERSION}",
                state.version
            ),
        ));
    }
    Ok(state)
}

fn corrupt(path: &Path, why: &str) -> ForgeError {
    ForgeError::Other(format!(
        "the local forge records {} are corrupt: {why}. Restore the file from a backup or fix \
         its JSON by hand; or delete it to start again with no pull requests, comments or check \
         runs (branches and commits stay in git)",
        path.display()
    ))
}

/// Writes the records atomically: a temporary file in the same folder, then a rename.
pub fn save(path: &Path, state: &State) -> ForgeResult<()> {
    let fail = |what: &str, e: std::io::Error| {
        ForgeError::Other(format!(
            "cannot {what} the local forge records {}: {e}",
            path.display()
        ))
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail("create the folder of", e))?;
    }
    let mut json = serde_json::to_vec_pretty(state)
        .map_err(|e| ForgeError::Other(format!("cannot encode the local forge records: {e}")))?;
    json.push(b'\n');
    let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut file| {
        std::io::Write::write_all(&mut file, &json)?;
        file.sync_all()
    });
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail("write", e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail("replace", e)
    })
}
