//! A fault-injecting proxy in front of the real control plane: each request takes the next
//! scripted fault (a status, a 429 with Retry-After, a dropped connection) or is forwarded; a
//! standing rate limit can answer 429 to one request in N besides.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// Close the connection without answering.
    Drop,
    /// Forward as usual (to let some requests through before later faults).
    Pass,
    /// Forward after this wait: a slow answer.
    Delay(std::time::Duration),
}

/// 429 to every `every`-th request (the scripted faults aside), asking to wait `retry_after`.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub every: u64,
    /// Sent as `Retry-After` in whole seconds (rounded up) and, when it has a fraction of a
    /// second, also as `retry-after-ms`, as servers do for clients that read the finer one.
    pub retry_after: std::time::Duration,
}

impl RateLimit {
    fn answer(&self) -> Response<Full<Bytes>> {
        let ms = self.retry_after.as_millis();
        let mut out = Response::builder()
            .status(429)
            .header("retry-after", ms.div_ceil(1000).to_string())
            .header("content-type", "application/problem+json");
        if !ms.is_multiple_of(1000) {
            out = out.header("retry-after-ms", ms.to_string());
        }
        out.body(Full::new(Bytes::from_static(
            b"{\"status\":429,\"title\":\"Too Many Requests\",\"instance\":\"fault\",\
              \"detail\":\"API rate limit exceeded\"}",
        )))
        .unwrap()
    }
}

/// The standing rate limit and what it did.
#[derive(Default)]
struct RateLimiting {
    rule: Mutex<Option<RateLimit>>,
    /// Requests the rule has looked at, to pick every N-th.
    counted: AtomicU64,
    answered: AtomicU64,
}

impl RateLimiting {
    /// The 429 this request gets, if it is the N-th.
    fn answer(&self) -> Option<Response<Full<Bytes>>> {
        let rule = (*self.rule.lock().unwrap())?;
        let n = self.counted.fetch_add(1, Ordering::SeqCst) + 1;
        if !n.is_multiple_of(rule.every.max(1)) {
            return None;
        }
        self.answered.fetch_add(1, Ordering::SeqCst);
        Some(rule.answer())
    }
}

/// A request as the client sent it, kept for contract checks.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub body: Bytes,
    /// The answer passed back to the client.
    pub status: u16,
    pub response: Bytes,
}

pub struct FaultProxy {
    pub base: String,
    /// Filled only while `recording` is on: a bench's proxy must not hold every answer.
    recorded: Arc<Mutex<Vec<Recorded>>>,
    recording: Arc<std::sync::atomic::AtomicBool>,
    script: Arc<Mutex<VecDeque<Fault>>>,
    seen: Arc<AtomicU64>,
    /// Added to every forwarded request, in microseconds: a round trip to a far region.
    latency_us: Arc<AtomicU64>,
    rate_limiting: Arc<RateLimiting>,
}

impl FaultProxy {
    /// The faults the next requests get, in order; requests beyond them are forwarded.
    pub fn script(&self, faults: Vec<Fault>) {
        *self.script.lock().unwrap() = faults.into();
        self.seen.store(0, Ordering::SeqCst);
    }

    /// Every forwarded request waits this long first (a simulated round-trip time).
    pub fn set_latency(&self, rtt: std::time::Duration) {
        self.latency_us.store(rtt.as_micros() as u64, Ordering::SeqCst);
    }

    /// Keeps every request and answer from now on, for `take_recorded`.
    pub fn record(&self) {
        self.recording.store(true, Ordering::SeqCst);
    }

    /// Every request forwarded while recording (and forgets them).
    pub fn take_recorded(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.recorded.lock().unwrap())
    }

    /// Requests received since the last `script`.
    pub fn seen(&self) -> u64 {
        self.seen.load(Ordering::SeqCst)
    }

    /// From now on, 429 to one request in `limit.every` (counting afresh); `None` lifts it.
    pub fn rate_limit(&self, limit: Option<RateLimit>) {
        *self.rate_limiting.rule.lock().unwrap() = limit;
        self.rate_limiting.counted.store(0, Ordering::SeqCst);
    }

    /// 429s the standing rate limit has answered since the proxy started.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limiting.answered.load(Ordering::SeqCst)
    }
}

pub async fn start(upstream: String) -> FaultProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let script: Arc<Mutex<VecDeque<Fault>>> = Arc::default();
    let seen = Arc::new(AtomicU64::new(0));
    let latency_us = Arc::new(AtomicU64::new(0));
    let recorded: Arc<Mutex<Vec<Recorded>>> = Arc::default();
    let recording = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rate_limiting: Arc<RateLimiting> = Arc::default();
    let (s2, seen2, lat2, rec2, limits2) = (
        script.clone(),
        seen.clone(),
        latency_us.clone(),
        (recorded.clone(), recording.clone()),
        rate_limiting.clone(),
    );
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let (script, seen, http, upstream, lat, rec, limits) = (
                s2.clone(),
                seen2.clone(),
                http.clone(),
                upstream.clone(),
                lat2.clone(),
                rec2.clone(),
                limits2.clone(),
            );
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (script, seen, http, upstream, lat, rec, limits) = (
                        script.clone(),
                        seen.clone(),
                        http.clone(),
                        upstream.clone(),
                        lat.clone(),
                        rec.clone(),
                        limits.clone(),
                    );
                    async move {
                        seen.fetch_add(1, Ordering::SeqCst);
                        let fault = script.lock().unwrap().pop_front();
                        if fault.is_none() {
                            if let Some(answer) = limits.answer() {
                                return Ok(answer);
                            }
                        }
                        match fault {
                            Some(Fault::Drop) => Err("dropped on purpose"),
                            Some(Fault::Status(code)) => Ok(Response::builder()
                                .status(code)
                                .header("content-type", "application/problem+json")
                                .body(Full::new(Bytes::from(format!(
                                    "{{\"status\":{code},\"title\":\"Injected\",\"instance\":\"faul\
                                        t\",\"detail\":\"injected {code}\"}}"
                                ))))
                                .unwrap()),
                            Some(Fault::TooManyRequests { retry_after_secs }) => {
                                Ok(Response::builder()
                                    .status(429)
                                    .header("retry-after", retry_after_secs.to_string())
                                    .header("content-type", "application/problem+json")
                                    .body(Full::new(Bytes::from_static(
                                        b"{\"status\":429,\"title\":\"Too Many \
                                            Requests\",\"instance\":\"fault\",\"detail\":\"slow \
                                            down\"}",
                                    )))
                                    .unwrap())
                            }
                            Some(Fault::Pass) | Some(Fault::Delay(_)) | None => {
                                if let Some(Fault::Delay(d)) = fault {
                                    tokio::time::sleep(d).await;
                                }
                                let rtt = lat.load(Ordering::SeqCst);
                                if rtt > 0 {
                                    tokio::time::sleep(std::time::Duration::from_micros(rtt)).await;
                                }
                                let method = req.method().clone();
                                let url = format!(
                                    "{upstream}{}",
                                    req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/")
                                );
                                let headers = req.headers().clone();
                                let body = req
                                    .into_body()
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                let (path, query) = url[upstream.len()..]
                                    .split_once('?')
                                    .map(|(p, q)| (p.to_string(), Some(q.to_string())))
                                    .unwrap_or_else(|| (url[upstream.len()..].to_string(), None));
                                let request = Recorded {
                                    method: method.to_string(),
                                    path,
                                    query,
                                    body: body.clone(),
                                    status: 0,
                                    response: Bytes::new(),
                                };
                                let mut fwd = http.request(method, url).body(body);
                                for name in ["authorization", "content-type"] {
                                    if let Some(v) = headers.get(name) {
                                        fwd = fwd.header(name, v);
                                    }
                                }
                                let resp = fwd.send().await.map_err(|_| "upstream unreachable")?;
                                let status = resp.status().as_u16();
                                let ct = resp.headers().get("content-type").cloned();
                                let bytes = resp.bytes().await.unwrap_or_default();
                                if rec.1.load(Ordering::SeqCst) {
                                    rec.0.lock().unwrap().push(Recorded {
                                        status,
                                        response: bytes.clone(),
                                        ..request
                                    });
                                }
                                let mut out = Response::builder().status(status);
                                if let Some(ct) = ct {
                                    out = out.header("content-type", ct);
                                }
                                Ok(out.body(Full::new(bytes)).unwrap())
                            }
                        }
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    FaultProxy { base, recorded, recording, script, seen, latency_us, rate_limiting }
}
