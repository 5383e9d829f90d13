//! The parts of GitHub's REST answers that the adapter reads, and nothing more: unknown
//! fields are ignored, and fields GitHub documents as nullable are `Option`. Public so that
//! tests can check them against payloads recorded from the real api.github.com.

use crate::forge::{
    ChangedFile, CheckRun as ForgeCheckRun, Comment, Commit, Conclusion, FileStatus, Member,
    Permission, PrState, PullRequest as ForgePull, Review as ForgeReview, ReviewState,
};
use serde::Deserialize;

/// The login GitHub shows for a deleted account.
pub const GHOST: &str = "ghost";

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub login: String,
    #[serde(default)]
    pub id: u64,
}

/// The logins of the people a pull request waits for.
pub fn logins(users: Option<Vec<User>>) -> Vec<String> {
    users
        .unwrap_or_default()
        .into_iter()
        .map(|u| u.login)
        .collect()
}

/// The slugs of the teams a pull request waits for.
pub fn slugs(teams: Option<Vec<TeamSlug>>) -> Vec<String> {
    teams
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.slug)
        .collect()
}

/// A team as a review request names it.
#[derive(Debug, Clone, Deserialize)]
pub struct TeamSlug {
    pub slug: String,
}

/// `GET /repos/{owner}/{repo}` (the `full-repository` schema).
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub full_name: String,
    pub default_branch: String,
}

/// A git reference (`git-ref`): `GET /git/ref/{ref}`, `POST /git/refs`, `PATCH /git/refs/{ref}`.
#[derive(Debug, Clone, Deserialize)]
pub struct GitRef {
    #[serde(rename = "ref")]
    pub name: String,
    pub object: GitObject,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GitObject {
    pub sha: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Just a SHA: a created tree, the tree of a commit.
#[derive(Debug, Clone, Deserialize)]
pub struct Sha {
    pub sha: String,
}

/// A git commit object (`git-commit`): `GET /git/commits/{sha}`, `POST /git/commits`.
#[derive(Debug, Clone, Deserialize)]
pub struct GitCommit {
    pub sha: String,
    pub tree: Sha,
    #[serde(default)]
    pub parents: Vec<Sha>,
}

/// A pull request (`pull-request` and `pull-request-simple`).
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    pub user: Option<User>,
    pub head: PullRef,
    pub base: PullRef,
    pub merged_at: Option<String>,
    pub merge_commit_sha: Option<String>,
    #[serde(default)]
    pub requested_reviewers: Option<Vec<User>>,
    #[serde(default)]
    pub requested_teams: Option<Vec<TeamSlug>>,
}

/// One end of a pull request.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRef {
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: String,
    /// Null when the fork it came from was deleted.
    pub repo: Option<RepoName>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RepoName {
    pub full_name: String,
    /// The repository's default branch, as the pull request's copy of it says.
    #[serde(default)]
    pub default_branch: Option<String>,
}

impl PullRequest {
    /// The forge's view: `Merged` when `merged_at` is set, whatever `state` says.
    pub fn into_forge(self) -> ForgePull {
        let merged = self.merged_at.is_some();
        let state = if merged {
            PrState::Merged
        } else if self.state == "open" {
            PrState::Open
        } else {
            PrState::Closed
        };
        ForgePull {
            number: self.number,
            title: self.title,
            body: self.body.unwrap_or_default(),
            state,
            author_id: self.user.as_ref().map(|u| u.id).unwrap_or(0),
            author: login_of(self.user),
            head_branch: self.head.name,
            head_sha: self.head.sha,
            base_branch: self.base.name,
            base_sha: self.base.sha,
            // GitHub also fills `merge_commit_sha` with a test merge while a pull is open.
            merge_sha: if merged { self.merge_commit_sha } else { None },
            requested_users: logins(self.requested_reviewers),
            requested_teams: slugs(self.requested_teams),
        }
    }

    /// Whether the head branch lives in the repository `full_name` (not in a fork).
    pub fn head_is_in(&self, full_name: &str) -> bool {
        self.head
            .repo
            .as_ref()
            .is_some_and(|r| r.full_name.eq_ignore_ascii_case(full_name))
    }
}

fn login_of(user: Option<User>) -> String {
    user.map(|u| u.login).unwrap_or_else(|| GHOST.to_string())
}

/// A file of a pull request (`diff-entry`).
#[derive(Debug, Clone, Deserialize)]
pub struct DiffEntry {
    pub filename: String,
    /// added, removed, modified, renamed, copied, changed, unchanged
    pub status: String,
    pub previous_filename: Option<String>,
}

impl DiffEntry {
    pub fn into_forge(self) -> ChangedFile {
        let status = match self.status.as_str() {
            "added" | "copied" => FileStatus::Added,
            "removed" => FileStatus::Removed,
            "renamed" => FileStatus::Renamed,
            _ => FileStatus::Modified,
        };
        ChangedFile {
            path: self.filename,
            previous_path: if status == FileStatus::Renamed {
                self.previous_filename
            } else {
                None
            },
            status,
        }
    }
}

/// `GET /compare/{base}...{head}` (`commit-comparison`), the fields read.
#[derive(Debug, Clone, Deserialize)]
pub struct Comparison {
    pub total_commits: u64,
    pub commits: Vec<CommitItem>,
    /// The files that differ between the merge base and the head, at most
    /// [`COMPARE_FILES`] (on the first page only, when paged).
    #[serde(default)]
    pub files: Vec<DiffEntry>,
}

/// The most files GitHub lists in a comparison: a comparison with this many may have more.
pub const COMPARE_FILES: usize = 300;

/// A commit of a comparison or a list (`commit`).
#[derive(Debug, Clone, Deserialize)]
pub struct CommitItem {
    pub sha: String,
    pub commit: CommitDetail,
    /// The accounts GitHub matched the author's and the committer's emails to; null when it
    /// matched none.
    #[serde(default)]
    pub author: Option<User>,
    #[serde(default)]
    pub committer: Option<User>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommitDetail {
    pub message: String,
    /// The commit's tree: a commit never changes tree, so the adapter remembers it.
    #[serde(default)]
    pub tree: Option<Sha>,
    pub author: Option<GitUser>,
    #[serde(default)]
    pub committer: Option<GitUser>,
    #[serde(default)]
    pub verification: Option<Verification>,
}

/// A git author or committer (`nullable-git-user`).
#[derive(Debug, Clone, Deserialize)]
pub struct GitUser {
    pub name: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
}

/// Whether GitHub verified a commit's signature (`verification`).
#[derive(Debug, Clone, Deserialize)]
pub struct Verification {
    pub verified: bool,
}

impl CommitItem {
    pub fn into_forge(self) -> Commit {
        let committer = self.commit.committer.clone();
        Commit {
            sha: self.sha,
            message: self.commit.message,
            author_email: self.commit.author.and_then(|a| a.email).unwrap_or_default(),
            author_login: self.author.map(|u| u.login).unwrap_or_default(),
            committer_login: self.committer.map(|u| u.login).unwrap_or_default(),
            committer_email: committer
                .as_ref()
                .and_then(|c| c.email.clone())
                .unwrap_or_default(),
            verified: self.commit.verification.is_some_and(|v| v.verified),
            committed_at: committer.and_then(|c| c.date),
        }
    }
}

/// An issue or pull request comment (`issue-comment`).
#[derive(Debug, Clone, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    pub user: Option<User>,
    pub body: Option<String>,
}

impl IssueComment {
    pub fn into_forge(self) -> Comment {
        Comment {
            id: self.id,
            author: login_of(self.user),
            body: self.body.unwrap_or_default(),
        }
    }
}

/// A page of `GET /commits/{ref}/check-runs`.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckRunList {
    pub total_count: u64,
    pub check_runs: Vec<CheckRun>,
}

/// A check run (`check-run`).
#[derive(Debug, Clone, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    /// queued, in_progress, completed, ...
    pub status: String,
    pub conclusion: Option<String>,
    pub output: CheckOutput,
    /// The App that created the run; null for a run GitHub cannot attribute.
    #[serde(default)]
    pub app: Option<Integration>,
}

/// A GitHub App (`nullable-integration`), the fields read.
#[derive(Debug, Clone, Deserialize)]
pub struct Integration {
    pub id: u64,
    #[serde(default)]
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckOutput {
    pub title: Option<String>,
    pub summary: Option<String>,
}

impl CheckRun {
    pub fn into_forge(self) -> ForgeCheckRun {
        ForgeCheckRun {
            id: self.id,
            name: self.name,
            head_sha: self.head_sha,
            conclusion: self.conclusion.as_deref().and_then(conclusion),
            title: self.output.title.unwrap_or_default(),
            summary: self.output.summary.unwrap_or_default(),
            app: self.app.map(|a| crate::forge::App {
                id: a.id,
                slug: a.slug.unwrap_or_default(),
            }),
        }
    }
}

/// GitHub's conclusions in the forge's four: what did not pass and was not waived fails.
pub fn conclusion(s: &str) -> Option<Conclusion> {
    Some(match s {
        "success" => Conclusion::Success,
        "neutral" | "skipped" | "stale" => Conclusion::Neutral,
        "action_required" => Conclusion::ActionRequired,
        "failure" | "cancelled" | "timed_out" | "startup_failure" => Conclusion::Failure,
        _ => return None,
    })
}

/// GitHub's word for a conclusion.
pub fn conclusion_name(c: Conclusion) -> &'static str {
    match c {
        Conclusion::Success => "success",
        Conclusion::Failure => "failure",
        Conclusion::Neutral => "neutral",
        Conclusion::ActionRequired => "action_required",
    }
}

/// A user with their numeric id (`simple-user`, `team-member`, and `public-user` from
/// `GET /users/{username}`): the id identifies a person across renames, the login does not.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub login: String,
    pub id: u64,
}

/// `GET /repos/{owner}/{repo}/collaborators/{username}/permission`.
#[derive(Debug, Deserialize)]
pub struct CollaboratorPermission {
    /// The legacy base role: `admin`, `write`, `read` or `none`.
    pub permission: String,
    /// The role's name, custom roles included.
    #[serde(default)]
    pub role_name: Option<String>,
}

impl CollaboratorPermission {
    /// The role by name when GitHub names a base role; a custom role counts as its base.
    pub fn into_forge(self) -> Permission {
        match self.role_name.as_deref().map(Permission::from_github) {
            Some(p) if p != Permission::None => p,
            _ => Permission::from_github(&self.permission),
        }
    }
}

impl Account {
    pub fn into_forge(self) -> Member {
        Member {
            login: self.login,
            id: self.id,
        }
    }
}

/// A pull request review (`pull-request-review`).
#[derive(Debug, Clone, Deserialize)]
pub struct Review {
    pub id: u64,
    /// Null for a deleted account.
    pub user: Option<Account>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING` (lower case in
    /// webhook payloads).
    pub state: String,
    /// Null when the commit was garbage-collected.
    pub commit_id: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<String>,
}

impl Review {
    /// The forge's view. A deleted account is `ghost` with id 0; a state GitHub may add later
    /// reads as a comment, which approves nothing and blocks nothing.
    pub fn into_forge(self) -> ForgeReview {
        let (user_login, user_id) = match self.user {
            Some(a) => (a.login, a.id),
            None => (GHOST.to_string(), 0),
        };
        ForgeReview {
            id: self.id,
            user_login,
            user_id,
            state: ReviewState::from_github(&self.state).unwrap_or(ReviewState::Commented),
            commit_id: self.commit_id.unwrap_or_default(),
            submitted_at: self.submitted_at,
        }
    }
}

/// `GET /pulls/{n}/requested_reviewers` (`pull-request-review-request`).
#[derive(Debug, Clone, Deserialize)]
pub struct ReviewRequests {
    pub users: Vec<User>,
    pub teams: Vec<TeamRef>,
}

/// A team, by its slug (`team`, `team-simple`).
#[derive(Debug, Clone, Deserialize)]
pub struct TeamRef {
    pub slug: String,
}

/// A label (`label`).
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub name: String,
}

/// The body of an error answer (`basic-error`, `validation-error`).
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    pub documentation_url: Option<String>,
}

impl ErrorBody {
    /// The message, with the details of a validation error when there are any.
    pub fn describe(&self) -> String {
        let details: Vec<String> = self
            .errors
            .iter()
            .map(|e| match e {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Object(o) => o
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
                    .unwrap_or_else(|| {
                        ["resource", "field", "code"]
                            .iter()
                            .filter_map(|k| o.get(*k).and_then(|v| v.as_str()))
                            .collect::<Vec<_>>()
                            .join(" ")
                    }),
                other => other.to_string(),
            })
            .collect();
        if details.is_empty() {
            self.message.clone()
        } else {
            format!("{} ({})", self.message, details.join("; "))
        }
    }
}

/// The `rel="next"` target of a `Link` header, as GitHub sends it:
/// `<https://api.github.com/repositories/1/pulls?page=2>; rel="next", <...>; rel="last"`.
pub fn next_link(header: &str) -> Option<&str> {
    header.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim();
                p.strip_prefix("rel=")
                    .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
                    .unwrap_or(false)
            })
            .then_some(target)
    })
}

/// A rule of `GET /rules/branches/{branch}` (`repository-rule-detailed`), the fields read.
#[derive(Debug, Clone, Deserialize)]
pub struct BranchRule {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub parameters: Option<RuleParameters>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RuleParameters {
    #[serde(default)]
    pub required_status_checks: Vec<StatusCheck>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusCheck {
    pub context: String,
    #[serde(default)]
    pub integration_id: Option<u64>,
}

impl BranchRule {
    pub fn into_forge(self) -> crate::forge::BranchRule {
        crate::forge::BranchRule {
            kind: self.kind,
            required_checks: self
                .parameters
                .map(|p| p.required_status_checks)
                .unwrap_or_default()
                .into_iter()
                .map(|c| crate::forge::RequiredCheck {
                    context: c.context,
                    app_id: c.integration_id,
                })
                .collect(),
        }
    }
}

// ----- Issues and secret-scanning alerts, for the scheduled report. -----

/// An issue (`issue`): the list of a repository's issues holds pull requests too, told
/// apart by `pull_request`.
#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub state: String,
    pub user: Option<User>,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    pub fn is_pull(&self) -> bool {
        self.pull_request.is_some()
    }

    pub fn into_forge(self) -> crate::forge::Issue {
        crate::forge::Issue {
            number: self.number,
            title: self.title,
            body: self.body.unwrap_or_default(),
            state: if self.state.eq_ignore_ascii_case("closed") {
                crate::forge::IssueState::Closed
            } else {
                crate::forge::IssueState::Open
            },
            author: login_of(self.user),
        }
    }
}

/// A secret-scanning alert (`secret-scanning-alert`), the fields the report reads.
#[derive(Debug, Clone, Deserialize)]
pub struct SecretAlert {
    pub number: u64,
    #[serde(default)]
    pub secret_type: Option<String>,
    #[serde(default)]
    pub secret_type_display_name: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

impl SecretAlert {
    pub fn into_model(self) -> crate::model::finding::SecretAlert {
        crate::model::finding::SecretAlert {
            number: self.number,
            secret_type: self.secret_type.unwrap_or_default(),
            secret_type_display_name: self.secret_type_display_name,
            html_url: self.html_url,
        }
    }
}
