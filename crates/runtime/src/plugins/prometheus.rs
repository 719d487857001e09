//! prometheus: Kong's metrics of proxied requests (Kong's `prometheus`, priority 13, log phase),
//! served in Prometheus' text format at `/metrics` on the status listener with Kong's names and
//! labels: `kong_http_requests_total`, the `kong_kong_latency_ms`, `kong_upstream_latency_ms` and
//! `kong_request_latency_ms` histograms, `kong_bandwidth_bytes`, plus the node's own gauges.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use serde_json::Value;

use super::{Context, Parse, Plugin, Served};

/// Kong's buckets (`kong/plugins/prometheus/exporter.lua`).
const KONG_LATENCY_BUCKETS: [f64; 17] = [
    1.0, 2.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0, 50.0, 75.0, 100.0, 200.0, 500.0, 750.0, 1000.0,
    3000.0, 6000.0,
];
const UPSTREAM_LATENCY_BUCKETS: [f64; 13] = [
    25.0, 50.0, 80.0, 100.0, 250.0, 400.0, 700.0, 1000.0, 2000.0, 5000.0, 10000.0, 30000.0, 60000.0,
];

const KONG_LATENCY_HELP: &str =
    "Latency added by Kong and enabled plugins for each service/route in Kong";
const UPSTREAM_LATENCY_HELP: &str =
    "Latency added by upstream response for each service/route in Kong";
const REQUEST_LATENCY_HELP: &str =
    "Total latency incurred during requests for each service/route in Kong";

/// Which metrics a config records (Kong 3.x turns each family on separately).
#[derive(Debug)]
pub struct Prometheus {
    per_consumer: bool,
    status_code_metrics: bool,
    latency_metrics: bool,
    bandwidth_metrics: bool,
}

impl Plugin for Prometheus {
    const NAME: &'static str = "prometheus";
    const PRIORITY: i32 = 13;

    fn parse(args: &Parse) -> Result<Self, String> {
        let on = |f: &str| args.config[f] == Value::Bool(true);
        Ok(Prometheus {
            per_consumer: on("per_consumer"),
            status_code_metrics: on("status_code_metrics"),
            latency_metrics: on("latency_metrics"),
            bandwidth_metrics: on("bandwidth_metrics"),
        })
    }

    fn log(&self, ctx: &Context, served: &Served) {
        // As Kong: a request no route matched is not counted.
        let Some(route) = ctx.route_id else { return };
        let service = ctx.service_id.map(|s| ctx.snap.service_label(s)).unwrap_or_default();
        let route = ctx.snap.route_label(route);
        let consumer = match (self.per_consumer, ctx.consumer_id()) {
            (true, Some(c)) => ctx.snap.consumers.get(c).and_then(|c| c.username.clone()),
            _ => None,
        }
        .unwrap_or_default();
        let mut m = ctx.state.metrics.lock();
        if self.status_code_metrics {
            let source = if served.upstream_ms.is_some() { "service" } else { "kong" };
            let labels = [service, route, &served.status.to_string(), source, "", &consumer];
            *m.requests.entry(labels.map(str::to_string)).or_default() += 1;
        }
        if self.latency_metrics {
            let key = [service.to_string(), route.to_string(), String::new()];
            let kong_ms = served.total_ms - served.upstream_ms.unwrap_or(0.0);
            m.kong_latency.entry(key.clone()).or_insert_with(Histogram::kong).observe(kong_ms);
            m.request_latency
                .entry(key.clone())
                .or_insert_with(Histogram::upstream)
                .observe(served.total_ms);
            if let Some(up) = served.upstream_ms {
                m.upstream_latency.entry(key).or_insert_with(Histogram::upstream).observe(up);
            }
        }
        if self.bandwidth_metrics {
            for (direction, bytes) in
                [("ingress", served.request_bytes), ("egress", served.response_bytes)]
            {
                if bytes > 0 {
                    let labels = [service, route, direction, "", &consumer].map(str::to_string);
                    *m.bandwidth.entry(labels).or_default() += bytes;
                }
            }
        }
    }
}

/// One histogram series: counts per bucket (not cumulative), their sum and count.
#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn kong() -> Histogram {
        Histogram::with(&KONG_LATENCY_BUCKETS)
    }

    fn upstream() -> Histogram {
        Histogram::with(&UPSTREAM_LATENCY_BUCKETS)
    }

    fn with(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, counts: vec![0; bounds.len()], sum: 0.0, count: 0 }
    }

    fn observe(&mut self, v: f64) {
        if let Some(i) = self.bounds.iter().position(|b| v <= *b) {
            self.counts[i] += 1;
        }
        self.sum += v;
        self.count += 1;
    }
}

/// What the prometheus configs recorded, kept across configurations (Kong's shared dict).
#[derive(Default)]
pub struct Metrics(Mutex<Recorded>);

#[derive(Default)]
pub struct Recorded {
    /// service, route, code, source, workspace, consumer.
    requests: BTreeMap<[String; 6], u64>,
    /// service, route, workspace.
    kong_latency: BTreeMap<[String; 3], Histogram>,
    upstream_latency: BTreeMap<[String; 3], Histogram>,
    request_latency: BTreeMap<[String; 3], Histogram>,
    /// service, route, direction, workspace, consumer.
    bandwidth: BTreeMap<[String; 5], u64>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The exposition: the node's gauges, then every family recorded so far.
    pub fn render(&self, node: &NodeInfo) -> String {
        let mut out = String::new();
        gauge(&mut out, "kong_node_info", "Kong Node metadata information");
        let labels = label_set(&["node_id", "version"], &[node.node_id, node.version]);
        let _ = writeln!(out, "kong_node_info{labels} 1");
        gauge(
            &mut out,
            "kong_control_plane_connected",
            "Kong connected to control plane, 0 is unconnected",
        );
        let _ = writeln!(out, "kong_control_plane_connected {}", u8::from(node.connected));
        gauge(
            &mut out,
            "kong_datastore_reachable",
            "Datastore reachable from Kong, 0 is unreachable",
        );
        let _ = writeln!(out, "kong_datastore_reachable {}", u8::from(node.configured));
        let m = self.lock();
        let status_names = ["service", "route", "code", "source", "workspace", "consumer"];
        family(
            &mut out,
            "kong_http_requests_total",
            "counter",
            "HTTP status codes per consumer/service/route in Kong",
        );
        for (labels, n) in &m.requests {
            let _ =
                writeln!(out, "kong_http_requests_total{} {n}", label_set(&status_names, labels));
        }
        for (name, help, series) in [
            ("kong_kong_latency_ms", KONG_LATENCY_HELP, &m.kong_latency),
            ("kong_upstream_latency_ms", UPSTREAM_LATENCY_HELP, &m.upstream_latency),
            ("kong_request_latency_ms", REQUEST_LATENCY_HELP, &m.request_latency),
        ] {
            family(&mut out, name, "histogram", help);
            for (labels, h) in series {
                histogram(&mut out, name, labels, h);
            }
        }
        family(
            &mut out,
            "kong_bandwidth_bytes",
            "counter",
            "Total bandwidth (ingress/egress) throughput in bytes",
        );
        let bandwidth_names = ["service", "route", "direction", "workspace", "consumer"];
        for (labels, n) in &m.bandwidth {
            let _ =
                writeln!(out, "kong_bandwidth_bytes{} {n}", label_set(&bandwidth_names, labels));
        }
        out
    }
}

/// The node facts `/metrics` reports beside the recorded families.
pub struct NodeInfo<'a> {
    pub node_id: &'a str,
    pub version: &'a str,
    pub connected: bool,
    pub configured: bool,
}

fn gauge(out: &mut String, name: &str, help: &str) {
    family(out, name, "gauge", help);
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn histogram(out: &mut String, name: &str, labels: &[String; 3], h: &Histogram) {
    let names = ["service", "route", "workspace"];
    let mut cumulative = 0;
    for (bound, n) in h.bounds.iter().zip(&h.counts) {
        cumulative += n;
        let le = format!("{bound}");
        let _ = writeln!(out, "{name}_bucket{} {cumulative}", bucket_labels(labels, &le));
    }
    let _ = writeln!(out, "{name}_bucket{} {}", bucket_labels(labels, "+Inf"), h.count);
    let set = label_set(&names, labels);
    let _ = writeln!(out, "{name}_count{set} {}\n{name}_sum{set} {}", h.count, h.sum);
}

fn bucket_labels(labels: &[String; 3], le: &str) -> String {
    let values = [labels[0].as_str(), &labels[1], &labels[2], le];
    label_set(&["service", "route", "workspace", "le"], &values)
}

/// `{a="x",b="y"}` with Prometheus' escapes.
fn label_set<S: AsRef<str>>(names: &[&str], values: &[S]) -> String {
    let pairs: Vec<String> = names
        .iter()
        .zip(values)
        .map(|(n, v)| {
            let v = v.as_ref().replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            format!("{n}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", pairs.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_with_kongs_buckets() {
        let mut h = Histogram::kong();
        for v in [0.5, 3.0, 3.0, 7000.0] {
            h.observe(v);
        }
        let mut out = String::new();
        histogram(&mut out, "kong_kong_latency_ms", &["svc".into(), "r".into(), String::new()], &h);
        let first =
            "kong_kong_latency_ms_bucket{service=\"svc\",route=\"r\",workspace=\"\",le=\"1\"} 1";
        assert!(out.contains(first), "{out}");
        assert!(out.contains("le=\"5\"} 3"), "{out}");
        assert!(out.contains("le=\"6000\"} 3"), "{out}");
        assert!(out.contains("le=\"+Inf\"} 4"), "{out}");
        assert!(out
            .contains("kong_kong_latency_ms_count{service=\"svc\",route=\"r\",workspace=\"\"} 4"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_set(&["a"], &["x\"y\\z"]), "{a=\"x\\\"y\\\\z\"}");
    }
}
