//! The REST endpoints the simulator serves, on the model. Every JSON answer starts from the
//! matching example of GitHub's OpenAPI description and takes the model's values, so it has
//! every field GitHub sends; `mod.rs` then checks it against the schema.

use super::model::{
    File, MODE_EXECUTABLE, MODE_FILE, MODE_SYMLINK, Pull, Repo, Tree, id_of, team_id,
};
use super::openapi::spec;
use serde_json::{Value, json};

/// An answer to send.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// `Err` is a request the simulator does not expect: the test fails.
pub type Outcome = Result<Answer, String>;

/// A request to one repository's API, decoded.
pub struct Ctx<'a> {
    pub repo: &'a mut Repo,
    pub method: &'a str,
    /// The path after `/repos/{owner}/{repo}/` (or after `/orgs/` for an organisation's
    /// endpoints, `/users/` for a user's), percent-decoded and split.
    pub rest: Vec<String>,
    /// The same, as sent, for messages.
    pub raw_rest: String,
    /// The path `Link` headers point to, without the API base: GitHub's
    /// `/repositories/{id}/...` for a repository's lists.
    pub link_path: String,
    pub query: &'a [(String, String)],
    pub body: Option<&'a Value>,
    /// `http://127.0.0.1:port` plus the API prefix.
    pub api_base: String,
    /// Where the tarball redirect points.
    pub codeload: String,
    /// The login the token belongs to.
    pub actor: String,
    /// The App the token belongs to, `(id, slug)`: the owner of the check runs it creates.
    pub app: (u64, String),
}

pub fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: Some(body),
    }
}

pub fn error(status: u16, message: &str) -> Answer {
    answer(
        status,
        json!({ "message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string() }),
    )
}

fn invalid(resource: &str, message: &str) -> Answer {
    answer(
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{ "resource": resource, "code": "custom", "message": message }],
            "documentation_url": "https://docs.github.com/rest",
        }),
    )
}

/// Dispatches a request to `/repos/{owner}/{repo}/...`.
pub fn route(ctx: &mut Ctx) -> Outcome {
    let owned = ctx.rest.clone();
    let rest: Vec<&str> = owned.iter().map(String::as_str).collect();
    match (ctx.method, rest.as_slice()) {
        ("GET", []) => {
            ctx.allow_query(&[])?;
            Ok(answer(200, repository(ctx.repo)))
        }
        ("GET", ["tarball", r @ ..]) if !r.is_empty() => tarball_redirect(ctx, &r.join("/")),
        ("GET", ["git", "ref", r @ ..]) if !r.is_empty() => get_ref(ctx, &r.join("/")),
        ("GET", ["git", "commits", sha]) => {
            ctx.allow_query(&[])?;
            match ctx.repo.commits.get(*sha) {
                Some(_) => Ok(answer(200, git_commit(ctx.repo, sha))),
                None => Ok(error(404, "Not Found")),
            }
        }
        ("POST", ["git", "trees"]) => create_tree(ctx),
        ("POST", ["git", "commits"]) => create_commit(ctx),
        ("POST", ["git", "refs"]) => create_ref(ctx),
        ("PATCH", ["git", "refs", r @ ..]) if !r.is_empty() => update_ref(ctx, &r.join("/")),
        ("GET", ["pulls"]) => list_pulls(ctx),
        ("POST", ["pulls"]) => create_pull(ctx),
        ("GET", ["pulls", n]) => {
            ctx.allow_query(&[])?;
            match number(n).and_then(|n| ctx.repo.pulls.get(&n)) {
                Some(p) => Ok(answer(200, pull_json(ctx.repo, p, false))),
                None => Ok(error(404, "Not Found")),
            }
        }
        ("PATCH", ["pulls", n]) => update_pull(ctx, n),
        ("GET", ["pulls", n, "files"]) => pull_files(ctx, n),
        ("POST", ["pulls", n, "requested_reviewers"]) => request_reviewers(ctx, n),
        ("GET", ["pulls", n, "requested_reviewers"]) => requested_reviewers(ctx, n),
        ("GET", ["pulls", n, "reviews"]) => list_reviews(ctx, n),
        ("GET", ["pulls", n, "commits"]) => pull_commits(ctx, n),
        ("GET", ["rules", "branches", b @ ..]) if !b.is_empty() => {
            ctx.allow_query(&["per_page", "page"])?;
            let rules = ctx
                .repo
                .branch_rules
                .get(&b.join("/"))
                .cloned()
                .unwrap_or_default();
            ctx.paged(rules, Value::Array)
        }
        ("GET", ["collaborators", login, "permission"]) => permission(ctx, login),
        ("GET", ["compare", r @ ..]) if !r.is_empty() => compare(ctx, &r.join("/")),
        ("GET", ["issues", n, "comments"]) => list_comments(ctx, n),
        ("POST", ["issues", n, "comments"]) => create_comment(ctx, n),
        ("PATCH", ["issues", "comments", id]) => update_comment(ctx, id),
        ("POST", ["issues", n, "labels"]) => add_labels(ctx, n),
        ("GET", ["commits", r, "check-runs"]) => list_check_runs(ctx, r),
        ("POST", ["check-runs"]) => create_check_run(ctx),
        ("PATCH", ["check-runs", id]) => update_check_run(ctx, id),
        // The scheduled report's endpoints.
        ("GET", ["issues"]) => list_issues(ctx),
        ("POST", ["issues"]) => create_issue(ctx),
        ("GET", ["issues", n]) => get_issue(ctx, n),
        ("PATCH", ["issues", n]) => update_issue(ctx, n),
        ("GET", ["secret-scanning", "alerts"]) => secret_alerts(ctx),
        _ => Err(format!(
            "{} /repos/{}/{}: no such endpoint in the simulator",
            ctx.method,
            ctx.repo.full_name(),
            ctx.raw_rest
        )),
    }
}

/// Dispatches a request to `/orgs/...`; `ctx.rest` is the path after `/orgs/`.
pub fn route_org(ctx: &mut Ctx) -> Outcome {
    let owned = ctx.rest.clone();
    let rest: Vec<&str> = owned.iter().map(String::as_str).collect();
    match (ctx.method, rest.as_slice()) {
        ("GET", [org, "teams", slug, "members"]) => team_members(ctx, org, slug),
        _ => Err(format!(
            "{} /orgs/{}: no such endpoint in the simulator",
            ctx.method, ctx.raw_rest
        )),
    }
}

/// Dispatches a request to `/users/...`; `ctx.rest` is the path after `/users/`.
pub fn route_users(ctx: &mut Ctx) -> Outcome {
    let owned = ctx.rest.clone();
    let rest: Vec<&str> = owned.iter().map(String::as_str).collect();
    match (ctx.method, rest.as_slice()) {
        ("GET", [login]) if !login.is_empty() => get_user(ctx, login),
        _ => Err(format!(
            "{} /users/{}: no such endpoint in the simulator",
            ctx.method, ctx.raw_rest
        )),
    }
}

fn number(s: &str) -> Option<u64> {
    s.parse().ok()
}

impl Ctx<'_> {
    fn allow_query(&self, allowed: &[&str]) -> Result<(), String> {
        match self
            .query
            .iter()
            .find(|(k, _)| !allowed.contains(&k.as_str()))
        {
            Some((k, v)) => Err(format!(
                "{} .../{}: unexpected query parameter {k}={v}",
                self.method, self.raw_rest
            )),
            None => Ok(()),
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn body(&self) -> Result<&Value, String> {
        self.body
            .filter(|b| b.is_object())
            .ok_or_else(|| format!("{} .../{}: no JSON object body", self.method, self.raw_rest))
    }

    fn str_field(&self, name: &str) -> Result<Option<String>, String> {
        match self.body()?.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("field {name} is not a string: {other}")),
        }
    }

    fn repo_url(&self) -> String {
        format!("https://api.github.com/repos/{}", self.repo.full_name())
    }

    /// One page of `items`, as GitHub pages it (`per_page` up to 100, 30 by default), with
    /// the `Link` header pointing at `/repositories/{id}/...` as GitHub does.
    fn paged(&self, items: Vec<Value>, wrap: impl FnOnce(Vec<Value>) -> Value) -> Outcome {
        let per_page: usize = match self.param("per_page") {
            None => 30,
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| format!("per_page={v} is not a number"))?
                .clamp(1, 100),
        };
        let page: usize = match self.param("page") {
            None => 1,
            Some(v) => v.parse().map_err(|_| format!("page={v} is not a number"))?,
        };
        let last = items.len().div_ceil(per_page).max(1);
        let start = (page.saturating_sub(1) * per_page).min(items.len());
        let end = (start + per_page).min(items.len());
        let slice = items[start..end].to_vec();
        let mut links = Vec::new();
        let link = |p: usize, rel: &str| {
            let mut q: Vec<String> = self
                .query
                .iter()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            q.push(format!("page={p}"));
            format!(
                "<{}{}?{}>; rel=\"{rel}\"",
                self.api_base,
                self.link_path,
                q.join("&")
            )
        };
        if page < last {
            links.push(link(page + 1, "next"));
            links.push(link(last, "last"));
        }
        if page > 1 {
            links.push(link(1, "first"));
            links.push(link(page - 1, "prev"));
        }
        let headers = if links.is_empty() {
            Vec::new()
        } else {
            vec![("link".to_string(), links.join(", "))]
        };
        Ok(Answer {
            status: 200,
            headers,
            body: Some(wrap(slice)),
        })
    }
}

/// Overrides `base`'s fields with `over`'s, recursively for objects.
pub fn merge(mut base: Value, over: Value) -> Value {
    match (&mut base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                let old = b.remove(&k).unwrap_or(Value::Null);
                let new = if v.is_object() && old.is_object() {
                    merge(old, v)
                } else {
                    v
                };
                b.insert(k, new);
            }
            base
        }
        (_, over) => over,
    }
}

fn first_item(example: &str) -> Value {
    spec().example(example)[0].clone()
}

/// A user (`simple-user`) with the id the model gives `login`.
pub fn user(repo: &Repo, login: &str) -> Value {
    user_with_id(login, repo.user_id(login))
}

fn user_with_id(login: &str, id: u64) -> Value {
    let template = spec().example("issue-comment")["user"].clone();
    merge(
        template,
        json!({
            "login": login,
            "id": id,
            "node_id": format!("U_sim{id}"),
            "url": format!("https://api.github.com/users/{login}"),
            "html_url": format!("https://github.com/{login}"),
            "type": if login.ends_with("[bot]") { "Bot" } else { "User" },
        }),
    )
}

fn repository(repo: &Repo) -> Value {
    let full = repo.full_name();
    let mut v = merge(
        spec().example("full-repository-default-response"),
        json!({
            "id": repo.id,
            "name": repo.name,
            "full_name": full,
            "owner": user(repo, &repo.owner),
            "default_branch": repo.default_branch,
            "url": format!("https://api.github.com/repos/{full}"),
            "html_url": format!("https://github.com/{full}"),
            "private": true,
            "fork": false,
            // The published example lacks this required field.
            "language": null,
        }),
    );
    // Fields of an organisation and a fork that this repository does not have.
    if let Some(o) = v.as_object_mut() {
        for k in ["parent", "source", "template_repository"] {
            o.remove(k);
        }
    }
    v
}

/// The `repository` of a pull's head or base.
fn pull_repo(repo: &Repo, full_name: &str) -> Value {
    let template = spec().example("pull-request")["head"]["repo"].clone();
    let (owner, name) = full_name.split_once('/').unwrap_or((full_name, full_name));
    merge(
        template,
        json!({
            "id": if full_name == repo.full_name() { repo.id } else { id_of(full_name) },
            "name": name,
            "full_name": full_name,
            "owner": user(repo, owner),
            "default_branch": repo.default_branch,
            "url": format!("https://api.github.com/repos/{full_name}"),
            "html_url": format!("https://github.com/{full_name}"),
            "fork": full_name != repo.full_name(),
        }),
    )
}

fn label(repo: &Repo, name: &str) -> Value {
    merge(
        first_item("label-items"),
        json!({
            "id": id_of(name),
            "name": name,
            "url": format!("https://api.github.com/repos/{}/labels/{name}", repo.full_name()),
            "default": false,
        }),
    )
}

/// A team of the repository's owner (`team-simple`, or `team` when `full`).
fn team(repo: &Repo, slug: &str, full: bool) -> Value {
    let template = if full {
        spec().example("simple-pull-request-review-request")["teams"][0].clone()
    } else {
        spec().example("pull-request")["requested_teams"][0].clone()
    };
    let id = team_id(&repo.owner, slug);
    merge(
        template,
        // The published examples lack `parent` and `type`, which the schemas require.
        json!({
            "id": id,
            "name": slug,
            "slug": slug,
            "url": format!("https://api.github.com/teams/{id}"),
            "html_url": format!("https://github.com/orgs/{}/teams/{slug}", repo.owner),
            "members_url": format!("https://api.github.com/teams/{id}/members{{/member}}"),
            "repositories_url": format!("https://api.github.com/teams/{id}/repos"),
            "parent": null,
            "type": "organization",
        }),
    )
}

pub fn pull_json(repo: &Repo, pull: &Pull, simple: bool) -> Value {
    let full = repo.full_name();
    let n = pull.number;
    let head_sha = repo.pull_head(pull);
    let base_sha = pull
        .closed_base_sha
        .clone()
        .or_else(|| repo.resolve(&pull.base_ref))
        .unwrap_or_default();
    let head_repo = pull.fork.clone().unwrap_or_else(|| full.clone());
    let head_owner = head_repo.split('/').next().unwrap_or_default().to_string();
    let template = if simple {
        first_item("pull-request-simple-items")
    } else {
        spec().example("pull-request")
    };
    let labels: Vec<Value> = repo
        .labels
        .get(&n)
        .into_iter()
        .flatten()
        .map(|l| label(repo, l))
        .collect();
    let url = format!("https://api.github.com/repos/{full}/pulls/{n}");
    let mut v = merge(
        template,
        json!({
            "url": url,
            "id": 10_000 + n,
            "html_url": format!("https://github.com/{full}/pull/{n}"),
            "issue_url": format!("https://api.github.com/repos/{full}/issues/{n}"),
            "number": n,
            "state": if pull.open { "open" } else { "closed" },
            "locked": false,
            "title": pull.title,
            "user": user(repo, &pull.author),
            "body": pull.body,
            "milestone": null,
            "active_lock_reason": null,
            "created_at": pull.created_at,
            "updated_at": pull.updated_at,
            "closed_at": pull.closed_at,
            "merged_at": pull.merged_at,
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": null,
            "assignees": [],
            "draft": false,
            "auto_merge": null,
            "author_association": "MEMBER",
            "head": {
                "label": format!("{head_owner}:{}", pull.head_ref),
                "ref": pull.head_ref,
                "sha": head_sha,
                "user": user(repo, &head_owner),
                "repo": pull_repo(repo, &head_repo),
            },
            "base": {
                "label": format!("{}:{}", repo.owner, pull.base_ref),
                "ref": pull.base_ref,
                "sha": base_sha,
                "user": user(repo, &repo.owner),
                "repo": pull_repo(repo, &full),
            },
        }),
    );
    // Lists are replaced whole, not merged.
    v["labels"] = Value::Array(labels);
    v["requested_reviewers"] = pull
        .requested_reviewers
        .iter()
        .map(|u| user(repo, u))
        .collect();
    v["requested_teams"] = pull
        .requested_teams
        .iter()
        .map(|t| team(repo, t, false))
        .collect();
    if !simple {
        let merged = pull.merged_at.is_some();
        v = merge(
            v,
            json!({
                "merged": merged,
                "merged_by": if merged { user(repo, "merger") } else { Value::Null },
                "mergeable": if pull.open { json!(true) } else { Value::Null },
                "mergeable_state": if pull.open { "clean" } else { "unknown" },
                "rebaseable": null,
            }),
        );
    }
    v
}

fn commit_json(repo: &Repo, sha: &str) -> Value {
    let c = &repo.commits[sha];
    let full = repo.full_name();
    let template = spec().example("commit-comparison")["base_commit"].clone();
    let person = json!({ "name": c.author_name, "email": c.author_email, "date": c.date });
    let committer = json!({ "name": c.committer_name, "email": c.committer_email, "date": c.date });
    // The accounts GitHub matches the emails to, or null.
    let account = |email: &str| match repo.login_for_email(email) {
        Some(login) => user(repo, &login),
        None => Value::Null,
    };
    let verification = if c.verified {
        json!({ "verified": true, "reason": "valid", "signature": "-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----", "payload": format!("tree {}", c.tree), "verified_at": c.date })
    } else {
        json!({ "verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null })
    };
    let mut v = merge(
        template,
        json!({
            "url": format!("https://api.github.com/repos/{full}/commits/{sha}"),
            "sha": sha,
            "html_url": format!("https://github.com/{full}/commit/{sha}"),
            "comments_url": format!("https://api.github.com/repos/{full}/commits/{sha}/comments"),
            "commit": {
                "url": format!("https://api.github.com/repos/{full}/git/commits/{sha}"),
                "author": person,
                "committer": committer,
                "message": c.message,
                "tree": { "sha": c.tree, "url": format!("https://api.github.com/repos/{full}/git/trees/{}", c.tree) },
                "comment_count": 0,
            },
            "author": null,
            "committer": null,
        }),
    );
    v["author"] = account(&c.author_email);
    v["committer"] = account(&c.committer_email);
    v["commit"]["verification"] = verification;
    v["parents"] = c
        .parents
        .iter()
        .map(|p| json!({ "sha": p, "url": format!("https://api.github.com/repos/{full}/commits/{p}"), "html_url": format!("https://github.com/{full}/commit/{p}") }))
        .collect();
    v
}

fn git_commit(repo: &Repo, sha: &str) -> Value {
    let c = &repo.commits[sha];
    let full = repo.full_name();
    let person = json!({ "name": c.author_name, "email": c.author_email, "date": c.date });
    let mut v = merge(
        spec().example("git-commit"),
        json!({
            "sha": sha,
            "url": format!("https://api.github.com/repos/{full}/git/commits/{sha}"),
            "html_url": format!("https://github.com/{full}/commit/{sha}"),
            "author": person,
            "committer": person,
            "message": c.message,
            "tree": { "sha": c.tree, "url": format!("https://api.github.com/repos/{full}/git/trees/{}", c.tree) },
        }),
    );
    v["parents"] = c
        .parents
        .iter()
        .map(|p| json!({ "sha": p, "url": format!("https://api.github.com/repos/{full}/git/commits/{p}"), "html_url": format!("https://github.com/{full}/commit/{p}") }))
        .collect();
    v
}

fn git_ref(repo: &Repo, branch: &str) -> Value {
    let full = repo.full_name();
    let sha = &repo.branches[branch];
    merge(
        spec().example("git-ref"),
        json!({
            "ref": format!("refs/heads/{branch}"),
            "url": format!("https://api.github.com/repos/{full}/git/refs/heads/{branch}"),
            "object": { "type": "commit", "sha": sha, "url": format!("https://api.github.com/repos/{full}/git/commits/{sha}") },
        }),
    )
}

fn tarball_redirect(ctx: &mut Ctx, rev: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(sha) = ctx.repo.resolve(rev) else {
        return Ok(error(404, "Not Found"));
    };
    Ok(Answer {
        status: 302,
        headers: vec![(
            "location".into(),
            format!(
                "{}/{}/legacy.tar.gz/{sha}",
                ctx.codeload,
                ctx.repo.full_name()
            ),
        )],
        body: None,
    })
}

fn get_ref(ctx: &mut Ctx, name: &str) -> Outcome {
    ctx.allow_query(&[])?;
    match name.strip_prefix("heads/") {
        Some(branch) if ctx.repo.branches.contains_key(branch) => {
            Ok(answer(200, git_ref(ctx.repo, branch)))
        }
        _ => Ok(error(404, "Not Found")),
    }
}

fn create_tree(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&[])?;
    let body = ctx.body()?.clone();
    let mut tree: Tree = match ctx.str_field("base_tree")? {
        Some(base) => match ctx.repo.trees.get(&base) {
            Some(t) => t.clone(),
            None => return Ok(invalid("Tree", &format!("base_tree {base} does not exist"))),
        },
        None => Tree::new(),
    };
    let entries = body["tree"].as_array().cloned().unwrap_or_default();
    for entry in entries {
        let path = entry["path"].as_str().unwrap_or_default().to_string();
        let mode = match entry["mode"].as_str() {
            Some("100644") => MODE_FILE,
            Some("100755") => MODE_EXECUTABLE,
            Some("120000") => MODE_SYMLINK,
            other => return Err(format!("POST git/trees: mode {other:?} is not simulated")),
        };
        if entry["type"] != "blob" {
            return Err(format!(
                "POST git/trees: type {} is not simulated",
                entry["type"]
            ));
        }
        if path.is_empty() || path.starts_with('/') || path.ends_with('/') {
            return Ok(invalid("Tree", &format!("tree.path {path:?} is invalid")));
        }
        match (entry.get("content"), entry.get("sha")) {
            (Some(_), Some(_)) => {
                return Ok(invalid("Tree", "use either tree.sha or content, not both"));
            }
            (Some(Value::String(content)), None) => {
                tree.insert(
                    path,
                    File {
                        mode,
                        content: content.as_bytes().to_vec(),
                    },
                );
            }
            (None, Some(Value::Null)) => {
                let dir = format!("{path}/");
                let before = tree.len();
                tree.retain(|p, _| p != &path && !p.starts_with(&dir));
                if tree.len() == before {
                    return Ok(invalid(
                        "Tree",
                        &format!("GitRPC::BadObjectState: {path} does not exist in the tree"),
                    ));
                }
            }
            (None, Some(Value::String(sha))) => {
                let found = ctx
                    .repo
                    .trees
                    .values()
                    .flat_map(|t| t.values())
                    .find(|f| f.blob_sha() == *sha)
                    .cloned();
                match found {
                    Some(f) => {
                        tree.insert(path, File { mode, ..f });
                    }
                    None => return Ok(invalid("Tree", &format!("blob {sha} does not exist"))),
                }
            }
            _ => {
                return Err(format!(
                    "POST git/trees: entry {entry} has neither content nor sha"
                ));
            }
        }
    }
    let sha = ctx.repo.put_tree(tree);
    let full = ctx.repo.full_name();
    let listing: Vec<Value> = ctx.repo.trees[&sha]
        .iter()
        .map(|(p, f)| {
            let blob = f.blob_sha();
            json!({
                "path": p, "mode": f.mode, "type": "blob", "sha": blob, "size": f.content.len(),
                "url": format!("https://api.github.com/repos/{full}/git/blobs/{blob}"),
            })
        })
        .collect();
    Ok(answer(
        201,
        json!({
            "sha": sha,
            "url": format!("https://api.github.com/repos/{full}/git/trees/{sha}"),
            "tree": listing,
            "truncated": false,
        }),
    ))
}

fn create_commit(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&[])?;
    let body = ctx.body()?.clone();
    let Some(tree) = ctx.str_field("tree")? else {
        return Ok(invalid("Commit", "tree is missing"));
    };
    let message = ctx.str_field("message")?.unwrap_or_default();
    if !ctx.repo.trees.contains_key(&tree) {
        return Ok(invalid("Commit", &format!("tree {tree} does not exist")));
    }
    let parents: Vec<String> = body["parents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(String::from))
        .collect();
    if let Some(p) = parents.iter().find(|p| !ctx.repo.commits.contains_key(*p)) {
        return Ok(invalid("Commit", &format!("parent {p} does not exist")));
    }
    let (name, email) = match body.get("author") {
        Some(a) if a.is_object() => (
            a["name"].as_str().unwrap_or_default().to_string(),
            a["email"].as_str().unwrap_or_default().to_string(),
        ),
        _ => (
            ctx.actor.clone(),
            format!("{}@users.noreply.github.com", ctx.actor),
        ),
    };
    let sha = ctx.repo.put_commit(tree, parents, &message, &name, &email);
    // Made with the App's token through the git data API: GitHub signs it.
    if let Some(c) = ctx.repo.commits.get_mut(&sha) {
        c.verified = true;
    }
    Ok(answer(201, git_commit(ctx.repo, &sha)))
}

fn create_ref(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&[])?;
    let name = ctx.str_field("ref")?.unwrap_or_default();
    let sha = ctx.str_field("sha")?.unwrap_or_default();
    let Some(branch) = name.strip_prefix("refs/heads/").filter(|b| !b.is_empty()) else {
        return Err(format!("POST git/refs: ref {name:?} is not a branch"));
    };
    if ctx.repo.branches.contains_key(branch) {
        return Ok(invalid("Reference", "Reference already exists"));
    }
    if !ctx.repo.commits.contains_key(&sha) {
        return Ok(invalid("Reference", "Object does not exist"));
    }
    ctx.repo.branches.insert(branch.to_string(), sha);
    Ok(answer(201, git_ref(ctx.repo, branch)))
}

fn update_ref(ctx: &mut Ctx, name: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let sha = ctx.str_field("sha")?.unwrap_or_default();
    let force = ctx
        .body()?
        .get("force")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(branch) = name.strip_prefix("heads/") else {
        return Err(format!("PATCH git/refs/{name}: not a branch"));
    };
    let Some(old) = ctx.repo.branches.get(branch).cloned() else {
        return Ok(invalid("Reference", "Reference does not exist"));
    };
    if !ctx.repo.commits.contains_key(&sha) {
        return Ok(invalid("Reference", "Object does not exist"));
    }
    if !force && !ctx.repo.ancestors(&sha).contains(&old) {
        return Ok(invalid("Reference", "Update is not a fast forward"));
    }
    ctx.repo.branches.insert(branch.to_string(), sha);
    Ok(answer(200, git_ref(ctx.repo, branch)))
}

fn list_pulls(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&[
        "state",
        "head",
        "base",
        "sort",
        "direction",
        "per_page",
        "page",
    ])?;
    let state = ctx.param("state").unwrap_or("open").to_string();
    if !["open", "closed", "all"].contains(&state.as_str()) {
        return Ok(invalid("PullRequest", "state is invalid"));
    }
    let head = ctx.param("head").map(String::from);
    let base = ctx.param("base").map(String::from);
    // Newest first, as GitHub sorts by default.
    let items: Vec<Value> = ctx
        .repo
        .pulls
        .values()
        .rev()
        .filter(|p| match state.as_str() {
            "open" => p.open,
            "closed" => !p.open,
            _ => true,
        })
        .filter(|p| {
            head.as_deref().is_none_or(|h| {
                let owner = p.fork.as_deref().unwrap_or(&ctx.repo.owner);
                let owner = owner.split('/').next().unwrap_or_default();
                h == format!("{owner}:{}", p.head_ref)
            })
        })
        .filter(|p| base.as_deref().is_none_or(|b| b == p.base_ref))
        .map(|p| pull_json(ctx.repo, p, true))
        .collect();
    ctx.paged(items, Value::Array)
}

fn create_pull(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&[])?;
    let title = ctx.str_field("title")?.unwrap_or_default();
    let head = ctx.str_field("head")?.unwrap_or_default();
    let base = ctx.str_field("base")?.unwrap_or_default();
    let body = ctx.str_field("body")?;
    let head = match head.split_once(':') {
        Some((owner, branch)) if owner == ctx.repo.owner => branch.to_string(),
        Some(_) => return Err("POST pulls from a fork is not simulated".into()),
        None => head,
    };
    if !ctx.repo.branches.contains_key(&head) {
        return Ok(invalid(
            "PullRequest",
            &format!("head {head} does not exist"),
        ));
    }
    if !ctx.repo.branches.contains_key(&base) {
        return Ok(invalid(
            "PullRequest",
            &format!("base {base} does not exist"),
        ));
    }
    if title.is_empty() {
        return Ok(invalid("PullRequest", "title is missing"));
    }
    if ctx
        .repo
        .pulls
        .values()
        .any(|p| p.open && p.fork.is_none() && p.head_ref == head && p.base_ref == base)
    {
        return Ok(invalid(
            "PullRequest",
            &format!(
                "A pull request already exists for {}:{head}.",
                ctx.repo.owner
            ),
        ));
    }
    let (ahead, _, _) = ctx
        .repo
        .compare(&ctx.repo.head(&base), &ctx.repo.head(&head));
    if ahead.is_empty() {
        return Ok(invalid(
            "PullRequest",
            &format!("No commits between {base} and {head}"),
        ));
    }
    let actor = ctx.actor.clone();
    let n = ctx.repo.open_pull(&head, &base, &title, "", &actor);
    ctx.repo.pulls.get_mut(&n).expect("opened").body = body;
    Ok(answer(201, pull_json(ctx.repo, &ctx.repo.pulls[&n], false)))
}

fn update_pull(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(n) = number(n).filter(|n| ctx.repo.pulls.contains_key(n)) else {
        return Ok(error(404, "Not Found"));
    };
    let title = ctx.str_field("title")?;
    let body = ctx.str_field("body")?;
    let state = ctx.str_field("state")?;
    let base = ctx.str_field("base")?;
    let pull = ctx.repo.pulls[&n].clone();
    // Retargeting: the base must be a branch of this repository, and only an open pull
    // request can be retargeted. Reviews stay, as on GitHub (unless branch protection
    // dismisses stale reviews, which is not simulated).
    if let Some(b) = &base {
        if !ctx.repo.branches.contains_key(b) {
            return Ok(invalid(
                "PullRequest",
                &format!("Proposed base branch '{b}' was not found"),
            ));
        }
        if !pull.open {
            return Ok(invalid(
                "PullRequest",
                "Cannot change the base branch of a closed pull request.",
            ));
        }
    }
    let now = ctx.repo.now();
    let mut updated = pull.clone();
    if let Some(b) = base {
        updated.base_ref = b;
    }
    match state.as_deref() {
        Some("open") if !pull.open => {
            if pull.merged_at.is_some() {
                return Ok(invalid(
                    "PullRequest",
                    "state cannot be changed. The pull request has been merged.",
                ));
            }
            match ctx.repo.branches.get(&pull.head_ref) {
                Some(_) if pull.fork.is_none() => {
                    updated.open = true;
                    updated.closed_base_sha = None;
                    updated.closed_at = None;
                }
                _ => {
                    return Ok(invalid(
                        "PullRequest",
                        "state cannot be changed. The head branch was deleted.",
                    ));
                }
            }
        }
        Some("closed") if pull.open => {
            updated.head_sha = ctx.repo.pull_head(&pull);
            updated.open = false;
            updated.closed_at = Some(now.clone());
        }
        Some("open" | "closed") | None => {}
        Some(other) => return Ok(invalid("PullRequest", &format!("state {other} is invalid"))),
    }
    if let Some(t) = title {
        updated.title = t;
    }
    if let Some(b) = body {
        updated.body = Some(b);
    }
    updated.updated_at = now;
    ctx.repo.pulls.insert(n, updated);
    Ok(answer(200, pull_json(ctx.repo, &ctx.repo.pulls[&n], false)))
}

fn pull_files(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&["per_page", "page"])?;
    let Some(pull) = number(n).and_then(|n| ctx.repo.pulls.get(&n)).cloned() else {
        return Ok(error(404, "Not Found"));
    };
    let head = ctx.repo.pull_head(&pull);
    // A merged pull request keeps the files it changed: compare with the base as it was
    // before the merge (the merge commit's first parent), as GitHub does.
    let base = match &pull.merge_commit_sha {
        Some(m) => ctx
            .repo
            .commits
            .get(m)
            .and_then(|c| c.parents.first().cloned())
            .unwrap_or_default(),
        None => ctx.repo.resolve(&pull.base_ref).unwrap_or_default(),
    };
    let (_, merge_base, _) = ctx.repo.compare(&base, &head);
    let merge_base = merge_base.unwrap_or_default();
    let items = diff_entries(ctx.repo, &merge_base, &head);
    ctx.paged(items, Value::Array)
}

/// The files that differ between `base` and `head`, as `diff-entry` items.
fn diff_entries(repo: &Repo, base: &str, head: &str) -> Vec<Value> {
    let full = repo.full_name();
    let template = first_item("diff-entry-items");
    repo.diff(base, head)
        .into_iter()
        .map(|(path, status, previous, file)| {
            let sha = file
                .as_ref()
                .map(File::blob_sha)
                .unwrap_or_else(|| "0".repeat(40));
            let mut v = merge(
                template.clone(),
                json!({
                    "sha": sha,
                    "filename": path,
                    "status": status,
                    "additions": 1, "deletions": 0, "changes": 1,
                    "blob_url": format!("https://github.com/{full}/blob/{head}/{path}"),
                    "raw_url": format!("https://github.com/{full}/raw/{head}/{path}"),
                    "contents_url": format!("https://api.github.com/repos/{full}/contents/{path}?ref={head}"),
                    "patch": "@@ -0,0 +1 @@",
                }),
            );
            match previous {
                Some(p) => v["previous_filename"] = json!(p),
                None => {
                    v.as_object_mut().expect("object").remove("previous_filename");
                }
            }
            v
        })
        .collect()
}

/// `GET /pulls/{n}/commits`: the commits of the pull request, oldest first, as the compare
/// of its base (before the merge, for a merged one) and its head lists them.
fn pull_commits(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&["per_page", "page"])?;
    let Some(pull) = number(n).and_then(|n| ctx.repo.pulls.get(&n)).cloned() else {
        return Ok(error(404, "Not Found"));
    };
    let head = ctx.repo.pull_head(&pull);
    let base = match &pull.merge_commit_sha {
        Some(m) => ctx
            .repo
            .commits
            .get(m)
            .and_then(|c| c.parents.first().cloned())
            .unwrap_or_default(),
        None => ctx.repo.resolve(&pull.base_ref).unwrap_or_default(),
    };
    let (ahead, _, _) = ctx.repo.compare(&base, &head);
    let items: Vec<Value> = ahead
        .iter()
        .map(|c| {
            let mut v = commit_json(ctx.repo, &c.sha);
            if let Some(o) = v.as_object_mut() {
                o.remove("stats");
                o.remove("files");
            }
            v
        })
        .collect();
    ctx.paged(items, Value::Array)
}

fn request_reviewers(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(n) = number(n).filter(|n| ctx.repo.pulls.contains_key(n)) else {
        return Ok(error(404, "Not Found"));
    };
    let body = ctx.body()?.clone();
    let list = |key: &str| -> Vec<String> {
        body[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    let (users, teams) = (list("reviewers"), list("team_reviewers"));
    let pull = ctx.repo.pulls[&n].clone();
    if users.contains(&pull.author) {
        return Ok(invalid(
            "PullRequest",
            "Review cannot be requested from pull request author.",
        ));
    }
    if let Some(u) = users.iter().find(|u| !ctx.repo.users.contains(*u)) {
        return Ok(invalid(
            "PullRequest",
            &format!(
                "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the {} repository. ({u})",
                ctx.repo.full_name()
            ),
        ));
    }
    if let Some(t) = teams.iter().find(|t| !ctx.repo.teams.contains(*t)) {
        return Ok(invalid(
            "PullRequest",
            &format!("team {t} is not a collaborator"),
        ));
    }
    let p = ctx.repo.pulls.get_mut(&n).expect("pull");
    for u in users {
        if !p.requested_reviewers.contains(&u) {
            p.requested_reviewers.push(u);
        }
    }
    for t in teams {
        if !p.requested_teams.contains(&t) {
            p.requested_teams.push(t);
        }
    }
    Ok(answer(201, pull_json(ctx.repo, &ctx.repo.pulls[&n], true)))
}

/// `GET /pulls/{n}/requested_reviewers`: who is still asked, users and teams.
fn requested_reviewers(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(pull) = number(n).and_then(|n| ctx.repo.pulls.get(&n)) else {
        return Ok(error(404, "Not Found"));
    };
    let users: Vec<Value> = pull
        .requested_reviewers
        .iter()
        .map(|u| user(ctx.repo, u))
        .collect();
    let teams: Vec<Value> = pull
        .requested_teams
        .iter()
        .map(|t| team(ctx.repo, t, true))
        .collect();
    Ok(answer(200, json!({ "users": users, "teams": teams })))
}

fn review_json(repo: &Repo, review: &super::model::Review) -> Value {
    let full = repo.full_name();
    let n = review.pull;
    let html = format!(
        "https://github.com/{full}/pull/{n}#pullrequestreview-{}",
        review.id
    );
    let pull_url = format!("https://api.github.com/repos/{full}/pulls/{n}");
    let login = repo
        .login_of(review.user_id)
        .expect("a reviewer is a registered account");
    let mut v = merge(
        first_item("pull-request-review-items"),
        json!({
            "id": review.id,
            "node_id": format!("PRR_sim{}", review.id),
            "user": user_with_id(&login, review.user_id),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pull_url,
            "_links": { "html": { "href": html }, "pull_request": { "href": pull_url } },
            "submitted_at": review.submitted_at,
            "commit_id": review.commit_id,
            "author_association": "MEMBER",
        }),
    );
    // A pending review has not been submitted: GitHub leaves the time out.
    if review.submitted_at.is_none() {
        v.as_object_mut().expect("object").remove("submitted_at");
    }
    v
}

/// `GET /pulls/{n}/reviews`: oldest first; a pending review only to its author.
fn list_reviews(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&["per_page", "page"])?;
    let Some(n) = number(n).filter(|n| ctx.repo.pulls.contains_key(n)) else {
        return Ok(error(404, "Not Found"));
    };
    let actor = ctx.repo.user_id(&ctx.actor);
    let items = ctx
        .repo
        .reviews
        .iter()
        .filter(|r| r.pull == n && (r.state != "PENDING" || r.user_id == actor))
        .map(|r| review_json(ctx.repo, r))
        .collect();
    ctx.paged(items, Value::Array)
}

/// `GET /orgs/{org}/teams/{slug}/members`: 404 for a team that does not exist, and pages
/// whose `Link` points to `/organizations/{org_id}/team/{team_id}/members`, as GitHub's do.
fn team_members(ctx: &mut Ctx, org: &str, slug: &str) -> Outcome {
    ctx.allow_query(&["per_page", "page"])?;
    let Some(key) = ctx.repo.team_key(org, slug) else {
        return Ok(error(404, "Not Found"));
    };
    ctx.link_path = format!(
        "/organizations/{}/team/{}/members",
        super::model::org_id(&key.0),
        team_id(&key.0, &key.1)
    );
    let template = first_item("team-member-items");
    let items = ctx.repo.team_members[&key]
        .iter()
        .map(|id| {
            let login = ctx
                .repo
                .login_of(*id)
                .expect("a member is a registered account");
            let mut v = merge(template.clone(), user_with_id(&login, *id));
            // Present only where the organisation has the feature; leave them out.
            let o = v.as_object_mut().expect("object");
            o.remove("role");
            o.remove("inherited");
            v
        })
        .collect();
    ctx.paged(items, Value::Array)
}

/// `GET /repos/{o}/{r}/collaborators/{username}/permission`: the role given with
/// [`Repo::set_role`], `read` for any other account the model knows, 404 for an unknown login.
fn permission(ctx: &mut Ctx, login: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some((spelled, id)) = ctx.repo.find_user(login) else {
        return Ok(error(404, "Not Found"));
    };
    let (role_name, permission) = ctx
        .repo
        .roles
        .get(&login.to_ascii_lowercase())
        .cloned()
        .unwrap_or_else(|| ("read".into(), "read".into()));
    let example =
        spec().example("repository-collaborator-permission-response-if-user-has-admin-permissions");
    let rank = ["read", "triage", "write", "maintain", "admin"];
    let level = rank
        .iter()
        .position(|r| *r == role_name)
        .or_else(|| rank.iter().position(|r| *r == permission))
        .unwrap_or(0);
    let mut user = merge(example["user"].clone(), user_with_id(&spelled, id));
    user["role_name"] = json!(role_name);
    user["permissions"] = json!({
        "pull": true,
        "triage": level >= 1,
        "push": level >= 2,
        "maintain": level >= 3,
        "admin": level >= 4,
    });
    Ok(answer(
        200,
        json!({ "permission": permission, "role_name": role_name, "user": user }),
    ))
}

/// `GET /users/{username}`: a user the model knows, 404 for anyone else.
fn get_user(ctx: &mut Ctx, login: &str) -> Outcome {
    ctx.allow_query(&[])?;
    Ok(match public_user(ctx.repo, login) {
        Some(user) => answer(200, user),
        None => error(404, "Not Found"),
    })
}

/// The `public-user` GitHub shows for `login`, when the model knows it ([`Repo::find_user`]):
/// its login as spelled, its id.
pub fn public_user(repo: &Repo, login: &str) -> Option<Value> {
    let (login, id) = repo.find_user(login)?;
    let api = format!("https://api.github.com/users/{login}");
    Some(merge(
        spec().example("public-user-default-response"),
        json!({
            "login": login,
            "id": id,
            "node_id": format!("U_sim{id}"),
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
            "url": api,
            "html_url": format!("https://github.com/{login}"),
            "followers_url": format!("{api}/followers"),
            "following_url": format!("{api}/following{{/other_user}}"),
            "gists_url": format!("{api}/gists{{/gist_id}}"),
            "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{api}/subscriptions"),
            "organizations_url": format!("{api}/orgs"),
            "repos_url": format!("{api}/repos"),
            "events_url": format!("{api}/events{{/privacy}}"),
            "received_events_url": format!("{api}/received_events"),
            "type": if login.ends_with("[bot]") { "Bot" } else { "User" },
            "name": login,
            "company": null,
            "blog": "",
            "location": null,
            "email": null,
            "hireable": null,
            "bio": null,
            "twitter_username": null,
        }),
    ))
}

/// The most files a comparison lists, whatever its paging.
pub const COMPARE_FILES: usize = 300;

/// The most commits a comparison lists without paging parameters: the newest ones.
pub const COMPARE_COMMITS: usize = 250;

/// `GET /compare/{base}...{head}`, as GitHub answers it: the commits of `head` that `base`
/// lacks, oldest first, and the files that differ between their merge base and `head`, up to
/// [`COMPARE_FILES`]. Without `per_page` or `page` the commits are the newest
/// [`COMPARE_COMMITS`] and nothing links further; with them the commits are paged, and the
/// files come on the first page only. An unknown ref, or two commits without a common
/// ancestor, is a 404.
fn compare(ctx: &mut Ctx, basehead: &str) -> Outcome {
    ctx.allow_query(&["per_page", "page"])?;
    let Some((base, head)) = basehead.split_once("...") else {
        return Err(format!("GET compare/{basehead}: not base...head"));
    };
    let (Some(base_sha), Some(head_sha)) = (ctx.repo.resolve(base), ctx.repo.resolve(head)) else {
        return Ok(error(404, "Not Found"));
    };
    let (ahead, merge_base, behind) = ctx.repo.compare(&base_sha, &head_sha);
    let Some(merge_base) = merge_base else {
        return Ok(error(
            404,
            &format!("No common ancestor between {base} and {head}."),
        ));
    };
    let full = ctx.repo.full_name();
    let commits: Vec<Value> = ahead
        .iter()
        .map(|c| commit_json(ctx.repo, &c.sha))
        .collect();
    let total = commits.len();
    let status = match (total, behind) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    let mut files = diff_entries(ctx.repo, &merge_base, &head_sha);
    files.truncate(COMPARE_FILES);
    let body = json!({
        "url": format!("https://api.github.com/repos/{full}/compare/{basehead}"),
        "html_url": format!("https://github.com/{full}/compare/{basehead}"),
        "permalink_url": format!("https://github.com/{full}/compare/{base_sha}...{head_sha}"),
        "diff_url": format!("https://github.com/{full}/compare/{basehead}.diff"),
        "patch_url": format!("https://github.com/{full}/compare/{basehead}.patch"),
        "base_commit": commit_json(ctx.repo, &base_sha),
        "merge_base_commit": commit_json(ctx.repo, &merge_base),
        "status": status,
        "ahead_by": total,
        "behind_by": behind,
        "total_commits": total,
    });
    let paging = ctx.param("per_page").is_some() || ctx.param("page").is_some();
    if !paging {
        let newest = commits[total.saturating_sub(COMPARE_COMMITS)..].to_vec();
        return Ok(answer(
            200,
            merge(body, json!({ "commits": newest, "files": files })),
        ));
    }
    let first = ctx.param("page").is_none_or(|p| p == "1");
    let files = if first { files } else { Vec::new() };
    ctx.paged(commits, |page| {
        merge(body, json!({ "commits": page, "files": files }))
    })
}

fn comment_json(ctx: &Ctx, id: u64) -> Value {
    let c = ctx
        .repo
        .comments
        .iter()
        .find(|c| c.id == id)
        .expect("comment");
    let full = ctx.repo.full_name();
    merge(
        spec().example("issue-comment"),
        json!({
            "id": c.id,
            "url": format!("https://api.github.com/repos/{full}/issues/comments/{}", c.id),
            "html_url": format!("https://github.com/{full}/issues/{}#issuecomment-{}", c.issue, c.id),
            "issue_url": format!("https://api.github.com/repos/{full}/issues/{}", c.issue),
            "body": c.body,
            "user": user(ctx.repo, &c.author),
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "author_association": "MEMBER",
        }),
    )
}

fn issue_number(ctx: &Ctx, n: &str) -> Option<u64> {
    number(n).filter(|n| ctx.repo.has_issue(*n))
}

fn list_comments(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&["since", "per_page", "page"])?;
    let Some(n) = issue_number(ctx, n) else {
        return Ok(error(404, "Not Found"));
    };
    let ids: Vec<u64> = ctx
        .repo
        .comments
        .iter()
        .filter(|c| c.issue == n)
        .map(|c| c.id)
        .collect();
    let items = ids.into_iter().map(|id| comment_json(ctx, id)).collect();
    ctx.paged(items, Value::Array)
}

fn create_comment(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(n) = issue_number(ctx, n) else {
        return Ok(error(404, "Not Found"));
    };
    let Some(body) = ctx.str_field("body")? else {
        return Ok(invalid("IssueComment", "body is missing"));
    };
    let actor = ctx.actor.clone();
    let id = ctx.repo.add_comment(n, &actor, &body);
    Ok(answer(201, comment_json(ctx, id)))
}

fn update_comment(ctx: &mut Ctx, id: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(id) = number(id).filter(|id| ctx.repo.comments.iter().any(|c| c.id == *id)) else {
        return Ok(error(404, "Not Found"));
    };
    let Some(body) = ctx.str_field("body")? else {
        return Ok(invalid("IssueComment", "body is missing"));
    };
    let now = ctx.repo.now();
    let c = ctx
        .repo
        .comments
        .iter_mut()
        .find(|c| c.id == id)
        .expect("comment");
    c.body = body;
    c.updated_at = now;
    Ok(answer(200, comment_json(ctx, id)))
}

fn add_labels(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(n) = issue_number(ctx, n) else {
        return Ok(error(404, "Not Found"));
    };
    let Some(names) = ctx.body()?.get("labels").and_then(Value::as_array).cloned() else {
        return Err("POST labels: only the {\"labels\": [...]} form is simulated".into());
    };
    let labels = ctx.repo.labels.entry(n).or_default();
    for name in names.iter().filter_map(Value::as_str) {
        if !labels.iter().any(|l| l == name) {
            labels.push(name.to_string());
        }
    }
    let all: Vec<Value> = ctx.repo.labels[&n]
        .iter()
        .map(|l| label(ctx.repo, l))
        .collect();
    Ok(answer(200, Value::Array(all)))
}

fn check_run_json(ctx: &Ctx, id: u64) -> Value {
    let run = ctx
        .repo
        .check_runs
        .iter()
        .find(|r| r.id == id)
        .expect("check run");
    let full = ctx.repo.full_name();
    let v = merge(
        spec().example("check-run"),
        json!({
            "id": run.id,
            "head_sha": run.head_sha,
            "name": run.name,
            "url": format!("https://api.github.com/repos/{full}/check-runs/{}", run.id),
            "html_url": format!("https://github.com/{full}/runs/{}", run.id),
            "status": run.status,
            "conclusion": run.conclusion,
            "started_at": run.started_at,
            "completed_at": run.completed_at,
            "output": {
                "title": run.title,
                "summary": run.summary,
                "text": null,
                "annotations_count": run.annotations.len(),
                "annotations_url": format!("https://api.github.com/repos/{full}/check-runs/{}/annotations", run.id),
            },
            "pull_requests": [],
        }),
    );
    let mut v = v;
    v["app"]["id"] = json!(run.app.0);
    v["app"]["slug"] = json!(run.app.1);
    v["app"]["name"] = json!(run.app.1);
    v["app"]["html_url"] = json!(format!("https://github.com/apps/{}", run.app.1));
    v
}

fn list_check_runs(ctx: &mut Ctx, rev: &str) -> Outcome {
    ctx.allow_query(&[
        "check_name",
        "status",
        "filter",
        "app_id",
        "per_page",
        "page",
    ])?;
    let Some(sha) = ctx.repo.resolve(rev) else {
        return Ok(error(404, "Not Found"));
    };
    let latest = ctx.param("filter").unwrap_or("latest") == "latest";
    let name = ctx.param("check_name").map(String::from);
    let mut runs: Vec<&super::model::CheckRun> = ctx
        .repo
        .check_runs
        .iter()
        .filter(|r| r.head_sha == sha)
        .filter(|r| name.as_deref().is_none_or(|n| n == r.name))
        .collect();
    if latest {
        let newest: Vec<u64> = runs
            .iter()
            // Newest per name within each App's check suite, as GitHub groups them.
            .filter(|r| {
                !runs
                    .iter()
                    .any(|o| o.name == r.name && o.app.0 == r.app.0 && o.id > r.id)
            })
            .map(|r| r.id)
            .collect();
        runs.retain(|r| newest.contains(&r.id));
    }
    let ids: Vec<u64> = runs.iter().rev().map(|r| r.id).collect();
    let total = ids.len();
    let items = ids.into_iter().map(|id| check_run_json(ctx, id)).collect();
    ctx.paged(
        items,
        |page| json!({ "total_count": total, "check_runs": page }),
    )
}

/// Applies the fields of a create or update request to a check run.
fn apply_check_fields(ctx: &mut Ctx, id: u64) -> Result<Option<Answer>, String> {
    let body = ctx.body()?.clone();
    let annotations = body
        .pointer("/output/annotations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if annotations.len() > 50 {
        return Ok(Some(invalid(
            "CheckRun",
            "Only 50 annotations are allowed per request",
        )));
    }
    let status = body["status"].as_str().map(String::from);
    let conclusion = body["conclusion"].as_str().map(String::from);
    if status.as_deref() == Some("completed") && conclusion.is_none() {
        return Ok(Some(invalid(
            "CheckRun",
            "conclusion is required when status is completed",
        )));
    }
    let now = ctx.repo.now();
    let run = ctx
        .repo
        .check_runs
        .iter_mut()
        .find(|r| r.id == id)
        .expect("check run");
    if let Some(name) = body["name"].as_str() {
        run.name = name.to_string();
    }
    if let Some(s) = status {
        run.status = s;
    }
    if let Some(c) = conclusion {
        run.conclusion = Some(c);
        run.status = "completed".into();
        run.completed_at = Some(now);
    }
    if let Some(output) = body.get("output").filter(|o| o.is_object()) {
        if let Some(t) = output["title"].as_str() {
            run.title = Some(t.to_string());
        }
        if let Some(s) = output["summary"].as_str() {
            run.summary = Some(s.to_string());
        }
        run.annotations.extend(annotations);
    }
    Ok(None)
}

fn create_check_run(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&[])?;
    let name = ctx.str_field("name")?.unwrap_or_default();
    let head_sha = ctx.str_field("head_sha")?.unwrap_or_default();
    if !ctx.repo.commits.contains_key(&head_sha) {
        return Ok(invalid(
            "CheckRun",
            &format!("No commit found for SHA: {head_sha}"),
        ));
    }
    let id = ctx.repo.add_check_run(&head_sha, &name, None, "");
    {
        let run = ctx.repo.check_runs.last_mut().expect("added");
        run.app = ctx.app.clone();
        run.status = "queued".into();
        run.title = None;
        run.summary = None;
    }
    if let Some(refused) = apply_check_fields(ctx, id)? {
        ctx.repo.check_runs.pop();
        return Ok(refused);
    }
    Ok(answer(201, check_run_json(ctx, id)))
}

fn update_check_run(ctx: &mut Ctx, id: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(id) = number(id).filter(|id| ctx.repo.check_runs.iter().any(|r| r.id == *id)) else {
        return Ok(error(404, "Not Found"));
    };
    // Only the App that created a run may change it.
    let owner = ctx
        .repo
        .check_runs
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.app.0);
    if owner != Some(ctx.app.0) {
        return Ok(error(
            403,
            "Invalid app_id `0` - check run can only be modified by the GitHub App that created it.",
        ));
    }
    let before = ctx.repo.check_runs.clone();
    if let Some(refused) = apply_check_fields(ctx, id)? {
        ctx.repo.check_runs = before;
        return Ok(refused);
    }
    Ok(answer(200, check_run_json(ctx, id)))
}

/// The repository at `sha` as GitHub's tarball: gzip, a pax global header naming the commit,
/// then everything under `owner-repo-shortsha/`.
pub fn tarball(repo: &Repo, sha: &str) -> Vec<u8> {
    use tar::{EntryType, Header};
    let top = format!("{}-{}-{}", repo.owner, repo.name, &sha[..7]);
    let tree = repo.tree_of(sha).cloned().unwrap_or_default();
    let mut b = tar::Builder::new(Vec::new());
    let pax = format!("52 comment={sha}\n");
    let mut h = Header::new_ustar();
    h.set_entry_type(EntryType::XGlobalHeader);
    h.set_path("pax_global_header").expect("path");
    h.set_size(pax.len() as u64);
    h.set_mode(0o666);
    h.set_cksum();
    b.append(&h, pax.as_bytes()).expect("pax header");
    let mut dirs = std::collections::BTreeSet::new();
    for path in tree.keys() {
        let mut acc = String::new();
        for part in path
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map(|(_, d)| d)
            .unwrap_or(&[])
        {
            acc = if acc.is_empty() {
                part.to_string()
            } else {
                format!("{acc}/{part}")
            };
            dirs.insert(acc.clone());
        }
    }
    let dir = |b: &mut tar::Builder<Vec<u8>>, path: String| {
        let mut h = Header::new_gnu();
        h.set_entry_type(EntryType::Directory);
        h.set_mode(0o775);
        h.set_size(0);
        b.append_data(&mut h, path, std::io::empty()).expect("dir");
    };
    dir(&mut b, format!("{top}/"));
    for d in dirs {
        dir(&mut b, format!("{top}/{d}/"));
    }
    for (path, file) in &tree {
        let mut h = Header::new_gnu();
        h.set_mtime(1_714_521_600);
        if file.mode == MODE_SYMLINK {
            h.set_entry_type(EntryType::Symlink);
            h.set_mode(0o777);
            h.set_size(0);
            let target = String::from_utf8_lossy(&file.content).to_string();
            b.append_link(&mut h, format!("{top}/{path}"), target)
                .expect("symlink");
        } else {
            h.set_entry_type(EntryType::Regular);
            h.set_mode(if file.mode == MODE_EXECUTABLE {
                0o775
            } else {
                0o664
            });
            h.set_size(file.content.len() as u64);
            b.append_data(&mut h, format!("{top}/{path}"), file.content.as_slice())
                .expect("file");
        }
    }
    let tar = b.into_inner().expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).expect("gzip");
    gz.finish().expect("gzip")
}

// ----- Issues and secret-scanning alerts, for the scheduled report. -----

fn issue_json(ctx: &Ctx, n: u64) -> Value {
    let full = ctx.repo.full_name();
    let base = merge(
        spec().example("issue"),
        json!({
            "id": 50_000 + n,
            "number": n,
            "url": format!("https://api.github.com/repos/{full}/issues/{n}"),
            "repository_url": format!("https://api.github.com/repos/{full}"),
            "html_url": format!("https://github.com/{full}/issues/{n}"),
            "labels": [],
            "assignee": null,
            "assignees": [],
            "milestone": null,
            "closed_by": null,
        }),
    );
    let mut base = base;
    if let Some(o) = base.as_object_mut() {
        o.remove("pull_request");
    }
    match (ctx.repo.issue_data.get(&n), ctx.repo.pulls.get(&n)) {
        (Some(i), _) => merge(
            base,
            json!({
                "title": i.title,
                "body": i.body,
                "state": if i.open { "open" } else { "closed" },
                "state_reason": if i.open { Value::Null } else { json!("completed") },
                "closed_at": if i.open { Value::Null } else { json!(i.updated_at) },
                "user": user(ctx.repo, &i.author),
                "created_at": i.created_at,
                "updated_at": i.updated_at,
            }),
        ),
        // A pull request, as the issues API lists it.
        (None, Some(p)) => merge(
            base,
            json!({
                "title": p.title,
                "body": p.body,
                "state": if p.open { "open" } else { "closed" },
                "user": user(ctx.repo, &p.author),
                "created_at": p.created_at,
                "updated_at": p.updated_at,
                "closed_at": p.closed_at,
                "pull_request": {
                    "url": format!("https://api.github.com/repos/{full}/pulls/{n}"),
                    "html_url": format!("https://github.com/{full}/pull/{n}"),
                    "diff_url": format!("https://github.com/{full}/pull/{n}.diff"),
                    "patch_url": format!("https://github.com/{full}/pull/{n}.patch"),
                    "merged_at": p.merged_at,
                },
            }),
        ),
        (None, None) => base,
    }
}

fn list_issues(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&["creator", "state", "per_page", "page"])?;
    if ctx.repo.issues_disabled {
        return Ok(error(410, "Issues are disabled for this repo"));
    }
    let state = ctx.param("state").unwrap_or("open").to_string();
    let creator = ctx.param("creator").map(str::to_ascii_lowercase);
    let mut numbers: Vec<(u64, String, bool)> = ctx
        .repo
        .issue_data
        .iter()
        .map(|(n, i)| (*n, i.author.clone(), i.open))
        .chain(
            ctx.repo
                .pulls
                .values()
                .map(|p| (p.number, p.author.clone(), p.open)),
        )
        .collect();
    // Newest first, as GitHub sorts by default.
    numbers.sort_by_key(|n| std::cmp::Reverse(n.0));
    let items: Vec<Value> = numbers
        .into_iter()
        .filter(|(_, author, open)| {
            creator
                .as_deref()
                .is_none_or(|c| author.eq_ignore_ascii_case(c))
                && match state.as_str() {
                    "all" => true,
                    "closed" => !open,
                    _ => *open,
                }
        })
        .map(|(n, _, _)| issue_json(ctx, n))
        .collect();
    ctx.paged(items, Value::Array)
}

fn create_issue(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&[])?;
    if ctx.repo.issues_disabled {
        return Ok(error(410, "Issues are disabled for this repo"));
    }
    let Some(title) = ctx.str_field("title")? else {
        return Ok(invalid("Issue", "title is missing"));
    };
    let body = ctx.str_field("body")?.unwrap_or_default();
    let actor = ctx.actor.clone();
    let n = ctx.repo.open_issue(&actor, &title, &body);
    Ok(answer(201, issue_json(ctx, n)))
}

fn get_issue(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&[])?;
    match number(n)
        .filter(|n| ctx.repo.issue_data.contains_key(n) || ctx.repo.pulls.contains_key(n))
    {
        Some(n) => Ok(answer(200, issue_json(ctx, n))),
        None => Ok(error(404, "Not Found")),
    }
}

fn update_issue(ctx: &mut Ctx, n: &str) -> Outcome {
    ctx.allow_query(&[])?;
    let Some(n) = number(n).filter(|n| ctx.repo.issue_data.contains_key(n)) else {
        return Ok(error(404, "Not Found"));
    };
    let body = ctx.str_field("body")?;
    let open = match ctx.str_field("state")?.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(other) => return Err(format!("PATCH issue: state {other}")),
    };
    ctx.repo.edit_issue(n, body.as_deref(), open);
    Ok(answer(200, issue_json(ctx, n)))
}

fn secret_alerts(ctx: &mut Ctx) -> Outcome {
    ctx.allow_query(&["state", "per_page", "page"])?;
    if ctx.param("state") != Some("open") {
        return Err("secret-scanning alerts: adoptbot asks for state=open only".into());
    }
    let Some(alerts) = ctx.repo.secret_alerts.clone() else {
        return Ok(error(
            404,
            "Secret scanning is disabled on this repository.",
        ));
    };
    let full = ctx.repo.full_name();
    let example = spec().example("secret-scanning-alert-list")[0].clone();
    let items = alerts
        .into_iter()
        .map(|(n, kind, name)| {
            merge(
                example.clone(),
                json!({
                    "number": n,
                    "url": format!("https://api.github.com/repos/{full}/secret-scanning/alerts/{n}"),
                    "html_url": format!("https://github.com/{full}/security/secret-scanning/{n}"),
                    "locations_url": format!("https://api.github.com/repos/{full}/secret-scanning/alerts/{n}/locations"),
                    "state": "open",
                    "resolution": null,
                    "resolved_at": null,
                    "resolved_by": null,
                    "secret_type": kind,
                    "secret_type_display_name": name,
                }),
            )
        })
        .collect();
    ctx.paged(items, Value::Array)
}
