//! Konnect's rate limit obeyed end to end: a real control-plane process behind a proxy that
//! answers 429 to one request in five; an import of 10,000 entities writes each of them once, and
//! a sync through the same proxy caches every group, both reporting the waits as they happen.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use console::cache::Cache;
use console::sync::{CancelToken, SyncProgress};
use console::transfer::{ImportProgress, ImportResult};
use console::{Console, NewRuntimeGroup, Profile};
use konnect::KonnectClient;
use system_tests::faults::{self, RateLimit};
use system_tests::processes::{self, free_port};
use system_tests::ADMIN_TOKEN;

/// Services in the file, each with one route: 10,000 entities.
const SERVICES: usize = 5_000;

/// One request in this many is answered 429.
const ONE_IN: u64 = 5;

/// A decK file of `SERVICES` services, each with a route nested in it.
fn deck_file() -> String {
    let services: Vec<serde_json::Value> = (0..SERVICES)
        .map(|i| {
            serde_json::json!({
                "name": format!("svc-{i:05}"),
                "host": format!("svc-{i}.internal"),
                "routes": [{ "name": format!("route-{i:05}"), "paths": [format!("/svc-{i}")] }],
            })
        })
        .collect();
    serde_json::json!({ "_format_version": "3.0", "services": services }).to_string()
}

/// Where a sync or an import reports its progress, as the console takes it.
type OnProgress<P> = Arc<dyn Fn(P) + Send + Sync>;

/// A progress callback and everything it was given.
fn recorder<P: Send + 'static>() -> (OnProgress<P>, Arc<Mutex<Vec<P>>>) {
    let seen: Arc<Mutex<Vec<P>>> = Arc::default();
    let into = seen.clone();
    (Arc::new(move |p| into.lock().unwrap().push(p)), seen)
}

/// How many entities of `kind` the control plane holds under each name.
async fn names(direct: &KonnectClient, group: &str, kind: &str) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for e in direct.list_all_entities(group, kind).await.unwrap() {
        *count.entry(e["name"].as_str().unwrap_or_default().to_string()).or_default() += 1;
    }
    count
}

fn expected(prefix: &str) -> BTreeMap<String, usize> {
    (0..SERVICES).map(|i| (format!("{prefix}-{i:05}"), 1)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_and_a_sync_through_429s_write_each_entity_once_and_cache_every_group() {
    let data = tempfile::tempdir().unwrap();
    let api_port = free_port();
    let _control_plane = processes::control_plane(data.path(), api_port, free_port());
    let base = format!("http://127.0.0.1:{api_port}");
    let direct = KonnectClient::new(&base, ADMIN_TOKEN).unwrap();
    let proxy = faults::start(base.clone()).await;
    let app = tempfile::tempdir().unwrap();
    let cache_path = app.path().join("cache.sqlite");
    let console = Console::new(
        Profile::local(),
        KonnectClient::new(&proxy.base, ADMIN_TOKEN).unwrap(),
        &cache_path,
    )
    .unwrap();
    let form = NewRuntimeGroup { name: "bulk".into(), ..Default::default() };
    console.create_group(form).await.unwrap();
    let groups = direct.list_all_control_planes().await.unwrap();
    let bulk = groups.iter().find(|g| g.name == "bulk").unwrap().id.clone();

    // Import: 2 ms to wait (`retry-after-ms`, beside `Retry-After: 1`), so that some 2,500 waits
    // fit in the test's time: every wait holds all requests back, so they add up one after another.
    proxy.rate_limit(Some(RateLimit { every: ONE_IN, retry_after: Duration::from_millis(2) }));
    let file = deck_file();
    let plan = console.plan_import(&bulk, &file).await.unwrap();
    assert_eq!((plan.create.len(), plan.update.len()), (2 * SERVICES, 0));
    proxy.record();
    let (on_progress, import_progress) = recorder::<ImportProgress>();
    let started = Instant::now();
    let result = console.apply_import_with_progress(&bulk, &file, on_progress).await.unwrap();
    let took = started.elapsed();
    let import_429s = proxy.rate_limited();
    let writes = proxy.take_recorded().into_iter().filter(|r| r.method == "POST").count();
    assert_eq!(result, ImportResult { created: 2 * SERVICES as u32, updated: 0, deleted: 0 });
    assert_eq!(
        writes,
        2 * SERVICES,
        "each entity was written once: a 429'd write was sent again, never an applied one"
    );
    assert_eq!(names(&direct, &bulk, "services").await, expected("svc"), "none missing or twice");
    assert_eq!(names(&direct, &bulk, "routes").await, expected("route"));
    let import_progress = std::mem::take(&mut *import_progress.lock().unwrap());
    let last = import_progress.last().unwrap();
    assert_eq!((last.done, last.total), (2 * SERVICES as u32, 2 * SERVICES as u32));
    assert!(
        last.rate_limit.rate_limited as u64 >= 2 * SERVICES as u64 / ONE_IN,
        "one write in five, at least, met a 429: {:?}",
        last.rate_limit
    );
    let waits = import_progress.iter().filter(|p| p.rate_limit.rate_limited_until.is_some());
    assert!(waits.count() > 0, "the progress said it was waiting on the rate limit");
    let least = import_progress.iter().map(|p| p.rate_limit.concurrency).min().unwrap();
    assert_eq!(least, 1, "429s brought the writes in flight down to one");
    println!(
        "import of {} entities through a 429 to one request in {ONE_IN}: {:.1} s, {import_429s} \
         429s, {} progress events",
        2 * SERVICES,
        took.as_secs_f64(),
        import_progress.len()
    );

    // Sync: whole seconds to wait, as Konnect would ask.
    proxy.rate_limit(Some(RateLimit { every: ONE_IN, retry_after: Duration::from_secs(1) }));
    let before = proxy.rate_limited();
    let (on_progress, sync_progress) = recorder::<SyncProgress>();
    let started = Instant::now();
    let report = console.sync(on_progress, CancelToken::default()).await.unwrap();
    let took = started.elapsed();
    let sync_429s = proxy.rate_limited() - before;
    assert!(report.failed.is_empty() && !report.cancelled, "{report:?}");
    assert_eq!(report.progress.groups_done, groups.len() as u32);
    // The sync's own requests met 429s (the schemas it caches afterwards go outside its limiter).
    let met = report.progress.rate_limit.rate_limited as u64;
    assert!(met > 0 && met <= sync_429s, "{met} of {sync_429s}");
    let sync_progress = std::mem::take(&mut *sync_progress.lock().unwrap());
    let waited = sync_progress.iter().find_map(|p| p.rate_limit.rate_limited_until.clone());
    assert!(waited.is_some(), "the sync's progress said it was waiting");
    let cache = Cache::open(&cache_path).unwrap();
    let profile = Profile::local();
    let cached = cache.groups(profile.id()).await.unwrap();
    assert_eq!(cached.len(), groups.len(), "every group is cached");
    for g in &groups {
        assert!(cache.synced_hash(profile.id(), &g.id).await.unwrap().is_some(), "{}", g.name);
    }
    let entities = cache.entities(profile.id(), &bulk, None).await.unwrap();
    assert_eq!(entities.len(), 2 * SERVICES, "the imported group is cached whole");
    println!(
        "sync of {} groups ({} entities) through a 429 to one request in {ONE_IN} with \
         Retry-After: 1: {:.1} s, {sync_429s} 429s",
        groups.len(),
        report.progress.entities_done,
        took.as_secs_f64()
    );
}
