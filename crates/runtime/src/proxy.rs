//! The proxy: route, authenticate, rate-limit, balance, forward with pooled keep-alive
//! connections, retry connection failures, and answer Kong's errors (404, 401, 429, 502, 503, 504).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::analytics::Sample;
use crate::downstream::{Answer, Payload, Request, Streamed};
use crate::http1::{self, BodyState, Framing, HeadOut};
use crate::plugins::{self, Refusal, Scope};
use crate::router::upstream_path;
use crate::upstream;
use crate::Shared;

/// Upstream bodies up to this size (with a Content-Length) are read whole and go out with the head.
const SMALL_BODY: u64 = 256 * 1024;

/// Hop-by-hop headers, never forwarded either way (RFC 9110 §7.6.1); transfer-encoding is
/// handled with the body's framing.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];
/// Request headers the proxy writes itself (the body's length too, as it is sent whole).
const SET_BY_PROXY: [&str; 8] = [
    "host",
    "content-length",
    "x-forwarded-for",
    "x-real-ip",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-path",
    "x-kong-request-id",
];
/// Answer headers the proxy writes itself.
const SET_ON_ANSWER: [&str; 4] =
    ["x-kong-upstream-latency", "x-kong-proxy-latency", "via", "x-kong-request-id"];
/// Headers that name the authenticated consumer; a client's own are dropped when one is known.
const CONSUMER_HEADERS: [&str; 5] = [
    "x-consumer-id",
    "x-consumer-username",
    "x-consumer-custom-id",
    "x-credential-identifier",
    "x-anonymous-consumer",
];
const INVALID_RESPONSE: &str = "An invalid response was received from the upstream server";
const TIMED_OUT: &str = "The upstream server is timing out";
const SERVER: &str = concat!("runtime-manager-runtime/", env!("CARGO_PKG_VERSION"));

fn one_of(name: &str, list: &[&str]) -> bool {
    list.iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// A request id as Kong writes it: 32 hex digits, formatted without the `fmt` machinery.
pub fn request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = rand::random::<u128>();
    let digits: Vec<u8> = (0..32).rev().map(|i| HEX[((n >> (i * 4)) & 0xf) as usize]).collect();
    String::from_utf8(digits).unwrap_or_default()
}

/// Kong's error answer: `{"message": …, "request_id": …}` as JSON.
pub fn kong_error(status: u16, message: &str, rid: &str, extra: &[(String, String)]) -> Answer {
    let body = format!(
        "{{\n  \"message\":{},\n  \"request_id\":\"{rid}\"\n}}",
        serde_json::to_string(message).unwrap_or_default()
    );
    let mut head = HeadOut::answer(status, "");
    head.header("date", http1::date().as_bytes());
    head.header("content-type", b"application/json; charset=utf-8");
    head.header("x-kong-request-id", rid.as_bytes());
    head.header("server", SERVER.as_bytes());
    for (k, v) in extra {
        head.header(k, v.as_bytes());
    }
    Answer { head, payload: Payload::Whole(Bytes::from(body)) }
}

fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The client's address as text, formatted once per connection.
pub type ClientIp = Arc<str>;

/// Proxies one request by the current configuration and says what to answer.
pub async fn handle(req: &Request, client_ip: &ClientIp, shared: &Shared) -> Answer {
    let started = Instant::now();
    let rid = request_id();
    if !shared.configured.load(Ordering::Relaxed) {
        return kong_error(503, "no configuration received yet from the control plane", &rid, &[]);
    }
    let snap = shared.snapshot.load_full();
    let method = req.method();
    let headers = req.headers();
    let host = headers.get_str("host").unwrap_or("");
    let path = req.path();
    let Some(m) =
        snap.router.find(method, host, path, |name| headers.get_str(name).map(str::to_string))
    else {
        shared.recorder.record(Sample {
            service: None,
            route: None,
            consumer: None,
            status: 404,
            total_ms: started.elapsed().as_secs_f64() * 1000.0,
            upstream_ms: None,
            request_bytes: 0,
            response_bytes: 0,
        });
        return kong_error(404, "no Route matched with those values", &rid, &[]);
    };
    let route = m.route;
    let remainder = m.remainder;
    let record =
        |status: u16, consumer: Option<&str>, upstream_ms: Option<f64>, resp_bytes: u64| {
            shared.recorder.record(Sample {
                service: route.service.as_deref(),
                route: Some(&route.id),
                consumer,
                status,
                total_ms: started.elapsed().as_secs_f64() * 1000.0,
                upstream_ms,
                request_bytes: 0,
                response_bytes: resp_bytes,
            });
        };
    if !route.protocols.is_empty() && !route.protocols.iter().any(|p| p == "http") {
        record(426, None, None, 0);
        return kong_error(426, "Please use HTTPS protocol", &rid, &[]);
    }
    let Some(service) = route.service.as_ref().and_then(|s| snap.services.get(s)) else {
        record(503, None, None, 0);
        return kong_error(503, "no Service found with those values", &rid, &[]);
    };

    // Authentication runs before the consumer is known; then plugins are resolved again with it.
    // The query is only taken apart when key-auth may read (and hide) a key from it.
    let mut query = if snap.plugins.iter().any(|p| p.name == "key-auth") {
        parse_query(req.query())
    } else {
        Vec::new()
    };
    let original_query_len = query.len();
    let mut hidden_headers = Vec::new();
    let base_scope =
        Scope { route: Some(&route.id), service: Some(&service.id), consumer: None, groups: &[] };
    let mut consumer_id: Option<String> = None;
    let mut credential_id: Option<String> = None;
    let mut anonymous = false;
    if let Some(ka) = plugins::resolve(&snap, "key-auth", &base_scope) {
        match plugins::key_auth(&snap, &ka.config, method, headers, &mut query, &mut hidden_headers)
        {
            Ok(Some(auth)) => {
                consumer_id = Some(auth.consumer);
                credential_id = auth.credential;
                anonymous = auth.anonymous;
            }
            Ok(None) => {}
            Err(Refusal { status, message, headers }) => {
                record(status, None, None, 0);
                return kong_error(status, &message, &rid, &headers);
            }
        }
    }
    let no_groups = Vec::new();
    let groups =
        consumer_id.as_ref().and_then(|c| snap.groups_of_consumer.get(c)).unwrap_or(&no_groups);
    let scope = Scope { consumer: consumer_id.as_deref(), groups, ..base_scope };
    let mut extra_headers: Vec<(String, String)> = Vec::new();
    if let Some(rl) = plugins::resolve(&snap, "rate-limiting", &scope) {
        let ip = client_ip.to_string();
        let identifier = match rl.config["limit_by"].as_str().unwrap_or("consumer") {
            "consumer" => consumer_id.clone().unwrap_or(ip),
            "credential" => credential_id.clone().unwrap_or(ip),
            "service" => service.id.clone(),
            "header" => rl.config["header_name"]
                .as_str()
                .and_then(|h| headers.get_str(h))
                .map(str::to_string)
                .unwrap_or(ip),
            "path" => path.to_string(),
            _ => ip,
        };
        match shared.counters.rate_limit(rl, &identifier, chrono::Utc::now().timestamp()) {
            Ok(h) => extra_headers = h,
            Err(Refusal { status, message, headers }) => {
                record(status, consumer_id.as_deref(), None, 0);
                return kong_error(status, &message, &rid, &headers);
            }
        }
    }

    // The upstream request.
    let mut target_path = upstream_path(service.path.as_deref(), &remainder, &route.path_handling);
    let query_string = if query.len() != original_query_len {
        query
            .iter()
            .map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") })
            .collect::<Vec<_>>()
            .join("&")
    } else {
        req.query().unwrap_or("").to_string()
    };
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
    // replace the client's of the same name; an authenticated consumer's replace any the client
    // sent.
    let ip = &**client_ip;
    let consumer = consumer_id.as_ref().and_then(|c| snap.consumers.get(c));
    let xff = match headers.get_str("x-forwarded-for") {
        Some(prev) => format!("{prev}, {ip}"),
        None => ip.to_string(),
    };
    let mut head = HeadOut::request(method, &target_path);
    head.header("host", upstream_host_header.as_bytes());
    for (name, value) in headers.iter() {
        if one_of(name, &HOP_BY_HOP)
            || one_of(name, &SET_BY_PROXY)
            || (consumer.is_some() && one_of(name, &CONSUMER_HEADERS))
            || hidden_headers.iter().any(|h| h.eq_ignore_ascii_case(name))
        {
            continue;
        }
        head.header(name, value);
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
    if !req.body.is_empty() || req.framed_body {
        head.header("content-length", http1::digits(req.body.len() as u64).as_bytes());
    }
    let request = head.finish(&req.body);
    let head_only = method == "HEAD";
    let idempotent = !matches!(method, "POST" | "PATCH");

    let timeouts = upstream::Timeouts {
        connect: Duration::from_millis(service.connect_timeout_ms.max(1)),
        write: Duration::from_millis(service.write_timeout_ms.max(1)),
        read: Duration::from_millis(service.read_timeout_ms.max(1)),
    };
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
        let (mut conn, answer) =
            match upstream::send(&target, &request, head_only, idempotent, timeouts).await {
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
        let size = match answer.framing {
            Framing::Length(n) => n,
            _ => 0,
        };
        record(answer.status, consumer_id.as_deref(), Some(upstream_ms), size);
        // The upstream's header lines go to the client as they came, less hop-by-hop ones and
        // those the proxy sets; a body's framing headers stay when the body goes as it came
        // (by length, or none), and are the server's to write when it is re-framed.
        let reframed = matches!(answer.framing, Framing::Chunked | Framing::UntilClose);
        let mut out = HeadOut::answer(answer.status, &answer.reason);
        let mut dated = false;
        for (name, value) in answer.headers.iter() {
            let own = one_of(name, &SET_ON_ANSWER)
                || extra_headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
            let framing = one_of(name, &["transfer-encoding", "content-length"]);
            let hop_by_hop = one_of(name, &HOP_BY_HOP) && !framing;
            if own || hop_by_hop || (reframed && framing) {
                continue;
            }
            dated |= name.eq_ignore_ascii_case("date");
            out.header(name, value);
        }
        if !dated {
            out.header("date", http1::date().as_bytes());
        }
        for (k, v) in &extra_headers {
            out.header(k, v.as_bytes());
        }
        let total_ms = started.elapsed().as_secs_f64() * 1000.0;
        out.header("x-kong-upstream-latency", http1::digits(upstream_ms.round() as u64).as_bytes());
        out.header(
            "x-kong-proxy-latency",
            http1::digits((total_ms - upstream_ms).max(0.0).round() as u64).as_bytes(),
        );
        out.header("via", b"1.1 runtime-manager-runtime");
        out.header("x-kong-request-id", rid.as_bytes());
        // A small answer of known length is read whole, goes out in one write with its head,
        // and frees its connection for the next request; other bodies stream.
        let payload = match answer.framing {
            Framing::Empty => {
                upstream::checkin(&target, conn, answer.keep_alive);
                Payload::Framed(Bytes::new())
            }
            Framing::Length(n) if n <= SMALL_BODY => {
                match conn.read_exact_body(n as usize, read_timeout).await {
                    Ok(b) => {
                        upstream::checkin(&target, conn, answer.keep_alive);
                        Payload::Framed(b)
                    }
                    Err(_) => return kong_error(502, INVALID_RESPONSE, &rid, &[]),
                }
            }
            framing => Payload::Streamed(Streamed {
                conn,
                state: BodyState::of(framing),
                target,
                keep_alive: answer.keep_alive,
                read_timeout,
                length_in_head: !reframed,
            }),
        };
        return Answer { head: out, payload };
    }
    record(last_failure.0, consumer_id.as_deref(), None, 0);
    kong_error(last_failure.0, last_failure.1, &rid, &extra_headers)
}
