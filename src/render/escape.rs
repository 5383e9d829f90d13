//! Escaping of interpolated values for the target language. Tera applies one of these to every
//! `{{ ... }}` string output (autoescape is on for every template), so a value can only ever
//! become the contents of a string literal: templates put string values inside quotes
//! (`'...'` in Bicep, `"..."` in HCL).

/// Escape for the inside of a Bicep single-quoted string: `\` -> `\\`, `'` -> `\'`, newline,
/// carriage return and tab -> `\n`, `\r`, `\t`, and `${` -> `\${` (no interpolation).
/// Other control characters are rejected by parameter validation before rendering; should one
/// get here it is written as `\u{..}`.
pub fn bicep_string(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Escape for the inside of an HCL (Terraform) double-quoted string: `\` -> `\\`, `"` -> `\"`,
/// newline, carriage return and tab -> `\n`, `\r`, `\t`, `${` -> `$${` and `%{` -> `%%{`
/// (no interpolation and no template directive). Other control characters become `\uNNNN`.
pub fn hcl_string(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 8);
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("$$"),
            '%' if chars.peek() == Some(&'{') => out.push_str("%%"),
            c if c.is_control() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04X}", unit));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bicep_escapes() {
        assert_eq!(bicep_string(r"a'b\c${d}"), r"a\'b\\c\${d}");
        assert_eq!(bicep_string("x\ny\tz\r"), r"x\ny\tz\r");
        assert_eq!(bicep_string("$x {y} $"), "$x {y} $");
    }

    #[test]
    fn hcl_escapes() {
        assert_eq!(hcl_string(r#"a"b\c${d}%{e}"#), r#"a\"b\\c$${d}%%{e}"#);
        assert_eq!(hcl_string("$${x}"), "$$${x}");
        assert_eq!(hcl_string("x\ny"), r"x\ny");
        assert_eq!(hcl_string("\u{1}"), r"\u0001");
    }
}
