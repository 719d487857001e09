//! The app's settings, kept beside its data as `settings.json` (written atomically): theme,
//! which notifications to raise, how often the overview and instances refresh on their own, and
//! the dashboard's default time frame. Nothing secret lives here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::vocabulary::TimeFrame;
use crate::ConsoleError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Theme {
    System,
    Light,
    Dark,
}

/// Which desktop notifications the app raises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NotificationSettings {
    /// A runtime instance out of sync or disconnected for over a minute.
    pub instance_out_of_sync: bool,
    /// A data plane certificate that expires within 30 days.
    pub certificate_expiring: bool,
    /// The profile's API going out of reach (and coming back).
    pub profile_offline: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct Settings {
    pub theme: Theme,
    pub notifications: NotificationSettings,
    /// Seconds between background refreshes of the overview and a group's instances; 0 is off.
    pub sync_interval_secs: u32,
    pub default_time_frame: TimeFrame,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: Theme::System,
            notifications: NotificationSettings {
                instance_out_of_sync: true,
                certificate_expiring: true,
                profile_offline: true,
            },
            sync_interval_secs: 30,
            default_time_frame: TimeFrame::Minutes15,
        }
    }
}

/// Refreshes more often than this would hammer the API of a large organization.
const MIN_INTERVAL_SECS: u32 = 10;

impl Settings {
    /// The settings saved in `data_dir`, or the defaults when none were (or they are unreadable:
    /// a damaged file never keeps the app from starting).
    pub fn load(data_dir: &Path) -> Settings {
        std::fs::read_to_string(path(data_dir))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Checks and saves; a value out of range is a field error and nothing is written.
    pub fn save(&self, data_dir: &Path) -> Result<(), ConsoleError> {
        if self.sync_interval_secs != 0 && self.sync_interval_secs < MIN_INTERVAL_SECS {
            return Err(ConsoleError::field(
                "sync_interval_secs",
                format!("Refresh at most every {MIN_INTERVAL_SECS} seconds, or turn it off (0)."),
            ));
        }
        let text =
            serde_json::to_vec_pretty(self).map_err(|e| ConsoleError::local(e.to_string()))?;
        std::fs::create_dir_all(data_dir).map_err(|e| ConsoleError::local(e.to_string()))?;
        hybrid::keyfile::write_atomically(&path(data_dir), &text, hybrid::keyfile::PUBLIC_FILE_MODE)
            .map_err(|e| ConsoleError::local(format!("Settings not saved: {e}")))
    }
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_damaged_file_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        let mut s = Settings { theme: Theme::Dark, sync_interval_secs: 0, ..Settings::default() };
        s.notifications.profile_offline = false;
        s.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()), s);
        std::fs::write(dir.path().join("settings.json"), "{not json").unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        // A file from an older version without a field keeps that field's default.
        std::fs::write(dir.path().join("settings.json"), r#"{"theme": "light"}"#).unwrap();
        assert_eq!(Settings::load(dir.path()).sync_interval_secs, 30);
    }

    #[test]
    fn a_refresh_too_often_is_refused_on_its_field() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings { sync_interval_secs: 3, ..Settings::default() };
        let err = s.save(dir.path()).unwrap_err();
        assert!(err.fields["sync_interval_secs"].contains("10 seconds"), "{err:?}");
        assert!(!dir.path().join("settings.json").exists(), "nothing written");
    }
}
