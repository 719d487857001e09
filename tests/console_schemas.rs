//! The console's schemas: read from the group's API, cached per group by a schema sync, served
//! from the cache with the control plane stopped; validate-before-save gives a save's field
//! errors; a Konnect profile asks only for what Konnect's API serves.

use console::{Console, ErrorCode, Profile};
use konnect::{KonnectClient, Region, RetryPolicy};
use serde_json::json;
use system_tests::{start_control_plane, ADMIN_TOKEN};

/// A client that gives up on a stopped control plane at once rather than after its backoff.
fn client(base: &str) -> KonnectClient {
    let retry = RetryPolicy {
        base_delay: std::time::Duration::from_millis(5),
        max_delay: std::time::Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    KonnectClient::new(base, ADMIN_TOKEN).unwrap().with_retry(retry)
}

#[tokio::test]
async fn every_cached_schema_is_served_with_the_control_plane_stopped() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let client = client(&cp.base_url());
    let console =
        Console::new(Profile::local(), client.clone(), &app_dir.path().join("c.sqlite")).unwrap();
    let g = client.list_all_control_planes().await.unwrap().remove(0).id;
    for plugin in [
        json!({"name": "rate-limiting", "config": {"minute": 10}}),
        json!({"name": "key-auth", "config": {}}),
    ] {
        console.create_entity(&g, "plugins", plugin).await.unwrap();
    }

    // Validate before save: a good body passes, a bad one has a save's field errors.
    let ok = console
        .validate_entity(&g, "plugins", json!({"name": "rate-limiting", "config": {"hour": 5}}))
        .await
        .unwrap();
    assert_eq!(ok, "schema validation successful");
    let bad = console
        .validate_entity(&g, "routes", json!({"name": "r", "paths": ["no-slash"]}))
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::Validation, "{bad:?}");
    assert!(!bad.fields.is_empty(), "the reason is on a field: {bad:?}");
    let (_, listed) = system_tests::Api::new(
        format!("{}/v2/control-planes/{g}/core-entities", cp.base_url()),
        ADMIN_TOKEN,
    )
    .call("GET", "/routes", None)
    .await;
    assert_eq!(listed["data"], json!([]), "validating saved nothing");

    let report = console.sync_schemas(&g).await.unwrap();
    assert!(report.missing.is_empty(), "{report:?}");
    let mut expected: Vec<String> =
        console::EntityKind::ALL.iter().map(|k| k.path().to_string()).collect();
    expected.extend(
        ["plugins/key-auth", "plugins/rate-limiting", "v1/available-plugins"].map(String::from),
    );
    expected.sort();
    assert_eq!(report.cached, expected);

    // What each schema was live, to compare with what the cache serves.
    let mut live = Vec::new();
    for kind in console::EntityKind::ALL {
        live.push(console.entity_schema(&g, kind).await.unwrap());
    }
    for name in ["key-auth", "rate-limiting"] {
        live.push(console.plugin_schema(&g, name).await.unwrap());
    }
    assert!(live.iter().all(|s| s.offline_reason.is_none() && s.schema["fields"].is_array()));
    let available = console.available_plugins(&g).await.unwrap();
    assert!(available.names.contains(&"rate-limiting".to_string()), "{available:?}");

    cp.shutdown().await;

    for was in &live {
        let now = match was.name.strip_prefix("plugins/") {
            Some(name) => console.plugin_schema(&g, name).await,
            None => console.entity_schema(&g, was.name.as_str()).await,
        }
        .unwrap_or_else(|e| panic!("{} offline: {e:?}", was.name));
        assert_eq!(now.schema, was.schema, "{}", was.name);
        assert_eq!(now.fetched_at, was.fetched_at, "{}", was.name);
        assert!(now.offline_reason.is_some(), "{} says it is the cached copy", was.name);
    }
    let offline = console.available_plugins(&g).await.unwrap();
    assert_eq!(offline.names, available.names);
    assert!(offline.offline_reason.is_some());

    // What was never cached is not made up; nothing is checked offline.
    let never = console.plugin_schema(&g, "cors").await.unwrap_err();
    assert_eq!(never.code, ErrorCode::Offline, "{never:?}");
    let other_group = console.entity_schema("no-such-group", "services").await.unwrap_err();
    assert_eq!(other_group.code, ErrorCode::Offline);
    let unchecked =
        console.validate_entity(&g, "plugins", json!({"name": "key-auth"})).await.unwrap_err();
    assert_eq!(unchecked.code, ErrorCode::Offline);
    assert!(unchecked.message.starts_with("Not checked: "), "{unchecked:?}");

    // The cache outlives the console: a new one started offline serves it too.
    drop(console);
    let reopened =
        Console::new(Profile::local(), client, &app_dir.path().join("c.sqlite")).unwrap();
    let s = reopened.plugin_schema(&g, "rate-limiting").await.unwrap();
    assert!(s.offline_reason.is_some() && s.schema["fields"].is_array());
}

#[tokio::test]
async fn a_konnect_profile_asks_only_for_what_konnect_serves() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let client = client(&cp.base_url());
    let g = client.list_all_control_planes().await.unwrap().remove(0).id;
    let profile = Profile::Konnect {
        id: "org".into(),
        name: "Org".into(),
        region: Region::Eu,
        base_url: Some(cp.base_url()),
    };
    let console = Console::new(profile, client, &app_dir.path().join("k.sqlite")).unwrap();

    // Konnect publishes no entity schema call: Kong's own ship with the app (credentials too),
    // never cached and never asked for.
    let routes = console.entity_schema(&g, "routes").await.unwrap();
    assert_eq!(routes.schema["name"], "routes");
    let jwt = console.entity_schema(&g, "jwts").await.unwrap();
    assert_eq!(jwt.schema["name"], "jwt_secrets");
    // The available plugins are Kong's bundled ones, which Konnect accepts.
    let available = console.available_plugins(&g).await.unwrap();
    assert!(available.names.len() >= 40, "{available:?}");
    assert!(available.names.contains(&"cors".to_string()));
    // Plugin schemas it serves; a schema sync caches those of the plugins in use only.
    console
        .create_entity(&g, "plugins", json!({"name": "rate-limiting", "config": {"minute": 1}}))
        .await
        .unwrap();
    let report = console.sync_schemas(&g).await.unwrap();
    assert_eq!(report.cached, ["plugins/rate-limiting"]);
    let bad_name = console.plugin_schema(&g, "../services").await.unwrap_err();
    assert_eq!(bad_name.code, ErrorCode::Validation);
    cp.shutdown().await;
    let cached = console.plugin_schema(&g, "rate-limiting").await.unwrap();
    assert!(cached.offline_reason.is_some());
    assert!(console.entity_schema(&g, "acls").await.is_ok(), "shipped schemas need no API");
}

#[tokio::test]
async fn a_sync_caches_the_schemas_of_what_it_synced() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let client = client(&cp.base_url());
    let console =
        Console::new(Profile::local(), client.clone(), &app_dir.path().join("s.sqlite")).unwrap();
    let g = client.list_all_control_planes().await.unwrap().remove(0).id;
    console
        .create_entity(&g, "plugins", json!({"name": "cors", "config": {"origins": ["*"]}}))
        .await
        .unwrap();
    let noop = std::sync::Arc::new(|_| {});
    console.sync(noop.clone(), console::sync::CancelToken::default()).await.unwrap();
    cp.shutdown().await;
    // No schema sync was asked for: the sync cached what the group's forms read.
    let cors = console.plugin_schema(&g, "cors").await.unwrap();
    assert!(cors.offline_reason.is_some() && cors.schema["fields"].is_array(), "{cors:?}");
    for kind in console::EntityKind::ALL {
        let s = console.entity_schema(&g, kind).await.unwrap();
        assert!(s.offline_reason.is_some(), "{kind} is the cached copy");
    }
    assert!(console.available_plugins(&g).await.unwrap().names.contains(&"acme".to_string()));
    // A refresh with the schemas cached asks for none of them again.
    assert_eq!(console.cache_missing_schemas().await.unwrap(), 0);
}
