//! rate-limiting: local policy, fixed windows aligned to UTC (Kong's `rate-limiting`, priority
//! 910). The access phase counts, decides, and sets the counts as headers of the answer.

use std::borrow::Cow;
use std::sync::Mutex;

use serde_json::Value;

use super::{Context, Parse, Plugin, Refusal};
use crate::http1::digits;
use crate::FastMap;

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
    fn identifier<'c>(&self, ctx: &'c Context) -> &'c str {
        let ip = ctx.client_ip;
        let consumer = ctx.consumer.as_ref();
        match &self.limit_by {
            LimitBy::Consumer => consumer.map_or(ip, |c| c.consumer.as_str()),
            LimitBy::Credential => consumer.and_then(|c| c.credential.as_deref()).unwrap_or(ip),
            LimitBy::Service => ctx.service_id.unwrap_or_default(),
            LimitBy::Header(name) => {
                name.as_deref().and_then(|h| ctx.req.headers().get_str(h)).unwrap_or(ip)
            }
            LimitBy::Path => ctx.req.path(),
            LimitBy::Ip => ip,
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
        let now = chrono::Utc::now().timestamp();
        let headers = ctx.state.counters.rate_limit(self, self.identifier(ctx), now)?;
        ctx.answer_headers.extend(headers);
        Ok(())
    }
}

/// The length in seconds of the period named `period`.
fn period_len(period: &str) -> i64 {
    PERIODS.iter().find(|(n, _, _)| *n == period).map_or(1, |(_, _, l)| *l)
}

/// The names of the headers of a period: `X-RateLimit-Limit-<Label>` and `…-Remaining-…`,
/// constants so a request allocates no header name.
const PERIOD_HEADERS: [(&str, &str); 6] = [
    ("X-RateLimit-Limit-Second", "X-RateLimit-Remaining-Second"),
    ("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute"),
    ("X-RateLimit-Limit-Hour", "X-RateLimit-Remaining-Hour"),
    ("X-RateLimit-Limit-Day", "X-RateLimit-Remaining-Day"),
    ("X-RateLimit-Limit-Month", "X-RateLimit-Remaining-Month"),
    ("X-RateLimit-Limit-Year", "X-RateLimit-Remaining-Year"),
];

/// One identifier's fixed windows under one counter: per period, the window's start and count.
#[derive(Default, Clone, Copy)]
struct Windows([(i64, u64); PERIODS.len()]);

impl Windows {
    /// The count in the window of period `i` that holds `start`.
    fn count(&self, i: usize, start: i64) -> u64 {
        let (at, n) = self.0[i];
        if at == start {
            n
        } else {
            0
        }
    }

    fn set(&mut self, i: usize, start: i64, n: u64) {
        self.0[i] = (start, n);
    }

    /// Whether every window counted has ended by `now`.
    fn ended(&self, now: i64) -> bool {
        self.0.iter().zip(PERIODS).all(|((start, n), (_, _, len))| *n == 0 || start + len <= now)
    }
}

/// Local-policy counters: counter (a plugin's id) → identifier → its windows. Looked up by
/// `&str` at both levels, so counting a request allocates only for an identifier seen first.
#[derive(Default)]
pub struct Counters(Mutex<FastMap<String, FastMap<String, Windows>>>);

/// Identifiers kept per counter before those whose windows all ended are forgotten.
const FORGET_AFTER: usize = 10_000;

impl Counters {
    fn with<T>(&self, counter: &str, identifier: &str, f: impl FnOnce(&mut Windows) -> T) -> T {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let ids = match map.get_mut(counter) {
            Some(ids) => ids,
            None => map.entry(counter.to_string()).or_default(),
        };
        match ids.get_mut(identifier) {
            Some(windows) => f(windows),
            None => {
                if ids.len() >= FORGET_AFTER {
                    let now = chrono::Utc::now().timestamp();
                    ids.retain(|_, w| !w.ended(now));
                }
                f(ids.entry(identifier.to_string()).or_default())
            }
        }
    }

    /// The count of `identifier` under `counter` in the window of `period` that holds `now`.
    pub fn usage(&self, counter: &str, identifier: &str, period: &'static str, now: i64) -> u64 {
        let i = PERIODS.iter().position(|(n, _, _)| *n == period).unwrap_or(0);
        let start = now - now.rem_euclid(period_len(period));
        self.with(counter, identifier, |w| w.count(i, start))
    }

    /// Adds `n` to the count of `identifier` under `counter` in the window of `period`.
    pub fn add(&self, counter: &str, identifier: &str, period: &'static str, now: i64, n: u64) {
        let i = PERIODS.iter().position(|(n, _, _)| *n == period).unwrap_or(0);
        let start = now - now.rem_euclid(period_len(period));
        self.with(counter, identifier, |w| w.set(i, start, w.count(i, start) + n));
    }

    /// Counts the request and decides; headers go on the response either way (unless hidden).
    pub fn rate_limit(
        &self,
        plugin: &RateLimiting,
        identifier: &str,
        now: i64,
    ) -> Result<Vec<(Cow<'static, str>, String)>, Refusal> {
        // Per period configured: (index, limit, used before this request, window start, reset).
        let usage = self.with(&plugin.id, identifier, |windows| {
            let usage: Vec<_> = (plugin.limits.iter())
                .map(|&(i, limit)| {
                    let len = PERIODS[i].2;
                    let start = now - now.rem_euclid(len);
                    (i, limit, windows.count(i, start), start, start + len - now)
                })
                .collect();
            let blocked = usage.iter().any(|(_, limit, used, _, _)| used >= limit);
            if !blocked {
                for (i, _, used, start, _) in &usage {
                    windows.set(*i, *start, used + 1);
                }
            }
            usage
        });
        let blocked_retry = (usage.iter())
            .filter(|(_, limit, used, _, _)| used >= limit)
            .map(|(_, _, _, _, reset)| *reset)
            .max();
        let mut headers: Vec<(Cow<'static, str>, String)> = Vec::new();
        let mut tightest: Option<(u64, u64, i64)> = None; // (limit, remaining, reset)
        for (i, limit, used, _, reset) in &usage {
            let after = if blocked_retry.is_some() { *used } else { used + 1 };
            let remaining = limit.saturating_sub(after);
            let (limit_header, remaining_header) = PERIOD_HEADERS[*i];
            headers.push((limit_header.into(), digits(*limit)));
            headers.push((remaining_header.into(), digits(remaining)));
            if tightest.is_none_or(|(_, r, _)| remaining < r) {
                tightest = Some((*limit, remaining, *reset));
            }
        }
        if let Some((limit, remaining, reset)) = tightest {
            headers.push(("RateLimit-Limit".into(), digits(limit)));
            headers.push(("RateLimit-Remaining".into(), digits(remaining)));
            headers.push(("RateLimit-Reset".into(), digits(reset.max(0) as u64)));
        }
        if plugin.hide_client_headers {
            headers.clear();
        }
        match blocked_retry {
            Some(retry) => {
                headers.push(("Retry-After".into(), digits(retry.max(0) as u64)));
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
        assert!(h.contains(&("X-RateLimit-Remaining-Minute".into(), "1".to_string())));
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
