//! The runtime's plugin pipeline with a real control plane, runtime and upstream: key-auth and
//! rate-limiting as Kong runs them, credentials hidden from the upstream, counts on the answer
//! and on a refusal.

use serde_json::json;
use system_tests::gateway::{echoed, Gateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_auth_hides_its_credential_and_rate_limiting_counts_on_every_answer() {
    let gw = Gateway::start(&[]).await;
    let (sid, _) = gw.service_and_route("users", "/users").await;
    gw.create(
        &format!("/services/{sid}/plugins"),
        json!({"name": "key-auth", "config": {"hide_credentials": true}}),
    )
    .await;
    gw.create(
        &format!("/services/{sid}/plugins"),
        json!({"name": "rate-limiting", "config": {"minute": 2}}),
    )
    .await;
    gw.create("/consumers", json!({"username": "ann"})).await;
    gw.create("/consumers/ann/key-auth", json!({"key": "ann-key"})).await;
    gw.applied().await;

    let first =
        gw.get("/users?apikey=ann-key&keep=1").header("x-trace", "t1").send().await.unwrap();
    assert_eq!(first.headers()["x-ratelimit-remaining-minute"], "1");
    assert_eq!(first.headers()["ratelimit-limit"], "2");
    let seen = echoed(first).await;
    assert_eq!(seen["path"], "/?keep=1", "the route stripped, the key left the query");
    assert_eq!(seen["headers"]["x-consumer-username"], "ann");
    assert_eq!(seen["headers"]["x-trace"], "t1", "other headers go on");
    let by_header = gw.get("/users").header("apikey", "ann-key").send().await.unwrap();
    let seen = echoed(by_header).await;
    assert!(seen["headers"].get("apikey").is_none(), "the key left the headers: {seen}");

    let refused = gw.get("/users").header("apikey", "ann-key").send().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["x-ratelimit-remaining-minute"], "0");
    assert!(refused.headers().get("retry-after").is_some());
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["message"], "API rate limit exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_ratelimiting_counts_what_the_upstream_says_an_answer_cost() {
    let gw = Gateway::start(&[]).await;
    let (sid, _) = gw.service_and_route("videos", "/videos").await;
    gw.create(
        &format!("/services/{sid}/plugins"),
        json!({"name": "response-ratelimiting", "config": {"limits": {"videos": {"minute": 3}}}}),
    )
    .await;
    gw.applied().await;
    let cost = |n: u32| gw.get("/videos").header("x-echo-set", format!("x-kong-limit=videos={n}"));

    let first = cost(2).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-ratelimit-limit-videos-minute"], "3");
    assert_eq!(first.headers()["x-ratelimit-remaining-videos-minute"], "1", "3 less this 2");
    assert!(first.headers().get("x-kong-limit").is_none(), "the cost header is the gateway's");
    let seen = echoed(first).await;
    assert_eq!(seen["headers"]["x-ratelimit-remaining-videos"], "3", "the upstream is told");

    let second = cost(1).send().await.unwrap();
    assert_eq!(second.headers()["x-ratelimit-remaining-videos-minute"], "0");
    assert_eq!(echoed(second).await["headers"]["x-ratelimit-remaining-videos"], "1");
    // Spent: an answer that costs more is turned into a 429; one that costs nothing passes.
    let over = cost(1).send().await.unwrap();
    assert_eq!(over.status(), 429);
    let free = gw.get("/videos").send().await.unwrap();
    assert_eq!(free.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_serves_kongs_metrics_on_the_status_listener() {
    let gw = Gateway::start(&[]).await;
    gw.service_and_route("users", "/users").await;
    let all_on = json!({
        "status_code_metrics": true, "latency_metrics": true,
        "bandwidth_metrics": true, "per_consumer": false
    });
    gw.create("/plugins", json!({"name": "prometheus", "config": all_on})).await;
    gw.applied().await;
    for path in ["/users/a", "/users/b", "/users/status/503"] {
        gw.get(path).send().await.unwrap();
    }
    gw.get("/nowhere").send().await.unwrap();
    let metrics = gw.http.get(format!("{}/metrics", gw.status)).send().await.unwrap();
    assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = metrics.text().await.unwrap();
    let has = |line: &str| assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    let ok = "kong_http_requests_total{service=\"users\",route=\"users\",code=\"200\",\
              source=\"service\",workspace=\"\",consumer=\"\"} 2";
    has(ok);
    has("kong_http_requests_total{service=\"users\",route=\"users\",code=\"503\",\
         source=\"service\",workspace=\"\",consumer=\"\"} 1");
    has("kong_request_latency_ms_count{service=\"users\",route=\"users\",workspace=\"\"} 3");
    has("kong_control_plane_connected 1");
    assert!(text.contains("kong_upstream_latency_ms_bucket{service=\"users\",route=\"users\""));
    assert!(text
        .contains("kong_bandwidth_bytes{service=\"users\",route=\"users\",direction=\"egress\""));
    assert!(!text.contains("code=\"404\""), "an unrouted request is not counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_log_sends_kongs_log_entries_in_batches() {
    let gw = Gateway::start(&[]).await;
    let logs = system_tests::upstream::collector().await;
    let (sid, _) = gw.service_and_route("users", "/users").await;
    gw.create("/consumers", json!({"username": "ann"})).await;
    gw.create("/consumers/ann/key-auth", json!({"key": "ann-key"})).await;
    gw.create(&format!("/services/{sid}/plugins"), json!({"name": "key-auth"})).await;
    let config = json!({
        "http_endpoint": format!("http://{}/bulk", logs.addr),
        "headers": {"x-log-source": "gateway"},
        "queue": {"max_batch_size": 2, "max_coalescing_delay": 0.2}
    });
    gw.create(&format!("/services/{sid}/plugins"), json!({"name": "http-log", "config": config}))
        .await;
    gw.applied().await;
    let ok = gw.get("/users/a?q=1").header("apikey", "ann-key").send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let refused = gw.get("/users/b").header("authorization", "Bearer x").send().await.unwrap();
    assert_eq!(refused.status(), 401);
    system_tests::wait_until("two log entries", 10, || async {
        logs.bodies().iter().map(|b| batch(b).len()).sum::<usize>() >= 2
    })
    .await;
    let sent = logs.bodies();
    assert_eq!(sent[0]["method"], "POST");
    assert_eq!(sent[0]["path"], "/bulk");
    assert_eq!(sent[0]["headers"]["content-type"], "application/json");
    assert_eq!(sent[0]["headers"]["x-log-source"], "gateway");
    let entries: Vec<serde_json::Value> = sent.iter().flat_map(batch).collect();
    let ann = entries.iter().find(|e| e["response"]["status"] == 200).expect("the 200's entry");
    assert_eq!(ann["request"]["method"], "GET");
    assert_eq!(ann["request"]["uri"], "/users/a");
    assert_eq!(ann["request"]["querystring"]["q"], "1");
    assert_eq!(ann["consumer"]["username"], "ann");
    assert_eq!(ann["service"]["name"], "users");
    assert_eq!(ann["route"]["name"], "users");
    assert_eq!(ann["source"], "upstream");
    assert!(ann["latencies"]["proxy"].as_i64().unwrap() >= 0);
    let no = entries.iter().find(|e| e["response"]["status"] == 401).expect("the 401's entry");
    assert_eq!(no["source"], "kong");
    assert_eq!(no["request"]["headers"]["authorization"], "REDACTED");
}

/// The entries of one batch the collector received (an array, or one object).
fn batch(received: &serde_json::Value) -> Vec<serde_json::Value> {
    match serde_json::from_str(received["body"].as_str().unwrap()).unwrap() {
        serde_json::Value::Array(entries) => entries,
        one => vec![one],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_cache_serves_a_second_get_from_memory() {
    use std::sync::atomic::Ordering;
    let gw = Gateway::start(&[]).await;
    let (_, rid) = gw.service_and_route("users", "/users").await;
    gw.create(
        &format!("/routes/{rid}/plugins"),
        json!({"name": "proxy-cache", "config": {"strategy": "memory", "cache_ttl": 30}}),
    )
    .await;
    gw.applied().await;
    let hits = || gw.upstream.hits.load(Ordering::SeqCst);

    let first = gw.get("/users/a?b=2&a=1").send().await.unwrap();
    assert_eq!(first.headers()["x-cache-status"], "Miss");
    let key = first.headers()["x-cache-key"].to_str().unwrap().to_string();
    assert_eq!(key.len(), 64, "a SHA-256 key: {key}");
    let body = first.text().await.unwrap();
    let before = hits();
    let second = gw.get("/users/a?a=1&b=2").send().await.unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["x-cache-status"], "Hit", "the query's order does not matter");
    assert_eq!(second.headers()["x-cache-key"].to_str().unwrap(), key);
    assert!(second.headers().get("age").is_some());
    assert_eq!(second.headers()["content-type"], "application/json");
    assert_eq!(second.text().await.unwrap(), body, "the stored body, byte for byte");
    assert_eq!(hits(), before, "the upstream was not asked");

    let other = gw.get("/users/other").send().await.unwrap();
    assert_eq!(other.headers()["x-cache-status"], "Miss");
    let post = gw.to(reqwest::Method::POST, "/users/a").body("x").send().await.unwrap();
    assert_eq!(post.headers()["x-cache-status"], "Bypass", "POST is not cached");
    let failed = gw.get("/users/status/500").send().await.unwrap();
    assert_eq!(failed.headers()["x-cache-status"], "Bypass", "500 is not a cached status");
    let again = gw.get("/users/status/500").send().await.unwrap();
    assert_eq!(again.status(), 500);
    assert_ne!(again.headers()["x-cache-status"], "Hit");
}
