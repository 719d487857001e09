//! Lua 5.1 patterns, matched as Lua's `string.find` matches them: Kong's `match*` validators are
//! written in them (`^%u+$`, `%-`, `[^:]+`), and they are not regular expressions.

/// Whether `pattern` matches anywhere in `s` (anchored by a leading `^`). A malformed pattern is
/// an error, as Lua raises one.
pub fn find(s: &str, pattern: &str) -> Result<bool, String> {
    let m = Matcher { s: s.as_bytes(), p: pattern.as_bytes() };
    if let Some(rest) = m.p.strip_prefix(b"^") {
        let m = Matcher { s: m.s, p: rest };
        return Ok(m.at(0, 0, 0)?.is_some());
    }
    for start in 0..=m.s.len() {
        if m.at(start, 0, 0)?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Lua's own bound on nested matching calls (`MAXCCALLS`).
const MAX_DEPTH: usize = 200;

struct Matcher<'a> {
    s: &'a [u8],
    p: &'a [u8],
}

type Step = Result<Option<usize>, String>;

impl Matcher<'_> {
    /// Matches the pattern from `pi` against the subject from `si`; the end of the match.
    fn at(&self, mut si: usize, mut pi: usize, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            return Err("pattern too complex".into());
        }
        loop {
            let Some(&c) = self.p.get(pi) else { return Ok(Some(si)) };
            match c {
                // Captures change what is returned, never whether it matches.
                b'(' | b')' => pi += 1,
                b'$' if pi + 1 == self.p.len() => {
                    return Ok((si == self.s.len()).then_some(si));
                }
                b'%' if self.p.get(pi + 1) == Some(&b'b') => {
                    let (Some(&open), Some(&close)) = (self.p.get(pi + 2), self.p.get(pi + 3))
                    else {
                        return Err("missing arguments to '%b'".into());
                    };
                    match self.balance(si, open, close) {
                        Some(end) => (si, pi) = (end, pi + 4),
                        None => return Ok(None),
                    }
                }
                b'%' if self.p.get(pi + 1) == Some(&b'f') => {
                    let set = pi + 2;
                    if self.p.get(set) != Some(&b'[') {
                        return Err("missing '[' after '%f' in pattern".into());
                    }
                    let end = self.class_end(set)?;
                    let prev = if si == 0 { 0 } else { self.s[si - 1] };
                    let cur = self.s.get(si).copied().unwrap_or(0);
                    if self.bracket(prev, set, end - 1) || !self.bracket(cur, set, end - 1) {
                        return Ok(None);
                    }
                    pi = end;
                }
                _ => {
                    let ep = self.class_end(pi)?;
                    let hit = si < self.s.len() && self.single(self.s[si], pi, ep);
                    match self.p.get(ep) {
                        Some(b'?') => {
                            if hit {
                                if let Some(end) = self.at(si + 1, ep + 1, depth + 1)? {
                                    return Ok(Some(end));
                                }
                            }
                            pi = ep + 1;
                        }
                        Some(b'+') if !hit => return Ok(None),
                        Some(b'+') => return self.max_expand(si + 1, pi, ep, depth),
                        Some(b'*') => return self.max_expand(si, pi, ep, depth),
                        Some(b'-') => return self.min_expand(si, pi, ep, depth),
                        _ if !hit => return Ok(None),
                        _ => (si, pi) = (si + 1, ep),
                    }
                }
            }
        }
    }

    fn max_expand(&self, si: usize, pi: usize, ep: usize, depth: usize) -> Step {
        let mut n = 0;
        while si + n < self.s.len() && self.single(self.s[si + n], pi, ep) {
            n += 1;
        }
        loop {
            if let Some(end) = self.at(si + n, ep + 1, depth + 1)? {
                return Ok(Some(end));
            }
            if n == 0 {
                return Ok(None);
            }
            n -= 1;
        }
    }

    fn min_expand(&self, mut si: usize, pi: usize, ep: usize, depth: usize) -> Step {
        loop {
            if let Some(end) = self.at(si, ep + 1, depth + 1)? {
                return Ok(Some(end));
            }
            if si < self.s.len() && self.single(self.s[si], pi, ep) {
                si += 1;
            } else {
                return Ok(None);
            }
        }
    }

    fn balance(&self, si: usize, open: u8, close: u8) -> Option<usize> {
        if self.s.get(si) != Some(&open) {
            return None;
        }
        let mut level = 1;
        for (i, &c) in self.s.iter().enumerate().skip(si + 1) {
            if c == close {
                level -= 1;
                if level == 0 {
                    return Some(i + 1);
                }
            } else if c == open {
                level += 1;
            }
        }
        None
    }

    /// The index just past the single-character class starting at `pi`.
    fn class_end(&self, pi: usize) -> Result<usize, String> {
        let p = self.p;
        match p[pi] {
            b'%' if pi + 1 >= p.len() => Err("malformed pattern (ends with '%')".into()),
            b'%' => Ok(pi + 2),
            b'[' => {
                let mut i = pi + 1;
                if p.get(i) == Some(&b'^') {
                    i += 1;
                }
                // The first character is taken literally, so `[]]` is a set of `]`.
                loop {
                    let Some(&c) = p.get(i) else {
                        return Err("malformed pattern (missing ']')".into());
                    };
                    i += 1;
                    if c == b'%' {
                        i += 1;
                    }
                    match p.get(i) {
                        Some(b']') => return Ok(i + 1),
                        Some(_) => {}
                        None => return Err("malformed pattern (missing ']')".into()),
                    }
                }
            }
            _ => Ok(pi + 1),
        }
    }

    fn single(&self, c: u8, pi: usize, ep: usize) -> bool {
        match self.p[pi] {
            b'.' => true,
            b'%' => class(c, self.p[pi + 1]),
            b'[' => self.bracket(c, pi, ep - 1),
            literal => literal == c,
        }
    }

    /// `[set]` from `open` (the `[`) to `close` (the `]`).
    fn bracket(&self, c: u8, open: usize, close: usize) -> bool {
        let p = self.p;
        let mut i = open + 1;
        let negated = p.get(i) == Some(&b'^');
        if negated {
            i += 1;
        }
        while i < close {
            if p[i] == b'%' && i + 1 < close {
                if class(c, p[i + 1]) {
                    return !negated;
                }
                i += 2;
            } else if i + 2 < close && p[i + 1] == b'-' {
                if p[i] <= c && c <= p[i + 2] {
                    return !negated;
                }
                i += 3;
            } else {
                if p[i] == c {
                    return !negated;
                }
                i += 1;
            }
        }
        negated
    }
}

/// `%a`, `%d`, ...: Lua's character classes (C locale); upper case negates; any other is literal.
fn class(c: u8, cl: u8) -> bool {
    let hit = match cl.to_ascii_lowercase() {
        b'a' => c.is_ascii_alphabetic(),
        b'c' => c.is_ascii_control(),
        b'd' => c.is_ascii_digit(),
        b'l' => c.is_ascii_lowercase(),
        b'p' => c.is_ascii_punctuation(),
        b's' => matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b'u' => c.is_ascii_uppercase(),
        b'w' => c.is_ascii_alphanumeric(),
        b'x' => c.is_ascii_hexdigit(),
        b'z' => c == 0,
        _ => return cl == c,
    };
    if cl.is_ascii_uppercase() {
        !hit
    } else {
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn matches_as_lua_does() {
        let cases: &[(&str, &str, bool)] = &[
            ("GET", "^%u+$", true),
            ("get", "^%u+$", false),
            ("", "^%u+$", false),
            ("a:b", "^[^:]+:.*$", true),
            (":b", "^[^:]+:.*$", false),
            ("/a//b", "//", true),
            ("/a/b", "//", false),
            ("Content-Length", "^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]%-[Ll][Ee][nn][Gg][Tt][Hh]$", true),
            ("10-20", "^[0-9]+-[0-9]+$", true),
            ("10-", "^[0-9]+-[0-9]+$", false),
            ("*.example.com", "^%*%.", true),
            ("a*b*", "^[^*]*%*?[^*]*$", false),
            ("abc:", "^.*[^:]$", false),
            ("x]y", "[]]", true),
            ("f(a(b)c)", "%b()", true),
            ("THE (quick) fox", "%f[%a]%a+", true),
            ("aaab", "^a-b$", true),
            ("ab", "^a?b$", true),
            ("b", "^a?b$", true),
            ("abc", "^(a)(b)c$", true),
        ];
        for (s, p, want) in cases {
            assert_eq!(find(s, p), Ok(*want), "{s:?} ~ {p:?}");
        }
        assert!(find("x", "[a").is_err());
        assert!(find("x", "%").is_err());
    }
}
