//! Moving configuration in and out of groups: decK export and import (plan first, then apply,
//! concurrently under an adaptive bound that obeys Konnect's rate limit), the comparison of two
//! groups, and charts exported as PNG.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt};
use konnect::{AdaptiveLimiter, KonnectClient, LimiterState};
use serde::Serialize;
use tokio::sync::watch;
use ts_rs::TS;

use crate::declarative::{self, Declared, Difference, ImportPlan, Item};
use crate::pacing::{ProgressPace, RateLimitStatus};
use crate::timestamp::now;
use crate::vocabulary::{EntityKind, ExportFormat, Term, TimeFrame};
use crate::{Console, ConsoleError, ErrorCode};

/// What `apply_import` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ImportResult {
    pub created: u32,
    pub updated: u32,
    pub deleted: u32,
}

/// Writes in flight at once during an import while Konnect does not ask for fewer (decK's
/// `--parallelism` defaults to 10).
pub const IMPORT_CONCURRENCY: usize = 8;

/// What an import's progress bar needs, sent as writes finish (at most ten times a second) and
/// when a rate-limit wait begins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ImportProgress {
    /// Creates, updates and deletes the import makes.
    pub total: u32,
    pub done: u32,
    pub rate_limit: RateLimitStatus,
}

/// Where an import's progress goes.
pub type OnImportProgress = Arc<dyn Fn(ImportProgress) + Send + Sync>;

/// Two groups side by side: their configuration difference and their analytics on the same axes.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Comparison {
    pub left_group: String,
    pub right_group: String,
    pub difference: Difference,
    pub time_frame: TimeFrame,
    pub left_requests: Option<f64>,
    pub right_requests: Option<f64>,
    pub left_error_rate: Option<f64>,
    pub right_error_rate: Option<f64>,
    pub left_p99_ms: Option<f64>,
    pub right_p99_ms: Option<f64>,
    /// Both groups' requests per bucket on one chart, and their error rates on another.
    pub requests_svg: String,
    pub error_rate_svg: String,
    /// Set when either side came from the cache.
    pub offline_reason: Option<String>,
    /// When the older of the two dashboards was fetched: the figures are as of then.
    pub fetched_at: String,
}

/// One import's writes: each through the import's client (under its limiter), counted, with
/// progress.
struct ImportRun<'a> {
    console: &'a Console,
    client: KonnectClient,
    group_id: &'a str,
    limiter: AdaptiveLimiter,
    limits: watch::Receiver<LimiterState>,
    on_progress: OnImportProgress,
    pace: ProgressPace,
    progress: ImportProgress,
    result: ImportResult,
}

/// What one write did, for the result's counts.
enum Written {
    Created,
    Updated,
    Deleted,
}

impl<'a> ImportRun<'a> {
    fn new(
        console: &'a Console,
        client: KonnectClient,
        group_id: &'a str,
        limiter: &AdaptiveLimiter,
        on_progress: OnImportProgress,
        total: usize,
    ) -> Self {
        let mut run = ImportRun {
            console,
            client,
            group_id,
            limiter: limiter.clone(),
            limits: limiter.subscribe(),
            on_progress,
            pace: ProgressPace::default(),
            progress: ImportProgress {
                total: u32::try_from(total).unwrap_or(u32::MAX),
                ..Default::default()
            },
            result: ImportResult::default(),
        };
        run.report(true);
        run
    }

    /// Creates `item`, or updates it where it has an `id`: the entity's id once written.
    fn write<'i>(
        &self,
        item: &'i Item,
        id: Option<String>,
        body: serde_json::Value,
    ) -> impl Future<Output = Result<(Written, (&'i Item, String)), ConsoleError>> + use<'a, 'i>
    {
        let (console, client, group_id) = (self.console, self.client.clone(), self.group_id);
        async move {
            let (written, saved) = match id {
                Some(id) => (
                    Written::Updated,
                    console.update_entity_via(&client, group_id, item.kind, &id, body).await,
                ),
                None => (
                    Written::Created,
                    console.create_entity_via(&client, group_id, item.kind, body).await,
                ),
            };
            let saved = saved.map_err(|e| about(item, e))?;
            let id = saved.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
            Ok((written, (item, id)))
        }
    }

    fn delete<'i>(
        &self,
        item: &'i Item,
        id: String,
    ) -> impl Future<Output = Result<(Written, ()), ConsoleError>> + use<'a, 'i> {
        let (console, client, group_id) = (self.console, self.client.clone(), self.group_id);
        async move {
            console
                .delete_entity_via(&client, group_id, item.kind, &id)
                .await
                .map_err(|e| about(item, e))?;
            Ok((Written::Deleted, ()))
        }
    }

    /// Runs `writes` at most [`IMPORT_CONCURRENCY`] at once (the limiter may allow fewer), giving
    /// each one's output to `done`; the first error stops new writes and is returned once those
    /// in flight have finished.
    async fn drive<T>(
        &mut self,
        writes: Vec<impl Future<Output = Result<(Written, T), ConsoleError>>>,
        mut done: impl FnMut(T),
    ) -> Result<(), ConsoleError> {
        let mut waiting = writes.into_iter();
        let mut in_flight = FuturesUnordered::new();
        let mut failure = None;
        loop {
            while failure.is_none() && in_flight.len() < IMPORT_CONCURRENCY {
                let Some(write) = waiting.next() else { break };
                in_flight.push(write);
            }
            if in_flight.is_empty() {
                return failure.map_or(Ok(()), Err);
            }
            tokio::select! {
                Some(finished) = in_flight.next() => match finished {
                    Ok((written, out)) => {
                        self.count(written);
                        done(out);
                    }
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                },
                // The limiter moved: a wait began or ended, or the bound changed.
                Ok(()) = self.limits.changed() => {}
            }
            self.report(false);
        }
    }

    fn count(&mut self, written: Written) {
        self.progress.done += 1;
        match written {
            Written::Created => self.result.created += 1,
            Written::Updated => self.result.updated += 1,
            Written::Deleted => self.result.deleted += 1,
        }
    }

    fn report(&mut self, force: bool) {
        self.progress.rate_limit = self.limiter.state().into();
        if self.pace.due(&self.progress.rate_limit, force) {
            (self.on_progress)(self.progress.clone());
        }
    }

    fn finish(mut self) -> ImportResult {
        self.report(true);
        self.result
    }
}

/// An entity's failure, saying which entity.
fn about(item: &Item, e: ConsoleError) -> ConsoleError {
    ConsoleError { message: format!("{} '{}': {}", item.kind, item.key, e.message), ..e }
}

/// Saves an export as `dir/name`, never overwriting: `name (2).ext` and so on. Returns the path.
pub fn save_file(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> Result<std::path::PathBuf, ConsoleError> {
    let safe: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' })
        .collect();
    std::fs::create_dir_all(dir)
        .map_err(|e| ConsoleError::local(format!("Cannot create {}: {e}", dir.display())))?;
    let (stem, ext) = safe
        .rsplit_once('.')
        .map(|(s, e)| (s.to_string(), format!(".{e}")))
        .unwrap_or((safe.clone(), String::new()));
    let mut path = dir.join(&safe);
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{stem} ({n}){ext}"));
        n += 1;
    }
    std::fs::write(&path, bytes)
        .map_err(|e| ConsoleError::local(format!("Cannot write {}: {e}", path.display())))?;
    Ok(path)
}

impl Console {
    /// Every entity of the group, live (and cached) or, offline, as last synced.
    async fn group_state(
        &self,
        group_id: &str,
    ) -> Result<(Vec<(EntityKind, serde_json::Value)>, Option<String>), ConsoleError> {
        self.group_state_via(&self.client, group_id).await
    }

    /// [`Console::group_state`] read through `client` (an import's, under its limiter).
    async fn group_state_via(
        &self,
        client: &KonnectClient,
        group_id: &str,
    ) -> Result<(Vec<(EntityKind, serde_json::Value)>, Option<String>), ConsoleError> {
        let mut all = Vec::new();
        let mut offline = None;
        for kind in EntityKind::ALL {
            match client.list_all_entities(group_id, kind.path()).await {
                Ok(rows) => {
                    self.cache
                        .replace_kind(
                            self.profile().id(),
                            group_id,
                            kind.path(),
                            rows.clone(),
                            now(),
                        )
                        .await?;
                    all.extend(rows.into_iter().map(|r| (kind, r)));
                }
                Err(konnect::KonnectError::Api(e)) if e.status == 404 => {}
                Err(e) => {
                    let err = ConsoleError::from(e);
                    if !matches!(err.code, ErrorCode::Offline | ErrorCode::RateLimited) {
                        return Err(err);
                    }
                    if self.cache.synced_hash(self.profile().id(), group_id).await?.is_none()
                        && self
                            .cache
                            .entities(self.profile().id(), group_id, None)
                            .await?
                            .is_empty()
                    {
                        return Err(err);
                    }
                    offline = Some(err.message);
                    all = self
                        .cache
                        .entities(self.profile().id(), group_id, None)
                        .await?
                        .into_iter()
                        .filter_map(|(k, b, _)| Some((EntityKind::from_path(&k)?, b)))
                        .collect();
                    break;
                }
            }
        }
        self.invalidate_search();
        Ok((all, offline))
    }

    async fn group_name(&self, group_id: &str) -> Result<String, ConsoleError> {
        let groups = self.cache.groups(self.profile().id()).await?;
        Ok(groups
            .into_iter()
            .find(|g| g.group.id == group_id)
            .map(|g| g.group.name)
            .unwrap_or_else(|| group_id.to_string()))
    }

    /// The group as a decK file, `yaml` or `json` (works offline from the cache).
    pub async fn export_group(
        &self,
        group_id: &str,
        format: impl Term<ExportFormat>,
    ) -> Result<String, ConsoleError> {
        let format = format.term()?;
        let (entities, _) = self.group_state(group_id).await?;
        let doc = declarative::to_deck(
            &self.group_name(group_id).await?,
            &declarative::from_entities(&entities),
        );
        match format {
            ExportFormat::Json => {
                serde_json::to_string_pretty(&doc).map_err(|e| ConsoleError::local(e.to_string()))
            }
            ExportFormat::Yaml => crate::yaml::to_string(&doc),
        }
    }

    async fn live_declared(
        &self,
        client: &KonnectClient,
        group_id: &str,
    ) -> Result<Declared, ConsoleError> {
        let (entities, offline) = self.group_state_via(client, group_id).await?;
        if let Some(reason) = offline {
            return Err(ConsoleError::new(
                ErrorCode::Offline,
                format!("An import needs the group's current configuration: {reason}"),
            ));
        }
        Ok(declarative::from_entities(&entities))
    }

    fn parse_file(text: &str) -> Result<Declared, ConsoleError> {
        declarative::from_deck(text).map_err(|reason| ConsoleError::field("file", reason))
    }

    /// What importing `file` into the group would create, update and delete; nothing is changed.
    pub async fn plan_import(
        &self,
        group_id: &str,
        file: &str,
    ) -> Result<ImportPlan, ConsoleError> {
        let want = Self::parse_file(file)?;
        let client = self.client.with_limiter(AdaptiveLimiter::new(IMPORT_CONCURRENCY));
        Ok(declarative::plan(&self.live_declared(&client, group_id).await?, &want))
    }

    /// [`Console::apply_import_with_progress`] without progress.
    pub async fn apply_import(
        &self,
        group_id: &str,
        file: &str,
    ) -> Result<ImportResult, ConsoleError> {
        self.apply_import_with_progress(group_id, file, Arc::new(|_| {})).await
    }

    /// Makes the group what `file` declares: creates and updates parents first, deletes
    /// dependants first. Re-plans against the live state, so it applies what the preview showed
    /// unless the group changed in between. The entities of one kind are written concurrently
    /// under one adaptive limiter (a kind refers only to kinds written before it), which sends
    /// fewer at once after a 429 and waits what `Retry-After` asks; the first write that fails
    /// stops the import, after the writes already in flight have finished.
    pub async fn apply_import_with_progress(
        &self,
        group_id: &str,
        file: &str,
        on_progress: OnImportProgress,
    ) -> Result<ImportResult, ConsoleError> {
        let want = Self::parse_file(file)?;
        let limiter = AdaptiveLimiter::new(IMPORT_CONCURRENCY);
        let client = self.client.with_limiter(limiter.clone());
        let have = self.live_declared(&client, group_id).await?;
        let plan = declarative::plan(&have, &want);
        let mut ids: HashMap<(EntityKind, String), String> =
            have.values().filter_map(|i| Some(((i.kind, i.key.clone()), i.id.clone()?))).collect();
        let changing: HashSet<(EntityKind, &str)> = plan
            .create
            .iter()
            .map(|e| (e.kind, e.key.as_str()))
            .chain(plan.update.iter().map(|c| (c.kind, c.key.as_str())))
            .collect();
        let doomed: HashSet<(EntityKind, &str)> =
            plan.delete.iter().map(|e| (e.kind, e.key.as_str())).collect();
        let total = changing.len() + doomed.len();
        let mut run = ImportRun::new(self, client, group_id, &limiter, on_progress, total);
        for kind in EntityKind::ALL {
            let writes = want
                .values()
                .filter(|i| i.kind == kind && changing.contains(&(i.kind, i.key.as_str())))
                .map(|item| {
                    let body = declarative::to_api_body(item, &ids)
                        .map_err(|r| ConsoleError::field("file", r))?;
                    Ok(run.write(item, ids.get(&(item.kind, item.key.clone())).cloned(), body))
                })
                .collect::<Result<Vec<_>, ConsoleError>>()?;
            run.drive(writes, |(item, id)| {
                ids.insert((item.kind, item.key.clone()), id);
            })
            .await?;
        }
        for kind in EntityKind::ALL.into_iter().rev() {
            let deletes = have
                .values()
                .filter(|i| i.kind == kind && doomed.contains(&(i.kind, i.key.as_str())))
                .filter_map(|item| Some(run.delete(item, item.id.clone()?)));
            run.drive(deletes.collect(), |()| {}).await?;
        }
        Ok(run.finish())
    }

    /// Two groups compared: entity differences and analytics for one time frame on shared axes.
    pub async fn compare_groups(
        &self,
        left: &str,
        right: &str,
        time_frame: impl Term<TimeFrame>,
    ) -> Result<Comparison, ConsoleError> {
        let time_frame = time_frame.term()?;
        if left == right {
            return Err(ConsoleError::field("right", "Pick two different runtime groups."));
        }
        let (l_entities, l_off) = self.group_state(left).await?;
        let (r_entities, r_off) = self.group_state(right).await?;
        let difference = declarative::difference(
            &declarative::from_entities(&l_entities),
            &declarative::from_entities(&r_entities),
        );
        let (ld, rd) = (
            self.group_dashboard(left, time_frame).await?,
            self.group_dashboard(right, time_frame).await?,
        );
        let (ln, rn) = (self.group_name(left).await?, self.group_name(right).await?);
        let spec = |measure| {
            crate::analytics::compare_spec((&ln, &ld.traffic), (&rn, &rd.traffic), measure)
                .over(time_frame, &ld.fetched_at)
        };
        Ok(Comparison {
            requests_svg: crate::analytics::render_svg(&spec("requests")),
            error_rate_svg: crate::analytics::render_svg(&spec("error_rate")),
            left_group: ln,
            right_group: rn,
            difference,
            time_frame,
            left_requests: ld.requests.value,
            right_requests: rd.requests.value,
            left_error_rate: ld.error_rate.value,
            right_error_rate: rd.error_rate.value,
            left_p99_ms: ld.p99_latency_ms.value,
            right_p99_ms: rd.p99_latency_ms.value,
            offline_reason: l_off.or(r_off).or(ld.offline_reason).or(rd.offline_reason),
            fetched_at: ld.fetched_at.clone().min(rd.fetched_at.clone()),
        })
    }

    /// One dashboard chart (`traffic` or `error_rate`) as PNG bytes, from the live or cached
    /// dashboard.
    pub async fn export_chart_png(
        &self,
        group_id: &str,
        time_frame: impl Term<TimeFrame>,
        chart: &str,
    ) -> Result<Vec<u8>, ConsoleError> {
        let time_frame = time_frame.term()?;
        let d = self.group_dashboard(group_id, time_frame).await?;
        let spec = match chart {
            "traffic" => crate::analytics::traffic_spec(&d.traffic).over(time_frame, &d.fetched_at),
            "error_rate" => {
                crate::analytics::error_rate_spec(&d.traffic).over(time_frame, &d.fetched_at)
            }
            _ => return Err(ConsoleError::field("chart", "must be traffic or error_rate")),
        };
        crate::analytics::render_png(&spec).map_err(ConsoleError::local)
    }
}
