//! The control plane and two runtimes as real processes on loopback, with a real upstream:
//! routing and key-auth as configured, changes reaching both runtimes, exact analytics,
//! no failed request while the control plane is killed, and orphaned runtimes that keep serving.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use system_tests::processes::{self, free_port};
use system_tests::upstream::echo;
use system_tests::{wait_until, Api, ADMIN_TOKEN};

/// Writes each of `parts` to the proxy at `addr` (waiting for an answer to begin between them),
/// then reads until the proxy closes the connection.
async fn raw(addr: &str, parts: &[&[u8]]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        s.write_all(part).await.unwrap();
        if i + 1 < parts.len() {
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
                .await
                .expect("an interim answer")
                .unwrap();
            got.extend_from_slice(&buf[..n]);
        }
    }
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got))
        .await
        .expect("the proxy closes the connection")
        .unwrap();
    String::from_utf8_lossy(&got).into_owned()
}

async fn status(http: &reqwest::Client, url: &str) -> Value {
    match http.get(format!("{url}/status")).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// A group with a pinned certificate written to `dir`; returns (group id, cert path, key path).
async fn group_with_cert(
    api: &Api,
    name: &str,
    dir: &Path,
) -> (String, std::path::PathBuf, std::path::PathBuf) {
    let (s, g) = api.call("POST", "/v2/control-planes", Some(json!({"name": name}))).await;
    assert_eq!(s, 201, "{g}");
    let id = g["id"].as_str().unwrap().to_string();
    let (cert, key) = hybrid::link::generate_client_certificate(name).unwrap();
    assert_eq!(
        api.call(
            "POST",
            &format!("/v2/control-planes/{id}/dp-client-certificates"),
            Some(json!({"cert": cert}))
        )
        .await
        .0,
        201
    );
    let (cp, kp) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    std::fs::write(&cp, cert).unwrap();
    std::fs::write(&kp, key).unwrap();
    (id, cp, kp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runtimes_proxy_report_and_outlive_their_control_plane() {
    let tmp = tempfile::tempdir().unwrap();
    let (api_port, cluster_port) = (free_port(), free_port());
    let mut cp = processes::control_plane(&tmp.path().join("cp"), api_port, cluster_port);
    let api = Api::new(format!("http://127.0.0.1:{api_port}"), ADMIN_TOKEN);
    let upstream = echo("users").await;
    let (g, cert, key) = group_with_cert(&api, "prod", tmp.path()).await;
    let ce = format!("/v2/control-planes/{g}/core-entities");

    // A service, a route and key-auth, through the API.
    let (s, svc) = api
        .call(
            "POST",
            &format!("{ce}/services"),
            Some(json!({"name": "users", "url": format!("http://{}/api", upstream.addr)})),
        )
        .await;
    assert_eq!(s, 201, "{svc}");
    let sid = svc["id"].as_str().unwrap();
    assert_eq!(
        api.call(
            "POST",
            &format!("{ce}/services/{sid}/routes"),
            Some(json!({"name": "users", "paths": ["/users"]}))
        )
        .await
        .0,
        201
    );
    assert_eq!(
        api.call(
            "POST",
            &format!("{ce}/services/{sid}/plugins"),
            Some(json!({"name": "key-auth"}))
        )
        .await
        .0,
        201
    );
    assert_eq!(
        api.call("POST", &format!("{ce}/consumers"), Some(json!({"username": "alice"}))).await.0,
        201
    );
    assert_eq!(
        api.call(
            "POST",
            &format!("{ce}/consumers/alice/key-auth"),
            Some(json!({"key": "alice-key"}))
        )
        .await
        .0,
        201
    );

    let endpoint = format!("127.0.0.1:{cluster_port}");
    let (_r1, proxy1, status1) = processes::runtime(&endpoint, &cert, &key, "runtime-1");
    let (_r2, proxy2, status2) = processes::runtime(&endpoint, &cert, &key, "runtime-2");
    let http = reqwest::Client::new();
    let expected = || async {
        api.call("GET", &format!("/v2/control-planes/{g}/expected-config-hash"), None).await.1
            ["expected_hash"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let want = expected().await;
    for st in [&status1, &status2] {
        wait_until("a runtime applies the config", 10, || async {
            status(&http, st).await["config_hash"] == want.as_str()
        })
        .await;
    }

    // Routed as configured.
    let mut sent: std::collections::HashMap<u16, i64> = Default::default();
    for proxy in [&proxy1, &proxy2] {
        let ok = http
            .get(format!("{proxy}/users/42?x=1"))
            .header("apikey", "alice-key")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status().as_u16(), 200);
        assert!(ok.headers().get("x-kong-upstream-latency").is_some());
        let body: Value = ok.json().await.unwrap();
        assert_eq!(body["path"], "/api/42?x=1", "strip_path and the service path");
        assert_eq!(body["headers"]["x-consumer-username"], "alice");
        let by_query = http.get(format!("{proxy}/users?apikey=alice-key")).send().await.unwrap();
        assert_eq!(by_query.status().as_u16(), 200, "the key may come in the query");
        let none = http.get(format!("{proxy}/users")).send().await.unwrap();
        assert_eq!(none.status().as_u16(), 401);
        assert_eq!(none.headers()["www-authenticate"], "Key");
        assert_eq!(none.json::<Value>().await.unwrap()["message"], "No API key found in request");
        let wrong =
            http.get(format!("{proxy}/users")).header("apikey", "nope").send().await.unwrap();
        assert_eq!(wrong.json::<Value>().await.unwrap()["message"], "Unauthorized");
        let lost = http.get(format!("{proxy}/nowhere")).send().await.unwrap();
        assert_eq!(lost.status().as_u16(), 404);
        assert_eq!(
            lost.json::<Value>().await.unwrap()["message"],
            "no Route matched with those values"
        );
        *sent.entry(200).or_default() += 2;
        *sent.entry(401).or_default() += 2;
        *sent.entry(404).or_default() += 1;
    }

    // A change reaches both runtimes, and both report in sync.
    assert_eq!(
        api.call(
            "POST",
            &format!("{ce}/services/{sid}/routes"),
            Some(json!({"name": "health", "paths": ["/health"]}))
        )
        .await
        .0,
        201
    );
    let want = expected().await;
    wait_until("both nodes in sync", 10, || async {
        let (_, nodes) = api.call("GET", &format!("/v2/control-planes/{g}/nodes"), None).await;
        let items = nodes["items"].as_array().cloned().unwrap_or_default();
        items.len() == 2 && items.iter().all(|n| n["config_hash"] == want.as_str())
    })
    .await;
    let (_, nodes) = api.call("GET", &format!("/v2/control-planes/{g}/nodes"), None).await;
    let mut hosts: Vec<&str> = nodes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["hostname"].as_str().unwrap())
        .collect();
    hosts.sort();
    assert_eq!(hosts, ["runtime-1", "runtime-2"]);

    // Kill the control plane mid-traffic: no proxied request fails.
    let traffic = {
        let (http, p1, p2) = (http.clone(), proxy1.clone(), proxy2.clone());
        tokio::spawn(async move {
            let mut codes = Vec::new();
            for i in 0..150 {
                let proxy = if i % 2 == 0 { &p1 } else { &p2 };
                let r = http
                    .get(format!("{proxy}/users/{i}"))
                    .header("apikey", "alice-key")
                    .send()
                    .await;
                codes.push(r.map(|r| r.status().as_u16()).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            codes
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    cp.kill();
    let codes = traffic.await.unwrap();
    assert!(
        codes.iter().all(|c| *c == 200),
        "every request during the outage succeeded: {:?}",
        codes.iter().filter(|c| **c != 200).count()
    );
    *sent.entry(200).or_default() += codes.len() as i64;
    wait_until("the runtimes notice the outage", 10, || async {
        status(&http, &status1).await["connected"] == false
    })
    .await;
    assert_eq!(
        http.get(format!("{proxy1}/users/x"))
            .header("apikey", "alice-key")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200,
        "still serving"
    );
    *sent.entry(200).or_default() += 1;

    // Back up on the same addresses: the runtimes reconnect and deliver every held report.
    let _cp = processes::control_plane(&tmp.path().join("cp"), api_port, cluster_port);
    wait_until("the runtimes reconnect", 15, || async {
        status(&http, &status1).await["connected"] == true
            && status(&http, &status2).await["connected"] == true
    })
    .await;
    let total: i64 = sent.values().sum();
    let query = json!({
        "metrics": ["request_count"],
        "dimensions": ["status_code"],
        "filters": [{"field": "control_plane", "operator": "in", "value": [g]}],
        "time_range": {"type": "relative", "time_range": "15m"},
    });
    wait_until("every request is counted", 30, || async {
        let (_, m) = api.call("POST", "/v2/metrics", Some(query.clone())).await;
        m["data"]
            .as_array()
            .map(|d| {
                d.iter().map(|e| e["event"]["request_count"].as_i64().unwrap_or(0)).sum::<i64>()
            })
            .unwrap_or(0)
            == total
    })
    .await;
    let (_, m) = api.call("POST", "/v2/metrics", Some(query)).await;
    for (code, n) in &sent {
        let got = m["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["event"]["status_code"] == code.to_string().as_str())
            .map(|e| e["event"]["request_count"].as_i64().unwrap());
        assert_eq!(got, Some(*n), "status {code}: {m}");
    }

    // Deleting the group orphans its runtimes; they keep serving their last configuration.
    let (s, _) = api.call("DELETE", &format!("/v2/control-planes/{g}"), None).await;
    assert_eq!(s, 204);
    tokio::time::sleep(Duration::from_millis(500)).await;
    for proxy in [&proxy1, &proxy2] {
        assert_eq!(
            http.get(format!("{proxy}/users/1"))
                .header("apikey", "alice-key")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            200
        );
    }
    assert!(upstream.hits.load(std::sync::atomic::Ordering::SeqCst) > 150);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_balances_limits_and_answers_kongs_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (api_port, cluster_port) = (free_port(), free_port());
    let _cp = processes::control_plane(&tmp.path().join("cp"), api_port, cluster_port);
    let api = Api::new(format!("http://127.0.0.1:{api_port}"), ADMIN_TOKEN);
    let (a, b) = (echo("a").await, echo("b").await);
    let (g, cert, key) = group_with_cert(&api, "edge", tmp.path()).await;
    let ce = format!("/v2/control-planes/{g}/core-entities");
    let post = |path: String, body: Value| {
        let api = &api;
        async move {
            let (s, v) = api.call("POST", &path, Some(body)).await;
            assert_eq!(s, 201, "{path}: {v}");
            v
        }
    };
    post(format!("{ce}/upstreams"), json!({"name": "pool.internal"})).await;
    post(
        format!("{ce}/upstreams/pool.internal/targets"),
        json!({"target": a.addr.to_string(), "weight": 100}),
    )
    .await;
    post(
        format!("{ce}/upstreams/pool.internal/targets"),
        json!({"target": b.addr.to_string(), "weight": 100}),
    )
    .await;
    post(format!("{ce}/upstreams"), json!({"name": "empty.internal"})).await;
    let pool = post(
        format!("{ce}/services"),
        json!({"name": "pool", "host": "pool.internal", "port": 80}),
    )
    .await;
    post(
        format!("{ce}/services/{}/routes", pool["id"].as_str().unwrap()),
        json!({"paths": ["/pool"], "preserve_host": true}),
    )
    .await;
    let empty =
        post(format!("{ce}/services"), json!({"name": "empty", "host": "empty.internal"})).await;
    post(
        format!("{ce}/services/{}/routes", empty["id"].as_str().unwrap()),
        json!({"paths": ["/empty"]}),
    )
    .await;
    let closed = processes::free_port();
    let dead = post(
        format!("{ce}/services"),
        json!({"name": "dead", "url": format!("http://127.0.0.1:{closed}"), "retries": 2}),
    )
    .await;
    post(
        format!("{ce}/services/{}/routes", dead["id"].as_str().unwrap()),
        json!({"paths": ["/dead"]}),
    )
    .await;
    let slow = post(
        format!("{ce}/services"),
        json!({"name": "slow", "url": format!("http://{}/slow", a.addr), "read_timeout": 300}),
    )
    .await;
    post(
        format!("{ce}/services/{}/routes", slow["id"].as_str().unwrap()),
        json!({"paths": ["/slow"]}),
    )
    .await;
    let limited = post(
        format!("{ce}/services"),
        json!({"name": "limited", "url": format!("http://{}", a.addr)}),
    )
    .await;
    let lr = post(
        format!("{ce}/services/{}/routes", limited["id"].as_str().unwrap()),
        json!({"paths": ["~/limited/\\d+$"], "strip_path": false}),
    )
    .await;
    post(
        format!("{ce}/routes/{}/plugins", lr["id"].as_str().unwrap()),
        json!({"name": "rate-limiting", "config": {"minute": 3, "limit_by": "ip"}}),
    )
    .await;

    let (_rt, proxy, st) =
        processes::runtime(&format!("127.0.0.1:{cluster_port}"), &cert, &key, "edge-1");
    let http = reqwest::Client::new();
    let (_, want) =
        api.call("GET", &format!("/v2/control-planes/{g}/expected-config-hash"), None).await;
    wait_until("config applied", 10, || async {
        status(&http, &st).await["config_hash"] == want["expected_hash"]
    })
    .await;

    // Weighted round-robin over two targets; preserve_host passes the client's Host through.
    let mut servers = std::collections::HashMap::new();
    for _ in 0..40 {
        let body: Value = http
            .get(format!("{proxy}/pool/x"))
            .header("host", "shop.example.com")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["headers"]["host"], "shop.example.com");
        *servers.entry(body["server"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    assert_eq!(
        (servers.get("a"), servers.get("b")),
        (Some(&20), Some(&20)),
        "equal weights, equal shares"
    );

    let err = |path: &'static str| {
        let (http, proxy) = (http.clone(), proxy.clone());
        async move {
            let r = http.get(format!("{proxy}{path}")).send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap()["message"].as_str().unwrap_or("").to_string(),
            )
        }
    };
    assert_eq!(
        err("/empty").await,
        (503, "failure to get a peer from the ring-balancer".to_string())
    );
    assert_eq!(
        err("/dead").await,
        (502, "An invalid response was received from the upstream server".to_string())
    );
    let started = Instant::now();
    assert_eq!(err("/slow").await, (504, "The upstream server is timing out".to_string()));
    assert!(started.elapsed() < Duration::from_millis(1500), "read_timeout is honoured");

    // Bodies both ways: a request body arrives whole with its length; answers framed by chunks
    // (of unknown total) and by a length too big to hold stream through; a HEAD answer has no
    // body; the kept connection serves the next request after each.
    let posted: Value = http
        .post(format!("{proxy}/pool/form"))
        .header("content-type", "text/plain")
        .body("name=alice&team=ops")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            posted["method"].as_str(),
            posted["body"].as_str(),
            posted["headers"]["content-length"].as_str()
        ),
        (Some("POST"), Some("name=alice&team=ops"), Some("19"))
    );
    let chunked = http.get(format!("{proxy}/pool/bytes/300001")).send().await.unwrap();
    assert_eq!(chunked.status().as_u16(), 200);
    let bytes = chunked.bytes().await.unwrap();
    assert_eq!(
        (bytes.len(), bytes[0], bytes[10_000], bytes[300_000]),
        (300_001, b'a', b'b', b'e'),
        "every chunk, in order"
    );
    let sized = http.get(format!("{proxy}/pool/sized/1000000")).send().await.unwrap();
    assert_eq!(sized.headers()["content-length"], "1000000");
    let bytes = sized.bytes().await.unwrap();
    assert!(bytes.len() == 1_000_000 && bytes.iter().all(|b| *b == b'z'));
    let head = http.head(format!("{proxy}/pool/sized/77")).send().await.unwrap();
    assert_eq!(
        (head.status().as_u16(), head.headers()["content-length"].to_str().unwrap()),
        (200, "77")
    );
    assert!(head.bytes().await.unwrap().is_empty());
    let after: Value =
        http.get(format!("{proxy}/pool/after")).send().await.unwrap().json().await.unwrap();
    assert_eq!(after["path"], "/after", "strip_path");

    // The proxy's own HTTP/1.1 server, spoken to byte by byte: two pipelined requests in one
    // write are answered in order; a chunked body sent after `Expect: 100-continue` reaches the
    // upstream whole with its length; an HTTP/1.0 client gets a chunked upstream answer delimited
    // by the close; framing that contradicts itself, a request without a host and garbage get
    // 400 and the connection closes.
    let addr = proxy.trim_start_matches("http://").to_string();
    let both = raw(
        &addr,
        &[b"GET /pool/one HTTP/1.1\r\nHost: a\r\n\r\nGET /pool/two HTTP/1.1\r\nHost: \
            a\r\nConnection: close\r\n\r\n"],
    )
    .await;
    let (one, two) = (
        both.find("\"path\":\"/one\"").expect("first answer"),
        both.find("\"path\":\"/two\"").expect("second answer"),
    );
    assert!(one < two && both.matches("HTTP/1.1 200 OK").count() == 2, "{both}");
    assert!(
        both.to_lowercase().contains("connection: close"),
        "the last answer says the connection closes"
    );
    let posted = raw(
        &addr,
        &[
            b"POST /pool/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: \
                100-continue\r\nConnection: close\r\n\r\n",
            b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n",
        ],
    )
    .await;
    assert!(posted.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"), "{posted}");
    assert!(
        posted.contains("\"body\":\"hello world\"") && posted.contains("\"content-length\":\"11\""),
        "{posted}"
    );
    assert!(
        !posted.contains("transfer-encoding"),
        "the upstream gets a length, not chunks: {posted}"
    );
    let old = raw(&addr, &[b"GET /pool/bytes/20000 HTTP/1.0\r\nHost: a\r\n\r\n"]).await;
    let (old_head, old_body) = old.split_once("\r\n\r\n").unwrap();
    assert!(
        !old_head.to_lowercase().contains("transfer-encoding")
            && old_head.to_lowercase().contains("connection: close"),
        "{old_head}"
    );
    assert_eq!(old_body.len(), 20_000, "the body runs to the close");
    for bad in [
        &b"POST /pool/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: \
            chunked\r\n\r\n0\r\n\r\n"[..],
        b"HELLO\r\n\r\n",
        b"GET /pool/x HTTP/1.1\r\n\r\n",
        b"GET /pool/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nab",
    ] {
        let answer = raw(&addr, &[bad]).await;
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request")
                && answer.contains("\"message\":\"Bad request\""),
            "{answer}"
        );
    }

    // Rate limiting on a regex route, with Kong's headers.
    for i in 1..=3 {
        let r = http.get(format!("{proxy}/limited/{i}")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["ratelimit-remaining"], (3 - i).to_string().as_str());
        assert_eq!(r.headers()["x-ratelimit-limit-minute"], "3");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["path"], format!("/limited/{i}"), "strip_path false keeps the path");
    }
    let blocked = http.get(format!("{proxy}/limited/4")).send().await.unwrap();
    assert_eq!(blocked.status().as_u16(), 429);
    assert!(blocked.headers().get("retry-after").is_some());
    assert_eq!(blocked.json::<Value>().await.unwrap()["message"], "API rate limit exceeded");
    assert_eq!(err("/limited/abc").await.0, 404, "the regex is anchored and must match");
}

#[tokio::test]
async fn a_runtime_without_a_control_plane_serves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = hybrid::link::generate_client_certificate("lonely").unwrap();
    std::fs::write(tmp.path().join("c.pem"), cert).unwrap();
    std::fs::write(tmp.path().join("k.pem"), key).unwrap();
    let nowhere = format!("127.0.0.1:{}", free_port());
    let (_rt, proxy, st) = processes::runtime(
        &nowhere,
        &tmp.path().join("c.pem"),
        &tmp.path().join("k.pem"),
        "lonely",
    );
    let http = reqwest::Client::new();
    let r = http.get(format!("{proxy}/anything")).send().await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        503,
        "configuration lives in memory only: none yet, nothing served"
    );
    let s = status(&http, &st).await;
    assert_eq!((s["configured"].as_bool(), s["connected"].as_bool()), (Some(false), Some(false)));
    assert_eq!(http.get(format!("{st}/status/ready")).send().await.unwrap().status().as_u16(), 503);
}
