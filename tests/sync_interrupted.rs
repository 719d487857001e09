//! A sync killed at a random point (SIGKILL of a real `sync-once` process, fifty times) leaves
//! every group in the cache wholly old or wholly new, and the cache opens at once afterwards.
//!
//! Every service and route carries a `gen-<n>` tag; each round syncs an organization where every
//! one of them has changed, kills the sync after a seeded random delay, then opens the cache as
//! the app does and reads every group back.
//!
//! Replay a failure with the seed it printed: `SYNC_KILL_SEED=<n> cargo test -p system-tests
//! --test sync_interrupted -- --nocapture`; `SYNC_KILL_ROUNDS` changes the number of rounds.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use console::cache::Cache;
use console::{Console, Profile};
use konnect::{KonnectClient, Region, RetryPolicy};
use serde_json::json;
use system_tests::faults;
use system_tests::processes::{self, free_port};
use system_tests::ADMIN_TOKEN;
use tokio::task::JoinSet;

const GROUPS: usize = 8;
/// Services per group, and as many routes (one per service).
const SERVICES: usize = 100;
/// Added to every request of the sync, so that it lasts long enough to be cut at many points.
const RTT: Duration = Duration::from_millis(40);
/// Requests in flight while the test rewrites every entity (straight to the control plane).
const WRITES_IN_FLIGHT: usize = 16;
const PROFILE: &str = "kill-test";
/// Organizations prepared, one per generation; the rounds go through them in turn.
const GENERATIONS: u32 = 5;

/// splitmix64: a seeded generator, so a failing run can be replayed from its printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, max).
    fn below(&mut self, max: Duration) -> Duration {
        max.mul_f64((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// One seeded group: its id and its entities' ids by kind.
struct Group {
    id: String,
    services: Vec<String>,
    routes: Vec<String>,
}

/// Sends every request, `WRITES_IN_FLIGHT` at a time; each must succeed. Answers in order.
async fn send_all(
    http: &reqwest::Client,
    requests: Vec<(reqwest::Method, String, serde_json::Value)>,
) -> Vec<serde_json::Value> {
    let mut out = vec![serde_json::Value::Null; requests.len()];
    let mut tasks = JoinSet::new();
    for (i, (method, url, body)) in requests.into_iter().enumerate() {
        while tasks.len() >= WRITES_IN_FLIGHT {
            let (j, v) = tasks.join_next().await.unwrap().unwrap();
            out[j] = v;
        }
        let http = http.clone();
        tasks.spawn(async move {
            let r = http.request(method, &url).bearer_auth(ADMIN_TOKEN).json(&body).send().await;
            let r = r.unwrap_or_else(|e| panic!("{url}: {e}"));
            let status = r.status();
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            assert!(status.is_success(), "{url}: {status} {v}");
            (i, v)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (j, v) = done.unwrap();
        out[j] = v;
    }
    out
}

/// The `i`-th service of a group at `generation` (the whole body: the API's PUT replaces).
fn service(i: usize, generation: u32) -> serde_json::Value {
    let tags = [format!("gen-{generation}")];
    json!({"name": format!("svc-{i}"), "host": "svc.internal", "tags": tags})
}

/// The route of the `i`-th service at `generation`.
fn route(i: usize, service_id: &str, generation: u32) -> serde_json::Value {
    json!({"name": format!("route-{i}"), "paths": [format!("/r{i}")], "service": {"id": service_id},
        "tags": [format!("gen-{generation}")]})
}

async fn seed_groups(http: &reqwest::Client, base: &str) -> Vec<Group> {
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let created = send_all(
            http,
            vec![(
                reqwest::Method::POST,
                format!("{base}/v2/control-planes"),
                json!({"name": format!("kill-{g}")}),
            )],
        )
        .await;
        let id = created[0]["id"].as_str().unwrap().to_string();
        let entities = format!("{base}/v2/control-planes/{id}/core-entities");
        let post = |kind: &str, body| (reqwest::Method::POST, format!("{entities}/{kind}"), body);
        let services =
            send_all(http, (0..SERVICES).map(|i| post("services", service(i, 0))).collect()).await;
        let services: Vec<String> =
            services.iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
        let routes = services.iter().enumerate().map(|(i, sid)| post("routes", route(i, sid, 0)));
        let routes = send_all(http, routes.collect()).await;
        let routes = routes.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
        groups.push(Group { id, services, routes });
    }
    groups
}

/// Tags every service and route of every group `gen-<generation>`, all groups at once.
async fn rewrite(http: &reqwest::Client, base: &str, groups: &[Group], generation: u32) {
    let mut requests = Vec::new();
    for g in groups {
        let entities = format!("{base}/v2/control-planes/{}/core-entities", g.id);
        for (i, (sid, rid)) in g.services.iter().zip(&g.routes).enumerate() {
            let put = |kind: &str, id: &str, body| {
                (reqwest::Method::PUT, format!("{entities}/{kind}/{id}"), body)
            };
            requests.push(put("services", sid, service(i, generation)));
            requests.push(put("routes", rid, route(i, sid, generation)));
        }
    }
    send_all(http, requests).await;
}

/// Copies a stopped control plane's data (its SQLite files and keys).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Each group's expected config hash at `generation`, read from the control plane.
async fn record_hashes(
    direct: &KonnectClient,
    groups: &[Group],
    generation: u32,
    hashes: &mut HashMap<(String, u32), String>,
) {
    for g in groups {
        let hash = direct.expected_config_hash(&g.id).await.unwrap().expected_hash;
        assert!(!hash.is_empty(), "the control plane hashes every group's config");
        hashes.insert((g.id.clone(), generation), hash);
    }
}

fn start_sync(api: &str, data_dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sync-once"))
        .args(["--api", api, "--data-dir", data_dir.to_str().unwrap(), "--profile", PROFILE])
        .env("SYNC_ONCE_TOKEN", ADMIN_TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sync-once starts (it is built with this test)")
}

/// Waits for a sync that was not killed and checks that it succeeded.
fn finished(mut child: Child) {
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "sync-once failed ({status}): {err}");
}

/// The profile as the app holds it, its client on an address where nothing listens: the app
/// started while the control plane is out of reach, so every answer comes from the cache.
fn offline_profile() -> (Profile, KonnectClient) {
    let dead = format!("http://127.0.0.1:{}", free_port());
    let profile = Profile::Konnect {
        id: PROFILE.into(),
        name: PROFILE.into(),
        region: Region::Us,
        base_url: Some(dead),
    };
    let client = KonnectClient::with_hosts(profile.konnect_hosts().unwrap(), "unused")
        .unwrap()
        .with_retry(RetryPolicy { attempts: 1, ..RetryPolicy::default() });
    (profile, client)
}

/// The one `gen-<n>` tag of an entity.
fn generation_of(entity: &serde_json::Value) -> u32 {
    let tags = entity["tags"].as_array().cloned().unwrap_or_default();
    let gens: Vec<u32> =
        tags.iter().filter_map(|t| t.as_str()?.strip_prefix("gen-")?.parse().ok()).collect();
    assert_eq!(gens.len(), 1, "one generation tag per entity: {entity}");
    gens[0]
}

/// What a round left in the cache.
#[derive(Debug)]
struct Found {
    /// The generation each seeded group is wholly at.
    generations: Vec<u32>,
    synced_at: Option<String>,
    open_to_overview: Duration,
}

/// Opens the cache as the app does on start (offline) and checks every group is whole: its
/// entities all of one generation, all there, and its synced hash and instances view of that
/// same generation.
async fn inspect(
    cache_file: &Path,
    groups: &[Group],
    hashes: &HashMap<(String, u32), String>,
    round: &str,
) -> Found {
    let (profile, client) = offline_profile();
    let opened = Instant::now();
    let console = Console::new(profile, client, cache_file)
        .unwrap_or_else(|e| panic!("{round}: the cache does not open: {}", e.message));
    let overview = console
        .cached_overview()
        .await
        .unwrap_or_else(|e| panic!("{round}: no overview from the cache: {}", e.message));
    let open_to_overview = opened.elapsed();
    assert_eq!(overview.groups.len(), GROUPS + 1, "{round}: every group and the default one");
    let cache = Cache::open(cache_file).unwrap();

    let mut generations = Vec::new();
    for g in groups {
        let mut seen = Vec::new();
        for (kind, expected) in [("services", g.services.len()), ("routes", g.routes.len())] {
            let list = console.group_entities(&g.id, kind).await.unwrap_or_else(|e| {
                panic!("{round}: {kind} of {} not cached: {}", g.id, e.message)
            });
            assert!(list.offline_reason.is_some(), "{round}: served from the cache");
            assert_eq!(list.rows.len(), expected, "{round}: every {kind} of {} is there", g.id);
            seen.extend(list.rows.iter().map(generation_of));
        }
        let generation = seen[0];
        assert!(
            seen.iter().all(|s| *s == generation),
            "{round}: group {} is torn across generations: {:?}",
            g.id,
            seen.iter().fold(HashMap::<u32, usize>::new(), |mut m, s| {
                *m.entry(*s).or_default() += 1;
                m
            })
        );
        let expected_hash = &hashes[&(g.id.clone(), generation)];
        let synced = cache.synced_hash(PROFILE, &g.id).await.unwrap();
        assert_eq!(
            synced.as_ref(),
            Some(expected_hash),
            "{round}: group {} holds gen-{generation} entities but was synced at another hash",
            g.id
        );
        let instances = console.group_instances(&g.id).await.unwrap();
        assert!(instances.offline_reason.is_some(), "{round}: served from the cache");
        assert_eq!(
            &instances.expected_hash, expected_hash,
            "{round}: group {}'s instances view is not of its entities' generation",
            g.id
        );
        generations.push(generation);
    }
    Found { generations, synced_at: overview.synced_at, open_to_overview }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_at_random_points_leaves_every_group_wholly_old_or_wholly_new() {
    let started = Instant::now();
    let seed =
        std::env::var("SYNC_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
                as u64
        });
    let rounds: u32 =
        std::env::var("SYNC_KILL_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
    println!("seed {seed} (replay with SYNC_KILL_SEED={seed}), {rounds} rounds");
    let mut rng = Rng(seed);

    // The organization at each generation is prepared before the rounds, so that a round is
    // only a sync and its kill: one control plane is seeded at generation 0, stopped, and its
    // data copied; copy k is rewritten to generation k. A round points the sync at the next
    // generation's control plane (same group and entity ids, every entity changed).
    let (cp_root, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp_dir = |k: u32| cp_root.path().join(format!("gen-{k}"));
    let start_cp = |k: u32| {
        let (api_port, cluster_port) = (free_port(), free_port());
        let proc = processes::control_plane(&cp_dir(k), api_port, cluster_port);
        (proc, format!("http://127.0.0.1:{api_port}"))
    };
    let http = reqwest::Client::new();
    let (first, base) = start_cp(0);
    let groups = seed_groups(&http, &base).await;
    println!("seeded {} groups × {} entities in {:?}", GROUPS, 2 * SERVICES, started.elapsed());
    drop(first);
    for k in 1..GENERATIONS {
        copy_dir(&cp_dir(0), &cp_dir(k));
    }
    // Each group's expected config hash at each generation: what its synced hash must be.
    let mut hashes = HashMap::new();
    let mut orgs = Vec::new();
    for k in 0..GENERATIONS {
        let (proc, base) = start_cp(k);
        if k > 0 {
            rewrite(&http, &base, &groups, k).await;
        }
        record_hashes(&KonnectClient::new(&base, ADMIN_TOKEN).unwrap(), &groups, k, &mut hashes)
            .await;
        let proxy = faults::start(base).await;
        proxy.set_latency(RTT);
        orgs.push((proc, proxy));
    }
    let api = |k: u32| orgs[k as usize].1.base.clone();
    println!("{GENERATIONS} generations ready at {:?}", started.elapsed());
    let cache_file = console::embedded::cache_path(app_dir.path());

    // Generation 0 synced whole (the cache the app had), then generation 1 timed whole: the kills
    // fall within about that long.
    finished(start_sync(&api(0), app_dir.path()));
    let t = Instant::now();
    finished(start_sync(&api(1), app_dir.path()));
    let full = t.elapsed();
    let found = inspect(&cache_file, &groups, &hashes, "whole sync").await;
    assert!(found.generations.iter().all(|g| *g == 1), "{found:?}");
    println!("a whole sync takes {full:?}");

    let (mut partial, mut all_old, mut all_new) = (0, 0, 0);
    let mut opens = Vec::new();
    let mut before = found;
    for round in 1..=rounds {
        let generation = (round + 1) % GENERATIONS;
        // A quarter past the whole sync's time, so that some syncs end before their kill.
        let delay = rng.below(full.mul_f64(1.25));
        let mut child = start_sync(&api(generation), app_dir.path());
        tokio::time::sleep(delay).await;
        let ended_alone = child.try_wait().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        if let Some(status) = ended_alone {
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err);
            assert!(
                status.success(),
                "round {round}: sync-once failed on its own ({status}): {err}"
            );
        }

        let label =
            format!("round {round} (seed {seed}, gen-{generation}, killed after {delay:?})");
        let found = inspect(&cache_file, &groups, &hashes, &label).await;
        opens.push(found.open_to_overview);
        let moved: Vec<bool> =
            found.generations.iter().zip(&before.generations).map(|(a, b)| a != b).collect();
        for (g, _) in moved.iter().enumerate().filter(|(_, m)| **m) {
            assert_eq!(found.generations[g], generation, "{label}: a group moved elsewhere");
        }
        let new = found.generations.iter().filter(|g| **g == generation).count();
        let outcome = if new == GROUPS {
            all_new += 1;
            "all new"
        } else if moved.contains(&true) {
            partial += 1;
            "partial"
        } else {
            all_old += 1;
            "all old"
        };
        // The group list and the profile's sync time are written after every group: a sync
        // marked done has every group new.
        if found.synced_at != before.synced_at {
            assert_eq!(new, GROUPS, "{label}: marked synced with groups left old");
        }
        if ended_alone.is_some() {
            assert_eq!(new, GROUPS, "{label}: finished with groups left old");
        }
        println!(
            "{label}: {outcome} (generations {:?}), opened to overview in {:?}",
            found.generations, found.open_to_overview
        );
        before = found;
    }

    let (med, max) = (median(opens.clone()), opens.iter().max().copied().unwrap_or_default());
    println!(
        "{rounds} rounds: {partial} cut mid-sync (groups of both generations), {all_old} all old, \
         {all_new} all new; open to overview median {med:?}, max {max:?}; {:?} in all",
        started.elapsed()
    );
    assert!(partial > 0, "no round was cut mid-sync: the kills missed the sync");
    assert!(all_new > 0, "no sync completed before its kill");
    // A sanity bound only: timings belong to the benches.
    assert!(max < Duration::from_secs(1), "the cache took {max:?} to answer the overview");
}
