//! Nodes report what they run: a runtime started without a plugin the group configures shows
//! Incompatible on `nodes` (Konnect's shape, the plugin and its entity named), is sent the rest of
//! the configuration and serves it, reads out of sync, and the console's instances say why.

use console::{Console, Profile};
use konnect::KonnectClient;
use serde_json::{json, Value};
use system_tests::gateway::Gateway;
use system_tests::spec::Spec;
use system_tests::{processes, wait_until, ADMIN_TOKEN};

/// The fields Konnect's `NodeCompatibilityIssue` and `NodeCompatibilityIssueAffectedResource`
/// define: an answer carries no others.
const ISSUE_FIELDS: [&str; 6] =
    ["code", "severity", "description", "resolution", "affected_resources", "documentation_url"];
const AFFECTED_FIELDS: [&str; 4] = ["id", "type", "parent_code", "details"];
/// Kong's hash of no configuration.
const EMPTY_HASH: &str = "00000000000000000000000000000000";

fn only_fields(v: &Value, allowed: &[&str]) {
    let keys = v.as_object().unwrap().keys();
    for k in keys {
        assert!(allowed.contains(&k.as_str()), "'{k}' is not in Konnect's schema: {v}");
    }
}

/// The group's nodes, validated against Konnect's document, by hostname.
async fn nodes(gw: &Gateway, spec: &Spec) -> Vec<(String, Value)> {
    let (s, list) =
        gw.api.call("GET", &format!("/v2/control-planes/{}/nodes", gw.group), None).await;
    assert_eq!(s, 200, "{list}");
    spec.assert_response("/control-planes/{controlPlaneId}/nodes", "get", 200, &list);
    let items = list["items"].as_array().unwrap();
    items.iter().map(|n| (n["hostname"].as_str().unwrap().to_string(), n.clone())).collect()
}

/// The group's nodes once `ready` holds of them (within 15 s).
async fn nodes_once(
    gw: &Gateway,
    spec: &Spec,
    what: &str,
    ready: impl Fn(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let listed = nodes(gw, spec).await;
        if ready(&listed) {
            return listed;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: {listed:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn node<'a>(nodes: &'a [(String, Value)], hostname: &str) -> &'a Value {
    &nodes.iter().find(|(h, _)| h == hostname).unwrap_or_else(|| panic!("{hostname}")).1
}

async fn expected_hash(gw: &Gateway) -> String {
    let path = format!("/v2/control-planes/{}/expected-config-hash", gw.group);
    gw.api.call("GET", &path, None).await.1["expected_hash"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_a_configured_plugin_is_incompatible_and_serves_the_rest() {
    let spec = Spec::load("control-planes-config.v2.yaml");
    let gw = Gateway::start(&[]).await;
    let (_lean, lean_proxy, lean_status) =
        gw.another_runtime("runtime-lean", &["--disable-plugin", "rate-limiting"]);
    gw.service_and_route("open", "/open").await;
    let (_, rid) = gw.service_and_route("limited", "/limited").await;
    let plugin = gw
        .create(
            &format!("/routes/{rid}/plugins"),
            json!({"name": "rate-limiting", "config": {"minute": 1}}),
        )
        .await;
    let pid = plugin["id"].as_str().unwrap().to_string();
    gw.applied().await;
    // The lean node is sent the routes and serves them.
    let http = reqwest::Client::new();
    wait_until("the lean node serves the routes", 15, || async {
        let answer = http.get(format!("{lean_proxy}/limited")).send().await;
        answer.is_ok_and(|a| a.status() == 200)
    })
    .await;
    let expected = expected_hash(&gw).await;

    // The lean node: Incompatible, the plugin named, its entity and scope given; its node entry
    // carries the hash it serves (its status endpoint's), nothing refused.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let (listed, lean_hash) = loop {
        let st: Value =
            http.get(format!("{lean_status}/status")).send().await.unwrap().json().await.unwrap();
        assert!(st["config_error"].is_null(), "nothing refused: {st}");
        let lean_hash = st["config_hash"].as_str().unwrap().to_string();
        let listed = nodes(&gw, &spec).await;
        let (lean, full) = (node(&listed, "runtime-lean"), node(&listed, "runtime-1"));
        if lean["compatibility_status"]["state"] == "COMPATIBILITY_STATE_INCOMPATIBLE"
            && full["compatibility_status"]["state"] == "COMPATIBILITY_STATE_FULLY_COMPATIBLE"
            && lean["config_hash"] == lean_hash.as_str()
            && full["config_hash"] == expected.as_str()
        {
            break (listed, lean_hash);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lean node shows what it lacks: {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let lean = node(&listed, "runtime-lean").clone();
    let issues = lean["compatibility_status"]["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "{lean}");
    let issue = &issues[0];
    spec.check_component("NodeCompatibilityIssue", issue).unwrap();
    only_fields(issue, &ISSUE_FIELDS);
    assert_eq!(issue["severity"], "error");
    assert_eq!(issue["code"], "plugin_not_available");
    let description = issue["description"].as_str().unwrap();
    assert!(description.contains("Plugin 'rate-limiting' is not available"), "{description}");
    assert!(issue["resolution"].as_str().unwrap().contains("rate-limiting"));
    let affected = &issue["affected_resources"];
    assert_eq!(affected.as_array().unwrap().len(), 1, "{issue}");
    only_fields(&affected[0], &AFFECTED_FIELDS);
    assert_eq!(
        (affected[0]["id"].as_str(), affected[0]["type"].as_str()),
        (Some(&*pid), Some("plugin"))
    );
    assert_eq!(affected[0]["details"], json!([format!("route: {rid}")]), "where it applies");
    let full = node(&listed, "runtime-1");
    assert!(full["compatibility_status"].get("issues").is_none(), "{full}");

    // In sync means running the group's configuration: the lean node runs less.
    assert_eq!(listed.len(), 2);
    assert!(lean_hash != expected && lean_hash != EMPTY_HASH, "{lean_hash} vs {expected}");
    let (s, one) = gw
        .api
        .call(
            "GET",
            &format!("/v2/control-planes/{}/nodes/{}", gw.group, lean["id"].as_str().unwrap()),
            None,
        )
        .await;
    spec.assert_response("/control-planes/{controlPlaneId}/nodes/{nodeId}", "get", s, &one);
    assert_eq!(one["item"]["compatibility_status"], lean["compatibility_status"]);

    // It serves the rest; the route with the plugin goes unlimited there.
    assert_eq!(http.get(format!("{lean_proxy}/open")).send().await.unwrap().status(), 200);
    for _ in 0..3 {
        let answer = http.get(format!("{lean_proxy}/limited")).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert!(answer.headers().get("x-ratelimit-limit-minute").is_none(), "not limited here");
    }
    // The full node limits.
    let first = gw.get("/limited").send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-ratelimit-limit-minute"], "1");
    assert_eq!(gw.get("/limited").send().await.unwrap().status(), 429);

    // The console's instances carry the reason, the plugin and its entity named.
    let app_dir = tempfile::tempdir().unwrap();
    let client = KonnectClient::new(&gw.api.base, ADMIN_TOKEN).unwrap();
    let console =
        Console::new(Profile::local(), client, &app_dir.path().join("cache.sqlite")).unwrap();
    let view = console.group_instances(&gw.group).await.unwrap();
    let row = |host: &str| view.instances.iter().find(|r| r.hostname == host).unwrap().clone();
    let (lean_row, full_row) = (row("runtime-lean"), row("runtime-1"));
    let reason = lean_row.config_error.unwrap_or_default();
    assert!(reason.contains("Plugin 'rate-limiting' is not available"), "{reason}");
    assert!(reason.contains(&format!("plugin {pid} (route: {rid})")), "{reason}");
    assert!(!lean_row.in_sync, "a node running less than the group is not in sync");
    assert_eq!((full_row.in_sync, full_row.config_error), (true, None));

    // Once the group no longer configures the plugin, the lean node runs all of it.
    let (s, _) = gw.call("DELETE", &format!("/plugins/{pid}"), None).await;
    assert_eq!(s, 204);
    let expected = expected_hash(&gw).await;
    nodes_once(&gw, &spec, "the lean node becomes compatible and in sync", |listed| {
        let lean = node(listed, "runtime-lean");
        lean["compatibility_status"]["state"] == "COMPATIBILITY_STATE_FULLY_COMPATIBLE"
            && lean["config_hash"] == expected.as_str()
    })
    .await;
}

#[test]
fn a_plugin_the_runtime_does_not_have_cannot_be_turned_off() {
    let out = std::process::Command::new(processes::bin("runtime"))
        .args(["--disable-plugin", "no-such-plugin", "--control-plane", "127.0.0.1:1"])
        .args(["--cert", "/nonexistent", "--key", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--disable-plugin no-such-plugin: no such plugin"), "{stderr}");
    assert!(stderr.contains("rate-limiting"), "the plugins it has are listed: {stderr}");
}
