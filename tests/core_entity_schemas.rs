//! Kong's schemas and certificate parsing on the local control plane: broken PEMs and mismatched
//! keys refused on their fields with Kong's messages, every kind's schema in Kong's wire format,
//! and the answers the spec documents validated against `control-planes-config.v2.yaml`.

use serde_json::{json, Value};
use system_tests::spec::Spec;
use system_tests::{core_entities_api, field_messages};

/// Kong's field types (`Schema.valid_types`, without the internal `function` and `any`).
const KONG_TYPES: [&str; 10] =
    ["string", "number", "integer", "boolean", "array", "set", "map", "record", "foreign", "json"];

fn p(suffix: &str) -> String {
    format!("/control-planes/{{controlPlaneId}}/core-entities{suffix}")
}

fn pair(host: &str) -> (String, String) {
    hybrid::link::generate_client_certificate(host).unwrap()
}

#[tokio::test]
async fn certificates_are_parsed_on_write() {
    let spec = Spec::load("control-planes-config.v2.yaml");
    let dir = tempfile::tempdir().unwrap();
    let (_cp, api) = core_entities_api(dir.path()).await;
    let (cert, key) = pair("api.example.com");

    // A PEM whose line breaks were lost, as a paste into a one-line box leaves it.
    let flat = cert.replace('\n', " ");
    let (s, body) =
        api.call("POST", "/certificates", Some(json!({"cert": flat, "key": key}))).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(body["code"], 3);
    let on_cert = field_messages(&body, "cert");
    assert!(on_cert.iter().any(|m| m.starts_with("invalid certificate: ")), "{body}");
    assert_eq!(body["details"][0]["type"], "ERROR_TYPE_FIELD");
    assert!(field_messages(&body, "key").is_empty(), "the key itself is fine: {body}");

    let (s, body) =
        api.call("POST", "/certificates", Some(json!({"cert": cert, "key": "-----BEGIN"}))).await;
    assert_eq!(s, 400);
    assert!(field_messages(&body, "key").iter().any(|m| m.starts_with("invalid key: ")), "{body}");

    // A key of another certificate.
    let (_, other_key) = pair("other.example.com");
    let (s, body) =
        api.call("POST", "/certificates", Some(json!({"cert": cert, "key": other_key}))).await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(field_messages(&body, "key"), ["certificate does not match key"]);

    // The alternative pair: set together, and checked the same way.
    let (alt_cert, _) = pair("alt.example.com");
    let alone = json!({"cert": cert, "key": key, "cert_alt": alt_cert});
    let (s, body) = api.call("POST", "/certificates", Some(alone)).await;
    assert_eq!(s, 400, "{body}");
    let (s, body) = api
        .call(
            "POST",
            "/certificates",
            Some(json!({"cert": cert, "key": key, "cert_alt": alt_cert, "key_alt": other_key})),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(field_messages(&body, "key_alt"), ["alternative certificate does not match key"]);

    // A broken certificate is not stored, so nothing can hang an SNI on it; a good one can.
    let (_, list) = api.call("GET", "/certificates", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "{list}");
    let (s, stored) =
        api.call("POST", "/certificates", Some(json!({"cert": cert, "key": key}))).await;
    assert_eq!(s, 201, "{stored}");
    spec.assert_response(&p("/certificates"), "post", 201, &stored);
    let id = stored["id"].as_str().unwrap();
    let (s, sni) = api
        .call("POST", &format!("/certificates/{id}/snis"), Some(json!({"name": "api.example.com"})))
        .await;
    assert_eq!(s, 201, "{sni}");
    spec.assert_response(&p("/certificates/{CertificateId}/snis"), "post", 201, &sni);
    assert_eq!(sni["certificate"]["id"], id);

    // A replacement is parsed as strictly as a creation.
    let (s, body) = api
        .call("PUT", &format!("/certificates/{id}"), Some(json!({"cert": flat, "key": key})))
        .await;
    assert_eq!(s, 400, "{body}");
    assert!(field_messages(&body, "cert")[0].starts_with("invalid certificate: "));
}

/// Checks one field's attributes in Kong's wire format, and its nested ones.
fn assert_kong_field(kind: &str, name: &str, attrs: &Value) {
    let ty = attrs["type"].as_str().unwrap_or_else(|| panic!("{kind}.{name}: no type"));
    assert!(KONG_TYPES.contains(&ty), "{kind}.{name}: type {ty} is not Kong's");
    for local in ["name_chars", "host", "wildcard_host", "router_path", "pem", "plugin_config"] {
        assert!(attrs.get(local).is_none(), "{kind}.{name}: local marker {local} on the wire");
    }
    match ty {
        "array" | "set" => assert_kong_field(kind, name, &attrs["elements"]),
        "map" => {
            assert_kong_field(kind, name, &attrs["keys"]);
            assert_kong_field(kind, name, &attrs["values"]);
        }
        "record" if attrs["abstract"] != true => {
            assert_kong_fields(kind, &attrs["fields"]);
        }
        "foreign" => assert!(attrs["reference"].is_string(), "{kind}.{name}: no reference"),
        _ => {}
    }
}

/// `fields` is an ordered array of one-key objects.
fn assert_kong_fields(kind: &str, fields: &Value) -> Vec<String> {
    let fields = fields.as_array().unwrap_or_else(|| panic!("{kind}: fields is not an array"));
    let mut names = Vec::new();
    for f in fields {
        let one = f.as_object().unwrap();
        assert_eq!(one.len(), 1, "{kind}: a field object with {} keys", one.len());
        let (name, attrs) = one.iter().next().unwrap();
        assert_kong_field(kind, name, attrs);
        names.push(name.clone());
    }
    names
}

#[tokio::test]
async fn every_kind_has_its_schema_in_kongs_wire_format() {
    let spec = Spec::load("control-planes-config.v2.yaml");
    let dir = tempfile::tempdir().unwrap();
    let (_cp, api) = core_entities_api(dir.path()).await;
    for kind in konnect::EntityKind::ALL.map(konnect::EntityKind::path) {
        let (s, schema) = api.call("GET", &format!("/schemas/{kind}"), None).await;
        assert_eq!(s, 200, "{kind}: {schema}");
        let names = assert_kong_fields(kind, &schema["fields"]);
        assert_eq!(names.first().map(String::as_str), Some("id"), "{kind}: id comes first");
        assert_eq!(schema["primary_key"], json!(["id"]), "{kind}");
    }

    let (_, routes) = api.call("GET", "/schemas/routes", None).await;
    let field = |schema: &Value, name: &str| -> Value {
        schema["fields"].as_array().unwrap().iter().find_map(|f| f.get(name)).unwrap().clone()
    };
    let paths = field(&routes, "paths");
    assert_eq!(paths["elements"]["match_none"][0]["err"], "must not have empty segments");
    let protocols = field(&routes, "protocols");
    assert_eq!(
        (protocols["type"].as_str(), protocols["required"].as_bool()),
        (Some("set"), Some(true))
    );
    let (_, consumers) = api.call("GET", "/schemas/consumers", None).await;
    assert_eq!(consumers["entity_checks"][0]["at_least_one_of"], json!(["custom_id", "username"]));
    let (_, certificates) = api.call("GET", "/schemas/certificates", None).await;
    assert_eq!(field(&certificates, "key")["encrypted"], true);
    assert_eq!(
        certificates["entity_checks"][0]["mutually_required"],
        json!(["cert_alt", "key_alt"])
    );

    // Unknown names are 404s in the config API's error shape.
    let (s, body) = api.call("GET", "/schemas/widgets", None).await;
    assert_eq!(s, 404);
    assert_eq!(
        (body["code"].as_i64(), body["message"].as_str()),
        (Some(5), Some("No entity named 'widgets'"))
    );
    assert!(body["details"].as_array().unwrap().is_empty());

    // The plugins the control plane accepts, and each one's schema as the spec documents it.
    let (s, available) = api.call("GET", "/v1/available-plugins", None).await;
    assert_eq!(s, 200, "{available}");
    let names = available["names"].as_array().unwrap();
    assert!(names.contains(&json!("key-auth")) && names.contains(&json!("rate-limiting")));
    for name in names {
        let name = name.as_str().unwrap();
        let (s, schema) = api.call("GET", &format!("/schemas/plugins/{name}"), None).await;
        assert_eq!(s, 200, "{name}");
        spec.assert_response(&p("/schemas/plugins/{pluginName}"), "get", 200, &schema);
        assert_kong_fields(name, &schema["fields"]);
    }
}
