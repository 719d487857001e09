//! A group's dashboard: requests, error rate and p99 latency with their change against the
//! previous period, traffic by status class and error rate over time, top services; charts drawn
//! with plotters as SVG with an embedded font. Figures come from `POST /v2/metrics`.

use std::collections::BTreeMap;

use konnect::{KonnectClient, KonnectError};
use plotters::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use crate::vocabulary::TimeFrame;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MetricCard {
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// Percent change against the previous period of the same length.
    pub change_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TrafficPoint {
    pub timestamp: String,
    /// 1XX–3XX answers.
    pub success: f64,
    pub client_errors: f64,
    pub server_errors: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TopService {
    pub id: String,
    pub name: String,
    pub requests: f64,
    pub error_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Dashboard {
    pub group_id: String,
    pub time_frame: TimeFrame,
    pub requests: MetricCard,
    /// (4XX + 5XX) / all, in percent.
    pub error_rate: MetricCard,
    pub p99_latency_ms: MetricCard,
    pub traffic: Vec<TrafficPoint>,
    pub top_services: Vec<TopService>,
    pub traffic_svg: String,
    pub error_rate_svg: String,
    pub fetched_at: String,
    pub offline_reason: Option<String>,
}

/// Which traffic a dashboard shows: a group's, or one runtime instance's of it.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub group: &'a str,
    pub node: Option<&'a str>,
}

fn scoped(scope: Scope) -> Value {
    let mut filters =
        vec![json!({"field": "control_plane", "operator": "in", "value": [scope.group]})];
    if let Some(node) = scope.node {
        filters.push(json!({"field": "data_plane_node", "operator": "in", "value": [node]}));
    }
    Value::Array(filters)
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Sums of request_count per status class in a metrics answer.
fn by_class(answer: &Value) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for row in answer["data"].as_array().into_iter().flatten() {
        let class = row["event"]["status_code_grouped"].as_str().unwrap_or("").to_string();
        *out.entry(class).or_insert(0.0) += row["event"]["request_count"].as_f64().unwrap_or(0.0);
    }
    out
}

fn error_rate(classes: &BTreeMap<String, f64>) -> Option<f64> {
    let total: f64 = classes.values().sum();
    (total > 0.0).then(|| {
        (classes.get("4XX").unwrap_or(&0.0) + classes.get("5XX").unwrap_or(&0.0)) / total * 100.0
    })
}

fn card(value: Option<f64>, previous: Option<f64>) -> MetricCard {
    let change_pct = match (value, previous) {
        (Some(v), Some(p)) if p > 0.0 => Some((v - p) / p * 100.0),
        _ => None,
    };
    MetricCard { value, previous, change_pct }
}

/// Runs the dashboard's queries for `scope` over the relative `time_frame`.
pub async fn fetch(
    client: &KonnectClient,
    scope: Scope<'_>,
    time_frame: TimeFrame,
) -> Result<Dashboard, KonnectError> {
    let secs = time_frame.secs();
    let now = chrono::Utc::now().timestamp();
    let relative = json!({"type": "relative", "time_range": time_frame.as_str()});
    // Konnect answers at most 32 days back, so a 30-day frame has no previous period to compare.
    let previous = (secs * 2 <= 32 * 86400)
        .then(|| json!({"type": "absolute", "start": iso(now - 2 * secs), "end": iso(now - secs)}));
    let classes_q = |tr: &Value| {
        json!({
            "metrics": ["request_count"],
            "dimensions": ["status_code_grouped"],
            "filters": scoped(scope),
            "time_range": tr,
        })
    };
    let p99_q = |tr: &Value| {
        json!({
            "metrics": ["response_latency_p99"],
            "filters": scoped(scope),
            "time_range": tr,
        })
    };

    let current = by_class(&client.query_metrics(&classes_q(&relative)).await?);
    let p99_now = client.query_metrics(&p99_q(&relative)).await?["data"][0]["event"]
        ["response_latency_p99"]
        .as_f64();
    let (prev_classes, p99_prev) = match &previous {
        Some(tr) => (
            Some(by_class(&client.query_metrics(&classes_q(tr)).await?)),
            client.query_metrics(&p99_q(tr)).await?["data"][0]["event"]["response_latency_p99"]
                .as_f64(),
        ),
        None => (None, None),
    };
    // `+ 0.0`: an empty f64 sum is -0.0 in Rust, which would show as "-0".
    let total = |c: &BTreeMap<String, f64>| c.values().sum::<f64>() + 0.0;

    let series = client
        .query_metrics(&json!({
            "metrics": ["request_count"],
            "dimensions": ["time", "status_code_grouped"],
            "filters": scoped(scope),
            "time_range": relative,
        }))
        .await?;
    let mut points: BTreeMap<String, TrafficPoint> = BTreeMap::new();
    for row in series["data"].as_array().into_iter().flatten() {
        let ts = row["timestamp"].as_str().unwrap_or("").to_string();
        let p = points.entry(ts.clone()).or_insert(TrafficPoint {
            timestamp: ts,
            success: 0.0,
            client_errors: 0.0,
            server_errors: 0.0,
        });
        let n = row["event"]["request_count"].as_f64().unwrap_or(0.0);
        match row["event"]["status_code_grouped"].as_str() {
            Some("4XX") => p.client_errors += n,
            Some("5XX") => p.server_errors += n,
            _ => p.success += n,
        }
    }
    let traffic: Vec<TrafficPoint> = points.into_values().collect();

    let by_service = client
        .query_metrics(&json!({
            "metrics": ["request_count"],
            "dimensions": ["gateway_service", "status_code_grouped"],
            "filters": scoped(scope),
            "time_range": relative,
            "limit": 1000,
        }))
        .await?;
    let mut services: BTreeMap<String, (String, f64, f64)> = BTreeMap::new();
    for row in by_service["data"].as_array().into_iter().flatten() {
        let Some(id) = row["event"]["gateway_service"].as_str() else { continue };
        let name = by_service["meta"]["display"]["gateway_service"][id]["name"]
            .as_str()
            .unwrap_or(id)
            .to_string();
        let n = row["event"]["request_count"].as_f64().unwrap_or(0.0);
        let e = services.entry(id.to_string()).or_insert((name, 0.0, 0.0));
        e.1 += n;
        if matches!(row["event"]["status_code_grouped"].as_str(), Some("4XX") | Some("5XX")) {
            e.2 += n;
        }
    }
    let mut top_services: Vec<TopService> = services
        .into_iter()
        .map(|(id, (name, requests, errors))| TopService {
            id: id.split(':').next_back().unwrap_or(&id).to_string(),
            name,
            requests,
            error_rate: if requests > 0.0 { errors / requests * 100.0 } else { 0.0 },
        })
        .collect();
    top_services
        .sort_by(|a, b| b.requests.partial_cmp(&a.requests).unwrap_or(std::cmp::Ordering::Equal));
    top_services.truncate(5);

    Ok(Dashboard {
        group_id: scope.group.to_string(),
        time_frame,
        requests: card(Some(total(&current)), prev_classes.as_ref().map(total)),
        error_rate: card(error_rate(&current), prev_classes.as_ref().and_then(error_rate)),
        p99_latency_ms: card(p99_now, p99_prev),
        traffic_svg: traffic_chart(&traffic, time_frame, &iso(now)),
        error_rate_svg: error_rate_chart(&traffic, time_frame, &iso(now)),
        traffic,
        top_services,
        fetched_at: iso(now),
        offline_reason: None,
    })
}

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

const W: u32 = 560;
const H: u32 = 220;

fn times(points: &[TrafficPoint]) -> Vec<i64> {
    points
        .iter()
        .map(|p| {
            chrono::DateTime::parse_from_rfc3339(&p.timestamp).map(|d| d.timestamp()).unwrap_or(0)
        })
        .collect()
}

fn hhmm(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().format("%H:%M").to_string()
}

/// A line chart before it is drawn: time buckets, named coloured series, the y unit.
#[derive(Debug, Clone)]
pub struct ChartSpec {
    pub xs: Vec<i64>,
    pub series: Vec<(String, RGBColor, Vec<f64>)>,
    pub unit: &'static str,
    /// The time axis from..to (unix seconds): the whole time frame, so a 15-minute frame with
    /// traffic only in its last minute still spans 15 minutes. `None`: the buckets' own span.
    pub span: Option<(i64, i64)>,
}

impl ChartSpec {
    /// The same chart over the time frame `time_frame` that ended at `end` (RFC 3339).
    pub fn over(mut self, time_frame: TimeFrame, end: &str) -> ChartSpec {
        let end = chrono::DateTime::parse_from_rfc3339(end)
            .map(|d| d.timestamp())
            .unwrap_or_else(|_| chrono::Utc::now().timestamp());
        self.span = Some((end - time_frame.secs(), end));
        self
    }
}

/// Lines of successful, 4XX and 5XX requests per time bucket.
pub fn traffic_spec(points: &[TrafficPoint]) -> ChartSpec {
    ChartSpec {
        xs: times(points),
        series: vec![
            ("1XX–3XX".into(), RGBColor(7, 168, 141), points.iter().map(|p| p.success).collect()),
            (
                "4XX".into(),
                RGBColor(242, 153, 30),
                points.iter().map(|p| p.client_errors).collect(),
            ),
            ("5XX".into(), RGBColor(214, 54, 54), points.iter().map(|p| p.server_errors).collect()),
        ],
        unit: "requests",
        span: None,
    }
}

fn bucket_error_rate(p: &TrafficPoint) -> f64 {
    let all = p.success + p.client_errors + p.server_errors;
    if all > 0.0 {
        (p.client_errors + p.server_errors) / all * 100.0
    } else {
        0.0
    }
}

/// (4XX + 5XX) / all per time bucket, in percent.
pub fn error_rate_spec(points: &[TrafficPoint]) -> ChartSpec {
    ChartSpec {
        xs: times(points),
        series: vec![(
            "error rate %".into(),
            RGBColor(214, 54, 54),
            points.iter().map(bucket_error_rate).collect(),
        )],
        unit: "%",
        span: None,
    }
}

pub fn traffic_chart(points: &[TrafficPoint], time_frame: TimeFrame, end: &str) -> String {
    render_svg(&traffic_spec(points).over(time_frame, end))
}

pub fn error_rate_chart(points: &[TrafficPoint], time_frame: TimeFrame, end: &str) -> String {
    render_svg(&error_rate_spec(points).over(time_frame, end))
}

/// Two groups' series of one measure on the same axes: every bucket of either group on one
/// time axis, a missing bucket counted as zero.
pub fn compare_spec(
    left: (&str, &[TrafficPoint]),
    right: (&str, &[TrafficPoint]),
    measure: &str,
) -> ChartSpec {
    let value = |p: &TrafficPoint| {
        if measure == "error_rate" {
            bucket_error_rate(p)
        } else {
            p.success + p.client_errors + p.server_errors
        }
    };
    let mut xs: Vec<i64> = times(left.1).into_iter().chain(times(right.1)).collect();
    xs.sort_unstable();
    xs.dedup();
    let line = |pts: &[TrafficPoint]| -> Vec<f64> {
        let by: std::collections::HashMap<i64, f64> =
            times(pts).into_iter().zip(pts.iter().map(value)).collect();
        xs.iter().map(|x| by.get(x).copied().unwrap_or(0.0)).collect()
    };
    let (l, r) = (line(left.1), line(right.1));
    ChartSpec {
        series: vec![
            (left.0.to_string(), RGBColor(23, 115, 235), l),
            (right.0.to_string(), RGBColor(155, 81, 224), r),
        ],
        unit: if measure == "error_rate" { "%" } else { "requests" },
        xs,
        span: None,
    }
}

/// Draws `spec`; `k` scales every length (1 for the UI's SVG, 2 for a sharp PNG).
fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    spec: &ChartSpec,
    k: u32,
) {
    let _ = root.fill(&WHITE);
    let xs = &spec.xs;
    let (x0, x1) = match (spec.span, xs.first(), xs.last()) {
        (Some((a, b)), first, last) if b > a => {
            (first.map_or(a, |f| a.min(*f)), last.map_or(b, |l| b.max(*l)))
        }
        (_, Some(a), Some(b)) if b > a => (*a, *b),
        (_, Some(a), _) => (*a - 60, *a + 60),
        _ => {
            let now = chrono::Utc::now().timestamp();
            (now - 3600, now)
        }
    };
    let ymax =
        spec.series.iter().flat_map(|(_, _, v)| v.iter().copied()).fold(0.0_f64, f64::max).max(1.0)
            * 1.1;
    // Small ranges get a decimal, so ticks never read "0, 0, 1, 1".
    let decimals = if ymax < 10.0 { 1 } else { 0 };
    // The time axis counts minutes, hours or days (by the span), so plotters' round ticks land
    // on round times: 10:00, 10:10, … rather than every 1,000 seconds.
    let step: i64 = match x1 - x0 {
        s if s <= 3 * 3600 => 60,
        s if s <= 3 * 86400 => 3600,
        _ => 86400,
    };
    let at = |t: i64| t as f64 / step as f64;
    let label = |v: &f64| {
        let t = (v * step as f64).round() as i64;
        if step == 86400 {
            chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().format("%b %d").to_string()
        } else {
            hhmm(t)
        }
    };
    let Ok(mut chart) = ChartBuilder::on(&root)
        .margin(8 * k)
        .x_label_area_size(24 * k)
        .y_label_area_size(44 * k)
        .build_cartesian_2d(at(x0)..at(x1), 0.0..ymax)
    else {
        return;
    };
    let unit = spec.unit;
    let _ = chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 238, 242))
        .bold_line_style(RGBColor(224, 228, 234))
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&label)
        .y_label_formatter(&|v| {
            if unit == "%" {
                format!("{v:.decimals$}%")
            } else {
                format!("{v:.decimals$}")
            }
        })
        .label_style(("sans-serif", 13 * k).into_font().color(&RGBColor(82, 89, 110)))
        .draw();
    for (name, color, values) in &spec.series {
        let color = *color;
        if let Ok(drawn) = chart.draw_series(LineSeries::new(
            xs.iter().map(|x| at(*x)).zip(values.iter().copied()),
            color.stroke_width(2 * k),
        )) {
            drawn.label(name.as_str()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14 * k as i32, y)], color.stroke_width(2 * k))
            });
        }
        // Each bucket is marked too, so a frame with one bucket so far still shows its value.
        let _ = chart.draw_series(
            xs.iter()
                .map(|x| at(*x))
                .zip(values.iter().copied())
                .map(|p| Circle::new(p, 3 * k, color.filled())),
        );
    }
    let _ = chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(224, 228, 234))
        .label_font(("sans-serif", 13 * k))
        .draw();
    let _ = root.present();
}

/// The chart as SVG for the UI.
pub fn render_svg(spec: &ChartSpec) -> String {
    register_font();
    let mut svg = String::new();
    draw(SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area(), spec, 1);
    if svg.is_empty() {
        svg_empty()
    } else {
        svg
    }
}

/// The chart as a PNG file (twice the on-screen size, for sharp exports); text is drawn with
/// the embedded font, so no system fonts are needed.
pub fn render_png(spec: &ChartSpec) -> Result<Vec<u8>, String> {
    register_font();
    let (w, h) = (W * 2, H * 2);
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        draw(BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area(), spec, 2);
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn svg_empty() -> String {
    format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\"></svg>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_render_as_svg_with_their_labels() {
        let pts = vec![
            TrafficPoint {
                timestamp: "2026-11-22T10:00:00Z".into(),
                success: 90.0,
                client_errors: 8.0,
                server_errors: 2.0,
            },
            TrafficPoint {
                timestamp: "2026-11-22T10:05:00Z".into(),
                success: 120.0,
                client_errors: 4.0,
                server_errors: 0.0,
            },
        ];
        let svg = traffic_chart(&pts, TimeFrame::Hour1, "2026-11-22T10:30:00Z");
        assert!(
            svg.starts_with("<svg") && svg.contains("polyline") || svg.contains("<path"),
            "{}",
            &svg[..200.min(svg.len())]
        );
        assert!(svg.contains("4XX") && svg.contains("10:00"));
        let rate = error_rate_chart(&pts, TimeFrame::Hour1, "2026-11-22T10:30:00Z");
        // The axis spans the whole hour, though traffic came in its first minutes.
        let ticks: Vec<&str> = svg
            .match_indices(':')
            .filter_map(|(i, _)| svg.get(i - 2..i + 3))
            .filter(|t| t.chars().all(|c| c.is_ascii_digit() || c == ':'))
            .collect();
        assert!(
            ticks.len() >= 3 && ticks.iter().all(|t| t.ends_with('0')),
            "round times: {ticks:?}"
        );
        assert!(ticks[0] < "10:00", "the axis spans the whole hour before the traffic: {ticks:?}");
        assert!(rate.contains("error rate %"));
        // The PNG: a real image of twice the size, with drawn (non-white) pixels.
        let png = render_png(&traffic_spec(&pts)).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (W * 2, H * 2));
        assert!(buf.iter().filter(|b| **b < 200).count() > 1000, "the chart has lines and text");
    }

    #[test]
    fn cards_compare_with_the_previous_period() {
        let c = card(Some(150.0), Some(100.0));
        assert_eq!(c.change_pct, Some(50.0));
        assert_eq!(card(Some(1.0), Some(0.0)).change_pct, None);
        let mut classes = BTreeMap::new();
        classes.insert("2XX".to_string(), 90.0);
        classes.insert("4XX".to_string(), 6.0);
        classes.insert("5XX".to_string(), 4.0);
        assert_eq!(error_rate(&classes), Some(10.0));
    }
}
