//! The plugins a runtime runs and the interface they run behind: Kong's handler phases
//! (`rewrite`, `access`, `header_filter`, `body_filter`, `log`), each config chosen by Kong's
//! scoping precedence and run in Kong's priority order (higher first).
//!
//! Configs are parsed once, when a configuration is applied (`PluginSet::new`); a request only
//! picks the one that applies and calls its phases. A plugin named nowhere in the configuration
//! costs a request nothing. To add a plugin: a module whose parsed config implements `Plugin`,
//! and one line in `plugins!`.

pub mod acl;
mod answer_head;
mod auth;
pub mod basic_auth;
pub mod bot_detection;
pub mod correlation_id;
pub mod cors;
pub mod hmac_auth;
pub mod http_log;
pub mod ip_restriction;
pub mod jwt;
pub mod key_auth;
pub mod prometheus;
pub mod proxy_cache;
pub mod rate_limiting;
pub mod request_size_limiting;
pub mod request_termination;
pub mod request_transformer;
pub mod response_ratelimiting;
pub mod response_transformer;

use std::borrow::Cow;

use bytes::Bytes;
use serde_json::Value;

use crate::config::Snapshot;
use crate::exchange::Request;
pub use acl::Acl;
pub use answer_head::AnswerHead;
pub use basic_auth::BasicAuth;
pub use bot_detection::BotDetection;
pub use correlation_id::{CorrelationId, CorrelationIds};
pub use cors::Cors;
pub use hmac_auth::HmacAuth;
pub use http_log::HttpLog;
pub use ip_restriction::IpRestriction;
pub use jwt::Jwt;
pub use key_auth::KeyAuth;
pub use prometheus::Prometheus;
pub use proxy_cache::ProxyCache;
pub use rate_limiting::{Counters, RateLimiting};
pub use request_size_limiting::RequestSizeLimiting;
pub use request_termination::RequestTermination;
pub use request_transformer::RequestTransformer;
pub use response_ratelimiting::ResponseRateLimiting;
pub use response_transformer::ResponseTransformer;

/// What parsing a plugin's config may look up: the plugin entity's id, its config, and the
/// configuration's consumers (a config may name one by id or username, e.g. `anonymous`).
pub struct Parse<'a> {
    pub id: &'a str,
    pub config: &'a Value,
    pub consumer_named: &'a dyn Fn(&str) -> Option<String>,
}

impl Parse<'_> {
    /// A consumer a config names (`anonymous`), by id or username; unset or empty is none.
    pub fn consumer(&self, field: &str) -> Option<String> {
        self.config[field].as_str().filter(|a| !a.is_empty()).and_then(self.consumer_named)
    }
}

/// One plugin's handler: Kong's phases, each doing nothing unless the plugin says otherwise.
/// `rewrite` runs for global configs before the request is routed; the others for the config
/// that applies to the routed request, `header_filter` and `body_filter` on the answer (a
/// refusal's too), `log` once the answer is known.
pub trait Plugin: Sized {
    /// The plugin's name, as configurations name it.
    const NAME: &'static str;
    /// Kong's `PRIORITY` (its `handler.lua`): plugins run highest first.
    const PRIORITY: i32;

    /// The config parsed once per configuration; `Err` says why it cannot run as configured.
    fn parse(args: &Parse) -> Result<Self, String>;

    fn rewrite(&self, _ctx: &mut Context) -> Result<(), Refusal> {
        Ok(())
    }

    fn access(&self, _ctx: &mut Context) -> Result<(), Refusal> {
        Ok(())
    }

    fn header_filter(&self, _ctx: &mut Context, _head: &mut AnswerHead) {}

    /// Whether `body_filter` must see the answer's body whole (it is then read before it is
    /// sent, up to `WHOLE_BODY_LIMIT`); otherwise only bodies the proxy reads whole anyway.
    fn wants_whole_body(&self) -> bool {
        false
    }

    fn body_filter(&self, _ctx: &mut Context, _body: &mut Bytes) {}

    fn log(&self, _ctx: &Context, _served: &Served) {}
}

/// Bodies a plugin asks to see whole are read up to this size; larger ones stream unfiltered.
pub const WHOLE_BODY_LIMIT: u64 = 8 * 1024 * 1024;

/// An answer a plugin (or the proxy) ends the request with: Kong's `kong.response.exit`, as
/// Kong's JSON `{"message"}` or, with `body`, that body and content type as given.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: Cow<'static, str>,
    pub headers: Vec<(Cow<'static, str>, String)>,
    pub body: Option<(String, Bytes)>,
}

impl Refusal {
    pub fn new(status: u16, message: impl Into<Cow<'static, str>>) -> Refusal {
        Refusal { status, message: message.into(), headers: Vec::new(), body: None }
    }

    pub fn with_header(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Refusal {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// What the log phase knows of a request once it is answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Served {
    pub status: u16,
    pub upstream_ms: Option<f64>,
    pub total_ms: f64,
    pub request_bytes: u64,
    pub response_bytes: u64,
}

/// The consumer a request was identified as, and by which credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub consumer: String,
    /// What identifies the credential, as Kong's `X-Credential-Identifier` says it: key-auth's
    /// credential id, basic-auth's and hmac-auth's username, jwt's key. None for `anonymous`.
    pub credential: Option<String>,
    pub anonymous: bool,
}

/// Runtime-wide state plugins keep between requests (counters, caches); configs come and go,
/// this stays.
#[derive(Default)]
pub struct State {
    /// rate-limiting's local counters.
    pub counters: Counters,
    /// What prometheus recorded, served at the status listener's `/metrics`.
    pub metrics: prometheus::Metrics,
    /// http-log's queues, one per config.
    pub http_log: http_log::Queues,
    /// proxy-cache's memory strategy.
    pub proxy_cache: proxy_cache::Store,
    /// correlation-id's `uuid#counter` generator: this runtime's uuid and its counter.
    pub correlation_ids: CorrelationIds,
}

/// The upstream request's headers once a plugin changes them: the client's borrowed, the
/// plugins' owned.
pub type UpstreamHeaders<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// What one request carries through its phases (Kong's `ngx.ctx`): set by the proxy and by
/// plugins, read by later phases and plugins.
pub struct Context<'a> {
    pub req: &'a Request,
    pub client_ip: &'a str,
    /// The matched route and its service; unknown in `rewrite`.
    pub route_id: Option<&'a str>,
    pub service_id: Option<&'a str>,
    /// The configuration serving the request: consumers, credentials, consumer groups.
    pub snap: &'a Snapshot,
    pub state: &'a State,
    /// Set by an authentication plugin.
    pub consumer: Option<Authenticated>,
    /// Headers set on the answer whatever it is (Kong's `kong.response.set_header` before the
    /// answer exists), replacing the upstream's of the same name; on a refusal too.
    pub answer_headers: Vec<(Cow<'static, str>, String)>,
    /// The upstream request's changes: method, path, headers (a copy of the client's, made on
    /// the first change), body.
    pub upstream_method: Option<String>,
    pub upstream_path: Option<String>,
    upstream_headers: Option<UpstreamHeaders<'a>>,
    pub upstream_body: Option<Bytes>,
    /// The query string taken apart, once a plugin asks for it (`query_mut`).
    query: Option<Vec<(String, String)>>,
    query_changed: bool,
    /// Values a plugin keeps from one phase to the next for this request (a cache key, a
    /// correlation id): by plugin name.
    pub notes: Vec<(&'static str, String)>,
}

impl<'a> Context<'a> {
    pub fn new(req: &'a Request, client_ip: &'a str, snap: &'a Snapshot, state: &'a State) -> Self {
        Context {
            req,
            client_ip,
            route_id: None,
            service_id: None,
            snap,
            state,
            consumer: None,
            answer_headers: Vec::new(),
            upstream_method: None,
            upstream_path: None,
            upstream_headers: None,
            upstream_body: None,
            query: None,
            query_changed: false,
            notes: Vec::new(),
        }
    }

    pub fn consumer_id(&self) -> Option<&str> {
        self.consumer.as_ref().map(|c| c.consumer.as_str())
    }

    /// The consumer groups the authenticated consumer is in.
    pub fn consumer_groups(&self) -> &'a [String] {
        let snap = self.snap;
        self.consumer
            .as_ref()
            .and_then(|c| snap.groups_of_consumer.get(&c.consumer))
            .map_or(&[], Vec::as_slice)
    }

    /// The query's parameters, taken apart on first use; changes go upstream.
    pub fn query_mut(&mut self) -> &mut Vec<(String, String)> {
        let req = self.req;
        self.query_changed = true;
        self.query.get_or_insert_with(|| parse_query(req.query()))
    }

    /// The query's parameters as they go upstream (read only).
    pub fn query(&self) -> Cow<'_, [(String, String)]> {
        match &self.query {
            Some(q) => Cow::Borrowed(q),
            None => Cow::Owned(parse_query(self.req.query())),
        }
    }

    /// The query string to send upstream: the client's, unless a plugin changed parameters.
    pub fn upstream_query(&self) -> Cow<'a, str> {
        match &self.query {
            Some(q) if self.query_changed => Cow::Owned(
                q.iter()
                    .map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") })
                    .collect::<Vec<_>>()
                    .join("&"),
            ),
            _ => Cow::Borrowed(self.req.query().unwrap_or("")),
        }
    }

    /// The headers that go upstream, to change: the client's on first use, borrowed from the
    /// request rather than copied (a plugin that adds one header copies no other).
    pub fn upstream_headers_mut(&mut self) -> &mut UpstreamHeaders<'a> {
        let req = self.req;
        self.upstream_headers.get_or_insert_with(|| {
            req.headers()
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k), String::from_utf8_lossy(v)))
                .collect()
        })
    }

    /// The changed upstream headers, when a plugin changed any.
    pub fn upstream_headers(&self) -> Option<&[(Cow<'a, str>, Cow<'a, str>)]> {
        self.upstream_headers.as_deref()
    }

    /// An upstream header's first value as it stands (a plugin's change, else the client's).
    pub fn upstream_header(&self, name: &str) -> Option<Cow<'_, str>> {
        match &self.upstream_headers {
            Some(h) => h
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| Cow::Borrowed(v.as_ref())),
            None => self.req.headers().get_str(name).map(Cow::Borrowed),
        }
    }

    /// Drops a header from the upstream request (a credential a plugin hides).
    pub fn remove_upstream_header(&mut self, name: &str) {
        self.upstream_headers_mut().retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// Sets a header on the upstream request, replacing the client's of that name.
    pub fn set_upstream_header(&mut self, name: &str, value: impl Into<String>) {
        let headers = self.upstream_headers_mut();
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        headers.push((Cow::Owned(name.to_string()), Cow::Owned(value.into())));
    }

    /// This request's note of a plugin, set in an earlier phase.
    pub fn note(&self, plugin: &str) -> Option<&str> {
        self.notes.iter().find(|(p, _)| *p == plugin).map(|(_, v)| v.as_str())
    }
}

fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The plugins this runtime has, declared once: the `Handler` enum over their parsed configs,
/// dispatch by `match` (no dynamic dispatch on the request path), `NAMES` and `KINDS`. To add a
/// plugin: a module whose config type implements `Plugin`, and one line here.
macro_rules! plugins {
    ($($variant:ident($ty:ty)),+ $(,)?) => {
        /// A parsed plugin config of one of the plugins the runtime has.
        #[derive(Debug)]
        pub enum Handler {
            $($variant($ty),)+
        }

        /// The names of the plugins this runtime runs, as it reports them to its control plane.
        pub const NAMES: &[&str] = &[$(<$ty as Plugin>::NAME,)+];

        /// How many plugins the runtime has: a request runs at most one config of each.
        pub const KINDS: usize = NAMES.len();

        /// Runs `$body` with `$p` bound to the plugin inside a `Handler`.
        macro_rules! each_plugin {
            ($handler:expr, $p:ident => $body:expr) => {
                match $handler {
                    $(Handler::$variant($p) => $body,)+
                }
            };
        }

        impl Handler {
            /// Parses a plugin's config: `None` for a plugin this runtime does not have,
            /// `Some(Err)` for a config it cannot run.
            pub fn parse(name: &str, args: &Parse) -> Option<Result<Handler, String>> {
                $(if name == <$ty as Plugin>::NAME {
                    return Some(<$ty as Plugin>::parse(args).map(Handler::$variant));
                })+
                None
            }
        }
    };
}

plugins! {
    Acl(Acl),
    BasicAuth(BasicAuth),
    HmacAuth(HmacAuth),
    Jwt(Jwt),
    KeyAuth(KeyAuth),
    RateLimiting(RateLimiting),
    ResponseRateLimiting(ResponseRateLimiting),
    Prometheus(Prometheus),
    HttpLog(HttpLog),
    ProxyCache(ProxyCache),
    Cors(Cors),
    IpRestriction(IpRestriction),
    RequestTransformer(RequestTransformer),
    ResponseTransformer(ResponseTransformer),
    RequestTermination(RequestTermination),
    RequestSizeLimiting(RequestSizeLimiting),
    CorrelationId(CorrelationId),
    BotDetection(BotDetection),
}

impl Handler {
    pub fn name(&self) -> &'static str {
        fn name_of<P: Plugin>(_: &P) -> &'static str {
            P::NAME
        }
        each_plugin!(self, p => name_of(p))
    }

    pub fn priority(&self) -> i32 {
        fn priority_of<P: Plugin>(_: &P) -> i32 {
            P::PRIORITY
        }
        each_plugin!(self, p => priority_of(p))
    }

    pub fn rewrite(&self, ctx: &mut Context) -> Result<(), Refusal> {
        each_plugin!(self, p => p.rewrite(ctx))
    }

    pub fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        each_plugin!(self, p => p.access(ctx))
    }

    pub fn header_filter(&self, ctx: &mut Context, head: &mut AnswerHead) {
        each_plugin!(self, p => p.header_filter(ctx, head))
    }

    pub fn wants_whole_body(&self) -> bool {
        each_plugin!(self, p => p.wants_whole_body())
    }

    pub fn body_filter(&self, ctx: &mut Context, body: &mut Bytes) {
        each_plugin!(self, p => p.body_filter(ctx, body))
    }

    pub fn log(&self, ctx: &Context, served: &Served) {
        each_plugin!(self, p => p.log(ctx, served))
    }
}

/// A plugin entity: a parsed config and the scope it applies on.
#[derive(Debug)]
pub struct Configured {
    pub id: String,
    pub route: Option<String>,
    pub service: Option<String>,
    pub consumer: Option<String>,
    pub consumer_group: Option<String>,
    pub handler: Handler,
}

impl Configured {
    fn is_global(&self) -> bool {
        self.route.is_none()
            && self.service.is_none()
            && self.consumer.is_none()
            && self.consumer_group.is_none()
    }
}

/// Who and what a request is, for choosing plugin configs.
#[derive(Debug, Default, Clone)]
pub struct Scope<'a> {
    pub route: Option<&'a str>,
    pub service: Option<&'a str>,
    pub consumer: Option<&'a str>,
    pub groups: &'a [String],
}

/// Kong's precedence, most specific first; a plugin configured on several scopes runs once, with
/// the config of the most specific scope that applies.
fn rank(p: &Configured) -> u8 {
    match (p.consumer.is_some(), p.consumer_group.is_some(), p.route.is_some(), p.service.is_some())
    {
        (true, _, true, true) => 1,
        (false, true, true, true) => 2,
        (true, _, true, false) => 3,
        (true, _, false, true) => 4,
        (false, true, true, false) => 5,
        (false, true, false, true) => 6,
        (false, false, true, true) => 7,
        (true, _, false, false) => 8,
        (false, true, false, false) => 9,
        (false, false, true, false) => 10,
        (false, false, false, true) => 11,
        (false, false, false, false) => 12,
    }
}

/// Of one plugin's configs, the one that applies to this request, if any.
pub fn resolve<'a>(configs: &'a [Configured], scope: &Scope) -> Option<&'a Configured> {
    let applies =
        |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| Some(w) == have);
    configs
        .iter()
        .filter(|p| {
            applies(&p.route, scope.route)
                && applies(&p.service, scope.service)
                && applies(&p.consumer, scope.consumer)
        })
        .filter(|p| p.consumer_group.as_ref().is_none_or(|g| scope.groups.contains(g)))
        .min_by_key(|p| rank(p))
}

/// A configuration's plugins, parsed: the configs of each plugin, highest priority first.
#[derive(Debug, Default)]
pub struct PluginSet {
    by_priority: Vec<Vec<Configured>>,
    /// Where each plugin's global config is in `by_priority`, found once for `rewrite`.
    global: Vec<(usize, usize)>,
}

impl PluginSet {
    pub fn new(configured: Vec<Configured>) -> PluginSet {
        let mut by_priority: Vec<Vec<Configured>> = Vec::new();
        for c in configured {
            match by_priority.iter_mut().find(|g| g[0].handler.name() == c.handler.name()) {
                Some(group) => group.push(c),
                None => by_priority.push(vec![c]),
            }
        }
        by_priority.sort_by_key(|g| std::cmp::Reverse(g[0].handler.priority()));
        let global = (by_priority.iter().enumerate())
            .filter_map(|(i, g)| g.iter().position(Configured::is_global).map(|j| (i, j)))
            .collect();
        PluginSet { by_priority, global }
    }

    pub fn is_empty(&self) -> bool {
        self.by_priority.is_empty()
    }

    /// Each configured plugin's configs, in the order plugins run.
    pub fn in_priority_order(&self) -> impl Iterator<Item = &[Configured]> {
        self.by_priority.iter().map(Vec::as_slice)
    }

    /// The global config of each plugin, in the order plugins run (for `rewrite`).
    pub fn global(&self) -> impl Iterator<Item = &Configured> {
        self.global.iter().map(|&(i, j)| &self.by_priority[i][j])
    }

    /// The configs of the plugin named `name`.
    pub fn named(&self, name: &str) -> &[Configured] {
        self.by_priority
            .iter()
            .find(|g| g[0].handler.name() == name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// The configs that ran `access` for a request, in the order they ran: at most one per plugin.
#[derive(Default)]
pub struct Ran<'a> {
    configs: [Option<&'a Configured>; KINDS],
    len: usize,
}

impl<'a> Ran<'a> {
    pub fn push(&mut self, c: &'a Configured) {
        debug_assert!(self.len < KINDS, "KINDS counts every Handler variant");
        if self.len < KINDS {
            self.configs[self.len] = Some(c);
            self.len += 1;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a Configured> + '_ {
        self.configs[..self.len].iter().flatten().copied()
    }
}

/// What plugins' unit tests run a phase on: a request parsed from its head and body.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::exchange::Request;

    /// A request from its head (`"GET /p?q=1 HTTP/1.1\r\nHost: h\r\n"`, the blank line added)
    /// and body.
    pub fn request(head: &str, body: &str) -> Request {
        let raw = format!("{head}\r\n");
        let (head, _) = crate::request_head::parse(raw.as_bytes()).expect("a valid head");
        Request {
            head: head.headers,
            method: head.method,
            target: head.target,
            normalized_path: head.normalized_path,
            http11: head.http11,
            keep_alive: true,
            framed_body: !body.is_empty(),
            body: bytes::Bytes::from(body.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(config: &Value) -> Parse<'_> {
        Parse { id: "p", config, consumer_named: &|_| None }
    }

    fn parse(name: &str, config: &Value) -> Option<Handler> {
        Handler::parse(name, &args(config)).map(|r| r.unwrap())
    }

    fn plugin(
        id: &str,
        route: Option<&str>,
        service: Option<&str>,
        consumer: Option<&str>,
    ) -> Configured {
        Configured {
            id: id.into(),
            route: route.map(Into::into),
            service: service.map(Into::into),
            consumer: consumer.map(Into::into),
            consumer_group: None,
            handler: parse("rate-limiting", &json!({"minute": 2})).unwrap(),
        }
    }

    #[test]
    fn the_most_specific_scope_wins() {
        let configs = vec![
            plugin("global", None, None, None),
            plugin("svc", None, Some("s"), None),
            plugin("cons", None, None, Some("c")),
            plugin("route-svc", Some("r"), Some("s"), None),
        ];
        let pick = |route, service, consumer| {
            resolve(&configs, &Scope { route, service, consumer, groups: &[] })
                .map(|p| p.id.clone())
        };
        assert_eq!(pick(Some("r"), Some("s"), None).as_deref(), Some("route-svc"));
        assert_eq!(pick(None, Some("s"), None).as_deref(), Some("svc"));
        assert_eq!(
            pick(Some("r"), Some("s"), Some("c")).as_deref(),
            Some("route-svc"),
            "route+service (7) beats consumer (8)"
        );
        assert_eq!(
            pick(None, Some("s"), Some("c")).as_deref(),
            Some("cons"),
            "consumer (8) beats service (11)"
        );
        assert_eq!(pick(None, Some("other"), None).as_deref(), Some("global"));
    }

    #[test]
    fn plugins_run_in_kongs_priority_order_and_unknown_ones_are_left_out() {
        let parse = |name: &str| parse(name, &json!({}));
        assert!(Handler::parse("no-such-plugin", &args(&json!({}))).is_none());
        let configured = ["rate-limiting", "key-auth"].map(|name| Configured {
            id: name.into(),
            route: None,
            service: None,
            consumer: None,
            consumer_group: None,
            handler: parse(name).unwrap(),
        });
        let set = PluginSet::new(configured.into());
        let order: Vec<&str> = set.in_priority_order().map(|g| g[0].handler.name()).collect();
        assert_eq!(
            order,
            ["key-auth", "rate-limiting"],
            "key-auth (1250) before rate-limiting (910)"
        );
        assert_eq!(set.global().count(), 2);
        assert!(PluginSet::default().is_empty());
    }
}
