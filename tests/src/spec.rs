//! Konnect's published OpenAPI documents as response/request validators.
//!
//! The documents are found through `KONNECT_OPENAPI_DIR` (default `../shared/konnect-openapi`
//! beside the workspace). A missing document fails the test: a contract test never skips.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use jsonschema::{Draft, Validator};
use serde_json::{json, Map, Value};

pub fn spec_dir() -> PathBuf {
    match std::env::var_os("KONNECT_OPENAPI_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => crate::workspace_root().join("../shared/konnect-openapi"),
    }
}

pub struct Spec {
    name: String,
    doc: Value,
    draft: Draft,
    compiled: Mutex<HashMap<String, std::sync::Arc<Validator>>>,
}

impl Spec {
    /// Loads `file` (e.g. `control-planes.v2.yaml`); panics with the path it looked at if absent.
    pub fn load(file: &str) -> Spec {
        let path = spec_dir().join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("Konnect OpenAPI document {} is required: {e}", path.display()));
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
        let mut doc: Value = serde_json::to_value(yaml).expect("YAML as JSON");
        let openapi = doc["openapi"].as_str().unwrap_or("3.0").to_string();
        let draft = if openapi.starts_with("3.1") { Draft::Draft202012 } else { Draft::Draft4 };
        // Konnect's 3.1 documents still use 3.0's `nullable`, so it is converted in both.
        openapi30_to_json_schema(&mut doc);
        sanitize(&mut doc);
        Spec { name: file.into(), doc, draft, compiled: Mutex::new(HashMap::new()) }
    }

    fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        while let Some(r) = v.get("$ref").and_then(Value::as_str) {
            v = self.doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("{}: unresolvable {r}", self.name));
        }
        v
    }

    /// The JSON pointer of the schema the spec gives for `method path` answering `status`.
    fn response_schema_pointer(&self, path: &str, method: &str, status: u16) -> String {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        assert!(!op.is_null(), "{}: no operation {method} {path}", self.name);
        let resp = op["responses"].get(status.to_string()).unwrap_or_else(|| panic!("{}: {method} {path} does not document status {status}", self.name));
        let resp = self.resolve(resp);
        let content = resp["content"].as_object().unwrap_or_else(|| panic!("{}: {method} {path} {status} has no body", self.name));
        let (media, _) = content.iter().next().expect("a media type");
        // Point at the schema through the (possibly referenced) response object.
        let base = match op["responses"][status.to_string()].get("$ref").and_then(Value::as_str) {
            Some(r) => r.trim_start_matches('#').to_string(),
            None => format!("/paths/{}/{}/responses/{status}", escape(path), method.to_lowercase()),
        };
        format!("{base}/content/{}/schema", escape(media))
    }

    fn request_schema_pointer(&self, path: &str, method: &str) -> String {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        let body = op.get("requestBody").unwrap_or_else(|| panic!("{}: {method} {path} takes no body", self.name));
        let base = match body.get("$ref").and_then(Value::as_str) {
            Some(r) => r.trim_start_matches('#').to_string(),
            None => format!("/paths/{}/{}/requestBody", escape(path), method.to_lowercase()),
        };
        format!("{base}/content/application~1json/schema")
    }

    fn validator(&self, pointer: &str) -> std::sync::Arc<Validator> {
        let mut cache = self.compiled.lock().unwrap();
        if let Some(v) = cache.get(pointer) {
            return v.clone();
        }
        // The whole document is the root so every `#/components/...` reference resolves;
        // the root `$ref` selects the schema under test.
        let mut root = self.doc.clone();
        let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
        root.as_object_mut().unwrap().insert("$ref".into(), Value::String(format!("#{fragment}")));
        let v = std::sync::Arc::new(jsonschema::options().with_draft(self.draft).build(&root).unwrap_or_else(|e| panic!("{}: schema {pointer} does not compile: {e}", self.name)));
        cache.insert(pointer.to_string(), v.clone());
        v
    }

    /// Checks a response body against the spec; the error lists every violation with its location.
    pub fn check_response(&self, path: &str, method: &str, status: u16, body: &Value) -> Result<(), String> {
        let pointer = self.response_schema_pointer(path, method, status);
        self.check(&pointer, body).map_err(|e| format!("{method} {path} → {status} violates {}: {e}\nbody: {body}", self.name))
    }

    pub fn check_request(&self, path: &str, method: &str, body: &Value) -> Result<(), String> {
        let pointer = self.request_schema_pointer(path, method);
        self.check(&pointer, body).map_err(|e| format!("{method} {path} request violates {}: {e}\nbody: {body}", self.name))
    }

    fn check(&self, pointer: &str, body: &Value) -> Result<(), String> {
        let v = self.validator(pointer);
        let errors: Vec<String> = v.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Panicking form of [`Spec::check_response`], for tests.
    pub fn assert_response(&self, path: &str, method: &str, status: u16, body: &Value) {
        if let Err(e) = self.check_response(path, method, status, body) {
            panic!("{e}");
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// OpenAPI 3.0's `nullable: true` becomes JSON Schema's "or null".
fn openapi30_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for child in map.values_mut() {
                openapi30_to_json_schema(child);
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                let inner = Value::Object(std::mem::take(map));
                map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(openapi30_to_json_schema),
        _ => {}
    }
}

/// Konnect's documents carry a few YAML nulls where a schema belongs (`properties: {status: }`);
/// JSON Schema needs a schema there, and an empty one says the same thing: anything goes.
fn sanitize(v: &mut Value) {
    if let Value::Object(map) = v {
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            for p in props.values_mut() {
                if p.is_null() {
                    *p = Value::Object(Map::new());
                }
            }
        }
        for child in map.values_mut() {
            sanitize(child);
        }
    } else if let Value::Array(items) = v {
        items.iter_mut().for_each(sanitize);
    }
}
