//! The configuration API over loopback: every entity kind created, read, listed, replaced and
//! deleted, Kong's validation and reference rules, paging, filters, membership and schemas, with
//! responses validated against Konnect's `control-planes-config.v2.yaml`.

use serde_json::{json, Value};
use system_tests::spec::Spec;
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};

fn detail<'a>(body: &'a Value, field: &str) -> Option<&'a Value> {
    body["details"].as_array().unwrap().iter().find(|d| d["field"] == field)
}

#[tokio::test]
async fn every_entity_kind_round_trips_and_matches_konnects_spec() {
    let spec = Spec::load("control-planes-config.v2.yaml");
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let client = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let group = client.list_all_control_planes().await.unwrap().remove(0);
    let api = Api::new(
        format!("{}/v2/control-planes/{}/core-entities", cp.base_url(), group.id),
        ADMIN_TOKEN,
    );
    let p = |suffix: &str| format!("/control-planes/{{controlPlaneId}}/core-entities{suffix}");

    // Create one of every kind through its collection (or nested) path.
    let (s, service) = api
        .call(
            "POST",
            "/services",
            Some(json!({
                "name": "users-api",
                "url": "http://users.internal:8080/v1",
                "tags": ["team-a", "prod"],
            })),
        )
        .await;
    assert_eq!(s, 201, "{service}");
    spec.assert_response(&p("/services"), "post", 201, &service);
    assert_eq!(
        (service["host"].as_str(), service["port"].as_i64(), service["path"].as_str()),
        (Some("users.internal"), Some(8080), Some("/v1"))
    );
    assert!(service["created_at"].is_i64(), "unix seconds");
    let sid = service["id"].as_str().unwrap().to_string();

    let (s, route) = api
        .call(
            "POST",
            &format!("/services/{sid}/routes"),
            Some(json!({"name": "users", "paths": ["/users"], "methods": ["GET", "POST"]})),
        )
        .await;
    assert_eq!(s, 201, "{route}");
    spec.assert_response(&p("/services/{ServiceId}/routes"), "post", 201, &route);
    assert_eq!(route["service"]["id"], sid.as_str(), "the nested path sets the service");
    assert_eq!(route["protocols"], json!(["http", "https"]));
    let rid = route["id"].as_str().unwrap().to_string();

    let (s, consumer) = api
        .call("POST", "/consumers", Some(json!({"username": "alice", "custom_id": "a-1"})))
        .await;
    assert_eq!(s, 201);
    spec.assert_response(&p("/consumers"), "post", 201, &consumer);
    let cid = consumer["id"].as_str().unwrap().to_string();
    let (s, cred) = api.call("POST", &format!("/consumers/{cid}/key-auth"), Some(json!({}))).await;
    assert_eq!(s, 201, "{cred}");
    spec.assert_response(
        &p("/consumers/{ConsumerIdForNestedEntities}/key-auth"),
        "post",
        201,
        &cred,
    );
    assert_eq!(cred["key"].as_str().unwrap().len(), 32, "a key is generated when none is given");
    let (s, cred2) =
        api.call("POST", "/consumers/alice/key-auth", Some(json!({"key": "alice-secret"}))).await;
    assert_eq!(
        (s, cred2["consumer"]["id"].as_str()),
        (201, Some(cid.as_str())),
        "the consumer may be named by username"
    );

    let (s, group_entity) =
        api.call("POST", "/consumer_groups", Some(json!({"name": "gold"}))).await;
    assert_eq!(s, 201);
    spec.assert_response(&p("/consumer_groups"), "post", 201, &group_entity);
    let gid = group_entity["id"].as_str().unwrap().to_string();

    let (s, plugin) = api
        .call("POST", &format!("/services/{sid}/plugins"), Some(json!({"name": "key-auth"})))
        .await;
    assert_eq!(s, 201, "{plugin}");
    spec.assert_response(&p("/services/{ServiceId}/plugins"), "post", 201, &plugin);
    assert_eq!(plugin["config"]["key_names"], json!(["apikey"]));
    let (s, rl) = api
        .call("POST", "/plugins", Some(json!({"name": "rate-limiting", "config": {"minute": 100}})))
        .await;
    assert_eq!(s, 201, "{rl}");
    spec.assert_response(&p("/plugins"), "post", 201, &rl);

    let (s, upstream) =
        api.call("POST", "/upstreams", Some(json!({"name": "users.upstream"}))).await;
    assert_eq!(s, 201, "{upstream}");
    spec.assert_response(&p("/upstreams"), "post", 201, &upstream);
    assert_eq!(upstream["slots"], 10000);
    let uid = upstream["id"].as_str().unwrap().to_string();
    let (s, target) = api
        .call(
            "POST",
            &format!("/upstreams/{uid}/targets"),
            Some(json!({"target": "10.0.0.7", "weight": 50})),
        )
        .await;
    assert_eq!(s, 201, "{target}");
    spec.assert_response(&p("/upstreams/{UpstreamIdForTarget}/targets"), "post", 201, &target);
    assert_eq!(target["target"], "10.0.0.7:8000");

    // Certificates are parsed on write: a real pair, as a runtime would load it.
    let (pem, key) = hybrid::link::generate_client_certificate("api.example.com").unwrap();
    let (s, cert) = api.call("POST", "/certificates", Some(json!({"cert": pem, "key": key}))).await;
    assert_eq!(s, 201, "{cert}");
    spec.assert_response(&p("/certificates"), "post", 201, &cert);
    let certid = cert["id"].as_str().unwrap().to_string();
    let (s, sni) = api
        .call(
            "POST",
            &format!("/certificates/{certid}/snis"),
            Some(json!({"name": "api.example.com"})),
        )
        .await;
    assert_eq!(s, 201, "{sni}");
    spec.assert_response(&p("/certificates/{CertificateId}/snis"), "post", 201, &sni);
    let (s, ca) = api.call("POST", "/ca_certificates", Some(json!({"cert": pem}))).await;
    assert_eq!(s, 201);
    spec.assert_response(&p("/ca_certificates"), "post", 201, &ca);
    assert_eq!(ca["cert_digest"].as_str().unwrap().len(), 64);
    let (s, vault) = api
        .call(
            "POST",
            "/vaults",
            Some(json!({"name": "env", "prefix": "my-env", "config": {"prefix": "SECRET_"}})),
        )
        .await;
    assert_eq!(s, 201, "{vault}");
    spec.assert_response(&p("/vaults"), "post", 201, &vault);
    let (s, set) = api.call("POST", "/key-sets", Some(json!({"name": "jwks"}))).await;
    assert_eq!(s, 201);
    spec.assert_response(&p("/key-sets"), "post", 201, &set);
    let setid = set["id"].as_str().unwrap().to_string();
    let (s, key) = api
        .call(
            "POST",
            &format!("/key-sets/{setid}/keys"),
            Some(json!({"kid": "k1", "name": "signing", "jwk": "{\"kty\":\"oct\"}"})),
        )
        .await;
    assert_eq!(s, 201, "{key}");
    spec.assert_response(&p("/key-sets/{KeySetId}/keys"), "post", 201, &key);

    // Reads and lists, top-level and nested, all shaped as the spec says.
    for (path, tmpl, n) in [
        ("/services".to_string(), p("/services"), 1),
        ("/routes".into(), p("/routes"), 1),
        (format!("/services/{sid}/routes"), p("/services/{ServiceId}/routes"), 1),
        ("/consumers".into(), p("/consumers"), 1),
        (
            format!("/consumers/{cid}/key-auth"),
            p("/consumers/{ConsumerIdForNestedEntities}/key-auth"),
            2,
        ),
        ("/key-auths".into(), p("/key-auths"), 2),
        ("/plugins".into(), p("/plugins"), 2),
        (format!("/services/{sid}/plugins"), p("/services/{ServiceId}/plugins"), 1),
        ("/upstreams".into(), p("/upstreams"), 1),
        (format!("/upstreams/{uid}/targets"), p("/upstreams/{UpstreamIdForTarget}/targets"), 1),
        ("/targets".into(), p("/targets"), 1),
        ("/certificates".into(), p("/certificates"), 1),
        ("/snis".into(), p("/snis"), 1),
        ("/ca_certificates".into(), p("/ca_certificates"), 1),
        ("/vaults".into(), p("/vaults"), 1),
        ("/key-sets".into(), p("/key-sets"), 1),
        ("/keys".into(), p("/keys"), 1),
        ("/consumer_groups".into(), p("/consumer_groups"), 1),
    ] {
        let (s, list) = api.call("GET", &path, None).await;
        assert_eq!(s, 200, "{path}: {list}");
        spec.assert_response(&tmpl, "get", 200, &list);
        assert_eq!(list["data"].as_array().unwrap().len(), n, "{path}");
    }
    let (s, got) = api.call("GET", &format!("/services/{sid}"), None).await;
    assert_eq!(s, 200);
    spec.assert_response(&p("/services/{ServiceId}"), "get", 200, &got);
    assert_eq!(got, service);
    let (s, by_name) = api.call("GET", "/services/users-api", None).await;
    assert_eq!(
        (s, by_name["id"].as_str()),
        (200, Some(sid.as_str())),
        "a service may be named by name"
    );
    let (s, _) = api.call("GET", &format!("/routes/{rid}"), None).await;
    assert_eq!(s, 200);

    // PUT replaces (fields not sent go back to defaults) and keeps created_at; PUT to a new id
    // creates.
    let (s, replaced) = api
        .call(
            "PUT",
            &format!("/services/{sid}"),
            Some(json!({"name": "users-api", "host": "users.v2.internal", "retries": 2})),
        )
        .await;
    assert_eq!(s, 200, "{replaced}");
    spec.assert_response(&p("/services/{ServiceId}"), "put", 200, &replaced);
    assert_eq!(
        (replaced["host"].as_str(), replaced["retries"].as_i64(), replaced["port"].as_i64()),
        (Some("users.v2.internal"), Some(2), Some(80))
    );
    assert_eq!(replaced["created_at"], service["created_at"]);
    assert!(replaced["tags"].is_null(), "a replace drops what was not sent");
    let new_id = uuid::Uuid::new_v4().to_string();
    let (s, upserted) =
        api.call("PUT", &format!("/consumers/{new_id}"), Some(json!({"username": "bob"}))).await;
    assert_eq!((s, upserted["id"].as_str()), (200, Some(new_id.as_str())));

    // Membership of consumer groups.
    let (s, added) = api
        .call("POST", &format!("/consumer_groups/{gid}/consumers"), Some(json!({"consumer": cid})))
        .await;
    assert_eq!(s, 201, "{added}");
    assert_eq!(added["consumers"][0]["username"], "alice");
    let (s, added) =
        api.call("POST", "/consumers/bob/consumer_groups", Some(json!({"group": "gold"}))).await;
    assert_eq!((s, added["consumer_groups"][0]["name"].as_str()), (201, Some("gold")));
    let (_, members) = api.call("GET", &format!("/consumer_groups/{gid}/consumers"), None).await;
    assert_eq!(members["data"].as_array().unwrap().len(), 2);
    let (s, _) = api.call("DELETE", &format!("/consumer_groups/{gid}/consumers/bob"), None).await;
    assert_eq!(s, 204);
    let (_, groups) = api.call("GET", &format!("/consumers/{cid}/consumer_groups"), None).await;
    assert_eq!(groups["data"][0]["name"], "gold");

    // Schemas for forms.
    let (s, schema) = api.call("GET", "/schemas/services", None).await;
    assert_eq!(s, 200);
    let host = schema["fields"].as_array().unwrap().iter().find_map(|f| f.get("host")).unwrap();
    assert_eq!(host["required"], true);
    let (s, rl_schema) = api.call("GET", "/schemas/plugins/rate-limiting", None).await;
    assert_eq!(s, 200);
    // Kong's order: `protocols` before `config`.
    let config = rl_schema["fields"].as_array().unwrap().iter().find_map(|f| f.get("config"));
    let config_fields = config.unwrap()["fields"].as_array().unwrap();
    assert!(config_fields.iter().any(|f| f.get("minute").is_some()));
    let (s, v) = api.call("POST", "/schemas/routes/validate", Some(json!({"paths": ["/x"]}))).await;
    assert_eq!((s, v["message"].as_str()), (200, Some("schema validation successful")));

    // Deletes: restrict where Kong restricts, cascade where it cascades.
    let (s, refused) = api.call("DELETE", &format!("/services/{sid}"), None).await;
    assert_eq!(s, 400, "a service with routes cannot be deleted");
    assert!(
        refused["details"][0]["messages"][0]
            .as_str()
            .unwrap()
            .contains("an existing 'routes' entity references this 'service' entity"),
        "{refused}"
    );
    let (s, _) = api.call("DELETE", &format!("/services/{sid}/routes/{rid}"), None).await;
    assert_eq!(s, 204);
    let (s, _) = api.call("DELETE", &format!("/services/{sid}"), None).await;
    assert_eq!(s, 204, "now it can, and its plugin goes with it");
    let (_, plugins) = api.call("GET", "/plugins", None).await;
    assert_eq!(plugins["data"].as_array().unwrap().len(), 1, "only the global plugin is left");
    let (s, _) = api.call("DELETE", &format!("/consumers/{cid}"), None).await;
    assert_eq!(s, 204);
    let (_, creds) = api.call("GET", "/key-auths", None).await;
    assert_eq!(
        creds["data"].as_array().unwrap().len(),
        0,
        "credentials cascade with their consumer"
    );
    let (_, members) = api.call("GET", &format!("/consumer_groups/{gid}/consumers"), None).await;
    assert_eq!(members["data"].as_array().unwrap().len(), 0);
    let (s, _) = api.call("DELETE", &format!("/certificates/{certid}"), None).await;
    assert_eq!(s, 204);
    let (_, snis) = api.call("GET", "/snis", None).await;
    assert!(snis["data"].as_array().unwrap().is_empty(), "SNIs cascade with their certificate");
    let (s, missing) = api.call("GET", &format!("/services/{sid}"), None).await;
    assert_eq!((s, missing["message"].as_str()), (404, Some("Not found")));

    // Deleting the group deletes its configuration.
    let other = client
        .create_control_plane(&konnect::CreateControlPlaneRequest {
            name: "temp".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let other_api = Api::new(
        format!("{}/v2/control-planes/{}/core-entities", cp.base_url(), other.id),
        ADMIN_TOKEN,
    );
    assert_eq!(
        other_api.call("POST", "/services", Some(json!({"host": "x.internal"}))).await.0,
        201
    );
    client.delete_control_plane(&other.id).await.unwrap();
    assert_eq!(other_api.call("GET", "/services", None).await.0, 404);
    cp.shutdown().await;
}

#[tokio::test]
async fn validation_errors_use_konnects_config_error_body() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let client = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let group = client.list_all_control_planes().await.unwrap().remove(0);
    let api = Api::new(
        format!("{}/v2/control-planes/{}/core-entities", cp.base_url(), group.id),
        ADMIN_TOKEN,
    );

    let (s, e) = api
        .call("POST", "/services", Some(json!({"name": "svc", "port": 99999, "protocol": "ftp"})))
        .await;
    assert_eq!(s, 400);
    assert_eq!((e["code"].as_i64(), e["message"].as_str()), (Some(3), Some("validation error")));
    let host = detail(&e, "host").expect("host detail");
    assert_eq!(host["@type"], "type.googleapis.com/kong.admin.model.v1.ErrorDetail");
    assert_eq!(host["type"], "ERROR_TYPE_FIELD");
    assert_eq!(host["messages"][0], "required field missing");
    assert_eq!(detail(&e, "port").unwrap()["messages"][0], "value should be between 0 and 65535");
    assert!(detail(&e, "protocol").is_some());

    assert_eq!(
        api.call("POST", "/services", Some(json!({"name": "svc", "host": "a.internal"}))).await.0,
        201
    );
    let (s, e) =
        api.call("POST", "/services", Some(json!({"name": "svc", "host": "b.internal"}))).await;
    assert_eq!((s, e["message"].as_str()), (400, Some("data constraint error")));
    assert_eq!(detail(&e, "name").unwrap()["messages"][0], "name (type: unique) constraint failed");

    let ghost = uuid::Uuid::new_v4();
    let (s, e) =
        api.call("POST", "/routes", Some(json!({"paths": ["/x"], "service": {"id": ghost}}))).await;
    assert_eq!(s, 400);
    assert_eq!(detail(&e, "service").unwrap()["type"], "ERROR_TYPE_REFERENCE");
    let (s, e) = api.call("POST", "/routes", Some(json!({"name": "empty"}))).await;
    assert_eq!(s, 400);
    assert_eq!(e["details"][0]["type"], "ERROR_TYPE_ENTITY");
    let (s, e) = api
        .call("POST", "/plugins", Some(json!({"name": "rate-limiting", "config": {"minute": 0}})))
        .await;
    assert_eq!(s, 400);
    assert!(detail(&e, "config.minute").is_some(), "{e}");
    assert_eq!(api.call("POST", "/plugins", Some(json!({"name": "key-auth"}))).await.0, 201);
    let (s, e) = api.call("POST", "/plugins", Some(json!({"name": "key-auth"}))).await;
    assert_eq!(s, 400, "one key-auth per scope: {e}");
    let (s, _) = api.call("GET", "/nope", None).await;
    assert_eq!(s, 404);
    let (s, _) = api.call("GET", "/services?size=0", None).await;
    assert_eq!(s, 400);
    let (s, _) = api.call("GET", "/services?offset=garbage", None).await;
    assert_eq!(s, 400);
    let unauth = reqwest::Client::new().get(format!("{}/services", api.base)).send().await.unwrap();
    assert_eq!(unauth.status().as_u16(), 401);
    cp.shutdown().await;
}

#[tokio::test]
async fn lists_page_by_offset_and_filter_by_tags_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let client = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let group = client.list_all_control_planes().await.unwrap().remove(0);
    let api = Api::new(
        format!("{}/v2/control-planes/{}/core-entities", cp.base_url(), group.id),
        ADMIN_TOKEN,
    );
    for i in 0..250 {
        let tags = if i % 2 == 0 { json!(["even", "all"]) } else { json!(["odd", "all"]) };
        let (s, _) = api
            .call(
                "POST",
                "/services",
                Some(json!({"name": format!("svc-{i:03}"), "host": "h.internal", "tags": tags})),
            )
            .await;
        assert_eq!(s, 201);
    }
    let mut seen = std::collections::HashSet::new();
    let mut path = "/services?size=100".to_string();
    let mut pages = Vec::new();
    loop {
        let (s, page) = api.call("GET", &path, None).await;
        assert_eq!(s, 200);
        let data = page["data"].as_array().unwrap();
        pages.push(data.len());
        for e in data {
            assert!(seen.insert(e["id"].as_str().unwrap().to_string()), "no entity twice");
        }
        match page["offset"].as_str() {
            Some(o) => {
                assert!(page["next"].as_str().unwrap().contains(o));
                path = format!("/services?size=100&offset={o}");
            }
            None => break,
        }
    }
    assert_eq!(pages, [100, 100, 50]);
    let count = |v: &Value| v["data"].as_array().unwrap().len();
    assert_eq!(count(&api.call("GET", "/services?size=1000&tags=even", None).await.1), 125);
    assert_eq!(
        count(&api.call("GET", "/services?size=1000&tags=even,odd", None).await.1),
        0,
        "a,b means both"
    );
    assert_eq!(
        count(&api.call("GET", "/services?size=1000&tags=even/odd", None).await.1),
        250,
        "a/b means either"
    );
    assert_eq!(
        count(&api.call("GET", "/services?filter%5Bname%5D%5Bcontains%5D=svc-24", None).await.1),
        10
    );
    assert_eq!(
        count(&api.call("GET", "/services?filter%5Bname%5D%5Beq%5D=svc-007", None).await.1),
        1
    );
    cp.shutdown().await;
}
