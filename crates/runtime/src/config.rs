//! The configuration a runtime serves, built from the control plane's `config_table` push and
//! kept only in memory: services, the router, upstream balancers, plugins, consumers and keys.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::balancer::Balancer;
use crate::plugins::{Configured, Handler, Parse, PluginSet};
use crate::router::{Route, Router};
pub use crate::FastMap;

#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub protocol: String,
    pub host: String,
    pub port: u16,
    pub path: Option<String>,
    pub retries: u32,
    pub connect_timeout_ms: u64,
    pub read_timeout_ms: u64,
    pub write_timeout_ms: u64,
    /// `host:port`, worked out once per config rather than per request.
    pub address: String,
    /// The Host header the upstream gets (the port only when it is not the protocol's default).
    pub host_header: String,
}

#[derive(Debug, Clone)]
pub struct Consumer {
    pub id: String,
    pub username: Option<String>,
    pub custom_id: Option<String>,
}

/// Everything needed to serve a request; replaced whole on each push.
#[derive(Default)]
pub struct Snapshot {
    pub hash: String,
    pub router: Router,
    pub services: FastMap<String, Service>,
    /// By upstream name: a service whose host names an upstream balances over its targets.
    pub upstreams: FastMap<String, Arc<Balancer>>,
    /// Parsed once here, for every request this configuration serves.
    pub plugins: PluginSet,
    pub consumers: FastMap<String, Consumer>,
    pub credentials: Credentials,
    pub groups_of_consumer: FastMap<String, Vec<String>>,
    /// Consumer group names by id (acl's `include_consumer_groups` matches names).
    pub consumer_group_names: FastMap<String, String>,
    /// What metrics and logs call a service (its name, else its host) and a route (its name,
    /// else its id), by id.
    pub labels: FastMap<String, String>,
}

impl Snapshot {
    pub fn service_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.labels.get(id).map_or(id, String::as_str)
    }

    pub fn route_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.labels.get(id).map_or(id, String::as_str)
    }
}

/// A consumer's credential of an auth plugin: its id, its consumer, and what it is checked
/// against (a key-auth's nothing more; a basic-auth's password hash; a jwt's or hmac-auth's
/// secret; a jwt's algorithm and public key).
#[derive(Debug, Clone, Default)]
pub struct Credential {
    pub id: String,
    pub consumer: String,
    pub secret: Option<String>,
    pub algorithm: Option<String>,
    pub public_key: Option<String>,
}

/// Every consumer credential of a configuration, indexed as the auth plugins look them up.
#[derive(Debug, Default)]
pub struct Credentials {
    /// key-auth, by key.
    pub keys: FastMap<String, Credential>,
    /// basic-auth, by username; `secret` is the stored password hash.
    pub basic: FastMap<String, Credential>,
    /// jwt, by key (the `iss` or configured claim).
    pub jwt: FastMap<String, Credential>,
    /// hmac-auth, by username.
    pub hmac: FastMap<String, Credential>,
    /// ACL groups, by consumer id.
    pub acl_groups: FastMap<String, Vec<String>>,
}

impl Credentials {
    fn build(table: &Value) -> Credentials {
        let index = |key: &str, by: &str, secret: &str| {
            let mut out = FastMap::default();
            for c in rows(table, key) {
                let (Some(name), Some(consumer), Some(id)) =
                    (s(c, by), fk(c, "consumer"), s(c, "id"))
                else {
                    continue;
                };
                let cred = Credential {
                    id,
                    consumer,
                    secret: s(c, secret),
                    algorithm: s(c, "algorithm"),
                    public_key: s(c, "rsa_public_key"),
                };
                out.insert(name, cred);
            }
            out
        };
        let mut acl_groups: FastMap<String, Vec<String>> = FastMap::default();
        for a in rows(table, "acls") {
            if let (Some(consumer), Some(group)) = (fk(a, "consumer"), s(a, "group")) {
                acl_groups.entry(consumer).or_default().push(group);
            }
        }
        Credentials {
            keys: index("keyauth_credentials", "key", "key"),
            basic: index("basicauth_credentials", "username", "password"),
            jwt: index("jwt_secrets", "key", "secret"),
            hmac: index("hmacauth_credentials", "username", "secret"),
            acl_groups,
        }
    }
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}
fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}
/// A foreign key: Kong's export writes a bare id; an `{id}` object is accepted too.
fn fk(v: &Value, k: &str) -> Option<String> {
    match v.get(k) {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}
fn rows<'a>(table: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    table.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// The enabled plugins of a configuration, their configs parsed. An enabled plugin this runtime
/// does not have refuses the whole configuration, as a Kong data plane refuses one naming a plugin
/// it lacks: serving without it would skip what the plugin enforces (an IP restriction, an ACL).
fn plugins(
    table: &Value,
    consumers: &FastMap<String, Consumer>,
) -> Result<Vec<Configured>, String> {
    let consumer_named = |a: &str| {
        consumers
            .values()
            .find(|c| c.id == a || c.username.as_deref() == Some(a))
            .map(|c| c.id.clone())
    };
    let mut configured = Vec::new();
    for p in rows(table, "plugins") {
        if p.get("enabled").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let (id, name) = (s(p, "id").unwrap_or_default(), s(p, "name").unwrap_or_default());
        let config = p.get("config").unwrap_or(&Value::Null);
        let args = Parse { id: &id, config, consumer_named: &consumer_named };
        let handler = match Handler::parse(&name, &args) {
            Some(Ok(handler)) => handler,
            Some(Err(why)) => return Err(format!("plugin '{name}' (id {id}): {why}")),
            None => {
                return Err(format!(
                    "plugin '{name}' (id {id}) is enabled but this runtime cannot run it; \
                     disable or delete it, or run it on a data plane that has it"
                ))
            }
        };
        configured.push(Configured {
            id,
            route: fk(p, "route"),
            service: fk(p, "service"),
            consumer: fk(p, "consumer"),
            consumer_group: fk(p, "consumer_group"),
            handler,
        });
    }
    Ok(configured)
}

impl Snapshot {
    pub fn build(table: &Value, hash: &str) -> Result<Snapshot, String> {
        let mut snap = Snapshot { hash: hash.to_string(), ..Default::default() };
        for svc in rows(table, "services") {
            let id = s(svc, "id").ok_or("a service has no id")?;
            let protocol = s(svc, "protocol").unwrap_or_else(|| "http".into());
            let host = s(svc, "host").ok_or("a service has no host")?;
            let port = svc.get("port").and_then(Value::as_u64).unwrap_or(80) as u16;
            snap.labels.insert(id.clone(), s(svc, "name").unwrap_or_else(|| host.clone()));
            let default_port = if protocol == "https" { 443 } else { 80 };
            snap.services.insert(
                id.clone(),
                Service {
                    id,
                    address: format!("{host}:{port}"),
                    host_header: if port == default_port {
                        host.clone()
                    } else {
                        format!("{host}:{port}")
                    },
                    protocol,
                    host,
                    port,
                    path: s(svc, "path"),
                    retries: svc.get("retries").and_then(Value::as_u64).unwrap_or(5) as u32,
                    connect_timeout_ms: svc
                        .get("connect_timeout")
                        .and_then(Value::as_u64)
                        .unwrap_or(60_000),
                    read_timeout_ms: svc
                        .get("read_timeout")
                        .and_then(Value::as_u64)
                        .unwrap_or(60_000),
                    write_timeout_ms: svc
                        .get("write_timeout")
                        .and_then(Value::as_u64)
                        .unwrap_or(60_000),
                },
            );
        }
        let mut routes = Vec::new();
        for r in rows(table, "routes") {
            if let (Some(id), Some(name)) = (s(r, "id"), s(r, "name")) {
                snap.labels.insert(id, name);
            }
            let headers: Vec<(String, Vec<String>)> = r
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| {
                    h.iter()
                        .map(|(k, v)| {
                            (
                                k.to_lowercase(),
                                v.as_array()
                                    .map(|a| {
                                        a.iter()
                                            .filter_map(Value::as_str)
                                            .map(str::to_string)
                                            .collect()
                                    })
                                    .unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            routes.push(Route::new(
                s(r, "id").ok_or("a route has no id")?,
                fk(r, "service"),
                strings(r, "hosts"),
                strings(r, "paths"),
                strings(r, "methods"),
                headers,
                r.get("strip_path").and_then(Value::as_bool).unwrap_or(true),
                r.get("preserve_host").and_then(Value::as_bool).unwrap_or(false),
                s(r, "path_handling").unwrap_or_else(|| "v0".into()),
                r.get("regex_priority").and_then(Value::as_i64).unwrap_or(0),
                r.get("created_at").and_then(Value::as_f64).unwrap_or(0.0),
                strings(r, "protocols"),
            )?);
        }
        snap.router = Router::new(routes);
        let mut targets: HashMap<String, Vec<(String, u32)>> = HashMap::new();
        for t in rows(table, "targets") {
            if let (Some(up), Some(target)) = (fk(t, "upstream"), s(t, "target")) {
                let weight = t.get("weight").and_then(Value::as_u64).unwrap_or(100) as u32;
                targets.entry(up).or_default().push((target, weight));
            }
        }
        for u in rows(table, "upstreams") {
            if let (Some(id), Some(name)) = (s(u, "id"), s(u, "name")) {
                let host_header = s(u, "host_header");
                snap.upstreams.insert(
                    name,
                    Arc::new(Balancer::new(targets.remove(&id).unwrap_or_default(), host_header)),
                );
            }
        }
        for c in rows(table, "consumers") {
            let id = s(c, "id").ok_or("a consumer has no id")?;
            snap.consumers.insert(
                id.clone(),
                Consumer { id, username: s(c, "username"), custom_id: s(c, "custom_id") },
            );
        }
        snap.credentials = Credentials::build(table);
        for g in rows(table, "consumer_groups") {
            if let (Some(id), Some(name)) = (s(g, "id"), s(g, "name")) {
                snap.consumer_group_names.insert(id, name);
            }
        }
        for m in rows(table, "consumer_group_consumers") {
            if let (Some(g), Some(c)) = (fk(m, "consumer_group"), fk(m, "consumer")) {
                snap.groups_of_consumer.entry(c).or_default().push(g);
            }
        }
        // After the consumers: a config may name one (key-auth's `anonymous`).
        snap.plugins = PluginSet::new(plugins(table, &snap.consumers)?);
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_the_runtime_does_not_have_refuses_the_configuration_and_names_it() {
        let plugin = |name: &str, enabled: bool| {
            let mut p = serde_json::json!({"id": "p1", "config": {}});
            p["name"] = name.into();
            p["enabled"] = enabled.into();
            p
        };
        let table = |p: Value| serde_json::json!({"_format_version": "3.0", "plugins": [p]});
        let refused = Snapshot::build(&table(plugin("acme", true)), "h").err();
        assert!(refused.is_some_and(|e| e.contains("plugin 'acme' (id p1)")));
        assert!(Snapshot::build(&table(plugin("acme", false)), "h").is_ok(), "disabled");
        assert!(Snapshot::build(&table(plugin("key-auth", true)), "h").is_ok());
    }
}
