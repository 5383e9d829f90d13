//! Diagnostics: every problem adoptbot finds in an adoption repository, a blueprint or a
//! request becomes one of these, with a place (`file:line:column`), a message and a hint.

pub use super::codes::Code;
use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is. Errors make `validate` fail; warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a file of the repository. Line and column are 1-based; 0 means unknown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Place {
    /// Path relative to the repository root, with `/` separators.
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl Place {
    pub fn new(file: impl Into<String>, line: u32, column: u32) -> Self {
        Place {
            file: file.into(),
            line,
            column,
        }
    }

    /// The whole file, with no position inside it.
    pub fn file(file: impl Into<String>) -> Self {
        Place::new(file, 0, 0)
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}", self.file),
            (l, 0) => write!(f, "{}:{}", self.file, l),
            (l, c) => write!(f, "{}:{}:{}", self.file, l, c),
        }
    }
}

/// One problem, with where it is, what is wrong and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Diagnostic {
    pub place: Place,
    pub severity: Severity,
    /// A stable, kebab-case identifier of the kind of problem, e.g. `unknown-field`.
    pub code: Code,
    pub message: String,
    /// What to do about it. Empty when there is nothing useful to add.
    pub hint: String,
}

impl Diagnostic {
    pub fn error(place: Place, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            place,
            severity: Severity::Error,
            code,
            message: message.into(),
            hint: String::new(),
        }
    }

    pub fn warning(place: Place, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            place,
            severity: Severity::Warning,
            code,
            message: message.into(),
            hint: String::new(),
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}: {}[{}]: {}",
            self.place, sev, self.code, self.message
        )?;
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}
