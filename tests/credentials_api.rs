//! Consumers' credentials of every auth plugin over loopback (key-auth, basic-auth, jwt,
//! hmac-auth, acls): created under their consumer and at the top level, listed, fetched and
//! deleted, answers validated against Konnect's `control-planes-config.v2.yaml`; a basic-auth
//! password is never answered in clear, and deleting a consumer takes its credentials along.

use serde_json::{json, Value};
use system_tests::spec::Spec;
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};

/// One credential kind: its nested segment, top-level collection, the spec's id parameter, and
/// a body that creates one.
struct Case {
    nested: &'static str,
    top: &'static str,
    id_param: &'static str,
    body: fn(usize) -> Value,
}

const CASES: [Case; 5] = [
    Case {
        nested: "key-auth",
        top: "key-auths",
        id_param: "KeyAuthId",
        body: |i| json!({"key": format!("k-{i}")}),
    },
    Case {
        nested: "basic-auth",
        top: "basic-auths",
        id_param: "BasicAuthId",
        body: |i| json!({"username": format!("user-{i}"), "password": "open sesame"}),
    },
    Case { nested: "jwt", top: "jwts", id_param: "JWTId", body: |_| json!({}) },
    Case {
        nested: "hmac-auth",
        top: "hmac-auths",
        id_param: "HMACAuthId",
        body: |i| json!({"username": format!("hmac-{i}")}),
    },
    Case {
        nested: "acls",
        top: "acls",
        id_param: "ACLId",
        body: |i| json!({"group": format!("g-{i}")}),
    },
];

fn p(suffix: &str) -> String {
    format!("/control-planes/{{controlPlaneId}}/core-entities{suffix}")
}

async fn setup() -> (tempfile::TempDir, control_plane::RunningControlPlane, Api, String) {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let client = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let group = client.list_all_control_planes().await.unwrap().remove(0);
    let base = cp.base_url();
    let api = Api::new(format!("{base}/v2/control-planes/{}/core-entities", group.id), ADMIN_TOKEN);
    (dir, cp, api, group.id)
}

async fn consumer(api: &Api, name: &str) -> String {
    let (s, c) = api.call("POST", "/consumers", Some(json!({"username": name}))).await;
    assert_eq!(s, 201, "{c}");
    c["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_credential_kind_is_created_listed_fetched_and_deleted() {
    let spec = Spec::load("control-planes-config.v2.yaml");
    let (_dir, _cp, api, _) = setup().await;
    let cid = consumer(&api, "alice").await;
    let other = consumer(&api, "bob").await;
    for (i, case) in CASES.iter().enumerate() {
        let nested = format!("/consumers/{{ConsumerIdForNestedEntities}}/{}", case.nested);
        let item = format!("{nested}/{{{}}}", case.id_param);
        let body = (case.body)(i);
        spec.check_request(&p(&nested), "post", &body).unwrap();
        let (s, made) =
            api.call("POST", &format!("/consumers/{cid}/{}", case.nested), Some(body)).await;
        assert_eq!(s, 201, "{}: {made}", case.nested);
        spec.assert_response(&p(&nested), "post", 201, &made);
        assert_eq!(made["consumer"]["id"], cid.as_str(), "{}", case.nested);
        let id = made["id"].as_str().unwrap().to_string();

        // At the top level, the consumer named in the body.
        let mut top_body = (case.body)(i + 100);
        top_body["consumer"] = json!({"id": other});
        let (s, top) = api.call("POST", &format!("/{}", case.top), Some(top_body)).await;
        assert_eq!(s, 201, "{}: {top}", case.top);
        let top_id = top["id"].as_str().unwrap().to_string();

        let (s, listed) = api.call("GET", &format!("/consumers/{cid}/{}", case.nested), None).await;
        assert_eq!(s, 200);
        spec.assert_response(&p(&nested), "get", 200, &listed);
        let ids: Vec<&str> =
            listed["data"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
        assert_eq!(ids, [id.as_str()], "{}: only the consumer's own", case.nested);
        let (s, all) = api.call("GET", &format!("/{}", case.top), None).await;
        assert_eq!((s, all["data"].as_array().unwrap().len()), (200, 2), "{}", case.top);
        spec.assert_response(&p(&format!("/{}", case.top)), "get", 200, &all);

        let (s, got) =
            api.call("GET", &format!("/consumers/{cid}/{}/{id}", case.nested), None).await;
        assert_eq!((s, &got), (200, &made));
        spec.assert_response(&p(&item), "get", 200, &got);
        let top_item = format!("/{}/{{{}}}", case.top, case.id_param);
        let (s, got) = api.call("GET", &format!("/{}/{top_id}", case.top), None).await;
        assert_eq!((s, &got), (200, &top));
        spec.assert_response(&p(&top_item), "get", 200, &got);
        let (s, _) =
            api.call("GET", &format!("/consumers/{other}/{}/{id}", case.nested), None).await;
        assert_eq!(s, 404, "{}: another consumer's credential", case.nested);

        let (s, _) =
            api.call("DELETE", &format!("/consumers/{cid}/{}/{id}", case.nested), None).await;
        assert_eq!(s, 204);
        let (s, _) = api.call("GET", &format!("/{}/{id}", case.top), None).await;
        assert_eq!(s, 404, "{}: deleted", case.top);
    }
}

#[tokio::test]
async fn a_basic_auth_password_is_stored_hashed_and_never_answered_in_clear() {
    let spec = Spec::load("control-planes-config.v2.yaml");
    let (_dir, _cp, api, _) = setup().await;
    let cid = consumer(&api, "alice").await;
    let clear = "correct horse battery staple";
    let (s, made) = api
        .call(
            "POST",
            &format!("/consumers/{cid}/basic-auth"),
            Some(json!({"username": "alice", "password": clear})),
        )
        .await;
    assert_eq!(s, 201, "{made}");
    let want = control_plane::entities::store::basic_auth_hash(&cid, clear);
    assert_eq!(made["password"], want.as_str(), "Kong's salted SHA-1, hex");
    assert_eq!(want.len(), 40);
    let id = made["id"].as_str().unwrap();
    for path in [
        format!("/consumers/{cid}/basic-auth"),
        format!("/consumers/{cid}/basic-auth/{id}"),
        "/basic-auths".to_string(),
        format!("/basic-auths/{id}"),
        "/basic-auths/alice".to_string(),
    ] {
        let (s, body) = api.call("GET", &path, None).await;
        assert_eq!(s, 200, "{path}");
        assert!(!body.to_string().contains(clear), "{path}: {body}");
        assert!(body.to_string().contains(&want), "{path}");
    }
    spec.assert_response(&p("/basic-auths/{BasicAuthId}"), "get", 200, &made);
    // The same password on another consumer hashes differently: the salt is the consumer.
    let bob = consumer(&api, "bob").await;
    let (_, other) = api
        .call(
            "POST",
            &format!("/consumers/{bob}/basic-auth"),
            Some(json!({"username": "bob", "password": clear})),
        )
        .await;
    assert_ne!(other["password"], made["password"]);
    let (s, dup) = api
        .call(
            "POST",
            &format!("/consumers/{bob}/basic-auth"),
            Some(json!({"username": "alice", "password": "x"})),
        )
        .await;
    assert_eq!((s, dup["details"][0]["field"].as_str()), (400, Some("username")), "{dup}");
}

#[tokio::test]
async fn jwt_and_hmac_secrets_follow_kong() {
    let (_dir, _cp, api, _) = setup().await;
    let cid = consumer(&api, "alice").await;
    let (s, hs) = api.call("POST", &format!("/consumers/{cid}/jwt"), Some(json!({}))).await;
    assert_eq!(s, 201, "{hs}");
    assert_eq!(hs["algorithm"], "HS256");
    assert!(hs["key"].as_str().is_some_and(|k| k.len() == 32), "key generated: {hs}");
    assert!(hs["secret"].as_str().is_some_and(|k| k.len() == 32), "secret generated: {hs}");

    let (s, refused) = api
        .call("POST", &format!("/consumers/{cid}/jwt"), Some(json!({"algorithm": "RS256"})))
        .await;
    assert_eq!(s, 400, "{refused}");
    let field =
        refused["details"].as_array().unwrap().iter().find(|d| d["field"] == "rsa_public_key");
    assert_eq!(
        field.map(|d| d["messages"][0].clone()),
        Some(json!("required field missing")),
        "{refused}"
    );
    let (s, refused) = api
        .call(
            "POST",
            &format!("/consumers/{cid}/jwt"),
            Some(json!({"algorithm": "RS256", "rsa_public_key": "not a key"})),
        )
        .await;
    assert_eq!((s, refused["details"][0]["field"].as_str()), (400, Some("rsa_public_key")));

    let (cert, _) = hybrid::link::generate_client_certificate("jwt.example.com").unwrap();
    let (s, refused) = api
        .call(
            "POST",
            &format!("/consumers/{cid}/jwt"),
            Some(json!({"algorithm": "ES256", "rsa_public_key": cert})),
        )
        .await;
    assert_eq!(s, 400, "a certificate is not a public key: {refused}");
    let public = public_key_pem();
    let (s, es) = api
        .call(
            "POST",
            &format!("/consumers/{cid}/jwt"),
            Some(json!({"algorithm": "ES256", "rsa_public_key": public, "key": "issuer-1"})),
        )
        .await;
    assert_eq!((s, es["key"].as_str()), (201, Some("issuer-1")), "{es}");
    let (s, _) = api.call("GET", "/jwts/issuer-1", None).await;
    assert_eq!(s, 200, "a jwt goes by its key too");

    let (s, hmac) = api
        .call("POST", &format!("/consumers/{cid}/hmac-auth"), Some(json!({"username": "h"})))
        .await;
    assert_eq!(s, 201);
    assert!(hmac["secret"].as_str().is_some_and(|k| !k.is_empty()), "{hmac}");
    let (s, dup) = api
        .call("POST", &format!("/consumers/{cid}/hmac-auth"), Some(json!({"username": "h"})))
        .await;
    assert_eq!((s, dup["details"][0]["field"].as_str()), (400, Some("username")));
    let (s, no_group) = api.call("POST", &format!("/consumers/{cid}/acls"), Some(json!({}))).await;
    assert_eq!((s, no_group["details"][0]["field"].as_str()), (400, Some("group")));
    // A consumer is in an ACL group once (Kong's cache key); another consumer may join it too.
    let admins = Some(json!({"group": "admins"}));
    let (s, _) = api.call("POST", &format!("/consumers/{cid}/acls"), admins.clone()).await;
    assert_eq!(s, 201);
    let (s, twice) = api.call("POST", &format!("/consumers/{cid}/acls"), admins.clone()).await;
    assert_eq!((s, twice["details"][0]["field"].as_str()), (400, Some("group")), "{twice}");
    assert!(twice["details"][0]["messages"][0].as_str().unwrap().contains("admins"), "{twice}");
    let bob = consumer(&api, "bob").await;
    let (s, _) = api.call("POST", &format!("/consumers/{bob}/acls"), admins).await;
    assert_eq!(s, 201);
}

/// A P-256 public key in PEM (generated once with `openssl ec -pubout`).
fn public_key_pem() -> String {
    "-----BEGIN PUBLIC KEY-----\n\
     MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEa0gO/A4e5wqpRKDIBCICLQz8VWMA\n\
     ZetIbXjoYVjQA4KU1oT57WS+jtj1ynjbUD9vBb+pUQFXyXjQGvkoeDwsag==\n\
     -----END PUBLIC KEY-----\n"
        .to_string()
}

#[tokio::test]
async fn deleting_a_consumer_deletes_its_credentials_and_the_export_carries_them() {
    let (_dir, _cp, api, _) = setup().await;
    let hash = |api: &Api| {
        let url = api.base.replace("/core-entities", "/expected-config-hash");
        let (http, token) = (api.http.clone(), api.token.clone());
        async move {
            let r = http.get(url).bearer_auth(token).send().await.unwrap();
            r.json::<Value>().await.unwrap()["expected_hash"].as_str().unwrap().to_string()
        }
    };
    let empty = hash(&api).await;
    let cid = consumer(&api, "alice").await;
    let before = hash(&api).await;
    for (i, case) in CASES.iter().enumerate() {
        let (s, made) = api
            .call("POST", &format!("/consumers/{cid}/{}", case.nested), Some((case.body)(i)))
            .await;
        assert_eq!(s, 201, "{made}");
    }
    let with_credentials = hash(&api).await;
    assert_ne!(before, with_credentials, "credentials are part of the configuration's hash");
    let (s, _) = api.call("DELETE", &format!("/consumers/{cid}"), None).await;
    assert_eq!(s, 204);
    for case in &CASES {
        let (s, all) = api.call("GET", &format!("/{}", case.top), None).await;
        assert_eq!((s, all["data"].as_array().unwrap().len()), (200, 0), "{}", case.top);
    }
    assert_eq!(hash(&api).await, empty, "nothing of the consumer is left in the configuration");
}

/// The console over the same control plane: every credential kind synced, searched, exported
/// nested under its consumer, previewed back as nothing to change, copied into another group,
/// and no credential secret in any preview or diff.
#[tokio::test]
async fn the_console_carries_every_credential_kind_through_export_import_and_compare() {
    let (_dir, cp, api, g) = setup().await;
    let app = tempfile::tempdir().unwrap();
    let client = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let console =
        console::Console::new(console::Profile::local(), client, &app.path().join("c.sqlite"))
            .unwrap();
    let ann = consumer(&api, "ann").await;
    let mut secrets = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let mut body = (case.body)(i);
        body["consumer"] = json!({"id": ann});
        let made = console.create_entity(&g, case.top, body).await.unwrap();
        for f in ["key", "secret", "password"] {
            if let Some(s) = made[f].as_str().filter(|_| !(case.top == "jwts" && f == "key")) {
                secrets.push(s.to_string());
            }
        }
    }
    secrets.push("open sesame".into());
    console.sync(std::sync::Arc::new(|_| {}), console::sync::CancelToken::default()).await.unwrap();
    let hits = console.search("hmac-3", 5).await.unwrap();
    assert!(hits.iter().any(|h| h.kind == "hmac-auths"), "{hits:?}");

    let yaml = console.export_group(&g, "yaml").await.unwrap();
    for key in ["keyauth_credentials", "basicauth_credentials", "jwt_secrets"] {
        assert!(yaml.contains(key), "{key} in {yaml}");
    }
    assert!(yaml.contains("hmacauth_credentials") && yaml.contains("acls:"), "{yaml}");
    let own = console.plan_import(&g, &yaml).await.unwrap();
    assert!(own.create.is_empty() && own.update.is_empty() && own.delete.is_empty(), "{own:?}");
    assert_eq!(own.unchanged, 6, "ann and her five credentials");

    let other = console
        .create_group(console::NewRuntimeGroup {
            name: "copy".into(),
            description: String::new(),
            labels: String::new(),
        })
        .await
        .unwrap()
        .id;
    let plan = console.plan_import(&other, &yaml).await.unwrap();
    assert_eq!(plan.create.len(), 6, "{plan:?}");
    let applied = console.apply_import(&other, &yaml).await.unwrap();
    assert_eq!(applied.created, 6);
    let cmp = console.compare_groups(&g, &other, "1h").await.unwrap();
    assert!(cmp.difference.only_left.is_empty() && cmp.difference.only_right.is_empty());
    let shown = format!(
        "{}{}",
        serde_json::to_string(&plan).unwrap(),
        serde_json::to_string(&cmp.difference).unwrap()
    );
    for secret in &secrets {
        assert!(!shown.contains(secret.as_str()), "secret {secret} shown: {shown}");
    }
}
