//! The control plane under careless and hostile writes: a megabyte of tags refused at once and
//! never stalling other requests, route regexes a runtime could not compile refused with a field
//! error, limits on bodies and nesting, every rejection in Konnect's JSON shapes, and the data
//! plane link's private key kept 0600, written whole and remade when it is broken.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hybrid::link::{self, Incoming};
use serde_json::{json, Value};
use system_tests::spec::Spec;
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};
use tokio_tungstenite::tungstenite::Message;

struct Answer {
    status: u16,
    content_type: String,
    allow: Option<String>,
    body: Value,
}

/// A raw request with the admin token; the body must be JSON whatever the status.
async fn send(method: &str, url: &str, body: Option<Vec<u8>>) -> Answer {
    let http = reqwest::Client::new();
    let mut req = http.request(method.parse().unwrap(), url).bearer_auth(ADMIN_TOKEN);
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    let (content_type, allow) = (header("content-type").unwrap_or_default(), header("allow"));
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| {
        panic!("{method} {url} → {status} {content_type}: not JSON: {text:.200}")
    });
    Answer { status, content_type, allow, body }
}

/// Konnect's core-entities error body: `{code, message, details[{type, field, messages}]}`.
fn assert_config_error(a: &Answer) {
    assert_eq!(a.content_type, "application/json", "{}", a.body);
    assert!(a.body["code"].is_i64() && a.body["message"].is_string(), "{}", a.body);
    for d in a.body["details"].as_array().unwrap_or_else(|| panic!("details: {}", a.body)) {
        assert!(
            ["ERROR_TYPE_FIELD", "ERROR_TYPE_ENTITY", "ERROR_TYPE_REFERENCE"]
                .contains(&d["type"].as_str().unwrap()),
            "{d}"
        );
        assert!(
            d["field"].is_string()
                && d["messages"]
                    .as_array()
                    .is_some_and(|m| !m.is_empty() && m.iter().all(Value::is_string)),
            "{d}"
        );
    }
}

fn detail<'a>(a: &'a Answer, field: &str) -> &'a Value {
    a.body["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["field"] == field)
        .unwrap_or_else(|| panic!("no detail for {field}: {}", a.body))
}

async fn default_group(base: &str) -> String {
    let client = konnect::KonnectClient::new(base, ADMIN_TOKEN).unwrap();
    client.list_all_control_planes().await.unwrap().remove(0).id
}

/// Reads the control planes list until `write` is done (at least `min` times); each read, which
/// needs the database for its token and its rows, must answer within 2 s.
async fn read_while<T>(base: &str, write: &tokio::task::JoinHandle<T>, min: usize) -> usize {
    let mut n = 0;
    while n < min || !write.is_finished() {
        let started = Instant::now();
        let a = tokio::time::timeout(
            Duration::from_secs(2),
            send("GET", &format!("{base}/v2/control-planes"), None),
        )
        .await
        .expect("a read answers within 2 s while a big write is in flight");
        assert_eq!(a.status, 200);
        assert!(started.elapsed() < Duration::from_secs(2));
        n += 1;
    }
    n
}

#[tokio::test]
async fn a_megabyte_of_tags_is_refused_at_once_and_big_writes_never_stall_other_requests() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let base = cp.base_url();
    let entities = format!("{base}/v2/control-planes/{}/core-entities", default_group(&base).await);

    // 100,000 distinct tags, about 1.3 MB: past the 1000-item cap, refused as soon as it is read.
    let tags: Vec<String> = (0..100_000).map(|i| format!("tag-{i:06}")).collect();
    let body =
        serde_json::to_vec(&json!({"name": "tagged", "host": "h.internal", "tags": tags})).unwrap();
    assert!(body.len() > 1_000_000);
    let url = format!("{entities}/services");
    let write = tokio::spawn(async move {
        let started = Instant::now();
        (send("POST", &url, Some(body)).await, started.elapsed())
    });
    read_while(&base, &write, 3).await;
    let (refused, took) = write.await.unwrap();
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_config_error(&refused);
    assert_eq!(detail(&refused, "tags")["messages"][0], "length must be at most 1000");
    assert!(took < Duration::from_secs(5), "refused in {took:?}");

    // Just under the caps: 1000 tags of 1000 characters (1 MB), half of them repeated. Stored,
    // de-duplicated, and still no read waits.
    let tags: Vec<String> = (0..1000).map(|i| format!("{:0>1000}", i % 500)).collect();
    let body =
        serde_json::to_vec(&json!({"name": "big", "host": "h.internal", "tags": tags})).unwrap();
    assert!(body.len() > 1_000_000);
    let url = format!("{entities}/services");
    let write = tokio::spawn(async move { send("POST", &url, Some(body)).await });
    read_while(&base, &write, 3).await;
    let stored = write.await.unwrap();
    assert_eq!(stored.status, 201, "{:.300}", stored.body.to_string());
    assert_eq!(stored.body["tags"].as_array().unwrap().len(), 500, "a set keeps each tag once");
    let got = send("GET", &format!("{entities}/services/big"), None).await;
    assert_eq!((got.status, got.body["tags"].as_array().map(Vec::len)), (200, Some(500)));
    cp.shutdown().await;
}

#[tokio::test]
async fn route_regexes_a_runtime_cannot_compile_are_refused_with_a_field_error() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let base = cp.base_url();
    let entities = format!("{base}/v2/control-planes/{}/core-entities", default_group(&base).await);
    let api = Api::new(entities.clone(), ADMIN_TOKEN);
    let (s, service) =
        api.call("POST", "/services", Some(json!({"name": "svc", "host": "h.internal"}))).await;
    assert_eq!(s, 201);
    let sid = service["id"].as_str().unwrap().to_string();

    let bad_paths = [
        (r"~/a{2,1}", "invalid repetition count range"),
        (r"~/(?<a>x)(?<a>y)", "duplicate capture group name"),
        (r"~/a{1000}{1000}", "exceeds the size limit"),
        (r"~/(unclosed", "unclosed group"),
    ];
    for (path, why) in bad_paths {
        let body =
            serde_json::to_vec(&json!({"paths": ["/fine", path], "service": {"id": sid}})).unwrap();
        for (method, url) in [
            ("POST", format!("{entities}/routes")),
            ("PUT", format!("{entities}/routes/by-name")),
            ("POST", format!("{entities}/services/{sid}/routes")),
        ] {
            let a = send(method, &url, Some(body.clone())).await;
            assert_eq!(a.status, 400, "{method} {path}: {}", a.body);
            assert_config_error(&a);
            let d = detail(&a, "paths[2]");
            assert_eq!(d["type"], "ERROR_TYPE_FIELD");
            let message = d["messages"][0].as_str().unwrap();
            assert!(
                message.starts_with(&format!("invalid regex: '{}' (", &path[1..]))
                    && message.contains(why),
                "{path}: {message}"
            );
        }
    }
    let a = send(
        "POST",
        &format!("{entities}/routes"),
        Some(
            serde_json::to_vec(&json!({"paths": ["/h"], "headers": {"x-env": ["~*(canary"]}}))
                .unwrap(),
        ),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_config_error(&a);
    assert!(
        detail(&a, "headers.x-env")["messages"][0]
            .as_str()
            .unwrap()
            .starts_with("invalid regex: '(canary' ("),
        "{}",
        a.body
    );
    let (s, routes) = api.call("GET", "/routes", None).await;
    assert_eq!(
        (s, routes["data"].as_array().unwrap().len()),
        (200, 0),
        "nothing refused was stored"
    );

    // What a runtime compiles is still accepted.
    let (s, good) = api
        .call(
            "POST",
            "/routes",
            Some(json!({
                "name": "good",
                "paths": [r"~/items/(?<id>\d+)$", "/plain"],
                "headers": {"x-env": [r"~*^canary-\d+$"]},
                "service": {"id": sid},
            })),
        )
        .await;
    assert_eq!(s, 201, "{good}");
    let (s, _) = api
        .call(
            "PUT",
            "/routes/good",
            Some(json!({"paths": [r"~/v\d+/orders"], "service": {"id": sid}})),
        )
        .await;
    assert_eq!(s, 200);
    cp.shutdown().await;
}

#[tokio::test]
async fn every_rejection_is_json_in_konnects_shapes() {
    let cp_spec = Spec::load("control-planes.v2.yaml");
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let base = cp.base_url();
    let group = default_group(&base).await;
    let entities = format!("{base}/v2/control-planes/{group}/core-entities");

    // A body over the limit (2 MiB): 413, problem+json outside core-entities, Kong's shape inside.
    let big = serde_json::to_vec(&json!({"name": "x".repeat(3 << 20)})).unwrap();
    let a = send("POST", &format!("{base}/v2/control-planes"), Some(big.clone())).await;
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (413, "application/problem+json"),
        "{}",
        a.body
    );
    cp_spec.check_component("BaseError", &a.body).unwrap();
    assert_eq!(a.body["status"], 413);
    let a = send("POST", &format!("{entities}/services"), Some(big)).await;
    assert_eq!(a.status, 413);
    assert_config_error(&a);

    // A path segment that is not UTF-8.
    let a = send("GET", &format!("{base}/v2/control-planes/%FF"), None).await;
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (400, "application/problem+json"),
        "{}",
        a.body
    );
    cp_spec.assert_response("/control-planes/{controlPlaneId}", "get", 400, &a.body);
    assert_eq!(a.body["invalid_parameters"][0]["source"], "path");
    let a = send("GET", &format!("{base}/v2/control-planes/%FF/nodes"), None).await;
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (400, "application/problem+json"),
        "{}",
        a.body
    );
    cp_spec.check_component("BadRequestError", &a.body).unwrap();
    for path in [
        format!("{entities}/services/%FF"),
        format!("{base}/v2/control-planes/%FF/core-entities/services"),
    ] {
        let a = send("GET", &path, None).await;
        assert_eq!(a.status, 400, "{path}: {}", a.body);
        assert_config_error(&a);
    }

    // A method the path does not take, and a path that does not exist.
    let a = send("PUT", &format!("{base}/v2/control-planes"), Some(b"{}".to_vec())).await;
    assert_eq!(
        (a.status, a.content_type.as_str()),
        (405, "application/problem+json"),
        "{}",
        a.body
    );
    cp_spec.check_component("BaseError", &a.body).unwrap();
    assert!(a.allow.is_some_and(|m| m.contains("POST")), "405 still says what is allowed");
    let a = send("GET", &format!("{base}/v2/nowhere"), None).await;
    assert_eq!(a.status, 404);
    cp_spec.check_component("BaseError", &a.body).unwrap();

    // Malformed JSON.
    let a = send("POST", &format!("{base}/v2/control-planes"), Some(b"{\"name\": ".to_vec())).await;
    assert_eq!(a.status, 400);
    cp_spec.assert_response("/control-planes", "post", 400, &a.body);
    let a = send("POST", &format!("{entities}/services"), Some(b"{\"name\": ".to_vec())).await;
    assert_eq!(a.status, 400);
    assert_config_error(&a);

    // Items Konnect's schema gives extra members: enum → choices, max_items → maximum.
    let a = send("GET", &format!("{base}/v2/control-planes?sort=colour"), None).await;
    assert_eq!(a.status, 400);
    cp_spec.assert_response("/control-planes", "get", 400, &a.body);
    assert_eq!(
        (
            a.body["invalid_parameters"][0]["rule"].as_str(),
            a.body["invalid_parameters"][0]["choices"].as_array().map(Vec::len)
        ),
        (Some("enum"), Some(3))
    );
    let labels: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("l{i}"), json!("v"))).collect();
    let a = send(
        "POST",
        &format!("{base}/v2/control-planes"),
        Some(serde_json::to_vec(&json!({"name": "many-labels", "labels": labels})).unwrap()),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    cp_spec.assert_response("/control-planes", "post", 400, &a.body);
    assert_eq!(
        (
            a.body["invalid_parameters"][0]["rule"].as_str(),
            a.body["invalid_parameters"][0]["maximum"].as_i64()
        ),
        (Some("max_items"), Some(50))
    );
    let urls: Vec<Value> = (0..6)
        .map(|i| json!({"host": format!("p{i}.example.com"), "port": 443, "protocol": "https"}))
        .collect();
    let a = send(
        "POST",
        &format!("{base}/v2/control-planes"),
        Some(serde_json::to_vec(&json!({"name": "many-urls", "proxy_urls": urls})).unwrap()),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    cp_spec.assert_response("/control-planes", "post", 400, &a.body);
    assert_eq!(a.body["invalid_parameters"][0]["maximum"], 5);

    // Entity limits: a string past 64 Ki characters, more than 5 tags in a list filter.
    let a = send(
        "POST",
        &format!("{entities}/services"),
        Some(
            serde_json::to_vec(&json!({"host": "h.internal", "tags": ["ok", "t".repeat(70_000)]}))
                .unwrap(),
        ),
    )
    .await;
    assert_eq!(a.status, 400);
    assert_config_error(&a);
    assert_eq!(detail(&a, "tags[2]")["messages"][0], "length must be at most 65536");
    let a = send("GET", &format!("{entities}/services?tags=a,b,c,d,e,f"), None).await;
    assert_eq!(a.status, 400);
    assert_config_error(&a);
    cp.shutdown().await;
}

/// `{"a": {"a": ... 1}}`, `depth` objects deep, as text (serde_json could not build the deepest).
fn nested(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

#[tokio::test]
async fn deep_nesting_is_refused_with_a_field_error() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let base = cp.base_url();
    let entities = format!("{base}/v2/control-planes/{}/core-entities", default_group(&base).await);
    // The vault is level 1 and its config level 2: 31 levels in the config reach the limit of 32.
    for (depth, prefix) in [(31, "ok31"), (10, "ok10")] {
        let body =
            format!(r#"{{"name": "env", "prefix": "{prefix}", "config": {}}}"#, nested(depth));
        let a = send("POST", &format!("{entities}/vaults"), Some(body.into_bytes())).await;
        assert_eq!(a.status, 201, "{depth}: {}", a.body);
    }
    // One past it, and far past the 128 levels the runtime's parser accepts at all.
    for depth in [32, 40, 500] {
        let body = format!(r#"{{"name": "env", "prefix": "deep", "config": {}}}"#, nested(depth));
        let a = send("POST", &format!("{entities}/vaults"), Some(body.into_bytes())).await;
        assert_eq!(a.status, 400, "{depth}: {}", a.body);
        assert_config_error(&a);
        let d = &a.body["details"][0];
        assert_eq!(d["type"], "ERROR_TYPE_FIELD");
        assert_eq!(
            d["field"],
            format!("config.{}", vec!["a"; 31].join(".")),
            "the field where the limit is crossed"
        );
        assert_eq!(d["messages"][0], "nesting must be at most 32 levels deep");
    }
    let a = send("GET", &format!("{entities}/vaults"), None).await;
    assert_eq!(a.body["data"].as_array().unwrap().len(), 2, "nothing too deep was stored");
    cp.shutdown().await;
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// A runtime-shaped client with a pinned certificate gets its first push over the link.
async fn link_works(cp: &control_plane::RunningControlPlane) {
    let api = Api::new(cp.base_url(), ADMIN_TOKEN);
    let group = default_group(&cp.base_url()).await;
    let (cert, key) = link::generate_client_certificate("probe").unwrap();
    let (s, _) = api
        .call(
            "POST",
            &format!("/v2/control-planes/{group}/dp-client-certificates"),
            Some(json!({"cert": cert})),
        )
        .await;
    assert_eq!(s, 201);
    let who = system_tests::new_node("probe");
    let mut ws = link::connect(
        &cp.cluster_addr.to_string(),
        Arc::new(link::client_tls(&cert, &key).unwrap()),
        &who,
        &[],
    )
    .await
    .expect("TLS link with the control plane's identity");
    let pushed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Binary(b) = msg {
                if let Incoming::Reconfigure(_) = link::decode(&b) {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert_eq!(pushed, Ok(true), "a push over the link");
}

#[cfg(unix)]
#[tokio::test]
async fn the_cluster_key_is_private_written_whole_and_remade_when_broken() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("cp");
    std::fs::create_dir(&data).unwrap();
    // A pair an older version left at the data dir's top, the key world-readable.
    let (old_cert, old_key) = link::generate_client_certificate("localhost").unwrap();
    std::fs::write(data.join("cluster.crt"), &old_cert).unwrap();
    std::fs::write(data.join("cluster.key"), &old_key).unwrap();
    let (keys, key_path) = (data.join("keys"), data.join("keys/cluster.key"));

    let cp = start_control_plane(&data).await;
    assert_eq!(
        std::fs::read_to_string(&key_path).unwrap(),
        old_key,
        "the identity moves into keys/ unchanged"
    );
    assert_eq!((mode(&keys), mode(&key_path)), (0o700, 0o600));
    assert!(
        !data.join("cluster.key").exists() && !data.join("cluster.crt").exists(),
        "no key is left readable at the old place"
    );
    link_works(&cp).await;
    cp.shutdown().await;

    // A crash mid-write used to leave an empty key, and no start after it: it is made anew.
    for broken in ["", "-----BEGIN PRIVATE KEY-----\ngarbled\n"] {
        std::fs::write(&key_path, broken).unwrap();
        std::fs::write(keys.join(".cluster.key.tmp-1-0"), "-----BEGIN PRIVATE KEY-----\nhalf")
            .unwrap();
        let cp = start_control_plane(&data).await;
        let key = std::fs::read_to_string(&key_path).unwrap();
        assert!(key.contains("PRIVATE KEY") && key != old_key && key != broken);
        assert_eq!(mode(&key_path), 0o600);
        let names: Vec<String> = std::fs::read_dir(&keys)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "only the certificate and the key, no temp file left by a crash or the write: {names:?}"
        );
        link_works(&cp).await;
        cp.shutdown().await;
    }

    // A key that is there but cannot be read is the operator's call: a clear error, no start.
    std::fs::remove_file(&key_path).unwrap();
    std::fs::create_dir(&key_path).unwrap();
    let config = control_plane::Config {
        data_dir: data.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        cluster_listen: "127.0.0.1:0".parse().unwrap(),
        admin_token: Some(ADMIN_TOKEN.into()),
    };
    let err = control_plane::RunningControlPlane::start(config)
        .await
        .err()
        .expect("no start with an unreadable key")
        .to_string();
    assert!(err.contains(&key_path.display().to_string()) && err.contains("remove it"), "{err}");
}
