//! What deserves a desktop notification, worked out from the console's own views: a runtime
//! instance out of sync or disconnected for longer than a grace period, and the profile's API
//! going out of reach and coming back. Each condition is told once, until it clears. The host
//! shows the alerts; this module only decides them, so it is tested without a desktop.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::Serialize;
use ts_rs::TS;

use crate::settings::NotificationSettings;
use crate::Console;

/// How long an instance may be out of sync or disconnected before it is worth a notification.
pub const GRACE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Alert {
    pub title: String,
    pub body: String,
    /// The group the alert is about, to open on click.
    pub group_id: Option<String>,
}

/// What the watcher remembers between checks.
pub struct Watcher {
    grace: Duration,
    /// When each (group, instance) was first seen in trouble.
    troubled_since: HashMap<(String, String), Instant>,
    told: HashSet<(String, String)>,
    offline_told: bool,
}

impl Watcher {
    pub fn new(grace: Duration) -> Watcher {
        Watcher { grace, troubled_since: HashMap::new(), told: HashSet::new(), offline_told: false }
    }

    /// One look at the organization: the alerts to raise now.
    pub async fn check(&mut self, console: &Console, wanted: &NotificationSettings) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let overview = match console.refresh_overview().await {
            Ok(o) => o,
            Err(e) => {
                if wanted.profile_offline && !self.offline_told {
                    alerts.push(Alert {
                        title: "Runtime Manager is offline".into(),
                        body: format!("Showing what was synced last. {}", e.message),
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
        if !wanted.instance_out_of_sync {
            return alerts;
        }
        let mut seen = HashSet::new();
        for group in overview.groups.iter().filter(|g| g.total_instances > 0) {
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
}
