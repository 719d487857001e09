//! Where the app keeps what it knows on this computer, and "Reset local data": the cache of
//! every profile's organization (groups, entities, instances, dashboards, Kong schemas) emptied,
//! to be synced again from the API. Kept: the settings, the profiles (their tokens are in the
//! keyring, not here) and the embedded control plane's data, which is the Local profile's
//! organization itself rather than a copy of it, as are the demo's and local runtimes' files.

use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::cache::Cache;
use crate::ConsoleError;

/// The folders Settings shows, each with a button that opens it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct DataLocations {
    /// The app's data folder: the cache, settings, profiles and the embedded control plane.
    pub data_dir: String,
    /// The SQLite cache that "Reset local data" empties.
    pub cache_file: String,
    /// The log files' folder; none when the host keeps no log file.
    pub log_dir: Option<String>,
}

impl DataLocations {
    pub fn new(data_dir: &Path, log_dir: Option<&Path>) -> DataLocations {
        DataLocations {
            data_dir: data_dir.display().to_string(),
            cache_file: crate::embedded::cache_path(data_dir).display().to_string(),
            log_dir: log_dir.map(|d| d.display().to_string()),
        }
    }
}

/// Which of the [`DataLocations`] to open: the UI names one, it never passes a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum DataFolder {
    Data,
    Logs,
}

/// Empties the cache of every profile (they share one file). The caller drops what its consoles
/// hold in memory from it (search index, access).
pub async fn reset(cache: &Cache) -> Result<(), ConsoleError> {
    cache.clear().await?;
    tracing::info!("local data reset: the cache is empty");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{CachedGroup, GroupSnapshot};
    use crate::embedded::{cache_path, control_plane_dir};
    use crate::settings::{Settings, Theme};
    use crate::{Console, Profile};

    /// A distinctive name, to look for in the cache's files after the reset.
    const MARK: &str = "orders-eu-7f3a";

    fn group(profile_name: &str) -> CachedGroup {
        crate::cache::test_group(&format!("{profile_name}-g1"), MARK)
    }

    /// Everything a sync leaves in the cache, for two profiles.
    async fn synced(cache: &Cache) {
        for profile in ["local", "konnect-org"] {
            let g = group(profile);
            let id = g.group.id.clone();
            cache.replace_groups(profile, vec![g], "2026-01-01T00:00:00Z".into()).await.unwrap();
            let service = format!(r#"{{"id":"s1","name":"{MARK}-service"}}"#);
            let snap = GroupSnapshot {
                group_id: id.clone(),
                config_hash: "abc".into(),
                entities: vec![(
                    "services".into(),
                    konnect::RawEntity { id: "s1".into(), json: service },
                )],
                instances_view: Some(format!(r#"{{"hostname":"{MARK}-node"}}"#)),
                fetched_at: "2026-01-01T00:00:00Z".into(),
            };
            cache.commit_group(profile, snap).await.unwrap();
            let schema = format!(r#"{{"fields":[{{"{MARK}":{{}}}}]}}"#);
            cache.put_schema(profile, &id, "plugins/cors", schema, "t".into()).await.unwrap();
            cache.record_sync_error(profile, "offline".into(), "t".into()).await.unwrap();
        }
    }

    /// Whether any of the cache's files (the database and its write-ahead log) holds `mark`.
    fn on_disk(data_dir: &Path, mark: &str) -> bool {
        std::fs::read_dir(data_dir).unwrap().flatten().any(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.starts_with("cache.sqlite")
                && std::fs::read(e.path())
                    .map(|b| b.windows(mark.len()).any(|w| w == mark.as_bytes()))
                    .unwrap_or(false)
        })
    }

    #[tokio::test]
    async fn a_reset_empties_the_cache_and_keeps_settings_profiles_and_the_control_plane() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        let cache = Cache::open(&cache_path(data)).unwrap();
        synced(&cache).await;
        let settings =
            Settings { theme: Theme::Dark, sync_interval_secs: 60, ..Default::default() };
        settings.save(data).unwrap();
        let profiles = r#"{"active":"konnect-org","profiles":[]}"#;
        std::fs::write(data.join("profiles.json"), profiles).unwrap();
        std::fs::create_dir_all(control_plane_dir(data)).unwrap();
        std::fs::write(control_plane_dir(data).join("store.sqlite"), "the Local org").unwrap();
        assert!(on_disk(data, MARK), "the test's mark is in the cache before the reset");

        reset(&cache).await.unwrap();

        for profile in ["local", "konnect-org"] {
            let id = format!("{profile}-g1");
            assert!(cache.groups(profile).await.unwrap().is_empty(), "{profile}: groups");
            assert!(cache.entities(profile, &id, None).await.unwrap().is_empty(), "entities");
            assert_eq!(cache.view(profile, &format!("instances:{id}")).await.unwrap(), None);
            assert_eq!(cache.schema(profile, &id, "plugins/cors").await.unwrap(), None);
            assert_eq!(cache.synced_hash(profile, &id).await.unwrap(), None);
            assert_eq!(cache.sync_state(profile).await.unwrap(), Default::default());
        }
        assert!(!on_disk(data, MARK), "deleted rows are not left readable in the files");
        assert_eq!(Settings::load(data), settings, "the settings are the user's, not the org's");
        assert_eq!(std::fs::read_to_string(data.join("profiles.json")).unwrap(), profiles);
        let store = control_plane_dir(data).join("store.sqlite");
        assert_eq!(std::fs::read_to_string(store).unwrap(), "the Local org");
        // The cache works on: a console on it starts from nothing, as on a first run.
        let client = konnect::KonnectClient::new("http://127.0.0.1:9", "kpat_unused").unwrap();
        let console = Console::new(Profile::local(), client, &cache_path(data)).unwrap();
        let overview = console.cached_overview().await.unwrap();
        assert!(overview.groups.is_empty() && overview.synced_at.is_none(), "{overview:?}");
        synced(&cache).await;
        assert_eq!(cache.groups("local").await.unwrap().len(), 1, "and fills again");
    }

    #[test]
    fn locations_name_the_data_folder_the_cache_and_the_logs() {
        let at = DataLocations::new(Path::new("/home/ada/.local/share/rm"), None);
        assert_eq!(at.cache_file, "/home/ada/.local/share/rm/cache.sqlite");
        assert_eq!(at.log_dir, None);
        let folder: DataFolder = serde_json::from_str(r#""logs""#).unwrap();
        assert_eq!(folder, DataFolder::Logs);
    }
}
