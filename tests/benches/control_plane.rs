//! Control plane benchmark: entity writes per second, listing 10,000 routes in pages of 1,000,
//! and the time from a change until 100 connected runtime clients report the new hash.
//! Prints one figure a line, as medians over repeated runs, beside each goal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hybrid::link::{self, Incoming};
use serde_json::{json, Value};
use system_tests::{start_control_plane, ADMIN_TOKEN};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1]
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> Value {
    let r = http.post(url).bearer_auth(ADMIN_TOKEN).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let http = reqwest::Client::new();
    let group = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN)
        .unwrap()
        .list_all_control_planes()
        .await
        .unwrap()
        .remove(0);
    let entities = format!("{}/v2/control-planes/{}/core-entities", cp.base_url(), group.id);

    // 1. Entity writes per second: 1,000 services per run, 8 requests in flight, 3 runs.
    let mut rates = Vec::new();
    for run in 0..3 {
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..8 {
            let (http, url) = (http.clone(), format!("{entities}/services"));
            tasks.spawn(async move {
                for i in 0..125 {
                    post(
                        &http,
                        &url,
                        json!({
                            "name": format!("svc-{run}-{worker}-{i}"),
                            "host": "bench.internal",
                        }),
                    )
                    .await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        rates.push(1000.0 / started.elapsed().as_secs_f64());
    }
    println!(
        "entity writes per second (median of 3 runs of 1,000): {:.0} /s (goal >= 1,000 /s)",
        median(rates)
    );

    // 2. 10,000 routes, listed in pages of 1,000.
    let service = post(
        &http,
        &format!("{entities}/services"),
        json!({"name": "routes-home", "host": "r.internal"}),
    )
    .await;
    let sid = service["id"].as_str().unwrap().to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (http, url) = (http.clone(), format!("{entities}/services/{sid}/routes"));
        tasks.spawn(async move {
            for i in 0..1250 {
                post(
                    &http,
                    &url,
                    json!({
                        "name": format!("r-{worker}-{i}"),
                        "paths": [format!("/r/{worker}/{i}")],
                    }),
                )
                .await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    // Timed: the requests and every byte of the answers. The offset sits at the end of each page,
    // so finding it needs no full parse; the pages are parsed and counted after the clock stops.
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let mut pages = Vec::new();
        let mut url = format!("{entities}/routes?size=1000");
        loop {
            let body = http
                .get(&url)
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let text = std::str::from_utf8(&body).unwrap();
            let offset = text
                .rfind("\"offset\":\"")
                .map(|i| text[i + 10..].trim_end_matches("\"}").to_string());
            pages.push(body);
            match offset {
                Some(o) => url = format!("{entities}/routes?size=1000&offset={o}"),
                None => break,
            }
        }
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        bytes = pages.iter().map(|p| p.len()).sum();
        let n: usize = pages
            .iter()
            .map(|p| serde_json::from_slice::<Value>(p).unwrap()["data"].as_array().unwrap().len())
            .sum();
        assert_eq!(n, 10_000);
    }
    println!(
        "list 10,000 routes in pages of 1,000, {:.1} MB over HTTP (median of 5): {:.1} ms (goal <= \
            100 ms)",
        bytes as f64 / 1e6,
        median(times)
    );

    // 3. 100 runtime clients: time from a change until each reports the new hash.
    let small = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN)
        .unwrap()
        .create_control_plane(&konnect::CreateControlPlaneRequest {
            name: "fleet".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let fleet = format!("{}/v2/control-planes/{}", cp.base_url(), small.id);
    let (cert, key) = link::generate_client_certificate("bench").unwrap();
    post(&http, &format!("{fleet}/dp-client-certificates"), json!({"cert": cert})).await;
    let tls = Arc::new(link::client_tls(&cert, &key).unwrap());
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Instant)>();
    for i in 0..100 {
        let who = system_tests::new_node(format!("bench-{i}"));
        let mut ws =
            link::connect(&cp.cluster_addr.to_string(), tls.clone(), &who, &[]).await.unwrap();
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Binary(b) = msg {
                    if let Incoming::Reconfigure(r) = link::decode(&b) {
                        // A runtime applies, then pings its new hash: that ping is its report.
                        if ws
                            .send(Message::Ping(r.config_hash.clone().into_bytes().into()))
                            .await
                            .is_err()
                        {
                            return;
                        }
                        let _ = tx.send((r.config_hash, Instant::now()));
                    }
                }
            }
        });
    }
    // Every client's initial config.
    for _ in 0..100 {
        rx.recv().await.unwrap();
    }
    let mut delays = Vec::new();
    for round in 0..20 {
        let started = Instant::now();
        post(
            &http,
            &format!("{fleet}/core-entities/services"),
            json!({"name": format!("change-{round}"), "host": "c.internal"}),
        )
        .await;
        let mut got = 0;
        while got < 100 {
            let (_, at) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("all 100 report within 5 s")
                .unwrap();
            delays.push(at.duration_since(started).as_secs_f64() * 1000.0);
            got += 1;
        }
    }
    println!(
        "change -> 100 runtime clients report the new hash, 20 changes: p50 {:.1} ms, p99 {:.1} \
            ms, max {:.1} ms (goal p99 <= 1,000 ms)",
        percentile(delays.clone(), 0.5),
        percentile(delays.clone(), 0.99),
        percentile(delays, 1.0)
    );
    cp.shutdown().await;
}
