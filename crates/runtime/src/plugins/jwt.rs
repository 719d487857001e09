//! jwt: a consumer identified by a signed JSON Web Token from the query, a cookie or a header
//! (Kong's `jwt`, priority 1450, access phase). The token's key claim names the consumer's
//! `jwt_secrets` credential, whose algorithm and secret or public key must verify it.

use std::borrow::Cow;
use std::sync::LazyLock;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use bytes::Bytes;
use jsonwebtoken::{Algorithm, DecodingKey};
use regex::Regex;
use serde_json::{Map, Value};

use super::auth::{by_credential, Anonymous};
use super::{Authenticated, Context, Parse, Plugin, Refusal};
use crate::config::Credential;

static BEARER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*[Bb]earer\s+(.+)").unwrap());

/// Kong's `jwt_parser` base64url (nginx's decoder): padding optional, trailing bits ignored.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The algorithms Kong's parser knows; a token naming another is a bad token.
const KNOWN_ALGORITHMS: [&str; 13] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA",
];

/// A jwt config, parsed.
#[derive(Debug)]
pub struct Jwt {
    uri_param_names: Vec<String>,
    cookie_names: Vec<String>,
    header_names: Vec<String>,
    key_claim_name: String,
    secret_is_base64: bool,
    verify_exp: bool,
    verify_nbf: bool,
    maximum_expiration: f64,
    run_on_preflight: bool,
    /// `WWW-Authenticate` when no token was sent, and when one was refused.
    challenge: String,
    challenge_invalid: String,
    anonymous: Anonymous,
}

/// A token taken apart: its signed part, signature (base64url, as sent) and decoded JSON.
#[derive(Debug)]
struct Token<'t> {
    signed: &'t str,
    signature: &'t str,
    header: Map<String, Value>,
    claims: Value,
}

/// Kong's `decode_token`: three parts (the last may hold dots, and then fails to decode), the
/// first two JSON, the header naming a known `alg`.
fn decode(token: &str) -> Result<Token<'_>, &'static str> {
    let mut dots = token.match_indices('.').map(|(i, _)| i);
    let (Some(first), Some(second)) = (dots.next(), dots.next()) else {
        return Err("invalid JSON");
    };
    let json = |part: &str| -> Option<Value> {
        serde_json::from_slice(&BASE64URL.decode(part.trim_end_matches('=')).ok()?).ok()
    };
    let (Some(Value::Object(header)), Some(claims)) =
        (json(&token[..first]), json(&token[first + 1..second]))
    else {
        return Err("invalid JSON");
    };
    let signature = &token[second + 1..];
    if !header.get("alg").and_then(Value::as_str).is_some_and(|a| KNOWN_ALGORITHMS.contains(&a)) {
        return Err("invalid alg");
    }
    if BASE64URL.decode(signature).is_err() {
        return Err("invalid signature");
    }
    Ok(Token { signed: &token[..second], signature, header, claims })
}

/// The value of a `Cookie` header's cookie `name` (nginx's `$cookie_NAME`: the first).
fn cookie<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether `signature` signs `signed` under `algorithm` with `key` (a secret's bytes, or a PEM
/// public key). A key that cannot be read verifies nothing.
fn verifies(algorithm: &str, key: &[u8], signed: &str, signature: &str) -> bool {
    let Ok(alg) = algorithm.parse::<Algorithm>() else { return false };
    let key = match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => DecodingKey::from_secret(key),
        Algorithm::ES256 | Algorithm::ES384 => match DecodingKey::from_ec_pem(key) {
            Ok(k) => k,
            Err(_) => return false,
        },
        Algorithm::EdDSA => match DecodingKey::from_ed_pem(key) {
            Ok(k) => k,
            Err(_) => return false,
        },
        _ => match DecodingKey::from_rsa_pem(key) {
            Ok(k) => k,
            Err(_) => return false,
        },
    };
    let signature = signature.trim_end_matches('=');
    jsonwebtoken::crypto::verify(signature, signed.as_bytes(), &key, alg).unwrap_or(false)
}

impl Jwt {
    /// A refusal of a token: Kong's jwt answers with `kong.response.exit`, so the JSON is as
    /// given (`{"message": …}`, or the claims' errors), without a request id.
    fn refuse(&self, message: impl Into<Cow<'static, str>>) -> Refusal {
        let message = message.into();
        let body = serde_json::json!({ "message": message });
        exit(Refusal::new(401, message), body, &self.challenge_invalid)
    }
    /// The distinct tokens the request carries: query parameters, then cookies, then headers.
    fn tokens(&self, ctx: &Context) -> Vec<String> {
        let mut tokens: Vec<String> = Vec::new();
        let mut add = |t: &str| {
            if !t.is_empty() && !tokens.iter().any(|have| have == t) {
                tokens.push(t.to_string());
            }
        };
        if !self.uri_param_names.is_empty() && ctx.req.query().is_some() {
            for (_, value) in ctx.query().iter().filter(|(k, _)| self.uri_param_names.contains(k)) {
                add(value);
            }
        }
        let headers = ctx.req.headers();
        if let Some(cookies) = headers.get_str("cookie") {
            self.cookie_names.iter().filter_map(|n| cookie(cookies, n)).for_each(&mut add);
        }
        for name in &self.header_names {
            let bearer = headers.get_str(name).and_then(|v| BEARER.captures(v));
            if let Some(token) = bearer.as_ref().and_then(|m| m.get(1)) {
                add(token.as_str());
            }
        }
        tokens
    }

    fn authenticate(&self, ctx: &Context) -> Result<Authenticated, Refusal> {
        let tokens = self.tokens(ctx);
        let token = match tokens.as_slice() {
            [] => {
                let body = serde_json::json!({"message": "Unauthorized"});
                return Err(exit(Refusal::new(401, "Unauthorized"), body, &self.challenge));
            }
            [one] => one,
            _ => return Err(self.refuse("Multiple tokens provided")),
        };
        let jwt = decode(token).map_err(|why| self.refuse(format!("Bad token; {why}")))?;
        let claim = &self.key_claim_name;
        let key = match jwt.claims.get(claim).or_else(|| jwt.header.get(claim)) {
            None | Some(Value::Null) => {
                return Err(self.refuse(format!("No mandatory '{claim}' in claims")))
            }
            Some(Value::String(k)) if k.is_empty() => {
                return Err(self.refuse(format!("Invalid '{claim}' in claims")))
            }
            Some(Value::String(k)) => k.clone(),
            Some(other) => other.to_string(),
        };
        let Some(credential) = ctx.snap.credentials.jwt.get(&key) else {
            return Err(self.refuse(format!("No credentials found for given '{claim}'")));
        };
        self.check_signature(&jwt, credential)?;
        self.check_claims(&jwt)?;
        if !ctx.snap.consumers.contains_key(&credential.consumer) {
            return Err(self.refuse(format!("Could not find consumer for '{claim}={key}'")));
        }
        Ok(by_credential(&credential.consumer, &key))
    }

    fn check_signature(&self, jwt: &Token, credential: &Credential) -> Result<(), Refusal> {
        let algorithm = credential.algorithm.as_deref().unwrap_or("HS256");
        if jwt.header.get("alg").and_then(Value::as_str) != Some(algorithm) {
            return Err(self.refuse("Invalid algorithm"));
        }
        let key: Option<Vec<u8>> = if algorithm.starts_with("HS") {
            let secret = credential.secret.as_deref();
            match self.secret_is_base64 {
                true => secret.and_then(|s| BASE64URL.decode(s.trim_end_matches('=')).ok()),
                false => secret.map(|s| s.as_bytes().to_vec()),
            }
        } else {
            credential.public_key.as_ref().map(|k| k.as_bytes().to_vec())
        };
        let key = key.ok_or_else(|| self.refuse("Invalid key/secret"))?;
        if !verifies(algorithm, &key, jwt.signed, jwt.signature) {
            return Err(self.refuse("Invalid signature"));
        }
        Ok(())
    }

    /// Kong's registered claims checks, answered as `{"exp": "token expired"}` and the like.
    fn check_claims(&self, jwt: &Token) -> Result<(), Refusal> {
        let now = chrono::Utc::now().timestamp() as f64;
        let errors = claim_errors(&jwt.claims, self.verify_exp, self.verify_nbf, now);
        if !errors.is_empty() {
            let refusal = Refusal::new(401, "token claims refused");
            return Err(exit(refusal, Value::Object(errors), &self.challenge_invalid));
        }
        if self.maximum_expiration > 0.0 {
            let exp = jwt.claims.get("exp").and_then(Value::as_f64);
            if exp.is_none_or(|exp| exp - now > self.maximum_expiration) {
                let errors = serde_json::json!({"exp": "exceeds maximum allowed expiration"});
                let refusal = Refusal::new(401, "token claims refused");
                return Err(exit(refusal, errors, &self.challenge_invalid));
            }
        }
        Ok(())
    }
}

/// `refusal` answered with `body` as JSON and the challenge `WWW-Authenticate`.
fn exit(refusal: Refusal, body: Value, challenge: &str) -> Refusal {
    let mut refusal = refusal.with_header("www-authenticate", challenge);
    refusal.body = Some(("application/json; charset=utf-8".into(), Bytes::from(body.to_string())));
    refusal
}

/// The `exp` and `nbf` errors of a token's claims at `now` (Kong's `verify_registered_claims`).
fn claim_errors(claims: &Value, exp: bool, nbf: bool, now: f64) -> Map<String, Value> {
    let mut errors = Map::new();
    let mut check = |name: &str, failed: &dyn Fn(f64) -> bool, message: &str| {
        match claims.get(name).and_then(Value::as_f64) {
            None => errors.insert(name.into(), "must be a number".into()),
            Some(at) if failed(at) => errors.insert(name.into(), message.into()),
            Some(_) => None,
        };
    };
    if nbf {
        check("nbf", &|nbf| nbf > now, "token not valid yet");
    }
    if exp {
        check("exp", &|exp| exp <= now, "token expired");
    }
    errors
}

fn strings(config: &Value, field: &str, default: &[&str]) -> Vec<String> {
    match config[field].as_array() {
        Some(a) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        None => default.iter().map(|s| s.to_string()).collect(),
    }
}

impl Plugin for Jwt {
    const NAME: &'static str = "jwt";
    const PRIORITY: i32 = 1450;

    fn parse(args: &Parse) -> Result<Self, String> {
        let config = args.config;
        let claims = strings(config, "claims_to_verify", &[]);
        let (challenge, challenge_invalid) = match config["realm"].as_str() {
            Some(realm) => (
                format!("Bearer realm=\"{realm}\""),
                format!("Bearer realm=\"{realm}\", error=\"invalid_token\""),
            ),
            None => ("Bearer".to_string(), "Bearer error=\"invalid_token\"".to_string()),
        };
        Ok(Jwt {
            uri_param_names: strings(config, "uri_param_names", &["jwt"]),
            cookie_names: strings(config, "cookie_names", &[]),
            header_names: strings(config, "header_names", &["authorization"]),
            key_claim_name: config["key_claim_name"].as_str().unwrap_or("iss").to_string(),
            secret_is_base64: config["secret_is_base64"].as_bool().unwrap_or(false),
            verify_exp: claims.iter().any(|c| c == "exp"),
            verify_nbf: claims.iter().any(|c| c == "nbf"),
            maximum_expiration: config["maximum_expiration"].as_f64().unwrap_or(0.0),
            run_on_preflight: config["run_on_preflight"] != Value::Bool(false),
            challenge,
            challenge_invalid,
            anonymous: Anonymous::parse(args),
        })
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        if ctx.req.method() == "OPTIONS" && !self.run_on_preflight {
            return Ok(());
        }
        self.anonymous.authenticate(ctx, |ctx| self.authenticate(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::auth::request;
    use crate::plugins::State;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    // Keys made for these tests only (openssl genpkey), never used elsewhere.
    const RSA_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCobi/51rlg17gO\n\
9++/e3MFxXQ6vktsS064Jlq8FIVbKDb2z4MMbpjHM1K4tq6TuJwFFeVrLCRRtIK1\n\
yjPxYOHZ0ih8KfwnICI0dBF5E8jwsl1NyE4b42O3WPw8eHnou1v+y1cNGhcCWd0j\n\
xeY3BiA7i3ulimcM3PG0YbIk8jZMzyodwiNM0P1ewoRZEqlgXg7N0yYUoiZYFS+Q\n\
x+pnjqTSaiW5eTZ65k9ExkjDLxNKd89ejxxLDuHP4T/ayIToW3Z+GXfegYZ7v5C7\n\
nUIBJlj+efnaGvK4L9P58oKA61Z9g8EmtuCehg5r60DFHnztSP29gQZikPBrDeJ4\n\
retaQhBNAgMBAAECggEAAUihtfpEfG/4d6i9G40B0evw2FfF9GPYjD/Clkdjws+a\n\
J6RqP8iCApaqDT1bNEYGbmV906TI/BRvoJoTbkYKQqI+679YLCYrDJJL5cvYTrlV\n\
S7f4nG7NvkJ/3agfab4v08/R8Igf38U2kcS63fV+fmWwQhE9etQeRX0vIef0sP4q\n\
DU4mRwL16tUdBid1n06vJ6c8JER6YCsL1VFiCzDmLQu5NTbytwm358ik1boqyQ1P\n\
lqOXoIeaxU0yPOAhbg/eOeFW4XpnqyVMpKq+TNfJAR3fJ7aLi5dEMCeV/H7UVa4c\n\
+ynOBnV2dlHNw3prIECwCliUigXaBSY5ewxR58TAoQKBgQDZmbkoK6dglZzqttCB\n\
xpL6k5gKVSo5BMHHghujS+jjIIG9fJ2peiYgjm1Qs8niRaQSBIOz+M127wJ/s7bJ\n\
P77rgmGiIsX1VGFfnGxFht+sQkojeEFqlF6Dg/PA8YuiWDhZHxIqdwM1p/A1suHQ\n\
67XjbVdHicW1sHiY65BzUEO/0QKBgQDGJyrDshTkYyQi2Z5D6JAoz69MLdqDKRVk\n\
SHndv65IAF+xTW8wwgCIJQZkx2Lg9GCbzs4GoAnphGDomrVTAeRnPIRzKw7GbdrX\n\
MXGUZLTxdkrcfSqh87ztVIqZitsMzjGytwhMcRAVnB/my2q+oAlXzCEXdWwi5YJB\n\
+uUdyp4DvQKBgQDPwYGS5PsNsEr9nkY9YcZ7D+geFWoWvn/1aDfTFWrpT+QPcqdl\n\
ZIZ6lwGwB7g9HZiky0Kj1mz1nQWZv5BJXV9/pCBrmR/AOCwwCT0mtLth0HjQnMR4\n\
aehDUPytvvE+s1Q5Yv0JJlAeLpWd74jC3AnxdjfayaPG8RJzjpWAQ6YrwQKBgQCj\n\
1gCS2+xQRfS75+jmxyRiyg1r1EHmzpJEX3R7t5/3Im/8nkTAMLfV2Z8mtoD39Lbo\n\
PJ62dZ6ceHrT+A7Sei8KeMwemUxXHr+hy9zYUEgXmbIeClO0ol3kcVFD0L57IQWQ\n\
eauf4J/m7jamUiyJPrNa54m45rqpQ9Bmk3bbIgtylQKBgQCzrRwRSzgWvJVgvqHi\n\
X7Ci2vjo/bUer/7u8Sqlg6TplZLgJMUapvoqrOJDWmIh13EGzLQupUJWes7U4sxY\n\
5Fx256kuJCGZ7YUxy094eaSqRIejIij+PWAPB9ZhuK4wuJ7S0Wg7MV1SQCFYjYST\n\
xF2QFgzGdVJUw+6rLbJ894N/mw==\n\
-----END PRIVATE KEY-----\n";
    const RSA_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqG4v+da5YNe4Dvfvv3tz\n\
BcV0Or5LbEtOuCZavBSFWyg29s+DDG6YxzNSuLauk7icBRXlaywkUbSCtcoz8WDh\n\
2dIofCn8JyAiNHQReRPI8LJdTchOG+Njt1j8PHh56Ltb/stXDRoXAlndI8XmNwYg\n\
O4t7pYpnDNzxtGGyJPI2TM8qHcIjTND9XsKEWRKpYF4OzdMmFKImWBUvkMfqZ46k\n\
0moluXk2euZPRMZIwy8TSnfPXo8cSw7hz+E/2siE6Ft2fhl33oGGe7+Qu51CASZY\n\
/nn52hryuC/T+fKCgOtWfYPBJrbgnoYOa+tAxR587Uj9vYEGYpDwaw3ieK3rWkIQ\n\
TQIDAQAB\n\
-----END PUBLIC KEY-----\n";
    const EC_PRIVATE: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgETkZaTwgiVAwnCr7\n\
/jDSXUgNnVKsTDyTst2oD+3go9ChRANCAAQ1SEwuMeq6vYjzQUD00w4OTH20fqOM\n\
w6dRi5puABODTB1L5n7MVEOqPN1UYh9dLs7mAiisYwwayfE9D/HUTkhx\n\
-----END PRIVATE KEY-----\n";
    const EC_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENUhMLjHqur2I80FA9NMODkx9tH6j\n\
jMOnUYuabgATg0wdS+Z+zFRDqjzdVGIfXS7O5gIorGMMGsnxPQ/x1E5IcQ==\n\
-----END PUBLIC KEY-----\n";

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn sign(alg: Algorithm, claims: Value) -> String {
        let key = match alg {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
            Algorithm::ES256 => EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap(),
            _ => EncodingKey::from_secret(b"ann-secret"),
        };
        jsonwebtoken::encode(&Header::new(alg), &claims, &key).unwrap()
    }

    fn snapshot() -> Snapshot {
        let table = json!({
            "consumers": [{"id": "c1", "username": "ann"}],
            "jwt_secrets": [
                {"id": "j1", "consumer": "c1", "key": "hs", "secret": "ann-secret",
                 "algorithm": "HS256"},
                {"id": "j2", "consumer": "c1", "key": "hs512", "secret": "ann-secret",
                 "algorithm": "HS512"},
                {"id": "j3", "consumer": "c1", "key": "rs", "algorithm": "RS256",
                 "rsa_public_key": RSA_PUBLIC},
                {"id": "j4", "consumer": "c1", "key": "es", "algorithm": "ES256",
                 "rsa_public_key": EC_PUBLIC},
                {"id": "j5", "consumer": "c1", "key": "b64", "algorithm": "HS256",
                 "secret": BASE64URL.encode("ann-secret")},
            ],
        });
        Snapshot::build(&table, "h").unwrap()
    }

    /// What a request with `headers` gets: Ok(the credential's key) or (status, body as JSON).
    fn run(config: Value, target: &str, headers: &str) -> Result<String, (u16, Value)> {
        let (snap, state) = (snapshot(), State::default());
        let jwt = Jwt::parse(&Parse { id: "p", config: &config, consumer_named: &|_| None });
        let head = format!("GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
        let req = request(&head, b"");
        let mut ctx = Context::new(&req, "1.2.3.4", &snap, &state);
        match jwt.unwrap().access(&mut ctx) {
            Ok(()) => Ok(ctx.consumer.unwrap().credential.unwrap()),
            Err(r) => {
                let body = r.body.map(|(_, b)| serde_json::from_slice(&b).unwrap());
                Err((r.status, body.unwrap_or(Value::Null)))
            }
        }
    }

    fn bearer(token: &str) -> String {
        format!("Authorization: Bearer {token}\r\n")
    }

    #[test]
    fn tokens_of_each_algorithm_from_each_source() {
        let good = |iss: &str| json!({"iss": iss, "exp": now() + 60});
        let cases = [
            (sign(Algorithm::HS256, good("hs")), "hs"),
            (sign(Algorithm::HS512, good("hs512")), "hs512"),
            (sign(Algorithm::RS256, good("rs")), "rs"),
            (sign(Algorithm::ES256, good("es")), "es"),
        ];
        for (token, key) in &cases {
            assert_eq!(run(json!({}), "/", &bearer(token)).as_deref(), Ok(*key));
        }
        let token = &cases[0].0;
        assert!(run(json!({}), &format!("/?jwt={token}"), "").is_ok(), "query");
        let cookie = format!("Cookie: a=b; session={token}\r\n");
        assert!(run(json!({"cookie_names": ["session"]}), "/", &cookie).is_ok(), "cookie");
        let custom = format!("X-Token: bearer {token}\r\n");
        assert!(run(json!({"header_names": ["x-token"]}), "/", &custom).is_ok(), "header");
        let b64 = sign(Algorithm::HS256, good("b64"));
        assert!(run(json!({"secret_is_base64": true}), "/", &bearer(&b64)).is_ok());
        assert!(run(json!({}), "/", &bearer(&b64)).is_err(), "the secret is taken as is");
    }

    #[test]
    fn refusals_say_what_kong_says() {
        let msg = |m: &str| json!({"message": m});
        let hs = sign(Algorithm::HS256, json!({"iss": "hs"}));
        let forged = format!("{}x", &hs[..hs.len() - 1]);
        let two = format!("{}Cookie: t={}\r\n", bearer(&hs), sign(Algorithm::HS256, json!({})));
        let claims = json!({"claims_to_verify": ["exp", "nbf"]});
        let expired = sign(Algorithm::HS256, json!({"iss": "hs", "exp": now() - 1, "nbf": 0}));
        let early =
            sign(Algorithm::HS256, json!({"iss": "hs", "exp": now() + 9, "nbf": now() + 60}));
        let far = sign(Algorithm::HS256, json!({"iss": "hs", "exp": now() + 600}));
        let cases = [
            (json!({}), String::new(), msg("Unauthorized")),
            (json!({"cookie_names": ["t"]}), two, msg("Multiple tokens provided")),
            (json!({}), bearer("a.b.c"), msg("Bad token; invalid JSON")),
            (
                json!({}),
                bearer(&sign(Algorithm::HS256, json!({"sub": "x"}))),
                msg("No mandatory 'iss' in claims"),
            ),
            (
                json!({}),
                bearer(&sign(Algorithm::HS256, json!({"iss": ""}))),
                msg("Invalid 'iss' in claims"),
            ),
            (
                json!({}),
                bearer(&sign(Algorithm::HS256, json!({"iss": "who"}))),
                msg("No credentials found for given 'iss'"),
            ),
            (
                json!({}),
                bearer(&sign(Algorithm::HS384, json!({"iss": "hs"}))),
                msg("Invalid algorithm"),
            ),
            (json!({}), bearer(&forged), msg("Invalid signature")),
            (claims.clone(), bearer(&expired), json!({"exp": "token expired"})),
            (claims.clone(), bearer(&early), json!({"nbf": "token not valid yet"})),
            (claims, bearer(&hs), json!({"exp": "must be a number", "nbf": "must be a number"})),
            (
                json!({"claims_to_verify": ["exp"], "maximum_expiration": 60}),
                bearer(&far),
                json!({"exp": "exceeds maximum allowed expiration"}),
            ),
        ];
        for (config, headers, body) in cases {
            assert_eq!(run(config, "/", &headers), Err((401, body)), "{headers}");
        }
    }

    #[test]
    fn claims_are_checked_only_when_asked() {
        assert!(claim_errors(&json!({"exp": 10}), false, false, 100.0).is_empty());
        assert!(claim_errors(&json!({"exp": 101}), true, false, 100.0).is_empty());
        assert_eq!(claim_errors(&json!({"exp": 100}), true, false, 100.0)["exp"], "token expired");
        assert!(claim_errors(&json!({"nbf": 100}), false, true, 100.0).is_empty());
        assert_eq!(decode("only.two").unwrap_err(), "invalid JSON");
        let no_alg = format!("{}.{}.", BASE64URL.encode("{}"), BASE64URL.encode("{}"));
        assert_eq!(decode(&no_alg).unwrap_err(), "invalid alg");
    }
}
