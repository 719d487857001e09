//! The desktop app end to end in its real webview (tauri-driver + WebKitWebDriver under Xvfb), as
//! named screens: each is reported as its own test, so a failure says which screen broke. The
//! screens of one journey share one launched app (launching it and seeding the "Konnect" org cost
//! most of the time) and run in order, each starting where the one before left the window; after a
//! failure the rest of that journey is reported as skipped. Screenshots go to
//! `target/screenshots/`.
//!
//! A harness of its own (`harness = false`): it prints libtest's lines (`test NAME ... ok`, the
//! `test result:` summary), takes a name filter, and `--list`.

use std::path::PathBuf;
use std::time::Instant;

use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use serde_json::Value;
use system_tests::bin_dir;
use system_tests::webdriver::AppSession;

fn input(testid: &str) -> String {
    format!(
        "[data-testid={testid}] input, input[data-testid={testid}], \
         [data-testid={testid}] textarea, textarea[data-testid={testid}]"
    )
}

/// Empties the input or textarea with `testid`, as typing it away would.
async fn clear(s: &AppSession, testid: &str) {
    let script = format!(
        "const i = document.querySelector('[data-testid={testid}] input, \\
         input[data-testid={testid}], [data-testid={testid}] textarea, \\
         textarea[data-testid={testid}]'); i.value = ''; i.dispatchEvent(new Event('input'))"
    );
    s.execute(&script).await;
}

/// The value of the input with `testid`.
async fn value(s: &AppSession, testid: &str) -> Value {
    let script = format!(
        "return document.querySelector('[data-testid={testid}] input, \\
         input[data-testid={testid}]').value"
    );
    s.execute(&script).await
}

/// What the screens of the main journey share: the window, and the "Konnect" org beside it.
struct Journey {
    s: AppSession,
    shots: PathBuf,
    exports: PathBuf,
    konnect: control_plane::RunningControlPlane,
    viewer_token: String,
    /// The decK file the export screen saved, for the import screen.
    exported: String,
    /// A production runtime without cors, kept running to the end so it stays listed connected.
    lean_runtime: Option<system_tests::processes::Proc>,
    _keyring: system_tests::keyring::KeyringSession,
    _tmp: tempfile::TempDir,
}

type Screen = (&'static str, for<'a> fn(&'a mut Journey) -> LocalBoxFuture<'a, ()>);

macro_rules! screens {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), |j| $name(j).boxed_local())),*]
    };
}

/// The main journey's screens, in the order they run.
const SCREENS: &[Screen] = screens![
    overview_opens_on_the_embedded_default,
    new_group_and_the_duplicate_name_error_on_its_field,
    the_default_group_offers_no_delete,
    edit_group_renames_and_relabels,
    delete_group_after_exporting_it,
    overview_filter_by_label,
    demo_dashboard_shows_real_traffic,
    runtime_instances_and_a_new_one_in_sync,
    a_node_without_cors_is_incompatible_with_the_plugin_named,
    configuration_lists_with_a_filter,
    plugin_catalog_adds_cors_to_a_service,
    nested_errors_land_on_their_fields,
    service_form_checks_create_edit_view_and_delete,
    consumer_page_adds_a_jwt_and_joins_a_consumer_group,
    upstream_page_adds_two_targets_and_changes_a_weight,
    certificate_key_set_and_vault_pages,
    service_route_and_plugin_pages,
    filter_a_list_by_a_tag,
    command_palette_jumps_to_an_entity,
    export_group_as_a_deck_file,
    import_previews_then_applies,
    dashboard_chart_saved_as_png,
    compare_two_groups,
    sync_now_with_a_summary,
    konnect_profile_scrolls_and_sorts_10000_services,
    viewer_roles_disable_what_they_do_not_allow,
    an_entity_page_offline_from_the_cache,
    remove_demo,
    wide_window_uses_the_width,
    settings_are_saved_and_the_theme_follows,
    settings_show_the_data_and_reset_it,
];

/// Launches the app on a fresh data dir, with a real keyring, and a second control plane as the
/// "Konnect" org: 10,000 services in `konnect-prod`, and a token that is only its Viewer.
async fn start_journey() -> Journey {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    let runtime_dir = tmp.path().join("xdg-runtime");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&runtime_dir).unwrap();
    let app = bin_dir().join("runtime-manager");
    let exports = tmp.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    // A real keyring for the app's Konnect tokens, and a second control plane as the "Konnect" org.
    let _keyring = system_tests::keyring::KeyringSession::start(&home);
    let konnect = system_tests::start_control_plane(&tmp.path().join("konnect")).await;
    let konnect_api = system_tests::Api::new(konnect.base_url(), system_tests::ADMIN_TOKEN);
    let (_, kp) = konnect_api
        .call("POST", "/v2/control-planes", Some(serde_json::json!({"name": "konnect-prod"})))
        .await;
    // 10,000 services, to scroll a long list that renders only the rows on screen.
    let kp_services =
        format!("/v2/control-planes/{}/core-entities/services", kp["id"].as_str().unwrap());
    for chunk in (0..10_000).collect::<Vec<_>>().chunks(100) {
        let calls = chunk.iter().map(|i| {
            konnect_api.call(
                "POST",
                &kp_services,
                Some(serde_json::json!({"name": format!("svc-{i:04}"), "host": "bulk.internal"})),
            )
        });
        for (status, body) in futures_util::future::join_all(calls).await {
            assert_eq!(status, 201, "{body}");
        }
    }
    // A pipeline's token that is only Viewer of konnect-prod, through a team.
    let (_, account) = konnect_api
        .call(
            "POST",
            "/v3/system-accounts",
            Some(serde_json::json!({"name": "ci", "description": "reads konnect-prod"})),
        )
        .await;
    let account_id = account["id"].as_str().unwrap().to_string();
    let (_, token) = konnect_api
        .call(
            "POST",
            &format!("/v3/system-accounts/{account_id}/access-tokens"),
            Some(serde_json::json!({"name": "ci", "expires_at": "2099-01-01T00:00:00Z"})),
        )
        .await;
    let viewer_token = token["token"].as_str().unwrap().to_string();
    let (_, team) =
        konnect_api.call("POST", "/v3/teams", Some(serde_json::json!({"name": "Readers"}))).await;
    let team_id = team["id"].as_str().unwrap().to_string();
    konnect_api
        .call(
            "POST",
            &format!("/v3/teams/{team_id}/system-accounts"),
            Some(serde_json::json!({"id": account_id})),
        )
        .await;
    let role = serde_json::json!({
        "role_name": "Viewer",
        "entity_id": kp["id"],
        "entity_type_name": "Control Planes",
        "entity_region": "*",
    });
    let roles = format!("/v3/teams/{team_id}/assigned-roles");
    let (st, _) = konnect_api.call("POST", &roles, Some(role)).await;
    assert_eq!(st, 201);
    let s = AppSession::launch(
        &app,
        &[
            ("RUNTIME_MANAGER_DATA_DIR", &data),
            ("HOME", &home),
            ("XDG_RUNTIME_DIR", &runtime_dir),
            ("RUNTIME_MANAGER_EXPORT_DIR", &exports),
            // The file dialogs answer with this file (WebDriver cannot reach a native dialog).
            ("RUNTIME_MANAGER_DIALOG_ANSWER", &exports.join("dialog.yaml")),
        ],
    )
    .await;

    let shots = bin_dir().parent().unwrap().join("screenshots");
    Journey {
        s,
        shots,
        exports,
        konnect,
        viewer_token,
        exported: String::new(),
        lean_runtime: None,
        _keyring,
        _tmp: tmp,
    }
}

async fn overview_opens_on_the_embedded_default(j: &mut Journey) {
    let s = &j.s;
    // The overview opens on the embedded default's groups.
    s.find("[data-testid=group-row-default]").await;
    assert_eq!(s.execute("return document.title").await, "Runtime Manager");
}

async fn new_group_and_the_duplicate_name_error_on_its_field(j: &mut Journey) {
    let s = &j.s;
    // New runtime group `dev` with label env:dev.
    s.click(&s.find("[data-testid=new-group]").await).await;
    s.type_text(&s.find(&input("field-name")).await, "dev").await;
    s.type_text(&s.find(&input("field-labels")).await, "env:dev").await;
    s.click(&s.find("[data-testid=modal-action-button]").await).await;
    s.find("[data-testid=group-row-dev]").await;
    let row_text = s.text_content("[data-testid=group-row-dev]").await;
    assert!(row_text.contains("env:dev"), "the row shows the label: {row_text}");
    assert!(row_text.contains("Hybrid"), "and the type: {row_text}");
    s.wait_gone("[data-testid=new-group-form]").await;

    // The same name again: the API's 409 shows on the name field, and the form keeps the input.
    s.click(&s.find("[data-testid=new-group]").await).await;
    let name = s.find(&input("field-name")).await;
    s.type_text(&name, "dev").await;
    s.click(&s.find("[data-testid=modal-action-button]").await).await;
    s.wait_for_text("A runtime group named 'dev' already exists.").await;
    let kept = value(s, "field-name").await;
    assert_eq!(kept, "dev", "nothing typed is lost");
    s.screenshot(&bin_dir().parent().unwrap().join("screenshots/new-group-duplicate.png")).await;
    s.click(&s.find("[data-testid=modal-cancel-button]").await).await;
    s.wait_gone("[data-testid=new-group-form]").await;
}

async fn the_default_group_offers_no_delete(j: &mut Journey) {
    let s = &j.s;
    // The default group offers no delete.
    s.click(&s.find("[data-testid=group-row-default] [data-testid=actions-dropdown] button").await)
        .await;
    let no_delete = "[data-testid=group-row-default-actions-dropdown-popover] \
                     [data-testid=delete-group-disabled]";
    s.find_visible(no_delete).await;
    assert!(s
        .find_now(
            "[data-testid=group-row-default-actions-dropdown-popover] [data-testid=delete-group]"
        )
        .await
        .is_none());
    // Clicking the trigger again closes the menu; wait until it has faded out.
    s.click(&s.find("[data-testid=group-row-default] [data-testid=actions-dropdown] button").await)
        .await;
    s.wait_hidden(no_delete).await;
}

async fn edit_group_renames_and_relabels(j: &mut Journey) {
    let s = &j.s;
    // Edit `dev`: the form opens filled in, a taken name is said on its field, then it is renamed
    // and relabelled.
    let set_field = |field: &'static str, value: &'static str| {
        let s = &s;
        async move {
            clear(s, field).await;
            s.type_text(&s.find(&input(field)).await, value).await;
        }
    };
    s.click(&s.find("[data-testid=group-row-dev] [data-testid=actions-dropdown] button").await)
        .await;
    s.click(
        &s.find_visible(
            "[data-testid=group-row-dev-actions-dropdown-popover] [data-testid=edit-group]",
        )
        .await,
    )
    .await;
    s.wait_for_text("Edit runtime group dev").await;
    assert_eq!(value(s, "field-labels").await, "env:dev", "the form opens with the group's labels");
    set_field("field-name", "default").await;
    s.click(&s.find("[data-testid=modal-action-button]").await).await;
    s.wait_for_text("A runtime group named 'default' already exists.").await;
    set_field("field-name", "dev-eu").await;
    set_field("field-labels", "env:dev, team:payments").await;
    s.screenshot(&bin_dir().parent().unwrap().join("screenshots/edit-group.png")).await;
    s.click(&s.find("[data-testid=modal-action-button]").await).await;
    s.find("[data-testid=group-row-dev-eu]").await;
    assert!(s.text_content("[data-testid=group-row-dev-eu]").await.contains("team:payments"));
    s.wait_gone("[data-testid=new-group-form]").await;
}

async fn delete_group_after_exporting_it(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // Delete it through the confirmation dialog, exporting its configuration first.
    s.click(&s.find("[data-testid=group-row-dev-eu] [data-testid=actions-dropdown] button").await)
        .await;
    s.click(
        &s.find_visible("[data-testid$=actions-dropdown-popover] [data-testid=delete-group]").await,
    )
    .await;
    s.wait_for_text("Are you sure you want to delete the runtime group").await;
    s.click(&s.find("[data-testid=delete-export]").await).await;
    s.wait_for_text("Saved to").await;
    let saved = std::fs::read_to_string(j.exports.join("dev-eu.yaml"))
        .expect("the export before the delete is on disk");
    assert!(saved.contains("_format_version"), "{saved}");
    s.type_text(&s.find(&input("confirmation-input")).await, "dev-eu").await;
    s.click(&s.find("[data-testid=modal-action-button]").await).await;
    s.wait_gone("[data-testid=group-row-dev-eu]").await;
    s.find("[data-testid=group-row-default]").await;

    let shot = s.screenshot(&shots.join("overview.png")).await;
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "a real picture, not a blank");
}

async fn overview_filter_by_label(j: &mut Journey) {
    let s = &j.s;
    // The filter: a label narrows the list; nothing matching says so.
    s.type_text(&s.find(&input("group-filter")).await, "env:prod").await;
    s.wait_gone("[data-testid=group-row-development]").await;
    s.find("[data-testid=group-row-production]").await;
    s.type_text(&s.find(&input("group-filter")).await, " nothing-like-this").await;
    s.wait_for_text("No results found").await;
    clear(s, "group-filter").await;
    s.find("[data-testid=group-row-development]").await;
}

async fn demo_dashboard_shows_real_traffic(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // The living demo: its groups are marked, their real runtimes show up in sync.
    s.find("[data-testid=demo-banner]").await;
    s.find("[data-testid=group-row-production] [data-testid=demo-badge]").await;
    s.click(&s.find("[data-testid=group-row-production] a[data-testid=group-name]").await).await;
    s.find("[data-testid=group-page]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.text_content("[data-testid=group-title]").await != "production" {
        assert!(std::time::Instant::now() < deadline, "the group page never showed its name");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Its dashboard: cards and charts from the analytics the runtimes report (every 10 s).
    s.find("[data-testid=card-requests]").await;
    s.find("[data-testid=traffic-chart] svg").await;
    // Runtimes report every 10 s and the dashboard refreshes every 10 s: wait for real figures.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let card = s.text_content("[data-testid=card-requests] .card-value").await;
        let n: i64 =
            card.chars().filter(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap_or(0);
        if n > 0 && !card.contains('–') {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the dashboard never showed the demo's requests: {card}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let charted = s.text_content("[data-testid=traffic-chart]").await;
    assert!(charted.contains("4XX"), "the traffic chart has its legend: {charted}");
    s.screenshot(&shots.join("dashboard.png")).await;
    s.click(&s.find("[data-testid=instances-tab]").await).await;
    s.find("[data-testid=instance-production-runtime-1]").await;
    s.find("[data-testid=instance-production-runtime-2]").await;
    let row = s.text_content("[data-testid=instance-production-runtime-1]").await;
    assert!(
        row.contains("In sync") && row.contains("127.0.0.1") && row.contains("3.10.0"),
        "host, IP, version and sync status: {row}"
    );
}

async fn runtime_instances_and_a_new_one_in_sync(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // "New runtime instance" starts a third, real runtime; it joins in sync.
    s.click(&s.find("[data-testid=new-instance]").await).await;
    s.find("[data-testid=instance-production-local-1]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !s.text_content("[data-testid=instance-production-local-1]").await.contains("In sync") {
        assert!(std::time::Instant::now() < deadline, "the new instance never showed in sync");
        s.click(&s.find("[data-testid=refresh-instances]").await).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    s.screenshot(&shots.join("runtime-instances.png")).await;
}

/// The embedded control plane's data plane link (`host:port`), as the demo's runtimes for `group`
/// were started with it: the app puts its control plane on a free port and says so nowhere else.
fn demo_runtime_link(data_dir: &std::path::Path, group: &str) -> String {
    let cert = data_dir.join("demo").join(format!("{group}.crt"));
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let args: Vec<String> =
            cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if !args.iter().any(|a| std::path::Path::new(a) == cert) {
            continue;
        }
        if let Some(i) = args.iter().position(|a| a == "--control-plane") {
            return args[i + 1].clone();
        }
    }
    panic!("no demo runtime of {group} runs with {}", cert.display())
}

async fn a_node_without_cors_is_incompatible_with_the_plugin_named(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // A production runtime started without cors (the demo configures cors on users-api): the
    // control plane sends it the rest, and the UI says it is Incompatible, naming cors.
    let data = j._tmp.path().join("data");
    let link = demo_runtime_link(&data, "production");
    let (cert, key) = (data.join("demo/production.crt"), data.join("demo/production.key"));
    let (lean, proxy, status) = system_tests::processes::runtime_with(
        &link,
        &cert,
        &key,
        "production-no-cors",
        &["--disable-plugin", "cors"],
        None,
    );
    j.lean_runtime = Some(lean);
    // Its own traffic, for its dashboard, once it has its configuration (before, it answers 503
    // for every request, and proxies none).
    let http = reqwest::Client::new();
    system_tests::wait_until("the lean node has its configuration", 20, || async {
        let ready = http.get(format!("{status}/status/ready")).send().await;
        ready.is_ok_and(|r| r.status() == 200)
    })
    .await;
    for n in 0..20 {
        let answer = http.get(format!("{proxy}/orders/{n}")).send().await.unwrap();
        assert_ne!(answer.status(), 503, "the lean node proxies /orders");
    }

    let row = "[data-testid=instance-production-no-cors]";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if s.find_now(row).await.is_some() && s.text_content(row).await.contains("Incompatible") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the lean node never showed Incompatible");
        s.click(&s.find("[data-testid=refresh-instances]").await).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let text = s.text_content(row).await;
    assert!(text.contains("1 issue") && text.contains("Out of sync"), "{text}");
    assert!(!text.contains("Configuration refused"), "it lacks a plugin, it refused nothing");
    let full = s.text_content("[data-testid=instance-production-runtime-1]").await;
    assert!(full.contains("Compatible") && !full.contains("Incompatible"), "{full}");
    s.screenshot(&shots.join("runtime-instances-compatibility.png")).await;

    // Its page: who it is, the issue with what to do and the plugin's entity, its own traffic.
    s.click(&s.find(&format!("{row} a.cell-wrapper")).await).await;
    s.find("[data-testid=instance-page]").await;
    let issue = "[data-testid=compatibility-issue-plugin_not_available]";
    s.find(issue).await;
    assert_eq!(s.text_content("[data-testid=instance-host]").await.trim(), "production-no-cors");
    let badge = s.text_content("[data-testid=instance-details] [data-testid=compatibility-status]");
    assert_eq!(badge.await.trim(), "Incompatible");
    let description = s.text_content(&format!("{issue} [data-testid=issue-description]")).await;
    assert!(description.contains("Plugin 'cors' is not available"), "{description}");
    let resolution = s.text_content(&format!("{issue} [data-testid=issue-resolution]")).await;
    assert!(resolution.contains("What to do") && resolution.contains("cors"), "{resolution}");
    let affected = s.text_content(&format!("{issue} [data-testid=affected-entity]")).await;
    assert!(affected.starts_with("plugin "), "the plugin's configuration is linked: {affected}");
    let (hash, expected) = (
        s.text_content("[data-testid=instance-config-hash]").await,
        s.text_content("[data-testid=expected-config-hash]").await,
    );
    assert!(hash.trim().len() == 32 && hash != expected, "it runs less: {hash} vs {expected}");
    // The node's own 20 requests reach its dashboard (runtimes report every 10 s), and only
    // those: the demo's traffic goes to the group's other runtimes.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let card = s.text_content("[data-testid=card-requests] .card-value").await;
        let n: i64 =
            card.chars().filter(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap_or(0);
        if n >= 20 {
            assert_eq!(n, 20, "the node's own requests, not its group's");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no requests on the node's dashboard: {card}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(s.find_now("[data-testid=export-traffic-png]").await.is_none(), "a group's export");
    s.screenshot(&shots.join("instance-incompatible.png")).await;
    s.execute("document.querySelector('[data-testid=dashboard]').scrollIntoView()").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    s.screenshot(&shots.join("instance-traffic.png")).await;
    // The affected plugin opens on its own page; back to the instance, then to its group.
    s.click(&s.find(&format!("{issue} [data-testid=affected-entity]")).await).await;
    s.find("[data-testid=entity-page]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !s.text_content("[data-testid=entity-title]").await.contains("cors") {
        assert!(std::time::Instant::now() < deadline, "the affected plugin's page is not cors's");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.execute("history.back()").await;
    s.find(issue).await;
    s.execute("history.back()").await;
    s.find("[data-testid=group-page]").await;
}

async fn configuration_lists_with_a_filter(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // Configuration: one list per kind with Kong's columns and a filter.
    s.click(&s.find("[data-testid=configuration-tab]").await).await;
    s.find("[data-testid=entity-orders-api]").await;
    s.find("[data-testid=entity-users-api]").await;
    s.type_text(&s.find(&input("entity-filter")).await, "users").await;
    s.wait_gone("[data-testid=entity-orders-api]").await;
    s.click(&s.find("[data-testid=kind-plugins]").await).await;
    s.find("[data-testid=entity-rate-limiting]").await;
    // The demo has key-auth twice (on orders-api and on the refunds route): one is a service's.
    // (A list's first frame holds the rows on screen; the rows below follow a moment later.)
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let scopes = s
            .execute(
                "return Array.from(document.querySelectorAll('[data-testid=entity-key-auth]')) \
                 .map(e => e.textContent).join(' | ')",
            )
            .await;
        let scopes = scopes.as_str().unwrap_or_default().to_string();
        if scopes.contains("Gateway service") {
            break;
        }
        assert!(Instant::now() < deadline, "key-auth applies to a service: {scopes}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.screenshot(&shots.join("configuration.png")).await;
}

/// The selector of a schema field's wrapper: quoted, as nested paths have dots.
fn field(path: &str) -> String {
    format!("[data-testid=\"entity-field-{path}\"]")
}

/// Picks the item whose text contains `label` in the open select inside `css`.
async fn pick(s: &AppSession, css: &str, label: &str) {
    s.click(&s.find(&format!("{css} [data-testid=select-input]")).await).await;
    s.find_visible(&format!("{css} [data-testid^=select-item-]")).await;
    let script = format!(
        "const i = Array.from(document.querySelectorAll({css:?} + ' [data-testid^=select-item-]')) \
         .find(e => e.textContent.includes({label:?})); i.querySelector('button').click(); \
         return !!i"
    );
    assert_eq!(s.execute(&script).await, Value::Bool(true), "no item {label} in {css}");
}

async fn plugin_catalog_adds_cors_to_a_service(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // "New plugin" opens Konnect's catalog: every plugin by group, with a search.
    s.click(&s.find("[data-testid=new-entity]").await).await;
    s.find("[data-testid=plugin-catalog]").await;
    s.find("[data-testid='plugin-group-Traffic control'] [data-testid=plugin-card-rate-limiting]")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.screenshot(&shots.join("plugin-catalog.png")).await;
    s.type_text(&s.find(&input("plugin-search")).await, "cors").await;
    s.wait_gone("[data-testid=plugin-card-key-auth]").await;
    s.click(&s.find("[data-testid=plugin-card-cors]").await).await;
    // Scope: global by default; cors cannot target a consumer (its schema says so).
    s.wait_for_text("Applies to every gateway service, route and consumer in this runtime group.")
        .await;
    assert!(s.find_now("[data-testid=scope-consumer]").await.is_none(), "cors has no consumer");
    assert!(s.find_now(&field("service")).await.is_none(), "no scope picker while global");
    s.execute("document.querySelector('[data-testid=scope-service]').closest('label').click()")
        .await;
    s.find(&field("service")).await;
    assert!(s.find_now(&field("route")).await.is_none(), "one scope at a time");
    s.wait_for_text("Applies only to the gateway service chosen below").await;
    pick(s, &field("service"), "orders-api").await;
    // Named, as the demo has a cors of its own (on users-api).
    s.type_text(&s.find(&input("entity-field-instance_name")).await, "orders-cors").await;
    // Its configuration from cors's schema: origins as tags, credentials as a checkbox.
    let origins = s.find(&format!("{} input", field("config.origins"))).await;
    s.type_text(&origins, "https://app.example,https://admin.example,").await;
    s.execute(&format!(
        "document.querySelector({:?} + ' input').click()",
        field("config.credentials")
    ))
    .await;
    let tags = s.text_content(&field("config.origins")).await;
    assert!(tags.contains("https://admin.example"), "origins typed as tags: {tags}");
    s.screenshot(&shots.join("plugin-form-cors.png")).await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.wait_gone("[data-testid=entity-form]").await;
    s.find("[data-testid=entity-orders-cors]").await;
    let row = s.text_content("[data-testid=entity-orders-cors]").await;
    assert!(row.contains("Gateway service"), "cors applies to a service: {row}");
    // Edit it: the form opens on the saved values. The row's menu is brought to the middle of
    // the window first: near the bottom, the "saved" toast can lie over it.
    let menu = "[data-testid=entity-orders-cors] [data-testid=actions-dropdown] button";
    s.execute(&format!("document.querySelector({menu:?}).scrollIntoView({{block: 'center'}})"))
        .await;
    s.click(&s.find(menu).await).await;
    s.click(
        &s.find_visible(
            "[data-testid=entity-orders-cors-actions-dropdown-popover] [data-testid=entity-edit]",
        )
        .await,
    )
    .await;
    s.find(&field("config.origins")).await;
    s.wait_for_text("https://admin.example").await;
    let checked = s
        .execute(&format!(
            "return document.querySelector({:?} + ' input').checked",
            field("config.credentials")
        ))
        .await;
    assert_eq!(checked, Value::Bool(true), "credentials saved");
    s.execute(&format!("document.querySelector({:?}).scrollIntoView()", field("config.methods")))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    s.screenshot(&shots.join("plugin-form-cors-edit.png")).await;
    s.execute("document.querySelector('[data-testid=plugin-general]').scrollIntoView()").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    s.screenshot(&shots.join("plugin-form-cors-general.png")).await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-cancel-button]").await,
    )
    .await;
    s.wait_gone("[data-testid=entity-form]").await;
}

async fn nested_errors_land_on_their_fields(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // rate-limiting with policy redis and no host: Kong's conditional check, on redis's host.
    s.click(&s.find("[data-testid=new-entity]").await).await;
    s.type_text(&s.find(&input("plugin-search")).await, "rate limiting").await;
    s.click(&s.find("[data-testid=plugin-card-rate-limiting]").await).await;
    s.type_text(&s.find(&format!("{} input", field("config.minute"))).await, "5").await;
    pick(s, &field("config.policy"), "redis").await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.wait_for_text("Host is required when Policy is redis.").await;
    // The form scrolls (smoothly) to the first error.
    let script = format!(
        "const f = document.querySelector({:?}); const r = f.getBoundingClientRect(); \
         return f.classList.contains('has-error') && r.top >= 0 && r.bottom <= innerHeight",
        field("config.redis.host")
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while s.execute(&script).await != Value::Bool(true) {
        assert!(std::time::Instant::now() < deadline, "the error is not on redis's host in view");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.screenshot(&shots.join("plugin-form-nested-error.png")).await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-cancel-button]").await,
    )
    .await;
    s.wait_gone("[data-testid=entity-form]").await;
    // An error only the API finds (the runtime's router cannot compile a header regex) lands on
    // the route's headers, said with its nested path.
    s.click(&s.find("[data-testid=kind-routes]").await).await;
    s.click(&s.find("[data-testid=new-entity]").await).await;
    s.type_text(&s.find(&input("entity-field-name")).await, "by-version").await;
    s.type_text(&s.find(&format!("{} input", field("paths"))).await, "/v,").await;
    s.click(&s.find(&format!("{} [data-testid=map-add]", field("headers"))).await).await;
    s.type_text(&s.find(&input("map-key")).await, "x-version").await;
    s.type_text(&s.find(&input("map-value")).await, "~*(").await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.wait_for_text("headers.x-version: invalid regex").await;
    let on_headers = s
        .execute(&format!(
            "return document.querySelector({:?}).classList.contains('has-error')",
            field("headers")
        ))
        .await;
    assert_eq!(on_headers, Value::Bool(true), "the API's error is on the headers field");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.screenshot(&shots.join("entity-form-nested-api-error.png")).await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-cancel-button]").await,
    )
    .await;
    s.wait_gone("[data-testid=entity-form]").await;
}

async fn service_form_checks_create_edit_view_and_delete(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // A gateway service through the schema-driven form: client checks first, on their fields.
    s.click(&s.find("[data-testid=kind-services]").await).await;
    s.find("[data-testid=entity-orders-api]").await;
    s.click(&s.find("[data-testid=new-entity]").await).await;
    s.type_text(&s.find(&input("entity-field-name")).await, "payments").await;
    // The port starts at Kong's default, 80.
    assert_eq!(value(s, "entity-field-port").await, "80");
    clear(s, "entity-field-port").await;
    s.type_text(&s.find(&input("entity-field-port")).await, "70000").await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.wait_for_text("Host is required.").await;
    s.wait_for_text("Port must be between 0 and 65535.").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // the error text fades in
    s.screenshot(&shots.join("entity-form-errors.png")).await;
    s.type_text(&s.find(&input("entity-field-host")).await, "payments.internal").await;
    clear(s, "entity-field-port").await;
    s.type_text(&s.find(&input("entity-field-port")).await, "8080").await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.find("[data-testid=entity-payments]").await;
    assert!(s.text_content("[data-testid=entity-payments]").await.contains("8080"));
    s.wait_gone("[data-testid=entity-form]").await;
    // The same name again: the API's error lands on the name field; the input stays.
    s.click(&s.find("[data-testid=new-entity]").await).await;
    s.type_text(&s.find(&input("entity-field-name")).await, "payments").await;
    s.type_text(&s.find(&input("entity-field-host")).await, "other.internal").await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.wait_for_text("name (type: unique) constraint failed").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.screenshot(&shots.join("entity-form-api-error.png")).await;
    assert_eq!(value(s, "entity-field-host").await, "other.internal");
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-cancel-button]").await,
    )
    .await;
    s.wait_gone("[data-testid=entity-form]").await;
    // Edit it: the port changes in place.
    s.click(&s.find("[data-testid=entity-payments] [data-testid=actions-dropdown] button").await)
        .await;
    s.click(
        &s.find_visible(
            "[data-testid=entity-payments-actions-dropdown-popover] [data-testid=entity-edit]",
        )
        .await,
    )
    .await;
    // The form is drawn once the kind's schema is read: wait for it before clearing a field.
    s.find(&input("entity-field-port")).await;
    assert_eq!(value(s, "entity-field-port").await, "8080");
    clear(s, "entity-field-port").await;
    s.type_text(&s.find(&input("entity-field-port")).await, "9090").await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.wait_gone("[data-testid=entity-form]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !s.text_content("[data-testid=entity-payments]").await.contains("9090") {
        assert!(std::time::Instant::now() < deadline, "the edit never showed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // View as YAML.
    s.click(&s.find("[data-testid=entity-payments] [data-testid=actions-dropdown] button").await)
        .await;
    s.click(
        &s.find_visible(
            "[data-testid=entity-payments-actions-dropdown-popover] [data-testid=entity-view]",
        )
        .await,
    )
    .await;
    // The YAML comes from Rust's serializer: wait for it before reading it whole.
    s.wait_for_text("host: payments.internal").await;
    let code = s.text_content("[data-testid=entity-code]").await;
    assert!(code.contains("host: payments.internal") && code.contains("port: 9090"), "{code}");
    s.screenshot(&shots.join("entity-yaml.png")).await;
    s.click(
        &s.find_visible("[data-testid=entity-view-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.wait_gone("[data-testid=entity-code]").await;
    let overflow = s
        .execute("return document.documentElement.scrollWidth - window.innerWidth")
        .await
        .as_i64()
        .unwrap_or(1);
    assert_eq!(overflow, 0, "the configuration list scrolls inside itself, not the window");
    // Delete through the confirmation.
    s.click(&s.find("[data-testid=entity-payments] [data-testid=actions-dropdown] button").await)
        .await;
    s.click(
        &s.find_visible(
            "[data-testid=entity-payments-actions-dropdown-popover] [data-testid=entity-delete]",
        )
        .await,
    )
    .await;
    s.wait_for_text("Delete the gateway service").await;
    s.click(
        &s.find_visible("[data-testid=entity-delete-prompt] [data-testid=modal-action-button]")
            .await,
    )
    .await;
    s.wait_gone("[data-testid=entity-payments]").await;
}

async fn command_palette_jumps_to_an_entity(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // The command palette: Ctrl+K, fuzzy `usr`, Enter-free click jumps to the entity.
    s.execute("window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true }))")
        .await;
    s.type_text(&s.find("[data-testid=palette-input]").await, "usr").await;
    s.find("[data-testid=palette-hit-users-api]").await;
    s.screenshot(&shots.join("command-palette.png")).await;
    s.execute(
        "document.querySelector('[data-testid=palette-input]')\
         .dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))",
    )
    .await;
    s.wait_gone("[data-testid=palette]").await;
    s.execute("window.dispatchEvent(new KeyboardEvent('keydown', { key: '/' }))").await;
    s.type_text(&s.find("[data-testid=palette-input]").await, "usr").await;
    s.click(&s.find("[data-testid=palette-hit-users-api]").await).await;
    s.wait_gone("[data-testid=palette]").await;
    s.find("[data-testid=entity-users-api]").await;
    s.wait_gone("[data-testid=entity-orders-api]").await;
}

async fn export_group_as_a_deck_file(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // Export the group as a decK file and save it.
    s.click(&s.find("[data-testid=export-group]").await).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !s.text_content("[data-testid=export-text]").await.contains("_format_version") {
        assert!(std::time::Instant::now() < deadline, "the export never showed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.screenshot(&shots.join("export.png")).await;
    s.click(&s.find_visible("[data-testid=export-modal] [data-testid=modal-action-button]").await)
        .await;
    s.find("[data-testid=export-saved]").await;
    let saved = s
        .text_content("[data-testid=export-saved]")
        .await
        .trim()
        .trim_start_matches("Saved to ")
        .to_string();
    let exported = std::fs::read_to_string(&saved).unwrap_or_else(|e| panic!("{saved}: {e}"));
    assert!(
        exported.contains("users-api") && exported.contains("keyauth_credentials"),
        "{exported}"
    );
    s.click(&s.find_visible("[data-testid=export-modal] [data-testid=modal-cancel-button]").await)
        .await;
    s.wait_gone("[data-testid=export-text]").await;

    j.exported = exported;
}

async fn import_previews_then_applies(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    let exported = j.exported.clone();
    // Import: a bad file is refused on its field; the export plus one service previews as one
    // create.
    s.click(&s.find("[data-testid=import-group]").await).await;
    s.type_text(&s.find(&input("import-text")).await, "services: []").await;
    s.click(&s.find_visible("[data-testid=import-modal] [data-testid=modal-action-button]").await)
        .await;
    s.wait_for_text("_format_version is missing").await;
    let mut doc: serde_json::Value = serde_norway::from_str(&exported).unwrap();
    doc["services"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"name": "inventory", "host": "inventory.internal", "port": 8080}));
    // The file comes through "Choose file…" (the system's dialog, answered with this file).
    std::fs::write(j.exports.join("dialog.yaml"), serde_json::to_string(&doc).unwrap()).unwrap();
    clear(s, "import-text").await;
    s.click(&s.find("[data-testid=import-choose-file]").await).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let chosen = "const t = document.querySelector('[data-testid=import-text] textarea, \
                  textarea[data-testid=import-text]'); return t ? t.value : ''";
    while !s.execute(chosen).await.as_str().unwrap_or("").contains("inventory.internal") {
        assert!(std::time::Instant::now() < deadline, "the chosen file never filled the form");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.click(&s.find_visible("[data-testid=import-modal] [data-testid=modal-action-button]").await)
        .await;
    s.find("[data-testid=plan-create]").await;
    let summary = s.text_content("[data-testid=import-summary]").await;
    assert!(summary.contains("1 to create") && summary.contains("0 to delete"), "{summary}");
    assert!(s.text_content("[data-testid=plan-create]").await.contains("inventory"));
    s.screenshot(&shots.join("import-preview.png")).await;
    s.click(&s.find_visible("[data-testid=import-modal] [data-testid=modal-action-button]").await)
        .await;
    s.wait_gone("[data-testid=import-summary]").await;
    s.click(&s.find("[data-testid=kind-services]").await).await;
    s.find("[data-testid=entity-inventory]").await;
}

async fn dashboard_chart_saved_as_png(j: &mut Journey) {
    let s = &j.s;
    // A dashboard chart saved as PNG.
    s.click(&s.find("[data-testid=dashboard-tab]").await).await;
    // Export is offered once the dashboard's figures are there.
    s.click(&s.find("[data-testid=export-traffic-png]:not([disabled])").await).await;
    s.find("[data-testid=png-saved]").await;
    let png_path = s
        .text_content("[data-testid=png-saved]")
        .await
        .trim()
        .trim_start_matches("Chart saved to ")
        .to_string();
    let png = std::fs::read(&png_path).unwrap_or_else(|e| panic!("{png_path}: {e}"));
    assert_eq!(&png[1..4], b"PNG", "a PNG file");
}

async fn compare_two_groups(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // Compare development with production: analytics on the same axes, the configuration
    // difference.
    s.click(&s.find("[data-testid=nav-compare]").await).await;
    s.click(&s.find("[data-testid=compare-run]").await).await;
    s.find("[data-testid=compare-metrics]").await;
    s.find("[data-testid=compare-requests-chart] svg").await;
    // The palette opened one of the two demo groups; the import went there, so the service is on
    // one side only.
    let one_side = format!(
        "{} {}",
        s.text_content("[data-testid=only-left]").await,
        s.text_content("[data-testid=only-right]").await
    );
    assert!(one_side.contains("inventory"), "the imported service is on one side only: {one_side}");
    s.screenshot(&shots.join("compare.png")).await;
}

async fn sync_now_with_a_summary(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // Sync now: every group and entity, with progress, then a summary.
    s.click(&s.find("[data-testid=nav-runtime-groups]").await).await;
    s.click(&s.find("[data-testid=sync-now]").await).await;
    s.wait_for_text("Synced 3 groups:").await;
    s.screenshot(&shots.join("sync-now.png")).await;
}

async fn konnect_profile_scrolls_and_sorts_10000_services(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // Profiles: a refused token shows on its field; a good one is kept in the keyring and the
    // app switches to that organization; back to Local; remove the profile.
    s.click(&s.find("[data-testid=profile-current]").await).await;
    s.click(&s.find("[data-testid=profile-add]").await).await;
    s.type_text(&s.find(&input("profile-field-name")).await, "Acme").await;
    s.type_text(&s.find(&input("profile-field-token")).await, "kpat_wrong_token_value").await;
    s.type_text(&s.find(&input("profile-field-base-url")).await, &j.konnect.base_url()).await;
    s.click(
        &s.find_visible("[data-testid=profile-add-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.wait_for_text("Konnect refused this token").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    s.screenshot(&shots.join("profile-token-refused.png")).await;
    clear(s, "profile-field-token").await;
    s.type_text(&s.find(&input("profile-field-token")).await, system_tests::ADMIN_TOKEN).await;
    s.click(
        &s.find_visible("[data-testid=profile-add-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.find("[data-testid=group-row-konnect-prod]").await;
    assert!(s.text_content("[data-testid=profile-current]").await.contains("Acme"));
    assert!(
        s.find_now("[data-testid=group-row-production]").await.is_none(),
        "the Konnect org's groups only"
    );
    s.wait_gone("[data-testid=demo-banner]").await; // the demo belongs to the Local profile
    s.screenshot(&shots.join("profile-konnect.png")).await;
    s.click(&s.find("[data-testid=group-row-konnect-prod] a[data-testid=group-name]").await).await;
    s.click(&s.find("[data-testid=configuration-tab]").await).await;
    s.wait_for_text("10,000 of 10,000").await;
    // The rendered rows reach the window's bottom edge, and they are a screenful and a margin,
    // not the 10,000.
    let rendered = s
        .execute(
            "const trs = document.querySelectorAll('[data-testid=entity-table] tbody tr'); \
             const last = trs[trs.length - 1]?.getBoundingClientRect(); \
             const main = document.querySelector('main.content').getBoundingClientRect(); \
             return [trs.length, !!last && last.bottom >= main.bottom]",
        )
        .await;
    assert_eq!(rendered[1], Value::Bool(true), "rows to the window's bottom edge: {rendered}");
    let first = rendered[0].as_i64().unwrap_or(0);
    assert!(first <= 120, "only the rows on screen and a margin are in the page: {first}");
    // Scroll from the top to the bottom over 240 frames, noting each frame's interval, how many
    // rows the page holds, and every service name that was on screen.
    s.execute(
        "const c = document.querySelector('main.content'); c.scrollTop = 0; window.__scroll = null;
         const frames = 240, deltas = [], seen = new Set();
         let most = 0, i = 0, last = performance.now();
         const step = (t) => {
           deltas.push(t - last); last = t; i++;
           c.scrollTop = (c.scrollHeight - c.clientHeight) * i / frames;
           const trs = document.querySelectorAll('[data-testid=entity-table] tbody tr');
           most = Math.max(most, trs.length);
           trs.forEach((tr) => seen.add(tr.querySelector('td')?.innerText.trim()));
           if (i < frames) requestAnimationFrame(step);
           else setTimeout(() => {
             document.querySelectorAll('[data-testid=entity-table] tbody tr')
               .forEach((tr) => seen.add(tr.querySelector('td')?.innerText.trim()));
             window.__scroll = { deltas: deltas.slice(1), most, seen: seen.size };
           }, 500);
         };
         // First 60 frames with nothing to do: what a frame costs in this window at all.
         // Then 120 frames of 100 px, as a mouse wheel scrolls.
         const idle = [], wheel = []; let n = 0, t0 = performance.now();
         const spin = (t) => {
           wheel.push(t - t0); t0 = t; c.scrollTop += 100;
           if (++n < 180) requestAnimationFrame(spin);
           else {
             window.__wheel = wheel.slice(1); c.scrollTop = 0; last = performance.now();
             requestAnimationFrame(step);
           }
         };
         const tick = (t) => {
           idle.push(t - t0); t0 = t;
           if (++n < 60) requestAnimationFrame(tick);
           else {
             window.__idle = idle.slice(1); t0 = performance.now(); requestAnimationFrame(spin);
           }
         };
         requestAnimationFrame(tick);",
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let scroll = loop {
        let v = s.execute("return window.__scroll").await;
        if !v.is_null() {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "the scroll did not finish");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    let mut deltas: Vec<f64> =
        scroll["deltas"].as_array().unwrap().iter().filter_map(|d| d.as_f64()).collect();
    deltas.sort_by(f64::total_cmp);
    let (median, p95) = (deltas[deltas.len() / 2], deltas[deltas.len() * 95 / 100]);
    let sorted = |v: Value| -> Vec<f64> {
        let mut v: Vec<f64> = v.as_array().unwrap().iter().filter_map(|d| d.as_f64()).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let (idle, wheel) = (
        sorted(s.execute("return window.__idle").await),
        sorted(s.execute("return window.__wheel").await),
    );
    println!(
        "10,000 services: wheel scrolling (100 px a frame) frame interval median {:.1} ms, \
         p95 {:.1} ms; top to bottom in 240 frames (2,000 px a frame) median {median:.1} ms, \
         p95 {p95:.1} ms; an idle frame {:.1} ms; at most {} table rows in the page",
        wheel[wheel.len() / 2],
        wheel[wheel.len() * 95 / 100],
        idle[idle.len() / 2],
        scroll["most"]
    );
    assert_eq!(scroll["seen"], 10_000, "every service passed the screen");
    assert!(
        scroll["most"].as_i64().unwrap() <= 150,
        "the page never held the whole list: {}",
        scroll["most"]
    );
    // The header and the row blocks are one table to assistive technology, and the last row
    // says it is the last of 10,000 (the header being row 1).
    let at_end = s
        .execute(
            "const table = document.querySelector('[data-testid=entity-table]');
             const trs = table.querySelectorAll('[role=row]');
             return [table.getAttribute('role'), table.getAttribute('aria-rowcount'),
                     trs[0].getAttribute('aria-rowindex'),
                     trs[trs.length - 1].getAttribute('aria-rowindex')]",
        )
        .await;
    assert_eq!(
        at_end,
        serde_json::json!(["table", "10001", "1", "10001"]),
        "rows are placed in the whole list"
    );
    // Sorting by a column: once ascending, again descending (one click event each: a WebDriver
    // click that is retried could land twice and cycle on to the API's order).
    s.execute("document.querySelector('main.content').scrollTop = 0").await;
    let first_row = || {
        s.execute(
            "return document.querySelector('[data-testid=entity-table] tbody tr td')\
             ?.innerText.trim()",
        )
    };
    for (expected, sort) in [("svc-0000", "ascending"), ("svc-9999", "descending")] {
        s.execute("document.querySelector('[data-testid=sort-name]').click()").await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while first_row().await != expected {
            assert!(
                std::time::Instant::now() < deadline,
                "sorted {sort} by name the list starts at {expected}: {}",
                first_row().await
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let aria_sort = s
            .execute(
                "return document.querySelector('[data-testid=sort-name]').closest('th')\
                 .getAttribute('aria-sort')",
            )
            .await;
        assert_eq!(aria_sort, sort);
    }
    s.screenshot(&shots.join("long-list.png")).await;
    s.click(&s.find("[data-testid=nav-runtime-groups]").await).await;
    let secrets = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", "runtime-manager"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&secrets.stdout).contains(system_tests::ADMIN_TOKEN)
            || String::from_utf8_lossy(&secrets.stderr).contains(system_tests::ADMIN_TOKEN),
        "the token is in GNOME Keyring"
    );
    s.click(&s.find("[data-testid=profile-current]").await).await;
    s.click(&s.find("[data-testid=profile-local]").await).await;
    s.find("[data-testid=group-row-production]").await;
    s.click(&s.find("[data-testid=profile-current]").await).await;
    s.click(&s.find("[data-testid=profile-remove-Acme]").await).await;
    s.click(
        &s.find_visible("[data-testid=profile-remove-prompt] [data-testid=modal-action-button]")
            .await,
    )
    .await;
    s.wait_gone("[data-testid=profile-remove-prompt] [data-testid=modal-action-button]").await;
    s.click(&s.find("[data-testid=profile-current]").await).await;
    assert!(s.find_now("[data-testid=profile-Acme]").await.is_none(), "the profile is gone");
}

async fn viewer_roles_disable_what_they_do_not_allow(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // A Viewer's token: the app reads its roles and disables what they do not allow, saying why.
    s.click(&s.find("[data-testid=profile-add]").await).await;
    s.type_text(&s.find(&input("profile-field-name")).await, "Readers").await;
    s.type_text(&s.find(&input("profile-field-token")).await, &j.viewer_token).await;
    s.type_text(&s.find(&input("profile-field-base-url")).await, &j.konnect.base_url()).await;
    s.click(
        &s.find_visible("[data-testid=profile-add-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.find("[data-testid=group-row-konnect-prod]").await;
    let session = &s;
    let disabled = |sel: &'static str| async move {
        let script =
            format!("const b = document.querySelector('[data-testid={sel}]'); return b?.disabled");
        session.execute(&script).await
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while disabled("new-group").await != serde_json::json!(true) {
        assert!(
            std::time::Instant::now() < deadline,
            "New runtime group stays enabled for a Viewer"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.click(&s.find("[data-testid=group-row-konnect-prod] a[data-testid=group-name]").await).await;
    s.click(&s.find("[data-testid=configuration-tab]").await).await;
    s.wait_for_text("View only. Not allowed by your roles in this runtime group (Viewer).").await;
    s.wait_for_text("10,000 of 10,000").await;
    assert_eq!(
        disabled("new-entity").await,
        serde_json::json!(true),
        "a Viewer cannot create services"
    );
    assert_eq!(disabled("import-group").await, serde_json::json!(true), "nor import a decK file");
    assert_eq!(disabled("export-group").await, serde_json::json!(false), "but may export");
    s.screenshot(&shots.join("access-viewer.png")).await;
    s.click(&s.find("[data-testid=instances-tab]").await).await;
    s.find("[data-testid=new-instance]").await;
    assert_eq!(
        disabled("new-instance").await,
        serde_json::json!(true),
        "nor pin a certificate for a new runtime instance"
    );
    s.click(&s.find("[data-testid=nav-runtime-groups]").await).await;
    s.click(&s.find("[data-testid=profile-current]").await).await;
    s.click(&s.find("[data-testid=profile-local]").await).await;
    s.find("[data-testid=group-row-production]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while disabled("new-group").await != serde_json::json!(false) {
        assert!(
            std::time::Instant::now() < deadline,
            "the Local profile's admin may create groups"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn remove_demo(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // Removing the demo stops it and deletes its groups.
    s.click(&s.find("[data-testid=remove-demo]").await).await;
    s.wait_for_text("This stops the demo traffic").await;
    let remove = "[data-testid=remove-demo-prompt] [data-testid=modal-action-button], \
                  [data-testid=modal-action-button]";
    s.click(&s.find_visible(remove).await).await;
    s.wait_gone("[data-testid=group-row-production]").await;
    s.wait_gone("[data-testid=group-row-development]").await;
    s.wait_gone("[data-testid=demo-banner]").await;
    s.screenshot(&shots.join("overview-demo-removed.png")).await;
}

/// Settings: a dark theme saved turns the window dark at once (the page's prefers-color-scheme
/// follows the window); System brings it back. About's versions come from the same command the
/// menu reads.
async fn settings_are_saved_and_the_theme_follows(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    s.click(&s.find("[data-testid=nav-settings]").await).await;
    s.find("[data-testid=settings-page]").await;
    let dark = "return matchMedia('(prefers-color-scheme: dark)').matches";
    assert_eq!(s.execute(dark).await, serde_json::json!(false), "light to begin with");
    let option = |label: &str| {
        format!(
            "[...document.querySelectorAll('[data-testid=settings-theme] button')]\
             .find(b => b.textContent.trim() === '{label}').click()"
        )
    };
    s.execute(&option("Dark")).await;
    s.click(&s.find("[data-testid=settings-save]").await).await;
    s.find("[data-testid=settings-saved]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.execute(dark).await != serde_json::json!(true) {
        assert!(std::time::Instant::now() < deadline, "the window never turned dark");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.screenshot(&shots.join("settings-dark.png")).await;
    s.execute(&option("System")).await;
    s.click(&s.find("[data-testid=settings-save]").await).await;
    let versions = s
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             window.__TAURI_INTERNALS__.invoke('app_versions').then(done, e => done(String(e)))",
        )
        .await;
    assert_eq!(versions["runtime"], "3.10.0", "{versions}");
    assert!(versions["app"].as_str().is_some_and(|v| !v.is_empty()), "{versions}");
    s.click(&s.find("[data-testid=nav-runtime-groups]").await).await;
}

async fn settings_show_the_data_and_reset_it(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    s.click(&s.find("[data-testid=nav-settings]").await).await;
    // Where the data lives: this run's data folder, and the log folder beside it.
    let data = j._tmp.path().join("data");
    until_contains(s, "[data-testid=settings-data-dir]", &data.display().to_string()).await;
    assert!(!s.text_content("[data-testid=settings-log-dir]").await.trim().is_empty());
    s.find("input[data-testid=settings-notify-certificate]").await;
    settled_shot(s, &shots.join("settings-local-data.png")).await;
    // Reset: a prompt that says what goes and what stays, then the app reloads on the overview
    // and syncs the organization again.
    s.execute("window.__beforeReset = true").await;
    s.click(&s.find("[data-testid=settings-reset]").await).await;
    s.find_visible("[data-testid=settings-reset-prompt]").await;
    let prompt = s.text_content("[data-testid=settings-reset-prompt]").await;
    assert!(prompt.contains("keyring"), "the prompt says tokens are kept: {prompt}");
    settled_shot(s, &shots.join("settings-reset-prompt.png")).await;
    s.click(
        &s.find_visible("[data-testid=settings-reset-prompt] [data-testid=modal-action-button]")
            .await,
    )
    .await;
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    while s.execute("return window.__beforeReset === true").await == serde_json::json!(true) {
        assert!(Instant::now() < deadline, "the app did not reload after the reset");
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    assert_eq!(s.execute("return location.hash").await, "#/runtime-groups");
    s.find("[data-testid=group-row-default]").await;
}

async fn wide_window_uses_the_width(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // The same window at 1920×1080: the layout uses the width, nothing overflows.
    s.set_window_size(1920, 1080).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.execute("return window.innerWidth").await.as_i64().unwrap_or(0) < 1900 {
        assert!(std::time::Instant::now() < deadline, "the window did not grow to 1920 wide");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let overflow = s
        .execute("return document.documentElement.scrollWidth - window.innerWidth")
        .await
        .as_i64()
        .unwrap_or(1);
    assert_eq!(overflow, 0, "no horizontal overflow at 1920×1080");
    s.screenshot(&shots.join("overview-1920x1080.png")).await;
}

/// A screenshot once the tabs' underline and fades have settled.
async fn settled_shot(s: &AppSession, path: &std::path::Path) {
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    s.screenshot(path).await;
}

/// Waits until the text of `css` contains `text`.
async fn until_contains(s: &AppSession, css: &str, text: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let got = s.text_content(css).await;
        if got.contains(text) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{css} never said {text:?}: {got}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Opens the entity page of the row `css` (a click on its first cell) and waits for its title.
async fn open_row(s: &AppSession, css: &str, title: &str) {
    s.click(&s.find(&format!("{css} td")).await).await;
    until_contains(s, "[data-testid=entity-title]", title).await;
}

/// Follows the entity page's breadcrumb named `text`.
async fn crumb(s: &AppSession, text: &str) {
    let script = format!(
        "const a = Array.from(document.querySelectorAll('.k-breadcrumbs a')) \
         .find(e => e.textContent.trim() === {text:?}); a?.click(); return !!a"
    );
    assert_eq!(s.execute(&script).await, Value::Bool(true), "no breadcrumb {text}");
}

/// Saves the open entity form and waits for it to close; one that stays says what it shows.
async fn save_form(s: &AppSession) {
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.find_now("[data-testid=entity-form]").await.is_some() {
        if std::time::Instant::now() > deadline {
            let shown = s.text_content("[data-testid=entity-form]").await;
            panic!("the form was not saved: {shown}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Sets a textarea or input of the open form to `text` (a PEM's newlines kept).
async fn paste(s: &AppSession, testid: &str, text: &str) {
    let script = format!(
        "const i = document.querySelector({:?}); i.value = {text:?}; \
         i.dispatchEvent(new Event('input'))",
        input(testid)
    );
    s.execute(&script).await;
}

async fn consumer_page_adds_a_jwt_and_joins_a_consumer_group(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // An empty list says what the kind is and offers to create the first one.
    s.click(&s.find("[data-testid=kind-consumer_groups]").await).await;
    s.wait_for_text("Consumer groups give many consumers the same plugins").await;
    s.click(&s.find_visible("[data-testid=entity-empty] button").await).await;
    s.type_text(&s.find(&input("entity-field-name")).await, "gold").await;
    s.type_text(&s.find(&format!("{} input", field("tags"))).await, "e2e,").await;
    save_form(s).await;
    s.find("[data-testid=entity-gold]").await;
    // The consumer's page, opened from its row, with breadcrumbs back to its list.
    s.click(&s.find("[data-testid=kind-consumers]").await).await;
    open_row(s, "[data-testid=entity-alice]", "alice").await;
    let crumbs = s.text_content(".k-breadcrumbs").await;
    for part in ["Runtime groups", "production", "Consumers", "alice"] {
        assert!(crumbs.contains(part), "the breadcrumbs name {part}: {crumbs}");
    }
    // Credentials of every auth kind; a jwt created under the consumer.
    s.click(&s.find("[data-testid=credentials-tab]").await).await;
    for kind in ["key-auths", "basic-auths", "jwts", "hmac-auths", "acls"] {
        s.find(&format!("[data-testid=related-{kind}]")).await;
    }
    s.find("[data-testid=related-acls] [data-testid=entity-finance]").await;
    s.click(&s.find("[data-testid=related-jwts] [data-testid=related-new]").await).await;
    s.type_text(&s.find(&input("entity-field-key")).await, "alice-issuer").await;
    s.type_text(&s.find(&input("entity-field-secret")).await, "alice-hs256-secret").await;
    let consumer = s.text_content(&field("consumer")).await;
    save_form(s).await;
    s.find("[data-testid=related-jwts] [data-testid=entity-alice-issuer]").await;
    let row = s.text_content("[data-testid=related-jwts] [data-testid=entity-alice-issuer]").await;
    assert!(row.contains("HS256"), "the jwt's algorithm shows: {row} (form's consumer {consumer})");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    settled_shot(s, &shots.join("entity-consumer-credentials.png")).await;
    // Its consumer groups: put it in gold.
    s.click(&s.find("[data-testid=consumer-groups-tab]").await).await;
    s.find("[data-testid=membership-empty]").await;
    pick(s, "[data-testid=membership-pick]", "gold").await;
    s.click(&s.find("[data-testid=membership-add]").await).await;
    s.find("[data-testid=membership-groups] [data-testid=entity-gold]").await;
    settled_shot(s, &shots.join("entity-consumer-groups.png")).await;
    // The group's page lists alice; its list counts one consumer.
    open_row(s, "[data-testid=membership-groups] [data-testid=entity-gold]", "gold").await;
    s.click(&s.find("[data-testid=consumers-tab]").await).await;
    s.find("[data-testid=membership-members] [data-testid=entity-alice]").await;
    settled_shot(s, &shots.join("entity-consumer-group.png")).await;
    crumb(s, "Consumer groups").await;
    let count = "return document.querySelector('[data-testid=entity-gold] td:nth-child(2)')\
                 ?.innerText.trim()";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.execute(count).await != Value::String("1".into()) {
        assert!(std::time::Instant::now() < deadline, "gold never counted its one consumer");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn upstream_page_adds_two_targets_and_changes_a_weight(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    s.click(&s.find("[data-testid=kind-upstreams]").await).await;
    s.wait_for_text("Upstreams balance").await;
    s.click(&s.find_visible("[data-testid=entity-empty] button").await).await;
    s.type_text(&s.find(&input("entity-field-name")).await, "orders-upstream").await;
    s.type_text(&s.find(&format!("{} input", field("tags"))).await, "e2e,").await;
    save_form(s).await;
    open_row(s, "[data-testid=entity-orders-upstream]", "orders-upstream").await;
    s.click(&s.find("[data-testid=targets-tab]").await).await;
    s.wait_for_text("Targets are the hosts and ports").await;
    // Two targets, created under the upstream; the second's weight changed in place.
    s.click(
        &s.find_visible("[data-testid=related-targets] [data-testid=related-empty] button").await,
    )
    .await;
    s.type_text(&s.find(&input("entity-field-target")).await, "10.0.0.1:8080").await;
    save_form(s).await;
    s.find("[data-testid=\"entity-10.0.0.1:8080\"]").await;
    s.click(&s.find("[data-testid=related-targets] [data-testid=related-new]").await).await;
    s.type_text(&s.find(&input("entity-field-target")).await, "10.0.0.2:8080").await;
    save_form(s).await;
    let second = "[data-testid=\"entity-10.0.0.2:8080\"]";
    s.find(second).await;
    s.click(&s.find(&format!("{second} [data-testid=actions-dropdown] button")).await).await;
    s.click(
        &s.find_visible(
            "[data-testid=\"entity-10.0.0.2:8080-actions-dropdown-popover\"] \
             [data-testid=entity-edit]",
        )
        .await,
    )
    .await;
    s.find(&input("entity-field-weight")).await;
    assert_eq!(value(s, "entity-field-weight").await, "100", "Kong's default weight");
    clear(s, "entity-field-weight").await;
    s.type_text(&s.find(&input("entity-field-weight")).await, "25").await;
    save_form(s).await;
    let weight = "return document.querySelector('[data-testid=\"entity-10.0.0.2:8080\"] \
                  td:nth-child(2)')?.innerText.trim()";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.execute(weight).await != Value::String("25".into()) {
        assert!(std::time::Instant::now() < deadline, "the new weight never showed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    until_contains(s, "[data-testid=\"entity-10.0.0.1:8080\"]", "100").await;
    settled_shot(s, &shots.join("entity-upstream-targets.png")).await;
    s.click(&s.find("[data-testid=details-tab]").await).await;
    until_contains(s, "[data-testid=entity-details]", "orders-upstream").await;
    settled_shot(s, &shots.join("entity-upstream.png")).await;
    crumb(s, "Upstreams").await;
}

async fn certificate_key_set_and_vault_pages(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // A certificate's list row and page say what its PEM says.
    let (cert, key) = hybrid::link::generate_client_certificate("api.shop.example").unwrap();
    s.click(&s.find("[data-testid=kind-certificates]").await).await;
    s.click(&s.find_visible("[data-testid=entity-empty] button").await).await;
    s.find(&input("entity-field-cert")).await;
    paste(s, "entity-field-cert", &cert).await;
    paste(s, "entity-field-key", &key).await;
    save_form(s).await;
    let row = "[data-testid=entity-rows] tbody tr";
    until_contains(s, row, "api.shop.example").await;
    let text = s.text_content(row).await;
    // rcgen's certificates run to 4096-01-01: the expiry column says so.
    assert!(text.contains("4096-01-01"), "the row shows the expiry: {text}");
    settled_shot(s, &shots.join("certificates-list.png")).await;
    s.click(&s.find(&format!("{row} td")).await).await;
    until_contains(s, "[data-testid=certificate-subject]", "CN=api.shop.example").await;
    until_contains(s, "[data-testid=certificate-sans]", "api.shop.example").await;
    let details = s.text_content("[data-testid=entity-details]").await;
    assert!(details.contains("Hidden (secret)"), "the private key is never shown: {details}");
    assert!(!details.contains("PRIVATE KEY"), "the private key is never shown");
    settled_shot(s, &shots.join("entity-certificate.png")).await;
    // Its SNIs: one created under it.
    s.click(&s.find("[data-testid=snis-tab]").await).await;
    s.click(&s.find_visible("[data-testid=related-snis] [data-testid=related-empty] button").await)
        .await;
    s.type_text(&s.find(&input("entity-field-name")).await, "api.shop.example").await;
    save_form(s).await;
    s.find("[data-testid=related-snis] [data-testid=\"entity-api.shop.example\"]").await;
    settled_shot(s, &shots.join("entity-certificate-snis.png")).await;
    // A key set and its (empty) keys.
    crumb(s, "Certificates").await;
    s.click(&s.find("[data-testid=kind-key-sets]").await).await;
    s.click(&s.find_visible("[data-testid=entity-empty] button").await).await;
    s.type_text(&s.find(&input("entity-field-name")).await, "signing").await;
    save_form(s).await;
    open_row(s, "[data-testid=entity-signing]", "signing").await;
    s.click(&s.find("[data-testid=keys-tab]").await).await;
    s.wait_for_text("Keys are JWK or PEM keys").await;
    settled_shot(s, &shots.join("entity-key-set.png")).await;
    // A vault.
    crumb(s, "Key sets").await;
    s.click(&s.find("[data-testid=kind-vaults]").await).await;
    s.click(&s.find_visible("[data-testid=entity-empty] button").await).await;
    pick(s, &field("name"), "env").await;
    s.type_text(&s.find(&input("entity-field-prefix")).await, "secrets").await;
    save_form(s).await;
    open_row(s, "[data-testid=entity-secrets]", "secrets").await;
    until_contains(s, "[data-testid=detail-name]", "env").await;
    settled_shot(s, &shots.join("entity-vault.png")).await;
    crumb(s, "Vaults").await;
}

async fn service_route_and_plugin_pages(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // A gateway service: its routes and plugins as tabs; a route's page; a plugin's page.
    s.click(&s.find("[data-testid=kind-services]").await).await;
    open_row(s, "[data-testid=entity-orders-api]", "orders-api").await;
    until_contains(s, "[data-testid=detail-name]", "orders-api").await;
    settled_shot(s, &shots.join("entity-service.png")).await;
    s.click(&s.find("[data-testid=routes-tab]").await).await;
    s.find("[data-testid=related-routes] [data-testid=entity-refunds]").await;
    s.find("[data-testid=related-routes] [data-testid=entity-orders]").await;
    settled_shot(s, &shots.join("entity-service-routes.png")).await;
    s.click(&s.find("[data-testid=plugins-tab]").await).await;
    s.find("[data-testid=related-plugins] [data-testid=entity-orders-cors]").await;
    s.click(&s.find("[data-testid=routes-tab]").await).await;
    open_row(s, "[data-testid=related-routes] [data-testid=entity-orders]", "orders").await;
    s.click(&s.find("[data-testid=plugins-tab]").await).await;
    s.find("[data-testid=related-plugins] [data-testid=entity-rate-limiting]").await;
    settled_shot(s, &shots.join("entity-route-plugins.png")).await;
    open_row(
        s,
        "[data-testid=related-plugins] [data-testid=entity-rate-limiting]",
        "rate-limiting",
    )
    .await;
    until_contains(s, "[data-testid=detail-config]", "second: 6").await;
    let route = s.text_content("[data-testid=detail-route]").await;
    assert!(!route.trim().is_empty(), "the plugin links to its route");
    settled_shot(s, &shots.join("entity-plugin.png")).await;
    crumb(s, "Plugins").await;
}

async fn filter_a_list_by_a_tag(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // The demo's plugins are tagged demo; the cors added from the catalog is not.
    s.find("[data-testid=entity-orders-cors]").await;
    pick(s, "[data-testid=tag-filter]", "demo").await;
    s.wait_gone("[data-testid=entity-orders-cors]").await;
    s.find("[data-testid=entity-rate-limiting]").await;
    settled_shot(s, &shots.join("configuration-tag-filter.png")).await;
    // Another kind starts unfiltered.
    s.click(&s.find("[data-testid=kind-services]").await).await;
    s.find("[data-testid=entity-orders-api]").await;
}

async fn an_entity_page_offline_from_the_cache(j: &mut Journey) {
    let (s, shots) = (&j.s, &j.shots);
    // An org of its own to stop: a group with an upstream and a target.
    let cp = system_tests::start_control_plane(&j._tmp.path().join("edge-org")).await;
    let api = system_tests::Api::new(cp.base_url(), system_tests::ADMIN_TOKEN);
    let (_, group) =
        api.call("POST", "/v2/control-planes", Some(serde_json::json!({"name": "edge"}))).await;
    let base = format!("/v2/control-planes/{}/core-entities", group["id"].as_str().unwrap());
    let body = serde_json::json!({"name": "edge-upstream"});
    let (status, upstream) = api.call("POST", &format!("{base}/upstreams"), Some(body)).await;
    assert_eq!(status, 201, "{upstream}");
    let targets = format!("{base}/upstreams/{}/targets", upstream["id"].as_str().unwrap());
    let body = serde_json::json!({"target": "10.1.0.1:80", "weight": 30});
    assert_eq!(api.call("POST", &targets, Some(body)).await.0, 201);
    s.click(&s.find("[data-testid=profile-current]").await).await;
    s.click(&s.find("[data-testid=profile-add]").await).await;
    s.type_text(&s.find(&input("profile-field-name")).await, "Edge").await;
    s.type_text(&s.find(&input("profile-field-token")).await, system_tests::ADMIN_TOKEN).await;
    s.type_text(&s.find(&input("profile-field-base-url")).await, &cp.base_url()).await;
    s.click(
        &s.find_visible("[data-testid=profile-add-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    // Online once: the upstream's page and its targets are read, and so cached.
    s.click(&s.find("[data-testid=group-row-edge] a[data-testid=group-name]").await).await;
    s.click(&s.find("[data-testid=configuration-tab]").await).await;
    s.click(&s.find("[data-testid=kind-upstreams]").await).await;
    open_row(s, "[data-testid=entity-edge-upstream]", "edge-upstream").await;
    s.click(&s.find("[data-testid=targets-tab]").await).await;
    s.find("[data-testid=\"entity-10.1.0.1:80\"]").await;
    // The control plane stops: the list and the page open from the cache, changes disabled.
    cp.shutdown().await;
    crumb(s, "Upstreams").await;
    s.find("[data-testid=offline-banner]").await;
    open_row(s, "[data-testid=entity-edge-upstream]", "edge-upstream").await;
    s.find("[data-testid=offline-banner]").await;
    s.wait_for_text("Changes are disabled until it is back.").await;
    let disabled = |testid: &'static str| async move {
        s.execute(&format!("return document.querySelector('[data-testid={testid}]')?.disabled"))
            .await
    };
    assert_eq!(disabled("entity-page-delete").await, Value::Bool(true), "no delete offline");
    s.click(&s.find("[data-testid=targets-tab]").await).await;
    until_contains(s, "[data-testid=\"entity-10.1.0.1:80\"]", "30").await;
    assert_eq!(disabled("related-new").await, Value::Bool(true), "no new target offline");
    settled_shot(s, &shots.join("entity-offline.png")).await;
    // Its form opens read-only, saying why.
    s.click(&s.find("[data-testid=entity-page-edit]").await).await;
    s.find("[data-testid=entity-form-readonly]").await;
    s.find(&input("entity-field-name")).await;
    let input_disabled = s
        .execute(&format!(
            "return document.querySelector({:?}).disabled",
            input("entity-field-name")
        ))
        .await;
    assert_eq!(input_disabled, Value::Bool(true), "the form's fields are read-only offline");
    let save = s
        .execute(
            "return document.querySelector('[data-testid=entity-form-modal] \
             [data-testid=modal-action-button]').disabled",
        )
        .await;
    assert_eq!(save, Value::Bool(true), "nothing can be saved offline");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    s.screenshot(&shots.join("entity-form-offline.png")).await;
    s.click(
        &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-cancel-button]").await,
    )
    .await;
    s.wait_gone("[data-testid=entity-form]").await;
    // Back to the Local profile; the Edge one goes.
    s.click(&s.find("[data-testid=nav-runtime-groups]").await).await;
    s.click(&s.find("[data-testid=profile-current]").await).await;
    s.click(&s.find("[data-testid=profile-local]").await).await;
    s.find("[data-testid=group-row-production]").await;
    s.click(&s.find("[data-testid=profile-current]").await).await;
    s.click(&s.find("[data-testid=profile-remove-Edge]").await).await;
    s.click(
        &s.find_visible("[data-testid=profile-remove-prompt] [data-testid=modal-action-button]")
            .await,
    )
    .await;
    s.wait_gone("[data-testid=profile-remove-prompt] [data-testid=modal-action-button]").await;
}

/// With the system (GTK) in dark mode the window is dark too, Kongponents' components included.
async fn the_window_follows_a_dark_system_theme() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, home) = (tmp.path().join("data"), tmp.path().join("home"));
    std::fs::create_dir_all(&home).unwrap();
    let dark = std::path::Path::new("Adwaita:dark");
    let s = AppSession::launch(
        &bin_dir().join("runtime-manager"),
        &[
            ("RUNTIME_MANAGER_DATA_DIR", &data),
            ("HOME", &home),
            ("GTK_THEME", dark),
            ("RUNTIME_MANAGER_SECRETS", std::path::Path::new("memory")),
        ],
    )
    .await;
    s.find("[data-testid=group-row-production]").await;
    assert_eq!(
        s.execute("return matchMedia('(prefers-color-scheme: dark)').matches").await,
        serde_json::json!(true),
        "the webview sees the system's dark mode"
    );
    let background = |css: &'static str| {
        let s = &s;
        async move {
            s.execute(&format!(
                "return getComputedStyle(document.querySelector('{css}')).backgroundColor"
            ))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
        }
    };
    let luminance = |rgb: &str| -> f64 {
        let n: Vec<f64> = rgb
            .trim_start_matches("rgba(")
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .collect();
        (0.2126 * n[0] + 0.7152 * n[1] + 0.0722 * n[2]) / 255.0
    };
    let page = background("body").await;
    assert!(luminance(&page) < 0.15, "the page is dark: {page}");
    // A Kongponents table: its rows take the dark surface, not their built-in white.
    let table = background("[data-testid=groups-table] table").await;
    let table = if table.contains("0, 0, 0, 0") {
        background("[data-testid=groups-table]").await
    } else {
        table
    };
    assert!(luminance(&table) < 0.2, "the table is dark: {table}");
    let text = s
        .execute(
            "return getComputedStyle(document.querySelector(\
             '[data-testid=group-row-production] [data-testid=group-name]')).color",
        )
        .await;
    assert!(luminance(text.as_str().unwrap()) > 0.5, "its text is light: {text}");
    s.screenshot(&bin_dir().parent().unwrap().join("screenshots/overview-dark.png")).await;
    s.click(&s.find("[data-testid=group-row-production] a[data-testid=group-name]").await).await;
    s.find("[data-testid=group-tabs]").await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    s.screenshot(&bin_dir().parent().unwrap().join("screenshots/dashboard-dark.png")).await;
    s.close().await;
}
/// What a name filter on the command line selects: every screen of a journey when any of its
/// names matches (a screen needs the ones before it).
fn selected(names: &[&str], filters: &[String]) -> bool {
    filters.is_empty() || names.iter().any(|n| filters.iter().any(|f| n.contains(f.as_str())))
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<&'static str>,
    skipped: usize,
}

impl Tally {
    /// Runs one named screen, catching its panic; prints libtest's line for it.
    async fn run(&mut self, name: &'static str, screen: LocalBoxFuture<'_, ()>) -> bool {
        let started = Instant::now();
        let ok = std::panic::AssertUnwindSafe(screen).catch_unwind().await.is_ok();
        let took = started.elapsed().as_secs_f64();
        println!("test {name} ... {} ({took:.1} s)", if ok { "ok" } else { "FAILED" });
        if ok {
            self.passed += 1;
        } else {
            self.failed.push(name);
        }
        ok
    }
}

/// A test that launches an app of its own.
type Standalone = (&'static str, fn() -> LocalBoxFuture<'static, ()>);

/// The desktop shell's tests, each on an app of its own.
const SHELL: &[Standalone] = &[
    ("a_second_launch_and_a_deep_link_focus_the_open_window", || {
        a_second_launch_and_a_deep_link_focus_the_open_window().boxed_local()
    }),
    ("the_window_comes_back_where_it_was_left", || {
        the_window_comes_back_where_it_was_left().boxed_local()
    }),
    ("a_stopped_runtime_instance_raises_a_desktop_notification", || {
        a_stopped_runtime_instance_raises_a_desktop_notification().boxed_local()
    }),
    ("nothing_is_cut_from_960x600_to_1920x1080", || {
        nothing_is_cut_from_960x600_to_1920x1080().boxed_local()
    }),
    ("offline_review_of_every_cached_screen", || {
        offline_review_of_every_cached_screen().boxed_local()
    }),
    ("without_a_keyring_the_cached_organization_opens_read_only", || {
        without_a_keyring_the_cached_organization_opens_read_only().boxed_local()
    }),
];

/// A Konnect-style organization as real processes on fixed loopback ports (so it can be stopped
/// and started again where the app left it): three groups, production with 30 services of long,
/// similar names and a runtime proxying real traffic to an echo upstream.
struct Organization {
    dir: PathBuf,
    api_port: u16,
    cluster_port: u16,
    cp: Option<system_tests::processes::Proc>,
    _runtime: system_tests::processes::Proc,
    _echo: system_tests::upstream::Echo,
}

impl Organization {
    async fn start(dir: PathBuf) -> Organization {
        use system_tests::processes::{self, free_port};
        let (api_port, cluster_port) = (free_port(), free_port());
        let cp = processes::control_plane(&dir, api_port, cluster_port);
        let api = system_tests::Api::new(format!("http://127.0.0.1:{api_port}"), ADMIN);
        let mut ids = std::collections::HashMap::new();
        for name in ["development", "staging", "production"] {
            let body = serde_json::json!({ "name": name });
            let (status, g) = api.call("POST", "/v2/control-planes", Some(body)).await;
            assert_eq!(status, 201, "{g}");
            ids.insert(name, g["id"].as_str().unwrap().to_string());
        }
        let services =
            |name: &str| format!("/v2/control-planes/{}/core-entities/services", ids[name]);
        for name in ["development", "staging"] {
            let body =
                serde_json::json!({"name": format!("{name}-orders"), "host": "orders.internal"});
            assert_eq!(api.call("POST", &services(name), Some(body)).await.0, 201);
        }
        for n in 1..=30 {
            let body = serde_json::json!({
                "name": format!("payments-settlement-reconciliation-eu-west-{n:02}"),
                "host": "payments.internal",
            });
            assert_eq!(api.call("POST", &services("production"), Some(body)).await.0, 201);
        }
        let echo = system_tests::upstream::echo("orders").await;
        let body = serde_json::json!({"name": "orders", "url": format!("http://{}", echo.addr)});
        let (_, svc) = api.call("POST", &services("production"), Some(body)).await;
        let route = serde_json::json!({"name": "orders", "paths": ["/orders"]});
        let routes = format!("{}/{}/routes", services("production"), svc["id"].as_str().unwrap());
        assert_eq!(api.call("POST", &routes, Some(route)).await.0, 201);
        let (cert, key) = hybrid::link::generate_client_certificate("production-edge").unwrap();
        let pin = format!("/v2/control-planes/{}/dp-client-certificates", ids["production"]);
        assert_eq!(api.call("POST", &pin, Some(serde_json::json!({"cert": cert}))).await.0, 201);
        let (cert_path, key_path) = (dir.join("dp.crt"), dir.join("dp.key"));
        std::fs::write(&cert_path, cert).unwrap();
        std::fs::write(&key_path, key).unwrap();
        let (runtime, proxy, _) = processes::runtime(
            &format!("127.0.0.1:{cluster_port}"),
            &cert_path,
            &key_path,
            "production-edge",
        );
        // Real traffic: 60 answered, 6 not found; the runtime reports it within 10 s.
        let http = reqwest::Client::new();
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        while http.get(format!("{proxy}/orders")).send().await.map(|r| r.status().as_u16()).ok()
            != Some(200)
        {
            assert!(Instant::now() < deadline, "the runtime never proxied /orders");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        for i in 0..66 {
            let path = if i % 11 == 0 { "/missing" } else { "/orders" };
            http.get(format!("{proxy}{path}")).send().await.unwrap();
        }
        Organization { dir, api_port, cluster_port, cp: Some(cp), _runtime: runtime, _echo: echo }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    /// The control plane process is killed, as a crash or a network cut would end it.
    fn stop(&mut self) {
        self.cp.take().expect("running").kill();
    }

    fn start_again(&mut self) {
        let cp =
            system_tests::processes::control_plane(&self.dir, self.api_port, self.cluster_port);
        self.cp = Some(cp);
    }
}

const ADMIN: &str = system_tests::ADMIN_TOKEN;

/// Adds the Konnect-style profile "Acme" through the profile switcher and waits for its groups.
async fn add_acme(s: &AppSession, base_url: &str) {
    s.click(&s.find("[data-testid=profile-current]").await).await;
    s.click(&s.find("[data-testid=profile-add]").await).await;
    s.type_text(&s.find(&input("profile-field-name")).await, "Acme").await;
    s.type_text(&s.find(&input("profile-field-token")).await, ADMIN).await;
    s.type_text(&s.find(&input("profile-field-base-url")).await, base_url).await;
    s.click(
        &s.find_visible("[data-testid=profile-add-modal] [data-testid=modal-action-button]").await,
    )
    .await;
    s.find("[data-testid=group-row-production]").await;
}

/// Waits until the page's status bar says offline; how long that took.
async fn until_offline(s: &AppSession, within: std::time::Duration) -> std::time::Duration {
    let started = Instant::now();
    while s.find_now("footer[data-testid=offline-banner]").await.is_none() {
        assert!(started.elapsed() < within, "no offline banner after {:?}", started.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    started.elapsed()
}

/// The words on screen, less the details disclosure (closed, it shows only "Details"), carry no
/// address of the API (`port` is its port) or API path. (A runtime instance's IP is data.)
async fn no_internal_words(s: &AppSession, port: u16, screen: &str) {
    let text = s.page_text().await;
    let address = format!("127.0.0.1:{port}");
    for internal in ["http://", &address, "/v2/", "control-planes/"] {
        assert!(!text.contains(internal), "{screen} shows {internal:?}: {text}");
    }
    // A sentence ending twice ("refused.."), not an ellipsis (a shortened ID's "...").
    assert!(!text.replace("...", "…").contains(".."), "{screen} has a double period: {text}");
}

/// Whether the element is disabled, and why it says so (its title).
async fn disabled_why(s: &AppSession, testid: &str) -> (bool, String) {
    let got = s
        .execute(&format!(
            "const b = document.querySelector('[data-testid={testid}]'); \
             return b ? [b.disabled, b.title || b.closest('[title]')?.title || ''] : null"
        ))
        .await;
    assert!(!got.is_null(), "no {testid} on screen");
    (got[0] == Value::Bool(true), got[1].as_str().unwrap_or("").to_string())
}

/// Clicks a segment (a time frame) of a segmented control by its text.
async fn segment(s: &AppSession, testid: &str, text: &str) {
    let script = format!(
        "const b = Array.from(document.querySelectorAll('[data-testid={testid}] button')) \
         .find(b => b.textContent.trim() === {text:?}); b?.click(); return !!b"
    );
    assert_eq!(s.execute(&script).await, Value::Bool(true), "no segment {text}");
}

/// Waits for the dashboard's requests card to show traffic; its figure.
async fn until_requests(s: &AppSession) -> String {
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let card = s.text_content("[data-testid=card-requests] .card-value").await;
        if card.chars().any(|c| c.is_ascii_digit() && c != '0') {
            return card;
        }
        assert!(Instant::now() < deadline, "the dashboard never showed requests: {card}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Waits for the overview's row of group `name`, checking every 20 ms that "No runtime groups"
/// never showed before it; the row's top, to see later that nothing moved it.
async fn first_rows(s: &AppSession, name: &str) -> f64 {
    let script = format!(
        "const r = document.querySelector('[data-testid=group-row-{name}]'); \
         return [document.body.innerText.includes('No runtime groups'), \
                 r ? r.getBoundingClientRect().top : null]"
    );
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let got = s.execute(&script).await;
        assert_ne!(got[0], Value::Bool(true), "an empty state showed before the groups");
        if let Some(top) = got[1].as_f64() {
            return top;
        }
        assert!(Instant::now() < deadline, "the group {name} never showed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn open_group(s: &AppSession, name: &str) {
    s.execute("location.hash = '#/runtime-groups'").await;
    s.click(&s.find(&format!("[data-testid=group-row-{name}] a[data-testid=group-name]")).await)
        .await;
    until_contains(s, "[data-testid=group-title]", name).await;
}

/// The walk of issue #20: a Konnect-style profile synced, its control plane stopped, every screen
/// of a group reviewed from the cache, the app restarted offline, the control plane back.
async fn offline_review_of_every_cached_screen() {
    let desk = Desk::new();
    let shots = bin_dir().parent().unwrap().join("screenshots");
    let exports = desk.tmp.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    let mut org = Organization::start(desk.tmp.path().join("org")).await;
    let extra = [
        ("RUNTIME_MANAGER_DEMO", PathBuf::from("off")),
        ("RUNTIME_MANAGER_EXPORT_DIR", exports.clone()),
    ];
    let s = desk.launch_bare(&extra).await;
    // A first launch: the loading state, then the groups, never "No runtime groups" between.
    first_rows(&s, "default").await;
    s.set_window_size(1280, 800).await;
    add_acme(&s, &org.base_url()).await;
    until_contains(&s, "[data-testid=online-status]", "Online · Acme").await;

    // Online: production's dashboard shows the runtime's traffic; the user looks at the last hour
    // too (the frame a sync then keeps current), then syncs.
    open_group(&s, "production").await;
    let online_requests = until_requests(&s).await;
    segment(&s, "time-frame", "1h").await;
    s.find("[data-testid=dashboard][data-frame='1h']").await;
    until_requests(&s).await;
    segment(&s, "time-frame", "15m").await;
    s.click(&s.find("[data-testid=nav-runtime-groups]").await).await;
    s.click(&s.find("[data-testid=sync-now]").await).await;
    s.wait_for_text("Synced 4 groups").await;
    let synced = s.text_content("[data-testid=online-status]").await;
    assert!(synced.contains("synced at"), "{synced}");

    // The control plane stops. The next request fails, and the app says so within 2 s of it.
    org.stop();
    // Opening production's dashboard makes the first request after the stop.
    s.click(&s.find("[data-testid=group-row-production] a[data-testid=group-name]").await).await;
    let noticed = until_offline(&s, std::time::Duration::from_secs(2)).await;
    println!("offline said {noticed:?} after the first request to the stopped control plane");
    until_contains(&s, "[data-testid=group-title]", "production").await;

    let headline = s.text_content("[data-testid=offline-headline]").await;
    assert!(headline.starts_with("Offline — showing what was synced at "), "{headline}");
    let cause = s.text_content("[data-testid=offline-cause]").await;
    assert!(cause.starts_with("The connection was refused."), "{cause}");
    assert!(cause.contains("checks every 2 seconds"), "{cause}");

    // Dashboard: the synced figures, as of the sync; the chart still exports.
    until_contains(&s, "[data-testid=dashboard-as-of]", "Offline — figures as of").await;
    let offline_requests = s.text_content("[data-testid=card-requests] .card-value").await;
    assert!(offline_requests.chars().any(|c| c.is_ascii_digit() && c != '0'), "{offline_requests}");
    assert!(s.find_now("[data-testid=dashboard-error]").await.is_none(), "no error offline");
    assert!(!disabled_why(&s, "export-traffic-png").await.0, "a cached chart exports");
    // Export is offered once the dashboard's figures are there.
    s.click(&s.find("[data-testid=export-traffic-png]:not([disabled])").await).await;
    s.find("[data-testid=png-saved]").await;
    no_internal_words(&s, org.api_port, "the dashboard").await;
    println!("requests online {online_requests}, offline {offline_requests}");
    settled_shot(&s, &shots.join("offline-dashboard.png")).await;
    // The last used frame is there; one never opened says so in words, with nothing to export.
    segment(&s, "time-frame", "1h").await;
    s.find("[data-testid=dashboard][data-frame='1h'] [data-testid=dashboard-as-of]").await;
    segment(&s, "time-frame", "7d").await;
    until_contains(
        &s,
        "[data-testid=dashboard-not-cached]",
        "Nothing was cached for the last 7 days",
    )
    .await;
    assert!(s.find_now("[data-testid=export-traffic-png]").await.is_none());
    assert!(s.find_now("[data-testid=card-requests]").await.is_none(), "no '–' cards");
    no_internal_words(&s, org.api_port, "an uncached time frame").await;
    settled_shot(&s, &shots.join("offline-dashboard-not-cached.png")).await;

    // Runtime instances: the last known ones; no new instance, and why.
    s.click(&s.find("[data-testid=instances-tab]").await).await;
    s.find("[data-testid=instance-production-edge]").await;
    let (off, why) = disabled_why(&s, "new-instance").await;
    assert!(off && why.starts_with("Offline: the connection was refused."), "{why}");
    no_internal_words(&s, org.api_port, "the instances").await;
    settled_shot(&s, &shots.join("offline-instances.png")).await;

    // Configuration: the services, names whole at 1280×800; Import and New are disabled offline.
    s.click(&s.find("[data-testid=configuration-tab]").await).await;
    s.find("[data-testid=entity-payments-settlement-reconciliation-eu-west-30]").await;
    for testid in ["import-group", "new-entity"] {
        let (off, why) = disabled_why(&s, testid).await;
        assert!(off, "{testid} is disabled offline");
        assert!(why.starts_with("Offline: the connection was refused."), "{testid}: {why}");
        assert!(!why.contains("role") && !why.contains("allow"), "{testid}: {why}");
    }
    let cut = s
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=entity-table] tbody tr')) \
             .map(tr => tr.querySelector('td')).filter(td => td.scrollWidth > td.clientWidth + 1) \
             .map(td => td.textContent.trim())",
        )
        .await;
    assert_eq!(cut, serde_json::json!([]), "service names cut at 1280×800");
    let titled = s
        .execute(
            "const td = document.querySelector('[data-testid=entity-table] tbody tr td:nth-child(4)'); \
             return td.title === td.textContent.trim()",
        )
        .await;
    assert_eq!(titled, Value::Bool(true), "a cell's whole value is on hover");
    no_internal_words(&s, org.api_port, "the configuration").await;
    settled_shot(&s, &shots.join("offline-configuration.png")).await;

    // The last row's menu, at the window's foot, opens inside the window; its YAML view works.
    s.execute("document.querySelector('main.content').scrollTop = 1e6").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let last = s
        .execute(
            "const rows = Array.from(document.querySelectorAll('[data-testid=entity-table] tbody tr')) \
             .filter(tr => tr.getBoundingClientRect().bottom <= window.innerHeight); \
             return rows.sort((a, b) => a.getBoundingClientRect().top - \
                                        b.getBoundingClientRect().top).pop().dataset.testid",
        )
        .await;
    let last = last.as_str().expect("a row at the foot of the window").to_string();
    s.click(&s.find(&format!("[data-testid={last}] .kebab")).await).await;
    let popover = format!("{last}-actions-dropdown-popover");
    s.find(&format!("[data-testid={popover}]")).await;
    let inside = s
        .execute(&format!(
            "const r = document.querySelector('[data-testid={popover}]').getBoundingClientRect(); \
             return r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth"
        ))
        .await;
    assert_eq!(inside, Value::Bool(true), "the row menu opens inside the window");
    let (off, why) = disabled_why(&s, "entity-delete").await;
    assert!(off && why.contains("Offline"), "delete offline: {why}");
    settled_shot(&s, &shots.join("offline-row-menu.png")).await;
    s.click(&s.find("[data-testid=entity-view]").await).await;
    s.find_visible("[data-testid=entity-view-modal]").await;
    // Whichever service ends the window (it depends on the window's height), its own YAML.
    let name = last.strip_prefix("entity-").expect("a service row's test id");
    until_contains(&s, "[data-testid=entity-view-modal]", &format!("name: {name}")).await;
    settled_shot(&s, &shots.join("offline-entity-yaml.png")).await;
    s.click(
        &s.find_visible("[data-testid=entity-view-modal] [data-testid=modal-action-button]").await,
    )
    .await;

    // Search over every cached group.
    s.execute("window.dispatchEvent(new KeyboardEvent('keydown', { key: 'k', ctrlKey: true }))")
        .await;
    s.type_text(&s.find("[data-testid=palette-input]").await, "staging-orders").await;
    s.find("[data-testid=palette-hit-staging-orders]").await;
    settled_shot(&s, &shots.join("offline-search.png")).await;
    s.execute(
        "document.querySelector('[data-testid=palette-input]')\
         .dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))",
    )
    .await;
    s.wait_gone("[data-testid=palette]").await;

    // Compare development with production from the cache.
    s.click(&s.find("[data-testid=nav-compare]").await).await;
    s.click(&s.find("[data-testid=compare-run]").await).await;
    s.find("[data-testid=compare-metrics]").await;
    s.wait_for_text("Offline — showing the comparison as of").await;
    // The same cause as the status bar's (a path naming certificates once read as TLS).
    until_contains(&s, ".stale-banner", "The connection was refused.").await;
    no_internal_words(&s, org.api_port, "compare").await;
    settled_shot(&s, &shots.join("offline-compare.png")).await;

    // The overview: offline, not "Synced N seconds ago"; changes say offline, not "not allowed".
    s.click(&s.find("[data-testid=nav-runtime-groups]").await).await;
    until_contains(&s, "[data-testid=synced-at]", "Offline — showing what was synced at").await;
    assert!(disabled_why(&s, "sync-now").await.0, "Sync now needs the control plane");
    assert!(disabled_why(&s, "new-group").await.0);
    s.click(&s.find("[data-testid=group-row-staging] [data-testid=actions-dropdown] button").await)
        .await;
    let denied = s.find_visible("[data-testid=edit-group-denied]").await;
    assert_eq!(s.text(&denied).await.trim(), "Edit (offline)");
    no_internal_words(&s, org.api_port, "the overview").await;
    settled_shot(&s, &shots.join("offline-overview.png")).await;
    // The details disclosure holds the address, for whoever needs it.
    s.click(&s.find("[data-testid=offline-details] summary").await).await;
    until_contains(&s, "[data-testid=offline-details]", &format!("127.0.0.1:{}", org.api_port))
        .await;
    settled_shot(&s, &shots.join("offline-details.png")).await;
    s.close().await;

    // Restarted with the control plane still down: the same profile, the rows from the cache at
    // once (no "No runtime groups" first), and the banner arriving moves nothing.
    let s = desk.launch_bare(&extra).await;
    s.set_window_size(1280, 800).await;
    let top = first_rows(&s, "production").await;
    assert!(s.text_content("[data-testid=profile-current]").await.contains("Acme"));
    until_offline(&s, std::time::Duration::from_secs(30)).await;
    let after = s
        .execute(
            "return document.querySelector('[data-testid=group-row-production]')\
             .getBoundingClientRect().top",
        )
        .await;
    assert_eq!(after.as_f64(), Some(top), "the rows moved when the banner came");
    no_internal_words(&s, org.api_port, "the overview after a restart").await;
    settled_shot(&s, &shots.join("offline-restart.png")).await;

    // The control plane comes back: online again within 5 s, and the overview syncs.
    org.start_again();
    let back = Instant::now();
    while s.find_now("[data-testid=online-status]").await.is_none() {
        assert!(back.elapsed() < std::time::Duration::from_secs(5), "still offline");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    println!("online again {:?} after the control plane restarted", back.elapsed());
    until_contains(&s, "[data-testid=synced-at]", "Synced").await;
    settled_shot(&s, &shots.join("online-again.png")).await;
    s.close().await;
}

/// Without a keyring (secrets in memory), a restart shows the cached organization read-only, says
/// what it takes to go online, and "Enter token" does it.
async fn without_a_keyring_the_cached_organization_opens_read_only() {
    let desk = Desk::new();
    let shots = bin_dir().parent().unwrap().join("screenshots");
    let org = Organization::start(desk.tmp.path().join("org")).await;
    let extra = [
        ("RUNTIME_MANAGER_DEMO", PathBuf::from("off")),
        ("RUNTIME_MANAGER_SECRETS", PathBuf::from("memory")),
    ];
    let s = desk.launch_bare(&extra).await;
    s.set_window_size(1280, 800).await;
    add_acme(&s, &org.base_url()).await;
    s.click(&s.find("[data-testid=sync-now]").await).await;
    s.wait_for_text("Synced 4 groups").await;
    s.close().await;

    let s = desk.launch_bare(&extra).await;
    s.set_window_size(1280, 800).await;
    s.find("[data-testid=group-row-production]").await;
    assert!(s.text_content("[data-testid=profile-current]").await.contains("Acme"));
    until_offline(&s, std::time::Duration::from_secs(10)).await;
    let cause = s.text_content("[data-testid=offline-cause]").await;
    assert!(cause.contains("No keyring is available on this machine"), "{cause}");
    assert!(cause.contains("Enter the profile's token again to go online."), "{cause}");
    no_internal_words(&s, org.api_port, "the read-only overview").await;
    settled_shot(&s, &shots.join("offline-no-keyring.png")).await;
    open_group(&s, "staging").await;
    s.click(&s.find("[data-testid=configuration-tab]").await).await;
    s.find("[data-testid=entity-staging-orders]").await;
    let (off, why) = disabled_why(&s, "new-entity").await;
    assert!(off && why.starts_with("Offline: the profile's token could not be read."), "{why}");
    settled_shot(&s, &shots.join("offline-no-keyring-configuration.png")).await;

    s.click(&s.find("[data-testid=enter-token]").await).await;
    s.type_text(&s.find(&input("token-field")).await, ADMIN).await;
    s.click(&s.find_visible("[data-testid=token-modal] [data-testid=modal-action-button]").await)
        .await;
    until_contains(&s, "[data-testid=online-status]", "Online · Acme").await;
    // The group's page is built again, online: its list live, its actions enabled.
    s.click(&s.find("[data-testid=configuration-tab]").await).await;
    s.find("[data-testid=entity-staging-orders]").await;
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while disabled_why(&s, "new-entity").await.0 {
        assert!(Instant::now() < deadline, "New gateway service stays disabled once online");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.close().await;
}

/// A fresh data dir and HOME, with a session bus (and a keyring on it) of their own.
struct Desk {
    tmp: tempfile::TempDir,
    _keyring: system_tests::keyring::KeyringSession,
}

impl Desk {
    fn new() -> Desk {
        let tmp = tempfile::tempdir().unwrap();
        for dir in ["home", "xdg-runtime", "data"] {
            std::fs::create_dir_all(tmp.path().join(dir)).unwrap();
        }
        let _keyring = system_tests::keyring::KeyringSession::start(&tmp.path().join("home"));
        Desk { tmp, _keyring }
    }

    fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("RUNTIME_MANAGER_DATA_DIR", self.data()),
            ("HOME", self.tmp.path().join("home")),
            ("XDG_RUNTIME_DIR", self.tmp.path().join("xdg-runtime")),
        ]
    }

    /// Launches the app through WebDriver and waits for the demo's groups.
    async fn launch(&self, extra: &[(&'static str, PathBuf)]) -> AppSession {
        let s = self.launch_bare(extra).await;
        s.find("[data-testid=group-row-production]").await;
        s
    }

    /// Launches the app through WebDriver with `extra` settings, waiting for nothing.
    async fn launch_bare(&self, extra: &[(&'static str, PathBuf)]) -> AppSession {
        let env: Vec<(&str, PathBuf)> =
            self.env().into_iter().chain(extra.iter().cloned()).collect();
        let env: Vec<(&str, &std::path::Path)> =
            env.iter().map(|(k, v)| (*k, v.as_path())).collect();
        AppSession::launch(&bin_dir().join("runtime-manager"), &env).await
    }

    /// The processes running `binary` (in the target dir) that were started for this desk's data.
    fn processes(&self, binary: &str) -> Vec<u32> {
        let exe = bin_dir().join(binary);
        let marker = format!("RUNTIME_MANAGER_DATA_DIR={}", self.data().display());
        let entries = std::fs::read_dir("/proc").unwrap().flatten();
        entries
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_ref() == Some(&exe)
            })
            .filter(|pid| {
                let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
                environ.split(|b| *b == 0).any(|v| v == marker.as_bytes())
            })
            .collect()
    }
}

/// Runs `cmd` to its end, failing the test if it takes over `secs` seconds (it is killed).
fn finished_within(mut cmd: std::process::Command, secs: u64) -> std::process::ExitStatus {
    let mut child = cmd.spawn().expect("the launch starts");
    let deadline = Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a second launch still ran after {secs} s instead of handing over and quitting");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The route the window shows (`#/runtime-groups/…`).
async fn route(s: &AppSession) -> String {
    s.execute("return location.hash").await.as_str().unwrap_or_default().to_string()
}

async fn a_second_launch_and_a_deep_link_focus_the_open_window() {
    let desk = Desk::new();
    let s = desk.launch(&[]).await;
    // The group's id, from its page.
    s.click(&s.find("[data-testid=group-row-production] a[data-testid=group-name]").await).await;
    until_contains(&s, "[data-testid=group-title]", "production").await;
    let page = route(&s).await;
    let id = page.trim_start_matches("#/runtime-groups/").split(['/', '?']).next().unwrap();
    assert_eq!(id.len(), 36, "a group id in {page}");
    let id = id.to_string();
    s.execute("location.hash = '#/runtime-groups'").await;
    s.find("[data-testid=group-row-production]").await;
    let (apps, runtimes) = (desk.processes("runtime-manager"), desk.processes("runtime"));
    assert_eq!(apps.len(), 1, "one app: {apps:?}");
    assert!(!runtimes.is_empty(), "the demo's runtimes run");

    // A second launch with a deep link: it hands the link over and quits.
    let started = Instant::now();
    let mut second = std::process::Command::new(bin_dir().join("runtime-manager"));
    second.arg(format!("runtime-manager://group/{id}")).envs(desk.env());
    let status = finished_within(second, 30);
    assert!(status.success(), "the second launch quits cleanly: {status}");
    eprintln!("the second launch handed over and quit in {:?}", started.elapsed());
    until_contains(&s, "[data-testid=group-title]", "production").await;
    assert!(route(&s).await.contains(&id), "the first window opened the linked group");
    assert_eq!(desk.processes("runtime-manager"), apps, "still the one app");
    let mut after = desk.processes("runtime");
    after.sort();
    let mut before = runtimes;
    before.sort();
    assert_eq!(after, before, "no second embedded control plane started runtimes of its own");

    // An entity's link opens its page.
    let mut third = std::process::Command::new(bin_dir().join("runtime-manager"));
    let svc_link = format!("runtime-manager://group/{id}/entity/services/orders-api");
    third.arg(&svc_link).envs(desk.env());
    assert!(finished_within(third, 30).success());
    until_contains(&s, "[data-testid=entity-title]", "orders-api").await;
    s.screenshot(&bin_dir().parent().unwrap().join("screenshots/deep-link-entity.png")).await;
    s.close().await;
}

async fn the_window_comes_back_where_it_was_left() {
    let desk = Desk::new();
    let s = desk.launch(&[]).await;
    s.set_window_rect(48, 36, 1100, 700).await;
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    let placed = loop {
        let r = s.window_rect().await;
        if r["width"] == 1100 && r["height"] == 700 {
            break r;
        }
        assert!(Instant::now() < deadline, "the window did not take 1100×700: {r}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    // The app saves a moment after the window stops changing; the session's end then kills it.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    s.close().await;
    // The app stops within seconds (a close WebDriver failed to deliver is asked for with
    // SIGTERM after 10 s; the window's place was saved before).
    for pid in desk.processes("runtime-manager") {
        system_tests::processes::until_app_quits(pid, std::time::Duration::from_secs(10)).await;
    }
    let s = desk.launch(&[]).await;
    let back = s.window_rect().await;
    for key in ["x", "y", "width", "height"] {
        assert_eq!(back[key], placed[key], "{key}: left at {placed}, back at {back}");
    }
    s.close().await;
}

async fn a_stopped_runtime_instance_raises_a_desktop_notification() {
    let desk = Desk::new();
    let daemon = system_tests::notifications::NotificationDaemon::start().await;
    // The watcher looks every 10 s (the least Settings allow) and tells after 5 s in trouble
    // rather than a minute, so the test waits for the instance to count as gone, not longer.
    std::fs::write(desk.data().join("settings.json"), r#"{"sync_interval_secs": 10}"#).unwrap();
    let after = ("RUNTIME_MANAGER_NOTIFY_AFTER_SECS", PathBuf::from("5"));
    let s = desk.launch(&[after]).await;
    let runtimes = desk.processes("runtime");
    let victim = *runtimes.first().expect("the demo's runtimes run");
    let cmdline = std::fs::read(format!("/proc/{victim}/cmdline")).unwrap();
    let args: Vec<String> =
        cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let hostname = args
        .iter()
        .position(|a| a == "--hostname")
        .and_then(|i| args.get(i + 1))
        .expect("a demo runtime names its host")
        .clone();
    std::process::Command::new("kill").args(["-KILL", &victim.to_string()]).status().unwrap();
    // Konnect counts an instance gone after a minute without a ping.
    let deadline = Instant::now() + std::time::Duration::from_secs(120);
    let told = loop {
        if let Some(n) = daemon.shown().into_iter().find(|n| n.summary.contains(&hostname)) {
            break n;
        }
        assert!(
            Instant::now() < deadline,
            "no notification about {hostname}; shown: {:?}",
            daemon.shown()
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(told.summary, format!("{hostname} has not been seen"));
    assert!(told.body.contains("for over 5 s"), "{}", told.body);
    assert!(
        !daemon.shown().iter().any(|n| n.summary.contains("offline")),
        "the profile stayed online"
    );
    s.close().await;
}

async fn nothing_is_cut_from_960x600_to_1920x1080() {
    let desk = Desk::new();
    let s = desk.launch(&[]).await;
    let shots = bin_dir().parent().unwrap().join("screenshots");
    // Whether any header label, table cell title or heading is cut: their text wider than their box.
    let cut = "return Array.from(document.querySelectorAll('th .label, h1, h2, h3, \
               .k-breadcrumbs a, .k-breadcrumbs span')).filter(e => e.offsetParent && \
               e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())";
    // How far the page, or any table inside it, is wider than its box.
    let overflow = "return Math.max(document.documentElement.scrollWidth - window.innerWidth, \
                    ...Array.from(document.querySelectorAll('.table-wrapper, .k-table-view, \
                    [data-testid=entity-table]')).map(e => e.scrollWidth - e.clientWidth))";
    for (w, h) in [(960, 600), (1280, 800), (1920, 1080)] {
        s.set_window_size(w, h).await;
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while s.execute("return window.innerWidth").await.as_i64().unwrap_or(0) != w as i64 {
            assert!(Instant::now() < deadline, "the window did not take {w}×{h}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        s.execute("location.hash = '#/runtime-groups'").await;
        s.find("[data-testid=group-row-production]").await;
        assert_eq!(s.execute(cut).await, serde_json::json!([]), "overview at {w}×{h}");
        assert_eq!(s.execute(overflow).await, 0, "overview overflows at {w}×{h}");
        settled_shot(&s, &shots.join(format!("overview-{w}x{h}.png"))).await;
        s.click(&s.find("[data-testid=group-row-production] a[data-testid=group-name]").await)
            .await;
        s.click(&s.find("[data-testid=configuration-tab]").await).await;
        s.click(&s.find("[data-testid=kind-routes]").await).await;
        s.find("[data-testid=entity-orders] td").await;
        assert_eq!(s.execute(cut).await, serde_json::json!([]), "routes at {w}×{h}");
        assert_eq!(s.execute(overflow).await, 0, "the routes list overflows at {w}×{h}");
        // The list takes the window's width, less the sidebar and the page's margins.
        let list = s
            .execute(
                "return document.querySelector('[data-testid=entity-table]')\
                 .getBoundingClientRect().width / window.innerWidth",
            )
            .await;
        settled_shot(&s, &shots.join(format!("routes-{w}x{h}.png"))).await;
        assert!(list.as_f64().unwrap_or(0.0) > 0.7, "the list is {list} of the width at {w}");
        s.click(&s.find("[data-testid=kind-plugins]").await).await;
        s.click(&s.find("[data-testid=new-entity]").await).await;
        s.click(&s.find("[data-testid=plugin-card-rate-limiting]").await).await;
        s.find(&field("config.minute")).await;
        assert_eq!(s.execute(cut).await, serde_json::json!([]), "plugin form at {w}×{h}");
        settled_shot(&s, &shots.join(format!("plugin-form-{w}x{h}.png"))).await;
        s.click(
            &s.find_visible("[data-testid=entity-form-modal] [data-testid=modal-cancel-button]")
                .await,
        )
        .await;
        s.wait_gone("[data-testid=entity-form-modal] [data-testid=entity-form]").await;
    }
    s.close().await;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let names: Vec<&str> = SCREENS.iter().map(|(n, _)| *n).collect();
    const DARK: &str = "the_window_follows_a_dark_system_theme";
    if args.iter().any(|a| a == "--list") {
        for name in names.iter().chain([&DARK]).chain(SHELL.iter().map(|(n, _)| n)) {
            println!("{name}: test");
        }
        return;
    }
    // libtest's flags (--nocapture, --test-threads, …) mean nothing here; other words filter.
    let filters: Vec<String> = args.into_iter().filter(|a| !a.starts_with('-')).collect();
    let started = Instant::now();
    let mut tally = Tally::default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    if system_tests::have_display() {
        runtime.block_on(async {
            if selected(&names, &filters) {
                let mut journey = start_journey().await;
                for (name, screen) in SCREENS {
                    if !tally.failed.is_empty() {
                        println!("test {name} ... ignored, an earlier screen failed");
                        tally.skipped += 1;
                        continue;
                    }
                    tally.run(name, screen(&mut journey)).await;
                }
                journey.s.close().await;
            }
            if selected(&[DARK], &filters) {
                tally.run(DARK, the_window_follows_a_dark_system_theme().boxed_local()).await;
            }
            for (name, test) in SHELL {
                if selected(&[name], &filters) {
                    tally.run(name, test()).await;
                }
            }
        });
    }
    let verdict = if tally.failed.is_empty() { "ok" } else { "FAILED" };
    if !tally.failed.is_empty() {
        println!("\nfailures:\n    {}", tally.failed.join("\n    "));
    }
    println!(
        "\ntest result: {verdict}. {} passed; {} failed; {} ignored; 0 measured; 0 filtered out; \
         finished in {:.2}s\n",
        tally.passed,
        tally.failed.len(),
        tally.skipped,
        started.elapsed().as_secs_f64()
    );
    if !tally.failed.is_empty() {
        std::process::exit(101);
    }
}
