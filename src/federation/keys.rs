//! RSA key pairs of our actors: generated once (aws-lc-rs: ring cannot
//! generate RSA keys, and the `rsa` crate has RUSTSEC-2023-0071), kept as
//! PKCS#8 / SPKI PEM in the store, used to sign deliveries and to verify
//! remote signatures.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot generate an RSA key: {0}")]
    Generate(String),
    #[error("not a usable PEM key: {0}")]
    Pem(String),
    #[error("signing failed")]
    Sign,
    #[error("the key id cannot be written into a signature: {0}")]
    KeyId(String),
}

/// One actor's private key, ready to sign.
pub struct Signer {
    pair: KeyPair,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(****)")
    }
}

/// A fresh RSA 2048 pair as (PKCS#8 private PEM, SPKI public PEM).
pub fn generate() -> Result<(String, String), KeyError> {
    let pair =
        KeyPair::generate(KeySize::Rsa2048).map_err(|e| KeyError::Generate(e.to_string()))?;
    let private = pair
        .as_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let public = pair
        .public_key()
        .as_der()
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok((
        pem("PRIVATE KEY", private.as_ref()),
        pem("PUBLIC KEY", public.as_ref()),
    ))
}

impl Signer {
    pub fn from_pkcs8_pem(private_pem: &str) -> Result<Signer, KeyError> {
        let der = unpem(private_pem)?;
        let pair = KeyPair::from_pkcs8(&der).map_err(|e| KeyError::Pem(e.to_string()))?;
        Ok(Signer { pair })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256, what Mastodon calls `rsa-sha256`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .map_err(|_| KeyError::Sign)?;
        Ok(sig)
    }
}

/// Checks an `rsa-sha256` signature against a PEM public key (SPKI
/// `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`, both seen in the wild).
pub fn verify(public_pem: &str, message: &[u8], sig: &[u8]) -> Result<bool, KeyError> {
    let der = unpem(public_pem)?;
    let key = UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der);
    Ok(key.verify(message, sig).is_ok())
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn unpem(text: &str) -> Result<Vec<u8>, KeyError> {
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    if body.is_empty() {
        return Err(KeyError::Pem("empty".into()));
    }
    STANDARD
        .decode(body.as_bytes())
        .map_err(|e| KeyError::Pem(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_public_half_verifies() {
        let (private, public) = generate().unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        let signer = Signer::from_pkcs8_pem(&private).unwrap();
        let sig = signer.sign(b"hello").unwrap();
        assert!(verify(&public, b"hello", &sig).unwrap());
        assert!(!verify(&public, b"hellO", &sig).unwrap());
    }
}
