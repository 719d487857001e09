//! Console benchmark: a full sync of 200 groups × 5,000 entities (1,000,000) through a proxy that
//! adds 50 ms to every round trip, the requests a no-change refresh makes, the memory of the
//! console after caching them (and after indexing them for search), a search over 10,000 routes
//! and over 1,000,000 entities, and one chart render. Prints one figure a line beside its goal;
//! timings are medians.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use console::search::{SearchIndex, SearchItem};
use console::sync::CancelToken;
use console::{Console, EntityKind, Profile};
use control_plane::entities::schema::{kind, Kind};
use control_plane::entities::store as entity_store;
use control_plane::entities::validate::{validate_owned, Validated};
use control_plane::store::Store;
use konnect::KonnectClient;
use serde_json::json;
use system_tests::faults;
use system_tests::processes::{self, free_port};
use system_tests::ADMIN_TOKEN;

const SERVICES_PER_GROUP: usize = 2_500;
const ROUTES_PER_GROUP: usize = 2_500;
const RTT: Duration = Duration::from_millis(50);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A search over 1,000,000 cached entities of 200 groups (services, routes and consumers, as a
/// large organization's cache holds them), built as the console builds its index.
fn search_a_million() {
    let groups: Vec<Arc<(String, String)>> =
        (0..200).map(|g| Arc::new((format!("group-{g:03}"), format!("team-{g:03}")))).collect();
    let items: Vec<SearchItem> = (0..1_000_000usize)
        .filter_map(|i| {
            let group = groups[i % groups.len()].clone();
            let id = format!("{:08x}-0000-4000-8000-{i:012}", i * 7919);
            let (kind, body) = match i % 3 {
                0 => (
                    EntityKind::Services,
                    json!({"id": id, "name": format!("svc-{i:07}-orders"),
                           "host": format!("orders-{}.internal", i % 97), "tags": ["team-a"]}),
                ),
                1 => (
                    EntityKind::Routes,
                    json!({"id": id, "name": format!("route-{i:07}-users-api"),
                           "paths": [format!("/users/{i}")], "hosts": ["api.example.com"]}),
                ),
                _ => (EntityKind::Consumers, json!({"id": id, "username": format!("user-{i:07}")})),
            };
            SearchItem::from_entity(kind, &body, group)
        })
        .collect();
    let index = SearchIndex::new(items);
    let queries = ["usr", "route-0999", "/users/42", "team", "zzz", "8000-000000012345"];
    let (mut times, mut each) = (Vec::new(), Vec::new());
    for q in queries {
        let mut mine = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            std::hint::black_box(index.search(q, 20));
            mine.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.extend(&mine);
        each.push(format!("{q} {:.1}", median(mine)));
    }
    println!(
        "search over {} cached entities of 200 groups (per query, ms: {}): median {:.2} ms (goal \
         <= 20 ms)",
        index.len(),
        each.join(", "),
        median(times)
    );
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// Creates the groups through the API of a first control-plane process; their ids in order.
async fn create_groups(data: &Path, groups: usize) -> Vec<String> {
    let (api_port, cluster_port) = (free_port(), free_port());
    let _cp = processes::control_plane(data, api_port, cluster_port);
    let base = format!("http://127.0.0.1:{api_port}");
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for g in 0..groups {
        let r = http
            .post(format!("{base}/v2/control-planes"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": format!("group-{g:03}")}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        let r: serde_json::Value = r.json().await.unwrap();
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    ids
}

/// One group's entities as a POST would store them: (kind, new id, validated body).
type GroupEntities = Vec<(&'static Kind, String, Validated)>;

/// Services, then routes each on a service, validated as the API validates a POST body.
fn group_entities() -> GroupEntities {
    let (services, routes) = (kind("services").unwrap(), kind("routes").unwrap());
    let new_id = || uuid::Uuid::new_v4().to_string();
    let valid = |k: &'static Kind, body: serde_json::Value| {
        let serde_json::Value::Object(body) = body else { unreachable!() };
        validate_owned(k, body).unwrap_or_else(|e| panic!("{e:?}"))
    };
    let service_ids: Vec<String> = (0..SERVICES_PER_GROUP).map(|_| new_id()).collect();
    let mut out: GroupEntities = service_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let body = json!({"name": format!("svc-{i:05}"), "host": format!("svc-{i}.internal")});
            (services, id.clone(), valid(services, body))
        })
        .collect();
    out.extend((0..ROUTES_PER_GROUP).map(|i| {
        let body = json!({
            "name": format!("route-{i:05}"),
            "paths": [format!("/r{i}")],
            "service": {"id": service_ids[i % service_ids.len()]},
        });
        (routes, new_id(), valid(routes, body))
    }));
    out
}

/// Seeds the groups' entities through the control plane's own store code, with no process
/// running: each body validated and stored as a POST stores it (references, unique names, the
/// config version), one transaction per group. A million POSTs would take many minutes; this
/// takes about a minute and a half. The next group's bodies are validated while one is written.
async fn seed_entities(data: &Path, group_ids: Vec<String>) {
    let store = Store::open(&Store::path_in(data)).unwrap();
    // Room for a group's tables and indexes in SQLite's page cache (2 MB by default): a group's
    // random ids land all over its range, and every miss is a read back from the file.
    store.call(|c| c.pragma_update(None, "cache_size", -256_000)).await.unwrap();
    let (tx, rx) = std::sync::mpsc::sync_channel::<GroupEntities>(1);
    let groups = group_ids.len();
    let validating = std::thread::spawn(move || {
        for _ in 0..groups {
            tx.send(group_entities()).unwrap();
        }
    });
    for (gid, entities) in group_ids.into_iter().zip(rx) {
        store
            .call(move |c| {
                let tx = c.transaction()?;
                for (kind, id, body) in entities {
                    if let Err(e) = entity_store::write(&tx, &gid, kind, &id, body) {
                        panic!("seeding {}: {e:?}", kind.path);
                    }
                }
                tx.commit()
            })
            .await
            .unwrap();
    }
    validating.join().unwrap();
}

/// Asks every group's expected config hash directly, so the control plane has hashed each
/// group's seeded config before the timed sync (as Konnect has) rather than during it.
async fn hashes_ready(base: &str) -> usize {
    let direct = KonnectClient::new(base, ADMIN_TOKEN).unwrap();
    let groups = direct.list_all_control_planes().await.unwrap();
    for g in &groups {
        direct.expected_config_hash(&g.id).await.unwrap();
    }
    groups.len()
}

#[tokio::main]
async fn main() {
    // CONSOLE_BENCH_ONLY=search runs the million-entity search alone, for profiling it.
    if std::env::var("CONSOLE_BENCH_ONLY").as_deref() == Ok("search") {
        search_a_million();
        return;
    }
    // CONSOLE_BENCH_GROUPS scales the org down for profiling; the figures are for 200.
    let groups: usize =
        std::env::var("CONSOLE_BENCH_GROUPS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    // CONSOLE_BENCH_SEED=<data dir>: the bench run as the seeding process (see below).
    if let Ok(data) = std::env::var("CONSOLE_BENCH_SEED") {
        let ids = create_groups(Path::new(&data), groups).await;
        seed_entities(Path::new(&data), ids).await;
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // CONSOLE_BENCH_DATA keeps the seeded control plane between runs while profiling.
    let data = std::env::var("CONSOLE_BENCH_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().join("cp"));
    if !data.join("seeded").exists() {
        let seeding = Instant::now();
        // In a process of its own, so the console's memory figures below do not count it.
        let seeder = std::process::Command::new(std::env::current_exe().unwrap())
            .env("CONSOLE_BENCH_SEED", &data)
            .env("CONSOLE_BENCH_GROUPS", groups.to_string())
            .status()
            .unwrap();
        assert!(seeder.success(), "seeding failed: {seeder}");
        std::fs::write(data.join("seeded"), b"").unwrap();
        eprintln!(
            "seeded {} entities in {:.1} s",
            groups * (SERVICES_PER_GROUP + ROUTES_PER_GROUP),
            seeding.elapsed().as_secs_f64()
        );
    }
    let (api_port, cluster_port) = (free_port(), free_port());
    let _cp = processes::control_plane(&data, api_port, cluster_port);
    let base = format!("http://127.0.0.1:{api_port}");
    let hashing = Instant::now();
    let listed = hashes_ready(&base).await;
    eprintln!(
        "control plane up with {listed} groups hashed in {:.1} s",
        hashing.elapsed().as_secs_f64()
    );
    let proxy = faults::start(base.clone()).await;
    proxy.set_latency(RTT);
    let client = KonnectClient::new(&proxy.base, ADMIN_TOKEN).unwrap();
    let app = tempfile::tempdir().unwrap();
    let console = Console::new(Profile::local(), client, &app.path().join("cache.sqlite")).unwrap();
    let rss_before = rss_mb();

    // 1. Full sync: every request counted; the bound is 1.2 × requests × RTT ÷ the sync's
    //    maximum concurrency (its default; the adaptive limiter only lowers it after a 429).
    proxy.script(vec![]);
    let started = Instant::now();
    let report = console.sync(Arc::new(|_| {}), CancelToken::default()).await.unwrap();
    let full = started.elapsed().as_secs_f64();
    let requests = proxy.seen();
    let concurrency = console::sync::DEFAULT_CONCURRENCY;
    let bound = 1.2 * requests as f64 * RTT.as_secs_f64() / concurrency as f64;
    assert!(report.failed.is_empty(), "{report:?}");
    println!(
        "full sync of {} groups × {} entities, {} ms added RTT: {:.2} s, {} requests (goal <= 1.2 \
            × requests × RTT ÷ concurrency = 1.2 × {} × {} ms ÷ {} (the sync's maximum and default \
            concurrency) = {:.2} s)",
        report.progress.groups_total - 1,
        SERVICES_PER_GROUP + ROUTES_PER_GROUP,
        RTT.as_millis(),
        full,
        requests,
        requests,
        RTT.as_millis(),
        concurrency,
        bound
    );
    // Memory right after the sync: what caching a million entities leaves the console holding.
    let rss_synced = rss_mb();
    println!(
        "RSS after a full sync of {} entities: {:.0} MB (before: {:.0} MB; goal <= 300 MB)",
        report.progress.entities_done, rss_synced, rss_before
    );
    println!("entities synced: {}", report.progress.entities_done);
    // The same sync into an empty cache with no added RTT: what the machine itself costs.
    {
        proxy.set_latency(Duration::ZERO);
        let fresh = Console::new(
            Profile::local(),
            KonnectClient::new(&proxy.base, ADMIN_TOKEN).unwrap(),
            &app.path().join("fresh.sqlite"),
        )
        .unwrap();
        let t = Instant::now();
        fresh.sync(Arc::new(|_| {}), CancelToken::default()).await.unwrap();
        println!(
            "the same full sync with no added RTT (local processing alone): {:.2} s",
            t.elapsed().as_secs_f64()
        );
        proxy.set_latency(RTT);
    }

    // 2. A refresh with nothing changed.
    proxy.script(vec![]);
    let again = console.sync(Arc::new(|_| {}), CancelToken::default()).await.unwrap();
    // The group list is read in pages of 100 (the client's page size) up to a short one.
    let list_pages = again.progress.groups_total as u64 / 100 + 1;
    let per_group = (proxy.seen() - list_pages) as f64 / again.progress.groups_total as f64;
    println!(
        "no-change refresh: {} requests for {} groups = {:.2} per group plus the group list's {} \
            pages (goal <= 2 per group)",
        proxy.seen(),
        again.progress.groups_total,
        per_group,
        list_pages
    );

    // 3. Memory once the search index over every cached entity is built (the first search).
    let t = Instant::now();
    let _ = console.search("svc", 5).await.unwrap();
    println!(
        "RSS after indexing the {} cached entities for search ({:.1} s): {:.0} MB",
        report.progress.entities_done,
        t.elapsed().as_secs_f64(),
        rss_mb()
    );

    // 4. A search over 10,000 routes.
    let (kind, group) = (EntityKind::Routes, Arc::new(("g".to_string(), "group".to_string())));
    let routes: Vec<SearchItem> = (0..10_000)
        .filter_map(|i| {
            SearchItem::from_entity(
                kind,
                &json!({
                    "id": format!("00000000-0000-4000-8000-{i:012}"),
                    "name": format!("route-{i:05}-users-api"),
                    "paths": [format!("/users/{i}")],
                    "hosts": ["api.example.com"],
                    "tags": ["team-a"],
                }),
                group.clone(),
            )
        })
        .collect();
    let index = SearchIndex::new(routes);
    let mut times = Vec::new();
    for q in ["usr", "route-0999", "/users/42", "team", "zzz"].iter().cycle().take(100) {
        let t = Instant::now();
        std::hint::black_box(index.search(q, 20));
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("search over {} routes: median {:.2} ms (goal <= 10 ms)", index.len(), median(times));
    search_a_million();

    // 5. One chart render: a 24-hour traffic chart, 288 five-minute buckets × 3 series.
    let now = chrono::Utc::now().timestamp();
    let points: Vec<console::analytics::TrafficPoint> = (0..288)
        .map(|i| console::analytics::TrafficPoint {
            timestamp: chrono::DateTime::from_timestamp(now - (288 - i) * 300, 0)
                .unwrap()
                .to_rfc3339(),
            success: 900.0 + (i % 17) as f64 * 10.0,
            client_errors: 40.0 + (i % 5) as f64,
            server_errors: (i % 7) as f64,
        })
        .collect();
    let spec = console::analytics::traffic_spec(&points);
    let (mut svg, mut png) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        let t = Instant::now();
        std::hint::black_box(console::analytics::render_svg(&spec));
        svg.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        std::hint::black_box(console::analytics::render_png(&spec).unwrap());
        png.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "chart render (24 h, 288 buckets × 3 series): SVG median {:.2} ms (goal <= 5 ms); PNG \
            export median {:.2} ms",
        median(svg),
        median(png)
    );
}
