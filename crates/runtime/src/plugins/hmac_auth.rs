//! hmac-auth: a consumer identified by an HMAC signature of the request's headers (Kong's
//! `hmac-auth`, priority 1030, access phase): `Authorization: hmac username="…",
//! algorithm="hmac-sha256", headers="date @request-target", signature="…"`, a `Date` or `X-Date`
//! within the clock skew, and optionally a `Digest` of the body.

use std::sync::LazyLock;

use base64::engine::general_purpose::STANDARD;
use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use chrono::{DateTime, NaiveDateTime};
use hmac::{Hmac, Mac};
use regex::Regex;
use serde_json::Value;
use sha2::Digest;

use super::auth::{by_credential, Anonymous};
use super::{Authenticated, Context, Parse, Plugin, Refusal};

/// Kong's pattern (`hmac-auth/access.lua`), its fields in this order.
static HMAC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\s*[Hh]mac\s*username="(.+)",\s*algorithm="(.+)",\s*headers="(.+)",\s*signature="(.+)""#,
    )
    .unwrap()
});

const NOT_VALID: &str = "HMAC signature cannot be verified";
const NOT_SAME: &str = "HMAC signature does not match";
const NO_DATE: &str = "HMAC signature cannot be verified, a valid date or x-date header is \
                       required for HMAC Authentication";

/// nginx's `ngx.decode_base64`: padding optional.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The HMAC digests Kong signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    fn named(name: &str) -> Option<Algorithm> {
        match name {
            "hmac-sha1" => Some(Algorithm::Sha1),
            "hmac-sha256" => Some(Algorithm::Sha256),
            "hmac-sha384" => Some(Algorithm::Sha384),
            "hmac-sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    /// Whether `signature` is this HMAC of `data` under `secret` (compared in constant time).
    fn verifies(self, secret: &[u8], data: &[u8], signature: &[u8]) -> bool {
        fn check<M: Mac + hmac::digest::KeyInit>(secret: &[u8], data: &[u8], sig: &[u8]) -> bool {
            let Ok(mut mac) = <M as Mac>::new_from_slice(secret) else { return false };
            mac.update(data);
            mac.verify_slice(sig).is_ok()
        }
        match self {
            Algorithm::Sha1 => check::<Hmac<sha1::Sha1>>(secret, data, signature),
            Algorithm::Sha256 => check::<Hmac<sha2::Sha256>>(secret, data, signature),
            Algorithm::Sha384 => check::<Hmac<sha2::Sha384>>(secret, data, signature),
            Algorithm::Sha512 => check::<Hmac<sha2::Sha512>>(secret, data, signature),
        }
    }
}

/// The fields of an `hmac` authorization header.
#[derive(Debug, PartialEq, Eq)]
struct Signed<'h> {
    username: &'h str,
    algorithm: &'h str,
    headers: Vec<&'h str>,
    signature: &'h str,
}

fn signed(header: &str) -> Option<Signed<'_>> {
    let m = HMAC.captures(header)?;
    let field = |i| m.get(i).map_or("", |g| g.as_str());
    Some(Signed {
        username: field(1),
        algorithm: field(2),
        headers: field(3).split(' ').collect(),
        signature: field(4),
    })
}

/// An HTTP date (RFC 1123, RFC 850 or asctime, as nginx's `ngx.parse_http_time`), in seconds.
fn http_time(date: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc2822(date) {
        return Some(t.timestamp());
    }
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(date, format).ok())
        .map(|t| t.and_utc().timestamp())
}

/// A hmac-auth config, parsed.
#[derive(Debug)]
pub struct HmacAuth {
    hide_credentials: bool,
    clock_skew: f64,
    validate_request_body: bool,
    enforce_headers: Vec<String>,
    algorithms: Vec<Algorithm>,
    /// The `WWW-Authenticate` challenge of a refusal.
    challenge: String,
    anonymous: Anonymous,
}

impl HmacAuth {
    fn refuse(&self, message: &'static str) -> Refusal {
        Refusal::new(401, message).with_header("www-authenticate", self.challenge.clone())
    }

    fn date_within_skew(&self, ctx: &Context, header: &str, now: i64) -> bool {
        let date = ctx.req.headers().get_str(header).and_then(http_time);
        date.is_some_and(|at| ((now - at) as f64).abs() <= self.clock_skew)
    }

    /// Kong's signing string: each signed header as `name: value`, `@request-target` as the
    /// lower-case method and the path with its query, `request-line` as the request line, and a
    /// header the request lacks as `name:`; one a line.
    fn signing_string(ctx: &Context, headers: &[&str]) -> String {
        let req = ctx.req;
        let lines = headers.iter().map(|&name| match req.headers().get(name) {
            Some(value) => format!("{name}: {}", String::from_utf8_lossy(value)),
            None if name == "@request-target" => {
                format!("{name}: {} {}", req.method().to_ascii_lowercase(), req.path_with_query())
            }
            None if name == "request-line" => format!(
                "{} {} HTTP/{}",
                req.method(),
                req.path_with_query(),
                if req.http11 { "1.1" } else { "1.0" }
            ),
            None => format!("{name}:"),
        });
        lines.collect::<Vec<_>>().join("\n")
    }

    /// Kong's body check: a `Digest: SHA-256=<base64>` of the body, or no body without one.
    fn body_matches(ctx: &Context) -> bool {
        let body = &ctx.req.body;
        match ctx.req.headers().get_str("digest") {
            None => body.is_empty(),
            Some(digest) => {
                let want = STANDARD.encode(sha2::Sha256::digest(body));
                digest.strip_prefix("SHA-256=") == Some(want.as_str())
            }
        }
    }

    fn authenticate(&self, ctx: &mut Context, now: i64) -> Result<Authenticated, Refusal> {
        let req = ctx.req;
        let authorization = req.headers().get_str("authorization");
        let proxy = req.headers().get_str("proxy-authorization");
        if authorization.is_none() && proxy.is_none() {
            return Err(self.refuse("Unauthorized"));
        }
        if !(self.date_within_skew(ctx, "x-date", now) || self.date_within_skew(ctx, "date", now)) {
            return Err(self.refuse(NO_DATE));
        }
        // Proxy-Authorization first; it never goes upstream (hop by hop), hidden or not.
        let params = match proxy.and_then(signed) {
            Some(p) => Some(p),
            None => {
                if self.hide_credentials {
                    ctx.remove_upstream_header("authorization");
                }
                authorization.and_then(signed)
            }
        };
        let params = params.ok_or_else(|| self.refuse(NOT_VALID))?;
        let enforced = self.enforce_headers.iter().all(|h| params.headers.contains(&h.as_str()));
        let algorithm = Algorithm::named(params.algorithm).filter(|a| self.algorithms.contains(a));
        let (true, Some(algorithm)) = (enforced, algorithm) else {
            return Err(self.refuse(NOT_VALID));
        };
        let credential = ctx.snap.credentials.hmac.get(params.username);
        let credential = credential.ok_or_else(|| self.refuse(NOT_VALID))?;
        let secret = credential.secret.as_deref().unwrap_or("");
        let signing = Self::signing_string(ctx, &params.headers);
        let given = LENIENT_BASE64.decode(params.signature).unwrap_or_default();
        if !algorithm.verifies(secret.as_bytes(), signing.as_bytes(), &given) {
            return Err(self.refuse(NOT_SAME));
        }
        if self.validate_request_body && !Self::body_matches(ctx) {
            return Err(self.refuse(NOT_SAME));
        }
        Ok(by_credential(&credential.consumer, params.username))
    }
}

impl Plugin for HmacAuth {
    const NAME: &'static str = "hmac-auth";
    const PRIORITY: i32 = 1030;

    fn parse(args: &Parse) -> Result<Self, String> {
        let config = args.config;
        let names = |field: &str| -> Option<Vec<String>> {
            let list = config[field].as_array()?;
            Some(list.iter().filter_map(Value::as_str).map(str::to_string).collect())
        };
        let algorithms = match names("algorithms") {
            Some(names) => names
                .iter()
                .map(|n| Algorithm::named(n).ok_or(format!("unknown algorithm '{n}'")))
                .collect::<Result<_, _>>()?,
            None => vec![Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512],
        };
        Ok(HmacAuth {
            hide_credentials: config["hide_credentials"].as_bool().unwrap_or(false),
            clock_skew: config["clock_skew"].as_f64().unwrap_or(300.0),
            validate_request_body: config["validate_request_body"].as_bool().unwrap_or(false),
            enforce_headers: names("enforce_headers").unwrap_or_default(),
            algorithms,
            challenge: match config["realm"].as_str() {
                Some(realm) => format!("hmac realm=\"{realm}\""),
                None => "hmac".to_string(),
            },
            anonymous: Anonymous::parse(args),
        })
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        self.anonymous
            .authenticate(ctx, |ctx| self.authenticate(ctx, chrono::Utc::now().timestamp()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::auth::request;
    use crate::plugins::State;
    use serde_json::json;

    const DATE: &str = "Thu, 01 Jan 2026 00:00:00 GMT";
    const AT: i64 = 1_767_225_600;

    #[test]
    fn http_dates_in_each_of_nginxs_formats() {
        assert_eq!(http_time(DATE), Some(AT));
        assert_eq!(http_time("Thursday, 01-Jan-26 00:00:00 GMT"), Some(AT));
        assert_eq!(http_time("Thu Jan  1 00:00:00 2026"), Some(AT));
        assert_eq!(http_time("yesterday"), None);
    }

    #[test]
    fn the_authorization_header_is_read_as_kong_reads_it() {
        let header = r#"hmac username="ann", algorithm="hmac-sha256", headers="date @request-target", signature="c2ln""#;
        let want = Signed {
            username: "ann",
            algorithm: "hmac-sha256",
            headers: vec!["date", "@request-target"],
            signature: "c2ln",
        };
        assert_eq!(signed(header), Some(want));
        assert_eq!(signed(r#"hmac username="ann", signature="c2ln""#), None);
    }

    fn sign(algorithm: &str, secret: &str, signing: &str) -> String {
        fn mac<M: Mac + hmac::digest::KeyInit>(secret: &str, data: &str) -> Vec<u8> {
            let mut m = <M as Mac>::new_from_slice(secret.as_bytes()).unwrap();
            m.update(data.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        STANDARD.encode(match algorithm {
            "hmac-sha1" => mac::<Hmac<sha1::Sha1>>(secret, signing),
            "hmac-sha256" => mac::<Hmac<sha2::Sha256>>(secret, signing),
            _ => mac::<Hmac<sha2::Sha512>>(secret, signing),
        })
    }

    /// A request signed over `date @request-target` (and `digest`, when given): the refusal's
    /// status and message, or the credential it authenticated and whether Authorization is hidden.
    fn run(
        config: Value,
        algorithm: &str,
        secret: &str,
        extra: &str,
        body: &'static [u8],
    ) -> Result<(String, bool), (u16, String)> {
        let table = json!({
            "consumers": [{"id": "c1", "username": "ann"}],
            "hmacauth_credentials": [{"id": "h1", "consumer": "c1", "username": "ann", "secret": "s3"}],
        });
        let (snap, state) = (Snapshot::build(&table, "h").unwrap(), State::default());
        let plugin =
            HmacAuth::parse(&Parse { id: "p", config: &config, consumer_named: &|_| None });
        let signing = format!("date: {DATE}\n@request-target: post /v1?a=b");
        let signature = sign(algorithm, secret, &signing);
        let auth = format!(
            r#"hmac username="ann", algorithm="{algorithm}", headers="date @request-target", signature="{signature}""#
        );
        let head = format!(
            "POST /v1?a=b HTTP/1.1\r\nHost: x\r\nDate: {DATE}\r\nAuthorization: {auth}\r\n{extra}Content-Length: {}\r\n\r\n",
            body.len()
        );
        let req = request(&head, body);
        let mut ctx = Context::new(&req, "1.2.3.4", &snap, &state);
        match plugin.unwrap().authenticate(&mut ctx, AT + 10) {
            Ok(who) => Ok((who.credential.unwrap(), ctx.upstream_headers().is_some())),
            Err(r) => Err((r.status, r.message.into_owned())),
        }
    }

    #[test]
    fn signatures_dates_algorithms_and_digests() {
        let refused = |m: &str| Err((401, m.to_string()));
        let ok = |hidden| Ok(("ann".to_string(), hidden));
        assert_eq!(run(json!({}), "hmac-sha256", "s3", "", b""), ok(false));
        assert_eq!(run(json!({}), "hmac-sha1", "s3", "", b""), ok(false));
        assert_eq!(run(json!({"hide_credentials": true}), "hmac-sha512", "s3", "", b""), ok(true));
        assert_eq!(run(json!({}), "hmac-sha256", "wrong", "", b""), refused(NOT_SAME));
        let only_512 = json!({"algorithms": ["hmac-sha512"]});
        assert_eq!(run(only_512, "hmac-sha256", "s3", "", b""), refused(NOT_VALID));
        let enforce = json!({"enforce_headers": ["date", "digest"]});
        assert_eq!(run(enforce, "hmac-sha256", "s3", "", b""), refused(NOT_VALID));
        let skew = json!({"clock_skew": 5});
        assert_eq!(run(skew, "hmac-sha256", "s3", "", b""), refused(NO_DATE));

        let body = json!({"validate_request_body": true});
        assert_eq!(run(body.clone(), "hmac-sha256", "s3", "", b""), ok(false));
        assert_eq!(run(body.clone(), "hmac-sha256", "s3", "", b"hi"), refused(NOT_SAME));
        let digest =
            format!("Digest: SHA-256={}\r\n", STANDARD.encode(sha2::Sha256::digest(b"hi")));
        assert_eq!(run(body.clone(), "hmac-sha256", "s3", &digest, b"hi"), ok(false));
        assert_eq!(run(body, "hmac-sha256", "s3", &digest, b"ho"), refused(NOT_SAME));
    }

    #[test]
    fn the_signing_string_of_pseudo_headers() {
        let req = request("GET /p?q=1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n", b"");
        let (snap, state) = (Snapshot::default(), State::default());
        let ctx = Context::new(&req, "1.2.3.4", &snap, &state);
        let headers = ["x-a", "@request-target", "request-line", "x-missing"];
        assert_eq!(
            HmacAuth::signing_string(&ctx, &headers),
            "x-a: 1\n@request-target: get /p?q=1\nGET /p?q=1 HTTP/1.1\nx-missing:"
        );
    }
}
