//! The plugins the runtime runs, with Kong's scoping precedence: key-auth (authentication) and
//! rate-limiting (local policy, fixed windows aligned to UTC).

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::config::{Plugin, Snapshot};

/// Who and what a request is, for choosing plugin configs.
#[derive(Debug, Default, Clone)]
pub struct Scope<'a> {
    pub route: Option<&'a str>,
    pub service: Option<&'a str>,
    pub consumer: Option<&'a str>,
    pub groups: &'a [String],
}

/// Kong's precedence, most specific first; a plugin configured on several scopes runs once, with
/// the config of the most specific scope that applies.
fn rank(p: &Plugin) -> u8 {
    match (p.consumer.is_some(), p.consumer_group.is_some(), p.route.is_some(), p.service.is_some())
    {
        (true, _, true, true) => 1,
        (false, true, true, true) => 2,
        (true, _, true, false) => 3,
        (true, _, false, true) => 4,
        (false, true, true, false) => 5,
        (false, true, false, true) => 6,
        (false, false, true, true) => 7,
        (true, _, false, false) => 8,
        (false, true, false, false) => 9,
        (false, false, true, false) => 10,
        (false, false, false, true) => 11,
        (false, false, false, false) => 12,
    }
}

/// The config of plugin `name` that applies to this request, if any.
pub fn resolve<'a>(snap: &'a Snapshot, name: &str, scope: &Scope) -> Option<&'a Plugin> {
    let applies =
        |want: &Option<String>, have: Option<&str>| want.as_deref().is_none_or(|w| Some(w) == have);
    snap.plugins
        .iter()
        .filter(|p| p.name == name)
        .filter(|p| {
            applies(&p.route, scope.route)
                && applies(&p.service, scope.service)
                && applies(&p.consumer, scope.consumer)
        })
        .filter(|p| p.consumer_group.as_ref().is_none_or(|g| scope.groups.contains(g)))
        .min_by_key(|p| rank(p))
}

/// A refusal the proxy turns into a response.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
    pub headers: Vec<(String, String)>,
}

/// The consumer a key identifies, and the credential used.
pub struct Authenticated {
    pub consumer: String,
    pub credential: Option<String>,
    pub anonymous: bool,
}

/// key-auth: the key from a header or the query string, by each configured key name.
pub fn key_auth(
    snap: &Snapshot,
    config: &Value,
    method: &str,
    headers: &crate::http1::Headers,
    query: &mut Vec<(String, String)>,
    strip_header: &mut Vec<String>,
) -> Result<Option<Authenticated>, Refusal> {
    if method == "OPTIONS" && config["run_on_preflight"] == Value::Bool(false) {
        return Ok(None);
    }
    let names: Vec<String> = config["key_names"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_else(|| vec!["apikey".into()]);
    let in_header = config["key_in_header"].as_bool().unwrap_or(true);
    let in_query = config["key_in_query"].as_bool().unwrap_or(true);
    let hide = config["hide_credentials"].as_bool().unwrap_or(false);
    let challenge = match config["realm"].as_str() {
        Some(realm) => format!("Key realm=\"{realm}\""),
        None => "Key".to_string(),
    };
    let refuse = |message: &str| Refusal {
        status: 401,
        message: message.into(),
        headers: vec![("www-authenticate".into(), challenge.clone())],
    };
    let mut found: Option<String> = None;
    for name in &names {
        let mut from_header: Vec<String> = Vec::new();
        if in_header {
            from_header = headers
                .get_all(name)
                .filter_map(|v| std::str::from_utf8(v).ok())
                .map(str::to_string)
                .collect();
        }
        let from_query: Vec<String> = if in_query {
            query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
        } else {
            vec![]
        };
        let all: Vec<String> = from_header.iter().chain(from_query.iter()).cloned().collect();
        if all.len() > 1 {
            return Err(refuse("Duplicate API key found"));
        }
        if let Some(k) = all.into_iter().next() {
            if hide {
                strip_header.push(name.clone());
                query.retain(|(q, _)| q != name);
            }
            found = Some(k);
            break;
        }
    }
    let anonymous = config["anonymous"].as_str().filter(|a| !a.is_empty()).and_then(|a| {
        snap.consumers
            .values()
            .find(|c| c.id == a || c.username.as_deref() == Some(a))
            .map(|c| c.id.clone())
    });
    let Some(key) = found else {
        return match anonymous {
            Some(consumer) => {
                Ok(Some(Authenticated { consumer, credential: None, anonymous: true }))
            }
            None => Err(refuse("No API key found in request")),
        };
    };
    match snap.keys.get(&key) {
        Some(cred) => Ok(Some(Authenticated {
            consumer: cred.consumer.clone(),
            credential: Some(cred.id.clone()),
            anonymous: false,
        })),
        None => match anonymous {
            Some(consumer) => {
                Ok(Some(Authenticated { consumer, credential: None, anonymous: true }))
            }
            None => Err(refuse("Unauthorized")),
        },
    }
}

const PERIODS: [(&str, &str, i64); 6] = [
    ("second", "Second", 1),
    ("minute", "Minute", 60),
    ("hour", "Hour", 3600),
    ("day", "Day", 86400),
    ("month", "Month", 2_592_000),
    ("year", "Year", 31_536_000),
];

/// A local-policy counter's key: (plugin, identifier, period, window start).
type CounterKey = (String, String, &'static str, i64);

/// Local-policy counters: how many requests each key has seen.
#[derive(Default)]
pub struct Counters(Mutex<HashMap<CounterKey, u64>>);

impl Counters {
    /// Counts the request and decides; headers go on the response either way (unless hidden).
    pub fn rate_limit(
        &self,
        plugin: &Plugin,
        identifier: &str,
        now: i64,
    ) -> Result<Vec<(String, String)>, Refusal> {
        let cfg = &plugin.config;
        let mut headers = Vec::new();
        let mut blocked_retry: Option<i64> = None;
        let mut tightest: Option<(u64, u64, i64)> = None; // (limit, remaining, reset)
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Fixed windows: forget those that have ended, so memory stays bounded.
        if map.len() > 10_000 {
            map.retain(|(_, _, period, start), _| {
                PERIODS
                    .iter()
                    .find(|(n, _, _)| n == period)
                    .is_some_and(|(_, _, len)| start + len > now)
            });
        }
        let mut usage = Vec::new();
        for (name, label, len) in PERIODS {
            let Some(limit) = cfg[name].as_f64().map(|l| l as u64) else { continue };
            let start = now - now.rem_euclid(len);
            let used =
                *map.get(&(plugin.id.clone(), identifier.to_string(), name, start)).unwrap_or(&0);
            let reset = start + len - now;
            if used >= limit {
                blocked_retry = Some(blocked_retry.map_or(reset, |r: i64| r.max(reset)));
            }
            usage.push((name, label, start, limit, used, reset));
        }
        for (name, label, start, limit, used, reset) in &usage {
            let after = if blocked_retry.is_some() { *used } else { used + 1 };
            if blocked_retry.is_none() {
                map.insert((plugin.id.clone(), identifier.to_string(), name, *start), after);
            }
            let remaining = limit.saturating_sub(after);
            headers.push((format!("X-RateLimit-Limit-{label}"), limit.to_string()));
            headers.push((format!("X-RateLimit-Remaining-{label}"), remaining.to_string()));
            if tightest.is_none_or(|(_, r, _)| remaining < r) {
                tightest = Some((*limit, remaining, *reset));
            }
        }
        drop(map);
        if let Some((limit, remaining, reset)) = tightest {
            headers.push(("RateLimit-Limit".into(), limit.to_string()));
            headers.push(("RateLimit-Remaining".into(), remaining.to_string()));
            headers.push(("RateLimit-Reset".into(), reset.to_string()));
        }
        if cfg["hide_client_headers"].as_bool() == Some(true) {
            headers.clear();
        }
        match blocked_retry {
            Some(retry) => {
                headers.push(("Retry-After".into(), retry.to_string()));
                Err(Refusal {
                    status: cfg["error_code"].as_f64().map(|c| c as u16).unwrap_or(429),
                    message: cfg["error_message"]
                        .as_str()
                        .unwrap_or("API rate limit exceeded")
                        .to_string(),
                    headers,
                })
            }
            None => Ok(headers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plugin(
        id: &str,
        route: Option<&str>,
        service: Option<&str>,
        consumer: Option<&str>,
    ) -> Plugin {
        Plugin {
            id: id.into(),
            name: "rate-limiting".into(),
            route: route.map(Into::into),
            service: service.map(Into::into),
            consumer: consumer.map(Into::into),
            consumer_group: None,
            config: json!({"minute": 2}),
        }
    }

    #[test]
    fn the_most_specific_scope_wins() {
        let snap = Snapshot {
            plugins: vec![
                plugin("global", None, None, None),
                plugin("svc", None, Some("s"), None),
                plugin("cons", None, None, Some("c")),
                plugin("route-svc", Some("r"), Some("s"), None),
            ],
            ..Default::default()
        };
        let pick = |route, service, consumer| {
            resolve(&snap, "rate-limiting", &Scope { route, service, consumer, groups: &[] })
                .map(|p| p.id.clone())
        };
        assert_eq!(pick(Some("r"), Some("s"), None).as_deref(), Some("route-svc"));
        assert_eq!(pick(None, Some("s"), None).as_deref(), Some("svc"));
        assert_eq!(
            pick(Some("r"), Some("s"), Some("c")).as_deref(),
            Some("route-svc"),
            "route+service (7) beats consumer (8)"
        );
        assert_eq!(
            pick(None, Some("s"), Some("c")).as_deref(),
            Some("cons"),
            "consumer (8) beats service (11)"
        );
        assert_eq!(pick(None, Some("other"), None).as_deref(), Some("global"));
    }

    #[test]
    fn limits_count_per_window_and_block_with_headers() {
        let counters = Counters::default();
        let p = plugin("p", None, None, None);
        let now = 1_800_000_000;
        let h = counters.rate_limit(&p, "1.2.3.4", now).unwrap();
        assert!(h.contains(&("X-RateLimit-Remaining-Minute".into(), "1".into())));
        counters.rate_limit(&p, "1.2.3.4", now).unwrap();
        let refused = counters.rate_limit(&p, "1.2.3.4", now).unwrap_err();
        assert_eq!((refused.status, refused.message.as_str()), (429, "API rate limit exceeded"));
        assert!(refused.headers.iter().any(|(k, _)| k == "Retry-After"));
        assert!(counters.rate_limit(&p, "5.6.7.8", now).is_ok(), "per identifier");
        assert!(counters.rate_limit(&p, "1.2.3.4", now + 60).is_ok(), "a new window");
    }
}
