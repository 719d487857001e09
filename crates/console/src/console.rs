//! The console: one profile's client and cache, and the operations the UI calls.

use std::path::Path;

use konnect::{
    ControlPlane, CreateControlPlaneRequest, KonnectClient, KonnectError, UpdateControlPlaneRequest,
};

use crate::cache::{Cache, CachedGroup};
use crate::error::{ConsoleError, ErrorCode};
use crate::groups::{parse_labels, NewRuntimeGroup, Overview, RuntimeGroupRow};
use crate::instances::{self, GroupInstances};
use crate::profile::Profile;
use crate::timestamp::now;
use crate::vocabulary::{EntityKind, Term, TimeFrame};

pub struct Console {
    profile: Profile,
    pub(crate) client: KonnectClient,
    pub(crate) cache: Cache,
    /// Built from the cache on the first search after a change, then reused.
    search_index: std::sync::Mutex<Option<std::sync::Arc<crate::search::SearchIndex>>>,
    /// What the token may do: owned by `access`, which alone reads and changes it.
    pub(crate) access: crate::access::AccessMemory,
}

impl Console {
    pub fn new(
        profile: Profile,
        client: KonnectClient,
        cache_path: &Path,
    ) -> Result<Console, ConsoleError> {
        Ok(Console {
            profile,
            client,
            cache: Cache::open(cache_path)?,
            search_index: Default::default(),
            access: Default::default(),
        })
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The overview from the cache alone: what was last known, with no network.
    pub async fn cached_overview(&self) -> Result<Overview, ConsoleError> {
        let groups = self.cache.groups(self.profile.id()).await?;
        let state = self.cache.sync_state(self.profile.id()).await?;
        // The last error only matters if it came after the last good sync.
        let offline_reason = match (&state.last_error_at, &state.synced_at) {
            (Some(err_at), Some(ok_at)) if err_at < ok_at => None,
            _ => state.last_error,
        };
        Ok(Overview {
            profile_name: self.profile.name().to_string(),
            groups: groups.into_iter().map(RuntimeGroupRow::from).collect(),
            synced_at: state.synced_at,
            offline_reason,
        })
    }

    /// Syncs (groups, nodes, and the entities of groups whose config changed) and returns the
    /// overview. When the API cannot be reached the cached overview comes back, marked with the
    /// reason.
    pub async fn refresh_overview(&self) -> Result<Overview, ConsoleError> {
        match self.sync(std::sync::Arc::new(|_| {}), crate::sync::CancelToken::default()).await {
            Ok(_) => {}
            Err(err)
                if matches!(
                    err.code,
                    ErrorCode::Offline | ErrorCode::Server | ErrorCode::RateLimited
                ) => {}
            Err(err) => return Err(err),
        }
        self.cached_overview().await
    }

    /// One sync of the whole organization into the cache, reporting progress as it goes. An
    /// unreachable API is remembered (the overview then says since when it is offline).
    pub async fn sync(
        &self,
        progress: std::sync::Arc<dyn Fn(crate::sync::SyncProgress) + Send + Sync>,
        cancel: crate::sync::CancelToken,
    ) -> Result<crate::sync::SyncReport, ConsoleError> {
        let result = crate::sync::run(
            &self.client,
            &self.cache,
            self.profile.id(),
            crate::sync::DEFAULT_CONCURRENCY,
            progress,
            cancel,
        )
        .await;
        self.invalidate_search();
        match result {
            Ok(report) => {
                self.forget_access();
                if !report.cancelled {
                    if let Err(e) = self.cache_missing_schemas().await {
                        tracing::warn!("schemas not cached after the sync: {}", e.message);
                    }
                }
                Ok(report)
            }
            Err(e) => {
                let err = ConsoleError::from(e);
                if matches!(
                    err.code,
                    ErrorCode::Offline | ErrorCode::Server | ErrorCode::RateLimited
                ) {
                    tracing::warn!("sync failed, serving the cache: {}", err.message);
                    self.cache
                        .record_sync_error(self.profile.id(), err.message.clone(), now())
                        .await?;
                }
                Err(err)
            }
        }
    }

    pub(crate) fn invalidate_search(&self) {
        *self.search_index.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Searches every cached group and entity (works offline).
    pub async fn search(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<crate::search::SearchHit>, ConsoleError> {
        let cached = self.search_index.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let index = match cached {
            Some(i) => i,
            None => {
                let groups = self.cache.groups(self.profile.id()).await?;
                let shared: std::collections::HashMap<String, std::sync::Arc<(String, String)>> =
                    groups
                        .iter()
                        .map(|g| {
                            (
                                g.group.id.clone(),
                                std::sync::Arc::new((g.group.id.clone(), g.group.name.clone())),
                            )
                        })
                        .collect();
                let mut items: Vec<crate::search::SearchItem> = groups
                    .iter()
                    .map(|g| crate::search::SearchItem {
                        kind: None,
                        id: g.group.id.clone(),
                        label: g.group.name.clone(),
                        group: shared[&g.group.id].clone(),
                        terms: vec![
                            ("name", g.group.name.to_lowercase().into()),
                            ("id", g.group.id.to_lowercase().into()),
                        ],
                    })
                    .collect();
                items.extend(
                    self.cache
                        .map_entities(self.profile.id(), move |gid, kind, body| {
                            let group = shared.get(gid).cloned().unwrap_or_else(|| {
                                std::sync::Arc::new((gid.to_string(), String::new()))
                            });
                            let kind = EntityKind::from_path(kind)?;
                            crate::search::SearchItem::from_entity(kind, body, group)
                        })
                        .await?,
                );
                let index = std::sync::Arc::new(crate::search::SearchIndex::new(items));
                *self.search_index.lock().unwrap_or_else(|p| p.into_inner()) = Some(index.clone());
                index
            }
        };
        Ok(index.search(query, limit))
    }

    /// Creates a group through the API and adds it to the cache. Field errors name the form's
    /// inputs.
    pub async fn create_group(
        &self,
        form: NewRuntimeGroup,
    ) -> Result<RuntimeGroupRow, ConsoleError> {
        let labels = parse_labels(&form.labels)?;
        let name = form.name.trim().to_string();
        let req = CreateControlPlaneRequest {
            name: name.clone(),
            description: Some(form.description.trim().to_string()).filter(|d| !d.is_empty()),
            labels: Some(labels),
            ..Default::default()
        };
        let created: ControlPlane = self
            .client
            .create_control_plane(&req)
            .await
            .map_err(|e| self.note_refusal("*", "create", group_form_error(e, &name)))?;
        let cached = CachedGroup {
            group: created,
            active_instances: 0,
            total_instances: 0,
            in_sync_instances: 0,
            fetched_at: now(),
        };
        self.cache.upsert_group(self.profile.id(), cached.clone()).await?;
        Ok(cached.into())
    }

    /// Renames a group, or changes its description or labels (the form's labels replace the
    /// group's). The cached row keeps its instance counts.
    pub async fn update_group(
        &self,
        id: &str,
        form: NewRuntimeGroup,
    ) -> Result<RuntimeGroupRow, ConsoleError> {
        let labels = parse_labels(&form.labels)?;
        let name = form.name.trim().to_string();
        let req = UpdateControlPlaneRequest {
            name: Some(name.clone()),
            description: Some(form.description.trim().to_string()),
            labels: Some(labels),
            ..Default::default()
        };
        let updated = self
            .client
            .update_control_plane(id, &req)
            .await
            .map_err(|e| self.note_refusal(id, "group", group_form_error(e, &name)))?;
        let previous =
            self.cache.groups(self.profile.id()).await?.into_iter().find(|g| g.group.id == id);
        let (active, total, in_sync) = previous
            .map(|p| (p.active_instances, p.total_instances, p.in_sync_instances))
            .unwrap_or((0, 0, 0));
        let cached = CachedGroup {
            group: updated,
            active_instances: active,
            total_instances: total,
            in_sync_instances: in_sync,
            fetched_at: now(),
        };
        self.cache.upsert_group(self.profile.id(), cached.clone()).await?;
        self.invalidate_search();
        Ok(cached.into())
    }

    /// Deletes a group through the API and drops it from the cache.
    pub async fn delete_group(&self, id: &str) -> Result<(), ConsoleError> {
        match self.client.delete_control_plane(id).await {
            Ok(()) => {}
            // Already gone: the cache was stale, which the delete fixes.
            Err(KonnectError::Api(e)) if e.status == 404 => {}
            Err(e) => return Err(self.note_refusal(id, "group", e.into())),
        }
        self.cache.remove_group(self.profile.id(), id).await?;
        Ok(())
    }
}

/// A taken name is said on the form's name field (Konnect says it only in `detail`).
fn group_form_error(e: KonnectError, name: &str) -> ConsoleError {
    let mut err = ConsoleError::from(e);
    if err.code == ErrorCode::Conflict {
        err.fields.insert("name".into(), format!("A runtime group named '{name}' already exists."));
    }
    err
}

impl Console {
    pub fn client(&self) -> &KonnectClient {
        &self.client
    }

    /// A group's runtime instances, fetched live and cached; when the control plane cannot be
    /// reached, the last known rows with the reason.
    pub async fn group_instances(&self, group_id: &str) -> Result<GroupInstances, ConsoleError> {
        let fetch = async {
            let nodes = self.client.list_all_nodes(group_id).await?;
            let expected_hash = self.client.expected_config_hash(group_id).await?.expected_hash;
            Ok(GroupInstances {
                group_id: group_id.to_string(),
                instances: instances::rows(&nodes, &expected_hash),
                expected_hash,
                fetched_at: now(),
                offline_reason: None,
            })
        };
        self.live_or_cached(&format!("instances:{group_id}"), fetch).await
    }

    /// The group's dashboard for a time frame (15m … 30d), live or, offline, as last fetched.
    pub async fn group_dashboard(
        &self,
        group_id: &str,
        time_frame: impl Term<TimeFrame>,
    ) -> Result<crate::analytics::Dashboard, ConsoleError> {
        let time_frame = time_frame.term()?;
        let scope = crate::analytics::Scope { group: group_id, node: None };
        let fetch = crate::analytics::fetch(&self.client, scope, time_frame);
        self.live_or_cached(&format!("dashboard:{group_id}:{time_frame}"), fetch).await
    }

    /// One runtime instance's own traffic (Konnect's `data_plane_node` filter), live or, offline,
    /// as last fetched.
    pub async fn instance_dashboard(
        &self,
        group_id: &str,
        node_id: &str,
        time_frame: impl Term<TimeFrame>,
    ) -> Result<crate::analytics::Dashboard, ConsoleError> {
        let time_frame = time_frame.term()?;
        let scope = crate::analytics::Scope { group: group_id, node: Some(node_id) };
        let fetch = crate::analytics::fetch(&self.client, scope, time_frame);
        let key = format!("dashboard:{group_id}:node:{node_id}:{time_frame}");
        self.live_or_cached(&key, fetch).await
    }

    /// Every entity of `kind` in the group, live (and written to the cache) or, offline, as last
    /// synced.
    pub async fn group_entities(
        &self,
        group_id: &str,
        kind: impl Term<EntityKind>,
    ) -> Result<crate::entities::EntityList, ConsoleError> {
        let kind = kind.term()?;
        match self.client.list_all_entities(group_id, kind.path()).await {
            Ok(rows) => {
                let fetched_at = now();
                self.cache
                    .replace_kind(
                        self.profile.id(),
                        group_id,
                        kind.path(),
                        rows.clone(),
                        fetched_at.clone(),
                    )
                    .await?;
                self.invalidate_search();
                Ok(crate::entities::EntityList {
                    group_id: group_id.to_string(),
                    kind,
                    rows,
                    fetched_at,
                    offline_reason: None,
                })
            }
            Err(e) => {
                let err = ConsoleError::from(e);
                if !matches!(err.code, ErrorCode::Offline | ErrorCode::RateLimited) {
                    return Err(err);
                }
                let cached =
                    self.cache.entities(self.profile.id(), group_id, Some(kind.path())).await?;
                let Some(fetched_at) = cached.iter().map(|(_, _, at)| at.clone()).max() else {
                    // Nothing of this kind was ever synced: say so rather than show an empty list
                    // as fact.
                    if self.cache.synced_hash(self.profile.id(), group_id).await?.is_none() {
                        return Err(err);
                    }
                    let at = self
                        .cache
                        .sync_state(self.profile.id())
                        .await?
                        .synced_at
                        .unwrap_or_default();
                    return Ok(crate::entities::EntityList {
                        group_id: group_id.to_string(),
                        kind,
                        rows: vec![],
                        fetched_at: at,
                        offline_reason: Some(err.message),
                    });
                };
                let rows = cached.into_iter().map(|(_, body, _)| body).collect();
                Ok(crate::entities::EntityList {
                    group_id: group_id.to_string(),
                    kind,
                    rows,
                    fetched_at,
                    offline_reason: Some(err.message),
                })
            }
        }
    }

    /// Every group view goes through here: fetch live and cache it; when the control plane cannot
    /// be reached (or rate-limits us), the cached copy marked with why, or the error if none.
    pub(crate) async fn live_or_cached<V>(
        &self,
        key: &str,
        fetch: impl std::future::Future<Output = Result<V, KonnectError>>,
    ) -> Result<V, ConsoleError>
    where
        V: CachedView + serde::Serialize + serde::de::DeserializeOwned,
    {
        match fetch.await {
            Ok(view) => {
                let body =
                    serde_json::to_string(&view).map_err(|e| ConsoleError::local(e.to_string()))?;
                self.cache
                    .put_view(self.profile.id(), key, body, view.fetched_at().to_string())
                    .await?;
                Ok(view)
            }
            Err(e) => {
                let err = ConsoleError::from(e);
                if !matches!(err.code, ErrorCode::Offline | ErrorCode::RateLimited) {
                    return Err(err);
                }
                match self.cache.view(self.profile.id(), key).await? {
                    Some(body) => {
                        let mut view: V = serde_json::from_str(&body)
                            .map_err(|e| ConsoleError::local(e.to_string()))?;
                        view.mark_offline(err.message);
                        Ok(view)
                    }
                    None => Err(err),
                }
            }
        }
    }
}

/// A view the console caches: when it was fetched, and how to say it is the last known one.
pub trait CachedView {
    fn fetched_at(&self) -> &str;
    fn mark_offline(&mut self, reason: String);
}

macro_rules! cached_view {
    ($($t:ty),*) => {$(
        impl CachedView for $t {
            fn fetched_at(&self) -> &str {
                &self.fetched_at
            }
            fn mark_offline(&mut self, reason: String) {
                self.offline_reason = Some(reason);
            }
        }
    )*};
}

cached_view!(GroupInstances, crate::analytics::Dashboard, crate::entities::EntityList);
