//! HTTP signatures in the two schemes the fediverse speaks: RFC 9421 HTTP
//! Message Signatures (`rfc9421`, bodies bound by RFC 9530
//! `Content-Digest`) and draft-cavage-12 (`cavage`, bodies bound by
//! `Digest`). Signing over aws-lc-rs, and our policy on what we receive:
//! what a signature must cover, the time window, the digests. Which scheme
//! a request uses is read from its headers (`Signature-Input` is RFC 9421's
//! alone). Pure: no I/O. Whose key it is and whether that key verifies is
//! decided by `federation::verify` and the inbox.

pub mod cavage;
pub mod digest;
pub mod rfc9421;

use chrono::{DateTime, Utc};
use url::Url;

use super::keys::{KeyError, Signer};

pub use cavage::{sign_get, sign_post, ACTIVITY_JSON};

/// A signature may be an hour old (Mastodon re-signs every retry, so a
/// fresh one always comes) and an hour ahead for skewed clocks.
pub const MAX_AGE_SECS: i64 = 3600;
pub const MAX_SKEW_SECS: i64 = 3600;

/// The two signature schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Rfc9421,
    Cavage,
}

impl Scheme {
    /// The name in metrics, the store and logs.
    pub fn label(self) -> &'static str {
        match self {
            Scheme::Rfc9421 => "rfc9421",
            Scheme::Cavage => "cavage",
        }
    }

    pub fn parse(label: &str) -> Option<Scheme> {
        match label {
            "rfc9421" => Some(Scheme::Rfc9421),
            "cavage" => Some(Scheme::Cavage),
            _ => None,
        }
    }

    /// The scheme to knock with when this one was refused.
    pub fn other(self) -> Scheme {
        match self {
            Scheme::Rfc9421 => Scheme::Cavage,
            Scheme::Cavage => Scheme::Rfc9421,
        }
    }
}

/// Why a signed request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    #[error("the request is not signed")]
    Unsigned,
    #[error("malformed signature: {0}")]
    Malformed(String),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the signature has no created time")]
    NoCreated,
    #[error("the Digest does not match the body")]
    Digest,
    #[error("the Content-Digest does not match the body")]
    ContentDigest,
    #[error("the Date is outside the accepted window")]
    Expired,
    #[error("the signature does not verify")]
    Forged,
    #[error("the key belongs to {owner}, not to the activity's actor {actor}")]
    WrongOwner { owner: String, actor: String },
    #[error("cannot get the sender's key: {0}")]
    Key(String),
}

/// A request as it reached us, for checking its signature.
pub struct Received<'a> {
    /// As received (`POST`, `GET`).
    pub method: &'a str,
    /// `scheme://authority` of our public URL: what a sender addressed
    /// (behind a TLS proxy the socket says neither).
    pub origin: &'a str,
    /// Path and query as received.
    pub target: &'a str,
    /// A request header by lower-case name, repeated fields joined by `, `.
    pub lookup: &'a dyn Fn(&str) -> Option<String>,
    pub body: &'a [u8],
}

impl Received<'_> {
    /// GET and HEAD carry no body to bind.
    pub fn has_body(&self) -> bool {
        !(self.method.eq_ignore_ascii_case("GET") || self.method.eq_ignore_ascii_case("HEAD"))
    }
}

/// The scheme a request is signed with, if any: `Signature-Input` exists
/// only in RFC 9421; a `Signature` (or `Authorization: Signature`) alone is
/// cavage.
pub fn scheme_of(lookup: &dyn Fn(&str) -> Option<String>) -> Option<Scheme> {
    if lookup("signature-input").is_some() {
        Some(Scheme::Rfc9421)
    } else if lookup("signature").is_some()
        || lookup("authorization").is_some_and(|a| a.starts_with("Signature "))
    {
        Some(Scheme::Cavage)
    } else {
        None
    }
}

/// First half of verification, for either scheme: parse, check coverage,
/// the window and (with a body) the digest. The RSA check waits for the
/// key (`Pending::verify`).
pub fn check(req: &Received, now: DateTime<Utc>) -> Result<Pending, Rejected> {
    match scheme_of(req.lookup) {
        Some(Scheme::Rfc9421) => rfc9421::check(req, now),
        Some(Scheme::Cavage) => cavage::check(req.method, req.target, req.lookup, req.body, now),
        None => Err(Rejected::Unsigned),
    }
}

/// A signature whose form, window and digest passed; the RSA check is
/// `verify` once the key is known.
#[derive(Debug)]
pub struct Pending {
    pub scheme: Scheme,
    pub key_id: String,
    /// What was signed: the cavage signing string or the RFC 9421
    /// signature base.
    message: String,
    signature: Vec<u8>,
}

impl Pending {
    /// Second half: the `rsa-sha256` / `rsa-v1_5-sha256` check with the
    /// sender's public key.
    pub fn verify(&self, public_pem: &str) -> Result<(), Rejected> {
        match super::keys::verify(public_pem, self.message.as_bytes(), &self.signature) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Rejected::Forged),
            Err(e) => Err(Rejected::Key(e.to_string())),
        }
    }
}

/// Headers to add to a request of `method` to `url` (with `body` unless it
/// is a GET), signed in `scheme` by `key_id`'s key.
pub fn sign(
    scheme: Scheme,
    signer: &Signer,
    key_id: &str,
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, String)>, KeyError> {
    match (scheme, body) {
        (Scheme::Rfc9421, _) => rfc9421::sign(signer, key_id, method, url, body, now),
        (Scheme::Cavage, Some(body)) => cavage::sign_post(signer, key_id, url, body, now),
        (Scheme::Cavage, None) => cavage::sign_get(signer, key_id, url, now),
    }
}

/// `Accept-Signature` (RFC 9421 §5.1) for a refused request: the RFC 9421
/// signature we would verify. Cavage is accepted too, but has no way to
/// say so.
pub fn accept_signature(method: &str) -> String {
    rfc9421::accept_signature(
        !(method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD")),
    )
}

/// The host of the key a request claims to be signed with, in either
/// scheme, unverified: what a refused request claimed to be, for the
/// operator's eyes.
pub fn claimed_key_host(lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let key_id = match scheme_of(lookup)? {
        Scheme::Rfc9421 => rfc9421::claimed_key_id(&lookup("signature-input")?)?,
        Scheme::Cavage => {
            let raw = lookup("signature").or_else(|| {
                lookup("authorization").and_then(|a| a.strip_prefix("Signature ").map(String::from))
            })?;
            cavage::claimed_key_id(&raw)?
        }
    };
    Url::parse(&key_id).ok()?.host_str().map(str::to_string)
}

/// `Host` as a signer sees the URL: the host and a non-default port.
pub(crate) fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(h: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |n| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_scheme_is_read_from_the_headers_present() {
        let none: Vec<(&'static str, String)> = vec![];
        assert_eq!(scheme_of(&headers(&none)), None);
        let cavage = vec![("signature", r#"keyId="k",signature="AA==""#.to_string())];
        assert_eq!(scheme_of(&headers(&cavage)), Some(Scheme::Cavage));
        let auth = vec![("authorization", r#"Signature keyId="k""#.to_string())];
        assert_eq!(scheme_of(&headers(&auth)), Some(Scheme::Cavage));
        // RFC 9421's `Signature` is a dictionary, paired with its input.
        let rfc = vec![
            (
                "signature-input",
                r#"sig1=("@method");created=1"#.to_string(),
            ),
            ("signature", "sig1=:AA==:".to_string()),
        ];
        assert_eq!(scheme_of(&headers(&rfc)), Some(Scheme::Rfc9421));
    }

    #[test]
    fn a_claimed_key_host_is_read_in_either_scheme() {
        let cavage = vec![(
            "signature",
            r#"keyId="https://m.example:8443/users/a#main-key",signature="AA==""#.to_string(),
        )];
        assert_eq!(
            claimed_key_host(&headers(&cavage)).as_deref(),
            Some("m.example")
        );
        let rfc = vec![(
            "signature-input",
            r#"sig1=("@method");created=1;keyid="https://f.example/users/b#main-key""#.to_string(),
        )];
        assert_eq!(
            claimed_key_host(&headers(&rfc)).as_deref(),
            Some("f.example")
        );
        let garbage = vec![("signature-input", "((((".to_string())];
        assert_eq!(claimed_key_host(&headers(&garbage)), None);
    }
}
