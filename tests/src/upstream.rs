//! A real HTTP upstream on loopback for proxy tests: echoes what it received as JSON.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use serde_json::json;

pub struct Echo {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicU64>,
}

/// Starts an echo server named `name`. `/slow…` answers after 2 s; `/status/NNN` answers NNN.
pub async fn echo(name: &'static str) -> Echo {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let counter = counter.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let counter = counter.clone();
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let path = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
                        if path.starts_with("/slow") {
                            tokio::time::sleep(Duration::from_secs(2)).await;
                        }
                        let status = path.strip_prefix("/status/").and_then(|s| s.parse::<u16>().ok()).unwrap_or(200);
                        let headers: serde_json::Map<String, serde_json::Value> = req.headers().iter().map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or("")))).collect();
                        let body = json!({"server": name, "path": path, "method": req.method().as_str(), "headers": headers});
                        Ok::<_, Infallible>(Response::builder().status(status).header("content-type", "application/json").body(Full::new(Bytes::from(body.to_string()))).unwrap())
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
            });
        }
    });
    Echo { addr, hits }
}
