//! The runtime's side of the link: join, apply pushes whose hash differs, ping with the hash,
//! send analytics until acknowledged, and reconnect after a random 5–10 s when the link drops.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hybrid::link::{self, Incoming, Link, NodeIdentity};
use hybrid::{ConfigError, Frame};
use rand::Rng;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::config::Snapshot;
use crate::{Options, Shared};

const EMPTY_HASH: &str = "00000000000000000000000000000000";
/// The link is dropped when nothing arrives for this long (Kong's PING_WAIT).
const PING_WAIT: Duration = Duration::from_secs(45);

pub async fn run(shared: Arc<Shared>) {
    let tls = match link::client_tls(&shared.options.cert_pem, &shared.options.key_pem) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            tracing::error!("cannot use the client certificate: {e}");
            return;
        }
    };
    let who = NodeIdentity {
        node_id: shared.options.node_id.clone(),
        hostname: shared.options.hostname.clone(),
        version: link::NODE_VERSION.into(),
    };
    // What this node runs, as a Kong data plane reports it: every plugin less those turned off.
    let plugins = shared.options.plugins();
    loop {
        match link::connect(&shared.options.control_plane, tls.clone(), &who, &plugins).await {
            Ok(ws) => {
                shared.connected.store(true, Ordering::SeqCst);
                let control_plane = &shared.options.control_plane;
                tracing::info!(%control_plane, "connected to the control plane");
                if let Err(e) = session(ws, &shared).await {
                    tracing::warn!("link lost: {e}");
                }
                shared.connected.store(false, Ordering::SeqCst);
            }
            Err(e) => tracing::warn!("cannot reach the control plane: {e}"),
        }
        let (lo, hi) = shared.options.reconnect_ms;
        let wait = rand::rng().random_range(lo..=hi.max(lo));
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
}

fn current_hash(shared: &Shared) -> String {
    let snap = shared.snapshot.load();
    if snap.hash.is_empty() {
        EMPTY_HASH.to_string()
    } else {
        snap.hash.clone()
    }
}

/// The first enabled plugin of a configuration that this node runs without (`--disable-plugin`),
/// said as the runtime says a plugin it does not have. The control plane leaves such plugins out
/// of what it sends this node; this is the last defence when one still arrives.
fn disabled_plugin_in(options: &Options, table: &Value) -> Option<String> {
    if options.disabled_plugins.is_empty() {
        return None;
    }
    let plugins = table.get("plugins")?.as_array()?;
    let p = plugins
        .iter()
        .filter(|p| p["enabled"].as_bool() != Some(false))
        .find(|p| p["name"].as_str().is_some_and(|name| options.is_disabled(name)))?;
    Some(format!(
        "plugin '{}' (id {}) is enabled but this runtime cannot run it (turned off with \
         --disable-plugin); disable or delete it, or run it on a data plane that has it",
        p["name"].as_str().unwrap_or_default(),
        p["id"].as_str().unwrap_or_default()
    ))
}

/// Builds and serves a pushed configuration; like Kong, one that cannot be loaded is refused
/// whole and the previous one kept.
fn apply(shared: &Shared, table: &Value, hash: &str) -> Result<(), ConfigError> {
    let built = match disabled_plugin_in(&shared.options, table) {
        Some(why) => Err(why),
        None => Snapshot::build(table, hash),
    };
    match built {
        Ok(snap) => {
            shared.snapshot.store(Arc::new(snap));
            shared.configured.store(true, Ordering::SeqCst);
            *shared.last_config_at.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(chrono::Utc::now().to_rfc3339());
            *shared.config_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
            tracing::info!(hash = %hash, "configuration applied");
            Ok(())
        }
        Err(e) => {
            tracing::error!("configuration refused, keeping the previous one: {e}");
            Err(ConfigError {
                name: "configuration_refused".into(),
                source: "runtime".into(),
                message: e,
                config_hash: hash.to_string(),
            })
        }
    }
}

/// Tells the control plane why a configuration was refused, so the node shows it; the status
/// endpoint shows it too.
async fn report(ws: &mut Link, shared: &Shared, refused: ConfigError) -> Result<(), String> {
    let frame =
        serde_json::to_vec(&Frame::Error { error: refused.clone() }).map_err(|e| e.to_string())?;
    *shared.config_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(refused);
    ws.send(Message::Binary(frame.into())).await.map_err(|e| e.to_string())
}

async fn session(mut ws: Link, shared: &Shared) -> Result<(), String> {
    let mut ping = tokio::time::interval(Duration::from_millis(shared.options.ping_interval_ms));
    let mut flush = tokio::time::interval(Duration::from_millis(500));
    let mut sent: HashSet<String> = HashSet::new();
    loop {
        tokio::select! {
            msg = tokio::time::timeout(PING_WAIT, ws.next()) => {
                let msg = msg.map_err(|_| "nothing from the control plane for 45 s".to_string())?;
                on_message(&mut ws, shared, msg).await?;
            }
            _ = ping.tick() => send_ping(&mut ws, shared).await?,
            _ = flush.tick() => flush_analytics(&mut ws, shared, &mut sent).await?,
        }
    }
}

/// One message from the control plane: a configuration to apply, an acknowledgement, or the end.
async fn on_message(
    ws: &mut Link,
    shared: &Shared,
    msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Result<(), String> {
    match msg {
        Some(Ok(Message::Binary(b))) => match link::decode(&b) {
            Incoming::Reconfigure(r) => {
                if r.config_hash != shared.snapshot.load().hash {
                    if let Err(refused) = apply(shared, &r.config_table, &r.config_hash) {
                        report(ws, shared, refused).await?;
                    }
                }
                send_ping(ws, shared).await
            }
            Incoming::Unreadable(why) => {
                tracing::error!("configuration refused, keeping the previous one: {why}");
                let refused = ConfigError {
                    name: "configuration_unreadable".into(),
                    source: "reconfigure".into(),
                    message: why,
                    config_hash: String::new(),
                };
                report(ws, shared, refused).await
            }
            Incoming::Frame(Frame::AnalyticsAck { ids }) => {
                shared.recorder.ack(&ids);
                Ok(())
            }
            _ => Ok(()),
        },
        Some(Ok(Message::Close(_))) | None => Err("closed by the control plane".into()),
        Some(Err(e)) => Err(e.to_string()),
        Some(Ok(_)) => Ok(()),
    }
}

/// A ping carries the hash of the configuration this runtime serves.
async fn send_ping(ws: &mut Link, shared: &Shared) -> Result<(), String> {
    let hash = current_hash(shared).into_bytes();
    ws.send(Message::Ping(hash.into())).await.map_err(|e| e.to_string())
}

/// Sends the analytics reports this session has not sent yet (`sent` holds their ids).
async fn flush_analytics(
    ws: &mut Link,
    shared: &Shared,
    sent: &mut HashSet<String>,
) -> Result<(), String> {
    shared.recorder.tick();
    let batch: Vec<_> =
        shared.recorder.pending(120).into_iter().filter(|r| !sent.contains(&r.id)).collect();
    if batch.is_empty() {
        return Ok(());
    }
    sent.extend(batch.iter().map(|r| r.id.clone()));
    let frame =
        serde_json::to_vec(&Frame::Analytics { reports: batch }).map_err(|e| e.to_string())?;
    ws.send(Message::Binary(frame.into())).await.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options(disabled: &[&str]) -> Options {
        Options {
            control_plane: String::new(),
            cert_pem: String::new(),
            key_pem: String::new(),
            proxy_listen: "127.0.0.1:0".parse().unwrap(),
            status_listen: None,
            node_id: String::new(),
            hostname: String::new(),
            ping_interval_ms: 1,
            reconnect_ms: (1, 1),
            limits: crate::Limits::default(),
            disabled_plugins: disabled.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn a_disabled_plugin_is_not_reported_and_a_configuration_enabling_it_is_refused() {
        let table = |name: &str, enabled: bool| json!({"plugins": [{"id": "p1", "name": name, "enabled": enabled, "config": {}}]});
        let cases: [(&[&str], Value, Option<&str>); 5] = [
            (&[], table("rate-limiting", true), None),
            (&["rate-limiting"], table("rate-limiting", true), Some("'rate-limiting' (id p1)")),
            (&["rate-limiting"], table("rate-limiting", false), None),
            (&["rate-limiting"], table("key-auth", true), None),
            (&["rate-limiting"], json!({}), None),
        ];
        for (disabled, table, refused) in cases {
            let why = disabled_plugin_in(&options(disabled), &table);
            match refused {
                Some(part) => assert!(why.as_deref().is_some_and(|w| w.contains(part)), "{why:?}"),
                None => assert_eq!(why, None, "{disabled:?} {table}"),
            }
        }
        let reported = options(&["rate-limiting"]).plugins();
        assert!(!reported.contains(&"rate-limiting") && reported.contains(&"key-auth"));
        assert_eq!(options(&[]).plugins(), crate::plugins::NAMES);
    }
}
