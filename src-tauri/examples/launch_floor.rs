//! The launch floor on this machine: a Tauri window showing one small table and nothing else,
//! timed from process start to the table's first paint the way the app benchmark times the app,
//! and its memory: the figures the app's are read beside. Built by the benchmark only
//! (`launch-floor`).

/// When this process started, in ms since the epoch (/proc's start time, in 10 ms clock ticks,
/// as the benchmark reads the app's).
fn process_start_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rfind(')').map_or("", |i| &stat[i + 2..]);
    let ticks: f64 = after.split(' ').nth(19).and_then(|t| t.parse().ok()).unwrap_or(0.0);
    let boot: f64 = std::fs::read_to_string("/proc/stat")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|b| b.trim().parse().ok())
        .unwrap_or(0.0);
    (boot + ticks / 100.0) * 1000.0
}

/// The page's call once its table is painted: prints the ms since process start, then quits
/// (or, with `LAUNCH_FLOOR_STAY` set, stays open for its memory to be read).
#[tauri::command]
fn painted(app: tauri::AppHandle, at_ms: f64, fetch_start_ms: f64) {
    let start = process_start_ms();
    println!("{:.0} (page fetched from {:.0})", at_ms - start, fetch_start_ms - start);
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
