//! Why a target could not be reconciled, and what the loop does about it: retry later,
//! report and go on with the other targets, or stop.

use crate::forge::ForgeError;
use crate::model::Diagnostic;

/// A failure of one target.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The forge failed or refused.
    #[error(transparent)]
    Forge(#[from] ForgeError),
    /// The repository at a commit could not be analysed at all.
    #[error("the repository at {at} could not be analysed:\n{}", crate::report::text::diagnostics(.diagnostics))]
    Analysis {
        at: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// The built-in blueprints failed their own checks: a bug in adoptbot, not in the
    /// repository.
    #[error("the built-in blueprints failed their own checks; this is a bug in adoptbot")]
    Blueprints,
    /// A record the bot writes could not be made.
    #[error("could not write {what}: {why}")]
    Record { what: String, why: String },
    /// The cloud could not be read: nothing of the scheduled run is written.
    #[error("the scheduled report read nothing from the cloud: {0}")]
    Cloud(#[from] crate::cloud::CloudError),
}

/// What the loop does with a failed target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// A transient failure (rate limit after the adapter's retries, a 5xx): the run reports
    /// failure so that the delivery is retried; writes are keyed, so the retry converges.
    RetryLater,
    /// This target cannot be done now (gone, refused as invalid): note it and go on.
    ReportAndSkip,
    /// Nothing else would work either (credentials, a bug): stop the run.
    Stop,
}

impl Error {
    pub fn policy(&self) -> Policy {
        match self {
            Error::Forge(e) => match e {
                ForgeError::RateLimited { .. } | ForgeError::Server(_) => Policy::RetryLater,
                ForgeError::NotFound(_)
                | ForgeError::Conflict(_)
                | ForgeError::Unprocessable(_)
                | ForgeError::Unavailable(_) => Policy::ReportAndSkip,
                ForgeError::Unauthorised(_) | ForgeError::Forbidden(_) | ForgeError::Other(_) => {
                    Policy::Stop
                }
            },
            Error::Analysis { .. } | Error::Record { .. } => Policy::ReportAndSkip,
            Error::Blueprints => Policy::Stop,
            Error::Cloud(e) => {
                use crate::cloud::CloudErrorKind as K;
                match e.kind {
                    K::Throttled | K::Server => Policy::RetryLater,
                    K::Unauthorised | K::Refused => Policy::Stop,
                    K::NotFound | K::Malformed => Policy::ReportAndSkip,
                }
            }
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
