//! One runtime instance's own traffic: the console's instance dashboard asks the analytics API
//! with Konnect's `data_plane_node` filter, so two runtimes of one group show their own counts.

use console::{Console, Profile};
use konnect::KonnectClient;
use serde_json::Value;
use system_tests::gateway::Gateway;
use system_tests::{wait_until, ADMIN_TOKEN};

async fn node_id(gw: &Gateway, status: &str) -> String {
    let s: Value =
        gw.http.get(format!("{status}/status")).send().await.unwrap().json().await.unwrap();
    s["node_id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_runtime_instance_shows_its_own_traffic() {
    let gw = Gateway::start(&[]).await;
    gw.service_and_route("users", "/users").await;
    gw.applied().await;
    let (_second, proxy2, status2) = gw.another_runtime("runtime-2", &[]);
    let (first, second) = (node_id(&gw, &gw.status).await, node_id(&gw, &status2).await);
    for _ in 0..5 {
        assert_eq!(gw.get("/users").send().await.unwrap().status(), 200);
    }
    wait_until("the second runtime serves", 15, || async {
        gw.http.get(format!("{proxy2}/users")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    for _ in 0..2 {
        gw.http.get(format!("{proxy2}/users")).send().await.unwrap();
    }
    let app = tempfile::tempdir().unwrap();
    let client = KonnectClient::new(&gw.api.base, ADMIN_TOKEN).unwrap();
    let console = Console::new(Profile::local(), client, &app.path().join("c.sqlite")).unwrap();
    let requests = |node: String| {
        let console = &console;
        let group = gw.group.clone();
        async move {
            let d = console.instance_dashboard(&group, &node, "15m").await.unwrap();
            d.requests.value.unwrap_or(0.0)
        }
    };
    wait_until("both runtimes reported their traffic", 40, || async {
        requests(first.clone()).await >= 5.0 && requests(second.clone()).await >= 2.0
    })
    .await;
    assert_eq!(requests(first).await, 5.0, "the first runtime's own requests");
    let whole = console.group_dashboard(&gw.group, "15m").await.unwrap();
    assert!(whole.requests.value.unwrap_or(0.0) >= 7.0, "the group sees both");
    assert_eq!(requests("no-such-node".into()).await, 0.0);
}
