//! Messages between a runtime (data plane) and the local control plane, beyond Kong's own frames:
//! analytics reports with mergeable latency histograms, and their acknowledgements.
//!
//! Both sides depend on this crate, so the wire format has one definition.

pub mod keyfile;
pub mod link;
pub mod route_regex;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A latency histogram on a log scale (8 % wide buckets from 1 µs), so percentiles are computed
/// from merged counts, never by averaging percentiles. Serialized as `[[bucket, count], ...]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<(u16, u64)>", into = "Vec<(u16, u64)>")]
pub struct Histogram {
    buckets: BTreeMap<u16, u64>,
}

const GROWTH: f64 = 1.08;

impl From<Vec<(u16, u64)>> for Histogram {
    fn from(v: Vec<(u16, u64)>) -> Self {
        let mut h = Histogram::default();
        for (b, c) in v {
            *h.buckets.entry(b).or_default() += c;
        }
        h
    }
}

impl From<Histogram> for Vec<(u16, u64)> {
    fn from(h: Histogram) -> Self {
        h.buckets.into_iter().collect()
    }
}

impl Histogram {
    fn bucket_of(ms: f64) -> u16 {
        let us = (ms * 1000.0).max(0.0);
        if us < 1.0 {
            return 0;
        }
        ((us.ln() / GROWTH.ln()).floor() as u16).saturating_add(1)
    }

    /// The middle of a bucket, in milliseconds.
    fn value_of(bucket: u16) -> f64 {
        if bucket == 0 {
            return 0.0005;
        }
        let lo = GROWTH.powi(bucket as i32 - 1);
        let hi = GROWTH.powi(bucket as i32);
        (lo + hi) / 2.0 / 1000.0
    }

    pub fn record(&mut self, ms: f64) {
        *self.buckets.entry(Self::bucket_of(ms)).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (b, c) in &other.buckets {
            *self.buckets.entry(*b).or_default() += c;
        }
    }

    pub fn count(&self) -> u64 {
        self.buckets.values().sum()
    }

    /// The value at quantile `q` (0..=1), in milliseconds; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, c) in &self.buckets {
            seen += c;
            if seen >= rank {
                return Some(Self::value_of(*b));
            }
        }
        self.buckets.keys().last().map(|b| Self::value_of(*b))
    }
}

/// Counts for one (service, route, consumer, status) in one interval on one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub service: Option<String>,
    pub route: Option<String>,
    pub consumer: Option<String>,
    pub status: u16,
    pub count: u64,
    pub response_latency: Histogram,
    pub upstream_latency: Histogram,
    pub kong_latency: Histogram,
    pub response_latency_sum: f64,
    pub upstream_latency_sum: f64,
    pub kong_latency_sum: f64,
    pub request_bytes: u64,
    pub response_bytes: u64,
}

/// One node's counts for one interval. `id` is unique per node, so a resend is not counted twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: String,
    /// Unix seconds of the interval's start.
    pub interval_start: i64,
    pub interval_secs: u32,
    pub series: Vec<Series>,
}

/// Binary JSON frames on the link besides Kong's `basic_info` and gzip `reconfigure`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    /// What a node says first: the plugins it runs (Kong's `plugins_list`) and its labels.
    /// A Kong data plane sends more (`process_conf`, `filters`); that is not read.
    BasicInfo {
        #[serde(default)]
        plugins: Vec<PluginInfo>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        labels: BTreeMap<String, String>,
    },
    Analytics {
        reports: Vec<Report>,
    },
    AnalyticsAck {
        ids: Vec<String>,
    },
    /// A node could not load a configuration and keeps its last good one (Kong data planes send
    /// this in Konnect mode).
    Error {
        error: ConfigError,
    },
}

/// Why a node refused a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigError {
    /// What went wrong, in a word: `configuration_refused` or `configuration_unreadable`.
    pub name: String,
    /// Where, e.g. `routes` or `reconfigure`.
    pub source: String,
    pub message: String,
    /// The hash of the configuration refused (empty when it could not be read).
    pub config_hash: String,
}

/// One plugin a node runs, with its version (Kong reports the handler's `VERSION`; some
/// plugins have none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginInfo {
    pub name: String,
    #[serde(default)]
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_merged_counts_within_the_bucket_width() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        for i in 1..=900 {
            a.record(i as f64 / 100.0); // 0.01 .. 9 ms
        }
        for _ in 0..100 {
            b.record(500.0);
        }
        a.merge(&b);
        assert_eq!(a.count(), 1000);
        let p50 = a.quantile(0.5).unwrap();
        assert!((p50 - 5.0).abs() / 5.0 < 0.08, "p50 {p50}");
        let p99 = a.quantile(0.99).unwrap();
        assert!((p99 - 500.0).abs() / 500.0 < 0.08, "p99 {p99}");
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn frames_round_trip_as_tagged_json() {
        let mut h = Histogram::default();
        h.record(3.0);
        let f = Frame::Analytics {
            reports: vec![Report {
                id: "n:1".into(),
                interval_start: 10,
                interval_secs: 10,
                series: vec![Series {
                    status: 200,
                    count: 1,
                    response_latency: h,
                    ..Default::default()
                }],
            }],
        };
        let text = serde_json::to_string(&f).unwrap();
        assert!(text.starts_with(r#"{"type":"analytics""#));
        assert_eq!(serde_json::from_str::<Frame>(&text).unwrap(), f);
    }

    #[test]
    fn basic_info_reads_as_a_kong_data_plane_sends_it() {
        let kong = r#"{"type":"basic_info","plugins":[{"name":"key-auth","version":"3.10.0"},
            {"name":"my-plugin"}],"process_conf":{"role":"data_plane"},"filters":[]}"#;
        let Ok(Frame::BasicInfo { plugins, labels }) = serde_json::from_str::<Frame>(kong) else {
            panic!("not read as basic_info");
        };
        let names: Vec<&str> = plugins.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["key-auth", "my-plugin"]);
        assert_eq!((plugins[0].version.as_str(), plugins[1].version.as_str()), ("3.10.0", ""));
        assert!(labels.is_empty());
        let ours = Frame::BasicInfo { plugins, labels };
        let text = serde_json::to_string(&ours).unwrap();
        assert!(text.starts_with(r#"{"type":"basic_info","plugins":[{"name":"key-auth""#));
        assert!(!text.contains("labels"), "no labels, none sent, as Kong: {text}");
    }
}
