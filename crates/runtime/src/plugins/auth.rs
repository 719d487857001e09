//! What Kong's authentication plugins share: the `anonymous` consumer and the rules by which
//! several authentication plugins on one request combine.
//!
//! Kong 3.10's rules (each auth plugin's `access`): a plugin with `anonymous` set is in a
//! "logical OR" with the others: it does nothing when an earlier plugin already authenticated
//! the request with a credential, and a request it cannot authenticate goes on as the anonymous
//! consumer. A plugin without `anonymous` is in a "logical AND": it authenticates whatever ran
//! before, and refuses what it cannot authenticate.

use super::{Authenticated, Context, Parse, Refusal};

/// An auth plugin's `anonymous` setting, resolved against the configuration's consumers once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anonymous {
    /// Unset (or empty): a failed authentication is refused.
    Unset,
    /// The consumer (by id) a failed authentication runs as.
    Consumer(String),
    /// Set to an id or username no consumer has: Kong answers 500 when it is needed.
    Missing(String),
}

impl Anonymous {
    pub fn parse(args: &Parse) -> Anonymous {
        match args.config["anonymous"].as_str().filter(|a| !a.is_empty()) {
            None => Anonymous::Unset,
            Some(name) => match args.consumer("anonymous") {
                Some(id) => Anonymous::Consumer(id),
                None => Anonymous::Missing(name.to_string()),
            },
        }
    }

    /// One auth plugin's access phase by Kong's rules: skipped when there is nothing to do, else
    /// `authenticate`'s consumer, the anonymous one, or the refusal.
    pub fn authenticate(
        &self,
        ctx: &mut Context,
        authenticate: impl FnOnce(&mut Context) -> Result<Authenticated, Refusal>,
    ) -> Result<(), Refusal> {
        if self.skips(ctx) {
            return Ok(());
        }
        let outcome = authenticate(ctx);
        self.conclude(ctx, outcome)
    }

    /// Whether this plugin has nothing to do: with `anonymous` set, a request an earlier plugin
    /// authenticated with a credential is done (Kong's `kong.client.get_credential()` check).
    fn skips(&self, ctx: &Context) -> bool {
        *self != Anonymous::Unset && ctx.consumer.as_ref().is_some_and(|c| !c.anonymous)
    }

    /// The end of an authentication: the consumer it found, else the anonymous consumer, else
    /// the plugin's refusal.
    fn conclude(
        &self,
        ctx: &mut Context,
        outcome: Result<Authenticated, Refusal>,
    ) -> Result<(), Refusal> {
        let authenticated = match (outcome, self) {
            (Ok(found), _) => found,
            (Err(refusal), Anonymous::Unset) => return Err(refusal),
            (Err(_), Anonymous::Consumer(id)) => {
                Authenticated { consumer: id.clone(), credential: None, anonymous: true }
            }
            (Err(_), Anonymous::Missing(name)) => {
                return Err(Refusal::new(
                    500,
                    format!("anonymous consumer {name} is configured but doesn't exist"),
                ))
            }
        };
        ctx.consumer = Some(authenticated);
        Ok(())
    }
}

/// A consumer identified by one of its credentials; `identifier` is what Kong sends upstream
/// as `X-Credential-Identifier` for this kind of credential.
pub fn by_credential(consumer: &str, identifier: &str) -> Authenticated {
    Authenticated {
        consumer: consumer.to_string(),
        credential: Some(identifier.to_string()),
        anonymous: false,
    }
}

/// A request as the proxy reads it, for plugin tests: its head as text and its body.
#[cfg(test)]
pub fn request(head: &str, body: &'static [u8]) -> crate::exchange::Request {
    let (h, _) = crate::request_head::parse(head.as_bytes()).expect("a valid request head");
    crate::exchange::Request {
        head: h.headers,
        method: h.method,
        target: h.target,
        normalized_path: h.normalized_path,
        http11: h.http11,
        keep_alive: true,
        framed_body: !body.is_empty(),
        body: bytes::Bytes::from_static(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::State;
    use serde_json::json;

    fn anonymous(config: serde_json::Value) -> Anonymous {
        let named = |a: &str| (a == "guest" || a == "id-guest").then(|| "id-guest".to_string());
        Anonymous::parse(&Parse { id: "p", config: &config, consumer_named: &named })
    }

    #[test]
    fn anonymous_is_resolved_to_a_consumer_id_or_kept_as_missing() {
        assert_eq!(anonymous(json!({})), Anonymous::Unset);
        assert_eq!(anonymous(json!({"anonymous": ""})), Anonymous::Unset);
        assert_eq!(
            anonymous(json!({"anonymous": "guest"})),
            Anonymous::Consumer("id-guest".into())
        );
        assert_eq!(anonymous(json!({"anonymous": "nobody"})), Anonymous::Missing("nobody".into()));
    }

    #[test]
    fn kongs_logical_or_and_logical_and() {
        let req = request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"");
        let (snap, state) = (Snapshot::default(), State::default());
        let mut ctx = Context::new(&req, "1.2.3.4", &snap, &state);
        let refused = || Err(Refusal::new(401, "Unauthorized"));
        let guest = anonymous(json!({"anonymous": "guest"}));

        assert!(!guest.skips(&ctx), "nobody authenticated yet");
        assert_eq!(Anonymous::Unset.conclude(&mut ctx, refused()).unwrap_err().status, 401);
        guest.conclude(&mut ctx, refused()).unwrap();
        assert_eq!(ctx.consumer.as_ref().map(|c| c.anonymous), Some(true));
        assert!(!guest.skips(&ctx), "an anonymous consumer lets the next auth plugin try");

        guest.conclude(&mut ctx, Ok(by_credential("ann", "cred-1"))).unwrap();
        assert!(guest.skips(&ctx), "a credential ends the logical OR");
        assert!(!Anonymous::Unset.skips(&ctx), "without anonymous, each plugin must pass");

        let missing = anonymous(json!({"anonymous": "nobody"}));
        let err = missing.conclude(&mut ctx, refused()).unwrap_err();
        assert_eq!(err.status, 500);
        assert_eq!(err.message, "anonymous consumer nobody is configured but doesn't exist");
    }
}
