//! The data plane link, shaped like Kong's hybrid mode v1: a TLS listener that requires a client
//! certificate pinned to a group, a WebSocket at `/v1/outlet`, `basic_info` from the node,
//! gzip `reconfigure` pushes from here, pings carrying the node's config hash.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rusqlite::{params, OptionalExtension};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::server::AppState;
use crate::{compat, export};

/// A node that sends nothing for this long is dropped (Kong's PING_WAIT).
pub const PING_WAIT: Duration = Duration::from_secs(45);
/// Bursts of writes within this window go out as one push.
const COALESCE: Duration = Duration::from_millis(50);

/// Nodes connected now, by node id → group id: a group's active instances.
#[derive(Clone, Default)]
pub struct Connected(Arc<Mutex<HashMap<String, String>>>);

impl Connected {
    pub fn count(&self, cp: &str) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).values().filter(|c| *c == cp).count()
    }
    pub fn is_connected(&self, node: &str) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).contains_key(node)
    }
}

/// What the control plane knows of each node's compatibility with its group's configuration, by
/// node id, kept in memory: the plugins it lacks (worked out at each push from what it said in
/// `basic_info`) and the last configuration it refused. A node not pushed to since this control
/// plane started is of unknown compatibility until it connects again.
#[derive(Clone, Default)]
pub struct NodeErrors(Arc<Mutex<Known>>);

#[derive(Default)]
struct Known {
    /// The issues of the last push to each node: empty when it runs the whole configuration.
    fitted: HashMap<String, Fit>,
    refused: HashMap<String, RefusedConfig>,
}

struct Fit {
    group: String,
    issues: Vec<konnect::CompatibilityIssue>,
}

/// The last configuration a node refused, until it applies another: the hash it was running then
/// tells when it has moved on. A node that reconnects is sent the configuration again and reports
/// again if it still cannot load it.
#[derive(Clone)]
struct RefusedConfig {
    group: String,
    running_hash: String,
    error: hybrid::ConfigError,
}

impl NodeErrors {
    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, group: &str, node: &str, running_hash: &str, error: hybrid::ConfigError) {
        let refused = RefusedConfig {
            group: group.to_string(),
            running_hash: running_hash.to_string(),
            error,
        };
        self.known().refused.insert(node.to_string(), refused);
    }

    /// What the node was last sent lacks these plugins (none: the whole configuration).
    fn fitted(&self, group: &str, node: &str, missing: &[compat::MissingPlugin]) {
        let fit =
            Fit { group: group.to_string(), issues: missing.iter().map(compat::issue).collect() };
        self.known().fitted.insert(node.to_string(), fit);
    }

    /// Forgets a node's error once it runs a configuration other than the one it ran when it
    /// refused.
    fn on_ping(&self, node: &str, hash: &str) {
        let mut known = self.known();
        if known.refused.get(node).is_some_and(|r| r.running_hash != hash) {
            known.refused.remove(node);
        }
    }

    pub fn forget(&self, node: &str) {
        let mut known = self.known();
        known.refused.remove(node);
        known.fitted.remove(node);
    }

    /// The node's `compatibility_status` against its group's configuration: Incompatible with the
    /// configuration it refused and the plugins it lacks, fully compatible without either, unknown
    /// when it has not been pushed to since this control plane started.
    pub fn status(&self, group: &str, node: &str) -> Option<konnect::CompatibilityStatus> {
        let known = self.known();
        let fit = known.fitted.get(node).filter(|f| f.group == group);
        let refused = known.refused.get(node).filter(|r| r.group == group);
        if fit.is_none() && refused.is_none() {
            return Some(konnect::CompatibilityStatus {
                state: "COMPATIBILITY_STATE_UNKNOWN".into(),
                issues: Vec::new(),
            });
        }
        let refused = refused.map(|r| konnect::CompatibilityIssue {
            code: r.error.name.clone(),
            severity: "error".into(),
            description: r.error.message.clone(),
            resolution: Some(
                "Change or delete the entity named in the description; the node keeps serving its \
                    last good configuration until then."
                    .into(),
            ),
            affected_resources: Vec::new(),
            documentation_url: None,
        });
        let issues: Vec<_> =
            refused.into_iter().chain(fit.into_iter().flat_map(|f| f.issues.clone())).collect();
        let state = if issues.is_empty() {
            "COMPATIBILITY_STATE_FULLY_COMPATIBLE"
        } else {
            "COMPATIBILITY_STATE_INCOMPATIBLE"
        };
        Some(konnect::CompatibilityStatus { state: state.into(), issues })
    }
}

/// SHA-256 of a certificate's DER: how a pinned certificate is recognized.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Parses the first certificate of a PEM string.
pub fn parse_cert_pem(pem: &str) -> Option<CertificateDer<'static>> {
    CertificateDer::from_pem_slice(pem.as_bytes()).ok()
}

/// Accepts any client certificate at the TLS layer (the handshake signature is still verified);
/// whether it is pinned to a group is decided right after, against `dp-client-certificates`.
#[derive(Debug)]
struct PinnedLater(Arc<CryptoProvider>);

impl ClientCertVerifier for PinnedLater {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        _end: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Where the data plane link's certificate and private key live: `keys/` in the data dir, a
/// directory of their own kept 0700 (the key itself is 0600).
pub fn identity_paths(data_dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = data_dir.join("keys");
    (dir.join("cluster.crt"), dir.join("cluster.key"))
}

/// Why the stored certificate and key cannot serve.
enum Unusable {
    /// Missing, empty, garbled or not a pair: made anew.
    Replaceable(String),
    /// There but unreadable (permissions, a directory in its place): the operator decides.
    Unreadable(std::path::PathBuf, std::io::Error),
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn read_identity(cert_path: &Path, key_path: &Path) -> Result<Identity, Unusable> {
    let read = |p: &Path| match std::fs::read(p) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Unusable::Replaceable(format!("{} is missing", p.display())))
        }
        Err(e) => Err(Unusable::Unreadable(p.to_path_buf(), e)),
    };
    let (cert, key) = (read(cert_path)?, read(key_path)?);
    let cert = CertificateDer::from_pem_slice(&cert).map_err(|e| {
        Unusable::Replaceable(format!("{} holds no certificate ({e})", cert_path.display()))
    })?;
    let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| {
        Unusable::Replaceable(format!("{} holds no private key ({e})", key_path.display()))
    })?;
    Ok((vec![cert], key))
}

/// A new self-signed pair, written key first: 0600 in the 0700 `keys/`, each file atomically.
fn make_identity(cert_path: &Path, key_path: &Path) -> std::io::Result<Identity> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(std::io::Error::other)?;
    hybrid::keyfile::write_private_key(key_path, made.key_pair.serialize_pem().as_bytes())
        .map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot write {}: {e}", key_path.display()))
        })?;
    hybrid::keyfile::write_atomically(
        cert_path,
        made.cert.pem().as_bytes(),
        hybrid::keyfile::PUBLIC_FILE_MODE,
    )
    .map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot write {}: {e}", cert_path.display()))
    })?;
    read_identity(cert_path, key_path).map_err(|_| {
        std::io::Error::other(format!(
            "{} and {} were written but do not read back",
            cert_path.display(),
            key_path.display()
        ))
    })
}

/// Before `keys/` the pair sat in the data dir itself, the key readable by anyone: it is moved
/// in (keeping the identity), and nothing is left behind at the old place.
fn move_legacy_identity(data_dir: &Path, cert_path: &Path, key_path: &Path) {
    let (old_cert, old_key) = (data_dir.join("cluster.crt"), data_dir.join("cluster.key"));
    if !old_key.exists() && !old_cert.exists() {
        return;
    }
    if !key_path.exists() && !cert_path.exists() {
        if let Err(e) =
            std::fs::rename(&old_key, key_path).and_then(|_| std::fs::rename(&old_cert, cert_path))
        {
            tracing::warn!(
                "could not move the data plane link's certificate and key into {}: {e}",
                key_path.parent().unwrap_or(data_dir).display()
            );
        }
    }
    for old in [old_key, old_cert] {
        if old.exists() {
            let _ = std::fs::remove_file(&old);
        }
    }
}

/// The listener's own certificate and key: made on first start and kept under `keys/`.
///
/// Nothing depends on this pair staying the same: runtimes are known by their own pinned
/// certificates and do not verify the server's (`hybrid::link::AcceptServer`). So a pair that is
/// missing, empty, garbled or mismatched is made anew, with a warning when one was there; only a
/// file that exists but cannot be read stops the start, with what to do.
fn server_identity(data_dir: &Path, fresh: bool) -> std::io::Result<Identity> {
    let (cert_path, key_path) = identity_paths(data_dir);
    let dir = key_path.parent().unwrap_or(data_dir);
    hybrid::keyfile::ensure_private_dir(dir).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot make the key directory {} private (0700): {e}", dir.display()),
        )
    })?;
    move_legacy_identity(data_dir, &cert_path, &key_path);
    // A temp file a crash left behind mid-write holds part of a key: it goes.
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".cluster.") && name.contains(".tmp-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    if fresh {
        return make_identity(&cert_path, &key_path);
    }
    match read_identity(&cert_path, &key_path) {
        Ok(pair) => {
            // A key written by an older version or by hand is tightened, not left as it was.
            hybrid::keyfile::set_mode(&key_path, hybrid::keyfile::PRIVATE_FILE_MODE)?;
            Ok(pair)
        }
        Err(Unusable::Replaceable(why)) => {
            if key_path.exists() || cert_path.exists() {
                tracing::warn!(
                    "{why}: making a new certificate and key for the data plane link (runtimes do \
                        not pin it)"
                );
            }
            make_identity(&cert_path, &key_path)
        }
        Err(Unusable::Unreadable(path, e)) => Err(std::io::Error::new(
            e.kind(),
            format!(
                "cannot read {}: {e}. Give the control plane's user read access to it, or remove \
                    it (and {}) to have a new pair made at the next start.",
                path.display(),
                if path == key_path { cert_path.display() } else { key_path.display() }
            ),
        )),
    }
}

pub fn tls_acceptor(data_dir: &Path) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let build = |(certs, key): Identity| {
        rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(std::io::Error::other)?
            .with_client_cert_verifier(Arc::new(PinnedLater(provider.clone())))
            .with_single_cert(certs, key)
            .map_err(std::io::Error::other)
    };
    let config = match build(server_identity(data_dir, false)?) {
        Ok(config) => config,
        // A certificate and a key that are each readable but not a pair: made anew, as above.
        Err(e) => {
            tracing::warn!(
                "the data plane link's certificate and key do not go together ({e}): making a new \
                    pair"
            );
            build(server_identity(data_dir, true)?)?
        }
    };
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

pub async fn serve(listener: TcpListener, acceptor: tokio_rustls::TlsAcceptor, state: AppState) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of descriptors: wait for some to be freed rather than retry at once.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (acceptor, state) = (acceptor.clone(), state.clone());
        tokio::spawn(async move {
            if let Err(reason) = handle(tcp, peer, acceptor, state).await {
                tracing::debug!(%peer, "data plane link closed: {reason}");
            }
        });
    }
}

struct Hello {
    node_id: String,
    hostname: String,
    version: String,
    /// The plugins the node runs, from its `basic_info`.
    plugins: BTreeSet<String>,
}

fn parse_hello(uri: &str) -> Result<Hello, &'static str> {
    let url = url_lite(uri);
    if url.0 != "/v1/outlet" {
        return Err("unknown path");
    }
    let get = |k: &str| url.1.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let node_id = get("node_id").ok_or("node_id is required")?;
    let version = get("node_version").ok_or("node_version is required")?;
    if uuid::Uuid::parse_str(&node_id).is_err() {
        return Err("node_id must be a UUID");
    }
    let hostname = get("node_hostname").unwrap_or_default();
    Ok(Hello { node_id, hostname, version, plugins: BTreeSet::new() })
}

/// Path and query pairs of a request target (values are not escaped by Kong's data planes).
fn url_lite(uri: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (path.to_string(), pairs)
}

async fn handle(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    state: AppState,
) -> Result<(), String> {
    let tls = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
        .await
        .map_err(|_| "TLS handshake timed out")?
        .map_err(|e| e.to_string())?;
    let cert = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| fingerprint(c.as_ref()))
        .ok_or("no client certificate")?;
    // Like Kong's `ngx.exit(444)`: an unknown certificate gets no answer at all.
    let cp = state
        .store
        .call(move |c| {
            let mut stmt = c.prepare_cached("SELECT cp_id FROM dp_certs WHERE fingerprint = ?1")?;
            let groups: Vec<String> =
                stmt.query_map([cert], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(if groups.len() == 1 { groups.into_iter().next() } else { None })
        })
        .await
        .map_err(|e| e.to_string())?
        .ok_or("client certificate is not pinned to exactly one group")?;

    let hello: Arc<Mutex<Option<Hello>>> = Arc::default();
    let seen = hello.clone();
    // The handshake callback's type is tungstenite's (`Callback`): its error is the HTTP answer
    // to refuse with, not ours to box.
    #[allow(clippy::result_large_err)]
    let check = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        match parse_hello(&req.uri().to_string()) {
            Ok(h) => {
                *seen.lock().unwrap() = Some(h);
                Ok(resp)
            }
            Err(why) => {
                let mut r = ErrorResponse::new(Some(why.to_string()));
                *r.status_mut() = StatusCode::BAD_REQUEST;
                Err(r)
            }
        }
    };
    let ws_config =
        WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(64 << 20));
    let mut ws = tokio_tungstenite::accept_hdr_async_with_config(tls, check, Some(ws_config))
        .await
        .map_err(|e| e.to_string())?;
    let hello = hello.lock().unwrap().take().ok_or("no handshake")?;

    // The node speaks first: `basic_info` as a binary JSON frame, with the plugins it runs.
    let plugins = match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
        Ok(Some(Ok(Message::Binary(b)))) => match serde_json::from_slice::<hybrid::Frame>(&b) {
            Ok(hybrid::Frame::BasicInfo { plugins, .. }) => {
                plugins.into_iter().map(|p| p.name).collect()
            }
            _ => return Err("the first frame was not basic_info".into()),
        },
        _ => return Err("the first frame was not basic_info".into()),
    };
    let hello = Hello { plugins, ..hello };

    let ip = peer.ip().to_string();
    let node = hello.node_id.clone();
    record_node(&state, &cp, &hello, &ip, None).await?;
    state.connected.0.lock().unwrap_or_else(|p| p.into_inner()).insert(node.clone(), cp.clone());
    tracing::info!(node = %node, group = %cp, "data plane connected");
    let result = session(&mut ws, &state, &cp, &hello, &ip).await;
    state.connected.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&node);
    let _ = ws.close(None).await;
    tracing::info!(node = %node, group = %cp, "data plane disconnected");
    result
}

async fn session<S>(
    ws: &mut tokio_tungstenite::WebSocketStream<S>,
    state: &AppState,
    cp: &str,
    hello: &Hello,
    ip: &str,
) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut events = state.config_events.subscribe();
    let mut last_pushed = Pushed::default();
    if !push(ws, state, cp, hello, &mut last_pushed).await? {
        return Ok(());
    }
    let mut deadline = tokio::time::Instant::now() + PING_WAIT;
    let mut running_hash = String::new();
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Ping(payload))) => {
                    deadline = tokio::time::Instant::now() + PING_WAIT;
                    let hash = String::from_utf8_lossy(&payload).to_string();
                    state.node_errors.on_ping(&hello.node_id, &hash);
                    running_hash.clone_from(&hash);
                    record_node(state, cp, hello, ip, Some(hash)).await?;
                    ws.flush().await.map_err(|e| e.to_string())?;
                }
                Some(Ok(Message::Binary(b))) => {
                    deadline = tokio::time::Instant::now() + PING_WAIT;
                    match serde_json::from_slice::<hybrid::Frame>(&b) {
                        Ok(hybrid::Frame::Analytics { reports }) => {
                            if let Some(reply) = crate::analytics::on_reports(state, cp,
                                &hello.node_id, reports).await {
                                ws.send(Message::Binary(reply.into())).await.map_err(|e|
                                    e.to_string())?;
                            }
                        }
                        Ok(hybrid::Frame::Error { mut error }) => {
                            // A node that could not read the push cannot name its hash: it is the
                            // last one sent.
                            if error.config_hash.is_empty() {
                                error.config_hash.clone_from(&last_pushed.sent_hash);
                            }
                            tracing::warn!(node = %hello.node_id, group = %cp, "data plane refused \
                                the configuration: {}", error.message);
                            state.node_errors.record(cp, &hello.node_id, &running_hash, error);
                        }
                        _ => {}
                    }
                }
                Some(Ok(Message::Close(_))) | None => return Ok(()),
                Some(Err(e)) => return Err(e.to_string()),
                Some(Ok(_)) => {}
            },
            ev = events.recv() => {
                match ev {
                    Ok(changed) if changed != cp => continue,
                    Err(RecvError::Closed) => return Ok(()),
                    _ => {}
                }
                // Let a burst of writes land, then push once.
                tokio::time::sleep(COALESCE).await;
                while events.try_recv().is_ok() {}
                if !push(ws, state, cp, hello, &mut last_pushed).await? {
                    return Ok(());
                }
            }
            _ = tokio::time::sleep_until(deadline) => return Err("no ping within 45 s".into()),
        }
    }
}

/// Group id → (config version, Kong's hash, the per-kind `hashes`).
pub type HashCache = Arc<std::sync::Mutex<HashMap<String, (i64, String, Value)>>>;

/// How `config_hashes` rows were worked out: a change to the export or the hash makes every
/// remembered hash stale, and bumping this says so.
const HASH_FORMAT: i64 = 1;

/// Keeps the group's hash for `version` in the store, beside the config it was worked out from.
fn remember_hash(
    c: &rusqlite::Connection,
    cp: &str,
    version: i64,
    hash: &str,
    hashes: &Value,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO config_hashes (cp_id, version, format, hash, hashes) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![cp, version, HASH_FORMAT, hash, hashes.to_string()])?;
    Ok(())
}

/// The group's hash and per-kind hashes remembered for `version`, if any.
fn remembered_hash(
    c: &rusqlite::Connection,
    cp: &str,
    version: i64,
) -> rusqlite::Result<Option<(String, Value)>> {
    c.prepare_cached(
        "SELECT hash, hashes FROM config_hashes WHERE cp_id = ?1 AND version = ?2 AND format = ?3",
    )?
    .query_row(params![cp, version, HASH_FORMAT], |r| {
        let hashes: String = r.get(1)?;
        Ok((r.get(0)?, serde_json::from_str(&hashes).unwrap_or(Value::Null)))
    })
    .optional()
}

/// The group's config version, or `None` when the group no longer exists.
fn config_version(c: &rusqlite::Connection, cp: &str) -> rusqlite::Result<Option<i64>> {
    let exists: bool =
        c.query_row("SELECT EXISTS (SELECT 1 FROM control_planes WHERE id = ?1)", [cp], |r| {
            r.get(0)
        })?;
    if !exists {
        return Ok(None);
    }
    let version: Option<i64> = c
        .query_row("SELECT version FROM config_state WHERE cp_id = ?1", [cp], |r| r.get(0))
        .optional()?;
    Ok(Some(version.unwrap_or(0)))
}

/// How long a group's config must stay unchanged before its hash is worked out again: a burst of
/// writes (an import, a seeding script) is hashed once, after it ends.
const QUIET_BEFORE_HASHING: Duration = Duration::from_millis(200);

/// Keeps every group's expected hash worked out ahead of the requests that ask for it: all groups
/// at start, then each group once its writes have quietened down.
pub async fn keep_hashes_current(state: AppState) {
    let all_groups = || async {
        state
            .store
            .call(|c| {
                c.prepare("SELECT id FROM control_planes")?
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .await
            .unwrap_or_default()
    };
    let mut events = state.config_events.subscribe();
    let mut due: HashMap<String, tokio::time::Instant> =
        all_groups().await.into_iter().map(|g: String| (g, tokio::time::Instant::now())).collect();
    loop {
        let next = due.values().min().copied();
        tokio::select! {
            event = events.recv() => match event {
                Ok(cp) => { due.insert(cp, tokio::time::Instant::now() + QUIET_BEFORE_HASHING); }
                // Missed events: which groups changed is unknown, so every group is looked at.
                Err(RecvError::Lagged(_)) => {
                    let at = tokio::time::Instant::now() + QUIET_BEFORE_HASHING;
                    due.extend(all_groups().await.into_iter().map(|g| (g, at)));
                }
                Err(RecvError::Closed) => return,
            },
            _ = async { tokio::time::sleep_until(next.expect("guarded")).await },
                if next.is_some() => {
                let now = tokio::time::Instant::now();
                let ready: Vec<String> = due.iter().filter(|(_, at)| **at <= now).map(|(g,
                    _)| g.clone()).collect();
                for g in ready {
                    due.remove(&g);
                    if let Err(e) = current_hash(&state, &g).await {
                        tracing::warn!(group = %g, "could not hash the group's config: {e}");
                    }
                }
            }
        }
    }
}

/// The group's config and hash, or `None` when the group no longer exists.
pub async fn current_config(
    state: &AppState,
    cp: &str,
) -> Result<Option<(Value, String, Value)>, String> {
    let (cp, cache) = (cp.to_string(), state.hashes.clone());
    state
        .store
        .call(move |c| {
            let Some(version) = config_version(c, &cp)? else {
                return Ok(None);
            };
            let table = export::config_table(c, &cp)?;
            let (hash, hashes) = export::config_hash(&table);
            remember_hash(c, &cp, version, &hash, &hashes)?;
            cache.lock().expect("hash cache").insert(cp, (version, hash.clone(), hashes.clone()));
            Ok(Some((table, hash, hashes)))
        })
        .await
        .map_err(|e| e.to_string())
}

/// The group's config hash, worked out again only when its config version moved; `None` when
/// the group no longer exists.
pub async fn current_hash(state: &AppState, cp: &str) -> Result<Option<String>, String> {
    let (group, cache) = (cp.to_string(), state.hashes.clone());
    let known = state
        .store
        .call(move |c| {
            let Some(version) = config_version(c, &group)? else {
                return Ok(None);
            };
            let hit = cache
                .lock()
                .expect("hash cache")
                .get(&group)
                .filter(|(v, _, _)| *v == version)
                .map(|(_, h, _)| h.clone());
            let Some(hit) = hit else {
                // Worked out before a restart, for this version: no need to export it again.
                let remembered = remembered_hash(c, &group, version)?;
                if let Some((hash, hashes)) = &remembered {
                    let entry = (version, hash.clone(), hashes.clone());
                    cache.lock().expect("hash cache").insert(group, entry);
                }
                return Ok(Some(remembered.map(|(hash, _)| hash)));
            };
            Ok(Some(Some(hit)))
        })
        .await
        .map_err(|e| e.to_string())?;
    match known {
        None => Ok(None),
        Some(Some(hash)) => Ok(Some(hash)),
        Some(None) => Ok(current_config(state, cp).await?.map(|(_, hash, _)| hash)),
    }
}

/// The last push on a link: the group's hash it was made from, and the hash of what was sent
/// (another when plugins the node lacks were left out).
#[derive(Default)]
struct Pushed {
    group_hash: String,
    sent_hash: String,
}

/// The group's configuration as this node is sent it: without the plugins it lacks, hashed anew
/// then (Kong's hash of what the node runs), and what it lacks recorded for its node entry.
fn fit_for_node(
    state: &AppState,
    cp: &str,
    hello: &Hello,
    (table, hash, hashes): (Value, String, Value),
) -> (Value, String, Value) {
    let fitted = compat::fit(&table, &hello.plugins);
    state.node_errors.fitted(cp, &hello.node_id, &fitted.missing);
    match fitted.table {
        Some(table) => {
            let names: Vec<&str> = fitted.missing.iter().map(|m| m.name.as_str()).collect();
            tracing::warn!(node = %hello.node_id, group = %cp, "the node lacks configured plugins \
                ({}); they are left out of what it is sent", names.join(", "));
            let (hash, hashes) = export::config_hash(&table);
            (table, hash, hashes)
        }
        None => (table, hash, hashes),
    }
}

/// Sends `reconfigure` when the config differs from the last push. False once the group is gone:
/// the node is then orphaned and keeps serving what it has.
async fn push<S>(
    ws: &mut tokio_tungstenite::WebSocketStream<S>,
    state: &AppState,
    cp: &str,
    hello: &Hello,
    last: &mut Pushed,
) -> Result<bool, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    match current_hash(state, cp).await? {
        None => return Ok(false),
        Some(hash) if last.group_hash == hash => return Ok(true),
        Some(_) => {}
    }
    let Some(config) = current_config(state, cp).await? else {
        return Ok(false);
    };
    let group_hash = config.1.clone();
    let (table, hash, hashes) = fit_for_node(state, cp, hello, config);
    let timestamp = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let payload = json!({
        "type": "reconfigure",
        "timestamp": timestamp,
        "config_table": table,
        "config_hash": hash,
        "hashes": hashes,
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(payload.to_string().as_bytes()).map_err(|e| e.to_string())?;
    let bytes = gz.finish().map_err(|e| e.to_string())?;
    ws.send(Message::Binary(bytes.into())).await.map_err(|e| e.to_string())?;
    *last = Pushed { group_hash, sent_hash: hash };
    Ok(true)
}

async fn record_node(
    state: &AppState,
    cp: &str,
    hello: &Hello,
    ip: &str,
    hash: Option<String>,
) -> Result<(), String> {
    let (cp, id, hostname, version, ip) = (
        cp.to_string(),
        hello.node_id.clone(),
        hello.hostname.clone(),
        hello.version.clone(),
        ip.to_string(),
    );
    state
        .store
        .call(move |c| {
            let now = chrono::Utc::now().timestamp();
            let existing: Option<String> = c
                .query_row(
                    "SELECT config_hash FROM nodes WHERE control_plane_id = ?1 AND id = ?2",
                    params![cp, id],
                    |r| r.get(0),
                )
                .optional()?;
            let hash = hash.or(existing).unwrap_or_default();
            c.execute(
                "INSERT INTO nodes (control_plane_id, id, version, hostname, ip, last_ping, \
                    config_hash, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?6)
                 ON CONFLICT (control_plane_id, id) DO UPDATE SET version = excluded.version, \
                     hostname = excluded.hostname,
                   ip = excluded.ip, last_ping = excluded.last_ping, config_hash = \
                       excluded.config_hash, updated_at = excluded.updated_at",
                params![cp, id, version, hostname, ip, now, hash],
            )?;
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_remembered_for_its_config_version_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("cp.sqlite")).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (at_1, at_2) = runtime
            .block_on(store.call(|c| {
                c.execute(
                    "INSERT INTO control_planes (id, name, description, labels, cluster_type, \
                     auth_type, cloud_gateway, proxy_urls, created_at, updated_at) \
                     VALUES ('g', 'g', '', '{}', 'CLUSTER_TYPE_HYBRID', 'pinned', 0, '[]', '', '')",
                    [],
                )?;
                assert_eq!(remembered_hash(c, "g", 1)?, None, "nothing worked out yet");
                remember_hash(c, "g", 1, "h1", &json!({"routes": "r1"}))?;
                let at_1 = remembered_hash(c, "g", 1)?;
                let at_2 = remembered_hash(c, "g", 2)?;
                // A deleted group takes its hash with it.
                c.execute("DELETE FROM control_planes WHERE id = 'g'", [])?;
                assert_eq!(remembered_hash(c, "g", 1)?, None);
                Ok((at_1, at_2))
            }))
            .unwrap();
        assert_eq!(at_1, Some(("h1".to_string(), json!({"routes": "r1"}))));
        assert_eq!(at_2, None, "a later config version is hashed anew");
    }

    fn lacking(name: &str) -> compat::MissingPlugin {
        compat::MissingPlugin {
            name: name.into(),
            entities: vec![compat::LeftOut { id: "p1".into(), scope: Vec::new() }],
        }
    }

    fn refusal() -> hybrid::ConfigError {
        hybrid::ConfigError {
            name: "configuration_refused".into(),
            source: "runtime".into(),
            message: "bad route".into(),
            config_hash: "h2".into(),
        }
    }

    /// Pushed to group (none when empty), plugin lacked, refused, asked for group, then the state
    /// and issue codes expected.
    type Case = (
        &'static str,
        Option<&'static str>,
        bool,
        &'static str,
        &'static str,
        &'static [&'static str],
    );

    #[test]
    fn a_nodes_compatibility_follows_what_it_lacks_and_what_it_refused() {
        let cases: [Case; 5] = [
            ("", None, false, "g", "COMPATIBILITY_STATE_UNKNOWN", &[]),
            ("g", None, false, "g", "COMPATIBILITY_STATE_FULLY_COMPATIBLE", &[]),
            (
                "g",
                Some("cors"),
                false,
                "g",
                "COMPATIBILITY_STATE_INCOMPATIBLE",
                &["plugin_not_available"],
            ),
            (
                "g",
                Some("cors"),
                true,
                "g",
                "COMPATIBILITY_STATE_INCOMPATIBLE",
                &["configuration_refused", "plugin_not_available"],
            ),
            ("other", Some("cors"), false, "g", "COMPATIBILITY_STATE_UNKNOWN", &[]),
        ];
        for (pushed, lacks, refused, asked, state, codes) in cases {
            let errors = NodeErrors::default();
            if !pushed.is_empty() {
                let missing: Vec<_> = lacks.into_iter().map(lacking).collect();
                errors.fitted(pushed, "n", &missing);
            }
            if refused {
                errors.record(pushed, "n", "h1", refusal());
            }
            let status = errors.status(asked, "n").unwrap();
            let got: Vec<&str> = status.issues.iter().map(|i| i.code.as_str()).collect();
            assert_eq!(
                (status.state.as_str(), got.as_slice()),
                (state, codes),
                "{pushed} {lacks:?}"
            );
        }
        let errors = NodeErrors::default();
        errors.fitted("g", "n", &[lacking("cors")]);
        errors.forget("n");
        assert_eq!(errors.status("g", "n").unwrap().state, "COMPATIBILITY_STATE_UNKNOWN");
    }
}
