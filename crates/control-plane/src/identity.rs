//! Konnect's identity API, as far as the console uses it: system accounts and their access
//! tokens, teams and their members, roles assigned per group, `users/me`, `organizations/me`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use konnect::InvalidParameter;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Map, Value};

use crate::auth::{generate_token, hash_token, now, Principal};
use crate::authz::{CONTROL_PLANES, ROLES};
use crate::problem::{blank_param, Problem};
use crate::server::AppState;

type R = Result<Response, Problem>;

fn ok(v: Value) -> R {
    Ok(Json(v).into_response())
}
fn created(v: Value) -> R {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}
fn no_content() -> R {
    Ok(StatusCode::NO_CONTENT.into_response())
}
fn invalid(field: &str, reason: impl Into<String>) -> Problem {
    Problem::bad_request(
        "Invalid request",
        vec![InvalidParameter {
            field: field.into(),
            rule: Some("invalid".into()),
            reason: reason.into(),
            source: Some("body".into()),
            ..blank_param()
        }],
    )
}
fn body_of(bytes: &Bytes) -> Result<Map<String, Value>, Problem> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(invalid("body", "request format is invalid")),
    }
}
fn required_str(body: &Map<String, Value>, field: &str) -> Result<String, Problem> {
    body.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| invalid(field, "is a required field"))
}

/// `{meta: {page}, data}` for identity collections, paged by `page[size]` / `page[number]`.
fn page(q: &HashMap<String, String>, all: Vec<Value>) -> Value {
    let size: usize = q
        .get("page[size]")
        .and_then(|s| s.parse().ok())
        .filter(|n| (1..=1000).contains(n))
        .unwrap_or(100);
    let number: usize =
        q.get("page[number]").and_then(|s| s.parse().ok()).filter(|n| *n >= 1).unwrap_or(1);
    let total = all.len();
    let data: Vec<Value> = all.into_iter().skip((number - 1) * size).take(size).collect();
    json!({"meta": {"page": {"number": number, "size": size, "total": total}}, "data": data})
}

fn account_json(r: &Row) -> rusqlite::Result<Value> {
    let text = |column: &str| r.get::<_, String>(column);
    let created_at = text("created_at")?;
    Ok(json!({
        "id": text("id")?,
        "name": text("name")?,
        "description": text("description")?,
        "konnect_managed": false,
        "created_at": created_at.clone(),
        "updated_at": r.get::<_, Option<String>>("updated_at")?.unwrap_or(created_at),
    }))
}

fn team_json(r: &Row) -> rusqlite::Result<Value> {
    // Konnect's Team.description is 1–250 characters or null: a team made without one has null.
    let description = Some(r.get::<_, String>("description")?).filter(|d| !d.is_empty());
    let text = |column: &str| r.get::<_, String>(column);
    Ok(json!({
        "id": text("id")?,
        "name": text("name")?,
        "description": description,
        "system_team": r.get::<_, i64>("system_team")? != 0,
        "labels": serde_json::from_str::<Value>(&text("labels")?).unwrap_or(json!({})),
        "created_at": text("created_at")?,
        "updated_at": text("updated_at")?,
    }))
}

fn token_json(r: &Row) -> rusqlite::Result<Value> {
    let text = |column: &str| r.get::<_, String>(column);
    let created_at = text("created_at")?;
    let mut v = json!({
        "id": text("id")?,
        "name": text("name")?,
        "created_at": created_at.clone(),
        "updated_at": r.get::<_, Option<String>>("updated_at")?.unwrap_or(created_at),
        "expires_at": r.get::<_, Option<String>>("expires_at")?,
    });
    if let Some(last) = r.get::<_, Option<String>>("last_used_at")? {
        v["last_used_at"] = json!(last);
    }
    Ok(v)
}

fn role_json(r: &Row) -> rusqlite::Result<Value> {
    let text = |column: &str| r.get::<_, String>(column);
    Ok(json!({
        "id": text("id")?,
        "role_name": text("role_name")?,
        "entity_id": text("entity_id")?,
        "entity_type_name": text("entity_type_name")?,
        "entity_region": text("entity_region")?,
    }))
}

fn account_exists(c: &Connection, id: &str) -> rusqlite::Result<bool> {
    c.query_row(
        "SELECT EXISTS (SELECT 1 FROM principals WHERE id = ?1 AND kind = 'system_account')",
        [id],
        |r| r.get(0),
    )
}

/// The organization's id, made once and kept.
pub fn organization_id(c: &Connection) -> rusqlite::Result<String> {
    if let Some(id) = c
        .query_row("SELECT value FROM meta WHERE key = 'organization_id'", [], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    let id = uuid::Uuid::new_v4().to_string();
    c.execute("INSERT INTO meta (key, value) VALUES ('organization_id', ?1)", [&id])?;
    Ok(id)
}

pub async fn organization(State(state): State<AppState>) -> R {
    let v = state
        .store
        .call(|c| {
            let id = organization_id(c)?;
            let (owner, created): (Option<String>, Option<String>) = c
                .query_row(
                    "SELECT id, created_at FROM principals WHERE org_admin = 1 ORDER BY created_at \
                        LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((None, None));
            let created = created.unwrap_or_else(now);
            Ok(json!({
                "id": id,
                "name": "Local organization",
                "owner_id": owner,
                "login_path": "local",
                "created_at": created,
                "updated_at": created,
                "state": "active",
                "retention_period_days": 30,
            }))
        })
        .await?;
    ok(v)
}

pub async fn me(State(state): State<AppState>, Extension(p): Extension<Principal>) -> R {
    let id = p.id.clone();
    let v = state
        .store
        .call(move |c| {
            c.query_row("SELECT * FROM principals WHERE id = ?1", [&id], |r| {
                let name: String = r.get("name")?;
                let kind: String = r.get("kind")?;
                let created: String = r.get("created_at")?;
                let email = if kind == "user" {
                    format!("{name}@localhost")
                } else {
                    format!("{name}@system-accounts.localhost")
                };
                let updated = r.get::<_, Option<String>>("updated_at")?.unwrap_or(created.clone());
                Ok(json!({
                    "id": r.get::<_, String>("id")?,
                    "email": email,
                    "full_name": name,
                    "preferred_name": name,
                    "active": true,
                    "inferred_region": "local",
                    "created_at": created,
                    "updated_at": updated,
                }))
            })
            .optional()
        })
        .await?;
    v.map(|v| Json(v).into_response())
        .ok_or_else(|| Problem::new(StatusCode::UNAUTHORIZED, "A valid token is required"))
}

pub async fn roles() -> R {
    let mut roles = Map::new();
    for (name, description, _) in ROLES {
        roles.insert(
            name.to_lowercase().replace(' ', "_"),
            json!({"name": name, "description": description}),
        );
    }
    ok(json!({ "control_planes": {"name": CONTROL_PLANES, "roles": roles} }))
}

// --- system accounts ---

pub async fn list_accounts(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    let all = state
        .store
        .call(|c| {
            c.prepare_cached(
                "SELECT * FROM principals WHERE kind = 'system_account' ORDER BY created_at",
            )?
            .query_map([], account_json)?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    ok(page(&q, all))
}

pub async fn create_account(State(state): State<AppState>, body: Bytes) -> R {
    let body = body_of(&body)?;
    let name = required_str(&body, "name")?;
    let description = body.get("description").and_then(Value::as_str).unwrap_or("").to_string();
    let v = state
        .store
        .call(move |c| {
            if c.query_row(
                "SELECT EXISTS (SELECT 1 FROM principals WHERE kind = 'system_account' AND name = \
                    ?1)",
                [&name],
                |r| r.get::<_, bool>(0),
            )? {
                return Ok(None);
            }
            let id = uuid::Uuid::new_v4().to_string();
            c.execute(
                "INSERT INTO principals (id, kind, name, org_admin, created_at, description, \
                    updated_at) VALUES (?1, 'system_account', ?2, 0, ?3, ?4, ?3)",
                params![id, name, now(), description],
            )?;
            c.query_row("SELECT * FROM principals WHERE id = ?1", [&id], account_json).map(Some)
        })
        .await?;
    v.map(created).unwrap_or_else(|| {
        Err(Problem::conflict("A system account with this name already exists."))
    })
}

pub async fn get_account(State(state): State<AppState>, Path(id): Path<String>) -> R {
    let v = state
        .store
        .call(move |c| {
            c.query_row(
                "SELECT * FROM principals WHERE id = ?1 AND kind = 'system_account'",
                [&id],
                account_json,
            )
            .optional()
        })
        .await?;
    v.map(ok).unwrap_or_else(|| Err(Problem::not_found("system account")))
}

pub async fn update_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> R {
    let body = body_of(&body)?;
    let name = body.get("name").and_then(Value::as_str).map(str::to_string);
    let description = body.get("description").and_then(Value::as_str).map(str::to_string);
    let v = state
        .store
        .call(move |c| {
            if !account_exists(c, &id)? {
                return Ok(None);
            }
            c.execute(
                "UPDATE principals SET name = coalesce(?2, name), description = coalesce(?3, \
                    description), updated_at = ?4 WHERE id = ?1",
                params![id, name, description, now()],
            )?;
            c.query_row("SELECT * FROM principals WHERE id = ?1", [&id], account_json).map(Some)
        })
        .await?;
    v.map(ok).unwrap_or_else(|| Err(Problem::not_found("system account")))
}

pub async fn delete_account(State(state): State<AppState>, Path(id): Path<String>) -> R {
    let n = state
        .store
        .call(move |c| {
            c.execute(
                "DELETE FROM assigned_roles WHERE owner_kind = 'system_account' AND owner_id = ?1",
                [&id],
            )?;
            c.execute("DELETE FROM principals WHERE id = ?1 AND kind = 'system_account'", [&id])
        })
        .await?;
    if n == 0 {
        Err(Problem::not_found("system account"))
    } else {
        no_content()
    }
}

// --- access tokens ---

pub async fn list_tokens(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    let all = state
        .store
        .call(move |c| {
            if !account_exists(c, &id)? {
                return Ok(None);
            }
            let rows = c
                .prepare_cached(
                    "SELECT * FROM access_tokens WHERE principal_id = ?1 AND id IS NOT NULL ORDER \
                        BY created_at",
                )?
                .query_map([&id], token_json)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(rows))
        })
        .await?;
    all.map(|a| ok(page(&q, a))).unwrap_or_else(|| Err(Problem::not_found("system account")))
}

/// Creates a `spat_` token; the token itself is in this answer only, the store keeps its hash.
pub async fn create_token(State(state): State<AppState>, Path(id): Path<String>, body: Bytes) -> R {
    let body = body_of(&body)?;
    let name = required_str(&body, "name")?;
    let expires_at = required_str(&body, "expires_at")?;
    let expiry = chrono::DateTime::parse_from_rfc3339(&expires_at)
        .map_err(|_| invalid("expires_at", "must be an RFC 3339 date-time"))?;
    if expiry.timestamp() <= chrono::Utc::now().timestamp() {
        return Err(invalid("expires_at", "must be in the future"));
    }
    let token = generate_token("spat_");
    let hash = hash_token(&token);
    let v = state
        .store
        .call(move |c| {
            if !account_exists(c, &id)? {
                return Ok(None);
            }
            let tid = uuid::Uuid::new_v4().to_string();
            let ts = now();
            c.execute(
                "INSERT INTO access_tokens (hash, principal_id, created_at, id, name, expires_at, \
                    updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?3)",
                params![hash, id, ts, tid, name, expires_at],
            )?;
            c.query_row("SELECT * FROM access_tokens WHERE id = ?1", [&tid], token_json).map(Some)
        })
        .await?;
    match v {
        Some(mut v) => {
            v["token"] = json!(token);
            created(v)
        }
        None => Err(Problem::not_found("system account")),
    }
}

pub async fn get_token(
    State(state): State<AppState>,
    Path((id, tid)): Path<(String, String)>,
) -> R {
    let v = state
        .store
        .call(move |c| {
            c.query_row(
                "SELECT * FROM access_tokens WHERE principal_id = ?1 AND id = ?2",
                params![id, tid],
                token_json,
            )
            .optional()
        })
        .await?;
    v.map(ok).unwrap_or_else(|| Err(Problem::not_found("access token")))
}

pub async fn delete_token(
    State(state): State<AppState>,
    Path((id, tid)): Path<(String, String)>,
) -> R {
    let n = state
        .store
        .call(move |c| {
            c.execute(
                "DELETE FROM access_tokens WHERE principal_id = ?1 AND id = ?2",
                params![id, tid],
            )
        })
        .await?;
    if n == 0 {
        Err(Problem::not_found("access token"))
    } else {
        no_content()
    }
}

// --- teams ---

pub async fn list_teams(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    let eq = q.get("filter[name][eq]").cloned();
    let contains = q.get("filter[name][contains]").map(|s| s.to_lowercase());
    let all = state
        .store
        .call(|c| {
            c.prepare_cached("SELECT * FROM teams ORDER BY created_at")?
                .query_map([], team_json)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    let all = all
        .into_iter()
        .filter(|t| eq.as_deref().is_none_or(|e| t["name"] == e))
        .filter(|t| {
            contains
                .as_deref()
                .is_none_or(|s| t["name"].as_str().unwrap_or("").to_lowercase().contains(s))
        })
        .collect();
    ok(page(&q, all))
}

pub async fn create_team(State(state): State<AppState>, body: Bytes) -> R {
    let body = body_of(&body)?;
    let name = required_str(&body, "name")?;
    if name.chars().count() > 250 {
        return Err(invalid("name", "must have at most 250 characters"));
    }
    let description = body.get("description").and_then(Value::as_str).unwrap_or("").to_string();
    let labels = body.get("labels").cloned().unwrap_or(json!({}));
    let v = state
        .store
        .call(move |c| {
            if c.query_row("SELECT EXISTS (SELECT 1 FROM teams WHERE name = ?1)", [&name], |r| {
                r.get::<_, bool>(0)
            })? {
                return Ok(None);
            }
            let id = uuid::Uuid::new_v4().to_string();
            c.execute(
                "INSERT INTO teams (id, name, description, labels, created_at, updated_at) VALUES \
                    (?1, ?2, ?3, ?4, ?5, ?5)",
                params![id, name, description, labels.to_string(), now()],
            )?;
            c.query_row("SELECT * FROM teams WHERE id = ?1", [&id], team_json).map(Some)
        })
        .await?;
    v.map(created)
        .unwrap_or_else(|| Err(Problem::conflict("A team with this name already exists.")))
}

pub async fn get_team(State(state): State<AppState>, Path(id): Path<String>) -> R {
    let v = state
        .store
        .call(move |c| {
            c.query_row("SELECT * FROM teams WHERE id = ?1", [&id], team_json).optional()
        })
        .await?;
    v.map(ok).unwrap_or_else(|| Err(Problem::not_found("team")))
}

pub async fn update_team(State(state): State<AppState>, Path(id): Path<String>, body: Bytes) -> R {
    let body = body_of(&body)?;
    let name = body.get("name").and_then(Value::as_str).map(str::to_string);
    let description = body.get("description").and_then(Value::as_str).map(str::to_string);
    let labels = body.get("labels").map(|l| l.to_string());
    let v = state
        .store
        .call(move |c| {
            let n = c.execute(
                "UPDATE teams SET name = coalesce(?2, name), description = coalesce(?3, \
                    description), labels = coalesce(?4, labels), updated_at = ?5 WHERE id = ?1",
                params![id, name, description, labels, now()],
            )?;
            if n == 0 {
                return Ok(None);
            }
            c.query_row("SELECT * FROM teams WHERE id = ?1", [&id], team_json).map(Some)
        })
        .await?;
    v.map(ok).unwrap_or_else(|| Err(Problem::not_found("team")))
}

pub async fn delete_team(State(state): State<AppState>, Path(id): Path<String>) -> R {
    let n = state
        .store
        .call(move |c| {
            let system: Option<bool> = c
                .query_row("SELECT system_team != 0 FROM teams WHERE id = ?1", [&id], |r| r.get(0))
                .optional()?;
            if system == Some(true) {
                return Ok(None);
            }
            c.execute(
                "DELETE FROM assigned_roles WHERE owner_kind = 'team' AND owner_id = ?1",
                [&id],
            )?;
            c.execute("DELETE FROM teams WHERE id = ?1", [&id]).map(Some)
        })
        .await?;
    match n {
        None => Err(Problem::new(StatusCode::FORBIDDEN, "System teams cannot be deleted.")),
        Some(0) => Err(Problem::not_found("team")),
        Some(_) => no_content(),
    }
}

pub async fn list_team_accounts(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    let all = state
        .store
        .call(move |c| {
            if c.query_row("SELECT 1 FROM teams WHERE id = ?1", [&id], |_| Ok(()))
                .optional()?
                .is_none()
            {
                return Ok(None);
            }
            let rows = c
                .prepare_cached(
                    "SELECT p.* FROM team_members m JOIN principals p ON p.id = m.principal_id \
                        WHERE m.team_id = ?1 AND p.kind = 'system_account' ORDER BY p.created_at",
                )?
                .query_map([&id], account_json)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(rows))
        })
        .await?;
    all.map(|a| ok(page(&q, a))).unwrap_or_else(|| Err(Problem::not_found("team")))
}

pub async fn add_team_account(
    State(state): State<AppState>,
    Path(team): Path<String>,
    body: Bytes,
) -> R {
    let body = body_of(&body)?;
    let account = required_str(&body, "id")?;
    let outcome = state
        .store
        .call(move |c| {
            if c.query_row("SELECT 1 FROM teams WHERE id = ?1", [&team], |_| Ok(()))
                .optional()?
                .is_none()
                || !account_exists(c, &account)?
            {
                return Ok(Err(()));
            }
            Ok(Ok(c.execute(
                "INSERT OR IGNORE INTO team_members (team_id, principal_id) VALUES (?1, ?2)",
                params![team, account],
            )?))
        })
        .await?;
    match outcome {
        Ok(0) => Err(Problem::conflict("The system account is already a member of this team.")),
        Ok(_) => Ok(StatusCode::CREATED.into_response()),
        Err(()) => Err(Problem::not_found("team or system account")),
    }
}

pub async fn remove_team_account(
    State(state): State<AppState>,
    Path((team, account)): Path<(String, String)>,
) -> R {
    let n = state
        .store
        .call(move |c| {
            c.execute(
                "DELETE FROM team_members WHERE team_id = ?1 AND principal_id = ?2",
                params![team, account],
            )
        })
        .await?;
    if n == 0 {
        Err(Problem::not_found("team member"))
    } else {
        no_content()
    }
}

// --- assigned roles (teams and system accounts share one implementation) ---

fn owner_exists(c: &Connection, kind: &str, id: &str) -> rusqlite::Result<bool> {
    match kind {
        "team" => {
            c.query_row("SELECT EXISTS (SELECT 1 FROM teams WHERE id = ?1)", [id], |r| r.get(0))
        }
        "user" => c.query_row(
            "SELECT EXISTS (SELECT 1 FROM principals WHERE id = ?1 AND kind = 'user')",
            [id],
            |r| r.get(0),
        ),
        _ => account_exists(c, id),
    }
}

/// The teams a user or system account belongs to (`/v3/users/{id}/teams`,
/// `/v3/system-accounts/{id}/teams`).
async fn teams_of(
    state: &AppState,
    kind: &'static str,
    id: String,
    q: HashMap<String, String>,
) -> R {
    let all = state
        .store
        .call(move |c| {
            if !owner_exists(c, kind, &id)? {
                return Ok(None);
            }
            let rows = c
                .prepare_cached(
                    "SELECT t.* FROM team_members m JOIN teams t ON t.id = m.team_id WHERE \
                        m.principal_id = ?1 ORDER BY t.created_at",
                )?
                .query_map([&id], team_json)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(rows))
        })
        .await?;
    all.map(|a| ok(page(&q, a))).unwrap_or_else(|| Err(Problem::not_found(kind)))
}

pub async fn user_teams(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    teams_of(&s, "user", id, q).await
}
pub async fn account_teams(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    teams_of(&s, "system_account", id, q).await
}
pub async fn user_roles(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    list_roles_of(&s, "user", id, q).await
}
pub async fn assign_user_role(State(s): State<AppState>, Path(id): Path<String>, body: Bytes) -> R {
    assign_role_to(&s, "user", id, body).await
}
pub async fn remove_user_role(
    State(s): State<AppState>,
    Path((id, role)): Path<(String, String)>,
) -> R {
    remove_role_of(&s, "user", id, role).await
}

async fn list_roles_of(
    state: &AppState,
    kind: &'static str,
    id: String,
    q: HashMap<String, String>,
) -> R {
    let role_eq = q.get("filter[role_name][eq]").cloned();
    let type_eq = q.get("filter[entity_type_name][eq]").cloned();
    let all = state
        .store
        .call(move |c| {
            if !owner_exists(c, kind, &id)? {
                return Ok(None);
            }
            let rows = c
                .prepare_cached(
                    "SELECT * FROM assigned_roles WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY \
                        role_name, entity_id",
                )?
                .query_map(params![kind, id], role_json)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(rows))
        })
        .await?;
    let Some(all) = all else {
        return Err(Problem::not_found(kind));
    };
    let all = all
        .into_iter()
        .filter(|r| role_eq.as_deref().is_none_or(|e| r["role_name"] == e))
        .filter(|r| type_eq.as_deref().is_none_or(|e| r["entity_type_name"] == e))
        .collect();
    ok(page(&q, all))
}

async fn assign_role_to(state: &AppState, kind: &'static str, id: String, body: Bytes) -> R {
    let body = body_of(&body)?;
    let role = required_str(&body, "role_name")?;
    let entity = required_str(&body, "entity_id")?;
    let entity_type = required_str(&body, "entity_type_name")?;
    let region = body.get("entity_region").and_then(Value::as_str).unwrap_or("*").to_string();
    if entity_type != CONTROL_PLANES {
        return Err(invalid(
            "entity_type_name",
            format!("only '{CONTROL_PLANES}' roles are available here"),
        ));
    }
    if !ROLES.iter().any(|(n, _, _)| *n == role) {
        return Err(invalid(
            "role_name",
            format!("must be one of: {}", ROLES.iter().map(|r| r.0).collect::<Vec<_>>().join(", ")),
        ));
    }
    if !["us", "eu", "au", "me", "in", "sg", "*"].contains(&region.as_str()) {
        return Err(invalid("entity_region", "must be one of us, eu, au, me, in, sg, *"));
    }
    let outcome = state
        .store
        .call(move |c| {
            if !owner_exists(c, kind, &id)? {
                return Ok(Err(StatusCode::NOT_FOUND));
            }
            if entity != "*"
                && c.query_row("SELECT 1 FROM control_planes WHERE id = ?1", [&entity], |_| Ok(()))
                    .optional()?
                    .is_none()
            {
                return Ok(Err(StatusCode::BAD_REQUEST));
            }
            let rid = uuid::Uuid::new_v4().to_string();
            let n = c.execute(
                "INSERT OR IGNORE INTO assigned_roles (id, owner_kind, owner_id, role_name, \
                    entity_id, entity_type_name, entity_region) \
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![rid, kind, id, role, entity, entity_type, region],
            )?;
            if n == 0 {
                return Ok(Err(StatusCode::CONFLICT));
            }
            c.query_row("SELECT * FROM assigned_roles WHERE id = ?1", [&rid], role_json).map(Ok)
        })
        .await?;
    match outcome {
        Ok(v) => created(v),
        Err(StatusCode::NOT_FOUND) => Err(Problem::not_found(kind)),
        Err(StatusCode::CONFLICT) => Err(Problem::conflict("This role is already assigned.")),
        Err(_) => Err(invalid("entity_id", "no control plane has this id")),
    }
}

async fn remove_role_of(state: &AppState, kind: &'static str, id: String, role: String) -> R {
    let n = state
        .store
        .call(move |c| {
            c.execute(
                "DELETE FROM assigned_roles WHERE owner_kind = ?1 AND owner_id = ?2 AND id = ?3",
                params![kind, id, role],
            )
        })
        .await?;
    if n == 0 {
        Err(Problem::not_found("assigned role"))
    } else {
        no_content()
    }
}

pub async fn team_roles(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    list_roles_of(&s, "team", id, q).await
}
pub async fn assign_team_role(State(s): State<AppState>, Path(id): Path<String>, body: Bytes) -> R {
    assign_role_to(&s, "team", id, body).await
}
pub async fn remove_team_role(
    State(s): State<AppState>,
    Path((id, role)): Path<(String, String)>,
) -> R {
    remove_role_of(&s, "team", id, role).await
}
pub async fn account_roles(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> R {
    list_roles_of(&s, "system_account", id, q).await
}
pub async fn assign_account_role(
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> R {
    assign_role_to(&s, "system_account", id, body).await
}
pub async fn remove_account_role(
    State(s): State<AppState>,
    Path((id, role)): Path<(String, String)>,
) -> R {
    remove_role_of(&s, "system_account", id, role).await
}

/// A group's creator who is not an org admin becomes its Admin, as Konnect's Creator role says.
pub fn grant_creator_admin(c: &Connection, principal: &str, cp: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO assigned_roles (id, owner_kind, owner_id, role_name, entity_id, \
            entity_type_name, entity_region) VALUES (?1, 'system_account', ?2, 'Admin', ?3, ?4, \
            '*')",
        params![uuid::Uuid::new_v4().to_string(), principal, cp, CONTROL_PLANES],
    )?;
    Ok(())
}
