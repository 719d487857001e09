//! What deserves a desktop notification, worked out from the console's own views: a runtime
//! instance out of sync or disconnected for longer than a grace period, a data plane certificate
//! pinned to a group that expires within 30 days, and the profile's API going out of reach and
//! coming back. Each condition is told once, until it clears. The host shows the alerts; this
//! module only decides them, so it is tested without a desktop.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use konnect::DataPlaneCertificate;
use serde::Serialize;
use ts_rs::TS;

use crate::settings::NotificationSettings;
use crate::{Console, RuntimeGroupRow};

/// How long an instance may be out of sync or disconnected before it is worth a notification.
pub const GRACE: Duration = Duration::from_secs(60);

/// A pinned certificate this close to its end is worth a notification: time enough to pin a
/// new one and roll the data planes over.
pub const CERTIFICATE_NOTICE_DAYS: i64 = 30;

/// How often the pinned certificates are read. Expiry is counted in days, so once an hour is
/// plenty, and it costs one request per group an hour rather than one per refresh (the sync does
/// not cache pinned certificates).
pub const CERTIFICATE_CHECK_EVERY: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Alert {
    pub title: String,
    pub body: String,
    /// The group the alert is about, to open on click.
    pub group_id: Option<String>,
}

/// A reason without its "Offline: " (the alert's title says it), starting as a sentence does.
fn sentence(why: &str) -> String {
    let rest = why.strip_prefix("Offline: ").unwrap_or(why);
    let mut chars = rest.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// What the watcher remembers between checks.
pub struct Watcher {
    grace: Duration,
    /// When each (group, instance) was first seen in trouble.
    troubled_since: HashMap<(String, String), Instant>,
    told: HashSet<(String, String)>,
    offline_told: bool,
    certificates_every: Duration,
    certificates_read_at: Option<Instant>,
    /// (group, certificate) told to be expiring.
    expiring_told: HashSet<(String, String)>,
}

/// A group's pinned certificates as just read from its API.
pub struct PinnedCertificates<'a> {
    pub group: &'a RuntimeGroupRow,
    pub certificates: Vec<DataPlaneCertificate>,
}

impl Watcher {
    pub fn new(grace: Duration) -> Watcher {
        Watcher {
            grace,
            troubled_since: HashMap::new(),
            told: HashSet::new(),
            offline_told: false,
            certificates_every: CERTIFICATE_CHECK_EVERY,
            certificates_read_at: None,
            expiring_told: HashSet::new(),
        }
    }

    /// The same watcher reading pinned certificates this often (tests read them every check).
    pub fn with_certificate_check_every(mut self, every: Duration) -> Watcher {
        self.certificates_every = every;
        self
    }

    /// One look at the organization: the alerts to raise now.
    pub async fn check(&mut self, console: &Console, wanted: &NotificationSettings) -> Vec<Alert> {
        let mut alerts = Vec::new();
        // Unreachable, the API's overview still comes back: the cached one, marked with why.
        let overview = match console.refresh_overview().await {
            Ok(o) if o.offline_reason.is_none() => o,
            outcome => {
                let why = match outcome {
                    Ok(o) => o.offline_reason.unwrap_or_default(),
                    Err(e) => e.message,
                };
                if wanted.profile_offline && !self.offline_told {
                    alerts.push(Alert {
                        title: "Runtime Manager is offline".into(),
                        // "Offline: the connection was refused." → "The connection was …": the
                        // title says offline already.
                        body: format!("Showing what was synced last. {}", sentence(&why)),
                        group_id: None,
                    });
                }
                self.offline_told = true;
                return alerts;
            }
        };
        if std::mem::take(&mut self.offline_told) && wanted.profile_offline {
            alerts.push(Alert {
                title: "Runtime Manager is back online".into(),
                body: format!("{} is reachable again.", overview.profile_name),
                group_id: None,
            });
        }
        if wanted.instance_out_of_sync {
            alerts.extend(self.troubled_instances(console, &overview.groups).await);
        }
        let due =
            self.certificates_read_at.is_none_or(|at| at.elapsed() >= self.certificates_every);
        if wanted.certificate_expiring && due {
            self.certificates_read_at = Some(Instant::now());
            let mut pinned = Vec::new();
            for group in &overview.groups {
                // A group whose certificates cannot be read now keeps what was told about it.
                match console.client().list_dp_certificates(&group.id).await {
                    Ok(certificates) => pinned.push(PinnedCertificates { group, certificates }),
                    Err(e) => tracing::debug!(group = %group.id, "pinned certificates unread: {e}"),
                }
            }
            alerts.extend(self.expiring_certificates(wanted, &pinned, Utc::now()));
        }
        alerts
    }

    async fn troubled_instances(
        &mut self,
        console: &Console,
        groups: &[RuntimeGroupRow],
    ) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let mut seen = HashSet::new();
        for group in groups.iter().filter(|g| g.total_instances > 0) {
            let Ok(view) = console.group_instances(&group.id).await else { continue };
            for node in &view.instances {
                let key = (group.id.clone(), node.id.clone());
                seen.insert(key.clone());
                let trouble = match (node.connected, node.in_sync) {
                    (false, _) => Some("has not been seen"),
                    (true, false) => Some("is out of sync"),
                    _ => None,
                };
                let Some(trouble) = trouble else {
                    self.troubled_since.remove(&key);
                    self.told.remove(&key);
                    continue;
                };
                let since = *self.troubled_since.entry(key.clone()).or_insert_with(Instant::now);
                if since.elapsed() >= self.grace && self.told.insert(key) {
                    alerts.push(Alert {
                        title: format!("{} {trouble}", node.hostname),
                        body: format!(
                            "Runtime instance {} of {} {trouble} for over {} s.",
                            node.hostname,
                            group.name,
                            self.grace.as_secs()
                        ),
                        group_id: Some(group.id.clone()),
                    });
                }
            }
        }
        // Instances that left (deleted, or their group gone) are forgotten.
        self.troubled_since.retain(|k, _| seen.contains(k));
        self.told.retain(|k| seen.contains(k));
        alerts
    }

    /// The pinned certificates that end within [`CERTIFICATE_NOTICE_DAYS`] of `now` (or have
    /// ended) and were not told yet. A certificate unpinned since is forgotten, so one pinned again
    /// is told again; groups not in `pinned` (unread this time) keep what was told.
    pub fn expiring_certificates(
        &mut self,
        wanted: &NotificationSettings,
        pinned: &[PinnedCertificates<'_>],
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        if !wanted.certificate_expiring {
            return Vec::new();
        }
        let mut alerts = Vec::new();
        let read: HashSet<&str> = pinned.iter().map(|p| p.group.id.as_str()).collect();
        let mut present = HashSet::new();
        for PinnedCertificates { group, certificates } in pinned {
            for cert in certificates {
                let key = (group.id.clone(), cert.id.clone());
                present.insert(key.clone());
                let Ok(details) = crate::certificates::certificate_details(&cert.cert) else {
                    continue;
                };
                let Ok(not_after) = DateTime::parse_from_rfc3339(&details.not_after) else {
                    continue;
                };
                let left = not_after.with_timezone(&Utc) - now;
                // Whole days left, rounded up: a certificate ending in 9.5 days has 10 left.
                let days = (left.num_seconds() + 86_399).div_euclid(86_400);
                if days > CERTIFICATE_NOTICE_DAYS || !self.expiring_told.insert(key) {
                    continue;
                }
                let name = cert
                    .title
                    .clone()
                    .filter(|t| !t.trim().is_empty())
                    .or(details.common_name)
                    .unwrap_or_else(|| cert.id.clone());
                let when = match days {
                    d if d <= 0 => "has expired".to_string(),
                    1 => "expires within a day".to_string(),
                    d => format!("expires in {d} days"),
                };
                let date = not_after.format("%Y-%m-%d");
                alerts.push(Alert {
                    title: format!("A data plane certificate of {} {when}", group.name),
                    body: format!(
                        "{name}, pinned to {}, is valid until {date}. Data planes that use it \
                         cannot connect after that: pin a new certificate and move them to it.",
                        group.name
                    ),
                    group_id: Some(group.id.clone()),
                });
            }
        }
        self.expiring_told.retain(|k| !read.contains(k.0.as_str()) || present.contains(k));
        alerts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, name: &str) -> RuntimeGroupRow {
        RuntimeGroupRow {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            cluster_type: "CLUSTER_TYPE_HYBRID".into(),
            labels: Default::default(),
            active_instances: 1,
            total_instances: 1,
            in_sync_instances: 1,
            is_default: false,
            is_demo: false,
            created_at: String::new(),
            fetched_at: String::new(),
        }
    }

    /// A certificate pinned as `id`, valid until `not_after`.
    fn pinned(id: &str, title: &str, not_after: DateTime<Utc>) -> DataPlaneCertificate {
        let mut params = rcgen::CertificateParams::new(vec!["dp.example".to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "dp.example");
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        let end = not_after.date_naive();
        use chrono::Datelike;
        params.not_after = rcgen::date_time_ymd(end.year(), end.month() as u8, end.day() as u8);
        let key = rcgen::KeyPair::generate().unwrap();
        DataPlaneCertificate {
            id: id.into(),
            cert: params.self_signed(&key).unwrap().pem(),
            title: Some(title.into()),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn all() -> NotificationSettings {
        NotificationSettings {
            instance_out_of_sync: true,
            certificate_expiring: true,
            profile_offline: true,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_certificate_ten_days_from_its_end_is_told_once() {
        let shop = group("g1", "shop");
        let soon = pinned("c1", "edge-1", now() + chrono::Duration::days(10));
        let later = pinned("c2", "edge-2", now() + chrono::Duration::days(60));
        let read = [PinnedCertificates { group: &shop, certificates: vec![soon, later] }];
        let mut watcher = Watcher::new(GRACE);
        let told = watcher.expiring_certificates(&all(), &read, now());
        assert_eq!(told.len(), 1, "the one 60 days away is not told: {told:?}");
        assert_eq!(told[0].title, "A data plane certificate of shop expires in 10 days");
        assert!(told[0].body.starts_with("edge-1, pinned to shop, is valid until 2026-03-11."));
        assert_eq!(told[0].group_id.as_deref(), Some("g1"));
        assert!(watcher.expiring_certificates(&all(), &read, now()).is_empty(), "told once");
        // Thirty days on, the second one's turn comes; the first is not told again.
        let later_on = now() + chrono::Duration::days(30);
        let told = watcher.expiring_certificates(&all(), &read, later_on);
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0].title, "A data plane certificate of shop expires in 30 days");
        let told = watcher.expiring_certificates(&all(), &read, now() + chrono::Duration::days(90));
        assert!(told.is_empty(), "both told already, expired or not: {told:?}");
    }

    #[test]
    fn an_expired_certificate_says_so_and_an_unpinned_one_is_forgotten() {
        let shop = group("g1", "shop");
        let gone = pinned("c1", "", now() - chrono::Duration::days(2));
        let mut watcher = Watcher::new(GRACE);
        let read = [PinnedCertificates { group: &shop, certificates: vec![gone.clone()] }];
        let told = watcher.expiring_certificates(&all(), &read, now());
        assert_eq!(told[0].title, "A data plane certificate of shop has expired");
        assert!(told[0].body.starts_with("dp.example, pinned"), "a blank title: the CN names it");
        // Unread this time (the group's API failed): still remembered.
        assert!(watcher.expiring_certificates(&all(), &[], now()).is_empty());
        assert!(watcher.expiring_certificates(&all(), &read, now()).is_empty());
        // Read without it (unpinned), then pinned again: told again.
        let none = [PinnedCertificates { group: &shop, certificates: vec![] }];
        assert!(watcher.expiring_certificates(&all(), &none, now()).is_empty());
        assert_eq!(watcher.expiring_certificates(&all(), &read, now()).len(), 1);
    }

    #[test]
    fn turned_off_nothing_is_told_about_certificates() {
        let shop = group("g1", "shop");
        let soon = pinned("c1", "edge-1", now() + chrono::Duration::days(10));
        let read = [PinnedCertificates { group: &shop, certificates: vec![soon] }];
        let off = NotificationSettings { certificate_expiring: false, ..all() };
        let mut watcher = Watcher::new(GRACE);
        assert!(watcher.expiring_certificates(&off, &read, now()).is_empty());
        // Turned on later, it is told then (being off remembered nothing as told).
        assert_eq!(watcher.expiring_certificates(&all(), &read, now()).len(), 1);
    }

    /// An API out of reach still answers the overview (the cached one, marked with why): that is
    /// being offline, told once.
    #[tokio::test]
    async fn an_unreachable_api_is_told_as_offline_once() {
        let dir = tempfile::tempdir().unwrap();
        let retry_once = konnect::RetryPolicy { attempts: 1, ..Default::default() };
        let client = konnect::KonnectClient::new("http://127.0.0.1:9", "kpat_unused")
            .unwrap()
            .with_retry(retry_once);
        let console =
            Console::new(crate::Profile::local(), client, &dir.path().join("c.sqlite")).unwrap();
        let mut watcher = Watcher::new(GRACE);
        let told = watcher.check(&console, &all()).await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0].title, "Runtime Manager is offline");
        assert_eq!(told[0].body, "Showing what was synced last. The connection was refused.");
        assert!(watcher.check(&console, &all()).await.is_empty(), "told once");
        let quiet = NotificationSettings { profile_offline: false, ..all() };
        assert!(Watcher::new(GRACE).check(&console, &quiet).await.is_empty(), "switched off");
    }
}
