//! HTTP/1.1 from clients, served on the proxy's own task: each request's head is parsed where it
//! is read, and each answer goes out as bytes, its head and a small body in one write.
//!
//! hyper's server builds a header map for every request and every answer and runs a dispatcher
//! between the socket and the handler; the proxy passes header lines through, so it keeps them as
//! the bytes they came as (see `http1`). Keep-alive, pipelining (requests are read in turn from the
//! same buffer), `Expect: 100-continue`, bodies by length or chunks, and answers by length, chunks
//! or close are handled here.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http1::{self, BodyState, Framing, HeadOut, Headers, Step, MAX_HEAD, MAX_HEADERS, READ_CHUNK};
use crate::proxy::{self, ClientIp};
use crate::{upstream, Shared};

/// A kept-alive connection with no request for this long is closed (Kong's keepalive_timeout is 60 s).
const IDLE: Duration = Duration::from_secs(60);
/// Each read of a head or body and each write of an answer waits at most this long (nginx's
/// client_header_timeout, client_body_timeout and send_timeout).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// A request body larger than this is refused with 413.
const MAX_BODY: u64 = 64 * 1024 * 1024;
/// An answer up to this size goes out in one write with its head.
const ONE_WRITE: usize = 64 * 1024;

/// A client's request, its body read whole.
pub struct Request {
    head: Headers,
    method: (u32, u32),
    target: (u32, u32),
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

    /// The target in origin form: an absolute-form target (`http://host/p?q`) names the same
    /// resource as its path and query.
    fn origin_form(&self) -> &str {
        let t = self.head.text(self.target);
        match t.split_once("://") {
            Some((_, rest)) if !t.starts_with('/') => rest.find(['/', '?']).map(|i| &rest[i..]).unwrap_or(""),
            _ => t,
        }
    }

    pub fn path(&self) -> &str {
        match self.origin_form().split('?').next() {
            Some(p) if !p.is_empty() => p,
            _ => "/",
        }
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

/// Runs the proxy on `workers` threads, each a single-threaded event loop accepting from the
/// shared listening socket (nginx's worker processes, as threads).
pub fn serve_on_threads(listener: std::net::TcpListener, shared: Arc<Shared>, workers: usize) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    for i in 0..workers.max(1) {
        let (listener, shared) = (listener.try_clone()?, shared.clone());
        std::thread::Builder::new().name(format!("proxy-{i}")).spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("proxy event loop");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("proxy listener");
                serve(listener, shared).await
            });
        })?;
    }
    Ok(())
}

/// Accepts proxy connections until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        stream.set_nodelay(true).ok();
        let shared = shared.clone();
        let client_ip: ClientIp = peer.ip().to_string().into();
        tokio::spawn(connection(stream, client_ip, shared));
    }
}

/// Why no request could be read: the client went (or idled out), or sent one that is refused.
enum Unreadable {
    Gone,
    Refused(u16, &'static str),
}

async fn connection(mut stream: TcpStream, client_ip: ClientIp, shared: Arc<Shared>) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        let request = match read_request(&mut stream, &mut buf).await {
            Ok(r) => r,
            Err(Unreadable::Gone) => return,
            Err(Unreadable::Refused(status, message)) => {
                let answer = proxy::kong_error(status, message, &proxy::request_id(), &[]);
                if write_answer(&mut stream, answer, false, true, false).await.is_ok() {
                    let _ = stream.shutdown().await;
                }
                return;
            }
        };
        let head_request = request.method() == "HEAD";
        let answer = proxy::handle(&request, &client_ip, &shared).await;
        match write_answer(&mut stream, answer, request.keep_alive, request.http11, head_request).await {
            Ok(true) => {}
            _ => return,
        }
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut, wait: Duration) -> Result<(), Unreadable> {
    buf.reserve(READ_CHUNK);
    match tokio::time::timeout(wait, stream.read_buf(buf)).await {
        Ok(Ok(n)) if n > 0 => Ok(()),
        _ => Err(Unreadable::Gone),
    }
}

/// Reads the next request: its head, then its body whole.
async fn read_request(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<Request, Unreadable> {
    let (head, method, target, http11) = loop {
        if !buf.is_empty() {
            let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Request::new(&mut slots);
            match parsed.parse(buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let bytes = &buf[..len];
                    let method = http1::span_in(bytes, parsed.method.unwrap_or("").as_bytes());
                    let target = http1::span_in(bytes, parsed.path.unwrap_or("").as_bytes());
                    let found = (Headers::copy(bytes, parsed.headers), method, target, parsed.version == Some(1));
                    buf.advance(len);
                    break found;
                }
                Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err(Unreadable::Refused(431, "Request Header Fields Too Large")),
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => return Err(Unreadable::Refused(431, "Request Header Fields Too Large")),
                Err(_) => return Err(Unreadable::Refused(400, "Bad request")),
            }
        }
        // Between requests a kept-alive connection may idle; within a head, the client is slow.
        read_more(stream, buf, if buf.is_empty() { IDLE } else { CLIENT_TIMEOUT }).await?;
    };
    // An HTTP/1.1 request must name its host (RFC 9112 §3.2); nginx refuses one that doesn't.
    if http11 && !head.contains("host") {
        return Err(Unreadable::Refused(400, "Bad request"));
    }
    let d = head.delimiters().map_err(|_| Unreadable::Refused(400, "Bad request"))?;
    // A transfer coding the proxy can't undo, or a length beside chunks, is refused rather than
    // guessed at (RFC 9112 §6.1: such a request is a smuggling risk).
    if d.transfer_encoding && (!d.chunked || d.length.is_some() || !http11) {
        return Err(Unreadable::Refused(400, "Bad request"));
    }
    let framing = match (d.chunked, d.length) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) if n > MAX_BODY => return Err(Unreadable::Refused(413, "Request Entity Too Large")),
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::Empty,
    };
    // A client that sent `Expect: 100-continue` waits for a go-ahead before sending its body.
    if http11 && framing != Framing::Empty && framing != Framing::Length(0) && buf.is_empty() && head.get("expect").is_some_and(|v| v.eq_ignore_ascii_case(b"100-continue")) {
        tokio::time::timeout(CLIENT_TIMEOUT, stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")).await.map_err(|_| Unreadable::Gone)?.map_err(|_| Unreadable::Gone)?;
    }
    let body = read_body(stream, buf, framing).await?;
    let keep_alive = !d.close && (http11 || d.keep_alive);
    Ok(Request { head, method, target, http11, keep_alive, framed_body: framing != Framing::Empty, body })
}

async fn read_body(stream: &mut TcpStream, buf: &mut BytesMut, framing: Framing) -> Result<Bytes, Unreadable> {
    match framing {
        Framing::Empty | Framing::UntilClose => Ok(Bytes::new()),
        Framing::Length(n) => {
            let n = n as usize;
            if buf.len() < n {
                buf.reserve(n - buf.len());
            }
            while buf.len() < n {
                read_more(stream, buf, CLIENT_TIMEOUT).await?;
            }
            Ok(http1::take_body(buf, n))
        }
        Framing::Chunked => {
            let (mut state, mut body) = (BodyState::of(framing), BytesMut::new());
            loop {
                match http1::next_piece(buf, &mut state).map_err(|_| Unreadable::Refused(400, "Bad request"))? {
                    Step::Piece(p) if (body.len() + p.len()) as u64 > MAX_BODY => return Err(Unreadable::Refused(413, "Request Entity Too Large")),
                    Step::Piece(p) => body.extend_from_slice(&p),
                    Step::More => read_more(stream, buf, CLIENT_TIMEOUT).await?,
                    Step::End => return Ok(body.freeze()),
                }
            }
        }
    }
}

async fn write_all(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    match tokio::time::timeout(CLIENT_TIMEOUT, stream.write_all(bytes)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Writes an answer; `Ok(true)` when the connection can serve another request.
async fn write_answer(stream: &mut TcpStream, answer: Answer, keep_alive: bool, http11: bool, head_request: bool) -> std::io::Result<bool> {
    let Answer { mut head, payload } = answer;
    let mut keep_alive = keep_alive;
    let mut chunked = false;
    let (body, streamed) = match payload {
        Payload::Whole(b) => {
            head.header("content-length", http1::digits(b.len() as u64).as_bytes());
            (b, None)
        }
        Payload::Framed(b) => (b, None),
        // No body goes with an answer to HEAD, whatever the upstream did.
        Payload::Streamed(_) if head_request => {
            keep_alive = false;
            (Bytes::new(), None)
        }
        Payload::Streamed(s) => {
            if !s.length_in_head {
                // Without a length the body is sent in chunks, or to an HTTP/1.0 client up to the close.
                if http11 {
                    head.header("transfer-encoding", b"chunked");
                    chunked = true;
                } else {
                    keep_alive = false;
                }
            }
            (Bytes::new(), Some(s))
        }
    };
    if !keep_alive {
        head.header("connection", b"close");
    } else if !http11 {
        head.header("connection", b"keep-alive");
    }
    let body = if head_request { Bytes::new() } else { body };
    let mut out = head.finish(&[]);
    if body.len() <= ONE_WRITE {
        out.extend_from_slice(&body);
        write_all(stream, &out).await?;
    } else {
        write_all(stream, &out).await?;
        write_all(stream, &body).await?;
    }
    let Some(mut s) = streamed else { return Ok(keep_alive) };
    loop {
        match s.conn.next_piece(&mut s.state, s.read_timeout).await {
            Ok(Some(piece)) if chunked => {
                let mut framed = Vec::with_capacity(piece.len() + 12);
                framed.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                framed.extend_from_slice(&piece);
                framed.extend_from_slice(b"\r\n");
                write_all(stream, &framed).await?;
            }
            Ok(Some(piece)) => write_all(stream, &piece).await?,
            Ok(None) => {
                if chunked {
                    write_all(stream, b"0\r\n\r\n").await?;
                }
                upstream::checkin(&s.target, s.conn, s.keep_alive);
                return Ok(keep_alive);
            }
            // The answer's head has gone out: all that can tell the client is the connection closing.
            Err(_) => return Ok(false),
        }
    }
}
