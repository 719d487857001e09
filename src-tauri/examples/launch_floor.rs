//! The launch floor on this machine: a Tauri window showing one small table and nothing else,
//! timed from process start to the table's first paint the way the app benchmark times the app,
//! and its memory: the figures the app's are read beside. Built by the benchmark only
//! (`launch-floor`).

/// The page's call once its table is painted: prints when (ms since the epoch) and when its page
/// was asked for, for the benchmark to read against the process's start, then quits (or, with
/// `LAUNCH_FLOOR_STAY` set, stays open for its memory to be read).
#[tauri::command]
fn painted(app: tauri::AppHandle, at_ms: f64, fetch_start_ms: f64) {
    println!("{at_ms:.0} {fetch_start_ms:.0}");
    if std::env::var_os("LAUNCH_FLOOR_STAY").is_none() {
        app.exit(0);
    }
}

fn main() {
    #[cfg(target_os = "linux")]
    runtime_manager::paint_on_the_cpu_without_a_gpu();
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![painted])
        .run(tauri::generate_context!("examples/launch_floor/tauri.conf.json"))
        .expect("the launch floor's window");
}
