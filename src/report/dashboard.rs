//! The dashboard issue's body, rendered from a planned [`View`]: the marker, one section per
//! urgency and one for the anti-patterns, each finding with its stable key, its owners and
//! its links, a snooze checkbox per finding, the other checkbox actions, and the hidden
//! record. Text from people in findings is made inert (`report::markdown`). The body fits
//! GitHub's 65,536 characters: the lowest-priority sections are cut first, with a note.

use super::markdown;
use crate::model::finding::Link;
use crate::plan::dashboard::{Action, MARKER, MAX_BODY_CHARS, Section, Shown, View};
use std::fmt::Write as _;

/// The body for `view`, within [`MAX_BODY_CHARS`].
pub fn render(view: &View<'_>) -> String {
    render_within(view, MAX_BODY_CHARS)
}

/// The body for `view` within `limit` characters: whole sections are cut, lowest priority
/// first, then the findings at the end of the last one, each cut said in a note.
pub fn render_within(view: &View<'_>, limit: usize) -> String {
    let head = head(view);
    let tail = tail(view);
    let mut sections: Vec<(Section, Vec<String>)> = Section::ALL
        .iter()
        .map(|s| {
            let items: Vec<String> = view
                .shown
                .iter()
                .filter(|f| f.section == *s)
                .map(|f| item(view, f))
                .collect();
            (*s, items)
        })
        .filter(|(_, items)| !items.is_empty())
        .collect();
    let mut cut: Vec<(Section, usize)> = Vec::new();
    let assemble = |sections: &[(Section, Vec<String>)], cut: &[(Section, usize)]| {
        let mut body = head.clone();
        if sections.is_empty() && cut.is_empty() {
            body.push_str("Nothing needs attention.\n\n");
        }
        for (s, items) in sections {
            let _ = writeln!(body, "## {} ({})\n", s.heading(), items.len());
            for i in items {
                body.push_str(i);
            }
            body.push('\n');
        }
        if !cut.is_empty() {
            let said: Vec<String> = cut
                .iter()
                .map(|(s, n)| {
                    format!(
                        "{} from {}",
                        crate::plan::count(*n, "finding", "findings"),
                        s.heading().to_lowercase()
                    )
                })
                .collect();
            let _ = writeln!(
                body,
                "> **Cut to fit.** {} not shown: the dashboard would be longer than GitHub's {MAX_BODY_CHARS} characters. Run `adoptbot report` to see every finding.\n",
                said.join(", ")
            );
        }
        body.push_str(&tail);
        body
    };
    let mut body = assemble(&sections, &cut);
    for s in Section::CUT_ORDER {
        if body.chars().count() <= limit {
            break;
        }
        let Some(at) = sections.iter().position(|(x, _)| *x == s) else {
            continue;
        };
        if s == Section::ActionNeeded {
            // The most urgent section goes last, finding by finding from its end.
            while body.chars().count() > limit && !sections[at].1.is_empty() {
                sections[at].1.pop();
                match cut.iter_mut().find(|(x, _)| *x == s) {
                    Some((_, n)) => *n += 1,
                    None => cut.push((s, 1)),
                }
                body = assemble(&sections, &cut);
            }
        } else {
            let (_, items) = sections.remove(at);
            cut.push((s, items.len()));
            body = assemble(&sections, &cut);
        }
    }
    if body.chars().count() > limit {
        // Only the frame is left and it is still too long (a huge record): keep the start.
        body = body.chars().take(limit).collect();
    }
    body
}

/// The frame's start. It names no date, so that a day with the same findings writes nothing.
fn head(_view: &View<'_>) -> String {
    format!(
        "{MARKER}\n# adoptbot dashboard\n\nWhat adoptbot's scheduled report finds. Tick a box to act: adoptbot reads it on its next run. Closing this issue hides it until something new needs action.\n\n"
    )
}

fn tail(view: &View<'_>) -> String {
    let mut out = String::new();
    if !view.offers.is_empty() {
        out.push_str("## Actions\n\n");
        for o in &view.offers {
            let ticked = view.keep_ticked.contains(&o.action.id());
            out.push_str(&o.action.checkbox(&markdown::text(&o.label), ticked));
            out.push('\n');
        }
        out.push('\n');
    }
    if !view.notes.is_empty() {
        out.push_str("## Last run\n\n");
        for n in &view.notes {
            let _ = writeln!(out, "- {}", markdown::text(n));
        }
        out.push('\n');
    }
    out.push_str(&view.record.hidden());
    out.push('\n');
    out
}

/// A login or a team slug the bot may mention: GitHub's characters only.
fn mentionable(owner: &str) -> bool {
    !owner.is_empty()
        && owner.len() <= 100
        && owner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | '[' | ']'))
}

fn owners(f: &Shown<'_>) -> String {
    let list: Vec<String> = f
        .finding
        .owners
        .iter()
        .map(|o| {
            if f.mention && mentionable(o) {
                format!("@{o}")
            } else {
                markdown::code(o)
            }
        })
        .collect();
    if list.is_empty() {
        "no owner named".into()
    } else {
        list.join(", ")
    }
}

fn link(view: &View<'_>, l: &Link) -> String {
    match l {
        Link::File { path } => markdown::code(path),
        Link::Resource { id } => {
            let safe = id
                .chars()
                .all(|c| c.is_ascii_graphic() && !"()<>[]`".contains(c));
            if safe {
                format!(
                    "[{}](https://portal.azure.com/#resource{id})",
                    markdown::inline(id.rsplit('/').next().unwrap_or(id))
                )
            } else {
                markdown::code(id)
            }
        }
        Link::Branch { name } => match view.pulls.get(name) {
            Some(n) => format!("#{n}"),
            None => format!("{} (to open)", markdown::code(name)),
        },
    }
}

fn item(view: &View<'_>, f: &Shown<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "- **{}** {}",
        markdown::text(&f.finding.title),
        markdown::code(&f.finding.key)
    );
    let _ = writeln!(out, "  - Owners: {}", owners(f));
    for line in f.finding.detail.lines().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(out, "  - {}", markdown::text(line));
    }
    if !f.finding.links.is_empty() {
        let links: Vec<String> = f.finding.links.iter().map(|l| link(view, l)).collect();
        let _ = writeln!(out, "  - See: {}", links.join(", "));
    }
    match f.snoozed_until {
        Some(d) => {
            let _ = writeln!(out, "  - Snoozed until {d}.");
        }
        None => {
            let snooze = Action::Snooze(f.finding.key.clone());
            let ticked = view.keep_ticked.contains(&snooze.id());
            let _ = writeln!(out, "  {}", snooze.checkbox("Snooze for 7 days", ticked));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::finding::{Finding, FindingKind, Urgency};
    use crate::plan::dashboard::{Offer, Record, view};

    fn f(key: &str, urgency: Urgency, title: &str, owner: &str) -> Finding {
        Finding {
            key: key.into(),
            kind: FindingKind::ShadowAi,
            urgency,
            title: title.into(),
            detail: "line one\n\nline two".into(),
            owners: vec![owner.into()],
            links: vec![
                Link::Branch {
                    name: "adoptbot/decommission/x".into(),
                },
                Link::Branch {
                    name: "adoptbot/decommission/y".into(),
                },
                Link::Resource {
                    id: "/subscriptions/s/resourceGroups/rg (x)".into(),
                },
            ],
        }
    }

    #[test]
    fn text_from_people_is_inert_and_only_logins_are_mentioned() {
        let day = "2026-12-01".parse().unwrap();
        let fs = vec![f(
            "shadow-ai/x",
            Urgency::ActionNeeded,
            "@org/everyone <!-- hide --> [click](http://evil) | x",
            "not a login <b>",
        )];
        let mut v = view(&fs, &Record::default(), &[], day);
        v.pulls.insert("adoptbot/decommission/x".into(), 42);
        v.offers.push(Offer {
            action: Action::Snooze("k".into()),
            label: "@team <!--".into(),
        });
        let body = render(&v);
        assert!(!body.contains("@org/everyone"), "{body}");
        assert!(!body.contains("<!-- hide"), "{body}");
        assert!(!body.contains("[click]"), "{body}");
        // In a code span, `<b>` shows as written.
        assert!(!body.contains("@not"), "{body}");
        assert!(!body.contains("@team"), "{body}");
        assert!(
            body.contains("`not a login <b>`"),
            "owners that are not logins are code: {body}"
        );
        assert!(body.contains("#42"), "a bot PR by number: {body}");
        assert!(
            body.contains("`adoptbot/decommission/y` (to open)"),
            "{body}"
        );
        assert!(
            body.contains("`/subscriptions/s/resourceGroups/rg (x)`"),
            "{body}"
        );
        // Every HTML comment is the bot's own.
        for c in body.match_indices("<!--") {
            let rest = &body[c.0..];
            assert!(rest.starts_with("<!-- adoptbot"), "{rest}");
        }
    }

    #[test]
    fn the_cut_goes_section_by_section_then_finding_by_finding() {
        let day = "2026-12-01".parse().unwrap();
        let mut fs = Vec::new();
        for i in 0..10 {
            fs.push(f(
                &format!("a/{i}"),
                Urgency::ActionNeeded,
                "urgent",
                "grace",
            ));
            fs.push(f(&format!("w/{i}"), Urgency::Warning, "warn", "grace"));
            fs.push(f(&format!("i/{i}"), Urgency::Information, "info", "grace"));
        }
        let v = view(&fs, &Record::default(), &[], day);
        let whole = render(&v);
        assert!(!whole.contains("Cut to fit"));
        let limit = whole.chars().count() / 2;
        let cut = render_within(&v, limit);
        assert!(cut.chars().count() <= limit);
        assert!(cut.contains("10 findings from information"), "{cut}");
        assert!(cut.contains("## Action needed (10)"), "{cut}");
        let tight = render_within(&v, limit / 2);
        assert!(tight.chars().count() <= limit / 2);
        assert!(tight.contains("from action needed"), "{tight}");
        assert!(tight.contains("<!-- adoptbot:dashboard-record"), "{tight}");
    }
}
