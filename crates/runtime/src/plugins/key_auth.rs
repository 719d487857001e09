//! key-auth: a consumer identified by a key in a header or the query string (Kong's `key-auth`,
//! priority 1250, access phase).

use std::borrow::Cow;

use serde_json::Value;

use super::auth::{by_credential, Anonymous};
use super::{Authenticated, Context, Parse, Plugin, Refusal};

/// A key-auth config, parsed.
#[derive(Debug)]
pub struct KeyAuth {
    key_names: Vec<String>,
    in_header: bool,
    in_query: bool,
    hide_credentials: bool,
    run_on_preflight: bool,
    /// The `WWW-Authenticate` challenge of a refusal.
    challenge: String,
    /// The consumer a request without a valid key runs as.
    anonymous: Anonymous,
}

impl KeyAuth {
    fn from_config(args: &Parse) -> KeyAuth {
        let config = args.config;
        KeyAuth {
            key_names: config["key_names"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_else(|| vec!["apikey".into()]),
            in_header: config["key_in_header"].as_bool().unwrap_or(true),
            in_query: config["key_in_query"].as_bool().unwrap_or(true),
            hide_credentials: config["hide_credentials"].as_bool().unwrap_or(false),
            run_on_preflight: config["run_on_preflight"] != Value::Bool(false),
            challenge: match config["realm"].as_str() {
                Some(realm) => format!("Key realm=\"{realm}\""),
                None => "Key".to_string(),
            },
            anonymous: Anonymous::parse(args),
        }
    }

    fn refuse(&self, message: &'static str) -> Refusal {
        Refusal::new(401, message).with_header("www-authenticate", self.challenge.clone())
    }

    /// The key sent under the first key name that has one, a header before a query parameter
    /// (Kong's order); a name given twice in the same place is refused.
    fn find_key<'a>(&self, ctx: &mut Context<'a>) -> Result<Option<Cow<'a, str>>, Refusal> {
        let req = ctx.req;
        for name in &self.key_names {
            let (mut key, mut count) = (None, 0);
            if self.in_header {
                for value in req.headers().get_all(name) {
                    count += 1;
                    key.get_or_insert_with(|| String::from_utf8_lossy(value));
                }
            }
            if count == 0 && self.in_query {
                for (_, value) in ctx.query().iter().filter(|(k, _)| k == name) {
                    count += 1;
                    key.get_or_insert_with(|| Cow::Owned(value.clone()));
                }
            }
            match count {
                0 => continue,
                1 => {}
                _ => return Err(self.refuse("Duplicate API key found")),
            }
            if self.hide_credentials {
                ctx.remove_upstream_header(name);
                ctx.query_mut().retain(|(q, _)| q != name);
            }
            return Ok(key.filter(|k| !k.is_empty()));
        }
        Ok(None)
    }

    fn authenticate(&self, ctx: &mut Context) -> Result<Authenticated, Refusal> {
        let key = self.find_key(ctx)?.ok_or_else(|| self.refuse("No API key found in request"))?;
        match ctx.snap.credentials.keys.get(key.as_ref()) {
            // Kong sends a key-auth credential's id as its identifier.
            Some(cred) => Ok(by_credential(&cred.consumer, &cred.id)),
            None => Err(self.refuse("Unauthorized")),
        }
    }
}

impl Plugin for KeyAuth {
    const NAME: &'static str = "key-auth";
    const PRIORITY: i32 = 1250;

    fn parse(args: &Parse) -> Result<Self, String> {
        Ok(KeyAuth::from_config(args))
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
    use serde_json::json;

    /// The refusal's status and message, or who the request runs as (`anon:` when anonymous).
    fn run(config: Value, target: &str, headers: &str) -> Result<String, (u16, String)> {
        let table = json!({
            "consumers": [{"id": "c1", "username": "ann"}, {"id": "g1", "username": "guest"}],
            "keyauth_credentials": [{"id": "k1", "consumer": "c1", "key": "ann-key"}],
        });
        let (snap, state) = (Snapshot::build(&table, "h").unwrap(), State::default());
        let named = |a: &str| (a == "guest").then(|| "g1".to_string());
        let plugin = KeyAuth::parse(&Parse { id: "p", config: &config, consumer_named: &named });
        let req = request(&format!("GET {target} HTTP/1.1\r\nHost: x\r\n{headers}\r\n"), b"");
        let mut ctx = Context::new(&req, "1.2.3.4", &snap, &state);
        match plugin.unwrap().access(&mut ctx) {
            Ok(()) => Ok(ctx.consumer.map_or("none".into(), |c| match c.anonymous {
                true => format!("anon:{}", c.consumer),
                false => format!("{}:{}", c.consumer, c.credential.unwrap_or_default()),
            })),
            Err(r) => Err((r.status, r.message.into_owned())),
        }
    }

    #[test]
    fn keys_duplicates_and_the_anonymous_consumer() {
        let refused = |s: u16, m: &str| Err((s, m.to_string()));
        let ann = Ok("c1:k1".to_string());
        assert_eq!(run(json!({}), "/?apikey=ann-key", ""), ann);
        assert_eq!(run(json!({}), "/?apikey=nope", "apikey: ann-key\r\n"), ann, "header first");
        assert_eq!(
            run(json!({}), "/?apikey=a&apikey=b", ""),
            refused(401, "Duplicate API key found")
        );
        assert_eq!(
            run(json!({}), "/", "apikey: a\r\napikey: b\r\n"),
            refused(401, "Duplicate API key found")
        );
        assert_eq!(run(json!({}), "/?apikey=", ""), refused(401, "No API key found in request"));
        assert_eq!(run(json!({}), "/?apikey=nope", ""), refused(401, "Unauthorized"));
        let guest = json!({"anonymous": "guest"});
        assert_eq!(run(guest.clone(), "/?apikey=nope", ""), Ok("anon:g1".into()));
        assert_eq!(run(guest, "/?apikey=ann-key", ""), ann);
        assert_eq!(
            run(json!({"anonymous": "ghost"}), "/", ""),
            refused(500, "anonymous consumer ghost is configured but doesn't exist")
        );
    }
}
