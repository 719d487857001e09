//! The sync engine: every group, its nodes and every entity kind, fetched concurrently under one
//! adaptive bound on requests in flight (fewer after a 429, waiting what `Retry-After` asks), with
//! progress events; a group whose expected config hash is the one it was last synced at is not
//! fetched again unless its last full fetch is older than a bound; each group is committed in one
//! transaction.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use konnect::{AdaptiveLimiter, KonnectClient, KonnectError};
use serde::Serialize;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use ts_rs::TS;

use crate::cache::{Cache, CachedGroup, GroupSnapshot, SyncedAt};
use crate::instances::{self, GroupInstances};
use crate::pacing::{ProgressPace, RateLimitStatus};
use crate::vocabulary::EntityKind;

/// Requests in flight at once during a sync, across all groups and kinds, while Konnect does not
/// ask for fewer.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Groups being fetched at once: enough kinds in flight to keep the request bound busy (a group's
/// last pages come one after another, so each group alone often has fewer than the bound's
/// requests ready), few enough that only these groups' entities are held in memory before their
/// commit (8 groups of 5,000 entities are a few MB).
const GROUPS_IN_FLIGHT: usize = 8;
/// How long a group's cached entities are trusted by its config hash alone. Konnect's hash, like
/// Kong's, leaves out disabled services, their routes and disabled plugins, so an edit to only
/// those moves no hash; past this age the group is due a full fetch.
const FULL_FETCH_EVERY: Duration = Duration::from_secs(60 * 60);
/// Groups fetched whole for their age in one sync, oldest first: a launch after a day away asks a
/// few groups' entities, not the whole organization's, and the background syncs (every 30 s by
/// default) work through the rest, a few more requests each.
const FULL_FETCHES_FOR_AGE: usize = GROUPS_IN_FLIGHT;

/// What a progress bar needs, sent after every finished group, when a rate-limit wait begins, and
/// as the limit on requests in flight moves (at most ten times a second).
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SyncProgress {
    pub groups_total: u32,
    pub groups_done: u32,
    /// Groups whose config had not changed since their last sync (no entities fetched).
    pub groups_unchanged: u32,
    pub entities_done: u64,
    pub requests: u64,
    pub rate_limit: RateLimitStatus,
}

/// The outcome of a finished (or cancelled) sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SyncReport {
    pub progress: SyncProgress,
    pub cancelled: bool,
    /// Groups that failed, with why; the others were committed.
    pub failed: Vec<(String, String)>,
}

/// Stops a running sync: steps not yet started are not started, groups not yet committed stay as
/// they were.
#[derive(Clone, Default)]
pub struct CancelToken(Arc<(AtomicBool, Notify)>);

impl CancelToken {
    pub fn cancel(&self) {
        self.0 .0.store(true, Ordering::SeqCst);
        self.0 .1.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0 .0.load(Ordering::SeqCst)
    }

    async fn cancelled(&self) {
        let notified = self.0 .1.notified();
        if self.is_cancelled() {
            return;
        }
        notified.await
    }
}

/// Shared by every task of one sync.
struct Run {
    /// Under the sync's limiter: every request of the sync takes a slot of its adaptive bound.
    client: KonnectClient,
    groups: Semaphore,
    requests: AtomicU64,
    entities: AtomicU64,
}

impl Run {
    /// One API call, counted (its requests take their slots in the client's limiter).
    async fn call<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, KonnectError>>,
    ) -> Result<T, KonnectError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        f.await
    }
}

type Progress = Arc<dyn Fn(SyncProgress) + Send + Sync>;

/// Runs one sync of `profile` into `cache`. Unreachable API → the error; a group that fails
/// alone is reported in `failed` and keeps its previous cached state.
pub async fn run(
    client: &KonnectClient,
    cache: &Cache,
    profile: &str,
    concurrency: usize,
    progress: Progress,
    cancel: CancelToken,
) -> Result<SyncReport, KonnectError> {
    let limiter = AdaptiveLimiter::new(concurrency);
    let mut limits = limiter.subscribe();
    let run = Arc::new(Run {
        client: client.with_limiter(limiter.clone()),
        groups: Semaphore::new(GROUPS_IN_FLIGHT),
        requests: AtomicU64::new(0),
        entities: AtomicU64::new(0),
    });
    let groups = run.call(run.client.list_all_control_planes()).await?;
    let mut trusted = cache
        .synced_hashes(profile)
        .await
        .map_err(|e| KonnectError::Decode { url: "cache".into(), message: e.to_string() })?;
    let listed = groups.iter().map(|g| g.id.as_str());
    for id in due_for_full_fetch(listed, &trusted, chrono::Utc::now(), FULL_FETCHES_FOR_AGE) {
        trusted.remove(&id);
    }
    let trusted = Arc::new(trusted);
    let mut state = SyncProgress {
        groups_total: groups.len() as u32,
        requests: run.requests.load(Ordering::Relaxed),
        rate_limit: limiter.state().into(),
        ..Default::default()
    };
    let mut pace = ProgressPace::default();
    if pace.due(&state.rate_limit, true) {
        progress(state.clone());
    }

    let mut tasks = JoinSet::new();
    for g in &groups {
        let (run, cache, profile, cancel, id, trusted) = (
            run.clone(),
            cache.clone(),
            profile.to_string(),
            cancel.clone(),
            g.id.clone(),
            trusted.clone(),
        );
        tasks.spawn(async move {
            let outcome = tokio::select! {
                r = async {
                    let slot = run.groups.acquire().await.expect("the semaphore is never closed");
                    sync_group(&run, &cache, &profile, &id, trusted.get(&id), slot).await
                } => Some(r),
                _ = cancel.cancelled() => None,
            };
            (id, outcome)
        });
    }
    let mut counts = std::collections::HashMap::new();
    let mut report = SyncReport::default();
    loop {
        let group_finished = tokio::select! {
            joined = tasks.join_next() => {
                let Some(joined) = joined else { break };
                let Ok((id, outcome)) = joined else { continue };
                match outcome {
                    Some(Ok(done)) => {
                        state.groups_done += 1;
                        state.groups_unchanged += u32::from(done.unchanged);
                        counts.insert(id, done.counts);
                    }
                    Some(Err(e)) => {
                        state.groups_done += 1;
                        report.failed.push((id, e.to_string()));
                    }
                    None => report.cancelled = true,
                }
                true
            }
            // The limiter moved: a wait began or ended, or the bound changed.
            Ok(()) = limits.changed() => false,
        };
        state.requests = run.requests.load(Ordering::Relaxed);
        state.entities_done = run.entities.load(Ordering::Relaxed);
        state.rate_limit = limiter.state().into();
        if pace.due(&state.rate_limit, group_finished) {
            progress(state.clone());
        }
    }
    // The group list is replaced only after a whole sync: a cancelled one keeps the old list.
    if !report.cancelled {
        let fetched_at = crate::timestamp::now();
        let previous: std::collections::HashMap<String, CachedGroup> = cache
            .groups(profile)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|g| (g.group.id.clone(), g))
            .collect();
        let rows = groups
            .into_iter()
            .map(|group| {
                let (active, total, in_sync) = counts
                    .get(&group.id)
                    .copied()
                    .or_else(|| {
                        previous
                            .get(&group.id)
                            .map(|p| (p.active_instances, p.total_instances, p.in_sync_instances))
                    })
                    .unwrap_or((0, 0, 0));
                CachedGroup {
                    group,
                    active_instances: active,
                    total_instances: total,
                    in_sync_instances: in_sync,
                    fetched_at: fetched_at.clone(),
                }
            })
            .collect();
        cache
            .replace_groups(profile, rows, fetched_at)
            .await
            .map_err(|e| KonnectError::Decode { url: "cache".into(), message: e.to_string() })?;
    }
    report.progress = state;
    Ok(report)
}

struct GroupDone {
    unchanged: bool,
    counts: (i64, i64, i64),
}

/// Fetches one group and commits it; a group `trusted` at its last full fetch's hash whose hash
/// has not moved keeps its cached entities (only its instances are fetched). `slot` (one of
/// GROUPS_IN_FLIGHT) is given back as soon as the fetching is done, so the next group's requests
/// overlap this group's commit.
async fn sync_group(
    run: &Arc<Run>,
    cache: &Cache,
    profile: &str,
    group_id: &str,
    trusted: Option<&SyncedAt>,
    slot: tokio::sync::SemaphorePermit<'_>,
) -> Result<GroupDone, KonnectError> {
    let (hash, nodes) = tokio::try_join!(
        run.call(run.client.expected_config_hash(group_id)),
        run.call(run.client.list_all_nodes(group_id))
    )?;
    let expected = hash.expected_hash;
    let counts = instances::instance_counts(&nodes, &expected);
    let fetched_at = crate::timestamp::now();
    let view = GroupInstances {
        group_id: group_id.to_string(),
        instances: instances::rows(&nodes, &expected),
        expected_hash: expected.clone(),
        fetched_at: fetched_at.clone(),
        offline_reason: None,
    };
    let view = serde_json::to_string(&view).ok();
    let local_err = |e: crate::cache::CacheError| KonnectError::Decode {
        url: "cache".into(),
        message: e.to_string(),
    };
    let unchanged = !expected.is_empty() && trusted.is_some_and(|s| s.config_hash == expected);
    if unchanged {
        if let Some(v) = view {
            cache
                .put_view(profile, &format!("instances:{group_id}"), v, fetched_at)
                .await
                .map_err(local_err)?;
        }
        return Ok(GroupDone { unchanged: true, counts });
    }
    let mut kinds = JoinSet::new();
    for kind in EntityKind::ALL {
        let (run, gid) = (run.clone(), group_id.to_string());
        kinds.spawn(async move {
            let rows = list_kind(&run, &gid, kind).await?;
            run.entities.fetch_add(rows.len() as u64, Ordering::Relaxed);
            Ok::<_, KonnectError>((kind, rows))
        });
    }
    let mut by_kind = Vec::new();
    while let Some(joined) = kinds.join_next().await {
        let (kind, rows) = joined
            .map_err(|e| KonnectError::Decode { url: String::new(), message: e.to_string() })??;
        by_kind.push((kind, rows));
    }
    by_kind.sort_by_key(|(k, _)| *k);
    let entities = by_kind
        .into_iter()
        .flat_map(|(k, rows)| rows.into_iter().map(move |r| (k.to_string(), r)))
        .collect();
    drop(slot);
    cache
        .commit_group(
            profile,
            GroupSnapshot {
                group_id: group_id.to_string(),
                config_hash: expected,
                entities,
                instances_view: view,
                fetched_at,
            },
        )
        .await
        .map_err(local_err)?;
    Ok(GroupDone { unchanged: false, counts })
}

/// The groups of `listed` this sync fetches whole however their hash reads: those whose last full
/// fetch is older than [`FULL_FETCH_EVERY`] (an unreadable time counts as oldest), at most `cap`,
/// oldest first. A group never synced is fetched anyway.
fn due_for_full_fetch<'a>(
    listed: impl Iterator<Item = &'a str>,
    synced: &std::collections::HashMap<String, SyncedAt>,
    now: chrono::DateTime<chrono::Utc>,
    cap: usize,
) -> std::collections::HashSet<String> {
    let mut due: Vec<(Option<chrono::DateTime<chrono::FixedOffset>>, &str)> = listed
        .filter_map(|id| {
            let at = chrono::DateTime::parse_from_rfc3339(&synced.get(id)?.synced_at).ok();
            let age = at.map(|t| now.signed_duration_since(t).to_std().unwrap_or_default());
            (age.is_none_or(|a| a >= FULL_FETCH_EVERY)).then_some((at, id))
        })
        .collect();
    due.sort();
    due.into_iter().take(cap).map(|(_, id)| id.to_string()).collect()
}

/// One kind's every page; each page is one request under the bound. A kind the API does not
/// serve (404) is an empty list, so older control planes still sync.
async fn list_kind(
    run: &Run,
    group_id: &str,
    kind: EntityKind,
) -> Result<Vec<konnect::RawEntity>, KonnectError> {
    let kind = kind.path();
    let mut out = Vec::new();
    let mut offset: Option<String> = None;
    loop {
        let text = match run
            .call(run.client.entities_page_text(group_id, kind, offset.as_deref()))
            .await
        {
            Ok(t) => t,
            Err(KonnectError::Api(e)) if e.status == 404 => return Ok(out),
            Err(e) => return Err(e),
        };
        // Parsed after the request slot is given back, so the next request is already on its way.
        let page = run.client.parse_entities_page(group_id, kind, &text)?;
        out.extend(page.0);
        match page.1 {
            Some(next) if !next.is_empty() => offset = Some(next),
            _ => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().into()
    }

    #[test]
    fn the_oldest_groups_past_the_bound_are_fetched_whole_a_few_a_sync() {
        let now = at("2026-12-01T12:00:00.000Z");
        let synced: std::collections::HashMap<String, SyncedAt> = [
            ("fresh", "2026-12-01T11:30:00.000Z"),
            ("just-due", "2026-12-01T11:00:00.000Z"),
            ("a-day", "2026-11-30T12:00:00.000Z"),
            ("a-week", "2026-11-24T12:00:00.000Z"),
            ("garbled", "yesterday"),
            // A clock set back since: not due, and no panic.
            ("future", "2026-12-01T13:00:00.000Z"),
        ]
        .into_iter()
        .map(|(id, at)| (id.into(), SyncedAt { config_hash: "h".into(), synced_at: at.into() }))
        .collect();
        let listed = ["fresh", "just-due", "a-day", "a-week", "garbled", "future", "new"];
        let due = |cap| {
            let mut d: Vec<String> =
                due_for_full_fetch(listed.into_iter(), &synced, now, cap).into_iter().collect();
            d.sort();
            d
        };
        // (cap, the groups fetched whole for their age)
        let cases: [(usize, &[&str]); 4] = [
            (0, &[]),
            (2, &["a-week", "garbled"]),
            (3, &["a-day", "a-week", "garbled"]),
            (10, &["a-day", "a-week", "garbled", "just-due"]),
        ];
        for (cap, want) in cases {
            assert_eq!(due(cap), want, "cap {cap}");
        }
    }
}
