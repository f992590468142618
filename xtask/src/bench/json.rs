//! Just enough JSON for the results file and the answers the bench reads,
//! std only.

use std::fmt::Write as _;

#[derive(Debug, Clone)]
pub enum Json {
    Null,
    Bool(bool),
    Int(u64),
    /// Written with at most 3 decimals; NaN and infinities as `null`.
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn obj<const N: usize>(fields: [(&str, Json); N]) -> Json {
        Json::Obj(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    pub fn opt<T>(value: Option<T>, f: impl FnOnce(T) -> Json) -> Json {
        value.map_or(Json::Null, f)
    }

    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Json::Num(x) if x.is_finite() => {
                let _ = write!(out, "{}", (x * 1000.0).round() / 1000.0);
            }
            Json::Num(_) => out.push_str("null"),
            Json::Str(s) => write_string(out, s),
            Json::Arr(items) => write_seq(out, depth, '[', ']', items, |out, item| {
                item.write(out, depth + 1);
            }),
            Json::Obj(fields) => write_seq(out, depth, '{', '}', fields, |out, (k, v)| {
                write_string(out, k);
                out.push_str(": ");
                v.write(out, depth + 1);
            }),
        }
    }
}

fn write_seq<T>(
    out: &mut String,
    depth: usize,
    open: char,
    close: char,
    items: &[T],
    mut each: impl FnMut(&mut String, &T),
) {
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    for (i, item) in items.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&"  ".repeat(depth + 1));
        each(out, item);
    }
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
    out.push(close);
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The string value of the first `"field"` in a JSON text: enough for the
/// small answers the bench reads (the CLI's `key`, a new post's `postId`);
/// a parser would be a dependency.
pub fn string_field(json: &str, field: &str) -> Option<String> {
    let after_name = json.split_once(&format!("\"{field}\""))?.1;
    let value = after_name.trim_start().strip_prefix(':')?.trim_start();
    let mut chars = value.strip_prefix('"')?.chars();
    let mut out = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                // Keys are ASCII; a \u escape here would mean a changed format.
                'u' => return None,
                c => out.push(c),
            },
            c => out.push(c),
        }
    }
}

/// The integer value of the first `"field"` in a JSON text, as
/// [`string_field`] reads strings (a vote's `agentVote`).
pub fn int_field(json: &str, field: &str) -> Option<i64> {
    let after_name = json.split_once(&format!("\"{field}\""))?.1;
    let value = after_name.trim_start().strip_prefix(':')?.trim_start();
    let digits = value.strip_prefix('-').unwrap_or(value);
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    // A fraction or exponent would make it another number.
    if end == 0 || matches!(digits[end..].chars().next(), Some('.' | 'e' | 'E')) {
        return None;
    }
    value[..value.len() - digits.len() + end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_values_and_escapes() {
        let json = Json::obj([
            ("name", Json::str("a \"b\"\\\n\u{1}é")),
            ("n", Json::Int(3)),
            ("x", Json::Num(0.123_456)),
            ("bad", Json::Num(f64::NAN)),
            ("list", Json::Arr(vec![Json::Bool(true), Json::Null])),
            ("empty", Json::Obj(Vec::new())),
        ]);
        assert_eq!(
            json.pretty(),
            "{\n  \"name\": \"a \\\"b\\\"\\\\\\n\\u0001é\",\n  \"n\": 3,\n  \"x\": 0.123,\n  \
             \"bad\": null,\n  \"list\": [\n    true,\n    null\n  ],\n  \"empty\": {}\n}\n"
        );
    }

    #[test]
    fn reads_string_fields_of_the_cli_json() {
        let json = r#"{"id":"c123","handle":"bench-1","key":"asp_ab12.x_Y-z"}"#;
        assert_eq!(string_field(json, "key").as_deref(), Some("asp_ab12.x_Y-z"));
        assert_eq!(string_field(json, "handle").as_deref(), Some("bench-1"));
        let spaced = "{ \"key\" : \"a\\\"b\" }\n";
        assert_eq!(string_field(spaced, "key").as_deref(), Some("a\"b"));
        assert_eq!(string_field(json, "secret"), None);
        assert_eq!(string_field(r#"{"key":12}"#, "key"), None);
        assert_eq!(string_field(r#"{"key":"cut"#, "key"), None);
    }

    #[test]
    fn reads_integer_fields_of_a_vote_answer() {
        let json = r#"{"score":-3,"agentVote":1}"#;
        assert_eq!(int_field(json, "agentVote"), Some(1));
        assert_eq!(int_field(json, "score"), Some(-3));
        assert_eq!(int_field("{ \"agentVote\" : -1 }", "agentVote"), Some(-1));
        assert_eq!(int_field(r#"{"data":{"score":12}}"#, "score"), Some(12));
        for bad in [
            r#"{"agentVote":null}"#,
            r#"{"agentVote":"1"}"#,
            r#"{"agentVote":1.5}"#,
            r#"{"agentVote":1e2}"#,
            r#"{"agentVote":-}"#,
            r#"{"agentVote":}"#,
            r#"{"score":1}"#,
        ] {
            assert_eq!(int_field(bad, "agentVote"), None, "{bad}");
        }
    }
}
