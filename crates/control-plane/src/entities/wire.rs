//! Kong's wire format of a schema, as its Admin API serves `GET /schemas/{entity}`.
//!
//! The engine's schemas mark Kong's typedefs with short local attributes (`host`, `pem`,
//! `router_path`, ...) that its validator reads. On the wire those become what Kong itself
//! sends: validators Kong states as data are spelled out, and those that are Lua functions in
//! Kong (`custom_validator`) are left out, as `schema_to_jsonable` leaves functions out. One
//! walk over the schema renders any kind; nothing here knows a kind.

use serde_json::{json, Map, Value};

use super::schema::Kind;

/// Local markers of typedefs that Kong checks with a function: not on Kong's wire.
const FUNCTION_MARKERS: [&str; 6] =
    ["name_chars", "host", "wildcard_host", "target", "header_name", "pem"];

/// Attributes whose value is itself a field's attributes.
const NESTED_ATTRIBUTES: [&str; 3] = ["elements", "keys", "values"];

/// Kong's own attributes for a local marker that Kong states as data (`typedefs.lua`).
fn spelled_out(marker: &str) -> Option<Value> {
    match marker {
        "method" => Some(json!({"match": "^%u+$"})),
        "router_path" => Some(json!({
            "match_any": {
                "patterns": ["^/", "^~/"],
                "err": "should start with: / (fixed path) or ~/ (regex path)",
            },
            "match_none": [{"pattern": "//", "err": "must not have empty segments"}],
        })),
        // A plugin's `config` is Kong's abstract record: each plugin's schema fills it in.
        "plugin_config" => Some(json!({"abstract": true})),
        _ => None,
    }
}

/// A kind's whole schema on the wire: its name (Kong's table name), keys, ordered `fields` and
/// `entity_checks`.
pub fn entity_schema(kind: &Kind) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(kind.export_key));
    out.insert("primary_key".into(), json!(["id"]));
    if let Some(key) = kind.endpoint_key {
        out.insert("endpoint_key".into(), json!(key));
    }
    if let Value::Object(schema) = record(&kind.schema) {
        out.extend(schema);
    }
    Value::Object(out)
}

/// Any schema or record on the wire: the same walk for an entity, a plugin's `config` or a
/// nested record.
pub fn record(schema: &Value) -> Value {
    let Some(attrs) = schema.as_object() else { return schema.clone() };
    let mut out = Map::new();
    for (name, value) in attrs {
        match name.as_str() {
            "fields" => {
                out.insert(name.clone(), fields(value));
            }
            n if NESTED_ATTRIBUTES.contains(&n) => {
                out.insert(name.clone(), record(value));
            }
            n if FUNCTION_MARKERS.contains(&n) && !value.is_object() => {}
            n => match spelled_out(n).filter(|_| value == &Value::Bool(true)) {
                Some(Value::Object(kong)) => out.extend(kong),
                _ => {
                    out.insert(name.clone(), value.clone());
                }
            },
        }
    }
    Value::Object(out)
}

/// An ordered `fields` array of one-key objects, each field's attributes rendered.
fn fields(list: &Value) -> Value {
    let rendered = list.as_array().into_iter().flatten().filter_map(Value::as_object).map(|f| {
        let one: Map<String, Value> = f.iter().map(|(n, a)| (n.clone(), record(a))).collect();
        Value::Object(one)
    });
    Value::Array(rendered.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::schema::KINDS;

    fn field<'a>(schema: &'a Value, name: &str) -> &'a Value {
        schema["fields"].as_array().unwrap().iter().find_map(|f| f.get(name)).unwrap()
    }

    #[test]
    fn local_markers_become_kongs_attributes_or_go() {
        let routes = entity_schema(crate::entities::schema::kind("routes").unwrap());
        let paths = field(&routes, "paths");
        assert_eq!(paths["elements"]["match_none"][0]["pattern"], "//");
        assert!(paths["elements"].get("router_path").is_none());
        assert_eq!(field(&routes, "methods")["elements"]["match"], "^%u+$");
        let certs = entity_schema(crate::entities::schema::kind("certificates").unwrap());
        assert!(field(&certs, "cert").get("pem").is_none());
        assert_eq!(field(&certs, "key")["encrypted"], true);
    }

    #[test]
    fn every_kind_keeps_its_field_order() {
        for kind in KINDS.iter() {
            let wire = entity_schema(kind);
            let names = |s: &Value| -> Vec<String> {
                s["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_object().unwrap().keys().next().unwrap().clone())
                    .collect()
            };
            assert_eq!(names(&wire), names(&kind.schema), "{}", kind.path);
        }
    }
}
