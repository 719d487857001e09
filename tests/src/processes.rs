//! The control plane and runtimes as real processes: start, read their addresses, stop.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{bin_dir, ADMIN_TOKEN};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed (SIGKILL) on drop.
pub struct Proc {
    pub child: Child,
    /// Lines it printed before it was ready.
    pub lines: Vec<String>,
}

impl Proc {
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn line_after(&self, prefix: &str) -> Option<String> {
        self.lines.iter().find_map(|l| l.strip_prefix(prefix).map(str::to_string))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_until(mut cmd: Command, ready: &str) -> Proc {
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (build with cargo build --workspace --bins)"));
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "{cmd:?} exited before printing {ready:?}; it printed {lines:?}"
        );
        let line = line.trim_end().to_string();
        let done = line.starts_with(ready);
        lines.push(line);
        if done {
            break;
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    Proc { child, lines }
}

pub fn bin(name: &str) -> PathBuf {
    bin_dir().join(name)
}

/// `control-plane` on fixed ports (so a restart keeps its addresses) with [`ADMIN_TOKEN`].
pub fn control_plane(data_dir: &Path, api_port: u16, cluster_port: u16) -> Proc {
    control_plane_from(&bin("control-plane"), data_dir, api_port, cluster_port)
}

/// [`control_plane`] from another `binary` (the one a package installed).
pub fn control_plane_from(
    binary: &Path,
    data_dir: &Path,
    api_port: u16,
    cluster_port: u16,
) -> Proc {
    let mut cmd = Command::new(binary);
    cmd.args([
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--listen",
        &format!("127.0.0.1:{api_port}"),
        "--cluster-listen",
        &format!("127.0.0.1:{cluster_port}"),
    ]);
    cmd.env("CONTROL_PLANE_ADMIN_TOKEN", ADMIN_TOKEN);
    spawn_until(cmd, "control-plane listening on")
}

/// A `runtime` for a group, with short ping and reconnect intervals for tests.
pub fn runtime(
    control_plane: &str,
    cert: &Path,
    key: &Path,
    hostname: &str,
) -> (Proc, String, String) {
    runtime_with(control_plane, cert, key, hostname, &[], None)
}

/// A `runtime` as [`runtime`] starts it, with `extra` arguments and, when given, an open-file
/// limit (set by the shell that execs it).
pub fn runtime_with(
    control_plane: &str,
    cert: &Path,
    key: &Path,
    hostname: &str,
    extra: &[&str],
    open_files: Option<u32>,
) -> (Proc, String, String) {
    let mut cmd = match open_files {
        Some(n) => {
            let mut sh = Command::new("sh");
            sh.args([
                "-c",
                &format!("ulimit -n {n} && exec \"$0\" \"$@\""),
                bin("runtime").to_str().unwrap(),
            ]);
            sh
        }
        None => Command::new(bin("runtime")),
    };
    cmd.args(extra);
    cmd.args([
        "--control-plane",
        control_plane,
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    cmd.args([
        "--proxy-listen",
        "127.0.0.1:0",
        "--status-listen",
        "127.0.0.1:0",
        "--hostname",
        hostname,
    ]);
    cmd.args([
        "--ping-interval-ms",
        "300",
        "--reconnect-min-ms",
        "200",
        "--reconnect-max-ms",
        "500",
    ]);
    let p = spawn_until(cmd, "status listening on");
    let proxy = format!("http://{}", p.line_after("proxy listening on ").unwrap());
    let status = format!("http://{}", p.line_after("status listening on ").unwrap());
    (p, proxy, status)
}

/// Waits for the app's process `pid` to end once its WebDriver session is closed. About one
/// launch in forty under WebDriver here, the session's end never reaches the window (the app
/// idles in GTK's loop, its close not delivered); after `asked_after` it is asked to quit with
/// SIGTERM, as a desktop session's logout does, said on stderr. Panics if it is not gone 30 s
/// after that.
pub async fn until_app_quits(pid: u32, asked_after: std::time::Duration) {
    use std::time::{Duration, Instant};
    let alive = || Path::new(&format!("/proc/{pid}")).exists();
    let asked = Instant::now() + asked_after;
    while alive() && Instant::now() < asked {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if alive() {
        eprintln!(
            "the app {pid} was still running {asked_after:?} after its session closed: SIGTERM"
        );
        let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while alive() {
        assert!(Instant::now() < deadline, "the app {pid} did not quit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
