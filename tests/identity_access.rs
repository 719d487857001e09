//! Who may do what: system accounts, tokens, teams and roles per group, enforced on every
//! endpoint; plus `organizations/me`, decK's legacy group list and the control plane's own OpenAPI.

use serde_json::{json, Value};
use system_tests::spec::Spec;
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};

#[tokio::test]
async fn a_viewer_reads_its_group_only_and_every_write_is_refused() {
    let identity = Spec::load("identity.v3.yaml");
    let planes = Spec::load("control-planes.v2.yaml");
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let base = cp.base_url();
    let admin = Api::new(base.clone(), ADMIN_TOKEN);

    let (_, a) = admin.call("POST", "/v2/control-planes", Some(json!({"name": "team-a"}))).await;
    let (_, b) = admin.call("POST", "/v2/control-planes", Some(json!({"name": "team-b"}))).await;
    let (a, b) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());

    // A system account with a token, in a team that is Viewer of group A.
    let (s, account) = admin
        .call(
            "POST",
            "/v3/system-accounts",
            Some(json!({"name": "ci-viewer", "description": "reads team-a"})),
        )
        .await;
    assert_eq!(s, 201, "{account}");
    identity.assert_response("/system-accounts", "post", 201, &account);
    let account_id = account["id"].as_str().unwrap().to_string();
    assert_eq!(
        admin.call("POST", "/v3/system-accounts", Some(json!({"name": "ci-viewer"}))).await.0,
        409
    );
    let expires = "2099-01-01T00:00:00Z";
    let (s, token) = admin
        .call(
            "POST",
            &format!("/v3/system-accounts/{account_id}/access-tokens"),
            Some(json!({"name": "ci", "expires_at": expires})),
        )
        .await;
    assert_eq!(s, 201, "{token}");
    identity.assert_response("/system-accounts/{accountId}/access-tokens", "post", 201, &token);
    let spat = token["token"].as_str().unwrap().to_string();
    assert!(spat.starts_with("spat_"));
    let (_, listed) =
        admin.call("GET", &format!("/v3/system-accounts/{account_id}/access-tokens"), None).await;
    assert!(listed["data"][0].get("token").is_none(), "a token is shown once, never listed");
    assert_eq!(
        admin
            .call(
                "POST",
                &format!("/v3/system-accounts/{account_id}/access-tokens"),
                Some(json!({"name": "old", "expires_at": "2001-01-01T00:00:00Z"}))
            )
            .await
            .0,
        400
    );

    let (s, team) = admin
        .call("POST", "/v3/teams", Some(json!({"name": "Readers", "description": "read-only"})))
        .await;
    assert_eq!(s, 201, "{team}");
    identity.assert_response("/teams", "post", 201, &team);
    let team_id = team["id"].as_str().unwrap().to_string();
    assert_eq!(
        admin
            .call(
                "POST",
                &format!("/v3/teams/{team_id}/system-accounts"),
                Some(json!({"id": account_id}))
            )
            .await
            .0,
        201
    );
    let (_, members) =
        admin.call("GET", &format!("/v3/teams/{team_id}/system-accounts"), None).await;
    identity.assert_response("/teams/{teamId}/system-accounts", "get", 200, &members);
    assert_eq!(members["data"][0]["name"], "ci-viewer");
    let (s, role) = admin
        .call(
            "POST",
            &format!("/v3/teams/{team_id}/assigned-roles"),
            Some(json!({
                "role_name": "Viewer",
                "entity_id": a,
                "entity_type_name": "Control Planes",
                "entity_region": "us",
            })),
        )
        .await;
    assert_eq!(s, 201, "{role}");
    identity.assert_response("/teams/{teamId}/assigned-roles", "post", 201, &role);
    assert_eq!(
        admin
            .call(
                "POST",
                &format!("/v3/teams/{team_id}/assigned-roles"),
                Some(json!({
                    "role_name": "Viewer",
                    "entity_id": a,
                    "entity_type_name": "Control Planes",
                    "entity_region": "us",
                }))
            )
            .await
            .0,
        409
    );
    assert_eq!(
        admin
            .call(
                "POST",
                &format!("/v3/teams/{team_id}/assigned-roles"),
                Some(json!({
                    "role_name": "Wizard",
                    "entity_id": a,
                    "entity_type_name": "Control Planes",
                }))
            )
            .await
            .0,
        400
    );

    let viewer = Api::new(base.clone(), spat.clone());
    let (s, me) = viewer.call("GET", "/v3/users/me", None).await;
    assert_eq!(s, 200);
    identity.assert_response("/users/me", "get", 200, &me);
    let (s, list) = viewer.call("GET", "/v2/control-planes", None).await;
    assert_eq!(s, 200);
    let names: Vec<_> =
        list["data"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["team-a"], "a viewer lists only what it may read");
    assert_eq!(viewer.call("GET", &format!("/v2/control-planes/{a}"), None).await.0, 200);
    assert_eq!(
        viewer.call("GET", &format!("/v2/control-planes/{a}/core-entities/services"), None).await.0,
        200
    );
    assert_eq!(viewer.call("GET", &format!("/v2/control-planes/{a}/nodes"), None).await.0, 200);
    let (s, denied) = viewer.call("GET", &format!("/v2/control-planes/{b}"), None).await;
    assert_eq!(s, 403);
    planes.assert_response("/control-planes/{controlPlaneId}", "get", 403, &denied);

    for (method, path, body) in [
        ("POST", "/v2/control-planes".to_string(), json!({"name": "sneaky"})),
        ("PATCH", format!("/v2/control-planes/{a}"), json!({"description": "x"})),
        ("DELETE", format!("/v2/control-planes/{a}"), Value::Null),
        (
            "POST",
            format!("/v2/control-planes/{a}/core-entities/services"),
            json!({"host": "x.internal"}),
        ),
        ("PUT", format!("/v2/control-planes/{a}/core-entities/consumers/bob"), json!({})),
        ("POST", format!("/v2/control-planes/{a}/dp-client-certificates"), json!({"cert": "x"})),
        ("POST", "/v3/teams".to_string(), json!({"name": "escalate"})),
        (
            "POST",
            format!("/v3/teams/{team_id}/assigned-roles"),
            json!({"role_name": "Admin", "entity_id": a, "entity_type_name": "Control Planes"}),
        ),
    ] {
        let (s, body) =
            viewer.call(method, &path, if body.is_null() { None } else { Some(body) }).await;
        assert_eq!(s, 403, "{method} {path} must be refused: {body}");
        assert_eq!(body["title"], "Permission denied");
        assert!(!body["detail"].as_str().unwrap().is_empty());
    }
    let (s, denied) =
        viewer.call("POST", "/v2/control-planes", Some(json!({"name": "sneaky"}))).await;
    planes.assert_response("/control-planes", "post", s, &denied);
    assert_eq!(denied["detail"], "Insufficient role-set to create control planes.");

    // A Deployer may change services in its group, but not the group itself, nor consumers.
    admin
        .call(
            "POST",
            &format!("/v3/system-accounts/{account_id}/assigned-roles"),
            Some(json!({
                "role_name": "Deployer",
                "entity_id": a,
                "entity_type_name": "Control Planes",
            })),
        )
        .await;
    assert_eq!(
        viewer
            .call(
                "POST",
                &format!("/v2/control-planes/{a}/core-entities/services"),
                Some(json!({"host": "x.internal"}))
            )
            .await
            .0,
        201
    );
    assert_eq!(
        viewer
            .call(
                "POST",
                &format!("/v2/control-planes/{a}/core-entities/consumers"),
                Some(json!({"username": "eve"}))
            )
            .await
            .0,
        403
    );
    assert_eq!(
        viewer
            .call("PATCH", &format!("/v2/control-planes/{a}"), Some(json!({"description": "x"})))
            .await
            .0,
        403
    );

    // A Creator creates a group and is its Admin.
    let (_, roles) =
        admin.call("GET", &format!("/v3/system-accounts/{account_id}/assigned-roles"), None).await;
    identity.assert_response("/system-accounts/{accountId}/assigned-roles", "get", 200, &roles);
    admin
        .call(
            "POST",
            &format!("/v3/system-accounts/{account_id}/assigned-roles"),
            Some(json!({
                "role_name": "Creator",
                "entity_id": "*",
                "entity_type_name": "Control Planes",
            })),
        )
        .await;
    let (s, mine) =
        viewer.call("POST", "/v2/control-planes", Some(json!({"name": "created-by-ci"}))).await;
    assert_eq!(s, 201, "{mine}");
    let mine = mine["id"].as_str().unwrap();
    assert_eq!(
        viewer
            .call(
                "PATCH",
                &format!("/v2/control-planes/{mine}"),
                Some(json!({"description": "mine"}))
            )
            .await
            .0,
        200
    );
    assert_eq!(
        viewer.call("GET", &format!("/v2/control-planes/{b}"), None).await.0,
        403,
        "Creator reads only what it made"
    );

    let (s, roles) = viewer.call("GET", "/v3/roles", None).await;
    assert_eq!(s, 200);
    identity.assert_response("/roles", "get", 200, &roles);
    for role in ["admin", "viewer", "creator", "deployer"] {
        assert!(roles["control_planes"]["roles"][role]["name"].is_string(), "{role}");
    }

    // Revoked tokens stop working at once.
    let token_id = token["id"].as_str().unwrap();
    assert_eq!(
        admin
            .call(
                "DELETE",
                &format!("/v3/system-accounts/{account_id}/access-tokens/{token_id}"),
                None
            )
            .await
            .0,
        204
    );
    assert_eq!(viewer.call("GET", "/v2/control-planes", None).await.0, 401);

    // Organization and the legacy list decK uses.
    let (s, org) = admin.call("GET", "/v2/organizations/me", None).await;
    assert_eq!(s, 200);
    identity.assert_response("/organizations/me", "get", 200, &org);
    let (_, legacy) =
        admin.call("GET", "/konnect-api/api/runtime_groups?page=1&size=2", None).await;
    assert_eq!((legacy["page"].as_i64(), legacy["pageCount"].as_i64()), (Some(1), Some(2)));
    assert_eq!(legacy["data"][0]["name"], "default");
    cp.shutdown().await;
}

/// The control plane's OpenAPI document lists exactly what it serves: every listed operation is
/// routed (never the "No such API path" fallback nor 405), and unlisted paths are not.
#[tokio::test]
async fn the_served_openapi_document_matches_the_router() {
    let dir = tempfile::tempdir().unwrap();
    let cp = start_control_plane(dir.path()).await;
    let base = cp.base_url();
    let http = reqwest::Client::new();
    let text = http.get(format!("{base}/openapi.yaml")).send().await.unwrap().text().await.unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let doc: Value = serde_json::to_value(doc).unwrap();
    let default_id = konnect::KonnectClient::new(&base, ADMIN_TOKEN)
        .unwrap()
        .list_all_control_planes()
        .await
        .unwrap()
        .remove(0)
        .id;
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path
                .replace("{controlPlaneId}", &default_id)
                .replace("{entity}", "services")
                .replace("{parent}", "services")
                .replace("{pluginName}", "key-auth")
                .replace(['{', '}'], "");
            let resp = http
                .request(method.to_uppercase().parse().unwrap(), format!("{base}{concrete}"))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is not routed");
            assert!(
                !body.contains("No such API path"),
                "{method} {path} falls through to the fallback"
            );
            checked += 1;
        }
    }
    assert!(checked >= 60, "{checked} operations documented");
    let resp =
        http.get(format!("{base}/v2/not-a-thing")).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
    assert!(
        resp.text().await.unwrap().contains("No such API path"),
        "and an undocumented path is not served"
    );
    cp.shutdown().await;
}
