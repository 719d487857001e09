//! Konnect's error bodies as typed errors.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One entry of a problem+json `invalid_parameters` list: which field, which rule, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct InvalidParameter {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rule: Option<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub minimum: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub maximum: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Array<unknown>")]
    pub choices: Option<Vec<serde_json::Value>>,
}

/// `application/problem+json` body of Konnect-native APIs (control planes, identity, analytics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemDetails {
    pub status: u16,
    pub title: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub problem_type: Option<String>,
    #[serde(default)]
    pub instance: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_parameters: Vec<InvalidParameter>,
}

/// An error answer from the API: the status and what the body said.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub problem: ProblemDetails,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.problem.detail.is_empty() {
            write!(f, "{} {}", self.status, self.problem.title)
        } else {
            write!(f, "{} {}: {}", self.status, self.problem.title, self.problem.detail)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KonnectError {
    /// The server answered with an error status (boxed: the body is large, and errors travel
    /// through every `Result` of the client).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// No answer: connection refused, reset, DNS, TLS or timeout.
    #[error("could not reach {url}: {message}")]
    Transport { url: String, message: String, cause: crate::reach::Cause },
    /// An answer whose body is not what the contract says.
    #[error("unexpected response from {url}: {message}")]
    Decode { url: String, message: String },
    #[error("invalid base URL {0}")]
    BaseUrl(String),
}

impl KonnectError {
    pub fn status(&self) -> Option<u16> {
        match self {
            KonnectError::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// True when the server could not be reached at all (as opposed to answering with an error).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, KonnectError::Transport { .. })
    }
}

/// Reads any error body Konnect may send into a `ProblemDetails`, keeping what it can: a
/// problem+json document, a `{message}` body (core-entities, 429s) or plain text.
pub(crate) fn problem_from_body(status: u16, body: &str) -> ProblemDetails {
    if let Ok(p) = serde_json::from_str::<ProblemDetails>(body) {
        return p;
    }
    let title = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
        .to_string();
    let json = serde_json::from_str::<serde_json::Value>(body).ok();
    let detail = json
        .as_ref()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| body.trim().chars().take(300).collect());
    ProblemDetails {
        status,
        title,
        problem_type: None,
        instance: String::new(),
        detail,
        invalid_parameters: json.as_ref().map(config_error_fields).unwrap_or_default(),
    }
}

/// The core-entities error body's `details` (`{field, messages[]}`) as invalid parameters, so
/// entity forms get the same per-field reasons as the Konnect-native APIs give.
fn config_error_fields(v: &serde_json::Value) -> Vec<InvalidParameter> {
    let Some(details) = v.get("details").and_then(|d| d.as_array()) else { return vec![] };
    details
        .iter()
        .filter_map(|d| {
            let field = d.get("field")?.as_str()?.to_string();
            let messages: Vec<&str> = d
                .get("messages")
                .and_then(|m| m.as_array())
                .map(|m| m.iter().filter_map(|x| x.as_str()).collect())
                .unwrap_or_default();
            let reason = if messages.is_empty() {
                d.get("type").and_then(|t| t.as_str()).unwrap_or("invalid").to_string()
            } else {
                messages.join("; ")
            };
            Some(InvalidParameter {
                field,
                rule: d.get("type").and_then(|t| t.as_str()).map(str::to_string),
                reason,
                source: None,
                minimum: None,
                maximum: None,
                choices: None,
            })
        })
        .collect()
}
