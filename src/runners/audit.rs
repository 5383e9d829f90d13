//! `adoptbot audit --forge`: every record on `adoptbot/audit` checked against the forge's own
//! history. A record counts only when the bot made the commit that added it (author and
//! committer the bot, signature verified), its file is still what that commit wrote, the
//! pull request it names was merged with the merge commit and head it states, and the bot's
//! own gate check (by App) on that head agrees with its verdict. Anything else is a finding,
//! and a record a person wrote or altered is a forgery.

use crate::forge::{Forge, ForgeError};
use crate::model::audit::{BRANCH, FOLDER, GateRecord};
use crate::model::forge::{Conclusion, PrState};
use crate::report::audit as trail;
use std::collections::BTreeMap;

/// What the forge shows about the trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// Records that hold up against the forge, by pull request.
    pub verified: Vec<u64>,
    /// Forgeries and disagreements, each naming the commit or record and why.
    pub findings: Vec<String>,
    /// Branch rules weaker than the docs ask for (when the forge shows them): not forgeries,
    /// but what lets one happen.
    pub warnings: Vec<String>,
}

/// Where the branch rules are weaker than the docs ask for: `adoptbot/audit` open to pushes,
/// deletion or force pushes, and `default` not requiring the gate check from the bot's App.
/// `None` when the forge shows no branch rules (the local forge, or a token that may not read
/// them). Two reads.
pub async fn rule_warnings<F: Forge>(
    forge: &F,
    default: &str,
) -> Result<Option<Vec<String>>, ForgeError> {
    let (Some(audit), Some(base)) = (
        forge.branch_rules(BRANCH).await?,
        forge.branch_rules(default).await?,
    ) else {
        return Ok(None);
    };
    let id = match forge.bot_app() {
        crate::model::forge::BotApp::Id(id) => Some(id),
        _ => None,
    };
    let mut out = crate::plan::gate::audit_rule_warnings(&audit);
    out.extend(crate::plan::gate::gate_rule_warnings(default, &base, id));
    Ok(Some(out))
}

/// Checks the audit branch of the repository behind `forge` (compared with `default`, the
/// default branch). Reads: the branch's commits, a snapshot of its head, one snapshot per
/// commit that added a record, and per record its pull request and the check runs on its
/// head.
pub async fn verify<F: Forge>(forge: &F, default: &str) -> Result<Verified, ForgeError> {
    let bot = forge.bot_login().to_string();
    let app = forge.bot_app();
    let mut out = Verified {
        warnings: rule_warnings(forge, default).await?.unwrap_or_default(),
        ..Verified::default()
    };
    let commits = match forge.branch_commits(default, BRANCH).await {
        Ok(c) => c,
        Err(ForgeError::NotFound(_)) => return Ok(out),
        Err(e) => return Err(e),
    };
    for c in trail::foreign_commits(&commits, &bot) {
        out.findings.push(trail::describe_foreign(c));
    }
    let Some(head) = commits.last() else {
        return Ok(out);
    };
    let at_head = forge.snapshot(&head.sha).await?;
    let mut written: BTreeMap<String, crate::load::Snapshot> = BTreeMap::new();
    let prefix = format!("{FOLDER}/");
    for path in at_head.paths.iter().filter(|p| p.starts_with(&prefix)) {
        let bytes = at_head.contents.get(path).cloned().unwrap_or_default();
        let record: GateRecord = match serde_json::from_slice(&bytes) {
            Ok(r) => r,
            Err(e) => {
                out.findings
                    .push(format!("{path} on `{BRANCH}` is not a gate record: {e}"));
                continue;
            }
        };
        let n = record.pull;
        let Some(by_bot) = trail::recorded_by_bot(&commits, &trail::key(n), &bot) else {
            out.findings.push(format!(
                "{path}: the record of #{n} was not written by adoptbot (no verified commit of adoptbot adds it): a forgery"
            ));
            continue;
        };
        if !written.contains_key(&by_bot.sha) {
            written.insert(by_bot.sha.clone(), forge.snapshot(&by_bot.sha).await?);
        }
        let original = written[&by_bot.sha].contents.get(path);
        if original != Some(&bytes) {
            out.findings.push(format!(
                "{path}: the record of #{n} is not what adoptbot wrote in {}: it was altered afterwards, a forgery",
                &by_bot.sha[..by_bot.sha.len().min(7)]
            ));
            continue;
        }
        let before = out.findings.len();
        match forge.pull(n).await {
            Ok(p) if p.state != PrState::Merged => out
                .findings
                .push(format!("{path}: #{n} is not merged on the forge")),
            Ok(p) => {
                if p.merge_sha != record.merge_sha {
                    out.findings.push(format!(
                        "{path}: #{n} was merged as {}, not {} as the record says",
                        p.merge_sha.as_deref().unwrap_or("nothing"),
                        record.merge_sha.as_deref().unwrap_or("nothing")
                    ));
                }
                if p.head_sha != record.head_sha {
                    out.findings.push(format!(
                        "{path}: #{n}'s head was {}, not {} as the record says",
                        p.head_sha, record.head_sha
                    ));
                }
            }
            Err(ForgeError::NotFound(_)) => out
                .findings
                .push(format!("{path}: #{n} does not exist on the forge")),
            Err(e) => return Err(e),
        }
        let name = format!("adoptbot/gate ({})", record.base_branch);
        let runs = forge.check_runs(&record.head_sha).await?;
        let mine = runs
            .iter()
            .filter(|r| r.name == name && r.head_sha == record.head_sha && app.owns(r))
            .max_by_key(|r| r.id);
        let passed = mine.is_some_and(|r| r.conclusion == Some(Conclusion::Success));
        match mine {
            None => out.findings.push(format!(
                "{path}: adoptbot's App posted no `{name}` on {}, the head #{n} was approved on",
                &record.head_sha[..record.head_sha.len().min(7)]
            )),
            Some(_) if passed != record.passed => out.findings.push(format!(
                "{path}: the record says the gate {} but adoptbot's check on the head {}",
                if record.passed {
                    "passed"
                } else {
                    "did not pass"
                },
                if passed { "passed" } else { "did not pass" }
            )),
            Some(_) => {}
        }
        if out.findings.len() == before {
            out.verified.push(n);
        }
    }
    Ok(out)
}
