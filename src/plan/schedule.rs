//! When the server runs a repository's scheduled report: the `schedule` of its
//! `adoption.yaml`, a five-field cron expression in UTC. Pure: the server hands in the last
//! tick and now.

use chrono::{DateTime, Utc};

/// A repository's schedule, parsed.
#[derive(Debug, Clone)]
pub struct RepoSchedule {
    pub expr: String,
    pub cron: cron::Schedule,
}

impl RepoSchedule {
    /// The schedule in `expr`, or why it is not one (the same words `validate` uses).
    pub fn parse(expr: &str) -> Result<RepoSchedule, String> {
        Ok(RepoSchedule {
            expr: expr.to_string(),
            cron: crate::evaluate::references::parse_schedule(expr)?,
        })
    }

    /// Whether the schedule fires in `(after, until]`: once per tick, however many
    /// occurrences the interval holds, so a server that was paused does not run a backlog.
    pub fn due(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        self.cron.after(&after).next().is_some_and(|t| t <= until)
    }

    /// The next time it fires after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.after(&now).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn fires_once_in_the_interval_that_holds_the_time() {
        let s = RepoSchedule::parse("0 6 * * 1-5").unwrap();
        // Tuesday 1 December 2026.
        assert!(!s.due(at("2026-12-01T05:58:00Z"), at("2026-12-01T05:59:59Z")));
        assert!(s.due(at("2026-12-01T05:59:30Z"), at("2026-12-01T06:00:00Z")));
        assert!(!s.due(at("2026-12-01T06:00:00Z"), at("2026-12-01T06:00:30Z")));
        // Saturday: not a weekday.
        assert!(!s.due(at("2026-12-05T05:59:00Z"), at("2026-12-05T06:01:00Z")));
        assert_eq!(
            s.next_after(at("2026-12-04T07:00:00Z")),
            Some(at("2026-12-07T06:00:00Z"))
        );
    }

    #[test]
    fn days_of_the_week_count_as_github_counts_them() {
        // 0 and 7 are Sunday, 1 is Monday, as in GitHub Actions' `schedule`.
        let weekdays = RepoSchedule::parse("0 6 * * 1-5").unwrap();
        let sundays = RepoSchedule::parse("0 6 * * 0").unwrap();
        let also_sundays = RepoSchedule::parse("0 6 * * 7").unwrap();
        let weekend = RepoSchedule::parse("0 6 * * 6-7").unwrap();
        let friday = at("2026-11-27T06:00:00Z");
        let sunday = at("2026-11-29T06:00:00Z");
        let monday = at("2026-11-30T06:00:00Z");
        let before = |t: DateTime<Utc>| t - chrono::Duration::minutes(1);
        assert!(weekdays.due(before(friday), friday));
        assert!(weekdays.due(before(monday), monday));
        assert!(!weekdays.due(before(sunday), sunday));
        for s in [&sundays, &also_sundays, &weekend] {
            assert!(s.due(before(sunday), sunday), "{}", s.expr);
            assert!(!s.due(before(monday), monday), "{}", s.expr);
        }
        assert!(weekend.due(
            before(at("2026-11-28T06:00:00Z")),
            at("2026-11-28T06:00:00Z")
        ));
    }

    #[test]
    fn a_bad_schedule_says_which_field() {
        let err = RepoSchedule::parse("0 25 * * *").unwrap_err();
        assert!(err.contains("hour"), "{err}");
    }
}
