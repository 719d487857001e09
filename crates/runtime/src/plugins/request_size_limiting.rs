//! request-size-limiting: request bodies over a size refused with 413 (Kong's
//! `request-size-limiting`, priority 951, access phase).

use serde_json::Value;

use super::{Context, Parse, Plugin, Refusal};

const TOO_LARGE: &str = "Request size limit exceeded";

/// A request-size-limiting config, parsed.
#[derive(Debug)]
pub struct RequestSizeLimiting {
    /// `allowed_payload_size` in bytes (`size_unit`'s multiple).
    allowed_bytes: u64,
    require_content_length: bool,
}

impl RequestSizeLimiting {
    fn from_config(config: &Value) -> Result<RequestSizeLimiting, String> {
        let unit = match config["size_unit"].as_str().unwrap_or("megabytes") {
            "bytes" => 1,
            "kilobytes" => 1024,
            "megabytes" => 1024 * 1024,
            other => {
                return Err(format!("size_unit '{other}' is not bytes, kilobytes or megabytes"))
            }
        };
        let size = config["allowed_payload_size"].as_f64().unwrap_or(128.0).max(0.0) as u64;
        Ok(RequestSizeLimiting {
            allowed_bytes: size.saturating_mul(unit),
            require_content_length: config["require_content_length"].as_bool() == Some(true),
        })
    }

    /// A body of `length` bytes over the limit: 417 when the client waits on
    /// `Expect: 100-continue`, 413 otherwise.
    fn check(&self, length: u64, expects_continue: bool) -> Result<(), Refusal> {
        if length <= self.allowed_bytes {
            return Ok(());
        }
        Err(Refusal::new(if expects_continue { 417 } else { 413 }, TOO_LARGE))
    }
}

impl Plugin for RequestSizeLimiting {
    const NAME: &'static str = "request-size-limiting";
    const PRIORITY: i32 = 951;

    fn parse(args: &Parse) -> Result<Self, String> {
        RequestSizeLimiting::from_config(args.config)
    }

    /// The declared length when there is a valid one, else the body as read (the proxy reads
    /// request bodies whole before the access phase).
    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        let headers = ctx.req.headers();
        let expects_continue = headers
            .get_str("expect")
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("100-continue"));
        let declared = headers.get_str("content-length").and_then(|l| l.trim().parse::<u64>().ok());
        if let Some(length) = declared {
            return self.check(length, expects_continue);
        }
        let chunked = headers.get_str("transfer-encoding").is_some_and(|t| t == "chunked");
        if self.require_content_length && !chunked {
            return Err(Refusal::new(411, "A valid Content-Length header is required"));
        }
        self.check(ctx.req.body.len() as u64, expects_continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::test_support::request;
    use crate::plugins::State;
    use serde_json::json;

    fn run(config: Value, head: &str, body: &str) -> Result<(), (u16, String)> {
        let plugin = RequestSizeLimiting::from_config(&config).unwrap();
        let (req, snap, state) = (request(head, body), Snapshot::default(), State::default());
        let mut ctx = Context::new(&req, "127.0.0.1", &snap, &state);
        plugin.access(&mut ctx).map_err(|r| (r.status, r.message.into_owned()))
    }

    #[test]
    fn bodies_over_the_limit_are_refused_as_kong_refuses_them() {
        let ten_bytes = json!({"allowed_payload_size": 10, "size_unit": "bytes"});
        let post = |extra: &str| format!("POST / HTTP/1.1\r\nHost: h\r\n{extra}");
        let too_large = Err((413, TOO_LARGE.to_string()));
        assert_eq!(run(ten_bytes.clone(), &post("Content-Length: 10\r\n"), "0123456789"), Ok(()));
        assert_eq!(
            run(ten_bytes.clone(), &post("Content-Length: 11\r\n"), "01234567890"),
            too_large
        );
        assert_eq!(
            run(ten_bytes.clone(), &post("Content-Length: 11\r\nExpect: 100-continue\r\n"), "x"),
            Err((417, TOO_LARGE.to_string()))
        );
        assert_eq!(
            run(ten_bytes.clone(), &post("Transfer-Encoding: chunked\r\n"), "01234567890"),
            too_large,
            "no length: the body read counts"
        );
        let required = json!({"allowed_payload_size": 10, "size_unit": "bytes", "require_content_length": true});
        assert_eq!(
            run(required, &post(""), "x"),
            Err((411, "A valid Content-Length header is required".to_string()))
        );
        let one_kb = json!({"allowed_payload_size": 1, "size_unit": "kilobytes"});
        assert_eq!(run(one_kb.clone(), &post("Content-Length: 1024\r\n"), ""), Ok(()));
        assert!(run(one_kb, &post("Content-Length: 1025\r\n"), "").is_err());
        assert!(run(json!({}), &post("Content-Length: 134217728\r\n"), "").is_ok(), "128 MB");
    }
}
