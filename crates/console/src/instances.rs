//! A group's runtime instances as the UI lists them: host, IP, last seen, version, sync status.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use konnect::Node;

use crate::groups::ACTIVE_WINDOW_SECS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RuntimeInstanceRow {
    pub id: String,
    pub hostname: String,
    /// As the control plane saw it; Konnect does not report it, so it may be empty.
    pub ip: String,
    /// RFC 3339, UTC.
    pub last_seen: String,
    pub version: String,
    pub config_hash: String,
    pub in_sync: bool,
    /// Pinged within the last minute.
    pub connected: bool,
    /// Why the node refused the group's configuration (it keeps serving its last good one).
    pub config_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct GroupInstances {
    pub group_id: String,
    pub expected_hash: String,
    pub instances: Vec<RuntimeInstanceRow>,
    pub fetched_at: String,
    /// Set when the control plane could not be reached: the rows are the last known ones.
    pub offline_reason: Option<String>,
}

/// The node's error-severity compatibility issues, as one line.
fn config_error(node: &Node) -> Option<String> {
    let issues = &node.compatibility_status.as_ref()?.issues;
    let errors: Vec<&str> =
        issues.iter().filter(|i| i.severity == "error").map(|i| i.description.as_str()).collect();
    (!errors.is_empty()).then(|| errors.join("; "))
}

pub fn rows(nodes: &[Node], expected_hash: &str) -> Vec<RuntimeInstanceRow> {
    let now = chrono::Utc::now().timestamp();
    let mut rows: Vec<RuntimeInstanceRow> = nodes
        .iter()
        .map(|n| RuntimeInstanceRow {
            id: n.id.clone(),
            hostname: n.hostname.clone(),
            ip: n.ip.clone().unwrap_or_default(),
            last_seen: chrono::DateTime::from_timestamp(n.last_ping, 0)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            version: n.version.clone(),
            config_hash: n.config_hash.clone(),
            in_sync: !expected_hash.is_empty() && n.config_hash == expected_hash,
            connected: n.last_ping >= now - ACTIVE_WINDOW_SECS,
            config_error: config_error(n),
        })
        .collect();
    rows.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.hostname.cmp(&b.hostname)));
    rows
}

/// (active, total, in sync): active nodes pinged within the last minute; in sync when their hash
/// is the group's expected hash.
pub fn instance_counts(nodes: &[Node], expected_hash: &str) -> (i64, i64, i64) {
    let cutoff = chrono::Utc::now().timestamp() - ACTIVE_WINDOW_SECS;
    let active = nodes.iter().filter(|n| n.last_ping >= cutoff).count() as i64;
    let in_sync = nodes
        .iter()
        .filter(|n| !expected_hash.is_empty() && n.config_hash == expected_hash)
        .count() as i64;
    (active, nodes.len() as i64, in_sync)
}
