//! Tauri commands: one-line delegations to `console::Console`.

use console::embedded::EmbeddedDefault;
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
