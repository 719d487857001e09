//! Every bundled plugin's schema on the local control plane: served as Kong serves it, a config
//! built only from the schema accepted with its defaults filled, and Kong's exact messages on the
//! nested field for real mistakes.

use serde_json::{json, Map, Value};
use system_tests::{core_entities_api, field_messages};

/// Plugins whose schema a config cannot be derived for generically, and why.
const KNOWN_EXCEPTIONS: [(&str, &str); 1] = [(
    "acme",
    "config.account_email is required and must match the Lua pattern `%w*%p*@+%w*%.?%w*` (an \
     e-mail address): no value follows from its type alone",
)];

fn fields(record: &Value) -> impl Iterator<Item = (&String, &Value)> {
    record["fields"].as_array().into_iter().flatten().filter_map(Value::as_object).flatten()
}

fn field<'a>(record: &'a Value, name: &str) -> &'a Value {
    fields(record).find(|(n, _)| *n == name).map(|(_, a)| a).unwrap_or(&Value::Null)
}

/// A plausible value for a field that must be set and has no default, from its type and
/// validators alone.
fn sample(attrs: &Value) -> Value {
    if let Some(first) = attrs["one_of"].as_array().and_then(|l| l.first()) {
        return first.clone();
    }
    match attrs["type"].as_str().unwrap_or("string") {
        "string" if attrs["uuid"] == true => json!("7f9fd312-a987-4628-b4c5-bb4f4fddd5f7"),
        "string" => {
            let prefix = attrs["starts_with"].as_str().unwrap_or_default();
            let min = attrs["len_min"].as_u64().unwrap_or(1) as usize;
            json!(format!("{prefix}{}", "example".repeat(min / 7 + 1)))
        }
        "integer" | "number" => {
            let low = attrs["between"][0].as_f64().or(attrs["gt"].as_f64().map(|g| g + 1.0));
            json!(low.unwrap_or(1.0).max(attrs["gt"].as_f64().map_or(f64::MIN, |g| g + 1.0)))
        }
        "boolean" => json!(false),
        "array" | "set" => {
            let n = attrs["len_min"].as_u64().unwrap_or(1).max(1);
            let one = sample(&attrs["elements"]);
            let items: Vec<Value> = (0..n)
                .map(|i| match &one {
                    Value::String(s) if i > 0 => json!(format!("{s}{i}")),
                    other => other.clone(),
                })
                .collect();
            Value::Array(items)
        }
        "map" if attrs["len_min"].as_u64().unwrap_or(0) > 0 => {
            let key = sample(&attrs["keys"]).as_str().unwrap_or("example").to_string();
            json!({ key: sample(&attrs["values"]) })
        }
        "map" => json!({}),
        "record" => Value::Object(record_from_schema(attrs)),
        _ => Value::Null,
    }
}

/// A record's body: its required fields without a default, each given a sample; required
/// records recursed into (their defaults are the server's to fill); then its entity checks.
fn record_from_schema(record: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, attrs) in fields(record) {
        let required = attrs["required"] == true && attrs.get("default").is_none();
        if required && attrs["type"] == "record" {
            let inner = record_from_schema(attrs);
            if !inner.is_empty() {
                out.insert(name.clone(), Value::Object(inner));
            }
        } else if required {
            out.insert(name.clone(), sample(attrs));
        }
    }
    satisfy_checks(record, &mut out);
    out
}

fn at<'a>(body: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut v = body.get(parts.next()?)?;
    for p in parts {
        v = v.get(p)?;
    }
    Some(v)
}

fn set_at(body: &mut Map<String, Value>, record: &Value, path: &str) {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    let attrs = field(record, head);
    if rest.is_empty() {
        body.insert(head.into(), sample(attrs));
    } else {
        let inner = body.entry(head).or_insert_with(|| json!({}));
        set_at(inner.as_object_mut().unwrap(), attrs, rest);
    }
}

/// The value a field will have on the server: given, else its default.
fn effective(body: &Map<String, Value>, record: &Value, path: &str) -> Value {
    if let Some(v) = at(body, path).filter(|v| !v.is_null()) {
        return v.clone();
    }
    let attrs = path.split('.').fold(record, |r, p| field(r, p));
    attrs.get("default").cloned().unwrap_or(Value::Null)
}

/// `if_match` rules a generic config meets often enough: `eq` and `one_of`.
fn matches(value: &Value, rules: &Value) -> bool {
    if let Some(eq) = rules.get("eq") {
        return value == eq;
    }
    if let Some(list) = rules["one_of"].as_array() {
        return list.contains(value);
    }
    !value.is_null()
}

/// Sets the first field of each check that asks for one of several.
fn satisfy_checks(record: &Value, body: &mut Map<String, Value>) {
    let names = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(Value::as_str).map(String::from).collect()
    };
    for check in record["entity_checks"].as_array().into_iter().flatten() {
        let need = if let Some(list) = check.get("at_least_one_of") {
            names(list)
        } else if let Some(list) = check.get("only_one_of") {
            names(list)
        } else if let Some(c) = check.get("conditional_at_least_one_of") {
            let value = effective(body, record, c["if_field"].as_str().unwrap_or_default());
            if matches(&value, &c["if_match"]) {
                names(&c["then_at_least_one_of"])
            } else if c.get("else_match").is_some_and(|m| matches(&value, m)) {
                names(&c["else_then_at_least_one_of"])
            } else {
                Vec::new()
            }
        } else {
            Vec::new()
        };
        let already = need.iter().any(|f| at(body, f).is_some_and(|v| !v.is_null()));
        if let (Some(first), false) = (need.first(), already) {
            set_at(body, record, first);
        }
    }
}

/// Every default of a record's schema is in the stored record.
fn assert_defaults(name: &str, record: &Value, stored: &Value, path: &str) {
    for (field, attrs) in fields(record) {
        let at = format!("{path}.{field}");
        let got = &stored[field.as_str()];
        match attrs.get("default") {
            Some(d) if attrs["type"] == "set" => {
                let want: Vec<&Value> = d.as_array().unwrap().iter().collect();
                let got: Vec<&Value> = got.as_array().into_iter().flatten().collect();
                assert!(want.iter().all(|w| got.contains(w)), "{name} {at}: {got:?}");
            }
            Some(d) if !d.is_null() && got.is_null() => panic!("{name} {at}: default {d} missing"),
            _ if attrs["type"] == "record" && got.is_object() => {
                assert_defaults(name, attrs, got, &at);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn every_plugin_is_served_and_accepts_a_config_from_its_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (_cp, api) = core_entities_api(dir.path()).await;
    let (s, available) = api.call("GET", "/v1/available-plugins", None).await;
    assert_eq!(s, 200, "{available}");
    let names: Vec<String> = available["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    let files = std::fs::read_dir(
        system_tests::workspace_root().join("crates/control-plane/schemas/plugins"),
    )
    .unwrap()
    .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".json").map(String::from))
    .count();
    assert_eq!(names.len(), files, "one plugin per schema file");
    let mut failures = Vec::new();
    for name in &names {
        let (s, schema) = api.call("GET", &format!("/schemas/plugins/{name}"), None).await;
        assert_eq!(s, 200, "{name}");
        assert!(schema["entity_checks"].is_array(), "{name}");
        if KNOWN_EXCEPTIONS.iter().any(|(n, _)| n == name) {
            continue;
        }
        let config_schema = field(&schema, "config");
        let config = Value::Object(record_from_schema(config_schema));
        let mut body = json!({"name": name, "config": config});
        // A check across the plugin's own fields (paths from the entity) is satisfied too.
        satisfy_checks(&schema, body.as_object_mut().unwrap());
        let (s, created) = api.call("POST", "/plugins", Some(body.clone())).await;
        if s != 201 {
            failures.push(format!("{name}: {s} {created} for {body}"));
            continue;
        }
        assert_defaults(name, config_schema, &created["config"], "config");
    }
    assert!(failures.is_empty(), "{} refused:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn kongs_messages_land_on_the_nested_field() {
    let dir = tempfile::tempdir().unwrap();
    let (_cp, api) = core_entities_api(dir.path()).await;

    let (s, body) = api
        .call(
            "POST",
            "/plugins",
            Some(json!({"name": "rate-limiting", "config": {"minute": 5, "policy": "redis"}})),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(field_messages(&body, "config.redis.host"), ["required field missing"], "{body}");
    assert_eq!(
        field_messages(&body, ""),
        ["failed conditional validation given value of field 'config.policy'"]
    );

    let cors = json!({"name": "cors", "config": {"methods": ["GET", "FETCH"]}});
    let (s, body) = api.call("POST", "/plugins", Some(cors)).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(
        field_messages(&body, "config.methods[2]"),
        ["expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT"],
        "{body}"
    );

    let jwt = json!({
        "name": "jwt",
        "config": {"maximum_expiration": 3600, "claims_to_verify": ["nbf"]},
    });
    let (s, body) = api.call("POST", "/plugins", Some(jwt)).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(field_messages(&body, "config.claims_to_verify"), ["expected to contain: exp"]);
    assert_eq!(
        field_messages(&body, ""),
        ["failed conditional validation given value of field 'config.maximum_expiration'"]
    );
    let jwt = json!({
        "name": "jwt",
        "config": {"maximum_expiration": 3600, "claims_to_verify": ["exp", "nbf", "exp"]},
    });
    let (s, body) = api.call("POST", "/plugins", Some(jwt)).await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["config"]["claims_to_verify"], json!(["exp", "nbf"]), "a set keeps firsts");
}

#[tokio::test]
async fn scopes_names_and_validate_follow_kong() {
    let dir = tempfile::tempdir().unwrap();
    let (_cp, api) = core_entities_api(dir.path()).await;
    let (s, consumer) = api.call("POST", "/consumers", Some(json!({"username": "ann"}))).await;
    assert_eq!(s, 201, "{consumer}");

    // An auth plugin cannot be scoped to a consumer: its schema says `consumer: {eq: null}`.
    let (s, body) =
        api.call("POST", "/consumers/ann/plugins", Some(json!({"name": "key-auth"}))).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(field_messages(&body, "consumer"), ["value must be null"], "{body}");
    let rl = json!({"name": "rate-limiting", "config": {"second": 1}});
    let (s, body) = api.call("POST", "/consumers/ann/plugins", Some(rl)).await;
    assert_eq!(s, 201, "{body}");

    let (s, body) = api.call("POST", "/plugins", Some(json!({"name": "no-such"}))).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(
        field_messages(&body, "name"),
        ["plugin 'no-such' not enabled; add it to the 'plugins' configuration property"]
    );
    let (s, body) = api.call("GET", "/schemas/plugins/no-such", None).await;
    assert_eq!(s, 404, "{body}");

    // Validate judges without storing.
    let good = json!({"name": "cors", "config": {"origins": ["*"]}});
    let (s, body) = api.call("POST", "/schemas/plugins/validate", Some(good)).await;
    assert_eq!(s, 200, "{body}");
    let bad = json!({"name": "cors", "config": {"max_age": "soon"}});
    let (s, body) = api.call("POST", "/schemas/plugins/validate", Some(bad)).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(field_messages(&body, "config.max_age"), ["expected a number"]);
    let (_, list) = api.call("GET", "/plugins", None).await;
    let stored: Vec<&Value> = list["data"].as_array().unwrap().iter().collect();
    assert!(stored.iter().all(|p| p["name"] != "cors"), "validate stored nothing: {list}");
}
