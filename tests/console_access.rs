//! Access: what a token may do in each group, read by the console from the identity API (its
//! own and its teams' assigned roles) and corrected by the 403s it meets, against the real
//! control plane; and the identity endpoints a token reads about itself.

use console::access::AccessSource;
use console::{Console, ErrorCode, Profile};
use konnect::KonnectClient;
use serde_json::json;
use system_tests::faults::{self, Fault};
use system_tests::spec::Spec;
use system_tests::{start_control_plane, Api, ADMIN_TOKEN};

#[tokio::test]
async fn roles_decide_what_the_console_offers_and_403s_correct_it() {
    let identity = Spec::load("identity.v3.yaml");
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let admin = Api::new(cp.base_url(), ADMIN_TOKEN);
    let (_, a) = admin.call("POST", "/v2/control-planes", Some(json!({"name": "team-a"}))).await;
    let (_, b) = admin.call("POST", "/v2/control-planes", Some(json!({"name": "team-b"}))).await;
    let (a, b) = (a["id"].as_str().unwrap().to_string(), b["id"].as_str().unwrap().to_string());

    // A system account: Viewer of A through its team, Route Admin of B on its own.
    let (_, account) = admin
        .call("POST", "/v3/system-accounts", Some(json!({"name": "ci", "description": "pipeline"})))
        .await;
    let account_id = account["id"].as_str().unwrap().to_string();
    let (_, token) = admin
        .call(
            "POST",
            &format!("/v3/system-accounts/{account_id}/access-tokens"),
            Some(json!({"name": "ci", "expires_at": "2099-01-01T00:00:00Z"})),
        )
        .await;
    let spat = token["token"].as_str().unwrap().to_string();
    let (_, team) = admin.call("POST", "/v3/teams", Some(json!({"name": "Readers"}))).await;
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
    assert_eq!(
        admin
            .call(
                "POST",
                &format!("/v3/teams/{team_id}/assigned-roles"),
                Some(json!({
                    "role_name": "Viewer",
                    "entity_id": a,
                    "entity_type_name": "Control Planes",
                    "entity_region": "*",
                }))
            )
            .await
            .0,
        201
    );
    assert_eq!(
        admin
            .call(
                "POST",
                &format!("/v3/system-accounts/{account_id}/assigned-roles"),
                Some(json!({
                    "role_name": "Route Admin",
                    "entity_id": b,
                    "entity_type_name": "Control Planes",
                    "entity_region": "*",
                }))
            )
            .await
            .0,
        201
    );
    let (_, other) = admin.call("POST", "/v3/teams", Some(json!({"name": "Others"}))).await;

    // The account reads its own roles and teams and its team's roles, nobody else's.
    let ci = Api::new(cp.base_url(), spat.clone());
    let (s, roles) =
        ci.call("GET", &format!("/v3/system-accounts/{account_id}/assigned-roles"), None).await;
    assert_eq!(s, 200, "{roles}");
    identity.assert_response("/system-accounts/{accountId}/assigned-roles", "get", 200, &roles);
    let (s, teams) = ci.call("GET", &format!("/v3/system-accounts/{account_id}/teams"), None).await;
    assert_eq!(s, 200, "{teams}");
    identity.assert_response("/system-accounts/{accountId}/teams", "get", 200, &teams);
    assert_eq!(teams["data"][0]["name"], "Readers");
    assert_eq!(ci.call("GET", &format!("/v3/teams/{team_id}/assigned-roles"), None).await.0, 200);
    assert_eq!(
        ci.call(
            "GET",
            &format!("/v3/teams/{}/assigned-roles", other["id"].as_str().unwrap()),
            None
        )
        .await
        .0,
        403
    );
    let (_, admin_me) = admin.call("GET", "/v3/users/me", None).await;
    let admin_id = admin_me["id"].as_str().unwrap();
    assert_eq!(ci.call("GET", &format!("/v3/users/{admin_id}/assigned-roles"), None).await.0, 403);

    // The org admin is in Konnect's "Organization Admin" system team, which cannot be deleted.
    let (s, admin_teams) = admin.call("GET", &format!("/v3/users/{admin_id}/teams"), None).await;
    assert_eq!(s, 200);
    identity.assert_response("/users/{userId}/teams", "get", 200, &admin_teams);
    let org_team = admin_teams["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Organization Admin")
        .expect("org admin team")
        .clone();
    assert_eq!(org_team["system_team"], true);
    assert_eq!(
        admin
            .call("DELETE", &format!("/v3/teams/{}", org_team["id"].as_str().unwrap()), None)
            .await
            .0,
        403
    );
    let (s, admin_roles) =
        admin.call("GET", &format!("/v3/users/{admin_id}/assigned-roles"), None).await;
    assert_eq!(s, 200);
    identity.assert_response("/users/{userId}/assigned-roles", "get", 200, &admin_roles);

    // The console with the account's token: Viewer of A, Route Admin of B, no group creation.
    let console = Console::new(
        Profile::local(),
        KonnectClient::new(&cp.base_url(), spat.clone()).unwrap(),
        &app_dir.path().join("ci.sqlite"),
    )
    .unwrap();
    console.refresh_overview().await.unwrap();
    let access = console.access().await.unwrap();
    assert_eq!(access.source, AccessSource::Roles);
    assert!(!access.org_admin && !access.can_create_groups);
    assert_eq!(
        access.groups.len(),
        2,
        "the account lists the two groups it has a role in: {access:?}"
    );
    let in_a = &access.groups[&a];
    assert_eq!(in_a.roles, ["Viewer"]);
    assert!(in_a.writable_kinds.is_empty() && !in_a.can_edit_group && !in_a.can_manage_nodes);
    assert_eq!(
        in_a.reason.as_deref(),
        Some("Not allowed by your roles in this runtime group (Viewer).")
    );
    let in_b = &access.groups[&b];
    assert_eq!(in_b.roles, ["Route Admin"]);
    assert_eq!(in_b.writable_kinds, ["routes"]);
    assert!(!in_b.can_edit_group && !in_b.can_import);
    // What the roles allow, the API allows; what they do not, it refuses.
    let (_, svc) = admin
        .call(
            "POST",
            &format!("/v2/control-planes/{b}/core-entities/services"),
            Some(json!({"name": "users", "host": "users.internal"})),
        )
        .await;
    let route = console
        .create_entity(
            &b,
            "routes",
            json!({"name": "users", "paths": ["/users"], "service": {"id": svc["id"]}}),
        )
        .await
        .unwrap();
    assert_eq!(route["name"], "users");
    let refused = console
        .create_entity(&b, "services", json!({"name": "orders", "host": "orders.internal"}))
        .await
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);

    // The org admin may do everything, and create groups.
    let admin_console = Console::new(
        Profile::local(),
        KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap(),
        &app_dir.path().join("admin.sqlite"),
    )
    .unwrap();
    admin_console.refresh_overview().await.unwrap();
    let all = admin_console.access().await.unwrap();
    assert!(all.org_admin && all.can_create_groups, "{all:?}");
    assert_eq!(all.groups[&a].writable_kinds.len(), console::entities::EDITABLE_KINDS.len());
    assert!(
        all.groups[&a].can_edit_group
            && all.groups[&a].can_manage_nodes
            && all.groups[&a].can_import
    );
    assert_eq!(all.groups[&a].roles, ["Organization Admin"]);

    // When the identity API will not say, everything is offered until the API refuses it; each
    // 403 then disables that action in that group, with the API's own words.
    let proxy = faults::start(cp.base_url()).await;
    let blind = Console::new(
        Profile::local(),
        KonnectClient::new(&proxy.base, spat.clone()).unwrap(),
        &app_dir.path().join("blind.sqlite"),
    )
    .unwrap();
    blind.refresh_overview().await.unwrap();
    proxy.script(vec![Fault::Status(403)]);
    let unknown = blind.access().await.unwrap();
    assert_eq!(unknown.source, AccessSource::Unknown);
    assert!(unknown.note.as_deref().unwrap().contains("until the API refuses"), "{unknown:?}");
    assert!(unknown.groups[&a].writable_kinds.contains(&"services".to_string()));
    let err = blind
        .create_entity(&a, "services", json!({"name": "orders", "host": "orders.internal"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let err = blind.delete_group(&a).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let learned = blind.access().await.unwrap();
    let in_a = &learned.groups[&a];
    assert!(!in_a.writable_kinds.contains(&"services".to_string()), "{in_a:?}");
    assert!(
        in_a.writable_kinds.contains(&"routes".to_string()),
        "only what was refused is disabled"
    );
    assert!(!in_a.can_edit_group);
    assert_eq!(
        in_a.refused["services"],
        "Insufficient role-set to modify services in this control plane."
    );
    assert_eq!(in_a.refused["group"], "Insufficient role-set to manage this control plane.");
    assert_eq!(in_a.reason, None, "the roles are unknown, so only refusals explain");
    assert!(
        learned.groups[&b].writable_kinds.contains(&"services".to_string()),
        "a refusal in A says nothing about B"
    );

    // Offline, the roles last read still decide.
    let offline = Console::new(
        Profile::local(),
        KonnectClient::new("http://127.0.0.1:9", spat).unwrap(),
        &app_dir.path().join("ci.sqlite"),
    )
    .unwrap();
    let cached = offline.access().await.unwrap();
    assert_eq!(cached.source, AccessSource::Roles);
    assert_eq!(cached.groups[&b].writable_kinds, ["routes"]);
}
