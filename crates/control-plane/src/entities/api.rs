//! Request handling for core-entities: path dispatch, paging, Konnect's config error bodies.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

use super::kong_schema::{plugin_names, plugin_schema};
use super::schema::{kind, Kind, KINDS};
use super::store::{self, ListQuery, WriteError};
use super::validate::{validate_owned, ErrorType, FieldError, Validated};
use super::wire;
use crate::limits::{self, field_path};
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

/// A 404 in the config API's error shape, for names a client may have guessed wrong.
fn no_such(message: String) -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"code": 5, "message": message, "details": []}))
}

fn bad_request(message: impl Into<String>) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"code": 3, "message": message.into(), "details": []}),
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({"message": format!("An unexpected error occurred: {e}")}),
    )
}

fn write_error(e: WriteError) -> Response {
    match e {
        WriteError::Invalid(errs) => {
            config_error(StatusCode::BAD_REQUEST, "validation error", &errs)
        }
        WriteError::Unique(errs) => {
            config_error(StatusCode::BAD_REQUEST, "data constraint error", &errs)
        }
        WriteError::Referenced(msg) => config_error(
            StatusCode::BAD_REQUEST,
            "data constraint error",
            &[FieldError::entity(msg)],
        ),
        WriteError::NotFound => not_found(),
        WriteError::Sql(e) => internal(e),
    }
}

/// `(parent kind, child segment)` → (child kind, the child's field that points at the parent).
pub fn nested(parent: &str, child: &str) -> Option<(&'static Kind, &'static str)> {
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
        ("consumers", "basic-auth") => ("basic-auths", "consumer"),
        ("consumers", "jwt") => ("jwts", "consumer"),
        ("consumers", "hmac-auth") => ("hmac-auths", "consumer"),
        ("consumers", "acls") => ("acls", "consumer"),
        _ => return None,
    };
    Some((kind(k)?, f))
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Box<Response>> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    // Before the parser, which gives up past 128 levels without naming a field: nesting past the
    // limit is refused here as a field error, found by a linear scan of the text.
    if let Some(steps) = limits::too_deep(body, limits::MAX_DEPTH) {
        let message = format!("nesting must be at most {} levels deep", limits::MAX_DEPTH);
        return Err(config_error(
            StatusCode::BAD_REQUEST,
            "validation error",
            &[FieldError::field(field_path(&steps), message)],
        )
        .into());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad_request("Cannot parse JSON body").into()),
    }
}

fn list_query(kind: &Kind, q: &HashMap<String, String>) -> Result<ListQuery, Box<Response>> {
    let size = match q.get("size") {
        Some(s) => {
            s.parse::<usize>().ok().filter(|n| (1..=MAX_SIZE).contains(n)).ok_or_else(|| {
                bad_request(format!("size must be an integer between 1 and {MAX_SIZE}"))
            })?
        }
        None => DEFAULT_SIZE,
    };
    let after = match q.get("offset").filter(|o| !o.is_empty()) {
        Some(o) => {
            Some(decode_offset(o).ok_or_else(|| bad_request(format!("invalid offset: {o}")))?)
        }
        None => None,
    };
    let mut lq = ListQuery { size, after, ..Default::default() };
    if let Some(tags) = q.get("tags").filter(|t| !t.is_empty()) {
        if tags.contains(',') && tags.contains('/') {
            return Err(bad_request("invalid tags: cannot mix ',' (and) with '/' (or)").into());
        }
        if tags.contains('/') {
            lq.tags_any = tags.split('/').map(str::to_string).collect();
        } else {
            lq.tags_all = tags.split(',').map(str::to_string).collect();
        }
        // Each tag is one more clause of the query: Kong's cap keeps it small.
        if lq.tags_any.len().max(lq.tags_all.len()) > limits::MAX_QUERY_TAGS {
            return Err(bad_request(format!(
                "invalid tags: cannot query more than {} tags",
                limits::MAX_QUERY_TAGS
            ))
            .into());
        }
    }
    for (key, value) in q {
        match key.as_str() {
            "filter[name][eq]" | "filter[name][contains]" if kind.name_filter.is_none() => {
                return Err(bad_request(format!("{key} is not supported for {}", kind.path)).into())
            }
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
    let mut out =
        String::with_capacity(page.bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 128);
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
    c.query_row("SELECT EXISTS (SELECT 1 FROM control_planes WHERE id = ?1)", params![cp], |r| {
        r.get(0)
    })
}

/// What one request comes to after its first, short visit to the database.
enum Step {
    /// Answered already (reads, deletes, memberships, every refusal that needs no validation).
    Done(Response),
    /// A body to validate, which is done off the connection; then the plan is checked again and
    /// carried out.
    Write(Plan),
}

/// A write worked out from the database, before its body is validated: which entity, and what
/// the path adds to the body. Two plans are equal when nothing they were made from has changed.
#[derive(Debug, Clone)]
struct Plan {
    kind: &'static Kind,
    action: Action,
}

#[derive(Debug, Clone, PartialEq)]
enum Action {
    /// `POST schemas/{entity}/validate`: validation only.
    Validate,
    Save {
        id: String,
        /// The parent a nested path names (`services/{id}/routes` sets `service`).
        parent: Option<(&'static str, String)>,
        /// A PUT by an endpoint key no entity has yet: the key becomes the new entity's name.
        key_field: Option<(&'static str, String)>,
        /// PUT ignores an `id` in the body: the path names the entity.
        drop_id: bool,
        status: u16,
    },
}

impl PartialEq for Plan {
    fn eq(&self, other: &Plan) -> bool {
        std::ptr::eq(self.kind, other.kind) && self.action == other.action
    }
}

impl Plan {
    /// The body as this plan will store it, validated. Pure and linear in the body's size.
    fn validate(&self, body: &Map<String, Value>) -> Result<Validated, Vec<FieldError>> {
        let mut body = body.clone();
        if let Action::Save { parent, key_field, drop_id, .. } = &self.action {
            if *drop_id {
                body.remove("id");
            }
            if let Some((field, key)) = key_field {
                body.insert(field.to_string(), Value::String(key.clone()));
            }
            if let Some((field, id)) = parent {
                body.insert(field.to_string(), json!({ "id": id }));
            }
        }
        validate_owned(self.kind, body)
    }
}

/// What the second visit to the database came to.
enum Outcome {
    Written(Value, StatusCode),
    Refused(Response),
    /// The plan no longer holds (another write moved an entity it was made from): plan again.
    Changed,
}

/// How often a write is planned again when other writes keep changing what it depends on.
const PLAN_ATTEMPTS: usize = 3;

/// Every `/v2/control-planes/{cp}/core-entities/{rest}` request.
///
/// The database connection is the one lock every request needs, so while it is held a write
/// does no more with its body than store it: the body is read, and validated, on a blocking
/// thread between two short visits (plan, then write), and the answer is serialized after the
/// second.
pub async fn dispatch(
    State(state): State<AppState>,
    Path((cp, rest)): Path<(String, String)>,
    method: Method,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let segments: Vec<String> =
        rest.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let base_path = format!("/v2/control-planes/{cp}/core-entities/{}", segments.join("/"));
    let body = match tokio::task::spawn_blocking(move || parse_body(&body)).await {
        Ok(Ok(b)) => Arc::new(b),
        Ok(Err(r)) => return *r,
        Err(e) => return internal(e),
    };
    let is_write = method != Method::GET;
    // An entity created without an id gets this one, the same in every planning round.
    let fresh_id = uuid::Uuid::new_v4().to_string();
    let ctx =
        Arc::new(RequestContext { cp: cp.clone(), method, segments, q, path: base_path, fresh_id });
    let response = 'attempts: {
        for _ in 0..PLAN_ATTEMPTS {
            let plan = match state
                .store
                .call({
                    let (ctx, body) = (ctx.clone(), body.clone());
                    move |c| plan_request(c, &ctx, &body)
                })
                .await
            {
                Ok(Step::Done(r)) => break 'attempts r,
                Ok(Step::Write(plan)) => plan,
                Err(e) => break 'attempts internal(e),
            };
            let checked = tokio::task::spawn_blocking({
                let (plan, body) = (plan.clone(), body.clone());
                move || plan.validate(&body)
            })
            .await;
            let validated = match checked {
                Ok(Ok(v)) => v,
                Ok(Err(errs)) => {
                    break 'attempts config_error(
                        StatusCode::BAD_REQUEST,
                        "validation error",
                        &errs,
                    )
                }
                Err(e) => break 'attempts internal(e),
            };
            if plan.action == Action::Validate {
                break 'attempts json_response(
                    StatusCode::OK,
                    &json!({"message": "schema validation successful"}),
                );
            }
            let outcome = state
                .store
                .call({
                    let (ctx, body) = (ctx.clone(), body.clone());
                    move |c| {
                        // Planned again under this lock: only an unchanged plan is carried out.
                        match plan_request(c, &ctx, &body)? {
                            Step::Write(now) if now == plan => commit(c, &ctx.cp, &plan, validated),
                            Step::Write(_) => Ok(Outcome::Changed),
                            Step::Done(r) => Ok(Outcome::Refused(r)),
                        }
                    }
                })
                .await;
            match outcome {
                Ok(Outcome::Written(entity, status)) => {
                    break 'attempts json_response(status, &entity)
                }
                Ok(Outcome::Refused(r)) => break 'attempts r,
                Ok(Outcome::Changed) => continue,
                Err(e) => break 'attempts internal(e),
            }
        }
        json_response(
            StatusCode::CONFLICT,
            &json!({"message": "the entities this write depends on kept changing; try again"}),
        )
    };
    if response.status().is_success() && is_write {
        state.config_changed(&cp);
    }
    response
}

/// The parts of a request every planning round reads.
struct RequestContext {
    cp: String,
    method: Method,
    segments: Vec<String>,
    q: HashMap<String, String>,
    path: String,
    fresh_id: String,
}

fn plan_request(
    c: &mut Connection,
    ctx: &RequestContext,
    body: &Map<String, Value>,
) -> rusqlite::Result<Step> {
    if !group_exists(c, &ctx.cp)? {
        return Ok(Step::Done(not_found()));
    }
    let seg: Vec<&str> = ctx.segments.iter().map(String::as_str).collect();
    route(c, ctx, &seg, body)
}

fn route(
    c: &mut Connection,
    ctx: &RequestContext,
    seg: &[&str],
    body: &Map<String, Value>,
) -> rusqlite::Result<Step> {
    let (cp, method) = (ctx.cp.as_str(), &ctx.method);
    let done = |r: Response| Ok(Step::Done(r));
    match (method, seg) {
        (&Method::GET, ["schemas", "plugins", name]) => done(match plugin_schema(name) {
            Some(schema) => json_response(StatusCode::OK, schema),
            None => no_such(format!("No plugin named '{name}'")),
        }),
        (&Method::GET, ["plugin-schemas"]) => {
            let data: Vec<Value> = plugin_names().into_iter().map(named_plugin_schema).collect();
            done(json_response(StatusCode::OK, &json!({ "data": data })))
        }
        (&Method::GET, ["schemas", entity]) => done(match kind(entity) {
            Some(k) => json_response(StatusCode::OK, &wire::entity_schema(k)),
            None => no_such(format!("No entity named '{entity}'")),
        }),
        (&Method::GET, ["v1", "available-plugins"]) => {
            done(json_response(StatusCode::OK, &json!({ "names": plugin_names() })))
        }
        (&Method::POST, ["schemas", entity, "validate"]) => match kind(entity) {
            Some(k) => Ok(Step::Write(Plan { kind: k, action: Action::Validate })),
            None => done(not_found()),
        },
        (_, ["consumer_groups", gid, "consumers", rest @ ..]) => {
            done(membership(c, cp, method, "consumer_groups", gid, rest, body)?)
        }
        (_, ["consumers", cid, "consumer_groups", rest @ ..]) => {
            done(membership(c, cp, method, "consumers", cid, rest, body)?)
        }
        (_, [k]) => match kind(k) {
            Some(k) => collection(c, ctx, k, None, body),
            None => done(not_found()),
        },
        (_, [k, key]) => match kind(k) {
            Some(k) => item(c, ctx, k, key, None),
            None => done(not_found()),
        },
        (_, [pk, pkey, child, rest @ ..]) if rest.len() <= 1 => {
            let (Some(parent_kind), Some((child_kind, field))) = (kind(pk), nested(pk, child))
            else {
                return done(not_found());
            };
            let Some(parent_id) = store::resolve_id(c, cp, parent_kind, pkey)? else {
                return done(not_found());
            };
            match rest {
                [] => collection(c, ctx, child_kind, Some((field, parent_id)), body),
                [key] => item(c, ctx, child_kind, key, Some((field, parent_id))),
                _ => done(not_found()),
            }
        }
        _ => done(not_found()),
    }
}

/// A plugin's schema with its name, as one item of the `plugin-schemas` list.
fn named_plugin_schema(name: &str) -> Value {
    let mut schema = plugin_schema(name).cloned().unwrap_or_else(|| json!({}));
    schema["name"] = json!(name);
    schema
}

fn collection(
    c: &mut Connection,
    ctx: &RequestContext,
    k: &'static Kind,
    parent: Option<(&'static str, String)>,
    body: &Map<String, Value>,
) -> rusqlite::Result<Step> {
    let cp = ctx.cp.as_str();
    match ctx.method {
        Method::GET => {
            let mut lq = match list_query(k, &ctx.q) {
                Ok(lq) => lq,
                Err(r) => return Ok(Step::Done(*r)),
            };
            lq.parent = parent.map(|(f, id)| (f.to_string(), id));
            let page = store::list(c, cp, k, &lq)?;
            Ok(Step::Done(page_response(&ctx.path, &lq, page)))
        }
        Method::POST => {
            let id = match body.get("id").and_then(Value::as_str) {
                Some(given) if uuid::Uuid::parse_str(given).is_ok() => given.to_string(),
                Some(_) => {
                    return Ok(Step::Done(config_error(
                        StatusCode::BAD_REQUEST,
                        "validation error",
                        &[FieldError::field("id", "expected a valid UUID")],
                    )))
                }
                None => ctx.fresh_id.clone(),
            };
            if store::exists(c, cp, k, &id)? {
                return Ok(Step::Done(config_error(
                    StatusCode::BAD_REQUEST,
                    "data constraint error",
                    &[FieldError::field("id", "id (type: unique) constraint failed")],
                )));
            }
            Ok(Step::Write(Plan {
                kind: k,
                action: Action::Save {
                    id,
                    parent,
                    key_field: None,
                    drop_id: false,
                    status: StatusCode::CREATED.as_u16(),
                },
            }))
        }
        _ => Ok(Step::Done(json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"message": "Method not allowed"}),
        ))),
    }
}

/// Writes a validated entity in a transaction; the caller holds the connection and has checked
/// that `plan` still holds.
fn commit(
    c: &mut Connection,
    cp: &str,
    plan: &Plan,
    validated: Validated,
) -> rusqlite::Result<Outcome> {
    let Action::Save { id, status, .. } = &plan.action else { return Ok(Outcome::Changed) };
    let tx = c.transaction()?;
    match store::write(&tx, cp, plan.kind, id, validated) {
        Ok(entity) => {
            tx.commit()?;
            Ok(Outcome::Written(entity, StatusCode::from_u16(*status).unwrap_or(StatusCode::OK)))
        }
        Err(e) => Ok(Outcome::Refused(write_error(e))),
    }
}

fn item(
    c: &mut Connection,
    ctx: &RequestContext,
    k: &'static Kind,
    key: &str,
    parent: Option<(&'static str, String)>,
) -> rusqlite::Result<Step> {
    let cp = ctx.cp.as_str();
    let found = store::resolve_id(c, cp, k, key)?;
    // A nested item must belong to its parent: `/services/A/routes/X` is 404 when X is B's route.
    let belongs = |c: &Connection, id: &str| -> rusqlite::Result<bool> {
        match &parent {
            None => Ok(true),
            Some((field, pid)) => Ok(c
                .query_row(
                    "SELECT ref_id FROM entity_refs WHERE cp_id = ?1 AND kind = ?2 AND id = ?3 AND \
                        field = ?4",
                    params![cp, k.path, id, field],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .as_deref()
                == Some(pid.as_str())),
        }
    };
    let done = |r: Response| Ok(Step::Done(r));
    match ctx.method {
        Method::GET => match found {
            // The stored text is the answer: nothing is parsed or serialized under the lock.
            Some(id) if belongs(c, &id)? => done(
                store::get_text(c, cp, k, &id)?
                    .map(|text| {
                        (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], text)
                            .into_response()
                    })
                    .unwrap_or_else(not_found),
            ),
            _ => done(not_found()),
        },
        Method::PUT => {
            // Upsert: by id, or by endpoint key (the key becomes the new entity's name).
            let (id, key_field) = match found {
                Some(id) => {
                    if !belongs(c, &id)? {
                        return done(not_found());
                    }
                    (id, None)
                }
                None if uuid::Uuid::parse_str(key).is_ok() => (key.to_string(), None),
                None => match k.endpoint_key {
                    Some(field) => (ctx.fresh_id.clone(), Some((field, key.to_string()))),
                    None => return done(not_found()),
                },
            };
            Ok(Step::Write(Plan {
                kind: k,
                action: Action::Save {
                    id,
                    parent,
                    key_field,
                    drop_id: true,
                    status: StatusCode::OK.as_u16(),
                },
            }))
        }
        Method::DELETE => {
            let Some(id) = found else { return done(StatusCode::NO_CONTENT.into_response()) };
            if !belongs(c, &id)? {
                return done(not_found());
            }
            let tx = c.transaction()?;
            match store::delete(&tx, cp, k, &id) {
                Ok(()) => {
                    tx.commit()?;
                    done(StatusCode::NO_CONTENT.into_response())
                }
                Err(e) => done(write_error(e)),
            }
        }
        _ => done(json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"message": "Method not allowed"}),
        )),
    }
}

/// `consumer_groups/{id}/consumers[/{cid}]` and `consumers/{id}/consumer_groups[/{gid}]`.
fn membership(
    c: &mut Connection,
    cp: &str,
    method: &Method,
    from: &str,
    key: &str,
    rest: &[&str],
    body: &Map<String, Value>,
) -> rusqlite::Result<Response> {
    let (from_kind, other_kind) = if from == "consumer_groups" {
        ("consumer_groups", "consumers")
    } else {
        ("consumers", "consumer_groups")
    };
    let (fk, ok) = (kind(from_kind).unwrap(), kind(other_kind).unwrap());
    let Some(from_id) = store::resolve_id(c, cp, fk, key)? else { return Ok(not_found()) };
    let pair = |other: &str| {
        if from == "consumer_groups" {
            (from_id.clone(), other.to_string())
        } else {
            (other.to_string(), from_id.clone())
        }
    };
    match (method.clone(), rest) {
        (Method::GET, []) => {
            let data = if from == "consumer_groups" {
                store::members_of_group(c, cp, &from_id)?
            } else {
                store::groups_of_consumer(c, cp, &from_id)?
            };
            Ok(json_response(StatusCode::OK, &json!({ "data": data })))
        }
        (Method::POST, []) => {
            let field = if from == "consumer_groups" { "consumer" } else { "group" };
            let Some(other_key) = body.get(field).and_then(Value::as_str) else {
                return Ok(config_error(
                    StatusCode::BAD_REQUEST,
                    "validation error",
                    &[FieldError::field(field, "required field missing")],
                ));
            };
            let Some(other_id) = store::resolve_id(c, cp, ok, other_key)? else {
                return Ok(config_error(
                    StatusCode::BAD_REQUEST,
                    "validation error",
                    &[FieldError {
                        kind: ErrorType::Reference,
                        field: field.into(),
                        message: format!(
                            "the referenced {} '{other_key}' does not exist",
                            ok.singular
                        ),
                    }],
                ));
            };
            let (gid, cid) = pair(&other_id);
            let tx = c.transaction()?;
            store::add_member(&tx, cp, &gid, &cid)?;
            tx.commit()?;
            let group = store::get(c, cp, kind("consumer_groups").unwrap(), &gid)?;
            let consumer = store::get(c, cp, kind("consumers").unwrap(), &cid)?;
            Ok(if from == "consumer_groups" {
                json_response(
                    StatusCode::CREATED,
                    &json!({
                        "consumer_group": group,
                        "consumers": store::members_of_group(c, cp, &gid)?,
                    }),
                )
            } else {
                json_response(
                    StatusCode::CREATED,
                    &json!({
                        "consumer": consumer,
                        "consumer_groups": store::groups_of_consumer(c, cp, &cid)?,
                    }),
                )
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
            let Some(other_id) = store::resolve_id(c, cp, ok, other_key)? else {
                return Ok(not_found());
            };
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
