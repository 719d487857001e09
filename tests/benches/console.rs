//! Console benchmark: a full sync of 20 groups × 5,000 entities through a proxy that adds 50 ms
//! to every round trip, the requests a no-change refresh makes, the memory of the console after
//! caching those 100,000 entities, a search over 10,000 routes, and one chart render.
//! Prints one figure a line beside its goal; timings are medians.

use std::sync::Arc;
use std::time::{Duration, Instant};

use console::search::{SearchIndex, SearchItem};
use console::sync::CancelToken;
use console::{Console, EntityKind, Profile};
use konnect::KonnectClient;
use serde_json::json;
use system_tests::faults;
use system_tests::processes::{self, free_port};
use system_tests::ADMIN_TOKEN;
use tokio::task::JoinSet;

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

/// Creates `n` entities at `path` with bodies from `body`, 16 requests in flight.
async fn create_many(
    http: &reqwest::Client,
    url: String,
    n: usize,
    body: impl Fn(usize) -> serde_json::Value,
) -> Vec<String> {
    let mut ids = vec![String::new(); n];
    let mut tasks = JoinSet::new();
    for i in 0..n {
        while tasks.len() >= 16 {
            let (j, id) = tasks.join_next().await.unwrap().unwrap();
            ids[j] = id;
        }
        let (http, url, b) = (http.clone(), url.clone(), body(i));
        tasks.spawn(async move {
            let r = http.post(&url).bearer_auth(ADMIN_TOKEN).json(&b).send().await.unwrap();
            assert!(
                r.status().is_success(),
                "{} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
            let v: serde_json::Value = r.json().await.unwrap();
            (i, v["id"].as_str().unwrap().to_string())
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (j, id) = done.unwrap();
        ids[j] = id;
    }
    ids
}

#[tokio::main]
async fn main() {
    // CONSOLE_BENCH_ONLY=search runs the million-entity search alone, for profiling it.
    if std::env::var("CONSOLE_BENCH_ONLY").as_deref() == Ok("search") {
        search_a_million();
        return;
    }
    // CONSOLE_BENCH_GROUPS scales the org down for profiling; the figures are for 20.
    let groups: usize =
        std::env::var("CONSOLE_BENCH_GROUPS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let tmp = tempfile::tempdir().unwrap();
    // CONSOLE_BENCH_DATA keeps the seeded control plane between runs while profiling.
    let data = std::env::var("CONSOLE_BENCH_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().join("cp"));
    let seeded = data.join("seeded").exists();
    let (api_port, cluster_port) = (free_port(), free_port());
    let _cp = processes::control_plane(&data, api_port, cluster_port);
    let base = format!("http://127.0.0.1:{api_port}");
    let http = reqwest::Client::new();

    let seeding = Instant::now();
    for g in (0..groups).filter(|_| !seeded) {
        let r: serde_json::Value = http
            .post(format!("{base}/v2/control-planes"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": format!("group-{g:02}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let gid = r["id"].as_str().unwrap().to_string();
        let svc_ids = create_many(
            &http,
            format!("{base}/v2/control-planes/{gid}/core-entities/services"),
            SERVICES_PER_GROUP,
            |i| json!({"name": format!("svc-{i:05}"), "host": format!("svc-{i}.internal")}),
        )
        .await;
        create_many(
            &http,
            format!("{base}/v2/control-planes/{gid}/core-entities/routes"),
            ROUTES_PER_GROUP,
            |i| {
                json!({
                    "name": format!("route-{i:05}"),
                    "paths": [format!("/r{i}")],
                    "service": {"id": svc_ids[i % svc_ids.len()]},
                })
            },
        )
        .await;
    }
    std::fs::write(data.join("seeded"), b"").unwrap();
    eprintln!(
        "seeded {} entities in {:.1} s",
        groups * (SERVICES_PER_GROUP + ROUTES_PER_GROUP),
        seeding.elapsed().as_secs_f64()
    );

    if std::env::var("CONSOLE_BENCH_DIAG").is_ok() {
        let direct = KonnectClient::new(&base, ADMIN_TOKEN).unwrap();
        let gid = direct
            .list_all_control_planes()
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.name == "group-00")
            .unwrap()
            .id;
        for _ in 0..3 {
            let t = Instant::now();
            let (rows, _) = direct.list_entities_page(&gid, "routes", None).await.unwrap();
            let fetch = t.elapsed();
            let t = Instant::now();
            let r = http
                .get(format!("{base}/v2/control-planes/{gid}/core-entities/routes?size=1000"))
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            eprintln!(
                "diag: page of {} routes via client {:?}; raw HTTP {:?} ({} bytes)",
                rows.len(),
                fetch,
                t.elapsed(),
                r.len()
            );
        }
    }
    let proxy = faults::start(base.clone()).await;
    proxy.set_latency(RTT);
    let client = KonnectClient::new(&proxy.base, ADMIN_TOKEN).unwrap();
    let app = tempfile::tempdir().unwrap();
    let console = Console::new(Profile::local(), client, &app.path().join("cache.sqlite")).unwrap();
    let rss_before = rss_mb();

    // 1. Full sync: every request counted; the bound is 1.5 × requests × RTT ÷ concurrency.
    proxy.script(vec![]);
    let started = Instant::now();
    let report = console.sync(Arc::new(|_| {}), CancelToken::default()).await.unwrap();
    let full = started.elapsed().as_secs_f64();
    let requests = proxy.seen();
    let bound =
        1.5 * requests as f64 * RTT.as_secs_f64() / console::sync::DEFAULT_CONCURRENCY as f64;
    assert!(report.failed.is_empty(), "{report:?}");
    println!(
        "full sync of {} groups × {} entities, {} ms added RTT: {:.2} s, {} requests (goal <= 1.5 \
            × requests × RTT ÷ concurrency {} = {:.2} s)",
        report.progress.groups_total - 1,
        SERVICES_PER_GROUP + ROUTES_PER_GROUP,
        RTT.as_millis(),
        full,
        requests,
        console::sync::DEFAULT_CONCURRENCY,
        bound
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
    let per_group = (proxy.seen() as f64 - 1.0) / again.progress.groups_total as f64;
    println!(
        "no-change refresh: {} requests for {} groups = {:.2} per group plus the group list (goal \
            <= 2 per group)",
        proxy.seen(),
        again.progress.groups_total,
        per_group
    );

    // 3. Memory after caching 100,000 entities (and building the search index over them).
    let _ = console.search("svc", 5).await.unwrap();
    println!(
        "RSS after caching {} entities and indexing them for search: {:.0} MB (before: {:.0} MB; \
            goal <= 150 MB)",
        report.progress.entities_done,
        rss_mb(),
        rss_before
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
