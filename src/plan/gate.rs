//! The decisions of a gate request, pure: which gate judges the PR, what its verdict rests
//! on, whom to ask for review, and what an outdated checklist says. The gate handler
//! (`runners::handlers::gate`) reads the forge, calls these, and applies the writes.

use super::reconcile::{self, DesiredComment};
use crate::Analysis;
use crate::evaluate::approval::{self, Holders, RoleApproval, Step};
use crate::evaluate::{DeliverableResult, Input};
use crate::load::Snapshot;
use crate::model::forge::{
    ChangedFile, CheckRunSpec, Comment, Conclusion, Member, PullRequest, Review,
};
use crate::model::{Adoption, GateDef, Id, Phase, TeamRef};
use crate::report;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The files under `phases/` of a snapshot, with their contents: what the rules are made of.
pub fn phase_files(s: &Snapshot) -> BTreeMap<String, Vec<u8>> {
    s.paths
        .iter()
        .filter(|p| p.starts_with("phases/"))
        .map(|p| (p.clone(), s.contents.get(p).cloned().unwrap_or_default()))
        .collect()
}

/// Whether a PR's files touch what the gates judge by: the phase and roles in
/// `adoption.yaml`, or the framework overrides under `phases/`.
pub fn touches_rules<'a>(paths: impl IntoIterator<Item = &'a str>) -> bool {
    paths
        .into_iter()
        .any(|p| p == "adoption.yaml" || p.starts_with("phases/"))
}

/// What enforces the gates, besides the rules themselves: the workflows that run the bot and
/// CODEOWNERS (`.github/`), the action (`action.yml`), and the bot's own configuration
/// (`.adoptbot/`). A gate PR that changes them could post its own check, so changing them is
/// a rule change.
pub fn enforces(path: &str) -> bool {
    path.starts_with(".github/")
        || path == "action.yml"
        || path == "action.yaml"
        || path.starts_with(".adoptbot/")
}

/// The folders of the documents the gates and their deliverables read.
const DOCUMENTS: [&str; 10] = [
    "scorecards/",
    "inventory/",
    "teams/",
    "experiments/",
    "use-cases/",
    "slos/",
    "runbooks/",
    "radar/",
    "policies/",
    "phases/",
];

/// Whether neither a gate nor its deliverables need the file: it is listed on the checklist.
pub fn unrelated(path: &str) -> bool {
    path != "adoption.yaml" && !enforces(path) && !DOCUMENTS.iter().any(|d| path.starts_with(d))
}

/// The changes to what enforces the gates among a PR's files, for the rule changes.
pub fn enforcement_changes(files: &[ChangedFile]) -> Vec<String> {
    let mut out: Vec<String> = files
        .iter()
        .flat_map(|f| std::iter::once(&f.path).chain(f.previous_path.as_ref()))
        .filter(|p| enforces(p))
        .map(|p| format!("{p} is changed, and it enforces the gates"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A gate request framed: the step, the gate that judges it and the roles it needs, read at
/// the base. What the forge must still be asked (team members, reviews) follows from it.
#[derive(Debug, Clone)]
pub struct Frame {
    pub step: Step,
    /// The phases at the base and at the head.
    pub phases: (Phase, Phase),
    pub gate: Option<(Phase, GateDef)>,
    pub rule_changes: Vec<String>,
    /// Files the PR changes that neither the gate nor its deliverables need.
    pub unrelated: Vec<String>,
    /// The gate's approver roles, with who holds each at the base.
    pub roles: Vec<Id>,
    pub holders: BTreeMap<Id, (Vec<String>, Vec<TeamRef>)>,
}

impl Frame {
    /// The teams whose members must be resolved, by numeric id, to judge the approvals.
    pub fn teams(&self) -> Vec<TeamRef> {
        let mut out: Vec<TeamRef> = self
            .holders
            .values()
            .flat_map(|(_, teams)| teams.iter().cloned())
            .collect();
        out.sort_by(|a, b| (&a.org, &a.slug).cmp(&(&b.org, &b.slug)));
        out.dedup_by(|a, b| a.org == b.org && a.slug == b.slug);
        out
    }
}

/// The gate request a PR makes, if any. `None` when it is not one: the phase and the rules
/// stay as they are. The gate that judges: for an advance, the exit gate of the phase left;
/// for a rollback, the gate between the two phases; for a rules-only PR, the current phase's
/// exit gate (in the last phase, which has none, the gate that entered it).
///
/// `files` are the PR's changed files: in a gate request, a change to what enforces the gates
/// (see [`enforces`]) is a rule change too, and files that nothing of the gate needs are
/// listed.
pub fn frame(
    base: (&Analysis, &Snapshot),
    head: (&Adoption, &Snapshot),
    base_adoption: &Adoption,
    pull: (&str, &[ChangedFile]),
) -> Option<Frame> {
    let (base_analysis, base_snap) = base;
    let (head_adoption, head_snap) = head;
    let (pr_body, files) = pull;
    let mut rule_changes = approval::rule_changes(
        &phase_files(base_snap),
        &phase_files(head_snap),
        base_adoption,
        head_adoption,
    );
    let (from, to) = (base_adoption.phase.value, head_adoption.phase.value);
    if from == to && rule_changes.is_empty() {
        return None;
    }
    rule_changes.extend(enforcement_changes(files));
    let mut unrelated: Vec<String> = files
        .iter()
        .map(|f| f.path.clone())
        .filter(|p| unrelated(p))
        .collect();
    unrelated.sort();
    let step = approval::step(from, to, pr_body);
    let framework = &base_analysis.framework;
    let gate_phase = match &step {
        Step::Advance { from, .. } => Some(*from),
        Step::Rollback { to, .. } => Some(*to),
        Step::Invalid { .. } if !rule_changes.is_empty() && from == to => {
            if framework.exit_gate(from).is_some() {
                Some(from)
            } else {
                Phase::from_number(from.number().saturating_sub(1))
            }
        }
        Step::Invalid { .. } => None,
    };
    let gate = gate_phase.and_then(|p| framework.exit_gate(p).map(|g| (p, g.clone())));
    let roles: Vec<Id> = gate
        .as_ref()
        .map(|(_, g)| g.approvers.clone())
        .unwrap_or_default();
    let holders = roles
        .iter()
        .filter_map(|role| {
            let h = base_adoption.roles.get(role)?;
            Some((
                role.clone(),
                (
                    h.users.iter().map(|u| u.to_string()).collect(),
                    h.teams.clone(),
                ),
            ))
        })
        .collect();
    Some(Frame {
        step,
        phases: (from, to),
        gate,
        rule_changes,
        unrelated,
        roles,
        holders,
    })
}

/// A gate request judged: everything the verdict rests on.
#[derive(Debug, Clone)]
pub struct Judged {
    pub frame: Frame,
    pub deliverables: Vec<DeliverableResult>,
    pub roles: Vec<RoleApproval>,
    pub outsiders: Vec<String>,
    pub reviews: Vec<Review>,
}

/// Judges a framed gate request: deliverables at the head (for an advance), approvals from
/// the reviews and the role holders (team members by numeric id), none from a contributor
/// (the author or committer of a commit of the PR, `commits`, or a co-author it names).
pub fn judge(
    frame: Frame,
    head: &Analysis,
    base: &Analysis,
    members: &BTreeMap<(String, String), Vec<Member>>,
    pull: &PullRequest,
    (reviews, commits): (Vec<Review>, &[crate::model::forge::Commit]),
    today: NaiveDate,
) -> Judged {
    let deliverables = match (&frame.step, &frame.gate) {
        (Step::Advance { .. }, Some((p, g))) => {
            let facts = crate::blueprint_facts(&head.loaded.repo);
            let input = Input {
                repo: &head.loaded.repo,
                framework: &base.framework,
                today,
                blueprints: &facts,
                priced: None,
            };
            crate::evaluate::gate::checklist(&input, *p, g).deliverables
        }
        _ => Vec::new(),
    };
    let mut holders: BTreeMap<Id, Holders> = BTreeMap::new();
    for (role, (users, teams)) in &frame.holders {
        let entry = holders.entry(role.clone()).or_default();
        entry.logins = users.clone();
        for t in teams {
            for m in members
                .get(&(t.org.clone(), t.slug.clone()))
                .into_iter()
                .flatten()
            {
                entry.ids.insert(m.id, m.login.clone());
            }
        }
    }
    let roles = approval::approvals(
        &frame.roles,
        &holders,
        (pull.author_id, &pull.author),
        &pull.head_sha,
        &reviews,
        &approval::contributors(commits),
    );
    let outsiders = approval::outsiders(&holders, &reviews);
    Judged {
        frame,
        deliverables,
        roles,
        outsiders,
        reviews,
    }
}

impl Judged {
    pub fn view<'a>(&'a self, pull: &'a PullRequest) -> report::gate::GateView<'a> {
        report::gate::GateView {
            base_branch: &pull.base_branch,
            head_sha: &pull.head_sha,
            step: &self.frame.step,
            gate: self.frame.gate.as_ref().map(|(_, g)| g.id.as_str()),
            rule_changes: &self.frame.rule_changes,
            unrelated: &self.frame.unrelated,
            deliverables: &self.deliverables,
            roles: &self.roles,
            outsiders: &self.outsiders,
        }
    }

    /// Whom to ask for review: the holders of the roles still missing, once per head commit.
    /// Not the author, not anyone the PR already waits for or who reviewed this head, and not
    /// anyone the forge refused to ask at this head (`refused`). Someone whose approval went
    /// to an earlier commit is asked again. `(user logins, team slugs)`, sorted.
    pub fn reviewers_to_ask(
        &self,
        pull: &PullRequest,
        refused: &(Vec<String>, Vec<String>),
    ) -> (Vec<String>, Vec<String>) {
        let has = |list: &[String], x: &str| list.iter().any(|a| a.eq_ignore_ascii_case(x));
        let reviewed = |login: &str| {
            self.reviews
                .iter()
                .any(|r| r.user_login.eq_ignore_ascii_case(login) && r.commit_id == pull.head_sha)
        };
        let mut users = Vec::new();
        let mut teams = Vec::new();
        for r in self
            .roles
            .iter()
            .filter(|r| !r.met && r.approved_by.is_empty())
        {
            let Some((role_users, role_teams)) = self.frame.holders.get(&r.role) else {
                continue;
            };
            users.extend(
                role_users
                    .iter()
                    .filter(|u| {
                        !u.eq_ignore_ascii_case(&pull.author)
                            && !reviewed(u)
                            && !has(&pull.requested_users, u)
                            && !has(&refused.0, u)
                    })
                    .cloned(),
            );
            teams.extend(
                role_teams
                    .iter()
                    .map(|t| t.slug.clone())
                    .filter(|t| !has(&pull.requested_teams, t) && !has(&refused.1, t)),
            );
        }
        users.sort();
        users.dedup();
        teams.sort();
        teams.dedup();
        (users, teams)
    }
}

/// The key of a PR's checklist for its base branch.
pub fn checklist_key(base_branch: &str) -> String {
    format!("gate/{base_branch}")
}

/// The bot's checklists for other bases (the PR was retargeted), each rewritten in place to
/// say it no longer applies.
pub fn stale_checklists(
    comments: &[Comment],
    bot: &str,
    pull: &PullRequest,
    valid_at: i64,
) -> Vec<DesiredComment> {
    let key = checklist_key(&pull.base_branch);
    comments
        .iter()
        .filter(|c| c.author == bot)
        .filter_map(|c| {
            let (k, _, _) = reconcile::parse_marker(&c.body)?;
            let old_base = k.strip_prefix("gate/")?.to_string();
            (k != key).then(|| DesiredComment {
                issue: pull.number,
                key: k.clone(),
                body: format!(
                    "### adoptbot: this checklist no longer applies\n\nIt judged this PR against `{old_base}`; the PR now targets `{}`, and only the check `adoptbot/gate ({})` counts.",
                    pull.base_branch, pull.base_branch
                ),
                valid_at,
            })
        })
        .collect()
}

/// The gate check of a PR that touches `adoption.yaml` or `phases/` without changing the
/// phase, the roles or the rules: it passes and says why.
pub fn not_a_gate_check(pull: &PullRequest) -> CheckRunSpec {
    CheckRunSpec {
        name: format!("adoptbot/gate ({})", pull.base_branch),
        head_sha: pull.head_sha.clone(),
        conclusion: Conclusion::Success,
        title: "not a gate request: the phase and the rules stay as they are".into(),
        summary: "This PR changes `adoption.yaml` or `phases/` without changing the phase, the roles or the rules the gates are judged by.".into(),
        annotations: Vec::new(),
    }
}

/// What a checklist left from an earlier head says once the PR is no longer a gate request.
pub fn moot_checklist(pull: &PullRequest, valid_at: i64) -> DesiredComment {
    DesiredComment {
        issue: pull.number,
        key: checklist_key(&pull.base_branch),
        body: "### adoptbot: no longer a gate request\n\nThis PR no longer changes the phase or the rules, so no gate judges it.".into(),
        valid_at,
    }
}

/// The message of the commit that adds `record`, for pull request `number`, keyed `key`.
pub fn audit_commit_message(
    record: &crate::model::audit::GateRecord,
    number: u64,
    key: &str,
) -> String {
    format!(
        "Gate {} record for #{number} ({})\n\n{} {key}\n{} {key}",
        record.gate.as_deref().unwrap_or("request"),
        if record.passed {
            "passed"
        } else {
            "merged without passing"
        },
        crate::model::audit::TRAILER,
        reconcile::TRAILER,
    )
}

/// Where the branch rules of the audit branch are weaker than the ruleset the docs ask for
/// (`docs/framework.md`, "Security"): updates restricted (the bypass list holding the bot's
/// App only), no deletion, no force push. `rules` as the forge shows them for
/// `adoptbot/audit`. The bypass list itself is not shown by the branch rules, so a ruleset
/// that restricts updates is taken to let only the App through.
pub fn audit_rule_warnings(rules: &[crate::model::forge::BranchRule]) -> Vec<String> {
    let has = |kind: &str| rules.iter().any(|r| r.kind == kind);
    let branch = crate::model::audit::BRANCH;
    let mut out = Vec::new();
    if !has("update") {
        out.push(format!(
            "`{branch}` takes pushes from anyone with write access: add a ruleset on it with \"Restrict updates\" and only the adoptbot App in its bypass list"
        ));
    }
    if !has("deletion") {
        out.push(format!(
            "`{branch}` can be deleted: add \"Restrict deletions\" to its ruleset"
        ));
    }
    if !has("non_fast_forward") {
        out.push(format!(
            "`{branch}` can be force-pushed: add \"Block force pushes\" to its ruleset"
        ));
    }
    out
}

/// Where the rules of `base` do not require the bot's gate check from the bot's App: the
/// check `adoptbot/gate (<base>)` must be required, pinned to the App (`app_id`) as its
/// expected source, so that a same-named check from anyone else cannot satisfy it.
pub fn gate_rule_warnings(
    base: &str,
    rules: &[crate::model::forge::BranchRule],
    app_id: Option<u64>,
) -> Vec<String> {
    let name = format!("adoptbot/gate ({base})");
    let required: Vec<&crate::model::forge::RequiredCheck> = rules
        .iter()
        .flat_map(|r| &r.required_checks)
        .filter(|c| c.context == name)
        .collect();
    if required.is_empty() {
        return vec![format!(
            "`{base}` does not require `{name}`: require it in the branch's ruleset, with the adoptbot App as its source"
        )];
    }
    match app_id {
        Some(id) if required.iter().all(|c| c.app_id == Some(id)) => Vec::new(),
        _ => vec![format!(
            "`{base}` requires `{name}` from any source: pin it to the adoptbot App, so that another App's check of that name cannot pass it"
        )],
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;
    use crate::model::forge::{BranchRule, RequiredCheck};

    fn rule(kind: &str) -> BranchRule {
        BranchRule {
            kind: kind.into(),
            required_checks: Vec::new(),
        }
    }

    #[test]
    fn the_audit_branch_rules_are_checked_rule_by_rule() {
        assert_eq!(audit_rule_warnings(&[]).len(), 3);
        let strict = [rule("update"), rule("deletion"), rule("non_fast_forward")];
        assert!(audit_rule_warnings(&strict).is_empty());
        let w = audit_rule_warnings(&strict[1..]);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("Restrict updates"), "{w:?}");
    }

    #[test]
    fn the_gate_check_must_be_required_and_pinned_to_the_app() {
        let checks = |app_id| BranchRule {
            kind: "required_status_checks".into(),
            required_checks: vec![RequiredCheck {
                context: "adoptbot/gate (main)".into(),
                app_id,
            }],
        };
        assert!(gate_rule_warnings("main", &[], Some(7))[0].contains("does not require"));
        assert!(gate_rule_warnings("main", &[checks(None)], Some(7))[0].contains("pin it"));
        assert!(gate_rule_warnings("main", &[checks(Some(8))], Some(7))[0].contains("pin it"));
        assert!(gate_rule_warnings("main", &[checks(Some(7))], Some(7)).is_empty());
    }
}
