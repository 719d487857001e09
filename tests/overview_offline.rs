//! The overview reads the cache: with the control plane stopped it still shows the last known
//! groups, marked with why and since when; a console started while offline shows them too.

use console::{Console, ErrorCode, NewRuntimeGroup, Profile};
use konnect::KonnectClient;
use system_tests::{start_control_plane, ADMIN_TOKEN};

#[tokio::test]
async fn the_overview_is_served_from_the_cache_while_the_control_plane_is_stopped() {
    let cp_dir = tempfile::tempdir().unwrap();
    let app_dir = tempfile::tempdir().unwrap();
    let cache = app_dir.path().join("cache.sqlite");
    let cp = start_control_plane(cp_dir.path()).await;
    let client = KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let console = Console::new(Profile::local(), client.clone(), &cache).unwrap();

    let created = console
        .create_group(NewRuntimeGroup {
            name: "dev".into(),
            description: "Development".into(),
            labels: "env:dev, team:core".into(),
        })
        .await
        .unwrap();
    assert_eq!(created.labels.get("team").map(String::as_str), Some("core"));
    let live = console.refresh_overview().await.unwrap();
    let names: Vec<_> = live.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["default", "dev"]);
    assert!(live.offline_reason.is_none());
    let synced_at = live.synced_at.clone().expect("a sync time");
    assert!(live.groups.iter().find(|g| g.name == "default").unwrap().is_default);
    assert_eq!(
        live.groups.iter().map(|g| g.active_instances).sum::<i64>(),
        0,
        "no runtimes connected yet"
    );

    // Duplicate names come back as a field error on `name`.
    let dup = console
        .create_group(NewRuntimeGroup { name: "dev".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::Conflict);
    assert!(dup.fields["name"].contains("already exists"), "{dup:?}");
    let bad = console
        .create_group(NewRuntimeGroup {
            name: "ok-name".into(),
            labels: "env:-x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::Validation);
    assert!(bad.fields.contains_key("labels"), "labels.env maps to the labels field: {bad:?}");

    cp.shutdown().await;

    let offline = console
        .refresh_overview()
        .await
        .expect("a stopped control plane is not an error for reading");
    assert_eq!(offline.groups, live.groups, "the last known state, unchanged");
    assert_eq!(
        offline.synced_at.as_deref(),
        Some(synced_at.as_str()),
        "still says when it was fetched"
    );
    let reason = offline.offline_reason.expect("marked as not live");
    assert_eq!(reason, "Offline: the connection was refused.", "the cause in words, no address");

    // Writes are refused with the reason, not queued.
    let refused = console
        .create_group(NewRuntimeGroup { name: "qa".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Offline);

    // A new console process, started while the control plane is down, shows the cache at once.
    drop(console);
    let restarted = Console::new(Profile::local(), client, &cache).unwrap();
    let cached = restarted.cached_overview().await.unwrap();
    assert_eq!(cached.groups.len(), 2);
    assert!(cached.offline_reason.is_some());

    // And once the control plane is back, a refresh clears the mark.
    let cp = system_tests::start_control_plane(cp_dir.path()).await;
    let back = Console::new(
        Profile::local(),
        KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap(),
        &cache,
    )
    .unwrap();
    let fresh = back.refresh_overview().await.unwrap();
    assert!(fresh.offline_reason.is_none());
    assert!(fresh.synced_at.unwrap() > synced_at);
    cp.shutdown().await;
}

#[tokio::test]
async fn deleting_a_group_removes_it_from_the_cache_and_the_default_group_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = console::embedded::EmbeddedDefault::start(dir.path()).await.unwrap();
    let c = embedded.console().await;
    let dev =
        c.create_group(NewRuntimeGroup { name: "dev".into(), ..Default::default() }).await.unwrap();
    let overview = c.refresh_overview().await.unwrap();
    let default = overview.groups.iter().find(|g| g.is_default).unwrap().clone();
    let err = c.delete_group(&default.id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Validation);
    assert!(err.message.contains("cannot be deleted"), "{err:?}");
    c.delete_group(&dev.id).await.unwrap();
    let after = c.cached_overview().await.unwrap();
    assert_eq!(after.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["default"]);
    embedded.shutdown().await;
}

#[tokio::test]
async fn a_group_deleted_elsewhere_leaves_nothing_searchable_after_the_next_sync() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let api = system_tests::Api::new(cp.base_url(), ADMIN_TOKEN);
    let (_, group) =
        api.call("POST", "/v2/control-planes", Some(serde_json::json!({"name": "gone"}))).await;
    let id = group["id"].as_str().unwrap().to_string();
    let service = serde_json::json!({"name": "orphan-billing", "host": "billing.internal"});
    let path = format!("/v2/control-planes/{id}/core-entities/services");
    assert_eq!(api.call("POST", &path, Some(service)).await.0, 201);
    let client = KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let console = Console::new(Profile::local(), client, &app_dir.path().join("c.sqlite")).unwrap();
    console.refresh_overview().await.unwrap();
    assert_eq!(console.search("orphan-billing", 10).await.unwrap().len(), 1);

    // Another user deletes the group in Konnect, not through this app.
    let (status, _) = api.call("DELETE", &format!("/v2/control-planes/{id}"), None).await;
    assert_eq!(status, 204);
    let overview = console.refresh_overview().await.unwrap();
    assert!(overview.groups.iter().all(|g| g.id != id));
    let hits = console.search("orphan-billing", 10).await.unwrap();
    assert!(hits.is_empty(), "the deleted group's service is still found: {hits:?}");
    cp.shutdown().await;
}
