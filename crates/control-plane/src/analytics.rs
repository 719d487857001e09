//! Analytics: reports from runtimes (kept 30 days, bounded in size, each counted once) and
//! `POST /v2/metrics` with Konnect's request and response shapes.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use hybrid::{Frame, Histogram, Series};
use konnect::InvalidParameter;
use rusqlite::{params, params_from_iter};
use serde_json::{json, Map, Value};

use crate::problem::{blank_param, Problem};
use crate::server::AppState;

/// Reports older than this are dropped; Konnect answers at most 32 days back.
pub const RETENTION_SECS: i64 = 30 * 24 * 3600;
/// At most this many stored series rows; the oldest go first.
pub const MAX_ROWS: i64 = 2_000_000;

/// Stores a node's analytics reports; returns the acknowledgement to send, if any.
pub async fn on_reports(
    state: &AppState,
    cp: &str,
    node: &str,
    reports: Vec<hybrid::Report>,
) -> Option<String> {
    let (cp, node) = (cp.to_string(), node.to_string());
    let ids: Vec<String> = reports.iter().map(|r| r.id.clone()).collect();
    let stored =
        state
            .store
            .call(move |c| {
                let tx = c.transaction()?;
                let now = chrono::Utc::now().timestamp();
                for r in &reports {
                    let fresh = tx.execute(
                        "INSERT OR IGNORE INTO analytics_reports (cp_id, report_id, received_at) \
                            VALUES (?1, ?2, ?3)",
                        params![cp, r.id, now],
                    )?;
                    if fresh == 0 || r.interval_start < now - RETENTION_SECS {
                        continue; // already counted, or too old to keep
                    }
                    for s in &r.series {
                        tx.execute(
                        "INSERT INTO analytics (cp_id, node_id, bucket, service, route, consumer, \
                            status, count, series) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        params![cp, node, r.interval_start, s.service, s.route, s.consumer,
                            s.status, s.count as i64, serde_json::to_string(s).unwrap_or_default()],
                    )?;
                    }
                }
                tx.execute(
                    "DELETE FROM analytics WHERE bucket < ?1",
                    params![now - RETENTION_SECS],
                )?;
                tx.execute(
                    "DELETE FROM analytics_reports WHERE received_at < ?1",
                    params![now - RETENTION_SECS],
                )?;
                let rows: i64 = tx.query_row("SELECT COUNT(*) FROM analytics", [], |r| r.get(0))?;
                if rows > MAX_ROWS {
                    tx.execute(
                        "DELETE FROM analytics WHERE rowid IN (SELECT rowid FROM analytics ORDER \
                            BY bucket LIMIT ?1)",
                        params![rows - MAX_ROWS],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .await;
    match stored {
        Ok(()) => serde_json::to_string(&Frame::AnalyticsAck { ids }).ok(),
        Err(e) => {
            tracing::warn!("analytics report not stored: {e}");
            None
        }
    }
}

const METRICS: [&str; 14] = [
    "request_count",
    "request_per_minute",
    "response_latency_average",
    "response_latency_p50",
    "response_latency_p95",
    "response_latency_p99",
    "upstream_latency_average",
    "upstream_latency_p50",
    "upstream_latency_p95",
    "upstream_latency_p99",
    "kong_latency_average",
    "kong_latency_p50",
    "kong_latency_p95",
    "kong_latency_p99",
];
const DIMENSIONS: [&str; 8] = [
    "time",
    "status_code",
    "status_code_grouped",
    "gateway_service",
    "route",
    "consumer",
    "control_plane",
    "data_plane_node",
];

/// Granularities Konnect names, with their length in seconds.
const GRANULARITIES: [(&str, i64); 11] = [
    ("tenSecondly", 10),
    ("thirtySecondly", 30),
    ("minutely", 60),
    ("fiveMinutely", 300),
    ("tenMinutely", 600),
    ("thirtyMinutely", 1800),
    ("hourly", 3600),
    ("twoHourly", 7200),
    ("twelveHourly", 43200),
    ("daily", 86400),
    ("weekly", 604800),
];

/// Relative range → (seconds, finest and coarsest granularity allowed, default).
fn relative_range(name: &str) -> Option<(i64, i64, i64, i64)> {
    Some(match name {
        "15m" => (900, 10, 60, 10),
        "1h" => (3600, 10, 600, 60),
        "6h" => (21600, 30, 3600, 300),
        "12h" => (43200, 60, 3600, 600),
        "24h" => (86400, 300, 3600, 1800),
        "7d" => (604800, 1800, 86400, 7200),
        "30d" => (2592000, 3600, 604800, 43200),
        _ => return None,
    })
}

fn invalid(field: &str, reason: impl Into<String>) -> Problem {
    Problem::bad_request(
        "Invalid metrics query",
        vec![InvalidParameter {
            field: field.into(),
            rule: Some("invalid".into()),
            reason: reason.into(),
            source: Some("body".into()),
            ..blank_param()
        }],
    )
}

struct Query {
    metrics: Vec<String>,
    dimensions: Vec<String>,
    /// (dimension, include?, values lower-cased): one hash lookup per row and filter, however many
    /// values.
    filters: Vec<(String, bool, HashSet<String>)>,
    start: i64,
    end: i64,
    granularity: i64,
    limit: usize,
}

fn parse_query(body: &Value) -> Result<Query, Problem> {
    let obj = body.as_object().ok_or_else(|| invalid("body", "must be a JSON object"))?;
    if let Some(ds) = obj.get("datasource") {
        if ds != "api_usage" {
            return Err(invalid("datasource", "only api_usage is available"));
        }
    }
    let strings = |field: &str, default: &[&str]| -> Result<Vec<String>, Problem> {
        match obj.get(field) {
            None => Ok(default.iter().map(|s| s.to_string()).collect()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| invalid(field, "must be an array of strings"))
                })
                .collect(),
            Some(_) => Err(invalid(field, "must be an array of strings")),
        }
    };
    let metrics = strings("metrics", &["request_count"])?;
    if metrics.is_empty() || metrics.len() > 3 {
        return Err(invalid("metrics", "must name 1 to 3 metrics"));
    }
    if let Some(m) = metrics.iter().find(|m| !METRICS.contains(&m.as_str())) {
        return Err(invalid(
            "metrics",
            format!("'{m}' is not supported; use one of: {}", METRICS.join(", ")),
        ));
    }
    let dimensions = strings("dimensions", &[])?;
    if dimensions.len() > 2 {
        return Err(invalid("dimensions", "at most 2 dimensions"));
    }
    if let Some(d) = dimensions.iter().find(|d| !DIMENSIONS.contains(&d.as_str())) {
        return Err(invalid(
            "dimensions",
            format!("'{d}' is not supported; use one of: {}", DIMENSIONS.join(", ")),
        ));
    }
    let mut filters = Vec::new();
    for (i, f) in obj.get("filters").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let field = f["field"]
            .as_str()
            .filter(|d| DIMENSIONS.contains(d) && *d != "time")
            .ok_or_else(|| invalid(&format!("filters[{i}].field"), "unknown filter field"))?;
        let include = match f["operator"].as_str() {
            Some("in") => true,
            Some("not_in") => false,
            _ => return Err(invalid(&format!("filters[{i}].operator"), "must be in or not_in")),
        };
        let values = f["value"]
            .as_array()
            .ok_or_else(|| invalid(&format!("filters[{i}].value"), "must be an array"))?;
        let values = values
            .iter()
            .map(|v| v.as_str().map(str::to_ascii_lowercase).unwrap_or_else(|| v.to_string()))
            .collect();
        filters.push((field.to_string(), include, values));
    }
    let now = chrono::Utc::now().timestamp();
    let tr =
        obj.get("time_range").cloned().unwrap_or(json!({"type": "relative", "time_range": "1h"}));
    let (start, end, fine, coarse, default) = match tr["type"].as_str() {
        Some("relative") => {
            let name = tr["time_range"].as_str().unwrap_or("1h");
            let (secs, fine, coarse, default) = relative_range(name).ok_or_else(|| {
                invalid("time_range.time_range", "must be one of 15m, 1h, 6h, 12h, 24h, 7d, 30d")
            })?;
            (now - secs, now, fine, coarse, default)
        }
        Some("absolute") => {
            let parse = |f: &str| {
                tr[f]
                    .as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .map(|d| d.timestamp())
                    .ok_or_else(|| {
                        invalid(&format!("time_range.{f}"), "must be an RFC 3339 date-time")
                    })
            };
            let (start, end) = (parse("start")?, parse("end")?);
            if end <= start {
                return Err(invalid("time_range.end", "must be after start"));
            }
            if start < now - 32 * 86400 {
                return Err(invalid("time_range.start", "must be within the last 32 days"));
            }
            let span = end - start;
            let default = [10, 60, 300, 1800, 7200, 43200]
                .into_iter()
                .find(|g| span / g <= 400)
                .unwrap_or(86400);
            (start, end, 10, 604800, default)
        }
        _ => return Err(invalid("time_range.type", "must be relative or absolute")),
    };
    let granularity = match obj.get("granularity").and_then(Value::as_str) {
        None => default,
        Some(name) => {
            let g = GRANULARITIES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| *s)
                .ok_or_else(|| invalid("granularity", "unknown granularity"))?;
            g.clamp(fine, coarse)
        }
    };
    let limit = obj.get("limit").and_then(Value::as_u64).unwrap_or(50).clamp(1, 1000) as usize;
    Ok(Query { metrics, dimensions, filters, start, end, granularity, limit })
}

#[derive(Default)]
struct Acc {
    count: u64,
    resp: Histogram,
    up: Histogram,
    kong: Histogram,
    resp_sum: f64,
    up_sum: f64,
    kong_sum: f64,
}

struct Row {
    cp: String,
    node: String,
    bucket: i64,
    series: Series,
}

fn dimension_value(dim: &str, row: &Row) -> Option<String> {
    let scoped = |id: &Option<String>| id.as_ref().map(|i| format!("{}:{i}", row.cp));
    match dim {
        "status_code" => Some(row.series.status.to_string()),
        "status_code_grouped" => Some(format!("{}XX", row.series.status / 100)),
        "gateway_service" => scoped(&row.series.service),
        "route" => scoped(&row.series.route),
        "consumer" => scoped(&row.series.consumer),
        "control_plane" => Some(row.cp.clone()),
        "data_plane_node" => Some(row.node.clone()),
        _ => None,
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    access: Option<axum::Extension<crate::authz::Access>>,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let body: Value =
        serde_json::from_slice(&body).map_err(|_| invalid("body", "request format is invalid"))?;
    let q = parse_query(&body)?;
    let (start, end) = (q.start, q.end);
    let rows = state
        .store
        .call(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT cp_id, node_id, bucket, series FROM analytics WHERE bucket >= ?1 AND \
                    bucket < ?2",
            )?;
            let rows = stmt
                .query_map(params![start - 9, end], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })?
                .filter_map(|r| r.ok())
                .filter_map(|(cp, node, bucket, s)| {
                    serde_json::from_str::<Series>(&s).ok().map(|series| Row {
                        cp,
                        node,
                        bucket,
                        series,
                    })
                })
                .collect::<Vec<_>>();
            Ok(rows)
        })
        .await?;
    let mut groups: BTreeMap<(i64, Vec<String>), Acc> = BTreeMap::new();
    let time_dim = q.dimensions.iter().any(|d| d == "time");
    // A principal sees analytics of the groups it may read, and no others.
    for row in rows
        .iter()
        .filter(|r| r.bucket + 10 > q.start)
        .filter(|r| access.as_ref().is_none_or(|a| a.can_read(&r.cp)))
    {
        let keep = q.filters.iter().all(|(field, include, values)| {
            let v = dimension_value(field, row);
            let hit = v.as_ref().is_some_and(|v| values.contains(&v.to_ascii_lowercase()));
            hit == *include
        });
        if !keep {
            continue;
        }
        let mut key = Vec::new();
        let mut skip = false;
        for d in q.dimensions.iter().filter(|d| *d != "time") {
            match dimension_value(d, row) {
                Some(v) => key.push(v),
                None => skip = true,
            }
        }
        if skip {
            continue;
        }
        let t = if time_dim {
            q.start + ((row.bucket - q.start).max(0) / q.granularity) * q.granularity
        } else {
            q.start
        };
        let acc = groups.entry((t, key)).or_default();
        acc.count += row.series.count;
        acc.resp.merge(&row.series.response_latency);
        acc.up.merge(&row.series.upstream_latency);
        acc.kong.merge(&row.series.kong_latency);
        acc.resp_sum += row.series.response_latency_sum;
        acc.up_sum += row.series.upstream_latency_sum;
        acc.kong_sum += row.series.kong_latency_sum;
    }
    let minutes = ((q.end - q.start) as f64 / 60.0).max(1.0 / 6.0);
    let bucket_minutes = if time_dim { q.granularity as f64 / 60.0 } else { minutes };
    let mut data = Vec::new();
    for ((t, key), acc) in &groups {
        let mut event = Map::new();
        for (d, v) in q.dimensions.iter().filter(|d| *d != "time").zip(key) {
            event.insert(d.clone(), Value::String(v.clone()));
        }
        for m in &q.metrics {
            let value = match m.as_str() {
                "request_count" => json!(acc.count),
                "request_per_minute" => json!(acc.count as f64 / bucket_minutes),
                other => {
                    let (hist, sum) = match other.split('_').next() {
                        Some("response") => (&acc.resp, acc.resp_sum),
                        Some("upstream") => (&acc.up, acc.up_sum),
                        _ => (&acc.kong, acc.kong_sum),
                    };
                    let n = hist.count();
                    let v = if other.ends_with("average") {
                        (n > 0).then(|| sum / n as f64)
                    } else {
                        let p: f64 =
                            other.rsplit('p').next().and_then(|p| p.parse().ok()).unwrap_or(50.0);
                        hist.quantile(p / 100.0)
                    };
                    v.map(|v| json!((v * 1000.0).round() / 1000.0)).unwrap_or(Value::Null)
                }
            };
            event.insert(m.clone(), value);
        }
        let ts = chrono::DateTime::from_timestamp(*t, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        data.push(json!({"timestamp": ts, "event": event}));
    }
    let truncated = data.len() > q.limit && !time_dim;
    if truncated {
        // Keep the largest groups, as Konnect does with `limit`.
        data.sort_by(|a, b| {
            b["event"][&q.metrics[0]]
                .as_f64()
                .partial_cmp(&a["event"][&q.metrics[0]].as_f64())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        data.truncate(q.limit);
    }
    let display = display_names(&state, &q.dimensions, &data).await?;
    let units: Map<String, Value> = q
        .metrics
        .iter()
        .map(|m| {
            (
                m.clone(),
                json!(if m.contains("latency") {
                    "ms"
                } else if m == "request_per_minute" {
                    "count/minute"
                } else {
                    "count"
                }),
            )
        })
        .collect();
    let fmt = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let granularity_ms = if time_dim { q.granularity * 1000 } else { (q.end - q.start) * 1000 };
    Ok(Json(json!({
        "data": data,
        "meta": {
            "start": fmt(q.start),
            "end": fmt(q.end),
            "start_ms": q.start * 1000,
            "end_ms": q.end * 1000,
            "granularity_ms": granularity_ms,
            "display": display,
            "metric_units": units,
            "truncated": truncated,
            "limit": q.limit,
            "query_id": uuid::Uuid::new_v4().to_string(),
            "metric_names": q.metrics,
        },
    })))
}

/// Names for the ids in the result: groups, services, routes, consumers, nodes; `deleted` when
/// gone.
async fn display_names(
    state: &AppState,
    dims: &[String],
    data: &[Value],
) -> Result<Value, Problem> {
    let mut wanted: HashMap<String, Vec<String>> = HashMap::new();
    for d in dims.iter().filter(|d| *d != "time") {
        let ids: Vec<String> =
            data.iter().filter_map(|e| e["event"][d].as_str().map(str::to_string)).collect();
        wanted.insert(d.clone(), ids);
    }
    let display = state
        .store
        .call(move |c| {
            let mut out = Map::new();
            for (dim, ids) in wanted {
                let mut entries = Map::new();
                for id in ids {
                    let name: Option<String> = match dim.as_str() {
                        "status_code" | "status_code_grouped" => Some(id.clone()),
                        "control_plane" => c
                            .query_row(
                                "SELECT name FROM control_planes WHERE id = ?1",
                                [&id],
                                |r| r.get(0),
                            )
                            .ok(),
                        "data_plane_node" => c
                            .query_row("SELECT hostname FROM nodes WHERE id = ?1", [&id], |r| {
                                r.get(0)
                            })
                            .ok(),
                        kind_dim => {
                            let (cp, eid) = id.split_once(':').unwrap_or(("", &id));
                            let (kind, field) = match kind_dim {
                                "gateway_service" => ("services", "name"),
                                "route" => ("routes", "name"),
                                _ => ("consumers", "username"),
                            };
                            c.query_row(
                                &format!(
                                    "SELECT coalesce(json_extract(body, '$.{field}'), id) FROM \
                                        entities WHERE cp_id = ?1 AND kind = ?2 AND id = ?3"
                                ),
                                params_from_iter([cp, kind, eid]),
                                |r| r.get(0),
                            )
                            .ok()
                        }
                    };
                    entries.insert(
                        id.clone(),
                        json!({
                            "id": id,
                            "name": name.clone().unwrap_or_else(|| id.clone()),
                            "deleted": name.is_none(),
                        }),
                    );
                }
                out.insert(dim, Value::Object(entries));
            }
            Ok(Value::Object(out))
        })
        .await?;
    Ok(display)
}
