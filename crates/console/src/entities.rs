//! A group's configuration entities, one list per kind, fetched with Konnect's offset paging and
//! cached so configuration can be reviewed offline.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The kinds the Configuration view lists, by their core-entities path.
pub const KINDS: [&str; 11] = ["services", "routes", "consumers", "consumer_groups", "plugins", "upstreams", "certificates", "snis", "vaults", "keys", "key-sets"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EntityList {
    pub group_id: String,
    pub kind: String,
    #[ts(type = "Array<Record<string, unknown>>")]
    pub rows: Vec<serde_json::Value>,
    pub fetched_at: String,
    pub offline_reason: Option<String>,
}
