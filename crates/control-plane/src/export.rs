//! A group's configuration as Kong's declarative export (`config_table`) and Kong's config hash.
//!
//! The data plane link pushes exactly this table; the hash is Kong's own algorithm, so a node's
//! reported hash and `expected-config-hash` compare as they do against Konnect.

use md5::{Digest, Md5};
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use crate::entities::store;

/// Kong's hash of an absent group: 32 zeros.
pub const EMPTY_HASH: &str = "00000000000000000000000000000000";
const MAX_BUF_LEN: usize = 1_000_000;

/// The group's whole configuration as Kong exports it for data planes: flat arrays per schema,
/// foreign keys as bare ids, disabled services (and what hangs off them) and disabled plugins left
/// out.
pub fn config_table(c: &Connection, cp: &str) -> rusqlite::Result<Value> {
    let all = store::all_entities(c, cp)?;
    let disabled_services: Vec<String> = all
        .iter()
        .filter(|(k, _)| k.path == "services")
        .flat_map(|(_, rows)| rows.iter())
        .filter(|s| s["enabled"] == Value::Bool(false))
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect();
    let routes_of_disabled: Vec<String> = all
        .iter()
        .filter(|(k, _)| k.path == "routes")
        .flat_map(|(_, rows)| rows.iter())
        .filter(|r| {
            r["service"]["id"].as_str().is_some_and(|s| disabled_services.iter().any(|d| d == s))
        })
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect();
    let refers_to_disabled = |e: &Value| {
        e["service"]["id"].as_str().is_some_and(|s| disabled_services.iter().any(|d| d == s))
            || e["route"]["id"].as_str().is_some_and(|r| routes_of_disabled.iter().any(|d| d == r))
    };
    let mut table = Map::new();
    table.insert("_format_version".into(), json!("3.0"));
    table.insert("_transform".into(), json!(false));
    for (kind, rows) in all {
        let exported: Vec<Value> = rows
            .into_iter()
            .filter(|e| !(kind.path == "services" && e["enabled"] == Value::Bool(false)))
            .filter(|e| !(kind.path == "plugins" && e["enabled"] == Value::Bool(false)))
            .filter(|e| !refers_to_disabled(e))
            .map(flatten_foreign_keys)
            .collect();
        if !exported.is_empty() {
            table.insert(kind.export_key.to_string(), Value::Array(exported));
        }
    }
    let mut stmt = c.prepare_cached(
        "SELECT group_id, consumer_id FROM group_members WHERE cp_id = ?1 ORDER BY group_id, \
            consumer_id",
    )?;
    let members: Vec<Value> = stmt
        .query_map([cp], |r| {
            let (group, consumer) = (r.get::<_, String>(0)?, r.get::<_, String>(1)?);
            Ok(json!({"consumer_group": group, "consumer": consumer}))
        })?
        .collect::<rusqlite::Result<_>>()?;
    if !members.is_empty() {
        table.insert("consumer_group_consumers".into(), Value::Array(members));
    }
    Ok(Value::Object(table))
}

/// `{"service": {"id": X}}` becomes `{"service": X}`, as in Kong's export.
fn flatten_foreign_keys(mut e: Value) -> Value {
    if let Some(obj) = e.as_object_mut() {
        for v in obj.values_mut() {
            if let Some(id) = v
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str)
            {
                *v = Value::String(id.to_string());
            }
        }
    }
    e
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// LuaJIT's `%.14g`, which Kong's buffer uses to print numbers.
fn lua_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    let s = format!("{:.*e}", 13, f);
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-5..14).contains(&exp) {
        let decimals = (13 - exp).max(0) as usize;
        let fixed = format!("{:.*}", decimals, f);
        fixed.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let m = mantissa.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

fn sorted_string(v: &Value, o: &mut Vec<u8>) {
    if o.len() > MAX_BUF_LEN {
        let digest = Md5::digest(&o[..]);
        o.clear();
        o.extend_from_slice(&digest);
    }
    match v {
        Value::Null => o.extend_from_slice(b"/null/"),
        Value::String(s) => o.extend_from_slice(s.as_bytes()),
        Value::Number(n) => o.extend_from_slice(lua_number(n).as_bytes()),
        Value::Bool(b) => o.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Array(a) if a.is_empty() => o.extend_from_slice(b"{}"),
        Value::Object(m) if m.is_empty() => o.extend_from_slice(b"{}"),
        Value::Array(a) => {
            if a.len() <= 5 {
                for (i, e) in a.iter().enumerate() {
                    if i > 0 {
                        o.push(b';');
                    }
                    sorted_string(e, o);
                }
            } else {
                for e in a {
                    sorted_string(e, o);
                    o.push(b';');
                }
            }
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                o.extend_from_slice(k.as_bytes());
                o.push(b':');
                sorted_string(&m[k], o);
                o.push(b';');
            }
        }
    }
}

fn group_hash(v: Option<&Value>) -> String {
    match v {
        None => EMPTY_HASH.to_string(),
        Some(v) => {
            let mut buf = Vec::new();
            sorted_string(v, &mut buf);
            md5_hex(&buf)
        }
    }
}

/// Kong's `calculate_config_hash`: the config hash and the per-group hashes pushed beside it.
pub fn config_hash(table: &Value) -> (String, Value) {
    let mut rest = table.as_object().cloned().unwrap_or_default();
    let mut parts = Map::new();
    let mut joined = String::new();
    for key in ["routes", "services", "plugins", "upstreams", "targets"] {
        let h = group_hash(rest.remove(key).as_ref());
        joined.push_str(&h);
        parts.insert(key.into(), Value::String(h));
    }
    joined.push_str(&group_hash(Some(&Value::Object(rest))));
    let config = md5_hex(joined.as_bytes());
    parts.insert("config".into(), Value::String(config.clone()));
    (config, Value::Object(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kongs_hash_vectors() {
        assert_eq!(config_hash(&json!({})).0, "2da3c26e4dbd6dd6ea3ab60a3dd7fb3e");
        assert_eq!(
            config_hash(&json!({"routes": [], "services": [], "plugins": []})).0,
            "81aac97a81ad03c0cf0b36663806488e"
        );
        assert_eq!(
            config_hash(&json!({"upstreams": [], "targets": []})).0,
            "4d60dd9998ea4314039da5ca2f1db96f"
        );
        assert_eq!(
            config_hash(&json!({"_format_version": "3.0", "_transform": false})).0,
            "3ba837da99e14dfab883d867101d37f6"
        );
        let (_, parts) = config_hash(&json!({"routes": [], "services": [], "plugins": []}));
        assert_eq!(parts["routes"], "99914b932bd37a50b983c5e7c90ae93b");
        assert_eq!(parts["upstreams"], EMPTY_HASH);
    }

    #[test]
    fn numbers_print_as_luajit_does() {
        for (v, want) in [
            (json!(10), "10"),
            (json!(0.9), "0.9"),
            (json!(1.1), "1.1"),
            (json!(60000.0), "60000"),
            (json!(1795357924.5), "1795357924.5"),
        ] {
            let Value::Number(n) = v else { unreachable!() };
            assert_eq!(lua_number(&n), want);
        }
    }
}
