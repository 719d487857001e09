//! A runtime instance: one data plane node of a runtime group. It holds its configuration only in
//! memory, receives it over the link, proxies HTTP by it, and keeps serving the last configuration
//! while the control plane is away.

pub mod analytics;
pub mod balancer;
pub mod config;
pub mod downstream;
pub mod http1;
pub mod link;
pub mod plugins;
pub mod proxy;
pub mod router;
pub mod status;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

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
}

/// State shared by the proxy, the link and the status endpoint.
pub struct Shared {
    pub options: Options,
    pub snapshot: ArcSwap<config::Snapshot>,
    pub configured: AtomicBool,
    pub connected: AtomicBool,
    pub last_config_at: Mutex<Option<String>>,
    pub recorder: analytics::Recorder,
    pub counters: plugins::Counters,
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
        counters: Default::default(),
    });
    // One event loop per core by default, like nginx's `worker_processes auto`.
    let workers = std::env::var("RUNTIME_PROXY_WORKERS").ok().and_then(|w| w.parse().ok()).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    downstream::serve_on_threads(proxy.into_std()?, shared.clone(), workers)?;
    if let Some(listener) = status {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| status::handle(req, shared.clone()));
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
                });
            }
        });
    }
    tokio::spawn(link::run(shared.clone()));
    Ok(Running { proxy_addr, status_addr, shared })
}
