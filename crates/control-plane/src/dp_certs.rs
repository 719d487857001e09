//! `/v2/control-planes/{id}/dp-client-certificates`: certificates pinned to a group; a data plane
//! presenting one of them joins that group.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use konnect::{DataPlaneCertificate, InvalidParameter};
use rusqlite::{params, OptionalExtension, Row};
use serde_json::{json, Value};

use crate::cluster::{fingerprint, parse_cert_pem};
use crate::problem::{blank_param, Problem};
use crate::server::AppState;

fn group_id(id: &str) -> Result<String, Problem> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| Problem::invalid_id("controlPlaneId"))
}

fn cert_from_row(r: &Row) -> rusqlite::Result<DataPlaneCertificate> {
    Ok(DataPlaneCertificate {
        id: r.get("id")?,
        cert: r.get("cert")?,
        title: r.get("title")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

fn group_missing() -> Problem {
    Problem::not_found("control plane")
}

pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    let cp = group_id(&id)?;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let bad = |field: &str, reason: &str| {
        Problem::bad_request(
            "Invalid certificate",
            vec![InvalidParameter {
                field: field.into(),
                rule: Some("invalid".into()),
                reason: reason.into(),
                source: Some("body".into()),
                ..blank_param()
            }],
        )
    };
    let pem = body["cert"]
        .as_str()
        .ok_or_else(|| bad("cert", "is a required field: a PEM certificate"))?
        .to_string();
    let der = parse_cert_pem(&pem)
        .ok_or_else(|| bad("cert", "is not a PEM-encoded X.509 certificate"))?;
    let title = body["title"].as_str().map(str::to_string);
    let fp = fingerprint(der.as_ref());
    let created = state
        .store
        .call(move |c| {
            if c.query_row("SELECT 1 FROM control_planes WHERE id = ?1", [&cp], |_| Ok(()))
                .optional()?
                .is_none()
            {
                return Ok(None);
            }
            let now = chrono::Utc::now().timestamp();
            let id = uuid::Uuid::new_v4().to_string();
            c.execute(
                "INSERT INTO dp_certs (cp_id, id, cert, title, fingerprint, created_at, \
                    updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![cp, id, pem, title, fp, now],
            )?;
            c.query_row(
                "SELECT * FROM dp_certs WHERE cp_id = ?1 AND id = ?2",
                params![cp, id],
                cert_from_row,
            )
            .map(Some)
        })
        .await?;
    let item = created.ok_or_else(group_missing)?;
    Ok((StatusCode::CREATED, Json(json!({ "item": item }))).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let cp = group_id(&id)?;
    let items = state
        .store
        .call(move |c| {
            if c.query_row("SELECT 1 FROM control_planes WHERE id = ?1", [&cp], |_| Ok(()))
                .optional()?
                .is_none()
            {
                return Ok(None);
            }
            let mut stmt = c.prepare_cached(
                "SELECT * FROM dp_certs WHERE cp_id = ?1 ORDER BY created_at, id",
            )?;
            let rows =
                stmt.query_map([&cp], cert_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(rows))
        })
        .await?
        .ok_or_else(group_missing)?;
    Ok(Json(json!({"items": items, "page": {"total_count": items.len()}})))
}

pub async fn get(
    State(state): State<AppState>,
    Path((id, cert)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let cp = group_id(&id)?;
    let found = state
        .store
        .call(move |c| {
            c.query_row(
                "SELECT * FROM dp_certs WHERE cp_id = ?1 AND id = ?2",
                params![cp, cert],
                cert_from_row,
            )
            .optional()
        })
        .await?;
    found.map(|item| Json(json!({ "item": item }))).ok_or_else(|| Problem::not_found("certificate"))
}

/// Unpins a certificate: nodes using it can no longer connect (those connected stay until they
/// reconnect).
pub async fn delete(
    State(state): State<AppState>,
    Path((id, cert)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let cp = group_id(&id)?;
    let n = state
        .store
        .call(move |c| {
            c.execute("DELETE FROM dp_certs WHERE cp_id = ?1 AND id = ?2", params![cp, cert])
        })
        .await?;
    if n == 0 {
        return Err(Problem::not_found("certificate"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
