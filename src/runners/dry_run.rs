//! A forge that reads through another and writes nothing: `adoptbot report --dry-run`. Every
//! write is answered as if it were made (numbers and SHAs of zero), so that the handlers plan
//! and report exactly the writes a real run would make, and none reaches the forge.

use crate::forge::{
    CallCount, ChangedFile, CheckRun, CheckRunSpec, Comment, Commit, FileChange, Forge,
    ForgeResult, Issue, IssueState, Member, Permission, PrState, PullRequest, Review, Sha,
};
use crate::load::Snapshot;
use crate::model::finding::SecretAlert;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

/// Reads through `F`; writes are counted, never sent.
pub struct DryRun<'a, F: Forge> {
    inner: &'a F,
    writes: AtomicU32,
}

impl<'a, F: Forge> DryRun<'a, F> {
    pub fn new(inner: &'a F) -> Self {
        DryRun {
            inner,
            writes: AtomicU32::new(0),
        }
    }

    fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }
}

impl<F: Forge + Sync> Forge for DryRun<'_, F> {
    fn bot_login(&self) -> &str {
        self.inner.bot_login()
    }
    /// The reads made, and the writes that would have been.
    fn calls(&self) -> CallCount {
        CallCount {
            reads: self.inner.calls().reads,
            writes: self.writes.load(Ordering::Relaxed),
        }
    }
    async fn snapshot(&self, sha: &str) -> ForgeResult<Snapshot> {
        self.inner.snapshot(sha).await
    }
    async fn default_branch(&self) -> ForgeResult<(String, Sha)> {
        self.inner.default_branch().await
    }
    async fn pull(&self, number: u64) -> ForgeResult<PullRequest> {
        self.inner.pull(number).await
    }
    async fn pull_files(&self, number: u64) -> ForgeResult<Vec<ChangedFile>> {
        self.inner.pull_files(number).await
    }
    async fn pulls_by_branch_prefix(&self, prefix: &str) -> ForgeResult<Vec<PullRequest>> {
        self.inner.pulls_by_branch_prefix(prefix).await
    }
    async fn branch_commits(&self, base: &str, branch: &str) -> ForgeResult<Vec<Commit>> {
        self.inner.branch_commits(base, branch).await
    }
    async fn comments(&self, issue: u64) -> ForgeResult<Vec<Comment>> {
        self.inner.comments(issue).await
    }
    async fn check_runs(&self, sha: &str) -> ForgeResult<Vec<CheckRun>> {
        self.inner.check_runs(sha).await
    }
    async fn reviews(&self, number: u64) -> ForgeResult<Vec<Review>> {
        self.inner.reviews(number).await
    }
    async fn pull_changes(
        &self,
        pull: &crate::forge::PullRequest,
    ) -> ForgeResult<(Vec<crate::forge::ChangedFile>, Vec<crate::forge::Commit>)> {
        self.inner.pull_changes(pull).await
    }

    async fn requested_reviewers(&self, number: u64) -> ForgeResult<(Vec<String>, Vec<String>)> {
        self.inner.requested_reviewers(number).await
    }
    async fn team_members(&self, org: &str, team_slug: &str) -> ForgeResult<Vec<Member>> {
        self.inner.team_members(org, team_slug).await
    }
    async fn user(&self, login: &str) -> ForgeResult<Member> {
        self.inner.user(login).await
    }
    async fn permission(&self, login: &str) -> ForgeResult<Permission> {
        self.inner.permission(login).await
    }
    fn bot_app(&self) -> crate::forge::BotApp {
        self.inner.bot_app()
    }
    async fn pull_commits(&self, number: u64) -> ForgeResult<Vec<crate::forge::Commit>> {
        self.inner.pull_commits(number).await
    }
    async fn branch_rules(
        &self,
        branch: &str,
    ) -> ForgeResult<Option<Vec<crate::forge::BranchRule>>> {
        self.inner.branch_rules(branch).await
    }
    async fn create_comment(&self, _issue: u64, body: &str) -> ForgeResult<Comment> {
        self.wrote();
        Ok(Comment {
            id: 0,
            author: self.bot_login().to_owned(),
            body: body.to_owned(),
        })
    }
    async fn update_comment(&self, _id: u64, _body: &str) -> ForgeResult<()> {
        self.wrote();
        Ok(())
    }
    async fn create_check_run(&self, spec: &CheckRunSpec) -> ForgeResult<CheckRun> {
        self.wrote();
        Ok(CheckRun {
            id: 0,
            name: spec.name.clone(),
            head_sha: spec.head_sha.clone(),
            conclusion: Some(spec.conclusion),
            title: spec.title.clone(),
            summary: spec.summary.clone(),
            app: None,
        })
    }
    async fn update_check_run(&self, _id: u64, _spec: &CheckRunSpec) -> ForgeResult<()> {
        self.wrote();
        Ok(())
    }
    async fn commit_to_branch(
        &self,
        _branch: &str,
        _parent: &str,
        _message: &str,
        _files: &[FileChange],
    ) -> ForgeResult<Sha> {
        self.wrote();
        Ok("0".repeat(40))
    }
    async fn create_pull(
        &self,
        head_branch: &str,
        base_branch: &str,
        title: &str,
        body: &str,
    ) -> ForgeResult<PullRequest> {
        self.wrote();
        Ok(PullRequest {
            number: 0,
            title: title.to_owned(),
            body: body.to_owned(),
            state: PrState::Open,
            author: self.bot_login().to_owned(),
            author_id: 0,
            head_branch: head_branch.to_owned(),
            head_sha: String::new(),
            base_branch: base_branch.to_owned(),
            base_sha: String::new(),
            merge_sha: None,
            requested_users: Vec::new(),
            requested_teams: Vec::new(),
        })
    }
    async fn update_pull(&self, _: u64, _: &str, _: &str, _: bool) -> ForgeResult<()> {
        self.wrote();
        Ok(())
    }
    async fn request_reviewers(
        &self,
        _: u64,
        users: &[String],
        teams: &[String],
    ) -> ForgeResult<()> {
        if !(users.is_empty() && teams.is_empty()) {
            self.wrote();
        }
        Ok(())
    }
    async fn add_labels(&self, _: u64, labels: &[String]) -> ForgeResult<()> {
        if !labels.is_empty() {
            self.wrote();
        }
        Ok(())
    }
    async fn issues_by(&self, creator: &str) -> ForgeResult<Vec<Issue>> {
        self.inner.issues_by(creator).await
    }
    async fn issue(&self, number: u64) -> ForgeResult<Issue> {
        self.inner.issue(number).await
    }
    async fn create_issue(&self, title: &str, body: &str) -> ForgeResult<Issue> {
        self.wrote();
        Ok(Issue {
            number: 0,
            title: title.to_owned(),
            body: body.to_owned(),
            state: IssueState::Open,
            author: self.bot_login().to_owned(),
        })
    }
    async fn update_issue(
        &self,
        _: u64,
        _: Option<&str>,
        _: Option<IssueState>,
    ) -> ForgeResult<()> {
        self.wrote();
        Ok(())
    }
    async fn branch_head(&self, branch: &str) -> ForgeResult<Option<Sha>> {
        self.inner.branch_head(branch).await
    }
    async fn files_under(&self, sha: &str, prefix: &str) -> ForgeResult<BTreeMap<String, Vec<u8>>> {
        self.inner.files_under(sha, prefix).await
    }
    async fn secret_alerts(&self) -> ForgeResult<Option<Vec<SecretAlert>>> {
        self.inner.secret_alerts().await
    }
}
