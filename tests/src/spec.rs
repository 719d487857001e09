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
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("Konnect OpenAPI document {} is required: {e}", path.display())
        });
        let yaml: serde_norway::Value = serde_norway::from_str(&text).expect("valid YAML");
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
            v = self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{}: unresolvable {r}", self.name));
        }
        v
    }

    /// The JSON pointer of the schema the spec gives for `method path` answering `status`.
    fn response_schema_pointer(&self, path: &str, method: &str, status: u16) -> String {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        assert!(!op.is_null(), "{}: no operation {method} {path}", self.name);
        let resp = op["responses"].get(status.to_string()).unwrap_or_else(|| {
            panic!("{}: {method} {path} does not document status {status}", self.name)
        });
        let resp = self.resolve(resp);
        let content = resp["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: {method} {path} {status} has no body", self.name));
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
        let body = op
            .get("requestBody")
            .unwrap_or_else(|| panic!("{}: {method} {path} takes no body", self.name));
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
        let v = std::sync::Arc::new(
            jsonschema::options().with_draft(self.draft).build(&root).unwrap_or_else(|e| {
                panic!("{}: schema {pointer} does not compile: {e}", self.name)
            }),
        );
        cache.insert(pointer.to_string(), v.clone());
        v
    }

    /// Checks a response body against the spec; the error lists every violation with its location.
    pub fn check_response(
        &self,
        path: &str,
        method: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let pointer = self.response_schema_pointer(path, method, status);
        self.check(&pointer, body).map_err(|e| {
            format!("{method} {path} → {status} violates {}: {e}\nbody: {body}", self.name)
        })
    }

    /// Like [`Spec::check_response`] when the operation documents `status` with a body; an
    /// undocumented status or one without a body has nothing to check.
    pub fn check_response_if_documented(
        &self,
        path: &str,
        method: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let resp = &self.doc["paths"][path][method.to_lowercase()]["responses"];
        match resp.get(status.to_string()).map(|r| self.resolve(r)) {
            Some(r) if r["content"].as_object().is_some_and(|c| !c.is_empty()) => {
                self.check_response(path, method, status, body)
            }
            _ => Ok(()),
        }
    }

    /// Checks a body against one of the document's component schemas (`BaseError`,
    /// `BadRequestError`): for answers an operation does not list, such as 405 and 413.
    pub fn check_component(&self, name: &str, body: &Value) -> Result<(), String> {
        let pointer = format!("/components/schemas/{name}");
        assert!(self.doc.pointer(&pointer).is_some(), "{}: no component schema {name}", self.name);
        self.check(&pointer, body)
            .map_err(|e| format!("{name} of {} violated: {e}\nbody: {body}", self.name))
    }

    pub fn check_request(&self, path: &str, method: &str, body: &Value) -> Result<(), String> {
        let pointer = self.request_schema_pointer(path, method);
        self.check(&pointer, body).map_err(|e| {
            format!("{method} {path} request violates {}: {e}\nbody: {body}", self.name)
        })
    }

    fn check(&self, pointer: &str, body: &Value) -> Result<(), String> {
        let v = self.validator(pointer);
        let errors: Vec<String> =
            v.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// The path template of this document that `path` (without the server's `/v2` or `/v3`)
    /// falls under, preferring literal segments over parameters (`/users/me` over `/users/{id}`).
    pub fn template_for(&self, method: &str, path: &str) -> Option<String> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, String)> = None;
        for (template, item) in self.doc["paths"].as_object()? {
            let t: Vec<&str> = template.trim_matches('/').split('/').collect();
            if t.len() != segs.len() || item.get(method.to_lowercase()).is_none() {
                continue;
            }
            let literal = t
                .iter()
                .zip(&segs)
                .map(|(a, b)| {
                    if a.starts_with('{') {
                        Some(0)
                    } else if a == b {
                        Some(1)
                    } else {
                        None
                    }
                })
                .collect::<Option<Vec<usize>>>();
            if let Some(score) = literal.map(|l| l.iter().sum::<usize>()) {
                if best.as_ref().is_none_or(|(s, _)| score > *s) {
                    best = Some((score, template.clone()));
                }
            }
        }
        best.map(|(_, t)| t)
    }

    /// Checks a request a client sent: its operation exists, every query parameter is one the
    /// operation declares (a `deepObject` parameter such as `filter` covers `filter[name][eq]`),
    /// and a JSON body validates against the operation's request schema.
    pub fn check_client_request(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<String, String> {
        let template = self
            .template_for(method, path)
            .ok_or_else(|| format!("{}: no operation {method} {path}", self.name))?;
        let item = &self.doc["paths"][&template];
        let op = &item[method.to_lowercase()];
        let declared: Vec<String> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(item["parameters"].as_array().into_iter().flatten())
            .map(|p| self.resolve(p))
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let name = pair.split('=').next().unwrap_or("").replace("%5B", "[").replace("%5D", "]");
            let root = name.split('[').next().unwrap_or("");
            if !declared.iter().any(|d| *d == name || d == root) {
                return Err(format!(
                    "{}: {method} {template} does not declare query parameter {name} (declared: \
                        {declared:?})",
                    self.name
                ));
            }
        }
        if !body.is_empty() {
            let json: Value = serde_json::from_slice(body)
                .map_err(|e| format!("{method} {path}: the body is not JSON: {e}"))?;
            self.check_request(&template, method, &json)?;
        }
        Ok(template)
    }

    /// The base URLs the document declares (`servers`), variables expanded to each of their
    /// values (Konnect's documents list one URL per region instead, but either form counts).
    pub fn servers(&self) -> Vec<String> {
        let mut out = Vec::new();
        for server in self.doc["servers"].as_array().into_iter().flatten() {
            let mut urls = vec![server["url"].as_str().unwrap_or_default().to_string()];
            for (name, var) in server["variables"].as_object().into_iter().flatten() {
                let values: Vec<String> = match var["enum"].as_array() {
                    Some(e) => e.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
                    None => var["default"].as_str().map(str::to_string).into_iter().collect(),
                };
                let slot = &format!("{{{name}}}");
                urls = urls
                    .iter()
                    .flat_map(|u| values.iter().map(move |v| u.replace(slot, v)))
                    .collect();
            }
            out.extend(urls.into_iter().map(|u| u.trim_end_matches('/').to_string()));
        }
        assert!(!out.is_empty(), "{}: declares no servers", self.name);
        out
    }

    /// Every operation of the document as (method in capitals, path template).
    pub fn operations(&self) -> Vec<(String, String)> {
        let methods = ["get", "put", "post", "delete", "patch", "head", "options"];
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for m in methods.iter().filter(|m| item.get(**m).is_some()) {
                out.push((m.to_uppercase(), path.clone()));
            }
        }
        out
    }

    /// Checks the whole URL of a call: it is one of the document's `servers` followed by the path
    /// of one of its operations for `method`. Returns the server it matched.
    pub fn check_url(&self, method: &str, url: &str) -> Result<String, String> {
        let servers = self.servers();
        servers
            .iter()
            .find(|s| {
                url.strip_prefix(s.as_str()).is_some_and(|rest| {
                    rest.starts_with('/') && self.template_for(method, rest).is_some()
                })
            })
            .cloned()
            .ok_or_else(|| {
                format!("{method} {url}: not on any server of {} ({servers:?})", self.name)
            })
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
