//! Consumer group membership through the console: add a consumer to a group, list the group's
//! members and the consumer's groups, remove it, and read both lists from the cache with the
//! control plane stopped.

use console::{Console, ErrorCode, Profile};
use konnect::{KonnectClient, RetryPolicy};
use serde_json::json;
use system_tests::{start_control_plane, ADMIN_TOKEN};

#[tokio::test]
async fn consumers_join_and_leave_consumer_groups_and_the_lists_hold_offline() {
    let (cp_dir, app_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cp = start_control_plane(cp_dir.path()).await;
    let retry = RetryPolicy {
        base_delay: std::time::Duration::from_millis(5),
        max_delay: std::time::Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    let client = KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap().with_retry(retry);
    let g = client.list_all_control_planes().await.unwrap().remove(0).id;
    let console = Console::new(Profile::local(), client, &app_dir.path().join("c.sqlite")).unwrap();
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_string();
    let gold =
        id(&console.create_entity(&g, "consumer_groups", json!({"name": "gold"})).await.unwrap());
    let ann =
        id(&console.create_entity(&g, "consumers", json!({"username": "ann"})).await.unwrap());
    let bob =
        id(&console.create_entity(&g, "consumers", json!({"username": "bob"})).await.unwrap());

    for who in [&ann, &bob] {
        console.add_consumer_group_member(&g, &gold, who).await.unwrap();
    }
    let members = console.consumer_group_members(&g, &gold).await.unwrap();
    let mut names: Vec<&str> = members.rows.iter().filter_map(|c| c["username"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["ann", "bob"]);
    let groups = console.consumer_groups_of(&g, &ann).await.unwrap();
    assert_eq!(groups.rows[0]["name"], "gold");

    console.remove_consumer_group_member(&g, &gold, &bob).await.unwrap();
    console.remove_consumer_group_member(&g, &gold, &bob).await.unwrap();
    let members = console.consumer_group_members(&g, &gold).await.unwrap();
    assert_eq!(members.rows.len(), 1, "bob left, removing twice is fine");
    let nobody = console.add_consumer_group_member(&g, &gold, "no-such-consumer").await;
    assert!(nobody.is_err(), "an unknown consumer is refused");

    cp.shutdown().await;
    let cached = console.consumer_group_members(&g, &gold).await.unwrap();
    assert!(cached.offline_reason.is_some());
    assert_eq!(cached.rows[0]["username"], "ann");
    let offline = console.add_consumer_group_member(&g, &gold, &bob).await.unwrap_err();
    assert_eq!(offline.code, ErrorCode::Offline);
}
