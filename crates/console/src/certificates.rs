//! What a certificate entity's PEM says to an admin: subject, issuer, SANs and validity, read
//! with x509-parser, so lists and pages show who a certificate is for and when it expires instead
//! of an ID. Works on the PEM alone (no network), so it answers offline from the cache too.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::*;

use crate::ConsoleError;

/// The facts Konnect's certificate page shows, from the first certificate of a PEM chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CertificateDetails {
    /// The subject's distinguished name, as OpenSSL writes it on one line (`CN=…, O=…`).
    pub subject: String,
    /// The subject's common name, when it has one: what names a row in a list.
    pub common_name: Option<String>,
    pub issuer: String,
    /// Subject alternative names: DNS names, IP addresses, e-mail addresses and URIs.
    pub sans: Vec<String>,
    /// Valid from and until, RFC 3339 in UTC.
    pub not_before: String,
    pub not_after: String,
    pub serial: String,
    /// How many certificates the PEM holds (a leaf and its intermediates).
    pub chain_length: u32,
}

/// Reads the first certificate of `pem`; a text that is not one is an error on the `cert` field,
/// the field the certificate form shows it in.
pub fn certificate_details(pem: &str) -> Result<CertificateDetails, ConsoleError> {
    let blocks: Vec<Pem> = Pem::iter_from_buffer(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| not_a_certificate(&e.to_string()))?;
    let first = blocks
        .iter()
        .find(|b| b.label == "CERTIFICATE")
        .ok_or_else(|| not_a_certificate("no CERTIFICATE block"))?;
    let cert = first.parse_x509().map_err(|e| not_a_certificate(&e.to_string()))?;
    let chain_length = blocks.iter().filter(|b| b.label == "CERTIFICATE").count() as u32;
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string);
    let details = CertificateDetails {
        subject: cert.subject().to_string(),
        common_name,
        issuer: cert.issuer().to_string(),
        sans: alternative_names(&cert),
        not_before: rfc3339(cert.validity().not_before),
        not_after: rfc3339(cert.validity().not_after),
        serial: cert.raw_serial_as_string(),
        chain_length,
    };
    Ok(details)
}

fn not_a_certificate(why: &str) -> ConsoleError {
    ConsoleError::field("cert", format!("Not a PEM certificate: {why}."))
}

fn alternative_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ext)) = cert.subject_alternative_name() else { return Vec::new() };
    ext.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(d) => Some(d.to_string()),
            GeneralName::RFC822Name(m) => Some(m.to_string()),
            GeneralName::URI(u) => Some(u.to_string()),
            GeneralName::IPAddress(ip) => ip_text(ip),
            _ => None,
        })
        .collect()
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string()),
        16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string()),
        _ => None,
    }
}

fn rfc3339(t: ASN1Time) -> String {
    chrono::DateTime::from_timestamp(t.timestamp(), 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate as rcgen writes one for `names`, valid through 2031.
    fn pem_for(names: &[&str]) -> String {
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(rcgen::DnType::CommonName, names[0]);
        params.distinguished_name.push(rcgen::DnType::OrganizationName, "Example Shop");
        params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        params.not_after = rcgen::date_time_ymd(2031, 6, 30);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn subject_sans_and_validity_come_from_the_pem() {
        let pem = pem_for(&["api.example.com", "www.example.com", "10.0.0.7"]);
        let d = certificate_details(&pem).unwrap();
        assert_eq!(d.common_name.as_deref(), Some("api.example.com"));
        assert!(d.subject.contains("CN=api.example.com"), "{}", d.subject);
        assert!(d.subject.contains("O=Example Shop"), "{}", d.subject);
        assert_eq!(d.issuer, d.subject, "self-signed");
        assert_eq!(d.sans, ["api.example.com", "www.example.com", "10.0.0.7"]);
        assert_eq!(d.not_before, "2025-01-01T00:00:00Z");
        assert_eq!(d.not_after, "2031-06-30T00:00:00Z");
        assert_eq!(d.chain_length, 1);
    }

    #[test]
    fn a_chain_is_read_from_its_first_certificate() {
        let chain = format!("{}{}", pem_for(&["leaf.example"]), pem_for(&["intermediate.example"]));
        let d = certificate_details(&chain).unwrap();
        assert_eq!(d.common_name.as_deref(), Some("leaf.example"));
        assert_eq!(d.chain_length, 2);
    }

    #[test]
    fn what_is_not_a_certificate_is_said_on_the_cert_field() {
        let err = certificate_details("hello").unwrap_err();
        assert!(err.fields["cert"].starts_with("Not a PEM certificate"), "{err:?}");
        let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
        let err = certificate_details(&key).unwrap_err();
        assert!(err.fields["cert"].contains("no CERTIFICATE block"), "{err:?}");
    }
}
