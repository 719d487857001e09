//! The living demo on a fresh embedded default: its groups carry Kong's everyday plugins, every
//! runtime runs them (no node refuses its configuration), and the demo's traffic meets them, so
//! the analytics show 200s with 401 (key-auth), 403 (ip-restriction, acl), 404, 429
//! (rate-limiting) and 500.

use std::collections::BTreeSet;

use serde_json::json;
use system_tests::processes::bin;
use system_tests::wait_until;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_every_plugin_it_configures_and_its_traffic_meets_them() {
    std::env::set_var("RUNTIME_MANAGER_RUNTIME_BIN", bin("runtime"));
    std::env::set_var("RUNTIME_MANAGER_SECRETS", "memory");
    let dir = tempfile::tempdir().unwrap();
    let app = console::embedded::EmbeddedDefault::start(dir.path()).await.unwrap();
    let demo = demo::Demo::default();
    let status = demo.start(&app).await.unwrap();
    assert_eq!(status.runtimes, 4, "{status:?}");
    let console = app.console().await;
    let groups: Vec<String> = console
        .client()
        .list_all_control_planes()
        .await
        .unwrap()
        .into_iter()
        .filter(|g| g.name != "default")
        .map(|g| g.id)
        .collect();
    assert_eq!(groups.len(), 2);
    for g in &groups {
        let plugins = console.group_entities(g, "plugins").await.unwrap();
        let names: BTreeSet<&str> =
            plugins.rows.iter().filter_map(|p| p["name"].as_str()).collect();
        for want in ["cors", "ip-restriction", "request-transformer", "acl", "proxy-cache"] {
            assert!(names.contains(want), "{want} in {names:?}");
        }
        wait_until("every runtime of the group applied its configuration", 30, || async {
            let view = console.group_instances(g).await.unwrap();
            view.instances.len() == 2
                && view.instances.iter().all(|i| i.in_sync && i.config_error.is_none())
        })
        .await;
    }
    let codes = || async {
        let query = json!({
            "metrics": ["request_count"],
            "dimensions": ["status_code"],
            "filters": [{"field": "control_plane", "operator": "in", "value": groups}],
            "time_range": {"type": "relative", "time_range": "15m"},
        });
        let answer = console.client().query_metrics(&query).await.unwrap();
        let seen: BTreeSet<String> = answer["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["event"]["status_code"].as_str().map(str::to_string))
            .collect();
        seen
    };
    let want = ["200", "401", "403", "404", "429", "500"];
    wait_until("the demo's traffic shows every status it is built to", 90, || async {
        let seen = codes().await;
        want.iter().all(|c| seen.contains(*c))
    })
    .await;
    demo.stop().await;
}
