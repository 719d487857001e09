//! YAML as the console writes and reads it: one serializer for decK exports and for the YAML view
//! of an entity, so both show a value the same way.

use crate::ConsoleError;

/// `value` as a YAML document.
pub fn to_string(value: &serde_json::Value) -> Result<String, ConsoleError> {
    serde_norway::to_string(value).map_err(|e| ConsoleError::local(e.to_string()))
}

/// A YAML document read as JSON-shaped data.
pub fn from_str(text: &str) -> Result<serde_json::Value, String> {
    serde_norway::from_str(text).map_err(|e| e.to_string())
}
