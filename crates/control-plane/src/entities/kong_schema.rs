//! Kong's schema engine over the Admin API's wire format: plugin schemas are data, checked here.
//!
//! One walk per value, in Kong's order (`kong/db/schema/init.lua`): null and required, type,
//! nested values, then the validators of `Schema.validators_order`; after a record's fields, its
//! own `entity_checks`, whose dotted paths are relative to that record. Defaults are filled as
//! Kong fills them on insert, so a stored value is fully populated.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::lua_pattern;
use super::validate::FieldError;

/// Every bundled plugin's schema, from `schemas/plugins/*.json` (see build.rs), by name.
static PLUGIN_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/plugin_schemas.rs"));

static PLUGINS: LazyLock<Vec<(&'static str, Value)>> = LazyLock::new(|| {
    PLUGIN_FILES
        .iter()
        .map(|(name, text)| {
            let schema = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("schemas/plugins/{name}.json: {e}"));
            (*name, schema)
        })
        .collect()
});

/// The names of the plugins this control plane accepts: one per schema file, sorted.
pub fn plugin_names() -> Vec<&'static str> {
    PLUGINS.iter().map(|(n, _)| *n).collect()
}

/// A plugin's schema as Kong's Admin API serves it.
pub fn plugin_schema(name: &str) -> Option<&'static Value> {
    PLUGINS.iter().find(|(n, _)| *n == name).map(|(_, s)| s)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A record's `fields`: `[{"name": {attrs}}, ...]`, in order.
pub fn fields(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema["fields"].as_array().into_iter().flatten().filter_map(Value::as_object).flatten()
}

/// Checks a record's body: unknown fields, every field with its default, then the record's own
/// entity checks. Returns the record with every field present (null where unset).
pub fn check_record(
    schema: &Value,
    body: &Map<String, Value>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Map<String, Value> {
    let known: HashSet<&str> = fields(schema).map(|(n, _)| n.as_str()).collect();
    for key in body.keys().filter(|k| !known.contains(k.as_str())) {
        errors.push(FieldError::field(join(prefix, key), "unknown field"));
    }
    let mut out = Map::new();
    for (name, attrs) in fields(schema) {
        let value = match body.get(name) {
            Some(v) if !v.is_null() => v.clone(),
            _ => missing(attrs),
        };
        out.insert(name.clone(), check_field(attrs, value, &join(prefix, name), errors));
    }
    if let Some(checks) = schema["entity_checks"].as_array() {
        entity_checks(checks, schema, &out, prefix, errors);
    }
    out
}

/// A record as Kong would store it, without checking it: every field present, unset ones at their
/// default (null without one), nested records filled the same way. Nothing is generated, so two
/// fillings of the same body are equal (a comparison's view, not a write's).
pub fn with_defaults(schema: &Value, body: &Map<String, Value>) -> Map<String, Value> {
    let mut out = body.clone();
    for (name, attrs) in fields(schema) {
        let value = match body.get(name) {
            Some(v) if !v.is_null() => v.clone(),
            _ => attrs.get("default").cloned().unwrap_or(Value::Null),
        };
        let value = match (&value, attrs["type"].as_str()) {
            (Value::Object(inner), Some("record")) => Value::Object(with_defaults(attrs, inner)),
            (Value::Null, Some("record")) if attrs["required"] == true => {
                Value::Object(with_defaults(attrs, &Map::new()))
            }
            _ => value,
        };
        out.insert(name.clone(), value);
    }
    out
}

/// The dotted paths of a schema's secret fields (Kong marks them `encrypted`), records included.
pub fn encrypted_paths(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (name, attrs) in fields(schema) {
        if attrs["encrypted"] == true {
            out.push(name.clone());
        }
        if attrs["type"] == "record" {
            out.extend(encrypted_paths(attrs).into_iter().map(|p| format!("{name}.{p}")));
        }
    }
    out
}

/// The value of an unset field: its default; a generated value for `auto` strings; a required
/// record (without a default) built from its own fields' defaults; otherwise null.
fn missing(attrs: &Value) -> Value {
    if let Some(d) = attrs.get("default") {
        return d.clone();
    }
    if attrs["auto"] == true && attrs["type"] == "string" {
        return Value::String(uuid::Uuid::new_v4().simple().to_string());
    }
    if attrs["type"] == "record" && attrs["required"] == true && attrs["abstract"] != true {
        return Value::Object(Map::new());
    }
    Value::Null
}

/// Checks one value against a field's attributes; errors go under `path`. Returns the value as
/// stored: defaults filled inside records, sets de-duplicated.
pub fn check_field(attrs: &Value, value: Value, path: &str, errors: &mut Vec<FieldError>) -> Value {
    if value.is_null() {
        if let Some(msg) = null_error(attrs) {
            errors.push(FieldError::field(path, msg));
        }
        return Value::Null;
    }
    if attrs["referenceable"] == true && value.as_str().is_some_and(is_vault_reference) {
        return value;
    }
    let before = errors.len();
    let value = match typed(attrs, value, path, errors) {
        Ok(v) => v,
        Err(msg) => {
            errors.push(FieldError::field(path, msg));
            return Value::Null;
        }
    };
    // As Kong, a value whose parts failed is not judged as a whole.
    if errors.len() == before {
        if let Err(msg) = validators(attrs, &value) {
            errors.push(FieldError::field(path, msg));
        }
    }
    value
}

/// A vault reference (`{vault://env/name}`) stands for a secret and is resolved by the data plane.
fn is_vault_reference(s: &str) -> bool {
    s.starts_with("{vault://") && s.ends_with('}')
}

fn null_error(attrs: &Value) -> Option<String> {
    if attrs.get("ne") == Some(&Value::Null) {
        return Some("value must not be null".into());
    }
    match attrs.get("eq") {
        Some(eq) if !eq.is_null() => return Some(format!("value must be {}", show(eq))),
        _ => {}
    }
    (attrs["required"] == true).then(|| "required field missing".into())
}

/// The type check, and the nested walk of arrays, sets, maps and records.
fn typed(
    attrs: &Value,
    value: Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Result<Value, String> {
    let ty = attrs["type"].as_str().unwrap_or("any");
    match (ty, value) {
        ("string", v @ Value::String(_)) | ("boolean", v @ Value::Bool(_)) => Ok(v),
        ("number", v @ Value::Number(_)) => Ok(v),
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Value::Number(n)),
        // JSON has one number type: a whole float is an integer, as in Lua.
        ("integer", Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::from(f as i64)),
            _ => Err("expected an integer".into()),
        },
        ("array" | "set", Value::Array(items)) => Ok(elements(attrs, ty, items, path, errors)),
        ("map", Value::Object(m)) => Ok(map(attrs, m, path, errors)),
        ("record", Value::Object(m)) => Ok(Value::Object(check_record(attrs, &m, path, errors))),
        ("foreign", v @ Value::Object(_)) => Ok(v),
        ("json" | "any", v) => Ok(v),
        ("integer", _) => Err("expected an integer".into()),
        (t @ ("string" | "number" | "boolean" | "array" | "set" | "map" | "record"), _) => {
            Err(format!("expected a {t}"))
        }
        ("foreign", _) => Err("expected a record".into()),
        (_, v) => Ok(v),
    }
}

/// Array and set items: each required and checked against `elements`; a set keeps the first
/// occurrence of each value. Items are numbered from 1, as Kong's error tables are.
fn elements(
    attrs: &Value,
    ty: &str,
    items: Vec<Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Value {
    let mut element = attrs["elements"].clone();
    if let Value::Object(e) = &mut element {
        e.insert("required".into(), Value::Bool(true));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let v = check_field(&element, item, &format!("{path}[{}]", i + 1), errors);
        if ty == "array" || seen.insert(v.to_string()) {
            out.push(v);
        }
    }
    Value::Array(out)
}

fn map(attrs: &Value, m: Map<String, Value>, path: &str, errors: &mut Vec<FieldError>) -> Value {
    let mut out = Map::new();
    for (k, v) in m {
        let at = join(path, &k);
        check_field(&attrs["keys"], Value::String(k.clone()), &at, errors);
        let v = check_field(&attrs["values"], v, &at, errors);
        out.insert(k, v);
    }
    Value::Object(out)
}

/// A value as Kong's messages print it: strings bare, whole numbers without a fraction.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn show_list(v: &Value) -> String {
    v.as_array().into_iter().flatten().map(show).collect::<Vec<_>>().join(", ")
}

/// JSON equality with numbers compared by value (`1` equals `1.0`, as in Lua).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn length(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        Value::Object(o) => Some(o.len()),
        _ => None,
    }
}

/// Kong's validators, in `Schema.validators_order`, with its messages. The first failure wins.
pub fn validators(attrs: &Value, v: &Value) -> Result<(), String> {
    let n = v.as_f64();
    let s = v.as_str();
    let invalid = || format!("invalid value: {}", show(v));
    if let Some(eq) = attrs.get("eq") {
        if !same(eq, v) {
            return Err(format!("value must be {}", show(eq)));
        }
    }
    if let Some(ne) = attrs.get("ne").filter(|ne| same(ne, v)) {
        return Err(format!("value must not be {}", show(ne)));
    }
    if let Some(list) = attrs["not_one_of"].as_array().filter(|l| l.iter().any(|c| same(c, v))) {
        return Err(format!("must not be one of: {}", show_list(&Value::Array(list.clone()))));
    }
    if let Some(list) = attrs["one_of"].as_array().filter(|l| !l.iter().any(|c| same(c, v))) {
        return Err(format!("expected one of: {}", show_list(&Value::Array(list.clone()))));
    }
    if let (Some(gt), Some(n)) = (attrs.get("gt"), n) {
        if n <= gt.as_f64().unwrap_or(f64::NEG_INFINITY) {
            return Err(format!("value must be greater than {}", show(gt)));
        }
    }
    if attrs["timestamp"] == true && n.is_some_and(|n| n < 0.0) {
        return Err("expected a valid timestamp".into());
    }
    if attrs["uuid"] == true && s.is_some_and(|s| uuid::Uuid::parse_str(s).is_err()) {
        return Err("expected a valid UUID".into());
    }
    if attrs["is_regex"] == true && s.is_some_and(|s| regex::Regex::new(s).is_err()) {
        return Err(format!("not a valid regex: {}", show(v)));
    }
    if let (Some([lo, hi]), Some(n)) = (attrs["between"].as_array().map(Vec::as_slice), n) {
        if n < lo.as_f64().unwrap_or(f64::MIN) || n > hi.as_f64().unwrap_or(f64::MAX) {
            return Err(format!("value should be between {} and {}", show(lo), show(hi)));
        }
    }
    lengths(attrs, v)?;
    if let Some(s) = s {
        strings(attrs, s).map_err(|e| e.unwrap_or_else(invalid))?;
    }
    if let (Some(want), Some(items)) = (attrs.get("contains"), v.as_array()) {
        if !items.iter().any(|i| same(i, want)) {
            return Err(format!("expected to contain: {}", show(want)));
        }
    }
    if let (Some(subsets), Some(items)) =
        (attrs["mutually_exclusive_subsets"].as_array(), v.as_array())
    {
        exclusive_subsets(subsets, items)?;
    }
    Ok(())
}

/// `len_eq`, `len_min`, `len_max`; a string without `len_min` must not be empty.
fn lengths(attrs: &Value, v: &Value) -> Result<(), String> {
    let Some(len) = length(v) else { return Ok(()) };
    let implicit_min = (attrs["type"] == "string").then_some(1);
    if let Some(eq) = attrs["len_eq"].as_u64().filter(|eq| len as u64 != *eq) {
        return Err(format!("length must be {eq}"));
    }
    if let Some(min) = attrs["len_min"].as_u64().or(implicit_min).filter(|m| (len as u64) < *m) {
        return Err(format!("length must be at least {min}"));
    }
    if let Some(max) = attrs["len_max"].as_u64().filter(|m| len as u64 > *m) {
        return Err(format!("length must be at most {max}"));
    }
    Ok(())
}

/// `starts_with` and the Lua-pattern validators. `Err(None)` means Kong's generic
/// `invalid value: ...`; `Err(Some(..))` a message of the schema's own.
fn strings(attrs: &Value, s: &str) -> Result<(), Option<String>> {
    let found = |p: &Value| lua_pattern::find(s, p.as_str().unwrap_or_default()).unwrap_or(false);
    let own = |rule: &Value| rule["err"].as_str().map(str::to_string);
    if let Some(prefix) = attrs["starts_with"].as_str().filter(|p| !s.starts_with(p)) {
        return Err(Some(format!("should start with: {prefix}")));
    }
    if attrs.get("not_match").is_some_and(found) {
        return Err(None);
    }
    for rule in attrs["match_none"].as_array().into_iter().flatten() {
        if found(&rule["pattern"]) {
            return Err(own(rule));
        }
    }
    if attrs.get("match").is_some_and(|p| !found(p)) {
        return Err(None);
    }
    for rule in attrs["match_all"].as_array().into_iter().flatten() {
        if !found(&rule["pattern"]) {
            return Err(own(rule));
        }
    }
    let any = &attrs["match_any"];
    if let Some(patterns) = any["patterns"].as_array() {
        if !patterns.iter().any(found) {
            return Err(own(any));
        }
    }
    Ok(())
}

/// A set's values must all come from one of the subsets (route protocols: http/https, or
/// tcp/tls/udp, ...).
fn exclusive_subsets(subsets: &[Value], items: &[Value]) -> Result<(), String> {
    let mut used: Vec<&Value> = Vec::new();
    for item in items {
        let owner = subsets.iter().find(|s| s.as_array().is_some_and(|s| s.contains(item)));
        if let Some(owner) = owner.filter(|o| !used.contains(o)) {
            used.push(owner);
        }
    }
    match used.as_slice() {
        [a, b, ..] => Err(format!(
            "these sets are mutually exclusive: {{{}}}, {{{}}}",
            show_list(a).replace(", ", ","),
            show_list(b).replace(", ", ",")
        )),
        _ => Ok(()),
    }
}

/// A value at a dotted path inside a record.
fn get<'a>(record: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut at = record.get(parts.next()?)?;
    for part in parts {
        at = at.get(part)?;
    }
    Some(at)
}

/// A field's attributes at a dotted path inside a record's schema.
fn schema_field<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = schema;
    for part in path.split('.') {
        at = fields(at).find(|(n, _)| *n == part)?.1;
    }
    Some(at)
}

/// Kong's `is_nonempty`: not null, not `""`, not `[]` or `{}`.
fn nonempty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}

/// A record's entity checks. Paths are the record's own; errors are placed under `prefix`.
/// A check whose fields already failed is not run, as Kong skips it.
pub fn entity_checks(
    checks: &[Value],
    schema: &Value,
    record: &Map<String, Value>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    let failed: HashSet<String> = errors.iter().map(|e| e.field.clone()).collect();
    for check in checks.iter().filter_map(Value::as_object) {
        for (name, arg) in check {
            let involved = check_fields(name, arg);
            if involved.iter().any(|f| failed.contains(&join(prefix, f))) {
                continue;
            }
            let ctx = CheckCtx { schema, record, prefix };
            for e in ctx.run(name, arg) {
                errors.push(e);
            }
        }
    }
}

fn check_fields<'a>(name: &str, arg: &'a Value) -> Vec<&'a str> {
    match name {
        "conditional" | "conditional_at_least_one_of" => {
            [&arg["if_field"], &arg["then_field"]].into_iter().filter_map(Value::as_str).collect()
        }
        "mutually_exclusive_sets" => {
            let mut all = names(&arg["set1"]);
            all.extend(names(&arg["set2"]));
            all
        }
        _ => names(arg),
    }
}

struct CheckCtx<'a> {
    schema: &'a Value,
    record: &'a Map<String, Value>,
    prefix: &'a str,
}

impl CheckCtx<'_> {
    fn entity(&self, message: String) -> FieldError {
        if self.prefix.is_empty() {
            FieldError::entity(message)
        } else {
            FieldError {
                kind: super::validate::ErrorType::Entity,
                field: self.prefix.to_string(),
                message,
            }
        }
    }

    fn set(&self, path: &str) -> bool {
        nonempty(get(self.record, path))
    }

    fn run(&self, name: &str, arg: &Value) -> Vec<FieldError> {
        let list = names(arg);
        let count = list.iter().filter(|f| self.set(f)).count();
        let fail = |fmt: &str| vec![self.entity(fmt.replace("%s", &quoted(&list)))];
        match name {
            "at_least_one_of" if count == 0 => {
                fail("at least one of these fields must be non-empty: %s")
            }
            "only_one_of" if count != 1 => {
                fail("exactly one of these fields must be non-empty: %s")
            }
            "mutually_required" if count != 0 && count != list.len() => {
                fail("all or none of these fields must be set: %s")
            }
            "mutually_exclusive" if count > 1 => {
                fail("only one or none of these fields must be set: %s")
            }
            "distinct" => self.distinct(&list),
            "mutually_exclusive_sets" => self.exclusive_sets(arg),
            "conditional" => self.conditional(arg),
            "conditional_at_least_one_of" => self.conditional_at_least_one_of(arg),
            // `custom_entity_check` is a Lua function, left out of the wire format.
            _ => Vec::new(),
        }
    }

    fn distinct(&self, list: &[&str]) -> Vec<FieldError> {
        let values: Vec<&Value> =
            list.iter().filter_map(|f| get(self.record, f)).filter(|v| !v.is_null()).collect();
        let clash = values.iter().enumerate().any(|(i, a)| values[i + 1..].contains(a));
        if clash {
            let msg = format!("values of these fields must be distinct: {}", quoted(list));
            return vec![self.entity(msg)];
        }
        Vec::new()
    }

    fn exclusive_sets(&self, arg: &Value) -> Vec<FieldError> {
        let (one, two) = (names(&arg["set1"]), names(&arg["set2"]));
        if one.iter().any(|f| self.set(f)) && two.iter().any(|f| self.set(f)) {
            let msg = format!(
                "these sets are mutually exclusive: ({}), ({})",
                quoted(&one),
                quoted(&two)
            );
            return vec![self.entity(msg)];
        }
        Vec::new()
    }

    /// Whether the value at `field` passes `rules` laid over that field's own attributes (Kong
    /// sets the field as the rules' metatable index).
    fn passes(&self, field: &str, rules: &Value) -> Result<(), String> {
        let mut attrs = schema_field(self.schema, field).cloned().unwrap_or(Value::Null);
        match (&mut attrs, rules.as_object()) {
            (Value::Object(a), Some(r)) => a.extend(r.clone()),
            _ => attrs = rules.clone(),
        }
        match get(self.record, field).filter(|v| !v.is_null()) {
            None => null_error(&attrs).map_or(Ok(()), Err),
            Some(v) => validators(&attrs, v),
        }
    }

    fn conditional(&self, arg: &Value) -> Vec<FieldError> {
        let (Some(if_field), Some(then_field)) =
            (arg["if_field"].as_str(), arg["then_field"].as_str())
        else {
            return Vec::new();
        };
        if self.passes(if_field, &arg["if_match"]).is_err() {
            return Vec::new();
        }
        let Err(err) = self.passes(then_field, &arg["then_match"]) else { return Vec::new() };
        let err = arg["then_err"].as_str().map(str::to_string).unwrap_or(err);
        vec![
            self.entity(format!("failed conditional validation given value of field '{if_field}'")),
            FieldError::field(join(self.prefix, then_field), err),
        ]
    }

    fn conditional_at_least_one_of(&self, arg: &Value) -> Vec<FieldError> {
        let Some(if_field) = arg["if_field"].as_str() else { return Vec::new() };
        let (list, err) = if self.passes(if_field, &arg["if_match"]).is_ok() {
            (names(&arg["then_at_least_one_of"]), &arg["then_err"])
        } else if !arg["else_match"].is_null() && self.passes(if_field, &arg["else_match"]).is_ok()
        {
            (names(&arg["else_then_at_least_one_of"]), &arg["else_then_err"])
        } else {
            return Vec::new();
        };
        if list.iter().any(|f| self.set(f)) {
            return Vec::new();
        }
        let fmt = err.as_str().unwrap_or("at least one of these fields must be non-empty: %s");
        vec![self.entity(fmt.replacen("%s", &quoted(&list), 1))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_fill_a_plugin_config_as_the_store_would_without_generating() {
        let schema = plugin_schema("rate-limiting").unwrap();
        let config = fields(schema).find(|(n, _)| *n == "config").unwrap().1;
        let body = json!({"minute": 5}).as_object().cloned().unwrap();
        let filled = with_defaults(config, &body);
        let mut errors = Vec::new();
        let stored = check_record(config, &body, "config", &mut errors);
        assert!(errors.is_empty());
        assert_eq!(filled["minute"], 5);
        assert_eq!(filled["policy"], "local");
        assert_eq!(filled["hour"], Value::Null);
        assert_eq!(filled["redis"]["port"], 6379, "a required record filled from its fields");
        assert_eq!(Value::Object(filled.clone()), Value::Object(stored));
        let oauth = plugin_schema("oauth2").unwrap();
        let config = fields(oauth).find(|(n, _)| *n == "config").unwrap().1;
        let body = json!({"scopes": ["a"]}).as_object().cloned().unwrap();
        assert_eq!(with_defaults(config, &body), with_defaults(config, &body), "nothing generated");
    }

    #[test]
    fn secret_fields_are_found_by_their_encrypted_mark() {
        let paths = encrypted_paths(plugin_schema("rate-limiting").unwrap());
        assert_eq!(paths, vec!["config.redis.password"]);
        assert!(encrypted_paths(plugin_schema("cors").unwrap()).is_empty());
    }

    #[test]
    fn validators_speak_kongs_messages() {
        let cases: &[(Value, Value, Option<&str>)] = &[
            (json!({"type": "string", "eq": "a"}), json!("b"), Some("value must be a")),
            (json!({"type": "string", "ne": "a"}), json!("a"), Some("value must not be a")),
            (json!({"type": "integer", "one_of": [1, 2]}), json!(3), Some("expected one of: 1, 2")),
            (
                json!({"type": "string", "not_one_of": ["x"]}),
                json!("x"),
                Some("must not be one of: x"),
            ),
            (json!({"type": "number", "gt": 0}), json!(0), Some("value must be greater than 0")),
            (json!({"type": "number", "gt": 0}), json!(0.5), None),
            (
                json!({"type": "integer", "between": [0, 65535]}),
                json!(70000),
                Some("value should be between 0 and 65535"),
            ),
            (json!({"type": "string"}), json!(""), Some("length must be at least 1")),
            (json!({"type": "string", "len_min": 0}), json!(""), None),
            (
                json!({"type": "string", "len_max": 2}),
                json!("abc"),
                Some("length must be at most 2"),
            ),
            (json!({"type": "array", "len_eq": 1}), json!([]), Some("length must be 1")),
            (
                json!({"type": "string", "starts_with": "/"}),
                json!("a"),
                Some("should start with: /"),
            ),
            (json!({"type": "string", "match": "^%u+$"}), json!("get"), Some("invalid value: get")),
            (
                json!({"type": "string", "not_match": "%s"}),
                json!("a b"),
                Some("invalid value: a b"),
            ),
            (
                json!({"type": "string", "match_none": [{"pattern": "//", "err": "no //"}]}),
                json!("/a//b"),
                Some("no //"),
            ),
            (
                json!({"type": "string", "match_all": [{"pattern": "^a", "err": "a first"}]}),
                json!("ba"),
                Some("a first"),
            ),
            (
                json!({"type": "string", "match_any": {"patterns": ["^/", "^~/"], "err": "bad"}}),
                json!("~/x"),
                None,
            ),
            (json!({"type": "string", "uuid": true}), json!("x"), Some("expected a valid UUID")),
            (
                json!({"type": "string", "is_regex": true}),
                json!("(a"),
                Some("not a valid regex: (a"),
            ),
            (
                json!({"type": "set", "contains": "exp"}),
                json!(["nbf"]),
                Some("expected to contain: exp"),
            ),
            (
                json!({"type": "set", "mutually_exclusive_subsets": [["http", "https"], ["tcp"]]}),
                json!(["http", "tcp"]),
                Some("these sets are mutually exclusive: {http,https}, {tcp}"),
            ),
        ];
        for (attrs, value, want) in cases {
            let got = validators(attrs, value).err();
            assert_eq!(got.as_deref(), *want, "{attrs} on {value}");
        }
    }

    fn check(schema: Value, body: Value) -> (Map<String, Value>, Vec<(String, String)>) {
        let mut errors = Vec::new();
        let out = check_record(&schema, body.as_object().unwrap(), "", &mut errors);
        (out, errors.into_iter().map(|e| (e.field, e.message)).collect())
    }

    #[test]
    fn records_fill_defaults_dedupe_sets_and_name_nested_fields() {
        let schema = json!({"fields": [
            {"config": {"type": "record", "required": true, "fields": [
                {"tags": {"type": "set", "elements": {"type": "string"}}},
                {"redis": {"type": "record", "required": true, "fields": [
                    {"host": {"type": "string"}},
                    {"port": {"type": "integer", "default": 6379}},
                ]}},
                {"n": {"type": "integer"}},
            ]}},
        ]});
        let (out, errs) = check(schema.clone(), json!({"config": {"tags": ["a", "b", "a"]}}));
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(out["config"]["tags"], json!(["a", "b"]));
        assert_eq!(out["config"]["redis"], json!({"host": null, "port": 6379}));
        let (_, errs) = check(schema, json!({"config": {"n": 1.5, "redis": {"x": 1}}, "y": 2}));
        let want = [
            ("y", "unknown field"),
            ("config.redis.x", "unknown field"),
            ("config.n", "expected an integer"),
        ];
        for (field, msg) in want {
            assert!(errs.contains(&(field.into(), msg.into())), "{field}: {errs:?}");
        }
    }

    #[test]
    fn entity_checks_run_in_their_own_record() {
        let schema = json!({
            "fields": [{"config": {"type": "record", "required": true, "fields": [
                {"policy": {"type": "string", "default": "local"}},
                {"host": {"type": "string"}},
                {"a": {"type": "string"}}, {"b": {"type": "string"}},
            ], "entity_checks": [{"only_one_of": ["a", "b"]}]}}],
            "entity_checks": [{"conditional": {
                "if_field": "config.policy", "if_match": {"eq": "redis"},
                "then_field": "config.host", "then_match": {"required": true},
            }}],
        });
        let (_, errs) = check(schema.clone(), json!({"config": {"a": "x"}}));
        assert!(errs.is_empty(), "{errs:?}");
        let (_, errs) = check(schema, json!({"config": {"policy": "redis"}}));
        assert_eq!(
            errs,
            [
                ("config".into(), "exactly one of these fields must be non-empty: 'a', 'b'".into()),
                (
                    "".into(),
                    "failed conditional validation given value of field 'config.policy'".into()
                ),
                ("config.host".into(), "required field missing".into()),
            ]
        );
    }

    #[test]
    fn every_schema_file_parses_and_is_served_by_name() {
        assert!(plugin_names().contains(&"key-auth"));
        for name in plugin_names() {
            let schema = plugin_schema(name).unwrap();
            assert!(schema["fields"].is_array(), "{name}");
            assert!(fields(schema).any(|(f, _)| f == "config"), "{name}");
        }
    }
}
