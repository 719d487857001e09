//! Runtime vs nginx as proxies of the same loopback upstream: throughput under the same load tool
//! (wrk, the median of alternating runs), and the p99 latency each adds at a fixed 2,000 req/s (an
//! open-loop generator that times every request from when it was due, so queueing is counted).
//! Then the same with a plugin chain on the runtime's route (key-auth, rate-limiting, cors,
//! request-transformer) against nginx proxying the same request plainly.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use system_tests::processes::{self, free_port};
use system_tests::ADMIN_TOKEN;

fn nginx(dir: &std::path::Path, upstream_port: u16, proxy_port: u16) -> std::process::Child {
    let conf = format!(
        "worker_processes 2;\npid {d}/nginx.pid;\nerror_log stderr crit;\nevents {{ \
            worker_connections 4096; }}\nhttp {{\n  access_log off;\n  client_body_temp_path \
            {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi; uwsgi_temp_path \
            {d}/uwsgi; scgi_temp_path {d}/scgi;\n  upstream origin {{ server \
            127.0.0.1:{upstream_port}; keepalive 256; }}\n  server {{ listen \
            127.0.0.1:{upstream_port}; location / {{ return 200 'hello from the origin'; }} }}\n  \
            server {{ listen 127.0.0.1:{proxy_port}; location / {{ proxy_pass http://origin; \
            proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }}\n}}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new("nginx")
        .args([
            "-p",
            dir.to_str().unwrap(),
            "-c",
            dir.join("nginx.conf").to_str().unwrap(),
            "-g",
            "daemon off;",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx (Debian package nginx-light; scripts/setup.sh installs it)");
    std::thread::sleep(Duration::from_millis(500));
    child
}

/// The headers the chained route's requests carry: a key for key-auth, an origin for cors.
const CHAIN_HEADERS: [(&str, &str); 2] =
    [("apikey", "bench-key"), ("origin", "http://app.example.com")];

/// wrk's Requests/sec for `url` (1 thread, 64 connections, `secs` s) sending `headers`.
fn wrk(url: &str, secs: u32, headers: &[(&str, &str)]) -> f64 {
    let headers: Vec<String> = headers.iter().map(|(k, v)| format!("-H{k}: {v}")).collect();
    let out = Command::new("wrk")
        .args(["-t1", "-c64", &format!("-d{secs}s")])
        .args(&headers)
        .arg(url)
        .output()
        .expect("wrk (Debian package; scripts/setup.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("wrk printed no rate: {text}"))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A GET of `uri` with `headers`.
fn get(uri: &hyper::Uri, headers: &[(&'static str, &'static str)]) -> hyper::Request<Empty<Bytes>> {
    let mut req = hyper::Request::get(uri.clone());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(Empty::new()).unwrap()
}

/// Latencies (ms) of `rate` req/s for `secs`, each timed from when it was due.
async fn open_loop(
    url: &str,
    rate: u64,
    secs: u64,
    headers: &'static [(&'static str, &'static str)],
) -> Vec<f64> {
    let client: Client<_, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).pool_max_idle_per_host(512).build_http();
    let uri: hyper::Uri = url.parse().unwrap();
    // Warm the pool.
    for _ in 0..50 {
        let _ = client.request(get(&uri, headers)).await.unwrap().into_body().collect().await;
    }
    let start = Instant::now() + Duration::from_millis(100);
    let total = rate * secs;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let due = start + Duration::from_nanos(i * 1_000_000_000 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (client, req) = (client.clone(), get(&uri, headers));
        tasks.spawn(async move {
            let resp = client.request(req).await.unwrap();
            assert!(resp.status().is_success(), "{}", resp.status());
            let _ = resp.into_body().collect().await;
            due.elapsed().as_secs_f64() * 1000.0
        });
    }
    let mut out = Vec::with_capacity(total as usize);
    while let Some(r) = tasks.join_next().await {
        out.push(r.unwrap());
    }
    out
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
}

#[tokio::main]
async fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let (upstream_port, nginx_port, api_port, cluster_port) =
        (free_port(), free_port(), free_port(), free_port());
    let mut nginx = nginx(tmp.path(), upstream_port, nginx_port);
    let _cp = processes::control_plane(&tmp.path().join("cp"), api_port, cluster_port);
    let http = reqwest::Client::new();
    let api = format!("http://127.0.0.1:{api_port}/v2");
    let g: serde_json::Value = http
        .post(format!("{api}/control-planes"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"name": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let g = g["id"].as_str().unwrap().to_string();
    let (cert, key) = hybrid::link::generate_client_certificate("bench").unwrap();
    http.post(format!("{api}/control-planes/{g}/dp-client-certificates"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"cert": cert}))
        .send()
        .await
        .unwrap();
    std::fs::write(tmp.path().join("c.pem"), &cert).unwrap();
    std::fs::write(tmp.path().join("k.pem"), &key).unwrap();
    let svc: serde_json::Value = http
        .post(format!("{api}/control-planes/{g}/core-entities/services"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"name": "origin", "url": format!("http://127.0.0.1:{upstream_port}")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    http.post(format!(
        "{api}/control-planes/{g}/core-entities/services/{}/routes",
        svc["id"].as_str().unwrap()
    ))
    .bearer_auth(ADMIN_TOKEN)
    .json(&json!({"paths": ["/"]}))
    .send()
    .await
    .unwrap();
    chain_route(&http, &format!("{api}/control-planes/{g}/core-entities"), &svc).await;
    let (_rt, proxy, status) = processes::runtime(
        &format!("127.0.0.1:{cluster_port}"),
        &tmp.path().join("c.pem"),
        &tmp.path().join("k.pem"),
        "bench-1",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while reqwest::get(format!("{proxy}/")).await.map(|r| r.status().as_u16()).unwrap_or(0) != 200 {
        assert!(Instant::now() < deadline, "the runtime never got its config ({status})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let origin = format!("http://127.0.0.1:{upstream_port}/");
    let via_nginx = format!("http://127.0.0.1:{nginx_port}/");
    let via_runtime = format!("{proxy}/");
    // Runs alternate (nginx, runtime, nginx, …) so both see the same machine over time; a pair's
    // ratio compares neighbours, and the median of the pairs damps this 2-core box's noise.
    const PAIRS: usize = 9;
    let (mut nginx_rps, mut runtime_rps, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..PAIRS {
        let n = wrk(&via_nginx, 5, &[]);
        let r = wrk(&via_runtime, 5, &[]);
        nginx_rps.push(n);
        runtime_rps.push(r);
        ratios.push(r / n);
    }
    let pairs: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    println!(
        "throughput via nginx (wrk, median of {PAIRS} runs of 5 s): {:.0} req/s",
        median(&mut nginx_rps)
    );
    println!(
        "throughput via runtime (wrk, median of {PAIRS} runs of 5 s): {:.0} req/s",
        median(&mut runtime_rps)
    );
    println!(
        "throughput ratio runtime / nginx (median of {PAIRS} alternating pairs: {}): {:.2} (goal \
            >= 0.80)",
        pairs.join(" "),
        median(&mut ratios)
    );

    // Latency in alternating rounds too (direct, runtime, nginx), each round's p99 compared with
    // the direct p99 of the same round; the median round is reported.
    const ROUNDS: usize = 3;
    let (mut added_runtime, mut added_nginx, mut rounds) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let mut direct = open_loop(&origin, 2000, 5, &[]).await;
        let mut runtime = open_loop(&via_runtime, 2000, 5, &[]).await;
        let mut through_nginx = open_loop(&via_nginx, 2000, 5, &[]).await;
        let (d50, d99) = (pct(&mut direct, 0.5), pct(&mut direct, 0.99));
        let (r50, r99) = (pct(&mut runtime, 0.5), pct(&mut runtime, 0.99));
        let (n50, n99) = (pct(&mut through_nginx, 0.5), pct(&mut through_nginx, 0.99));
        rounds.push(format!(
            "direct p50 {d50:.3} p99 {d99:.3}, runtime p50 {r50:.3} p99 {r99:.3}, nginx p50 \
                {n50:.3} p99 {n99:.3}"
        ));
        added_runtime.push(r99 - d99);
        added_nginx.push(n99 - d99);
    }
    println!("at 2,000 req/s, {ROUNDS} rounds of 5 s (ms): {}", rounds.join("; "));
    println!(
        "p99 latency the runtime adds at 2,000 req/s (median of {ROUNDS} rounds): {:.3} ms (goal \
            <= 1 ms; nginx adds {:.3} ms)",
        median(&mut added_runtime),
        median(&mut added_nginx)
    );
    chain_figures(&origin, &via_nginx, &format!("{proxy}/chain")).await;
    // SIGQUIT: nginx's master stops its workers too (a SIGKILLed master leaves them running).
    let _ = Command::new("kill").args(["-QUIT", &nginx.id().to_string()]).status();
    let _ = nginx.wait();
}

/// A second route, `/chain`, to the same service with key-auth, rate-limiting (a limit the
/// bench never reaches, so every request is counted and passes), cors and request-transformer.
async fn chain_route(http: &reqwest::Client, entities: &str, service: &serde_json::Value) {
    let post = |path: String, body: serde_json::Value| async move {
        let r = http.post(format!("{entities}{path}")).bearer_auth(ADMIN_TOKEN).json(&body);
        let r = r.send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.text().await.unwrap());
    };
    let sid = service["id"].as_str().unwrap();
    let route: serde_json::Value = http
        .post(format!("{entities}/services/{sid}/routes"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"name": "chain", "paths": ["/chain"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rid = route["id"].as_str().unwrap();
    post("/consumers".into(), json!({"username": "bench"})).await;
    post("/consumers/bench/key-auth".into(), json!({"key": "bench-key"})).await;
    for plugin in [
        json!({"name": "key-auth"}),
        json!({"name": "rate-limiting", "config": {"second": 100_000_000, "limit_by": "consumer"}}),
        json!({"name": "cors", "config": {"origins": ["http://app.example.com"]}}),
        json!({"name": "request-transformer", "config": {"add": {"headers": ["x-chain:on"]}}}),
    ] {
        post(format!("/routes/{rid}/plugins"), plugin).await;
    }
}

/// Throughput and added p99 of the runtime with the plugin chain, against nginx proxying the same
/// request plainly.
async fn chain_figures(origin: &str, via_nginx: &str, via_chain: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut req = reqwest::Client::new().get(via_chain);
        for (k, v) in CHAIN_HEADERS {
            req = req.header(k, v);
        }
        let r = req.send().await.unwrap();
        if r.status() == 200 && r.headers().contains_key("access-control-allow-origin") {
            break;
        }
        assert!(Instant::now() < deadline, "the chained route never answered 200 with cors");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    const PAIRS: usize = 9;
    let mut ratios = Vec::new();
    for _ in 0..PAIRS {
        let n = wrk(via_nginx, 5, &CHAIN_HEADERS);
        let r = wrk(via_chain, 5, &CHAIN_HEADERS);
        ratios.push(r / n);
    }
    let pairs: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    println!(
        "throughput ratio runtime with key-auth + rate-limiting + cors + request-transformer / \
            plain nginx (median of {PAIRS} alternating pairs: {}): {:.2} (goal >= 0.80)",
        pairs.join(" "),
        median(&mut ratios)
    );
    const ROUNDS: usize = 3;
    let mut added = Vec::new();
    for _ in 0..ROUNDS {
        let mut direct = open_loop(origin, 2000, 5, &CHAIN_HEADERS).await;
        let mut chain = open_loop(via_chain, 2000, 5, &CHAIN_HEADERS).await;
        added.push(pct(&mut chain, 0.99) - pct(&mut direct, 0.99));
    }
    println!(
        "p99 latency the runtime with that chain adds at 2,000 req/s (median of {ROUNDS} rounds): \
            {:.3} ms (goal <= 1 ms)",
        median(&mut added)
    );
}
