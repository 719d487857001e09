//! Per-interval analytics: counts and latency histograms by (service, route, consumer, status),
//! closed every 10 s into reports that wait, bounded, until the control plane acknowledges them.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;

use hybrid::{Report, Series};

pub const INTERVAL_SECS: i64 = 10;
/// One day of 10-second reports; beyond that the oldest are dropped (and counted).
pub const MAX_QUEUED: usize = 8640;

struct Inner {
    interval_start: i64,
    /// Series by the hash of (service, route, consumer, status): the hot path looks a request's
    /// series up from borrowed names without allocating; equal hashes share a short list.
    series: HashMap<u64, Vec<Series>>,
    hasher: foldhash::fast::RandomState,
    queue: VecDeque<Report>,
    dropped: u64,
    requests: u64,
}

pub struct Recorder {
    node_id: String,
    inner: Mutex<Inner>,
}

/// One proxied request's figures.
pub struct Sample<'a> {
    pub service: Option<&'a str>,
    pub route: Option<&'a str>,
    pub consumer: Option<&'a str>,
    pub status: u16,
    pub total_ms: f64,
    pub upstream_ms: Option<f64>,
    pub request_bytes: u64,
    pub response_bytes: u64,
}

fn window(now: i64) -> i64 {
    now - now.rem_euclid(INTERVAL_SECS)
}

impl Recorder {
    pub fn new(node_id: String) -> Recorder {
        let now = chrono::Utc::now().timestamp();
        Recorder {
            node_id,
            inner: Mutex::new(Inner {
                interval_start: window(now),
                series: HashMap::new(),
                hasher: Default::default(),
                queue: VecDeque::new(),
                dropped: 0,
                requests: 0,
            }),
        }
    }

    fn close_if_due(&self, inner: &mut Inner, now: i64) {
        let current = window(now);
        if current == inner.interval_start {
            return;
        }
        if !inner.series.is_empty() {
            let series: Vec<Series> = inner.series.drain().flat_map(|(_, s)| s).collect();
            let report = Report {
                id: format!("{}:{}", self.node_id, inner.interval_start),
                interval_start: inner.interval_start,
                interval_secs: INTERVAL_SECS as u32,
                series,
            };
            if inner.queue.len() >= MAX_QUEUED {
                inner.queue.pop_front();
                inner.dropped += 1;
            }
            inner.queue.push_back(report);
        }
        inner.interval_start = current;
    }

    pub fn record(&self, s: Sample) {
        let now = chrono::Utc::now().timestamp();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        self.close_if_due(&mut inner, now);
        inner.requests += 1;
        let key = inner.hasher.hash_one((s.service, s.route, s.consumer, s.status));
        let bucket = inner.series.entry(key).or_default();
        let found = bucket.iter().position(|e| {
            e.status == s.status
                && e.service.as_deref() == s.service
                && e.route.as_deref() == s.route
                && e.consumer.as_deref() == s.consumer
        });
        let i = found.unwrap_or_else(|| {
            bucket.push(Series {
                service: s.service.map(str::to_string),
                route: s.route.map(str::to_string),
                consumer: s.consumer.map(str::to_string),
                status: s.status,
                ..Default::default()
            });
            bucket.len() - 1
        });
        let e = &mut bucket[i];
        e.count += 1;
        e.response_latency.record(s.total_ms);
        e.response_latency_sum += s.total_ms;
        if let Some(up) = s.upstream_ms {
            e.upstream_latency.record(up);
            e.upstream_latency_sum += up;
            let kong = (s.total_ms - up).max(0.0);
            e.kong_latency.record(kong);
            e.kong_latency_sum += kong;
        } else {
            e.kong_latency.record(s.total_ms);
            e.kong_latency_sum += s.total_ms;
        }
        e.request_bytes += s.request_bytes;
        e.response_bytes += s.response_bytes;
    }

    /// Closes the interval if its time is up; called every second so quiet periods still report.
    pub fn tick(&self) {
        let now = chrono::Utc::now().timestamp();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        self.close_if_due(&mut inner, now);
    }

    pub fn pending(&self, limit: usize) -> Vec<Report> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .queue
            .iter()
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn ack(&self, ids: &[String]) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).queue.retain(|r| !ids.contains(&r.id));
    }

    /// (requests seen, reports waiting, reports dropped)
    pub fn stats(&self) -> (u64, usize, u64) {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (inner.requests, inner.queue.len(), inner.dropped)
    }
}
