//! The simulated repository: git objects (commits with flat trees of files), branches, pull
//! requests, issue comments, check runs, labels, requested reviewers, reviews, and the
//! accounts and teams of its organisation. Plain data; the HTTP side (`api.rs`) reads and
//! changes it, and tests seed it directly.
//!
//! People have numeric ids, as on GitHub: a login seen anywhere has a stable id (a hash of
//! it) unless [`Repo::add_user`] registered it; a registered account keeps its id across
//! [`Repo::rename_user`], and reviews and team memberships refer to it by id, so they show the
//! new login.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

pub const MODE_FILE: &str = "100644";
pub const MODE_EXECUTABLE: &str = "100755";
pub const MODE_SYMLINK: &str = "120000";

/// A file of a tree: its mode and bytes (for a symlink, the target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub mode: &'static str,
    pub content: Vec<u8>,
}

impl File {
    pub fn blob_sha(&self) -> String {
        git_hash(git2::ObjectType::Blob, &self.content)
    }
}

/// A tree, flat: path to file.
pub type Tree = BTreeMap<String, File>;

#[derive(Debug, Clone)]
pub struct CommitObj {
    pub sha: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author_name: String,
    pub author_email: String,
    /// The committer: the author, unless the commit was made otherwise.
    pub committer_name: String,
    pub committer_email: String,
    /// Whether GitHub verified its signature: commits an App makes through the git data API
    /// are signed by GitHub; a person's push is not.
    pub verified: bool,
    pub date: String,
    /// Creation order, to list commits oldest first.
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub open: bool,
    pub author: String,
    pub head_ref: String,
    /// The head when the branch is gone or lives in a fork; else the branch's head is used.
    pub head_sha: String,
    /// `Some(owner/name)` when the head branch lives in a fork.
    pub fork: Option<String>,
    pub base_ref: String,
    pub merged_at: Option<String>,
    pub merge_commit_sha: Option<String>,
    pub closed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub requested_reviewers: Vec<String>,
    pub requested_teams: Vec<String>,
    /// The base's commit when the pull request was closed or merged: GitHub stops moving
    /// `base.sha` then (for a merge, the base just before it).
    pub closed_base_sha: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IssueComment {
    pub id: u64,
    pub issue: u64,
    pub author: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// Every annotation received, in order (GitHub appends them across updates).
    pub annotations: Vec<serde_json::Value>,
    pub started_at: String,
    pub completed_at: Option<String>,
    /// The App that created it: `(id, slug)`.
    pub app: (u64, String),
}

/// The App the simulator's own seeded runs belong to (a CI App, not the bot's).
pub const OTHER_APP: (u64, &str) = (15368, "github-actions");

/// A review of a pull request. `state` is GitHub's word: `APPROVED`, `CHANGES_REQUESTED`,
/// `COMMENTED`, `DISMISSED` or `PENDING`.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: u64,
    pub pull: u64,
    pub user_id: u64,
    pub state: String,
    /// `None` once the commit was garbage-collected.
    pub commit_id: Option<String>,
    pub body: String,
    /// `None` while pending.
    pub submitted_at: Option<String>,
}

/// The review states [`Repo::add_review`] takes.
pub const REVIEW_STATES: [&str; 4] = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "PENDING"];

/// A stable id for a name: logins, labels, repositories and teams not registered otherwise.
pub fn id_of(name: &str) -> u64 {
    name.bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
        % 100_000_000
}

/// The id of a team, as GitHub shows it and puts it in `Link` headers.
pub fn team_id(org: &str, slug: &str) -> u64 {
    id_of(&format!(
        "team:{}/{}",
        org.to_ascii_lowercase(),
        slug.to_ascii_lowercase()
    ))
}

/// The id of an organisation.
pub fn org_id(org: &str) -> u64 {
    id_of(&format!("org:{}", org.to_ascii_lowercase()))
}

/// One repository on the simulated GitHub.
#[derive(Debug, Clone)]
pub struct Repo {
    pub owner: String,
    pub name: String,
    pub id: u64,
    pub default_branch: String,
    pub trees: HashMap<String, Tree>,
    pub commits: HashMap<String, CommitObj>,
    pub branches: BTreeMap<String, String>,
    pub pulls: BTreeMap<u64, Pull>,
    /// Plain issues (numbers shared with pulls).
    pub issues: BTreeSet<u64>,
    pub comments: Vec<IssueComment>,
    pub check_runs: Vec<CheckRun>,
    pub labels: BTreeMap<u64, Vec<String>>,
    /// Users and teams that exist, for review requests.
    pub users: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    /// Registered accounts: login to numeric id (see [`Repo::add_user`]).
    pub accounts: BTreeMap<String, u64>,
    /// Every review, in submission order.
    pub reviews: Vec<Review>,
    /// Teams of any organisation, `(org, slug)` to the ids of their members.
    pub team_members: BTreeMap<(String, String), Vec<u64>>,
    /// Repository roles by lower-case login (`admin`, `maintain`, `write`, `triage`, `read`
    /// or a custom role with its base); anyone else reads, as on a public repository.
    pub roles: BTreeMap<String, (String, String)>,
    /// The rules that apply to each branch, as `GET /rules/branches/{branch}` lists them
    /// (`repository-rule-detailed` objects); a branch without an entry has none.
    pub branch_rules: BTreeMap<String, Vec<serde_json::Value>>,
    /// The title, body, author and state of plain issues opened with [`Repo::open_issue`]
    /// (the dashboard); numbers are in `issues` too.
    pub issue_data: BTreeMap<u64, IssueData>,
    /// Open secret-scanning alerts as `(number, secret_type, display name)`; `None`: secret
    /// scanning is off (GitHub answers 404).
    pub secret_alerts: Option<Vec<(u64, String, String)>>,
    /// Issues switched off: the issues endpoints answer 410, as GitHub does.
    pub issues_disabled: bool,
    next_number: u64,
    next_id: u64,
    clock: u64,
}

/// A plain issue's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueData {
    pub title: String,
    pub body: String,
    pub author: String,
    pub open: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A git object id of `data` as an object of `kind` (a real SHA-1, as git computes it).
pub fn git_hash(kind: git2::ObjectType, data: &[u8]) -> String {
    git2::Oid::hash_object(kind, data)
        .expect("hash an object")
        .to_string()
}

impl Repo {
    pub fn new(owner: &str, name: &str) -> Repo {
        Repo {
            owner: owner.into(),
            name: name.into(),
            id: 1_296_269,
            default_branch: "main".into(),
            trees: HashMap::new(),
            commits: HashMap::new(),
            branches: BTreeMap::new(),
            pulls: BTreeMap::new(),
            issues: BTreeSet::new(),
            comments: Vec::new(),
            check_runs: Vec::new(),
            labels: BTreeMap::new(),
            users: BTreeSet::new(),
            teams: BTreeSet::new(),
            accounts: BTreeMap::new(),
            reviews: Vec::new(),
            team_members: BTreeMap::new(),
            roles: BTreeMap::new(),
            branch_rules: BTreeMap::new(),
            issue_data: BTreeMap::new(),
            secret_alerts: None,
            issues_disabled: false,
            next_number: 1,
            next_id: 1000,
            clock: 0,
        }
    }

    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// A timestamp that moves one second per event.
    pub fn now(&mut self) -> String {
        self.clock += 1;
        let t = self.clock;
        format!(
            "2024-05-{:02}T{:02}:{:02}:{:02}Z",
            1 + t / 86_400,
            t / 3600 % 24,
            t / 60 % 60,
            t % 60
        )
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn next_number(&mut self) -> u64 {
        let n = self.next_number;
        self.next_number += 1;
        n
    }

    /// Stores a tree, returning its id.
    pub fn put_tree(&mut self, tree: Tree) -> String {
        let mut listing = Vec::new();
        for (path, file) in &tree {
            listing.extend_from_slice(
                format!("{} {} {path}\n", file.mode, file.blob_sha()).as_bytes(),
            );
        }
        let sha = git_hash(git2::ObjectType::Tree, &listing);
        self.trees.insert(sha.clone(), tree);
        sha
    }

    /// Stores a commit object, returning its id.
    pub fn put_commit(
        &mut self,
        tree: String,
        parents: Vec<String>,
        message: &str,
        author_name: &str,
        author_email: &str,
    ) -> String {
        let date = self.now();
        let mut text = format!("tree {tree}\n");
        for p in &parents {
            text.push_str(&format!("parent {p}\n"));
        }
        text.push_str(&format!(
            "author {author_name} <{author_email}> {}\n\n{message}",
            self.clock
        ));
        let sha = git_hash(git2::ObjectType::Commit, text.as_bytes());
        let seq = self.clock;
        self.commits.insert(
            sha.clone(),
            CommitObj {
                sha: sha.clone(),
                tree,
                parents,
                message: message.into(),
                author_name: author_name.into(),
                author_email: author_email.into(),
                committer_name: author_name.into(),
                committer_email: author_email.into(),
                verified: false,
                date,
                seq,
            },
        );
        sha
    }

    pub fn tree_of(&self, commit: &str) -> Option<&Tree> {
        self.commits
            .get(commit)
            .and_then(|c| self.trees.get(&c.tree))
    }

    /// Commits `changes` (path, `Some(content)` or `None` to delete) on top of `branch`'s
    /// head (or as a root commit when the branch does not exist) and moves the branch.
    pub fn commit(
        &mut self,
        branch: &str,
        message: &str,
        author_email: &str,
        changes: &[(&str, Option<&str>)],
    ) -> String {
        let parent = self.branches.get(branch).cloned();
        let mut tree = parent
            .as_deref()
            .and_then(|p| self.tree_of(p))
            .cloned()
            .unwrap_or_default();
        for (path, content) in changes {
            match content {
                Some(c) => {
                    tree.insert(
                        path.to_string(),
                        File {
                            mode: MODE_FILE,
                            content: c.as_bytes().to_vec(),
                        },
                    );
                }
                None => {
                    tree.remove(*path);
                }
            }
        }
        self.commit_tree(branch, message, author_email, tree)
    }

    /// Commits `tree` as it is on top of `branch` and moves the branch.
    pub fn commit_tree(
        &mut self,
        branch: &str,
        message: &str,
        author_email: &str,
        tree: Tree,
    ) -> String {
        let parent = self.branches.get(branch).cloned();
        let tree = self.put_tree(tree);
        let name = author_email
            .split('@')
            .next()
            .unwrap_or("someone")
            .to_string();
        let sha = self.put_commit(
            tree,
            parent.into_iter().collect(),
            message,
            &name,
            author_email,
        );
        self.branches.insert(branch.into(), sha.clone());
        sha
    }

    /// The head of a branch.
    pub fn head(&self, branch: &str) -> String {
        self.branches
            .get(branch)
            .unwrap_or_else(|| panic!("no branch {branch}"))
            .clone()
    }

    /// A branch name or a commit id, to a commit id.
    pub fn resolve(&self, rev: &str) -> Option<String> {
        let rev = rev.strip_prefix("refs/heads/").unwrap_or(rev);
        if let Some(sha) = self.branches.get(rev) {
            return Some(sha.clone());
        }
        if self.commits.contains_key(rev) {
            return Some(rev.to_string());
        }
        None
    }

    /// Every commit reachable from `sha`.
    pub fn ancestors(&self, sha: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut todo = VecDeque::from([sha.to_string()]);
        while let Some(s) = todo.pop_front() {
            if seen.insert(s.clone())
                && let Some(c) = self.commits.get(&s)
            {
                todo.extend(c.parents.iter().cloned());
            }
        }
        seen
    }

    /// The commits of `head` that `base` lacks, oldest first, and the merge base.
    pub fn compare(&self, base: &str, head: &str) -> (Vec<CommitObj>, Option<String>, usize) {
        let in_base = self.ancestors(base);
        let in_head = self.ancestors(head);
        let mut ahead: Vec<CommitObj> = in_head
            .iter()
            .filter(|s| !in_base.contains(*s))
            .filter_map(|s| self.commits.get(s).cloned())
            .collect();
        ahead.sort_by_key(|c| c.seq);
        let behind = in_base.iter().filter(|s| !in_head.contains(*s)).count();
        let merge_base = in_head
            .iter()
            .filter(|s| in_base.contains(*s))
            .filter_map(|s| self.commits.get(s))
            .max_by_key(|c| c.seq)
            .map(|c| c.sha.clone());
        (ahead, merge_base, behind)
    }

    /// The head of a pull: its branch's while open and in this repository.
    pub fn pull_head(&self, pull: &Pull) -> String {
        match (&pull.fork, pull.open, self.branches.get(&pull.head_ref)) {
            (None, true, Some(sha)) => sha.clone(),
            _ => pull.head_sha.clone(),
        }
    }

    /// Opens a pull request from `head` (a branch here) into `base`.
    pub fn open_pull(
        &mut self,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
        author: &str,
    ) -> u64 {
        let number = self.next_number();
        let head_sha = self.head(head);
        let now = self.now();
        self.pulls.insert(
            number,
            Pull {
                number,
                title: title.into(),
                body: Some(body.into()),
                open: true,
                author: author.into(),
                head_ref: head.into(),
                head_sha,
                fork: None,
                base_ref: base.into(),
                merged_at: None,
                merge_commit_sha: None,
                closed_at: None,
                created_at: now.clone(),
                updated_at: now,
                requested_reviewers: Vec::new(),
                requested_teams: Vec::new(),
                closed_base_sha: None,
            },
        );
        number
    }

    /// Opens a pull request from a fork's branch, with its own head commit.
    pub fn open_fork_pull(
        &mut self,
        fork: &str,
        head: &str,
        base: &str,
        title: &str,
        author: &str,
    ) -> u64 {
        let base_head = self.head(base);
        let tree = self.commits[&base_head].tree.clone();
        let sha = self.put_commit(
            tree,
            vec![base_head],
            title,
            author,
            &format!("{author}@fork.example"),
        );
        let number = self.open_pull(base, base, title, "", author);
        let pull = self.pulls.get_mut(&number).expect("just opened");
        pull.head_ref = head.into();
        pull.head_sha = sha;
        pull.fork = Some(fork.into());
        number
    }

    /// Merges a pull request: a merge commit on the base branch.
    pub fn merge_pull(&mut self, number: u64) -> String {
        let pull = self.pulls[&number].clone();
        let head = self.pull_head(&pull);
        let base = self.head(&pull.base_ref);
        let tree = self.commits[&head].tree.clone();
        let merge = self.put_commit(
            tree,
            vec![base.clone(), head.clone()],
            &format!("Merge pull request #{number}"),
            "GitHub",
            "noreply@github.com",
        );
        self.branches.insert(pull.base_ref.clone(), merge.clone());
        let now = self.now();
        let p = self.pulls.get_mut(&number).expect("pull");
        p.open = false;
        p.head_sha = head;
        p.merged_at = Some(now.clone());
        p.closed_at = Some(now);
        p.merge_commit_sha = Some(merge.clone());
        p.closed_base_sha = Some(base);
        merge
    }

    pub fn close_pull(&mut self, number: u64) {
        let now = self.now();
        let head = self.pull_head(&self.pulls[&number]);
        let base = self.resolve(&self.pulls[&number].base_ref);
        let p = self.pulls.get_mut(&number).expect("pull");
        p.open = false;
        p.head_sha = head;
        p.closed_at = Some(now);
        p.closed_base_sha = base;
    }

    /// Opens a plain issue.
    pub fn add_issue(&mut self) -> u64 {
        let n = self.next_number();
        self.issues.insert(n);
        n
    }

    /// `author` opens an issue with a title and a body.
    pub fn open_issue(&mut self, author: &str, title: &str, body: &str) -> u64 {
        let n = self.add_issue();
        let now = self.now();
        self.issue_data.insert(
            n,
            IssueData {
                title: title.into(),
                body: body.into(),
                author: author.into(),
                open: true,
                created_at: now.clone(),
                updated_at: now,
            },
        );
        n
    }

    /// A person edits an issue: its body, its state, or both.
    pub fn edit_issue(&mut self, n: u64, body: Option<&str>, open: Option<bool>) {
        let now = self.now();
        let i = self.issue_data.get_mut(&n).expect("an issue with data");
        if let Some(b) = body {
            i.body = b.into();
        }
        if let Some(o) = open {
            i.open = o;
        }
        i.updated_at = now;
    }

    pub fn has_issue(&self, n: u64) -> bool {
        self.issues.contains(&n) || self.pulls.contains_key(&n)
    }

    pub fn add_comment(&mut self, issue: u64, author: &str, body: &str) -> u64 {
        let id = self.next_id();
        let now = self.now();
        self.comments.push(IssueComment {
            id,
            issue,
            author: author.into(),
            body: body.into(),
            created_at: now.clone(),
            updated_at: now,
        });
        id
    }

    pub fn add_check_run(
        &mut self,
        sha: &str,
        name: &str,
        conclusion: Option<&str>,
        title: &str,
    ) -> u64 {
        let id = self.next_id();
        let now = self.now();
        self.check_runs.push(CheckRun {
            id,
            name: name.into(),
            head_sha: sha.into(),
            status: if conclusion.is_some() {
                "completed"
            } else {
                "in_progress"
            }
            .into(),
            conclusion: conclusion.map(String::from),
            title: Some(title.into()),
            summary: Some(format!("{title}: summary")),
            annotations: Vec::new(),
            started_at: now.clone(),
            completed_at: conclusion.map(|_| now),
            app: (OTHER_APP.0, OTHER_APP.1.to_string()),
        });
        id
    }

    /// A check run that the App `(id, slug)` posted: an impostor, when it takes the bot's
    /// check name.
    pub fn add_check_run_by(
        &mut self,
        app: (u64, &str),
        sha: &str,
        name: &str,
        conclusion: Option<&str>,
        title: &str,
    ) -> u64 {
        let id = self.add_check_run(sha, name, conclusion, title);
        let run = self.check_runs.last_mut().expect("added");
        run.app = (app.0, app.1.to_string());
        id
    }

    /// The account an email belongs to, as GitHub matches it: the noreply forms
    /// `login@users.noreply.github.com` and `id+login@users.noreply.github.com`, or an
    /// address whose local part is a known account (every person's email in these tests is
    /// `login@<domain>`, and counts as verified for that account).
    pub fn login_for_email(&self, email: &str) -> Option<String> {
        let (local, domain) = email.rsplit_once('@')?;
        if domain.eq_ignore_ascii_case("users.noreply.github.com") {
            let login = match local.split_once('+') {
                Some((id, login)) if id.chars().all(|c| c.is_ascii_digit()) => login,
                _ => local,
            };
            return (!login.is_empty()).then(|| login.to_string());
        }
        self.find_user(local).map(|(l, _)| l)
    }

    /// A person pushes a commit written as someone else: author and committer as given, not
    /// signed.
    pub fn commit_as(
        &mut self,
        branch: &str,
        message: &str,
        author: (&str, &str),
        committer: (&str, &str),
        changes: &[(&str, Option<&str>)],
    ) -> String {
        let sha = self.commit(branch, message, author.1, changes);
        // Re-stored under a new id with the committer given (the id hashes both).
        let mut c = self.commits.remove(&sha).expect("committed");
        c.author_name = author.0.into();
        c.committer_name = committer.0.into();
        c.committer_email = committer.1.into();
        let text = format!(
            "tree {}\nauthor {} <{}>\ncommitter {} <{}> {}\n\n{}",
            c.tree, author.0, author.1, committer.0, committer.1, c.seq, c.message
        );
        let new_sha = git_hash(git2::ObjectType::Commit, text.as_bytes());
        c.sha = new_sha.clone();
        self.commits.insert(new_sha.clone(), c);
        self.branches.insert(branch.into(), new_sha.clone());
        new_sha
    }

    /// The id of `login`: its account's, or else a stable hash of it.
    pub fn user_id(&self, login: &str) -> u64 {
        if let Some((_, id)) = self.account(login) {
            return id;
        }
        // Not an account's: a renamed account's old login is someone else.
        let mut id = id_of(login);
        while self.login_of(id).is_some() {
            id += 1;
        }
        id
    }

    /// The registered account of `login` (case-insensitive): its login as spelled, its id.
    pub fn account(&self, login: &str) -> Option<(String, u64)> {
        self.accounts
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(login))
            .map(|(l, id)| (l.clone(), *id))
    }

    /// The user `login` names (case-insensitive), as `GET /users/{username}` finds it: a
    /// registered account, or a collaborator in [`Repo::users`]. Its login as spelled and its
    /// id ([`Repo::user_id`]). A renamed account's old login finds nobody.
    pub fn find_user(&self, login: &str) -> Option<(String, u64)> {
        self.account(login).or_else(|| {
            let spelled = self.users.iter().find(|u| u.eq_ignore_ascii_case(login))?;
            Some((spelled.clone(), self.user_id(spelled)))
        })
    }

    /// The login of the account with this id.
    pub fn login_of(&self, id: u64) -> Option<String> {
        self.accounts
            .iter()
            .find(|(_, i)| **i == id)
            .map(|(l, _)| l.clone())
    }

    /// Registers an account (a collaborator, so that reviews can be requested from it) and
    /// returns its id; an account already registered keeps its id.
    pub fn add_user(&mut self, login: &str) -> u64 {
        let id = self.user_id(login);
        if self.account(login).is_some() {
            return id;
        }
        self.accounts.insert(login.into(), id);
        self.users.insert(login.into());
        id
    }

    /// Gives `login` a repository role: `role_name` as GitHub names it, and `permission`, its
    /// legacy base (`admin`, `write`, `read`; `maintain` shows as `write`, `triage` as `read`).
    pub fn set_role(&mut self, login: &str, role_name: &str) {
        let base = match role_name {
            "admin" => "admin",
            "maintain" | "write" => "write",
            "triage" | "read" => "read",
            other => panic!("{other}: use set_custom_role for a custom role"),
        };
        self.set_custom_role(login, role_name, base);
    }

    /// A custom role with its base permission.
    pub fn set_custom_role(&mut self, login: &str, role_name: &str, permission: &str) {
        self.add_user(login);
        self.roles.insert(
            login.to_ascii_lowercase(),
            (role_name.to_owned(), permission.to_owned()),
        );
    }

    /// Renames an account: same id, new login. Its reviews and team memberships follow.
    pub fn rename_user(&mut self, old: &str, new: &str) {
        let (spelled, id) = self
            .account(old)
            .unwrap_or_else(|| panic!("no account {old}; add_user it first"));
        assert!(self.account(new).is_none(), "{new} is taken");
        self.accounts.remove(&spelled);
        self.accounts.insert(new.into(), id);
        self.users.remove(&spelled);
        self.users.insert(new.into());
    }

    /// `login` reviews pull request `number` on `commit_id` in `state` (one of
    /// [`REVIEW_STATES`]; use [`Repo::dismiss_review`] to dismiss). Registers the account. A
    /// submitted review takes the reviewer off the requested reviewers, as GitHub does.
    /// Returns the review's id.
    pub fn add_review(&mut self, number: u64, login: &str, state: &str, commit_id: &str) -> u64 {
        assert!(
            self.pulls.contains_key(&number),
            "no pull request #{number}"
        );
        assert!(
            REVIEW_STATES.contains(&state),
            "review state {state} is not one of {REVIEW_STATES:?}"
        );
        assert!(
            self.commits.contains_key(commit_id),
            "no commit {commit_id} to review"
        );
        let author = self.pulls[&number].author.clone();
        assert!(
            !(author.eq_ignore_ascii_case(login)
                && matches!(state, "APPROVED" | "CHANGES_REQUESTED")),
            "GitHub refuses a review of {state} by the author of #{number}"
        );
        let user_id = self.add_user(login);
        let id = self.next_id();
        let submitted_at = (state != "PENDING").then(|| self.now());
        if submitted_at.is_some() {
            let pull = self.pulls.get_mut(&number).expect("pull");
            pull.requested_reviewers
                .retain(|u| !u.eq_ignore_ascii_case(login));
        }
        self.reviews.push(Review {
            id,
            pull: number,
            user_id,
            state: state.into(),
            commit_id: Some(commit_id.into()),
            body: format!("{} by {login}", state.to_ascii_lowercase()),
            submitted_at,
        });
        id
    }

    /// Dismisses an approval or a change request; it stays, as `DISMISSED`.
    pub fn dismiss_review(&mut self, number: u64, review_id: u64) {
        let review = self
            .reviews
            .iter_mut()
            .find(|r| r.pull == number && r.id == review_id)
            .unwrap_or_else(|| panic!("pull request #{number} has no review {review_id}"));
        assert!(
            matches!(review.state.as_str(), "APPROVED" | "CHANGES_REQUESTED"),
            "GitHub refuses to dismiss a review that is {}",
            review.state
        );
        review.state = "DISMISSED".into();
    }

    /// Creates or replaces the team `org/slug` with the accounts `logins` (registered if
    /// new). A team of the repository's owner can be asked for reviews. Returns the ids.
    pub fn set_team(&mut self, org: &str, slug: &str, logins: &[&str]) -> Vec<u64> {
        let ids: Vec<u64> = logins.iter().map(|l| self.add_user(l)).collect();
        let key = self
            .team_key(org, slug)
            .unwrap_or_else(|| (org.into(), slug.into()));
        self.team_members.insert(key, ids.clone());
        if org.eq_ignore_ascii_case(&self.owner) {
            self.teams.insert(slug.into());
        }
        ids
    }

    /// The key of the team `org/slug` (both case-insensitive).
    pub fn team_key(&self, org: &str, slug: &str) -> Option<(String, String)> {
        self.team_members
            .keys()
            .find(|(o, s)| o.eq_ignore_ascii_case(org) && s.eq_ignore_ascii_case(slug))
            .cloned()
    }

    /// The files `head` changes relative to `base` (added, removed, modified; a removal and
    /// an addition of the same content are a rename), by path.
    pub fn diff(
        &self,
        base: &str,
        head: &str,
    ) -> Vec<(String, &'static str, Option<String>, Option<File>)> {
        let empty = Tree::new();
        let old = self.tree_of(base).unwrap_or(&empty);
        let new = self.tree_of(head).unwrap_or(&empty);
        let mut out = Vec::new();
        let mut removed: Vec<(&String, &File)> =
            old.iter().filter(|(p, _)| !new.contains_key(*p)).collect();
        for (path, file) in new {
            match old.get(path) {
                Some(f) if f == file => {}
                Some(_) => out.push((path.clone(), "modified", None, Some(file.clone()))),
                None => match removed.iter().position(|(_, f)| *f == file) {
                    Some(i) => {
                        let (from, _) = removed.remove(i);
                        out.push((
                            path.clone(),
                            "renamed",
                            Some(from.clone()),
                            Some(file.clone()),
                        ));
                    }
                    None => out.push((path.clone(), "added", None, Some(file.clone()))),
                },
            }
        }
        for (path, _) in removed {
            out.push((path.clone(), "removed", None, None));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}
