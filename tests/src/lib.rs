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
/// Whether there is an X display for the tests that drive the real webview. Under CI (`CI` set)
/// a missing display is a failure, never a skip.
pub fn have_display() -> bool {
    if std::env::var_os("DISPLAY").is_some() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must run the UI tests under Xvfb (xvfb-run)");
    eprintln!("SKIP: no DISPLAY; run under xvfb-run to drive the real webview");
    false
}

pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test-binary>
    exe.parent().and_then(Path::parent).expect("target profile dir").to_path_buf()
}

/// Polls `f` every 100 ms until it says yes; fails the test, naming `what`, after `secs` seconds.
pub async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    secs: u64,
    mut f: impl FnMut() -> F,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !f().await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A fresh control plane in `dir` and an [`Api`] on its default group's core-entities.
pub async fn core_entities_api(dir: &Path) -> (RunningControlPlane, Api) {
    let cp = start_control_plane(dir).await;
    let client = konnect::KonnectClient::new(&cp.base_url(), ADMIN_TOKEN).unwrap();
    let group = client.list_all_control_planes().await.unwrap().remove(0);
    let base = format!("{}/v2/control-planes/{}/core-entities", cp.base_url(), group.id);
    (cp, Api::new(base, ADMIN_TOKEN))
}

/// The messages a core-entities error body gives for `field`.
pub fn field_messages(body: &serde_json::Value, field: &str) -> Vec<String> {
    let details = body["details"].as_array().cloned().unwrap_or_default();
    let detail = details.iter().find(|d| d["field"] == field);
    let list = detail.and_then(|d| d["messages"].as_array()).cloned().unwrap_or_default();
    list.iter().filter_map(serde_json::Value::as_str).map(str::to_string).collect()
}

/// A runtime-shaped node named `hostname`, with a new id and this build's version.
pub fn new_node(hostname: impl Into<String>) -> hybrid::link::NodeIdentity {
    hybrid::link::NodeIdentity {
        node_id: uuid::Uuid::new_v4().to_string(),
        hostname: hostname.into(),
        version: hybrid::link::NODE_VERSION.into(),
    }
}

pub const ADMIN_TOKEN: &str = "kpat_system_test_admin_token";

/// A control plane on a free loopback port with its data in `dir`, admin token [`ADMIN_TOKEN`].
pub async fn start_control_plane(dir: &Path) -> RunningControlPlane {
    RunningControlPlane::start(Config {
        data_dir: dir.to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        cluster_listen: "127.0.0.1:0".parse().unwrap(),
        admin_token: Some(ADMIN_TOKEN.into()),
    })
    .await
    .expect("control plane starts")
}

/// Starts the control plane again on the address it had (`base_url`), with its data in `dir`: the
/// same organization coming back after an outage, where the console left it.
pub async fn restart_control_plane(dir: &Path, base_url: &str) -> RunningControlPlane {
    let addr = base_url.trim_start_matches("http://").trim_end_matches('/');
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let started = RunningControlPlane::start(Config {
            data_dir: dir.to_path_buf(),
            listen: addr.parse().expect("a loopback address"),
            cluster_listen: "127.0.0.1:0".parse().unwrap(),
            admin_token: Some(ADMIN_TOKEN.into()),
        })
        .await;
        match started {
            Ok(cp) => return cp,
            // The old listener's port may take a moment to be free again.
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("restarting the control plane at {addr}: {e}; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the control plane did not restart at {addr}: {e}"),
        }
    }
}

pub mod faults;
pub mod gateway;
pub mod keyring;
pub mod notifications;
pub mod processes;
pub mod upstream;

/// A bearer-token HTTP caller for API tests: `(status, JSON body)`; status 0 when unreachable,
/// `Null` for an empty body, the raw text as a JSON string when it is not JSON.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub fn new(base: impl Into<String>, token: impl Into<String>) -> Api {
        Api { http: reqwest::Client::new(), base: base.into(), token: token.into() }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let Ok(resp) = req.send().await else { return (0, serde_json::Value::Null) };
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        (status, body)
    }
}
