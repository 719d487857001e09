//! What passes between the client side and the proxy: a request read whole, the answer to write,
//! and Kong's error answers. Both `downstream` and `proxy` use these; neither imports the other's
//! types.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::http1::{self, BodyState, HeadOut, Headers};
use crate::request_head;
use crate::upstream;

/// What the runtime calls itself in `Server` headers.
pub const SERVER: &str = concat!("runtime-manager-runtime/", env!("CARGO_PKG_VERSION"));

/// The client's address as text, formatted once per connection.
pub type ClientIp = Arc<str>;

/// A client's request, its body read whole.
pub struct Request {
    pub(crate) head: Headers,
    pub(crate) method: (u32, u32),
    pub(crate) target: (u32, u32),
    /// The path with dot segments and escaped unreserved characters resolved, when that differs.
    pub(crate) normalized_path: Option<Box<str>>,
    pub http11: bool,
    /// The connection may serve another request after this one.
    pub keep_alive: bool,
    /// The client framed a body (by length or chunks), even an empty one.
    pub framed_body: bool,
    pub body: Bytes,
}

impl Request {
    pub fn method(&self) -> &str {
        self.head.text(self.method)
    }

    pub fn headers(&self) -> &Headers {
        &self.head
    }

    fn origin_form(&self) -> &str {
        request_head::origin_form(self.head.text(self.target))
    }

    /// The path as it is routed and forwarded: normalized (see `request_head::normalize_path`).
    pub fn path(&self) -> &str {
        if let Some(p) = &self.normalized_path {
            return p;
        }
        match self.origin_form().split('?').next() {
            Some(p) if !p.is_empty() => p,
            _ => "/",
        }
    }

    /// The path and query as the client sent them, not normalized (Kong's
    /// `kong.request.get_path_with_query`, which hmac-auth signs).
    pub fn path_with_query(&self) -> &str {
        self.origin_form()
    }

    pub fn query(&self) -> Option<&str> {
        self.origin_form().split_once('?').map(|(_, q)| q)
    }
}

/// What the proxy answers: the status line and headers (the server adds framing and connection
/// headers) and the body.
pub struct Answer {
    pub head: HeadOut,
    pub payload: Payload,
}

pub enum Payload {
    /// Bytes whose length the server writes in the head.
    Whole(Bytes),
    /// Bytes whose length the head already carries, or no body at all (HEAD, 204, 304).
    Framed(Bytes),
    /// An upstream body, written to the client as it is read.
    Streamed(Streamed),
}

pub struct Streamed {
    pub conn: upstream::Conn,
    pub state: BodyState,
    /// Where the connection goes back to the pool once the body has been read.
    pub target: String,
    pub keep_alive: bool,
    pub read_timeout: Duration,
    /// The head carries the body's length; otherwise the server frames it for the client.
    pub length_in_head: bool,
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
