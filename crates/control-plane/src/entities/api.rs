//! Request handling for core-entities: path dispatch, paging, Konnect's config error bodies.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

use super::schema::{kind, plugin_config_schema, Kind, KINDS, PLUGIN_NAMES};
use super::store::{self, ListQuery, WriteError};
use super::validate::{validate_entity, ErrorType, FieldError};
use crate::server::AppState;

const DEFAULT_SIZE: usize = 100;
const MAX_SIZE: usize = 1000;

/// Konnect's config API error: `{code, message, details[{@type, type, field, messages}]}`.
pub fn config_error(status: StatusCode, message: &str, errors: &[FieldError]) -> Response {
    let mut details: Vec<Value> = Vec::new();
    for e in errors {
        let ty = match e.kind {
            ErrorType::Field => "ERROR_TYPE_FIELD",
            ErrorType::Entity => "ERROR_TYPE_ENTITY",
            ErrorType::Reference => "ERROR_TYPE_REFERENCE",
        };
        match details.iter_mut().find(|d| d["field"] == e.field.as_str() && d["type"] == ty) {
            Some(d) => d["messages"].as_array_mut().unwrap().push(Value::String(e.message.clone())),
            None => details.push(json!({
                "@type": "type.googleapis.com/kong.admin.model.v1.ErrorDetail",
                "type": ty,
                "field": e.field,
                "messages": [e.message],
            })),
        }
    }
    json_response(status, &json!({"code": 3, "message": message, "details": details}))
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"message": "Not found"}))
}

fn bad_request(message: impl Into<String>) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"code": 3, "message": message.into(), "details": []}))
}

fn internal(e: impl std::fmt::Display) -> Response {
    json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({"message": format!("An unexpected error occurred: {e}")}))
}

fn write_error(e: WriteError) -> Response {
    match e {
        WriteError::Invalid(errs) => config_error(StatusCode::BAD_REQUEST, "validation error", &errs),
        WriteError::Unique(errs) => config_error(StatusCode::BAD_REQUEST, "data constraint error", &errs),
        WriteError::Referenced(msg) => config_error(StatusCode::BAD_REQUEST, "data constraint error", &[FieldError::entity(msg)]),
        WriteError::NotFound => not_found(),
        WriteError::Sql(e) => internal(e),
    }
}

/// `(parent kind, child segment)` → (child kind, the child's field that points at the parent).
fn nested(parent: &str, child: &str) -> Option<(&'static Kind, &'static str)> {
    let (k, f) = match (parent, child) {
        ("services", "routes") => ("routes", "service"),
        ("services", "plugins") => ("plugins", "service"),
        ("routes", "plugins") => ("plugins", "route"),
        ("consumers", "plugins") => ("plugins", "consumer"),
        ("consumer_groups", "plugins") => ("plugins", "consumer_group"),
        ("upstreams", "targets") => ("targets", "upstream"),
        ("certificates", "snis") => ("snis", "certificate"),
        ("key-sets", "keys") => ("keys", "set"),
        ("consumers", "key-auth") => ("key-auths", "consumer"),
        _ => return None,
    };
    Some((kind(k)?, f))
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Response> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad_request("Cannot parse JSON body")),
    }
}

fn list_query(kind: &Kind, q: &HashMap<String, String>) -> Result<ListQuery, Response> {
    let size = match q.get("size") {
        Some(s) => s.parse::<usize>().ok().filter(|n| (1..=MAX_SIZE).contains(n)).ok_or_else(|| bad_request(format!("size must be an integer between 1 and {MAX_SIZE}")))?,
        None => DEFAULT_SIZE,
    };
    let after = match q.get("offset").filter(|o| !o.is_empty()) {
        Some(o) => Some(decode_offset(o).ok_or_else(|| bad_request(format!("invalid offset: {o}")))?),
        None => None,
    };
    let mut lq = ListQuery { size, after, ..Default::default() };
    if let Some(tags) = q.get("tags").filter(|t| !t.is_empty()) {
        if tags.contains(',') && tags.contains('/') {
            return Err(bad_request("invalid tags: cannot mix ',' (and) with '/' (or)"));
        }
        if tags.contains('/') {
            lq.tags_any = tags.split('/').map(str::to_string).collect();
        } else {
            lq.tags_all = tags.split(',').map(str::to_string).collect();
        }
    }
    for (key, value) in q {
        match key.as_str() {
            "filter[name][eq]" | "filter[name][contains]" if kind.name_filter.is_none() => return Err(bad_request(format!("{key} is not supported for {}", kind.path))),
            "filter[name][eq]" => lq.name_eq = Some(value.clone()),
            "filter[name][contains]" => lq.name_contains = Some(value.clone()),
            _ => {}
        }
    }
    Ok(lq)
}

/// Offsets are opaque to clients: the base64 of the last id of the previous page.
fn encode_offset(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn decode_offset(o: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(o).ok()?;
    let id = String::from_utf8(bytes).ok()?;
    uuid::Uuid::parse_str(&id).ok().map(|_| id)
}

fn page_response(path: &str, q: &ListQuery, page: store::Page) -> Response {
    let mut out = String::with_capacity(page.bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 128);
    out.push_str("{\"data\":[");
    out.push_str(&page.bodies.join(","));
    out.push(']');
    // The spec types `next` and `offset` as strings: on the last page they are left out.
    match page.next_after {
        Some(after) => {
            let offset = encode_offset(&after);
            let next = format!("{path}?offset={offset}&size={}", q.size);
            out.push_str(&format!(",\"next\":{},\"offset\":{}}}", json!(next), json!(offset)));
        }
        None => out.push('}'),
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], out).into_response()
}

fn group_exists(c: &Connection, cp: &str) -> rusqlite::Result<bool> {
    c.query_row("SELECT EXISTS (SELECT 1 FROM control_planes WHERE id = ?1)", params![cp], |r| r.get(0))
}

/// Every `/v2/control-planes/{cp}/core-entities/{rest}` request.
pub async fn dispatch(State(state): State<AppState>, Path((cp, rest)): Path<(String, String)>, method: Method, Query(q): Query<HashMap<String, String>>, body: Bytes) -> Response {
    let segments: Vec<String> = rest.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let base_path = format!("/v2/control-planes/{cp}/core-entities/{}", segments.join("/"));
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let is_write = method != Method::GET;
    let group = cp.clone();
    let result = state
        .store
        .call(move |c| {
            if !group_exists(c, &cp)? {
                return Ok(not_found());
            }
            let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
            route(c, &cp, &method, &seg, &q, body, &base_path)
        })
        .await;
    let response = result.unwrap_or_else(internal);
    if response.status().is_success() && is_write {
        state.config_changed(&group);
    }
    response
}

fn route(c: &mut Connection, cp: &str, method: &Method, seg: &[&str], q: &HashMap<String, String>, body: Map<String, Value>, path: &str) -> rusqlite::Result<Response> {
    Ok(match (method, seg) {
        (&Method::GET, ["schemas", "plugins", name]) => match plugin_config_schema(name) {
            Some(config) => json_response(StatusCode::OK, &plugin_schema(name, config)),
            None => not_found(),
        },
        (&Method::GET, ["plugin-schemas"]) => {
            let data: Vec<Value> = PLUGIN_NAMES.iter().map(|n| plugin_schema(n, plugin_config_schema(n).unwrap_or_default())).collect();
            json_response(StatusCode::OK, &json!({ "data": data }))
        }
        (&Method::GET, ["schemas", entity]) => match kind(entity) {
            Some(k) => json_response(StatusCode::OK, &k.schema),
            None => not_found(),
        },
        (&Method::POST, ["schemas", entity, "validate"]) => match kind(entity) {
            Some(k) => match validate_entity(k, &body) {
                Ok(_) => json_response(StatusCode::OK, &json!({"message": "schema validation successful"})),
                Err(errs) => config_error(StatusCode::BAD_REQUEST, "validation error", &errs),
            },
            None => not_found(),
        },
        (_, ["consumer_groups", gid, "consumers", rest @ ..]) => membership(c, cp, method, "consumer_groups", gid, rest, &body)?,
        (_, ["consumers", cid, "consumer_groups", rest @ ..]) => membership(c, cp, method, "consumers", cid, rest, &body)?,
        (_, [k]) => match kind(k) {
            Some(k) => collection(c, cp, method, k, None, q, body, path)?,
            None => not_found(),
        },
        (_, [k, key]) => match kind(k) {
            Some(k) => item(c, cp, method, k, key, None, body)?,
            None => not_found(),
        },
        (_, [pk, pkey, child, rest @ ..]) if rest.len() <= 1 => {
            let (Some(parent_kind), Some((child_kind, field))) = (kind(pk), nested(pk, child)) else { return Ok(not_found()) };
            let Some(parent_id) = store::resolve_id(c, cp, parent_kind, pkey)? else { return Ok(not_found()) };
            match rest {
                [] => collection(c, cp, method, child_kind, Some((field, parent_id)), q, body, path)?,
                [key] => item(c, cp, method, child_kind, key, Some((field, parent_id)), body)?,
                _ => not_found(),
            }
        }
        _ => not_found(),
    })
}

fn plugin_schema(name: &str, config: Value) -> Value {
    json!({"name": name, "fields": [{"config": config}, {"protocols": {"type": "set", "default": ["grpc", "grpcs", "http", "https"]}}]})
}

/// The parent reference a nested path implies, merged into the body (`services/{id}/routes` sets `service`).
fn with_parent(mut body: Map<String, Value>, parent: &Option<(&str, String)>) -> Map<String, Value> {
    if let Some((field, id)) = parent {
        body.insert(field.to_string(), json!({ "id": id }));
    }
    body
}

#[allow(clippy::too_many_arguments)]
fn collection(c: &mut Connection, cp: &str, method: &Method, k: &Kind, parent: Option<(&str, String)>, q: &HashMap<String, String>, body: Map<String, Value>, path: &str) -> rusqlite::Result<Response> {
    match *method {
        Method::GET => {
            let mut lq = match list_query(k, q) {
                Ok(lq) => lq,
                Err(r) => return Ok(r),
            };
            lq.parent = parent.map(|(f, id)| (f.to_string(), id));
            let page = store::list(c, cp, k, &lq)?;
            Ok(page_response(path, &lq, page))
        }
        Method::POST => {
            let body = with_parent(body, &parent);
            let id = match body.get("id").and_then(Value::as_str) {
                Some(given) if uuid::Uuid::parse_str(given).is_ok() => given.to_string(),
                Some(_) => return Ok(config_error(StatusCode::BAD_REQUEST, "validation error", &[FieldError::field("id", "expected a valid UUID")])),
                None => uuid::Uuid::new_v4().to_string(),
            };
            if store::get(c, cp, k, &id)?.is_some() {
                return Ok(config_error(StatusCode::BAD_REQUEST, "data constraint error", &[FieldError::field("id", "id (type: unique) constraint failed")]));
            }
            save(c, cp, k, &id, &body, StatusCode::CREATED)
        }
        _ => Ok(json_response(StatusCode::METHOD_NOT_ALLOWED, &json!({"message": "Method not allowed"}))),
    }
}

fn save(c: &mut Connection, cp: &str, k: &Kind, id: &str, body: &Map<String, Value>, status: StatusCode) -> rusqlite::Result<Response> {
    let validated = match validate_entity(k, body) {
        Ok(v) => v,
        Err(errs) => return Ok(config_error(StatusCode::BAD_REQUEST, "validation error", &errs)),
    };
    let tx = c.transaction()?;
    match store::write(&tx, cp, k, id, validated) {
        Ok(entity) => {
            tx.commit()?;
            Ok(json_response(status, &entity))
        }
        Err(e) => Ok(write_error(e)),
    }
}

fn item(c: &mut Connection, cp: &str, method: &Method, k: &Kind, key: &str, parent: Option<(&str, String)>, body: Map<String, Value>) -> rusqlite::Result<Response> {
    let found = store::resolve_id(c, cp, k, key)?;
    // A nested item must belong to its parent: `/services/A/routes/X` is 404 when X is B's route.
    let belongs = |c: &Connection, id: &str| -> rusqlite::Result<bool> {
        match &parent {
            None => Ok(true),
            Some((field, pid)) => Ok(c.query_row("SELECT ref_id FROM entity_refs WHERE cp_id = ?1 AND kind = ?2 AND id = ?3 AND field = ?4", params![cp, k.path, id, field], |r| r.get::<_, String>(0)).optional()?.as_deref() == Some(pid.as_str())),
        }
    };
    match *method {
        Method::GET => match found {
            Some(id) if belongs(c, &id)? => Ok(store::get(c, cp, k, &id)?.map(|e| json_response(StatusCode::OK, &e)).unwrap_or_else(not_found)),
            _ => Ok(not_found()),
        },
        Method::PUT => {
            // Upsert: by id, or by endpoint key (the key becomes the new entity's name).
            let (id, mut body) = match found {
                Some(id) => {
                    if !belongs(c, &id)? {
                        return Ok(not_found());
                    }
                    (id, body)
                }
                None if uuid::Uuid::parse_str(key).is_ok() => (key.to_string(), body),
                None => match k.endpoint_key {
                    Some(field) => {
                        let mut b = body;
                        b.insert(field.to_string(), Value::String(key.to_string()));
                        (uuid::Uuid::new_v4().to_string(), b)
                    }
                    None => return Ok(not_found()),
                },
            };
            body.remove("id");
            let body = with_parent(body, &parent);
            save(c, cp, k, &id, &body, StatusCode::OK)
        }
        Method::DELETE => {
            let Some(id) = found else { return Ok(StatusCode::NO_CONTENT.into_response()) };
            if !belongs(c, &id)? {
                return Ok(not_found());
            }
            let tx = c.transaction()?;
            match store::delete(&tx, cp, k, &id) {
                Ok(()) => {
                    tx.commit()?;
                    Ok(StatusCode::NO_CONTENT.into_response())
                }
                Err(e) => Ok(write_error(e)),
            }
        }
        _ => Ok(json_response(StatusCode::METHOD_NOT_ALLOWED, &json!({"message": "Method not allowed"}))),
    }
}

/// `consumer_groups/{id}/consumers[/{cid}]` and `consumers/{id}/consumer_groups[/{gid}]`.
fn membership(c: &mut Connection, cp: &str, method: &Method, from: &str, key: &str, rest: &[&str], body: &Map<String, Value>) -> rusqlite::Result<Response> {
    let (from_kind, other_kind) = if from == "consumer_groups" { ("consumer_groups", "consumers") } else { ("consumers", "consumer_groups") };
    let (fk, ok) = (kind(from_kind).unwrap(), kind(other_kind).unwrap());
    let Some(from_id) = store::resolve_id(c, cp, fk, key)? else { return Ok(not_found()) };
    let pair = |other: &str| if from == "consumer_groups" { (from_id.clone(), other.to_string()) } else { (other.to_string(), from_id.clone()) };
    match (method.clone(), rest) {
        (Method::GET, []) => {
            let data = if from == "consumer_groups" { store::members_of_group(c, cp, &from_id)? } else { store::groups_of_consumer(c, cp, &from_id)? };
            Ok(json_response(StatusCode::OK, &json!({ "data": data })))
        }
        (Method::POST, []) => {
            let field = if from == "consumer_groups" { "consumer" } else { "group" };
            let Some(other_key) = body.get(field).and_then(Value::as_str) else {
                return Ok(config_error(StatusCode::BAD_REQUEST, "validation error", &[FieldError::field(field, "required field missing")]));
            };
            let Some(other_id) = store::resolve_id(c, cp, ok, other_key)? else {
                return Ok(config_error(StatusCode::BAD_REQUEST, "validation error", &[FieldError { kind: ErrorType::Reference, field: field.into(), message: format!("the referenced {} '{other_key}' does not exist", ok.singular) }]));
            };
            let (gid, cid) = pair(&other_id);
            let tx = c.transaction()?;
            store::add_member(&tx, cp, &gid, &cid)?;
            tx.commit()?;
            let group = store::get(c, cp, kind("consumer_groups").unwrap(), &gid)?;
            let consumer = store::get(c, cp, kind("consumers").unwrap(), &cid)?;
            Ok(if from == "consumer_groups" {
                json_response(StatusCode::CREATED, &json!({"consumer_group": group, "consumers": store::members_of_group(c, cp, &gid)?}))
            } else {
                json_response(StatusCode::CREATED, &json!({"consumer": consumer, "consumer_groups": store::groups_of_consumer(c, cp, &cid)?}))
            })
        }
        (Method::DELETE, []) => {
            if from == "consumer_groups" {
                store::remove_members(c, cp, Some(&from_id), None)?
            } else {
                store::remove_members(c, cp, None, Some(&from_id))?
            };
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (Method::DELETE, [other_key]) => {
            let Some(other_id) = store::resolve_id(c, cp, ok, other_key)? else { return Ok(not_found()) };
            let (gid, cid) = pair(&other_id);
            store::remove_members(c, cp, Some(&gid), Some(&cid))?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Ok(not_found()),
    }
}

/// All kinds, for `GET …/core-entities/schemas` callers that want the list.
pub fn kind_paths() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.path).collect()
}
