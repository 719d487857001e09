//! Property tests of the runtime's HTTP/1.1 parsing: generated heads and bodies, split at every
//! kind of boundary, must give the verdict they give whole, never panic, and stay within limits.
//! The case count is fixed, so CI spends a bounded time here (`PROPTEST_CASES` raises it).

use bytes::BytesMut;
use proptest::prelude::*;
use runtime::http1::{next_piece, BodyState, Framing, Step, MAX_HEADER_LINE, MAX_REQUEST_HEAD};
use runtime::request_head::{self, HeadScan, Refusal};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    }
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Complete,
    Incomplete,
    Refused(Refusal),
}

/// Feeds `bytes` to a head scan in pieces ending at `cuts`, as reads would deliver them.
fn scan(bytes: &[u8], cuts: &[usize]) -> Verdict {
    let mut scan = HeadScan::default();
    let mut ends: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    ends.push(bytes.len());
    ends.sort_unstable();
    for end in ends.into_iter().filter(|e| *e > 0) {
        match scan.feed(&bytes[..end]) {
            Ok(true) => return Verdict::Complete,
            Ok(false) => {}
            Err(r) => return Verdict::Refused(r),
        }
    }
    Verdict::Incomplete
}

/// Heads made of plausible pieces (so limits and line ends are reached often), with noise.
fn head_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"GET /a HTTP/1.1".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"Host: x".to_vec()),
        Just(b"Host: a b".to_vec()),
        Just(b"Transfer-Encoding: chunked".to_vec()),
        (1usize..MAX_HEADER_LINE + 64).prop_map(|n| vec![b'a'; n]),
        proptest::collection::vec(any::<u8>(), 0..32),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_head_read_in_pieces_gets_the_verdict_it_gets_whole(bytes in head_bytes(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12)) {
        let whole = scan(&bytes, &[]);
        prop_assert_eq!(scan(&bytes, &cuts), whole);
    }

    #[test]
    fn a_complete_head_parses_or_is_refused_without_panicking(bytes in head_bytes()) {
        if scan(&bytes, &[]) == Verdict::Complete {
            match request_head::parse(&bytes) {
                Ok((head, len)) => {
                    prop_assert!(len <= bytes.len() && len <= MAX_REQUEST_HEAD);
                    prop_assert!(head.headers.get_all("host").count() <= 1);
                }
                Err(Refusal(status, _)) => prop_assert!([400, 414, 431].contains(&status)),
            }
        }
    }

    #[test]
    fn chunked_bodies_decode_to_what_was_sent_however_they_are_split(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        sizes in proptest::collection::vec(1usize..300, 1..20),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let mut wire = Vec::new();
        let (mut rest, mut i) = (&body[..], 0);
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            wire.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            wire.extend_from_slice(&rest[..n]);
            wire.extend_from_slice(b"\r\n");
            rest = &rest[n..];
            i += 1;
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        prop_assert_eq!(decode(&wire, &cuts), Ok(body));
    }

    #[test]
    fn any_bytes_as_a_chunked_body_end_refused_or_waiting_never_panicking(wire in
        proptest::collection::vec(any::<u8>(), 0..512),
        cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        // Whatever the outcome, the same bytes split differently give the same one.
        prop_assert_eq!(decode(&wire, &cuts).is_err(), decode(&wire, &[]).is_err());
    }

    #[test]
    fn normalized_paths_have_no_dot_segments_and_normalize_to_themselves(path in
        "/[a-z./%2eE]{0,40}") {
        if let Some(normal) = request_head::normalize_path(&path) {
            prop_assert!(normal.starts_with('/'));
            prop_assert!(!normal.split('/').any(|s| s == "." || s == ".."), "{}", normal);
            let again = request_head::normalize_path(&normal).map(|p| p.into_owned());
            prop_assert_eq!(again.as_deref(), Some(&*normal));
        }
    }
}

/// Decodes a chunked body delivered in pieces ending at `cuts`: the body once it ends,
/// `Err(None)` while it waits for more, `Err(Some(()))` when refused.
fn decode(wire: &[u8], cuts: &[usize]) -> Result<Vec<u8>, Option<()>> {
    let mut ends: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    ends.push(wire.len());
    ends.sort_unstable();
    let (mut buf, mut state, mut body, mut fed) =
        (BytesMut::new(), BodyState::of(Framing::Chunked), Vec::new(), 0);
    for end in ends {
        buf.extend_from_slice(&wire[fed..end]);
        fed = end;
        loop {
            match next_piece(&mut buf, &mut state) {
                Ok(Step::Piece(p)) => body.extend_from_slice(&p),
                Ok(Step::More) => break,
                Ok(Step::End) => return Ok(body),
                Err(_) => return Err(Some(())),
            }
        }
    }
    Err(None)
}
