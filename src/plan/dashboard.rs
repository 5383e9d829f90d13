//! The dashboard issue, planned: which issue is the dashboard (a hidden marker in a body the
//! bot's identity wrote), what the bot remembers in it (a hidden record: when each finding
//! first appeared, what is snoozed until when, what needed action), the checkbox actions a
//! person ticked, and what the next body shows. Pure: the handler reads the issue and the
//! findings, and writes what this plans; the body is rendered by `report::dashboard`.

use crate::model::Id;
use crate::model::finding::{Finding, FindingKind, Urgency};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The dashboard issue's title. The issue is found by [`MARKER`] and its author, never by it.
pub const TITLE: &str = "adoptbot dashboard";

/// The hidden marker the dashboard's body starts with.
pub const MARKER: &str = "<!-- adoptbot:dashboard -->";

/// Where the record starts in the body; it ends at the next ` -->`.
const RECORD_OPEN: &str = "<!-- adoptbot:dashboard-record ";
const HIDDEN_CLOSE: &str = " -->";

/// Where a checkbox's action is named, on its line.
const ACTION_OPEN: &str = "<!-- adoptbot-action:";

/// How long a snooze lasts.
pub const SNOOZE_DAYS: u64 = 7;

/// GitHub's limit on an issue body, in characters.
pub const MAX_BODY_CHARS: usize = 65_536;

/// Whether an issue is the dashboard: the bot's identity opened it and its body carries the
/// marker. A person's issue with the marker, or the bot's issue without it, is not.
pub fn is_dashboard(author: &str, body: &str, bot: &str) -> bool {
    super::branch::is_bot(author, 0, &super::branch::Bot::by_login(bot)) && body.starts_with(MARKER)
}

/// What the bot remembers between runs, kept hidden in the body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The day each finding now shown first appeared: its owners are mentioned that day only.
    #[serde(default)]
    pub first_seen: BTreeMap<String, NaiveDate>,
    /// Findings snoozed, and the first day they show again.
    #[serde(default)]
    pub snoozed: BTreeMap<String, NaiveDate>,
    /// The action-needed findings the body showed: a closed dashboard reopens only for one
    /// that is not among them.
    #[serde(default)]
    pub action_needed: BTreeSet<String>,
}

impl Record {
    /// The hidden line that carries the record. `>` is written as `\u003e` so that nothing
    /// in it can end the HTML comment.
    pub fn hidden(&self) -> String {
        let json = serde_json::to_string(self)
            .unwrap_or_else(|_| "{}".into())
            .replace('>', "\\u003e");
        format!("{RECORD_OPEN}{json}{HIDDEN_CLOSE}")
    }

    /// The record a body carries; an empty one when it carries none or it does not read.
    pub fn of(body: &str) -> Record {
        body.find(RECORD_OPEN)
            .map(|at| &body[at + RECORD_OPEN.len()..])
            .and_then(|rest| rest.find(HIDDEN_CLOSE).map(|end| &rest[..end]))
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default()
    }
}

/// A checkbox action on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Open the renewal PR of an experiment, as `/adoptbot renew` does.
    Renew(Id),
    /// Hide a finding for [`SNOOZE_DAYS`] days.
    Snooze(String),
    /// Open again the bot PR of this branch, which a person closed unmerged.
    Recreate(String),
}

impl Action {
    /// The action's id, hidden on its checkbox line.
    pub fn id(&self) -> String {
        match self {
            Action::Renew(id) => format!("renew:{id}"),
            Action::Snooze(key) => format!("snooze:{key}"),
            Action::Recreate(branch) => format!("recreate:{branch}"),
        }
    }

    pub fn parse(id: &str) -> Option<Action> {
        let (verb, arg) = id.split_once(':')?;
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            return None;
        }
        match verb {
            "renew" => arg.parse().ok().map(Action::Renew),
            "snooze" => Some(Action::Snooze(arg.to_owned())),
            "recreate" => super::branch::BotBranch::parse(arg)
                .filter(|b| b.experiment().is_some())
                .map(|_| Action::Recreate(arg.to_owned())),
            _ => None,
        }
    }

    /// The checkbox line for this action, ticked or not.
    pub fn checkbox(&self, label: &str, ticked: bool) -> String {
        let tick = if ticked { 'x' } else { ' ' };
        format!(
            "- [{tick}] {label} {ACTION_OPEN}{}{HIDDEN_CLOSE}",
            self.id()
        )
    }
}

/// The actions ticked in a body: lines `- [x] … <!-- adoptbot-action:ID -->` as the bot
/// writes them. Anything else (a tick in a quote, an id the bot does not know) is ignored.
pub fn ticked(body: &str) -> Vec<Action> {
    let mut out: Vec<Action> = body
        .lines()
        .filter_map(|line| {
            let line = line.trim_start_matches(' ');
            let rest = line
                .strip_prefix("- [x] ")
                .or_else(|| line.strip_prefix("- [X] "))?;
            let at = rest.rfind(ACTION_OPEN)?;
            let id = rest[at + ACTION_OPEN.len()..].strip_suffix(HIDDEN_CLOSE)?;
            Action::parse(id)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Where a finding goes on the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    ActionNeeded,
    Warnings,
    AntiPatterns,
    Information,
    Snoozed,
}

impl Section {
    /// The sections in the order they are shown.
    pub const ALL: [Section; 5] = [
        Section::ActionNeeded,
        Section::Warnings,
        Section::AntiPatterns,
        Section::Information,
        Section::Snoozed,
    ];

    /// The order in which sections are cut when the body is too long: lowest priority first.
    pub const CUT_ORDER: [Section; 5] = [
        Section::Snoozed,
        Section::Information,
        Section::AntiPatterns,
        Section::Warnings,
        Section::ActionNeeded,
    ];

    pub fn of(f: &Finding) -> Section {
        if f.kind == FindingKind::AntiPattern {
            return Section::AntiPatterns;
        }
        match f.urgency {
            Urgency::ActionNeeded => Section::ActionNeeded,
            Urgency::Warning => Section::Warnings,
            Urgency::Information => Section::Information,
        }
    }

    pub fn heading(self) -> &'static str {
        match self {
            Section::ActionNeeded => "Action needed",
            Section::Warnings => "Warnings",
            Section::AntiPatterns => "Anti-patterns",
            Section::Information => "Information",
            Section::Snoozed => "Snoozed",
        }
    }
}

/// A checkbox the dashboard offers, besides each finding's snooze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub action: Action,
    /// The bot's words for it.
    pub label: String,
}

/// One finding as the dashboard shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown<'a> {
    pub finding: &'a Finding,
    pub section: Section,
    /// Its owners are mentioned: it appeared today.
    pub mention: bool,
    /// Snoozed until this day (shown in the snoozed section).
    pub snoozed_until: Option<NaiveDate>,
}

/// What the next body shows, and the record it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct View<'a> {
    pub today: NaiveDate,
    pub shown: Vec<Shown<'a>>,
    pub offers: Vec<Offer>,
    /// Bot PR numbers by branch, to link the PRs findings call for.
    pub pulls: BTreeMap<String, u64>,
    /// What this run did for the ticked actions, and what it could not read.
    pub notes: Vec<String>,
    /// Actions ticked by a person after this run read the issue: kept ticked for the next run.
    pub keep_ticked: BTreeSet<String>,
    pub record: Record,
}

/// The view of `findings` on `today`, given the record of the last body and the snoozes
/// asked for in it (`snooze` keys ticked now).
pub fn view<'a>(
    findings: &'a [Finding],
    previous: &Record,
    snooze: &[String],
    today: NaiveDate,
) -> View<'a> {
    let mut record = Record::default();
    let until = today
        .checked_add_days(chrono::Days::new(SNOOZE_DAYS))
        .unwrap_or(today);
    let keys: BTreeSet<&str> = findings.iter().map(|f| f.key.as_str()).collect();
    for (key, day) in &previous.snoozed {
        if *day > today && keys.contains(key.as_str()) {
            record.snoozed.insert(key.clone(), *day);
        }
    }
    for key in snooze {
        if keys.contains(key.as_str()) {
            record.snoozed.entry(key.clone()).or_insert(until);
        }
    }
    let mut shown = Vec::new();
    for f in findings {
        let first = previous.first_seen.get(&f.key).copied().unwrap_or(today);
        record.first_seen.insert(f.key.clone(), first);
        let snoozed_until = record.snoozed.get(&f.key).copied();
        let section = if snoozed_until.is_some() {
            Section::Snoozed
        } else {
            Section::of(f)
        };
        if section == Section::ActionNeeded {
            record.action_needed.insert(f.key.clone());
        }
        shown.push(Shown {
            finding: f,
            section,
            mention: first == today && snoozed_until.is_none(),
            snoozed_until,
        });
    }
    shown.sort_by(|a, b| {
        (a.section, &a.finding.key)
            .partial_cmp(&(b.section, &b.finding.key))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    View {
        today,
        shown,
        offers: Vec::new(),
        pulls: BTreeMap::new(),
        notes: Vec::new(),
        keep_ticked: BTreeSet::new(),
        record,
    }
}

/// What to do with the issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuePlan {
    /// Nothing: the body is as wanted, or the issue is closed and nothing new needs action.
    UpToDate,
    Create {
        title: String,
        body: String,
    },
    /// Write the body, and reopen a closed issue when something new needs action.
    Update {
        body: String,
        reopen: bool,
    },
}

/// The issue as the forge shows it, for [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing<'a> {
    pub body: &'a str,
    pub closed: bool,
}

/// Plans the dashboard: `body` wanted on `today`, against the issue as it is (`None`: there
/// is none). A closed issue stays closed, untouched, until an action-needed finding appears
/// that its record did not show. A body a later day's run wrote (its record saw a finding
/// first after `today`) is never overwritten by an older run.
pub fn plan(
    body: String,
    record: &Record,
    existing: Option<Existing<'_>>,
    today: NaiveDate,
) -> IssuePlan {
    if let Some(e) = &existing
        && Record::of(e.body).first_seen.values().any(|d| *d > today)
    {
        return IssuePlan::UpToDate;
    }
    match existing {
        None => IssuePlan::Create {
            title: TITLE.into(),
            body,
        },
        Some(e) if e.closed => {
            let before = Record::of(e.body);
            if record
                .action_needed
                .iter()
                .any(|k| !before.action_needed.contains(k))
            {
                IssuePlan::Update { body, reopen: true }
            } else {
                IssuePlan::UpToDate
            }
        }
        Some(e) if e.body == body => IssuePlan::UpToDate,
        Some(_) => IssuePlan::Update {
            body,
            reopen: false,
        },
    }
}

// ----- The observations branch: one file a day, from bot commits only. -----

/// The folder of the observation files on `adoptbot/observations`.
pub const OBSERVATIONS_DIR: &str = "observations/";

/// The trailer that names an observation file and the SHA-256 of its bytes.
pub const OBSERVATION_TRAILER: &str = "Adoptbot-Observation:";

/// `observations/<day>.json`.
pub fn observation_path(day: NaiveDate) -> String {
    format!("{OBSERVATIONS_DIR}{day}.json")
}

/// The file of one observation: pretty JSON, one trailing newline.
pub fn observation_file(o: &crate::model::finding::Observation) -> String {
    serde_json::to_string_pretty(o).unwrap_or_else(|_| "{}".into()) + "\n"
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// The message of the commit that adds the observation of `day` with `content`: it names the
/// file's digest, so that a file a person changed afterwards is not taken as the bot's.
pub fn observation_message(day: NaiveDate, content: &str) -> String {
    let digest = sha256_hex(content.as_bytes());
    format!(
        "Observation of {day}\n\n{OBSERVATION_TRAILER} {day} sha256={digest}\n{} {}",
        super::reconcile::TRAILER,
        &digest[..16]
    )
}

/// The observation history as read from the branch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The bot's records before the day asked for, oldest first.
    pub observations: Vec<crate::model::finding::Observation>,
    /// Whether the bot's record of that day is there already.
    pub has_today: bool,
    /// Files that are not the bot's records, or do not read: ignored, and said.
    pub ignored: Vec<String>,
    /// Someone other than the bot committed to the branch: the bot no longer writes to it.
    pub human_commits: bool,
}

/// Reads the history from the branch's `files` under [`OBSERVATIONS_DIR`] and its
/// `commits`: a file counts only when a bot commit names its day and the digest of its
/// bytes. `today`'s record is not part of the history (so that a replay on the same day
/// judges the same), only noted in `has_today`.
pub fn history(
    files: &BTreeMap<String, Vec<u8>>,
    commits: &[crate::model::forge::Commit],
    today: NaiveDate,
    bot: &str,
) -> History {
    let mut vouched: BTreeSet<(String, String)> = BTreeSet::new();
    let mut h = History::default();
    for c in commits {
        if !super::reconcile::is_bot_commit(c, bot) {
            h.human_commits = true;
            continue;
        }
        for line in c.message.lines() {
            if let Some(rest) = line.strip_prefix(OBSERVATION_TRAILER)
                && let Some((day, digest)) = rest.trim().split_once(" sha256=")
            {
                vouched.insert((day.to_owned(), digest.to_owned()));
            }
        }
    }
    for (path, bytes) in files {
        let Some(day) = path
            .strip_prefix(OBSERVATIONS_DIR)
            .and_then(|p| p.strip_suffix(".json"))
            .and_then(|d| d.parse::<NaiveDate>().ok())
        else {
            h.ignored
                .push(format!("`{path}` is not an observation file"));
            continue;
        };
        if !vouched.contains(&(day.to_string(), sha256_hex(bytes))) {
            h.ignored.push(format!(
                "`{path}` was not written by adoptbot, or was changed since"
            ));
            continue;
        }
        let record: crate::model::finding::Observation = match serde_json::from_slice(bytes) {
            Ok(o) => o,
            Err(e) => {
                h.ignored
                    .push(format!("`{path}` does not read as an observation: {e}"));
                continue;
            }
        };
        if day == today {
            h.has_today = true;
        } else if day < today {
            h.observations.push(record);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::finding::Link;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn finding(key: &str, urgency: Urgency) -> Finding {
        Finding {
            key: key.into(),
            kind: FindingKind::IdleSandbox,
            urgency,
            title: format!("finding {key}"),
            detail: String::new(),
            owners: vec!["grace".into()],
            links: vec![Link::File {
                path: "experiments/x.yaml".into(),
            }],
        }
    }

    #[test]
    fn the_record_reads_back_and_cannot_end_its_comment() {
        let mut r = Record::default();
        r.first_seen.insert("a/-->b".into(), day("2026-12-01"));
        r.action_needed.insert("x>y".into());
        let line = r.hidden();
        assert_eq!(line.matches("-->").count(), 1, "{line}");
        assert_eq!(Record::of(&format!("text\n{line}\nmore")), r);
        assert_eq!(Record::of("no record"), Record::default());
        assert_eq!(
            Record::of("<!-- adoptbot:dashboard-record {broken -->"),
            Record::default()
        );
    }

    #[test]
    fn only_the_bots_body_with_the_marker_is_the_dashboard() {
        let body = format!("{MARKER}\n# adoptbot dashboard");
        assert!(is_dashboard("adoptbot[bot]", &body, "adoptbot[bot]"));
        assert!(is_dashboard("AdoptBot[bot]", &body, "adoptbot[bot]"));
        assert!(!is_dashboard("mallory", &body, "adoptbot[bot]"));
        assert!(!is_dashboard(
            "adoptbot[bot]",
            "# adoptbot dashboard",
            "adoptbot[bot]"
        ));
    }

    #[test]
    fn ticks_are_read_only_on_the_bots_checkbox_lines() {
        let snooze = Action::Snooze("idle/x".into());
        let renew = Action::Renew("rag-bot".parse().unwrap());
        let recreate = Action::Recreate("adoptbot/decommission/rag-bot".into());
        let body = [
            snooze.checkbox("Snooze", true),
            renew.checkbox("Renew", false),
            recreate.checkbox("Re-create", true).replace("[x]", "[X]"),
            format!(
                "> {}",
                Action::Renew("a-b".parse().unwrap()).checkbox("quoted", true)
            ),
            "- [x] Renew <!-- adoptbot-action:renew:Bad_Id -->".into(),
            "- [x] <!-- adoptbot-action:recreate:main -->".into(),
            "- [x] <!-- adoptbot-action:delete:everything -->".into(),
        ]
        .join("\n");
        assert_eq!(ticked(&body), vec![snooze, recreate]);
        for a in [
            Action::Renew("x".parse().unwrap()),
            Action::Snooze("k/1".into()),
            Action::Recreate("adoptbot/reclaim/x".into()),
        ] {
            if let Some(back) = Action::parse(&a.id()) {
                assert_eq!(back, a);
            }
        }
    }

    #[test]
    fn owners_are_mentioned_on_the_day_a_finding_first_appears_only() {
        let fs = vec![finding("a", Urgency::ActionNeeded)];
        let v = view(&fs, &Record::default(), &[], day("2026-12-01"));
        assert!(v.shown[0].mention);
        let again = view(&fs, &v.record, &[], day("2026-12-01"));
        assert!(again.shown[0].mention, "the same day shows the same body");
        let later = view(&fs, &v.record, &[], day("2026-12-02"));
        assert!(!later.shown[0].mention);
        assert_eq!(later.record.first_seen["a"], day("2026-12-01"));
        // Gone, then back: a new appearance.
        let gone = view(&[], &later.record, &[], day("2026-12-03"));
        assert!(gone.record.first_seen.is_empty());
        let back = view(&fs, &gone.record, &[], day("2026-12-04"));
        assert!(back.shown[0].mention);
    }

    #[test]
    fn a_snooze_lasts_seven_days_at_its_boundary() {
        let fs = vec![finding("a", Urgency::ActionNeeded)];
        let v = view(&fs, &Record::default(), &["a".into()], day("2026-12-01"));
        assert_eq!(v.shown[0].section, Section::Snoozed);
        assert!(!v.record.action_needed.contains("a"));
        let day6 = view(&fs, &v.record, &[], day("2026-12-07"));
        assert_eq!(day6.shown[0].section, Section::Snoozed);
        let day7 = view(&fs, &v.record, &[], day("2026-12-08"));
        assert_eq!(day7.shown[0].section, Section::ActionNeeded);
        assert!(day7.record.snoozed.is_empty());
        // A snooze of a finding that is not shown is dropped.
        let none = view(&fs, &Record::default(), &["zzz".into()], day("2026-12-01"));
        assert!(none.record.snoozed.is_empty());
    }

    #[test]
    fn a_closed_dashboard_reopens_only_for_new_action_needed() {
        let mut shown = Record::default();
        shown.action_needed.insert("a".into());
        let old = format!("{MARKER}\n{}", shown.hidden());
        fn closed(b: &str) -> Option<Existing<'_>> {
            Some(Existing {
                body: b,
                closed: true,
            })
        }
        let d = day("2026-12-01");
        assert_eq!(
            plan("new".into(), &shown, closed(&old), d),
            IssuePlan::UpToDate
        );
        let mut more = shown.clone();
        more.action_needed.insert("b".into());
        assert_eq!(
            plan("new".into(), &more, closed(&old), d),
            IssuePlan::Update {
                body: "new".into(),
                reopen: true
            }
        );
        let open = Some(Existing {
            body: "same",
            closed: false,
        });
        assert_eq!(plan("same".into(), &more, open, d), IssuePlan::UpToDate);
        assert!(matches!(
            plan("b".into(), &more, None, d),
            IssuePlan::Create { .. }
        ));
        // A run older than the body's record never overwrites it.
        let mut newer = Record::default();
        newer.first_seen.insert("x".into(), day("2026-12-05"));
        let body = format!("{MARKER}\n{}", newer.hidden());
        let later = Some(Existing {
            body: &body,
            closed: false,
        });
        assert_eq!(plan("old".into(), &more, later, d), IssuePlan::UpToDate);
    }

    const BOT: &str = "adoptbot[bot]";

    #[test]
    fn history_takes_only_the_bots_records_before_today() {
        use crate::model::finding::Observation;
        let o = |d: &str| Observation {
            date: Some(day(d)),
            ..Observation::default()
        };
        let file = |d: &str| observation_file(&o(d));
        let commit = |d: &str, content: &str| crate::model::forge::Commit {
            sha: format!("sha-{d}"),
            message: observation_message(day(d), content),
            author_email: "adoptbot@adoptbot.local".into(),
            author_login: BOT.into(),
            committer_login: BOT.into(),
            committer_email: "noreply@github.com".into(),
            verified: true,
            committed_at: None,
        };
        let mut files = BTreeMap::new();
        for d in ["2026-11-29", "2026-11-30", "2026-12-01"] {
            files.insert(observation_path(day(d)), file(d).into_bytes());
        }
        // A person changed one file after the bot wrote it, and added another.
        files.insert(
            observation_path(day("2026-11-28")),
            b"{\"date\":\"2026-11-28\"}".to_vec(),
        );
        files.insert(
            observation_path(day("2026-11-29")),
            format!("{} ", file("2026-11-29")).into_bytes(),
        );
        let commits = vec![
            commit("2026-11-29", &file("2026-11-29")),
            commit("2026-11-30", &file("2026-11-30")),
            commit("2026-12-01", &file("2026-12-01")),
        ];
        let h = history(&files, &commits, day("2026-12-01"), BOT);
        assert_eq!(h.observations, vec![o("2026-11-30")]);
        assert!(h.has_today);
        assert_eq!(h.ignored.len(), 2, "{:?}", h.ignored);
        assert!(!h.human_commits);
        let person = crate::model::forge::Commit {
            sha: "p".into(),
            message: "tidy".into(),
            author_email: "p@contoso.com".into(),
            author_login: "p".into(),
            committer_login: "p".into(),
            committer_email: "p@contoso.com".into(),
            verified: false,
            committed_at: None,
        };
        let h = history(&files, &[person], day("2026-12-02"), BOT);
        assert!(h.human_commits);
        assert!(h.observations.is_empty());
    }
}
