//! Small, comment-preserving edits of a request file: the bot records facts such as the start
//! date by setting top-level scalar fields, leaving every other line as the person wrote it.

/// Sets the top-level `key` to `value` (already YAML), replacing its line or appending one.
pub fn set_top_level(text: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key}:");
    let mut out = String::with_capacity(text.len() + key.len() + value.len() + 4);
    let mut done = false;
    for line in text.split_inclusive('\n') {
        let is_key = line.starts_with(&prefix)
            && line[prefix.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '\n' || c == '\r');
        if is_key && !done {
            out.push_str(&format!("{key}: {value}\n"));
            done = true;
        } else {
            out.push_str(line);
        }
    }
    if !done {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{key}: {value}\n"));
    }
    out
}

/// Appends `item` (a block-sequence entry, written with its `-` at column 2) to the top-level
/// list `key`, keeping every other line. The list may be absent, empty (`key: []`) or a
/// block list at any indentation; a flow list with items is not edited (`None`).
pub fn append_list_item(text: &str, key: &str, item: &str) -> Option<String> {
    let prefix = format!("{key}:");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = lines.iter().position(|l| {
        l.starts_with(&prefix)
            && l[prefix.len()..]
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '\n' || c == '\r')
    });
    let mut out = String::with_capacity(text.len() + item.len() + key.len() + 4);
    let Some(at) = at else {
        out.push_str(text);
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{key}:\n{item}"));
        return Some(out);
    };
    let value = lines[at][prefix.len()..]
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim();
    let reindent = |indent: usize| -> String {
        item.lines()
            .map(|l| {
                format!(
                    "{}{}\n",
                    " ".repeat(indent),
                    l.strip_prefix("  ").unwrap_or(l)
                )
            })
            .collect()
    };
    match value {
        "" => {}
        "[]" => {
            for (i, l) in lines.iter().enumerate() {
                if i == at {
                    out.push_str(&format!("{key}:\n{item}"));
                } else {
                    out.push_str(l);
                }
            }
            return Some(out);
        }
        _ => return None,
    }
    // The block: indented lines, column-0 `-` items, blank lines and comments after the key.
    let mut last = at;
    let mut indent = None;
    for (i, l) in lines.iter().enumerate().skip(at + 1) {
        let t = l.trim_start();
        if t.trim().is_empty() || t.starts_with('#') {
            continue;
        }
        if l.starts_with(' ') || l.starts_with("- ") || l.trim_end() == "-" {
            if indent.is_none() && t.starts_with('-') {
                indent = Some(l.len() - t.len());
            }
            last = i;
        } else {
            break;
        }
    }
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        if i == last {
            if !l.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&reindent(indent.unwrap_or(2)));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{append_list_item, set_top_level};

    #[test]
    fn appends_to_a_list_in_every_form_it_is_written() {
        let item = "  - duration: 2w\n    reason: \"late\"\n";
        assert_eq!(
            append_list_item("a: 1\n", "renewals", item).unwrap(),
            "a: 1\nrenewals:\n  - duration: 2w\n    reason: \"late\"\n"
        );
        assert_eq!(
            append_list_item("renewals: [] # none yet\nb: 2\n", "renewals", item).unwrap(),
            "renewals:\n  - duration: 2w\n    reason: \"late\"\nb: 2\n"
        );
        let t =
            "renewals:\n  - duration: 4w\n    reason: >-\n      slow\n\n# next\ncost_cap: 1 USD\n";
        assert_eq!(
            append_list_item(t, "renewals", item).unwrap(),
            "renewals:\n  - duration: 4w\n    reason: >-\n      slow\n  - duration: 2w\n    reason: \"late\"\n\n# next\ncost_cap: 1 USD\n"
        );
        let t = "renewals:\n- duration: 4w\n  reason: x\nz: 1";
        assert_eq!(
            append_list_item(t, "renewals", item).unwrap(),
            "renewals:\n- duration: 4w\n  reason: x\n- duration: 2w\n  reason: \"late\"\nz: 1"
        );
        assert_eq!(
            append_list_item("renewals: [{duration: 2w}]\n", "renewals", item),
            None
        );
    }

    #[test]
    fn replaces_or_appends_and_keeps_comments() {
        let t =
            "# header\ntitle: x\nstatus: requested # was asked\nparameters:\n  status: nested\n";
        let t2 = set_top_level(t, "status", "active");
        assert_eq!(
            t2,
            "# header\ntitle: x\nstatus: active\nparameters:\n  status: nested\n"
        );
        let t3 = set_top_level(&t2, "started_on", "2026-11-02");
        assert!(t3.ends_with("started_on: 2026-11-02\n") && t3.starts_with("# header\n"));
        assert_eq!(set_top_level("a: 1", "b", "2"), "a: 1\nb: 2\n");
        assert_eq!(
            set_top_level("status_x: 1\n", "status", "2"),
            "status_x: 1\nstatus: 2\n"
        );
    }
}
