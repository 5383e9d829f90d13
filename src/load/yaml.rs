//! YAML into typed documents, with every failure turned into a diagnostic that names the
//! line and column and says what to write instead.

use super::tree::{self, Node, Problem};
use crate::model::Code;
use crate::model::{Diagnostic, Place};
use serde::de::DeserializeOwned;

/// The largest document adoptbot reads. Adoption documents are small; anything larger is a
/// mistake or an attack, and is refused before parsing.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Parses one YAML document into its type. `schema` names the JSON Schema of the kind, for
/// the hint.
pub fn parse<T: DeserializeOwned>(path: &str, text: &str, schema: &str) -> Result<T, Diagnostic> {
    let node = read(path, text, schema)?;
    typed(path, text, node, schema)
}

/// Reads one YAML document into its tree of values, each with its position (see
/// [`tree`](super::tree)). Syntax problems (duplicate keys, tabs, alias bombs) are
/// diagnostics that name the line and column.
pub fn read<'a>(path: &str, text: &'a str, schema: &str) -> Result<Node<'a>, Diagnostic> {
    precheck(path, text, schema)?;
    tree::read(text).map_err(|e| unreadable(path, &e, schema))
}

/// Reads a document's tree into its type; a value the type refuses is a diagnostic at the
/// value's position.
pub fn typed<T: DeserializeOwned>(
    path: &str,
    text: &str,
    node: Node<'_>,
    schema: &str,
) -> Result<T, Diagnostic> {
    T::deserialize(tree::De(node)).map_err(|e| refused(path, text, &e, schema))
}

/// What is refused before the parser runs: an empty file, several documents in one.
fn precheck(path: &str, text: &str, schema: &str) -> Result<(), Diagnostic> {
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(Diagnostic::error(
            Place::new(path, 1, 1),
            Code::EmptyDocument,
            "the file holds no document",
        )
        .with_hint(format!(
            "write the document, or delete the file; its fields are in .adoptbot/schema/{schema} (`adoptbot schema` writes it)"
        )));
    }
    if let Some(line) = second_document(text) {
        return Err(Diagnostic::error(
            Place::new(path, line, 1),
            Code::MultipleDocuments,
            "the file holds more than one YAML document",
        )
        .with_hint("keep one document per file and remove this `---` separator"));
    }
    Ok(())
}

/// The line of a `---` that starts a second document, if any.
fn second_document(text: &str) -> Option<u32> {
    let mut content = false;
    for (i, line) in text.lines().enumerate() {
        let is_marker = line == "---" || line.starts_with("--- ");
        if is_marker && content {
            return Some(i as u32 + 1);
        }
        let t = line.trim();
        content |= !is_marker && !t.is_empty() && !t.starts_with('#');
    }
    None
}

/// A document the reader could not read, said in words.
fn unreadable(path: &str, e: &tree::Error, schema: &str) -> Diagnostic {
    let place = Place::new(path, e.line, e.column);
    let complex = "write the values out instead of repeating aliases (`&name` … `*name`), and nest less; adoption documents are small";
    let (code, message, hint) = match &e.problem {
        Problem::Syntax(msg) => explain(msg, schema),
        Problem::DuplicateKey(key) => (
            Code::DuplicateKey,
            format!("the key `{key}` appears twice"),
            "keep one of them: YAML keeps neither reliably".into(),
        ),
        Problem::MultipleDocuments => (
            Code::MultipleDocuments,
            "the file holds more than one YAML document".into(),
            "keep one document per file and remove the `---` separator".into(),
        ),
        Problem::ComplexKey => (
            Code::InvalidYaml,
            "a list or a map is used as a key".into(),
            "write each key as a plain word, such as `team:`".into(),
        ),
        Problem::BadTag(msg) => (
            Code::WrongType,
            msg.clone(),
            "remove the `!!` tag, or write a value of its type".into(),
        ),
        Problem::TooDeep => (
            Code::TooComplex,
            format!(
                "the document is too complex to read: it reaches {} levels of nesting, more than adoptbot reads",
                tree::MAX_DEPTH
            ),
            complex.into(),
        ),
        Problem::TooManyValues(n) => (
            Code::TooComplex,
            format!(
                "the document is too complex to read: it reaches {n} values once its aliases are expanded, more than adoptbot reads"
            ),
            complex.into(),
        ),
        Problem::UnknownAlias => (
            Code::InvalidYaml,
            "an alias (`*name`) refers to no anchor before it".into(),
            "define the anchor (`&name`) on the value before the alias uses it, or write the value out".into(),
        ),
    };
    Diagnostic::error(place, code, message).with_hint(hint)
}

/// A value its type refused, said in words, at the value.
fn refused(path: &str, text: &str, e: &tree::DeError, schema: &str) -> Diagnostic {
    let (line, column) = e.place.unwrap_or((0, 0));
    if let Some(d) = bad_date(path, text, (line, column), &e.message) {
        return d;
    }
    let (code, message, hint) = explain(&e.message, schema);
    Diagnostic::error(Place::new(path, line, column), code, message).with_hint(hint)
}

/// The scalar written at `(line, column)` (1-based), without quotes or a trailing comment.
fn value_at(text: &str, (line, column): (u32, u32)) -> Option<String> {
    let l = text
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let rest: String = l
        .chars()
        .skip(usize::try_from(column).ok()?.saturating_sub(1))
        .collect();
    let rest = rest.split(" #").next().unwrap_or_default().trim();
    let rest = rest.trim_end_matches([',', '}', ']']).trim();
    let v = rest.trim_matches(|c| c == '"' || c == '\'');
    (!v.is_empty()).then(|| v.chars().take(40).collect())
}

/// A date that chrono could not read, said in words: what was found and what to write.
fn bad_date(path: &str, text: &str, at: (u32, u32), message: &str) -> Option<Diagnostic> {
    let out_of_range = message.contains("input is out of range");
    let malformed = message.contains("input contains invalid characters")
        || message.contains("premature end of input")
        || message.contains("trailing input");
    if !out_of_range && !malformed {
        return None;
    }
    let value = value_at(text, at)?;
    let (message, hint) = if out_of_range {
        (
            format!("`{value}` is not a day of the calendar"),
            "write a date that exists as YYYY-MM-DD, for example 2026-02-28".to_string(),
        )
    } else {
        (
            format!("`{value}` is not a date"),
            "write YYYY-MM-DD, for example 2026-12-01".to_string(),
        )
    };
    Some(Diagnostic::error(Place::new(path, at.0, at.1), Code::BadDate, message).with_hint(hint))
}

/// A stable code, a message and a hint for each kind of parse failure.
fn explain(msg: &str, schema: &str) -> (Code, String, String) {
    let see = format!(
        "the fields and their types are in .adoptbot/schema/{schema} (`adoptbot schema` writes it)"
    );
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (field, expected) = rest.split_once(", expected").unwrap_or((rest, ""));
        let expected = expected.trim_start_matches(" one of").trim();
        let hint = if expected.is_empty() {
            format!("remove {field}: this document takes no other fields")
        } else {
            format!("remove {field} or correct its spelling; allowed here: {expected}")
        };
        return (Code::UnknownField, format!("unknown field {field}"), hint);
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        return (
            Code::MissingField,
            format!("missing field {rest}"),
            format!("add {rest}; {see}"),
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (value, expected) = rest.split_once(", expected").unwrap_or((rest, ""));
        let expected = expected.trim_start_matches(" one of").trim();
        return (
            Code::UnknownValue,
            format!("unknown value {value}"),
            format!("write one of: {expected}"),
        );
    }
    if msg.contains("found a tab") || msg.contains("tabs") {
        return (
            Code::TabIndentation,
            format!("a tab where YAML allows only spaces ({msg})"),
            "indent with spaces, never tabs".into(),
        );
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
        && (expected.starts_with('u') || expected.starts_with('i'))
        && expected[1..].chars().all(|c| c.is_ascii_digit())
    {
        return (
            Code::WrongType,
            format!("expected a whole number ({expected}), found {found}"),
            see,
        );
    }
    if msg.starts_with("invalid type: ") || msg.starts_with("invalid value: ") {
        return (Code::WrongType, msg.to_string(), see);
    }
    (Code::InvalidYaml, msg.to_string(), see)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        count: u32,
    }

    #[test]
    fn unknown_field_names_line_and_alternatives() {
        let d = parse::<Doc>(
            "x.yaml",
            "name: a\ncount: 1\ncolour: red\n",
            "x.schema.json",
        )
        .unwrap_err();
        assert_eq!((d.place.line, d.place.column), (3, 1));
        assert_eq!(d.code, "unknown-field");
        assert!(d.hint.contains("name, count"), "{}", d.hint);
    }

    #[test]
    fn duplicate_keys_and_empty_files_are_errors() {
        let d = parse::<Doc>("x.yaml", "name: a\ncount: 1\nname: b\n", "x").unwrap_err();
        assert_eq!((d.code.as_str(), d.place.line), ("duplicate-key", 3));
        let d = parse::<Doc>("x.yaml", "# only a comment\n", "x").unwrap_err();
        assert_eq!(d.code, "empty-document");
    }

    #[test]
    fn an_alias_bomb_is_said_in_plain_words() {
        let mut text = String::from(
            "name: x\ncount: 1\nextra:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (prev, name) in ["a", "b", "c", "d", "e", "f"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g"])
        {
            text.push_str(&format!(
                "  {name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 9].join(",")
            ));
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Loose {
            name: String,
            count: u32,
            extra: std::collections::BTreeMap<String, serde_json::Value>,
        }
        let d = parse::<Loose>("x.yaml", &text, "x").unwrap_err();
        assert_eq!(d.code, Code::TooComplex, "{}", d.message);
        assert!(
            d.message.ends_with("more than adoptbot reads"),
            "{}",
            d.message
        );
        assert!(!d.message.contains("Nodes {"), "{}", d.message);
        assert!(d.hint.contains("aliases"), "{}", d.hint);
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Dated {
        on: chrono::NaiveDate,
    }

    #[test]
    fn a_date_that_is_not_a_date_says_what_to_write() {
        let d = parse::<Dated>("x.yaml", "on: 01/12/2026\n", "x").unwrap_err();
        assert_eq!(d.code, Code::BadDate);
        assert_eq!(d.message, "`01/12/2026` is not a date");
        assert!(
            d.hint.contains("YYYY-MM-DD, for example 2026-12-01"),
            "{}",
            d.hint
        );
        let d = parse::<Dated>("x.yaml", "on: 2026-02-30 # leap?\n", "x").unwrap_err();
        assert_eq!(d.message, "`2026-02-30` is not a day of the calendar");
        assert_eq!((d.place.line, d.code), (1, Code::BadDate));
    }

    #[test]
    fn negative_count_is_a_type_error() {
        let d = parse::<Doc>("x.yaml", "name: a\ncount: -1\n", "x").unwrap_err();
        assert_eq!(
            (d.code.as_str(), d.place.line, d.place.column),
            ("wrong-type", 2, 8)
        );
    }
}
