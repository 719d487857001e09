//! rate-limiting: local policy, fixed windows aligned to UTC (Kong's `rate-limiting`, priority
//! 910). The access phase counts, decides, and sets the counts as headers of the answer.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use super::{Context, Parse, Plugin, Refusal};

/// Kong's periods: config name, header label, length in seconds.
pub const PERIODS: [(&str, &str, i64); 6] = [
    ("second", "Second", 1),
    ("minute", "Minute", 60),
    ("hour", "Hour", 3600),
    ("day", "Day", 86400),
    ("month", "Month", 2_592_000),
    ("year", "Year", 31_536_000),
];

/// What requests are counted by (`limit_by`); each falls back to the client's address when the
/// request has no such thing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LimitBy {
    Consumer,
    Credential,
    Service,
    Header(Option<String>),
    Path,
    Ip,
}

/// A rate-limiting config, parsed.
#[derive(Debug)]
pub struct RateLimiting {
    /// The plugin's id: its counters outlive configurations that keep it.
    id: String,
    /// (index in `PERIODS`, limit) for each period configured, shortest first.
    limits: Vec<(usize, u64)>,
    limit_by: LimitBy,
    hide_client_headers: bool,
    error_code: u16,
    error_message: String,
}

impl RateLimiting {
    pub fn from_config(id: &str, cfg: &Value) -> RateLimiting {
        let limits = PERIODS
            .iter()
            .enumerate()
            .filter_map(|(i, (name, _, _))| cfg[*name].as_f64().map(|l| (i, l as u64)))
            .collect();
        let limit_by = match cfg["limit_by"].as_str().unwrap_or("consumer") {
            "consumer" => LimitBy::Consumer,
            "credential" => LimitBy::Credential,
            "service" => LimitBy::Service,
            "header" => LimitBy::Header(cfg["header_name"].as_str().map(str::to_string)),
            "path" => LimitBy::Path,
            _ => LimitBy::Ip,
        };
        RateLimiting {
            id: id.to_string(),
            limits,
            limit_by,
            hide_client_headers: cfg["hide_client_headers"].as_bool() == Some(true),
            error_code: cfg["error_code"].as_f64().map(|c| c as u16).unwrap_or(429),
            error_message: cfg["error_message"]
                .as_str()
                .unwrap_or("API rate limit exceeded")
                .to_string(),
        }
    }

    /// Who the request is counted for.
    fn identifier(&self, ctx: &Context) -> String {
        let ip = || ctx.client_ip.to_string();
        let consumer = ctx.consumer.as_ref();
        match &self.limit_by {
            LimitBy::Consumer => consumer.map(|c| c.consumer.clone()).unwrap_or_else(ip),
            LimitBy::Credential => consumer.and_then(|c| c.credential.clone()).unwrap_or_else(ip),
            LimitBy::Service => ctx.service_id.unwrap_or_default().to_string(),
            LimitBy::Header(name) => name
                .as_deref()
                .and_then(|h| ctx.req.headers().get_str(h))
                .map(str::to_string)
                .unwrap_or_else(ip),
            LimitBy::Path => ctx.req.path().to_string(),
            LimitBy::Ip => ip(),
        }
    }
}

impl Plugin for RateLimiting {
    const NAME: &'static str = "rate-limiting";
    const PRIORITY: i32 = 910;

    fn parse(args: &Parse) -> Result<Self, String> {
        Ok(RateLimiting::from_config(args.id, args.config))
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        let identifier = self.identifier(ctx);
        let now = chrono::Utc::now().timestamp();
        let headers = ctx.state.counters.rate_limit(self, &identifier, now)?;
        ctx.answer_headers.extend(headers);
        Ok(())
    }
}

/// A local-policy counter's key: (plugin, identifier, period, window start).
type CounterKey = (String, String, &'static str, i64);

/// The key of the fixed window of `period` that holds `now`.
fn window_key(counter: &str, identifier: &str, period: &'static str, now: i64) -> CounterKey {
    let len = PERIODS.iter().find(|(n, _, _)| *n == period).map_or(1, |(_, _, l)| *l);
    (counter.to_string(), identifier.to_string(), period, now - now.rem_euclid(len))
}

/// Local-policy counters: how many requests each key has seen.
#[derive(Default)]
pub struct Counters(Mutex<HashMap<CounterKey, u64>>);

impl Counters {
    /// The count of `identifier` under `counter` in the window of `period` that holds `now`.
    pub fn usage(&self, counter: &str, identifier: &str, period: &'static str, now: i64) -> u64 {
        let key = window_key(counter, identifier, period, now);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key).unwrap_or(&0)
    }

    /// Adds `n` to the count of `identifier` under `counter` in the window of `period`.
    pub fn add(&self, counter: &str, identifier: &str, period: &'static str, now: i64, n: u64) {
        let key = window_key(counter, identifier, period, now);
        *self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(key).or_default() += n;
    }

    /// Counts the request and decides; headers go on the response either way (unless hidden).
    pub fn rate_limit(
        &self,
        plugin: &RateLimiting,
        identifier: &str,
        now: i64,
    ) -> Result<Vec<(String, String)>, Refusal> {
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
        for &(i, limit) in &plugin.limits {
            let (name, label, len) = PERIODS[i];
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
        if plugin.hide_client_headers {
            headers.clear();
        }
        match blocked_retry {
            Some(retry) => {
                headers.push(("Retry-After".into(), retry.to_string()));
                let mut refusal = Refusal::new(plugin.error_code, plugin.error_message.clone());
                refusal.headers = headers;
                Err(refusal)
            }
            None => Ok(headers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_count_per_window_and_block_with_headers() {
        let counters = Counters::default();
        let p = RateLimiting::from_config("p", &json!({"minute": 2}));
        let now = 1_800_000_000;
        let h = counters.rate_limit(&p, "1.2.3.4", now).unwrap();
        assert!(h.contains(&("X-RateLimit-Remaining-Minute".into(), "1".into())));
        counters.rate_limit(&p, "1.2.3.4", now).unwrap();
        let refused = counters.rate_limit(&p, "1.2.3.4", now).unwrap_err();
        assert_eq!((refused.status, &*refused.message), (429, "API rate limit exceeded"));
        assert!(refused.headers.iter().any(|(k, _)| k == "Retry-After"));
        assert!(counters.rate_limit(&p, "5.6.7.8", now).is_ok(), "per identifier");
        assert!(counters.rate_limit(&p, "1.2.3.4", now + 60).is_ok(), "a new window");
    }

    #[test]
    fn a_config_is_read_with_kongs_defaults() {
        let p =
            RateLimiting::from_config("p", &json!({"hour": 5, "second": 1, "limit_by": "header"}));
        assert_eq!(p.limits, [(0, 1), (2, 5)], "shortest period first");
        assert_eq!(p.limit_by, LimitBy::Header(None));
        assert_eq!((p.error_code, p.error_message.as_str()), (429, "API rate limit exceeded"));
        assert!(!p.hide_client_headers);
    }
}
