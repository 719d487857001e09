//! Runtime groups as the overview shows them, and the new-group form's input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::cache::CachedGroup;
use crate::error::ConsoleError;

/// Konnect's organization-wide fallback group; the control plane refuses to delete or rename it.
pub const DEFAULT_GROUP_NAME: &str = "default";

/// A node counts as active when it pinged within this many seconds (runtimes ping every 30 s).
pub const ACTIVE_WINDOW_SECS: i64 = 60;

/// One row of the runtime groups overview.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RuntimeGroupRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub cluster_type: String,
    pub labels: BTreeMap<String, String>,
    pub active_instances: i64,
    pub total_instances: i64,
    /// Active instances whose config hash equals the group's expected hash.
    pub in_sync_instances: i64,
    pub is_default: bool,
    /// Part of the first-run demo (label `demo: true`), which the UI can remove.
    pub is_demo: bool,
    pub created_at: String,
    /// When this row was fetched from the API (RFC 3339, UTC).
    pub fetched_at: String,
}

impl From<CachedGroup> for RuntimeGroupRow {
    fn from(c: CachedGroup) -> Self {
        RuntimeGroupRow {
            is_default: c.group.name == DEFAULT_GROUP_NAME,
            is_demo: c.group.labels.get("demo").map(String::as_str) == Some("true"),
            in_sync_instances: c.in_sync_instances,
            id: c.group.id,
            name: c.group.name,
            description: c.group.description,
            cluster_type: c.group.config.cluster_type,
            labels: c.group.labels,
            active_instances: c.active_instances,
            total_instances: c.total_instances,
            created_at: c.group.created_at,
            fetched_at: c.fetched_at,
        }
    }
}

/// The overview: groups from the cache, and whether they are fresh.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Overview {
    pub profile_name: String,
    pub groups: Vec<RuntimeGroupRow>,
    /// When the groups were last fetched successfully (RFC 3339, UTC); `None` if never.
    pub synced_at: Option<String>,
    /// Set when the last refresh failed: why, so the UI can say it shows the last known state.
    pub offline_reason: Option<String>,
}

/// What the "New runtime group" form sends.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TS)]
#[ts(export)]
pub struct NewRuntimeGroup {
    pub name: String,
    pub description: String,
    /// Labels as typed: `key:value` pairs separated by commas or new lines.
    pub labels: String,
}

/// Parses `env:dev, team:core` into a label map, naming the first malformed entry.
pub fn parse_labels(text: &str) -> Result<BTreeMap<String, String>, ConsoleError> {
    let mut out = BTreeMap::new();
    for entry in text.split([',', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
        let Some((k, v)) = entry.split_once(':') else {
            return Err(ConsoleError::field(
                "labels",
                format!("'{entry}' is not a key:value pair"),
            ));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || v.is_empty() {
            return Err(ConsoleError::field(
                "labels",
                format!("'{entry}' needs both a key and a value"),
            ));
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(ConsoleError::field("labels", format!("the key '{k}' is given twice")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_key_value_pairs() {
        let l = parse_labels("env:dev, team: core\nregion:eu").unwrap();
        assert_eq!(l.get("team").map(String::as_str), Some("core"));
        assert_eq!(l.len(), 3);
        assert!(parse_labels("").unwrap().is_empty());
        for bad in ["env", "env:", ":dev", "env:a,env:b"] {
            let e = parse_labels(bad).unwrap_err();
            assert!(e.fields.contains_key("labels"), "{bad}");
        }
    }
}
