//! http-log: each request's log entry, in Kong's log serializer shape, sent as JSON to an HTTP
//! endpoint (Kong's `http-log`, priority 12, log phase), batched by a queue per plugin config
//! (`queue.max_batch_size`, `queue.max_coalescing_delay`, `queue.max_entries`), off the request
//! path: a request only hands its entry to the queue.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;

use super::{Context, Parse, Plugin, Served};
use crate::http1::{self, HeadOut};
use crate::{upstream, FastMap};

/// Tries of a batch before it is dropped (Kong retries within `queue.max_retry_time`).
const TRIES: u32 = 3;

/// A parsed http-log config: where and how its queue sends.
#[derive(Debug, Clone)]
pub struct HttpLog {
    id: String,
    endpoint: Endpoint,
    method: String,
    content_type: String,
    timeout: Duration,
    headers: Vec<(String, String)>,
    max_batch_size: usize,
    max_coalescing_delay: Duration,
    max_entries: usize,
}

/// An `http://host:port/path` endpoint, split once.
#[derive(Debug, Clone, PartialEq)]
struct Endpoint {
    address: String,
    host_header: String,
    target: String,
    authorization: Option<String>,
}

impl Plugin for HttpLog {
    const NAME: &'static str = "http-log";
    const PRIORITY: i32 = 12;

    fn parse(args: &Parse) -> Result<Self, String> {
        let cfg = args.config;
        let endpoint = endpoint(cfg["http_endpoint"].as_str().unwrap_or(""))?;
        let queue = &cfg["queue"];
        let number = |v: &Value, default: f64| v.as_f64().unwrap_or(default);
        Ok(HttpLog {
            id: args.id.to_string(),
            endpoint,
            method: cfg["method"].as_str().unwrap_or("POST").to_string(),
            content_type: cfg["content_type"].as_str().unwrap_or("application/json").to_string(),
            timeout: Duration::from_millis(number(&cfg["timeout"], 10_000.0) as u64),
            headers: cfg["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect(),
            max_batch_size: number(&queue["max_batch_size"], 1.0).max(1.0) as usize,
            max_coalescing_delay: Duration::from_secs_f64(
                number(&queue["max_coalescing_delay"], 1.0).max(0.0),
            ),
            max_entries: number(&queue["max_entries"], 10_000.0).max(1.0) as usize,
        })
    }

    fn log(&self, ctx: &Context, served: &Served) {
        ctx.state.http_log.push(self, serialize(ctx, served));
    }
}

/// The endpoint's parts; this runtime speaks plain HTTP to log endpoints.
fn endpoint(url: &str) -> Result<Endpoint, String> {
    let Some(rest) = url.strip_prefix("http://") else {
        let why = if url.starts_with("https://") {
            "https log endpoints are not supported by this runtime; use http://"
        } else {
            "http_endpoint must be an http:// URL"
        };
        return Err(why.to_string());
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(format!("http_endpoint '{url}' has no host"));
    }
    let address = if host.contains(':') { host.to_string() } else { format!("{host}:80") };
    Ok(Endpoint {
        address,
        host_header: host.to_string(),
        target: format!("/{path}"),
        // Kong sends an endpoint's userinfo as basic authentication.
        authorization: userinfo.map(|u| format!("Basic {}", STANDARD.encode(u))),
    })
}

/// Kong's `kong.log.serialize()` of a request: what was asked, answered, by whom, how long.
fn serialize(ctx: &Context, served: &Served) -> Value {
    let req = ctx.req;
    let mut headers = Map::new();
    for (k, v) in req.headers().iter() {
        let k = k.to_ascii_lowercase();
        let redacted = matches!(k.as_str(), "authorization" | "proxy-authorization");
        let v = if redacted { "REDACTED".into() } else { String::from_utf8_lossy(v).into_owned() };
        headers.insert(k, Value::String(v));
    }
    let query: Map<String, Value> =
        ctx.query().iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let host = req.headers().get_str("host").unwrap_or("");
    let started_ms = now_ms() - served.total_ms as u64;
    let upstream_ms = served.upstream_ms.unwrap_or(0.0);
    let mut entry = json!({
        "request": {
            "method": req.method(),
            "uri": req.path(),
            "url": format!("http://{host}{}", req.path()),
            "querystring": query,
            "headers": headers,
            "size": served.request_bytes,
        },
        "response": {"status": served.status, "size": served.response_bytes, "headers": {}},
        "latencies": {
            "request": served.total_ms.round() as u64,
            "proxy": served.upstream_ms.map(|u| u.round() as i64).unwrap_or(-1),
            "kong": (served.total_ms - upstream_ms).max(0.0).round() as u64,
            "receive": 0,
        },
        "client_ip": ctx.client_ip,
        "started_at": started_ms,
        "source": if served.upstream_ms.is_some() { "upstream" } else { "kong" },
        "workspace_name": "default",
    });
    let snap = ctx.snap;
    if let Some(s) = ctx.service_id.and_then(|id| snap.services.get(id)) {
        entry["service"] = json!({
            "id": s.id, "name": snap.service_label(&s.id), "host": s.host, "port": s.port,
            "protocol": s.protocol, "path": s.path, "retries": s.retries,
        });
    }
    if let Some(r) = ctx.route_id {
        entry["route"] = json!({"id": r, "name": snap.route_label(r)});
    }
    if let Some(auth) = &ctx.consumer {
        if let Some(c) = snap.consumers.get(&auth.consumer) {
            entry["consumer"] =
                json!({"id": c.id, "username": c.username, "custom_id": c.custom_id});
        }
        if let Some(cred) = &auth.credential {
            entry["authenticated_entity"] = json!({"id": cred, "consumer_id": auth.consumer});
        }
    }
    entry
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The queues of every http-log config, by plugin id and endpoint; a queue lives while the
/// runtime does and is replaced when its config changes.
#[derive(Default)]
pub struct Queues(Mutex<FastMap<String, (HttpLogKey, mpsc::Sender<Value>)>>);

/// What makes two configs share a queue: the same sending settings.
type HttpLogKey = (Endpoint, String, String, Vec<(String, String)>, usize, Duration, usize);

impl HttpLog {
    fn key(&self) -> HttpLogKey {
        (
            self.endpoint.clone(),
            self.method.clone(),
            self.content_type.clone(),
            self.headers.clone(),
            self.max_batch_size,
            self.max_coalescing_delay,
            self.max_entries,
        )
    }
}

impl Queues {
    /// Hands an entry to the config's queue (starting it on first use); a full queue drops the
    /// entry, as Kong's does past `max_entries`.
    fn push(&self, config: &HttpLog, entry: Value) {
        let mut queues = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let key = config.key();
        let stale = queues.get(&config.id).is_none_or(|(k, tx)| *k != key || tx.is_closed());
        if stale {
            let (tx, rx) = mpsc::channel(config.max_entries);
            tokio::spawn(run_queue(config.clone(), rx));
            queues.insert(config.id.clone(), (key, tx));
        }
        if let Some((_, tx)) = queues.get(&config.id) {
            if tx.try_send(entry).is_err() {
                tracing::warn!(plugin = %config.id, "http-log queue full: an entry was dropped");
            }
        }
    }
}

/// Sends batches until the queue's config is replaced (its sender dropped).
async fn run_queue(config: HttpLog, mut rx: mpsc::Receiver<Value>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + config.max_coalescing_delay;
        while batch.len() < config.max_batch_size {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(entry)) => batch.push(entry),
                _ => break,
            }
        }
        send_batch(&config, batch).await;
    }
}

/// One batch: a single entry alone as an object (Kong's `max_batch_size` 1), else an array.
async fn send_batch(config: &HttpLog, mut batch: Vec<Value>) {
    let body = if batch.len() == 1 && config.max_batch_size == 1 {
        batch.remove(0).to_string()
    } else {
        Value::Array(batch).to_string()
    };
    for attempt in 0..TRIES {
        match post(config, body.as_bytes()).await {
            Ok(status) if status < 300 => return,
            Ok(status) => tracing::warn!(plugin = %config.id, status, "http-log endpoint refused"),
            Err(e) => tracing::warn!(plugin = %config.id, "http-log endpoint unreachable: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
    }
    tracing::warn!(plugin = %config.id, "http-log batch dropped after {TRIES} tries");
}

async fn post(config: &HttpLog, body: &[u8]) -> Result<u16, String> {
    let e = &config.endpoint;
    let mut head = HeadOut::request(&config.method, &e.target);
    head.header("host", e.host_header.as_bytes());
    head.header("content-type", config.content_type.as_bytes());
    head.header("content-length", http1::digits(body.len() as u64).as_bytes());
    if let Some(auth) = &e.authorization {
        head.header("authorization", auth.as_bytes());
    }
    for (k, v) in &config.headers {
        head.header(k, v.as_bytes());
    }
    let request = head.finish(body);
    let t = config.timeout;
    let timeouts = upstream::Timeouts { connect: t, write: t, read: t };
    let (mut conn, answer) = upstream::send(&e.address, &request, false, false, timeouts)
        .await
        .map_err(|f| format!("{f:?}"))?;
    if let http1::Framing::Length(n) = answer.framing {
        let _ = conn.read_exact_body(n as usize, t).await;
    }
    Ok(answer.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_split_once_and_https_is_refused_with_why() {
        let e = endpoint("http://logs.internal:9000/bulk?x=1").unwrap();
        assert_eq!(e.address, "logs.internal:9000");
        assert_eq!(e.target, "/bulk?x=1");
        let e = endpoint("http://ann:pw@logs").unwrap();
        assert_eq!((e.address.as_str(), e.target.as_str()), ("logs:80", "/"));
        assert_eq!(e.authorization.as_deref(), Some("Basic YW5uOnB3"));
        assert!(endpoint("https://logs").unwrap_err().contains("https"));
        assert!(endpoint("ftp://logs").is_err());
    }
}
