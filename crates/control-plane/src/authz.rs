//! Who may do what: Konnect's control-plane roles, assigned per group to a team or a system
//! account, decide every request; org admins may do everything.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rusqlite::params;

use crate::auth::Principal;
use crate::entities::api::nested;
use crate::problem::Problem;
use crate::server::AppState;

pub use konnect::roles::{Action, CONTROL_PLANES, ROLES};

/// What one principal may do, read from its own and its teams' assigned roles.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub org_admin: bool,
    /// Group id (or `*` for every group) → role names.
    roles: HashMap<String, Vec<String>>,
    /// The principal itself and the teams it is in: whose roles and memberships it may read.
    principal: String,
    teams: Vec<String>,
}

impl Access {
    fn roles_on(&self, cp: &str) -> impl Iterator<Item = &String> {
        self.roles.get(cp).into_iter().chain(self.roles.get("*")).flatten()
    }

    pub fn can_create_groups(&self) -> bool {
        self.org_admin || self.roles.values().flatten().any(|r| r == "Creator")
    }

    pub fn can(&self, cp: &str, action: &Action) -> bool {
        if self.org_admin {
            return true;
        }
        self.roles_on(cp).any(|role| konnect::roles::role_allows(role, action))
    }

    pub fn can_read(&self, cp: &str) -> bool {
        self.can(cp, &Action::Read)
    }

    /// Anyone may read their own assigned roles and teams, and the roles of their teams: that is
    /// how a client learns what its token may do.
    fn may_read_identity(&self, path: &[&str]) -> bool {
        match path {
            ["v3", "users" | "system-accounts", id, "assigned-roles" | "teams"] => {
                *id == self.principal
            }
            ["v3", "teams", team, "assigned-roles"] => self.teams.iter().any(|t| t == team),
            _ => false,
        }
    }
}

pub async fn load(state: &AppState, p: &Principal) -> Result<Access, crate::store::StoreError> {
    if p.org_admin {
        return Ok(Access {
            org_admin: true,
            roles: HashMap::new(),
            principal: p.id.clone(),
            teams: Vec::new(),
        });
    }
    let id = p.id.clone();
    state
        .store
        .call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT entity_id, role_name FROM assigned_roles WHERE entity_type_name = ?2 AND (
                    (owner_kind IN ('system_account', 'user') AND owner_id = ?1)
                    OR (owner_kind = 'team' AND owner_id IN (SELECT team_id FROM team_members \
                        WHERE principal_id = ?1)))",
            )?;
            let mut roles: HashMap<String, Vec<String>> = HashMap::new();
            for row in stmt.query_map(params![id, CONTROL_PLANES], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })? {
                let (cp, role) = row?;
                roles.entry(cp).or_default().push(role);
            }
            let teams = c
                .prepare_cached("SELECT team_id FROM team_members WHERE principal_id = ?1")?
                .query_map([&id], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(Access { org_admin: false, roles, principal: id, teams })
        })
        .await
}

/// The kind a core-entities path writes: `services/{id}/routes` writes routes,
/// `consumers/{id}/basic-auth` writes basic-auths.
fn written_kind(segments: &[&str]) -> String {
    let kind = match segments {
        [k] | [k, _] => *k,
        [_, _, "consumers", ..] => "consumer_groups",
        [_, _, "consumer_groups", ..] => "consumer_groups",
        [parent, _, child, ..] => nested(parent, child).map_or(*child, |(k, _)| k.path),
        _ => "",
    };
    kind.to_string()
}

fn forbidden(detail: String) -> Response {
    Problem::new(StatusCode::FORBIDDEN, detail).into_response()
}

/// Middleware after authentication: refuses what the principal's roles do not allow (403), and
/// hands the `Access` on so lists show only readable groups.
pub async fn authorize(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(principal) = req.extensions().get::<Principal>().cloned() else {
        return next.run(req).await;
    };
    let access = match load(&state, &principal).await {
        Ok(a) => a,
        Err(e) => return Problem::internal(e.to_string()).into_response(),
    };
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let seg: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let decision: Result<(), String> = match seg.as_slice() {
        ["v2", "control-planes"] if method == Method::POST => {
            if access.can_create_groups() {
                Ok(())
            } else {
                Err("Insufficient role-set to create control planes.".into())
            }
        }
        ["v2", "control-planes", cp, rest @ ..] => {
            let action = match (method.clone(), rest) {
                (Method::GET, _) => Action::Read,
                (Method::POST, ["core-entities", "schemas", _, "validate"]) => Action::Read,
                (_, []) => Action::EditGroup,
                (_, ["core-entities", tail @ ..]) => Action::Write(written_kind(tail)),
                _ => Action::ManageNodes,
            };
            if access.can(cp, &action) {
                Ok(())
            } else {
                Err(match action {
                    Action::Read => "You have no role in this control plane.".to_string(),
                    Action::Write(kind) => format!(
                        "Insufficient role-set to modify {} in this control plane.",
                        kind.replace(['_', '-'], " ")
                    ),
                    _ => "Insufficient role-set to manage this control plane.".to_string(),
                })
            }
        }
        ["v3", "users", "me"] | ["v3", "roles"] => Ok(()),
        ["v3", ..] if method == Method::GET && access.may_read_identity(&seg) => Ok(()),
        ["v3", ..] if !access.org_admin => {
            Err("Only organization admins manage identities, teams and roles.".into())
        }
        _ => Ok(()),
    };
    match decision {
        Ok(()) => {
            req.extensions_mut().insert(access);
            next.run(req).await
        }
        Err(detail) => forbidden(detail),
    }
}
