//! Tauri commands: one-line delegations to `console::Console`.

use console::analytics::Dashboard;
use console::demo::DemoStatus;
use console::embedded::{EmbeddedDefault, StartedInstance};
use console::instances::GroupInstances;
use console::{ConsoleError, NewRuntimeGroup, Overview, RuntimeGroupRow};
use tauri::State;

type Embedded<'a> = State<'a, EmbeddedDefault>;

#[tauri::command]
pub async fn cached_overview(app: Embedded<'_>) -> Result<Overview, ConsoleError> {
    app.console().await.cached_overview().await
}

#[tauri::command]
pub async fn refresh_overview(app: Embedded<'_>) -> Result<Overview, ConsoleError> {
    app.console().await.refresh_overview().await
}

#[tauri::command]
pub async fn create_group(
    app: Embedded<'_>,
    form: NewRuntimeGroup,
) -> Result<RuntimeGroupRow, ConsoleError> {
    app.console().await.create_group(form).await
}

#[tauri::command]
pub async fn update_group(
    app: Embedded<'_>,
    id: String,
    form: NewRuntimeGroup,
) -> Result<RuntimeGroupRow, ConsoleError> {
    app.console().await.update_group(&id, form).await
}

#[tauri::command]
pub async fn delete_group(app: Embedded<'_>, id: String) -> Result<(), ConsoleError> {
    app.console().await.delete_group(&id).await
}

#[tauri::command]
pub async fn group_instances(
    app: Embedded<'_>,
    id: String,
) -> Result<GroupInstances, ConsoleError> {
    app.console().await.group_instances(&id).await
}

#[tauri::command]
pub async fn demo_status(app: Embedded<'_>) -> Result<DemoStatus, ConsoleError> {
    Ok(app.demo_status().await)
}

#[tauri::command]
pub async fn remove_demo(app: Embedded<'_>) -> Result<DemoStatus, ConsoleError> {
    app.remove_demo().await
}

#[tauri::command]
pub async fn group_dashboard(
    app: Embedded<'_>,
    id: String,
    time_frame: String,
) -> Result<Dashboard, ConsoleError> {
    app.console().await.group_dashboard(&id, &time_frame).await
}

#[tauri::command]
pub async fn new_runtime_instance(
    app: Embedded<'_>,
    id: String,
) -> Result<StartedInstance, ConsoleError> {
    app.new_runtime_instance(&id).await
}

#[tauri::command]
pub async fn group_entities(
    app: Embedded<'_>,
    id: String,
    kind: String,
) -> Result<console::entities::EntityList, ConsoleError> {
    app.console().await.group_entities(&id, &kind).await
}

#[tauri::command]
pub async fn create_entity(
    app: Embedded<'_>,
    id: String,
    kind: String,
    body: serde_json::Value,
) -> Result<serde_json::Value, ConsoleError> {
    app.console().await.create_entity(&id, &kind, body).await
}

#[tauri::command]
pub async fn update_entity(
    app: Embedded<'_>,
    id: String,
    kind: String,
    entity_id: String,
    body: serde_json::Value,
) -> Result<serde_json::Value, ConsoleError> {
    app.console().await.update_entity(&id, &kind, &entity_id, body).await
}

#[tauri::command]
pub async fn delete_entity(
    app: Embedded<'_>,
    id: String,
    kind: String,
    entity_id: String,
) -> Result<(), ConsoleError> {
    app.console().await.delete_entity(&id, &kind, &entity_id).await
}

#[tauri::command]
pub async fn search(
    app: Embedded<'_>,
    query: String,
) -> Result<Vec<console::search::SearchHit>, ConsoleError> {
    app.console().await.search(&query, 20).await
}

#[tauri::command]
pub async fn access(app: Embedded<'_>) -> Result<console::access::AccessView, ConsoleError> {
    app.console().await.access().await
}

#[tauri::command]
pub async fn sync_now(
    app: Embedded<'_>,
    window: tauri::Window,
) -> Result<console::sync::SyncReport, ConsoleError> {
    use tauri::Emitter;
    app.sync_now(std::sync::Arc::new(move |p| {
        let _ = window.emit("sync-progress", p);
    }))
    .await
}

#[tauri::command]
pub async fn cancel_sync(app: Embedded<'_>) -> Result<bool, ConsoleError> {
    Ok(app.cancel_sync())
}

#[tauri::command]
pub async fn export_group(
    app: Embedded<'_>,
    id: String,
    format: String,
) -> Result<String, ConsoleError> {
    app.console().await.export_group(&id, &format).await
}

#[tauri::command]
pub async fn plan_import(
    app: Embedded<'_>,
    id: String,
    file: String,
) -> Result<console::declarative::ImportPlan, ConsoleError> {
    app.console().await.plan_import(&id, &file).await
}

#[tauri::command]
pub async fn apply_import(
    app: Embedded<'_>,
    id: String,
    file: String,
) -> Result<console::transfer::ImportResult, ConsoleError> {
    app.console().await.apply_import(&id, &file).await
}

#[tauri::command]
pub async fn compare_groups(
    app: Embedded<'_>,
    left: String,
    right: String,
    time_frame: String,
) -> Result<console::transfer::Comparison, ConsoleError> {
    app.console().await.compare_groups(&left, &right, &time_frame).await
}

/// Saves an export (a decK file, a chart) and says where; the shell only knows the downloads folder.
#[tauri::command]
pub async fn save_export(
    app: Embedded<'_>,
    handle: tauri::AppHandle,
    name: String,
    text: Option<String>,
    chart: Option<(String, String, String)>,
) -> Result<String, ConsoleError> {
    use tauri::Manager;
    app.save_export(handle.path().download_dir().ok(), &name, text, chart).await
}

#[tauri::command]
pub async fn list_profiles(
    app: Embedded<'_>,
) -> Result<console::profiles::ProfileList, ConsoleError> {
    Ok(app.list_profiles())
}

#[tauri::command]
pub async fn add_konnect_profile(
    app: Embedded<'_>,
    form: console::profiles::NewKonnectProfile,
) -> Result<console::profiles::ProfileList, ConsoleError> {
    app.add_konnect_profile(form).await
}

#[tauri::command]
pub async fn switch_profile(
    app: Embedded<'_>,
    id: String,
) -> Result<console::profiles::ProfileList, ConsoleError> {
    app.switch_profile(&id).await
}

#[tauri::command]
pub async fn remove_profile(
    app: Embedded<'_>,
    id: String,
) -> Result<console::profiles::ProfileList, ConsoleError> {
    app.remove_profile(&id).await
}
