//! The desktop around the window: the native menu, deep links (`runtime-manager://group/{id}`),
//! the log file, file dialogs, notifications from the console's watcher, and the versions About
//! shows. Menu items the page acts on are sent to it as `menu` events; navigation as `navigate`.

use std::path::PathBuf;
use std::time::Duration;

use console::embedded::EmbeddedDefault;
use console::local_data::{DataFolder, DataLocations};
use console::settings::Settings;
use console::watch::Watcher;
use tauri::menu::{Menu, MenuBuilder, MenuItemBuilder, PredefinedMenuItem, SubmenuBuilder};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_opener::OpenerExt;

/// Kong's documentation of Konnect's gateway manager, opened from Help.
const DOCUMENTATION: &str = "https://docs.konghq.com/konnect/gateway-manager/";
/// The URL scheme of deep links.
pub const SCHEME: &str = "runtime-manager";

/// The app's, the embedded control plane's and the runtime's versions.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Versions {
    pub app: String,
    pub control_plane: String,
    pub runtime: String,
}

pub fn versions() -> Versions {
    Versions {
        app: env!("CARGO_PKG_VERSION").to_string(),
        control_plane: control_plane::VERSION.to_string(),
        runtime: hybrid::link::NODE_VERSION.to_string(),
    }
}

/// File, Edit, View, Go and Help, as desktop apps lay them out.
pub fn menu<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let item = |id: &str, text: &str, accel: Option<&str>| {
        let b = MenuItemBuilder::with_id(id, text);
        match accel {
            Some(a) => b.accelerator(a).build(app),
            None => b.build(app),
        }
    };
    let file = SubmenuBuilder::new(app, "File")
        .item(&item("import", "Import…", Some("CmdOrCtrl+O"))?)
        .item(&item("export", "Export…", Some("CmdOrCtrl+S"))?)
        .item(&item("add-profile", "Add profile…", None)?)
        .separator()
        .item(&item("settings", "Settings…", Some("CmdOrCtrl+,"))?)
        .separator()
        .item(&PredefinedMenuItem::quit(app, Some("Quit"))?)
        .build()?;
    let edit = SubmenuBuilder::new(app, "Edit")
        .undo()
        .redo()
        .separator()
        .cut()
        .copy()
        .paste()
        .select_all()
        .build()?;
    let theme = SubmenuBuilder::new(app, "Theme")
        .item(&item("theme:system", "System", None)?)
        .item(&item("theme:light", "Light", None)?)
        .item(&item("theme:dark", "Dark", None)?)
        .build()?;
    let view = SubmenuBuilder::new(app, "View")
        .item(&item("reload", "Reload", Some("CmdOrCtrl+R"))?)
        .separator()
        .item(&item("zoom-in", "Zoom in", Some("CmdOrCtrl+="))?)
        .item(&item("zoom-out", "Zoom out", Some("CmdOrCtrl+-"))?)
        .item(&item("zoom-reset", "Actual size", Some("CmdOrCtrl+0"))?)
        .separator()
        .item(&theme)
        .build()?;
    let go = SubmenuBuilder::new(app, "Go")
        .item(&item("go:/runtime-groups", "Runtime groups", Some("CmdOrCtrl+1"))?)
        .item(&item("go:/compare", "Compare", Some("CmdOrCtrl+2"))?)
        .item(&item("search", "Search…", Some("CmdOrCtrl+K"))?)
        .build()?;
    let help = SubmenuBuilder::new(app, "Help")
        .item(&item("documentation", "Documentation", None)?)
        .item(&item("log-folder", "Open log folder", None)?)
        .separator()
        .item(&item("about", "About Runtime Manager", None)?)
        .build()?;
    MenuBuilder::new(app).items(&[&file, &edit, &view, &go, &help]).build()
}

/// What a menu item does: the window's own (zoom, reload), the system's (documentation, the log
/// folder, About), or the page's (everything else, as a `menu` event).
pub fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let Some(window) = app.get_webview_window("main") else { return };
    let zoom = app.state::<Zoom>();
    match id {
        "zoom-in" | "zoom-out" | "zoom-reset" => {
            let factor = zoom.step(id);
            let _ = window.set_zoom(factor);
        }
        "reload" => {
            let _ = window.eval("window.location.reload()");
        }
        "documentation" => {
            let _ = app.opener().open_url(DOCUMENTATION, None::<&str>);
        }
        "log-folder" => {
            let _ = open_folder(app, DataFolder::Logs);
        }
        "about" => {
            let v = versions();
            app.dialog()
                .message(format!(
                    "Runtime Manager {}\nEmbedded control plane {}\nRuntime (Kong Gateway {})",
                    v.app, v.control_plane, v.runtime
                ))
                .title("About Runtime Manager")
                .kind(MessageDialogKind::Info)
                .show(|_| {});
            let _ = app.emit("menu", "about");
        }
        theme if theme.starts_with("theme:") => {
            let embedded = app.state::<EmbeddedDefault>();
            let mut settings = Settings::load(embedded.data_dir());
            settings.theme = match theme {
                "theme:light" => console::settings::Theme::Light,
                "theme:dark" => console::settings::Theme::Dark,
                _ => console::settings::Theme::System,
            };
            if settings.save(embedded.data_dir()).is_ok() {
                apply_theme(app, settings.theme);
                let _ = app.emit("settings-changed", &settings);
            }
        }
        other => {
            let _ = app.emit("menu", other);
        }
    }
}

/// Where the app keeps its data and its log files, as Settings shows them.
pub fn data_locations<R: Runtime>(app: &AppHandle<R>) -> DataLocations {
    let embedded = app.state::<EmbeddedDefault>();
    DataLocations::new(embedded.data_dir(), app.path().app_log_dir().ok().as_deref())
}

/// Opens the data or the log folder in the system's file manager (made first if no log was
/// written yet). The page names a folder, never a path, so it cannot open anything else.
pub fn open_folder<R: Runtime>(
    app: &AppHandle<R>,
    folder: DataFolder,
) -> Result<(), console::ConsoleError> {
    let locations = data_locations(app);
    let dir = match folder {
        DataFolder::Data => Some(locations.data_dir),
        DataFolder::Logs => locations.log_dir,
    };
    let dir = dir.ok_or_else(|| console::ConsoleError::local("This app keeps no log folder."))?;
    let _ = std::fs::create_dir_all(&dir);
    app.opener()
        .open_path(&dir, None::<&str>)
        .map_err(|e| console::ConsoleError::local(format!("Cannot open {dir}: {e}")))
}

/// The window's light or dark look: the system's, or the one chosen. WebKit follows the
/// window's GTK preference, so the page's `prefers-color-scheme` (and Kongponents) follow too.
pub fn apply_theme<R: Runtime>(app: &AppHandle<R>, theme: console::settings::Theme) {
    use console::settings::Theme;
    let Some(window) = app.get_webview_window("main") else { return };
    let _ = window.set_theme(match theme {
        Theme::System => None,
        Theme::Light => Some(tauri::Theme::Light),
        Theme::Dark => Some(tauri::Theme::Dark),
    });
}

/// The window's zoom factor, stepped by the View menu.
#[derive(Default)]
pub struct Zoom(std::sync::Mutex<f64>);

impl Zoom {
    fn step(&self, id: &str) -> f64 {
        let mut z = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = if *z == 0.0 { 1.0 } else { *z };
        *z = match id {
            "zoom-in" => (now + 0.1).min(3.0),
            "zoom-out" => (now - 0.1).max(0.5),
            _ => 1.0,
        };
        *z
    }
}

/// The page path a deep link opens: `runtime-manager://group/{id}` → the group;
/// `runtime-manager://group/{id}/entity/{kind}/{entity}` → that entity of the group.
pub fn deep_link_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix(SCHEME)?.strip_prefix("://")?.trim_end_matches('/');
    let parts: Vec<&str> = rest.split('/').collect();
    let safe = |s: &&str| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    if !parts.iter().all(safe) {
        return None;
    }
    match parts.as_slice() {
        ["group", id] => Some(format!("/runtime-groups/{id}")),
        ["group", id, "entity", kind, entity] => {
            Some(format!("/runtime-groups/{id}/{kind}/{entity}"))
        }
        _ => None,
    }
}

/// Opens the pages the arguments name (a second launch's, or the first one's) in the window,
/// and brings the window to the front.
pub fn open_from_args<R: Runtime>(app: &AppHandle<R>, args: &[String]) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    for path in args.iter().filter_map(|a| deep_link_path(a)) {
        tracing::info!(%path, "opening a deep link");
        let _ = app.emit("navigate", path);
    }
}

/// Log lines waiting for the file's writer thread; more are dropped (never the app held up). The
/// writer's default, 128,000, is a channel of 4 MB allocated and written whole at start: resident
/// for the app's life, for a log that writes a few lines a minute.
const LOG_LINES_BUFFERED: usize = 4096;

/// The rotating log file in the app's log directory (a file a day, a week kept), beside stderr.
/// Tokens never reach it: the console logs no request headers or bodies.
pub fn init_logging(
    log_dir: Option<PathBuf>,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let file = log_dir.and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("runtime-manager")
            .filename_suffix("log")
            .max_log_files(7)
            .build(dir)
            .ok()
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .buffered_lines_limit(LOG_LINES_BUFFERED)
                .finish(appender);
            let file = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(writer);
            let _ = tracing_subscriber::registry().with(filter).with(stderr).with(file).try_init();
            Some(guard)
        }
        None => {
            let _ = tracing_subscriber::registry().with(filter).with(stderr).try_init();
            None
        }
    }
}

/// A test run answers the file dialogs with this path instead of showing them (WebDriver
/// cannot reach a native dialog); nothing else reads it.
const DIALOG_ANSWER: &str = "RUNTIME_MANAGER_DIALOG_ANSWER";

/// The text of a decK file the user picks; `None` when cancelled.
pub async fn pick_import_file<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<Option<String>, console::ConsoleError> {
    let path = match std::env::var_os(DIALOG_ANSWER) {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            let dialog = app
                .dialog()
                .file()
                .set_title("Import a decK file")
                .add_filter("decK files", &["yaml", "yml", "json"]);
            let (tx, rx) = tokio::sync::oneshot::channel();
            dialog.pick_file(move |p| {
                let _ = tx.send(p.and_then(|p| p.into_path().ok()));
            });
            rx.await.ok().flatten()
        }
    };
    let Some(path) = path else { return Ok(None) };
    std::fs::read_to_string(&path).map(Some).map_err(|e| {
        console::ConsoleError::field("file", format!("Cannot read {}: {e}", path.display()))
    })
}

/// Writes `text` where the user chooses (the save dialog suggests `name`); `None` when
/// cancelled.
pub async fn save_with_dialog<R: Runtime>(
    app: &AppHandle<R>,
    name: &str,
    text: String,
) -> Result<Option<String>, console::ConsoleError> {
    let path = match std::env::var_os(DIALOG_ANSWER) {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            let dialog = app.dialog().file().set_title("Export").set_file_name(name);
            let (tx, rx) = tokio::sync::oneshot::channel();
            dialog.save_file(move |p| {
                let _ = tx.send(p.and_then(|p| p.into_path().ok()));
            });
            rx.await.ok().flatten()
        }
    };
    let Some(path) = path else { return Ok(None) };
    std::fs::write(&path, text).map_err(|e| {
        console::ConsoleError::local(format!("Cannot write {}: {e}", path.display()))
    })?;
    Ok(Some(path.display().to_string()))
}

/// Watches the organization in the background and raises desktop notifications, at the
/// settings' refresh interval (every 30 s when background refresh is off).
pub fn watch<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut watcher = Watcher::new(notify_after());
        loop {
            let embedded = app.state::<EmbeddedDefault>();
            let settings = Settings::load(embedded.data_dir());
            let every = match settings.sync_interval_secs {
                0 => 30,
                n => n,
            };
            tokio::time::sleep(Duration::from_secs(every as u64)).await;
            let console = embedded.console().await;
            for alert in watcher.check(&console, &settings.notifications).await {
                tracing::info!(title = %alert.title, "notification");
                let _ = app.notification().builder().title(&alert.title).body(&alert.body).show();
                let _ = app.emit("alert", &alert);
            }
        }
    });
}

/// Tells the page whenever the active profile's connection changes (`connection` events), and
/// while it is offline probes the API every [`console::connection::PROBE_EVERY`] so a recovery
/// shows within seconds. The state itself is set by every request the console makes, so an
/// outage shows as soon as the first one fails.
pub fn watch_connection<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut told: Option<console::connection::Connection> = None;
        let mut probed = std::time::Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let console = app.state::<EmbeddedDefault>().console().await;
            let Ok(now) = console.connection().await else { continue };
            if !now.online && probed.elapsed() >= console::connection::PROBE_EVERY {
                probed = std::time::Instant::now();
                console.probe().await;
                continue;
            }
            if told.as_ref() != Some(&now) {
                if told.as_ref().is_none_or(|t| t.online != now.online) {
                    tracing::info!(online = now.online, cause = ?now.cause, "connection");
                }
                let _ = app.emit("connection", &now);
                told = Some(now);
            }
        }
    });
}

/// Makes `runtime-manager://` links open this app. An installed package's desktop entry already
/// claims the scheme; a run from a checkout (or an unpacked tree) registers itself for the user,
/// as Tauri's deep-link plugin does on Linux. Links opened while the app runs reach it through
/// the single-instance plugin.
pub fn register_deep_links<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let installed = std::env::current_exe().is_ok_and(|exe| exe.starts_with("/usr"));
    if cfg!(target_os = "linux") && !installed {
        // It runs xdg-mime and update-desktop-database: off the main thread, which would
        // otherwise wait for them before the window's page starts loading.
        let app = app.clone();
        std::thread::spawn(move || {
            if let Err(e) = app.deep_link().register_all() {
                tracing::info!("runtime-manager:// links are not registered for this run: {e}");
            }
        });
    }
}

/// How long an instance is in trouble before the user is told: a minute, or
/// `RUNTIME_MANAGER_NOTIFY_AFTER_SECS` (end-to-end tests, which cannot wait a minute).
fn notify_after() -> Duration {
    std::env::var("RUNTIME_MANAGER_NOTIFY_AFTER_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(console::watch::GRACE, Duration::from_secs)
}

/// Saves the window's size and place a moment after it stops moving or resizing, not only on a
/// clean quit: a window ended by a crash, a kill or a logout comes back where it was too.
pub fn remember_window_state<R: Runtime>(window: &tauri::Window<R>, event: &tauri::WindowEvent) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use tauri_plugin_window_state::{AppHandleExt, StateFlags};
    static PENDING: AtomicBool = AtomicBool::new(false);
    if !matches!(event, tauri::WindowEvent::Moved(_) | tauri::WindowEvent::Resized(_))
        || PENDING.swap(true, Ordering::SeqCst)
    {
        return;
    }
    let app = window.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        PENDING.store(false, Ordering::SeqCst);
        if let Err(e) = app.save_window_state(StateFlags::all()) {
            tracing::warn!("the window's size and place were not saved: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_links_open_their_page_and_nothing_else() {
        let cases = [
            ("runtime-manager://group/abc-1", Some("/runtime-groups/abc-1")),
            ("runtime-manager://group/abc-1/", Some("/runtime-groups/abc-1")),
            (
                "runtime-manager://group/g1/entity/services/s1",
                Some("/runtime-groups/g1/services/s1"),
            ),
            ("runtime-manager://group/../etc", None),
            ("runtime-manager://group/a?b", None),
            ("https://group/abc", None),
            ("runtime-manager://elsewhere/x", None),
        ];
        for (url, want) in cases {
            assert_eq!(deep_link_path(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn zoom_steps_within_bounds() {
        let z = Zoom::default();
        assert!((z.step("zoom-in") - 1.1).abs() < 1e-9);
        for _ in 0..30 {
            z.step("zoom-in");
        }
        assert_eq!(z.step("zoom-in"), 3.0);
        assert_eq!(z.step("zoom-reset"), 1.0);
    }
}
