//! The data plane's side of the link: dial `wss://{endpoint}/v1/outlet` with the pinned client
//! certificate, say `basic_info`, and decode `reconfigure` pushes.

use std::io::Read;
use std::sync::Arc;

use futures_util::SinkExt;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::{Frame, PluginInfo};

pub type Link = WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;

/// The version this runtime reports: the Kong Gateway release whose behaviour it follows.
pub const NODE_VERSION: &str = "3.10.0";

/// Who the node is, as sent in the `/v1/outlet` query.
#[derive(Debug, Clone)]
pub struct NodeIdentity {
    pub node_id: String,
    pub hostname: String,
    pub version: String,
}

/// The control plane's certificate is self-signed and made at its first start; the trust that
/// matters runs the other way (the node's pinned certificate), so the server is not verified.
#[derive(Debug)]
struct AcceptServer(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[derive(Debug)]
pub struct LinkError(pub String);

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LinkError {}

fn err(e: impl std::fmt::Display) -> LinkError {
    LinkError(e.to_string())
}

/// A client TLS config presenting `cert_pem`/`key_pem`.
pub fn client_tls(cert_pem: &str, key_pem: &str) -> Result<rustls::ClientConfig, LinkError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| err(format!("certificate: {e}")))?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| err(format!("key: {e}")))?;
    rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptServer(provider)))
        .with_client_auth_cert(vec![cert], key)
        .map_err(err)
}

/// Dials the control plane and sends `basic_info`; the first `reconfigure` follows on the link.
pub async fn connect(
    endpoint: &str,
    tls: Arc<rustls::ClientConfig>,
    who: &NodeIdentity,
    plugins: &[&str],
) -> Result<Link, LinkError> {
    let endpoint =
        endpoint.trim_start_matches("https://").trim_start_matches("wss://").trim_end_matches('/');
    let tcp = TcpStream::connect(endpoint).await.map_err(err)?;
    tcp.set_nodelay(true).ok();
    let host = endpoint.rsplit_once(':').map(|(h, _)| h).unwrap_or(endpoint).to_string();
    let name = ServerName::try_from(host).map_err(err)?;
    let tls = tokio_rustls::TlsConnector::from(tls).connect(name, tcp).await.map_err(err)?;
    let url = format!(
        "wss://{endpoint}/v1/outlet?node_id={}&node_hostname={}&node_version={}",
        who.node_id, who.hostname, who.version
    );
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(url, tls, Some(config)).await.map_err(err)?;
    let info = Frame::BasicInfo {
        plugins: plugins
            .iter()
            .map(|p| PluginInfo { name: p.to_string(), version: who.version.clone() })
            .collect(),
        labels: Default::default(),
    };
    ws.send(Message::Binary(serde_json::to_vec(&info).map_err(err)?.into())).await.map_err(err)?;
    Ok(ws)
}

/// A `reconfigure` push, decoded.
#[derive(Debug, Clone)]
pub struct Reconfigure {
    pub config_table: Value,
    pub config_hash: String,
    pub hashes: Value,
}

/// Decodes a binary frame: a gzip `reconfigure`, or one of our plain JSON frames.
pub enum Incoming {
    Reconfigure(Reconfigure),
    Frame(Frame),
    /// A gzip frame that could not be read as a `reconfigure`: why.
    Unreadable(String),
    Unknown,
}

pub fn decode(bytes: &[u8]) -> Incoming {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        if let Err(e) = flate2::read::GzDecoder::new(bytes).read_to_end(&mut text) {
            return Incoming::Unreadable(format!("cannot decompress the configuration: {e}"));
        }
        let v = match serde_json::from_slice::<Value>(&text) {
            Ok(v) => v,
            Err(e) => return Incoming::Unreadable(format!("cannot parse the configuration: {e}")),
        };
        if v["type"] != "reconfigure" {
            return Incoming::Unknown;
        }
        return Incoming::Reconfigure(Reconfigure {
            config_hash: v["config_hash"].as_str().unwrap_or_default().to_string(),
            hashes: v["hashes"].clone(),
            config_table: v["config_table"].clone(),
        });
    }
    match serde_json::from_slice::<Frame>(bytes) {
        Ok(f) => Incoming::Frame(f),
        Err(_) => Incoming::Unknown,
    }
}

/// A new self-signed client certificate and key (PEM), for pinning to a group.
pub fn generate_client_certificate(common_name: &str) -> Result<(String, String), LinkError> {
    let mut params = rcgen::CertificateParams::new(vec![common_name.to_string()]).map_err(err)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, common_name);
    let key = rcgen::KeyPair::generate().map_err(err)?;
    let cert = params.self_signed(&key).map_err(err)?;
    Ok((cert.pem(), key.serialize_pem()))
}
