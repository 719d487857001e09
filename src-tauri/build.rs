fn main() {
    // The app's one config lives at the workspace root (see README).
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build script failed");
}
