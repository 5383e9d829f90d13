//! The one place that reads the real clock. Everything else is handed a [`Clock`].

use crate::model::Clock;

/// Now, from the system clock.
#[allow(clippy::disallowed_methods)]
pub fn system() -> Clock {
    let now = chrono::Utc::now();
    Clock {
        today: now.date_naive(),
        valid_at: now.timestamp(),
    }
}

/// Now, as an instant: for the server's JWTs, token expiry and schedule.
#[allow(clippy::disallowed_methods)]
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
