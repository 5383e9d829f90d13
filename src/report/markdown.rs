//! Text from people and from forges, made inert for GitHub markdown before the bot echoes
//! it: mentions cannot ping, HTML and comments cannot hide the rest of the bot's comment,
//! and markdown structure shows as written. Long values are cut.

/// The longest value echoed, in characters.
pub const MAX_CHARS: usize = 300;

/// `text` on one line, cut at [`MAX_CHARS`] with an ellipsis.
fn one_line(text: &str) -> String {
    let mut cut: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX_CHARS {
        cut.push('…');
    }
    cut
}

/// `text` on one line, cut, with mentions and HTML made inert and each of `escaped`
/// escaped (`&` as an entity, the others with a backslash).
fn inert(text: &str, escaped: &[char]) -> String {
    let cut = one_line(text);
    let mut out = String::with_capacity(cut.len() + 8);
    for c in cut.chars() {
        match c {
            // A zero-width joiner after `@` stops a mention without changing what people read.
            '@' => out.push_str("@\u{200d}"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' if escaped.contains(&'&') => out.push_str("&amp;"),
            c if escaped.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// `text` for use inside a line of the bot's markdown: one line, escaped, at most
/// [`MAX_CHARS`] characters.
pub fn inline(text: &str) -> String {
    inert(
        text,
        &['&', '\\', '`', '*', '_', '[', ']', '#', '|', '!', '~'],
    )
}

/// The bot's own sentence that quotes values from people (a diagnostic, evidence): kept on
/// one line, cut at [`MAX_CHARS`], with mentions, HTML, links, images and table pipes made
/// inert. Code spans (backticks) and emphasis stay, since they cannot ping or hide anything.
pub fn text(sentence: &str) -> String {
    inert(sentence, &['[', ']', '|', '!'])
}

/// `text` as an inline code span: shown literally, nothing in it pings or renders. Backticks
/// and line breaks in it are replaced, and it is cut at [`MAX_CHARS`].
pub fn code(text: &str) -> String {
    format!("`{}`", one_line(text).replace('`', "'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_inert() {
        let s = inline("@org/team <!-- hide --> [x](http://e) # h\nnext");
        assert!(!s.contains("@org"), "{s}");
        assert!(!s.contains("<!--"), "{s}");
        assert!(!s.contains("[x]"), "{s}");
        assert!(!s.contains('\n'));
        assert_eq!(code("a`b @x\n<!--"), "`a'b @x <!--`");
        let t = text("`3w` is not @org/team <!-- x --> ![i](u) | [l](u)");
        assert!(t.starts_with("`3w` is not @\u{200d}org"), "{t}");
        assert!(
            !t.contains("<!--") && !t.contains("![") && !t.contains("| ["),
            "{t}"
        );
        let long = "a".repeat(MAX_CHARS + 10);
        assert_eq!(inline(&long).chars().count(), MAX_CHARS + 1);
    }
}
