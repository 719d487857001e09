//! `/v2/control-planes`: list, create, get, update and delete runtime groups, and their nodes list.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use crate::auth::Principal;
use crate::authz::Access;
use konnect::{
    ControlPlane, ControlPlaneConfig, CursorPage, InvalidParameter, ListControlPlanesResponse,
    ListNodesResponse, Node, PageMeta, PaginatedMeta, AUTH_TYPES, CLUSTER_TYPES,
    CLUSTER_TYPE_CONTROL_PLANE,
};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};

use crate::auth::now;
use crate::problem::{blank_param, Problem};
use crate::server::AppState;
use crate::validate::{self, Violations};

/// The group every organization starts with; it cannot be deleted or renamed.
pub const DEFAULT_GROUP_NAME: &str = "default";
const MAX_PAGE_SIZE: i64 = 100;
const DEFAULT_PAGE_SIZE: i64 = 100;

type ApiResult<T> = Result<T, Problem>;

impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Self {
        Problem::internal(e.to_string())
    }
}

/// `base` is the data plane link's `host:port`: every group's runtimes dial it, and their pinned
/// certificate tells which group they belong to.
fn group_from_row(r: &Row, base: &str) -> rusqlite::Result<ControlPlane> {
    let id: String = r.get("id")?;
    let labels: String = r.get("labels")?;
    let proxy_urls: String = r.get("proxy_urls")?;
    Ok(ControlPlane {
        config: ControlPlaneConfig {
            control_plane_endpoint: format!("https://{base}"),
            telemetry_endpoint: format!("https://{base}"),
            cluster_type: r.get("cluster_type")?,
            auth_type: r.get("auth_type")?,
            cloud_gateway: r.get::<_, i64>("cloud_gateway")? != 0,
            proxy_urls: serde_json::from_str(&proxy_urls).unwrap_or_default(),
        },
        id,
        name: r.get("name")?,
        description: r.get("description")?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

fn load_group(
    c: &Connection,
    id: &str,
    base: &str,
) -> rusqlite::Result<Option<(ControlPlane, bool)>> {
    c.query_row("SELECT *, is_default FROM control_planes WHERE id = ?1", params![id], |r| {
        Ok((group_from_row(r, base)?, r.get::<_, i64>("is_default")? != 0))
    })
    .optional()
}

/// Creates the default group on first start, so a fresh organization has somewhere to put runtimes.
pub async fn ensure_default_group(state: &AppState) -> Result<(), crate::store::StoreError> {
    state
        .store
        .call(|c| {
            let n: i64 =
                c.query_row("SELECT COUNT(*) FROM control_planes WHERE is_default = 1", [], |r| {
                    r.get(0)
                })?;
            if n == 0 {
                let ts = now();
                c.execute(
                    "INSERT INTO control_planes (id, name, description, labels, cluster_type, \
                        auth_type, cloud_gateway, proxy_urls, is_default, created_at, updated_at)
                     VALUES (?1, ?2, 'The default runtime group of this organization.', '{}', ?3, \
                         'pinned_client_certs', 0, '[]', 1, ?4, ?4)",
                    params![
                        uuid::Uuid::new_v4().to_string(),
                        DEFAULT_GROUP_NAME,
                        CLUSTER_TYPE_CONTROL_PLANE,
                        ts
                    ],
                )?;
            }
            Ok(())
        })
        .await
}

fn parse_uuid(id: &str) -> ApiResult<String> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| Problem::invalid_id("controlPlaneId"))
}

fn parse_body(body: &Bytes) -> ApiResult<Map<String, Value>> {
    let invalid = || {
        Problem::bad_request(
            "Invalid request format",
            vec![InvalidParameter {
                field: "body".into(),
                rule: Some("invalid".into()),
                reason: "request format is invalid".into(),
                ..blank_param()
            }],
        )
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(invalid()),
    }
}

fn query_param_error(field: &str, rule: &str, reason: &str) -> Problem {
    Problem::bad_request(
        "Invalid query parameter",
        vec![InvalidParameter {
            field: field.into(),
            rule: Some(rule.into()),
            reason: reason.into(),
            source: Some("query".into()),
            ..blank_param()
        }],
    )
}

/// The sort orders a list takes: what an `enum` error offers as its `choices`.
const SORT_CHOICES: [&str; 3] = ["created_at", "created_at asc", "created_at desc"];

/// What a list request asks for, parsed from Konnect's deepObject query parameters.
#[derive(Default)]
struct ListFilter {
    id_eq: Option<String>,
    id_oeq: Option<Vec<String>>,
    name_eq: Option<String>,
    name_neq: Option<String>,
    name_contains: Option<String>,
    cluster_type_eq: Option<String>,
    cluster_type_neq: Option<String>,
    cluster_type_oeq: Option<Vec<String>>,
    cloud_gateway: Option<bool>,
    labels: Vec<(String, Option<String>)>,
    newest_first: bool,
}

impl ListFilter {
    fn parse(q: &HashMap<String, String>) -> ApiResult<(ListFilter, i64, i64)> {
        let mut f = ListFilter::default();
        let mut size = DEFAULT_PAGE_SIZE;
        let mut number = 1;
        let list = |v: &str| {
            v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<_>>()
        };
        for (key, value) in q {
            match key.as_str() {
                "page[size]" => {
                    size =
                        value.parse().ok().filter(|n| (1..=MAX_PAGE_SIZE).contains(n)).ok_or_else(
                            || {
                                query_param_error(
                                    key,
                                    "invalid",
                                    &format!("must be an integer from 1 to {MAX_PAGE_SIZE}"),
                                )
                            },
                        )?
                }
                "page[number]" => {
                    number = value.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        query_param_error(key, "invalid", "must be an integer of at least 1")
                    })?
                }
                "filter[id][eq]" | "filter[id]" => f.id_eq = Some(value.clone()),
                "filter[id][oeq]" => f.id_oeq = Some(list(value)),
                "filter[name][eq]" | "filter[name]" => f.name_eq = Some(value.clone()),
                "filter[name][neq]" => f.name_neq = Some(value.clone()),
                "filter[name][contains]" => f.name_contains = Some(value.to_lowercase()),
                "filter[cluster_type][eq]" | "filter[cluster_type]" => {
                    f.cluster_type_eq = Some(value.clone())
                }
                "filter[cluster_type][neq]" => f.cluster_type_neq = Some(value.clone()),
                "filter[cluster_type][oeq]" => f.cluster_type_oeq = Some(list(value)),
                "filter[cloud_gateway]" => {
                    f.cloud_gateway = Some(value.parse().map_err(|_| {
                        query_param_error(key, "is_boolean", "must be true or false")
                    })?)
                }
                "labels" => {
                    for part in list(value) {
                        match part.split_once(':') {
                            Some((k, v)) => f.labels.push((k.to_string(), Some(v.to_string()))),
                            None => f.labels.push((part, None)),
                        }
                    }
                }
                "sort" => match value.trim() {
                    "" | "created_at" | "created_at asc" => f.newest_first = false,
                    "created_at desc" => f.newest_first = true,
                    _ => {
                        let mut p = query_param_error(
                            key,
                            "enum",
                            "only created_at (asc or desc) is supported",
                        );
                        p.0.invalid_parameters[0].choices = Some(
                            SORT_CHOICES.iter().map(|c| Value::String(c.to_string())).collect(),
                        );
                        return Err(p);
                    }
                },
                k if k.starts_with("filter[") => {
                    return Err(query_param_error(
                        k,
                        "unknown_property",
                        "is not a supported filter",
                    ))
                }
                _ => {}
            }
        }
        Ok((f, size, number))
    }

    fn matches(&self, g: &ControlPlane) -> bool {
        let eq = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        eq(&self.id_eq, &g.id)
            && self.id_oeq.as_ref().is_none_or(|ids| ids.contains(&g.id))
            && eq(&self.name_eq, &g.name)
            && self.name_neq.as_deref().is_none_or(|n| n != g.name)
            && self.name_contains.as_deref().is_none_or(|n| g.name.to_lowercase().contains(n))
            && eq(&self.cluster_type_eq, &g.config.cluster_type)
            && self.cluster_type_neq.as_deref().is_none_or(|n| n != g.config.cluster_type)
            && self.cluster_type_oeq.as_ref().is_none_or(|ts| ts.contains(&g.config.cluster_type))
            && self.cloud_gateway.is_none_or(|b| b == g.config.cloud_gateway)
            && self.labels.iter().all(|(k, v)| match v {
                Some(v) => g.labels.get(k) == Some(v),
                None => g.labels.contains_key(k),
            })
    }
}

pub async fn list(
    State(state): State<AppState>,
    access: Option<Extension<Access>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ListControlPlanesResponse>> {
    let (filter, size, number) = ListFilter::parse(&q)?;
    let base = state.cluster_endpoint.clone();
    let mut groups = state
        .store
        .call(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT * FROM control_planes ORDER BY created_at, rowid")?;
            let rows = stmt.query_map([], |r| group_from_row(r, &base))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    groups.retain(|g| filter.matches(g) && access.as_ref().is_none_or(|a| a.can_read(&g.id)));
    if filter.newest_first {
        groups.reverse();
    }
    let total = groups.len() as i64;
    let data =
        groups.into_iter().skip(((number - 1) * size) as usize).take(size as usize).collect();
    Ok(Json(ListControlPlanesResponse {
        meta: PaginatedMeta { page: PageMeta { number, size, total } },
        data,
    }))
}

const CREATE_FIELDS: [&str; 7] =
    ["name", "description", "cluster_type", "auth_type", "cloud_gateway", "proxy_urls", "labels"];
const UPDATE_FIELDS: [&str; 5] = ["name", "description", "auth_type", "proxy_urls", "labels"];

fn duplicate_name() -> Problem {
    Problem::conflict("Control Plane with provided name already exists.")
}

pub async fn create(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
    body: Bytes,
) -> ApiResult<Response> {
    let creator = principal.filter(|p| !p.org_admin).map(|p| p.id.clone());
    let body = parse_body(&body)?;
    let mut v = Violations::default();
    validate::unknown_properties(&body, &CREATE_FIELDS, &mut v);
    let name = validate::name(body.get("name"), true, &mut v);
    let description = validate::description(body.get("description"), &mut v).unwrap_or_default();
    let cluster_type =
        validate::enumeration("cluster_type", body.get("cluster_type"), &CLUSTER_TYPES, &mut v)
            .unwrap_or(CLUSTER_TYPE_CONTROL_PLANE.into());
    let auth_type = validate::enumeration("auth_type", body.get("auth_type"), &AUTH_TYPES, &mut v)
        .unwrap_or("pinned_client_certs".into());
    let cloud_gateway =
        validate::boolean("cloud_gateway", body.get("cloud_gateway"), &mut v).unwrap_or(false);
    let proxy_urls = validate::proxy_urls(body.get("proxy_urls"), &mut v).unwrap_or_default();
    let labels = validate::labels(body.get("labels"), &mut v).unwrap_or_default();
    if !v.is_empty() {
        return Err(Problem::bad_request("Request contains invalid fields", v.0));
    }
    let name = name.unwrap_or_default();
    let id = uuid::Uuid::new_v4().to_string();
    let base = state.cluster_endpoint.clone();
    let created = state
        .store
        .call(move |c| {
            let taken: i64 = c.query_row(
                "SELECT COUNT(*) FROM control_planes WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )?;
            if taken > 0 {
                return Ok(None);
            }
            let ts = now();
            c.execute(
                "INSERT INTO control_planes (id, name, description, labels, cluster_type, \
                    auth_type, cloud_gateway, proxy_urls, is_default, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?9)",
                params![
                    id,
                    name,
                    description,
                    serde_json::to_string(&labels).unwrap_or_else(|_| "{}".into()),
                    cluster_type,
                    auth_type,
                    cloud_gateway as i64,
                    serde_json::to_string(&proxy_urls).unwrap_or_else(|_| "[]".into()),
                    ts
                ],
            )?;
            if let Some(p) = creator {
                crate::identity::grant_creator_admin(c, &p, &id)?;
            }
            load_group(c, &id, &base)
        })
        .await?;
    match created {
        Some((g, _)) => Ok((StatusCode::CREATED, Json(g)).into_response()),
        None => Err(duplicate_name()),
    }
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ControlPlane>> {
    let id = parse_uuid(&id)?;
    let base = state.cluster_endpoint.clone();
    let found = state.store.call(move |c| load_group(c, &id, &base)).await?;
    found.map(|(g, _)| Json(g)).ok_or_else(|| Problem::not_found("control plane"))
}

enum UpdateOutcome {
    Updated(Box<ControlPlane>),
    NotFound,
    Duplicate,
    DefaultRename,
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ControlPlane>> {
    let id = parse_uuid(&id)?;
    let body = parse_body(&body)?;
    let mut v = Violations::default();
    validate::unknown_properties(&body, &UPDATE_FIELDS, &mut v);
    let name = validate::name(body.get("name"), false, &mut v);
    let description = validate::description(body.get("description"), &mut v);
    let auth_type = validate::enumeration("auth_type", body.get("auth_type"), &AUTH_TYPES, &mut v);
    let proxy_urls = validate::proxy_urls(body.get("proxy_urls"), &mut v);
    let labels: Option<BTreeMap<String, String>> = validate::labels(body.get("labels"), &mut v);
    if !v.is_empty() {
        return Err(Problem::bad_request("Request contains invalid fields", v.0));
    }
    let base = state.cluster_endpoint.clone();
    let outcome =
        state
            .store
            .call(move |c| {
                let tx = c.transaction()?;
                let Some((mut g, is_default)) = load_group(&tx, &id, &base)? else {
                    return Ok(UpdateOutcome::NotFound);
                };
                if let Some(n) = name {
                    if n != g.name {
                        if is_default {
                            return Ok(UpdateOutcome::DefaultRename);
                        }
                        let taken: i64 = tx.query_row(
                            "SELECT COUNT(*) FROM control_planes WHERE name = ?1 AND id != ?2",
                            params![n, id],
                            |r| r.get(0),
                        )?;
                        if taken > 0 {
                            return Ok(UpdateOutcome::Duplicate);
                        }
                        g.name = n;
                    }
                }
                if let Some(d) = description {
                    g.description = d;
                }
                if let Some(a) = auth_type {
                    g.config.auth_type = a;
                }
                if let Some(p) = proxy_urls {
                    g.config.proxy_urls = p;
                }
                if let Some(l) = labels {
                    g.labels = l;
                }
                g.updated_at = now();
                tx.execute(
                "UPDATE control_planes SET name = ?2, description = ?3, labels = ?4, auth_type = \
                    ?5, proxy_urls = ?6, updated_at = ?7 WHERE id = ?1",
                params![id, g.name, g.description,
                    serde_json::to_string(&g.labels).unwrap_or_else(|_| "{}".into()),
                    g.config.auth_type,
                    serde_json::to_string(&g.config.proxy_urls).unwrap_or_else(|_| "[]".into()),
                    g.updated_at],
            )?;
                tx.commit()?;
                Ok(UpdateOutcome::Updated(Box::new(g)))
            })
            .await?;
    match outcome {
        UpdateOutcome::Updated(g) => Ok(Json(*g)),
        UpdateOutcome::NotFound => Err(Problem::not_found("control plane")),
        UpdateOutcome::Duplicate => Err(duplicate_name()),
        UpdateOutcome::DefaultRename => Err(Problem::bad_request(
            "The default control plane cannot be renamed.",
            vec![InvalidParameter {
                field: "name".into(),
                rule: Some("invalid".into()),
                reason: "the default control plane keeps its name".into(),
                source: Some("body".into()),
                ..blank_param()
            }],
        )),
    }
}

pub async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let id = parse_uuid(&id)?;
    let group = id.clone();
    let outcome = state
        .store
        .call(move |c| {
            let is_default: Option<i64> = c
                .query_row(
                    "SELECT is_default FROM control_planes WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            match is_default {
                None => Ok(Some(false)),
                Some(1) => Ok(None),
                Some(_) => {
                    c.execute("DELETE FROM control_planes WHERE id = ?1", params![id])?;
                    Ok(Some(true))
                }
            }
        })
        .await?;
    match outcome {
        Some(true) => {
            // Its links learn the group is gone and close; the nodes keep what they run.
            state.config_changed(&group);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Some(false) => Err(Problem::not_found("control plane")),
        None => Err(Problem::bad_request(
            "The default control plane cannot be deleted: it is the organization's fallback group \
                for runtime instances.",
            vec![InvalidParameter {
                field: "controlPlaneId".into(),
                rule: Some("invalid".into()),
                reason: "the default control plane cannot be deleted".into(),
                source: Some("path".into()),
                ..blank_param()
            }],
        )),
    }
}

/// `GET /v2/control-planes/{id}/nodes`: the group's data plane nodes, cursor-paged.
pub async fn list_nodes(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ListNodesResponse>> {
    let id = parse_uuid(&id)?;
    let group = id.clone();
    let size: i64 = match q.get("page[size]") {
        Some(s) => s.parse().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
            query_param_error("page[size]", "invalid", "must be an integer from 1 to 1000")
        })?,
        None => 100,
    };
    let after = q.get("page[after]").cloned().unwrap_or_default();
    let base = state.cluster_endpoint.clone();
    let page = state
        .store
        .call(move |c| {
            if load_group(c, &id, &base)?.is_none() {
                return Ok(None);
            }
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM nodes WHERE control_plane_id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare_cached(
                "SELECT id, version, hostname, last_ping, config_hash, created_at, updated_at, ip \
                    FROM nodes
                 WHERE control_plane_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let items = stmt
                .query_map(params![id, after, size + 1], |r| {
                    Ok(Node {
                        id: r.get(0)?,
                        version: r.get(1)?,
                        hostname: r.get(2)?,
                        last_ping: r.get(3)?,
                        node_type: "kong-proxy".into(),
                        config_hash: r.get(4)?,
                        created_at: r.get(5)?,
                        updated_at: r.get(6)?,
                        ip: r.get(7)?,
                        compatibility_status: None,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some((total, items)))
        })
        .await?;
    let Some((total, mut items)) = page else { return Err(Problem::not_found("control plane")) };
    for node in &mut items {
        node.compatibility_status = state.node_errors.status(&group, &node.id);
    }
    let next = if items.len() as i64 > size {
        items.truncate(size as usize);
        items.last().map(|n| {
            format!(
                "/v2/control-planes/{group}/nodes?page%5Bsize%5D={size}&page%5Bafter%5D={}",
                n.id
            )
        })
    } else {
        None
    };
    Ok(Json(ListNodesResponse { items, page: CursorPage { total_count: total, next } }))
}

fn node_from_row(r: &Row) -> rusqlite::Result<Node> {
    Ok(Node {
        id: r.get("id")?,
        version: r.get("version")?,
        hostname: r.get("hostname")?,
        last_ping: r.get("last_ping")?,
        node_type: "kong-proxy".into(),
        config_hash: r.get("config_hash")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        ip: r.get("ip")?,
        compatibility_status: None,
    })
}

/// `GET /v2/control-planes/{id}/nodes/{nodeId}` → `{item}`.
pub async fn get_node(
    State(state): State<AppState>,
    Path((id, node)): Path<(String, String)>,
) -> ApiResult<Json<konnect::GetNodeResponse>> {
    let id = parse_uuid(&id)?;
    let group = id.clone();
    let found = state
        .store
        .call(move |c| {
            c.query_row(
                "SELECT * FROM nodes WHERE control_plane_id = ?1 AND id = ?2",
                params![id, node],
                node_from_row,
            )
            .optional()
        })
        .await?;
    let mut item = found.ok_or_else(|| Problem::not_found("node"))?;
    item.compatibility_status = state.node_errors.status(&group, &item.id);
    Ok(Json(konnect::GetNodeResponse { item }))
}

/// Removes the node's record only; a connected node shows up again at its next ping.
pub async fn delete_node(
    State(state): State<AppState>,
    Path((id, node)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = parse_uuid(&id)?;
    state.node_errors.forget(&node);
    let n = state
        .store
        .call(move |c| {
            c.execute(
                "DELETE FROM nodes WHERE control_plane_id = ?1 AND id = ?2",
                params![id, node],
            )
        })
        .await?;
    if n == 0 {
        return Err(Problem::not_found("node"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The hash a node must report to be in sync: Kong's hash of the group's exported config.
pub async fn expected_config_hash(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<konnect::ExpectedConfigHash>> {
    let id = parse_uuid(&id)?;
    let Some(hash) = crate::cluster::current_hash(&state, &id).await.map_err(Problem::internal)?
    else {
        return Err(Problem::not_found("control plane"));
    };
    let times = state
        .store
        .call(move |c| {
            let created: String =
                c.query_row("SELECT created_at FROM control_planes WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })?;
            let updated: Option<i64> = c
                .query_row("SELECT updated_at FROM config_state WHERE cp_id = ?1", [&id], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok((created, updated))
        })
        .await?;
    let created_at =
        chrono::DateTime::parse_from_rfc3339(&times.0).map(|d| d.timestamp()).unwrap_or_default();
    Ok(Json(konnect::ExpectedConfigHash {
        expected_hash: hash,
        created_at,
        updated_at: times.1.unwrap_or(created_at),
    }))
}

/// The legacy list decK's Konnect mode reads to find a group by name:
/// `{data: [{id, name}], page, pageCount}`, paged by `page` and `size`.
pub async fn legacy_runtime_groups(
    State(state): State<AppState>,
    access: Option<Extension<Access>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<serde_json::Value>> {
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let size: usize = q
        .get("size")
        .and_then(|p| p.parse().ok())
        .filter(|s| (1..=1000).contains(s))
        .unwrap_or(100);
    let all: Vec<(String, String)> = state
        .store
        .call(|c| {
            c.prepare_cached("SELECT id, name FROM control_planes ORDER BY created_at, rowid")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    let all: Vec<_> =
        all.into_iter().filter(|(id, _)| access.as_ref().is_none_or(|a| a.can_read(id))).collect();
    let page_count = all.len().div_ceil(size).max(1);
    let data: Vec<_> = all
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|(id, name)| serde_json::json!({"id": id, "name": name}))
        .collect();
    Ok(Json(serde_json::json!({"data": data, "page": page, "pageCount": page_count})))
}
