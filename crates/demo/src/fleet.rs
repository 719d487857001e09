//! Runtime processes the app starts on the Local profile: each a real `runtime` binary joined to a
//! group with a pinned certificate; they live as long as the app does.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use console::ConsoleError;

pub struct RuntimeProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT` of its proxy listener.
    pub proxy: String,
    pub hostname: String,
}

/// Starts `binary` for the group whose certificate is at `cert`/`key`, and waits for its proxy
/// address.
pub async fn spawn(
    binary: &Path,
    cluster: &str,
    cert: &Path,
    key: &Path,
    node_id: &str,
    hostname: &str,
) -> Result<RuntimeProcess, ConsoleError> {
    let mut cmd = Command::new(binary);
    cmd.args(["--control-plane", cluster])
        .arg("--cert")
        .arg(cert)
        .arg("--key")
        .arg(key)
        .args(["--proxy-listen", "127.0.0.1:0", "--node-id", node_id, "--hostname", hostname])
        .args([
            "--ping-interval-ms",
            "10000",
            "--reconnect-min-ms",
            "1000",
            "--reconnect-max-ms",
            "3000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    // If the app dies, its runtimes go with it rather than lingering.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let mut child =
        cmd.spawn().map_err(|e| ConsoleError::local(format!("The runtime did not start: {e}")))?;
    let stdout = child.stdout.take().ok_or_else(|| ConsoleError::local("no runtime output"))?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(a) = line.strip_prefix("proxy listening on ") {
                return Some(a.to_string());
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(|| ConsoleError::local("The runtime did not report its proxy address"))?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(RuntimeProcess { child, proxy: format!("http://{addr}"), hostname: hostname.to_string() })
}

/// A random v4 UUID for a node id.
pub fn node_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
