//! The client's side of the contract: every request the console makes while it syncs, edits,
//! reads analytics and reads its access is checked against Konnect's published OpenAPI (the
//! operation exists, its query parameters are declared, its JSON body validates), and every
//! answer it parsed is checked against the response schema of that operation. Each call must also
//! reach the host its document's `servers` name: Konnect serves `/v2` per region and identity's
//! `/v3` on one global host, so the console's client is split over two proxies standing for them.

use console::sync::CancelToken;
use console::{Console, Profile};
use konnect::{Api, ApiHosts, KonnectClient, Region, GLOBAL_BASE_URL};
use serde_json::{json, Value};
use system_tests::faults;
use system_tests::spec::Spec;
use system_tests::{start_control_plane, ADMIN_TOKEN};

#[tokio::test]
async fn every_request_the_console_makes_and_every_answer_it_reads_follow_konnects_openapi() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    // One control plane serves both, as the local one does; which proxy a call went through says
    // which of Konnect's hosts it would have gone to.
    let (regional, global) =
        (faults::start(cp.base_url()).await, faults::start(cp.base_url()).await);
    regional.record();
    global.record();
    let hosts = ApiHosts { regional: regional.base.clone(), global: global.base.clone() };
    // A Konnect profile: the calls only the local control plane answers (entity schemas, the
    // available plugins) are never made on one, and everything it sends must be Konnect's.
    let console = Console::new(
        Profile::Konnect {
            id: "org".into(),
            name: "Org".into(),
            region: Region::Us,
            base_url: Some(regional.base.clone()),
        },
        KonnectClient::with_hosts(hosts.clone(), ADMIN_TOKEN).unwrap(),
        &app_dir.path().join("cache.sqlite"),
    )
    .unwrap();

    // What the app does: groups, entities of every kind, edits, analytics, access, a sync.
    let group = console
        .create_group(console::NewRuntimeGroup {
            name: "contract".into(),
            description: "checked".into(),
            labels: "env:test".into(),
        })
        .await
        .unwrap();
    let g = group.id.as_str();
    console
        .update_group(
            g,
            console::NewRuntimeGroup {
                name: "contract-2".into(),
                description: "renamed".into(),
                labels: "env:test, team:a".into(),
            },
        )
        .await
        .unwrap();
    let svc = console
        .create_entity(
            g,
            "services",
            json!({"name": "users", "url": "http://users.internal:8080/api"}),
        )
        .await
        .unwrap();
    let route = console
        .create_entity(
            g,
            "routes",
            json!({"name": "users", "paths": ["/users"], "service": {"id": svc["id"]}}),
        )
        .await
        .unwrap();
    let consumer = console.create_entity(g, "consumers", json!({"username": "ann"})).await.unwrap();
    console
        .create_entity(
            g,
            "key-auths",
            json!({"key": "ann-secret", "consumer": {"id": consumer["id"]}}),
        )
        .await
        .unwrap();
    // Every other credential kind, created under its consumer as Konnect's spec has it.
    let owner = json!({"id": consumer["id"]});
    for (kind, body) in [
        ("basic-auths", json!({"username": "ann-basic", "password": "s3cret"})),
        ("jwts", json!({"key": "ann-iss", "algorithm": "HS256"})),
        ("hmac-auths", json!({"username": "ann-hmac"})),
        ("acls", json!({"group": "admins"})),
    ] {
        let mut body = body;
        body["consumer"] = owner.clone();
        let made = console.create_entity(g, kind, body).await.unwrap();
        if kind == "basic-auths" {
            let err = console
                .update_entity(g, kind, made["id"].as_str().unwrap(), json!({"tags": ["x"]}))
                .await
                .unwrap_err();
            assert!(err.fields["password"].contains("hash"), "{err:?}");
            console
                .update_entity(
                    g,
                    kind,
                    made["id"].as_str().unwrap(),
                    json!({"password": "n3w", "tags": ["x"]}),
                )
                .await
                .unwrap();
        }
    }
    console.create_entity(g, "consumer_groups", json!({"name": "gold"})).await.unwrap();
    console
        .create_entity(
            g,
            "plugins",
            json!({
                "name": "rate-limiting",
                "config": {"minute": 10},
                "route": {"id": route["id"]},
            }),
        )
        .await
        .unwrap();
    let upstream =
        console.create_entity(g, "upstreams", json!({"name": "users.upstream"})).await.unwrap();
    console
        .create_entity(
            g,
            "targets",
            json!({"target": "10.0.0.1:8080", "weight": 100, "upstream": {"id": upstream["id"]}}),
        )
        .await
        .unwrap();
    let (cert, key) = hybrid::link::generate_client_certificate("api.example.com").unwrap();
    let certificate =
        console.create_entity(g, "certificates", json!({"cert": cert, "key": key})).await.unwrap();
    console
        .create_entity(
            g,
            "snis",
            json!({"name": "api.example.com", "certificate": {"id": certificate["id"]}}),
        )
        .await
        .unwrap();
    console
        .create_entity(g, "vaults", json!({"prefix": "env-secrets", "name": "env"}))
        .await
        .unwrap();
    console.create_entity(g, "key-sets", json!({"name": "signing"})).await.unwrap();
    console
        .update_entity(g, "services", svc["id"].as_str().unwrap(), json!({"retries": 3}))
        .await
        .unwrap();
    console.group_entities(g, "routes").await.unwrap();
    console.delete_entity(g, "routes", route["id"].as_str().unwrap()).await.unwrap();
    console.client().pin_dp_certificate(g, &cert, "contract").await.unwrap();
    // What the notifications watcher reads for certificates about to expire.
    assert!(!console.client().list_dp_certificates(g).await.unwrap().is_empty());
    console.group_instances(g).await.unwrap();
    console.group_dashboard(g, "1h").await.unwrap();
    console.access().await.unwrap();
    console.sync(std::sync::Arc::new(|_| {}), CancelToken::default()).await.unwrap();
    // Kong's schemas, as a Konnect profile reads them: only the calls Konnect's spec has.
    let konnect_profile = Profile::Konnect {
        id: "konnect".into(),
        name: "Konnect".into(),
        region: Region::Us,
        base_url: Some(regional.base.clone()),
    };
    let on_konnect = Console::new(
        konnect_profile,
        KonnectClient::with_hosts(hosts.clone(), ADMIN_TOKEN).unwrap(),
        &app_dir.path().join("konnect.sqlite"),
    )
    .unwrap();
    // The route's rate-limiting went with the route: key-auth is the plugin in use.
    console.create_entity(g, "plugins", json!({"name": "key-auth", "config": {}})).await.unwrap();
    let report = on_konnect.sync_schemas(g).await.unwrap();
    assert_eq!(report.cached, ["plugins/key-auth"], "{report:?}");
    on_konnect.plugin_schema(g, "rate-limiting").await.unwrap();
    assert!(!on_konnect.available_plugins(g).await.unwrap().names.is_empty());
    // Konnect serves no entity schema: Kong's own ship with the app (no request is made).
    for kind in console::EntityKind::ALL {
        let shipped = on_konnect.entity_schema(g, kind).await.unwrap();
        assert!(shipped.schema["fields"].as_array().is_some_and(|f| !f.is_empty()), "{kind}");
    }
    let basic = on_konnect.entity_schema(g, "basic-auths").await.unwrap();
    assert_eq!(basic.schema["name"], "basicauth_credentials");
    on_konnect
        .validate_entity(g, "plugins", json!({"name": "rate-limiting", "config": {"minute": 5}}))
        .await
        .unwrap();
    on_konnect
        .validate_entity(g, "services", json!({"name": "orders", "url": "http://orders:8080"}))
        .await
        .unwrap();
    let refused = on_konnect
        .validate_entity(g, "plugins", json!({"name": "rate-limiting", "config": {}}))
        .await
        .unwrap_err();
    assert_eq!(refused.code, console::ErrorCode::Validation, "{refused:?}");
    console.delete_group(g).await.unwrap();
    // A system account's token reads its roles at /v3/system-accounts/{id}/… and its teams'
    // roles.
    let admin = system_tests::Api::new(cp.base_url(), ADMIN_TOKEN);
    let (_, account) = admin
        .call("POST", "/v3/system-accounts", Some(json!({"name": "ci", "description": "contract"})))
        .await;
    let account_id = account["id"].as_str().unwrap();
    let (_, token) = admin
        .call(
            "POST",
            &format!("/v3/system-accounts/{account_id}/access-tokens"),
            Some(json!({"name": "ci", "expires_at": "2099-01-01T00:00:00Z"})),
        )
        .await;
    let (_, team) = admin.call("POST", "/v3/teams", Some(json!({"name": "Readers"}))).await;
    admin
        .call(
            "POST",
            &format!("/v3/teams/{}/system-accounts", team["id"].as_str().unwrap()),
            Some(json!({"id": account_id})),
        )
        .await;
    let ci = Console::new(
        Profile::local(),
        KonnectClient::with_hosts(hosts, token["token"].as_str().unwrap()).unwrap(),
        &app_dir.path().join("ci.sqlite"),
    )
    .unwrap();
    ci.access().await.unwrap();

    let v2 = [
        Spec::load("control-planes.v2.yaml"),
        Spec::load("control-planes-config.v2.yaml"),
        Spec::load("analytics-metrics.v2.yaml"),
    ];
    let v3 = [Spec::load("identity.v3.yaml")];
    let recorded: Vec<(Api, faults::Recorded)> = (regional.take_recorded().into_iter())
        .map(|r| (Api::Regional, r))
        .chain(global.take_recorded().into_iter().map(|r| (Api::Global, r)))
        .collect();
    assert!(recorded.iter().any(|(api, _)| *api == Api::Global), "identity was called");
    let mut operations = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for (api, r) in &recorded {
        let (specs, rest): (&[Spec], &str) = if let Some(rest) = r.path.strip_prefix("/v2") {
            (&v2, rest)
        } else if let Some(rest) = r.path.strip_prefix("/v3") {
            (&v3, rest)
        } else {
            problems.push(format!("{} {}: outside Konnect's /v2 and /v3 APIs", r.method, r.path));
            continue;
        };
        let Some(spec) = specs.iter().find(|s| s.template_for(&r.method, rest).is_some()) else {
            problems
                .push(format!("{} {}: no such operation in Konnect's OpenAPI", r.method, r.path));
            continue;
        };
        // The host: the one the spec's `servers` name, here and on real Konnect in every region.
        if *api != spec_api(spec) {
            problems.push(format!(
                "{} {}: sent to the {api:?} host, but its spec's servers are {:?}",
                r.method,
                r.path,
                spec.servers()
            ));
        }
        for region in Region::ALL {
            if let Err(e) = spec.check_url(&r.method, &ApiHosts::konnect(region).url(&r.path)) {
                problems.push(e);
            }
        }
        let template = match spec.check_client_request(&r.method, rest, r.query.as_deref(), &r.body)
        {
            Ok(t) => t,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        // The answer the client read: validated when the operation documents that status with a
        // body.
        if !r.response.is_empty() {
            let body: Value = serde_json::from_slice(&r.response).unwrap_or(Value::Null);
            if let Err(e) = spec.check_response_if_documented(&template, &r.method, r.status, &body)
            {
                problems.push(e);
            }
        }
        operations.insert(format!("{} {}{}", r.method, &r.path[..3], template));
    }
    assert!(
        problems.is_empty(),
        "{} of {} requests break the contract:\n{}",
        problems.len(),
        recorded.len(),
        problems.join("\n")
    );
    let ops: Vec<&String> = operations.iter().collect();
    for must in [
        "GET /v2/control-planes",
        "POST /v2/control-planes",
        "PATCH /v2/control-planes/{controlPlaneId}",
        "DELETE /v2/control-planes/{controlPlaneId}",
        "GET /v2/control-planes/{controlPlaneId}/nodes",
        "GET /v2/control-planes/{controlPlaneId}/expected-config-hash",
        "POST /v2/control-planes/{controlPlaneId}/dp-client-certificates",
        "GET /v2/control-planes/{controlPlaneId}/dp-client-certificates",
        "GET /v2/control-planes/{controlPlaneId}/core-entities/plugins",
        "POST \
            /v2/control-planes/{controlPlaneId}/core-entities/consumers/{ConsumerIdForNestedEntitie\
            s}/key-auth",
        "POST \
            /v2/control-planes/{controlPlaneId}/core-entities/consumers/{ConsumerIdForNestedEntitie\
            s}/basic-auth",
        "PUT \
            /v2/control-planes/{controlPlaneId}/core-entities/consumers/{ConsumerIdForNestedEntitie\
            s}/basic-auth/{BasicAuthId}",
        "GET /v2/control-planes/{controlPlaneId}/core-entities/acls",
        "PUT /v2/control-planes/{controlPlaneId}/core-entities/services/{ServiceId}",
        "DELETE /v2/control-planes/{controlPlaneId}/core-entities/routes/{RouteId}",
        "GET /v2/control-planes/{controlPlaneId}/core-entities/schemas/plugins/{pluginName}",
        "POST /v2/control-planes/{controlPlaneId}/core-entities/schemas/{entityName}/validate",
        "POST /v2/metrics",
        "GET /v3/users/me",
        "GET /v3/users/{userId}/teams",
        "GET /v3/users/{userId}/assigned-roles",
        "GET /v3/system-accounts/{accountId}/teams",
        "GET /v3/system-accounts/{accountId}/assigned-roles",
        "GET /v3/teams/{teamId}/assigned-roles",
    ] {
        assert!(operations.contains(must), "{must} was exercised: {ops:#?}");
    }
    assert!(
        ops.len() >= 30,
        "the console's whole surface was exercised ({} operations): {ops:#?}",
        ops.len()
    );
    eprintln!(
        "{} requests over {} operations, all within Konnect's OpenAPI",
        recorded.len(),
        ops.len()
    );
}

/// The host a document's operations live on, by its `servers`: the global host, or regional ones.
fn spec_api(spec: &Spec) -> Api {
    if spec.servers().iter().all(|s| s.starts_with(GLOBAL_BASE_URL)) {
        Api::Global
    } else {
        Api::Regional
    }
}

/// Every operation of every document, not only those the console calls today: the URL a Konnect
/// client builds for it in each region is one of that document's `servers` plus its path, and the
/// regional documents' servers are exactly the console's regions.
#[test]
fn every_operation_is_addressed_to_a_server_its_document_declares_in_every_region() {
    let regional: Vec<String> =
        Region::ALL.iter().map(|r| format!("{}/v2", r.base_url())).collect();
    let mut checked = 0;
    for file in [
        "control-planes.v2.yaml",
        "control-planes-config.v2.yaml",
        "analytics-metrics.v2.yaml",
        "identity.v3.yaml",
    ] {
        let spec = Spec::load(file);
        let servers = spec.servers();
        match spec_api(&spec) {
            Api::Global => assert_eq!(servers, [format!("{GLOBAL_BASE_URL}/v3")], "{file}"),
            Api::Regional => assert_eq!(servers, regional, "{file}: one server per region"),
        }
        for (method, path) in spec.operations() {
            // The client's path carries the version the servers put in their URL.
            let version = &servers[0][servers[0].rfind('/').unwrap()..];
            let client_path = format!("{version}{path}");
            for region in Region::ALL {
                let url = ApiHosts::konnect(region).url(&client_path);
                let server = spec.check_url(&method, &url).unwrap_or_else(|e| panic!("{e}"));
                if spec_api(&spec) == Api::Regional {
                    assert_eq!(server, format!("{}/v2", region.base_url()), "{method} {url}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} operation URLs checked");
}
