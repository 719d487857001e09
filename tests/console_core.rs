//! The console's core against the real control plane: the sync engine (progress, unchanged
//! groups skipped until due a full fetch, per-group commits, cancel), search, entity edits with
//! field errors, decK export and import with a preview, comparing two groups, and offline
//! behaviour.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use console::sync::{CancelToken, SyncProgress};
use console::{Console, ErrorCode, Profile};
use konnect::{KonnectClient, RetryPolicy};
use serde_json::json;
use system_tests::faults::{self, Fault};
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};

async fn seed(api: &Api, name: &str, extra_service: Option<&str>) -> String {
    let (_, g) = api.call("POST", "/v2/control-planes", Some(json!({"name": name}))).await;
    let g = g["id"].as_str().unwrap().to_string();
    let base = format!("/v2/control-planes/{g}/core-entities");
    let (_, s) = api
        .call(
            "POST",
            &format!("{base}/services"),
            Some(json!({"name": "users-api", "host": "users.internal"})),
        )
        .await;
    let sid = s["id"].as_str().unwrap();
    let (st, _) = api
        .call(
            "POST",
            &format!("{base}/services/{sid}/routes"),
            Some(json!({"name": "users", "paths": ["/users"]})),
        )
        .await;
    assert_eq!(st, 201);
    let (_, c) =
        api.call("POST", &format!("{base}/consumers"), Some(json!({"username": "ann"}))).await;
    api.call(
        "POST",
        &format!("{base}/consumers/{}/key-auth", c["id"].as_str().unwrap()),
        Some(json!({"key": format!("{name}-key")})),
    )
    .await;
    api.call(
        "POST",
        &format!("{base}/plugins"),
        Some(json!({"name": "rate-limiting", "config": {"minute": 100}})),
    )
    .await;
    if let Some(extra) = extra_service {
        api.call(
            "POST",
            &format!("{base}/services"),
            Some(json!({"name": extra, "host": "extra.internal"})),
        )
        .await;
    }
    g
}

/// What a sync reports its progress to, as the console takes it.
type OnProgress = Arc<dyn Fn(SyncProgress) + Send + Sync>;

/// A progress callback and the list of everything it was given.
fn recorder() -> (OnProgress, Arc<Mutex<Vec<SyncProgress>>>) {
    let seen: Arc<Mutex<Vec<SyncProgress>>> = Arc::default();
    let s2 = seen.clone();
    (Arc::new(move |p| s2.lock().unwrap().push(p)), seen)
}

#[tokio::test]
async fn sync_search_edits_import_export_compare_and_offline() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let api = Api::new(cp.base_url(), ADMIN_TOKEN);
    let dev = seed(&api, "dev", Some("orders")).await;
    let prod = seed(&api, "prod", None).await;
    let proxy = faults::start(cp.base_url()).await;
    let client = KonnectClient::new(&proxy.base, ADMIN_TOKEN).unwrap().with_retry(RetryPolicy {
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    });
    let console =
        Console::new(Profile::local(), client, &app_dir.path().join("cache.sqlite")).unwrap();

    // First sync: every group and entity, with progress to the end.
    let (progress, seen) = recorder();
    proxy.script(vec![]);
    let report = console.sync(progress, CancelToken::default()).await.unwrap();
    let groups = report.progress.groups_total;
    assert!(groups >= 3, "default, dev and prod: {report:?}");
    assert_eq!(report.progress.groups_done, groups);
    assert_eq!(report.progress.groups_unchanged, 0);
    // dev: service ×2, route, consumer, key-auth, plugin = 6; prod 5.
    assert_eq!(report.progress.entities_done, 11, "{report:?}");
    let events = seen.lock().unwrap().clone();
    assert!(events.len() as u32 > groups, "a progress event per finished group");
    assert!(events
        .windows(2)
        .all(|w| w[1].groups_done >= w[0].groups_done && w[1].entities_done >= w[0].entities_done));
    println!("first sync: {} requests for {groups} groups", proxy.seen());

    // Nothing changed: only the group list and two requests per group (hash, nodes).
    proxy.script(vec![]);
    let again = console.sync(recorder().0, CancelToken::default()).await.unwrap();
    assert_eq!(again.progress.groups_unchanged, groups);
    assert!(
        proxy.seen() <= 1 + 2 * groups as u64,
        "no-change refresh made {} requests",
        proxy.seen()
    );

    // One change in dev: only dev is fetched again.
    api.call(
        "POST",
        &format!("/v2/control-planes/{dev}/core-entities/services"),
        Some(json!({"name": "billing", "host": "billing.internal"})),
    )
    .await;
    let third = console.sync(recorder().0, CancelToken::default()).await.unwrap();
    assert_eq!(third.progress.groups_unchanged, groups - 1);

    // Search across groups, fuzzy.
    let hits = console.search("usr", 10).await.unwrap();
    assert!(hits.iter().take(4).any(|h| h.label == "users-api"), "{hits:?}");
    assert!(
        hits.iter().any(|h| h.group_name == "dev") && hits.iter().any(|h| h.group_name == "prod")
    );
    assert!(console
        .search("/users", 5)
        .await
        .unwrap()
        .iter()
        .any(|h| h.kind == "routes" && h.matched == "path"));

    // Edits: the API's field errors land on the fields; success updates the cache.
    let bad = console
        .create_entity(&dev, "services", json!({"name": "bad", "host": "x", "port": 70000}))
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::Validation);
    assert!(bad.fields.contains_key("port"), "{bad:?}");
    let dup = console
        .create_entity(&dev, "services", json!({"name": "users-api", "host": "x"}))
        .await
        .unwrap_err();
    assert!(matches!(dup.code, ErrorCode::Conflict | ErrorCode::Validation), "{dup:?}");
    let created = console
        .create_entity(
            &dev,
            "services",
            json!({"name": "payments", "url": "http://payments.internal:8080/v1"}),
        )
        .await
        .unwrap();
    let pid = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["port"], 8080);
    let updated =
        console.update_entity(&dev, "services", &pid, json!({"retries": 2})).await.unwrap();
    assert_eq!(updated["retries"], 2);
    assert_eq!(updated["host"], "payments.internal");
    assert!(console.search("payments", 3).await.unwrap().iter().any(|h| h.id == pid));
    console.delete_entity(&dev, "services", &pid).await.unwrap();
    assert!(!console.search("payments", 3).await.unwrap().iter().any(|h| h.id == pid));
    let (st, _) = api
        .call("GET", &format!("/v2/control-planes/{dev}/core-entities/services/{pid}"), None)
        .await;
    assert_eq!(st, 404);

    // Compare dev and prod: dev has orders and billing that prod lacks; the key-auth keys differ.
    let cmp = console.compare_groups(&dev, &prod, "1h").await.unwrap();
    let only_dev: Vec<&str> = cmp.difference.only_left.iter().map(|e| e.key.as_str()).collect();
    assert!(only_dev.contains(&"orders") && only_dev.contains(&"billing"), "{cmp:?}");
    assert!(cmp
        .difference
        .only_right
        .iter()
        .any(|e| e.kind == "key-auths" && e.key.starts_with("ann/key ")));
    let shown = serde_json::to_string(&cmp.difference).unwrap();
    assert!(!shown.contains("prod-key") && !shown.contains("dev-key"), "no secret: {shown}");
    assert!(cmp.difference.same >= 4, "users-api, users, ann, rate-limiting are alike");
    assert!(cmp.requests_svg.contains("dev") && cmp.requests_svg.contains("prod"));

    // Export dev as decK, preview importing it into prod, apply, and the two then match.
    let yaml = console.export_group(&dev, "yaml").await.unwrap();
    assert!(
        yaml.contains("_format_version: '3.0'") || yaml.contains("_format_version: \"3.0\""),
        "{yaml}"
    );
    assert!(yaml.contains("routes:") && yaml.contains("keyauth_credentials:"));
    let json_export = console.export_group(&dev, "json").await.unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json_export).unwrap()["services"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let plan = console.plan_import(&prod, &yaml).await.unwrap();
    let created_keys: Vec<&str> = plan.create.iter().map(|e| e.key.as_str()).collect();
    assert!(
        created_keys.contains(&"orders")
            && created_keys.contains(&"billing")
            && plan.create.iter().any(|e| e.kind == "key-auths"),
        "{plan:?}"
    );
    assert!(plan.delete.iter().any(|e| e.kind == "key-auths"));
    let shown = serde_json::to_string(&plan).unwrap();
    assert!(!shown.contains("prod-key") && !shown.contains("dev-key"), "no secret: {shown}");
    let (_, before) =
        api.call("GET", &format!("/v2/control-planes/{prod}/core-entities/services"), None).await;
    assert_eq!(before["data"].as_array().unwrap().len(), 1, "the preview changed nothing");
    let applied = console.apply_import(&prod, &yaml).await.unwrap();
    assert_eq!(applied.created as usize, plan.create.len());
    assert_eq!(applied.deleted as usize, plan.delete.len());
    let after = console.compare_groups(&dev, &prod, "1h").await.unwrap();
    assert!(
        after.difference.only_left.is_empty()
            && after.difference.only_right.is_empty()
            && after.difference.changed.is_empty(),
        "{:?}",
        after.difference
    );
    // A group's own export, previewed into it: nothing to change.
    let own = console.export_group(&prod, "yaml").await.unwrap();
    let again = console.plan_import(&prod, &own).await.unwrap();
    assert!(
        again.create.is_empty() && again.update.is_empty() && again.delete.is_empty(),
        "{again:?}"
    );
    let bad_file = console.plan_import(&prod, "services:\n  - host: x\n").await.unwrap_err();
    assert!(bad_file.fields["file"].contains("_format_version"), "{bad_file:?}");

    // A chart as PNG.
    let png = console.export_chart_png(&dev, "1h", "traffic").await.unwrap();
    assert_eq!(&png[1..4], b"PNG");

    // Offline: reads from the cache, writes refused with the reason and nothing queued.
    console.sync(recorder().0, CancelToken::default()).await.unwrap();
    cp.shutdown().await;
    let list = console.group_entities(&dev, "services").await.unwrap();
    assert!(list.offline_reason.is_some());
    assert_eq!(list.rows.len(), 3);
    let refused = console
        .create_entity(&dev, "services", json!({"name": "x", "host": "x"}))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Offline);
    assert!(refused.message.contains("nothing was queued"), "{}", refused.message);
    assert!(console.export_group(&dev, "yaml").await.unwrap().contains("orders"));
    assert!(console.search("usr", 5).await.unwrap().iter().any(|h| h.label == "users-api"));
    let err = console.sync(recorder().0, CancelToken::default()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Offline);
    assert!(console.cached_overview().await.unwrap().offline_reason.is_some());
}

/// Each group is committed whole: a sync that fails part-way (here: one request keeps failing)
/// or is cancelled leaves every group either as it was or as fetched, never a mix.
#[tokio::test]
async fn an_edit_no_config_hash_shows_is_cached_once_the_group_is_due_a_full_fetch() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let api = Api::new(cp.base_url(), ADMIN_TOKEN);
    let g = seed(&api, "staging", None).await;
    let services = format!("/v2/control-planes/{g}/core-entities/services");
    let (st, legacy) = api
        .call(
            "POST",
            &services,
            Some(json!({"name": "legacy", "host": "legacy.internal", "enabled": false})),
        )
        .await;
    assert_eq!(st, 201, "{legacy}");
    let cache_file = app_dir.path().join("cache.sqlite");
    let client = KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let console = Console::new(Profile::local(), client, &cache_file).unwrap();
    console.sync(recorder().0, CancelToken::default()).await.unwrap();
    let cached_host = || async {
        let list = console.cached_group_entities(&g, "services").await.unwrap().unwrap();
        let legacy = list.rows.iter().find(|r| r["name"] == "legacy").cloned().unwrap();
        legacy["host"].as_str().unwrap().to_string()
    };
    assert_eq!(cached_host().await, "legacy.internal");

    // An edit outside the app to the disabled service only: the group's config hash stays.
    let hash = || async {
        api.call("GET", &format!("/v2/control-planes/{g}/expected-config-hash"), None).await.1
            ["expected_hash"]
            .clone()
    };
    let before = hash().await;
    let (st, _) = api
        .call(
            "PUT",
            &format!("{services}/{}", legacy["id"].as_str().unwrap()),
            Some(json!({"name": "legacy", "host": "legacy-v2.internal", "enabled": false})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(hash().await, before, "the premise: a disabled service is not in the hash");
    let report = console.sync(recorder().0, CancelToken::default()).await.unwrap();
    let total = report.progress.groups_total;
    assert_eq!(report.progress.groups_unchanged, total, "fetched whole within the bound");
    assert_eq!(cached_host().await, "legacy.internal");

    // The group's last full fetch two hours ago (past the hour it is trusted): fetched whole.
    let two_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let aged = rusqlite::Connection::open(&cache_file)
        .unwrap()
        .execute("UPDATE group_sync SET synced_at = ?1 WHERE group_id = ?2", [&two_hours_ago, &g])
        .unwrap();
    assert_eq!(aged, 1);
    let report = console.sync(recorder().0, CancelToken::default()).await.unwrap();
    assert_eq!(report.progress.groups_unchanged, total - 1, "only the aged group fetched");
    assert_eq!(cached_host().await, "legacy-v2.internal");
    let again = console.sync(recorder().0, CancelToken::default()).await.unwrap();
    assert_eq!(again.progress.groups_unchanged, total, "its bound starts again");
}

#[tokio::test]
async fn groups_are_committed_whole_when_a_sync_fails_or_is_cancelled() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let api = Api::new(cp.base_url(), ADMIN_TOKEN);
    let mut groups = Vec::new();
    for i in 0..4 {
        groups.push(seed(&api, &format!("g{i}"), None).await);
    }
    let proxy = faults::start(cp.base_url()).await;
    let client = KonnectClient::new(&proxy.base, ADMIN_TOKEN)
        .unwrap()
        .with_retry(RetryPolicy { attempts: 1, ..RetryPolicy::default() });
    let console =
        Console::new(Profile::local(), client, &app_dir.path().join("cache.sqlite")).unwrap();
    console.sync(recorder().0, CancelToken::default()).await.unwrap();
    // Every group gets a new service and a new consumer.
    for g in &groups {
        api.call(
            "POST",
            &format!("/v2/control-planes/{g}/core-entities/services"),
            Some(json!({"name": "new-svc", "host": "n"})),
        )
        .await;
        api.call(
            "POST",
            &format!("/v2/control-planes/{g}/core-entities/consumers"),
            Some(json!({"username": "new-user"})),
        )
        .await;
    }
    let state = |hits: Vec<console::search::SearchHit>, g: &str| {
        hits.iter().filter(|h| h.group_id == g).count()
    };
    let check_whole = |svc: Vec<console::search::SearchHit>,
                       usr: Vec<console::search::SearchHit>| {
        let mut new = 0;
        for g in &groups {
            let (s, u) = (state(svc.clone(), g), state(usr.clone(), g));
            assert_eq!(
                s, u,
                "group {g}: new service {s} but new consumer {u}: a half-committed group"
            );
            new += s;
        }
        new
    };
    // The 20th request onward fails: some groups finish, the others keep their old state.
    let mut script = vec![];
    for _ in 0..19 {
        script.push(Fault::Pass);
    }
    script.extend(std::iter::repeat_n(Fault::Status(500), 200));
    proxy.script(script);
    let report = console.sync(recorder().0, CancelToken::default()).await.unwrap();
    assert!(!report.failed.is_empty(), "some groups failed: {report:?}");
    let updated = check_whole(
        console.search("new-svc", 50).await.unwrap(),
        console.search("new-user", 50).await.unwrap(),
    );
    assert!(updated < groups.len(), "the failed groups kept their old state");

    // Cancelled before it starts fetching groups' entities: nothing half-written, the report says
    // so.
    proxy.script(vec![Fault::Delay(Duration::from_millis(300))]);
    let cancel = CancelToken::default();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c2.cancel();
    });
    let cancelled = console.sync(recorder().0, cancel).await.unwrap();
    assert!(cancelled.cancelled, "{cancelled:?}");
    check_whole(
        console.search("new-svc", 50).await.unwrap(),
        console.search("new-user", 50).await.unwrap(),
    );

    // And a clean sync brings every group up to date.
    proxy.script(vec![]);
    console.sync(recorder().0, CancelToken::default()).await.unwrap();
    assert_eq!(
        check_whole(
            console.search("new-svc", 50).await.unwrap(),
            console.search("new-user", 50).await.unwrap()
        ),
        groups.len()
    );
}

#[tokio::test]
async fn a_group_is_renamed_and_relabelled_and_a_taken_name_is_said_on_its_field() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let console = Console::new(
        Profile::local(),
        KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap(),
        &app_dir.path().join("cache.sqlite"),
    )
    .unwrap();
    let form = |name: &str, labels: &str| console::NewRuntimeGroup {
        name: name.into(),
        description: "payments".into(),
        labels: labels.into(),
    };
    let dev = console.create_group(form("dev", "env:dev, team:a")).await.unwrap();
    console.create_group(form("prod", "")).await.unwrap();

    let renamed = console.update_group(&dev.id, form("development", "env:dev")).await.unwrap();
    assert_eq!(renamed.name, "development");
    assert_eq!(
        renamed.labels.len(),
        1,
        "the form's labels replace the group's: {:?}",
        renamed.labels
    );
    let cached = console.cached_overview().await.unwrap();
    assert!(
        cached
            .groups
            .iter()
            .any(|g| g.id == dev.id && g.name == "development" && g.description == "payments"),
        "the cache has the new name"
    );
    let live = Api::new(cp.base_url(), ADMIN_TOKEN)
        .call("GET", &format!("/v2/control-planes/{}", dev.id), None)
        .await
        .1;
    assert_eq!(live["name"], "development");
    assert_eq!(live["labels"], json!({"env": "dev"}));

    let taken = console.update_group(&dev.id, form("prod", "")).await.unwrap_err();
    assert_eq!(taken.code, ErrorCode::Conflict);
    assert_eq!(taken.fields["name"], "A runtime group named 'prod' already exists.");
    let bad = console.update_group(&dev.id, form("development", "env")).await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::Validation);
    assert!(bad.fields.contains_key("labels"), "{bad:?}");
    assert_eq!(
        console
            .cached_overview()
            .await
            .unwrap()
            .groups
            .iter()
            .find(|g| g.id == dev.id)
            .unwrap()
            .name,
        "development",
        "a refused edit changes nothing"
    );
}
