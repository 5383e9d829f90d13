//! Validation of an experiment's parameters against a blueprint manifest, before anything is
//! rendered. Every problem is reported, not only the first.

use crate::model::Code;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::manifest::{Manifest, Parameter};
use crate::model::diagnostic::{Diagnostic, Place};

/// The longest string value accepted, in characters.
pub const MAX_STRING_CHARS: usize = 256;

/// Whether `value` matches `pattern` as a whole (the pattern is anchored at both ends), with
/// the `regex` crate, which runs in linear time. Each pattern is compiled once per process
/// and shared by every experiment and every thread (see [`compiled`]). `Err` carries the
/// regex compiler's message.
pub fn full_match(pattern: &str, value: &str) -> Result<bool, String> {
    compiled(pattern).map(|re| re.is_match(value))
}

/// The most distinct patterns kept compiled. Patterns come from blueprint manifests, so a
/// process sees a few dozen; past the limit a pattern is compiled for its call only, which
/// keeps a long-lived process's memory bounded whatever blueprints it is shown.
const MAX_CACHED_PATTERNS: usize = 4096;

type Compiled = Result<Arc<Regex>, String>;

/// `pattern`, anchored at both ends, compiled once and shared. Manifests name the same few
/// patterns for every experiment of a repository, so this is once per manifest pattern.
pub fn compiled(pattern: &str) -> Compiled {
    static CACHE: OnceLock<RwLock<HashMap<String, Compiled>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(map) = cache.read()
        && let Some(hit) = map.get(pattern)
    {
        return hit.clone();
    }
    let fresh: Compiled = RegexBuilder::new(&format!("^(?:{pattern})$"))
        .build()
        .map(Arc::new)
        .map_err(|e| e.to_string());
    if let Ok(mut map) = cache.write()
        && map.len() < MAX_CACHED_PATTERNS
    {
        map.entry(pattern.to_owned())
            .or_insert_with(|| fresh.clone());
    }
    fresh
}

/// Characters that are never accepted in a string value: control characters other than
/// newline, carriage return and tab, and invisible or bidirectional formatting characters
/// (which make a value read differently from what it is).
pub fn forbidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

/// Problems with a string value that no pattern may allow: forbidden characters and length.
/// `subject` names the value in messages (e.g. "parameter `location`"). Returns
/// `(code, message)` pairs.
pub fn string_hazards(subject: &str, s: &str) -> Vec<(Code, String)> {
    let mut out = Vec::new();
    if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| forbidden_char(*c)) {
        out.push((
            Code::ParameterForbiddenCharacter,
            format!(
                "{subject} contains the forbidden character U+{:04X} at position {}",
                c as u32,
                i + 1
            ),
        ));
    }
    let n = s.chars().count();
    if n > MAX_STRING_CHARS {
        out.push((
            Code::ParameterTooLong,
            format!("{subject} is {n} characters long; the limit is {MAX_STRING_CHARS}"),
        ));
    }
    out
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let short: String = s.chars().take(57).collect();
        format!("{short}...")
    } else {
        s
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Validate `params` against the manifest's parameters. `place_of_param` gives the place of a
/// parameter in the request (for diagnostics); it is also called with `""` for problems that
/// concern the parameter block as a whole (a missing parameter).
pub fn validate_against(
    manifest: &Manifest,
    params: &BTreeMap<String, Value>,
    place_of_param: &dyn Fn(&str) -> Place,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let bp = &manifest.name;
    for (name, value) in params {
        // The place is worked out only for a problem: it copies the file's path.
        let place = || place_of_param(name);
        let Some(spec) = manifest.parameters.get(name) else {
            let known: Vec<&str> = manifest.parameters.keys().map(String::as_str).collect();
            out.push(
                Diagnostic::error(
                    place(),
                    Code::UnknownParameter,
                    format!("blueprint `{bp}` has no parameter `{name}`"),
                )
                .with_hint(format!("known parameters: {}", known.join(", "))),
            );
            continue;
        };
        for (code, msg, hint) in check_value(name, spec, value) {
            out.push(Diagnostic::error(place(), code, msg).with_hint(hint));
        }
    }
    out.extend(combinations(manifest, params, place_of_param));
    for (name, spec) in &manifest.parameters {
        if !params.contains_key(name) && spec.default_value().is_none() {
            out.push(
                Diagnostic::error(
                    place_of_param(""),
                    Code::MissingParameter,
                    format!(
                        "blueprint `{bp}` requires parameter `{name}` ({}), which has no default",
                        spec.type_name()
                    ),
                )
                .with_hint(format!(
                    "add `{name}:` under `parameters`: {}",
                    spec.description()
                )),
            );
        }
    }
    out
}

/// The manifest's `allowed_by` rules: a parameter whose value, given or by default, is not
/// one the other parameter's value allows, e.g. a model version the chosen model is not
/// offered at. Only pairs of string values are judged; a wrong type is reported elsewhere.
fn combinations(
    manifest: &Manifest,
    params: &BTreeMap<String, Value>,
    place_of_param: &dyn Fn(&str) -> Place,
) -> Vec<Diagnostic> {
    let effective = |name: &str| -> Option<(std::borrow::Cow<'_, str>, bool)> {
        match params.get(name) {
            Some(Value::String(s)) => Some((s.as_str().into(), true)),
            Some(_) => None,
            None => manifest
                .parameters
                .get(name)
                .and_then(Parameter::default_value)
                .and_then(|v| v.as_str().map(|s| (s.to_owned().into(), false))),
        }
    };
    let mut out = Vec::new();
    for rule in &manifest.allowed_by {
        let (Some((by, by_given)), Some((value, given))) =
            (effective(&rule.by), effective(&rule.parameter))
        else {
            continue;
        };
        let allowed: &[String] = rule.values.get(by.as_ref()).map_or(&[], Vec::as_slice);
        if allowed.iter().any(|a| *a == value) {
            continue;
        }
        let (p, b) = (&rule.parameter, &rule.by);
        let place = if given {
            place_of_param(p)
        } else if by_given {
            place_of_param(b)
        } else {
            place_of_param("")
        };
        let shown = if given {
            format!("`{value}`")
        } else {
            format!("`{value}` (its default)")
        };
        let others: Vec<&str> = rule
            .values
            .iter()
            .filter(|(_, vs)| vs.iter().any(|v| *v == value))
            .map(|(k, _)| k.as_str())
            .collect();
        let known: Vec<&str> = rule.values.keys().map(String::as_str).collect();
        let message = if allowed.is_empty() {
            format!(
                "`{b}: {by}` has no {p} that blueprint `{}` knows; the {b} values it knows are: {}",
                manifest.name,
                known.join(", ")
            )
        } else {
            format!(
                "`{p}` is {shown}, which `{b}: {by}` is not offered at; it is offered at: {}",
                allowed.join(", ")
            )
        };
        let mut hint = if allowed.is_empty() {
            format!("set `{b}` to one of: {}", known.join(", "))
        } else {
            format!("set `{p}: \"{}\"`", allowed[0])
        };
        if !others.is_empty() {
            hint.push_str(&format!(
                ", or choose a {b} offered at {value}: {}",
                others.join(", ")
            ));
        }
        out.push(Diagnostic::error(place, Code::ParameterCombination, message).with_hint(hint));
    }
    out
}

/// Check one value against its specification. Returns `(code, message, hint)` triples.
pub fn check_value(name: &str, spec: &Parameter, value: &Value) -> Vec<(Code, String, String)> {
    let mut out: Vec<(Code, String, String)> = Vec::new();
    let wrong_type = |expected: &str| {
        (
            Code::ParameterType,
            format!(
                "parameter `{name}` must be {expected}, not {} ({})",
                type_of(value),
                show(value)
            ),
            match value {
                Value::String(s) if expected != "a string" => {
                    format!("write the value without quotes, e.g. `{name}: {s}`")
                }
                _ => String::new(),
            },
        )
    };
    match spec {
        Parameter::String(p) => {
            let Value::String(s) = value else {
                out.push(wrong_type("a string"));
                return out;
            };
            for (code, msg) in string_hazards(&format!("parameter `{name}`"), s) {
                out.push((code, msg, "use plain printable text".to_owned()));
            }
            let n = s.chars().count() as u32;
            if let Some(allowed) = &p.allowed
                && !allowed.iter().any(|a| a == s)
            {
                out.push((
                    Code::ParameterNotAllowed,
                    format!(
                        "parameter `{name}` is {}, which is not one of the allowed values: {}",
                        show(value),
                        allowed.join(", ")
                    ),
                    format!("use one of: {}", allowed.join(", ")),
                ));
            }
            if let Some(min) = p.min_length
                && n < min
            {
                out.push((
                    Code::ParameterRange,
                    format!("parameter `{name}` has {n} characters; at least {min} are required"),
                    String::new(),
                ));
            }
            if let Some(max) = p.max_length
                && n > max
            {
                out.push((
                    Code::ParameterRange,
                    format!("parameter `{name}` has {n} characters; at most {max} are allowed"),
                    String::new(),
                ));
            }
            if let Some(pattern) = &p.pattern {
                match full_match(pattern, s) {
                    Ok(true) => {}
                    Ok(false) => out.push((
                        Code::ParameterPattern,
                        format!(
                            "parameter `{name}` is {}, which does not match the pattern `{pattern}`",
                            show(value)
                        ),
                        p.description.clone(),
                    )),
                    Err(e) => out.push((
                        Code::ManifestInvalidPattern,
                        format!("parameter `{name}` has an invalid pattern `{pattern}`: {e}"),
                        String::new(),
                    )),
                }
            }
        }
        Parameter::Integer(p) => {
            let Some(i) = value.as_i64() else {
                out.push(wrong_type("an integer"));
                return out;
            };
            if let Some(allowed) = &p.allowed
                && !allowed.contains(&i)
            {
                let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
                out.push((
                    Code::ParameterNotAllowed,
                    format!(
                        "parameter `{name}` is {i}, which is not one of the allowed values: {}",
                        list.join(", ")
                    ),
                    format!("use one of: {}", list.join(", ")),
                ));
            }
            out.extend(range_problem(
                name,
                i as f64,
                &i.to_string(),
                p.min.map(|m| m as f64),
                p.max.map(|m| m as f64),
            ));
        }
        Parameter::Number(p) => {
            let Some(f) = value.as_f64() else {
                out.push(wrong_type("a number"));
                return out;
            };
            out.extend(range_problem(name, f, &f.to_string(), p.min, p.max));
        }
        Parameter::Boolean(_) => {
            if !value.is_boolean() {
                out.push(wrong_type("a boolean (true or false)"));
            }
        }
    }
    out
}

/// A `parameter-range` problem when `value` is outside `min..=max`.
fn range_problem(
    name: &str,
    value: f64,
    shown: &str,
    min: Option<f64>,
    max: Option<f64>,
) -> Option<(Code, String, String)> {
    if !(min.is_some_and(|m| value < m) || max.is_some_and(|m| value > m)) {
        return None;
    }
    let range = match (min, max) {
        (Some(a), Some(b)) => format!("{a}..={b}"),
        (Some(a), None) => format!(">= {a}"),
        (None, Some(b)) => format!("<= {b}"),
        (None, None) => String::new(),
    };
    Some((
        Code::ParameterRange,
        format!("parameter `{name}` is {shown}, outside the range {range}"),
        String::new(),
    ))
}

/// The parameters with the manifest's defaults filled in for those not set.
pub fn with_defaults(
    manifest: &Manifest,
    params: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    fill_defaults(manifest, params.clone())
}

/// [`with_defaults`] on parameters the caller gives away: nothing is copied.
pub fn fill_defaults(
    manifest: &Manifest,
    mut params: BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    for (name, spec) in &manifest.parameters {
        if !params.contains_key(name)
            && let Some(d) = spec.default_value()
        {
            params.insert(name.clone(), d);
        }
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_is_compiled_once_and_shared() {
        let a = compiled("[a-z]+-[0-9]{2}").unwrap();
        let b = compiled("[a-z]+-[0-9]{2}").unwrap();
        assert!(
            Arc::ptr_eq(&a, &b),
            "the second use compiled the pattern again"
        );
        assert_eq!(full_match("[a-z]+-[0-9]{2}", "gpu-01"), Ok(true));
        // Anchored at both ends, and alternatives stay inside the anchors.
        assert_eq!(full_match("[a-z]+-[0-9]{2}", "xgpu-012"), Ok(false));
        assert_eq!(full_match("a|b", "ab"), Ok(false));
        assert_eq!(full_match("a|b", "b"), Ok(true));
    }

    #[test]
    fn an_invalid_pattern_is_an_error_every_time() {
        let first = full_match("(unclosed", "x").unwrap_err();
        assert!(first.contains("unclosed"), "{first}");
        assert_eq!(full_match("(unclosed", "x").unwrap_err(), first);
    }
}
