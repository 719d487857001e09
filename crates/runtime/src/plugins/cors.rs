//! cors: preflights answered and actual answers given Access-Control-* headers (Kong's `cors`,
//! priority 2000; `kong/plugins/cors/handler.lua`).

use regex::Regex;
use serde_json::Value;

use crate::exchange::Request;

use super::{AnswerHead, Context, Parse, Plugin, Refusal};

const ALL_METHODS: &str = "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT";
const ALLOW_ORIGIN: &str = "Access-Control-Allow-Origin";
const ALLOW_CREDENTIALS: &str = "Access-Control-Allow-Credentials";

/// One `origins` entry. Kong takes an entry with a character outside `[A-Za-z0-9.:/-]` for a
/// regex, anchored at both ends, matched against the origin's host when the entry has no `:`
/// and against the whole normalized origin otherwise; a plain entry is compared normalized.
#[derive(Debug)]
enum Allowed {
    Exact(String),
    Pattern { regex: Regex, by_host: bool },
}

/// How `origins` allows origins.
#[derive(Debug)]
enum Origins {
    /// None configured, or only `*`: `Access-Control-Allow-Origin: *`.
    Any,
    /// A single plain origin, sent as it is whatever the request's origin (Kong's shortcut).
    Fixed(String),
    /// A list checked against the request's origin; `*` in it allows any origin that is sent.
    List { entries: Vec<Allowed>, star: bool },
}

/// A cors config, parsed.
#[derive(Debug)]
pub struct Cors {
    origins: Origins,
    /// `Access-Control-Allow-Headers` of a preflight; empty echoes the request's.
    headers: Option<String>,
    exposed_headers: Option<String>,
    methods: String,
    max_age: Option<String>,
    credentials: bool,
    private_network: bool,
    preflight_continue: bool,
    allow_origin_absent: bool,
}

/// What the origin rules decide for one request's origin.
#[derive(Debug, PartialEq, Eq)]
struct Decision {
    /// The `Access-Control-Allow-Origin` to send; `None` clears it.
    allow_origin: Option<String>,
    allow_credentials: bool,
    /// Whether the answer varies by Origin.
    vary: bool,
}

fn joined(config: &Value, field: &str) -> Option<String> {
    let list: Vec<&str> = config[field].as_array()?.iter().filter_map(Value::as_str).collect();
    (!list.is_empty()).then(|| list.join(","))
}

fn is_plain(entry: &str) -> bool {
    !entry.is_empty()
        && entry
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'-'))
}

/// An origin as Kong compares it (`normalize_origin`): `scheme://host[:port]` with the scheme's
/// default port dropped, and its host; text without `scheme://` is both.
fn normalize(origin: &str) -> (String, &str) {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return (origin.to_string(), origin);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(']') => (h, Some(p)),
        _ => (authority, None),
    };
    if host.is_empty() {
        return (origin.to_string(), origin);
    }
    let port = port.filter(|p| !matches!((scheme, *p), ("http", "80") | ("https", "443")));
    let domain = match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    };
    (domain, host)
}

fn parse_origins(config: &Value) -> Result<Origins, String> {
    let list: Vec<&str> = config["origins"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match list.as_slice() {
        [] | ["*"] => return Ok(Origins::Any),
        [one] if is_plain(one) => return Ok(Origins::Fixed(one.to_string())),
        _ => {}
    }
    let mut entries = Vec::new();
    for entry in &list {
        if *entry == "*" {
            continue;
        }
        let by_host = !entry.contains(':');
        if is_plain(entry) {
            entries.push(Allowed::Exact(normalize(entry).0));
            continue;
        }
        // Kong anchors a regex at the start (its `a` flag) and adds a `$` unless there is one.
        let body = entry.strip_prefix('^').unwrap_or(entry);
        let anchored =
            if body.ends_with('$') { format!("^(?:{body})") } else { format!("^(?:{body}$)") };
        let regex =
            Regex::new(&anchored).map_err(|e| format!("origin '{entry}' is not a regex: {e}"))?;
        entries.push(Allowed::Pattern { regex, by_host });
    }
    Ok(Origins::List { entries, star: list.contains(&"*") })
}

impl Cors {
    fn from_config(config: &Value) -> Result<Cors, String> {
        Ok(Cors {
            origins: parse_origins(config)?,
            headers: joined(config, "headers"),
            exposed_headers: joined(config, "exposed_headers"),
            methods: joined(config, "methods").unwrap_or_else(|| ALL_METHODS.to_string()),
            max_age: config["max_age"].as_f64().map(|a| (a as i64).to_string()),
            credentials: config["credentials"].as_bool() == Some(true),
            private_network: config["private_network"].as_bool() == Some(true),
            preflight_continue: config["preflight_continue"].as_bool() == Some(true),
            allow_origin_absent: config["allow_origin_absent"].as_bool() != Some(false),
        })
    }

    /// Kong's `configure_origin` and `configure_credentials` for the request's origin.
    fn decide(&self, origin: Option<&str>) -> Decision {
        let (mut allow_origin, allow_all, mut vary) = match &self.origins {
            Origins::Any => (Some("*".to_string()), true, false),
            Origins::Fixed(o) => (Some(o.clone()), false, true),
            Origins::List { star: true, .. } if origin.is_some() => {
                (Some("*".to_string()), true, true)
            }
            Origins::List { entries, .. } => {
                (origin.and_then(|o| matching(entries, o)), false, true)
            }
        };
        let mut allow_credentials = false;
        if self.credentials {
            if !allow_all {
                allow_credentials = true;
            } else if let Some(o) = origin {
                // `*` cannot go with credentials: the request's own origin is allowed instead.
                allow_origin = Some(o.to_string());
                allow_credentials = true;
                vary = true;
            }
        }
        Decision { allow_origin, allow_credentials, vary }
    }
}

/// The normalized origin when an entry allows it.
fn matching(entries: &[Allowed], origin: &str) -> Option<String> {
    let (domain, host) = normalize(origin);
    let found = entries.iter().any(|e| match e {
        Allowed::Exact(d) => *d == domain,
        Allowed::Pattern { regex, by_host } => {
            regex.is_match(if *by_host { host } else { domain.as_str() })
        }
    });
    found.then_some(domain)
}

fn origin_of(req: &Request) -> Option<&str> {
    req.headers().get_str("origin").filter(|o| !o.is_empty())
}

impl Plugin for Cors {
    const NAME: &'static str = "cors";
    const PRIORITY: i32 = 2000;

    fn parse(args: &Parse) -> Result<Self, String> {
        Cors::from_config(args.config)
    }

    /// A preflight (OPTIONS with an Origin and Access-Control-Request-Method) is answered here
    /// with 200, unless it is to reach the upstream (`preflight_continue`); either way the
    /// answer gets no other cors headers.
    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        let req = ctx.req;
        let headers = req.headers();
        let origin = origin_of(req);
        if ctx.req.method() != "OPTIONS"
            || origin.is_none()
            || !headers.contains("access-control-request-method")
        {
            return Ok(());
        }
        ctx.notes.push((Self::NAME, "preflight".into()));
        if self.preflight_continue {
            return Ok(());
        }
        let decision = self.decide(origin);
        let mut answer = Refusal::new(200, "");
        answer.body = Some((String::new(), bytes::Bytes::new()));
        if decision.vary {
            answer = answer.with_header("Vary", "Origin");
        }
        if let Some(o) = decision.allow_origin {
            answer = answer.with_header(ALLOW_ORIGIN, o);
        }
        if decision.allow_credentials {
            answer = answer.with_header(ALLOW_CREDENTIALS, "true");
        }
        let allow_headers =
            self.headers.as_deref().or(headers.get_str("access-control-request-headers"));
        if let Some(h) = allow_headers {
            answer = answer.with_header("Access-Control-Allow-Headers", h);
        }
        answer = answer.with_header("Access-Control-Allow-Methods", self.methods.clone());
        if let Some(age) = &self.max_age {
            answer = answer.with_header("Access-Control-Max-Age", age.clone());
        }
        if self.private_network
            && headers.get_str("access-control-request-private-network") == Some("true")
        {
            answer = answer.with_header("Access-Control-Allow-Private-Network", "true");
        }
        Err(answer)
    }

    fn header_filter(&self, ctx: &mut Context, head: &mut AnswerHead) {
        if ctx.note(Self::NAME).is_some() {
            return;
        }
        let origin = origin_of(ctx.req);
        if origin.is_none() && !self.allow_origin_absent {
            return;
        }
        let decision = self.decide(origin);
        if decision.vary {
            head.append("Vary", "Origin");
        }
        match decision.allow_origin {
            Some(o) => head.set(ALLOW_ORIGIN, o),
            None => head.remove(ALLOW_ORIGIN),
        }
        if decision.allow_credentials {
            head.set(ALLOW_CREDENTIALS, "true");
        }
        if let Some(exposed) = &self.exposed_headers {
            head.set("Access-Control-Expose-Headers", exposed.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cors(config: Value) -> Cors {
        Cors::from_config(&config).unwrap()
    }

    #[test]
    fn origins_are_plain_or_regex_as_kong_tells_them_apart() {
        let list = cors(
            json!({"origins": ["http://a.test:80", "(.*)\\.b\\.test", "https://c.test:8443"]}),
        );
        let allowed = |o| list.decide(Some(o)).allow_origin;
        let cases = [
            ("http://a.test", Some("http://a.test")),
            ("http://a.test:80", Some("http://a.test")),
            ("https://a.test", None),
            ("https://x.b.test", Some("https://x.b.test")),
            ("https://x.b.test.evil", None),
            ("https://c.test:8443", Some("https://c.test:8443")),
            ("https://c.test", None),
        ];
        for (origin, want) in cases {
            assert_eq!(allowed(origin).as_deref(), want, "{origin}");
        }
        let regex_with_port = cors(json!({"origins": ["https://.*\\.d\\.test:9000"]}));
        assert!(regex_with_port.decide(Some("https://x.d.test:9000")).allow_origin.is_some());
        assert!(regex_with_port.decide(Some("https://x.d.test")).allow_origin.is_none());
        assert!(Cors::from_config(&json!({"origins": ["(unclosed"]})).is_err());
    }

    #[test]
    fn star_single_origin_and_credentials_decide_as_kong_does() {
        let d = |config: Value, origin| cors(config).decide(origin);
        let any = d(json!({}), Some("http://x.test"));
        assert_eq!((any.allow_origin.as_deref(), any.vary), (Some("*"), false));
        let fixed = d(json!({"origins": ["http://a.test"]}), Some("http://other.test"));
        assert_eq!((fixed.allow_origin.as_deref(), fixed.vary), (Some("http://a.test"), true));
        let star_in_list = d(json!({"origins": ["http://a.test", "*"]}), Some("http://z.test"));
        assert_eq!(star_in_list.allow_origin.as_deref(), Some("*"));
        let creds = d(json!({"credentials": true}), Some("http://x.test"));
        assert_eq!(creds.allow_origin.as_deref(), Some("http://x.test"), "* never with creds");
        assert!(creds.allow_credentials && creds.vary);
        let creds_no_origin = d(json!({"credentials": true}), None);
        assert_eq!(creds_no_origin.allow_origin.as_deref(), Some("*"));
        assert!(!creds_no_origin.allow_credentials);
        let listed =
            d(json!({"origins": ["http://a.test", "http://b.test"], "credentials": true}), None);
        assert_eq!((listed.allow_origin, listed.allow_credentials), (None, true));
    }

    #[test]
    fn origins_normalize_like_kong() {
        assert_eq!(normalize("https://a.test:443/x"), ("https://a.test".into(), "a.test"));
        assert_eq!(normalize("http://a.test:8080"), ("http://a.test:8080".into(), "a.test"));
        assert_eq!(normalize("a.test"), ("a.test".into(), "a.test"));
        assert!(is_plain("http://a.test:80") && !is_plain("*.a.test") && !is_plain(""));
    }
}
