//! Kong-format schemas of every configuration entity kind and of the plugins the runtime runs.
//!
//! One description drives validation, defaults, references, uniqueness and the schema endpoint the
//! console builds its forms from; there is no per-kind handler code.

use std::sync::LazyLock;

use serde_json::{json, Value};

/// How an entity kind sits in the API: its collection path, its singular name, what identifies it.
#[derive(Debug, Clone)]
pub struct Kind {
    /// Collection path segment, e.g. `services`, `consumer_groups`, `key-sets`.
    pub path: &'static str,
    /// Singular name, as Kong's messages use it (`service`, `consumer_group`).
    pub singular: &'static str,
    /// The field that may stand for the id in a path (`/services/{name}`), if any.
    pub endpoint_key: Option<&'static str>,
    /// Kong's schema: `{"fields": [{"name": {...}}, ...]}`.
    pub schema: Value,
    /// Whether `filter[name][eq|contains]` applies, and on which field.
    pub name_filter: Option<&'static str>,
    /// Kong's declarative-config key for this kind (`keyauth_credentials` for `key-auths`).
    pub export_key: &'static str,
}

fn id_field() -> Value {
    json!({"id": {"type": "string", "uuid": true, "auto": true}})
}
fn timestamps() -> [Value; 2] {
    [
        json!({"created_at": {"type": "integer", "timestamp": true, "auto": true}}),
        json!({"updated_at": {"type": "integer", "timestamp": true, "auto": true}}),
    ]
}
fn tags() -> Value {
    json!({"tags": {"type": "set", "elements": {"type": "string", "len_min": 1}}})
}
fn fields(list: Vec<Value>) -> Value {
    let mut all = vec![id_field()];
    all.extend(timestamps());
    all.extend(list);
    all.push(tags());
    json!({ "fields": all })
}

const PROTOCOLS: [&str; 9] =
    ["grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp", "ws"];

fn services() -> Value {
    fields(vec![
        json!({"name": {"type": "string", "unique": true, "name_chars": true}}),
        json!({"retries": {"type": "integer", "default": 5, "between": [0, 32767]}}),
        json!({
            "protocol": {
                "type": "string",
                "required": true,
                "default": "http",
                "one_of": PROTOCOLS.iter().chain(["wss"].iter()).collect::<Vec<_>>(),
            },
        }),
        json!({"host": {"type": "string", "required": true, "host": true}}),
        json!({
            "port": {"type": "integer", "required": true, "default": 80, "between": [0, 65535]},
        }),
        json!({"path": {"type": "string", "starts_with": "/"}}),
        json!({
            "connect_timeout": {"type": "integer", "default": 60000, "between": [1, 2147483646]},
        }),
        json!({"write_timeout": {"type": "integer", "default": 60000, "between": [1, 2147483646]}}),
        json!({"read_timeout": {"type": "integer", "default": 60000, "between": [1, 2147483646]}}),
        json!({
            "client_certificate": {
                "type": "foreign",
                "reference": "certificates",
                "on_delete": "restrict",
            },
        }),
        json!({"tls_verify": {"type": "boolean"}}),
        json!({"tls_verify_depth": {"type": "integer", "between": [0, 64]}}),
        json!({"ca_certificates": {"type": "array", "elements": {"type": "string", "uuid": true}}}),
        json!({
            "tls_sans": {
                "type": "record",
                "fields": [
                    {"dnsnames": {"type": "array", "elements": {"type": "string"}}},
                    {"uris": {"type": "array", "elements": {"type": "string"}}},
                ],
            },
        }),
        json!({"enabled": {"type": "boolean", "required": true, "default": true}}),
    ])
}

fn routes() -> Value {
    let endpoint = json!({
        "type": "record",
        "fields": [
            {"ip": {"type": "string"}}, {"port": {"type": "integer", "between": [0, 65535]}},
        ],
    });
    fields(vec![
        json!({"name": {"type": "string", "unique": true, "name_chars": true}}),
        json!({
            "protocols": {
                "type": "set",
                "required": true,
                "default": ["http", "https"],
                "len_min": 1,
                "elements": {"type": "string", "one_of": PROTOCOLS},
            },
        }),
        json!({"methods": {"type": "set", "elements": {"type": "string", "method": true}}}),
        json!({"hosts": {"type": "array", "elements": {"type": "string", "wildcard_host": true}}}),
        json!({"paths": {"type": "array", "elements": {"type": "string", "router_path": true}}}),
        json!({
            "headers": {
                "type": "map",
                "keys": {"type": "string"},
                "values": {"type": "array", "elements": {"type": "string"}},
            },
        }),
        json!({
            "https_redirect_status_code": {
                "type": "integer",
                "required": true,
                "default": 426,
                "one_of": [301, 302, 307, 308, 426],
            },
        }),
        json!({"regex_priority": {"type": "integer", "default": 0}}),
        json!({"strip_path": {"type": "boolean", "required": true, "default": true}}),
        json!({"path_handling": {"type": "string", "default": "v0", "one_of": ["v0", "v1"]}}),
        json!({"preserve_host": {"type": "boolean", "required": true, "default": false}}),
        json!({"request_buffering": {"type": "boolean", "required": true, "default": true}}),
        json!({"response_buffering": {"type": "boolean", "required": true, "default": true}}),
        json!({"snis": {"type": "set", "elements": {"type": "string"}}}),
        json!({"sources": {"type": "set", "elements": endpoint}}),
        json!({"destinations": {"type": "set", "elements": endpoint}}),
        json!({"service": {"type": "foreign", "reference": "services", "on_delete": "restrict"}}),
    ])
}

fn consumers() -> Value {
    let schema = fields(vec![
        json!({"username": {"type": "string", "unique": true}}),
        json!({"custom_id": {"type": "string", "unique": true}}),
    ]);
    with_checks(schema, json!([{"at_least_one_of": ["custom_id", "username"]}]))
}

/// Kong's `entity_checks` of a kind, as data: served with the schema, so a form can show them
/// before a save. The validator enforces the same rules (`validate::entity_checks`).
fn with_checks(mut schema: Value, checks: Value) -> Value {
    schema["entity_checks"] = checks;
    schema
}

fn consumer_groups() -> Value {
    fields(vec![
        json!({"name": {"type": "string", "required": true, "unique": true, "name_chars": true}}),
    ])
}

fn plugins() -> Value {
    fields(vec![
        // The accepted names are the schema files present (`kong_schema::plugin_names`).
        json!({"name": {"type": "string", "required": true}}),
        json!({"instance_name": {"type": "string", "unique": true, "name_chars": true}}),
        json!({"route": {"type": "foreign", "reference": "routes", "on_delete": "cascade"}}),
        json!({"service": {"type": "foreign", "reference": "services", "on_delete": "cascade"}}),
        json!({"consumer": {"type": "foreign", "reference": "consumers", "on_delete": "cascade"}}),
        json!({
            "consumer_group": {
                "type": "foreign",
                "reference": "consumer_groups",
                "on_delete": "cascade",
            },
        }),
        json!({"config": {"type": "record", "plugin_config": true}}),
        json!({
            "protocols": {
                "type": "set",
                "required": true,
                "default": ["grpc", "grpcs", "http", "https"],
                "elements": {"type": "string", "one_of": PROTOCOLS},
            },
        }),
        json!({"enabled": {"type": "boolean", "required": true, "default": true}}),
    ])
}

fn upstreams() -> Value {
    fields(vec![
        json!({"name": {"type": "string", "required": true, "unique": true, "host": true}}),
        json!({
            "algorithm": {
                "type": "string",
                "default": "round-robin",
                "one_of": [
                    "consistent-hashing", "latency", "least-connections", "round-robin",
                    "sticky-sessions",
                ],
            },
        }),
        json!({
            "hash_on": {
                "type": "string",
                "default": "none",
                "one_of": [
                    "none", "consumer", "ip", "header", "cookie", "path", "query_arg",
                    "uri_capture",
                ],
            },
        }),
        json!({
            "hash_fallback": {
                "type": "string",
                "default": "none",
                "one_of": [
                    "none", "consumer", "ip", "header", "cookie", "path", "query_arg",
                    "uri_capture",
                ],
            },
        }),
        json!({"hash_on_header": {"type": "string"}}),
        json!({"hash_fallback_header": {"type": "string"}}),
        json!({"hash_on_cookie": {"type": "string"}}),
        json!({"hash_on_cookie_path": {"type": "string", "default": "/", "starts_with": "/"}}),
        json!({"hash_on_query_arg": {"type": "string"}}),
        json!({"hash_fallback_query_arg": {"type": "string"}}),
        json!({"hash_on_uri_capture": {"type": "string"}}),
        json!({"hash_fallback_uri_capture": {"type": "string"}}),
        json!({"slots": {"type": "integer", "default": 10000, "between": [10, 65536]}}),
        json!({"host_header": {"type": "string", "host": true}}),
        json!({
            "client_certificate": {
                "type": "foreign",
                "reference": "certificates",
                "on_delete": "restrict",
            },
        }),
        json!({"use_srv_name": {"type": "boolean", "default": false}}),
    ])
}

fn targets() -> Value {
    fields(vec![
        json!({
            "upstream": {
                "type": "foreign",
                "reference": "upstreams",
                "required": true,
                "on_delete": "cascade",
            },
        }),
        json!({"target": {"type": "string", "required": true, "target": true}}),
        json!({"weight": {"type": "integer", "default": 100, "between": [0, 65535]}}),
        json!({"failover": {"type": "boolean", "default": false}}),
    ])
}

fn certificates() -> Value {
    let schema = fields(vec![
        json!({"cert": {"type": "string", "required": true, "pem": "CERTIFICATE"}}),
        json!({
            "key": {"type": "string", "required": true, "pem": "PRIVATE KEY", "encrypted": true},
        }),
        json!({"cert_alt": {"type": "string", "pem": "CERTIFICATE"}}),
        json!({"key_alt": {"type": "string", "pem": "PRIVATE KEY", "encrypted": true}}),
    ]);
    with_checks(schema, json!([{"mutually_required": ["cert_alt", "key_alt"]}]))
}

fn ca_certificates() -> Value {
    fields(vec![
        json!({"cert": {"type": "string", "required": true, "pem": "CERTIFICATE"}}),
        json!({"cert_digest": {"type": "string", "unique": true, "auto": true}}),
    ])
}

fn snis() -> Value {
    fields(vec![
        json!({
            "name": {"type": "string", "required": true, "unique": true, "wildcard_host": true},
        }),
        json!({
            "certificate": {
                "type": "foreign",
                "reference": "certificates",
                "required": true,
                "on_delete": "cascade",
            },
        }),
    ])
}

fn vaults() -> Value {
    fields(vec![
        json!({
            "name": {
                "type": "string",
                "required": true,
                "one_of": ["env", "aws", "gcp", "hcv", "azure", "konnect"],
            },
        }),
        json!({"prefix": {"type": "string", "required": true, "unique": true, "name_chars": true}}),
        json!({"description": {"type": "string"}}),
        json!({"config": {"type": "map", "keys": {"type": "string"}, "values": {"type": "json"}}}),
    ])
}

fn keys() -> Value {
    fields(vec![
        json!({"set": {"type": "foreign", "reference": "key-sets", "on_delete": "cascade"}}),
        json!({"name": {"type": "string", "unique": true}}),
        json!({"kid": {"type": "string", "required": true}}),
        json!({"jwk": {"type": "string", "encrypted": true}}),
        json!({
            "pem": {
                "type": "record",
                "fields": [
                    {"private_key": {"type": "string", "encrypted": true}},
                    {"public_key": {"type": "string"}},
                ],
            },
        }),
        json!({"x5t": {"type": "string"}}),
    ])
}

fn key_sets() -> Value {
    fields(vec![json!({"name": {"type": "string", "unique": true}})])
}

/// An auth plugin's credential (Kong's `kong/plugins/<name>/daos.lua`): its consumer, which
/// takes it along when deleted, then its own fields. Credentials carry only created_at in Kong.
fn credential(own: Vec<Value>) -> Value {
    let mut list = vec![json!({
        "consumer": {
            "type": "foreign",
            "reference": "consumers",
            "required": true,
            "on_delete": "cascade",
        },
    })];
    list.extend(own);
    without_field(fields(list), "updated_at")
}

fn key_auths() -> Value {
    credential(vec![
        json!({"key": {"type": "string", "unique": true, "auto": true, "encrypted": true}}),
        json!({"ttl": {"type": "integer", "between": [0, 100000000]}}),
    ])
}

/// The password is stored as Kong stores it, hashed (`store::derived_fields`), and only the
/// hash is ever answered.
fn basic_auths() -> Value {
    credential(vec![
        json!({"username": {"type": "string", "required": true, "unique": true}}),
        json!({"password": {"type": "string", "required": true, "encrypted": true}}),
    ])
}

/// JWT signing algorithms of Kong 3.10's `jwt_secrets`; all but HMAC verify with a public key.
const JWT_ALGORITHMS: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA",
];

fn jwts() -> Value {
    let public_key: Vec<String> =
        JWT_ALGORITHMS.iter().filter(|a| !a.starts_with("HS")).map(|a| format!("^{a}$")).collect();
    let schema = credential(vec![
        json!({"key": {"type": "string", "unique": true, "auto": true}}),
        json!({"secret": {"type": "string", "auto": true, "encrypted": true}}),
        json!({"rsa_public_key": {"type": "string", "pem": "PUBLIC KEY"}}),
        json!({"algorithm": {"type": "string", "default": "HS256", "one_of": JWT_ALGORITHMS}}),
    ]);
    with_checks(
        schema,
        json!([{
            "conditional": {
                "if_field": "algorithm",
                "if_match": {"match_any": {"patterns": public_key}},
                "then_field": "rsa_public_key",
                "then_match": {"required": true},
            },
        }]),
    )
}

fn hmac_auths() -> Value {
    credential(vec![
        json!({"username": {"type": "string", "required": true, "unique": true}}),
        json!({"secret": {"type": "string", "auto": true, "encrypted": true}}),
    ])
}

fn acls() -> Value {
    credential(vec![json!({"group": {"type": "string", "required": true}})])
}

fn without_field(mut schema: Value, name: &str) -> Value {
    if let Some(list) = schema["fields"].as_array_mut() {
        list.retain(|f| f.get(name).is_none());
    }
    schema
}

/// Whether a kind's schema has a top-level field of this name.
pub fn has_field(kind: &Kind, name: &str) -> bool {
    kind.schema["fields"].as_array().is_some_and(|l| l.iter().any(|f| f.get(name).is_some()))
}

/// Every kind the config API serves, in dependency order (referenced kinds first).
pub static KINDS: LazyLock<Vec<Kind>> = LazyLock::new(|| {
    let k = |path, singular, endpoint_key, schema, name_filter, export_key| Kind {
        path,
        singular,
        endpoint_key,
        schema,
        name_filter,
        export_key,
    };
    vec![
        k("certificates", "certificate", None, certificates(), None, "certificates"),
        k("ca_certificates", "ca_certificate", None, ca_certificates(), None, "ca_certificates"),
        k("snis", "sni", Some("name"), snis(), None, "snis"),
        k("services", "service", Some("name"), services(), Some("name"), "services"),
        k("routes", "route", Some("name"), routes(), Some("name"), "routes"),
        k("consumers", "consumer", Some("username"), consumers(), Some("username"), "consumers"),
        k(
            "consumer_groups",
            "consumer_group",
            Some("name"),
            consumer_groups(),
            Some("name"),
            "consumer_groups",
        ),
        k("upstreams", "upstream", Some("name"), upstreams(), Some("name"), "upstreams"),
        k("targets", "target", None, targets(), None, "targets"),
        k("key-sets", "key_set", Some("name"), key_sets(), Some("name"), "key_sets"),
        k("keys", "key", Some("name"), keys(), Some("name"), "keys"),
        k("vaults", "vault", Some("prefix"), vaults(), Some("name"), "vaults"),
        k("key-auths", "keyauth_credential", Some("key"), key_auths(), None, "keyauth_credentials"),
        k(
            "basic-auths",
            "basicauth_credential",
            Some("username"),
            basic_auths(),
            None,
            "basicauth_credentials",
        ),
        k("jwts", "jwt_secret", Some("key"), jwts(), None, "jwt_secrets"),
        k(
            "hmac-auths",
            "hmacauth_credential",
            Some("username"),
            hmac_auths(),
            None,
            "hmacauth_credentials",
        ),
        // Kong's endpoint key `group` is not unique across consumers: acls go by id.
        k("acls", "acl", None, acls(), None, "acls"),
        k("plugins", "plugin", Some("instance_name"), plugins(), Some("name"), "plugins"),
    ]
});

pub fn kind(path: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.path == path)
}
