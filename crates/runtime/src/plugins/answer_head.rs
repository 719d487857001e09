//! An answer's status and headers as the header_filter phase sees them: the upstream's (or a
//! refusal's) headers, read in place, plus what plugins removed and added, written out once.

use std::borrow::Cow;

use crate::http1::{HeadOut, Headers};

/// The head of an answer being filtered. Upstream headers are not copied: plugins' changes are
/// kept beside them and applied when the head is written.
pub struct AnswerHead<'u> {
    pub status: u16,
    upstream: Option<&'u Headers>,
    /// Upstream headers left out (lower-case names).
    removed: Vec<String>,
    /// Headers added, in order; `set` replaces any of the same name. Names are mostly the
    /// plugins' constants, so they are not copied.
    added: Vec<(Cow<'static, str>, String)>,
}

impl<'u> AnswerHead<'u> {
    pub fn new(status: u16, upstream: Option<&'u Headers>) -> Self {
        AnswerHead { status, upstream, removed: Vec::new(), added: Vec::new() }
    }

    fn upstream_kept(&self) -> impl Iterator<Item = (&'u str, &'u [u8])> + '_ {
        self.upstream
            .into_iter()
            .flat_map(|h| h.iter())
            .filter(|(k, _)| !self.removed.iter().any(|r| r.eq_ignore_ascii_case(k)))
    }

    /// A header's first value as it stands.
    pub fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some((_, v)) = self.added.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            return Some(Cow::Borrowed(v));
        }
        self.upstream_kept()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every value of a header, in order.
    pub fn get_all(&self, name: &str) -> Vec<String> {
        let upstream = self
            .upstream_kept()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        let added =
            self.added.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        upstream.chain(added).collect()
    }

    /// Every header as it stands, upstream's kept then added, as text.
    pub fn all(&self) -> Vec<(String, String)> {
        let upstream =
            self.upstream_kept().map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v).into()));
        upstream.chain(self.added.iter().map(|(k, v)| (k.to_string(), v.clone()))).collect()
    }

    pub fn remove(&mut self, name: &str) {
        self.added.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        // Only a header the upstream sent needs leaving out when the head is written.
        let sent = self.upstream.is_some_and(|h| h.contains(name));
        if sent && self.keeps(name) {
            self.removed.push(name.to_ascii_lowercase());
        }
    }

    /// Sets a header, replacing every value it had.
    pub fn set(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        let name = name.into();
        self.remove(&name);
        self.added.push((name, value.into()));
    }

    /// Adds a value beside those the header has.
    pub fn append(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.added.push((name.into(), value.into()));
    }

    /// Whether a plugin changed anything.
    pub fn is_changed(&self) -> bool {
        !self.removed.is_empty() || !self.added.is_empty()
    }

    /// Whether the upstream header `name` is to be written (not removed or replaced).
    pub fn keeps(&self, name: &str) -> bool {
        !self.removed.iter().any(|r| r.eq_ignore_ascii_case(name))
    }

    /// The headers plugins added, in order.
    pub fn added(&self) -> &[(Cow<'static, str>, String)] {
        &self.added
    }

    /// Writes the added headers (the caller writes the upstream's it `keeps`).
    pub fn write_added(&self, out: &mut HeadOut) {
        for (k, v) in &self.added {
            out.header(k, v.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream() -> Headers {
        let raw = b"HTTP/1.1 200 OK\r\nServer: up\r\nX-A: 1\r\nX-A: 2\r\n\r\n";
        let mut parsed = [httparse::EMPTY_HEADER; 8];
        let mut res = httparse::Response::new(&mut parsed);
        res.parse(raw).unwrap();
        Headers::copy(raw, res.headers)
    }

    #[test]
    fn changes_sit_beside_the_upstream_headers() {
        let up = upstream();
        let mut head = AnswerHead::new(200, Some(&up));
        assert_eq!(head.get_all("x-a"), ["1", "2"]);
        head.append("X-A", "3");
        assert_eq!(head.get_all("x-a"), ["1", "2", "3"]);
        head.set("x-a", "only");
        assert_eq!(head.get_all("X-A"), ["only"]);
        assert!(!head.keeps("X-A") && head.keeps("server"));
        head.remove("server");
        assert!(head.get("server").is_none() && head.is_changed());
        let mut out = HeadOut::answer(200, "");
        head.write_added(&mut out);
        assert!(String::from_utf8_lossy(&out.out).ends_with("x-a: only\r\n"));
    }
}
