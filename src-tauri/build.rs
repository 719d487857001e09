fn main() {
    // Reads tauri.conf.json beside this crate's Cargo.toml: where the Tauri CLI looks for it too.
    tauri_build::build()
}
