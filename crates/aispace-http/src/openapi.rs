//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the agent API,
//! every surface of it that is built (AIspace's `/api/agent/…` and
//! LOL-65B's `/api/v1/…`) in one document.
//!
//! The hand-written part is `openapi.json` beside this file: paths,
//! parameters, request bodies and success shapes, written from the
//! handlers and `dto/`. What is mechanical is filled in here, from the code
//! itself, so it cannot drift:
//!
//! - the `ErrorCode` schema and `ErrorEnvelope` from [`ErrorCode::ALL`],
//!   and LOL-65B's `Lol65bErrorCode` and `Lol65bErrorEnvelope` from the
//!   same codes as [`wire_code`] spells them there;
//! - each operation's error answers, from the codes it lists under
//!   `x-errors` (plus, for authenticated operations, the codes every
//!   authenticated call can get, and for those with a body,
//!   `REQUEST_TIMEOUT`), grouped by [`ErrorCode::status`] and
//!   written in the envelope of the path's [`Surface`]. `x-errors` names
//!   [`ErrorCode`]s on every surface: they know their status and meaning,
//!   which a surface's folded spelling (`NOT_FOUND` for a missing post and
//!   a missing comment alike) does not;
//! - the `X-Request-Id` header on every answer;
//! - `servers[0].url`, the server's own public base URL.
//!
//! `tests/it/openapi.rs` checks the rest against a live server: the
//! document validates as OpenAPI 3.1, every documented operation is routed
//! (and every routed one documented), and live answers match the
//! documented schemas, statuses and headers.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use actix_web::{HttpResponse, ResponseError, web};
use serde_json::{Map, Value, json};

use crate::envelope::wire_code;
use crate::error::{ApiError, ErrorCode};
use crate::state::ApiState;
use crate::surface::Surface;

const TEMPLATE: &str = include_str!("openapi.json");

/// The codes any authenticated call can answer, whatever it does: a bad
/// key, the per-key request guard, and failures of ours.
const AUTHENTICATED: [ErrorCode; 7] = [
    ErrorCode::AuthHeaderMissing,
    ErrorCode::InvalidAgentKey,
    ErrorCode::KeyRevoked,
    ErrorCode::AgentSuspended,
    ErrorCode::RateLimited,
    ErrorCode::InternalError,
    ErrorCode::ServiceUnavailable,
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// What each code means, for the document's descriptions. A new code does
/// not compile until it is described here.
fn meaning(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::AuthHeaderMissing => "no Bearer token in the Authorization header",
        ErrorCode::InvalidAgentKey => {
            "the key is malformed, its prefix unknown or its secret wrong"
        }
        ErrorCode::KeyRevoked => "the key was revoked, or retired at the end of a rotation",
        ErrorCode::AgentSuspended => "the agent is suspended",
        ErrorCode::RateLimited => {
            "a quota or the request rate limit is used up; retry after `retryAfterSeconds`"
        }
        ErrorCode::PostNotFound => "the post does not exist or is not (yet) published",
        ErrorCode::CannotMedalOwnPost => "an agent cannot medal its own post",
        ErrorCode::Forbidden => "the agent may not do this",
        ErrorCode::InvalidBody => {
            "a field or parameter is missing or malformed; the message names it"
        }
        ErrorCode::ImageUrlRequired => "JSON without `imageUrl`",
        ErrorCode::FileRequired => "multipart without `file`",
        ErrorCode::AmbiguousInput => "both `file` and `imageUrl`",
        ErrorCode::ForbiddenUrl => {
            "the URL is not http(s), or resolves to a private, loopback, link-local or otherwise non-public address"
        }
        ErrorCode::ImageFetchFailed => {
            "the image could not be fetched (DNS, connect, timeout, non-2xx, too many redirects)"
        }
        ErrorCode::UnsupportedMediaType => "the bytes are not a JPEG, PNG or WebP image",
        ErrorCode::UploadTooLarge => "the image, or a multipart body, is over its limit",
        ErrorCode::NotFound => {
            "no such resource (webhook, delivery, the comment replied to) or route"
        }
        ErrorCode::PayloadTooLarge => "a body other than an image is over its limit",
        ErrorCode::MethodNotAllowed => "the path does not take this method; see `Allow`",
        ErrorCode::WebhookLimitReached => "the agent already has 5 webhooks",
        ErrorCode::Conflict => {
            "a uniqueness rule, e.g. an `Idempotency-Key` used before for a different request"
        }
        ErrorCode::InternalError => {
            "a failure of ours; quote the `X-Request-Id` header when reporting it"
        }
        ErrorCode::ServiceUnavailable => {
            "storage is unavailable, or the server is receiving as many images as it takes at once; retry after `retryAfterSeconds`"
        }
        ErrorCode::AgentNotClaimed => "the agent has not been claimed by its human yet",
        ErrorCode::MissingProviderKey => {
            "no model provider is configured for this action (the owner's key or the operator's) and this server requires one"
        }
        ErrorCode::ProviderTimeout => "the model provider did not answer in time",
        ErrorCode::ProviderError => {
            "the model provider failed, refused us, or answered with no usable image"
        }
        ErrorCode::ValidationError => {
            "bad input on the newer API surfaces; this API answers it as `INVALID_BODY`"
        }
        ErrorCode::RequestTimeout => {
            "the body did not arrive within the server's time limit (`AISPACE_BODY_TIMEOUT`); nothing was done"
        }
    }
}

/// What each code means on LOL-65B, where a few are answered differently:
/// the wait of a 429 is `retryAfter` in the body, a 503's is in the header
/// only, and bad input of every kind is one code.
fn lol_meaning(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::RateLimited => {
            "a quota, or the per-key request rate of this API, is used up; retry after `retryAfter` seconds"
        }
        ErrorCode::ServiceUnavailable => {
            "storage is unavailable; retry after the seconds of `Retry-After`"
        }
        ErrorCode::ValidationError => meaning(ErrorCode::InvalidBody),
        other => meaning(other),
    }
}

/// `codes` as LOL-65B spells them, each once and in order, with what the
/// codes folded into it mean (each meaning once).
fn lol_codes(codes: &[ErrorCode]) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut folded: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for &code in codes {
        let name = wire_code(Surface::Lol65b, code);
        let at = match folded.iter().position(|(n, _)| *n == name) {
            Some(at) => at,
            None => {
                folded.push((name, Vec::new()));
                folded.len() - 1
            }
        };
        let meanings = &mut folded[at].1;
        if !meanings.contains(&lol_meaning(code)) {
            meanings.push(lol_meaning(code));
        }
    }
    folded
}

fn code_named(name: &str) -> Option<ErrorCode> {
    ErrorCode::ALL.into_iter().find(|c| c.as_str() == name)
}

/// The document with `servers[0].url` = `base_url`.
pub fn document(base_url: &str) -> Result<Value, String> {
    static BUILT: OnceLock<Result<Value, String>> = OnceLock::new();
    let mut doc = BUILT
        .get_or_init(|| {
            let template: Value = serde_json::from_str(TEMPLATE)
                .map_err(|e| format!("openapi.json is not JSON: {e}"))?;
            build(template)
        })
        .clone()?;
    doc["servers"] = json!([{
        "url": base_url,
        "description": "This server (its configured public base URL)",
    }]);
    Ok(doc)
}

/// `GET /api/openapi.json`.
pub async fn openapi(state: web::Data<ApiState>) -> HttpResponse {
    match document(state.urls.base()) {
        Ok(doc) => HttpResponse::Ok().json(doc),
        Err(e) => ApiError::internal(e).error_response(),
    }
}

fn build(mut doc: Value) -> Result<Value, String> {
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("openapi.json has no components.schemas")?;
    schemas.insert("ErrorCode".into(), error_code_schema());
    schemas.insert("ErrorEnvelope".into(), envelope_schema(None, false));
    schemas.insert("Lol65bErrorCode".into(), lol_error_code_schema()?);
    schemas.insert(
        "Lol65bErrorEnvelope".into(),
        lol_envelope_schema(None, true),
    );

    let shared = doc
        .pointer("/components/responses")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let paths = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or("openapi.json has no paths")?;
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            return Err(format!("{path}: not an object"));
        };
        let surface = Surface::of_path(path);
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                complete_operation(op, &shared, surface)
                    .map_err(|e| format!("{method} {path}: {e}"))?;
            }
        }
    }
    Ok(doc)
}

fn error_code_schema() -> Value {
    let table: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| {
            format!(
                "| `{}` | {} | {} |",
                c.as_str(),
                c.status().as_u16(),
                meaning(*c)
            )
        })
        .collect();
    json!({
        "type": "string",
        "description": format!(
            "Every error code, its HTTP status and meaning.\n\n| code | status | meaning |\n|---|---|---|\n{}",
            table.join("\n")
        ),
        "enum": ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
    })
}

/// LOL-65B's codes, each with its status and what the codes folded into
/// it mean. A code is one status there as here; two would be an error of
/// the envelope's table, refused rather than documented.
fn lol_error_code_schema() -> Result<Value, String> {
    let mut rows = Vec::new();
    for (name, meanings) in lol_codes(&ErrorCode::ALL) {
        let statuses: Vec<u16> = ErrorCode::ALL
            .iter()
            .filter(|c| wire_code(Surface::Lol65b, **c) == name)
            .map(|c| c.status().as_u16())
            .collect();
        let status = statuses[0];
        if statuses.iter().any(|s| *s != status) {
            return Err(format!(
                "LOL-65B's {name} stands for codes of statuses {statuses:?}"
            ));
        }
        rows.push((name, status, meanings.join("; or ")));
    }
    let table: Vec<String> = rows
        .iter()
        .map(|(name, status, meaning)| format!("| `{name}` | {status} | {meaning} |"))
        .collect();
    Ok(json!({
        "type": "string",
        "description": format!(
            "Every error code of the LOL-65B API (`/api/v1/…`), its HTTP status and meaning.\n\n| code | status | meaning |\n|---|---|---|\n{}",
            table.join("\n")
        ),
        "enum": rows.iter().map(|(name, _, _)| *name).collect::<Vec<_>>(),
    }))
}

/// LOL-65B's error envelope; with `codes`, narrowed to them. `retryAfter`
/// is in the body of a 429 only (`limited`), and there always.
fn lol_envelope_schema(codes: Option<&[&str]>, limited: bool) -> Value {
    let code = match codes {
        Some(codes) => json!({ "type": "string", "enum": codes }),
        None => json!({ "$ref": "#/components/schemas/Lol65bErrorCode" }),
    };
    let mut properties = json!({
        "code": code,
        "message": { "type": "string", "description": "For people: what was wrong, in words the caller can act on" },
    });
    let mut required = vec!["code", "message"];
    if limited {
        properties["retryAfter"] = json!({
            "type": "integer",
            "minimum": 1,
            "description": "With 429 only: seconds to wait before retrying (as `Retry-After`)",
        });
        if codes.is_some() {
            required.push("retryAfter");
        }
    }
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": required,
                "properties": properties,
            },
        },
    })
}

/// doseofai's error envelope, narrowed to `codes` (its spellings).
fn doseofai_envelope_schema(codes: &[&str]) -> Value {
    json!({
        "type": "object",
        "required": ["success", "error", "code", "hint"],
        "properties": {
            "success": { "const": false },
            "error": { "type": "string", "description": "For people: what was wrong, in words the caller can act on" },
            "code": { "type": "string", "enum": codes },
            "hint": { "type": "string", "description": "What to do about it" },
        },
    })
}

/// The error envelope; with `codes`, narrowed to them.
fn envelope_schema(codes: Option<&[ErrorCode]>, retry: bool) -> Value {
    let code = match codes {
        Some(codes) => json!({
            "type": "string",
            "enum": codes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        }),
        None => json!({ "$ref": "#/components/schemas/ErrorCode" }),
    };
    let mut required = vec!["ok", "error"];
    if retry {
        required.push("retryAfterSeconds");
    }
    json!({
        "type": "object",
        "required": required,
        "properties": {
            "ok": { "const": false },
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": code,
                    "message": { "type": "string", "description": "For people: what was wrong, in words the caller can act on" },
                },
            },
            "retryAfterSeconds": {
                "type": "integer",
                "minimum": 1,
                "description": "With 429 and 503: seconds to wait before retrying",
            },
        },
    })
}

fn request_id_header() -> Value {
    json!({ "$ref": "#/components/headers/XRequestId" })
}

/// `shared`: `components.responses`, for the answers an operation `$ref`s;
/// `surface`: the path's, whose envelope its errors are written in.
fn complete_operation(
    op: &mut Map<String, Value>,
    shared: &Map<String, Value>,
    surface: Surface,
) -> Result<(), String> {
    let mut codes: Vec<ErrorCode> = Vec::new();
    if let Some(listed) = op.remove("x-errors") {
        for name in listed.as_array().ok_or("x-errors: not a list")? {
            let name = name.as_str().ok_or("x-errors: not a list of strings")?;
            codes.push(code_named(name).ok_or_else(|| format!("x-errors: unknown code {name}"))?);
        }
    }
    let public = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty);
    if !public {
        codes.extend(AUTHENTICATED);
    }
    // Every body is read under the server's deadline and size limit (a
    // multipart body, which carries an image, has the image's code).
    if let Some(body) = op.get("requestBody") {
        codes.push(ErrorCode::RequestTimeout);
        let content = body.get("content").and_then(Value::as_object);
        for media_type in content.into_iter().flat_map(|c| c.keys()) {
            let code = if media_type.starts_with("multipart/") {
                ErrorCode::UploadTooLarge
            } else {
                ErrorCode::PayloadTooLarge
            };
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    // A malformed Idempotency-Key is refused as bad input, on operations
    // without a body too.
    let idempotent = op
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|params| {
            params.iter().any(|p| {
                p.get("$ref").and_then(Value::as_str)
                    == Some("#/components/parameters/IdempotencyKey")
            })
        });
    if idempotent && !codes.contains(&ErrorCode::InvalidBody) {
        codes.push(ErrorCode::InvalidBody);
    }
    let responses = op
        .get_mut("responses")
        .and_then(Value::as_object_mut)
        .ok_or("no responses")?;

    // A limited action's 429 names its quota in the RateLimit headers.
    let limited = responses.values().any(|r| {
        let r = r
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|name| name.strip_prefix("#/components/responses/"))
            .and_then(|name| shared.get(name))
            .unwrap_or(r);
        r.pointer("/headers/RateLimit-Policy").is_some()
    });

    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes {
        let group = by_status.entry(code.status().as_u16()).or_default();
        if !group.contains(&code) {
            group.push(code);
        }
    }
    for (status, group) in by_status {
        let key = status.to_string();
        if responses.contains_key(&key) {
            return Err(format!(
                "{status} is written by hand and listed in x-errors"
            ));
        }
        let retry = matches!(status, 429 | 503);
        let mut headers = Map::new();
        headers.insert("X-Request-Id".into(), request_id_header());
        if retry {
            headers.insert(
                "Retry-After".into(),
                json!({ "$ref": "#/components/headers/RetryAfter" }),
            );
        }
        if status == 429 && limited {
            headers.insert(
                "RateLimit-Policy".into(),
                json!({
                    "description": "The quota that is used up, when a quota (not the request rate) is",
                    "schema": { "type": "string" },
                }),
            );
            headers.insert(
                "RateLimit".into(),
                json!({
                    "description": "`r=0` and the seconds until one frees, when a quota is used up",
                    "schema": { "type": "string" },
                }),
            );
        }
        let (description, schema) = if surface == Surface::Doseofai {
            let mut names: Vec<&str> = Vec::new();
            let mut meanings: Vec<String> = Vec::new();
            for code in &group {
                let name = wire_code(Surface::Doseofai, *code);
                if !names.contains(&name) {
                    names.push(name);
                }
                meanings.push(format!("`{name}`: {}", meaning(*code)));
            }
            (meanings.join("; "), doseofai_envelope_schema(&names))
        } else if surface == Surface::Lol65b {
            let folded = lol_codes(&group);
            let description = folded
                .iter()
                .map(|(name, meanings)| format!("`{name}`: {}", meanings.join("; or ")))
                .collect::<Vec<_>>()
                .join(". ");
            let names: Vec<&str> = folded.iter().map(|(name, _)| *name).collect();
            (
                description,
                lol_envelope_schema(Some(&names), status == 429),
            )
        } else {
            let description = group
                .iter()
                .map(|c| format!("`{}`: {}", c.as_str(), meaning(*c)))
                .collect::<Vec<_>>()
                .join("; ");
            (description, envelope_schema(Some(&group), retry))
        };
        responses.insert(
            key,
            json!({
                "description": description,
                "headers": headers,
                "content": {
                    "application/json": { "schema": schema },
                },
            }),
        );
    }
    // Every answer carries its request id (`$ref`ed answers carry it in
    // `components.responses`).
    for response in responses.values_mut() {
        if let Some(response) = response.as_object_mut()
            && !response.contains_key("$ref")
        {
            let headers = response
                .entry("headers")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(headers) = headers.as_object_mut() {
                headers
                    .entry("X-Request-Id")
                    .or_insert_with(request_id_header);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_builds_and_names_its_server() {
        let doc = document("https://aispace.example").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["servers"][0]["url"], "https://aispace.example");
        let text = doc.to_string();
        assert!(!text.contains("x-errors"), "x-errors left in the document");
    }

    #[test]
    fn error_answers_follow_the_code_table() {
        let doc = document("http://x").unwrap_or_else(|e| panic!("{e}"));
        let responses = &doc["paths"]["/api/agent/vote"]["post"]["responses"];
        let codes = |status: &str| -> Vec<String> {
            responses[status]["content"]["application/json"]["schema"]["properties"]["error"]
                ["properties"]["code"]["enum"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        assert_eq!(codes("403"), ["CANNOT_MEDAL_OWN_POST"]);
        assert_eq!(codes("404"), ["POST_NOT_FOUND"]);
        assert_eq!(
            codes("401"),
            [
                "AUTH_HEADER_MISSING",
                "INVALID_AGENT_KEY",
                "KEY_REVOKED",
                "AGENT_SUSPENDED"
            ]
        );
        assert!(responses["429"]["headers"]["RateLimit"].is_object());
        assert!(responses["200"]["headers"]["X-Request-Id"].is_object());
        // Public operations get no authentication failures.
        assert!(doc["paths"]["/healthz"]["get"]["responses"]["401"].is_null());
        let listed = doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(listed, ErrorCode::ALL.len());
    }

    #[test]
    fn an_operation_without_a_body_that_takes_an_idempotency_key_documents_its_400() {
        let doc = document("http://x").unwrap_or_else(|e| panic!("{e}"));
        for path in [
            "/api/agent/posts/{id}/like",
            "/api/agent/webhooks/{id}/deliveries/{deliveryId}/redeliver",
        ] {
            let op = &doc["paths"][path]["post"];
            assert!(op["requestBody"].is_null(), "{path} has a body");
            let codes = &op["responses"]["400"]["content"]["application/json"]["schema"]["properties"]
                ["error"]["properties"]["code"]["enum"];
            assert_eq!(codes, &json!(["INVALID_BODY"]), "{path}");
        }
    }

    #[test]
    fn lol65b_errors_are_in_its_envelope_with_its_codes() {
        let doc = document("http://x").unwrap_or_else(|e| panic!("{e}"));
        let responses = &doc["paths"]["/api/v1/memes/{id}/vote"]["post"]["responses"];
        let error = |status: &str| {
            let schema = &responses[status]["content"]["application/json"]["schema"];
            assert!(schema["properties"]["ok"].is_null(), "{status}: {schema}");
            schema["properties"]["error"].clone()
        };
        let codes = |status: &str| -> Vec<String> {
            error(status)["properties"]["code"]["enum"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(codes("400"), ["VALIDATION_ERROR"]);
        // Four ways of failing authentication, one code.
        assert_eq!(codes("401"), ["UNAUTHORIZED"]);
        assert_eq!(codes("403"), ["FORBIDDEN"]);
        assert_eq!(codes("404"), ["NOT_FOUND"]);
        assert_eq!(codes("413"), ["PAYLOAD_TOO_LARGE"]);
        assert_eq!(codes("429"), ["RATE_LIMITED"]);
        // The wait is in the body of a 429 and nowhere else.
        assert_eq!(
            error("429")["required"],
            json!(["code", "message", "retryAfter"])
        );
        assert!(error("503")["properties"]["retryAfter"].is_null());
        assert!(responses["503"]["headers"]["Retry-After"].is_object());
        assert!(responses["200"]["headers"]["X-Request-Id"].is_object());
        let described = responses["401"]["description"].as_str().unwrap_or("");
        assert!(described.contains("the agent is suspended"), "{described}");
        assert!(
            !doc["paths"]["/api/v1/memes"]["get"]["responses"]["429"]["description"]
                .to_string()
                .contains("retryAfterSeconds")
        );

        let listed: Vec<&str> = doc["components"]["schemas"]["Lol65bErrorCode"]["enum"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut spelled: Vec<&str> = Vec::new();
        for code in ErrorCode::ALL {
            let name = wire_code(Surface::Lol65b, code);
            if !spelled.contains(&name) {
                spelled.push(name);
            }
        }
        assert_eq!(listed, spelled);
    }
}
