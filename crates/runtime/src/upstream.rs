//! HTTP/1.1 to upstream targets, spoken on the proxy's own task over a per-thread keep-alive pool.
//!
//! A general client (hyper's) runs each connection as a task of its own and hands requests and
//! answers across a channel: two task switches and a header map each way per request. A proxy
//! already holds the request as bytes it is about to send, so it writes them in one call and
//! parses the answer's head where it waits for it. Each proxy thread is its own event loop; its
//! upstream connections live on that loop too and never cross threads.

use std::cell::RefCell;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http1::{self, BodyState, Framing, Headers, Step, MAX_HEAD, MAX_HEADERS, READ_CHUNK};

/// Idle connections kept per target and thread.
const MAX_IDLE: usize = 256;

thread_local! {
    static IDLE: RefCell<crate::FastMap<String,
        Vec<Conn>>> = RefCell::new(Default::default());
}

#[derive(Debug, PartialEq, Eq)]
pub enum ConnectError {
    Refused,
    TimedOut,
}

/// Why an exchange failed; `Stale` means a kept-alive connection was found closed before any of
/// the answer arrived, so the request can go again on a new connection.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    Stale,
    TimedOut,
    Invalid,
}

/// An answer's status line and headers.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    /// The reason phrase, for a status without a usual one.
    pub reason: String,
    pub headers: Headers,
    pub framing: Framing,
    /// The upstream lets the connection be used again once the body has been read.
    pub keep_alive: bool,
}

/// One connection to a target with the bytes read from it and not yet consumed.
pub struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    reused: bool,
}

/// An idle connection to `target`, or a new one (within `connect_timeout`).
pub async fn checkout(target: &str, connect_timeout: Duration) -> Result<Conn, ConnectError> {
    let idle = IDLE.with(|p| p.borrow_mut().get_mut(target).and_then(Vec::pop));
    if let Some(mut c) = idle {
        c.reused = true;
        return Ok(c);
    }
    connect(target, connect_timeout).await
}

/// A new connection, never taken from the pool (for a retry after a stale one).
pub async fn connect(target: &str, connect_timeout: Duration) -> Result<Conn, ConnectError> {
    let stream = match tokio::time::timeout(connect_timeout, TcpStream::connect(target)).await {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => return Err(ConnectError::Refused),
        Err(_) => return Err(ConnectError::TimedOut),
    };
    stream.set_nodelay(true).ok();
    Ok(Conn { stream, buf: BytesMut::with_capacity(READ_CHUNK), reused: false })
}

/// A service's timeouts (Kong's connect_timeout, write_timeout and read_timeout).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub write: Duration,
    pub read: Duration,
}

/// Why a request got no answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    Connect(ConnectError),
    Exchange(SendError),
}

/// Sends `request` to `target` on a kept-alive connection, or a new one, and reads the answer's
/// head.
///
/// A kept connection the upstream closed while it sat idle is replaced by a new one without
/// counting as a try. A request that is not idempotent is sent again only if it cannot have
/// reached the upstream, so before it goes on a kept connection that connection is checked for
/// having been closed (what nginx does for a cached connection).
pub async fn send(
    target: &str,
    request: &[u8],
    head_only: bool,
    idempotent: bool,
    timeouts: Timeouts,
) -> Result<(Conn, Head), Failure> {
    let mut conn = checkout(target, timeouts.connect).await.map_err(Failure::Connect)?;
    if conn.reused && !idempotent && !conn.still_open() {
        conn = connect(target, timeouts.connect).await.map_err(Failure::Connect)?;
    }
    match conn.exchange(request, head_only, timeouts).await {
        Ok(head) => Ok((conn, head)),
        Err(SendError::Stale) if idempotent => {
            let mut conn = connect(target, timeouts.connect).await.map_err(Failure::Connect)?;
            let head =
                conn.exchange(request, head_only, timeouts).await.map_err(Failure::Exchange)?;
            Ok((conn, head))
        }
        Err(SendError::Stale) => Err(Failure::Exchange(SendError::Invalid)),
        Err(e) => Err(Failure::Exchange(e)),
    }
}

/// Returns a connection whose last answer was read to its end to the pool, if the upstream lets
/// it be used again (`reusable`).
pub fn checkin(target: &str, conn: Conn, reusable: bool) {
    // Bytes beyond the answer mean the upstream is out of step with us: drop the connection.
    if !reusable || !conn.buf.is_empty() {
        return;
    }
    IDLE.with(|p| {
        let mut pool = p.borrow_mut();
        if let Some(list) = pool.get_mut(target) {
            if list.len() < MAX_IDLE {
                list.push(conn);
            }
        } else {
            pool.insert(target.to_string(), vec![conn]);
        }
    });
}

impl Conn {
    /// Writes `request` (head and body, already framed) within `timeouts.write` and reads the
    /// answer's head; each read waits at most `timeouts.read` (Kong's read_timeout is between two
    /// successive reads).
    pub async fn exchange(
        &mut self,
        request: &[u8],
        head_only: bool,
        timeouts: Timeouts,
    ) -> Result<Head, SendError> {
        let (reused, read_timeout) = (self.reused, timeouts.read);
        let write = tokio::time::timeout(timeouts.write, self.stream.write_all(request)).await;
        match write {
            Ok(Ok(())) => {}
            Ok(Err(_)) if reused => return Err(SendError::Stale),
            Ok(Err(_)) => return Err(SendError::Invalid),
            Err(_) => return Err(SendError::TimedOut),
        }
        loop {
            if let Some(head) = self.parse_head(head_only)? {
                // 1xx answers (100 Continue, 103 Early Hints) precede the real one.
                if (100..200).contains(&head.status) {
                    if head.status == 101 {
                        return Err(SendError::Invalid);
                    }
                    continue;
                }
                return Ok(head);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(SendError::Invalid);
            }
            let fresh = self.buf.is_empty();
            match self.read_more(read_timeout).await {
                Ok(0) if fresh && reused => return Err(SendError::Stale),
                Ok(0) => return Err(SendError::Invalid),
                Ok(_) => {}
                Err(SendError::Invalid) if fresh && reused => return Err(SendError::Stale),
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether the upstream has not closed this idle connection (a read that would block).
    fn still_open(&mut self) -> bool {
        matches!(self.stream.try_read_buf(&mut self.buf),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }

    async fn read_more(&mut self, read_timeout: Duration) -> Result<usize, SendError> {
        self.buf.reserve(READ_CHUNK);
        match tokio::time::timeout(read_timeout, self.stream.read_buf(&mut self.buf)).await {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(_)) => Err(SendError::Invalid),
            Err(_) => Err(SendError::TimedOut),
        }
    }

    /// Parses a complete head at the front of the buffer and consumes it; `None` when more bytes
    /// are needed.
    fn parse_head(&mut self, head_only: bool) -> Result<Option<Head>, SendError> {
        let Some((head, len)) = parse_head(&self.buf, head_only)? else { return Ok(None) };
        self.buf.advance(len);
        Ok(Some(head))
    }

    /// Reads a body of `n` bytes whole.
    pub async fn read_exact_body(
        &mut self,
        n: usize,
        read_timeout: Duration,
    ) -> Result<Bytes, SendError> {
        while self.buf.len() < n {
            if self.read_more(read_timeout).await? == 0 {
                return Err(SendError::Invalid);
            }
        }
        Ok(http1::take_body(&mut self.buf, n))
    }

    /// The next piece of a body, `None` at its end. `state` carries what is left of the body
    /// between calls.
    pub async fn next_piece(
        &mut self,
        state: &mut BodyState,
        read_timeout: Duration,
    ) -> Result<Option<Bytes>, SendError> {
        loop {
            match http1::next_piece(&mut self.buf, state).map_err(|_| SendError::Invalid)? {
                Step::Piece(p) => return Ok(Some(p)),
                Step::End => return Ok(None),
                Step::More => {
                    if self.read_more(read_timeout).await? == 0 {
                        if *state == BodyState::UntilClose {
                            *state = BodyState::Done;
                            return Ok(None);
                        }
                        return Err(SendError::Invalid);
                    }
                }
            }
        }
    }
}

/// Parses an answer's head at the front of `buf`, with its length; `None` when it has not all
/// arrived. An answer to HEAD, 1xx, 204 and 304 have no body; a transfer coding other than chunked
/// last, or no length, runs to the close (RFC 9112 §6.3).
fn parse_head(buf: &[u8], head_only: bool) -> Result<Option<(Head, usize)>, SendError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut slots);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(SendError::Invalid),
    };
    let status = parsed.code.filter(|c| (100..1000).contains(c)).ok_or(SendError::Invalid)?;
    let reason = parsed.reason.unwrap_or("").to_string();
    let http11 = parsed.version == Some(1);
    let headers = Headers::copy(&buf[..len], parsed.headers);
    let d = headers.delimiters().map_err(|_| SendError::Invalid)?;
    let framing = if head_only || (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if d.chunked {
        Framing::Chunked
    } else if d.transfer_encoding {
        // A transfer coding other than chunked last: the body runs to the close (RFC 9112
        // §6.3).
        Framing::UntilClose
    } else if let Some(n) = d.length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    let keep_alive = !d.close && (http11 || d.keep_alive) && framing != Framing::UntilClose;
    Ok(Some((Head { status, reason, headers, framing, keep_alive }, len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// A loopback peer that answers each request it reads with the next of `answers`, then closes.
    async fn peer(answers: Vec<&'static [u8]>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            for answer in answers {
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                }
                for piece in answer.chunks(7) {
                    s.write_all(piece).await.unwrap();
                    s.flush().await.unwrap();
                }
            }
        });
        addr
    }

    async fn whole_body(c: &mut Conn, framing: Framing) -> Vec<u8> {
        let mut state = BodyState::of(framing);
        let mut body = Vec::new();
        while let Some(piece) = c.next_piece(&mut state, Duration::from_secs(2)).await.unwrap() {
            body.extend_from_slice(&piece);
        }
        body
    }

    fn both(t: Duration) -> Timeouts {
        Timeouts { connect: t, write: t, read: t }
    }

    fn get() -> Vec<u8> {
        let mut h = http1::HeadOut::request("GET", "/x?y=1");
        h.header("host", b"example.com");
        h.finish(b"")
    }

    #[tokio::test]
    async fn reads_answers_framed_by_length_chunks_and_close_on_one_connection() {
        let addr = peer(vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: \
                1\r\n\r\nhello",
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: \
                chunked\r\n\r\n4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.0 200 OK\r\n\r\nuntil the end",
        ])
        .await;
        let mut c = connect(&addr, Duration::from_secs(1)).await.unwrap();
        let t = Duration::from_secs(2);
        let h = c.exchange(&get(), false, both(t)).await.unwrap();
        assert_eq!(
            (h.status, h.framing, h.keep_alive, h.headers.get_str("x-a").unwrap()),
            (200, Framing::Length(5), true, "1")
        );
        assert_eq!(&c.read_exact_body(5, t).await.unwrap()[..], b"hello");
        let h = c.exchange(&get(), false, both(t)).await.unwrap();
        assert_eq!((h.status, h.framing), (201, Framing::Chunked));
        assert_eq!(whole_body(&mut c, h.framing).await, b"wikipedia");
        let h = c.exchange(&get(), false, both(t)).await.unwrap();
        assert_eq!((h.status, h.framing, h.keep_alive), (204, Framing::Empty, true));
        let h = c.exchange(&get(), false, both(t)).await.unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        assert_eq!(whole_body(&mut c, h.framing).await, b"until the end");
    }

    #[tokio::test]
    async fn a_kept_connection_closed_by_the_upstream_is_stale_and_a_bad_answer_invalid() {
        let addr = peer(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]).await;
        let t = Duration::from_secs(2);
        let mut c = connect(&addr, t).await.unwrap();
        assert_eq!(c.exchange(&get(), false, both(t)).await.unwrap().framing, Framing::Length(0));
        c.reused = true;
        assert_eq!(c.exchange(&get(), false, both(t)).await.unwrap_err(), SendError::Stale);

        let addr =
            peer(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"])
                .await;
        let mut c = connect(&addr, t).await.unwrap();
        assert_eq!(
            c.exchange(&get(), false, both(t)).await.unwrap_err(),
            SendError::Invalid,
            "conflicting lengths"
        );
        let addr = peer(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"]).await;
        let mut c = connect(&addr, t).await.unwrap();
        let h = c.exchange(&get(), false, both(t)).await.unwrap();
        assert_eq!(c.read_exact_body(3, t).await.unwrap_err(), SendError::Invalid, "cut short");
        assert_eq!(h.framing, Framing::Length(3));
        let addr = peer(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"]).await;
        let mut c = connect(&addr, t).await.unwrap();
        let h = c.exchange(&get(), true, both(t)).await.unwrap();
        assert_eq!(h.framing, Framing::Empty, "an answer to HEAD has no body");
        // A listener that never answers: the read waits its timeout.
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut c = connect(&silent.local_addr().unwrap().to_string(), t).await.unwrap();
        assert_eq!(
            c.exchange(&get(), false, both(Duration::from_millis(200))).await.unwrap_err(),
            SendError::TimedOut
        );
    }

    /// What `parse_head` makes of an answer's head: (status, framing, keep-alive, bytes taken).
    type Parsed = Result<Option<(u16, Framing, bool, usize)>, SendError>;

    fn parsed(head: &[u8], head_only: bool) -> Parsed {
        parse_head(head, head_only).map(|h| h.map(|(h, n)| (h.status, h.framing, h.keep_alive, n)))
    }

    #[test]
    fn answer_heads_table() {
        use Framing::{Chunked, Empty, Length, UntilClose};
        let whole = |status, framing, keep_alive, head: &str| {
            Ok(Some((status, framing, keep_alive, head.find("\r\n\r\n").unwrap() + 4)))
        };
        let cases: &[(&str, &str, bool, Parsed)] = &[
            (
                "a length",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                false,
                whole(200, Length(5), true, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
            ),
            (
                "chunks",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                false,
                whole(200, Chunked, true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ),
            (
                "another coding: to the close",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                false,
                whole(200, UntilClose, false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
            ),
            (
                "no length: to the close",
                "HTTP/1.1 200 OK\r\n\r\n",
                false,
                whole(200, UntilClose, false, "HTTP/1.1 200 OK\r\n\r\n"),
            ),
            (
                "204 has no body",
                "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
                false,
                whole(204, Empty, true, "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n"),
            ),
            (
                "304 has no body",
                "HTTP/1.1 304 Not Modified\r\n\r\n",
                false,
                whole(304, Empty, true, "HTTP/1.1 304 Not Modified\r\n\r\n"),
            ),
            (
                "1xx has no body",
                "HTTP/1.1 103 Early Hints\r\n\r\n",
                false,
                whole(103, Empty, true, "HTTP/1.1 103 Early Hints\r\n\r\n"),
            ),
            (
                "an answer to HEAD has no body",
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                true,
                whole(200, Empty, true, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
            ),
            (
                "Connection: close",
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                false,
                whole(
                    200,
                    Length(0),
                    false,
                    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            ),
            (
                "HTTP/1.0 closes",
                "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
                false,
                whole(200, Length(0), false, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
            ),
            (
                "HTTP/1.0 keeping alive",
                "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
                false,
                whole(
                    200,
                    Length(0),
                    true,
                    "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n",
                ),
            ),
            (
                "bare LF line endings",
                "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
                false,
                Ok(Some((200, Length(0), true, 35))),
            ),
            (
                "an empty reason",
                "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
                false,
                whole(200, Length(0), true, "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"),
            ),
            ("not all arrived", "HTTP/1.1 200 OK\r\nContent-Len", false, Ok(None)),
            (
                "differing lengths",
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                false,
                Err(SendError::Invalid),
            ),
            (
                "a negative length",
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                false,
                Err(SendError::Invalid),
            ),
            (
                "a folded header",
                "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n",
                false,
                Err(SendError::Invalid),
            ),
            ("a status under 100", "HTTP/1.1 099 Odd\r\n\r\n", false, Err(SendError::Invalid)),
            ("a two-digit status", "HTTP/1.1 20 OK\r\n\r\n", false, Err(SendError::Invalid)),
            ("not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", false, Err(SendError::Invalid)),
        ];
        for (what, head, head_only, want) in cases {
            assert_eq!(parsed(head.as_bytes(), *head_only), *want, "{what}");
        }
    }
}
