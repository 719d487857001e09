//! Certificates and keys parsed on write, so a PEM a runtime could not load is never stored.
//!
//! Kong parses `cert`/`key` with OpenSSL in its validators and compares the public keys in an
//! entity check; this does the same with rustls' parsers and a minimal DER walk to the
//! certificate's public key (a walk, not a full X.509 parser, so v1 certificates pass as in Kong).

use std::sync::Arc;

use rustls::crypto::ring::sign::any_supported_type;
use rustls::sign::SigningKey;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer};

/// The certificate in a PEM text (the first of a chain), or why it is not one, worded as the
/// tail of Kong's `invalid certificate: %s`.
pub fn parse_certificate(text: &str) -> Result<Vec<u8>, String> {
    let mut chain = CertificateDer::pem_slice_iter(text.as_bytes());
    let first = match chain.next() {
        Some(Ok(der)) => der,
        Some(Err(e)) => return Err(pem_error(&e)),
        None => return Err(pem_error(&pem::Error::NoItemsFound)),
    };
    // Every certificate of a chain must parse, not only the one whose key is checked.
    for (i, cert) in std::iter::once(Ok(first.clone())).chain(chain).enumerate() {
        let der = cert.map_err(|e| pem_error(&e))?;
        if subject_public_key_info(&der).is_none() {
            return Err(format!("certificate {} of the chain is not valid X.509 DER", i + 1));
        }
    }
    Ok(first.to_vec())
}

/// A private key from a PEM text (PKCS#8, PKCS#1 RSA or SEC1 EC), or why it is not one, worded
/// as the tail of Kong's `invalid key: %s`.
pub fn parse_key(text: &str) -> Result<Arc<dyn SigningKey>, String> {
    let der = PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| pem_error(&e))?;
    any_supported_type(&der).map_err(|e| format!("unsupported or malformed private key ({e})"))
}

/// A public key (`BEGIN PUBLIC KEY`, an X.509 SubjectPublicKeyInfo), as a jwt credential's
/// `rsa_public_key` holds it, or why it is not one.
pub fn parse_public_key(text: &str) -> Result<(), String> {
    const SEQUENCE: u8 = 0x30;
    const BIT_STRING: u8 = 0x03;
    let der =
        SubjectPublicKeyInfoDer::from_pem_slice(text.as_bytes()).map_err(|e| pem_error(&e))?;
    let shaped = der_element(&der).filter(|spki| spki.tag == SEQUENCE && spki.rest.is_empty());
    let algorithm = shaped.as_ref().and_then(|spki| der_element(spki.contents));
    let key = algorithm.as_ref().filter(|a| a.tag == SEQUENCE).and_then(|a| der_element(a.rest));
    match key {
        Some(k) if k.tag == BIT_STRING && k.rest.is_empty() && !k.contents.is_empty() => Ok(()),
        _ => Err("not a DER SubjectPublicKeyInfo".into()),
    }
}

/// Whether a parsed key is the private half of a certificate's public key. A key that cannot
/// state its public key counts as matching: nothing then proves it wrong.
pub fn key_matches(cert_der: &[u8], key: &dyn SigningKey) -> bool {
    match (key.public_key(), subject_public_key_info(cert_der)) {
        (Some(spki), Some(cert_spki)) => spki.as_ref() == cert_spki,
        _ => true,
    }
}

/// The algorithm of a certificate's key as Kong compares `cert` and `cert_alt` (RSA vs ECDSA).
pub fn key_type(key: &dyn SigningKey) -> String {
    format!("{:?}", key.algorithm())
}

fn pem_error(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { .. } => "PEM block has no END line".into(),
        pem::Error::IllegalSectionStart { .. } => "malformed PEM BEGIN line".into(),
        pem::Error::Base64Decode(e) => format!("PEM body is not valid base64 ({e})"),
        pem::Error::NoItemsFound => {
            "no PEM block found (BEGIN and END lines each on their own line)".into()
        }
        other => other.to_string(),
    }
}

/// One DER element read off the front of a byte string.
struct Element<'a> {
    tag: u8,
    /// The element with its tag and length.
    whole: &'a [u8],
    contents: &'a [u8],
    /// What follows the element.
    rest: &'a [u8],
}

fn der_element(input: &[u8]) -> Option<Element<'_>> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    Some(Element { tag, whole: &input[..header + len], contents: &rest[..len], rest: &rest[len..] })
}

/// The `subjectPublicKeyInfo` element of an X.509 certificate, whole (tag and length included,
/// as a key's public half is encoded). `None` when the DER is not a certificate's shape.
fn subject_public_key_info(cert: &[u8]) -> Option<&[u8]> {
    const SEQUENCE: u8 = 0x30;
    let certificate = der_element(cert)?;
    if certificate.tag != SEQUENCE || certificate.whole.len() != cert.len() {
        return None;
    }
    let tbs = der_element(certificate.contents)?;
    if tbs.tag != SEQUENCE {
        return None;
    }
    let mut rest = tbs.contents;
    // tbsCertificate: [0] version (optional), serial, signature, issuer, validity, subject, spki.
    if rest.first() == Some(&0xa0) {
        rest = der_element(rest)?.rest;
    }
    for expected in [0x02, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE] {
        let element = der_element(rest)?;
        if element.tag != expected {
            return None;
        }
        rest = element.rest;
    }
    let spki = der_element(rest)?;
    (spki.tag == SEQUENCE).then_some(spki.whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["example.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_generated_pair_parses_and_matches() {
        let (cert, key) = pair();
        let der = parse_certificate(&cert).unwrap();
        let key = parse_key(&key).unwrap();
        assert!(key_matches(&der, key.as_ref()));
        assert_eq!(key_type(key.as_ref()), "ECDSA");
    }

    #[test]
    fn another_key_does_not_match() {
        let (cert, _) = pair();
        let (_, other) = pair();
        let der = parse_certificate(&cert).unwrap();
        assert!(!key_matches(&der, parse_key(&other).unwrap().as_ref()));
    }

    #[test]
    fn a_public_key_parses_and_a_private_one_does_not() {
        let key = rcgen::KeyPair::generate().unwrap();
        assert_eq!(parse_public_key(&key.public_key_pem()), Ok(()));
        assert!(parse_public_key(&key.serialize_pem()).is_err());
        assert!(parse_public_key(&key.public_key_pem().replace('\n', "")).is_err());
    }

    #[test]
    fn a_pem_without_line_breaks_is_refused() {
        let (cert, key) = pair();
        assert!(parse_certificate(&cert.replace('\n', "")).is_err());
        assert!(parse_certificate(&cert.replace('\n', " ")).is_err());
        assert!(parse_key(&key.replace('\n', "")).is_err());
        assert!(parse_certificate("not a certificate").is_err());
    }

    #[test]
    fn a_certificate_with_a_damaged_body_is_refused() {
        let (cert, _) = pair();
        let lines: Vec<&str> = cert.lines().collect();
        let damaged = format!("{}\nAAAA{}\n{}\n", lines[0], lines[2], lines[lines.len() - 1]);
        assert!(parse_certificate(&damaged).is_err());
    }
}
