//! Konnect's control-plane roles and what each lets a token do in a group: one table for the
//! local control plane that enforces them and the console that shows them.

use crate::vocabulary::EntityKind::{self, *};

const ALL: [EntityKind; 18] = EntityKind::ALL;

/// `entity_type_name` of control-plane role assignments.
pub const CONTROL_PLANES: &str = "Control Planes";

/// Konnect's predefined team whose members may do everything in the organization.
pub const ORG_ADMIN_TEAM: &str = "Organization Admin";

/// The control-plane roles, with Konnect's descriptions and the entity kinds each may write
/// (besides reading its group).
pub const ROLES: [(&str, &str, &[EntityKind]); 11] = [
    ("Admin", "This role grants full write access to all entities within a control plane.", &ALL),
    ("Viewer", "This role grants read only access to all entities within a control plane.", &[]),
    (
        "Creator",
        "Creates a new Control Plane in an organization. The creator becomes the owner of the \
         Control Plane they create.",
        &[],
    ),
    (
        "Deployer",
        "This role grants full write access to administer services, routes and plugins necessary \
         to deploy services in Service Hub.",
        &[Services, Routes, Plugins, Upstreams, Targets],
    ),
    (
        "Gateway Service Admin",
        "This role grants full write access to administer gateway services.",
        &[Services, Routes],
    ),
    ("Route Admin", "This role grants full write access to administer routes.", &[Routes]),
    ("Plugin Admin", "This role grants full write access to administer plugins.", &[Plugins]),
    (
        "Consumer Admin",
        "This role grants full write access to administer consumers.",
        &[Consumers, ConsumerGroups, KeyAuths, BasicAuths, Jwts, HmacAuths, Acls],
    ),
    (
        "Certificate Admin",
        "This role grants full write access to administer certificates.",
        &[Certificates, CaCertificates],
    ),
    ("SNI Admin", "This role grants full write access to administer SNIs.", &[Snis]),
    (
        "Upstream Admin",
        "This role grants full write access to administer upstreams.",
        &[Upstreams, Targets],
    ),
];

/// What a request wants to do to a group.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Read,
    /// Rename, relabel or delete the group itself.
    EditGroup,
    /// Pin certificates, remove nodes.
    ManageNodes,
    /// Create, change or delete entities of a kind (by its path segment, as requests name it).
    Write(String),
}

/// Whether one role allows an action.
pub fn role_allows(role: &str, action: &Action) -> bool {
    let writes = ROLES.iter().find(|(n, _, _)| *n == role).map(|(_, _, w)| *w).unwrap_or(&[]);
    match action {
        Action::Read => role != "Creator",
        Action::EditGroup | Action::ManageNodes => role == "Admin",
        Action::Write(kind) => writes.iter().any(|k| k.path() == kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_what_konnect_describes() {
        assert!(role_allows("Admin", &Action::Write("vaults".into())));
        assert!(role_allows("Route Admin", &Action::Write("routes".into())));
        assert!(!role_allows("Route Admin", &Action::Write("services".into())));
        assert!(role_allows("Viewer", &Action::Read));
        assert!(!role_allows("Viewer", &Action::Write("routes".into())));
        assert!(!role_allows("Creator", &Action::Read));
        assert!(!role_allows("Deployer", &Action::EditGroup));
        assert!(!role_allows("Wizard", &Action::Write("routes".into())));
    }
}
