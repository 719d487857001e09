//! Errors as the UI sees them: a stable code, a human message and per-field reasons.

use std::collections::BTreeMap;

use konnect::KonnectError;
use serde::Serialize;
use ts_rs::TS;

/// What kind of failure this is; the UI branches on this, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// The input was refused; `fields` says which and why.
    Validation,
    /// A name (or other unique value) is already taken.
    Conflict,
    NotFound,
    Unauthorized,
    Forbidden,
    /// The API asked us to slow down.
    RateLimited,
    /// The control plane could not be reached; cached data is still shown.
    Offline,
    /// Offline, and the view asked for was never cached (a dashboard's time frame not opened or
    /// synced while online); the message says so in words.
    NotCached,
    /// The server failed or answered something we cannot read.
    Server,
    /// A local failure: the cache file, the embedded control plane.
    Local,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct ConsoleError {
    pub code: ErrorCode,
    pub message: String,
    /// Field name → reason, for showing next to a form's inputs.
    pub fields: BTreeMap<String, String>,
}

impl ConsoleError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ConsoleError { code, message: message.into(), fields: BTreeMap::new() }
    }

    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let mut fields = BTreeMap::new();
        fields.insert(field.to_string(), reason.clone());
        ConsoleError { code: ErrorCode::Validation, message: reason, fields }
    }

    pub fn local(message: impl Into<String>) -> Self {
        ConsoleError::new(ErrorCode::Local, message)
    }
}

/// The form field an API parameter belongs to: `labels.env` is shown on the labels input (one
/// input for all labels); entity fields keep their path (`config.minute`), less any list index.
fn form_field(api_field: &str) -> String {
    if api_field.starts_with("labels") {
        return "labels".into();
    }
    api_field.split('[').next().unwrap_or(api_field).to_string()
}

impl From<KonnectError> for ConsoleError {
    fn from(e: KonnectError) -> Self {
        match e {
            KonnectError::Api(api) => {
                let code = match api.status {
                    400 | 422 => ErrorCode::Validation,
                    401 => ErrorCode::Unauthorized,
                    403 => ErrorCode::Forbidden,
                    404 => ErrorCode::NotFound,
                    409 => ErrorCode::Conflict,
                    429 => ErrorCode::RateLimited,
                    _ => ErrorCode::Server,
                };
                let mut fields = BTreeMap::new();
                for p in &api.problem.invalid_parameters {
                    let key = form_field(&p.field);
                    fields
                        .entry(key)
                        .and_modify(|r: &mut String| {
                            r.push_str("; ");
                            r.push_str(&p.reason)
                        })
                        .or_insert_with(|| p.reason.clone());
                }
                let message = if api.problem.detail.is_empty() {
                    api.problem.title.clone()
                } else {
                    api.problem.detail.clone()
                };
                ConsoleError { code, message, fields }
            }
            // The address and the error chain go to the log (and the connection's details), not
            // into the words on screen.
            KonnectError::Transport { url, message, cause } => {
                tracing::debug!(%url, "no answer: {message}");
                ConsoleError::new(ErrorCode::Offline, format!("Offline: {}.", cause.words()))
            }
            KonnectError::Decode { url, message } => {
                tracing::warn!(%url, "an answer that does not read as the contract says: {message}");
                ConsoleError::new(
                    ErrorCode::Server,
                    "The API answered something this app cannot read; the log has the details.",
                )
            }
            other => ConsoleError::new(ErrorCode::Server, other.to_string()),
        }
    }
}

impl From<crate::cache::CacheError> for ConsoleError {
    fn from(e: crate::cache::CacheError) -> Self {
        ConsoleError::local(format!("The local cache failed: {e}"))
    }
}
