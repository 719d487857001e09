//! The data plane link over loopback with a runtime-shaped client: pinned certificates, config
//! pushes with Kong's hash, node sync status, analytics reports and `/v2/metrics` counts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hybrid::link::{self, Incoming, Link, NodeIdentity};
use hybrid::{Frame, Histogram, Report, Series};
use serde_json::json;
use system_tests::spec::Spec;
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};
use tokio_tungstenite::tungstenite::Message;

async fn next_config(ws: &mut Link) -> link::Reconfigure {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(3), ws.next())
            .await
            .expect("a push within 3 s")
            .expect("link open")
            .unwrap();
        if let Message::Binary(b) = msg {
            if let Incoming::Reconfigure(r) = link::decode(&b) {
                return r;
            }
        }
    }
}

async fn node_hash(api: &Api, cp: &str, node: &str) -> Option<String> {
    let (_, list) = api.call("GET", &format!("/v2/control-planes/{cp}/nodes"), None).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == node)
        .map(|n| n["config_hash"].as_str().unwrap().to_string())
}

async fn wait_for_node_hash(api: &Api, cp: &str, node: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while node_hash(api, cp, node).await.as_deref() != Some(want) {
        assert!(Instant::now() < deadline, "node never reported {want}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_runtime_shaped_client_gets_config_and_its_sync_status_follows_its_hash() {
    let config_spec = Spec::load("control-planes-config.v2.yaml");
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let api = Api::new(cp.base_url(), ADMIN_TOKEN);
    let client = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let group = client.list_all_control_planes().await.unwrap().remove(0);
    let g = group.id.clone();
    assert_eq!(group.config.control_plane_endpoint, format!("https://{}", cp.cluster_addr));

    // Pin a certificate to the group.
    let (cert, key) = link::generate_client_certificate("runtime-1").unwrap();
    let (s, pinned) = api
        .call(
            "POST",
            &format!("/v2/control-planes/{g}/dp-client-certificates"),
            Some(json!({"cert": cert, "title": "runtime-1"})),
        )
        .await;
    assert_eq!(s, 201, "{pinned}");
    config_spec.assert_response(
        "/control-planes/{controlPlaneId}/dp-client-certificates",
        "post",
        201,
        &pinned,
    );
    let (s, certs) =
        api.call("GET", &format!("/v2/control-planes/{g}/dp-client-certificates"), None).await;
    assert_eq!((s, certs["page"]["total_count"].as_i64()), (200, Some(1)));
    config_spec.assert_response(
        "/control-planes/{controlPlaneId}/dp-client-certificates",
        "get",
        200,
        &certs,
    );
    let (s, bad) = api
        .call(
            "POST",
            &format!("/v2/control-planes/{g}/dp-client-certificates"),
            Some(json!({"cert": "not a cert"})),
        )
        .await;
    assert_eq!((s, bad["invalid_parameters"][0]["field"].as_str()), (400, Some("cert")));

    // Connect, receive the config, report its hash.
    let who = system_tests::new_node("runtime-1.local");
    let tls = Arc::new(link::client_tls(&cert, &key).unwrap());
    let mut ws = link::connect(
        &cp.cluster_addr.to_string(),
        tls.clone(),
        &who,
        &["key-auth", "rate-limiting"],
    )
    .await
    .unwrap();
    let first = next_config(&mut ws).await;
    let (_, expected) =
        api.call("GET", &format!("/v2/control-planes/{g}/expected-config-hash"), None).await;
    config_spec.assert_response(
        "/control-planes/{controlPlaneId}/expected-config-hash",
        "get",
        200,
        &expected,
    );
    assert_eq!(first.config_hash, expected["expected_hash"].as_str().unwrap());
    assert_eq!(first.config_table["_format_version"], "3.0");
    ws.send(Message::Ping(first.config_hash.clone().into_bytes().into())).await.unwrap();
    wait_for_node_hash(&api, &g, &who.node_id, &first.config_hash).await;
    let (s, nodes) = api.call("GET", &format!("/v2/control-planes/{g}/nodes"), None).await;
    assert_eq!(s, 200);
    config_spec.assert_response("/control-planes/{controlPlaneId}/nodes", "get", 200, &nodes);
    let node = &nodes["items"][0];
    assert_eq!(
        (node["hostname"].as_str(), node["version"].as_str(), node["ip"].as_str()),
        (Some("runtime-1.local"), Some("3.10.0"), Some("127.0.0.1"))
    );
    let (s, one) =
        api.call("GET", &format!("/v2/control-planes/{g}/nodes/{}", who.node_id), None).await;
    assert_eq!(s, 200);
    config_spec.assert_response(
        "/control-planes/{controlPlaneId}/nodes/{nodeId}",
        "get",
        200,
        &one,
    );

    // A change: the node is out of sync until it applies the push and pings the new hash.
    let changed_at = Instant::now();
    let (s, svc) = api
        .call(
            "POST",
            &format!("/v2/control-planes/{g}/core-entities/services"),
            Some(json!({"name": "echo", "url": "http://127.0.0.1:9/"})),
        )
        .await;
    assert_eq!(s, 201, "{svc}");
    let (_, expected) =
        api.call("GET", &format!("/v2/control-planes/{g}/expected-config-hash"), None).await;
    let new_hash = expected["expected_hash"].as_str().unwrap().to_string();
    assert_ne!(new_hash, first.config_hash);
    assert_eq!(
        node_hash(&api, &g, &who.node_id).await.as_deref(),
        Some(first.config_hash.as_str()),
        "out of sync: old hash"
    );
    let pushed = next_config(&mut ws).await;
    assert!(
        changed_at.elapsed() < Duration::from_secs(1),
        "pushed within 1 s, took {:?}",
        changed_at.elapsed()
    );
    assert_eq!(pushed.config_hash, new_hash);
    assert_eq!(pushed.config_table["services"][0]["host"], "127.0.0.1");
    ws.send(Message::Ping(new_hash.clone().into_bytes().into())).await.unwrap();
    wait_for_node_hash(&api, &g, &who.node_id, &new_hash).await;

    // A route references its service by bare id in the pushed table, as Kong exports it.
    let sid = svc["id"].as_str().unwrap();
    api.call(
        "POST",
        &format!("/v2/control-planes/{g}/core-entities/services/{sid}/routes"),
        Some(json!({"paths": ["/echo"]})),
    )
    .await;
    let with_route = next_config(&mut ws).await;
    assert_eq!(with_route.config_table["routes"][0]["service"], sid);

    // An unpinned certificate gets nowhere.
    let (other_cert, other_key) = link::generate_client_certificate("stranger").unwrap();
    let stranger = NodeIdentity { node_id: uuid::Uuid::new_v4().to_string(), ..who.clone() };
    let refused = link::connect(
        &cp.cluster_addr.to_string(),
        Arc::new(link::client_tls(&other_cert, &other_key).unwrap()),
        &stranger,
        &[],
    )
    .await;
    assert!(refused.is_err(), "an unpinned certificate is refused");

    // Analytics: counted once even when a report is resent, and acknowledged.
    let now = chrono_now();
    let mut lat = Histogram::default();
    for ms in [1.0, 2.0, 3.0] {
        lat.record(ms);
    }
    let series = vec![
        Series {
            service: Some(sid.to_string()),
            status: 200,
            count: 7,
            response_latency: lat.clone(),
            response_latency_sum: 14.0,
            ..Default::default()
        },
        Series {
            service: Some(sid.to_string()),
            status: 404,
            count: 2,
            response_latency: lat.clone(),
            response_latency_sum: 4.0,
            ..Default::default()
        },
        Series { service: None, status: 503, count: 1, ..Default::default() },
    ];
    let report = Report {
        id: format!("{}:{}", who.node_id, now - 20),
        interval_start: now - 20,
        interval_secs: 10,
        series,
    };
    for _ in 0..2 {
        let frame = Frame::Analytics { reports: vec![report.clone()] };
        ws.send(Message::Binary(serde_json::to_vec(&frame).unwrap().into())).await.unwrap();
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(3), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let Message::Binary(b) = msg {
                if let Incoming::Frame(Frame::AnalyticsAck { ids }) = link::decode(&b) {
                    assert_eq!(ids, vec![report.id.clone()]);
                    break;
                }
            }
        }
    }
    let metrics_spec = Spec::load("analytics-metrics.v2.yaml");
    let query = json!({
        "metrics": ["request_count", "response_latency_p99"],
        "dimensions": ["status_code_grouped"],
        "filters": [{"field": "control_plane", "operator": "in", "value": [g]}],
        "time_range": {"type": "relative", "time_range": "15m"},
    });
    let (s, m) = api.call("POST", "/v2/metrics", Some(query)).await;
    assert_eq!(s, 200, "{m}");
    metrics_spec.assert_response("/metrics", "post", 200, &m);
    let count = |class: &str| {
        m["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["event"]["status_code_grouped"] == class)
            .map(|d| d["event"]["request_count"].as_i64().unwrap())
    };
    assert_eq!(
        (count("2XX"), count("4XX"), count("5XX")),
        (Some(7), Some(2), Some(1)),
        "exact counts, the resend not counted: {m}"
    );
    let p99 = m["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event"]["status_code_grouped"] == "2XX")
        .unwrap()["event"]["response_latency_p99"]
        .as_f64()
        .unwrap();
    assert!((p99 - 3.0).abs() < 0.25, "p99 from the histogram: {p99}");
    let (s, by_service) = api
        .call(
            "POST",
            "/v2/metrics",
            Some(json!({
                "dimensions": ["gateway_service"],
                "time_range": {"type": "relative", "time_range": "1h"},
            })),
        )
        .await;
    assert_eq!(s, 200);
    let key = format!("{g}:{sid}");
    assert_eq!(by_service["meta"]["display"]["gateway_service"][&key]["name"], "echo");
    let (s, timeline) = api
        .call(
            "POST",
            "/v2/metrics",
            Some(json!({
                "dimensions": ["time"],
                "granularity": "tenSecondly",
                "time_range": {"type": "relative", "time_range": "15m"},
            })),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(timeline["meta"]["granularity_ms"], 10000);
    assert_eq!(
        timeline["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["event"]["request_count"].as_i64().unwrap())
            .sum::<i64>(),
        10
    );
    for bad in [
        json!({"metrics": ["nope"]}),
        json!({"dimensions": ["a", "b", "c"]}),
        json!({"time_range": {"type": "relative", "time_range": "2y"}}),
        json!({"filters": [{"field": "route", "operator": "like", "value": []}]}),
    ] {
        let (s, e) = api.call("POST", "/v2/metrics", Some(bad.clone())).await;
        assert_eq!(s, 400, "{bad}");
        assert!(e["invalid_parameters"][0]["field"].is_string(), "names the field: {e}");
    }

    // Deleting the group orphans the node: the link closes, the config it has is its own business.
    client.delete_control_plane(&g).await.unwrap_err(); // the default group is protected
    let temp = client
        .create_control_plane(&konnect::CreateControlPlaneRequest {
            name: "temp".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    api.call(
        "POST",
        &format!("/v2/control-planes/{}/dp-client-certificates", temp.id),
        Some(json!({"cert": other_cert})),
    )
    .await;
    let mut orphan = link::connect(
        &cp.cluster_addr.to_string(),
        Arc::new(link::client_tls(&other_cert, &other_key).unwrap()),
        &stranger,
        &[],
    )
    .await
    .unwrap();
    next_config(&mut orphan).await;
    client.delete_control_plane(&temp.id).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match orphan.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                _ => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the deleted group's link is closed");
    cp.shutdown().await;
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
