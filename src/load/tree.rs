//! One parse of a YAML document: granit-parser's event stream into a tree of values, each
//! with the line and column it was written at. The schema judges the tree (as JSON, see
//! [`Node::to_json`]), schema errors are placed from it, and the typed model is read from it
//! through [`De`], a serde deserializer that hands every [`crate::model::Located`] its
//! position. So a document is scanned once, whatever it is used for.
//!
//! What the reader refuses, each with its position: duplicate keys, more than one document,
//! a key that is a list or a map, nesting deeper than [`MAX_DEPTH`], and more than
//! [`MAX_NODES`] values once aliases are expanded (alias bombs). Syntax errors, tabs among
//! them, are granit-parser's own. Plain scalars resolve as YAML 1.2's core schema does, with
//! booleans written `true`/`false` only (`yes` stays a string).

use granit_parser::{Event, ScalarStyle, ScanError, Span};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The deepest nesting adoptbot reads. Adoption documents nest four or five levels.
pub const MAX_DEPTH: usize = 64;
/// The most values (scalars, lists and maps, aliases expanded) in one document.
pub const MAX_NODES: usize = 250_000;

/// A value and where it was written (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub line: u32,
    pub column: u32,
    pub value: Value<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Scalar(Scalar<'a>),
    Seq(Vec<Node<'a>>),
    /// In the order written; keys are unique.
    Map(Vec<(Node<'a>, Node<'a>)>),
}

/// A scalar as written (borrowed from the document where it has no escapes), and what it
/// resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar<'a> {
    pub text: Cow<'a, str>,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    /// A whole number of zero or more.
    Unsigned(u64),
    /// A negative whole number.
    Signed(i64),
    Float(f64),
    Str,
    /// `<<` written plain and untagged: the merge key. Quoted, `"<<"` is an ordinary string.
    Merge,
}

/// Why a document could not be read, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub line: u32,
    pub column: u32,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The parser's own message (a syntax error, a tab).
    Syntax(String),
    DuplicateKey(String),
    MultipleDocuments,
    /// A list or a map used as a key.
    ComplexKey,
    /// A tag's value that is not of its type (`!!int x`).
    BadTag(String),
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// More values than [`MAX_NODES`] once aliases are expanded.
    TooManyValues(usize),
    /// `*name` before any `&name`.
    UnknownAlias,
}

fn at(span: &Span) -> (u32, u32) {
    (
        u32::try_from(span.start.line()).unwrap_or(u32::MAX),
        u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
    )
}

fn scan_error(e: &ScanError) -> Error {
    let m = e.marker();
    Error {
        line: u32::try_from(m.line()).unwrap_or(u32::MAX),
        column: u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
        problem: Problem::Syntax(e.info()),
    }
}

/// Reads the one document of `text`. An empty text is a null document.
pub fn read(text: &str) -> Result<Node<'_>, Error> {
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_DEPTH,
        emit_comments: false,
        emit_anchor_events: false,
    };
    let mut reader = Reader {
        events: granit_parser::Parser::new_from_str_with_options(text, options),
        anchors: Vec::new(),
        nodes: 0,
    };
    reader.document()
}

struct Reader<'a, I> {
    events: I,
    /// Each anchor's node and how many values it holds, by anchor id.
    anchors: Vec<Option<(Node<'a>, usize)>>,
    nodes: usize,
}

impl<'a, I> Reader<'a, I>
where
    I: Iterator<Item = Result<(Event<'a>, Span), ScanError>>,
{
    fn next(&mut self) -> Result<Option<(Event<'a>, Span)>, Error> {
        match self.events.next() {
            None => Ok(None),
            Some(Ok(e)) => Ok(Some(e)),
            Some(Err(e)) => Err(scan_error(&e)),
        }
    }

    fn document(&mut self) -> Result<Node<'a>, Error> {
        let mut root = None;
        while let Some((event, span)) = self.next()? {
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::StreamEnd => {}
                Event::DocumentStart(..) if root.is_some() => {
                    let (line, column) = at(&span);
                    return Err(Error {
                        line,
                        column,
                        problem: Problem::MultipleDocuments,
                    });
                }
                Event::DocumentStart(..) => {
                    let Some((event, span)) = self.next()? else {
                        break;
                    };
                    if matches!(event, Event::DocumentEnd) {
                        root = Some(null_at(&span));
                        continue;
                    }
                    root = Some(self.node(event, span, 0)?.0);
                }
                _ => {}
            }
        }
        Ok(root.unwrap_or(Node {
            line: 1,
            column: 1,
            value: Value::Scalar(Scalar {
                text: Cow::Borrowed(""),
                kind: Kind::Null,
            }),
        }))
    }

    fn count(&mut self, n: usize, span: &Span) -> Result<(), Error> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            let (line, column) = at(span);
            return Err(Error {
                line,
                column,
                problem: Problem::TooManyValues(self.nodes),
            });
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node<'a>, size: usize) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize(anchor + 1, None);
        }
        self.anchors[anchor] = Some((node.clone(), size));
    }

    /// One node that starts with `event`; gives it and the number of values it holds.
    fn node(
        &mut self,
        event: Event<'a>,
        span: Span,
        depth: usize,
    ) -> Result<(Node<'a>, usize), Error> {
        let (line, column) = at(&span);
        if depth >= MAX_DEPTH {
            return Err(Error {
                line,
                column,
                problem: Problem::TooDeep,
            });
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, &span)?;
                let core = tag.as_ref().map(|t| (t.core_suffix(), t.handle() == "!"));
                let scalar = scalar(text, style, core).map_err(|problem| Error {
                    line,
                    column,
                    problem,
                })?;
                let node = Node {
                    line,
                    column,
                    value: Value::Scalar(scalar),
                };
                self.remember(anchor, &node, 1);
                Ok((node, 1))
            }
            Event::SequenceStart(_, anchor, _) => {
                self.count(1, &span)?;
                let mut items = Vec::new();
                let mut size = 1;
                while let Some((event, span)) = self.next()? {
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let (item, n) = self.node(event, span, depth + 1)?;
                    size += n;
                    items.push(item);
                }
                let node = Node {
                    line,
                    column,
                    value: Value::Seq(items),
                };
                self.remember(anchor, &node, size);
                Ok((node, size))
            }
            Event::MappingStart(_, anchor, _) => {
                self.count(1, &span)?;
                let mut entries: Vec<(Node<'a>, Node<'a>)> = Vec::new();
                let mut merges: Vec<Node<'a>> = Vec::new();
                let mut size = 1;
                while let Some((event, span)) = self.next()? {
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let (key, n) = self.node(event, span, depth + 1)?;
                    size += n;
                    let Some((event, span)) = self.next()? else {
                        break;
                    };
                    let (value, n) = self.node(event, span, depth + 1)?;
                    size += n;
                    let Value::Scalar(k) = &key.value else {
                        return Err(Error {
                            line: key.line,
                            column: key.column,
                            problem: Problem::ComplexKey,
                        });
                    };
                    if k.kind == Kind::Merge {
                        merges.push(value);
                        continue;
                    }
                    if entries.iter().any(|(e, _)| same_key(e, &key)) {
                        return Err(Error {
                            line: key.line,
                            column: key.column,
                            problem: Problem::DuplicateKey(k.text.to_string()),
                        });
                    }
                    entries.push((key, value));
                }
                for m in merges {
                    merge(&mut entries, m);
                }
                let node = Node {
                    line,
                    column,
                    value: Value::Map(entries),
                };
                self.remember(anchor, &node, size);
                Ok((node, size))
            }
            Event::Alias(id) => {
                let Some(Some((node, size))) = self.anchors.get(id) else {
                    return Err(Error {
                        line,
                        column,
                        problem: Problem::UnknownAlias,
                    });
                };
                let (mut node, size) = (node.clone(), *size);
                self.count(size, &span)?;
                // The alias is where the value is used; that is the place to point at.
                node.line = line;
                node.column = column;
                Ok((node, size))
            }
            _ => Err(Error {
                line,
                column,
                problem: Problem::Syntax("unexpected event".into()),
            }),
        }
    }
}

fn null_at<'a>(span: &Span) -> Node<'a> {
    let (line, column) = at(span);
    Node {
        line,
        column,
        value: Value::Scalar(Scalar {
            text: Cow::Borrowed(""),
            kind: Kind::Null,
        }),
    }
}

fn same_key(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Scalar(x), Value::Scalar(y)) => x.text == y.text,
        _ => false,
    }
}

/// `<<: *base` (or a list of them): the keys of `base` that the map does not set itself.
fn merge<'a>(entries: &mut Vec<(Node<'a>, Node<'a>)>, source: Node<'a>) {
    match source.value {
        Value::Map(more) => {
            for (k, v) in more {
                if !entries.iter().any(|(e, _)| same_key(e, &k)) {
                    entries.push((k, v));
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                merge(entries, item);
            }
        }
        Value::Scalar(_) => {}
    }
}

/// Resolves a scalar. `tag` is the core tag's name (`str`, `int`, …) if it has a core tag,
/// and whether it is the non-specific `!`.
fn scalar<'a>(
    text: Cow<'a, str>,
    style: ScalarStyle,
    tag: Option<(Option<&str>, bool)>,
) -> Result<Scalar<'a>, Problem> {
    let kind = match tag {
        Some((Some(core), _)) => {
            let bad = || Problem::BadTag(format!("`!!{core} {text}` is not a {core}"));
            match core {
                "str" => Kind::Str,
                "null" => Kind::Null,
                "bool" => boolean(&text).map(Kind::Bool).ok_or_else(bad)?,
                "int" => integer(&text).ok_or_else(bad)?,
                "float" => float(&text)
                    .or_else(|| match integer(&text) {
                        Some(Kind::Unsigned(u)) => Some(Kind::Float(u as f64)),
                        Some(Kind::Signed(i)) => Some(Kind::Float(i as f64)),
                        _ => None,
                    })
                    .ok_or_else(bad)?,
                _ => Kind::Str,
            }
        }
        Some((None, true)) => Kind::Str,
        _ if !matches!(style, ScalarStyle::Plain) => Kind::Str,
        _ => resolve(&text),
    };
    Ok(Scalar { text, kind })
}

fn boolean(t: &str) -> Option<bool> {
    match t {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// A plain scalar's type under YAML 1.2's core schema.
fn resolve(t: &str) -> Kind {
    match t.as_bytes().first() {
        None => return Kind::Null,
        Some(b) if !(b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'~')) => {
            if matches!(t, "null" | "Null" | "NULL") {
                return Kind::Null;
            }
            if t == "<<" {
                return Kind::Merge;
            }
            return boolean(t).map(Kind::Bool).unwrap_or(Kind::Str);
        }
        _ => {}
    }
    if t == "~" {
        return Kind::Null;
    }
    integer(t).or_else(|| float(t)).unwrap_or(Kind::Str)
}

fn integer(t: &str) -> Option<Kind> {
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        (10, digits)
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        if magnitude == 0 {
            return Some(Kind::Unsigned(0));
        }
        let v = 0i64.checked_sub_unsigned(magnitude)?;
        Some(Kind::Signed(v))
    } else {
        Some(Kind::Unsigned(magnitude))
    }
}

fn float(t: &str) -> Option<Kind> {
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let sign = if t.starts_with('-') { -1.0 } else { 1.0 };
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Some(Kind::Float(sign * f64::INFINITY)),
        ".nan" | ".NaN" | ".NAN" if unsigned.len() == t.len() => {
            return Some(Kind::Float(f64::NAN));
        }
        _ => {}
    }
    let b = unsigned.as_bytes();
    let starts = b.first().is_some_and(|c| c.is_ascii_digit())
        || (b.first() == Some(&b'.') && b.get(1).is_some_and(|c| c.is_ascii_digit()));
    if !starts
        || !b
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
    {
        return None;
    }
    t.parse::<f64>().ok().map(Kind::Float)
}

impl<'a> Node<'a> {
    /// The document as plain JSON, as written: a quoted number stays a string, `3.0` stays a
    /// fraction. A number JSON cannot hold (`.inf`, `.nan`) is null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(s) => match s.kind {
                Kind::Null => J::Null,
                Kind::Bool(b) => J::Bool(b),
                Kind::Unsigned(u) => J::from(u),
                Kind::Signed(i) => J::from(i),
                Kind::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
                Kind::Str | Kind::Merge => J::String(s.text.clone().into_owned()),
            },
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text().to_owned(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A key's text (keys are scalars).
    pub fn key_text(&self) -> &str {
        match &self.value {
            Value::Scalar(s) => &s.text,
            _ => "",
        }
    }

    /// The node at a JSON Pointer's segments, and the key that leads to it.
    pub fn find(&self, path: &[String]) -> Option<(&Node<'a>, Option<&Node<'a>>)> {
        let mut cur = self;
        let mut key = None;
        for seg in path {
            match &cur.value {
                Value::Map(entries) => {
                    let (k, v) = entries.iter().find(|(k, _)| k.key_text() == seg)?;
                    key = Some(k);
                    cur = v;
                }
                Value::Seq(items) => {
                    cur = items.get(seg.parse::<usize>().ok()?)?;
                    key = None;
                }
                Value::Scalar(_) => return None,
            }
        }
        Some((cur, key))
    }
}

// ---------------------------------------------------------------------------------------
// The typed read.

/// The name [`crate::model::Located`] asks [`De`] for: it then gets the line, the column and
/// the value, in that order, as a sequence.
use crate::model::located::LOCATED;

/// A typed read's failure, with where it happened when known.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    pub message: String,
    pub place: Option<(u32, u32)>,
}

impl DeError {
    fn at(mut self, line: u32, column: u32) -> DeError {
        self.place.get_or_insert((line, column));
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            place: None,
        }
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        de::Error::custom(format!(
            "unknown field `{field}`, expected one of {}",
            expected.join(", ")
        ))
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        de::Error::custom(format!(
            "unknown variant `{variant}`, expected one of {}",
            expected.join(", ")
        ))
    }
}

/// Reads a typed value out of a tree, consuming it.
pub struct De<'a>(pub Node<'a>);

impl<'de> de::Deserializer<'de> for De<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let Node {
            line,
            column,
            value,
        } = self.0;
        let r = match value {
            Value::Scalar(s) => match s.kind {
                Kind::Null => v.visit_unit(),
                Kind::Bool(b) => v.visit_bool(b),
                Kind::Unsigned(u) => v.visit_u64(u),
                Kind::Signed(i) => v.visit_i64(i),
                Kind::Float(f) => v.visit_f64(f),
                Kind::Str | Kind::Merge => visit_text(s.text, v),
            },
            Value::Seq(items) => v.visit_seq(Items(items.into_iter())),
            Value::Map(entries) => v.visit_map(Entries {
                iter: entries.into_iter(),
                value: None,
            }),
        };
        r.map_err(|e| e.at(line, column))
    }

    /// A scalar read as text is its text, as YAML reads it (`version: 2` into a string field
    /// is `"2"`); the schema, which runs first, is what refuses a number for a string.
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let Node {
            line,
            column,
            value,
        } = self.0;
        match value {
            Value::Scalar(Scalar { text, kind }) if !matches!(kind, Kind::Null) => {
                visit_text(text, v).map_err(|e: DeError| e.at(line, column))
            }
            value => De(Node {
                line,
                column,
                value,
            })
            .deserialize_any(v),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.0.value {
            Value::Scalar(Scalar {
                kind: Kind::Null, ..
            }) => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        if name == LOCATED {
            let (line, column) = (self.0.line, self.0.column);
            return v
                .visit_seq(Placed {
                    line,
                    column,
                    node: Some(self.0),
                    step: 0,
                })
                .map_err(|e| e.at(line, column));
        }
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let (line, column) = (self.0.line, self.0.column);
        let r = match self.0.value {
            Value::Scalar(s) => v.visit_enum(s.text.into_deserializer()),
            Value::Map(mut entries) if entries.len() == 1 => {
                let (key, value) = entries.remove(0);
                v.visit_enum(Variant { key, value })
            }
            other => {
                return De(Node {
                    line,
                    column,
                    value: other,
                })
                .deserialize_any(v);
            }
        };
        r.map_err(|e| e.at(line, column))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct
    }
}

/// A scalar's text to a visitor: borrowed from the document when it can be.
fn visit_text<'de, V: Visitor<'de>>(text: Cow<'de, str>, v: V) -> Result<V::Value, DeError> {
    match text {
        Cow::Borrowed(b) => v.visit_borrowed_str(b),
        Cow::Owned(s) => v.visit_string(s),
    }
}

struct Items<'a>(std::vec::IntoIter<Node<'a>>);

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.0.next().map(|n| seed.deserialize(De(n))).transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'a> {
    iter: std::vec::IntoIter<(Node<'a>, Node<'a>)>,
    value: Option<Node<'a>>,
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            None => Ok(None),
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(De(k)).map(Some)
            }
        }
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("a value without its key"))?;
        seed.deserialize(De(node))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// The line, the column, then the value, for [`LOCATED`].
struct Placed<'a> {
    line: u32,
    column: u32,
    node: Option<Node<'a>>,
    step: u8,
}

impl<'de> de::SeqAccess<'de> for Placed<'de> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.step += 1;
        match self.step {
            1 => seed.deserialize(self.line.into_deserializer()).map(Some),
            2 => seed.deserialize(self.column.into_deserializer()).map(Some),
            _ => self
                .node
                .take()
                .map(|n| seed.deserialize(De(n)))
                .transpose(),
        }
    }
}

/// An enum written as a map of one key: `variant: value`.
struct Variant<'a> {
    key: Node<'a>,
    value: Node<'a>,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = DeError;
    type Variant = De<'de>;
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, De<'de>), DeError> {
        let v = seed.deserialize(De(self.key))?;
        Ok((v, De(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for De<'de> {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        de::Deserialize::deserialize(self)
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_seq(self, v)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_map(self, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        let Value::Map(entries) = read(text).unwrap().value else {
            panic!("not a map")
        };
        entries
            .into_iter()
            .map(|(_, v)| match v.value {
                Value::Scalar(s) => s.kind,
                _ => Kind::Str,
            })
            .collect()
    }

    #[test]
    fn plain_scalars_resolve_as_the_core_schema_does() {
        let k = kinds(
            "a: 3\nb: -4\nc: 3.5\nd: true\ne: yes\nf: ~\ng:\nh: '3'\ni: 0x1f\nj: 007\nk: .inf\nl: 1e3\nm: 2026-12-01\nn: \"true\"\n",
        );
        assert_eq!(
            k,
            vec![
                Kind::Unsigned(3),
                Kind::Signed(-4),
                Kind::Float(3.5),
                Kind::Bool(true),
                Kind::Str,
                Kind::Null,
                Kind::Null,
                Kind::Str,
                Kind::Unsigned(31),
                Kind::Float(7.0),
                Kind::Float(f64::INFINITY),
                Kind::Float(1000.0),
                Kind::Str,
                Kind::Str,
            ]
        );
    }

    #[test]
    fn positions_are_one_based_and_aliases_point_where_they_are_used() {
        let n = read("a: &x\n  b: 1\nc: *x\n").unwrap();
        let (v, k) = n.find(&["c".into()]).unwrap();
        assert_eq!((v.line, v.column), (3, 4));
        assert_eq!(k.map(|k| (k.line, k.column)), Some((3, 1)));
        let (b, _) = n.find(&["c".into(), "b".into()]).unwrap();
        assert_eq!((b.line, b.column), (2, 6));
    }

    #[test]
    fn duplicate_keys_documents_and_bombs_are_refused_where_they_are() {
        let e = read("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(
            (e.line, e.column, e.problem),
            (3, 1, Problem::DuplicateKey("a".into()))
        );
        let e = read("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!((e.line, e.problem), (2, Problem::MultipleDocuments));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (p, n) in ["a", "b", "c", "d", "e", "f"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g"])
        {
            bomb.push_str(&format!(
                "{n}: &{n} [{}]\n",
                vec![format!("*{p}"); 10].join(",")
            ));
        }
        assert!(matches!(
            read(&bomb).unwrap_err().problem,
            Problem::TooManyValues(n) if n > MAX_NODES
        ));
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(read(&deep).is_err());
        let mut block = String::new();
        for i in 0..100 {
            block.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        assert_eq!(read(&block).unwrap_err().problem, Problem::TooDeep);
    }

    #[test]
    fn merge_keys_add_what_the_map_does_not_set() {
        // Quoted, `<<` is an ordinary key.
        let quoted = read("base: &b {x: 1}\nm:\n  \"<<\": *b\n").unwrap();
        assert_eq!(quoted.to_json()["m"], serde_json::json!({"<<": {"x": 1}}));
        let n = read("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n").unwrap();
        assert_eq!(
            n.to_json()["m"],
            serde_json::json!({"y": 3, "x": 1}),
            "{:?}",
            n.to_json()
        );
    }

    #[test]
    fn core_tags_are_honoured_and_checked() {
        assert_eq!(
            kinds("a: !!str 3\nb: !!float 3\n"),
            vec![Kind::Str, Kind::Float(3.0)]
        );
        let e = read("a: !!int three\n").unwrap_err();
        assert!(matches!(e.problem, Problem::BadTag(_)), "{e:?}");
    }
}
