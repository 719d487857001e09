//! basic-auth: a consumer identified by a username and password in `Authorization: Basic` or
//! `Proxy-Authorization: Basic` (Kong's `basic-auth`, priority 1100, access phase).

use std::sync::LazyLock;

use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use regex::Regex;
use sha1::{Digest, Sha1};

use super::auth::{by_credential, Anonymous};
use super::{Authenticated, Context, Parse, Plugin, Refusal};
use crate::config::Credential;

/// Kong's patterns (`basic-auth/access.lua`): the scheme anywhere in the header, then the
/// decoded pair split at its first colon.
static BASIC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*[Bb]asic\s*(.+)").unwrap());
static USER_PASSWORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([^:]+):(.*)").unwrap());

/// nginx's `ngx.decode_base64`: the standard alphabet, padding optional, reading up to the first
/// character outside it.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A basic-auth config, parsed.
#[derive(Debug)]
pub struct BasicAuth {
    hide_credentials: bool,
    /// The `WWW-Authenticate` challenge of a refusal: `Basic realm="service"` by default.
    challenge: String,
    anonymous: Anonymous,
}

/// The username and password of a `Basic` header value, if it has them.
fn username_password(header: &str) -> Option<(String, String)> {
    let encoded = BASIC.captures(header)?.get(1)?.as_str();
    let end = encoded
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
        .unwrap_or(encoded.len());
    let decoded = LENIENT_BASE64.decode(&encoded[..end]).ok()?;
    let decoded = String::from_utf8_lossy(&decoded);
    let parts = USER_PASSWORD.captures(&decoded)?;
    Some((parts[1].to_string(), parts[2].to_string()))
}

/// Kong's password check (`basic-auth/crypto.lua`): the stored password is the hex SHA-1 of the
/// password salted with the consumer's id.
fn password_matches(credential: &Credential, password: &str) -> bool {
    let mut sha1 = Sha1::new();
    sha1.update(password.as_bytes());
    sha1.update(credential.consumer.as_bytes());
    let digest = hex::encode(sha1.finalize());
    credential.secret.as_deref().is_some_and(|stored| stored.eq_ignore_ascii_case(&digest))
}

impl BasicAuth {
    fn refuse(&self) -> Refusal {
        Refusal::new(401, "Unauthorized").with_header("www-authenticate", self.challenge.clone())
    }

    /// Kong's order: a known username in `Proxy-Authorization` is checked, else the
    /// `Authorization` pair. Every failure says only "Unauthorized".
    fn authenticate(&self, ctx: &mut Context) -> Result<Authenticated, Refusal> {
        let headers = ctx.req.headers();
        let (authorization, proxy) =
            (headers.get_str("authorization"), headers.get_str("proxy-authorization"));
        if authorization.is_none() && proxy.is_none() {
            return Err(self.refuse());
        }
        let known = &ctx.snap.credentials.basic;
        // Proxy-Authorization never goes upstream (hop by hop), hidden or not.
        let mut found = proxy
            .and_then(username_password)
            .and_then(|(user, password)| known.get(&user).map(|c| (user, c, password)));
        if found.is_none() {
            let given = authorization.and_then(username_password);
            if self.hide_credentials {
                ctx.remove_upstream_header("authorization");
            }
            let (user, password) = given.ok_or_else(|| self.refuse())?;
            found = known.get(&user).map(|c| (user, c, password));
        }
        match found {
            Some((user, credential, password)) if password_matches(credential, &password) => {
                Ok(by_credential(&credential.consumer, &user))
            }
            _ => Err(self.refuse()),
        }
    }
}

impl Plugin for BasicAuth {
    const NAME: &'static str = "basic-auth";
    const PRIORITY: i32 = 1100;

    fn parse(args: &Parse) -> Result<Self, String> {
        let realm = args.config["realm"].as_str().unwrap_or("service");
        Ok(BasicAuth {
            hide_credentials: args.config["hide_credentials"].as_bool().unwrap_or(false),
            challenge: format!("Basic realm=\"{realm}\""),
            anonymous: Anonymous::parse(args),
        })
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        self.anonymous.authenticate(ctx, |ctx| self.authenticate(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::auth::request;
    use crate::plugins::State;
    use serde_json::json;

    #[test]
    fn basic_headers_are_read_as_kong_reads_them() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let pair = |u: &str, p: &str| Some((u.to_string(), p.to_string()));
        let cases = [
            (format!("Basic {}", b64("ann:secret")), pair("ann", "secret")),
            (format!("basic   {}", b64("ann:se:cr:et")), pair("ann", "se:cr:et")),
            (format!("Basic {}", b64("ann:")), pair("ann", "")),
            (format!("Basic {}", b64("ann:pw").trim_end_matches('=')), pair("ann", "pw")),
            (format!("Basic {}", b64("no-colon")), None),
            (format!("Bearer {}", b64("ann:pw")), None),
            ("Basic !!!".to_string(), None),
        ];
        for (header, want) in cases {
            assert_eq!(username_password(&header), want, "{header}");
        }
    }

    fn snapshot() -> Snapshot {
        let table = json!({
            "consumers": [{"id": "c1", "username": "ann"}],
            "basicauth_credentials": [{
                "id": "b1", "consumer": "c1", "username": "ann",
                // sha1("secret" .. "c1"), as the control plane stores it.
                "password": hex::encode(Sha1::digest(b"secretc1")),
            }],
        });
        Snapshot::build(&table, "h").unwrap()
    }

    fn run(config: serde_json::Value, headers: &str) -> (Result<(), Refusal>, Option<bool>) {
        let snap = snapshot();
        let state = State::default();
        let plugin = BasicAuth::parse(&Parse {
            id: "p",
            config: &config,
            consumer_named: &|a| (a == "guest").then(|| "g1".to_string()),
        })
        .unwrap();
        let head = format!("GET / HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
        let req = request(&head, b"");
        let mut ctx = Context::new(&req, "1.2.3.4", &snap, &state);
        let out = plugin.access(&mut ctx);
        let hidden = ctx.upstream_headers().map(|h| h.iter().all(|(k, _)| k != "Authorization"));
        if let Ok(()) = out {
            assert!(ctx.consumer.is_some());
        }
        (out, hidden)
    }

    #[test]
    fn decisions_status_message_and_challenge() {
        let good = "Authorization: Basic YW5uOnNlY3JldA==\r\n"; // ann:secret
        let wrong = "Authorization: Basic YW5uOm5vcGU=\r\n"; // ann:nope
        let (ok, hidden) = run(json!({"hide_credentials": true}), good);
        assert!(ok.is_ok());
        assert_eq!(hidden, Some(true), "the Authorization header is hidden");
        assert_eq!(run(json!({}), good).1, None, "kept by default");
        for headers in ["", wrong, "Authorization: Basic Ym9iOnNlY3JldA==\r\n"] {
            let refused = run(json!({"realm": "zone"}), headers).0.unwrap_err();
            assert_eq!((refused.status, &*refused.message), (401, "Unauthorized"), "{headers}");
            assert_eq!(
                refused.headers,
                [("www-authenticate".into(), "Basic realm=\"zone\"".into())]
            );
        }
        assert!(run(json!({"anonymous": "guest"}), wrong).0.is_ok(), "runs as anonymous");
        let proxy_first = format!("Proxy-Authorization: Basic YW5uOnNlY3JldA==\r\n{wrong}");
        assert!(run(json!({}), &proxy_first).0.is_ok(), "Proxy-Authorization is tried first");
    }
}
