//! proxy-cache, memory strategy: answers cached by a key of the request (Kong's `proxy-cache`,
//! priority 100). Access serves a fresh cached answer itself (`X-Cache-Status: Hit`, `Age`) or
//! marks the request Miss/Refresh/Bypass; the header filter decides whether the upstream's answer
//! may be kept (status, content type, optionally Cache-Control); the body filter stores it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{AnswerHead, Context, Parse, Plugin, Refusal};

/// The memory strategy's whole size; the oldest answers go first past it.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Answer headers not replayed from the cache: the connection's, the length (the server writes
/// it) and the gateway's own.
const NOT_REPLAYED: [&str; 12] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "date",
    "server",
    "via",
    "age",
    "x-cache-status",
    "x-cache-key",
    "x-kong-upstream-latency",
    "x-kong-proxy-latency",
];

#[derive(Debug)]
pub struct ProxyCache {
    response_codes: Vec<u16>,
    request_methods: Vec<String>,
    content_types: Vec<String>,
    vary_query_params: Option<Vec<String>>,
    vary_headers: Vec<String>,
    cache_ttl: u64,
    storage_ttl: Option<u64>,
    cache_control: bool,
    ignore_uri_case: bool,
    /// Which of `age`, `X-Cache-Status`, `X-Cache-Key` the client is shown.
    show_age: bool,
    show_status: bool,
    show_key: bool,
}

impl Plugin for ProxyCache {
    const NAME: &'static str = "proxy-cache";
    const PRIORITY: i32 = 100;

    fn parse(args: &Parse) -> Result<Self, String> {
        let cfg = args.config;
        if cfg["strategy"].as_str().is_some_and(|s| s != "memory") {
            return Err("only the memory strategy is supported by this runtime".into());
        }
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        };
        let shown = |name: &str| cfg["response_headers"][name] != Value::Bool(false);
        Ok(ProxyCache {
            response_codes: cfg["response_code"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c.as_u64().map(|c| c as u16)).collect())
                .unwrap_or_else(|| vec![200, 301, 404]),
            request_methods: Some(strings(&cfg["request_method"]))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| vec!["GET".into(), "HEAD".into()]),
            content_types: Some(strings(&cfg["content_type"]))
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| vec!["text/plain".into(), "application/json".into()]),
            vary_query_params: Some(strings(&cfg["vary_query_params"])).filter(|v| !v.is_empty()),
            vary_headers: strings(&cfg["vary_headers"]).iter().map(|h| h.to_lowercase()).collect(),
            cache_ttl: cfg["cache_ttl"].as_u64().unwrap_or(300),
            storage_ttl: cfg["storage_ttl"].as_u64(),
            cache_control: cfg["cache_control"] == Value::Bool(true),
            ignore_uri_case: cfg["ignore_uri_case"] == Value::Bool(true),
            show_age: shown("age"),
            show_status: shown("X-Cache-Status"),
            show_key: shown("X-Cache-Key"),
        })
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        let request_cc = directives(ctx.req.headers().get_str("cache-control"));
        let bypass = !self.request_methods.iter().any(|m| m == ctx.req.method())
            || (self.cache_control && (request_cc.has("no-store") || request_cc.has("no-cache")));
        if bypass {
            self.status_header(ctx, "Bypass");
            return Ok(());
        }
        let key = self.key(ctx);
        if self.show_key {
            ctx.answer_headers.push(("X-Cache-Key".into(), key.clone()));
        }
        let status = match ctx.state.proxy_cache.fetch(&key) {
            Some(hit) if self.fresh(&hit, &request_cc) => return Err(self.replay(&key, hit)),
            Some(_) => "Refresh",
            None => "Miss",
        };
        self.status_header(ctx, status);
        ctx.notes.push((Self::NAME, key));
        Ok(())
    }

    fn header_filter(&self, ctx: &mut Context, head: &mut AnswerHead) {
        let Some(at) = ctx.notes.iter().position(|(p, _)| *p == Self::NAME) else { return };
        let response_cc = directives(head.get("cache-control").as_deref());
        match self.ttl_of(head, &response_cc) {
            Some(ttl) => {
                // Kept for the body filter: the key, the time to live and the headers to replay.
                let headers: Vec<(String, String)> = head
                    .all()
                    .into_iter()
                    .filter(|(k, _)| !NOT_REPLAYED.iter().any(|n| n.eq_ignore_ascii_case(k)))
                    .collect();
                let stored =
                    serde_json::json!({"ttl": ttl, "status": head.status, "headers": headers});
                let key = ctx.notes[at].1.clone();
                ctx.notes[at].1 = format!("{key}\n{stored}");
            }
            None => {
                ctx.notes.remove(at);
                if self.show_status {
                    head.set("X-Cache-Status", "Bypass");
                }
            }
        }
    }

    fn wants_whole_body(&self) -> bool {
        true
    }

    fn body_filter(&self, ctx: &mut Context, body: &mut Bytes) {
        let Some(note) = ctx.note(Self::NAME) else { return };
        let Some((key, stored)) = note.split_once('\n') else { return };
        let Ok(stored) = serde_json::from_str::<Value>(stored) else { return };
        let headers = stored["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| Some((h[0].as_str()?.to_string(), h[1].as_str()?.to_string())))
            .collect();
        let ttl = self.storage_ttl.unwrap_or(stored["ttl"].as_u64().unwrap_or(self.cache_ttl));
        let answer = Cached {
            status: stored["status"].as_u64().unwrap_or(200) as u16,
            headers,
            body: body.clone(),
            stored_at: Instant::now(),
            ttl: stored["ttl"].as_u64().unwrap_or(self.cache_ttl),
        };
        ctx.state.proxy_cache.store(key, answer, Duration::from_secs(ttl));
    }
}

impl ProxyCache {
    fn status_header(&self, ctx: &mut Context, status: &str) {
        if self.show_status {
            ctx.answer_headers.push(("X-Cache-Status".into(), status.into()));
        }
    }

    /// Kong's key: consumer, route, method, path, the query (or the varied parameters) and the
    /// varied headers, hashed with SHA-256.
    fn key(&self, ctx: &Context) -> String {
        let mut path = ctx.req.path().to_string();
        if self.ignore_uri_case {
            path = path.to_lowercase();
        }
        let mut query: Vec<(String, String)> = ctx.query().into_owned();
        if let Some(vary) = &self.vary_query_params {
            query.retain(|(k, _)| vary.contains(k));
        }
        query.sort();
        let headers: Vec<String> = self
            .vary_headers
            .iter()
            .map(|h| format!("{h}={}", ctx.req.headers().get_str(h).unwrap_or("")))
            .collect();
        let parts = [
            ctx.consumer_id().unwrap_or(""),
            ctx.route_id.unwrap_or(""),
            ctx.req.method(),
            &path,
            &query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"),
            &headers.join("&"),
        ];
        hex(&Sha256::digest(parts.join("|").as_bytes()))
    }

    fn fresh(&self, hit: &Cached, request_cc: &Directives) -> bool {
        let age = hit.stored_at.elapsed().as_secs();
        if self.cache_control {
            let too_old = request_cc.number("max-age").is_some_and(|max| age > max);
            let too_stale = request_cc.number("min-fresh").is_some_and(|m| hit.ttl < age + m);
            !too_old && !too_stale && age <= hit.ttl
        } else {
            age <= self.cache_ttl
        }
    }

    /// The time an answer may be kept, or `None` when it may not be cached at all.
    fn ttl_of(&self, head: &AnswerHead, cc: &Directives) -> Option<u64> {
        if !self.response_codes.contains(&head.status) {
            return None;
        }
        let content_type = head.get("content-type").unwrap_or_default().to_lowercase();
        let media = content_type.split(';').next().unwrap_or("").trim().to_string();
        if !self.content_types.iter().any(|c| media_matches(c, &media)) {
            return None;
        }
        if !self.cache_control {
            return Some(self.cache_ttl);
        }
        if ["private", "no-store", "no-cache"].iter().any(|d| cc.has(d)) {
            return None;
        }
        cc.number("s-maxage").or(cc.number("max-age")).or(Some(self.cache_ttl))
    }

    /// A hit as Kong answers it: the stored answer with its age and cache headers.
    fn replay(&self, key: &str, hit: Cached) -> Refusal {
        let mut refusal = Refusal::new(hit.status, "");
        let content_type = hit
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map_or_else(String::new, |(_, v)| v.clone());
        refusal.headers =
            (hit.headers.iter()).map(|(k, v)| (k.clone().into(), v.clone())).collect();
        let age = hit.stored_at.elapsed().as_secs();
        for (shown, name, value) in [
            (self.show_age, "age", age.to_string()),
            (self.show_status, "X-Cache-Status", "Hit".to_string()),
            (self.show_key, "X-Cache-Key", key.to_string()),
        ] {
            if shown {
                refusal.headers.push((name.into(), value));
            }
        }
        refusal.body = Some((content_type, hit.body));
        refusal
    }
}

/// Whether a configured content type (`application/json`, `text/*`, `*/*`) covers `media`.
fn media_matches(configured: &str, media: &str) -> bool {
    let configured = configured.split(';').next().unwrap_or("").trim().to_lowercase();
    match configured.split_once('/') {
        Some(("*", "*")) => true,
        Some((kind, "*")) => media.split('/').next() == Some(kind),
        _ => configured == media,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Cache-Control header's directives.
struct Directives(Vec<(String, Option<String>)>);

fn directives(header: Option<&str>) -> Directives {
    Directives(
        header
            .unwrap_or("")
            .split(',')
            .filter(|d| !d.trim().is_empty())
            .map(|d| match d.split_once('=') {
                Some((k, v)) => (k.trim().to_lowercase(), Some(v.trim().trim_matches('"').into())),
                None => (d.trim().to_lowercase(), None),
            })
            .collect(),
    )
}

impl Directives {
    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    fn number(&self, name: &str) -> Option<u64> {
        self.0.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref()?.parse().ok())
    }
}

/// One stored answer.
#[derive(Debug, Clone)]
struct Cached {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
    stored_at: Instant,
    /// How long it is fresh (seconds).
    ttl: u64,
}

/// The memory strategy: answers by key until their storage time ends, oldest evicted first past
/// `CACHE_BYTES`; shared by every proxy-cache config and kept across configurations.
#[derive(Default)]
pub struct Store(Mutex<Stored>);

#[derive(Default)]
struct Stored {
    answers: HashMap<String, (Cached, Instant)>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Store {
    fn fetch(&self, key: &str) -> Option<Cached> {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (answer, expires) = s.answers.get(key)?;
        if *expires > Instant::now() {
            return Some(answer.clone());
        }
        let gone = s.answers.remove(key).map_or(0, |(a, _)| a.body.len());
        s.bytes -= gone;
        None
    }

    fn store(&self, key: &str, answer: Cached, storage: Duration) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let size = answer.body.len();
        if size > CACHE_BYTES / 4 {
            return;
        }
        if let Some((old, _)) =
            s.answers.insert(key.to_string(), (answer, Instant::now() + storage))
        {
            s.bytes -= old.body.len();
        } else {
            s.order.push_back(key.to_string());
        }
        s.bytes += size;
        while s.bytes > CACHE_BYTES {
            let Some(oldest) = s.order.pop_front() else { break };
            let gone = s.answers.remove(&oldest).map_or(0, |(a, _)| a.body.len());
            s.bytes -= gone;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_match_as_kong_lists_them() {
        let cases = [
            ("application/json", "application/json", true),
            ("application/json", "application/json; charset=utf-8", false),
            ("text/*", "text/html", true),
            ("*/*", "image/png", true),
            ("text/plain", "text/html", false),
        ];
        for (configured, media, want) in cases {
            assert_eq!(media_matches(configured, media), want, "{configured} / {media}");
        }
    }

    #[test]
    fn cache_control_directives_are_read_with_their_values() {
        let d = directives(Some("public, max-age=60, s-maxage=\"120\", No-Store"));
        assert!(d.has("no-store") && d.has("public"));
        assert_eq!((d.number("max-age"), d.number("s-maxage")), (Some(60), Some(120)));
        assert_eq!(directives(None).number("max-age"), None);
    }

    #[test]
    fn the_store_evicts_the_oldest_past_its_size() {
        let store = Store::default();
        let answer = |n: usize| Cached {
            status: 200,
            headers: vec![],
            body: Bytes::from(vec![0; n]),
            stored_at: Instant::now(),
            ttl: 60,
        };
        let quarter = CACHE_BYTES / 4;
        for key in ["a", "b", "c", "d", "e"] {
            store.store(key, answer(quarter), Duration::from_secs(60));
        }
        assert!(store.fetch("a").is_none(), "the oldest went first");
        assert!(store.fetch("e").is_some());
        store.store("short", answer(1), Duration::ZERO);
        assert!(store.fetch("short").is_none(), "expired at once");
    }
}
