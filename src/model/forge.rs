//! The plain data a forge shows and the bot writes: pull requests, files, comments, check
//! runs, commits, reviews, team members and permissions. Shared by the core (which reasons
//! about them) and the forge adapters (which fetch and write them); the `Forge` trait that
//! moves them lives in `src/forge/`.

use serde::{Deserialize, Serialize};

/// A git object id, hex.
pub type Sha = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrState {
    Open,
    Closed,
    Merged,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: PrState,
    /// The login of whoever opened it.
    pub author: String,
    /// Their numeric id (0 when the forge does not say).
    #[serde(default)]
    pub author_id: u64,
    pub head_branch: String,
    pub head_sha: Sha,
    pub base_branch: String,
    pub base_sha: Sha,
    /// The merge commit, once merged.
    pub merge_sha: Option<Sha>,
    /// Whose review it waits for, as the forge showed the pull request: user logins and
    /// team slugs. A person leaves the list once they review.
    #[serde(skip)]
    pub requested_users: Vec<String>,
    #[serde(skip)]
    pub requested_teams: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Added,
    Modified,
    Removed,
    Renamed,
}

/// A file a pull request changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    pub path: String,
    pub status: FileStatus,
    /// For renames, the path before.
    pub previous_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub id: u64,
    pub author: String,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    Success,
    Failure,
    Neutral,
    ActionRequired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnotationLevel {
    Notice,
    Warning,
    Failure,
}

/// A note on a line of a file, shown in the PR's diff.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Annotation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub level: AnnotationLevel,
    pub title: String,
    pub message: String,
}

/// A check run as the bot wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRunSpec {
    pub name: String,
    pub head_sha: Sha,
    pub conclusion: Conclusion,
    pub title: String,
    pub summary: String,
    pub annotations: Vec<Annotation>,
}

/// A check run as the forge shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: Sha,
    pub conclusion: Option<Conclusion>,
    pub title: String,
    pub summary: String,
    /// The App that created the run, as the forge says (`check_run.app` on GitHub); `None`
    /// when the forge does not tell (the local forge, where every run is the bot's).
    #[serde(default)]
    pub app: Option<App>,
}

/// A GitHub App, as a check run names its owner: the numeric id and the slug (the App's bot
/// user is `<slug>[bot]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub id: u64,
    pub slug: String,
}

/// Which App the bot's check runs belong to: only runs it owns are the bot's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotApp {
    /// A forge without Apps (the local forge): every check run is the bot's, since only the
    /// bot writes them.
    Every,
    /// The App with this numeric id (configured).
    Id(u64),
    /// The App with this slug, from the bot's login `<slug>[bot]`, when no id is configured.
    Slug(String),
    /// Nothing is known that identifies the bot's App: no run is the bot's.
    Unknown,
}

impl BotApp {
    /// The App behind a GitHub bot login, `<slug>[bot]`; `Unknown` for any other login.
    pub fn from_login(login: &str) -> BotApp {
        match login.strip_suffix("[bot]") {
            Some(slug) if !slug.is_empty() => BotApp::Slug(slug.to_ascii_lowercase()),
            _ => BotApp::Unknown,
        }
    }

    /// Whether the bot's App created `run`. Fail closed: a run whose App the forge does not
    /// name is the bot's only on a forge without Apps.
    pub fn owns(&self, run: &CheckRun) -> bool {
        match (self, &run.app) {
            (BotApp::Every, _) => true,
            (BotApp::Id(id), Some(app)) => app.id == *id,
            (BotApp::Slug(slug), Some(app)) => app.slug.eq_ignore_ascii_case(slug),
            _ => false,
        }
    }
}

/// A rule that applies to a branch, as the forge's branch rules show it (GitHub's
/// `GET /rules/branches/{branch}`): its type (`update`, `deletion`, `non_fast_forward`,
/// `required_status_checks`, `pull_request`...) and, for required checks, which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchRule {
    pub kind: String,
    #[serde(default)]
    pub required_checks: Vec<RequiredCheck>,
}

/// A required status check: its name, and the App it must come from (`integration_id`), if
/// the rule pins one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredCheck {
    pub context: String,
    pub app_id: Option<u64>,
}

/// A commit on a branch, with who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub sha: Sha,
    pub message: String,
    /// The author's email, as recorded in the commit.
    pub author_email: String,
    /// The forge account the author's email belongs to (GitHub's `author.login`); empty when
    /// the forge matches it to no account.
    #[serde(default)]
    pub author_login: String,
    /// The account and email of the committer, as for the author.
    #[serde(default)]
    pub committer_login: String,
    #[serde(default)]
    pub committer_email: String,
    /// Whether the forge verified the commit's signature (GitHub's
    /// `commit.verification.verified`; the git data API signs commits made with an App's
    /// token). The local forge has no signatures: see `forge::local`.
    #[serde(default)]
    pub verified: bool,
    /// When it was committed (RFC 3339), as the commit says.
    #[serde(default)]
    pub committed_at: Option<String>,
}

impl Commit {
    /// A commit with only an id, a message and an author email: what a forge that knows no
    /// accounts shows. Never the bot's.
    pub fn plain(sha: &str, message: &str, author_email: &str) -> Commit {
        Commit {
            sha: sha.into(),
            message: message.into(),
            author_email: author_email.into(),
            author_login: String::new(),
            committer_login: String::new(),
            committer_email: String::new(),
            verified: false,
            committed_at: None,
        }
    }

    /// The people named in `Co-authored-by:` trailers: `(name, email)`.
    pub fn co_authors(&self) -> Vec<(String, String)> {
        self.message
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                let (key, value) = l.split_once(':')?;
                if !key.trim().eq_ignore_ascii_case("co-authored-by") {
                    return None;
                }
                let value = value.trim();
                let (name, rest) = value.split_once('<')?;
                let email = rest.split('>').next()?.trim();
                Some((name.trim().to_string(), email.to_string()))
            })
            .collect()
    }
}

/// A review of a pull request, as the forge shows it to the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: u64,
    /// The reviewer's login now (a renamed account shows its new login on old reviews).
    /// A deleted account shows as `ghost`, with `user_id` 0.
    pub user_login: String,
    /// The reviewer's numeric id, which survives a rename: match people by it, not by login.
    pub user_id: u64,
    pub state: ReviewState,
    /// The commit the review was given on; empty if GitHub no longer knows it (the commit was
    /// garbage-collected), so that it never equals a head.
    pub commit_id: Sha,
    /// When it was submitted (RFC 3339), if the forge says; `None` while pending.
    #[serde(default)]
    pub submitted_at: Option<String>,
}

/// What a review says. Serialised in snake case (`changes_requested`), as webhook payloads
/// write it; the REST API writes it in capitals (`CHANGES_REQUESTED`), see
/// [`ReviewState::from_github`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    /// An approval or a change request that someone dismissed: it no longer counts.
    Dismissed,
    /// Started and not submitted yet. GitHub shows a pending review only to its author.
    Pending,
}

impl ReviewState {
    /// GitHub's word for a state in either spelling, `APPROVED` (REST) or `approved`
    /// (webhooks); `None` for a word it does not know.
    pub fn from_github(word: &str) -> Option<ReviewState> {
        const ALL: [ReviewState; 5] = [
            ReviewState::Approved,
            ReviewState::ChangesRequested,
            ReviewState::Commented,
            ReviewState::Dismissed,
            ReviewState::Pending,
        ];
        ALL.into_iter()
            .find(|s| s.github_name().eq_ignore_ascii_case(word.trim()))
    }

    /// The REST API's word: `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`,
    /// `PENDING`.
    pub fn github_name(self) -> &'static str {
        match self {
            ReviewState::Approved => "APPROVED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Commented => "COMMENTED",
            ReviewState::Dismissed => "DISMISSED",
            ReviewState::Pending => "PENDING",
        }
    }
}

/// A member of a team: the login now, and the numeric id that identifies the person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Member {
    pub login: String,
    pub id: u64,
}

/// What a person may do in the repository, as GitHub's roles name it (highest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    None,
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Permission {
    /// GitHub's `role_name` (or legacy `permission`) word; a custom role or an unknown word is
    /// read as the least, so that nothing unknown is trusted.
    pub fn from_github(word: &str) -> Permission {
        match word.to_ascii_lowercase().as_str() {
            "admin" => Permission::Admin,
            "maintain" => Permission::Maintain,
            "write" | "push" => Permission::Write,
            "triage" => Permission::Triage,
            "read" | "pull" => Permission::Read,
            _ => Permission::None,
        }
    }

    /// Whether this lets a person push to the repository: write, maintain or admin.
    pub fn can_write(self) -> bool {
        self >= Permission::Write
    }
}

/// One file of a commit the bot makes: new content, or `None` to delete it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub content: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(app: Option<(u64, &str)>) -> CheckRun {
        CheckRun {
            id: 1,
            name: "adoptbot/gate (main)".into(),
            head_sha: "abc".into(),
            conclusion: Some(Conclusion::Success),
            title: String::new(),
            summary: String::new(),
            app: app.map(|(id, slug)| App {
                id,
                slug: slug.into(),
            }),
        }
    }

    #[test]
    fn a_check_run_is_the_bots_only_when_its_app_is() {
        let mine = run(Some((42, "adoptbot")));
        let other = run(Some((7, "mallory-ci")));
        let unnamed = run(None);
        assert!(BotApp::Id(42).owns(&mine));
        assert!(!BotApp::Id(42).owns(&other));
        assert!(
            !BotApp::Id(42).owns(&unnamed),
            "unknown owner: not the bot's"
        );
        let by_slug = BotApp::from_login("AdoptBot[bot]");
        assert_eq!(by_slug, BotApp::Slug("adoptbot".into()));
        assert!(by_slug.owns(&mine) && !by_slug.owns(&other));
        assert_eq!(BotApp::from_login("adoptbot"), BotApp::Unknown);
        assert!(!BotApp::Unknown.owns(&mine));
        assert!(
            BotApp::Every.owns(&unnamed),
            "the local forge: every run is the bot's"
        );
    }

    #[test]
    fn co_authors_are_read_from_trailers_in_any_case() {
        let c = Commit::plain(
            "s",
            "Subject\n\nCo-authored-by: Maria H <1+maria@users.noreply.github.com>\nco-authored-by:Bo <bo@x.org>\nCo-authored-by: no email\nSigned-off-by: Eve <eve@x.org>",
            "a@x.org",
        );
        assert_eq!(
            c.co_authors(),
            vec![
                (
                    "Maria H".to_string(),
                    "1+maria@users.noreply.github.com".to_string()
                ),
                ("Bo".to_string(), "bo@x.org".to_string()),
            ]
        );
    }
}
