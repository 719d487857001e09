//! Profiles: which control plane API the console talks to, and how it authenticates.

use konnect::Region;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Profile {
    /// The embedded local control plane; its token is minted in memory at each start.
    Local { id: String, name: String },
    /// A Konnect organization in one region; its token lives in the OS keyring.
    Konnect {
        id: String,
        name: String,
        region: Region,
        /// Another address speaking the Konnect API (a proxy, a test control plane); normally none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        base_url: Option<String>,
    },
}

impl Profile {
    pub fn local() -> Profile {
        Profile::Local { id: "local".into(), name: "Local (embedded)".into() }
    }

    pub fn id(&self) -> &str {
        match self {
            Profile::Local { id, .. } | Profile::Konnect { id, .. } => id,
        }
    }

    /// The API address this profile talks to (a Konnect profile: its region's host).
    pub fn konnect_base_url(&self) -> Option<String> {
        match self {
            Profile::Local { .. } => None,
            Profile::Konnect { region, base_url, .. } => {
                Some(base_url.clone().unwrap_or_else(|| region.base_url()))
            }
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Profile::Local { name, .. } | Profile::Konnect { name, .. } => name,
        }
    }
}
