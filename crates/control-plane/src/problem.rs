//! `application/problem+json` answers, shaped as Konnect's `BaseError` / `BadRequestError`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use konnect::{InvalidParameter, ProblemDetails};

/// An error answer of a Konnect-native endpoint.
#[derive(Debug, Clone)]
pub struct Problem(pub ProblemDetails);

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem(ProblemDetails { status: status.as_u16(), title: title_for(status).to_string(), problem_type: Some(format!("https://httpstatuses.com/{}", status.as_u16())), instance: trace_id(), detail: detail.into(), invalid_parameters: vec![] })
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
        Problem::bad_request("Request contains invalid ID format", vec![InvalidParameter { field: field.into(), rule: Some("is_uuid".into()), reason: "invalid ID format".into(), ..blank_param() }])
    }
}

pub fn blank_param() -> InvalidParameter {
    InvalidParameter { field: String::new(), rule: None, reason: String::new(), source: None, minimum: None, maximum: None, choices: None }
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad Request",
        401 => "Unauthenticated",
        403 => "Permission denied",
        404 => "Not Found",
        409 => "Conflict",
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
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}
