//! HTTP/1.1 on the wire, shared by both sides of the proxy: parsed heads kept as their bytes,
//! heads written out as bytes, and bodies delimited by length, chunks or close.
//!
//! A proxy mostly passes header lines through. Keeping each head as the bytes it arrived as, with
//! the offsets of its names and values, costs two allocations; a header map costs one per value
//! and a hash per name, on both the request and the answer.

use bytes::{Buf, Bytes, BytesMut};

/// An upstream's answer head larger than this is refused.
pub const MAX_HEAD: usize = 64 * 1024;
/// The most headers a head may carry (nginx has no count; Kong's `lua_max_req_headers` is 100).
pub const MAX_HEADERS: usize = 100;
/// A client's request line longer than this gets 414 (nginx: `large_client_header_buffers 4 8k`).
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// A client's header line longer than this gets 431 (nginx: one 8 KiB buffer per line).
pub const MAX_HEADER_LINE: usize = 8 * 1024;
/// A client's whole head larger than this gets 431 (nginx: 4 buffers of 8 KiB).
pub const MAX_REQUEST_HEAD: usize = 32 * 1024;
/// A chunk size line (digits and extensions) longer than this is malformed.
const MAX_CHUNK_LINE: usize = 4 * 1024;
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
        self.spans.iter().map(|s| {
            (
                std::str::from_utf8(&self.raw[s[0] as usize..s[1] as usize]).unwrap_or(""),
                &self.raw[s[2] as usize..s[3] as usize],
            )
        })
    }

    /// Every value of the header `name` (any case).
    pub fn get_all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        self.raw_entries()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The first value of the header `name` (any case).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.raw_entries().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v)
    }

    /// Each header's name and value as bytes: lookups compare names without reading them as
    /// text first.
    fn raw_entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let at = |from: u32, to: u32| &self.raw[from as usize..to as usize];
        self.spans.iter().map(move |s| (at(s[0], s[1]), at(s[2], s[3])))
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
                    let n: u64 = std::str::from_utf8(one.trim_ascii())
                        .ok()
                        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|v| v.parse().ok())
                        .ok_or(Malformed)?;
                    // Differing lengths are a smuggling attempt (RFC 9112 §6.3, item 5).
                    if d.length.is_some_and(|l| l != n) {
                        return Err(Malformed);
                    }
                    d.length = Some(n);
                }
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                d.transfer_encoding = true;
                d.chunked = value
                    .rsplit(|b| *b == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
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
    /// Reading trailer lines; how many were read.
    Trailers(u32),
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
            BodyState::ChunkSize => match take_line(buf, MAX_CHUNK_LINE)? {
                Some(line) => {
                    let size = chunk_size(&line)?;
                    *state =
                        if size == 0 { BodyState::Trailers(0) } else { BodyState::ChunkData(size) };
                }
                None if !chunk_line_may_be_valid(buf) => return Err(Malformed),
                None => return Ok(Step::More),
            },
            BodyState::ChunkEnd => match take_line(buf, 0)? {
                Some(_) => *state = BodyState::ChunkSize,
                None if buf.len() == 1 && buf[0] != b'\r' => return Err(Malformed),
                None => return Ok(Step::More),
            },
            // Trailers are read and dropped, within a head's limits.
            BodyState::Trailers(n) if *n as usize > MAX_HEADERS => return Err(Malformed),
            BodyState::Trailers(n) => match take_line(buf, MAX_HEADER_LINE)? {
                Some(line) if line.is_empty() => *state = BodyState::Done,
                Some(_) => *n += 1,
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

/// A CRLF-terminated line from the front of `buf`, without its CRLF. A line ended by a bare LF,
/// or longer than `max`, is malformed at once (RFC 9112 §7.1 ends chunk lines with CRLF; waiting
/// for a CRLF that never comes would leave the connection hanging).
fn take_line(buf: &mut BytesMut, max: usize) -> Result<Option<Bytes>, Malformed> {
    let Some(at) = buf.iter().position(|b| *b == b'\n') else {
        return if buf.len() > max + 1 { Err(Malformed) } else { Ok(None) };
    };
    if at == 0 || buf[at - 1] != b'\r' || at - 1 > max {
        return Err(Malformed);
    }
    let line = buf.split_to(at - 1).freeze();
    buf.advance(2);
    Ok(Some(line))
}

/// The size of a chunk from its size line (`1a;ext=v`): at most 16 hex digits, then optional
/// extensions; anything else is malformed.
fn chunk_size(line: &[u8]) -> Result<u64, Malformed> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 || !valid_chunk_ext(&line[digits..]) {
        return Err(Malformed);
    }
    let text = std::str::from_utf8(&line[..digits]).map_err(|_| Malformed)?;
    u64::from_str_radix(text, 16).map_err(|_| Malformed)
}

/// What may follow a chunk size: blanks, then `;`-led extensions of visible characters.
fn valid_chunk_ext(rest: &[u8]) -> bool {
    let rest = rest.trim_ascii_start();
    rest.is_empty()
        || (rest[0] == b';' && rest.iter().all(|b| *b == b'\t' || (0x20..0x7f).contains(b)))
}

/// Whether the start of a chunk size line that has not ended yet can still become a valid one,
/// so a malformed size is refused as soon as it arrives rather than once its line ends.
fn chunk_line_may_be_valid(partial: &[u8]) -> bool {
    let partial = partial.strip_suffix(b"\r").unwrap_or(partial);
    let digits = partial.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    digits <= 16 && (digits == partial.len() || (digits > 0 && valid_chunk_ext(&partial[digits..])))
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
        if has_control(value) {
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

/// Whether a header value has a control character other than tab. Folded over every byte
/// rather than stopping at the first, so the compiler checks many bytes per instruction: every
/// header of every proxied head passes through here.
fn has_control(value: &[u8]) -> bool {
    value.iter().fold(false, |bad, &b| bad | ((b < 0x20) & (b != b'\t')) | (b == 0x7f))
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
    out[at..].iter().map(|&d| d as char).collect()
}

/// Today's date as an HTTP `Date` value, formatted once a second per thread.
pub fn date() -> std::rc::Rc<str> {
    thread_local! {
        static CACHED: std::cell::RefCell<(i64,
            std::rc::Rc<str>)> = std::cell::RefCell::new((i64::MIN, "".into()));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    CACHED.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != now {
            let text = chrono::DateTime::from_timestamp(now, 0)
                .unwrap_or_default()
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string();
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
        let h = parsed(
            b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-b:\r\nx-a: 2\r\nContent-Length: 7, 7\r\nConnection: \
                Keep-Alive\r\n\r\n",
        );
        assert_eq!(h.get_str("x-a"), Some("1"));
        assert_eq!(h.get_all("X-A").collect::<Vec<_>>(), vec![b"1".as_slice(), b"2"]);
        assert_eq!(h.get("x-b"), Some(b"".as_slice()));
        assert_eq!(
            h.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            vec!["X-A", "x-b", "x-a", "Content-Length", "Connection"]
        );
        let d = h.delimiters().unwrap();
        assert_eq!((d.length, d.chunked, d.close, d.keep_alive), (Some(7), false, false, true));
        assert_eq!(
            parsed(b"HTTP/1.1 200 OK\r\nContent-Length: 7, 8\r\n\r\n").delimiters().unwrap_err(),
            Malformed
        );
        assert_eq!(
            parsed(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").delimiters().unwrap_err(),
            Malformed
        );
        assert!(
            parsed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
                .delimiters()
                .unwrap()
                .chunked
        );
        assert!(
            !parsed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n")
                .delimiters()
                .unwrap()
                .chunked
        );
    }

    #[test]
    fn chunks_decode_across_any_split_and_trailers_are_dropped() {
        let wire = b"4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        for split in 1..wire.len() {
            let (mut buf, mut state, mut body) =
                (BytesMut::new(), BodyState::of(Framing::Chunked), Vec::new());
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
        assert_eq!(
            next_piece(&mut buf, &mut state),
            Err(Malformed),
            "a chunk longer than its size"
        );
    }

    /// Decodes `wire` fed whole; what `next_piece` says at the end.
    fn decode_whole(wire: &[u8]) -> Result<Step, Malformed> {
        let (mut buf, mut state) = (BytesMut::from(wire), BodyState::of(Framing::Chunked));
        loop {
            match next_piece(&mut buf, &mut state)? {
                Step::Piece(_) => {}
                other => return Ok(other),
            }
        }
    }

    #[test]
    fn malformed_chunk_lines_are_refused_as_soon_as_they_arrive() {
        let cases: &[(&[u8], Result<Step, Malformed>)] = &[
            (b"4\r\nwiki\r\n0\r\n\r\n", Ok(Step::End)),
            (b"4 ;name=\"v\"\r\nwiki\r\n0\r\n\r\n", Ok(Step::End)),
            (b"4\r\nwiki\r\n0\r\n", Ok(Step::More)),
            (b"4\r", Ok(Step::More)),
            (b"ffffffffffffffff\r\n", Ok(Step::More)),
            (b"1ffffffffffffffff\r\n", Err(Malformed)),
            (b"1ffffffffffffffff", Err(Malformed)),
            (b"4\nwiki\n", Err(Malformed)),
            (b"4\r\nwiki\n0", Err(Malformed)),
            (b"4\r\nwikiX", Err(Malformed)),
            (b"zz", Err(Malformed)),
            (b"-4\r\n", Err(Malformed)),
            (b"4;\x01\r\n", Err(Malformed)),
            (b"0\r\nTrailer: a\nb\r\n", Err(Malformed)),
        ];
        for (wire, want) in cases {
            assert_eq!(decode_whole(wire), *want, "{:?}", String::from_utf8_lossy(wire));
        }
        let many_trailers = format!("0\r\n{}\r\n", "T: 1\r\n".repeat(MAX_HEADERS + 2));
        assert_eq!(decode_whole(many_trailers.as_bytes()), Err(Malformed));
        let mut state = BodyState::ChunkSize;
        next_piece(&mut BytesMut::from(&b"ffffffffffffffff\r\n"[..]), &mut state).unwrap();
        assert_eq!(
            state,
            BodyState::ChunkData(u64::MAX),
            "the size is known before any data, so it can be refused"
        );
    }

    #[test]
    fn heads_are_written_without_lines_that_would_split_them() {
        let mut h = HeadOut::request("POST", "/");
        h.header("x-ok", b"a\tb");
        h.header("x-bad", b"a\r\nx-injected: 1");
        assert_eq!(h.finish(b"{}"), b"POST / HTTP/1.1\r\nx-ok: a\tb\r\n\r\n{}".to_vec());
        assert_eq!(
            HeadOut::answer(404, "whatever").finish(b""),
            b"HTTP/1.1 404 Not Found\r\n\r\n".to_vec()
        );
        assert_eq!(HeadOut::answer(599, "Odd").finish(b""), b"HTTP/1.1 599 Odd\r\n\r\n".to_vec());
        assert_eq!((digits(0), digits(1_000_007)), ("0".to_string(), "1000007".to_string()));
        assert_eq!(date().len(), "Mon, 23 Nov 2026 00:53:04 GMT".len());
    }

    /// What `delimiters` makes of a head's framing and connection headers.
    #[derive(Debug, PartialEq, Eq)]
    enum Delimited {
        /// (length, transfer-encoding, chunked, close, keep-alive)
        As(Option<u64>, bool, bool, bool, bool),
        Malformed,
    }

    fn delimited(header_lines: &str) -> Delimited {
        let head = format!("HTTP/1.1 200 OK\r\n{header_lines}\r\n");
        match parsed(head.as_bytes()).delimiters() {
            Ok(d) => Delimited::As(d.length, d.transfer_encoding, d.chunked, d.close, d.keep_alive),
            Err(Malformed) => Delimited::Malformed,
        }
    }

    #[test]
    fn framing_headers_table() {
        use Delimited::{As, Malformed as Bad};
        let len = |n: u64| As(Some(n), false, false, false, false);
        let te = |chunked: bool| As(None, true, chunked, false, false);
        let cases: &[(&str, &str, Delimited)] = &[
            ("no framing headers", "X-A: 1\r\n", As(None, false, false, false, false)),
            ("a single length", "Content-Length: 5\r\n", len(5)),
            ("a zero length", "Content-Length: 0\r\n", len(0)),
            ("leading zeros", "Content-Length: 007\r\n", len(7)),
            ("spaces around the value", "Content-Length:    5   \r\n", len(5)),
            ("repeated equal, one line", "Content-Length: 5, 5\r\n", len(5)),
            ("repeated equal, no space", "Content-Length: 5,5\r\n", len(5)),
            ("repeated equal, two lines", "Content-Length: 5\r\ncontent-length: 5\r\n", len(5)),
            ("differing, one line", "Content-Length: 5, 6\r\n", Bad),
            ("differing, two lines", "Content-Length: 5\r\nContent-Length: 6\r\n", Bad),
            ("negative", "Content-Length: -5\r\n", Bad),
            ("a plus sign", "Content-Length: +5\r\n", Bad),
            ("hexadecimal", "Content-Length: 0x5\r\n", Bad),
            ("a space inside", "Content-Length: 5 5\r\n", Bad),
            ("empty", "Content-Length: \r\n", Bad),
            ("an empty list item", "Content-Length: 5,\r\n", Bad),
            ("the largest u64", "Content-Length: 18446744073709551615\r\n", len(u64::MAX)),
            ("one past u64", "Content-Length: 18446744073709551616\r\n", Bad),
            ("huge", "Content-Length: 99999999999999999999999999\r\n", Bad),
            ("chunked", "Transfer-Encoding: chunked\r\n", te(true)),
            ("chunked in capitals", "Transfer-Encoding: CHUNKED\r\n", te(true)),
            ("chunked last", "Transfer-Encoding: gzip, chunked\r\n", te(true)),
            ("chunked not last", "Transfer-Encoding: chunked, gzip\r\n", te(false)),
            ("another coding only", "Transfer-Encoding: identity\r\n", te(false)),
            (
                "the last line decides",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
                te(false),
            ),
            (
                "a length beside chunks (the caller refuses it)",
                "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
                As(Some(3), true, true, false, false),
            ),
            ("close", "Connection: close\r\n", As(None, false, false, true, false)),
            (
                "keep-alive in any case",
                "Connection: Keep-Alive\r\n",
                As(None, false, false, false, true),
            ),
            (
                "close among tokens",
                "Connection: upgrade,  CLOSE \r\n",
                As(None, false, false, true, false),
            ),
        ];
        for (what, lines, want) in cases {
            assert_eq!(delimited(lines), *want, "{what}: {lines:?}");
        }
    }

    /// What a chunked body fed whole decodes to.
    #[derive(Debug, PartialEq, Eq)]
    enum Decoded {
        Body(Vec<u8>),
        /// More bytes are needed, with what was decoded so far.
        Waiting(Vec<u8>),
        Malformed,
    }

    fn decode(wire: &[u8]) -> Decoded {
        let (mut buf, mut state) = (BytesMut::from(wire), BodyState::of(Framing::Chunked));
        let mut body = Vec::new();
        loop {
            match next_piece(&mut buf, &mut state) {
                Ok(Step::Piece(p)) => body.extend_from_slice(&p),
                Ok(Step::More) => return Decoded::Waiting(body),
                Ok(Step::End) => return Decoded::Body(body),
                Err(Malformed) => return Decoded::Malformed,
            }
        }
    }

    #[test]
    fn chunked_bodies_table() {
        use Decoded::{Body, Malformed as Bad, Waiting};
        let body = |b: &str| Body(b.as_bytes().to_vec());
        let waiting = |b: &str| Waiting(b.as_bytes().to_vec());
        let line_of = |n: usize| format!("1;{}\r\na\r\n0\r\n\r\n", "x".repeat(n - 2));
        let trailer_of = |n: usize| format!("0\r\nT: {}\r\n\r\n", "x".repeat(n - 3));
        let trailers = |n: usize| format!("0\r\n{}\r\n", "T: 1\r\n".repeat(n));
        let cases: Vec<(&str, String, Decoded)> = vec![
            ("no chunks", "0\r\n\r\n".into(), body("")),
            ("one chunk", "5\r\nhello\r\n0\r\n\r\n".into(), body("hello")),
            ("two chunks", "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n".into(), body("wikipedia")),
            ("upper-case hex", "A\r\n0123456789\r\n0\r\n\r\n".into(), body("0123456789")),
            ("lower-case hex", "a\r\n0123456789\r\n0\r\n\r\n".into(), body("0123456789")),
            ("leading zeros", "0005\r\nhello\r\n0000\r\n\r\n".into(), body("hello")),
            ("sixteen digits", "0000000000000005\r\nhello\r\n0\r\n\r\n".into(), body("hello")),
            ("seventeen digits", "00000000000000005\r\nhello\r\n0\r\n\r\n".into(), Bad),
            ("a size past u64", "10000000000000000\r\n".into(), Bad),
            ("the largest size waits for data", "ffffffffffffffff\r\n".into(), waiting("")),
            ("an extension", "5;name=value\r\nhello\r\n0\r\n\r\n".into(), body("hello")),
            ("a bare extension", "5;name\r\nhello\r\n0\r\n\r\n".into(), body("hello")),
            ("a quoted extension", "5;n=\"a b\"\r\nhello\r\n0\r\n\r\n".into(), body("hello")),
            ("blanks before an extension", "5 \t;n=v\r\nhello\r\n0\r\n\r\n".into(), body("hello")),
            ("blanks after the size", "5  \r\nhello\r\n0\r\n\r\n".into(), body("hello")),
            ("an extension on the last chunk", "0;n=v\r\n\r\n".into(), body("")),
            ("a control byte in an extension", "5;\x01\r\nhello\r\n".into(), Bad),
            ("text after the size", "5x\r\nhello\r\n".into(), Bad),
            ("a blank before the size", " 5\r\nhello\r\n".into(), Bad),
            ("a negative size", "-5\r\n".into(), Bad),
            ("an empty size line", "\r\nhello\r\n".into(), Bad),
            ("a trailer", "0\r\nX-Sum: 1\r\n\r\n".into(), body("")),
            ("trailers after data", "2\r\nab\r\n0\r\nA: 1\r\nB: 2\r\n\r\n".into(), body("ab")),
            ("a bare LF after the size", "5\nhello\r\n0\r\n\r\n".into(), Bad),
            ("a bare LF after the data", "5\r\nhello\n0\r\n\r\n".into(), Bad),
            ("a bare LF ending a trailer", "0\r\nA: 1\n\r\n".into(), Bad),
            ("a bare LF ending the body", "0\r\n\n".into(), Bad),
            ("bare LFs throughout", "5\nhello\n0\n\n".into(), Bad),
            ("no CRLF after the data", "5\r\nhelloX0\r\n\r\n".into(), Bad),
            ("more data than the size", "3\r\nhello\r\n".into(), Bad),
            ("a CR but no LF after the data", "5\r\nhello\rX".into(), Bad),
            ("data cut short", "5\r\nhel".into(), waiting("hel")),
            ("the last chunk's CRLF not yet come", "5\r\nhello\r\n0\r\n".into(), waiting("hello")),
            ("a size line not yet ended", "5".into(), waiting("")),
            ("a chunk line at its limit", line_of(MAX_CHUNK_LINE), body("a")),
            ("a chunk line one past", line_of(MAX_CHUNK_LINE + 1), Bad),
            ("a trailer line at its limit", trailer_of(MAX_HEADER_LINE), body("")),
            ("a trailer line one past", trailer_of(MAX_HEADER_LINE + 1), Bad),
            ("as many trailers as headers", trailers(MAX_HEADERS), body("")),
            ("one trailer more", trailers(MAX_HEADERS + 1), Bad),
        ];
        for (what, wire, want) in &cases {
            assert_eq!(decode(wire.as_bytes()), *want, "{what}");
        }
    }
}
