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
    /// Why this profile's token could not be read: the console then works from the cache alone.
    pub(crate) locked: Option<String>,
    /// The folder the cache lives in, whose settings say the dashboards' default time frame.
    data_dir: std::path::PathBuf,
}

/// The errors after which the cache is shown instead: no answer, a rate limit, or a refused
/// token (revoked or expired; the cached state stays browsable until a new one is entered).
pub(crate) fn serves_cache(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::Offline | ErrorCode::RateLimited | ErrorCode::Unauthorized)
}

/// How old a cached dashboard may be before a sync (a background refresh or "Sync now") fetches
/// it again: dashboards cost several analytics queries each, refreshes come every few seconds,
/// and a refresh with no change stays at two requests a group for a large organization.
const DASHBOARD_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(300);

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
            locked: None,
            data_dir: cache_path.parent().map(Path::to_path_buf).unwrap_or_default(),
        })
    }

    /// A console over the cache alone, for a profile whose token cannot be read (`why`): every
    /// view comes from the cache, marked offline, until the token is entered again.
    pub fn read_only(
        profile: Profile,
        hosts: konnect::ApiHosts,
        cache_path: &Path,
        why: String,
    ) -> Result<Console, ConsoleError> {
        let mut console = Console::new(profile, KonnectClient::without_token(hosts)?, cache_path)?;
        console.locked = Some(why);
        Ok(console)
    }

    /// Why the token could not be read, when the console works from the cache alone.
    pub fn locked(&self) -> Option<&str> {
        self.locked.as_deref()
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
        let quiet = std::sync::Arc::new(|_| {});
        let cancel = crate::sync::CancelToken::default();
        match self.sync(quiet, cancel).await {
            Ok(_) => {}
            Err(err) if serves_cache(err.code) || err.code == ErrorCode::Server => {}
            Err(err) => return Err(err),
        }
        self.cached_overview().await
    }

    /// One sync of the whole organization into the cache, reporting progress as it goes, then the
    /// dashboards for offline review. An unreachable API is remembered (the overview then says
    /// since when it is offline).
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
        let outcome = self.after_sync(result).await;
        // A sync's responses are freed by now; off the async threads, as it walks every arena.
        tokio::task::spawn_blocking(crate::heap::give_back_freed);
        outcome
    }

    /// What a finished sync leaves: the schemas and dashboards it found missing cached, or the
    /// failure recorded for the overview to say.
    async fn after_sync(
        &self,
        result: Result<crate::sync::SyncReport, KonnectError>,
    ) -> Result<crate::sync::SyncReport, ConsoleError> {
        match result {
            Ok(report) => {
                self.forget_access();
                if !report.cancelled {
                    if let Err(e) = self.cache_missing_schemas().await {
                        tracing::warn!("schemas not cached after the sync: {}", e.message);
                    }
                    if let Err(e) = self.cache_dashboards(DASHBOARD_FRESH_FOR).await {
                        tracing::warn!("dashboards not cached after the sync: {}", e.message);
                    }
                }
                Ok(report)
            }
            Err(e) => {
                let err = ConsoleError::from(e);
                if serves_cache(err.code) || err.code == ErrorCode::Server {
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
                // A million items take seconds to index: off the async threads.
                let index = tokio::task::spawn_blocking(move || {
                    let index = crate::search::SearchIndex::new(items);
                    crate::heap::give_back_freed();
                    std::sync::Arc::new(index)
                })
                .await
                .map_err(|e| ConsoleError::local(format!("the search index was not built: {e}")))?;
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

/// A time frame as a sentence says it after "the last": "15 minutes", "7 days".
fn frame_words(frame: TimeFrame) -> String {
    let secs = frame.secs();
    let (n, unit) = match secs {
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3_600 == 0 => (s / 3_600, "hour"),
        s => (s / 60, "minute"),
    };
    if n == 1 {
        unit.to_string()
    } else {
        format!("{n} {unit}s")
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
        let prefix = format!("dashboard:{group_id}:");
        match self.live_or_cached(&format!("{prefix}{time_frame}"), fetch).await {
            Ok(d) => Ok(d),
            Err(e) => Err(self.not_cached(e, &prefix, time_frame).await),
        }
    }

    /// Offline with no dashboard cached for this time frame: say so in words, and which frames
    /// were cached, rather than the outage's error.
    /// `prefix` is the dashboard's cache key less its frame (a group's, or one instance's).
    async fn not_cached(
        &self,
        e: ConsoleError,
        prefix: &str,
        time_frame: TimeFrame,
    ) -> ConsoleError {
        if !serves_cache(e.code) {
            return e;
        }
        let cached = self.cached_frames(prefix).await;
        let mut message = format!(
            "Nothing was cached for the last {} while online, so there are no figures to show \
             offline.",
            frame_words(time_frame)
        );
        if !cached.is_empty() {
            let words: Vec<String> = cached.into_iter().map(frame_words).collect();
            message += &format!(" Cached: the last {}.", words.join(", the last "));
        }
        ConsoleError::new(ErrorCode::NotCached, message)
    }

    /// The time frames whose dashboard is cached for a group, shortest first.
    pub async fn cached_dashboard_frames(&self, group_id: &str) -> Vec<TimeFrame> {
        self.cached_frames(&format!("dashboard:{group_id}:")).await
    }

    /// The frames of the dashboards cached under `prefix` (an instance's keys, under their
    /// group's, are not frames and are left out of the group's).
    async fn cached_frames(&self, prefix: &str) -> Vec<TimeFrame> {
        let keys = self.cache.views_under(self.profile.id(), prefix).await.unwrap_or_default();
        let mut frames: Vec<TimeFrame> =
            keys.iter().filter_map(|(k, _)| TimeFrame::from_name(&k[prefix.len()..])).collect();
        frames.sort_by_key(|f| f.secs());
        frames
    }

    /// Caches every group's dashboard for the settings' default time frame and every frame
    /// opened before (the last used among them), so each can be reviewed offline; one fetched
    /// less than `fresh_for` ago is kept. As many at once as a sync's requests (one after another,
    /// 1,000 groups' dashboards took longer than their whole sync); none once an outage shows.
    async fn cache_dashboards(&self, fresh_for: std::time::Duration) -> Result<(), ConsoleError> {
        use futures_util::StreamExt;
        let default = crate::settings::Settings::load(&self.data_dir).default_time_frame;
        let fresh_after = chrono::Utc::now()
            - chrono::Duration::from_std(fresh_for).unwrap_or_else(|_| chrono::Duration::zero());
        let mut due = Vec::new();
        for group in self.cache.groups(self.profile.id()).await? {
            let id = group.group.id;
            let prefix = format!("dashboard:{id}:");
            let cached = self.cache.views_under(self.profile.id(), &prefix).await?;
            let stale = cached.iter().filter_map(|(k, at)| {
                let frame = TimeFrame::from_name(&k[prefix.len()..])?;
                let at = chrono::DateTime::parse_from_rfc3339(at).ok()?;
                (at < fresh_after).then_some(frame)
            });
            due.extend(stale.map(|frame| (id.clone(), frame)));
            if !cached.iter().any(|(k, _)| k[prefix.len()..] == *default.as_str()) {
                due.push((id, default));
            }
        }
        futures_util::stream::iter(due)
            .for_each_concurrent(crate::sync::DEFAULT_CONCURRENCY, |(id, frame)| async move {
                if self.client.reachability().outage().is_some() {
                    return;
                }
                if let Err(e) = self.group_dashboard(&id, frame).await {
                    tracing::warn!(group = %id, %frame, "dashboard not cached: {}", e.message);
                }
            })
            .await;
        Ok(())
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
        let prefix = format!("dashboard:{group_id}:node:{node_id}:");
        match self.live_or_cached(&format!("{prefix}{time_frame}"), fetch).await {
            Ok(d) => Ok(d),
            Err(e) => Err(self.not_cached(e, &prefix, time_frame).await),
        }
    }

    /// A group's entities of one kind as last cached, or `None` when none were cached: what a
    /// group page shows at once, before the live list arrives.
    pub async fn cached_group_entities(
        &self,
        group_id: &str,
        kind: impl Term<EntityKind>,
    ) -> Result<Option<crate::entities::EntityList>, ConsoleError> {
        // One read of the cached list: the JSON the UI gets, parsed.
        let Some(json) = self.cached_group_entities_json(group_id, kind, None).await? else {
            return Ok(None);
        };
        let list = serde_json::from_str(json.0.get())
            .map_err(|e| ConsoleError::from(crate::cache::CacheError::Corrupt(e.to_string())))?;
        Ok(Some(list))
    }

    /// `cached_group_entities` as JSON, its bodies passed through as the cache holds them; only
    /// the `first` rows in the API's order when asked (a long list's first screen, painted while
    /// the rest is read).
    pub async fn cached_group_entities_json(
        &self,
        group_id: &str,
        kind: impl Term<EntityKind>,
        first: Option<usize>,
    ) -> Result<Option<crate::entities::EntityListJson>, ConsoleError> {
        let kind = kind.term()?;
        let profile = self.profile.id();
        let cached = self.cache.entity_bodies_json(profile, group_id, kind.path(), first).await?;
        let Some((rows, fetched_at)) = cached else { return Ok(None) };
        let corrupt = |e: serde_json::Error| {
            ConsoleError::from(crate::cache::CacheError::Corrupt(e.to_string()))
        };
        // One validating pass over the bodies: a corrupt cached body is an error, not a broken
        // page; then the list around them, the bodies copied as they are.
        let rows = serde_json::value::RawValue::from_string(rows).map_err(corrupt)?;
        let list = crate::entities::EntityListOf {
            group_id,
            kind,
            rows: &*rows,
            fetched_at: &fetched_at,
            offline_reason: None,
        };
        let raw = serde_json::value::to_raw_value(&list).map_err(corrupt)?;
        Ok(Some(crate::entities::EntityListJson(raw)))
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
                if !serves_cache(err.code) {
                    return Err(err);
                }
                if let Some(cached) = self.cached_group_entities(group_id, kind).await? {
                    return Ok(crate::entities::EntityList {
                        offline_reason: Some(err.message),
                        ..cached
                    });
                }
                // Nothing of this kind was ever synced: say so rather than show an empty list
                // as fact.
                if self.cache.synced_hash(self.profile.id(), group_id).await?.is_none() {
                    return Err(err);
                }
                let at =
                    self.cache.sync_state(self.profile.id()).await?.synced_at.unwrap_or_default();
                Ok(crate::entities::EntityList {
                    group_id: group_id.to_string(),
                    kind,
                    rows: vec![],
                    fetched_at: at,
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
                if !serves_cache(err.code) {
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
