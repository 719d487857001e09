//! `application/problem+json` answers, shaped as Konnect's `BaseError` / `BadRequestError`.

use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use konnect::{InvalidParameter, ProblemDetails};
use serde_json::json;

use crate::limits;

/// An error answer of a Konnect-native endpoint. Boxed: it is the error of most results here,
/// and a small `Err` keeps every `Ok` path small too.
#[derive(Debug, Clone)]
pub struct Problem(pub Box<ProblemDetails>);

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem(Box::new(ProblemDetails {
            status: status.as_u16(),
            title: title_for(status).to_string(),
            problem_type: Some(format!("https://httpstatuses.com/{}", status.as_u16())),
            instance: trace_id(),
            detail: detail.into(),
            invalid_parameters: vec![],
        }))
    }

    pub fn bad_request(detail: impl Into<String>, invalid: Vec<InvalidParameter>) -> Self {
        let mut p = Problem::new(StatusCode::BAD_REQUEST, detail);
        p.0.invalid_parameters = invalid;
        p
    }

    pub fn unauthenticated() -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "A valid token is required")
    }

    pub fn not_found(what: &str) -> Self {
        Problem::new(StatusCode::NOT_FOUND, format!("The requested {what} was not found."))
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }

    /// 400 for a path id that is not a UUID, worded as Konnect words it.
    pub fn invalid_id(field: &str) -> Self {
        Problem::bad_request(
            "Request contains invalid ID format",
            vec![InvalidParameter {
                field: field.into(),
                rule: Some("is_uuid".into()),
                reason: "invalid ID format".into(),
                ..blank_param()
            }],
        )
    }
}

pub fn blank_param() -> InvalidParameter {
    InvalidParameter {
        field: String::new(),
        rule: None,
        reason: String::new(),
        source: None,
        minimum: None,
        maximum: None,
        choices: None,
    }
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad Request",
        401 => "Unauthenticated",
        403 => "Permission denied",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

fn trace_id() -> String {
    format!("konnect:trace:{}", rand::random::<u64>() >> 1)
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

/// Whether a request path is under `/v2/control-planes/{id}/core-entities/`, whose errors are
/// Kong's config error bodies rather than problem+json.
pub fn is_core_entities(path: &str) -> bool {
    let mut seg = path.split('/').filter(|s| !s.is_empty());
    seg.next() == Some("v2")
        && seg.next() == Some("control-planes")
        && seg.next().is_some()
        && seg.next() == Some("core-entities")
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ct.starts_with("application/json") || ct.starts_with("application/problem+json")
    })
}

/// Middleware, outermost: every error answer is JSON in the shape of the API it belongs to.
/// axum's own rejections (a body over the limit, a path segment that is not UTF-8, a query it
/// cannot read, a method the path does not take) are plain text or empty; they are rewritten
/// here, keeping their status and headers such as `Allow`. JSON answers pass untouched.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let core_entities = is_core_entities(req.uri().path());
    let method = req.method().clone();
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Rejection texts are short; a long one is cut rather than buffered.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "The request body is larger than the limit of {} bytes.",
            limits::MAX_BODY_BYTES
        ),
        StatusCode::METHOD_NOT_ALLOWED => format!("{method} is not allowed on this path."),
        _ if text.is_empty() => status.canonical_reason().unwrap_or("Error").to_string(),
        _ => text.clone(),
    };
    let rewritten = if core_entities {
        let body = match status {
            StatusCode::NOT_FOUND => json!({"message": "Not found"}),
            StatusCode::METHOD_NOT_ALLOWED => json!({"message": "Method not allowed"}),
            s if s.is_client_error() => json!({"code": 3, "message": detail, "details": []}),
            _ => json!({"message": detail}),
        };
        (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    } else if status == StatusCode::BAD_REQUEST {
        // Which part of the request axum could not read, from its rejection's wording.
        let (field, source) = if text.starts_with("Invalid URL") {
            ("path", "path")
        } else if text.starts_with("Failed to deserialize query") {
            ("query", "query")
        } else {
            ("body", "body")
        };
        Problem::bad_request(
            detail.clone(),
            vec![InvalidParameter {
                field: field.into(),
                rule: Some("invalid".into()),
                reason: detail,
                source: Some(source.into()),
                ..blank_param()
            }],
        )
        .into_response()
    } else {
        Problem::new(status, detail).into_response()
    };
    let (new_parts, new_body) = rewritten.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, new_parts.headers[header::CONTENT_TYPE].clone());
    Response::from_parts(parts, new_body)
}
