//! The desktop shell: window, app state and command registration. All logic lives in `console`.

use std::path::PathBuf;

use console::embedded::EmbeddedDefault;
use tauri::Manager;

pub mod commands;
pub mod desktop;

/// Where the embedded default keeps its data: `RUNTIME_MANAGER_DATA_DIR` if set (tests use a temp
/// dir), otherwise the platform's app data dir.
fn data_dir(app: &tauri::App) -> PathBuf {
    match std::env::var_os("RUNTIME_MANAGER_DATA_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => app.path().app_data_dir().unwrap_or_else(|_| PathBuf::from(".runtime-manager")),
    }
}

/// Without a GPU (no DRM render node: virtual machines, remote desktops, Xvfb), WebKitGTK would
/// paint through Mesa's software OpenGL and composite the page's layers in software on every
/// frame. Two settings WebKit offers for that case: painting with Skia on the CPU (scrolled frames
/// with new rows 35% cheaper, measured here), and no accelerated compositing, so a scroll repaints
/// what moved into one backing store instead of re-compositing the whole window (wheel-scrolling
/// 10,000 rows went from ~44 ms frames to the display's 16 ms). With a GPU both stay WebKit's
/// defaults. A value the user set is kept. Runs before any thread starts, as setting the
/// environment must.
#[cfg(target_os = "linux")]
pub fn paint_on_the_cpu_without_a_gpu() {
    let has_render_node = std::fs::read_dir("/dev/dri")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false);
    if has_render_node {
        return;
    }
    for setting in ["WEBKIT_SKIA_ENABLE_CPU_RENDERING", "WEBKIT_DISABLE_COMPOSITING_MODE"] {
        if std::env::var_os(setting).is_none() {
            std::env::set_var(setting, "1");
        }
    }
}

/// When `run` began: the log gives the setup's and the page's times after it.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Milliseconds since `run` began.
pub(crate) fn since_start() -> u128 {
    STARTED.get().map_or(0, |t| t.elapsed().as_millis())
}

pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    #[cfg(target_os = "linux")]
    paint_on_the_cpu_without_a_gpu();
    let app = tauri::Builder::default()
        // A second launch hands its arguments (a deep link) to this one and quits.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            desktop::open_from_args(app, &args)
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        // runtime-manager:// links: the packages' desktop entry hands them to a launch as its
        // argument (above); a run from a checkout registers the scheme for the user first.
        .plugin(tauri_plugin_deep_link::init())
        .on_window_event(desktop::remember_window_state)
        .manage(desktop::Zoom::default())
        .setup(|app| {
            let guard = desktop::init_logging(app.path().app_log_dir().ok());
            app.manage(LogGuard(std::sync::Mutex::new(guard)));
            tracing::info!(after_ms = %since_start(), "setting up");
            let dir = data_dir(app);
            let embedded = tauri::async_runtime::block_on(EmbeddedDefault::start(&dir))?;
            tracing::info!(
                data_dir = %dir.display(),
                control_plane = %embedded.control_plane.base_url(),
                "embedded default started"
            );
            // Runtime processes for "New runtime instance" on the Local profile.
            embedded.set_runtime_launcher(demo::ProcessFleet::new());
            // The living demo: on first run it seeds groups, starts runtimes and traffic.
            // RUNTIME_MANAGER_DEMO=off keeps an empty organization (some tests want one).
            let living = demo::Demo::default();
            if std::env::var("RUNTIME_MANAGER_DEMO").as_deref() != Ok("off") {
                match tauri::async_runtime::block_on(living.start(&embedded)) {
                    Ok(status) => {
                        tracing::info!(
                            runtimes = status.runtimes,
                            "living demo: {:?}",
                            status.groups
                        )
                    }
                    Err(e) => tracing::warn!("the living demo did not start: {}", e.message),
                }
            }
            let theme = console::settings::Settings::load(embedded.data_dir()).theme;
            app.manage(living);
            app.manage(embedded);
            let handle = app.handle().clone();
            desktop::apply_theme(&handle, theme);
            app.set_menu(desktop::menu(&handle)?)?;
            app.on_menu_event(|app, event| desktop::on_menu(app, event.id().as_ref()));
            desktop::watch(handle.clone());
            desktop::watch_connection(handle.clone());
            desktop::register_deep_links(&handle);
            // A first launch by a deep link opens its page once the page listens.
            let args: Vec<String> = std::env::args().skip(1).collect();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                desktop::open_from_args(&handle, &args);
            });
            tracing::info!(after_ms = %since_start(), "set up");
            Ok(())
        })
        .on_page_load(|_, payload| {
            tracing::info!(after_ms = %since_start(), event = ?payload.event(), "page load");
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!())
        .expect("error while building Runtime Manager");
    app.run(|_, _| {});
}

/// Keeps the log file's writer alive (and flushed on exit) for the app's life.
struct LogGuard(
    #[allow(dead_code)] std::sync::Mutex<Option<tracing_appender::non_blocking::WorkerGuard>>,
);
