//! A runtime instance: one data plane node of a runtime group. It holds its configuration only in
//! memory, receives it over the link, proxies HTTP by it, and keeps serving the last configuration
//! while the control plane is away.

pub mod analytics;
pub mod balancer;
pub mod config;
pub mod downstream;
pub mod exchange;
pub mod http1;
pub mod link;
pub mod plugins;
pub mod proxy;
pub mod request_head;
pub mod router;
pub mod status;
pub mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

/// Maps read on every request: a fast hash (keys are ids and names from our own control plane).
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Debug, Clone)]
pub struct Options {
    /// `host:port` of the control plane's data plane link.
    pub control_plane: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub proxy_listen: SocketAddr,
    pub status_listen: Option<SocketAddr>,
    pub node_id: String,
    pub hostname: String,
    pub ping_interval_ms: u64,
    /// Reconnect after a random wait in this range (ms): Kong waits 5–10 s.
    pub reconnect_ms: (u64, u64),
    pub limits: Limits,
    /// Plugins this node runs as if it did not have them (`--disable-plugin`): left out of what
    /// it reports in `basic_info`, and a configuration enabling one is refused.
    pub disabled_plugins: Vec<String>,
}

impl Options {
    /// The plugins this node runs: every plugin it has, less those turned off.
    pub fn plugins(&self) -> Vec<&'static str> {
        plugins::NAMES.iter().copied().filter(|n| !self.is_disabled(n)).collect()
    }

    pub fn is_disabled(&self, plugin: &str) -> bool {
        self.disabled_plugins.iter().any(|d| d == plugin)
    }
}

/// What one client may hold of the proxy.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request head must arrive whole within this long (nginx's `client_header_timeout`, 60 s).
    pub header_timeout: std::time::Duration,
    /// Client connections open at once over all workers; beyond it idle ones are closed first.
    pub max_connections: usize,
    /// Proxy event loops (threads); one per core by default, like nginx's `worker_processes auto`.
    pub workers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Limits {
            header_timeout: std::time::Duration::from_secs(60),
            max_connections: default_max_connections(),
            workers,
        }
    }
}

/// Half the descriptors the process may open, less a reserve for the link, the status endpoint
/// and logs: each proxied client may need an upstream connection too (nginx counts both in
/// `worker_connections`; Kong sets that to the descriptor limit), capped at Kong's 16384.
pub fn default_max_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|n| n.parse::<usize>().ok())
        })
        .unwrap_or(1024);
    (soft.saturating_sub(64) / 2).clamp(16, 16384)
}

/// State shared by the proxy, the link and the status endpoint.
pub struct Shared {
    pub options: Options,
    pub snapshot: ArcSwap<config::Snapshot>,
    pub configured: AtomicBool,
    pub connected: AtomicBool,
    pub last_config_at: Mutex<Option<String>>,
    /// Why the last configuration pushed was refused, until one is applied.
    pub config_error: Mutex<Option<hybrid::ConfigError>>,
    pub recorder: analytics::Recorder,
    /// What plugins keep between requests.
    pub plugin_state: plugins::State,
}

pub struct Running {
    pub proxy_addr: SocketAddr,
    pub status_addr: Option<SocketAddr>,
    pub shared: Arc<Shared>,
}

pub async fn start(options: Options) -> std::io::Result<Running> {
    let proxy = tokio::net::TcpListener::bind(options.proxy_listen).await?;
    let proxy_addr = proxy.local_addr()?;
    let status = match options.status_listen {
        Some(a) => Some(tokio::net::TcpListener::bind(a).await?),
        None => None,
    };
    let status_addr = status.as_ref().map(|s| s.local_addr()).transpose()?;
    let shared = Arc::new(Shared {
        recorder: analytics::Recorder::new(options.node_id.clone()),
        options,
        snapshot: ArcSwap::from_pointee(config::Snapshot::default()),
        configured: AtomicBool::new(false),
        connected: AtomicBool::new(false),
        last_config_at: Mutex::new(None),
        config_error: Mutex::new(None),
        plugin_state: Default::default(),
    });
    let workers = shared.options.limits.workers;
    downstream::serve_on_threads(proxy.into_std()?, shared.clone(), workers)?;
    if let Some(listener) = status {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    // Out of descriptors: wait for some to be freed rather than retry at once.
                    Err(_) => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc =
                        hyper::service::service_fn(move |req| status::handle(req, shared.clone()));
                    let mut http = hyper::server::conn::http1::Builder::new();
                    http.timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(std::time::Duration::from_secs(10));
                    let _ = http.serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
                });
            }
        });
    }
    tokio::spawn(link::run(shared.clone()));
    Ok(Running { proxy_addr, status_addr, shared })
}
