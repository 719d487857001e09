//! Field checks that produce Konnect's `invalid_parameters` entries (field, rule, reason).

use std::collections::BTreeMap;

use konnect::InvalidParameter;
use serde_json::{Map, Value};

use crate::problem::blank_param;

#[derive(Default)]
pub struct Violations(pub Vec<InvalidParameter>);

impl Violations {
    /// An item of Konnect's `InvalidParameterStandard`: rules that need `minimum`, `maximum` or
    /// `choices` have their own constructors.
    pub fn push(&mut self, field: &str, rule: &str, reason: impl Into<String>) {
        debug_assert!(
            !matches!(
                rule,
                "enum"
                    | "min_length"
                    | "min_items"
                    | "min"
                    | "max_length"
                    | "max_items"
                    | "max"
                    | "dependent_fields"
            ),
            "{rule} needs its own constructor"
        );
        self.0.push(InvalidParameter {
            field: field.into(),
            rule: Some(rule.into()),
            reason: reason.into(),
            source: Some("body".into()),
            ..blank_param()
        });
    }

    pub fn min_length(&mut self, field: &str, min: i64) {
        self.0.push(InvalidParameter {
            field: field.into(),
            rule: Some("min_length".into()),
            reason: format!("must have at least {min} characters"),
            minimum: Some(min),
            source: Some("body".into()),
            ..blank_param()
        });
    }

    pub fn max_length(&mut self, field: &str, max: i64) {
        self.0.push(InvalidParameter {
            field: field.into(),
            rule: Some("max_length".into()),
            reason: format!("must have at most {max} characters"),
            maximum: Some(max),
            source: Some("body".into()),
            ..blank_param()
        });
    }

    /// `max_items` carries `maximum`, as Konnect's `InvalidParameterMaximumLength` requires.
    pub fn max_items(&mut self, field: &str, max: i64) {
        self.0.push(InvalidParameter {
            field: field.into(),
            rule: Some("max_items".into()),
            reason: format!("must have at most {max} items"),
            maximum: Some(max),
            source: Some("body".into()),
            ..blank_param()
        });
    }

    /// `enum` carries `choices`, as Konnect's `InvalidParameterChoiceItem` requires.
    pub fn choice(&mut self, field: &str, choices: &[&str]) {
        self.0.push(InvalidParameter {
            field: field.into(),
            rule: Some("enum".into()),
            reason: format!("must be one of: {}", choices.join(", ")),
            choices: Some(choices.iter().map(|c| Value::String(c.to_string())).collect()),
            source: Some("body".into()),
            ..blank_param()
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Rejects properties the request schema does not list (`additionalProperties: false`).
pub fn unknown_properties(body: &Map<String, Value>, allowed: &[&str], v: &mut Violations) {
    for key in body.keys() {
        if !allowed.contains(&key.as_str()) {
            v.push(key, "unknown_property", format!("property {key} should not exist"));
        }
    }
}

/// A group name: 2 to 256 characters, not blank.
pub fn name(value: Option<&Value>, required: bool, v: &mut Violations) -> Option<String> {
    match value {
        None | Some(Value::Null) if required => {
            v.push("name", "required", "is a required field");
            None
        }
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let len = s.chars().count() as i64;
            if s.trim().is_empty() {
                v.push("name", "required", "cannot be blank");
            } else if len < 2 {
                v.min_length("name", 2);
            } else if len > 256 {
                v.max_length("name", 256);
            }
            Some(s.clone())
        }
        Some(_) => {
            v.push("name", "is_string", "must be a string");
            None
        }
    }
}

pub fn description(value: Option<&Value>, v: &mut Violations) -> Option<String> {
    match value {
        None => None,
        Some(Value::String(s)) => {
            if s.chars().count() > 2048 {
                v.max_length("description", 2048);
            }
            Some(s.clone())
        }
        Some(_) => {
            v.push("description", "is_string", "must be a string");
            None
        }
    }
}

pub fn enumeration(
    field: &str,
    value: Option<&Value>,
    choices: &[&str],
    v: &mut Violations,
) -> Option<String> {
    match value {
        None => None,
        Some(Value::String(s)) if choices.contains(&s.as_str()) => Some(s.clone()),
        Some(_) => {
            v.choice(field, choices);
            None
        }
    }
}

pub fn boolean(field: &str, value: Option<&Value>, v: &mut Violations) -> Option<bool> {
    match value {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            v.push(field, "is_boolean", "must be a boolean");
            None
        }
    }
}

const RESERVED_LABEL_PREFIXES: [&str; 5] = ["kong", "konnect", "mesh", "kic", "_"];

/// Konnect's label rules: at most 50; keys 1–63 characters not starting with a reserved prefix;
/// values 1–63 characters of letters, digits, `-`, `.`, `_`, starting and ending alphanumeric.
pub fn labels(value: Option<&Value>, v: &mut Violations) -> Option<BTreeMap<String, String>> {
    let map = match value {
        None => return None,
        Some(Value::Object(m)) => m,
        Some(_) => {
            v.push("labels", "is_object", "must be an object of key/value strings");
            return None;
        }
    };
    if map.len() > 50 {
        // Each label is not judged past the cap: the work stays bounded by it.
        v.max_items("labels", 50);
        return None;
    }
    let mut out = BTreeMap::new();
    for (key, val) in map {
        let field = format!("labels.{key}");
        let klen = key.chars().count();
        if klen == 0 || klen > 63 {
            v.push(&field, "is_label", "label keys must have 1 to 63 characters");
        } else if let Some(p) = RESERVED_LABEL_PREFIXES.iter().find(|p| key.starts_with(*p)) {
            v.push(&field, "is_label", format!("label keys cannot start with '{p}'"));
        } else if !label_token(key) {
            v.push(
                &field,
                "is_label",
                "label keys must start and end with a letter or digit and contain only letters, \
                    digits, '-', '.' and '_'",
            );
        }
        match val {
            Value::String(s) if label_token(s) && s.chars().count() <= 63 => {
                out.insert(key.clone(), s.clone());
            }
            Value::String(_) => v.push(
                &field,
                "is_label",
                "label values must have 1 to 63 characters, start and end with a letter or digit, \
                    and contain only letters, digits, '-', '.' and '_'",
            ),
            _ => v.push(&field, "is_string", "label values must be strings"),
        }
    }
    Some(out)
}

/// `^[a-z0-9A-Z]{1}([a-z0-9A-Z\-\.\_]*[a-z0-9A-Z]+)?$`
fn label_token(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
}

pub fn proxy_urls(value: Option<&Value>, v: &mut Violations) -> Option<Vec<konnect::ProxyUrl>> {
    let items = match value {
        None => return None,
        Some(Value::Array(a)) => a,
        Some(_) => {
            v.push("proxy_urls", "is_array", "must be an array");
            return None;
        }
    };
    if items.len() > 5 {
        v.max_items("proxy_urls", 5);
        return None;
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match serde_json::from_value::<konnect::ProxyUrl>(item.clone()) {
            Ok(p)
                if !p.host.is_empty()
                    && p.host.len() <= 120
                    && p.port >= 1
                    && !p.protocol.is_empty()
                    && p.protocol.len() <= 32 =>
            {
                if !out.contains(&p) {
                    out.push(p)
                }
            }
            _ => v.push(
                &format!("proxy_urls[{i}]"),
                "invalid",
                "needs host (1-120 chars), port (>= 1) and protocol (1-32 chars)",
            ),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_rules_follow_konnect() {
        let mut v = Violations::default();
        let ok = labels(Some(&json!({"env": "dev", "team": "a.b-c_d"})), &mut v).unwrap();
        assert!(v.is_empty());
        assert_eq!(ok.len(), 2);
        for bad in [
            json!({"kong-x": "a"}),
            json!({"env": "-dev"}),
            json!({"env": ""}),
            json!({"env": "a b"}),
            json!({"_x": "a"}),
        ] {
            let mut v = Violations::default();
            labels(Some(&bad), &mut v);
            assert_eq!(v.0.len(), 1, "{bad} should be refused");
        }
    }

    #[test]
    fn names_are_two_to_256_characters() {
        for (input, rule) in [
            (json!(" "), "required"),
            (json!("a"), "min_length"),
            (json!("x".repeat(257)), "max_length"),
            (json!(5), "is_string"),
        ] {
            let mut v = Violations::default();
            name(Some(&input), true, &mut v);
            assert_eq!(v.0[0].rule.as_deref(), Some(rule));
        }
        let mut v = Violations::default();
        assert_eq!(name(Some(&json!("dev")), true, &mut v).as_deref(), Some("dev"));
        assert!(v.is_empty());
    }
}
