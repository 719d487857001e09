//! Konnect's API hosts: one per region, and the global one identity lives on.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Konnect's global API host: identity (`/v3`: users, teams, system accounts, roles) is served
/// only here, whatever the organization's region (`servers` of `identity.v3.yaml`).
pub const GLOBAL_BASE_URL: &str = "https://global.api.konghq.com";

/// A Konnect region; each has its own API host for control planes, config, nodes and analytics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Region {
    Us,
    Eu,
    Au,
    Me,
    In,
    Sg,
}

impl Region {
    pub const ALL: [Region; 6] =
        [Region::Us, Region::Eu, Region::Au, Region::Me, Region::In, Region::Sg];

    pub fn code(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
            Region::Au => "au",
            Region::Me => "me",
            Region::In => "in",
            Region::Sg => "sg",
        }
    }

    /// The regional API base, e.g. `https://eu.api.konghq.com`.
    pub fn base_url(self) -> String {
        format!("https://{}.api.konghq.com", self.code())
    }

    pub fn parse(code: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_maps_to_its_host() {
        let hosts: Vec<String> = Region::ALL.iter().map(|r| r.base_url()).collect();
        assert_eq!(hosts[1], "https://eu.api.konghq.com");
        assert_eq!(Region::parse("sg"), Some(Region::Sg));
        assert_eq!(Region::parse("xx"), None);
        assert!(!hosts.contains(&GLOBAL_BASE_URL.to_string()), "global is no region");
    }
}
