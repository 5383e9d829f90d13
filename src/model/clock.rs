//! The clock, injected. The core never reads the time: every function that needs "now" is
//! given a [`Clock`]. Only `runners::clock::system` reads the real one (clippy's
//! `disallowed-methods` in `clippy.toml` enforces that).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// The day for time boxes, and the instant results are valid at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub today: NaiveDate,
    /// Seconds since the epoch.
    pub valid_at: i64,
}

impl Clock {
    /// Midday of `today`, for runs that only know the day.
    pub fn at(today: NaiveDate) -> Clock {
        let valid_at = today
            .and_hms_opt(12, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or(0);
        Clock { today, valid_at }
    }

    /// The instant `valid_at`, as a date and time.
    pub fn instant(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.valid_at, 0).unwrap_or_default()
    }

    /// `valid_at` in RFC 3339, to the second (`2026-12-01T12:00:00Z`).
    pub fn rfc3339(&self) -> String {
        self.instant().to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}
