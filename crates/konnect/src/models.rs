//! Serde models of Konnect's Control Planes v2 API, shaped as in `control-planes.v2.yaml`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub const CLUSTER_TYPE_CONTROL_PLANE: &str = "CLUSTER_TYPE_CONTROL_PLANE";

/// The cluster types Konnect's spec allows for a control plane.
pub const CLUSTER_TYPES: [&str; 6] = [
    CLUSTER_TYPE_CONTROL_PLANE,
    "CLUSTER_TYPE_K8S_INGRESS_CONTROLLER",
    "CLUSTER_TYPE_CONTROL_PLANE_GROUP",
    "CLUSTER_TYPE_SERVERLESS",
    "CLUSTER_TYPE_KAFKA_NATIVE_EVENT_PROXY",
    "CLUSTER_TYPE_SERVERLESS_V1",
];

pub const AUTH_TYPES: [&str; 2] = ["pinned_client_certs", "pki_client_certs"];

/// A runtime group, called a control plane by the Konnect API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ControlPlane {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub config: ControlPlaneConfig,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ControlPlaneConfig {
    pub control_plane_endpoint: String,
    pub telemetry_endpoint: String,
    pub cluster_type: String,
    pub auth_type: String,
    pub cloud_gateway: bool,
    #[serde(default)]
    pub proxy_urls: Vec<ProxyUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ProxyUrl {
    pub host: String,
    pub port: i64,
    pub protocol: String,
}

/// `POST /v2/control-planes` body. Fields left `None` are not sent, so Konnect fills its defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateControlPlaneRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cluster_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub auth_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cloud_gateway: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub proxy_urls: Option<Vec<ProxyUrl>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub labels: Option<BTreeMap<String, String>>,
}

/// `PATCH /v2/control-planes/{id}` body: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UpdateControlPlaneRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub auth_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub proxy_urls: Option<Vec<ProxyUrl>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub labels: Option<BTreeMap<String, String>>,
}

/// Page-number paging metadata (`meta.page`) of Konnect-native list endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMeta {
    pub number: i64,
    pub size: i64,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaginatedMeta {
    pub page: PageMeta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListControlPlanesResponse {
    pub meta: PaginatedMeta,
    pub data: Vec<ControlPlane>,
}

/// A data plane node as `GET /v2/control-planes/{id}/nodes` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Node {
    pub id: String,
    pub version: String,
    pub hostname: String,
    pub last_ping: i64,
    #[serde(rename = "type")]
    pub node_type: String,
    pub config_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The node's address as the control plane saw it (the local control plane reports it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ip: Option<String>,
    /// Whether the node can run the group's configuration, and the issues when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub compatibility_status: Option<CompatibilityStatus>,
}

/// A node's `compatibility_status` (Konnect's control-planes-config v2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CompatibilityStatus {
    pub state: String,
    /// Konnect leaves it out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<CompatibilityIssue>>", optional)]
    pub issues: Vec<CompatibilityIssue>,
}

/// Konnect's `NodeCompatibilityIssue`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CompatibilityIssue {
    #[serde(default)]
    pub code: String,
    /// `error` or `warning`.
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub resolution: Option<String>,
    /// The entities the issue is about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<CompatibilityAffectedResource>>", optional)]
    pub affected_resources: Vec<CompatibilityAffectedResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub documentation_url: Option<String>,
}

/// Konnect's `NodeCompatibilityIssueAffectedResource`: one entity an issue is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CompatibilityAffectedResource {
    #[serde(default)]
    pub id: String,
    /// The entity's kind, e.g. `plugin`.
    #[serde(rename = "type", default)]
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub parent_code: Option<String>,
    /// More about the entity, e.g. where it applies (`route: <id>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub details: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetNodeResponse {
    pub item: Node,
}

/// `GET /v2/control-planes/{id}/expected-config-hash`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExpectedConfigHash {
    pub expected_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A certificate pinned to a group for its data planes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DataPlaneCertificate {
    pub id: String,
    pub cert: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub title: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CursorPage {
    pub total_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListNodesResponse {
    pub items: Vec<Node>,
    pub page: CursorPage,
}

/// `GET /v3/users/me`: who the token belongs to (users and, here, system accounts alike).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
}

/// A team as `/v3/.../teams` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub system_team: bool,
}

/// A role assigned to a user, system account or team on one entity (a control plane, or `*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignedRole {
    pub id: String,
    pub role_name: String,
    pub entity_id: String,
    pub entity_type_name: String,
    #[serde(default)]
    pub entity_region: Option<String>,
}

/// One page of a `/v3` list: `data` and `meta.page`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct V3Page<T> {
    pub data: Vec<T>,
    pub meta: PaginatedMeta,
}

/// `GET …/core-entities/v1/available-plugins`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailablePlugins {
    pub names: Vec<String>,
}

/// `POST …/core-entities/schemas/{entity}/validate` → 200 (`ValidateEntityResponse`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemaValidation {
    #[serde(default)]
    pub message: String,
}
