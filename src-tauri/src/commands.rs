//! Tauri commands, each declared once in `commands!`: the declaration is the Rust function (a
//! one-line delegation to `console`), its registration with Tauri (`handler`) and its typed
//! TypeScript wrapper (`ui/src/bindings/commands.ts`, generated from `signatures` by this crate's
//! tests, which fail when the file drifts from the declarations).

use console::access::AccessView;
use console::analytics::Dashboard;
use console::certificates::CertificateDetails;
use console::connection::Connection;
use console::declarative::ImportPlan;
use console::embedded::{EmbeddedDefault, StartedInstance};
use console::entities::{EntityList, EntityListJson};
use console::instances::GroupInstances;
use console::local_data::{DataFolder, DataLocations};
use console::profiles::{NewKonnectProfile, ProfileList};
use console::schemas::{AvailablePlugins, KongSchema, SchemaSyncReport};
use console::search::SearchHit;
use console::settings::Settings;
use console::sync::SyncReport;
use console::transfer::{Comparison, ImportResult};
use console::TimeFrame;
use console::{ConsoleError, EntityKind, ExportFormat, NewRuntimeGroup, Overview, RuntimeGroupRow};
use demo::{Demo, DemoStatus};
use tauri::State;

use crate::desktop::Versions;

type Embedded<'a> = State<'a, EmbeddedDefault>;

/// A command as the UI sees it: its name, arguments (camelCase, as Tauri passes them) and the
/// TypeScript type it resolves to.
pub struct Signature {
    pub name: &'static str,
    pub docs: Vec<&'static str>,
    pub args: Vec<(&'static str, String)>,
    pub returns: String,
    /// The bindings its types come from: (type name, file under `ui/src/bindings`).
    pub imports: Vec<(String, String)>,
}

/// `fn name(app, arg: Type, …) [with (tauri_arg: TauriType, …)] -> Return { body }`: `app` is the
/// embedded default; the `with` arguments are Tauri's own (a window, the app handle) and are not
/// part of the UI's call.
macro_rules! commands {
    ($(
        $(#[doc = $doc:literal])*
        fn $name:ident($app:ident $(, $arg:ident : $aty:ty)* $(,)?)
            $(with ($($xn:ident : $xt:ty),*))?
            -> $ret:ty $body:block
    )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            pub async fn $name(
                $app: Embedded<'_>,
                $($arg: $aty,)*
                $($($xn: $xt,)*)?
            ) -> Result<$ret, ConsoleError> {
                // When each call began (after launch) and how long it took: where a slow screen
                // spends its time, with RUST_LOG=runtime_manager=debug.
                let began = std::time::Instant::now();
                let after_ms = crate::since_start();
                let answer = async move $body.await;
                let took_ms = began.elapsed().as_secs_f64() * 1000.0;
                tracing::debug!(after_ms, took_ms, "command {}", stringify!($name));
                answer
            }
        )*

        /// Registers every command with Tauri.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Every command's signature, which the TypeScript wrappers are generated from.
        pub fn signatures() -> Vec<Signature> {
            vec![$({
                let mut imports = Vec::new();
                $(typescript::imports::<$aty>(&mut imports);)*
                typescript::imports::<$ret>(&mut imports);
                Signature {
                    name: stringify!($name),
                    docs: vec![$($doc),*],
                    args: vec![$((stringify!($arg), typescript::name::<$aty>())),*],
                    returns: typescript::name::<$ret>(),
                    imports,
                }
            }),*]
        }
    };
}

commands! {
    /// The overview from the cache alone: what was last known, with no network.
    fn cached_overview(app) -> Overview {
        app.console().await.cached_overview().await
    }

    /// Syncs, then the overview; offline, the cached one marked with why.
    fn refresh_overview(app) -> Overview {
        app.console().await.refresh_overview().await
    }

    fn create_group(app, form: NewRuntimeGroup) -> RuntimeGroupRow {
        app.console().await.create_group(form).await
    }

    fn update_group(app, id: String, form: NewRuntimeGroup) -> RuntimeGroupRow {
        app.console().await.update_group(&id, form).await
    }

    fn delete_group(app, id: String) -> () {
        app.console().await.delete_group(&id).await
    }

    fn group_instances(app, id: String) -> GroupInstances {
        app.console().await.group_instances(&id).await
    }

    /// The living demo (the demo crate): what runs, on the Local profile.
    fn demo_status(app) with (demo: State<'_, Demo>) -> DemoStatus {
        Ok(demo.status(&app).await)
    }

    /// Removes the demo: its traffic, runtimes and groups; it does not come back on later runs.
    fn remove_demo(app) with (demo: State<'_, Demo>) -> DemoStatus {
        demo.remove(&app).await
    }

    fn group_dashboard(app, id: String, time_frame: TimeFrame) -> Dashboard {
        app.console().await.group_dashboard(&id, time_frame).await
    }

    /// The consumers in a consumer group.
    fn consumer_group_members(app, id: String, consumer_group_id: String) -> EntityList {
        app.console().await.consumer_group_members(&id, &consumer_group_id).await
    }

    /// The consumer groups a consumer is in.
    fn consumer_groups_of(app, id: String, consumer_id: String) -> EntityList {
        app.console().await.consumer_groups_of(&id, &consumer_id).await
    }

    fn add_consumer_group_member(
        app,
        id: String,
        consumer_group_id: String,
        consumer_id: String,
    ) -> () {
        app.console().await.add_consumer_group_member(&id, &consumer_group_id, &consumer_id).await
    }

    fn remove_consumer_group_member(
        app,
        id: String,
        consumer_group_id: String,
        consumer_id: String,
    ) -> () {
        let console = app.console().await;
        console.remove_consumer_group_member(&id, &consumer_group_id, &consumer_id).await
    }

    /// One runtime instance's own traffic.
    fn instance_dashboard(app, id: String, node_id: String, time_frame: TimeFrame) -> Dashboard {
        app.console().await.instance_dashboard(&id, &node_id, time_frame).await
    }

    fn new_runtime_instance(app, id: String) -> StartedInstance {
        app.new_runtime_instance(&id).await
    }

    /// A group's entities of one kind from the cache (null when none were cached), shown at once:
    /// the `first` of them in the API's order, or all.
    fn cached_group_entities(app, id: String, kind: EntityKind, first: Option<u32>)
        -> Option<EntityListJson>
    {
        let first = first.map(|n| n as usize);
        app.console().await.cached_group_entities_json(&id, kind, first).await
    }

    fn group_entities(app, id: String, kind: EntityKind) -> EntityList {
        app.console().await.group_entities(&id, kind).await
    }

    fn create_entity(app, id: String, kind: EntityKind, body: serde_json::Value)
        -> serde_json::Value
    {
        app.console().await.create_entity(&id, kind, body).await
    }

    fn update_entity(
        app,
        id: String,
        kind: EntityKind,
        entity_id: String,
        body: serde_json::Value,
    ) -> serde_json::Value {
        app.console().await.update_entity(&id, kind, &entity_id, body).await
    }

    fn delete_entity(app, id: String, kind: EntityKind, entity_id: String) -> () {
        app.console().await.delete_entity(&id, kind, &entity_id).await
    }

    /// A plugin's Kong schema from the group's API; offline, the cached copy marked with why.
    fn plugin_schema(app, id: String, name: String) -> KongSchema {
        app.console().await.plugin_schema(&id, &name).await
    }

    /// An entity kind's Kong schema (the local control plane's; Konnect publishes none).
    fn entity_schema(app, id: String, kind: EntityKind) -> KongSchema {
        app.console().await.entity_schema(&id, kind).await
    }

    fn available_plugins(app, id: String) -> AvailablePlugins {
        app.console().await.available_plugins(&id).await
    }

    /// Checks an entity against the group's schemas without saving it.
    fn validate_entity(app, id: String, kind: EntityKind, body: serde_json::Value) -> String {
        app.console().await.validate_entity(&id, kind, body).await
    }

    /// Caches the group's schemas for offline forms: plugins in use, and every kind's.
    fn sync_schemas(app, id: String) -> SchemaSyncReport {
        app.console().await.sync_schemas(&id).await
    }

    /// An entity as YAML, written by the serializer decK exports use.
    fn entity_yaml(app, entity: serde_json::Value) -> String {
        let _ = app;
        console::yaml::to_string(&entity)
    }

    /// What a certificate's PEM says: subject, issuer, SANs, validity (no network needed).
    fn certificate_details(app, pem: String) -> CertificateDetails {
        let _ = app;
        console::certificates::certificate_details(&pem)
    }

    fn search(app, query: String) -> Vec<SearchHit> {
        app.console().await.search(&query, 20).await
    }

    /// What the token may do in each group: roles from the identity API, then the 403s met.
    fn access(app) -> AccessView {
        app.console().await.access().await
    }

    /// One sync with progress events (`sync-progress`); a second while one runs is refused.
    fn sync_now(app) with (window: tauri::Window) -> SyncReport {
        use tauri::Emitter;
        app.sync_now(std::sync::Arc::new(move |p| {
            let _ = window.emit("sync-progress", p);
        }))
        .await
    }

    fn cancel_sync(app) -> bool {
        Ok(app.cancel_sync())
    }

    fn export_group(app, id: String, format: ExportFormat) -> String {
        app.console().await.export_group(&id, format).await
    }

    fn plan_import(app, id: String, file: String) -> ImportPlan {
        app.console().await.plan_import(&id, &file).await
    }

    /// Applies a decK file with progress events (`import-progress`).
    fn apply_import(app, id: String, file: String) with (window: tauri::Window) -> ImportResult {
        use tauri::Emitter;
        let progress = std::sync::Arc::new(move |p| {
            let _ = window.emit("import-progress", p);
        });
        app.console().await.apply_import_with_progress(&id, &file, progress).await
    }

    fn compare_groups(app, left: String, right: String, time_frame: TimeFrame) -> Comparison {
        app.console().await.compare_groups(&left, &right, time_frame).await
    }

    /// Saves text, or a dashboard chart (group, time frame, `traffic` or `error_rate`) as PNG, in
    /// the downloads folder; the path it was saved to.
    fn save_export(
        app,
        name: String,
        text: Option<String>,
        chart: Option<(String, TimeFrame, String)>,
    ) with (handle: tauri::AppHandle) -> String {
        use tauri::Manager;
        app.save_export(handle.path().download_dir().ok(), &name, text, chart).await
    }

    /// The app's settings (defaults when none were saved).
    fn get_settings(app) -> Settings {
        Ok(Settings::load(app.data_dir()))
    }

    /// Saves the settings; an out-of-range value is a field error and nothing is saved.
    fn save_settings(app, settings: Settings) with (handle: tauri::AppHandle) -> Settings {
        settings.save(app.data_dir())?;
        crate::desktop::apply_theme(&handle, settings.theme);
        Ok(settings)
    }

    /// Where the app keeps its data (cache, settings, profiles, the embedded control plane) and
    /// its log files.
    fn data_locations(app) with (handle: tauri::AppHandle) -> DataLocations {
        let _ = &app;
        Ok(crate::desktop::data_locations(&handle))
    }

    /// Opens the data or the log folder in the system's file manager.
    fn open_data_folder(app, folder: DataFolder) with (handle: tauri::AppHandle) -> () {
        let _ = &app;
        crate::desktop::open_folder(&handle, folder)
    }

    /// Empties the cache of every profile (groups, entities, instances, dashboards, schemas);
    /// settings, profiles, keyring tokens and the embedded control plane's data are kept.
    fn reset_local_data(app) -> () {
        app.reset_local_data().await
    }

    /// The app's, the embedded control plane's and the runtime's versions (Help › About).
    fn app_versions(app) -> Versions {
        let _ = &app;
        Ok(crate::desktop::versions())
    }

    /// Asks for a decK file with the system's file dialog; its text, or nothing if cancelled.
    fn import_file_dialog(app) with (handle: tauri::AppHandle) -> Option<String> {
        let _ = &app;
        crate::desktop::pick_import_file(&handle).await
    }

    /// Asks where to save `text` with the system's save dialog, suggesting `name`; the path it
    /// was saved to, or nothing if cancelled.
    fn export_file_dialog(app, name: String, text: String) with (handle: tauri::AppHandle)
        -> Option<String> {
        let _ = &app;
        crate::desktop::save_with_dialog(&handle, &name, text).await
    }

    fn list_profiles(app) -> ProfileList {
        Ok(app.list_profiles())
    }

    fn add_konnect_profile(app, form: NewKonnectProfile) -> ProfileList {
        app.add_konnect_profile(form).await
    }

    fn switch_profile(app, id: String) -> ProfileList {
        app.switch_profile(&id).await
    }

    fn remove_profile(app, id: String) -> ProfileList {
        app.remove_profile(&id).await
    }

    /// Enters a profile's token again (checked, then kept in the keyring) and opens it online.
    fn replace_token(app, id: String, token: String) -> ProfileList {
        app.replace_token(&id, &token).await
    }

    /// Whether the active profile's API answers, why not, and since when (also sent as
    /// `connection` events when it changes).
    fn connection_state(app) -> Connection {
        app.console().await.connection().await
    }
}

/// Rust types as the TypeScript the UI writes them in (through ts-rs).
pub mod typescript {
    use ts_rs::{Dependency, TypeVisitor, TS};

    /// The TypeScript type of `T`. JSON values are entity bodies, which the UI holds as records;
    /// `()` is a promise of nothing.
    pub fn name<T: TS + 'static + ?Sized>() -> String {
        match T::name().as_str() {
            "JsonValue" => "Record<string, unknown>".into(),
            "null" => "void".into(),
            other => other.into(),
        }
    }

    /// The exported types `T`'s name mentions, added to `into` as (name, file).
    pub fn imports<T: TS + 'static + ?Sized>(into: &mut Vec<(String, String)>) {
        struct Named<'a>(&'a mut Vec<(String, String)>);
        impl TypeVisitor for Named<'_> {
            fn visit<U: TS + 'static + ?Sized>(&mut self) {
                match Dependency::from_ty::<U>() {
                    Some(d) if d.ts_name != "JsonValue" => {
                        let file = d.output_path.to_string_lossy().trim_end_matches(".ts").into();
                        self.0.push((d.ts_name, file));
                    }
                    Some(_) => {}
                    None => U::visit_generics(self),
                }
            }
        }
        Named(into).visit::<T>();
    }

    fn camel(snake: &str) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in snake.chars() {
            match c {
                '_' => upper = true,
                c if upper => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                c => out.push(c),
            }
        }
        out
    }

    /// The generated module: one typed wrapper per command over the caller's `invoke`.
    pub fn module(signatures: &[super::Signature]) -> String {
        let mut imports: Vec<(String, String)> =
            signatures.iter().flat_map(|s| s.imports.iter().cloned()).collect();
        imports.sort();
        imports.dedup();
        let mut out = String::from(
            "// Generated from src-tauri/src/commands.rs by `cargo test -p runtime-manager`. \
             Do not edit.\n",
        );
        for (name, file) in &imports {
            out += &format!("import type {{ {name} }} from './{file}'\n");
        }
        out +=
            "\n/** How a command is sent to Rust: `ui/src/backend.ts` passes Tauri's invoke. */\n";
        out += "export type Invoke = <T>(command: string, args?: Record<string, unknown>) => \
                Promise<T>\n\n";
        out += "/** Every command of the shell, typed as declared in Rust. */\n";
        out += "export function commands(invoke: Invoke) {\n  return {\n";
        for s in signatures {
            for line in &s.docs {
                out += &format!("    //{line}\n");
            }
            let params: Vec<String> =
                s.args.iter().map(|(a, t)| format!("{}: {t}", camel(a))).collect();
            let args: Vec<String> = s.args.iter().map(|(a, _)| camel(a)).collect();
            let call_args = if args.is_empty() {
                String::new()
            } else {
                format!(", {{ {} }}", args.join(", "))
            };
            out += &format!(
                "    {}: ({}) => invoke<{}>('{}'{}),\n",
                camel(s.name),
                params.join(", "),
                s.returns,
                s.name,
                call_args
            );
        }
        out += "  }\n}\n\nexport type Commands = ReturnType<typeof commands>\n";
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wrappers the UI calls are generated from the declarations above; a declaration changed
    /// without regenerating fails here (and the file is rewritten, so the next run passes).
    #[test]
    fn the_typescript_commands_are_current() {
        let module = typescript::module(&signatures());
        if let Err(stale) = console::vocabulary::write_generated("commands.ts", &module) {
            panic!("{stale}");
        }
    }

    #[test]
    fn arguments_are_camel_case_and_types_come_from_the_bindings() {
        let module = typescript::module(&signatures());
        assert!(module.contains(
            "updateEntity: (id: string, kind: EntityKind, entityId: string, \
             body: Record<string, unknown>) => invoke<Record<string, unknown>>('update_entity', \
             { id, kind, entityId, body }),"
        ));
        assert!(module.contains("import type { EntityKind } from './EntityKind'"));
        assert!(
            module.contains("deleteGroup: (id: string) => invoke<void>('delete_group', { id }),")
        );
        assert!(!module.contains("window"), "Tauri's own arguments are not the UI's");
    }
}
