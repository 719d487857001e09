//! Offline review, through the console's API as the app drives it: a Konnect-style profile over a
//! real control plane with three groups, Sync now, the control plane stopped — every view of a
//! group from the cache, one offline state in plain words, noticed at the first failed request
//! and gone within seconds of the API's return — and, with secrets only in memory, a restart that
//! opens the cached organization read-only until its token is entered again.

use std::time::{Duration, Instant};

use console::embedded::EmbeddedDefault;
use console::profiles::NewKonnectProfile;
use console::{ErrorCode, TimeFrame};
use system_tests::{restart_control_plane, start_control_plane, Api, ADMIN_TOKEN};

/// Three groups with a service each, as a Konnect organization; their ids by name.
async fn organization(api: &Api) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    for name in ["dev", "staging", "prod"] {
        let body = serde_json::json!({ "name": name });
        let (status, g) = api.call("POST", "/v2/control-planes", Some(body)).await;
        assert_eq!(status, 201, "{g}");
        let id = g["id"].as_str().unwrap().to_string();
        let path = format!("/v2/control-planes/{id}/core-entities/services");
        let service =
            serde_json::json!({"name": format!("{name}-orders"), "host": "orders.internal"});
        assert_eq!(api.call("POST", &path, Some(service)).await.0, 201);
        ids.push((name.to_string(), id));
    }
    ids
}

/// The app's data dir with secrets kept in memory only (no keyring), as `RUNTIME_MANAGER_SECRETS`
/// says for the whole process.
fn data_dir(tmp: &tempfile::TempDir) -> std::path::PathBuf {
    std::env::set_var("RUNTIME_MANAGER_SECRETS", "memory");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    data
}

async fn add_acme(app: &EmbeddedDefault, base_url: String) -> String {
    let form = NewKonnectProfile {
        name: "Acme".into(),
        region: "eu".into(),
        token: ADMIN_TOKEN.into(),
        base_url: Some(base_url),
    };
    let list = app.add_konnect_profile(form).await.unwrap();
    list.active
}

/// Words a user sees must not carry an address or an API path.
fn plain(words: &str) {
    for internal in ["http", "127.0.0.1", "/v2/", ".."] {
        assert!(!words.contains(internal), "'{internal}' in: {words}");
    }
}

#[tokio::test]
async fn a_synced_organization_is_reviewed_offline_and_comes_back() {
    let (cp_dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let base_url = cp.base_url();
    let groups = organization(&Api::new(base_url.clone(), ADMIN_TOKEN)).await;
    let (dev, prod) = (groups[0].1.clone(), groups[2].1.clone());
    let app = EmbeddedDefault::start(&data_dir(&tmp)).await.unwrap();
    add_acme(&app, base_url.clone()).await;
    let c = app.console().await;
    assert!(c.connection().await.unwrap().online);

    // Online, the user looked at dev's dashboard over the last hour: that frame is kept too.
    c.group_dashboard(&dev, TimeFrame::Hour1).await.unwrap();
    app.sync_now(std::sync::Arc::new(|_| {})).await.unwrap();
    for (name, id) in &groups {
        let frames = c.cached_dashboard_frames(id).await;
        let want: &[TimeFrame] = if name == "dev" {
            &[TimeFrame::Minutes15, TimeFrame::Hour1]
        } else {
            &[TimeFrame::Minutes15]
        };
        assert_eq!(frames, want, "{name}: the default frame and the ones opened before");
    }
    let synced_at = c.connection().await.unwrap().synced_at.expect("a sync time");
    // One runtime instance's dashboard, opened online.
    c.instance_dashboard(&prod, "node-a", "15m").await.unwrap();

    // The control plane stops. The first request that fails marks the profile offline at once,
    // before its retries are over.
    cp.shutdown().await;
    let started = Instant::now();
    let (watcher, asked) = (c.clone(), prod.clone());
    let request = tokio::spawn(async move { watcher.group_dashboard(&asked, "15m").await });
    let noticed = loop {
        if !c.connection().await.unwrap().online {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the outage was never noticed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    println!("outage noticed {noticed:?} after the first request to a stopped control plane");
    assert!(noticed < Duration::from_secs(2), "noticed after {noticed:?}");
    let cached = request.await.unwrap().expect("the dashboard comes from the cache");
    assert_eq!(cached.offline_reason.as_deref(), Some("Offline: the connection was refused."));

    let state = c.connection().await.unwrap();
    assert!(!state.online);
    assert_eq!(state.cause.as_deref(), Some("the connection was refused"));
    assert_eq!(state.synced_at.as_deref(), Some(synced_at.as_str()));
    assert!(!state.needs_token);
    let details = state.details.clone().unwrap();
    assert!(details.contains(base_url.trim_start_matches("http://")), "{details}");
    plain(state.remedy.as_deref().unwrap());

    // Every view of a group from the cache, marked offline, in words.
    let instances = c.group_instances(&groups[2].1).await.unwrap();
    plain(instances.offline_reason.as_deref().unwrap());
    let services = c.group_entities(&groups[2].1, "services").await.unwrap();
    assert_eq!(services.rows[0]["name"], "prod-orders");
    plain(services.offline_reason.as_deref().unwrap());
    let hits = c.search("staging-orders", 5).await.unwrap();
    assert_eq!(hits.len(), 1, "search works from the cache");
    let hour = c.group_dashboard(&dev, "1h").await.unwrap();
    assert!(hour.offline_reason.is_some(), "the last used frame is there offline");
    let compare = c.compare_groups(&dev, &groups[2].1, "15m").await.unwrap();
    plain(compare.offline_reason.as_deref().unwrap());
    assert!(!compare.fetched_at.is_empty());
    let png = c.export_chart_png(&groups[1].1, "15m", "traffic").await.unwrap();
    assert_eq!(&png[1..4], b"PNG", "a cached chart still exports");
    // A frame never opened nor synced: said in words, with the frames there are.
    for err in [
        c.group_dashboard(&groups[1].1, "7d").await.unwrap_err(),
        c.compare_groups(&dev, &groups[1].1, "30d").await.unwrap_err(),
    ] {
        assert_eq!(err.code, ErrorCode::NotCached, "{err:?}");
        assert!(err.message.starts_with("Nothing was cached for the last "), "{err:?}");
        plain(&err.message);
    }
    // An instance's dashboard: the one opened online, and words for the others.
    assert!(c.instance_dashboard(&prod, "node-a", "15m").await.unwrap().offline_reason.is_some());
    let other_frame = c.instance_dashboard(&prod, "node-a", "1h").await.unwrap_err();
    assert_eq!(other_frame.code, ErrorCode::NotCached);
    assert!(other_frame.message.ends_with("Cached: the last 15 minutes."), "{other_frame:?}");
    let other_node = c.instance_dashboard(&prod, "node-b", "15m").await.unwrap_err();
    assert_eq!(other_node.code, ErrorCode::NotCached);
    assert!(!other_node.message.contains("Cached:"), "not the group's frames: {other_node:?}");
    // Writes are refused in the same words, not queued.
    let refused = c
        .create_group(console::NewRuntimeGroup { name: "qa".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Offline);
    plain(&refused.message);

    // The control plane comes back: probes (the shell's, every 2 s) find it within one.
    let cp = restart_control_plane(cp_dir.path(), &base_url).await;
    let back = Instant::now();
    loop {
        c.probe().await;
        if c.connection().await.unwrap().online {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "still offline after {:?}",
            back.elapsed()
        );
        tokio::time::sleep(console::connection::PROBE_EVERY).await;
    }
    println!("back online {:?} after the control plane's restart", back.elapsed());
    assert!(c.group_dashboard(&prod, "15m").await.unwrap().offline_reason.is_none());
    app.shutdown().await;
    cp.shutdown().await;
}

#[tokio::test]
async fn without_a_keyring_a_restart_opens_the_cached_organization_read_only() {
    let (cp_dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let groups = organization(&Api::new(cp.base_url(), ADMIN_TOKEN)).await;
    let data = data_dir(&tmp);
    let app = EmbeddedDefault::start(&data).await.unwrap();
    let acme = add_acme(&app, cp.base_url()).await;
    app.sync_now(std::sync::Arc::new(|_| {})).await.unwrap();
    app.shutdown().await;

    // Restarted: the token lived in memory and is gone, but the profile opens on its cache.
    let app = EmbeddedDefault::start(&data).await.unwrap();
    assert_eq!(app.list_profiles().active, acme, "reopened on the same profile");
    let c = app.console().await;
    assert_eq!(c.profile().name(), "Acme");
    let state = c.connection().await.unwrap();
    assert!(!state.online && state.needs_token, "{state:?}");
    assert!(state.synced_at.is_some());
    let remedy = state.remedy.unwrap();
    assert!(remedy.contains("No keyring is available on this machine"), "{remedy}");
    assert!(remedy.ends_with("Enter the profile's token again to go online."), "{remedy}");
    plain(&remedy);
    let overview = c.refresh_overview().await.unwrap();
    let mut names: Vec<&str> = overview.groups.iter().map(|g| g.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["default", "dev", "prod", "staging"]);
    let services = c.group_entities(&groups[0].1, "services").await.unwrap();
    assert_eq!(services.rows[0]["name"], "dev-orders");
    assert!(services.offline_reason.is_some());
    assert!(c.group_dashboard(&groups[0].1, "15m").await.unwrap().offline_reason.is_some());
    assert_eq!(c.search("prod-orders", 5).await.unwrap().len(), 1);
    let refused = c
        .create_group(console::NewRuntimeGroup { name: "qa".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Offline);

    // A wrong token is refused on its field; the right one brings the profile online.
    let wrong = app.replace_token(&acme, "kpat_not_the_right_token").await.unwrap_err();
    assert!(wrong.fields.contains_key("token"), "{wrong:?}");
    app.replace_token(&acme, ADMIN_TOKEN).await.unwrap();
    let c = app.console().await;
    assert!(c.connection().await.unwrap().online);
    assert!(c.group_entities(&groups[0].1, "services").await.unwrap().offline_reason.is_none());
    app.shutdown().await;
    cp.shutdown().await;
}

/// A refused token and a long rate limit are outages too, each said in its own words, with what
/// brings the profile back; the cache stays browsable through both.
#[tokio::test]
async fn a_refused_token_and_a_long_rate_limit_are_said_in_words() {
    let (cp_dir, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let groups = organization(&Api::new(cp.base_url(), ADMIN_TOKEN)).await;
    let proxy = system_tests::faults::start(cp.base_url()).await;
    let cache = tmp.path().join("cache.sqlite");
    let client = konnect::KonnectClient::new(&proxy.base, ADMIN_TOKEN).unwrap();
    let c = console::Console::new(console::Profile::local(), client, &cache).unwrap();
    c.sync(std::sync::Arc::new(|_| {}), console::sync::CancelToken::default()).await.unwrap();

    // Konnect asks to wait two minutes: longer than is waited for, so the cache is shown.
    use system_tests::faults::Fault;
    proxy.script(vec![Fault::TooManyRequests { retry_after_secs: 120 }; 8]);
    let services = c.group_entities(&groups[0].1, "services").await.unwrap();
    assert!(services.offline_reason.is_some());
    let state = c.connection().await.unwrap();
    assert_eq!(
        state.cause.as_deref(),
        Some("too many requests (429); Konnect asks to wait 120 s"),
        "{state:?}"
    );
    assert_eq!(state.remedy.as_deref(), Some("The app goes online again once the wait is over."));
    proxy.script(vec![]);
    c.probe().await;
    assert!(c.connection().await.unwrap().online, "the next answer ends it");

    // The token is revoked (the API answers 401): offline, and a new token is what it takes.
    proxy.script(vec![Fault::Status(401); 8]);
    let services = c.group_entities(&groups[0].1, "services").await.unwrap();
    assert_eq!(services.rows[0]["name"], "dev-orders", "still browsable from the cache");
    let state = c.connection().await.unwrap();
    assert_eq!(state.cause.as_deref(), Some("the token was refused (401)"));
    assert!(state.needs_token);
    assert!(state.remedy.unwrap().starts_with("Enter a current token for this profile"));
    cp.shutdown().await;
}
