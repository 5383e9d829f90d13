//! A small scanner for rendered Bicep and HCL: it tokenizes (strings with their escapes and
//! interpolations, heredocs, comments), checks that brackets balance, and exposes the
//! resources with their top-level entries. It is what the security checks of
//! `validate_blueprint` read, and a sanity check of every rendered file. It is not a full
//! parser: it knows the shapes of statements, not the semantics of expressions.

use std::fmt;

/// The language of a rendered file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Bicep,
    Hcl,
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier, a number or a dotted reference such as `azurerm_key_vault.kv.id`.
    Word(String),
    /// A string literal. `raw` is its source text without the quotes; `value` is the decoded
    /// text when it has no interpolation or directive.
    Str {
        raw: String,
        value: Option<String>,
    },
    /// Punctuation or an operator: `=`, `:`, `,`, `==`, `=>`, ...
    Punct(String),
    Newline,
}

/// A token tree: a token, or a bracketed group of trees.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree {
    Leaf {
        tok: Tok,
        line: u32,
    },
    Group {
        open: char,
        line: u32,
        items: Vec<Tree>,
    },
}

/// Why a file could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub line: u32,
    pub message: String,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

struct Lexer<'a> {
    lang: Lang,
    chars: Vec<char>,
    pos: usize,
    line: u32,
    _src: &'a str,
}

fn err<T>(line: u32, message: impl Into<String>) -> Result<T, ScanError> {
    Err(ScanError {
        line,
        message: message.into(),
    })
}

impl<'a> Lexer<'a> {
    fn peek(&self, off: usize) -> Option<char> {
        self.chars.get(self.pos + off).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if let Some(c) = c {
            self.pos += 1;
            if c == '\n' {
                self.line += 1;
            }
        }
        c
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c))
    }

    fn tokens(&mut self) -> Result<Vec<(Tok, u32)>, ScanError> {
        let mut out = Vec::new();
        while let Some(c) = self.peek(0) {
            let line = self.line;
            if c == '\n' {
                self.bump();
                out.push((Tok::Newline, line));
            } else if c.is_whitespace() {
                self.bump();
            } else if self.starts_with("//") || (self.lang == Lang::Hcl && c == '#') {
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else if self.starts_with("/*") {
                self.pos += 2;
                loop {
                    if self.starts_with("*/") {
                        self.pos += 2;
                        break;
                    }
                    if self.bump().is_none() {
                        return err(line, "unterminated /* comment");
                    }
                }
            } else if self.lang == Lang::Bicep && self.starts_with("'''") {
                self.pos += 3;
                let mut raw = String::new();
                loop {
                    if self.starts_with("'''") {
                        self.pos += 3;
                        break;
                    }
                    match self.bump() {
                        Some(c) => raw.push(c),
                        None => return err(line, "unterminated ''' string"),
                    }
                }
                out.push((
                    Tok::Str {
                        value: Some(raw.clone()),
                        raw,
                    },
                    line,
                ));
            } else if (self.lang == Lang::Bicep && c == '\'')
                || (self.lang == Lang::Hcl && c == '"')
            {
                self.bump();
                let (raw, value) = self.string(c)?;
                out.push((Tok::Str { raw, value }, line));
            } else if self.lang == Lang::Hcl && self.starts_with("<<") && self.heredoc_ahead() {
                let raw = self.heredoc()?;
                let value = (!raw.contains("${") && !raw.contains("%{")).then(|| raw.clone());
                out.push((Tok::Str { raw, value }, line));
            } else if c.is_alphanumeric() || c == '_' {
                let mut w = String::new();
                while let Some(c) = self.peek(0) {
                    let word_char = c.is_alphanumeric()
                        || c == '_'
                        || (c == '-' && self.lang == Lang::Hcl)
                        || (c == '.'
                            && self
                                .peek(1)
                                .is_some_and(|d| d.is_alphanumeric() || d == '_'));
                    if !word_char {
                        break;
                    }
                    w.push(c);
                    self.bump();
                }
                out.push((Tok::Word(w), line));
            } else {
                self.bump();
                let two = match (c, self.peek(0)) {
                    ('=', Some('=' | '>'))
                    | ('!' | '<' | '>', Some('='))
                    | ('&', Some('&'))
                    | ('|', Some('|'))
                    | ('?', Some('?' | '.')) => {
                        let d = self.bump().unwrap_or_default();
                        Some(format!("{c}{d}"))
                    }
                    _ => None,
                };
                out.push((Tok::Punct(two.unwrap_or_else(|| c.to_string())), line));
            }
        }
        Ok(out)
    }

    fn heredoc_ahead(&self) -> bool {
        let mut i = 2;
        if self.peek(i) == Some('-') {
            i += 1;
        }
        self.peek(i).is_some_and(|c| c.is_alphabetic())
    }

    fn heredoc(&mut self) -> Result<String, ScanError> {
        let line = self.line;
        self.pos += 2;
        if self.peek(0) == Some('-') {
            self.pos += 1;
        }
        let mut marker = String::new();
        while let Some(c) = self.peek(0).filter(|c| c.is_alphanumeric() || *c == '_') {
            marker.push(c);
            self.pos += 1;
        }
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.bump();
        }
        self.bump();
        let mut raw = String::new();
        loop {
            let mut l = String::new();
            while let Some(c) = self.peek(0).filter(|c| *c != '\n') {
                l.push(c);
                self.pos += 1;
            }
            if l.trim() == marker {
                return Ok(raw);
            }
            raw.push_str(&l);
            if self.bump().is_none() {
                return err(line, format!("unterminated heredoc <<{marker}"));
            }
            raw.push('\n');
        }
    }

    /// After the opening quote: read up to and including the closing quote.
    fn string(&mut self, quote: char) -> Result<(String, Option<String>), ScanError> {
        let line = self.line;
        let mut raw = String::new();
        let mut value = String::new();
        let mut interpolated = false;
        loop {
            let Some(c) = self.bump() else {
                return err(line, "unterminated string");
            };
            if c == quote {
                return Ok((raw, (!interpolated).then_some(value)));
            }
            if c == '\n' {
                return err(line, "newline in a string literal");
            }
            raw.push(c);
            match c {
                '\\' => {
                    let Some(e) = self.bump() else {
                        return err(line, "unterminated escape");
                    };
                    raw.push(e);
                    match e {
                        'n' => value.push('\n'),
                        'r' => value.push('\r'),
                        't' => value.push('\t'),
                        '\\' | '"' | '\'' | '$' => value.push(e),
                        'u' | 'U' => value.push(self.unicode_escape(e, &mut raw, line)?),
                        _ => return err(line, format!("unknown escape \\{e} in a string")),
                    }
                }
                '$' | '%' if self.lang == Lang::Hcl && self.starts_with(&format!("{c}{{")) => {
                    // `$${` and `%%{` are literal `${` and `%{`.
                    self.pos += 2;
                    raw.push(c);
                    raw.push('{');
                    value.push(c);
                    value.push('{');
                }
                '$' | '%' if self.peek(0) == Some('{') && (c == '$' || self.lang == Lang::Hcl) => {
                    interpolated = true;
                    self.bump();
                    raw.push('{');
                    raw.push_str(&self.interpolation(line)?);
                }
                c => value.push(c),
            }
        }
    }

    fn unicode_escape(
        &mut self,
        kind: char,
        raw: &mut String,
        line: u32,
    ) -> Result<char, ScanError> {
        let mut hex = String::new();
        if self.lang == Lang::Bicep {
            if self.bump() != Some('{') {
                return err(line, "expected { after \\u");
            }
            raw.push('{');
            while let Some(c) = self.bump() {
                raw.push(c);
                if c == '}' {
                    break;
                }
                hex.push(c);
            }
        } else {
            let n = if kind == 'u' { 4 } else { 8 };
            for _ in 0..n {
                let c = self.bump().unwrap_or(' ');
                raw.push(c);
                hex.push(c);
            }
        }
        u32::from_str_radix(&hex, 16)
            .ok()
            .and_then(char::from_u32)
            .map_or_else(|| err(line, format!("bad unicode escape {hex}")), Ok)
    }

    /// After `${` or `%{`: the expression up to and including the matching `}`, with nested
    /// strings read as strings.
    fn interpolation(&mut self, line: u32) -> Result<String, ScanError> {
        let mut depth = 1;
        let mut raw = String::new();
        loop {
            let Some(c) = self.bump() else {
                return err(line, "unterminated interpolation");
            };
            if (self.lang == Lang::Bicep && c == '\'') || (self.lang == Lang::Hcl && c == '"') {
                let (inner, _) = self.string(c)?;
                raw.push(c);
                raw.push_str(&inner);
                raw.push(c);
                continue;
            }
            raw.push(c);
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(raw);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Tokenize `text` and group it by brackets.
pub fn trees(lang: Lang, text: &str) -> Result<Vec<Tree>, ScanError> {
    let mut lexer = Lexer {
        lang,
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
        _src: text,
    };
    let toks = lexer.tokens()?;
    let mut stack: Vec<(char, u32, Vec<Tree>)> = vec![(' ', 0, Vec::new())];
    for (tok, line) in toks {
        if let Tok::Punct(p) = &tok {
            match p.as_str() {
                "{" | "[" | "(" => {
                    stack.push((p.chars().next().unwrap_or(' '), line, Vec::new()));
                    continue;
                }
                "}" | "]" | ")" => {
                    let want = match p.as_str() {
                        "}" => '{',
                        "]" => '[',
                        _ => '(',
                    };
                    let (open, open_line, items) = stack.pop().unwrap_or((' ', 0, Vec::new()));
                    if open != want {
                        return err(
                            line,
                            format!("`{p}` does not close `{open}` opened on line {open_line}"),
                        );
                    }
                    match stack.last_mut() {
                        Some(parent) => parent.2.push(Tree::Group {
                            open,
                            line: open_line,
                            items,
                        }),
                        None => return err(line, format!("unbalanced `{p}`")),
                    }
                    continue;
                }
                _ => {}
            }
        }
        if let Some(top) = stack.last_mut() {
            top.2.push(Tree::Leaf { tok, line });
        }
    }
    if stack.len() != 1 {
        let (open, line, _) = stack.pop().unwrap_or((' ', 0, Vec::new()));
        return err(
            line,
            format!("`{open}` opened on line {line} is never closed"),
        );
    }
    Ok(stack.pop().map(|s| s.2).unwrap_or_default())
}

/// An entry of a body or object: `key = value` (HCL), `key: value` (Bicep), or a nested block
/// `key "label" { ... }` (HCL).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub line: u32,
    pub value: Vec<Tree>,
    pub block: bool,
}

impl Entry {
    /// The entries of the value, when it is an object literal or a block.
    pub fn object(&self) -> Option<Vec<Entry>> {
        match self.value.as_slice() {
            [
                Tree::Group {
                    open: '{', items, ..
                },
            ] => Some(entries(items)),
            _ => None,
        }
    }

    /// The value as a scalar: the word (`true`, `42`, `local.tags`) or the decoded string.
    pub fn scalar(&self) -> Option<String> {
        match self.value.as_slice() {
            [
                Tree::Leaf {
                    tok: Tok::Word(w), ..
                },
            ] => Some(w.clone()),
            [
                Tree::Leaf {
                    tok: Tok::Str { value: Some(v), .. },
                    ..
                },
            ] => Some(v.clone()),
            _ => None,
        }
    }
}

/// Split the items of a group into statements (by newline and comma).
pub fn statements(items: &[Tree]) -> Vec<&[Tree]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in items.iter().enumerate() {
        let sep = matches!(
            t,
            Tree::Leaf {
                tok: Tok::Newline,
                ..
            }
        ) || matches!(t, Tree::Leaf { tok: Tok::Punct(p), .. } if p == ",");
        if sep {
            if i > start {
                out.push(&items[start..i]);
            }
            start = i + 1;
        }
    }
    if items.len() > start {
        out.push(&items[start..]);
    }
    out
}

fn key_of(t: &Tree) -> Option<(String, u32)> {
    match t {
        Tree::Leaf {
            tok: Tok::Word(w),
            line,
        } => Some((w.clone(), *line)),
        Tree::Leaf {
            tok: Tok::Str { value: Some(v), .. },
            line,
        } => Some((v.clone(), *line)),
        _ => None,
    }
}

/// The entries of a body or object literal.
pub fn entries(items: &[Tree]) -> Vec<Entry> {
    let mut out = Vec::new();
    for st in statements(items) {
        let Some((key, line)) = st.first().and_then(key_of) else {
            continue;
        };
        match st.get(1) {
            Some(Tree::Leaf {
                tok: Tok::Punct(p), ..
            }) if p == "=" || p == ":" => {
                out.push(Entry {
                    key,
                    line,
                    value: st[2..].to_vec(),
                    block: false,
                });
            }
            _ => {
                // A block: `key "label"... { ... }`.
                if let Some(g @ Tree::Group { open: '{', .. }) = st.last() {
                    out.push(Entry {
                        key,
                        line,
                        value: vec![g.clone()],
                        block: true,
                    });
                }
            }
        }
    }
    out
}

/// Every entry named `key`, at any depth of objects and blocks below `entries_`.
pub fn find_all(entries_: &[Entry], key: &str, out: &mut Vec<Entry>) {
    for e in entries_ {
        if e.key == key {
            out.push(e.clone());
        }
        for t in &e.value {
            walk_groups(t, &mut |items| {
                out.extend(entries(items).into_iter().filter(|inner| inner.key == key));
            });
        }
    }
}

fn walk_groups(t: &Tree, f: &mut dyn FnMut(&[Tree])) {
    if let Tree::Group { open, items, .. } = t {
        if *open == '{' {
            f(items);
        }
        for i in items {
            walk_groups(i, f);
        }
    }
}

/// Every word and string source text in a tree, for finding references.
pub fn texts(trees_: &[Tree], out: &mut Vec<String>) {
    for t in trees_ {
        match t {
            Tree::Leaf {
                tok: Tok::Word(w), ..
            } => out.push(w.clone()),
            Tree::Leaf {
                tok: Tok::Str { raw, .. },
                ..
            } => out.push(raw.clone()),
            Tree::Group { items, .. } => texts(items, out),
            _ => {}
        }
    }
}

/// A resource declared in a rendered file.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// `azurerm_key_vault` (HCL) or `Microsoft.KeyVault/vaults` (Bicep, without the API version).
    pub kind: String,
    /// The HCL resource name or the Bicep symbolic name.
    pub name: String,
    pub line: u32,
    /// The top-level entries of its body.
    pub body: Vec<Entry>,
    /// The body as trees (for reference searches).
    pub tree: Vec<Tree>,
}

impl Resource {
    /// How other code refers to this resource: `azurerm_key_vault.kv` or `kv`.
    pub fn address(&self, lang: Lang) -> String {
        match lang {
            Lang::Hcl => format!("{}.{}", self.kind, self.name),
            Lang::Bicep => self.name.clone(),
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.body.iter().find(|e| e.key == key)
    }

    /// Every entry named `key` anywhere in the body.
    pub fn find(&self, key: &str) -> Vec<Entry> {
        let mut out = Vec::new();
        find_all(&self.body, key, &mut out);
        out
    }

    /// Whether the body mentions `reference` (e.g. `azurerm_key_vault.kv.id` or `kv.id`) in an
    /// expression or an interpolation.
    pub fn mentions(&self, reference: &str) -> bool {
        trees_mention(&self.tree, reference)
    }
}

/// Whether `reference` occurs in the trees as a whole reference (not as part of a longer name).
pub fn trees_mention(trees_: &[Tree], reference: &str) -> bool {
    let mut all = Vec::new();
    texts(trees_, &mut all);
    all.iter().any(|t| {
        t.match_indices(reference).any(|(i, _)| {
            let before = t[..i].chars().next_back();
            let after = t[i + reference.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

/// A scanned file: its resources, HCL `locals` and Bicep `var`s (name -> value).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    pub resources: Vec<Resource>,
    pub vars: Vec<Entry>,
}

fn word(t: Option<&Tree>) -> Option<&str> {
    match t {
        Some(Tree::Leaf {
            tok: Tok::Word(w), ..
        }) => Some(w),
        _ => None,
    }
}

fn string(t: Option<&Tree>) -> Option<&str> {
    match t {
        Some(Tree::Leaf {
            tok: Tok::Str { value: Some(v), .. },
            ..
        }) => Some(v),
        _ => None,
    }
}

/// The body of a Bicep resource declaration tail (`= {..}`, `= if (..) {..}`,
/// `= [for x in y: {..}]`).
fn bicep_body(tail: &[Tree]) -> Option<&[Tree]> {
    for t in tail.iter().rev() {
        match t {
            Tree::Group {
                open: '{', items, ..
            } => return Some(items),
            Tree::Group {
                open: '[', items, ..
            } => return bicep_body(items),
            _ => {}
        }
    }
    None
}

/// Scan a rendered file.
pub fn parse(lang: Lang, text: &str) -> Result<Doc, ScanError> {
    let top = trees(lang, text)?;
    let mut doc = Doc::default();
    for st in statements(&top) {
        let line = match st.first() {
            Some(Tree::Leaf { line, .. }) | Some(Tree::Group { line, .. }) => *line,
            None => 0,
        };
        match (lang, word(st.first())) {
            (Lang::Hcl, Some("resource")) => {
                let (
                    Some(kind),
                    Some(name),
                    Some(Tree::Group {
                        open: '{', items, ..
                    }),
                ) = (string(st.get(1)), string(st.get(2)), st.get(3))
                else {
                    return err(line, "malformed resource block");
                };
                doc.resources.push(Resource {
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                    line,
                    body: entries(items),
                    tree: items.clone(),
                });
            }
            (Lang::Hcl, Some("locals")) => {
                if let Some(Tree::Group {
                    open: '{', items, ..
                }) = st.get(1)
                {
                    doc.vars.extend(entries(items));
                }
            }
            (Lang::Bicep, Some("resource")) => {
                let (Some(name), Some(ty)) = (word(st.get(1)), string(st.get(2))) else {
                    return err(line, "malformed resource declaration");
                };
                if word(st.get(3)) == Some("existing") {
                    continue;
                }
                let Some(items) = bicep_body(&st[3..]) else {
                    return err(line, format!("resource {name} has no body"));
                };
                doc.resources.push(Resource {
                    kind: ty.split('@').next().unwrap_or(ty).to_owned(),
                    name: name.to_owned(),
                    line,
                    body: entries(items),
                    tree: items.to_vec(),
                });
            }
            (Lang::Bicep, Some("var")) => {
                if let (
                    Some((key, line)),
                    Some(Tree::Leaf {
                        tok: Tok::Punct(p), ..
                    }),
                ) = (st.get(1).and_then(key_of), st.get(2))
                    && p == "="
                {
                    doc.vars.push(Entry {
                        key,
                        line,
                        value: st[3..].to_vec(),
                        block: false,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_resources_and_strings() {
        let text = r#"
locals {
  tags = { team = "a", "cost-tag" = "x${1}" }
}
# comment { not a brace
resource "azurerm_key_vault" "kv" {
  name = "kv-$${x}-\"q\""
  tags = local.tags
  network_acls {
    default_action = "Deny"
  }
}
"#;
        let doc = parse(Lang::Hcl, text).unwrap();
        assert_eq!(doc.resources.len(), 1);
        let r = &doc.resources[0];
        assert_eq!(r.kind, "azurerm_key_vault");
        assert_eq!(r.entry("name").unwrap().scalar().unwrap(), "kv-${x}-\"q\"");
        assert_eq!(r.entry("tags").unwrap().scalar().unwrap(), "local.tags");
        assert_eq!(r.find("default_action")[0].scalar().unwrap(), "Deny");
        assert_eq!(doc.vars[0].key, "tags");
        let keys: Vec<String> = doc.vars[0]
            .object()
            .unwrap()
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, ["team", "cost-tag"]);
    }

    #[test]
    fn bicep_resources() {
        let text = "var tags = {\n  team: 'a'\n  'cost-tag': 'b\\'${x}'\n}\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'x'\n  tags: tags\n  properties: {\n    publicNetworkAccess: 'Disabled'\n  }\n}\nresource d 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {\n  scope: kv\n}\n";
        let doc = parse(Lang::Bicep, text).unwrap();
        assert_eq!(doc.resources.len(), 2);
        assert_eq!(doc.resources[0].kind, "Microsoft.KeyVault/vaults");
        assert_eq!(
            doc.resources[0].find("publicNetworkAccess")[0]
                .scalar()
                .unwrap(),
            "Disabled"
        );
        assert!(doc.resources[1].mentions("kv"));
    }

    #[test]
    fn unbalanced_is_an_error() {
        assert!(parse(Lang::Hcl, "resource \"a\" \"b\" {\n").is_err());
        assert!(parse(Lang::Bicep, "var x = 'abc\n").is_err());
        assert!(parse(Lang::Hcl, "x = \"${\"}\"}\"\n").is_ok());
        assert!(parse(Lang::Hcl, "x = \"${\"}\"\n").is_err());
    }
}
