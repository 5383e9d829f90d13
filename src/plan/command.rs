//! Slash commands in pull request comments, as plain data: `/adoptbot recheck`,
//! `/adoptbot renew <duration> [experiment]` and `/adoptbot rerender`. The runner checks who
//! asked (write access only) before it acts on any of them; this module only reads the
//! comment and plans the renewal PR.

use crate::Analysis;
use crate::model::forge::{FileChange, Sha};
use crate::model::{ExperimentStatus, Id, Span};
use crate::plan::reconcile::DesiredPull;
use chrono::NaiveDate;

/// What a comment asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Evaluate the pull request again.
    Recheck,
    /// Extend an experiment's time box by `duration`, through a renewal PR.
    Renew {
        duration: Span,
        experiment: Option<Id>,
        /// The comment's text after the command line, if any.
        reason: Option<String>,
    },
    /// Render the bot PRs of the experiments this PR concerns again, even over a person's
    /// commits.
    Rerender,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Recheck => "recheck",
            Command::Renew { .. } => "renew",
            Command::Rerender => "rerender",
        }
    }
}

pub const USAGE: &str = "`/adoptbot recheck`, `/adoptbot renew 2w` (or `4w`, optionally followed by the experiment's id) or `/adoptbot rerender`";

/// The command in a comment: the first line of paragraph text that starts with
/// `/adoptbot`, found by a CommonMark parser (GitHub's flavour of markdown is CommonMark).
/// Code (indented, backtick or tilde fences, inline), block quotes, HTML and HTML comments
/// never hold a command. `None` when there is none; an error, for people, when the line is
/// not a command adoptbot knows. The text after the command line is its reason.
pub fn parse(body: &str) -> Option<Result<Command, String>> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut quotes = 0usize;
    let mut in_paragraph = false;
    // The text of the current line of paragraph text so far, where it starts in `body`, and whether something
    // other than plain text (inline code, HTML) came first.
    let mut line = String::new();
    let mut line_start: Option<usize> = None;
    let mut tainted = false;
    let finish =
        |line: &str, start: Option<usize>, tainted: bool| -> Option<(Vec<String>, usize)> {
            if tainted {
                return None;
            }
            let rest = line.trim_start().strip_prefix("/adoptbot")?;
            if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
                return None;
            }
            let words = rest.split_whitespace().map(str::to_owned).collect();
            Some((words, start?))
        };
    let mut found = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::BlockQuote(_)) => quotes += 1,
            Event::End(TagEnd::BlockQuote(_)) => quotes = quotes.saturating_sub(1),
            // A tight list's items hold their text without a paragraph.
            Event::Start(Tag::Paragraph | Tag::Item) => {
                in_paragraph = quotes == 0;
                line.clear();
                line_start = None;
                tainted = false;
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item) | Event::SoftBreak | Event::HardBreak
                if in_paragraph =>
            {
                if let Some(hit) = finish(&line, line_start, tainted) {
                    found = Some(hit);
                    break;
                }
                line.clear();
                line_start = None;
                tainted = false;
                if matches!(event, Event::End(_)) {
                    in_paragraph = false;
                }
            }
            Event::Text(t) if in_paragraph => {
                if line_start.is_none() {
                    line_start = Some(range.start);
                }
                line.push_str(&t);
            }
            Event::Code(_) | Event::InlineHtml(_) | Event::Html(_) if in_paragraph => {
                if line.trim().is_empty() {
                    tainted = true;
                }
                line.push('\u{0}');
            }
            _ => {}
        }
    }
    let (words, start) = found?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let end = body[start..].find('\n').map_or(body.len(), |n| start + n);
    let after = body[end..].trim().to_owned();
    Some(command(&words, after))
}

fn command(words: &[&str], after: String) -> Result<Command, String> {
    match words {
        [] => Err(format!("`/adoptbot` needs a command: {USAGE}.")),
        ["recheck"] => Ok(Command::Recheck),
        ["rerender"] => Ok(Command::Rerender),
        ["renew", duration, rest @ ..] => {
            let duration: Span = duration.parse().map_err(|e| {
                format!("`/adoptbot renew {duration}`: {e}; write the duration as `2w` or `4w`.")
            })?;
            let experiment = match rest {
                [] => None,
                [id] => Some(id.parse::<Id>().map_err(|e| {
                    format!("`/adoptbot renew {duration} {id}`: {e}; name the experiment by its file name under `experiments/`.")
                })?),
                _ => {
                    return Err(format!(
                        "`/adoptbot renew` takes a duration and, optionally, an experiment: write the reason on the lines below the command, e.g. `/adoptbot renew {duration}` then the reason."
                    ));
                }
            };
            Ok(Command::Renew {
                duration,
                experiment,
                reason: (!after.is_empty()).then_some(after),
            })
        }
        ["renew"] => Err(format!(
            "`/adoptbot renew` needs a duration, such as `/adoptbot renew 2w`: {USAGE}."
        )),
        [other, ..] => Err(format!(
            "`/adoptbot {other}` is not a command adoptbot knows. Use {USAGE}."
        )),
    }
}

/// The one refusal a person without write access gets on a pull request, whatever they ask.
pub fn refusal(issue: u64, who: &str, valid_at: i64) -> super::reconcile::DesiredComment {
    super::reconcile::DesiredComment {
        issue,
        key: format!("refusal/{}", who.to_ascii_lowercase()),
        body: format!(
            "@{who}: thank you. adoptbot takes `/adoptbot` commands only from people with write access to this repository, so it has not acted on yours. Anyone with write access can run it for you."
        ),
        valid_at,
    }
}

/// What a renewal PR's answer says, once the PR exists (or could not be opened).
pub fn renewal_answer(id: &Id, duration: Span, number: Option<u64>) -> String {
    match number {
        Some(n) => format!(
            "#{n} renews `{id}` by {duration}. It takes effect when a lead of its team approves and merges it."
        ),
        None => format!("adoptbot could not open the renewal of `{id}`."),
    }
}

/// Why a renewal without one named experiment cannot go on: the PR concerns none, or
/// several.
pub fn which_experiment(number: u64, ids: &[Id], duration: Span) -> String {
    if ids.is_empty() {
        format!(
            "#{number} concerns no experiment: name it, as in `/adoptbot renew {duration} <experiment>`."
        )
    } else {
        let listed: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
        format!(
            "#{number} concerns {}: name the one to renew, as in `/adoptbot renew {duration} {}`.",
            listed.join(", "),
            ids[0]
        )
    }
}

/// Where a renewal is asked for, for the PR's body and the record.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub by: &'a str,
    pub issue: u64,
    pub comment_id: u64,
}

/// The renewal PR for experiment `id`, planned against the default branch as `analysis`
/// shows it; or why it cannot be renewed, for people. One PR per asking comment: its branch
/// is `adoptbot/renew/<id>-<comment id>`, so asking again is a new PR and replaying the same
/// comment is not.
pub fn renewal(
    analysis: &Analysis,
    text: Option<&str>,
    base: (&str, &Sha),
    id: &Id,
    duration: Span,
    reason: Option<&str>,
    asked: Asked,
) -> Result<DesiredPull, String> {
    let policies = &analysis.framework.policies;
    let repo = &analysis.loaded.repo;
    let Some(doc) = repo.experiments.get(id) else {
        return Err(format!(
            "there is no experiment `{id}` on `{}`; name one of `experiments/*.yaml`.",
            base.0
        ));
    };
    let e = &doc.value;
    if !policies.time_boxes.contains(&duration) {
        let allowed: Vec<String> = policies.time_boxes.iter().map(|s| s.to_string()).collect();
        return Err(format!(
            "a renewal of `{duration}` is not a standard time box; use {}.",
            allowed.join(" or ")
        ));
    }
    if e.status.value != ExperimentStatus::Active {
        return Err(format!(
            "experiment `{id}` is `{}`, and only an active experiment is renewed.",
            e.status.value.word()
        ));
    }
    let used = e.renewals.len() as u32;
    if used >= policies.max_renewals {
        return Err(format!(
            "experiment `{id}` has had {used} renewals, and the framework allows {}. Record the go/no-go decision under `outcome:` instead, or propose it as a use case.",
            policies.max_renewals
        ));
    }
    let Some(text) = text else {
        return Err(format!("`{}` could not be read on `{}`.", doc.path, base.0));
    };
    let reason = reason
        .map(str::to_owned)
        .unwrap_or_else(|| format!("Asked for by @{} in #{}.", asked.by, asked.issue));
    let item = format!(
        "  - duration: {duration}\n    reason: {}\n",
        serde_json::to_string(&reason).unwrap_or_else(|_| "\"\"".into())
    );
    let cannot = || {
        format!(
            "adoptbot could not add the renewal to `{}`: write `renewals:` as a block list (one `- duration:` entry per line) and ask again.",
            doc.path
        )
    };
    let edited = super::yaml_edit::append_list_item(text, "renewals", &item).ok_or_else(cannot)?;
    // The edit must read back as the same request with one more renewal.
    match crate::load::yaml::parse::<crate::model::Experiment>(&doc.path, &edited, "experiment") {
        Ok(back) if back.renewals.len() as u32 == used + 1 => {}
        _ => return Err(cannot()),
    }
    let until = e
        .started_on
        .as_ref()
        .and_then(|s| {
            s.value.checked_add_days(chrono::Days::new(u64::from(
                e.granted_days() + duration.in_days(),
            )))
        })
        .map(|d: NaiveDate| format!(" It may then run until **{d}**."))
        .unwrap_or_default();
    let body = format!(
        "Renews experiment `{id}` by {duration} (renewal {} of the {} the framework allows), as @{} asked in #{}.{until}\n\nReason:\n\n> {}\n\nA lead of team `{}` approves the renewal by reviewing this PR; nothing changes until it is merged.",
        used + 1,
        policies.max_renewals,
        asked.by,
        asked.issue,
        reason
            .lines()
            .map(crate::report::markdown::inline)
            .collect::<Vec<_>>()
            .join("\n> "),
        e.team.value,
    );
    Ok(DesiredPull {
        bot: crate::plan::branch::BotBranch::renewal(id.clone(), asked.comment_id),
        reason: format!("@{} asked for it in #{}", asked.by, asked.issue),
        base_branch: base.0.to_owned(),
        base_sha: base.1.clone(),
        title: format!("Renew experiment {id} by {duration}"),
        body,
        files: vec![FileChange {
            path: doc.path.clone(),
            content: Some(edited),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_command_line_outside_code_and_quotes() {
        assert_eq!(parse("thanks!"), None);
        assert_eq!(parse("/adoptbot recheck"), Some(Ok(Command::Recheck)));
        assert_eq!(
            parse("LGTM\n  /adoptbot rerender  \n"),
            Some(Ok(Command::Rerender))
        );
        assert_eq!(parse("```\n/adoptbot recheck\n```"), None);
        assert_eq!(parse("> /adoptbot recheck"), None);
        assert_eq!(parse("/adoptbotx recheck"), None);
        let Some(Ok(Command::Renew {
            duration,
            experiment,
            reason,
        })) = parse("/adoptbot renew 2w search-rerank\nThe A100s came late.")
        else {
            panic!("a renewal")
        };
        assert_eq!(duration.in_days(), 14);
        assert_eq!(experiment.unwrap().as_str(), "search-rerank");
        assert_eq!(reason.as_deref(), Some("The A100s came late."));
        let Some(Ok(Command::Renew {
            experiment, reason, ..
        })) = parse("/adoptbot renew 4w")
        else {
            panic!("a renewal")
        };
        assert!(experiment.is_none() && reason.is_none());
    }

    #[test]
    fn commands_in_code_quotes_html_and_comments_are_not_commands() {
        for body in [
            "    /adoptbot renew 2w",
            "text\n\n    /adoptbot renew 2w\n",
            "~~~~\n/adoptbot renew 2w\n~~~~",
            "````md\n```\n/adoptbot renew 2w\n```\n````",
            "~~~\n/adoptbot renew 2w",
            "<!-- /adoptbot renew 2w -->",
            "<!--\n/adoptbot renew 2w\n-->",
            "<details>\n/adoptbot renew 2w\n</details>",
            "`/adoptbot renew 2w`",
            "> quoted\n> /adoptbot renew 2w",
            "- > /adoptbot renew 2w",
            "see `/adoptbot recheck` for help",
        ] {
            assert_eq!(parse(body), None, "{body:?}");
        }
        // Paragraph text at the start of a line still counts, after other paragraphs too.
        assert_eq!(
            parse("```\ncode\n```\n\nThanks.\n/adoptbot recheck"),
            Some(Ok(Command::Recheck))
        );
        assert_eq!(parse("- /adoptbot recheck"), Some(Ok(Command::Recheck)));
    }

    #[test]
    fn says_what_is_wrong_with_a_command() {
        let e = parse("/adoptbot deploy").unwrap().unwrap_err();
        assert!(e.contains("`/adoptbot deploy` is not a command"), "{e}");
        assert!(parse("/adoptbot").unwrap().is_err());
        let e = parse("/adoptbot renew").unwrap().unwrap_err();
        assert!(e.contains("needs a duration"), "{e}");
        let e = parse("/adoptbot renew forever").unwrap().unwrap_err();
        assert!(e.contains("`2w` or `4w`"), "{e}");
        let e = parse("/adoptbot renew 2w the GPUs came late")
            .unwrap()
            .unwrap_err();
        assert!(e.contains("write the reason on the lines below"), "{e}");
    }
}
