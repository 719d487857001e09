//! Helpers for the whole-system tests: Konnect's OpenAPI documents as validators, a local
//! control plane on a temp dir, and a small W3C WebDriver client for the real webview.

pub mod spec;
pub mod webdriver;

use std::path::{Path, PathBuf};

use control_plane::{Config, RunningControlPlane};

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// `target/debug` (or the profile dir the tests run from), where the app and tool binaries are.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test-binary>
    exe.parent().and_then(Path::parent).expect("target profile dir").to_path_buf()
}

pub const ADMIN_TOKEN: &str = "kpat_system_test_admin_token";

/// A control plane on a free loopback port with its data in `dir`, admin token [`ADMIN_TOKEN`].
pub async fn start_control_plane(dir: &Path) -> RunningControlPlane {
    RunningControlPlane::start(Config { data_dir: dir.to_path_buf(), listen: "127.0.0.1:0".parse().unwrap(), cluster_listen: "127.0.0.1:0".parse().unwrap(), admin_token: Some(ADMIN_TOKEN.into()) })
        .await
        .expect("control plane starts")
}

pub mod processes;
pub mod upstream;
