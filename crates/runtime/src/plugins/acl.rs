//! acl: the authenticated consumer allowed or denied by its ACL groups (its `acls`
//! credentials) and, with `include_consumer_groups`, its consumer groups' names (Kong's `acl`,
//! priority 950, access phase).

use serde_json::Value;

use super::{Context, Parse, Plugin, Refusal};

const FORBIDDEN: &str = "You cannot consume this service";

/// An acl config, parsed: Kong's `deny` list wins when it has a group, else `allow`.
#[derive(Debug)]
pub struct Acl {
    deny: bool,
    groups: Vec<String>,
    hide_groups_header: bool,
    include_consumer_groups: bool,
}

impl Acl {
    /// Whether a consumer in `groups` is refused (`deny` names one, or `allow` names none).
    fn blocks(&self, groups: &[&str]) -> bool {
        let listed = self.groups.iter().any(|g| groups.contains(&g.as_str()));
        listed == self.deny
    }
}

impl Plugin for Acl {
    const NAME: &'static str = "acl";
    const PRIORITY: i32 = 950;

    fn parse(args: &Parse) -> Result<Self, String> {
        let config = args.config;
        let list = |field: &str| -> Vec<String> {
            let names = config[field].as_array().into_iter().flatten();
            names.filter_map(Value::as_str).map(str::to_string).collect()
        };
        let deny = list("deny");
        let (deny, groups) = if deny.is_empty() { (false, list("allow")) } else { (true, deny) };
        Ok(Acl {
            deny,
            groups,
            hide_groups_header: config["hide_groups_header"].as_bool().unwrap_or(false),
            include_consumer_groups: config["include_consumer_groups"].as_bool() == Some(true),
        })
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        // Kong's answer without a consumer is a bare 401 (its default message).
        let Some(consumer) = ctx.consumer.as_ref() else {
            return Err(Refusal::new(401, "Unauthorized"));
        };
        let snap = ctx.snap;
        let mut groups: Vec<&str> = (snap.credentials.acl_groups.get(&consumer.consumer))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(String::as_str)
            .collect();
        if self.include_consumer_groups {
            let names =
                ctx.consumer_groups().iter().filter_map(|id| snap.consumer_group_names.get(id));
            groups.extend(names.map(String::as_str));
        }
        if groups.is_empty() && !self.deny {
            // A consumer in no group: forbidden once authenticated, else (anonymous) unknown.
            return Err(match consumer.anonymous {
                true => Refusal::new(401, "Unauthorized"),
                false => Refusal::new(403, FORBIDDEN),
            });
        }
        if self.blocks(&groups) {
            return Err(Refusal::new(403, FORBIDDEN));
        }
        if !self.hide_groups_header && !groups.is_empty() {
            let header = groups.join(", ");
            ctx.set_upstream_header("X-Consumer-Groups", header);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Snapshot;
    use crate::plugins::auth::{by_credential, request};
    use crate::plugins::{Authenticated, State};
    use serde_json::json;

    fn snapshot() -> Snapshot {
        let table = json!({
            "consumers": [{"id": "c1", "username": "ann"}, {"id": "c2", "username": "bob"}],
            "acls": [
                {"id": "a1", "consumer": "c1", "group": "admin"},
                {"id": "a2", "consumer": "c1", "group": "ops"},
            ],
            "consumer_groups": [{"id": "g1", "name": "gold"}],
            "consumer_group_consumers": [{"consumer_group": "g1", "consumer": "c2"}],
        });
        Snapshot::build(&table, "h").unwrap()
    }

    /// The status of a refusal (200 when allowed) and the X-Consumer-Groups that goes upstream.
    fn decide(config: Value, who: Option<Authenticated>) -> (u16, Option<String>) {
        let snap = snapshot();
        let state = State::default();
        let acl = Acl::parse(&Parse { id: "p", config: &config, consumer_named: &|_| None });
        let req = request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"");
        let mut ctx = Context::new(&req, "1.2.3.4", &snap, &state);
        ctx.consumer = who;
        match acl.unwrap().access(&mut ctx) {
            Ok(()) => (200, ctx.upstream_header("x-consumer-groups").map(|h| h.into_owned())),
            Err(refusal) => {
                if refusal.status == 403 {
                    assert_eq!(refusal.message, FORBIDDEN);
                }
                (refusal.status, None)
            }
        }
    }

    #[test]
    fn allow_and_deny_by_acl_groups_and_consumer_groups() {
        let ann = || Some(by_credential("c1", "k1"));
        let bob = || Some(by_credential("c2", "k2"));
        let anonymous_bob = || Some(Authenticated { anonymous: true, ..bob().unwrap() });
        let groups = |g: &str| Some(g.to_string());
        let cases = [
            (json!({"allow": ["admin"]}), ann(), (200, groups("admin, ops"))),
            (json!({"allow": ["admin"], "hide_groups_header": true}), ann(), (200, None)),
            (json!({"allow": ["nobody"]}), ann(), (403, None)),
            (json!({"deny": ["ops"]}), ann(), (403, None)),
            (json!({"deny": ["nobody"], "allow": ["x"]}), ann(), (200, groups("admin, ops"))),
            (json!({"allow": ["admin"]}), None, (401, None)),
            (json!({"allow": ["admin"]}), bob(), (403, None)),
            (json!({"allow": ["admin"]}), anonymous_bob(), (401, None)),
            (json!({"deny": ["admin"]}), bob(), (200, None)),
            (json!({"allow": ["gold"]}), bob(), (403, None)),
            (
                json!({"allow": ["gold"], "include_consumer_groups": true}),
                bob(),
                (200, groups("gold")),
            ),
            (json!({"deny": ["gold"], "include_consumer_groups": true}), bob(), (403, None)),
        ];
        for (config, who, want) in cases {
            assert_eq!(decide(config.clone(), who.clone()), want, "{config} for {who:?}");
        }
    }
}
