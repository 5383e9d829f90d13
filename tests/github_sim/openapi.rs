//! GitHub's OpenAPI description (the part the simulator serves, `tests/fixtures/github/
//! openapi-used.json`), and a small validator of JSON against its schemas: `$ref`, `type`,
//! `properties`, `required`, `additionalProperties`, `items`, `nullable`, `enum`, `oneOf`,
//! `anyOf` and `allOf`. Formats and lengths are not checked.

use serde_json::Value;
use std::sync::OnceLock;

pub struct Spec {
    doc: Value,
    /// (method, path template split in segments, operation pointer).
    operations: Vec<(String, Vec<String>, String)>,
}

/// The description, read once.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/openapi-used.json"
        );
        let text = std::fs::read_to_string(path).expect("read openapi-used.json");
        Spec::new(serde_json::from_str(&text).expect("parse openapi-used.json"))
    })
}

impl Spec {
    fn new(doc: Value) -> Spec {
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                let segments = path.trim_start_matches('/').split('/').map(String::from);
                let pointer = format!("/paths/{}/{method}", escape(path));
                operations.push((method.to_uppercase(), segments.collect(), pointer));
            }
        }
        Spec { doc, operations }
    }

    /// An example's value, from `components/examples`.
    pub fn example(&self, name: &str) -> Value {
        self.doc["components"]["examples"][name]["value"].clone()
    }

    /// The operation serving `method path` (path without the API prefix). A parameter at the
    /// end of a template takes the rest of the path (refs and `base...head` have slashes);
    /// the template with the most literal segments wins.
    pub fn operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut best: Option<(usize, &str)> = None;
        for (m, template, pointer) in &self.operations {
            if m != method {
                continue;
            }
            if let Some(score) = matches(template, &segs)
                && best.is_none_or(|(b, _)| score > b)
            {
                best = Some((score, pointer));
            }
        }
        let (_, pointer) = best?;
        Some((pointer, self.doc.pointer(pointer)?))
    }

    /// Checks a response body against the operation's schema for `status`. A status the
    /// operation does not document is checked, for errors, against `basic-error`.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Vec<String> {
        let Some((pointer, op)) = self.operation(method, path) else {
            return vec![format!(
                "{method} {path}: no such operation in the OpenAPI description"
            )];
        };
        let response = match op["responses"].get(status.to_string()) {
            Some(r) => self.resolve(r),
            None if status >= 400 => {
                let mut errors = Vec::new();
                let schema = json_ref("#/components/schemas/basic-error");
                self.validate(&schema, body, "$", &mut errors);
                return prefix(errors, method, path, status);
            }
            None => {
                return vec![format!(
                    "{method} {path}: status {status} is not documented for {pointer}"
                )];
            }
        };
        let Some(schema) = response
            .get("content")
            .and_then(|c| c.get("application/json"))
            .and_then(|c| c.get("schema"))
        else {
            return match (body.is_null(), status >= 400) {
                (true, _) => Vec::new(),
                // GitHub documents some errors without a body, but sends its usual one.
                (false, true) => {
                    let mut errors = Vec::new();
                    let schema = json_ref("#/components/schemas/basic-error");
                    self.validate(&schema, body, "$", &mut errors);
                    prefix(errors, method, path, status)
                }
                (false, false) => vec![format!(
                    "{method} {path}: {status} documents no JSON body but one was sent"
                )],
            };
        };
        let mut errors = Vec::new();
        self.validate(schema, body, "$", &mut errors);
        prefix(errors, method, path, status)
    }

    /// Checks a request body against the operation's request schema.
    pub fn check_request(&self, method: &str, path: &str, body: &Value) -> Vec<String> {
        let Some((_, op)) = self.operation(method, path) else {
            return vec![format!(
                "{method} {path}: no such operation in the OpenAPI description"
            )];
        };
        let Some(schema) = op
            .get("requestBody")
            .map(|b| self.resolve(b))
            .and_then(|b| b.pointer("/content/application~1json/schema"))
        else {
            return Vec::new();
        };
        let mut errors = Vec::new();
        self.validate(schema, body, "$", &mut errors);
        errors
            .into_iter()
            .map(|e| format!("{method} {path}: request body: {e}"))
            .collect()
    }

    fn resolve<'a>(&'a self, mut node: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match node.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    node = self
                        .doc
                        .pointer(r.trim_start_matches('#'))
                        .unwrap_or_else(|| panic!("dangling $ref {r}"));
                }
                None => return node,
            }
        }
        panic!("$ref loop");
    }

    /// Validates `value` against `schema`, pushing one line per mismatch.
    pub fn validate(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if value.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                self.validate(s, value, at, errors);
            }
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            if let Some(options) = schema.get(key).and_then(Value::as_array) {
                let passing = options
                    .iter()
                    .filter(|s| {
                        let mut e = Vec::new();
                        self.validate(s, value, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                if passing == 0 || (exactly_one && passing > 1) {
                    errors.push(format!(
                        "{at}: matches {passing} of the {key} alternatives: {}",
                        short(value)
                    ));
                }
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            errors.push(format!(
                "{at}: {} is not one of {}",
                short(value),
                Value::Array(allowed.clone())
            ));
        }
        let ty = schema.get("type").and_then(Value::as_str).or_else(|| {
            (schema.get("properties").is_some() || schema.get("required").is_some())
                .then_some("object")
        });
        let Some(ty) = ty else { return };
        let ok = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => panic!("unknown type {other}"),
        };
        if !ok {
            errors.push(format!("{at}: expected {ty}, got {}", short(value)));
            return;
        }
        if let Some(obj) = value.as_object() {
            let props = schema.get("properties").and_then(Value::as_object);
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !obj.contains_key(name) {
                    errors.push(format!("{at}: missing required field `{name}`"));
                }
            }
            for (k, v) in obj {
                let here = format!("{at}.{k}");
                match props.and_then(|p| p.get(k)) {
                    Some(s) => self.validate(s, v, &here, errors),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errors.push(format!("{at}: field `{k}` is not allowed"))
                        }
                        Some(s @ Value::Object(_)) => self.validate(s, v, &here, errors),
                        _ => {}
                    },
                }
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
            for (i, v) in arr.iter().enumerate() {
                self.validate(items, v, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

fn matches(template: &[String], segs: &[&str]) -> Option<usize> {
    let mut literals = 0;
    for (i, t) in template.iter().enumerate() {
        let is_param = t.starts_with('{');
        let last = i + 1 == template.len();
        match segs.get(i) {
            None => return None,
            Some(s) if is_param => {
                if s.is_empty() {
                    return None;
                }
                if last {
                    return Some(literals);
                }
            }
            Some(s) if s == t => literals += 1,
            Some(_) => return None,
        }
    }
    (segs.len() == template.len()).then_some(literals)
}

fn escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

fn json_ref(r: &str) -> Value {
    serde_json::json!({ "$ref": r })
}

fn prefix(errors: Vec<String>, method: &str, path: &str, status: u16) -> Vec<String> {
    errors
        .into_iter()
        .map(|e| format!("{method} {path} -> {status}: {e}"))
        .collect()
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!("{}...", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}
