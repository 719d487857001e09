//! The proxy: route, authenticate, rate-limit, balance, forward with pooled keep-alive
//! connections, retry connection failures, and answer Kong's errors (404, 401, 429, 502, 503, 504).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::header::{HeaderName, HeaderValue, HOST};
use hyper::{Request, Response};

use crate::analytics::Sample;
use crate::plugins::{self, Refusal, Scope};
use crate::router::upstream_path;
use crate::upstream::{self, RequestHead};
use crate::Shared;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Upstream bodies up to this size (with a Content-Length) are forwarded in one piece.
const SMALL_BODY: u64 = 256 * 1024;

/// Hop-by-hop headers dropped from an upstream answer (transfer-encoding stays: hyper frames the body).
const HOP_BY_HOP_ANSWER: [HeaderName; 7] = [hyper::header::CONNECTION, HeaderName::from_static("keep-alive"), hyper::header::PROXY_AUTHENTICATE, hyper::header::PROXY_AUTHORIZATION, hyper::header::TE, hyper::header::TRAILER, hyper::header::UPGRADE];
const HOP_BY_HOP: [&str; 8] = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];
/// Request headers the proxy writes itself (the body's length too, as it is sent whole).
const SET_BY_PROXY: [&str; 8] = ["host", "content-length", "x-forwarded-for", "x-real-ip", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-path", "x-kong-request-id"];
/// Headers that name the authenticated consumer; a client's own are dropped when one is known.
const CONSUMER_HEADERS: [&str; 5] = ["x-consumer-id", "x-consumer-username", "x-consumer-custom-id", "x-credential-identifier", "x-anonymous-consumer"];
const INVALID_RESPONSE: &str = "An invalid response was received from the upstream server";
const TIMED_OUT: &str = "The upstream server is timing out";

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_KONG_REQUEST_ID: HeaderName = HeaderName::from_static("x-kong-request-id");

/// A request id as Kong writes it: 32 hex digits, formatted without the `fmt` machinery.
fn request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = rand::random::<u128>();
    let digits: Vec<u8> = (0..32).rev().map(|i| HEX[((n >> (i * 4)) & 0xf) as usize]).collect();
    String::from_utf8(digits).unwrap_or_default()
}

fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed_unsync()
}

/// Kong's error answer: `{"message": …, "request_id": …}` as JSON.
fn kong_error(status: u16, message: &str, rid: &str, extra: &[(String, String)]) -> Response<Body> {
    let body = format!("{{\n  \"message\":{},\n  \"request_id\":\"{rid}\"\n}}", serde_json::to_string(message).unwrap_or_default());
    let mut resp = Response::builder().status(status).header("content-type", "application/json; charset=utf-8").header("x-kong-request-id", rid).header("server", concat!("runtime-manager-runtime/", env!("CARGO_PKG_VERSION")));
    for (k, v) in extra {
        resp = resp.header(k.as_str(), v.as_str());
    }
    resp.body(full(body)).unwrap()
}

fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("").split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The client's address as text, formatted once per connection.
pub type ClientIp = Arc<str>;

pub async fn handle(req: Request<hyper::body::Incoming>, client_ip: ClientIp, shared: Arc<Shared>) -> Result<Response<Body>, std::convert::Infallible> {
    let started = Instant::now();
    let rid = request_id();
    if !shared.configured.load(Ordering::Relaxed) {
        return Ok(kong_error(503, "no configuration received yet from the control plane", &rid, &[]));
    }
    let snap = shared.snapshot.load_full();
    let (req_parts, req_body) = req.into_parts();
    let method = req_parts.method.as_str();
    let headers = &req_parts.headers;
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let path = req_parts.uri.path();
    let Some(m) = snap.router.find(method, host, path, |name| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)) else {
        let resp = kong_error(404, "no Route matched with those values", &rid, &[]);
        shared.recorder.record(Sample { service: None, route: None, consumer: None, status: 404, total_ms: started.elapsed().as_secs_f64() * 1000.0, upstream_ms: None, request_bytes: 0, response_bytes: 0 });
        return Ok(resp);
    };
    let route = m.route;
    let remainder = m.remainder;
    let record = |status: u16, consumer: Option<&str>, upstream_ms: Option<f64>, resp_bytes: u64| {
        shared.recorder.record(Sample { service: route.service.as_deref(), route: Some(&route.id), consumer, status, total_ms: started.elapsed().as_secs_f64() * 1000.0, upstream_ms, request_bytes: 0, response_bytes: resp_bytes });
    };
    if !route.protocols.is_empty() && !route.protocols.iter().any(|p| p == "http") {
        record(426, None, None, 0);
        return Ok(kong_error(426, "Please use HTTPS protocol", &rid, &[]));
    }
    let Some(service) = route.service.as_ref().and_then(|s| snap.services.get(s)) else {
        record(503, None, None, 0);
        return Ok(kong_error(503, "no Service found with those values", &rid, &[]));
    };

    // Authentication runs before the consumer is known; then plugins are resolved again with it.
    // The query is only taken apart when key-auth may read (and hide) a key from it.
    let mut query = if snap.plugins.iter().any(|p| p.name == "key-auth") { parse_query(req_parts.uri.query()) } else { Vec::new() };
    let original_query_len = query.len();
    let mut hidden_headers = Vec::new();
    let base_scope = Scope { route: Some(&route.id), service: Some(&service.id), consumer: None, groups: &[] };
    let mut consumer_id: Option<String> = None;
    let mut credential_id: Option<String> = None;
    let mut anonymous = false;
    if let Some(ka) = plugins::resolve(&snap, "key-auth", &base_scope) {
        match plugins::key_auth(&snap, &ka.config, method, headers, &mut query, &mut hidden_headers) {
            Ok(Some(auth)) => {
                consumer_id = Some(auth.consumer);
                credential_id = auth.credential;
                anonymous = auth.anonymous;
            }
            Ok(None) => {}
            Err(Refusal { status, message, headers }) => {
                record(status, None, None, 0);
                return Ok(kong_error(status, &message, &rid, &headers));
            }
        }
    }
    let no_groups = Vec::new();
    let groups = consumer_id.as_ref().and_then(|c| snap.groups_of_consumer.get(c)).unwrap_or(&no_groups);
    let scope = Scope { consumer: consumer_id.as_deref(), groups, ..base_scope };
    let mut extra_headers: Vec<(String, String)> = Vec::new();
    if let Some(rl) = plugins::resolve(&snap, "rate-limiting", &scope) {
        let ip = client_ip.to_string();
        let identifier = match rl.config["limit_by"].as_str().unwrap_or("consumer") {
            "consumer" => consumer_id.clone().unwrap_or(ip),
            "credential" => credential_id.clone().unwrap_or(ip),
            "service" => service.id.clone(),
            "header" => rl.config["header_name"].as_str().and_then(|h| headers.get(h)).and_then(|v| v.to_str().ok()).map(str::to_string).unwrap_or(ip),
            "path" => path.to_string(),
            _ => ip,
        };
        match shared.counters.rate_limit(rl, &identifier, chrono::Utc::now().timestamp()) {
            Ok(h) => extra_headers = h,
            Err(Refusal { status, message, headers }) => {
                record(status, consumer_id.as_deref(), None, 0);
                return Ok(kong_error(status, &message, &rid, &headers));
            }
        }
    }

    // The upstream request.
    let mut target_path = upstream_path(service.path.as_deref(), &remainder, &route.path_handling);
    let query_string = if query.len() != original_query_len { query.iter().map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") }).collect::<Vec<_>>().join("&") } else { req_parts.uri.query().unwrap_or("").to_string() };
    if !query_string.is_empty() {
        target_path.push('?');
        target_path.push_str(&query_string);
    }
    let balancer = snap.upstreams.get(&service.host).cloned();
    let upstream_host_header = if route.preserve_host && !host.is_empty() {
        host
    } else if let Some(h) = balancer.as_ref().and_then(|b| b.host_header.as_deref()) {
        h
    } else {
        &service.host_header
    };
    // The upstream request, written out as the bytes that go on the wire. Headers the proxy sets
    // replace the client's of the same name; an authenticated consumer's replace any the client sent.
    let ip = &*client_ip;
    let consumer = consumer_id.as_ref().and_then(|c| snap.consumers.get(c));
    let xff = match headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {ip}"),
        None => ip.to_string(),
    };
    let body = match req_body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(kong_error(400, "Bad request", &rid, &[])),
    };
    let mut head = RequestHead::new(method, &target_path);
    head.header("host", upstream_host_header.as_bytes());
    for (k, v) in headers.iter() {
        let name = k.as_str();
        if HOP_BY_HOP.contains(&name) || SET_BY_PROXY.contains(&name) || (consumer.is_some() && CONSUMER_HEADERS.contains(&name)) || hidden_headers.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            continue;
        }
        head.header(name, v.as_bytes());
    }
    head.header("x-forwarded-for", xff.as_bytes());
    head.header("x-real-ip", ip.as_bytes());
    head.header("x-forwarded-proto", b"http");
    head.header("x-forwarded-host", host.split(':').next().unwrap_or("").as_bytes());
    head.header("x-forwarded-path", path.as_bytes());
    head.header("x-kong-request-id", rid.as_bytes());
    if let Some(c) = consumer {
        head.header("x-consumer-id", c.id.as_bytes());
        if let Some(u) = &c.username {
            head.header("x-consumer-username", u.as_bytes());
        }
        if let Some(ci) = &c.custom_id {
            head.header("x-consumer-custom-id", ci.as_bytes());
        }
        if let Some(cred) = &credential_id {
            head.header("x-credential-identifier", cred.as_bytes());
        }
        if anonymous {
            head.header("x-anonymous-consumer", b"true");
        }
    }
    // The body was read whole, so it goes with its length whatever framing the client used.
    if !body.is_empty() || headers.contains_key(hyper::header::CONTENT_LENGTH) || headers.contains_key(hyper::header::TRANSFER_ENCODING) {
        head.header("content-length", body.len().to_string().as_bytes());
    }
    let request = head.finish(&body);
    let head_only = req_parts.method == hyper::Method::HEAD;
    let idempotent = !matches!(req_parts.method, hyper::Method::POST | hyper::Method::PATCH);

    let timeouts = upstream::Timeouts { connect: Duration::from_millis(service.connect_timeout_ms.max(1)), write: Duration::from_millis(service.write_timeout_ms.max(1)), read: Duration::from_millis(service.read_timeout_ms.max(1)) };
    let read_timeout = timeouts.read;
    let attempts = service.retries + 1;
    let mut last_failure = (502u16, INVALID_RESPONSE);
    let upstream_started = Instant::now();
    for _ in 0..attempts {
        let target = match &balancer {
            Some(b) => match b.pick() {
                Some(t) => t.to_string(),
                None => {
                    last_failure = (503, "failure to get a peer from the ring-balancer");
                    break;
                }
            },
            None => service.address.clone(),
        };
        let (mut conn, answer) = match upstream::send(&target, &request, head_only, idempotent, timeouts).await {
            Ok(exchanged) => exchanged,
            // Kong retries connection failures on the next target.
            Err(upstream::Failure::Connect(upstream::ConnectError::Refused)) => {
                last_failure = (502, INVALID_RESPONSE);
                continue;
            }
            Err(upstream::Failure::Connect(upstream::ConnectError::TimedOut)) => {
                last_failure = (504, TIMED_OUT);
                continue;
            }
            Err(upstream::Failure::Exchange(upstream::SendError::TimedOut)) => {
                last_failure = (504, TIMED_OUT);
                break;
            }
            Err(upstream::Failure::Exchange(_)) => {
                last_failure = (502, INVALID_RESPONSE);
                break;
            }
        };
        let upstream_ms = upstream_started.elapsed().as_secs_f64() * 1000.0;
        let status = answer.status.as_u16();
        let mut answer_headers = answer.headers;
        for h in HOP_BY_HOP_ANSWER {
            answer_headers.remove(h);
        }
        for (k, v) in &extra_headers {
            if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                answer_headers.insert(k, v);
            }
        }
        let total_ms = started.elapsed().as_secs_f64() * 1000.0;
        answer_headers.insert(HeaderName::from_static("x-kong-upstream-latency"), HeaderValue::from(upstream_ms.round() as u64));
        answer_headers.insert(HeaderName::from_static("x-kong-proxy-latency"), HeaderValue::from((total_ms - upstream_ms).max(0.0).round() as u64));
        answer_headers.insert(HeaderName::from_static("via"), HeaderValue::from_static("1.1 runtime-manager-runtime"));
        answer_headers.insert(X_KONG_REQUEST_ID, HeaderValue::from_str(&rid).unwrap_or(HeaderValue::from_static("")));
        let size = match answer.framing {
            upstream::Framing::Length(n) => n,
            _ => 0,
        };
        record(status, consumer_id.as_deref(), Some(upstream_ms), size);
        // A small answer of known length is read whole, goes out in one write with its headers,
        // and frees its connection for the next request; other bodies stream.
        let body = match answer.framing {
            upstream::Framing::Empty => {
                if answer.keep_alive {
                    upstream::checkin(&target, conn);
                }
                full(Bytes::new())
            }
            upstream::Framing::Length(n) if n <= SMALL_BODY => match conn.read_exact_body(n as usize, read_timeout).await {
                Ok(b) => {
                    if answer.keep_alive {
                        upstream::checkin(&target, conn);
                    }
                    full(b)
                }
                Err(_) => return Ok(kong_error(502, INVALID_RESPONSE, &rid, &[])),
            },
            framing => streamed(conn, framing, target, answer.keep_alive, read_timeout),
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = answer.status;
        *resp.headers_mut() = answer_headers;
        return Ok(resp);
    }
    record(last_failure.0, consumer_id.as_deref(), None, 0);
    Ok(kong_error(last_failure.0, last_failure.1, &rid, &extra_headers))
}

/// A body read from the upstream as the client takes it; the connection goes back to the pool
/// at its end.
fn streamed(conn: upstream::Conn, framing: upstream::Framing, target: String, keep_alive: bool, read_timeout: Duration) -> Body {
    let pieces = futures_util::stream::unfold(Some((conn, upstream::BodyState::of(framing))), move |left| {
        let target = target.clone();
        async move {
            let (mut conn, mut state) = left?;
            match conn.next_piece(&mut state, read_timeout).await {
                Ok(Some(piece)) => Some((Ok(Frame::data(piece)), Some((conn, state)))),
                Ok(None) => {
                    if keep_alive {
                        upstream::checkin(&target, conn);
                    }
                    None
                }
                Err(e) => Some((Err(BoxError::from(format!("the upstream's body broke off: {e:?}"))), None)),
            }
        }
    });
    BodyExt::boxed_unsync(StreamBody::new(pieces))
}

/// Runs the proxy on `workers` threads, each a single-threaded event loop accepting from the
/// shared listening socket.
pub fn serve_on_threads(listener: std::net::TcpListener, shared: Arc<Shared>, workers: usize) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    for i in 0..workers.max(1) {
        let (listener, shared) = (listener.try_clone()?, shared.clone());
        std::thread::Builder::new().name(format!("proxy-{i}")).spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("proxy event loop");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("proxy listener");
                serve(listener, shared).await
            });
        })?;
    }
    Ok(())
}

/// Accepts proxy connections (HTTP/1.1 keep-alive) until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        stream.set_nodelay(true).ok();
        let shared = shared.clone();
        let client_ip: ClientIp = peer.ip().to_string().into();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(req, client_ip.clone(), shared.clone()));
            let _ = hyper::server::conn::http1::Builder::new().keep_alive(true).writev(false).serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
        });
    }
}
