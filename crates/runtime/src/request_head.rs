//! A client's request head, checked as its bytes arrive: line and size limits answered as nginx
//! answers them, RFC 9112's rules for Host and framing, and the path normalized before routing.
//!
//! Pure functions over bytes, so each rule has a table of cases and a property test feeds them
//! generated input; `downstream` does the reading and the answering.

use std::borrow::Cow;

use crate::http1::{
    self, Framing, Headers, MAX_HEADERS, MAX_HEADER_LINE, MAX_REQUEST_HEAD, MAX_REQUEST_LINE,
};

/// Why a request is refused before it is routed: the status and Kong's message for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal(pub u16, pub &'static str);

pub const BAD_REQUEST: Refusal = Refusal(400, "Bad request");
pub const URI_TOO_LONG: Refusal = Refusal(414, "Request-URI Too Large");
pub const HEADERS_TOO_LARGE: Refusal = Refusal(431, "Request Header Fields Too Large");
pub const BODY_TOO_LARGE: Refusal = Refusal(413, "Request Entity Too Large");

/// A request body larger than this is refused with 413.
pub const MAX_BODY: u64 = 64 * 1024 * 1024;

/// Follows the lines of a head as its bytes arrive, so each byte is looked at once however the
/// head is split across reads, and a line over its limit is refused as soon as it is too long.
#[derive(Debug, Default)]
pub struct HeadScan {
    scanned: usize,
    line_start: usize,
    /// Lines ended so far, the request line included (empty lines before it are not counted).
    lines: usize,
}

impl HeadScan {
    /// Looks at what `buf` holds beyond the last call; `Ok(true)` once the empty line ending the
    /// head has arrived.
    pub fn feed(&mut self, buf: &[u8]) -> Result<bool, Refusal> {
        while let Some(at) = buf[self.scanned..].iter().position(|b| *b == b'\n') {
            let end = self.scanned + at;
            let line = &buf[self.line_start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            self.scanned = end + 1;
            self.line_start = end + 1;
            match (self.lines, line.is_empty()) {
                // Empty lines before the request line are ignored (RFC 9112 §2.2).
                (0, true) => {}
                (0, false) if line.len() > MAX_REQUEST_LINE => return Err(URI_TOO_LONG),
                (_, true) if self.line_start > MAX_REQUEST_HEAD => return Err(HEADERS_TOO_LARGE),
                (_, true) => return Ok(true),
                (_, false) if line.len() > MAX_HEADER_LINE => return Err(HEADERS_TOO_LARGE),
                _ => self.lines += 1,
            }
            if self.lines > MAX_HEADERS + 1 {
                return Err(HEADERS_TOO_LARGE);
            }
        }
        self.scanned = buf.len();
        let pending = buf.len() - self.line_start;
        // A line not ended yet may still end in a CR that is not counted.
        match self.lines {
            0 if pending > MAX_REQUEST_LINE + 1 => Err(URI_TOO_LONG),
            _ if pending > MAX_HEADER_LINE + 1 || buf.len() > MAX_REQUEST_HEAD => {
                Err(HEADERS_TOO_LARGE)
            }
            _ => Ok(false),
        }
    }
}

/// A parsed request head: its bytes with the spans of method and target.
#[derive(Debug)]
pub struct RequestHead {
    pub headers: Headers,
    pub method: (u32, u32),
    pub target: (u32, u32),
    pub http11: bool,
    /// The path as routed and forwarded, when it differs from the target's (see `normalize_path`).
    pub normalized_path: Option<Box<str>>,
}

/// Parses a complete head (`HeadScan` said it has ended) at the front of `buf`, checks it, and
/// returns it with its length.
pub fn parse(buf: &[u8]) -> Result<(RequestHead, usize), Refusal> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut slots);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Err(BAD_REQUEST),
        Err(httparse::Error::TooManyHeaders) => return Err(HEADERS_TOO_LARGE),
        Err(_) => return Err(BAD_REQUEST),
    };
    let bytes = &buf[..len];
    let (method, target) = (parsed.method.unwrap_or(""), parsed.path.unwrap_or(""));
    let http11 = parsed.version == Some(1);
    check_host(parsed.headers, http11)?;
    let path = origin_form(target).split('?').next().unwrap_or("");
    let normalized_path = match normalize_path(path) {
        Some(Cow::Borrowed(_)) => None,
        Some(Cow::Owned(p)) => Some(p.into_boxed_str()),
        None => return Err(BAD_REQUEST),
    };
    let head = RequestHead {
        headers: Headers::copy(bytes, parsed.headers),
        method: http1::span_in(bytes, method.as_bytes()),
        target: http1::span_in(bytes, target.as_bytes()),
        http11,
        normalized_path,
    };
    Ok((head, len))
}

/// How a request's body is delimited, and whether its connection may serve another request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyFraming {
    pub framing: Framing,
    pub keep_alive: bool,
}

/// Reads a request's framing from its head. A transfer coding the proxy can't undo, chunks in
/// HTTP/1.0, or a length beside chunks is refused rather than guessed at (RFC 9112 §6.1: such a
/// request is a smuggling risk); a length over `MAX_BODY` gets 413 before any body is read.
pub fn body_framing(headers: &Headers, http11: bool) -> Result<BodyFraming, Refusal> {
    let d = headers.delimiters().map_err(|_| BAD_REQUEST)?;
    if d.transfer_encoding && (!d.chunked || d.length.is_some() || !http11) {
        return Err(BAD_REQUEST);
    }
    let framing = match (d.chunked, d.length) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) if n > MAX_BODY => return Err(BODY_TOO_LARGE),
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::Empty,
    };
    Ok(BodyFraming { framing, keep_alive: !d.close && (http11 || d.keep_alive) })
}

/// RFC 9112 §3.2: an HTTP/1.1 request carries exactly one Host, any request at most one, and
/// its value is a valid authority (nginx answers 400 to each of these as well).
fn check_host(headers: &[httparse::Header<'_>], http11: bool) -> Result<(), Refusal> {
    let mut hosts = headers.iter().filter(|h| h.name.eq_ignore_ascii_case("host"));
    match (hosts.next(), hosts.next()) {
        (None, _) if http11 => Err(BAD_REQUEST),
        (Some(_), Some(_)) => Err(BAD_REQUEST),
        (Some(h), None) if !valid_host(h.value) => Err(BAD_REQUEST),
        _ => Ok(()),
    }
}

/// A Host value: `uri-host [ ":" port ]` (RFC 3986 reg-name, IPv4 or IP-literal); may be empty.
pub fn valid_host(value: &[u8]) -> bool {
    let (host, port) = match value.iter().rposition(|b| *b == b':') {
        Some(i) if !value[i..].contains(&b']') => (&value[..i], Some(&value[i + 1..])),
        _ => (value, None),
    };
    let port_ok = port.is_none_or(|p| p.len() <= 5 && p.iter().all(u8::is_ascii_digit));
    let host_ok = match host {
        [b'[', inner @ .., b']'] => {
            !inner.is_empty() && inner.iter().all(|b| b.is_ascii_hexdigit() || b":.".contains(b))
        }
        _ => host.iter().all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(b)),
    };
    port_ok && host_ok
}

/// The target in origin form: an absolute-form target (`http://host/p?q`) names the same
/// resource as its path and query.
pub fn origin_form(target: &str) -> &str {
    match target.split_once("://") {
        Some((_, rest)) if !target.starts_with('/') => {
            rest.find(['/', '?']).map(|i| &rest[i..]).unwrap_or("")
        }
        _ => target,
    }
}

/// The path as Kong routes it: percent-encoded unreserved characters decoded (`%2e` is a dot,
/// `%7E` a tilde), other escapes kept with upper-case digits, then dot segments removed (RFC
/// 3986 §5.2.4), so `/p/../x` and `/p/%2e%2e/x` cannot reach past `/p`. Borrowed when nothing
/// changes; `None` for a malformed escape.
pub fn normalize_path(path: &str) -> Option<Cow<'_, str>> {
    if !path.contains('%') && !has_dot_segment(path) {
        return Some(Cow::Borrowed(path));
    }
    let decoded = decode_unreserved(path)?;
    Some(Cow::Owned(remove_dot_segments(&decoded)))
}

fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|s| s == "." || s == "..")
}

fn decode_unreserved(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
        let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        if value.is_ascii_alphanumeric() || b"-._~".contains(&value) {
            out.push(value);
        } else {
            out.push(b'%');
            out.extend(hex.iter().map(u8::to_ascii_uppercase));
        }
        i += 3;
    }
    // Only ASCII escapes were replaced, by ASCII, so the text is still UTF-8.
    String::from_utf8(out).ok()
}

/// RFC 3986 §5.2.4 on an absolute path: `.` segments dropped, `..` removes the segment before it
/// (never above the root); a trailing dot segment leaves a trailing slash.
fn remove_dot_segments(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    // One leading slash is the root; any more are empty segments, kept as they were.
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => {
                if *segment == ".." {
                    kept.pop();
                }
                if i == last {
                    kept.push("");
                }
            }
            s => kept.push(s),
        }
    }
    format!("/{}", kept.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_whole(head: &[u8]) -> Result<bool, Refusal> {
        HeadScan::default().feed(head)
    }

    #[test]
    fn head_limits_are_nginx_s_answers() {
        let long = |n: usize| "a".repeat(n);
        let cases: Vec<(String, Result<bool, Refusal>)> = vec![
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n".into(), Ok(true)),
            ("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".into(), Ok(true)),
            ("GET / HTTP/1.1\r\nHost: a\r\n".into(), Ok(false)),
            (format!("GET /{} HTTP/1.1\r\n", long(MAX_REQUEST_LINE)), Err(URI_TOO_LONG)),
            (format!("GET /{}", long(MAX_REQUEST_LINE)), Err(URI_TOO_LONG)),
            (
                format!(
                    "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
                    format!("{}\r\nX: ", long(8000)).repeat(5)
                ),
                Err(HEADERS_TOO_LARGE),
            ),
            (format!("GET / HTTP/1.1\r\nX: {}\r\n", long(MAX_HEADER_LINE)), Err(HEADERS_TOO_LARGE)),
            (format!("GET / HTTP/1.1\r\nX: {}", long(MAX_HEADER_LINE)), Err(HEADERS_TOO_LARGE)),
            (
                format!("GET / HTTP/1.1\r\n{}", "X: 1\r\n".repeat(MAX_HEADERS + 1)),
                Err(HEADERS_TOO_LARGE),
            ),
            (
                format!("GET / HTTP/1.1\r\n{}", format!("X: {}\r\n", long(8000)).repeat(5)),
                Err(HEADERS_TOO_LARGE),
            ),
        ];
        for (head, want) in cases {
            assert_eq!(scan_whole(head.as_bytes()), want, "{}", &head[..head.len().min(60)]);
        }
    }

    #[test]
    fn a_head_split_anywhere_scans_as_it_does_whole() {
        let head = b"GET /a HTTP/1.1\r\nHost: x\r\nX-Long: 12345\r\n\r\nBODY";
        for split in 1..head.len() {
            let mut scan = HeadScan::default();
            let mut done = false;
            for end in (split..=head.len()).step_by(split).chain([head.len()]) {
                done = scan.feed(&head[..end]).unwrap();
                if done {
                    break;
                }
            }
            assert!(done, "split {split}");
        }
    }

    #[test]
    fn host_is_exactly_one_valid_authority() {
        let cases: &[(&str, Result<(), Refusal>)] = &[
            ("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", Ok(())),
            ("GET / HTTP/1.1\r\nHost: example.com:8000\r\n\r\n", Ok(())),
            ("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", Ok(())),
            ("GET / HTTP/1.1\r\nHost: \r\n\r\n", Ok(())),
            ("GET / HTTP/1.0\r\n\r\n", Ok(())),
            ("GET / HTTP/1.1\r\n\r\n", Err(BAD_REQUEST)),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Err(BAD_REQUEST)),
            ("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", Err(BAD_REQUEST)),
            ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Err(BAD_REQUEST)),
            ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", Err(BAD_REQUEST)),
            ("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", Err(BAD_REQUEST)),
            ("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", Err(BAD_REQUEST)),
            ("GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n", Err(BAD_REQUEST)),
        ];
        for (head, want) in cases {
            assert_eq!(parse(head.as_bytes()).map(|_| ()), *want, "{head:?}");
        }
    }

    #[test]
    fn paths_are_normalized_as_kong_routes_them() {
        let cases: &[(&str, Option<&str>)] = &[
            ("/p/x", Some("/p/x")),
            ("/p/../outside", Some("/outside")),
            ("/p/%2e%2e/outside", Some("/outside")),
            ("/.//%E2", Some("//%E2")),
            ("/p/%2E%2e/outside", Some("/outside")),
            ("/p/./x/.", Some("/p/x/")),
            ("/p/x/..", Some("/p/")),
            ("/../../etc", Some("/etc")),
            ("/a%7e%41", Some("/a~A")),
            ("/a%2fb%3f", Some("/a%2Fb%3F")),
            ("/a..b/.c", Some("/a..b/.c")),
            ("/a%zz", None),
            ("/a%2", None),
        ];
        for (path, want) in cases {
            assert_eq!(normalize_path(path).as_deref(), *want, "{path}");
        }
        let (head, _) = parse(b"GET /p/%2e%2e/x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_eq!(head.normalized_path.as_deref(), Some("/x"));
        let (head, _) = parse(b"GET /p/x?y=/../ HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_eq!(head.normalized_path, None, "the query is not a path");
    }

    /// A head scanned as it arrives whole and then parsed: what the client gets.
    fn verdict(head: &[u8]) -> Result<(), Refusal> {
        match HeadScan::default().feed(head)? {
            true => parse(head).map(|_| ()),
            false => Err(Refusal(0, "waiting for the end of the head")),
        }
    }

    /// A head of exactly `n` bytes: a request line, a Host, and headers filling the rest.
    fn head_of_size(n: usize) -> String {
        let mut head = String::from("GET / HTTP/1.1\r\nHost: a\r\n");
        while n - head.len() - 2 > 8000 + 5 {
            head.push_str(&format!("X: {}\r\n", "a".repeat(8000)));
        }
        let last = n - head.len() - 2 - 5;
        head.push_str(&format!("X: {}\r\n\r\n", "a".repeat(last)));
        assert_eq!(head.len(), n);
        head
    }

    #[test]
    fn request_heads_table() {
        let a = |n: usize| "a".repeat(n);
        // "GET /" and " HTTP/1.1" are 14 bytes of the request line; "X: " 3 of a header line.
        let line_of = |n: usize| format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", a(n - 14));
        let header_of = |n: usize| format!("GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n", a(n - 3));
        let headers =
            |n: usize| format!("GET / HTTP/1.1\r\nHost: h\r\n{}\r\n", "X: 1\r\n".repeat(n - 1));
        let cases: Vec<(&str, String, Result<(), Refusal>)> = vec![
            ("CRLF line endings", "GET / HTTP/1.1\r\nHost: a\r\n\r\n".into(), Ok(())),
            ("bare LF line endings", "GET / HTTP/1.1\nHost: a\n\n".into(), Ok(())),
            ("mixed line endings", "GET / HTTP/1.1\r\nHost: a\n\r\n".into(), Ok(())),
            (
                "empty lines before the request line",
                "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".into(),
                Ok(()),
            ),
            (
                "a bare CR inside the head",
                "GET / HTTP/1.1\rHost: a\r\n\r\n".into(),
                Err(BAD_REQUEST),
            ),
            (
                "a folded header (space)",
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n".into(),
                Err(BAD_REQUEST),
            ),
            (
                "a folded header (tab)",
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n".into(),
                Err(BAD_REQUEST),
            ),
            ("a folded Host", "GET / HTTP/1.1\r\nHost:\r\n a\r\n\r\n".into(), Err(BAD_REQUEST)),
            (
                "a fold before any header",
                "GET / HTTP/1.1\r\n X: 1\r\nHost: a\r\n\r\n".into(),
                Err(BAD_REQUEST),
            ),
            (
                "a space before the colon",
                "GET / HTTP/1.1\r\nHost : a\r\n\r\n".into(),
                Err(BAD_REQUEST),
            ),
            (
                "a header without a colon",
                "GET / HTTP/1.1\r\nHost a\r\n\r\n".into(),
                Err(BAD_REQUEST),
            ),
            ("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n".into(), Ok(())),
            ("HTTP/2.0 on the wire", "GET / HTTP/2.0\r\nHost: a\r\n\r\n".into(), Err(BAD_REQUEST)),
            ("a lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n".into(), Err(BAD_REQUEST)),
            ("no version", "GET /\r\nHost: a\r\n\r\n".into(), Err(BAD_REQUEST)),
            ("the request line at its limit", line_of(MAX_REQUEST_LINE), Ok(())),
            ("the request line one past", line_of(MAX_REQUEST_LINE + 1), Err(URI_TOO_LONG)),
            ("a header line at its limit", header_of(MAX_HEADER_LINE), Ok(())),
            ("a header line one past", header_of(MAX_HEADER_LINE + 1), Err(HEADERS_TOO_LARGE)),
            ("as many headers as allowed", headers(MAX_HEADERS), Ok(())),
            ("one header more", headers(MAX_HEADERS + 1), Err(HEADERS_TOO_LARGE)),
            ("the head at its limit", head_of_size(MAX_REQUEST_HEAD), Ok(())),
            ("the head one past", head_of_size(MAX_REQUEST_HEAD + 1), Err(HEADERS_TOO_LARGE)),
        ];
        for (what, head, want) in &cases {
            assert_eq!(verdict(head.as_bytes()), *want, "{what}");
        }
    }

    #[test]
    fn request_body_framing_table() {
        use Framing::{Chunked, Empty, Length};
        let framed = |framing, keep_alive| Ok(BodyFraming { framing, keep_alive });
        let v11 = |lines: &str| format!("POST / HTTP/1.1\r\nHost: a\r\n{lines}\r\n");
        let v10 = |lines: &str| format!("POST / HTTP/1.0\r\n{lines}\r\n");
        let length = |n: u64| v11(&format!("Content-Length: {n}\r\n"));
        let cases: Vec<(&str, String, Result<BodyFraming, Refusal>)> = vec![
            ("no body", v11(""), framed(Empty, true)),
            ("a length", length(5), framed(Length(5), true)),
            ("a zero length", length(0), framed(Length(0), true)),
            ("a length at the body limit", length(MAX_BODY), framed(Length(MAX_BODY), true)),
            ("a length one past", length(MAX_BODY + 1), Err(BODY_TOO_LARGE)),
            (
                "a length past u64",
                v11("Content-Length: 99999999999999999999\r\n"),
                Err(BAD_REQUEST),
            ),
            ("a negative length", v11("Content-Length: -1\r\n"), Err(BAD_REQUEST)),
            (
                "equal lengths",
                v11("Content-Length: 3\r\nContent-Length: 3\r\n"),
                framed(Length(3), true),
            ),
            (
                "differing lengths",
                v11("Content-Length: 3\r\nContent-Length: 4\r\n"),
                Err(BAD_REQUEST),
            ),
            ("chunks", v11("Transfer-Encoding: chunked\r\n"), framed(Chunked, true)),
            ("chunks in HTTP/1.0", v10("Transfer-Encoding: chunked\r\n"), Err(BAD_REQUEST)),
            ("a coding the proxy can't undo", v11("Transfer-Encoding: gzip\r\n"), Err(BAD_REQUEST)),
            ("chunked not last", v11("Transfer-Encoding: chunked, gzip\r\n"), Err(BAD_REQUEST)),
            (
                "a length beside chunks",
                v11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
                Err(BAD_REQUEST),
            ),
            ("Connection: close", v11("Connection: close\r\n"), framed(Empty, false)),
            ("HTTP/1.0 closes", v10(""), framed(Empty, false)),
            (
                "HTTP/1.0 asking to keep alive",
                v10("Connection: keep-alive\r\n"),
                framed(Empty, true),
            ),
        ];
        for (what, head, want) in &cases {
            let (parsed, _) = parse(head.as_bytes()).unwrap();
            assert_eq!(body_framing(&parsed.headers, parsed.http11), *want, "{what}");
        }
    }
}
