//! Profiles: which control plane API the console talks to, and how it authenticates.

use konnect::{ApiHosts, Region};
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

    /// Where a Konnect profile's calls go: its region's host and the global one (identity), or
    /// its own address for everything when it has one (a proxy or a test control plane serves
    /// every API at one place).
    pub fn konnect_hosts(&self) -> Option<ApiHosts> {
        match self {
            Profile::Local { .. } => None,
            Profile::Konnect { region, base_url: None, .. } => Some(ApiHosts::konnect(*region)),
            Profile::Konnect { base_url: Some(base), .. } => Some(ApiHosts::single(base)),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Profile::Local { name, .. } | Profile::Konnect { name, .. } => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_konnect_profile_splits_its_calls_unless_it_has_its_own_address() {
        let mut p = Profile::Konnect {
            id: "p".into(),
            name: "p".into(),
            region: Region::Eu,
            base_url: None,
        };
        let hosts = p.konnect_hosts().unwrap();
        assert_eq!(hosts.url("/v2/control-planes"), "https://eu.api.konghq.com/v2/control-planes");
        assert_eq!(hosts.url("/v3/users/me"), "https://global.api.konghq.com/v3/users/me");
        if let Profile::Konnect { base_url, .. } = &mut p {
            *base_url = Some("http://127.0.0.1:9000".into());
        }
        let hosts = p.konnect_hosts().unwrap();
        assert_eq!(hosts.url("/v3/users/me"), "http://127.0.0.1:9000/v3/users/me");
        assert_eq!(hosts.url("/v2/metrics"), "http://127.0.0.1:9000/v2/metrics");
        assert_eq!(Profile::local().konnect_hosts(), None);
    }
}
