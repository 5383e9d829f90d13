//! The local forge: a git repository where pull requests are branches plus records kept under
//! `.git/adoptbot/`. The embedded default, with no network.
//!
//! Branches and commits are git's own. Issues, pull requests, comments, check runs, labels,
//! requested reviewers, reviews, teams and people's numeric ids are records in
//! `<gitdir>/adoptbot/state.json` (see [`State`]),
//! read before every call and replaced atomically after every write. An open pull request
//! shows its branches as they are now; a closed or merged one keeps the SHAs it had. An open
//! pull request whose head branch was merged into its base outside the forge (`git merge`,
//! a fast-forward) is recorded as merged the next time the records are read.
//!
//! Besides the [`Forge`] trait, the forge plays the humans' part for demos and tests:
//! [`LocalForge::commit_as`], [`LocalForge::open_pull_as`], [`LocalForge::merge_pull`],
//! [`LocalForge::review_as`], [`LocalForge::set_team`] and the like. Those are not API calls
//! of the bot and are not counted.
//!
//! People are known by login, and each login gets a numeric id the first time the records
//! name it (1, 2, 3, ... in order), kept in the records so that it never changes. There is no
//! list of accounts: [`Forge::user`] knows every login, giving an unknown one its id then.
//!
//! Commits are dated a minute after their latest parent, so the same steps give the same
//! SHAs on every run.

mod repo;
mod state;

pub use state::{
    CheckRunRecord, CommentRecord, IssueRecord, PullRecord, ReviewRecord, STATE_VERSION, State,
    TeamRecord,
};

use super::BotApp;
use super::{
    CallCount, ChangedFile, CheckRun, CheckRunSpec, Comment, Commit, FileChange, Forge, ForgeError,
    ForgeResult, Member, Permission, PrState, PullRequest, Review, ReviewState, Sha,
};
use crate::load::Snapshot;
use repo::{git_err, require_branch, resolve_commit};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

/// A [`Forge`] over a git repository on disk, work tree or bare.
pub struct LocalForge {
    /// The repository; its lock also serialises every read-modify-write of the records.
    repo: Mutex<git2::Repository>,
    state_path: PathBuf,
    bot_login: String,
    reads: AtomicU32,
    writes: AtomicU32,
    /// The injected clock's instant (seconds since the epoch): when reviews are submitted.
    now: AtomicI64,
}

impl std::fmt::Debug for LocalForge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalForge")
            .field("state_path", &self.state_path)
            .field("bot_login", &self.bot_login)
            .field("calls", &self.calls())
            .finish()
    }
}

impl LocalForge {
    /// Opens the repository at `path` (its work tree or, if bare, its git directory), acting
    /// as `bot_login`. Fails if the records there are corrupt.
    pub fn open(path: &Path, bot_login: &str) -> ForgeResult<LocalForge> {
        if bot_login.is_empty() {
            return Err(ForgeError::Other(
                "the bot login is empty; give the login the bot acts as".into(),
            ));
        }
        let repo = git2::Repository::open(path).map_err(|e| {
            ForgeError::Other(format!(
                "cannot open the git repository {}: {}; point to a repository, or create one \
                 with `git init`",
                path.display(),
                e.message()
            ))
        })?;
        let state_path = state::state_path(repo.commondir());
        state::load(&state_path)?;
        Ok(LocalForge {
            repo: Mutex::new(repo),
            state_path,
            bot_login: bot_login.to_owned(),
            reads: AtomicU32::new(0),
            writes: AtomicU32::new(0),
            now: AtomicI64::new(0),
        })
    }

    /// The file that holds the records.
    pub fn state_path(&self) -> &Path {
        &self.state_path
    }

    /// The email of the bot's commits: `<bot_login>@adoptbot.local`.
    pub fn bot_email(&self) -> String {
        format!("{}@adoptbot.local", self.bot_login)
    }

    // ----- The humans' part: not API calls of the bot, not counted. -----

    /// A person's commit of `files` on `branch`. An existing branch gets the commit on its
    /// tip; a new one starts from `parent` (a SHA or a branch), or with a first commit when
    /// `parent` is `None`.
    pub fn commit_as(
        &self,
        branch: &str,
        parent: Option<&str>,
        author_name: &str,
        author_email: &str,
        message: &str,
        files: &[FileChange],
    ) -> ForgeResult<Sha> {
        self.git(|repo| {
            let parent = match (repo::branch_tip(repo, branch)?, parent) {
                (Some(tip), _) => Some(tip.to_string()),
                (None, p) => p.map(str::to_owned),
            };
            let by = (author_name, author_email);
            commit_files(repo, branch, parent.as_deref(), by, message, files)
        })
    }

    /// Sets the clock the forge stamps reviews with (the runner's injected clock).
    pub fn set_clock(&self, clock: crate::model::Clock) {
        self.now.store(clock.valid_at, Ordering::Relaxed);
    }

    fn clock(&self) -> crate::model::Clock {
        let valid_at = self.now.load(Ordering::Relaxed);
        let today = chrono::DateTime::from_timestamp(valid_at, 0)
            .unwrap_or_default()
            .date_naive();
        crate::model::Clock { today, valid_at }
    }

    /// A person opens a pull request from `head_branch` into `base_branch`.
    pub fn open_pull_as(
        &self,
        author_login: &str,
        head_branch: &str,
        base_branch: &str,
        title: &str,
        body: &str,
    ) -> ForgeResult<PullRequest> {
        self.update(|repo, state| {
            open_pull(
                repo,
                state,
                author_login,
                [head_branch, base_branch],
                title,
                body,
            )
        })
    }

    /// A person opens an issue, such as the dashboard issue. Returns its number.
    pub fn open_issue_as(&self, author_login: &str, title: &str, body: &str) -> ForgeResult<u64> {
        self.update(|_, state| {
            let number = state.take_number();
            state.issues.push(IssueRecord {
                number,
                title: title.to_owned(),
                body: body.to_owned(),
                author: author_login.to_owned(),
                labels: Default::default(),
                closed: false,
            });
            Ok(number)
        })
    }

    /// A person edits an issue: a new body (a ticked checkbox, say), or closes or reopens it.
    pub fn edit_issue_as(
        &self,
        number: u64,
        body: Option<&str>,
        closed: Option<bool>,
    ) -> ForgeResult<()> {
        self.update(|_, state| {
            let rec = state
                .issues
                .iter_mut()
                .find(|i| i.number == number)
                .ok_or_else(|| state::no_issue(number))?;
            if let Some(b) = body {
                rec.body = b.to_owned();
            }
            if let Some(c) = closed {
                rec.closed = c;
            }
            Ok(())
        })
    }

    /// A person comments on an issue or a pull request.
    pub fn comment_as(&self, author_login: &str, issue: u64, body: &str) -> ForgeResult<Comment> {
        self.update(|_, state| add_comment(state, author_login, issue, body))
    }

    /// A person merges an open pull request: a fast-forward of the base branch when possible,
    /// else a merge commit by `merger_login`. Returns the commit the base branch now points to.
    pub fn merge_pull(&self, number: u64, merger_login: &str) -> ForgeResult<Sha> {
        self.update(|repo, state| {
            let rec = state.pull_mut(number)?;
            ensure_open(&rec.pull, "merged")?;
            let pr = &rec.pull;
            let head = require_branch(repo, &pr.head_branch)?;
            let base = require_branch(repo, &pr.base_branch)?;
            let merged = if repo::contains(repo, base, head)? {
                base
            } else if repo::contains(repo, head, base)? {
                repo::set_branch(repo, &pr.base_branch, head, "adoptbot: fast-forward")?;
                head
            } else {
                let merged = merge_commit(repo, pr, [base, head], merger_login)?;
                repo::set_branch(repo, &pr.base_branch, merged, "adoptbot: merge")?;
                merged
            };
            rec.pull.state = PrState::Merged;
            rec.pull.merge_sha = Some(merged.to_string());
            rec.pull.head_sha = head.to_string();
            rec.pull.base_sha = base.to_string();
            Ok(merged.to_string())
        })
    }

    /// A person closes an open pull request without merging it. Closing a closed one does
    /// nothing; a merged one cannot be closed.
    pub fn close_pull(&self, number: u64) -> ForgeResult<()> {
        self.update(|repo, state| {
            let rec = state.pull_mut(number)?;
            if rec.pull.state == PrState::Closed {
                return Ok(());
            }
            ensure_open(&rec.pull, "closed")?;
            let now = live(repo, rec);
            rec.pull = now;
            rec.pull.state = PrState::Closed;
            Ok(())
        })
    }

    /// A person reviews a pull request on `commit_id` (a SHA or a branch), as GitHub lets
    /// them: the author may comment on their own pull request but not approve it or request
    /// changes, and a review is submitted in any state but `Dismissed` (see
    /// [`LocalForge::dismiss_review`]). A submitted review takes the reviewer off the
    /// requested reviewers. A closed or merged pull request can still be reviewed.
    pub fn review_as(
        &self,
        login: &str,
        number: u64,
        state: ReviewState,
        commit_id: &str,
    ) -> ForgeResult<Review> {
        check_login(login)?;
        self.update(|repo, records| {
            let commit_id = resolve_commit(repo, commit_id)?.id().to_string();
            let rec = records.pull_mut(number)?;
            let verb = match state {
                ReviewState::Approved => Some("approve"),
                ReviewState::ChangesRequested => Some("request changes on"),
                _ => None,
            };
            if let Some(verb) = verb.filter(|_| rec.pull.author.eq_ignore_ascii_case(login)) {
                return Err(ForgeError::Conflict(format!(
                    "{login} opened pull request #{number} and cannot {verb} it; review as \
                     someone else"
                )));
            }
            if state == ReviewState::Dismissed {
                return Err(ForgeError::Other(
                    "a review is not submitted as dismissed; submit it, then dismiss it with \
                     `dismiss_review`"
                        .into(),
                ));
            }
            if state != ReviewState::Pending {
                rec.requested_reviewers
                    .retain(|u| !u.eq_ignore_ascii_case(login));
            }
            let review = Review {
                id: records.take_review_id(),
                user_login: login.to_owned(),
                user_id: records.user_id(login),
                state,
                commit_id,
                submitted_at: (state != ReviewState::Pending).then(|| self.clock().rfc3339()),
            };
            records.reviews.push(ReviewRecord {
                number,
                review: review.clone(),
            });
            Ok(review)
        })
    }

    /// Someone dismisses review `review_id` of pull request `number`: it stays, in the state
    /// `Dismissed`. Only an approval or a change request can be dismissed, as on GitHub.
    pub fn dismiss_review(&self, number: u64, review_id: u64) -> ForgeResult<()> {
        self.update(|_, records| {
            records.pull_mut(number)?;
            let rec = records
                .reviews
                .iter_mut()
                .find(|r| r.number == number && r.review.id == review_id)
                .ok_or_else(|| {
                    ForgeError::NotFound(format!(
                        "pull request #{number} has no review {review_id}"
                    ))
                })?;
            match rec.review.state {
                ReviewState::Approved | ReviewState::ChangesRequested => {
                    rec.review.state = ReviewState::Dismissed;
                    Ok(())
                }
                other => Err(ForgeError::Conflict(format!(
                    "review {review_id} of pull request #{number} is {}; only an approval or a \
                     change request can be dismissed",
                    other.github_name().to_ascii_lowercase().replace('_', " ")
                ))),
            }
        })
    }

    /// Creates the team `slug` of the organisation `org`, or replaces its members, with
    /// `logins`. Returns the members with their ids.
    pub fn set_team(&self, org: &str, slug: &str, logins: &[&str]) -> ForgeResult<Vec<Member>> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if !valid(org) || !valid(slug) {
            return Err(ForgeError::Other(format!(
                "`{org}/{slug}` is not a team; write the organisation and the team's slug with \
                 letters, digits, `-`, `_` and `.`"
            )));
        }
        logins.iter().try_for_each(|l| check_login(l))?;
        self.update(|_, records| {
            let mut members: Vec<String> = Vec::new();
            for login in logins {
                if !members.iter().any(|m| m.eq_ignore_ascii_case(login)) {
                    records.user_id(login);
                    members.push((*login).to_owned());
                }
            }
            let found = records
                .teams
                .iter_mut()
                .find(|t| t.org.eq_ignore_ascii_case(org) && t.slug.eq_ignore_ascii_case(slug));
            match found {
                Some(team) => team.members = members,
                None => records.teams.push(TeamRecord {
                    org: org.to_owned(),
                    slug: slug.to_owned(),
                    members,
                }),
            }
            Ok(records.team_members(org, slug).unwrap_or_default())
        })
    }

    /// Gives `login` a role in the repository (anyone not given one may only read).
    pub fn set_permission(&self, login: &str, permission: Permission) -> ForgeResult<()> {
        check_login(login)?;
        self.update(|_, records| {
            records.user_id(login);
            records
                .permissions
                .insert(login.to_ascii_lowercase(), permission);
            Ok(())
        })
    }

    /// The numeric id of `login`, given now if the records never named it.
    pub fn user_id(&self, login: &str) -> ForgeResult<u64> {
        self.update(|_, records| Ok(records.user_id(login)))
    }

    // ----- Reading everything back, for printing. Not counted. -----

    /// Every record, with open pull requests showing their branches as they are now.
    pub fn state(&self) -> ForgeResult<State> {
        self.query(|repo, state| {
            let mut state = state.clone();
            for rec in &mut state.pulls {
                let now = live(repo, rec);
                rec.pull = now;
            }
            Ok(state)
        })
    }

    /// Every pull request, by number.
    pub fn pulls(&self) -> ForgeResult<Vec<PullRecord>> {
        Ok(self.state()?.pulls)
    }

    /// Every issue that is not a pull request, by number.
    pub fn issues(&self) -> ForgeResult<Vec<IssueRecord>> {
        Ok(self.state()?.issues)
    }

    /// Every comment, oldest first, with the number of its issue or pull request.
    pub fn all_comments(&self) -> ForgeResult<Vec<CommentRecord>> {
        Ok(self.state()?.comments)
    }

    /// Every check run, oldest first, with its annotations.
    pub fn check_runs_all(&self) -> ForgeResult<Vec<CheckRunRecord>> {
        Ok(self.state()?.check_runs)
    }

    // ----- Plumbing. -----

    fn lock(&self) -> std::sync::MutexGuard<'_, git2::Repository> {
        // A panic elsewhere while holding the lock leaves nothing half-written on disk.
        self.repo.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn git<T>(&self, f: impl FnOnce(&git2::Repository) -> ForgeResult<T>) -> ForgeResult<T> {
        f(&self.lock())
    }

    fn query<T>(
        &self,
        f: impl FnOnce(&git2::Repository, &State) -> ForgeResult<T>,
    ) -> ForgeResult<T> {
        let repo = self.lock();
        let mut state = state::load(&self.state_path)?;
        if record_manual_merges(&repo, &mut state) {
            state::save(&self.state_path, &state)?;
        }
        f(&repo, &state)
    }

    /// Reads the records, changes them, and writes them back if `f` succeeded.
    fn update<T>(
        &self,
        f: impl FnOnce(&git2::Repository, &mut State) -> ForgeResult<T>,
    ) -> ForgeResult<T> {
        let repo = self.lock();
        let mut state = state::load(&self.state_path)?;
        if record_manual_merges(&repo, &mut state) {
            state::save(&self.state_path, &state)?;
        }
        let out = f(&repo, &mut state)?;
        state::save(&self.state_path, &state)?;
        Ok(out)
    }

    fn count_read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// The local forge has no signatures and no Apps: a commit is vouched for (`verified`)
    /// when both its author and its committer are the bot's identity, `<bot> <bot email>`,
    /// which only the bot's own writes use. Whoever can write to the repository's `.git`
    /// directly can forge that, as they can forge everything else here.
    fn vouch(&self, mut commits: Vec<Commit>) -> Vec<Commit> {
        let email = self.bot_email();
        for c in &mut commits {
            c.verified = c.author_login == self.bot_login
                && c.committer_login == self.bot_login
                && c.author_email == email
                && c.committer_email == email;
        }
        commits
    }

    fn pull_now(&self, number: u64) -> ForgeResult<PullRequest> {
        self.query(|repo, state| match state.pull(number) {
            Some(rec) => Ok(with_author_id(live(repo, rec), state)),
            None => Err(state::no_pull(number, state.has_issue(number))),
        })
    }
}

/// An open pull request with the SHAs its branches point to now; others as recorded. A
/// branch that was deleted keeps its last SHA.
/// The author's numeric id, once the records have given them one (0 until then; the author
/// is known by login too).
fn with_author_id(mut pr: PullRequest, state: &State) -> PullRequest {
    pr.author_id = state
        .user_ids
        .get(&pr.author.to_ascii_lowercase())
        .copied()
        .unwrap_or(0);
    pr
}

/// Records as merged every open pull request whose head branch was merged into its base by
/// hand (`git merge`, a push): its head tip is in the base branch, and it was not already in
/// the base the records last saw, so the pull request had commits of its own. The merge
/// commit is the oldest commit on the base's first-parent line that contains the head.
/// Returns whether anything changed.
fn record_manual_merges(repo: &git2::Repository, state: &mut State) -> bool {
    let mut changed = false;
    for rec in state.pulls.iter_mut() {
        if rec.pull.state != PrState::Open {
            continue;
        }
        if let Some((head, base, merge)) = manual_merge(repo, &rec.pull) {
            rec.pull.state = PrState::Merged;
            rec.pull.head_sha = head.to_string();
            rec.pull.base_sha = base.to_string();
            rec.pull.merge_sha = Some(merge.to_string());
            changed = true;
        }
    }
    changed
}

/// `(head tip, base tip, merge commit)` when `pr` was merged outside the forge.
fn manual_merge(
    repo: &git2::Repository,
    pr: &PullRequest,
) -> Option<(git2::Oid, git2::Oid, git2::Oid)> {
    let head = repo::branch_tip(repo, &pr.head_branch).ok()??;
    let base = repo::branch_tip(repo, &pr.base_branch).ok()??;
    let seen_base = git2::Oid::from_str(&pr.base_sha).ok();
    if !repo::contains(repo, base, head).ok()? {
        return None;
    }
    // Nothing of its own when it was last seen: an empty pull request, not a merged one.
    if let Some(seen) = seen_base
        && repo::contains(repo, seen, head).unwrap_or(true)
    {
        return None;
    }
    let mut merge = base;
    let mut at = repo.find_commit(base).ok()?;
    loop {
        let Ok(parent) = at.parent(0) else { break };
        if !repo::contains(repo, parent.id(), head).ok()? {
            break;
        }
        merge = parent.id();
        at = parent;
    }
    Some((head, base, merge))
}

fn live(repo: &git2::Repository, rec: &PullRecord) -> PullRequest {
    let mut pr = rec.pull.clone();
    pr.requested_users = rec.requested_reviewers.iter().cloned().collect();
    pr.requested_teams = rec.requested_teams.iter().cloned().collect();
    if pr.state == PrState::Open {
        for (branch, sha) in [
            (&pr.head_branch, &mut pr.head_sha),
            (&pr.base_branch, &mut pr.base_sha),
        ] {
            if let Ok(Some(tip)) = repo::branch_tip(repo, branch) {
                *sha = tip.to_string();
            }
        }
    }
    pr
}

fn ensure_open(pr: &PullRequest, doing: &str) -> ForgeResult<()> {
    match pr.state {
        PrState::Open => Ok(()),
        PrState::Closed => Err(ForgeError::Conflict(format!(
            "pull request #{} is closed and cannot be {doing}; reopen it first",
            pr.number
        ))),
        PrState::Merged => Err(ForgeError::Conflict(format!(
            "pull request #{} is already merged and cannot be {doing}",
            pr.number
        ))),
    }
}

/// Commits `files` on top of `parent` (or as a first commit) and points `branch` at it.
fn commit_files(
    repo: &git2::Repository,
    branch: &str,
    parent: Option<&str>,
    by: (&str, &str),
    message: &str,
    files: &[FileChange],
) -> ForgeResult<Sha> {
    repo::check_branch_name(branch)?;
    let parent = parent.map(|p| resolve_commit(repo, p)).transpose()?;
    let base_tree = match &parent {
        Some(c) => c.tree().map_err(git_err("read a tree"))?,
        None => {
            let empty = repo
                .treebuilder(None)
                .and_then(|b| b.write())
                .map_err(git_err("write an empty tree"))?;
            repo.find_tree(empty).map_err(git_err("read a tree"))?
        }
    };
    let tree = repo::build_tree(repo, &base_tree, files)?;
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    let id = repo::write_commit(repo, &parents, tree, by, message)?;
    repo::set_branch(repo, branch, id, "adoptbot: commit")?;
    Ok(id.to_string())
}

fn merge_commit(
    repo: &git2::Repository,
    pr: &PullRequest,
    [base, head]: [git2::Oid; 2],
    merger_login: &str,
) -> ForgeResult<git2::Oid> {
    let find = |id| repo.find_commit(id).map_err(git_err("read a commit"));
    let (base, head) = (find(base)?, find(head)?);
    let mut index = repo
        .merge_commits(&base, &head, None)
        .map_err(git_err("merge two commits"))?;
    if index.has_conflicts() {
        let mut paths: Vec<String> = index
            .conflicts()
            .map_err(git_err("list merge conflicts"))?
            .filter_map(Result::ok)
            .filter_map(|c| c.our.or(c.their).or(c.ancestor))
            .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            .collect();
        paths.dedup();
        return Err(ForgeError::Conflict(format!(
            "pull request #{} conflicts with `{}` in {}; update its branch first",
            pr.number,
            pr.base_branch,
            paths.join(", ")
        )));
    }
    let tree = index
        .write_tree_to(repo)
        .map_err(git_err("write the merged tree"))?;
    let message = format!(
        "Merge pull request #{} from {}\n\n{}\n",
        pr.number, pr.head_branch, pr.title
    );
    let email = format!("{merger_login}@adoptbot.local");
    repo::write_commit(
        repo,
        &[&base, &head],
        tree,
        (merger_login, &email),
        &message,
    )
}

/// Records a new pull request, refusing what GitHub refuses: a missing branch, a duplicate of
/// an open one, or a head with no commits the base lacks.
fn open_pull(
    repo: &git2::Repository,
    state: &mut State,
    author: &str,
    [head_branch, base_branch]: [&str; 2],
    title: &str,
    body: &str,
) -> ForgeResult<PullRequest> {
    let head = require_branch(repo, head_branch)?;
    let base = require_branch(repo, base_branch)?;
    ensure_no_open_duplicate(state, head_branch, base_branch)?;
    if repo::contains(repo, base, head)? {
        return Err(ForgeError::Conflict(format!(
            "there are no commits between `{base_branch}` and `{head_branch}`"
        )));
    }
    let pull = PullRequest {
        number: state.take_number(),
        title: title.to_owned(),
        body: body.to_owned(),
        state: PrState::Open,
        author: author.to_owned(),
        author_id: 0,
        head_branch: head_branch.to_owned(),
        head_sha: head.to_string(),
        base_branch: base_branch.to_owned(),
        base_sha: base.to_string(),
        merge_sha: None,
        requested_users: Vec::new(),
        requested_teams: Vec::new(),
    };
    state.pulls.push(PullRecord {
        pull: pull.clone(),
        labels: Default::default(),
        requested_reviewers: Default::default(),
        requested_teams: Default::default(),
    });
    Ok(pull)
}

fn ensure_no_open_duplicate(state: &State, head: &str, base: &str) -> ForgeResult<()> {
    let open = state
        .pulls
        .iter()
        .map(|p| &p.pull)
        .find(|p| p.state == PrState::Open && p.head_branch == head && p.base_branch == base);
    match open {
        Some(p) => Err(ForgeError::Conflict(format!(
            "pull request #{} is already open from `{head}` into `{base}`",
            p.number
        ))),
        None => Ok(()),
    }
}

fn add_comment(state: &mut State, author: &str, issue: u64, body: &str) -> ForgeResult<Comment> {
    if !state.has_issue(issue) {
        return Err(state::no_issue(issue));
    }
    let comment = Comment {
        id: state.take_comment_id(),
        author: author.to_owned(),
        body: body.to_owned(),
    };
    state.comments.push(CommentRecord {
        issue,
        comment: comment.clone(),
    });
    Ok(comment)
}

fn check_login(login: &str) -> ForgeResult<()> {
    if login.is_empty() || login.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(ForgeError::Other(format!(
            "`{login}` is not a login; give a GitHub user name, such as `olivia`"
        )));
    }
    Ok(())
}

fn no_comment(id: u64) -> ForgeError {
    ForgeError::NotFound(format!("there is no comment {id}"))
}

fn no_check_run(id: u64) -> ForgeError {
    ForgeError::NotFound(format!("there is no check run {id}"))
}

impl Forge for LocalForge {
    fn bot_login(&self) -> &str {
        &self.bot_login
    }

    fn calls(&self) -> CallCount {
        CallCount {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    async fn snapshot(&self, sha: &str) -> ForgeResult<Snapshot> {
        self.count_read();
        self.git(|repo| {
            let commit = resolve_commit(repo, sha)?;
            let tree = commit.tree().map_err(git_err("read a tree"))?;
            crate::load::git::read_tree(repo, &tree).map_err(|e| {
                ForgeError::Other(format!("cannot read the files of commit {sha}: {e}"))
            })
        })
    }

    async fn default_branch(&self) -> ForgeResult<(String, Sha)> {
        self.count_read();
        self.git(|repo| {
            let Some(target) = repo::head_target(repo) else {
                return Err(ForgeError::Other(
                    "HEAD is detached, so there is no default branch; point HEAD at a branch \
                     with `git symbolic-ref HEAD refs/heads/main`"
                        .into(),
                ));
            };
            let branch = target.strip_prefix("refs/heads/").unwrap_or(&target);
            let tip = repo::branch_tip(repo, branch)?.ok_or_else(|| {
                ForgeError::NotFound(format!("the default branch `{branch}` has no commit yet"))
            })?;
            Ok((branch.to_owned(), tip.to_string()))
        })
    }

    async fn pull(&self, number: u64) -> ForgeResult<PullRequest> {
        self.count_read();
        self.pull_now(number)
    }

    async fn pull_files(&self, number: u64) -> ForgeResult<Vec<ChangedFile>> {
        self.count_read();
        let pr = self.pull_now(number)?;
        self.git(|repo| {
            let sha = |s: &str| git2::Oid::from_str(s).map_err(git_err("read a SHA"));
            let (base, head) = (sha(&pr.base_sha)?, sha(&pr.head_sha)?);
            // Unrelated histories have no merge base: compare with the base itself.
            let from = repo.merge_base(base, head).unwrap_or(base);
            repo::changed_files(repo, from, head)
        })
    }

    async fn pulls_by_branch_prefix(&self, prefix: &str) -> ForgeResult<Vec<PullRequest>> {
        self.count_read();
        self.query(|repo, state| {
            Ok(state
                .pulls
                .iter()
                .filter(|p| p.pull.head_branch.starts_with(prefix))
                .map(|p| with_author_id(live(repo, p), state))
                .collect())
        })
    }

    async fn branch_commits(&self, base: &str, branch: &str) -> ForgeResult<Vec<Commit>> {
        self.count_read();
        self.git(|repo| {
            let base = resolve_commit(repo, base)?.id();
            let head = resolve_commit(repo, branch)?.id();
            repo::commits_between(repo, base, head)
        })
        .map(|c| self.vouch(c))
    }

    async fn comments(&self, issue: u64) -> ForgeResult<Vec<Comment>> {
        self.count_read();
        self.query(|_, state| {
            if !state.has_issue(issue) {
                return Err(state::no_issue(issue));
            }
            Ok(state
                .comments
                .iter()
                .filter(|c| c.issue == issue)
                .map(|c| c.comment.clone())
                .collect())
        })
    }

    async fn check_runs(&self, sha: &str) -> ForgeResult<Vec<CheckRun>> {
        self.count_read();
        self.query(|repo, state| {
            let sha = resolve_commit(repo, sha)?.id().to_string();
            Ok(state
                .check_runs
                .iter()
                .filter(|c| c.run.head_sha == sha)
                .map(|c| c.run.clone())
                .collect())
        })
    }

    /// Pending reviews show to their author only, as on GitHub: here, the bot's own.
    async fn reviews(&self, number: u64) -> ForgeResult<Vec<Review>> {
        self.count_read();
        self.query(|_, state| {
            if state.pull(number).is_none() {
                return Err(state::no_pull(number, state.has_issue(number)));
            }
            Ok(state
                .reviews
                .iter()
                .filter(|r| r.number == number)
                .map(|r| &r.review)
                .filter(|r| {
                    r.state != ReviewState::Pending
                        || r.user_login.eq_ignore_ascii_case(&self.bot_login)
                })
                .cloned()
                .collect())
        })
    }

    async fn pull_changes(
        &self,
        pull: &PullRequest,
    ) -> ForgeResult<(Vec<ChangedFile>, Vec<Commit>)> {
        Ok((
            self.pull_files(pull.number).await?,
            self.pull_commits(pull.number).await?,
        ))
    }

    async fn requested_reviewers(&self, number: u64) -> ForgeResult<(Vec<String>, Vec<String>)> {
        self.count_read();
        self.query(|_, state| match state.pull(number) {
            Some(rec) => Ok((
                rec.requested_reviewers.iter().cloned().collect(),
                rec.requested_teams.iter().cloned().collect(),
            )),
            None => Err(state::no_pull(number, state.has_issue(number))),
        })
    }

    async fn team_members(&self, org: &str, team_slug: &str) -> ForgeResult<Vec<Member>> {
        self.count_read();
        self.query(|_, state| {
            state.team_members(org, team_slug).ok_or_else(|| {
                ForgeError::NotFound(format!(
                    "there is no team `{org}/{team_slug}` in the local forge; create it with \
                     `LocalForge::set_team`"
                ))
            })
        })
    }

    /// The local forge keeps no list of accounts: every login is someone, and a login the
    /// records never named gets its id now, the next in order, as a review or a team would
    /// give it (so this read may add to the records). It is never [`ForgeError::NotFound`],
    /// except for what cannot be a login (empty, or with a space or a `/`). The login comes
    /// back as given; ids ignore case.
    async fn user(&self, login: &str) -> ForgeResult<Member> {
        self.count_read();
        check_login(login).map_err(|e| ForgeError::NotFound(e.to_string()))?;
        self.update(|_, records| {
            Ok(Member {
                login: login.to_owned(),
                id: records.user_id(login),
            })
        })
    }

    async fn permission(&self, login: &str) -> ForgeResult<Permission> {
        self.count_read();
        if check_login(login).is_err() {
            return Ok(Permission::None);
        }
        self.query(|_, state| {
            Ok(state
                .permissions
                .get(&login.to_ascii_lowercase())
                .copied()
                .unwrap_or(Permission::Read))
        })
    }

    // ----- Trust: who made what. -----

    /// Every check run here is the bot's: only the bot writes them.
    fn bot_app(&self) -> BotApp {
        BotApp::Every
    }

    /// The local forge has no branch rules: whoever can write to the repository can write
    /// any branch.
    async fn branch_rules(&self, _branch: &str) -> ForgeResult<Option<Vec<super::BranchRule>>> {
        Ok(None)
    }

    async fn pull_commits(&self, number: u64) -> ForgeResult<Vec<Commit>> {
        self.count_read();
        let pr = self.pull_now(number)?;
        self.git(|repo| {
            let sha = |s: &str| git2::Oid::from_str(s).map_err(git_err("read a SHA"));
            let (base, head) = (sha(&pr.base_sha)?, sha(&pr.head_sha)?);
            let from = repo.merge_base(base, head).unwrap_or(base);
            repo::commits_between(repo, from, head)
        })
        .map(|c| self.vouch(c))
    }

    async fn create_comment(&self, issue: u64, body: &str) -> ForgeResult<Comment> {
        self.count_write();
        self.update(|_, state| add_comment(state, &self.bot_login, issue, body))
    }

    async fn update_comment(&self, id: u64, body: &str) -> ForgeResult<()> {
        self.count_write();
        self.update(|_, state| {
            let rec = state.comments.iter_mut().find(|c| c.comment.id == id);
            rec.ok_or_else(|| no_comment(id))?.comment.body = body.to_owned();
            Ok(())
        })
    }

    async fn create_check_run(&self, spec: &CheckRunSpec) -> ForgeResult<CheckRun> {
        self.count_write();
        self.update(|repo, state| {
            let run = CheckRun {
                id: state.take_check_run_id(),
                name: spec.name.clone(),
                head_sha: resolve_commit(repo, &spec.head_sha)?.id().to_string(),
                conclusion: Some(spec.conclusion),
                title: spec.title.clone(),
                summary: spec.summary.clone(),
                app: None,
            };
            state.check_runs.push(CheckRunRecord {
                run: run.clone(),
                annotations: spec.annotations.clone(),
            });
            Ok(run)
        })
    }

    async fn update_check_run(&self, id: u64, spec: &CheckRunSpec) -> ForgeResult<()> {
        self.count_write();
        self.update(|_, state| {
            let rec = state.check_runs.iter_mut().find(|c| c.run.id == id);
            let rec = rec.ok_or_else(|| no_check_run(id))?;
            if rec.run.head_sha != spec.head_sha {
                return Err(ForgeError::Conflict(format!(
                    "check run {id} is on commit {}, not {}; create a new check run for \
                     another commit",
                    rec.run.head_sha, spec.head_sha
                )));
            }
            rec.run.name = spec.name.clone();
            rec.run.conclusion = Some(spec.conclusion);
            rec.run.title = spec.title.clone();
            rec.run.summary = spec.summary.clone();
            rec.annotations.extend(spec.annotations.iter().cloned());
            Ok(())
        })
    }

    async fn commit_to_branch(
        &self,
        branch: &str,
        parent: &str,
        message: &str,
        files: &[FileChange],
    ) -> ForgeResult<Sha> {
        self.count_write();
        let email = self.bot_email();
        let by = (self.bot_login.as_str(), email.as_str());
        self.git(|repo| commit_files(repo, branch, Some(parent), by, message, files))
    }

    async fn create_pull(
        &self,
        head_branch: &str,
        base_branch: &str,
        title: &str,
        body: &str,
    ) -> ForgeResult<PullRequest> {
        self.count_write();
        self.update(|repo, state| {
            let branches = [head_branch, base_branch];
            open_pull(repo, state, &self.bot_login, branches, title, body)
        })
    }

    async fn update_pull(
        &self,
        number: u64,
        title: &str,
        body: &str,
        reopen: bool,
    ) -> ForgeResult<()> {
        self.count_write();
        self.update(|repo, state| {
            let pr = state.pull_mut(number)?.pull.clone();
            let reopening = reopen && pr.state == PrState::Closed;
            if reopen && pr.state == PrState::Merged {
                ensure_open(&pr, "reopened")?;
            }
            if reopening {
                require_branch(repo, &pr.head_branch)?;
                require_branch(repo, &pr.base_branch)?;
                ensure_no_open_duplicate(state, &pr.head_branch, &pr.base_branch)?;
            }
            let rec = state.pull_mut(number)?;
            rec.pull.title = title.to_owned();
            rec.pull.body = body.to_owned();
            if reopening {
                rec.pull.state = PrState::Open;
            }
            Ok(())
        })
    }

    async fn request_reviewers(
        &self,
        number: u64,
        users: &[String],
        teams: &[String],
    ) -> ForgeResult<()> {
        self.count_write();
        self.update(|_, state| {
            let rec = state.pull_mut(number)?;
            if let Some(author) = users.iter().find(|u| u.eq_ignore_ascii_case(&rec.pull.author)) {
                return Err(ForgeError::Conflict(format!(
                    "a review cannot be requested from {author}, the author of pull request #{number}"
                )));
            }
            rec.requested_reviewers.extend(users.iter().cloned());
            rec.requested_teams.extend(teams.iter().cloned());
            Ok(())
        })
    }

    async fn add_labels(&self, issue: u64, labels: &[String]) -> ForgeResult<()> {
        self.count_write();
        self.update(|_, state| {
            state.labels_mut(issue)?.extend(labels.iter().cloned());
            Ok(())
        })
    }

    // ----- Issues, bot branches and secret-scanning alerts: the scheduled report. -----

    async fn issues_by(&self, creator: &str) -> ForgeResult<Vec<super::Issue>> {
        self.count_read();
        self.query(|_, state| {
            Ok(state
                .issues
                .iter()
                .filter(|i| i.author.eq_ignore_ascii_case(creator))
                .map(issue_of)
                .collect())
        })
    }

    async fn issue(&self, number: u64) -> ForgeResult<super::Issue> {
        self.count_read();
        self.query(|_, state| {
            state
                .issues
                .iter()
                .find(|i| i.number == number)
                .map(issue_of)
                .ok_or_else(|| state::no_issue(number))
        })
    }

    async fn create_issue(&self, title: &str, body: &str) -> ForgeResult<super::Issue> {
        self.count_write();
        let bot = self.bot_login.clone();
        self.update(|_, state| {
            let number = state.take_number();
            let rec = IssueRecord {
                number,
                title: title.to_owned(),
                body: body.to_owned(),
                author: bot,
                labels: Default::default(),
                closed: false,
            };
            let issue = issue_of(&rec);
            state.issues.push(rec);
            Ok(issue)
        })
    }

    async fn update_issue(
        &self,
        number: u64,
        body: Option<&str>,
        state_to: Option<super::IssueState>,
    ) -> ForgeResult<()> {
        self.count_write();
        self.update(|_, state| {
            let rec = state
                .issues
                .iter_mut()
                .find(|i| i.number == number)
                .ok_or_else(|| state::no_issue(number))?;
            if let Some(b) = body {
                rec.body = b.to_owned();
            }
            if let Some(s) = state_to {
                rec.closed = s == super::IssueState::Closed;
            }
            Ok(())
        })
    }

    async fn branch_head(&self, branch: &str) -> ForgeResult<Option<Sha>> {
        self.count_read();
        self.git(|repo| Ok(repo::branch_tip(repo, branch)?.map(|o| o.to_string())))
    }

    async fn files_under(
        &self,
        sha: &str,
        prefix: &str,
    ) -> ForgeResult<std::collections::BTreeMap<String, Vec<u8>>> {
        self.count_read();
        self.git(|repo| {
            let commit = resolve_commit(repo, sha)?;
            let tree = commit.tree().map_err(git_err("read a tree"))?;
            let mut out = std::collections::BTreeMap::new();
            let max = crate::load::yaml::MAX_FILE_BYTES;
            tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                let path = format!("{dir}{}", entry.name().unwrap_or_default());
                if entry.kind() == Some(git2::ObjectType::Blob)
                    && entry.filemode() != i32::from(git2::FileMode::Link)
                    && path.starts_with(prefix)
                    && let Ok(blob) = repo.find_blob(entry.id())
                    && blob.size() <= max
                {
                    out.insert(path, blob.content().to_vec());
                }
                git2::TreeWalkResult::Ok
            })
            .map_err(git_err("walk a tree"))?;
            Ok(out)
        })
    }

    /// The local forge has no secret scanning.
    async fn secret_alerts(&self) -> ForgeResult<Option<Vec<crate::model::finding::SecretAlert>>> {
        self.count_read();
        Ok(None)
    }
}

fn issue_of(rec: &IssueRecord) -> super::Issue {
    super::Issue {
        number: rec.number,
        title: rec.title.clone(),
        body: rec.body.clone(),
        state: if rec.closed {
            super::IssueState::Closed
        } else {
            super::IssueState::Open
        },
        author: rec.author.clone(),
    }
}
