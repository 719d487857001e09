//! key-auth: a consumer identified by a key in a header or the query string (Kong's `key-auth`,
//! priority 1250, access phase).

use serde_json::Value;

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
    /// The consumer a request without a valid key runs as (`anonymous`), found when parsed.
    anonymous: Option<String>,
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
            anonymous: args.consumer("anonymous"),
        }
    }

    fn refuse(&self, message: &'static str) -> Refusal {
        Refusal::new(401, message).with_header("www-authenticate", self.challenge.clone())
    }

    /// The key sent under one of the key names, the first name that has one winning; a name
    /// given twice (two headers, a header and a parameter, …) is refused.
    fn find_key(&self, ctx: &mut Context) -> Result<Option<String>, Refusal> {
        let req = ctx.req;
        for name in &self.key_names {
            let mut first: Option<String> = None;
            let mut count = 0;
            if self.in_header {
                for value in req.headers().get_all(name).filter_map(|v| std::str::from_utf8(v).ok())
                {
                    count += 1;
                    first.get_or_insert_with(|| value.to_string());
                }
            }
            if self.in_query {
                for (_, value) in ctx.query_mut().iter().filter(|(k, _)| k == name) {
                    count += 1;
                    first.get_or_insert_with(|| value.clone());
                }
            }
            if count > 1 {
                return Err(self.refuse("Duplicate API key found"));
            }
            if let Some(key) = first {
                if self.hide_credentials {
                    ctx.remove_upstream_header(name);
                    ctx.query_mut().retain(|(q, _)| q != name);
                }
                return Ok(Some(key));
            }
        }
        Ok(None)
    }

    /// Runs as the anonymous consumer, or refuses with `message` when there is none.
    fn anonymous_or(&self, ctx: &mut Context, message: &'static str) -> Result<(), Refusal> {
        let Some(consumer) = self.anonymous.clone() else { return Err(self.refuse(message)) };
        ctx.consumer = Some(Authenticated { consumer, credential: None, anonymous: true });
        Ok(())
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
        let Some(key) = self.find_key(ctx)? else {
            return self.anonymous_or(ctx, "No API key found in request");
        };
        match ctx.snap.credentials.keys.get(&key) {
            Some(cred) => {
                ctx.consumer = Some(Authenticated {
                    consumer: cred.consumer.clone(),
                    credential: Some(cred.id.clone()),
                    anonymous: false,
                });
                Ok(())
            }
            None => self.anonymous_or(ctx, "Unauthorized"),
        }
    }
}
