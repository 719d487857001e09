//! `runtime`: a runtime instance (data plane node) of a runtime group.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// The proxy allocates per request (headers, bodies); mimalloc's thread-local free lists keep
/// that off glibc's arena locks, which cost a sixth of the proxy's CPU in profiles.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "Runtime instance: proxies HTTP by its runtime group's configuration")]
struct Args {
    /// The control plane's data plane link, host:port (a group's control_plane_endpoint).
    #[arg(long, env = "RUNTIME_CONTROL_PLANE")]
    control_plane: String,
    /// Client certificate (PEM) pinned to the group.
    #[arg(long, env = "RUNTIME_CERT")]
    cert: PathBuf,
    /// Its private key (PEM).
    #[arg(long, env = "RUNTIME_KEY")]
    key: PathBuf,
    #[arg(long, env = "RUNTIME_PROXY_LISTEN", default_value = "127.0.0.1:8000")]
    proxy_listen: SocketAddr,
    #[arg(long, env = "RUNTIME_STATUS_LISTEN")]
    status_listen: Option<SocketAddr>,
    /// This node's id (a UUID); a new one each start when not given.
    #[arg(long, env = "RUNTIME_NODE_ID")]
    node_id: Option<String>,
    #[arg(long, env = "RUNTIME_HOSTNAME")]
    hostname: Option<String>,
    /// How often to ping the control plane with the config hash (Kong: 30 s).
    #[arg(long, env = "RUNTIME_PING_INTERVAL_MS", default_value_t = 30_000)]
    ping_interval_ms: u64,
    /// Reconnect delay bounds in ms (Kong waits a random 5–10 s).
    #[arg(long, env = "RUNTIME_RECONNECT_MIN_MS", default_value_t = 5_000)]
    reconnect_min_ms: u64,
    #[arg(long, env = "RUNTIME_RECONNECT_MAX_MS", default_value_t = 10_000)]
    reconnect_max_ms: u64,
    /// Seconds a client has to send a whole request head (nginx's client_header_timeout).
    #[arg(long, env = "RUNTIME_CLIENT_HEADER_TIMEOUT", default_value_t = 60.0)]
    client_header_timeout: f64,
    /// Client connections open at once; the oldest idle ones are closed beyond it. Default: half
    /// the open-file limit (at most 16384).
    #[arg(long, env = "RUNTIME_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Proxy event loops (threads). Default: one per core.
    #[arg(long, env = "RUNTIME_PROXY_WORKERS")]
    proxy_workers: Option<usize>,
    /// Runs without this plugin, as a data plane that lacks it (repeatable): the control plane is
    /// told, and leaves the plugin's entities out of what it sends this node.
    #[arg(long = "disable-plugin", value_name = "NAME")]
    disable_plugin: Vec<String>,
}

/// Exits when a `--disable-plugin` names no plugin this runtime has: a typo would otherwise
/// leave the plugin running unnoticed.
fn check_disabled(names: &[String]) {
    for name in names {
        if !runtime::plugins::NAMES.contains(&name.as_str()) {
            eprintln!(
                "runtime: --disable-plugin {name}: no such plugin (this runtime has {})",
                runtime::plugins::NAMES.join(", ")
            );
            std::process::exit(2);
        }
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    check_disabled(&args.disable_plugin);
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).unwrap_or_else(|e| {
            eprintln!("runtime: cannot read {}: {e}", p.display());
            std::process::exit(2)
        })
    };
    let defaults = runtime::Limits::default();
    let options = runtime::Options {
        control_plane: args.control_plane,
        cert_pem: read(&args.cert),
        key_pem: read(&args.key),
        proxy_listen: args.proxy_listen,
        status_listen: args.status_listen,
        node_id: args.node_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        hostname: args.hostname.unwrap_or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "localhost".into())
        }),
        ping_interval_ms: args.ping_interval_ms,
        reconnect_ms: (args.reconnect_min_ms, args.reconnect_max_ms),
        limits: runtime::Limits {
            header_timeout: std::time::Duration::from_secs_f64(
                args.client_header_timeout.max(0.001),
            ),
            max_connections: args.max_connections.unwrap_or(defaults.max_connections).max(1),
            workers: args.proxy_workers.unwrap_or(defaults.workers).max(1),
        },
        disabled_plugins: args.disable_plugin,
    };
    // The link and the status endpoint need little; the proxy runs its own per-core event loops.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let running = match runtime::start(options).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("runtime: cannot listen: {e}");
                std::process::exit(1);
            }
        };
        println!("proxy listening on {}", running.proxy_addr);
        if let Some(a) = running.status_addr {
            println!("status listening on {a}");
        }
        let _ = tokio::signal::ctrl_c().await;
    });
}
