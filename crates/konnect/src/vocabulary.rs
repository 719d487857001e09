//! The domain's words as the API names them, defined once: the configuration entity kinds (their
//! core-entities path, decK key, names and how a row is named) and the analytics time frames.
//! Exported to TypeScript with ts-rs; `console::vocabulary` adds their tables for the UI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A configuration entity kind. Its serialized form is its core-entities path segment
/// (`services`, `key-sets`, …). Declared in decK's order, referenced kinds first: syncs, exports
/// and imports go through kinds in this order so every reference is known before it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum EntityKind {
    #[serde(rename = "certificates")]
    Certificates,
    #[serde(rename = "ca_certificates")]
    CaCertificates,
    #[serde(rename = "snis")]
    Snis,
    #[serde(rename = "services")]
    Services,
    #[serde(rename = "routes")]
    Routes,
    #[serde(rename = "consumers")]
    Consumers,
    #[serde(rename = "consumer_groups")]
    ConsumerGroups,
    #[serde(rename = "upstreams")]
    Upstreams,
    #[serde(rename = "targets")]
    Targets,
    #[serde(rename = "key-sets")]
    KeySets,
    #[serde(rename = "keys")]
    Keys,
    #[serde(rename = "vaults")]
    Vaults,
    #[serde(rename = "key-auths")]
    KeyAuths,
    #[serde(rename = "basic-auths")]
    BasicAuths,
    #[serde(rename = "jwts")]
    Jwts,
    #[serde(rename = "hmac-auths")]
    HmacAuths,
    #[serde(rename = "acls")]
    Acls,
    #[serde(rename = "plugins")]
    Plugins,
}

/// What the console knows of a kind: the one table every list, form, search and file reads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct KindInfo {
    pub kind: EntityKind,
    /// The core-entities path segment (of the collection under its parent, for nested kinds).
    #[ts(type = "string")]
    pub path: &'static str,
    /// decK's top-level key for the kind (or the key it is nested under in its parent).
    #[ts(type = "string")]
    pub deck_key: &'static str,
    #[ts(type = "string")]
    pub singular: &'static str,
    #[ts(type = "string")]
    pub plural: &'static str,
    /// Where the Configuration view lists it (`null`: shown only under its parent).
    pub view_order: Option<u8>,
    /// The fields that name a row, the first one set wins; a row without any is named by its ID.
    #[ts(type = "Array<string>")]
    pub label_fields: &'static [&'static str],
    /// The kind a nested kind lives under, with the field that refers to it.
    #[ts(type = "[string, EntityKind] | null")]
    pub parent: Option<(&'static str, EntityKind)>,
}

impl EntityKind {
    /// Every kind, in decK's order (referenced kinds first).
    pub const ALL: [EntityKind; 18] = [
        EntityKind::Certificates,
        EntityKind::CaCertificates,
        EntityKind::Snis,
        EntityKind::Services,
        EntityKind::Routes,
        EntityKind::Consumers,
        EntityKind::ConsumerGroups,
        EntityKind::Upstreams,
        EntityKind::Targets,
        EntityKind::KeySets,
        EntityKind::Keys,
        EntityKind::Vaults,
        EntityKind::KeyAuths,
        EntityKind::BasicAuths,
        EntityKind::Jwts,
        EntityKind::HmacAuths,
        EntityKind::Acls,
        EntityKind::Plugins,
    ];

    /// A consumer's credentials, one kind per authentication plugin (and the ACL groups), each
    /// served under the consumer and at the top level.
    pub const CREDENTIALS: [EntityKind; 5] = [
        EntityKind::KeyAuths,
        EntityKind::BasicAuths,
        EntityKind::Jwts,
        EntityKind::HmacAuths,
        EntityKind::Acls,
    ];

    pub const fn info(self) -> KindInfo {
        use EntityKind::*;
        const NAME: &[&str] = &["name"];
        let (path, deck_key, singular, plural, view_order, label_fields): (
            &str,
            &str,
            &str,
            &str,
            Option<u8>,
            &[&str],
        ) = match self {
            Services => {
                ("services", "services", "gateway service", "Gateway services", Some(0), NAME)
            }
            Routes => ("routes", "routes", "route", "Routes", Some(1), NAME),
            Consumers => (
                "consumers",
                "consumers",
                "consumer",
                "Consumers",
                Some(2),
                &["username", "custom_id"],
            ),
            ConsumerGroups => (
                "consumer_groups",
                "consumer_groups",
                "consumer group",
                "Consumer groups",
                Some(3),
                NAME,
            ),
            Plugins => {
                ("plugins", "plugins", "plugin", "Plugins", Some(4), &["instance_name", "name"])
            }
            Upstreams => ("upstreams", "upstreams", "upstream", "Upstreams", Some(5), NAME),
            Certificates => {
                ("certificates", "certificates", "certificate", "Certificates", Some(6), &[])
            }
            Snis => ("snis", "snis", "SNI", "SNIs", Some(7), NAME),
            Vaults => ("vaults", "vaults", "vault", "Vaults", Some(8), &["prefix"]),
            Keys => ("keys", "keys", "key", "Keys", Some(9), &["name", "kid"]),
            KeySets => ("key-sets", "key_sets", "key set", "Key sets", Some(10), NAME),
            Targets => ("targets", "targets", "target", "Targets", None, &["target"]),
            CaCertificates => (
                "ca_certificates",
                "ca_certificates",
                "CA certificate",
                "CA certificates",
                None,
                &[],
            ),
            KeyAuths => (
                "key-auths",
                "keyauth_credentials",
                "key-auth credential",
                "Key-auth credentials",
                None,
                &[],
            ),
            BasicAuths => (
                "basic-auths",
                "basicauth_credentials",
                "basic-auth credential",
                "Basic-auth credentials",
                None,
                &["username"],
            ),
            Jwts => ("jwts", "jwt_secrets", "JWT credential", "JWT credentials", None, &["key"]),
            HmacAuths => (
                "hmac-auths",
                "hmacauth_credentials",
                "HMAC credential",
                "HMAC credentials",
                None,
                &["username"],
            ),
            Acls => ("acls", "acls", "ACL group", "ACL groups", None, &["group"]),
        };
        let parent = match self {
            Targets => Some(("upstream", Upstreams)),
            KeyAuths | BasicAuths | Jwts | HmacAuths | Acls => Some(("consumer", Consumers)),
            _ => None,
        };
        KindInfo { kind: self, path, deck_key, singular, plural, view_order, label_fields, parent }
    }

    /// The core-entities path segment, which is also the kind's serialized name.
    pub const fn path(self) -> &'static str {
        self.info().path
    }

    pub const fn deck_key(self) -> &'static str {
        self.info().deck_key
    }

    /// The kind named by its path segment.
    pub fn from_path(path: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.path() == path)
    }

    /// The kind's place in decK's order (referenced kinds first).
    pub fn rank(self) -> usize {
        self as usize
    }

    /// What the UI shows for an entity of this kind: the first naming field set, else its ID.
    pub fn label(self, body: &serde_json::Value) -> String {
        self.info()
            .label_fields
            .iter()
            .chain(&["id"])
            .find_map(|f| body.get(*f).and_then(|v| v.as_str()).filter(|s| !s.is_empty()))
            .unwrap_or_default()
            .to_string()
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.path())
    }
}

/// A kind equals its path segment, so tests and callers can say `kind == "routes"`.
impl PartialEq<&str> for EntityKind {
    fn eq(&self, other: &&str) -> bool {
        self.path() == *other
    }
}

/// A relative time frame of the analytics, as `POST /v2/metrics` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum TimeFrame {
    #[serde(rename = "15m")]
    Minutes15,
    #[serde(rename = "1h")]
    Hour1,
    #[serde(rename = "6h")]
    Hours6,
    #[serde(rename = "12h")]
    Hours12,
    #[serde(rename = "24h")]
    Hours24,
    #[serde(rename = "7d")]
    Days7,
    #[serde(rename = "30d")]
    Days30,
}

impl TimeFrame {
    pub const ALL: [TimeFrame; 7] = [
        TimeFrame::Minutes15,
        TimeFrame::Hour1,
        TimeFrame::Hours6,
        TimeFrame::Hours12,
        TimeFrame::Hours24,
        TimeFrame::Days7,
        TimeFrame::Days30,
    ];

    /// The name the API and the UI use (`15m` … `30d`).
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeFrame::Minutes15 => "15m",
            TimeFrame::Hour1 => "1h",
            TimeFrame::Hours6 => "6h",
            TimeFrame::Hours12 => "12h",
            TimeFrame::Hours24 => "24h",
            TimeFrame::Days7 => "7d",
            TimeFrame::Days30 => "30d",
        }
    }

    pub const fn secs(self) -> i64 {
        const MIN: i64 = 60;
        const HOUR: i64 = 60 * MIN;
        const DAY: i64 = 24 * HOUR;
        match self {
            TimeFrame::Minutes15 => 15 * MIN,
            TimeFrame::Hour1 => HOUR,
            TimeFrame::Hours6 => 6 * HOUR,
            TimeFrame::Hours12 => 12 * HOUR,
            TimeFrame::Hours24 => 24 * HOUR,
            TimeFrame::Days7 => 7 * DAY,
            TimeFrame::Days30 => 30 * DAY,
        }
    }

    pub fn from_name(name: &str) -> Option<TimeFrame> {
        TimeFrame::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for TimeFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_kind_is_written_as_its_path_and_read_back() {
        for kind in EntityKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.path()));
            assert_eq!(EntityKind::from_path(kind.path()), Some(kind));
            assert_eq!(kind.rank(), EntityKind::ALL.iter().position(|k| *k == kind).unwrap());
        }
        for tf in TimeFrame::ALL {
            assert_eq!(serde_json::to_value(tf).unwrap(), json!(tf.as_str()));
        }
        assert_eq!(TimeFrame::from_name("7d").map(TimeFrame::secs), Some(604_800));
    }

    #[test]
    fn parents_come_before_the_kinds_that_refer_to_them() {
        for kind in EntityKind::ALL {
            if let Some((_, parent)) = kind.info().parent {
                assert!(parent.rank() < kind.rank(), "{kind} before its parent {parent}");
            }
        }
    }

    #[test]
    fn a_row_is_named_by_its_first_naming_field_else_its_id() {
        let vault = json!({"id": "v1", "name": "env", "prefix": "secrets"});
        assert_eq!(EntityKind::Vaults.label(&vault), "secrets");
        assert_eq!(EntityKind::Consumers.label(&json!({"id": "c1", "custom_id": "x"})), "x");
        assert_eq!(EntityKind::Certificates.label(&json!({"id": "cert-1"})), "cert-1");
    }
}
