//! The console's group views against the real control plane: runtime instances with their sync
//! status, and the dashboard's figures from reported analytics; both from the cache once the
//! control plane is gone.

use std::sync::Arc;
use std::time::Duration;

use console::{Console, ErrorCode, Profile};
use futures_util::{SinkExt, StreamExt};
use hybrid::link::{self, Incoming};
use hybrid::{Frame, Histogram, Report, Series};
use konnect::KonnectClient;
use serde_json::json;
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn instances_and_dashboard_come_live_then_from_the_cache() {
    let cp_dir = tempfile::tempdir().unwrap();
    let app_dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(cp_dir.path()).await;
    let client = KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let console =
        Console::new(Profile::local(), client.clone(), &app_dir.path().join("cache.sqlite"))
            .unwrap();
    let api = Api::new(cp.base_url(), ADMIN_TOKEN);
    let group = client
        .create_control_plane(&konnect::CreateControlPlaneRequest {
            name: "prod".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let g = group.id.clone();
    let (_, svc) = api
        .call(
            "POST",
            &format!("/v2/control-planes/{g}/core-entities/services"),
            Some(json!({"name": "orders-api", "host": "orders.internal"})),
        )
        .await;
    let sid = svc["id"].as_str().unwrap().to_string();

    // One runtime-shaped node that applies the config and reports 10 requests: 7 OK, 2 4XX, 1 5XX.
    let (cert, key) = link::generate_client_certificate("n1").unwrap();
    client.pin_dp_certificate(&g, &cert, "n1").await.unwrap();
    let who = system_tests::new_node("prod-1");
    let mut ws = link::connect(
        &cp.cluster_addr.to_string(),
        Arc::new(link::client_tls(&cert, &key).unwrap()),
        &who,
        &[],
    )
    .await
    .unwrap();
    let hash = loop {
        if let Some(Ok(Message::Binary(b))) = ws.next().await {
            if let Incoming::Reconfigure(r) = link::decode(&b) {
                break r.config_hash;
            }
        }
    };
    ws.send(Message::Ping(hash.clone().into_bytes().into())).await.unwrap();
    let mut lat = Histogram::default();
    lat.record(12.0);
    let now = chrono::Utc::now().timestamp();
    let series = |status: u16, count: u64| Series {
        service: Some(sid.clone()),
        status,
        count,
        response_latency: lat.clone(),
        response_latency_sum: 12.0 * count as f64,
        ..Default::default()
    };
    let report = Report {
        id: format!("{}:{}", who.node_id, now - 30),
        interval_start: now - 30,
        interval_secs: 10,
        series: vec![series(200, 7), series(404, 2), series(502, 1)],
    };
    ws.send(Message::Binary(
        serde_json::to_vec(&Frame::Analytics { reports: vec![report] }).unwrap().into(),
    ))
    .await
    .unwrap();
    loop {
        if let Some(Ok(Message::Binary(b))) = ws.next().await {
            if matches!(link::decode(&b), Incoming::Frame(Frame::AnalyticsAck { .. })) {
                break;
            }
        }
    }

    // Instances: the node, in sync.
    let mut view = console.group_instances(&g).await.unwrap();
    for _ in 0..30 {
        if view.instances.first().is_some_and(|i| i.in_sync) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        view = console.group_instances(&g).await.unwrap();
    }
    let row = &view.instances[0];
    assert_eq!(
        (row.hostname.as_str(), row.ip.as_str(), row.in_sync, row.connected),
        ("prod-1", "127.0.0.1", true, true)
    );
    // A change makes it out of sync until it reports the new hash.
    api.call(
        "POST",
        &format!("/v2/control-planes/{g}/core-entities/services"),
        Some(json!({"name": "users-api", "host": "users.internal"})),
    )
    .await;
    assert!(
        !console.group_instances(&g).await.unwrap().instances[0].in_sync,
        "out of sync after a change"
    );
    let overview = console.refresh_overview().await.unwrap();
    let prod = overview.groups.iter().find(|r| r.name == "prod").unwrap();
    assert_eq!((prod.active_instances, prod.total_instances, prod.in_sync_instances), (1, 1, 0));

    // Dashboard: exact figures.
    let d = console.group_dashboard(&g, "15m").await.unwrap();
    assert_eq!(d.requests.value, Some(10.0));
    assert_eq!(d.requests.previous, Some(0.0), "nothing in the 15 minutes before");
    assert!((d.error_rate.value.unwrap() - 30.0).abs() < 1e-9, "(2 + 1) / 10");
    assert!((d.p99_latency_ms.value.unwrap() - 12.0).abs() < 1.0);
    assert_eq!(d.top_services[0].name, "orders-api");
    assert_eq!(
        d.traffic.iter().map(|p| p.success + p.client_errors + p.server_errors).sum::<f64>(),
        10.0
    );
    assert!(d.traffic_svg.starts_with("<svg") && d.traffic_svg.contains("5XX"));
    let bad = console.group_dashboard(&g, "2y").await.unwrap_err();
    assert!(bad.fields.contains_key("time_frame"));

    // Configuration lists, every kind through one path.
    let services = console.group_entities(&g, "services").await.unwrap();
    let mut names: Vec<&str> = services.rows.iter().filter_map(|r| r["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["orders-api", "users-api"]);
    assert!(console.group_entities(&g, "routes").await.unwrap().rows.is_empty());
    assert!(console.group_entities(&g, "widgets").await.unwrap_err().fields.contains_key("kind"));

    // The control plane goes away: the views come from the cache, marked as such.
    drop(ws);
    cp.shutdown().await;
    let cached = console.group_instances(&g).await.unwrap();
    assert_eq!(cached.instances.len(), 1);
    assert_eq!(
        cached.offline_reason.as_deref(),
        Some("Offline: the connection was refused."),
        "the cause in words, no address"
    );
    let cached = console.group_dashboard(&g, "15m").await.unwrap();
    assert_eq!(cached.requests.value, Some(10.0));
    assert!(cached.offline_reason.is_some());
    let never = console.group_dashboard(&g, "7d").await.unwrap_err();
    assert_eq!(never.code, ErrorCode::NotCached, "a frame never fetched has nothing to show");
    assert!(never.message.starts_with("Nothing was cached for the last 7 days"), "{never:?}");
    assert!(never.message.contains("Cached: the last 15 minutes."), "{never:?}");
    assert!(!never.message.contains("http"), "{never:?}");
    let cached = console.group_entities(&g, "services").await.unwrap();
    assert_eq!(cached.rows.len(), 2);
    assert!(cached.offline_reason.is_some());

    // The list the UI paints first, its bodies passed through as stored: the list last fetched.
    let values = console.cached_group_entities(&g, "services").await.unwrap().unwrap();
    assert_eq!(values.rows, services.rows, "the cached bodies are the live ones, in their order");
    let text = console.cached_group_entities_json(&g, "services", None).await.unwrap().unwrap();
    let parsed: console::entities::EntityList = serde_json::from_str(text.0.get()).unwrap();
    assert_eq!(parsed, values);
    assert_eq!(parsed.rows.len(), 2);
    let first = console.cached_group_entities_json(&g, "services", Some(1)).await.unwrap();
    let first: console::entities::EntityList =
        serde_json::from_str(first.unwrap().0.get()).unwrap();
    assert_eq!(first.rows, values.rows[..1], "the first row in the API's order");
    assert!(console.cached_group_entities_json(&g, "routes", None).await.unwrap().is_none());
}
