//! The status listener: `GET /status` (config hash, link state, last config time, counts),
//! `/status/ready`, and `/metrics` (Kong's prometheus exposition).

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use serde_json::json;

use crate::Shared;

/// Kong's prometheus exposition of what the prometheus plugin recorded.
fn metrics(shared: &Shared, configured: bool) -> Response<Full<Bytes>> {
    let node = crate::plugins::prometheus::NodeInfo {
        node_id: &shared.options.node_id,
        version: hybrid::link::NODE_VERSION,
        connected: shared.connected.load(Ordering::SeqCst),
        configured,
    };
    let text = shared.plugin_state.metrics.render(&node);
    Response::builder()
        .status(200)
        .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .body(Full::new(Bytes::from(text)))
        .unwrap()
}

pub async fn handle(
    req: Request<hyper::body::Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let configured = shared.configured.load(Ordering::SeqCst);
    if req.uri().path() == "/metrics" {
        return Ok(metrics(&shared, configured));
    }
    let (requests, queued, dropped) = shared.recorder.stats();
    let (status, body) = match req.uri().path() {
        "/status" => (
            200,
            json!({
                "node_id": shared.options.node_id,
                "hostname": shared.options.hostname,
                "version": hybrid::link::NODE_VERSION,
                "configured": configured,
                "config_hash": shared.snapshot.load().hash,
                "connected": shared.connected.load(Ordering::SeqCst),
                "last_config_at": *shared.last_config_at.lock().unwrap_or_else(|p| p.into_inner()),
                "config_error": *shared.config_error.lock().unwrap_or_else(|p| p.into_inner()),
                "requests_total": requests,
                "analytics": {"reports_waiting": queued, "reports_dropped": dropped},
            }),
        ),
        "/status/ready" if configured => (200, json!({"message": "ready"})),
        "/status/ready" => (503, json!({"message": "no configuration received yet"})),
        _ => (404, json!({"message": "Not found"})),
    };
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap())
}
