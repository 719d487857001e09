//! correlation-id: each request carries an id in a header to the upstream, and back to the
//! client when asked (Kong's `correlation-id`, priority 100001, access and header_filter).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::{AnswerHead, Context, Parse, Plugin, Refusal};

/// How ids are made (`generator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generator {
    /// A random UUID per request.
    Uuid,
    /// This runtime's UUID and a counter: `<uuid>#<n>`.
    UuidCounter,
    /// Where and when the request was served.
    Tracker,
}

/// The `uuid#counter` generator's state: one UUID per runtime (Kong: per worker) and a count.
pub struct CorrelationIds {
    runtime: String,
    counter: AtomicU64,
}

impl Default for CorrelationIds {
    fn default() -> Self {
        CorrelationIds { runtime: uuid::Uuid::new_v4().to_string(), counter: AtomicU64::new(0) }
    }
}

impl CorrelationIds {
    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A correlation-id config, parsed.
#[derive(Debug)]
pub struct CorrelationId {
    header_name: String,
    generator: Generator,
    echo_downstream: bool,
}

impl CorrelationId {
    fn from_config(config: &Value) -> Result<CorrelationId, String> {
        let generator = match config["generator"].as_str().unwrap_or("uuid#counter") {
            "uuid" => Generator::Uuid,
            "uuid#counter" => Generator::UuidCounter,
            "tracker" => Generator::Tracker,
            other => {
                return Err(format!("generator '{other}' is not uuid, uuid#counter or tracker"))
            }
        };
        Ok(CorrelationId {
            header_name: config["header_name"].as_str().unwrap_or("Kong-Request-ID").to_string(),
            generator,
            echo_downstream: config["echo_downstream"].as_bool() == Some(true),
        })
    }

    fn generate(&self, ctx: &Context) -> String {
        let ids = &ctx.state.correlation_ids;
        match self.generator {
            Generator::Uuid => uuid::Uuid::new_v4().to_string(),
            Generator::UuidCounter => format!("{}#{}", ids.runtime, ids.next()),
            // Kong's server address, port, worker pid, connection serial and request count are
            // not known to plugins here: the client's address and a runtime-wide count stand in.
            Generator::Tracker => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
                format!(
                    "{}-{}-{}-{:.3}",
                    ctx.client_ip,
                    std::process::id(),
                    ids.next(),
                    now.as_secs_f64()
                )
            }
        }
    }

    /// The id the client sent, if it is not empty.
    fn sent<'c>(&self, ctx: &'c Context) -> Option<&'c str> {
        ctx.req.headers().get_str(&self.header_name).filter(|id| !id.is_empty())
    }
}

impl Plugin for CorrelationId {
    const NAME: &'static str = "correlation-id";
    const PRIORITY: i32 = 100001;

    fn parse(args: &Parse) -> Result<Self, String> {
        CorrelationId::from_config(args.config)
    }

    /// The client's id goes on as it is; a request without one gets a new one.
    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        let id = match self.sent(ctx) {
            Some(id) => id.to_string(),
            None => {
                let id = self.generate(ctx);
                ctx.set_upstream_header(&self.header_name, id.clone());
                id
            }
        };
        if self.echo_downstream {
            ctx.notes.push((Self::NAME, id));
        }
        Ok(())
    }

    fn header_filter(&self, ctx: &mut Context, head: &mut AnswerHead) {
        if !self.echo_downstream {
            return;
        }
        let id = match ctx.note(Self::NAME).or_else(|| self.sent(ctx)) {
            Some(id) => id.to_string(),
            None => self.generate(ctx),
        };
        head.set(self.header_name.clone(), id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::test_support::request;
    use crate::plugins::State;
    use serde_json::json;

    /// (the id the upstream gets, the id the client gets back)
    fn run(config: Value, head: &str, state: &State) -> (Option<String>, Option<String>) {
        let plugin = CorrelationId::from_config(&config).unwrap();
        let (req, snap) = (request(head, ""), Snapshot::default());
        let mut ctx = Context::new(&req, "127.0.0.1", &snap, state);
        plugin.access(&mut ctx).unwrap();
        let upstream = ctx.upstream_header(&plugin.header_name).map(|v| v.into_owned());
        let mut answer = AnswerHead::new(200, None);
        plugin.header_filter(&mut ctx, &mut answer);
        (upstream, answer.get(&plugin.header_name).map(|v| v.into_owned()))
    }

    const GET: &str = "GET / HTTP/1.1\r\nHost: h\r\n";

    #[test]
    fn ids_are_made_once_and_kept_when_sent() {
        let state = State::default();
        let (first, echoed) = run(json!({}), GET, &state);
        let first = first.unwrap();
        let (runtime, count) = first.split_once('#').unwrap();
        assert_eq!((runtime.len(), count), (36, "1"));
        assert_eq!(echoed, None, "not echoed unless asked");
        let (second, _) = run(json!({}), GET, &state);
        assert_eq!(second.unwrap(), format!("{runtime}#2"), "the counter goes on");
        let echo = json!({"header_name": "X-Corr", "generator": "uuid", "echo_downstream": true});
        let (sent, back) =
            run(echo.clone(), "GET / HTTP/1.1\r\nHost: h\r\nX-Corr: mine\r\n", &state);
        assert_eq!((sent.as_deref(), back.as_deref()), (Some("mine"), Some("mine")));
        let (made, back) = run(echo, GET, &state);
        assert!(made.as_ref().is_some_and(|m| m.len() == 36 && !m.contains('#')));
        assert_eq!(made, back, "the client gets the id the upstream got");
        assert!(CorrelationId::from_config(&json!({"generator": "nope"})).is_err());
    }
}
