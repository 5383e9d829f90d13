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
            let safe = id.chars().all(|c| c.is_ascii_graphic() && !"()<>[]`".contains(c));
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
