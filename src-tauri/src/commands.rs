//! Tauri commands: one-line delegations to `console::Console`.

use console::embedded::{EmbeddedDefault, StartedInstance};
use console::analytics::Dashboard;
use console::demo::DemoStatus;
use console::instances::GroupInstances;
use console::{ConsoleError, NewRuntimeGroup, Overview, RuntimeGroupRow};
use tauri::State;

type Embedded<'a> = State<'a, EmbeddedDefault>;

#[tauri::command]
pub async fn cached_overview(app: Embedded<'_>) -> Result<Overview, ConsoleError> {
    app.console.cached_overview().await
}

#[tauri::command]
pub async fn refresh_overview(app: Embedded<'_>) -> Result<Overview, ConsoleError> {
    app.console.refresh_overview().await
}

#[tauri::command]
pub async fn create_group(app: Embedded<'_>, form: NewRuntimeGroup) -> Result<RuntimeGroupRow, ConsoleError> {
    app.console.create_group(form).await
}

#[tauri::command]
pub async fn delete_group(app: Embedded<'_>, id: String) -> Result<(), ConsoleError> {
    app.console.delete_group(&id).await
}

#[tauri::command]
pub async fn group_instances(app: Embedded<'_>, id: String) -> Result<GroupInstances, ConsoleError> {
    app.console.group_instances(&id).await
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
pub async fn group_dashboard(app: Embedded<'_>, id: String, time_frame: String) -> Result<Dashboard, ConsoleError> {
    app.console.group_dashboard(&id, &time_frame).await
}

#[tauri::command]
pub async fn new_runtime_instance(app: Embedded<'_>, id: String) -> Result<StartedInstance, ConsoleError> {
    app.new_runtime_instance(&id).await
}

#[tauri::command]
pub async fn group_entities(app: Embedded<'_>, id: String, kind: String) -> Result<console::entities::EntityList, ConsoleError> {
    app.console.group_entities(&id, &kind).await
}

#[tauri::command]
pub async fn create_entity(app: Embedded<'_>, id: String, kind: String, body: serde_json::Value) -> Result<serde_json::Value, ConsoleError> {
    app.console.create_entity(&id, &kind, body).await
}

#[tauri::command]
pub async fn update_entity(app: Embedded<'_>, id: String, kind: String, entity_id: String, body: serde_json::Value) -> Result<serde_json::Value, ConsoleError> {
    app.console.update_entity(&id, &kind, &entity_id, body).await
}

#[tauri::command]
pub async fn delete_entity(app: Embedded<'_>, id: String, kind: String, entity_id: String) -> Result<(), ConsoleError> {
    app.console.delete_entity(&id, &kind, &entity_id).await
}

#[tauri::command]
pub async fn search(app: Embedded<'_>, query: String) -> Result<Vec<console::search::SearchHit>, ConsoleError> {
    app.console.search(&query, 20).await
}
