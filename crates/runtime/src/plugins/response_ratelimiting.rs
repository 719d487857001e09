//! response-ratelimiting: limits counted by the upstream (Kong's `response-ratelimiting`,
//! priority 900, local policy). The upstream says what an answer cost in a header
//! (`X-Kong-Limit: videos=1, images=2`); access refuses a request whose limit is spent (with
//! `block_on_first_violation`) and tells the upstream what remains; the header filter writes the
//! counts on the answer, strips the cost header and turns an answer past its limit into a 429;
//! the log phase adds the cost.

use serde_json::Value;

use super::rate_limiting::PERIODS;
use super::{AnswerHead, Context, Parse, Plugin, Refusal, Served};

/// One named limit: its name and (period, limit) for each period configured.
#[derive(Debug)]
struct Limit {
    name: String,
    periods: Vec<(&'static str, u64)>,
}

/// What requests are counted by (`limit_by`), each falling back to the client's address.
#[derive(Debug, PartialEq)]
enum LimitBy {
    Consumer,
    Credential,
    Ip,
}

#[derive(Debug)]
pub struct ResponseRateLimiting {
    id: String,
    limits: Vec<Limit>,
    header_name: String,
    limit_by: LimitBy,
    block_on_first_violation: bool,
    hide_client_headers: bool,
}

impl Plugin for ResponseRateLimiting {
    const NAME: &'static str = "response-ratelimiting";
    const PRIORITY: i32 = 900;

    fn parse(args: &Parse) -> Result<Self, String> {
        let cfg = args.config;
        let mut limits: Vec<Limit> = cfg["limits"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, periods)| Limit {
                name: name.clone(),
                periods: PERIODS
                    .iter()
                    .filter_map(|(p, _, _)| periods[*p].as_f64().map(|l| (*p, l as u64)))
                    .collect(),
            })
            .collect();
        limits.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ResponseRateLimiting {
            id: args.id.to_string(),
            limits,
            header_name: cfg["header_name"].as_str().unwrap_or("x-kong-limit").to_string(),
            limit_by: match cfg["limit_by"].as_str().unwrap_or("consumer") {
                "consumer" => LimitBy::Consumer,
                "credential" => LimitBy::Credential,
                _ => LimitBy::Ip,
            },
            block_on_first_violation: cfg["block_on_first_violation"] == Value::Bool(true),
            hide_client_headers: cfg["hide_client_headers"] == Value::Bool(true),
        })
    }

    fn access(&self, ctx: &mut Context) -> Result<(), Refusal> {
        let (who, now) = (self.identifier(ctx), now());
        for limit in &self.limits {
            let mut least: Option<i64> = None;
            for (period, max) in &limit.periods {
                let remaining = self.remaining(ctx, limit, period, *max, &who, now);
                if self.block_on_first_violation && remaining <= 0 {
                    return Err(Refusal::new(
                        429,
                        format!("API rate limit exceeded for '{}'", limit.name),
                    ));
                }
                least = Some(least.map_or(remaining, |l| l.min(remaining)));
            }
            if let Some(least) = least {
                let header = format!("X-RateLimit-Remaining-{}", limit.name);
                ctx.set_upstream_header(&header, least.to_string());
            }
        }
        Ok(())
    }

    fn header_filter(&self, ctx: &mut Context, head: &mut AnswerHead) {
        let costs = head.get(&self.header_name).map(|v| costs(&v, &self.limits));
        let costs = costs.unwrap_or_default();
        let (who, now) = (self.identifier(ctx), now());
        let mut stop = false;
        for limit in &self.limits {
            let cost = cost_of(&costs, &limit.name);
            for (period, max) in &limit.periods {
                let remaining = self.remaining(ctx, limit, period, *max, &who, now);
                if !self.hide_client_headers {
                    let label = format!("{}-{period}", limit.name);
                    head.set(format!("X-RateLimit-Limit-{label}"), max.to_string());
                    let left = (remaining - cost as i64).max(0);
                    head.set(format!("X-RateLimit-Remaining-{label}"), left.to_string());
                }
                stop |= cost > 0 && remaining <= 0;
            }
        }
        head.remove(&self.header_name);
        if stop {
            // Past its limit: refused, and (as Kong) not counted.
            head.status = 429;
        } else {
            ctx.notes.push((Self::NAME, encode_costs(&costs)));
        }
    }

    fn log(&self, ctx: &Context, _served: &Served) {
        let Some(costs) = ctx.note(Self::NAME) else { return };
        let (who, now) = (self.identifier(ctx), now());
        for (name, cost) in decode_costs(costs) {
            let Some(limit) = self.limits.iter().find(|l| l.name == name) else { continue };
            for (period, _) in &limit.periods {
                ctx.state.counters.add(&self.counter(limit), &who, period, now, cost);
            }
        }
    }
}

impl ResponseRateLimiting {
    fn identifier(&self, ctx: &Context) -> String {
        let auth = ctx.consumer.as_ref();
        let id = match self.limit_by {
            LimitBy::Consumer => auth.map(|a| a.consumer.clone()),
            LimitBy::Credential => auth.and_then(|a| a.credential.clone()),
            LimitBy::Ip => None,
        };
        id.unwrap_or_else(|| ctx.client_ip.to_string())
    }

    /// The counter of one named limit of this plugin.
    fn counter(&self, limit: &Limit) -> String {
        format!("{}:{}", self.id, limit.name)
    }

    fn remaining(
        &self,
        ctx: &Context,
        limit: &Limit,
        period: &'static str,
        max: u64,
        who: &str,
        now: i64,
    ) -> i64 {
        max as i64 - ctx.state.counters.usage(&self.counter(limit), who, period, now) as i64
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The costs an upstream header states, for configured limits only: `videos=1, images=2`.
fn costs(header: &str, limits: &[Limit]) -> Vec<(String, u64)> {
    header
        .split(',')
        .filter_map(|part| {
            let (name, n) = part.split_once('=')?;
            let name = name.trim();
            let n = n.trim().parse().ok()?;
            limits.iter().any(|l| l.name == name).then(|| (name.to_string(), n))
        })
        .collect()
}

fn cost_of(costs: &[(String, u64)], name: &str) -> u64 {
    costs.iter().find(|(n, _)| n == name).map_or(0, |(_, c)| *c)
}

/// Costs kept for the log phase as the header would say them.
fn encode_costs(costs: &[(String, u64)]) -> String {
    costs.iter().map(|(n, c)| format!("{n}={c}")).collect::<Vec<_>>().join(",")
}

fn decode_costs(text: &str) -> impl Iterator<Item = (&str, u64)> {
    text.split(',').filter_map(|p| {
        let (n, c) = p.split_once('=')?;
        Some((n, c.parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plugin(config: Value) -> ResponseRateLimiting {
        ResponseRateLimiting::parse(&Parse { id: "p", config: &config, consumer_named: &|_| None })
            .unwrap()
    }

    #[test]
    fn limits_are_read_per_name_and_period() {
        let p = plugin(json!({"limits": {"videos": {"minute": 10, "hour": 100}, "images": {}}}));
        assert_eq!(p.limits[1].name, "videos");
        assert_eq!(p.limits[1].periods, [("minute", 10), ("hour", 100)]);
        assert_eq!((p.header_name.as_str(), &p.limit_by), ("x-kong-limit", &LimitBy::Consumer));
    }

    #[test]
    fn the_cost_header_is_read_for_configured_limits_only() {
        let p = plugin(json!({"limits": {"videos": {"minute": 10}, "images": {"minute": 5}}}));
        let cases: &[(&str, &[(&str, u64)])] = &[
            ("videos=1, images=2", &[("videos", 1), ("images", 2)]),
            ("videos=3,unknown=9", &[("videos", 3)]),
            ("videos, images=x, =4", &[]),
        ];
        for (header, want) in cases {
            let got = costs(header, &p.limits);
            let want: Vec<(String, u64)> = want.iter().map(|(n, c)| (n.to_string(), *c)).collect();
            assert_eq!(got, want, "{header}");
            let encoded = encode_costs(&got);
            assert_eq!(decode_costs(&encoded).count(), got.len());
        }
    }
}
