//! A group's runtime instances as the UI lists them: host, IP, last seen, version, sync status
//! and compatibility with the group's configuration.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use konnect::{CompatibilityIssue, Node};

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
    /// Whether it can run the group's configuration, and the issues when it cannot. Rows cached
    /// before it existed read as unknown.
    #[serde(default)]
    pub compatibility: InstanceCompatibility,
}

/// A node's compatibility as Konnect labels it: Compatible, Compatible with limitations,
/// Incompatible or Unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CompatibilityState {
    Compatible,
    CompatibleWithLimitations,
    Incompatible,
    #[default]
    Unknown,
}

/// A node's compatibility state and the issues behind it (Konnect's `NodeCompatibilityIssue`s).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct InstanceCompatibility {
    pub state: CompatibilityState,
    pub issues: Vec<CompatibilityIssue>,
}

/// The node's `compatibility_status` as a state and its issues. A state this console does not
/// know is judged by its issues: any error makes it incompatible, warnings alone limit it.
fn compatibility(node: &Node) -> InstanceCompatibility {
    let Some(status) = node.compatibility_status.as_ref() else {
        return InstanceCompatibility::default();
    };
    let state = match status.state.as_str() {
        "COMPATIBILITY_STATE_FULLY_COMPATIBLE" => CompatibilityState::Compatible,
        "COMPATIBILITY_STATE_COMPATIBLE_WITH_LIMITATIONS" => {
            CompatibilityState::CompatibleWithLimitations
        }
        "COMPATIBILITY_STATE_INCOMPATIBLE" => CompatibilityState::Incompatible,
        _ if status.issues.iter().any(|i| i.severity == "error") => {
            CompatibilityState::Incompatible
        }
        _ if !status.issues.is_empty() => CompatibilityState::CompatibleWithLimitations,
        _ => CompatibilityState::Unknown,
    };
    InstanceCompatibility { state, issues: status.issues.clone() }
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

/// Why the node cannot run its group's configuration, as one line: each error-severity issue
/// with the entities it affects (`plugin <id> (route: <id>)`). Incompatible without issues says
/// so; warnings alone (compatible with limitations) are no error.
fn config_error(node: &Node) -> Option<String> {
    let status = node.compatibility_status.as_ref()?;
    let errors: Vec<String> =
        status.issues.iter().filter(|i| i.severity == "error").map(issue_line).collect();
    if errors.is_empty() {
        return (status.state == "COMPATIBILITY_STATE_INCOMPATIBLE")
            .then(|| "Incompatible with the group's configuration".to_string());
    }
    Some(errors.join("; "))
}

fn issue_line(issue: &CompatibilityIssue) -> String {
    let affected: Vec<String> = issue
        .affected_resources
        .iter()
        .map(|r| match r.details.as_slice() {
            [] => format!("{} {}", r.resource_type, r.id),
            details => format!("{} {} ({})", r.resource_type, r.id, details.join(", ")),
        })
        .collect();
    if affected.is_empty() {
        issue.description.clone()
    } else {
        format!("{} Affected: {}.", issue.description, affected.join(", "))
    }
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
            compatibility: compatibility(n),
        })
        .collect();
    rows.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.hostname.cmp(&b.hostname)));
    rows
}

/// (active, total, in sync): active nodes pinged within the last minute; in sync, the active ones
/// whose hash is the group's expected hash (a node gone quiet last said it was in sync, which
/// tells nothing now; an overview saying "0 of 2 · 2 in sync" contradicted itself).
pub fn instance_counts(nodes: &[Node], expected_hash: &str) -> (i64, i64, i64) {
    let cutoff = chrono::Utc::now().timestamp() - ACTIVE_WINDOW_SECS;
    let active: Vec<&Node> = nodes.iter().filter(|n| n.last_ping >= cutoff).collect();
    let in_sync = active
        .iter()
        .filter(|n| !expected_hash.is_empty() && n.config_hash == expected_hash)
        .count() as i64;
    (active.len() as i64, nodes.len() as i64, in_sync)
}

#[cfg(test)]
mod tests {
    use super::*;
    use konnect::{CompatibilityAffectedResource, CompatibilityStatus};

    fn node(state: &str, issues: Vec<CompatibilityIssue>) -> Node {
        Node {
            id: "n1".into(),
            version: "3.10.0".into(),
            hostname: "edge-1".into(),
            last_ping: 0,
            node_type: "kong-proxy".into(),
            config_hash: "h".into(),
            created_at: 0,
            updated_at: 0,
            ip: None,
            compatibility_status: Some(CompatibilityStatus { state: state.into(), issues }),
        }
    }

    fn issue(severity: &str, description: &str, plugin: Option<&str>) -> CompatibilityIssue {
        CompatibilityIssue {
            code: "plugin_not_available".into(),
            severity: severity.into(),
            description: description.into(),
            resolution: None,
            affected_resources: plugin
                .map(|id| CompatibilityAffectedResource {
                    id: id.into(),
                    resource_type: "plugin".into(),
                    parent_code: None,
                    details: vec!["route: r1".into()],
                })
                .into_iter()
                .collect(),
            documentation_url: None,
        }
    }

    #[test]
    fn only_active_nodes_count_as_in_sync() {
        let now = chrono::Utc::now().timestamp();
        let at = |last_ping: i64, hash: &str| Node {
            last_ping,
            config_hash: hash.into(),
            ..node("COMPATIBILITY_STATE_FULLY_COMPATIBLE", vec![])
        };
        // (nodes, expected hash, (active, total, in sync))
        let cases = [
            (vec![at(now, "h"), at(now, "old")], "h", (2, 2, 1)),
            (vec![at(now - 3600, "h"), at(now - 3600, "h")], "h", (0, 2, 0)),
            (vec![at(now, "h"), at(now - 3600, "h")], "h", (1, 2, 1)),
            (vec![at(now, "")], "", (1, 1, 0)),
        ];
        for (nodes, expected, want) in cases {
            assert_eq!(instance_counts(&nodes, expected), want, "{nodes:?}");
        }
    }

    #[test]
    fn an_incompatible_node_says_why_with_the_plugin_and_its_entities() {
        let incompatible = "COMPATIBILITY_STATE_INCOMPATIBLE";
        let cases = [
            ("COMPATIBILITY_STATE_FULLY_COMPATIBLE", vec![], None),
            ("COMPATIBILITY_STATE_UNKNOWN", vec![], None),
            (
                incompatible,
                vec![issue("error", "Plugin 'rate-limiting' is not available.", Some("p1"))],
                Some("Plugin 'rate-limiting' is not available. Affected: plugin p1 (route: r1)."),
            ),
            (
                incompatible,
                vec![issue("warning", "limited", None), issue("error", "refused", None)],
                Some("refused"),
            ),
            (incompatible, vec![], Some("Incompatible with the group's configuration")),
        ];
        for (state, issues, want) in cases {
            let row = &rows(&[node(state, issues)], "h")[0];
            assert_eq!(row.config_error.as_deref(), want, "{state}");
        }
    }

    #[test]
    fn each_konnect_state_reads_as_its_label_with_the_issues_behind_it() {
        use CompatibilityState::*;
        let missing = || vec![issue("error", "Plugin 'cors' is not available.", Some("p1"))];
        let cases = [
            ("COMPATIBILITY_STATE_FULLY_COMPATIBLE", vec![], Compatible),
            ("COMPATIBILITY_STATE_COMPATIBLE_WITH_LIMITATIONS", vec![], CompatibleWithLimitations),
            ("COMPATIBILITY_STATE_INCOMPATIBLE", missing(), Incompatible),
            ("COMPATIBILITY_STATE_UNKNOWN", vec![], Unknown),
            // A state Konnect may add later is judged by what its issues say.
            ("COMPATIBILITY_STATE_NEW", missing(), Incompatible),
            (
                "COMPATIBILITY_STATE_NEW",
                vec![issue("warning", "limited", None)],
                CompatibleWithLimitations,
            ),
        ];
        for (state, issues, want) in cases {
            let row = &rows(&[node(state, issues.clone())], "h")[0];
            assert_eq!(row.compatibility.state, want, "{state}");
            assert_eq!(
                row.compatibility.issues, issues,
                "{state}: the issues as Konnect gave them"
            );
        }
        let mut silent = node("", vec![]);
        silent.compatibility_status = None;
        assert_eq!(rows(&[silent], "h")[0].compatibility, InstanceCompatibility::default());
    }

    #[test]
    fn a_row_cached_before_compatibility_reads_as_unknown() {
        let mut cached = serde_json::to_value(&rows(&[node("", vec![])], "h")[0]).unwrap();
        cached.as_object_mut().unwrap().remove("compatibility");
        let row: RuntimeInstanceRow = serde_json::from_value(cached).unwrap();
        assert_eq!(row.compatibility.state, CompatibilityState::Unknown);
        let json = serde_json::to_value(
            &rows(&[node("COMPATIBILITY_STATE_COMPATIBLE_WITH_LIMITATIONS", vec![])], "h")[0],
        )
        .unwrap();
        assert_eq!(
            json["compatibility"]["state"], "compatible_with_limitations",
            "as the UI reads it"
        );
    }
}
