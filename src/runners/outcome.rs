//! What a run did, typed: every write the forge accepted, every write it refused, and notes
//! for people. The CLI prints it, the demo tells its story from it, and tests read it.

use crate::forge::ForgeError;
use std::fmt;

/// The kind of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WriteKind {
    CreateComment,
    UpdateComment,
    CreateCheck,
    UpdateCheck,
    /// A commit pushed to a bot branch.
    Push,
    OpenPull,
    UpdatePull,
    ReopenPull,
    RequestReviewers,
    AddLabels,
    /// The dashboard issue opened, its body written, or reopened with a new body.
    CreateIssue,
    UpdateIssue,
    ReopenIssue,
}

/// What a write was made on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// An issue or pull request, by number.
    Issue(u64),
    /// A commit, by SHA (check runs).
    Commit(String),
    /// A branch, by name.
    Branch(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Issue(n) => write!(f, "#{n}"),
            Subject::Commit(sha) => write!(f, "{}", short(sha)),
            Subject::Branch(b) => write!(f, "`{b}`"),
        }
    }
}

/// One write the forge accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub kind: WriteKind,
    pub subject: Subject,
    /// What identifies the outcome across runs: a comment's marker key, a check's name, a
    /// bot branch, the reviewers asked.
    pub key: String,
    /// For people: ids, titles, conclusions.
    pub detail: String,
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, d) = (&self.subject, &self.detail);
        match self.kind {
            WriteKind::CreateComment => write!(f, "commented on {s} ({d})"),
            WriteKind::UpdateComment => write!(f, "updated {d} on {s}"),
            WriteKind::CreateCheck => write!(f, "check `{}` on {s}: {d}", self.key),
            WriteKind::UpdateCheck => write!(f, "updated check `{}` on {s}: {d}", self.key),
            WriteKind::Push => match d.split_once(" as ") {
                Some((files, sha)) => write!(f, "pushed {files} to {s} ({sha})"),
                None => write!(f, "pushed {d} to {s}"),
            },
            WriteKind::OpenPull => write!(f, "opened {s}: {d}"),
            WriteKind::UpdatePull => write!(f, "updated {s}: {d}"),
            WriteKind::ReopenPull => write!(f, "reopened {s}: {d}"),
            WriteKind::RequestReviewers => write!(f, "requested reviews on {s} from {d}"),
            WriteKind::AddLabels => write!(f, "labelled {s} {d}"),
            WriteKind::CreateIssue => write!(f, "opened issue {s}: {d}"),
            WriteKind::UpdateIssue => write!(f, "updated issue {s}: {d}"),
            WriteKind::ReopenIssue => write!(f, "reopened issue {s}: {d}"),
        }
    }
}

/// A write the forge refused that did not stop the run: reported, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: WriteKind,
    pub subject: Subject,
    pub error: ForgeError,
    pub fix: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refused {:?} on {}: {}; {}",
            self.kind, self.subject, self.error, self.fix
        )
    }
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub writes: Vec<Written>,
    pub refused: Vec<Refusal>,
    /// Why targets were skipped, and what people should know.
    pub notes: Vec<String>,
}

impl Applied {
    /// The writes of one kind.
    pub fn of(&self, kind: WriteKind) -> Vec<&Written> {
        self.writes.iter().filter(|w| w.kind == kind).collect()
    }

    /// The bot branches of the pull requests this run opened.
    pub fn opened(&self) -> Vec<&str> {
        self.of(WriteKind::OpenPull)
            .into_iter()
            .map(|w| w.key.as_str())
            .collect()
    }

    pub fn merge(&mut self, other: Applied) {
        self.writes.extend(other.writes);
        self.refused.extend(other.refused);
        self.notes.extend(other.notes);
    }
}

pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}
