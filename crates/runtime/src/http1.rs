//! HTTP/1.1 on the wire, shared by both sides of the proxy: parsed heads kept as their bytes,
//! heads written out as bytes, and bodies delimited by length, chunks or close.
//!
//! A proxy mostly passes header lines through. Keeping each head as the bytes it arrived as, with
//! the offsets of its names and values, costs two allocations; a header map costs one per value
//! and a hash per name, on both the request and the answer.

use bytes::{Buf, Bytes, BytesMut};

/// A head larger than this is refused (nginx's default large header buffers are 4 × 8 KiB).
pub const MAX_HEAD: usize = 64 * 1024;
/// The most headers a head may carry.
pub const MAX_HEADERS: usize = 100;
/// How much a read asks for at a time; a body up to this size is copied out of the read buffer.
pub const READ_CHUNK: usize = 16 * 1024;

/// The body is malformed, or its framing contradicts itself.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

/// A parsed head: its bytes, and where each header's name and value lie in them.
#[derive(Debug)]
pub struct Headers {
    raw: Vec<u8>,
    spans: Vec<[u32; 4]>,
}

impl Headers {
    /// Copies `head` (the head's bytes, as parsed) with the headers httparse found in it.
    pub fn copy(head: &[u8], parsed: &[httparse::Header<'_>]) -> Headers {
        let spans = parsed.iter().map(|h| {
            let (n, v) = (span_in(head, h.name.as_bytes()), span_in(head, h.value));
            [n.0, n.1, v.0, v.1]
        });
        Headers { raw: head.to_vec(), spans: spans.collect() }
    }

    /// The text at `span` of the head (a span from `span_in` of the same bytes).
    pub fn text(&self, span: (u32, u32)) -> &str {
        std::str::from_utf8(&self.raw[span.0 as usize..span.1 as usize]).unwrap_or("")
    }

    /// Each header's name and value, in the order they came.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        // httparse only accepts names made of token characters, which are ASCII.
        self.spans.iter().map(|s| (std::str::from_utf8(&self.raw[s[0] as usize..s[1] as usize]).unwrap_or(""), &self.raw[s[2] as usize..s[3] as usize]))
    }

    /// Every value of the header `name` (any case).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The first value of the header `name` (any case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The first value of `name` as text, if it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// What the head says about its body's framing and its connection.
    pub fn delimiters(&self) -> Result<Delimiters, Malformed> {
        let mut d = Delimiters::default();
        for (name, value) in self.iter() {
            if name.eq_ignore_ascii_case("content-length") {
                for one in value.split(|b| *b == b',') {
                    let n: u64 = std::str::from_utf8(one.trim_ascii()).ok().filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).and_then(|v| v.parse().ok()).ok_or(Malformed)?;
                    // Differing lengths are a smuggling attempt (RFC 9112 §6.3, item 5).
                    if d.length.is_some_and(|l| l != n) {
                        return Err(Malformed);
                    }
                    d.length = Some(n);
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                d.transfer_encoding = true;
                d.chunked = value.rsplit(|b| *b == b',').next().is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            } else if name.eq_ignore_ascii_case("connection") {
                for token in value.split(|b| *b == b',') {
                    let token = token.trim_ascii();
                    d.close |= token.eq_ignore_ascii_case(b"close");
                    d.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            }
        }
        Ok(d)
    }
}

/// Where `part` (a slice of `whole`) lies in `whole`; empty when it is not inside (an empty
/// slice may point anywhere).
pub fn span_in(whole: &[u8], part: &[u8]) -> (u32, u32) {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    if part.is_empty() || start > whole.len() || start + part.len() > whole.len() {
        return (0, 0);
    }
    (start as u32, (start + part.len()) as u32)
}

/// The framing and connection headers of a head.
#[derive(Debug, Default, Clone, Copy)]
pub struct Delimiters {
    pub length: Option<u64>,
    pub transfer_encoding: bool,
    /// Transfer-Encoding ends with `chunked`.
    pub chunked: bool,
    /// `Connection: close`.
    pub close: bool,
    /// `Connection: keep-alive` (HTTP/1.0).
    pub keep_alive: bool,
}

/// How a body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

/// What is left to read of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    Remaining(u64),
    UntilClose,
    ChunkSize,
    ChunkData(u64),
    ChunkEnd,
    Trailers,
    Done,
}

impl BodyState {
    pub fn of(framing: Framing) -> BodyState {
        match framing {
            Framing::Empty | Framing::Length(0) => BodyState::Done,
            Framing::Length(n) => BodyState::Remaining(n),
            Framing::Chunked => BodyState::ChunkSize,
            Framing::UntilClose => BodyState::UntilClose,
        }
    }
}

/// One step of reading a body out of a read buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Piece(Bytes),
    /// More bytes are needed; for a body delimited by close, none coming means its end.
    More,
    End,
}

/// Takes the next piece of a body from `buf` (decoding chunks; trailers are dropped).
pub fn next_piece(buf: &mut BytesMut, state: &mut BodyState) -> Result<Step, Malformed> {
    loop {
        match state {
            BodyState::Done => return Ok(Step::End),
            BodyState::Remaining(0) => *state = BodyState::Done,
            BodyState::ChunkData(0) => *state = BodyState::ChunkEnd,
            BodyState::Remaining(n) | BodyState::ChunkData(n) => {
                if buf.is_empty() {
                    return Ok(Step::More);
                }
                let take = (*n).min(buf.len() as u64) as usize;
                *n -= take as u64;
                return Ok(Step::Piece(buf.split_to(take).freeze()));
            }
            BodyState::UntilClose => {
                if buf.is_empty() {
                    return Ok(Step::More);
                }
                return Ok(Step::Piece(buf.split().freeze()));
            }
            BodyState::ChunkSize => match take_line(buf)? {
                Some(line) => {
                    let digits = line.split(|b| *b == b';').next().unwrap_or(&[]).trim_ascii();
                    let size = std::str::from_utf8(digits).ok().filter(|d| !d.is_empty()).and_then(|d| u64::from_str_radix(d, 16).ok()).ok_or(Malformed)?;
                    *state = if size == 0 { BodyState::Trailers } else { BodyState::ChunkData(size) };
                }
                None => return Ok(Step::More),
            },
            BodyState::ChunkEnd => match take_line(buf)? {
                Some(line) if line.is_empty() => *state = BodyState::ChunkSize,
                Some(_) => return Err(Malformed),
                None => return Ok(Step::More),
            },
            BodyState::Trailers => match take_line(buf)? {
                Some(line) if line.is_empty() => *state = BodyState::Done,
                Some(_) => {}
                None => return Ok(Step::More),
            },
        }
    }
}

/// The first `n` bytes of `buf` (which holds at least that many) as a body. A small body is copied
/// out so the read buffer stays whole and is reused by the next message; a split would leave it
/// shared and make the next read allocate a new one.
pub fn take_body(buf: &mut BytesMut, n: usize) -> Bytes {
    if n <= READ_CHUNK {
        let body = Bytes::copy_from_slice(&buf[..n]);
        buf.advance(n);
        return body;
    }
    buf.split_to(n).freeze()
}

/// A CRLF-terminated line from the front of `buf`, without its CRLF; a line longer than a head
/// may be is malformed.
fn take_line(buf: &mut BytesMut) -> Result<Option<Bytes>, Malformed> {
    let Some(at) = buf.windows(2).position(|w| w == b"\r\n") else {
        return if buf.len() > MAX_HEAD { Err(Malformed) } else { Ok(None) };
    };
    let line = buf.split_to(at).freeze();
    buf.advance(2);
    Ok(Some(line))
}

/// Writes a head as bytes: the request or status line, then each header added.
pub struct HeadOut {
    pub out: Vec<u8>,
}

impl HeadOut {
    pub fn request(method: &str, target: &str) -> HeadOut {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(target.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        HeadOut { out }
    }

    /// A status line with the status's usual reason phrase, or `reason` for one without.
    pub fn answer(status: u16, reason: &str) -> HeadOut {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(digits(status as u64).as_bytes());
        out.push(b' ');
        let known = hyper::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason());
        out.extend_from_slice(known.unwrap_or(reason).as_bytes());
        out.extend_from_slice(b"\r\n");
        HeadOut { out }
    }

    /// Adds a header; a value with a control character (CR, LF, NUL…) is left out, since it
    /// would split the head.
    pub fn header(&mut self, name: &str, value: &[u8]) {
        if value.iter().any(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f) {
            return;
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b": ");
        self.out.extend_from_slice(value);
        self.out.extend_from_slice(b"\r\n");
    }

    /// Ends the head and appends the body.
    pub fn finish(mut self, body: &[u8]) -> Vec<u8> {
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(body);
        self.out
    }
}

/// A number in decimal, without the `fmt` machinery.
pub fn digits(mut n: u64) -> String {
    let mut out = [0u8; 20];
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    String::from_utf8_lossy(&out[at..]).into_owned()
}

/// Today's date as an HTTP `Date` value, formatted once a second per thread.
pub fn date() -> std::rc::Rc<str> {
    thread_local! {
        static CACHED: std::cell::RefCell<(i64, std::rc::Rc<str>)> = std::cell::RefCell::new((i64::MIN, "".into()));
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    CACHED.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != now {
            let text = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            *c = (now, text.into());
        }
        c.1.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &[u8]) -> Headers {
        let mut slots = [httparse::EMPTY_HEADER; 16];
        let mut r = httparse::Response::new(&mut slots);
        let n = match r.parse(text).unwrap() {
            httparse::Status::Complete(n) => n,
            httparse::Status::Partial => panic!("partial"),
        };
        Headers::copy(&text[..n], r.headers)
    }

    #[test]
    fn headers_are_found_in_any_case_and_kept_in_order() {
        let h = parsed(b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-b:\r\nx-a: 2\r\nContent-Length: 7, 7\r\nConnection: Keep-Alive\r\n\r\n");
        assert_eq!(h.get_str("x-a"), Some("1"));
        assert_eq!(h.get_all("X-A").collect::<Vec<_>>(), vec![b"1".as_slice(), b"2"]);
        assert_eq!(h.get("x-b"), Some(b"".as_slice()));
        assert_eq!(h.iter().map(|(n, _)| n).collect::<Vec<_>>(), vec!["X-A", "x-b", "x-a", "Content-Length", "Connection"]);
        let d = h.delimiters().unwrap();
        assert_eq!((d.length, d.chunked, d.close, d.keep_alive), (Some(7), false, false, true));
        assert_eq!(parsed(b"HTTP/1.1 200 OK\r\nContent-Length: 7, 8\r\n\r\n").delimiters().unwrap_err(), Malformed);
        assert_eq!(parsed(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").delimiters().unwrap_err(), Malformed);
        assert!(parsed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").delimiters().unwrap().chunked);
        assert!(!parsed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").delimiters().unwrap().chunked);
    }

    #[test]
    fn chunks_decode_across_any_split_and_trailers_are_dropped() {
        let wire = b"4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        for split in 1..wire.len() {
            let (mut buf, mut state, mut body) = (BytesMut::new(), BodyState::of(Framing::Chunked), Vec::new());
            let mut rest = &wire[..];
            loop {
                match next_piece(&mut buf, &mut state).unwrap() {
                    Step::Piece(p) => body.extend_from_slice(&p),
                    Step::More => {
                        let n = split.min(rest.len());
                        assert!(n > 0, "ran out at split {split}");
                        buf.extend_from_slice(&rest[..n]);
                        rest = &rest[n..];
                    }
                    Step::End => break,
                }
            }
            assert_eq!(body, b"wikipedia");
            buf.extend_from_slice(rest);
            assert_eq!(&buf[..], b"NEXT", "what follows the body stays in the buffer");
        }
        let mut buf = BytesMut::from(&b"zz\r\n"[..]);
        assert_eq!(next_piece(&mut buf, &mut BodyState::ChunkSize), Err(Malformed));
        let mut buf = BytesMut::from(&b"2\r\nabX\r\n"[..]);
        let mut state = BodyState::ChunkSize;
        assert_eq!(next_piece(&mut buf, &mut state), Ok(Step::Piece(Bytes::from_static(b"ab"))));
        assert_eq!(next_piece(&mut buf, &mut state), Err(Malformed), "a chunk longer than its size");
    }

    #[test]
    fn heads_are_written_without_lines_that_would_split_them() {
        let mut h = HeadOut::request("POST", "/");
        h.header("x-ok", b"a\tb");
        h.header("x-bad", b"a\r\nx-injected: 1");
        assert_eq!(h.finish(b"{}"), b"POST / HTTP/1.1\r\nx-ok: a\tb\r\n\r\n{}".to_vec());
        assert_eq!(HeadOut::answer(404, "whatever").finish(b""), b"HTTP/1.1 404 Not Found\r\n\r\n".to_vec());
        assert_eq!(HeadOut::answer(599, "Odd").finish(b""), b"HTTP/1.1 599 Odd\r\n\r\n".to_vec());
        assert_eq!((digits(0), digits(1_000_007)), ("0".to_string(), "1000007".to_string()));
        assert_eq!(date().len(), "Mon, 23 Nov 2026 00:53:04 GMT".len());
    }
}
