//! Decision gates approved by review: which step a gate request takes, whether it also
//! changes the rules it is judged by, and whether every approver role has a valid approval.
//! Pure. Fail closed: anything that cannot be shown to be a valid approval does not count.
//!
//! An approval counts only if it is the reviewer's latest review (comments aside), it was
//! given on the current head commit, the reviewer is not the author, and the reviewer holds
//! the role, matched by numeric user id. A reviewer whose latest review requests changes or
//! was dismissed counts against the role.

use crate::model::forge::{Review, ReviewState};
use crate::model::{Adoption, Id, Phase};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What a change of `phase` in `adoption.yaml` asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Step {
    /// One phase forward, through the exit gate of `from`.
    Advance { from: Phase, to: Phase },
    /// One phase back, with the stated reason, judged by the gate between them.
    Rollback {
        from: Phase,
        to: Phase,
        reason: String,
    },
    /// Anything else: the message says why.
    Invalid { reason: String },
}

/// The line of a PR body that states why a rollback is wanted.
pub const ROLLBACK_REASON: &str = "Rollback reason:";

/// The reason stated in a PR body, if any.
pub fn rollback_reason(body: &str) -> Option<String> {
    body.lines()
        .find_map(|l| l.trim().strip_prefix(ROLLBACK_REASON))
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
}

/// Classifies the phase change from `base` to `head`.
pub fn step(base: Phase, head: Phase, pr_body: &str) -> Step {
    let (b, h) = (i16::from(base.number()), i16::from(head.number()));
    match h - b {
        1 => Step::Advance {
            from: base,
            to: head,
        },
        -1 => match rollback_reason(pr_body) {
            Some(reason) => Step::Rollback {
                from: base,
                to: head,
                reason,
            },
            None => Step::Invalid {
                reason: format!(
                    "a rollback from phase {base} to phase {head} needs a reason: add a line `{ROLLBACK_REASON} ...` to the PR description"
                ),
            },
        },
        0 => Step::Invalid {
            reason: "the phase does not change".into(),
        },
        d => Step::Invalid {
            reason: format!(
                "the phase moves {} phases, from {base} to {head}; gates are passed one at a time",
                d.abs()
            ),
        },
    }
}

/// Everything in the head that changes the rules the gate is judged by: the framework
/// overrides (`phases/`) and the roles in `adoption.yaml`. Rule changes go in their own PR.
///
/// `base` and `head` are the files under `phases/` at each commit, with their contents.
pub fn rule_changes(
    base: &BTreeMap<String, Vec<u8>>,
    head: &BTreeMap<String, Vec<u8>>,
    base_adoption: &Adoption,
    head_adoption: &Adoption,
) -> Vec<String> {
    let mut out = Vec::new();
    let (b, h) = (base, head);
    for path in b.keys().chain(h.keys()).collect::<BTreeSet<_>>() {
        match (b.get(path), h.get(path)) {
            (Some(x), Some(y)) if x == y => {}
            (None, Some(_)) => out.push(format!("{path} is added")),
            (Some(_), None) => out.push(format!("{path} is removed")),
            _ => out.push(format!("{path} is changed")),
        }
    }
    let roles = |a: &Adoption| {
        serde_json::to_value(
            a.roles
                .iter()
                .map(|(k, v)| (k.clone(), (v.users.clone(), v.teams.clone())))
                .collect::<BTreeMap<_, _>>(),
        )
        .unwrap_or_default()
    };
    if roles(base_adoption) != roles(head_adoption) {
        out.push("adoption.yaml: `roles` is changed".into());
    }
    out
}

/// How one approver role stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleApproval {
    pub role: Id,
    /// Logins whose approval counts.
    pub approved_by: Vec<String>,
    /// Why other reviews of the role's members do not count, or count against it.
    pub notes: Vec<String>,
    /// A member's latest review requests changes or was dismissed.
    pub blocked: bool,
    pub met: bool,
}

/// The reviewer's latest review that decides: approvals, change requests and dismissals;
/// comments and pending reviews neither approve nor withdraw.
fn latest_by_reviewer(reviews: &[Review]) -> BTreeMap<u64, &Review> {
    let mut latest = BTreeMap::new();
    let mut ordered: Vec<&Review> = reviews.iter().collect();
    ordered.sort_by_key(|r| r.id);
    for r in ordered {
        if matches!(
            r.state,
            ReviewState::Approved | ReviewState::ChangesRequested | ReviewState::Dismissed
        ) {
            latest.insert(r.user_id, r);
        }
    }
    latest
}

/// Who holds a role: the members of its teams, by numeric id (team membership is by
/// account), and the people `adoption.yaml` names by login, matched against a reviewer's
/// current login (which is what resolving the login at the time of the run gives, without
/// a call per person).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holders {
    pub ids: BTreeMap<u64, String>,
    pub logins: Vec<String>,
}

impl Holders {
    /// The holder's login if the reviewer `(id, login)` holds the role.
    fn holds(&self, id: u64, login: &str) -> Option<String> {
        self.ids.get(&id).cloned().or_else(|| {
            self.logins
                .iter()
                .any(|l| l.eq_ignore_ascii_case(login))
                .then(|| login.to_owned())
        })
    }

    fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.logins.is_empty()
    }

    /// Every holder is the author.
    fn only(&self, author: (u64, &str)) -> bool {
        !self.is_empty()
            && self
                .ids
                .iter()
                .all(|(id, l)| *id == author.0 || l.eq_ignore_ascii_case(author.1))
            && self.logins.iter().all(|l| l.eq_ignore_ascii_case(author.1))
    }
}

/// People who contributed to a pull request and so cannot approve it (policy-bot's
/// `ignore_contributors`): lower-case login to why, e.g. "wrote commit abc1234".
pub type Contributors = BTreeMap<String, String>;

/// The login a commit email stands for, where it can be told: GitHub's noreply forms
/// (`login@users.noreply.github.com`, `123+login@users.noreply.github.com`), or an email
/// that a commit of the PR shows with its account.
fn login_of_email(email: &str, known: &BTreeMap<String, String>) -> Option<String> {
    let email = email.trim().to_ascii_lowercase();
    if let Some(local) = email.strip_suffix("@users.noreply.github.com") {
        let login = match local.split_once('+') {
            Some((id, login)) if id.chars().all(|c| c.is_ascii_digit()) => login,
            _ => local,
        };
        return (!login.is_empty()).then(|| login.to_string());
    }
    known.get(&email).cloned()
}

/// Everyone who contributed to a pull request: the author and committer of every commit (by
/// the accounts the forge matched), and everyone named in a `Co-authored-by:` trailer whose
/// email can be matched to an account. Each with why, for the checklist.
pub fn contributors(commits: &[crate::model::forge::Commit]) -> Contributors {
    let mut known = BTreeMap::new();
    for c in commits {
        for (login, email) in [
            (&c.author_login, &c.author_email),
            (&c.committer_login, &c.committer_email),
        ] {
            if !login.is_empty() && !email.is_empty() {
                known.insert(email.to_ascii_lowercase(), login.to_ascii_lowercase());
            }
        }
    }
    let mut out = Contributors::new();
    for c in commits {
        let sha = short(&c.sha);
        if !c.author_login.is_empty() {
            out.entry(c.author_login.to_ascii_lowercase())
                .or_insert_with(|| format!("wrote commit {sha} of this PR"));
        }
        if !c.committer_login.is_empty() {
            out.entry(c.committer_login.to_ascii_lowercase())
                .or_insert_with(|| format!("committed {sha} of this PR"));
        }
        for (_, email) in c.co_authors() {
            if let Some(login) = login_of_email(&email, &known) {
                out.entry(login)
                    .or_insert_with(|| format!("is named co-author of commit {sha} of this PR"));
            }
        }
    }
    out
}

/// Judges every approver role. `holders` maps each role to who holds it, from the base's
/// `adoption.yaml`; a role absent from it has no members. The author is known by id and
/// login: either one matching keeps their own approval out, so an author whose id could not
/// be resolved still cannot approve.
pub fn approvals(
    roles: &[Id],
    holders: &BTreeMap<Id, Holders>,
    author: (u64, &str),
    head_sha: &str,
    reviews: &[Review],
    contributors: &Contributors,
) -> Vec<RoleApproval> {
    let latest = latest_by_reviewer(reviews);
    roles
        .iter()
        .map(|role| {
            let members = holders.get(role);
            let mut approved_by = Vec::new();
            let mut notes = Vec::new();
            let mut blocked = false;
            for (uid, r) in &latest {
                let Some(login) = members.and_then(|m| m.holds(*uid, &r.user_login)) else {
                    continue;
                };
                match r.state {
                    ReviewState::Approved
                        if *uid == author.0 || r.user_login.eq_ignore_ascii_case(author.1) =>
                    {
                        notes.push(format!("@{login} opened this PR and cannot approve it"))
                    }
                    ReviewState::Approved
                        if contributors.contains_key(&r.user_login.to_ascii_lowercase()) =>
                    {
                        notes.push(format!(
                            "@{login} {} and cannot approve it",
                            contributors[&r.user_login.to_ascii_lowercase()]
                        ))
                    }
                    ReviewState::Approved if r.commit_id != head_sha => notes.push(format!(
                        "@{login} approved an earlier commit ({}); approve the current head",
                        short(&r.commit_id)
                    )),
                    ReviewState::Approved => approved_by.push(login.clone()),
                    ReviewState::ChangesRequested => {
                        blocked = true;
                        notes.push(format!("@{login} requested changes"));
                    }
                    ReviewState::Dismissed => {
                        blocked = true;
                        notes.push(format!("@{login}'s review was dismissed"));
                    }
                    ReviewState::Commented | ReviewState::Pending => {}
                }
            }
            match members {
                None => notes.push("nobody holds this role".into()),
                Some(m) if m.is_empty() => notes.push("nobody holds this role".into()),
                Some(m) if m.only(author) => notes.push(format!(
                    "only @{}, who opened this PR, holds this role: another holder must approve (add one in a separate PR that changes the roles)",
                    author.1
                )),
                Some(_) => {}
            }
            let met = !approved_by.is_empty() && !blocked;
            RoleApproval {
                role: role.clone(),
                approved_by,
                notes,
                blocked,
                met,
            }
        })
        .collect()
}

/// Reviews from people who hold none of the roles: shown, never counted.
pub fn outsiders(holders: &BTreeMap<Id, Holders>, reviews: &[Review]) -> Vec<String> {
    let mut out: Vec<String> = latest_by_reviewer(reviews)
        .values()
        .filter(|r| {
            r.state == ReviewState::Approved
                && holders
                    .values()
                    .all(|h| h.holds(r.user_id, &r.user_login).is_none())
        })
        .map(|r| r.user_login.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Id {
        s.parse().unwrap()
    }

    fn review(id: u64, user: u64, login: &str, state: ReviewState, commit: &str) -> Review {
        Review {
            id,
            user_login: login.into(),
            user_id: user,
            state,
            commit_id: commit.into(),
            submitted_at: None,
        }
    }

    fn team(members: &[(u64, &str)]) -> Holders {
        Holders {
            ids: members.iter().map(|(i, l)| (*i, l.to_string())).collect(),
            logins: Vec::new(),
        }
    }

    fn holders() -> BTreeMap<Id, Holders> {
        let mut h = BTreeMap::new();
        h.insert(id("infrastructure-lead"), team(&[(10, "alice")]));
        h.insert(id("security-lead"), team(&[(20, "carol"), (21, "dave")]));
        h
    }

    fn roles() -> Vec<Id> {
        vec![id("infrastructure-lead"), id("security-lead")]
    }

    const AUTHOR: u64 = 99;

    #[test]
    fn the_happy_path_needs_every_role_on_the_head() {
        let r = vec![
            review(1, 10, "alice", ReviewState::Approved, "head"),
            review(2, 20, "carol", ReviewState::Approved, "head"),
        ];
        let a = approvals(
            &roles(),
            &holders(),
            (AUTHOR, "akira"),
            "head",
            &r,
            &Contributors::new(),
        );
        assert!(a.iter().all(|x| x.met), "{a:?}");
        let only_one = approvals(
            &roles(),
            &holders(),
            (AUTHOR, "akira"),
            "head",
            &r[..1],
            &Contributors::new(),
        );
        assert_eq!(
            only_one.iter().map(|x| x.met).collect::<Vec<_>>(),
            vec![true, false]
        );
    }

    #[test]
    fn an_author_whose_id_is_unknown_is_still_refused_by_login() {
        let r = vec![review(1, 10, "alice", ReviewState::Approved, "head")];
        let a = approvals(
            &roles(),
            &holders(),
            (0, "Alice"),
            "head",
            &r,
            &Contributors::new(),
        );
        assert!(!a[0].met, "{a:?}");
    }

    #[test]
    fn the_author_cannot_approve_their_own_pr() {
        let r = vec![
            review(1, 10, "alice", ReviewState::Approved, "head"),
            review(2, 20, "carol", ReviewState::Approved, "head"),
        ];
        let a = approvals(
            &roles(),
            &holders(),
            (10, "alice"),
            "head",
            &r,
            &Contributors::new(),
        );
        assert!(
            !a[0].met && a[0].notes[0].contains("cannot approve"),
            "{a:?}"
        );
    }

    #[test]
    fn an_approval_before_the_last_push_does_not_count() {
        let r = vec![
            review(1, 10, "alice", ReviewState::Approved, "old"),
            review(2, 20, "carol", ReviewState::Approved, "head"),
        ];
        let a = approvals(
            &roles(),
            &holders(),
            (AUTHOR, "akira"),
            "head",
            &r,
            &Contributors::new(),
        );
        assert!(
            !a[0].met && a[0].notes[0].contains("earlier commit"),
            "{a:?}"
        );
    }

    #[test]
    fn a_non_member_does_not_count_even_with_a_role_holders_login() {
        // `alice` renamed; someone else took the login: ids decide.
        let r = vec![
            review(1, 55, "alice", ReviewState::Approved, "head"),
            review(2, 20, "carol", ReviewState::Approved, "head"),
        ];
        let a = approvals(
            &roles(),
            &holders(),
            (AUTHOR, "akira"),
            "head",
            &r,
            &Contributors::new(),
        );
        assert!(!a[0].met, "{a:?}");
        assert_eq!(outsiders(&holders(), &r), vec!["alice".to_string()]);
    }

    #[test]
    fn changes_requested_after_an_approval_and_dismissals_count_against_the_role() {
        let r = vec![
            review(1, 10, "alice", ReviewState::Approved, "head"),
            review(2, 10, "alice", ReviewState::ChangesRequested, "head"),
            review(3, 20, "carol", ReviewState::Approved, "head"),
        ];
        let a = approvals(
            &roles(),
            &holders(),
            (AUTHOR, "akira"),
            "head",
            &r,
            &Contributors::new(),
        );
        assert!(!a[0].met && a[0].blocked, "{a:?}");
        let d = vec![
            review(1, 10, "alice", ReviewState::Dismissed, "head"),
            review(3, 20, "carol", ReviewState::Approved, "head"),
            review(4, 21, "dave", ReviewState::ChangesRequested, "head"),
        ];
        let a = approvals(
            &roles(),
            &holders(),
            (AUTHOR, "akira"),
            "head",
            &d,
            &Contributors::new(),
        );
        assert!(
            !a[0].met && a[0].blocked && !a[1].met && a[1].blocked,
            "one approval and one change request in a role: blocked: {a:?}"
        );
    }

    #[test]
    fn a_comment_after_an_approval_does_not_withdraw_it() {
        let r = vec![
            review(1, 10, "alice", ReviewState::Approved, "head"),
            review(2, 10, "alice", ReviewState::Commented, "head"),
            review(3, 20, "carol", ReviewState::Approved, "head"),
        ];
        assert!(
            approvals(
                &roles(),
                &holders(),
                (AUTHOR, "akira"),
                "head",
                &r,
                &Contributors::new()
            )
            .iter()
            .all(|x| x.met)
        );
    }

    #[test]
    fn a_membership_removed_after_approval_no_longer_counts() {
        let r = vec![
            review(1, 10, "alice", ReviewState::Approved, "head"),
            review(2, 20, "carol", ReviewState::Approved, "head"),
        ];
        let mut h = holders();
        h.get_mut(&id("security-lead")).unwrap().ids.remove(&20);
        let a = approvals(
            &roles(),
            &h,
            (AUTHOR, "akira"),
            "head",
            &r,
            &Contributors::new(),
        );
        assert!(!a[1].met, "{a:?}");
        h.remove(&id("security-lead"));
        let a = approvals(
            &roles(),
            &h,
            (AUTHOR, "akira"),
            "head",
            &r,
            &Contributors::new(),
        );
        assert!(a[1].notes.iter().any(|n| n == "nobody holds this role"));
    }

    fn snap(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    fn adoption(roles: &str) -> Adoption {
        serde_saphyr::from_str(&format!("organisation: X\nphase: 4\nroles:\n{roles}")).unwrap()
    }

    #[test]
    fn rules_and_roles_changed_in_the_same_pr_are_named() {
        let a = adoption("  infrastructure-lead: { users: [alice] }\n");
        let base = snap(&[("phases/overrides.yaml", "policies: {}\n")]);
        assert!(rule_changes(&base, &base, &a, &a).is_empty());
        let head = snap(&[
            ("phases/overrides.yaml", "gates: {}\n"),
            ("phases/extra.yaml", "x\n"),
        ]);
        let b = adoption("  infrastructure-lead: { users: [alice, mallory] }\n");
        assert_eq!(
            rule_changes(&base, &head, &a, &b),
            vec![
                "phases/extra.yaml is added",
                "phases/overrides.yaml is changed",
                "adoption.yaml: `roles` is changed"
            ]
        );
    }

    #[test]
    fn steps_are_one_phase_at_a_time_and_rollbacks_need_a_reason() {
        use Phase::*;
        assert_eq!(
            step(Experimentation, ScaleAndGovernance, ""),
            Step::Advance {
                from: Experimentation,
                to: ScaleAndGovernance
            }
        );
        assert!(
            matches!(step(Enablement, Experimentation, ""), Step::Invalid { reason } if reason.contains("moves 2 phases"))
        );
        assert!(
            matches!(step(Experimentation, InfrastructurePreparation, "oops"), Step::Invalid { reason } if reason.contains("needs a reason"))
        );
        assert_eq!(
            step(
                Experimentation,
                InfrastructurePreparation,
                "Context.\nRollback reason: templates fail checkov\n"
            ),
            Step::Rollback {
                from: Experimentation,
                to: InfrastructurePreparation,
                reason: "templates fail checkov".into()
            }
        );
    }

    #[test]
    fn contributors_cannot_approve_by_commit_or_co_author_trailer() {
        use crate::model::forge::Commit;
        let mut by_alice = Commit::plain("c1aaaaaaa", "change the phase", "alice@contoso.com");
        by_alice.author_login = "alice".into();
        by_alice.committer_login = "carol".into();
        by_alice.committer_email = "carol@contoso.com".into();
        let co = Commit::plain(
            "c2bbbbbbb",
            "more\n\nCo-authored-by: Dave D <21+dave@users.noreply.github.com>\nco-authored-by: Al <alice@contoso.com>",
            "x@y.z",
        );
        let who = contributors(&[by_alice, co]);
        assert_eq!(
            who.keys().map(String::as_str).collect::<Vec<_>>(),
            ["alice", "carol", "dave"]
        );
        let r = vec![
            review(1, 10, "alice", ReviewState::Approved, "head"),
            review(2, 20, "carol", ReviewState::Approved, "head"),
            review(3, 21, "dave", ReviewState::Approved, "head"),
        ];
        let a = approvals(&roles(), &holders(), (AUTHOR, "akira"), "head", &r, &who);
        assert!(
            a.iter().all(|x| !x.met && x.approved_by.is_empty()),
            "{a:?}"
        );
        let notes: Vec<&String> = a.iter().flat_map(|x| &x.notes).collect();
        assert!(
            notes
                .iter()
                .any(|n| n.contains("@alice wrote commit c1aaaaa")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("@carol committed c1aaaaa")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("@dave is named co-author")),
            "{notes:?}"
        );
    }
}
