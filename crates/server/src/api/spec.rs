//! The OpenAPI document as clients get it: utoipa's, made exact where the handlers' annotations
//! cannot say it once for all. Every operation documents the errors any request may meet (a
//! missing token, a malformed body, the database away), and every text value says what the
//! server checks: no control characters, text that is trimmed and then required, and the formats
//! and choices of known fields.

use medvault_domain::AuditAction;
use serde_json::{Map, Value, json};

/// One line of text: names, titles, emails and every filter.
const LINE: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// Text the server trims and then requires: at least `min` characters between the first and the
/// last visible one, and no control characters (line breaks too, unless `lines`).
fn trimmed(min: usize, lines: bool) -> String {
    let inner = if lines {
        "[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]"
    } else {
        "[^\\u0000-\\u001F\\u007F-\\u009F]"
    };
    let visible = "[^\\s\\u0000-\\u001F\\u007F-\\u009F]";
    // What is trimmed, and no control character besides.
    let edge = "[ \\t\\n\\r]";
    match min {
        0 | 1 => format!("^{edge}*{visible}({inner}*{visible})?{edge}*$"),
        n => format!("^{edge}*{visible}{inner}{{{},}}{visible}{edge}*$", n - 2),
    }
}

/// A day, or a time in RFC 3339, or nothing: the audit trail's `since` and `until`.
const DAY_OR_TIME: &str = "^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])([Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?([Zz]|[+-][01][0-9]:[0-5][0-9]))?)?$";

/// A day from 1850 to 2025 (any past day the server takes, and no future one), or nothing.
const DAY_OR_BLANK: &str =
    "^((18[5-9][0-9]|19[0-9]{2}|20[0-2][0-5])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$";

/// A blank value, or a UUID: the ids and list cursors of this API.
const UUID_OR_BLANK: &str =
    "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$";

/// One action the trail records, or several separated by commas, or nothing.
fn actions_pattern() -> String {
    let codes: Vec<String> = AuditAction::ALL
        .iter()
        .map(|action| action.as_str().replace('.', "\\."))
        .collect();
    let one = format!("({})", codes.join("|"));
    format!("^({one}(,{one})*)?$")
}

/// What some fields take, beyond their type. `owner` is a body's schema, or the resource
/// (`users`, `audit`, `access-report`…) whose parameters these are.
fn refinement(owner: &str, field: &str) -> Option<Value> {
    let roles = json!(["admin", "doctor", "trainee", "intern", "patient"]);
    Some(match (owner, field) {
        ("RecordBody", "notes") => json!({ "pattern": trimmed(1, true) }),
        ("RecordBody", "kind") => json!({"enum": [
            "", "progress_note", "diagnosis", "procedure", "discharge_summary", "other", null
        ]}),
        ("BreakGlassBody", "reason") => json!({ "pattern": trimmed(10, true) }),
        ("EnteredInErrorBody", "reason") => json!({ "pattern": trimmed(5, false) }),
        (_, "title" | "name") if owner.ends_with("Body") => json!({ "pattern": trimmed(1, false) }),
        // Blank is no number; else 3 to 32 of digits, spaces and -().
        ("ProfileBody", "phone" | "emergency_contact_phone") => json!({
            "pattern": "^(\\+?[0-9][0-9 ().-]{1,29}[0-9)])?$", "maxLength": 32
        }),
        // May span lines; blank clears it.
        ("ProfileBody", "address_line") => json!({
            "pattern": "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
        }),
        ("ProfileBody", "postal_code") => json!({
            "pattern": "^([A-Za-z0-9][A-Za-z0-9 -]{0,18}[A-Za-z0-9])?$"
        }),
        ("ProfileBody", "preferred_language") => json!({
            "pattern": "^([A-Za-z]{2,3}([-_][A-Za-z]{4})?([-_]([A-Za-z]{2}|[0-9]{3}))?)?$"
        }),
        ("AllergyBody", "severity") => json!({"enum": ["", "mild", "moderate", "severe"]}),
        ("AllergyBody", "status") => json!({"enum": ["active", "inactive", "resolved"]}),
        ("ProblemBody", "status") => json!({"enum": ["active", "resolved"]}),
        ("ProblemBody", "onset") => json!({ "pattern": DAY_OR_BLANK }),
        ("patients", "mrn") => json!({"pattern": "^(([Mm][Vv]-)?[0-9]{1,18})?$"}),
        ("audit", "action") => json!({ "pattern": actions_pattern() }),
        ("audit", "since" | "until") => json!({ "pattern": DAY_OR_TIME }),
        ("audit" | "access-report", "cursor") => json!({"pattern": "^[0-9]{0,18}$"}),
        ("RegisterBody", "role") => json!({"enum": ["patient", "doctor"]}),
        ("NewUserBody", "role") => json!({ "enum": roles }),
        ("users", "role") => {
            json!({"enum": ["", "admin", "doctor", "trainee", "intern", "patient"]})
        }
        ("users", "status") => json!({"enum": ["", "pending", "active", "deactivated"]}),
        ("ProfileBody", "sex") => {
            json!({"enum": ["female", "male", "other", "unknown"]})
        }
        ("ProfileBody" | "patients", "birth_date") => json!({ "pattern": DAY_OR_BLANK }),
        ("audit", "outcome") => json!({"enum": ["", "success", "denied", "failure"]}),
        (_, "cursor") | ("audit", "actor_id" | "patient_id") => {
            json!({ "pattern": UUID_OR_BLANK })
        }
        (_, "email") if owner.ends_with("Body") => json!({"format": "email"}),
        (_, "doctor_id" | "trainee_id" | "intern_id") => json!({"format": "uuid"}),
        _ => return None,
    })
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Adds `status` to an operation's responses unless it names it already.
fn answer(operation: &mut Map<String, Value>, status: &str, description: &str) {
    if let Some(Value::Object(responses)) = operation.get_mut("responses") {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| error(description));
    }
}

fn is_string(schema: &Map<String, Value>) -> bool {
    match schema.get("type") {
        Some(Value::String(kind)) => kind == "string",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "string"),
        _ => false,
    }
}

/// Gives a string schema its refinement, or else the rule every text follows.
fn refine(schema: &mut Value, owner: &str, field: &str) {
    let Value::Object(schema) = schema else {
        return;
    };
    if !is_string(schema) {
        return;
    }
    match refinement(owner, field) {
        Some(Value::Object(extra)) => schema.extend(extra),
        _ => {
            schema
                .entry("pattern")
                .or_insert_with(|| Value::String(LINE.to_owned()));
        }
    }
}

/// The document's JSON, made exact.
pub fn document(openapi: &utoipa::openapi::OpenApi) -> Value {
    let mut document = serde_json::to_value(openapi).unwrap_or(Value::Null);
    if let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") {
        // Request bodies only: what the server sends back is not bound by what it accepts.
        for (name, schema) in schemas
            .iter_mut()
            .filter(|(name, _)| name.ends_with("Body"))
        {
            if name == "ErrorBody" {
                continue;
            }
            if let Some(Value::Object(properties)) = schema.get_mut("properties") {
                for (field, property) in properties.iter_mut() {
                    refine(property, name, field);
                }
            }
        }
    }
    if let Some(Value::Object(paths)) = document.get_mut("paths") {
        for (path, item) in paths.iter_mut() {
            // Parameters are refined by the resource they belong to: the first segment of the
            // path, or its last where that names a list of its own (an access report).
            let segments: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
            let resource = match segments.last() {
                Some(&"access-report") => "access-report",
                _ => segments.first().copied().unwrap_or_default(),
            }
            .to_owned();
            let Value::Object(item) = item else { continue };
            for (method, operation) in item.iter_mut() {
                let Value::Object(operation) = operation else {
                    continue;
                };
                describe(operation, method, path, &resource);
            }
        }
    }
    document
}

fn describe(operation: &mut Map<String, Value>, method: &str, path: &str, resource: &str) {
    if let Some(Value::Array(parameters)) = operation.get_mut("parameters") {
        for parameter in parameters.iter_mut() {
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            if let Some(schema) = parameter.get_mut("schema") {
                refine(schema, resource, &name);
            }
        }
    }
    let secured = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|security| !security.is_empty());
    if secured {
        answer(operation, "401", "No token, or its session has ended");
    }
    let has_query = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    if operation.contains_key("requestBody") {
        answer(operation, "400", "The body is not JSON");
        answer(operation, "413", "The body is over 1 MiB");
        answer(operation, "415", "The body is not sent as application/json");
        answer(operation, "422", "A field is missing, unknown or not valid");
    } else if has_query {
        answer(operation, "422", "A filter or paging value is not valid");
    }
    if path.contains('{') {
        answer(
            operation,
            "404",
            "No such resource, or not one the caller may see",
        );
        answer(
            operation,
            "403",
            "The caller may see this chart but not do this to it",
        );
    }
    if method == "post" && matches!(path, "/api/v1/auth/login" | "/api/v1/auth/password") {
        answer(
            operation,
            "429",
            "Too many wrong passwords; wait as Retry-After says",
        );
    }
    answer(
        operation,
        "503",
        "The database did not answer in time (`unavailable`), or the request ran past its \
         deadline (`timed_out`: 30 s, 15 minutes for an upload)",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_the_errors_any_request_may_meet() {
        let (_, openapi) = crate::api::router();
        let document = document(&openapi);
        let paths = document["paths"].as_object().expect("paths");
        for (path, item) in paths {
            for (method, operation) in item.as_object().expect("item") {
                let responses = operation["responses"].as_object().expect("responses");
                assert!(responses.contains_key("503"), "{method} {path}");
                if operation
                    .get("security")
                    .is_some_and(|s| s.as_array().is_some_and(|s| !s.is_empty()))
                {
                    assert!(responses.contains_key("401"), "{method} {path}");
                }
                if operation.get("requestBody").is_some() {
                    for status in ["400", "413", "415", "422"] {
                        assert!(responses.contains_key(status), "{method} {path} {status}");
                    }
                }
            }
        }
        let role = &document["components"]["schemas"]["RegisterBody"]["properties"]["role"];
        assert_eq!(role["enum"], json!(["patient", "doctor"]));
        let notes = &document["components"]["schemas"]["RecordBody"]["properties"]["notes"];
        assert_eq!(notes["pattern"], trimmed(1, true));
        let reason = &document["components"]["schemas"]["BreakGlassBody"]["properties"]["reason"];
        assert!(
            reason["pattern"]
                .as_str()
                .is_some_and(|p| p.contains("{8,}"))
        );
        let email = &document["components"]["schemas"]["LoginBody"]["properties"]["password"];
        assert_eq!(email["pattern"], LINE);
        let pattern = actions_pattern();
        assert!(
            pattern.contains("chart\\.view") && pattern.starts_with("^("),
            "{pattern}"
        );
    }
}
