//! Every request input passes through here: JSON bodies, query strings and form bodies. Control
//! characters are refused in one place, whatever the field, and a value that does not fit its
//! field is named in plain words (never a parser's message with lines and columns).

use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Tab, line feed and carriage return belong in text (notes keep their lines); no other control
/// character does. NUL is the one PostgreSQL cannot store.
fn is_refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn check_text(field: &str, value: &str) -> Result<(), AppError> {
    if value.chars().any(is_refused) {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn check_json(path: &str, value: &serde_json::Value) -> Result<(), AppError> {
    use serde_json::Value;
    match value {
        Value::String(text) => check_text(path, text),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_json(&format!("{path}[{i}]"), item)),
        Value::Object(fields) => fields.iter().try_for_each(|(name, item)| {
            check_text("a field's name", name)?;
            let inner = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            check_json(&inner, item)
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// A JSON body: syntax first (400), then an object of text without control characters, then
/// its shape (422, naming the field).
pub fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| AppError::BadRequest {
            code: "malformed_json",
            message: "the body is not valid JSON".to_owned(),
        })?;
    // Every body is an object; serde would also take a struct from a list, field by position.
    if !value.is_object() {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    check_json("", &value)?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        shape_error(&path, &error.into_inner().to_string())
    })
}

/// A query string or form body (`application/x-www-form-urlencoded`).
pub fn from_urlencoded<T: DeserializeOwned>(encoded: &[u8]) -> Result<T, AppError> {
    for (name, value) in form_urlencoded::parse(encoded) {
        // A name with control characters is not echoed back as the field at fault.
        check_text("a field's name", &name)?;
        check_text(&name, &value)?;
    }
    let fields = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded));
    serde_path_to_error::deserialize(fields).map_err(|error| {
        let path = error.path().to_string();
        shape_error(&path, &error.into_inner().to_string())
    })
}

/// Turns a deserializer's complaint about the field at `path` into a plain one.
fn shape_error(path: &str, complaint: &str) -> AppError {
    let within = |name: &str| match path {
        "" | "." => name.to_owned(),
        parent => format!("{parent}.{name}"),
    };
    let field = match path {
        "" | "." => "body".to_owned(),
        field => field.to_owned(),
    };
    if let Some(name) = quoted_after(complaint, "missing field ") {
        return AppError::invalid(&within(name), "is required");
    }
    if let Some(name) = quoted_after(complaint, "unknown field ") {
        let known = complaint
            .split_once("expected one of ")
            .map(|(_, list)| format!("; the fields are {}", list.replace('`', "")))
            .unwrap_or_default();
        // The path already ends at the unknown field.
        let field = if field == "body" {
            name.to_owned()
        } else {
            field
        };
        return AppError::invalid_owned(field, format!("is not a field of this request{known}"));
    }
    if let Some((_, expected)) = complaint.split_once(", expected ") {
        let expected = expected.replace('`', "");
        let message = match expected.strip_prefix("one of ") {
            Some(choices) => format!("must be one of {choices}"),
            None => format!("must be {}", in_words(&expected)),
        };
        return AppError::invalid_owned(field, message);
    }
    if complaint.contains("invalid digit") || complaint.contains("number too large") {
        return AppError::invalid(&field, "must be a whole number in range");
    }
    if complaint.contains("invalid float") {
        return AppError::invalid(&field, "must be a number");
    }
    AppError::invalid(&field, "is not valid here")
}

/// What serde expected, as a person would say it.
fn in_words(expected: &str) -> &str {
    match expected {
        "usize" | "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" => {
            "a whole number in range"
        }
        "f32" | "f64" => "a number",
        "a boolean" | "a string" => expected,
        "a sequence" => "a list",
        other if other.starts_with("struct ") || other.starts_with("a map") => "an object",
        _ => "of another kind",
    }
}

/// The name in backticks after `prefix`: "missing field `title`" → "title".
fn quoted_after<'a>(complaint: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = complaint.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        hours: Option<f64>,
        limit: Option<usize>,
    }

    fn refusal<T: std::fmt::Debug>(result: Result<T, AppError>) -> (String, String) {
        let error = result.expect_err("refused");
        let body = error.body();
        (body.error.field.unwrap_or_default(), body.error.message)
    }

    #[test]
    fn json_errors_name_the_field_in_plain_words() {
        let cases: [(&str, &str, &str); 6] = [
            (r#"{"hours": 2}"#, "title", "title is required"),
            (r#"{"title": 5}"#, "title", "title must be a string"),
            (
                r#"{"title": "t", "colour": "red"}"#,
                "colour",
                "colour is not a field of this request; the fields are title, hours, limit",
            ),
            (
                r#"{"title": "a\u0000b"}"#,
                "title",
                "title must not contain control characters",
            ),
            (
                r#"{"title": "t", "limit": -1}"#,
                "limit",
                "limit must be a whole number in range",
            ),
            (r#"[1]"#, "body", "body must be a JSON object"),
        ];
        for (body, field, message) in cases {
            let (got_field, got_message) = refusal(from_json::<Body>(body.as_bytes()));
            assert_eq!(
                (got_field.as_str(), got_message.as_str()),
                (field, message),
                "{body}"
            );
            assert!(!got_message.contains("line"), "{got_message}");
        }
        let malformed = from_json::<Body>(b"{").expect_err("refused");
        assert_eq!(malformed.code(), "malformed_json");
    }

    #[test]
    fn text_keeps_its_lines_but_no_other_control_character() {
        let body: Body = from_json(br#"{"title": "two\nlines\tand a tab\r"}"#).expect("accepted");
        assert_eq!(body.title, "two\nlines\tand a tab\r");
        for refused in ["\u{0}", "\u{7}", "\u{1b}", "\u{7f}", "\u{85}"] {
            let raw = serde_json::json!({ "title": format!("a{refused}b") }).to_string();
            assert!(from_json::<Body>(raw.as_bytes()).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn query_strings_are_checked_alike() {
        let (field, message) = refusal(from_urlencoded::<Body>(b"title=a%00b"));
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("title", "title must not contain control characters")
        );
        let (field, message) = refusal(from_urlencoded::<Body>(b"title=t&limit=lots"));
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("limit", "limit must be a whole number in range")
        );
        let body: Body = from_urlencoded(b"title=caf%C3%A9&hours=1.5").expect("accepted");
        assert_eq!((body.title.as_str(), body.hours), ("café", Some(1.5)));
    }
}
