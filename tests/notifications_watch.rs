//! The alerts behind desktop notifications, against a real control plane and runtimes: an
//! instance out of sync past the grace period is told once, and again only after it recovered;
//! a data plane certificate pinned to a group that expires within 30 days is told once; a
//! switched-off kind of notification is never raised.

use std::time::Duration;

use console::settings::NotificationSettings;
use console::watch::Watcher;
use console::{Console, Profile};
use konnect::KonnectClient;
use serde_json::json;
use system_tests::gateway::Gateway;
use system_tests::{start_control_plane, wait_until, ADMIN_TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_out_of_sync_past_the_grace_period_is_told_once() {
    let gw = Gateway::start(&[]).await;
    let (_, route) = gw.service_and_route("users", "/users").await;
    gw.applied().await;
    // A second runtime that cannot run rate-limiting: once the plugin is configured, it is
    // sent the rest and so never reaches the group's expected hash.
    let (_lean, _, _) = gw.another_runtime("lean-runtime", &["--disable-plugin", "rate-limiting"]);
    let app = tempfile::tempdir().unwrap();
    let client = KonnectClient::new(&gw.api.base, ADMIN_TOKEN).unwrap();
    let console = Console::new(Profile::local(), client, &app.path().join("c.sqlite")).unwrap();
    let all = NotificationSettings {
        instance_out_of_sync: true,
        certificate_expiring: true,
        profile_offline: true,
    };
    let mut watcher = Watcher::new(Duration::from_millis(500));
    wait_until("both runtimes in sync", 20, || async {
        let v = console.group_instances(&gw.group).await.unwrap();
        v.instances.len() == 2 && v.instances.iter().all(|i| i.in_sync)
    })
    .await;
    assert!(watcher.check(&console, &all).await.is_empty(), "all well: nothing to tell");

    let plugin = gw
        .create(
            &format!("/routes/{route}/plugins"),
            json!({"name": "rate-limiting", "config": {"minute": 5}}),
        )
        .await;
    wait_until("the lean runtime is out of sync", 20, || async {
        let v = console.group_instances(&gw.group).await.unwrap();
        v.instances.iter().any(|i| i.hostname == "lean-runtime" && !i.in_sync)
    })
    .await;
    let quiet = NotificationSettings { instance_out_of_sync: false, ..all.clone() };
    let mut silent = Watcher::new(Duration::ZERO);
    assert!(silent.check(&console, &quiet).await.is_empty(), "switched off");
    assert!(watcher.check(&console, &all).await.is_empty(), "within the grace period");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let told = watcher.check(&console, &all).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].title, "lean-runtime is out of sync");
    assert_eq!(told[0].group_id.as_deref(), Some(gw.group.as_str()));
    assert!(watcher.check(&console, &all).await.is_empty(), "told once");

    // It recovers, then falls out again: told again.
    let id = plugin["id"].as_str().unwrap();
    assert_eq!(gw.call("DELETE", &format!("/plugins/{id}"), None).await.0, 204);
    wait_until("the lean runtime back in sync", 20, || async {
        let v = console.group_instances(&gw.group).await.unwrap();
        v.instances.iter().all(|i| i.in_sync)
    })
    .await;
    assert!(watcher.check(&console, &all).await.is_empty());
    gw.create(
        &format!("/routes/{route}/plugins"),
        json!({"name": "rate-limiting", "config": {"minute": 5}}),
    )
    .await;
    wait_until("out of sync again", 20, || async {
        let v = console.group_instances(&gw.group).await.unwrap();
        v.instances.iter().any(|i| !i.in_sync)
    })
    .await;
    watcher.check(&console, &all).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(watcher.check(&console, &all).await.len(), 1, "told again after recovering");
}

/// A self-signed data plane certificate (PEM) named `cn`, valid until `days` from today.
fn certificate_ending_in(cn: &str, days: i64) -> String {
    use chrono::Datelike;
    let mut params = rcgen::CertificateParams::new(vec![cn.to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    let end = (chrono::Utc::now() + chrono::Duration::days(days)).date_naive();
    params.not_after = rcgen::date_time_ymd(end.year(), end.month() as u8, end.day() as u8);
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_certificate_that_expires_soon_is_told_once() {
    let (cp_dir, app) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let client = KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let console = Console::new(Profile::local(), client, &app.path().join("c.sqlite")).unwrap();
    let group = console.client().list_all_control_planes().await.unwrap().remove(0);
    let pin = |cn: &str, days: i64| {
        let (client, group, cn) = (console.client().clone(), group.id.clone(), cn.to_string());
        async move {
            let pem = certificate_ending_in(&cn, days);
            client.pin_dp_certificate(&group, &pem, &format!("{cn} (test)")).await.unwrap()
        }
    };
    pin("edge-later", 90).await;
    let all = NotificationSettings {
        instance_out_of_sync: true,
        certificate_expiring: true,
        profile_offline: true,
    };
    let off = NotificationSettings { certificate_expiring: false, ..all.clone() };
    // Pinned certificates read on every check, not once an hour, so "once" is tested on re-reads.
    let mut watcher = Watcher::new(Duration::ZERO).with_certificate_check_every(Duration::ZERO);
    assert!(watcher.check(&console, &all).await.is_empty(), "90 days away: nothing to tell");

    let soon = pin("edge-soon", 10).await;
    let mut silent = Watcher::new(Duration::ZERO).with_certificate_check_every(Duration::ZERO);
    assert!(silent.check(&console, &off).await.is_empty(), "switched off");
    let told = watcher.check(&console, &all).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0].title,
        format!("A data plane certificate of {} expires in 10 days", group.name)
    );
    assert!(told[0].body.starts_with("edge-soon (test), pinned to"), "{}", told[0].body);
    assert_eq!(told[0].group_id.as_deref(), Some(group.id.as_str()));
    assert!(watcher.check(&console, &all).await.is_empty(), "told once");

    // Unpinned, then pinned again (as when a rollout is undone): told again.
    let path = format!("/v2/control-planes/{}/dp-client-certificates/{}", group.id, soon.id);
    let api = system_tests::Api::new(cp.base_url(), ADMIN_TOKEN);
    assert_eq!(api.call("DELETE", &path, None).await.0, 204);
    assert!(watcher.check(&console, &all).await.is_empty());
    pin("edge-soon", 10).await;
    assert_eq!(watcher.check(&console, &all).await.len(), 1, "told again once pinned again");
}
