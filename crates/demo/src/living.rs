//! The living demo on the embedded default: on first run, groups `development` and `production`
//! with services, routes, consumers and Kong's everyday plugins (key-auth, rate-limiting, cors,
//! ip-restriction, request-transformer, acl, correlation-id, proxy-cache, prometheus); two real
//! runtime processes per group; a real upstream; and steady traffic with a realistic share of
//! 401, 403, 404, 429 and 5xx and of cache hits, so every screen shows live data. It is marked
//! (label `demo: true`) and can be removed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use konnect::{CreateControlPlaneRequest, KonnectClient};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::process::Child;
use tokio::task::JoinHandle;
use ts_rs::TS;

use console::ConsoleError;

use crate::fleet;

const RUNTIMES_PER_GROUP: usize = 2;

/// What the demo made, kept beside the cache so later runs bring the same demo back to life.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct DemoState {
    removed: bool,
    upstream_port: u16,
    groups: Vec<DemoGroup>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DemoGroup {
    id: String,
    name: String,
    node_ids: Vec<String>,
    keys: Vec<String>,
    /// Milliseconds between requests: production is busier and cleaner than development.
    pace_ms: u64,
    error_share: u32,
}

/// What the UI says about the demo.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct DemoStatus {
    pub running: bool,
    pub groups: Vec<String>,
    pub runtimes: usize,
    pub requests_sent: u64,
    /// Why the demo is not running (removed, or the runtime binary is missing).
    pub note: Option<String>,
}

pub struct LivingDemo {
    state: DemoState,
    dir: PathBuf,
    runtimes: Vec<Child>,
    tasks: Vec<JoinHandle<()>>,
    sent: Arc<AtomicU64>,
}

fn state_path(dir: &Path) -> PathBuf {
    dir.join("demo.json")
}

fn load_state(dir: &Path) -> Option<DemoState> {
    std::fs::read_to_string(state_path(dir)).ok().and_then(|t| serde_json::from_str(&t).ok())
}

fn save_state(dir: &Path, s: &DemoState) -> Result<(), ConsoleError> {
    std::fs::create_dir_all(dir).map_err(|e| ConsoleError::local(e.to_string()))?;
    std::fs::write(state_path(dir), serde_json::to_string_pretty(s).unwrap_or_default())
        .map_err(|e| ConsoleError::local(e.to_string()))
}

/// The `runtime` binary: `RUNTIME_MANAGER_RUNTIME_BIN`, or found from the running executable
/// (see [`runtime_beside`]).
pub fn runtime_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RUNTIME_MANAGER_RUNTIME_BIN") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    let exe = std::env::current_exe().ok()?;
    runtime_beside(exe.parent()?)
}

/// Where the `runtime` binary is for an app in `exe_dir`: in `../lib/runtime-manager/`, where the
/// `.deb` and `.rpm` install it (the app in `/usr/bin`, its helper binaries out of `PATH`, where a
/// name as plain as `runtime` could clash), or beside the app, as cargo builds them
/// (`target/debug/`). The package's place comes first, so an installed app never takes another
/// program's `/usr/bin/runtime`; relative, so a tree unpacked anywhere (`dpkg -x`) finds its own.
pub fn runtime_beside(exe_dir: &Path) -> Option<PathBuf> {
    [exe_dir.join("../lib/runtime-manager/runtime"), exe_dir.join("runtime")]
        .into_iter()
        .find(|p| p.is_file())
}

/// The demo's origin: orders and users APIs that answer JSON after a few milliseconds, with
/// `/fail` answering 500 and `/missing` 404.
async fn start_upstream(port: u16) -> std::io::Result<(u16, JoinHandle<()>)> {
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(_) => tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
    };
    let port = listener.local_addr()?.port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let path = req.uri().path().to_string();
                        let delay = rand::rng().random_range(2..25);
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                        let (status, body) = if path.contains("/fail") {
                            (500, json!({"error": "the order service failed"}))
                        } else if path.contains("/missing") {
                            (404, json!({"error": "no such record"}))
                        } else {
                            (
                                200,
                                json!({
                                    "path": path,
                                    "consumer": req
                                        .headers()
                                        .get("x-consumer-username")
                                        .and_then(|v| v.to_str().ok()),
                                }),
                            )
                        };
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .status(status)
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(body.to_string())))
                                .unwrap(),
                        )
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok((port, task))
}

/// The demo's services, routes, plugins and consumers in one group, with `port` as the origin.
async fn seed_group(
    client: &KonnectClient,
    cp: &str,
    tag: &str,
    port: u16,
) -> Result<Vec<String>, ConsoleError> {
    let service = |name: &str, path: &str| {
        json!({
            "name": name,
            "url": format!("http://127.0.0.1:{port}/{path}"),
            "tags": ["demo"],
        })
    };
    let orders = client.create_entity(cp, "services", &service("orders-api", "orders")).await?;
    let users = client.create_entity(cp, "services", &service("users-api", "users")).await?;
    let (oid, uid) =
        (orders["id"].as_str().unwrap_or_default(), users["id"].as_str().unwrap_or_default());
    let orders_route = client
        .create_entity(
            cp,
            &format!("services/{oid}/routes"),
            &json!({"name": "orders", "paths": ["/orders"], "tags": ["demo"]}),
        )
        .await?;
    let users_route =
        json!({"name": "users", "paths": ["/users"], "methods": ["GET", "POST"], "tags": ["demo"]});
    client.create_entity(cp, &format!("services/{uid}/routes"), &users_route).await?;
    client
        .create_entity(
            cp,
            &format!("services/{uid}/plugins"),
            &json!({"name": "key-auth", "tags": ["demo"]}),
        )
        .await?;
    let rid = orders_route["id"].as_str().unwrap_or_default();
    let rate_limit = json!({
        "name": "rate-limiting", "config": {"second": 6, "limit_by": "ip"}, "tags": ["demo"]
    });
    client.create_entity(cp, &format!("routes/{rid}/plugins"), &rate_limit).await?;
    let mut keys = Vec::new();
    for user in ["alice", "bob", "carol"] {
        client.create_entity(cp, "consumers", &json!({"username": user, "tags": ["demo"]})).await?;
        let key = format!("demo-{user}-{tag}");
        client
            .create_entity(cp, &format!("consumers/{user}/key-auth"), &json!({"key": key}))
            .await?;
        keys.push(key);
    }
    seed_everyday_plugins(client, cp, tag, oid, uid).await?;
    Ok(keys)
}

/// Kong's everyday plugins on the demo's services, so its traffic meets each of them: a
/// correlation id and metrics everywhere, cors and a request header on users, cached orders,
/// an admin route only an office network may reach (403s), and refunds for the finance ACL
/// group alone (alice; bob and carol get 403s).
async fn seed_everyday_plugins(
    client: &KonnectClient,
    cp: &str,
    tag: &str,
    orders: &str,
    users: &str,
) -> Result<(), ConsoleError> {
    let plugin = |name: &str, config: serde_json::Value| json!({"name": name, "config": config, "tags": ["demo"]});
    let global = [
        plugin("correlation-id", json!({"generator": "uuid#counter", "echo_downstream": true})),
        plugin("prometheus", json!({"status_code_metrics": true, "latency_metrics": true})),
    ];
    for p in global {
        client.create_entity(cp, "plugins", &p).await?;
    }
    let cors = json!({"origins": ["https://app.example.com"], "credentials": true});
    client.create_entity(cp, &format!("services/{users}/plugins"), &plugin("cors", cors)).await?;
    let env_header = json!({"add": {"headers": [format!("x-demo-env:{tag}")]}});
    client
        .create_entity(
            cp,
            &format!("services/{users}/plugins"),
            &plugin("request-transformer", env_header),
        )
        .await?;
    let cache = json!({"strategy": "memory", "cache_ttl": 15});
    client.create_entity(cp, "routes/orders/plugins", &plugin("proxy-cache", cache)).await?;
    let route = |name: &str| json!({"name": name, "paths": [format!("/{name}")], "tags": ["demo"]});
    client.create_entity(cp, &format!("services/{users}/routes"), &route("admin")).await?;
    let office =
        json!({"allow": ["10.20.0.0/16"], "message": "Admin is reachable from the office"});
    client.create_entity(cp, "routes/admin/plugins", &plugin("ip-restriction", office)).await?;
    client.create_entity(cp, &format!("services/{orders}/routes"), &route("refunds")).await?;
    client.create_entity(cp, "routes/refunds/plugins", &plugin("key-auth", json!({}))).await?;
    let finance = json!({"allow": ["finance"]});
    client.create_entity(cp, "routes/refunds/plugins", &plugin("acl", finance)).await?;
    client.create_entity(cp, "consumers/alice/acls", &json!({"group": "finance"})).await?;
    Ok(())
}

/// Points the demo services at the origin's current port (it may differ between runs).
async fn repoint(client: &KonnectClient, cp: &str, port: u16) {
    for (name, path) in [("orders-api", "orders"), ("users-api", "users")] {
        let url = format!("http://127.0.0.1:{port}/{path}");
        let body = json!({"name": name, "url": url, "tags": ["demo"]});
        let _ = client.put_entity(cp, &format!("services/{name}"), &body).await;
    }
}

impl LivingDemo {
    /// Brings the demo up: seeds it when the organization holds only the default group and no demo
    /// was made before, otherwise revives the one recorded in `dir`. `None` once removed.
    pub async fn start(
        client: &KonnectClient,
        cluster_endpoint: &str,
        dir: &Path,
    ) -> Result<Option<LivingDemo>, ConsoleError> {
        let mut state = match load_state(dir) {
            Some(s) if s.removed => return Ok(None),
            Some(s) => s,
            None => {
                let groups = client.list_all_control_planes().await?;
                if groups.iter().any(|g| g.name != "default") {
                    return Ok(None); // an organization already in use gets no demo
                }
                DemoState::default()
            }
        };
        let (port, upstream) = start_upstream(state.upstream_port)
            .await
            .map_err(|e| ConsoleError::local(format!("The demo upstream did not start: {e}")))?;
        if state.groups.is_empty() {
            for (name, tag, pace_ms, error_share) in
                [("development", "dev", 450, 30), ("production", "prod", 220, 12)]
            {
                let mut labels = std::collections::BTreeMap::new();
                labels.insert("env".to_string(), tag.to_string());
                labels.insert("demo".to_string(), "true".to_string());
                let req = CreateControlPlaneRequest {
                    name: name.into(),
                    description: Some(format!("Demo {name} environment with live traffic.")),
                    labels: Some(labels),
                    ..Default::default()
                };
                let group = client.create_control_plane(&req).await?;
                let keys = seed_group(client, &group.id, tag, port).await?;
                let (cert, key) = hybrid::link::generate_client_certificate(&format!("demo-{tag}"))
                    .map_err(|e| ConsoleError::local(e.to_string()))?;
                client
                    .pin_dp_certificate(&group.id, &cert, &format!("demo {name} runtimes"))
                    .await?;
                // The demo's directory holds its runtimes' keys: made 0700, each key 0600, written
                // atomically.
                hybrid::keyfile::write_certificate_pair(dir, name, &cert, &key)
                    .map_err(ConsoleError::local)?;
                let node_ids = (0..RUNTIMES_PER_GROUP).map(|_| fleet::node_id()).collect();
                state.groups.push(DemoGroup {
                    id: group.id,
                    name: name.into(),
                    node_ids,
                    keys,
                    pace_ms,
                    error_share,
                });
            }
        } else if state.upstream_port != port {
            for g in &state.groups {
                repoint(client, &g.id, port).await;
            }
        }
        state.upstream_port = port;
        // Groups deleted from elsewhere are no longer part of the demo.
        let live: Vec<String> =
            client.list_all_control_planes().await?.into_iter().map(|g| g.id).collect();
        state.groups.retain(|g| live.contains(&g.id));
        save_state(dir, &state)?;

        let mut demo = LivingDemo {
            state: state.clone(),
            dir: dir.to_path_buf(),
            runtimes: Vec::new(),
            tasks: vec![upstream],
            sent: Arc::default(),
        };
        let Some(binary) = runtime_binary() else {
            tracing::warn!("demo runtimes not started: the runtime binary was not found");
            return Ok(Some(demo));
        };
        for g in &state.groups {
            let mut proxies = Vec::new();
            for (i, node_id) in g.node_ids.iter().enumerate() {
                let cert = dir.join(format!("{}.crt", g.name));
                let key = dir.join(format!("{}.key", g.name));
                // A key an older version wrote world-readable is tightened before use.
                let _ = hybrid::keyfile::set_mode(&key, hybrid::keyfile::PRIVATE_FILE_MODE);
                let p = fleet::spawn(
                    &binary,
                    cluster_endpoint,
                    &cert,
                    &key,
                    node_id,
                    &format!("{}-runtime-{}", g.name, i + 1),
                )
                .await?;
                proxies.push(p.proxy);
                demo.runtimes.push(p.child);
            }
            demo.tasks.push(tokio::spawn(drive_traffic(g.clone(), proxies, demo.sent.clone())));
        }
        Ok(Some(demo))
    }

    pub fn status(&self) -> DemoStatus {
        DemoStatus {
            running: !self.runtimes.is_empty(),
            groups: self.state.groups.iter().map(|g| g.name.clone()).collect(),
            runtimes: self.runtimes.len(),
            requests_sent: self.sent.load(Ordering::Relaxed),
            note: self.runtimes.is_empty().then(|| {
                "The runtime binary was not found next to the app, so the demo has no runtimes."
                    .to_string()
            }),
        }
    }

    /// Stops traffic and runtimes, deletes the demo groups, and records that the demo is gone.
    pub async fn remove(mut self, client: &KonnectClient) -> Result<(), ConsoleError> {
        self.stop().await;
        for g in &self.state.groups {
            match client.delete_control_plane(&g.id).await {
                Ok(()) => {}
                Err(konnect::KonnectError::Api(e)) if e.status == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
        save_state(&self.dir, &DemoState { removed: true, ..Default::default() })
    }

    pub async fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        for mut c in self.runtimes.drain(..) {
            let _ = c.kill().await;
        }
    }
}

/// Steady traffic through the group's runtimes: mostly good requests (some preflights, some cached
/// orders), some without or with wrong keys (401), refused by IP or ACL (403), unknown paths
/// (404), failing orders (500) and bursts past the rate limit (429).
async fn drive_traffic(g: DemoGroup, proxies: Vec<String>, sent: Arc<AtomicU64>) {
    let http =
        reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
    let mut n: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(g.pace_ms)).await;
        n += 1;
        let proxy = &proxies[(n as usize) % proxies.len().max(1)];
        let roll = rand::rng().random_range(0..100u32);
        let key = &g.keys[(n as usize) % g.keys.len().max(1)];
        let bad = roll < g.error_share;
        let origin = "https://app.example.com";
        let req = if !bad {
            match roll % 5 {
                0 => http.get(format!("{proxy}/users/{}", n % 50)).header("apikey", key),
                1 => http.post(format!("{proxy}/users")).header("apikey", key).body("{}"),
                // Preflights from the web app, answered by cors.
                2 => http
                    .request(reqwest::Method::OPTIONS, format!("{proxy}/users/{}", n % 50))
                    .header("origin", origin)
                    .header("access-control-request-method", "POST"),
                // A small set of orders, so proxy-cache answers most of them.
                3 => http.get(format!("{proxy}/orders/{}", n % 20)),
                _ => http.get(format!("{proxy}/refunds/{}", n % 30)).header("apikey", &g.keys[0]),
            }
        } else {
            match roll % 7 {
                0 => http.get(format!("{proxy}/users/{}", n % 50)),
                1 => http.get(format!("{proxy}/users/{}", n % 50)).header("apikey", "not-a-key"),
                2 => http.get(format!("{proxy}/catalog/{}", n % 9)),
                3 => http.get(format!("{proxy}/orders/fail")),
                // 403s: the admin route from outside the office, refunds for a non-finance key.
                4 => http.get(format!("{proxy}/admin/settings")),
                5 => http.get(format!("{proxy}/refunds/{}", n % 30)).header("apikey", key),
                _ => {
                    for _ in 0..8 {
                        let _ = http.get(format!("{proxy}/orders/burst")).send().await;
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    http.get(format!("{proxy}/orders/missing"))
                }
            }
        };
        let _ = req.send().await;
        sent.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::runtime_beside;

    #[test]
    fn the_runtime_is_found_where_the_packages_put_it_first_then_beside_the_app() {
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("usr/bin");
        let lib = tmp.path().join("usr/lib/runtime-manager");
        std::fs::create_dir_all(&bin).unwrap();
        assert_eq!(runtime_beside(&bin), None, "nothing installed, nothing found");

        // A build: the binaries side by side.
        std::fs::write(bin.join("runtime"), b"").unwrap();
        assert_eq!(runtime_beside(&bin), Some(bin.join("runtime")));

        // A package: its own, not another program's `runtime` in the same `bin`.
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("runtime"), b"").unwrap();
        assert_eq!(runtime_beside(&bin), Some(bin.join("../lib/runtime-manager/runtime")));
    }
}
