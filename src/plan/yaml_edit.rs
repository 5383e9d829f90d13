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

#[cfg(test)]
mod tests {
    use super::set_top_level;

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
