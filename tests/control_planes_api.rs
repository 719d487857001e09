//! Client ↔ local control plane over loopback: every Control Planes v2 operation and error case,
//! with each raw answer validated against Konnect's `control-planes.v2.yaml`.

use std::collections::BTreeMap;

use konnect::{
    ControlPlaneQuery, CreateControlPlaneRequest, KonnectClient, KonnectError,
    UpdateControlPlaneRequest,
};
use serde_json::{json, Value};
use system_tests::spec::Spec;
use system_tests::{start_control_plane, ADMIN_TOKEN};

struct Raw {
    status: u16,
    content_type: String,
    body: Value,
}

async fn raw(base: &str, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Raw {
    let http = reqwest::Client::new();
    let mut req = http.request(method.parse().unwrap(), format!("{base}/v2{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text}"))
    };
    Raw { status, content_type, body }
}

fn api_status(e: KonnectError) -> (u16, konnect::ProblemDetails) {
    match e {
        KonnectError::Api(a) => (a.status, a.problem),
        other => panic!("expected an API error, got {other}"),
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn every_control_plane_operation_and_error_matches_konnect() {
    let spec = Spec::load("control-planes.v2.yaml");
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let base = cp.base_url();
    let client = KonnectClient::new(&base, ADMIN_TOKEN).unwrap();

    // --- 401: no token, a wrong token ---
    for token in [None, Some("kpat_wrong")] {
        let r = raw(&base, "GET", "/control-planes", token, None).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["detail"], "A valid token is required");
        spec.assert_response("/control-planes", "get", 401, &r.body);
    }
    let (status, _) = api_status(
        KonnectClient::new(&base, "kpat_wrong")
            .unwrap()
            .list_all_control_planes()
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 401);

    // --- list: the default group exists on first start ---
    let r = raw(&base, "GET", "/control-planes", Some(ADMIN_TOKEN), None).await;
    assert_eq!(r.status, 200);
    spec.assert_response("/control-planes", "get", 200, &r.body);
    let groups = client.list_all_control_planes().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name, "default");
    let default_id = groups[0].id.clone();

    // --- create: 201 with Konnect's defaults filled in ---
    let req = CreateControlPlaneRequest {
        name: "dev".into(),
        description: Some("Development".into()),
        labels: Some(labels(&[("env", "dev")])),
        ..Default::default()
    };
    spec.check_request("/control-planes", "post", &serde_json::to_value(&req).unwrap()).unwrap();
    let r = raw(
        &base,
        "POST",
        "/control-planes",
        Some(ADMIN_TOKEN),
        Some(&serde_json::to_string(&req).unwrap()),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    spec.assert_response("/control-planes", "post", 201, &r.body);
    assert_eq!(r.body["config"]["cluster_type"], "CLUSTER_TYPE_CONTROL_PLANE");
    assert_eq!(r.body["config"]["auth_type"], "pinned_client_certs");
    assert_eq!(r.body["labels"], json!({"env": "dev"}));
    assert_eq!(
        r.body["config"]["control_plane_endpoint"],
        format!("https://{}", cp.cluster_addr),
        "data planes dial this server's link"
    );
    assert_eq!(r.body["config"]["telemetry_endpoint"], format!("https://{}", cp.cluster_addr));
    let dev_id = r.body["id"].as_str().unwrap().to_string();
    uuid::Uuid::parse_str(&dev_id).expect("a UUID id");

    let staging = client
        .create_control_plane(&CreateControlPlaneRequest {
            name: "staging".into(),
            labels: Some(labels(&[("env", "staging"), ("team", "core")])),
            cluster_type: Some("CLUSTER_TYPE_K8S_INGRESS_CONTROLLER".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(staging.config.cluster_type, "CLUSTER_TYPE_K8S_INGRESS_CONTROLLER");

    // --- create errors: 400 with invalid_parameters naming the field, 409 for a duplicate ---
    let bad_creates: [(&str, &str, &str); 8] = [
        (r#"{"name":"  "}"#, "name", "cannot be blank"),
        (r#"{"name":"a"}"#, "name", "must have at least 2 characters"),
        (r#"{"description":"x"}"#, "name", "is a required field"),
        (
            r#"{"name":"ok","labels":{"kong-internal":"x"}}"#,
            "labels.kong-internal",
            "label keys cannot start with 'kong'",
        ),
        (r#"{"name":"ok","labels":{"env":"-dev"}}"#, "labels.env", "label values must"),
        (r#"{"name":"ok","id":"x"}"#, "id", "property id should not exist"),
        (r#"{"name":"ok","cluster_type":"CLUSTER_TYPE_NOPE"}"#, "cluster_type", "must be one of"),
        (r#"{"name": 12}"#, "name", "must be a string"),
    ];
    for (body, field, reason) in bad_creates {
        let r = raw(&base, "POST", "/control-planes", Some(ADMIN_TOKEN), Some(body)).await;
        assert_eq!(r.status, 400, "{body} → {}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        spec.assert_response("/control-planes", "post", 400, &r.body);
        let params = r.body["invalid_parameters"].as_array().unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["field"] == field && p["reason"].as_str().unwrap().contains(reason)),
            "{body}: wanted {field}: {reason}, got {params:?}"
        );
    }
    let long = format!(r#"{{"name":"{}"}}"#, "x".repeat(257));
    let r = raw(&base, "POST", "/control-planes", Some(ADMIN_TOKEN), Some(&long)).await;
    assert_eq!(
        (r.status, r.body["invalid_parameters"][0]["rule"].as_str()),
        (400, Some("max_length"))
    );
    assert_eq!(r.body["invalid_parameters"][0]["maximum"], 256);
    spec.assert_response("/control-planes", "post", 400, &r.body);
    let r = raw(&base, "POST", "/control-planes", Some(ADMIN_TOKEN), Some("{not json")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["invalid_parameters"][0]["reason"], "request format is invalid");
    spec.assert_response("/control-planes", "post", 400, &r.body);

    let r =
        raw(&base, "POST", "/control-planes", Some(ADMIN_TOKEN), Some(r#"{"name":"dev"}"#)).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["detail"], "Control Plane with provided name already exists.");
    spec.assert_response("/control-planes", "post", 409, &r.body);
    let (status, problem) = api_status(
        client
            .create_control_plane(&CreateControlPlaneRequest {
                name: "dev".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    );
    assert_eq!((status, problem.title.as_str()), (409, "Conflict"));
    let (status, problem) = api_status(
        client
            .create_control_plane(&CreateControlPlaneRequest {
                name: "x".into(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    assert_eq!(problem.invalid_parameters[0].field, "name");

    // --- list: paging and filters ---
    let page = client
        .list_control_planes(&ControlPlaneQuery {
            page_size: Some(2),
            page_number: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((page.meta.page.number, page.meta.page.size, page.meta.page.total), (2, 2, 3));
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].name, "staging", "oldest first: default, dev, staging");
    let r = raw(
        &base,
        "GET",
        "/control-planes?page%5Bsize%5D=2&page%5Bnumber%5D=2",
        Some(ADMIN_TOKEN),
        None,
    )
    .await;
    spec.assert_response("/control-planes", "get", 200, &r.body);
    let names = |q: ControlPlaneQuery| {
        let client = client.clone();
        async move {
            client
                .list_control_planes(&q)
                .await
                .unwrap()
                .data
                .into_iter()
                .map(|g| g.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        names(ControlPlaneQuery { name_eq: Some("dev".into()), ..Default::default() }).await,
        ["dev"]
    );
    assert_eq!(
        names(ControlPlaneQuery { name_contains: Some("a".into()), ..Default::default() }).await,
        ["default", "staging"]
    );
    assert_eq!(
        names(ControlPlaneQuery {
            cluster_type_eq: Some("CLUSTER_TYPE_K8S_INGRESS_CONTROLLER".into()),
            ..Default::default()
        })
        .await,
        ["staging"]
    );
    assert_eq!(
        names(ControlPlaneQuery { labels: Some("env:dev".into()), ..Default::default() }).await,
        ["dev"]
    );
    assert_eq!(
        names(ControlPlaneQuery { labels: Some("team".into()), ..Default::default() }).await,
        ["staging"]
    );
    for bad in
        ["page%5Bsize%5D=0", "page%5Bnumber%5D=x", "filter%5Bcolour%5D%5Beq%5D=red", "sort=colour"]
    {
        let r = raw(&base, "GET", &format!("/control-planes?{bad}"), Some(ADMIN_TOKEN), None).await;
        assert_eq!(r.status, 400, "{bad}");
        spec.assert_response("/control-planes", "get", 400, &r.body);
    }

    // --- get ---
    let r = raw(&base, "GET", &format!("/control-planes/{dev_id}"), Some(ADMIN_TOKEN), None).await;
    assert_eq!(r.status, 200);
    spec.assert_response("/control-planes/{controlPlaneId}", "get", 200, &r.body);
    assert_eq!(client.get_control_plane(&dev_id).await.unwrap().name, "dev");
    let missing = uuid::Uuid::new_v4().to_string();
    let r = raw(&base, "GET", &format!("/control-planes/{missing}"), Some(ADMIN_TOKEN), None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["detail"], "The requested control plane was not found.");
    spec.assert_response("/control-planes/{controlPlaneId}", "get", 404, &r.body);
    let r = raw(&base, "GET", "/control-planes/not-a-uuid", Some(ADMIN_TOKEN), None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["invalid_parameters"][0]["reason"], "invalid ID format");
    spec.assert_response("/control-planes/{controlPlaneId}", "get", 400, &r.body);
    assert_eq!(api_status(client.get_control_plane(&missing).await.unwrap_err()).0, 404);

    // --- update ---
    let patch = UpdateControlPlaneRequest {
        name: Some("development".into()),
        labels: Some(labels(&[("env", "dev"), ("tier", "1")])),
        ..Default::default()
    };
    spec.check_request(
        "/control-planes/{controlPlaneId}",
        "patch",
        &serde_json::to_value(&patch).unwrap(),
    )
    .unwrap();
    let r = raw(
        &base,
        "PATCH",
        &format!("/control-planes/{dev_id}"),
        Some(ADMIN_TOKEN),
        Some(&serde_json::to_string(&patch).unwrap()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    spec.assert_response("/control-planes/{controlPlaneId}", "patch", 200, &r.body);
    assert_eq!(r.body["name"], "development");
    assert_eq!(r.body["labels"], json!({"env": "dev", "tier": "1"}));
    assert_eq!(r.body["description"], "Development", "fields not sent stay as they were");
    let updated = client
        .update_control_plane(
            &dev_id,
            &UpdateControlPlaneRequest {
                description: Some("Dev env".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((updated.name.as_str(), updated.description.as_str()), ("development", "Dev env"));
    let r = raw(
        &base,
        "PATCH",
        &format!("/control-planes/{dev_id}"),
        Some(ADMIN_TOKEN),
        Some(r#"{"name":"staging"}"#),
    )
    .await;
    assert_eq!(r.status, 409, "renaming onto a taken name");
    let r = raw(
        &base,
        "PATCH",
        &format!("/control-planes/{dev_id}"),
        Some(ADMIN_TOKEN),
        Some(r#"{"cluster_type":"CLUSTER_TYPE_SERVERLESS"}"#),
    )
    .await;
    assert_eq!(r.status, 400, "cluster_type is not patchable");
    spec.assert_response("/control-planes/{controlPlaneId}", "patch", 400, &r.body);
    let r = raw(
        &base,
        "PATCH",
        &format!("/control-planes/{missing}"),
        Some(ADMIN_TOKEN),
        Some(r#"{"name":"zz"}"#),
    )
    .await;
    assert_eq!(r.status, 404);
    spec.assert_response("/control-planes/{controlPlaneId}", "patch", 404, &r.body);
    let r = raw(
        &base,
        "PATCH",
        &format!("/control-planes/{default_id}"),
        Some(ADMIN_TOKEN),
        Some(r#"{"name":"renamed"}"#),
    )
    .await;
    assert_eq!(r.status, 400, "the default group keeps its name");
    spec.assert_response("/control-planes/{controlPlaneId}", "patch", 400, &r.body);

    // --- delete ---
    let r = raw(&base, "DELETE", &format!("/control-planes/{default_id}"), Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["detail"].as_str().unwrap().contains("default control plane cannot be deleted"),
        "says why: {}",
        r.body
    );
    spec.assert_response("/control-planes/{controlPlaneId}", "delete", 400, &r.body);
    let (status, problem) = api_status(client.delete_control_plane(&default_id).await.unwrap_err());
    assert_eq!(status, 400);
    assert!(problem.detail.contains("cannot be deleted"));
    let r =
        raw(&base, "DELETE", &format!("/control-planes/{}", staging.id), Some(ADMIN_TOKEN), None)
            .await;
    assert_eq!((r.status, r.body.clone()), (204, Value::Null));
    client.delete_control_plane(&dev_id).await.unwrap();
    assert_eq!(api_status(client.get_control_plane(&dev_id).await.unwrap_err()).0, 404);
    let r =
        raw(&base, "DELETE", &format!("/control-planes/{dev_id}"), Some(ADMIN_TOKEN), None).await;
    assert_eq!(r.status, 404);
    spec.assert_response("/control-planes/{controlPlaneId}", "delete", 404, &r.body);
    let r = raw(&base, "DELETE", "/control-planes/nope", None, None).await;
    assert_eq!(r.status, 401, "authentication comes before anything else");
    cp.shutdown().await;
}

#[tokio::test]
async fn state_survives_a_restart_and_the_admin_token_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let client = KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let created = client
        .create_control_plane(&CreateControlPlaneRequest {
            name: "prod".into(),
            labels: Some(labels(&[("env", "prod")])),
            ..Default::default()
        })
        .await
        .unwrap();
    cp.shutdown().await;

    let cp = start_control_plane(dir.path()).await;
    let client = KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let groups = client.list_all_control_planes().await.unwrap();
    let names: Vec<_> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["default", "prod"], "one default group, never a second one");
    let prod = client.get_control_plane(&created.id).await.unwrap();
    assert_eq!(prod.labels, created.labels);
    assert_eq!(prod.created_at, created.created_at);
    // Tokens are stored hashed: the raw token appears nowhere in the data dir (nor in `keys/`).
    let mut dirs = vec![dir.path().to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(ADMIN_TOKEN.len()).any(|w| w == ADMIN_TOKEN.as_bytes()),
                "the token is stored in clear in {}",
                path.display()
            );
        }
    }
    cp.shutdown().await;
}

/// The validator itself must be able to fail, or every check above proves nothing.
#[test]
fn the_spec_validator_rejects_bodies_konnect_would_not_send() {
    let spec = Spec::load("control-planes.v2.yaml");
    let good = json!({
        "id": "7f9fd312-a987-4628-b4c5-bb4f4fddd5f7",
        "name": "x",
        "description": "",
        "labels": {},
        "config": {
            "control_plane_endpoint": "https://a",
            "telemetry_endpoint": "https://b",
            "cluster_type": "CLUSTER_TYPE_CONTROL_PLANE",
            "auth_type": "pinned_client_certs",
            "cloud_gateway": false,
            "proxy_urls": [],
        },
        "created_at": "2022-11-04T20:10:06.927Z",
        "updated_at": "2022-11-04T20:10:06.927Z",
    });
    spec.check_response("/control-planes/{controlPlaneId}", "get", 200, &good).unwrap();
    let mut no_config = good.clone();
    no_config.as_object_mut().unwrap().remove("config");
    assert!(spec
        .check_response("/control-planes/{controlPlaneId}", "get", 200, &no_config)
        .is_err());
    let mut extra = good.clone();
    extra["surprise"] = json!(1);
    assert!(
        spec.check_response("/control-planes/{controlPlaneId}", "get", 200, &extra).is_err(),
        "additionalProperties: false"
    );
    let mut bad_type = good;
    bad_type["config"]["cluster_type"] = json!("CLUSTER_TYPE_HYBRID");
    assert!(spec
        .check_response("/control-planes/{controlPlaneId}", "get", 200, &bad_type)
        .is_err());
    assert!(
        spec.check_response(
            "/control-planes",
            "post",
            400,
            &json!({"status": 400, "title": "Bad Request", "instance": "x", "detail": "d"})
        )
        .is_err(),
        "400 needs invalid_parameters"
    );
}
