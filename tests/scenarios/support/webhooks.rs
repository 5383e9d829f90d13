//! Webhook deliveries as GitHub sends them, for the simulator's world. Each starts from a
//! real payload of `tests/fixtures/webhooks/` (`@octokit/webhooks-examples` 7.6.1, see its
//! README; the same examples as `../shared/reference/github/webhook-examples.json`) and sets
//! the fields adoptbot reads (numbers, SHAs, branches, logins and ids) from the simulator's
//! state. The delivery is then typed by the adapter's own `events::parse`, so a scenario
//! never builds an `Event` by hand.

use super::sim::Repo;
use adoptbot::forge::github::events;
use adoptbot::model::event::Event;
use serde_json::{Value, json};

/// A payload of `tests/fixtures/webhooks/`.
pub fn fixture(name: &str) -> Value {
    let path = super::root().join("tests/fixtures/webhooks").join(name);
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Types a delivery with the adapter's parser.
pub fn parse(name: &str, payload: &Value) -> Event {
    let bytes = serde_json::to_vec(payload).expect("a payload");
    events::parse(name, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn user(r: &Repo, login: &str) -> Value {
    json!({ "login": login, "id": r.user_id(login), "type": "User", "site_admin": false })
}

fn repository(r: &Repo, template: &Value) -> Value {
    let mut v = template.clone();
    v["name"] = json!(r.name);
    v["full_name"] = json!(r.full_name());
    v["default_branch"] = json!("main");
    v["owner"]["login"] = json!(r.owner);
    v
}

/// The `pull_request` object of a payload: the fixture's, with #`n` as the simulator has it.
fn pull(r: &Repo, template: &Value, n: u64) -> Value {
    let p = r
        .pulls
        .get(&n)
        .unwrap_or_else(|| panic!("no pull request #{n}"));
    let mut v = template.clone();
    let base_sha = p
        .closed_base_sha
        .clone()
        .or_else(|| r.resolve(&p.base_ref))
        .unwrap_or_default();
    v["number"] = json!(n);
    v["title"] = json!(p.title);
    v["body"] = json!(p.body);
    v["state"] = json!(if p.open { "open" } else { "closed" });
    v["merged"] = json!(p.merged_at.is_some());
    v["merged_at"] = json!(p.merged_at);
    v["closed_at"] = json!(p.closed_at);
    v["merge_commit_sha"] = json!(p.merge_commit_sha);
    v["user"] = user(r, &p.author);
    v["head"]["ref"] = json!(p.head_ref);
    v["head"]["sha"] = json!(r.pull_head(p));
    v["base"]["ref"] = json!(p.base_ref);
    v["base"]["sha"] = json!(base_sha);
    v["requested_reviewers"] = p.requested_reviewers.iter().map(|u| user(r, u)).collect();
    v["requested_teams"] = p
        .requested_teams
        .iter()
        .map(|t| json!({ "name": t, "slug": t }))
        .collect();
    v
}

/// `pull_request` with `action` (`opened`, `synchronize`, `reopened`, `edited`, `closed`)
/// for #`n`, sent by `sender`. `edited` is not among the examples: it is `opened`'s payload
/// with its action changed, as the fixtures' README says.
pub fn pull_request(r: &Repo, action: &str, n: u64, sender: &str) -> Event {
    parse("pull_request", &pull_request_payload(r, action, n, sender))
}

/// The payload of [`pull_request`], as the Action finds it in `GITHUB_EVENT_PATH`.
pub fn pull_request_payload(r: &Repo, action: &str, n: u64, sender: &str) -> Value {
    let file = match action {
        "edited" => "pull_request.opened.json".to_string(),
        a => format!("pull_request.{a}.json"),
    };
    let mut v = fixture(&file);
    v["action"] = json!(action);
    v["pull_request"] = pull(r, &v["pull_request"], n);
    v["repository"] = repository(r, &v["repository"]);
    v["sender"] = user(r, sender);
    v
}

/// `pull_request_review` `submitted` or `dismissed` for the review `id`.
pub fn review(r: &Repo, action: &str, id: u64) -> Event {
    parse("pull_request_review", &review_payload(r, action, id))
}

/// The payload of [`review`], as the App's webhook receives it.
pub fn review_payload(r: &Repo, action: &str, id: u64) -> Value {
    let rv = r
        .reviews
        .iter()
        .find(|x| x.id == id)
        .unwrap_or_else(|| panic!("no review {id}"))
        .clone();
    let login = r.login_of(rv.user_id).expect("a reviewer's account");
    let mut v = fixture(&format!("pull_request_review.{action}.json"));
    v["review"]["id"] = json!(id);
    v["review"]["user"] = user(r, &login);
    v["review"]["state"] = json!(rv.state.to_ascii_lowercase());
    v["review"]["commit_id"] = json!(rv.commit_id);
    v["review"]["submitted_at"] = json!(rv.submitted_at);
    v["review"]["body"] = json!(rv.body);
    v["pull_request"] = pull(r, &v["pull_request"], rv.pull);
    v["repository"] = repository(r, &v["repository"]);
    v["sender"] = user(r, &login);
    v
}

/// `issue_comment` `created` for the comment `id` (on a pull request or a plain issue).
pub fn comment(r: &Repo, id: u64) -> Event {
    let c = r
        .comments
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no comment {id}"))
        .clone();
    let mut v = fixture("issue_comment.created.json");
    v["issue"]["number"] = json!(c.issue);
    if r.pulls.contains_key(&c.issue) {
        v["issue"]["pull_request"] = json!({
            "url": format!("https://api.github.com/repos/{}/pulls/{}", r.full_name(), c.issue)
        });
    } else if let Some(o) = v["issue"].as_object_mut() {
        o.remove("pull_request");
    }
    v["comment"]["id"] = json!(id);
    v["comment"]["user"] = user(r, &c.author);
    v["comment"]["body"] = json!(c.body);
    v["repository"] = repository(r, &v["repository"]);
    v["sender"] = user(r, &c.author);
    parse("issue_comment", &v)
}

/// `push` to `branch`, now at its head, by `sender`.
pub fn push(r: &Repo, branch: &str, before: &str, sender: &str) -> Event {
    parse("push", &push_payload(r, branch, before, sender))
}

/// The payload of [`push`], as the App's webhook receives it.
pub fn push_payload(r: &Repo, branch: &str, before: &str, sender: &str) -> Value {
    let mut v = fixture("push.json");
    v["ref"] = json!(format!("refs/heads/{branch}"));
    v["before"] = json!(before);
    v["after"] = json!(r.head(branch));
    v["created"] = json!(false);
    v["deleted"] = json!(false);
    v["base_ref"] = Value::Null;
    v["repository"] = repository(r, &v["repository"]);
    v["sender"] = user(r, sender);
    v
}
