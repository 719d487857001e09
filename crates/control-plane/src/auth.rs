//! Bearer-token authentication: tokens are stored as SHA-256 hashes and resolved to a principal.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::distr::{Alphanumeric, SampleString};
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::problem::Problem;
use crate::server::AppState;
use crate::store::{Store, StoreError};

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub id: String,
    pub org_admin: bool,
}

/// Tokens minted for this process only (the desktop app's session token): never written to disk.
#[derive(Clone, Default)]
pub struct SessionTokens(Arc<RwLock<HashMap<String, Principal>>>);

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new token with Konnect's prefix convention (`kpat_` personal, `spat_` system account).
pub fn generate_token(prefix: &str) -> String {
    format!("{prefix}{}", Alphanumeric.sample_string(&mut rand::rng(), 48))
}

/// On an empty store, creates the org admin. Returns the admin token when it was generated here,
/// so the caller can show it once; a token given by the operator is not echoed back.
pub async fn bootstrap_admin(
    store: &Store,
    given: Option<String>,
) -> Result<Option<String>, StoreError> {
    store
        .call(move |c| {
            let existing: i64 = c.query_row("SELECT COUNT(*) FROM principals", [], |r| r.get(0))?;
            let outcome = bootstrap(c, existing, given)?;
            ensure_org_admin_team(c)?;
            Ok(outcome)
        })
        .await
}

/// Konnect's predefined "Organization Admin" team, with every org admin in it: what a client
/// reads (`/v3/users/{id}/teams`) to learn that its token may do everything.
fn ensure_org_admin_team(c: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    let at = now();
    c.execute(
        "INSERT OR IGNORE INTO teams (id, name, description, labels, system_team, created_at, \
            updated_at) VALUES (?1, ?2, 'Users have full access to all objects in the \
            organization.', '{}', 1, ?3, ?3)",
        params![uuid::Uuid::new_v4().to_string(), konnect::roles::ORG_ADMIN_TEAM, at],
    )?;
    c.execute(
        "INSERT OR IGNORE INTO team_members (team_id, principal_id) SELECT t.id, p.id FROM teams \
            t, principals p WHERE t.name = ?1 AND t.system_team = 1 AND p.org_admin = 1",
        [konnect::roles::ORG_ADMIN_TEAM],
    )?;
    Ok(())
}

fn bootstrap(
    c: &mut rusqlite::Connection,
    existing: i64,
    given: Option<String>,
) -> rusqlite::Result<Option<String>> {
    {
        if existing > 0 {
            // An admin exists; a token given now is still honoured so operators can rotate in one
            // step.
            if let Some(t) = given {
                let admin: Option<String> = c
                    .query_row(
                        "SELECT id FROM principals WHERE org_admin = 1 ORDER BY created_at LIMIT 1",
                        [],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(admin) = admin {
                    c.execute(
                        "INSERT OR IGNORE INTO access_tokens (hash, principal_id, created_at) \
                            VALUES (?1, ?2, ?3)",
                        params![hash_token(&t), admin, now()],
                    )?;
                }
            }
            return Ok(None);
        }
        let (token, generated) = match given {
            Some(t) => (t, false),
            None => (generate_token("kpat_"), true),
        };
        let id = uuid::Uuid::new_v4().to_string();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO principals (id, kind, name, org_admin, created_at) VALUES (?1, 'user', \
                'admin', 1, ?2)",
            params![id, now()],
        )?;
        tx.execute(
            "INSERT INTO access_tokens (hash, principal_id, created_at) VALUES (?1, ?2, ?3)",
            params![hash_token(&token), id, now()],
        )?;
        tx.commit()?;
        Ok(generated.then_some(token))
    }
}

pub async fn org_admin(store: &Store) -> Result<Option<Principal>, StoreError> {
    store
        .call(|c| {
            c.query_row(
                "SELECT id FROM principals WHERE org_admin = 1 ORDER BY created_at LIMIT 1",
                [],
                |r| Ok(Principal { id: r.get(0)?, org_admin: true }),
            )
            .optional()
        })
        .await
}

async fn resolve(state: &AppState, token: &str) -> Result<Option<Principal>, StoreError> {
    let hash = hash_token(token);
    if let Some(p) = state.sessions.0.read().unwrap_or_else(|p| p.into_inner()).get(&hash) {
        return Ok(Some(p.clone()));
    }
    state
        .store
        .call(move |c| {
            let found = c
                .query_row(
                    "SELECT p.id, p.org_admin, t.expires_at, t.id FROM access_tokens t JOIN \
                        principals p ON p.id = t.principal_id WHERE t.hash = ?1",
                    params![hash],
                    |r| {
                        Ok((
                            Principal { id: r.get(0)?, org_admin: r.get::<_, i64>(1)? != 0 },
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, Option<String>>(3)?,
                        ))
                    },
                )
                .optional()?;
            let Some((principal, expires_at, token_id)) = found else { return Ok(None) };
            let expired = expires_at
                .and_then(|e| chrono::DateTime::parse_from_rfc3339(&e).ok())
                .is_some_and(|e| e.timestamp() <= chrono::Utc::now().timestamp());
            if expired {
                return Ok(None);
            }
            if let Some(id) = token_id {
                c.execute(
                    "UPDATE access_tokens SET last_used_at = ?2 WHERE id = ?1",
                    params![id, now()],
                )?;
            }
            Ok(Some(principal))
        })
        .await
}

impl SessionTokens {
    pub fn insert(&self, token: &str, principal: Principal) {
        self.0.write().unwrap_or_else(|p| p.into_inner()).insert(hash_token(token), principal);
    }
}

/// Middleware: every API request needs `Authorization: Bearer <token>` naming a known principal.
pub async fn require_token(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let Some(token) = token else {
        return Problem::unauthenticated().into_response();
    };
    match resolve(&state, &token).await {
        Ok(Some(p)) => {
            req.extensions_mut().insert(p);
            next.run(req).await
        }
        Ok(None) => Problem::unauthenticated().into_response(),
        Err(e) => Problem::internal(e.to_string()).into_response(),
    }
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
