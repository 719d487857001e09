//! `runtime-manager`: the desktop app's entry point.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    runtime_manager::run()
}
