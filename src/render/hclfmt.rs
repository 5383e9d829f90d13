//! Rendered Terraform, laid out the way `terraform fmt` lays it out, so that
//! `terraform fmt -check` passes on every rendered file. The rules of HashiCorp's `hclwrite`
//! formatter that rendered files meet:
//!
//! - **indentation**: two spaces per open bracket level. A line that opens brackets (net) is
//!   indented at the current level and opens one level, however many brackets it opens; a line
//!   that closes brackets (net) is indented at the level it returns to;
//! - **alignment**: in a run of consecutive lines that each hold a single-line attribute
//!   (`name = value` whose value opens no bracket it does not close on that line), the `=`
//!   signs line up one space after the longest name. Any other line (a blank line, a comment,
//!   a block header, a closing bracket, an attribute whose value continues on the next line)
//!   ends the run;
//! - one space after `=`, no trailing spaces.
//!
//! Heredocs and block comments are not used by rendered files and not handled.

/// A line split at its attribute `=`, if it is a single-line attribute.
struct Line<'a> {
    /// The text without its indentation and trailing spaces.
    text: &'a str,
    /// The net change of bracket depth over the line.
    net: i32,
    /// Byte offset of the attribute's `=` in `text`, for a single-line attribute.
    assign: Option<usize>,
}

/// Bracket changes and the position of the first attribute `=` of a line, strings and
/// comments skipped. Interpolations inside strings (`"${join(",", x)}"`) are followed.
fn analyse(text: &str) -> (i32, Option<usize>, i32) {
    let bytes = text.as_bytes();
    let mut net = 0;
    let mut first_eq: Option<usize> = None;
    let mut net_at_eq = 0;
    // Stack of contexts: false = expression, true = inside a quoted string.
    let mut stack: Vec<bool> = vec![false];
    // Brace depth of each open interpolation, to find its closing `}`.
    let mut interp: Vec<i32> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let in_string = stack.last().copied().unwrap_or(false);
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'$' | b'%'
                    if bytes.get(i + 1) == Some(&b'{')
                        && bytes.get(i.wrapping_sub(1)) != Some(&c) =>
                {
                    stack.push(false);
                    interp.push(depth);
                    depth += 1;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => stack.push(true),
            b'#' => break,
            b'/' if bytes.get(i + 1) == Some(&b'/') => break,
            b'{' | b'[' | b'(' => {
                depth += 1;
                if stack.len() == 1 {
                    net += 1;
                }
            }
            b'}' | b']' | b')' => {
                depth -= 1;
                if c == b'}' && interp.last() == Some(&depth) {
                    interp.pop();
                    stack.pop();
                } else if stack.len() == 1 {
                    net -= 1;
                }
            }
            b'=' if stack.len() == 1 => {
                let prev = i.checked_sub(1).map(|j| bytes[j]);
                let next = bytes.get(i + 1).copied();
                let operator = matches!(prev, Some(b'=' | b'!' | b'<' | b'>'))
                    || matches!(next, Some(b'=' | b'>'));
                if !operator && first_eq.is_none() && i > 0 {
                    first_eq = Some(i);
                    net_at_eq = net;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (net, first_eq, net - net_at_eq)
}

fn split(raw: &str) -> Line<'_> {
    let text = raw.trim();
    let (net, eq, after_eq) = analyse(text);
    let starts_with_comment = text.starts_with('#') || text.starts_with("//");
    let assign = eq.filter(|_| after_eq == 0 && !starts_with_comment);
    Line { text, net, assign }
}

/// Format a rendered Terraform body as `terraform fmt` would (see the module documentation).
pub fn format(body: &str) -> String {
    let lines: Vec<Line<'_>> = body.lines().map(split).collect();
    // Indentation.
    let mut indents: Vec<i32> = Vec::new();
    let mut level = Vec::with_capacity(lines.len());
    for l in &lines {
        if l.text.is_empty() {
            level.push(0);
            continue;
        }
        match l.net {
            n if n > 0 => {
                level.push(indents.len());
                indents.push(n);
            }
            n if n < 0 => {
                let mut closed = -n;
                while closed > 0 {
                    let Some(top) = indents.last_mut() else { break };
                    if closed >= *top {
                        closed -= *top;
                        indents.pop();
                    } else {
                        *top -= closed;
                        closed = 0;
                    }
                }
                level.push(indents.len());
            }
            _ => level.push(indents.len()),
        }
    }
    // Alignment of `=` in runs of single-line attributes.
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if lines[i].assign.is_none() {
            let l = &lines[i];
            out.push(if l.text.is_empty() {
                String::new()
            } else {
                format!("{}{}", "  ".repeat(level[i]), l.text)
            });
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && lines[i].assign.is_some() {
            i += 1;
        }
        let run = start..i;
        let width = |j: usize| {
            let l = &lines[j];
            let eq = l.assign.unwrap_or(0);
            2 * level[j] + l.text[..eq].trim_end().chars().count()
        };
        let max = run.clone().map(width).max().unwrap_or(0);
        for j in run {
            let l = &lines[j];
            let eq = l.assign.unwrap_or(0);
            let name = l.text[..eq].trim_end();
            let value = l.text[eq + 1..].trim_start();
            let pad = max - width(j) + 1;
            out.push(format!(
                "{}{name}{}={}{value}",
                "  ".repeat(level[j]),
                " ".repeat(pad),
                if value.is_empty() { "" } else { " " }
            ));
        }
    }
    let mut text = out.join("\n");
    if body.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn aligns_runs_and_indents_by_bracket_level() {
        let input = "locals {\n tags = {\n\"team\" = \"a\"\n      \"cost-tag\" = \"b\"\n }\n  x = jsonencode({\n a = 1\n  })\n}\n";
        let want = "locals {\n  tags = {\n    \"team\"     = \"a\"\n    \"cost-tag\" = \"b\"\n  }\n  x = jsonencode({\n    a = 1\n  })\n}\n";
        assert_eq!(format(input), want);
    }

    #[test]
    fn blank_lines_comments_and_operators_end_or_skip_runs() {
        let input =
            "a = 1\nlong_name = 2\n\nb = x == y ? \"=\" : \"${join(\",\", z)}\"\n# c = 3\ndd = 4\n";
        let want = "a         = 1\nlong_name = 2\n\nb = x == y ? \"=\" : \"${join(\",\", z)}\"\n# c = 3\ndd = 4\n";
        assert_eq!(format(input), want);
    }

    #[test]
    fn formatting_is_idempotent() {
        let input = "resource \"x\" \"y\" {\n  name     = \"n\"\n  location = local.location\n\n  identity {\n    type = \"SystemAssigned\"\n  }\n}\n";
        assert_eq!(format(input), input);
        assert_eq!(format(&format(input)), format(input));
    }
}
