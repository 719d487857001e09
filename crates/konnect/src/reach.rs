//! Whether the API answered lately, as every request of a client (and of its clones) finds it:
//! the first try that gets no answer, or a refused token, marks the API out of reach at once
//! (before any retry), and the next answer marks it back. The console reads it to say "offline"
//! within a moment of the first failure rather than after a whole sync gave up.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Why the API is out of reach, in the terms a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Nothing listens at the address (the control plane is stopped, a port is closed).
    Refused,
    /// The host name does not resolve (no network, a typo in the address).
    Dns,
    /// The TLS handshake failed (a proxy's certificate, a clock far off).
    Tls,
    /// No answer in time.
    Timeout,
    /// Any other failure to connect or to read an answer.
    Network,
    /// The API refused the token (401): revoked, expired or of another region.
    Unauthorized,
    /// The API asked to slow down for longer than is waited for (429).
    RateLimited { wait_secs: u64 },
    /// The client has no token to send (it could not be read from the keyring).
    NoToken,
}

impl Cause {
    /// The cause in plain words, to follow "Offline: ".
    pub fn words(&self) -> String {
        match self {
            Cause::Refused => "the connection was refused".into(),
            Cause::Dns => "the address could not be resolved (DNS)".into(),
            Cause::Tls => "the secure connection (TLS) failed".into(),
            Cause::Timeout => "no answer in time".into(),
            Cause::Network => "the network connection failed".into(),
            Cause::Unauthorized => "the token was refused (401)".into(),
            Cause::RateLimited { wait_secs } => {
                format!("too many requests (429); Konnect asks to wait {wait_secs} s")
            }
            Cause::NoToken => "the profile's token could not be read".into(),
        }
    }
}

/// The API out of reach: why, the technical details (address, error chain) for a disclosure and
/// the log, and since when.
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    pub cause: Cause,
    pub details: String,
    pub since: SystemTime,
}

/// Shared by a client and its clones (a sync's limited client reports to the same place).
#[derive(Debug, Clone, Default)]
pub struct Reachability(Arc<Mutex<Option<Outage>>>);

impl Reachability {
    /// The current outage, if the last try found one.
    pub fn outage(&self) -> Option<Outage> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A try that failed for `cause`; an outage already under way keeps its start.
    pub fn failed(&self, cause: Cause, details: String) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let since = slot.as_ref().map_or_else(SystemTime::now, |o| o.since);
        if slot.is_none() {
            tracing::warn!("the API is out of reach: {} ({details})", cause.words());
        }
        *slot = Some(Outage { cause, details, since });
    }

    /// An answer came: the API is reachable.
    pub fn answered(&self) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.take().is_some() {
            tracing::info!("the API answers again");
        }
    }
}

/// What a transport error was, from reqwest's error and its sources.
pub fn cause_of(e: &reqwest::Error) -> Cause {
    if e.is_timeout() {
        return Cause::Timeout;
    }
    // The sources only: the error's own text carries the URL, whose path may well say
    // "certificates".
    let mut chain = String::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        chain = format!("{chain}: {s}");
        src = s.source();
    }
    let chain = chain.to_lowercase();
    if chain.contains("connection refused") {
        Cause::Refused
    } else if chain.contains("dns") || chain.contains("lookup") || chain.contains("name or service")
    {
        Cause::Dns
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        Cause::Tls
    } else if chain.contains("refused") {
        Cause::Refused
    } else {
        Cause::Network
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_keeps_its_start_until_an_answer_ends_it() {
        let r = Reachability::default();
        assert!(r.outage().is_none());
        r.failed(Cause::Refused, "a".into());
        let first = r.outage().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        r.failed(Cause::Timeout, "b".into());
        let second = r.outage().unwrap();
        assert_eq!(second.since, first.since);
        assert_eq!(second.cause, Cause::Timeout);
        r.clone().answered();
        assert!(r.outage().is_none(), "clones share one state");
    }

    #[tokio::test]
    async fn a_closed_port_is_a_refused_connection() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let e = reqwest::get(format!("http://{addr}/")).await.unwrap_err();
        assert_eq!(cause_of(&e), Cause::Refused);
        // A path naming certificates is no TLS failure.
        let url = format!("http://{addr}/v2/control-planes/x/core-entities/certificates");
        let e = reqwest::get(url).await.unwrap_err();
        assert_eq!(cause_of(&e), Cause::Refused);
        let e = reqwest::get("http://no-such-host.invalid/").await.unwrap_err();
        assert_eq!(cause_of(&e), Cause::Dns);
    }

    /// A self-signed certificate for localhost and its key.
    fn self_signed(
    ) -> (rustls_pki_types::CertificateDer<'static>, rustls_pki_types::PrivateKeyDer<'static>) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let key = rustls_pki_types::PrivatePkcs8KeyDer::from(made.key_pair.serialize_der());
        (made.cert.der().clone(), key.into())
    }

    /// A server that answers TLS with a certificate no one trusts.
    #[tokio::test]
    async fn an_untrusted_certificate_is_a_tls_failure() {
        let (cert, key) = self_signed();
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let _ = acceptor.accept(tcp).await;
            }
        });
        let e = reqwest::get(format!("https://localhost:{}/", addr.port())).await.unwrap_err();
        assert_eq!(cause_of(&e), Cause::Tls, "{e:?}");
    }
}
