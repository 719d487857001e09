//! request-termination: requests answered by the gateway with a set status and message or body,
//! or an echo of the request, never reaching the upstream (Kong's `request-termination`,
//! priority 2, access phase).

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::request_transformer::decode;
use super::{Context, Parse, Plugin, Refusal};

const JSON: &str = "application/json; charset=utf-8";

/// What the answer carries.
#[derive(Debug)]
enum Content {
    /// Kong's `{"message": …}` (no body when the status has no default message).
    Message(Option<String>),
    /// `body` as given, with `content_type` when set.
    Body { content_type: String, body: Bytes },
    /// A JSON copy of the request, with the message.
    Echo(Option<String>),
}

/// A request-termination config, parsed.
#[derive(Debug)]
pub struct RequestTermination {
    status: u16,
    content: Content,
    /// Terminate only requests with this header or query parameter.
    trigger: Option<String>,
}

/// Kong's message for a status when `message` is not set.
fn default_message(status: u16) -> Option<&'static str> {
    Some(match status {
        401 => "Unauthorized",
        404 => "Not found",
        405 => "Method not allowed",
        500 => "An unexpected error occurred",
        502 => "Bad Gateway",
        503 => "Service unavailable",
        _ => return None,
    })
}

impl RequestTermination {
    fn from_config(config: &Value) -> Result<RequestTermination, String> {
        let status = config["status_code"].as_f64().map_or(503, |s| s as u16);
        if !(100..=599).contains(&status) {
            return Err(format!("status_code {status} is not between 100 and 599"));
        }
        let text = |field: &str| config[field].as_str().filter(|s| !s.is_empty());
        let message = text("message").or(default_message(status)).map(str::to_string);
        let content = if config["echo"].as_bool() == Some(true) {
            Content::Echo(message)
        } else if let Some(body) = text("body") {
            Content::Body {
                content_type: text("content_type").unwrap_or_default().to_string(),
                body: Bytes::from(body.to_string()),
            }
        } else {
            Content::Message(message)
        };
        Ok(RequestTermination { status, content, trigger: text("trigger").map(str::to_string) })
    }

    fn answer(&self, content_type: &str, body: Bytes) -> Refusal {
        let mut refusal = Refusal::new(self.status, "");
        refusal.body = Some((content_type.to_string(), body));
        refusal
    }
}

fn json_answer(value: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}

/// Each name once (lower-case), a name sent twice as an array of its values, as Kong's
/// `get_headers`/`get_query` give them.
fn multi_map<'a>(pairs: impl Iterator<Item = (String, Value)> + 'a) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, value) in pairs {
        match map.get_mut(&name) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                map.insert(name, value);
            }
        }
    }
    map
}

/// The request as Kong's echo shows it.
fn echo(ctx: &Context, message: Option<&str>) -> Value {
    let req = ctx.req;
    let headers = multi_map(req.headers().iter().map(|(k, v)| {
        (k.to_ascii_lowercase(), Value::String(String::from_utf8_lossy(v).into_owned()))
    }));
    let query = multi_map(ctx.query().iter().map(|(k, v)| {
        let value = if v.is_empty() { Value::Bool(true) } else { Value::String(decode(v)) };
        (decode(k), value)
    }));
    let raw_body = String::from_utf8_lossy(&req.body).into_owned();
    let content_type = req.headers().get_str("content-type").unwrap_or("");
    let body = if content_type.contains("application/json") {
        serde_json::from_slice(&req.body).unwrap_or(Value::Null)
    } else if content_type.contains("application/x-www-form-urlencoded") {
        Value::Object(multi_map(form_pairs(&raw_body)))
    } else {
        Value::Null
    };
    let host = req.headers().get_str("host").unwrap_or("");
    let (host, port) = match host.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, p.parse().unwrap_or(80)),
        _ => (host, 80),
    };
    let service = ctx.service_id.and_then(|s| ctx.snap.services.get(s)).map(|s| {
        json!({"id": s.id, "host": s.host, "port": s.port, "protocol": s.protocol, "path": s.path})
    });
    json!({
        "message": message,
        "kong": {"worker_pid": std::process::id()},
        "request": {
            "scheme": "http",
            "host": host,
            "port": port,
            "headers": headers,
            "query": query,
            "body": body,
            "raw_body": raw_body,
            "method": req.method(),
            "path": req.path(),
            "uri_captures": {"named": {}, "unnamed": []},
        },
        "matched_route": ctx.route_id.map(|id| json!({"id": id})),
        "matched_service": service,
    })
}

fn form_pairs(body: &str) -> impl Iterator<Item = (String, Value)> + '_ {
    body.split('&').filter(|p| !p.is_empty()).map(|p| match p.split_once('=') {
        Some((k, v)) => (decode(k), Value::String(decode(v))),
        None => (decode(p), Value::Bool(true)),
    })
}

impl Plugin for RequestTermination {
    const NAME: &'static str = "request-termination";
    const PRIORITY: i32 = 2;

    fn parse(args: &Parse) -> Result<Self, String> {
        RequestTermination::from_config(args.config)
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        if let Some(trigger) = &self.trigger {
            let in_header = ctx.req.headers().contains(trigger);
            if !in_header && !ctx.query().iter().any(|(k, _)| decode(k) == *trigger) {
                return Ok(());
            }
        }
        Err(match &self.content {
            Content::Echo(message) => {
                self.answer(JSON, json_answer(&echo(ctx, message.as_deref())))
            }
            Content::Body { content_type, body } => self.answer(content_type, body.clone()),
            Content::Message(Some(m)) => self.answer(JSON, json_answer(&json!({"message": m}))),
            Content::Message(None) => self.answer("", Bytes::new()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::test_support::request;
    use crate::plugins::State;

    fn run(config: Value, head: &str) -> Option<(u16, String, String)> {
        let plugin = RequestTermination::from_config(&config).unwrap();
        let (req, snap, state) = (request(head, ""), Snapshot::default(), State::default());
        let mut ctx = Context::new(&req, "127.0.0.1", &snap, &state);
        let refusal = plugin.access(&mut ctx).err()?;
        let (content_type, body) = refusal.body.unwrap();
        Some((refusal.status, content_type, String::from_utf8_lossy(&body).into_owned()))
    }

    const GET: &str = "GET /x?debug&a=1 HTTP/1.1\r\nHost: h\r\nX-Trip: 1\r\n";

    #[test]
    fn terminates_with_kongs_message_or_the_body_given() {
        let (status, ct, body) = run(json!({}), GET).unwrap();
        assert_eq!(
            (status, ct.as_str(), body.as_str()),
            (503, JSON, r#"{"message":"Service unavailable"}"#)
        );
        let (status, _, body) = run(json!({"status_code": 403, "message": "Closed"}), GET).unwrap();
        assert_eq!((status, body.as_str()), (403, r#"{"message":"Closed"}"#));
        let (status, ct, body) = run(json!({"status_code": 418}), GET).unwrap();
        assert_eq!((status, ct.as_str(), body.as_str()), (418, "", ""), "no default message");
        let raw = json!({"status_code": 200, "body": "<p>hi</p>", "content_type": "text/html"});
        let (status, ct, body) = run(raw, GET).unwrap();
        assert_eq!((status, ct.as_str(), body.as_str()), (200, "text/html", "<p>hi</p>"));
        assert!(RequestTermination::from_config(&json!({"status_code": 600})).is_err());
    }

    #[test]
    fn a_trigger_picks_the_requests_and_echo_shows_them() {
        assert!(run(json!({"trigger": "x-other"}), GET).is_none(), "no such header or parameter");
        assert!(run(json!({"trigger": "X-TRIP"}), GET).is_some(), "the header, any case");
        assert!(run(json!({"trigger": "debug"}), GET).is_some(), "the query parameter");
        let (status, _, body) = run(json!({"echo": true, "status_code": 404}), GET).unwrap();
        let echoed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(status, 404);
        assert_eq!(echoed["message"], "Not found");
        assert_eq!(echoed["request"]["headers"]["x-trip"], "1");
        assert_eq!(echoed["request"]["query"], json!({"debug": true, "a": "1"}));
        assert_eq!(echoed["request"]["path"], "/x");
    }
}
