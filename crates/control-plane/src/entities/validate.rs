//! One validator for every entity kind: reads a Kong-format schema, checks a request body against
//! it, fills Kong's defaults and nulls, and applies Kong's entity checks.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::kong_schema;
use super::pem;
use super::schema::Kind;
use crate::limits::{self, field_path, Step};

/// Where an error belongs, as Konnect's config error details classify it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    Field,
    Entity,
    Reference,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub kind: ErrorType,
    /// Dotted path (`config.minute`, `hosts[1]`); empty for entity-level errors.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { kind: ErrorType::Field, field: field.into(), message: message.into() }
    }
    pub fn entity(message: impl Into<String>) -> Self {
        FieldError { kind: ErrorType::Entity, field: String::new(), message: message.into() }
    }
}

/// A foreign key the store must confirm exists: (field, referenced kind path, id).
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub field: String,
    pub kind: &'static str,
    pub id: String,
}

pub struct Validated {
    pub entity: Map<String, Value>,
    pub references: Vec<Reference>,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Iterates a Kong `fields` array: `[{"name": {attrs}}, ...]`.
fn schema_fields(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_object())
        .flat_map(|o| o.iter())
}

/// Validates a full entity body (POST or PUT). `auto` fields (`id`, timestamps) are the caller's.
pub fn validate_entity(
    kind: &Kind,
    body: &Map<String, Value>,
) -> Result<Validated, Vec<FieldError>> {
    validate_owned(kind, body.clone())
}

/// [`validate_entity`] on a body the caller gives up. The work is linear in the body's size
/// and needs no database, so callers run it before taking the connection.
pub fn validate_owned(
    kind: &Kind,
    mut body: Map<String, Value>,
) -> Result<Validated, Vec<FieldError>> {
    let mut errors = Vec::new();
    // Size limits first: past them nothing else is judged, so no check below sees more than
    // MAX_ITEMS items of one array or MAX_STRING_CHARS characters of one string.
    let mut steps = Vec::new();
    for (k, v) in &body {
        steps.push(Step::Key(k.clone()));
        check_limits(v, &mut steps, 2, &mut errors);
        steps.pop();
    }
    if body.len() > limits::MAX_ITEMS {
        errors.push(FieldError::entity(format!(
            "an entity has at most {} fields",
            limits::MAX_ITEMS
        )));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut refs = Vec::new();
    pre_transform(kind, &mut body, &mut errors);
    let mut entity = check_record(&kind.schema, &body, "", &mut errors, &mut refs, true);
    entity_checks(kind, &mut entity, &mut errors, &mut refs);
    if errors.is_empty() {
        Ok(Validated { entity, references: refs })
    } else {
        Err(errors)
    }
}

/// The limits of [`crate::limits`] on any JSON value, typed by a schema or free-form (a vault's
/// `config`): array and object sizes, string lengths, and nesting for bodies built without the
/// text scan. `depth` is the value's own depth, the entity counting as 1. Paths are only
/// formatted for errors, so the walk stays linear.
pub fn check_limits(
    value: &Value,
    steps: &mut Vec<Step>,
    depth: usize,
    errors: &mut Vec<FieldError>,
) {
    match value {
        // Characters are only counted when the bytes are past the limit.
        Value::String(s)
            if s.len() > limits::MAX_STRING_CHARS
                && s.chars().count() > limits::MAX_STRING_CHARS =>
        {
            errors.push(FieldError::field(
                field_path(steps),
                format!("length must be at most {}", limits::MAX_STRING_CHARS),
            ));
        }
        Value::Array(_) | Value::Object(_) if depth > limits::MAX_DEPTH => {
            errors.push(FieldError::field(
                field_path(steps),
                format!("nesting must be at most {} levels deep", limits::MAX_DEPTH),
            ));
        }
        Value::Array(items) => {
            if items.len() > limits::MAX_ITEMS {
                errors.push(FieldError::field(
                    field_path(steps),
                    format!("length must be at most {}", limits::MAX_ITEMS),
                ));
                return;
            }
            for (i, item) in items.iter().enumerate() {
                steps.push(Step::Index(i));
                check_limits(item, steps, depth + 1, errors);
                steps.pop();
            }
        }
        Value::Object(map) => {
            if map.len() > limits::MAX_ITEMS {
                errors.push(FieldError::field(
                    field_path(steps),
                    format!("length must be at most {}", limits::MAX_ITEMS),
                ));
                return;
            }
            for (k, v) in map {
                steps.push(Step::Key(k.clone()));
                check_limits(v, steps, depth + 1, errors);
                steps.pop();
            }
        }
        _ => {}
    }
}

fn check_record(
    schema: &Value,
    body: &Map<String, Value>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
    refs: &mut Vec<Reference>,
    top: bool,
) -> Map<String, Value> {
    let mut out = Map::new();
    let known: HashSet<&str> = schema_fields(schema).map(|(n, _)| n.as_str()).collect();
    for key in body.keys() {
        if !known.contains(key.as_str()) {
            errors.push(FieldError::field(join(prefix, key), "unknown field"));
        }
    }
    for (name, attrs) in schema_fields(schema) {
        let path = join(prefix, name);
        let auto = attrs["auto"].as_bool().unwrap_or(false);
        let given = body.get(name).cloned().unwrap_or(Value::Null);
        if top && auto {
            // Server-set fields: kept if given (ids on PUT, imported keys), else filled by the
            // store.
            out.insert(name.clone(), given);
            continue;
        }
        let value = if given.is_null() { default_of(attrs) } else { given };
        if value.is_null() {
            if attrs["required"].as_bool().unwrap_or(false) {
                errors.push(FieldError::field(&path, "required field missing"));
            }
            out.insert(name.clone(), Value::Null);
            continue;
        }
        if let Some(v) = check_value(attrs, value, &path, errors, refs) {
            out.insert(name.clone(), v);
        } else {
            out.insert(name.clone(), Value::Null);
        }
    }
    out
}

/// A field's default; a required record with no default gets its fields' defaults, as Kong fills
/// them (an optional record such as a service's `tls_sans` stays null).
fn default_of(attrs: &Value) -> Value {
    if let Some(d) = attrs.get("default") {
        return d.clone();
    }
    if attrs["type"] == "record"
        && attrs["required"].as_bool() == Some(true)
        && attrs.get("fields").is_some()
        && attrs["plugin_config"].is_null()
    {
        let mut errors = Vec::new();
        let mut refs = Vec::new();
        let filled = check_record(attrs, &Map::new(), "", &mut errors, &mut refs, false);
        if errors.is_empty() {
            return Value::Object(filled);
        }
    }
    Value::Null
}

fn check_value(
    attrs: &Value,
    value: Value,
    path: &str,
    errors: &mut Vec<FieldError>,
    refs: &mut Vec<Reference>,
) -> Option<Value> {
    let ty = attrs["type"].as_str().unwrap_or("string");
    let bad = |errors: &mut Vec<FieldError>, msg: &str| {
        errors.push(FieldError::field(path, msg));
        None
    };
    match ty {
        "string" => {
            let Value::String(s) = &value else { return bad(errors, "expected a string") };
            if s.is_empty() {
                return bad(errors, "length must be at least 1");
            }
            if let Some(msg) = string_rules(attrs, s) {
                return bad(errors, &msg);
            }
            check_one_of(attrs, &value, path, errors)?;
            Some(value)
        }
        "integer" => {
            if !value.is_i64() {
                return bad(errors, "expected an integer");
            }
            check_range(attrs, value.as_f64().unwrap_or_default(), path, errors)?;
            check_one_of(attrs, &value, path, errors)?;
            Some(value)
        }
        "number" => {
            let Some(n) = value.as_f64() else { return bad(errors, "expected a number") };
            check_range(attrs, n, path, errors)?;
            if let Some(gt) = attrs["gt"].as_f64() {
                if n <= gt {
                    return bad(errors, &format!("value must be greater than {gt}"));
                }
            }
            Some(value)
        }
        "boolean" => {
            if !value.is_boolean() {
                return bad(errors, "expected a boolean");
            }
            Some(value)
        }
        "array" | "set" => {
            let Value::Array(items) = value else {
                return bad(
                    errors,
                    if ty == "set" { "expected a set" } else { "expected an array" },
                );
            };
            if let Some(min) = attrs["len_min"].as_u64() {
                if (items.len() as u64) < min {
                    return bad(errors, &format!("length must be at least {min}"));
                }
            }
            let mut out = Vec::with_capacity(items.len());
            // A set keeps the first of equal items; equality is by JSON text, so the de-duplication
            // is one hash lookup per item (strings compare by their own text, without quoting).
            let mut seen: HashSet<String> = HashSet::new();
            for (i, item) in items.into_iter().enumerate() {
                if let Some(v) = check_value(
                    &attrs["elements"],
                    item,
                    &format!("{path}[{}]", i + 1),
                    errors,
                    refs,
                ) {
                    let fresh = ty == "array"
                        || match &v {
                            Value::String(s) => seen.insert(format!("s{s}")),
                            other => seen.insert(format!("j{other}")),
                        };
                    if fresh {
                        out.push(v);
                    }
                }
            }
            Some(Value::Array(out))
        }
        "map" => {
            let Value::Object(m) = value else { return bad(errors, "expected a map") };
            let mut out = Map::new();
            for (k, v) in m {
                if let Some(v) = check_value(&attrs["values"], v, &join(path, &k), errors, refs) {
                    out.insert(k, v);
                }
            }
            Some(Value::Object(out))
        }
        "record" => {
            let Value::Object(m) = value else { return bad(errors, "expected a record") };
            if attrs["plugin_config"].as_bool().unwrap_or(false) {
                // Checked against the plugin's own schema in entity_checks, once the name is known.
                return Some(Value::Object(m));
            }
            Some(Value::Object(check_record(attrs, &m, path, errors, refs, false)))
        }
        "foreign" => {
            let id = value
                .as_object()
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let Some(id) = id.filter(|i| uuid::Uuid::parse_str(i).is_ok()) else {
                return bad(errors, "expected a record with a valid UUID 'id'");
            };
            let kind = attrs["reference"]
                .as_str()
                .and_then(super::schema::kind)
                .map(|k| k.path)
                .unwrap_or("");
            refs.push(Reference { field: path.to_string(), kind, id: id.clone() });
            Some(serde_json::json!({ "id": id }))
        }
        _ => Some(value),
    }
}

fn check_one_of(
    attrs: &Value,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<()> {
    if let Some(choices) = attrs["one_of"].as_array() {
        if !choices.contains(value) {
            let list: Vec<String> = choices
                .iter()
                .map(|c| c.as_str().map(str::to_string).unwrap_or_else(|| c.to_string()))
                .collect();
            errors.push(FieldError::field(path, format!("expected one of: {}", list.join(", "))));
            return None;
        }
    }
    Some(())
}

fn check_range(attrs: &Value, n: f64, path: &str, errors: &mut Vec<FieldError>) -> Option<()> {
    if let Some(b) = attrs["between"].as_array() {
        let (lo, hi) = (b[0].as_f64().unwrap_or(f64::MIN), b[1].as_f64().unwrap_or(f64::MAX));
        if n < lo || n > hi {
            errors.push(FieldError::field(
                path,
                format!("value should be between {} and {}", b[0], b[1]),
            ));
            return None;
        }
    }
    Some(())
}

/// Kong's string typedefs: names, hosts, router paths, methods, targets, PEM blocks, header names.
fn string_rules(attrs: &Value, s: &str) -> Option<String> {
    if let Some(p) = attrs["starts_with"].as_str() {
        if !s.starts_with(p) {
            return Some(format!("should start with: {p}"));
        }
    }
    if attrs["uuid"].as_bool() == Some(true) && uuid::Uuid::parse_str(s).is_err() {
        return Some("expected a valid UUID".into());
    }
    if attrs["name_chars"].as_bool() == Some(true)
        && !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~'))
    {
        return Some(format!(
            "invalid value '{s}': the only accepted ascii characters are alphanumerics or ., -, _, \
                and ~"
        ));
    }
    if attrs["host"].as_bool() == Some(true) && !valid_host(s, false) {
        return Some(format!("invalid value: {s}"));
    }
    if attrs["wildcard_host"].as_bool() == Some(true) && !valid_host(s, true) {
        return Some(format!(
            "invalid wildcard: must have at most one wildcard, leftmost or rightmost, in '{s}'"
        ));
    }
    if attrs["router_path"].as_bool() == Some(true) {
        if !(s.starts_with('/') || s.starts_with("~/")) {
            return Some("should start with: / (fixed path) or ~/ (regex path)".into());
        }
        if s.contains("//") {
            return Some("must not have empty segments".into());
        }
        if let Some(re) = s.strip_prefix('~') {
            // Compiled exactly as a runtime compiles it: what fails here would fail there.
            if let Err(e) = hybrid::route_regex::path_regex(re) {
                return Some(format!(
                    "invalid regex: '{re}' ({})",
                    hybrid::route_regex::describe(&e)
                ));
            }
        }
    }
    if attrs["method"].as_bool() == Some(true) && !s.chars().all(|c| c.is_ascii_uppercase()) {
        return Some(format!("invalid value: {s} (methods are upper-case letters)"));
    }
    if attrs["header_name"].as_bool() == Some(true)
        && !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Some(format!(
            "bad header name '{s}', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
        ));
    }
    if attrs["target"].as_bool() == Some(true) {
        let (host, port) = split_host_port(s);
        if !valid_host(host, false) || port.is_some_and(|p| p.parse::<u16>().is_err()) {
            return Some(format!("Invalid target ('{s}'); not a valid hostname or ip address"));
        }
    }
    match attrs["pem"].as_str() {
        Some("CERTIFICATE") => {
            pem::parse_certificate(s).err().map(|e| format!("invalid certificate: {e}"))
        }
        Some("PUBLIC KEY") => pem::parse_public_key(s).err().map(|e| format!("invalid key: {e}")),
        Some(_) => pem::parse_key(s).err().map(|e| format!("invalid key: {e}")),
        None => None,
    }
}

pub fn split_host_port(s: &str) -> (&str, Option<&str>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, p)) = rest.split_once(']') {
            return (h, p.strip_prefix(':'));
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (s, None),
    }
}

fn valid_host(s: &str, wildcard: bool) -> bool {
    let (host, port) = split_host_port(s);
    if port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return false;
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let stars = labels.iter().filter(|l| **l == "*").count();
    if stars > 1 || (stars == 1 && !wildcard) {
        return false;
    }
    if stars == 1 && labels.first() != Some(&"*") && labels.last() != Some(&"*") {
        return false;
    }
    !host.is_empty()
        && host.len() <= 253
        && labels.iter().all(|l| {
            *l == "*"
                || (!l.is_empty()
                    && l.len() <= 63
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    && !l.starts_with('-'))
        })
}

/// Shorthands Kong accepts on input: a service `url` splits into protocol, host, port and path.
fn pre_transform(kind: &Kind, body: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
    if kind.path == "plugins" {
        plugin_protocols(body);
    }
    if kind.path == "services" {
        if let Some(url) = body.remove("url") {
            let Some(u) = url.as_str().and_then(url_parts) else {
                errors.push(FieldError::field("url", "missing host in url"));
                return;
            };
            body.insert("protocol".into(), Value::String(u.0.clone()));
            body.insert("host".into(), Value::String(u.1));
            body.insert(
                "port".into(),
                Value::from(u.2.unwrap_or(if u.0 == "https" || u.0 == "grpcs" || u.0 == "wss" {
                    443
                } else {
                    80
                })),
            );
            body.insert("path".into(), u.3.map(Value::String).unwrap_or(Value::Null));
        }
    }
}

/// An unset `protocols` of a plugin is the plugin's own default (a stream plugin runs on tcp),
/// not the entity's.
fn plugin_protocols(body: &mut Map<String, Value>) {
    if body.get("protocols").is_some_and(|p| !p.is_null()) {
        return;
    }
    let name = body.get("name").and_then(Value::as_str);
    let schema = name.and_then(kong_schema::plugin_schema);
    let default = schema.and_then(|s| {
        kong_schema::fields(s).find(|(f, _)| *f == "protocols").and_then(|(_, a)| a.get("default"))
    });
    if let Some(d) = default {
        body.insert("protocols".into(), d.clone());
    }
}

fn url_parts(u: &str) -> Option<(String, String, Option<u16>, Option<String>)> {
    let (scheme, rest) = u.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(rest[i..].to_string())),
        None => (rest, None),
    };
    let (host, port) = split_host_port(authority);
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    Some((scheme.to_lowercase(), host.to_string(), port, path))
}

/// Kong's entity-level rules that one field's schema cannot express.
fn entity_checks(
    kind: &Kind,
    e: &mut Map<String, Value>,
    errors: &mut Vec<FieldError>,
    _refs: &mut [Reference],
) {
    let set = |e: &Map<String, Value>, f: &str| {
        e.get(f).is_some_and(|v| {
            !v.is_null()
                && v.as_array().is_none_or(|a| !a.is_empty())
                && v.as_object().is_none_or(|o| !o.is_empty())
        })
    };
    match kind.path {
        "routes" => {
            let protocols: Vec<&str> = e
                .get("protocols")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if protocols.iter().any(|p| *p == "http" || *p == "https")
                && !["methods", "hosts", "headers", "paths"].iter().any(|f| set(e, f))
                && !(protocols == ["https"] && set(e, "snis"))
            {
                errors.push(FieldError::entity(format!(
                    "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is \
                        '{}'",
                    protocols.join("', '")
                )));
            }
            if let Some(h) = e.get("headers").and_then(Value::as_object) {
                if h.keys().any(|k| k.eq_ignore_ascii_case("host")) {
                    errors.push(FieldError::field(
                        "headers",
                        "cannot contain 'host' header, which must be specified in the 'hosts' \
                            attribute",
                    ));
                }
                // A header's single `~*` value is a regex to the runtime's router: compiled here as
                // it compiles it.
                for (name, values) in h {
                    if let Some([Value::String(one)]) = values.as_array().map(Vec::as_slice) {
                        if let Some(re) = one.strip_prefix("~*") {
                            if let Err(err) = hybrid::route_regex::header_regex(re) {
                                errors.push(FieldError::field(
                                    format!("headers.{name}"),
                                    format!(
                                        "invalid regex: '{re}' ({})",
                                        hybrid::route_regex::describe(&err)
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
        "consumers" if !set(e, "username") && !set(e, "custom_id") => {
            errors.push(FieldError::entity(
                "at least one of these fields must be non-empty: 'custom_id', 'username'",
            ));
        }
        "certificates" => certificate_checks(e, errors),
        "targets" => {
            if let Some(t) = e.get("target").and_then(Value::as_str) {
                if split_host_port(t).1.is_none() {
                    let with_port =
                        if t.contains(':') { format!("[{t}]:8000") } else { format!("{t}:8000") };
                    e.insert("target".into(), Value::String(with_port));
                }
            }
        }
        "plugins" => plugin_checks(e, errors),
        // Kinds without rules of their own here: their schema's checks, by the one engine.
        _ => {
            if let Some(checks) = kind.schema["entity_checks"].as_array() {
                kong_schema::entity_checks(checks, &kind.schema, e, "", errors);
            }
        }
    }
}

/// A plugin's own schema (`schemas/plugins/<name>.json`) over the plugin entity: its `config`
/// with defaults filled, its restrictions of the entity's fields (`consumer: {eq: null}`, the
/// protocols it runs on) and its entity checks, whose paths start at the entity.
fn plugin_checks(e: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
    let Some(name) = e.get("name").and_then(Value::as_str).map(str::to_string) else { return };
    let Some(schema) = kong_schema::plugin_schema(&name) else {
        errors.push(FieldError::field(
            "name",
            format!("plugin '{name}' not enabled; add it to the 'plugins' configuration property"),
        ));
        return;
    };
    let own: Map<String, Value> = kong_schema::fields(schema)
        .filter_map(|(f, _)| e.get(f).map(|v| (f.clone(), v.clone())))
        .collect();
    let checked = kong_schema::check_record(schema, &own, "", errors);
    e.extend(checked);
}

/// Kong's certificate entity checks: `cert_alt` and `key_alt` set together, each key the private
/// half of its certificate, and the alternative pair of another key type (RSA beside ECDSA).
/// Fields that failed to parse were reported already and are not judged again.
fn certificate_checks(e: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let text = |f: &str| e.get(f).and_then(Value::as_str);
    if text("cert_alt").is_some() != text("key_alt").is_some() {
        errors.push(FieldError::entity(
            "all or none of these fields must be set: 'cert_alt', 'key_alt'",
        ));
    }
    let pair = |cert: &str, key: &str| {
        let cert = pem::parse_certificate(text(cert)?).ok()?;
        let key = pem::parse_key(text(key)?).ok()?;
        Some((cert, key))
    };
    let main = pair("cert", "key");
    if let Some((cert, key)) = &main {
        if !pem::key_matches(cert, key.as_ref()) {
            errors.push(FieldError::field("key", "certificate does not match key"));
        }
    }
    let Some((cert, key)) = pair("cert_alt", "key_alt") else { return };
    if !pem::key_matches(&cert, key.as_ref()) {
        errors.push(FieldError::field("key_alt", "alternative certificate does not match key"));
    } else if main.is_some_and(|(_, k)| pem::key_type(k.as_ref()) == pem::key_type(key.as_ref())) {
        errors.push(FieldError::field(
            "cert_alt",
            "certificate and alternative certificate need to have different type (e.g. RSA and \
                ECDSA), the provided certificates were both of the same type",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::schema::kind;
    use serde_json::json;

    fn check(kind_path: &str, body: Value) -> Result<Map<String, Value>, Vec<FieldError>> {
        validate_entity(kind(kind_path).unwrap(), body.as_object().unwrap()).map(|v| v.entity)
    }

    #[test]
    fn a_service_gets_kongs_defaults_and_a_url_splits() {
        let s = check(
            "services",
            json!({"name": "users-api", "url": "https://users.internal:8443/v1"}),
        )
        .unwrap();
        assert_eq!(
            (s["protocol"].as_str(), s["host"].as_str(), s["port"].as_i64(), s["path"].as_str()),
            (Some("https"), Some("users.internal"), Some(8443), Some("/v1"))
        );
        assert_eq!(s["retries"], 5);
        assert_eq!(s["connect_timeout"], 60000);
        assert_eq!(s["enabled"], true);
        assert!(s["tags"].is_null() && s.contains_key("client_certificate"));
    }

    #[test]
    fn service_errors_name_the_field() {
        let errs = check(
            "services",
            json!({"name": "bad name", "port": 70000, "protocol": "ftp", "nope": 1}),
        )
        .unwrap_err();
        let by_field = |f: &str| {
            errs.iter().find(|e| e.field == f).map(|e| e.message.clone()).unwrap_or_default()
        };
        assert_eq!(by_field("host"), "required field missing");
        assert_eq!(by_field("port"), "value should be between 0 and 65535");
        assert!(by_field("protocol").starts_with("expected one of: grpc"));
        assert_eq!(by_field("nope"), "unknown field");
        assert!(by_field("name").contains("alphanumerics"));
    }

    #[test]
    fn an_http_route_needs_a_matching_attribute() {
        let errs = check("routes", json!({"name": "r"})).unwrap_err();
        assert_eq!(errs[0].kind, ErrorType::Entity);
        assert!(errs[0].message.contains("must set one of 'methods', 'hosts', 'headers', 'paths'"));
        let r = check(
            "routes",
            json!({
                "paths": ["/users"],
                "hosts": ["*.example.com"],
                "service": {"id": "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"},
            }),
        )
        .unwrap();
        assert_eq!(r["protocols"], json!(["http", "https"]));
        assert_eq!(r["strip_path"], true);
        for bad in [
            json!({"paths": ["users"]}),
            json!({"paths": ["/a//b"]}),
            json!({"hosts": ["a.*.com"]}),
            json!({"methods": ["get"]}),
        ] {
            assert!(check("routes", bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn plugin_config_is_checked_against_the_plugins_schema() {
        let p =
            check("plugins", json!({"name": "rate-limiting", "config": {"minute": 5}})).unwrap();
        assert_eq!(p["config"]["policy"], "local");
        assert_eq!(p["config"]["limit_by"], "consumer");
        let errs = check("plugins", json!({"name": "rate-limiting", "config": {}})).unwrap_err();
        assert!(errs[0].message.contains("'config.second'"));
        let errs = check(
            "plugins",
            json!({"name": "rate-limiting", "config": {"minute": -1, "bogus": true}}),
        )
        .unwrap_err();
        assert!(errs.iter().any(|e| e.field == "config.minute"));
        assert!(errs.iter().any(|e| e.field == "config.bogus" && e.message == "unknown field"));
        let k = check("plugins", json!({"name": "key-auth"})).unwrap();
        assert_eq!(k["config"]["key_names"], json!(["apikey"]));
        assert!(check("plugins", json!({"name": "bot-detection"})).is_ok());
        let errs = check("plugins", json!({"name": "no-such-plugin"})).unwrap_err();
        assert_eq!(errs[0].field, "name");
    }

    #[test]
    fn credentials_follow_kongs_daos() {
        let consumer = json!({"id": "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"});
        let errs = check("jwts", json!({"consumer": consumer, "algorithm": "RS256"})).unwrap_err();
        assert!(errs
            .iter()
            .any(|e| e.field == "rsa_public_key" && e.message == "required field missing"));
        let bad_key = json!({"consumer": consumer, "algorithm": "ES256", "rsa_public_key": "x"});
        let errs = check("jwts", bad_key).unwrap_err();
        assert!(errs
            .iter()
            .any(|e| e.field == "rsa_public_key" && e.message.starts_with("invalid key")));
        let j = check("jwts", json!({"consumer": consumer})).unwrap();
        assert_eq!(j["algorithm"], "HS256");
        let errs = check("jwts", json!({"consumer": consumer, "algorithm": "none"})).unwrap_err();
        assert_eq!(errs[0].field, "algorithm");
        assert_eq!(check("acls", json!({"consumer": consumer})).unwrap_err()[0].field, "group");
        let errs = check("basic-auths", json!({"consumer": consumer, "username": "a"}));
        assert_eq!(errs.unwrap_err()[0].field, "password");
        assert!(check("hmac-auths", json!({"username": "a"})).is_err());
    }

    #[test]
    fn basic_auth_passwords_hash_as_kong_does() {
        let hash = super::super::store::basic_auth_hash(
            "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7",
            "open sesame",
        );
        assert_eq!(hash, "b8edeb0d4046281b892cc4348ac64aa1c782c17b");
    }

    #[test]
    fn consumers_targets_and_certificates_follow_kong() {
        assert!(check("consumers", json!({"tags": ["a"]})).is_err());
        let t = check(
            "targets",
            json!({
                "target": "10.0.0.1",
                "upstream": {"id": "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"},
            }),
        )
        .unwrap();
        assert_eq!(t["target"], "10.0.0.1:8000");
        assert_eq!(t["weight"], 100);
        assert!(check(
            "targets",
            json!({
                "target": "10.0.0.1:99999",
                "upstream": {"id": "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"},
            })
        )
        .is_err());
        assert!(check("certificates", json!({"cert": "nope", "key": "nope"})).is_err());
    }
}
