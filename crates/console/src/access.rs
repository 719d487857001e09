//! What the profile's token may do in each group: its own and its teams' assigned roles, read
//! from the identity API, then corrected by every 403 the API answers, so the UI can disable
//! what is not allowed before the user tries it.

use std::collections::{BTreeMap, HashMap};

use konnect::roles::{role_allows, Action, CONTROL_PLANES, ORG_ADMIN_TEAM};
use konnect::{KonnectClient, KonnectError, RoleOwner};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::vocabulary::EntityKind;
use crate::{Console, ConsoleError, ErrorCode};

/// Where a profile's access came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AccessSource {
    /// The identity API listed the token's roles and its teams' roles.
    Roles,
    /// The identity API would not say (it refused or could not be reached and nothing was
    /// cached): every action is offered until the API refuses it.
    Unknown,
}

/// The roles as read, kept per profile (in memory and in the cache for offline use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roles {
    pub source: AccessSource,
    pub org_admin: bool,
    pub principal: Option<String>,
    /// Group id, or `*` for every group → role names.
    pub by_group: HashMap<String, Vec<String>>,
    /// Why the roles are unknown, when they are.
    pub note: Option<String>,
}

/// What the token may do in one group.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct GroupAccess {
    /// The roles that apply here (assigned on this group or on all groups).
    pub roles: Vec<String>,
    /// Rename, relabel or delete the group.
    pub can_edit_group: bool,
    /// Pin certificates for new runtime instances.
    pub can_manage_nodes: bool,
    /// Entity kinds that may be created, changed and deleted here.
    pub writable_kinds: Vec<String>,
    /// A decK import may create, change and delete every kind, so it needs them all.
    pub can_import: bool,
    /// Shown beside what the roles do not allow: which roles apply here.
    pub reason: Option<String>,
    /// What the API refused here (a kind, `group` or `nodes`), in its own words.
    pub refused: BTreeMap<String, String>,
}

/// The profile's access, for every group the cache knows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AccessView {
    pub source: AccessSource,
    pub org_admin: bool,
    pub can_create_groups: bool,
    /// Who the token belongs to, as the API names them.
    pub principal: Option<String>,
    pub groups: BTreeMap<String, GroupAccess>,
    pub note: Option<String>,
}

/// What the API refused, keyed by group (or `*`) and what was tried: an entity kind, `group`,
/// `nodes` or `create`. The refusal's own words are kept to show beside the disabled control.
pub(crate) type Refusals = HashMap<(String, String), String>;

/// What a console remembers of its token's access; only this module reads or changes it.
#[derive(Default)]
pub(crate) struct AccessMemory {
    /// The token's roles, read once per profile and again after each sync.
    roles: std::sync::Mutex<Option<Roles>>,
    /// What the API refused with a 403 since the roles were read.
    refusals: std::sync::Mutex<Refusals>,
}

const VIEW_KEY: &str = "access";

/// Reads the token's roles: who it is, its teams, its own and its teams' role assignments.
/// `Ok(None)` when the identity API refuses to say (403/404): access is then learned from 403s.
async fn read_roles(client: &KonnectClient) -> Result<Option<Roles>, KonnectError> {
    let refused =
        |e: &KonnectError| matches!(e, KonnectError::Api(a) if a.status == 403 || a.status == 404);
    let me = match client.current_user().await {
        Ok(me) => me,
        Err(e) if refused(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let owner = if client.is_system_account_token() {
        RoleOwner::SystemAccount(&me.id)
    } else {
        RoleOwner::User(&me.id)
    };
    let (teams, own) = match tokio::try_join!(client.teams_of(owner), client.assigned_roles(owner))
    {
        Ok(both) => both,
        Err(e) if refused(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let org_admin = teams.iter().any(|t| t.system_team && t.name == ORG_ADMIN_TEAM);
    let mut assigned = own;
    for team in teams.iter().filter(|t| !(t.system_team && t.name == ORG_ADMIN_TEAM)) {
        match client.assigned_roles(RoleOwner::Team(&team.id)).await {
            Ok(r) => assigned.extend(r),
            Err(e) if refused(&e) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    let mut by_group: HashMap<String, Vec<String>> = HashMap::new();
    for role in assigned.into_iter().filter(|r| r.entity_type_name == CONTROL_PLANES) {
        let roles = by_group.entry(role.entity_id).or_default();
        if !roles.contains(&role.role_name) {
            roles.push(role.role_name);
        }
    }
    Ok(Some(Roles {
        source: AccessSource::Roles,
        org_admin,
        principal: me.email.or(me.full_name),
        by_group,
        note: None,
    }))
}

impl Roles {
    fn unknown(note: String) -> Roles {
        Roles {
            source: AccessSource::Unknown,
            org_admin: false,
            principal: None,
            by_group: HashMap::new(),
            note: Some(note),
        }
    }

    fn on(&self, group: &str) -> Vec<String> {
        // A role held on this group and on all groups is listed once.
        let mut roles: Vec<String> = Vec::new();
        for role in self.by_group.get(group).into_iter().chain(self.by_group.get("*")).flatten() {
            if !roles.contains(role) {
                roles.push(role.clone());
            }
        }
        roles
    }

    /// Whether the roles allow `action` in `group`; unknown roles allow everything.
    fn allows(&self, group: &str, action: &Action) -> bool {
        self.org_admin
            || self.source == AccessSource::Unknown
            || self.on(group).iter().any(|r| role_allows(r, action))
    }

    /// What the token may do in one group, after what the API refused.
    pub(crate) fn group(&self, group: &str, refusals: &Refusals) -> GroupAccess {
        let refused: BTreeMap<String, String> = refusals
            .iter()
            .filter(|((g, _), _)| g == group)
            .map(|((_, what), why)| (what.clone(), why.clone()))
            .collect();
        let allowed =
            |action: Action, what: &str| !refused.contains_key(what) && self.allows(group, &action);
        let can_edit_group = allowed(Action::EditGroup, "group");
        let can_manage_nodes = allowed(Action::ManageNodes, "nodes");
        let writable_kinds: Vec<String> = EntityKind::ALL
            .iter()
            .filter(|k| allowed(Action::Write(k.to_string()), k.path()))
            .map(|k| k.to_string())
            .collect();
        let roles = if self.org_admin { vec![ORG_ADMIN_TEAM.to_string()] } else { self.on(group) };
        let limited = !self.org_admin
            && self.source == AccessSource::Roles
            && (!can_edit_group || writable_kinds.len() < EntityKind::ALL.len());
        let reason = limited.then(|| match roles.as_slice() {
            [] => "Your token has no role in this runtime group.".to_string(),
            r => format!("Not allowed by your roles in this runtime group ({}).", r.join(", ")),
        });
        let can_import = writable_kinds.len() == EntityKind::ALL.len();
        GroupAccess {
            roles,
            can_edit_group,
            can_manage_nodes,
            writable_kinds,
            can_import,
            reason,
            refused,
        }
    }

    fn can_create_groups(&self, refusals: &Refusals) -> bool {
        !refusals.contains_key(&("*".to_string(), "create".to_string()))
            && (self.org_admin
                || self.source == AccessSource::Unknown
                || self.by_group.values().flatten().any(|r| r == "Creator"))
    }
}

impl Console {
    /// The profile's access in every cached group. Roles are read once per profile (and again
    /// after a sync); offline, the roles last read are used.
    pub async fn access(&self) -> Result<AccessView, ConsoleError> {
        let roles = self.roles().await?;
        let refusals = self.access.refusals.lock().expect("refusals").clone();
        let groups = self.cache.groups(self.profile().id()).await?;
        Ok(AccessView {
            source: roles.source,
            org_admin: roles.org_admin,
            can_create_groups: roles.can_create_groups(&refusals),
            principal: roles.principal.clone(),
            groups: groups
                .iter()
                .map(|g| (g.group.id.clone(), roles.group(&g.group.id, &refusals)))
                .collect(),
            note: roles.note.clone(),
        })
    }

    async fn roles(&self) -> Result<Roles, ConsoleError> {
        if let Some(r) = self.access.roles.lock().expect("roles").clone() {
            return Ok(r);
        }
        let roles = match read_roles(&self.client).await {
            Ok(Some(r)) => {
                let body = serde_json::to_string(&r).unwrap_or_default();
                self.cache
                    .put_view(self.profile().id(), VIEW_KEY, body, crate::timestamp::now())
                    .await?;
                r
            }
            Ok(None) => Roles::unknown(
                "The identity API did not list this token's roles; actions are offered until \
                 the API refuses them."
                    .into(),
            ),
            Err(e) => {
                let err = ConsoleError::from(e);
                if !matches!(
                    err.code,
                    ErrorCode::Offline | ErrorCode::Server | ErrorCode::RateLimited
                ) {
                    return Err(err);
                }
                // Offline: the roles last read, else unknown (and not remembered, so they are read
                // once back online).
                let cached = self
                    .cache
                    .view(self.profile().id(), VIEW_KEY)
                    .await?
                    .and_then(|v| serde_json::from_str::<Roles>(&v).ok());
                return Ok(cached.unwrap_or_else(|| {
                    Roles::unknown(format!("Roles could not be read: {}", err.message))
                }));
            }
        };
        *self.access.roles.lock().expect("roles") = Some(roles.clone());
        Ok(roles)
    }

    /// Remembers a 403 for `what` in `group` (a kind, `group`, `nodes`, or `create` with group
    /// `*`), so the control is disabled from now on; passes every error through.
    pub(crate) fn note_refusal(&self, group: &str, what: &str, err: ConsoleError) -> ConsoleError {
        if err.code == ErrorCode::Forbidden {
            self.access
                .refusals
                .lock()
                .expect("refusals")
                .insert((group.to_string(), what.to_string()), err.message.clone());
        }
        err
    }

    /// Roles and refusals are read again after a sync: assignments may have changed.
    pub(crate) fn forget_access(&self) {
        *self.access.roles.lock().expect("roles") = None;
        self.access.refusals.lock().expect("refusals").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_on_a_group_and_on_every_group_combine_once() {
        let by_group = HashMap::from([
            ("g".to_string(), vec!["Viewer".to_string(), "Route Admin".to_string()]),
            ("*".to_string(), vec!["Viewer".to_string()]),
        ]);
        let roles = Roles {
            source: AccessSource::Roles,
            org_admin: false,
            principal: None,
            by_group,
            note: None,
        };
        let g = roles.group("g", &Refusals::new());
        assert_eq!(g.roles, ["Viewer", "Route Admin"]);
        assert_eq!(g.writable_kinds, ["routes"]);
        assert!(!g.can_edit_group && !g.can_import);
        let other = roles.group("h", &Refusals::new());
        assert_eq!(other.roles, ["Viewer"], "a role on every group applies to one never named");
        assert!(other.writable_kinds.is_empty());
    }
}
