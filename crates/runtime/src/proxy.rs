//! The proxy: one request through Kong's phases. `rewrite` runs the global plugins; `access`
//! routes the request and runs each plugin's config that applies, in priority order; the balancer
//! forwards it on a pooled keep-alive connection, retrying connection failures; `header_filter`
//! and `body_filter` shape the answer; `log` counts it for analytics. Kong's errors (404, 401,
//! 426, 429, 502, 503, 504) end a request wherever it fails.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::analytics::Sample;
use crate::balancer::Balancer;
use crate::config::{Service, Snapshot};
use crate::exchange::{kong_error, request_id, Answer, ClientIp, Payload, Request, Streamed};
use crate::http1::{self, BodyState, Framing, HeadOut};
use crate::plugins::{self, AnswerHead, Context, Ran, Refusal, Scope, Served};
use crate::router::{upstream_path, Route};
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

fn one_of(name: &str, list: &[&str]) -> bool {
    list.iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// The proxy's own ending of a request (no route, no service, …), as a plugin's would be.
fn exit(status: u16, message: &'static str) -> Refusal {
    Refusal::new(status, message)
}

/// Proxies one request by the current configuration and says what to answer.
pub async fn handle(req: &Request, client_ip: &ClientIp, shared: &Shared) -> Answer {
    let started = Instant::now();
    let rid = request_id();
    if !shared.configured.load(Ordering::Relaxed) {
        return kong_error(503, "no configuration received yet from the control plane", &rid, &[]);
    }
    let snap = shared.snapshot.load_full();
    let mut flow = Flow {
        shared,
        snap: &snap,
        started,
        rid: &rid,
        route: None,
        ran: Ran::default(),
        ctx: Context::new(req, client_ip, &snap, &shared.plugin_state),
    };
    let routed = match flow.rewrite().and_then(|()| flow.access()) {
        Ok(routed) => routed,
        Err(refusal) => return flow.refuse(refusal),
    };
    flow.balance_and_answer(routed).await
}

/// Where `access` sends a request: its service, and the path left after the route's part.
struct Routed<'s> {
    route: &'s Route,
    service: &'s Service,
    remainder: String,
}

/// One request on its way through the phases.
struct Flow<'s> {
    shared: &'s Shared,
    snap: &'s Snapshot,
    started: Instant,
    rid: &'s str,
    /// Known once `access` has routed the request.
    route: Option<&'s Route>,
    /// The plugin configs whose `access` ran: their filters and `log` run too.
    ran: Ran<'s>,
    ctx: Context<'s>,
}

impl<'s> Flow<'s> {
    /// Kong's rewrite phase: global plugins only, the request not yet routed.
    fn rewrite(&mut self) -> Result<(), Refusal> {
        for config in self.snap.plugins.global() {
            config.handler.rewrite(&mut self.ctx)?;
        }
        Ok(())
    }

    /// Kong's access phase: the router, then each plugin's config for this route, service and
    /// consumer (known once an authentication plugin ran), highest priority first.
    fn access(&mut self) -> Result<Routed<'s>, Refusal> {
        let req = self.ctx.req;
        let headers = req.headers();
        let host = headers.get_str("host").unwrap_or("");
        let header = |name: &str| headers.get_str(name).map(str::to_string);
        let Some(m) = self.snap.router.find(req.method(), host, req.path(), header) else {
            return Err(exit(404, "no Route matched with those values"));
        };
        let route = m.route;
        self.route = Some(route);
        self.ctx.route_id = Some(&route.id);
        self.ctx.service_id = route.service.as_deref();
        if !route.protocols.is_empty() && !route.protocols.iter().any(|p| p == "http") {
            return Err(exit(426, "Please use HTTPS protocol"));
        }
        let Some(service) = route.service.as_ref().and_then(|s| self.snap.services.get(s)) else {
            return Err(exit(503, "no Service found with those values"));
        };
        self.run_access()?;
        Ok(Routed { route, service, remainder: m.remainder })
    }

    /// Runs each applying config's access in turn. After a refusal, the later configs are still
    /// collected without running their access, as Kong does, so their header filters and log
    /// phase see the refusal (an http-log records a 401 too).
    fn run_access(&mut self) -> Result<(), Refusal> {
        let snap = self.snap;
        let mut refused = None;
        for configs in snap.plugins.in_priority_order() {
            let scope = Scope {
                route: self.ctx.route_id,
                service: self.ctx.service_id,
                consumer: self.ctx.consumer_id(),
                groups: self.ctx.consumer_groups(),
            };
            let Some(config) = plugins::resolve(configs, &scope) else { continue };
            if refused.is_none() {
                refused = config.handler.access(&mut self.ctx).err();
            }
            self.ran.push(config);
        }
        refused.map_or(Ok(()), Err)
    }

    /// A request ended before it was forwarded: Kong's error (or the plugin's own body), with
    /// the headers set so far and the header filters of the plugins that ran.
    fn refuse(&mut self, refusal: Refusal) -> Answer {
        let mut head = AnswerHead::new(refusal.status, None);
        let set_so_far = std::mem::take(&mut self.ctx.answer_headers);
        for (k, v) in set_so_far.into_iter().chain(refusal.headers.iter().cloned()) {
            head.set(k, v);
        }
        self.header_filter(&mut head);
        let mut answer = match &refusal.body {
            Some((content_type, body)) => {
                let mut out = HeadOut::answer(refusal.status, "");
                out.header("date", http1::date().as_bytes());
                // An empty content type is a body-less answer (a cors preflight's 200).
                if !content_type.is_empty() && head.keeps("content-type") {
                    out.header("content-type", content_type.as_bytes());
                }
                out.header("x-kong-request-id", self.rid.as_bytes());
                out.header("server", crate::exchange::SERVER.as_bytes());
                Answer { head: out, payload: Payload::Whole(body.clone()) }
            }
            None => kong_error(refusal.status, &refusal.message, self.rid, &[]),
        };
        head.write_added(&mut answer.head);
        let size = match &answer.payload {
            Payload::Whole(b) => b.len() as u64,
            _ => 0,
        };
        self.log(refusal.status, None, size);
        answer
    }

    /// Kong's balancer phase and the answer's filters: forwards the request (retrying connection
    /// failures on the next target) and shapes what comes back.
    async fn balance_and_answer(mut self, routed: Routed<'s>) -> Answer {
        let service = routed.service;
        let balancer = self.snap.upstreams.get(&service.host).map(|b| &**b);
        let request = self.upstream_request(&routed, balancer);
        let timeouts = upstream::Timeouts {
            connect: Duration::from_millis(service.connect_timeout_ms.max(1)),
            write: Duration::from_millis(service.write_timeout_ms.max(1)),
            read: Duration::from_millis(service.read_timeout_ms.max(1)),
        };
        let head_only = self.ctx.req.method() == "HEAD";
        let upstream_started = Instant::now();
        match forward(service, balancer, &request, head_only, self.idempotent(), timeouts).await {
            Ok((target, conn, answer)) => {
                let upstream_ms = upstream_started.elapsed().as_secs_f64() * 1000.0;
                self.answer(target, conn, answer, upstream_ms, timeouts.read).await
            }
            Err((status, message)) => self.refuse(Refusal::new(status, message)),
        }
    }

    fn idempotent(&self) -> bool {
        !matches!(self.ctx.req.method(), "POST" | "PATCH")
    }

    /// The upstream request, written out as the bytes that go on the wire.
    fn upstream_request(&self, routed: &Routed, balancer: Option<&Balancer>) -> Vec<u8> {
        let (req, route, service) = (self.ctx.req, routed.route, routed.service);
        let host = req.headers().get_str("host").unwrap_or("");
        let mut target = match &self.ctx.upstream_path {
            Some(path) => path.clone(),
            None => upstream_path(service.path.as_deref(), &routed.remainder, &route.path_handling),
        };
        let query = self.ctx.upstream_query();
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query);
        }
        let upstream_host = if route.preserve_host && !host.is_empty() {
            host
        } else if let Some(h) = balancer.and_then(|b| b.host_header.as_deref()) {
            h
        } else {
            &service.host_header
        };
        let method = self.ctx.upstream_method.as_deref().unwrap_or(req.method());
        let mut head = HeadOut::request(method, &target);
        head.header("host", upstream_host.as_bytes());
        self.request_headers(&mut head, host);
        // The body was read whole, so it goes with its length whatever framing the client used.
        let body = self.ctx.upstream_body.as_ref().unwrap_or(&req.body);
        if !body.is_empty() || req.framed_body || self.ctx.upstream_body.is_some() {
            head.header("content-length", http1::digits(body.len() as u64).as_bytes());
        }
        head.finish(body)
    }

    /// The client's headers and the proxy's. Headers the proxy sets replace the client's of the
    /// same name; an authenticated consumer's replace any the client sent.
    fn request_headers(&self, head: &mut HeadOut, host: &str) {
        let (req, ctx) = (self.ctx.req, &self.ctx);
        let headers = req.headers();
        let consumer = ctx.consumer_id().and_then(|c| self.snap.consumers.get(c));
        let forwarded = |name: &str| {
            !(one_of(name, &HOP_BY_HOP)
                || one_of(name, &SET_BY_PROXY)
                || (consumer.is_some() && one_of(name, &CONSUMER_HEADERS)))
        };
        match ctx.upstream_headers() {
            // A plugin changed the headers: its list is what goes, less what the proxy sets.
            Some(changed) => {
                for (name, value) in changed.iter().filter(|(n, _)| forwarded(n)) {
                    head.header(name, value.as_bytes());
                }
            }
            None => {
                for (name, value) in headers.iter().filter(|(n, _)| forwarded(n)) {
                    head.header(name, value);
                }
            }
        }
        let ip = ctx.client_ip;
        let xff = match headers.get_str("x-forwarded-for") {
            Some(prev) => format!("{prev}, {ip}"),
            None => ip.to_string(),
        };
        head.header("x-forwarded-for", xff.as_bytes());
        head.header("x-real-ip", ip.as_bytes());
        head.header("x-forwarded-proto", b"http");
        head.header("x-forwarded-host", host.split(':').next().unwrap_or("").as_bytes());
        head.header("x-forwarded-path", req.path().as_bytes());
        head.header("x-kong-request-id", self.rid.as_bytes());
        let (Some(c), Some(auth)) = (consumer, &ctx.consumer) else { return };
        head.header("x-consumer-id", c.id.as_bytes());
        if let Some(u) = &c.username {
            head.header("x-consumer-username", u.as_bytes());
        }
        if let Some(ci) = &c.custom_id {
            head.header("x-consumer-custom-id", ci.as_bytes());
        }
        if let Some(cred) = &auth.credential {
            head.header("x-credential-identifier", cred.as_bytes());
        }
        if auth.anonymous {
            head.header("x-anonymous-consumer", b"true");
        }
    }

    /// The upstream's answer, through the header and body filters.
    async fn answer(
        mut self,
        target: String,
        mut conn: upstream::Conn,
        answer: upstream::Head,
        upstream_ms: f64,
        read_timeout: Duration,
    ) -> Answer {
        let reframed = matches!(answer.framing, Framing::Chunked | Framing::UntilClose);
        let mut filtered = AnswerHead::new(answer.status, Some(&answer.headers));
        for (k, v) in std::mem::take(&mut self.ctx.answer_headers) {
            filtered.set(k, v);
        }
        self.header_filter(&mut filtered);
        // A small answer of known length is read whole, goes out in one write with its head,
        // and frees its connection for the next request; so is one a plugin must see whole.
        // Other bodies stream.
        let whole_up_to = if self.ran.iter().any(|c| c.handler.wants_whole_body()) {
            plugins::WHOLE_BODY_LIMIT
        } else {
            SMALL_BODY
        };
        let mut body = None;
        match answer.framing {
            Framing::Empty => {}
            Framing::Length(n) if n <= whole_up_to => {
                match conn.read_exact_body(n as usize, read_timeout).await {
                    Ok(mut read) => {
                        self.body_filter(&mut read);
                        if read.len() as u64 != n {
                            filtered.set("content-length", http1::digits(read.len() as u64));
                        }
                        body = Some(read);
                    }
                    Err(_) => return self.refuse(Refusal::new(502, INVALID_RESPONSE)),
                }
            }
            _ => {}
        }
        let size = match (&body, answer.framing) {
            (Some(b), _) => b.len() as u64,
            (None, Framing::Length(n)) => n,
            _ => 0,
        };
        self.log(answer.status, Some(upstream_ms), size);
        let mut head = self.answer_head(&answer, &filtered, reframed);
        self.kong_headers(&mut head, upstream_ms);
        let payload = match (answer.framing, body) {
            (Framing::Empty, _) => {
                upstream::checkin(&target, conn, answer.keep_alive);
                Payload::Framed(Bytes::new())
            }
            (_, Some(body)) => {
                upstream::checkin(&target, conn, answer.keep_alive);
                Payload::Framed(body)
            }
            (framing, None) => Payload::Streamed(Streamed {
                conn,
                state: BodyState::of(framing),
                target,
                keep_alive: answer.keep_alive,
                read_timeout,
                length_in_head: !reframed,
            }),
        };
        Answer { head, payload }
    }

    /// The upstream's header lines go to the client as they came, less hop-by-hop ones, those
    /// the proxy sets and those a plugin removed or set; a body's framing headers stay when the
    /// body goes as it came (by length, or none), and are the server's to write when it is
    /// re-framed.
    fn answer_head(
        &self,
        answer: &upstream::Head,
        filtered: &AnswerHead,
        reframed: bool,
    ) -> HeadOut {
        let mut out = HeadOut::answer(filtered.status, &answer.reason);
        let mut dated = false;
        for (name, value) in answer.headers.iter() {
            let framing = one_of(name, &["transfer-encoding", "content-length"]);
            let hop_by_hop = one_of(name, &HOP_BY_HOP) && !framing;
            if one_of(name, &SET_ON_ANSWER)
                || hop_by_hop
                || (reframed && framing)
                || !filtered.keeps(name)
            {
                continue;
            }
            dated |= name.eq_ignore_ascii_case("date");
            out.header(name, value);
        }
        filtered.write_added(&mut out);
        if !dated && !filtered.contains("date") {
            out.header("date", http1::date().as_bytes());
        }
        out
    }

    /// Kong's header_filter phase: each plugin that ran, in the order it ran.
    fn header_filter(&mut self, head: &mut AnswerHead) {
        for config in self.ran.iter() {
            config.handler.header_filter(&mut self.ctx, head);
        }
    }

    /// Kong's body_filter phase, on a body read whole (a streamed body goes as it comes).
    fn body_filter(&mut self, body: &mut Bytes) {
        for config in self.ran.iter() {
            config.handler.body_filter(&mut self.ctx, body);
        }
    }

    /// The headers Kong adds to every proxied answer.
    fn kong_headers(&self, head: &mut HeadOut, upstream_ms: f64) {
        let total_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let proxy_ms = (total_ms - upstream_ms).max(0.0);
        head.header(
            "x-kong-upstream-latency",
            http1::digits(upstream_ms.round() as u64).as_bytes(),
        );
        head.header("x-kong-proxy-latency", http1::digits(proxy_ms.round() as u64).as_bytes());
        head.header("via", b"1.1 runtime-manager-runtime");
        head.header("x-kong-request-id", self.rid.as_bytes());
    }

    /// Kong's log phase: the request counted for analytics, then each plugin that ran.
    fn log(&self, status: u16, upstream_ms: Option<f64>, response_bytes: u64) {
        let served = Served {
            status,
            upstream_ms,
            total_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            request_bytes: self.ctx.req.body.len() as u64,
            response_bytes,
        };
        self.shared.recorder.record(Sample {
            service: self.route.and_then(|r| r.service.as_deref()),
            route: self.route.map(|r| r.id.as_str()),
            consumer: self.ctx.consumer_id(),
            status,
            total_ms: served.total_ms,
            upstream_ms,
            request_bytes: 0,
            response_bytes,
        });
        for config in self.ran.iter() {
            config.handler.log(&self.ctx, &served);
        }
    }
}

/// Sends the request to the service's address or its upstream's targets in turn, up to
/// `retries + 1` tries: Kong retries a connection failure on the next target, not a failed
/// exchange. On failure, the status and message to answer with.
async fn forward(
    service: &Service,
    balancer: Option<&Balancer>,
    request: &[u8],
    head_only: bool,
    idempotent: bool,
    timeouts: upstream::Timeouts,
) -> Result<(String, upstream::Conn, upstream::Head), (u16, &'static str)> {
    use upstream::{ConnectError, Failure, SendError};
    let mut last_failure = (502u16, INVALID_RESPONSE);
    for _ in 0..service.retries + 1 {
        let target = match balancer {
            Some(b) => match b.pick() {
                Some(t) => t.to_string(),
                None => return Err((503, "failure to get a peer from the ring-balancer")),
            },
            None => service.address.clone(),
        };
        match upstream::send(&target, request, head_only, idempotent, timeouts).await {
            Ok((conn, answer)) => return Ok((target, conn, answer)),
            Err(Failure::Connect(ConnectError::Refused)) => last_failure = (502, INVALID_RESPONSE),
            Err(Failure::Connect(ConnectError::TimedOut)) => last_failure = (504, TIMED_OUT),
            Err(Failure::Exchange(SendError::TimedOut)) => return Err((504, TIMED_OUT)),
            Err(Failure::Exchange(_)) => return Err((502, INVALID_RESPONSE)),
        }
    }
    Err(last_failure)
}
