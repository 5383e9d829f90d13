//! Refusals the bot reports in its own comment. A write that is not essential to the
//! verdict (a review request, a label) may be refused by the forge: a lead who is not a
//! collaborator, a team outside the organisation. The verdict still stands; the comment
//! says what was refused and what to fix. The section carries, hidden, who was refused at
//! which head commit, so that later runs neither ask them again nor drop the notice.

/// A write the forge refused, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// What the bot tried, e.g. "asking @alice for review".
    pub what: String,
    /// What the forge answered.
    pub why: String,
    /// What a person should do about it.
    pub fix: String,
}

/// Who a forge refused to ask for review, at which head commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefusedReviewers {
    pub head: String,
    pub users: Vec<String>,
    pub teams: Vec<String>,
}

const OPEN: &str = "<!-- adoptbot:refusals";
const CLOSE: &str = "<!-- /adoptbot:refusals -->";

/// The section that reports `refused`, with the hidden record of `reviewers`.
pub fn section(refused: &[Refused], reviewers: &RefusedReviewers) -> String {
    if refused.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "{OPEN} head={} users={} teams={} -->\n#### Not done\n\n",
        reviewers.head,
        reviewers.users.join(","),
        reviewers.teams.join(",")
    );
    for r in refused {
        out.push_str(&format!(
            "- adoptbot could not go on {}: {}. {}\n",
            r.what,
            crate::report::markdown::inline(&r.why),
            r.fix
        ));
    }
    out.push_str(CLOSE);
    out
}

/// The refusal section of an earlier comment body, as it was written.
pub fn carried(old_body: &str) -> Option<&str> {
    let start = old_body.find(OPEN)?;
    let end = old_body[start..].find(CLOSE)? + start + CLOSE.len();
    Some(&old_body[start..end])
}

/// The reviewers an earlier comment records as refused.
pub fn refused_reviewers(old_body: &str) -> RefusedReviewers {
    let Some(section) = carried(old_body) else {
        return RefusedReviewers::default();
    };
    let first = section.lines().next().unwrap_or_default();
    let mut out = RefusedReviewers::default();
    for part in first.split_whitespace() {
        let list = |v: &str| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        if let Some(v) = part.strip_prefix("head=") {
            out.head = v.to_owned();
        } else if let Some(v) = part.strip_prefix("users=") {
            out.users = list(v);
        } else if let Some(v) = part.strip_prefix("teams=") {
            out.teams = list(v);
        }
    }
    out
}

/// A comment body with a refusal section after it, if there is one.
pub fn with_section(body: String, section: &str) -> String {
    if section.is_empty() {
        body
    } else {
        format!("{}\n\n{section}", body.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_reads_back_and_is_carried_whole() {
        let refused = vec![Refused {
            what: "asking @alice for review".into(),
            why: "Reviews may only be requested from collaborators".into(),
            fix: "Add @alice as a collaborator, or name a lead who is one in `teams/ml.yaml`."
                .into(),
        }];
        let who = RefusedReviewers {
            head: "abc".into(),
            users: vec!["alice".into()],
            teams: vec![],
        };
        let s = section(&refused, &who);
        let body = with_section("### Request\n\nbody".into(), &s);
        assert_eq!(carried(&body), Some(s.as_str()));
        assert_eq!(refused_reviewers(&body), who);
        assert!(body.contains("could not go on asking @alice for review"));
        assert_eq!(refused_reviewers("no section"), RefusedReviewers::default());
        assert_eq!(with_section("x".into(), ""), "x");
    }
}
