//! A real HTTP upstream on loopback for proxy tests: echoes what it received as JSON.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, Response};
use serde_json::json;

pub struct Echo {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicU64>,
}

/// Starts an echo server named `name`. `/slow…` answers after 2 s; `/status/NNN` answers NNN;
/// a request header `X-Echo-Set: name=value` puts that header on the answer;
/// `/bytes/N` answers N bytes in chunks of unknown total (chunked), `/sized/N` N bytes with a
/// length.
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
                        let path =
                            req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
                        let size = |prefix: &str| {
                            path.strip_prefix(prefix).and_then(|n| n.parse::<usize>().ok())
                        };
                        if let Some(n) = size("/bytes/") {
                            let pieces = (0..n.div_ceil(10_000)).map(move |i| {
                                Ok::<_, Infallible>(Frame::data(Bytes::from(vec![
                                    b'a' + (i % 26)
                                        as u8;
                                    10_000.min(
                                        n - i * 10_000
                                    )
                                ])))
                            });
                            return Ok(Response::new(BoxBody::new(StreamBody::new(
                                futures_util::stream::iter(pieces),
                            ))));
                        }
                        if let Some(n) = size("/sized/") {
                            return Ok(Response::new(
                                Full::new(Bytes::from(vec![b'z'; n])).boxed(),
                            ));
                        }
                        let (parts, body) = req.into_parts();
                        let req = Request::from_parts(parts, ());
                        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        if path.starts_with("/slow") {
                            tokio::time::sleep(Duration::from_secs(2)).await;
                        }
                        let status = path
                            .strip_prefix("/status/")
                            .and_then(|s| s.parse::<u16>().ok())
                            .unwrap_or(200);
                        let headers: serde_json::Map<String, serde_json::Value> = req
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or(""))))
                            .collect();
                        let body = json!({
                            "server": name,
                            "path": path,
                            "method": req.method().as_str(),
                            "headers": headers,
                            "body": String::from_utf8_lossy(&body),
                        });
                        let mut answer = Response::builder()
                            .status(status)
                            .header("content-type", "application/json");
                        // `X-Echo-Set: name=value` asks for that header on the answer.
                        for asked in req.headers().get_all("x-echo-set") {
                            let asked = asked.to_str().unwrap_or("");
                            if let Some((k, v)) = asked.split_once('=') {
                                answer = answer.header(k.trim(), v.trim());
                            }
                        }
                        Ok::<_, Infallible>(
                            answer.body(Full::new(Bytes::from(body.to_string())).boxed()).unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Echo { addr, hits }
}

/// A log collector: answers 200 to everything and keeps each request's method, path, headers
/// and body, for plugins that send to an HTTP endpoint (http-log).
pub struct Collector {
    pub addr: SocketAddr,
    pub received: Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl Collector {
    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.received.lock().unwrap().clone()
    }
}

pub async fn collector() -> Collector {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let kept = kept.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let kept = kept.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let headers: serde_json::Map<String, serde_json::Value> = parts
                            .headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or(""))))
                            .collect();
                        kept.lock().unwrap().push(json!({
                            "method": parts.method.as_str(),
                            "path": parts.uri.to_string(),
                            "headers": headers,
                            "body": String::from_utf8_lossy(&body),
                        }));
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Collector { addr, received }
}
