//! The regexes a route compiles (`~` paths, `~*` header values): one definition of how they are
//! built and how large they may grow, shared by the runtime that matches with them and the control
//! plane that refuses, before storing, what a runtime could not load.

use regex::{Regex, RegexBuilder};

/// Largest compiled program of one regex, in bytes: the `regex` crate's default (10 MiB), written
/// out so both sides agree even if that default moves. (PCRE, Kong's engine, caps a compiled
/// pattern at 64 KiB with its default link size.)
pub const SIZE_LIMIT: usize = 10 * (1 << 20);
/// Lazy DFA cache per regex, in bytes: the `regex` crate's default (2 MiB).
pub const DFA_SIZE_LIMIT: usize = 2 * (1 << 20);
/// Deepest nesting of groups and repetitions: the `regex` crate's default, and PCRE's default
/// parentheses nesting limit (250).
pub const NEST_LIMIT: u32 = 250;

/// A `~` route path's regex (`re` without the `~`), anchored at the start as Kong's router
/// anchors it; its captures become the request's `uri_captures`.
pub fn path_regex(re: &str) -> Result<Regex, regex::Error> {
    build(&format!("^(?:{re})"))
}

/// A `~*` header value's regex (`re` without the `~*`), matched case-insensitively.
pub fn header_regex(re: &str) -> Result<Regex, regex::Error> {
    build(&format!("(?i){re}"))
}

fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
}

/// Why a regex was refused, on one line: the `regex` crate's syntax errors span several lines
/// (the pattern, a caret under the fault, then `error: ...`), which a field message cannot.
pub fn describe(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or(text.trim())
            .to_string(),
        regex::Error::CompiledTooBig(limit) => {
            format!("compiled regex exceeds the size limit of {limit} bytes")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_anchor_at_the_start_and_headers_ignore_case() {
        let p = path_regex(r"/items/\d+$").unwrap();
        assert!(p.is_match("/items/42") && !p.is_match("/x/items/42"));
        assert!(header_regex("^canary-.*").unwrap().is_match("CANARY-7"));
    }

    #[test]
    fn what_the_engine_refuses_is_said_on_one_line() {
        for (re, why) in [
            ("/a{2,1}", "invalid repetition count range"),
            ("/(?<a>x)(?<a>y)", "duplicate capture group name"),
            ("/(", "unclosed group"),
        ] {
            let e = path_regex(re).unwrap_err();
            let d = describe(&e);
            assert!(d.contains(why) && !d.contains('\n'), "{re}: {d}");
        }
        let e = path_regex(r"/\w{1000}\w{1000}").unwrap_err();
        assert_eq!(
            describe(&e),
            format!("compiled regex exceeds the size limit of {SIZE_LIMIT} bytes")
        );
        let deep = format!("/{}a{}", "(".repeat(300), ")".repeat(300));
        assert!(path_regex(&deep).is_err(), "nesting limit");
    }
}
