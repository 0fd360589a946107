//! HTTP Signatures (draft-cavage-12, as Mastodon speaks them): signing our
//! deliveries and actor fetches over aws-lc-rs, and our policy on the ones
//! we receive (what must be signed, the Date window, the Digest). The RSA
//! check of a received signature is `activitypub_federation`'s (see
//! `inbox`); `Pending::verify` serves tests and tools. Pure: no I/O.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
use url::Url;

use super::keys::{KeyError, Signer};

/// What we sign on every POST, in this order.
const SIGNED: &str = "(request-target) host date digest content-type";
/// A signature may be an hour old (`activitypub_federation` refuses older
/// ones; Mastodon re-signs every retry, so a fresh one always comes) and
/// an hour ahead for skewed clocks (the crate does not look ahead; we do).
const MAX_AGE_SECS: i64 = 3600;
const MAX_SKEW_SECS: i64 = 3600;
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// Headers to put on a signed POST of `body` to `url`.
pub fn sign_post(
    signer: &Signer,
    key_id: &str,
    url: &Url,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, String)>, KeyError> {
    let host = host_header(url);
    let date = httpdate::fmt_http_date(now.into());
    let digest = digest_header(body);
    let target = request_target("post", url);
    let text = format!(
        "(request-target): {target}\nhost: {host}\ndate: {date}\ndigest: {digest}\ncontent-type: {ACTIVITY_JSON}"
    );
    let sig = STANDARD.encode(signer.sign(text.as_bytes())?);
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{SIGNED}\",signature=\"{sig}\""
    );
    Ok(vec![
        ("host", host),
        ("date", date),
        ("digest", digest),
        ("content-type", ACTIVITY_JSON.to_string()),
        ("signature", signature),
    ])
}

/// Headers to put on a signed GET of `url` (authorized fetch, as Mastodon
/// does it: `(request-target) host date`).
pub fn sign_get(
    signer: &Signer,
    key_id: &str,
    url: &Url,
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, String)>, KeyError> {
    let host = host_header(url);
    let date = httpdate::fmt_http_date(now.into());
    let target = request_target("get", url);
    let text = format!("(request-target): {target}\nhost: {host}\ndate: {date}");
    let sig = STANDARD.encode(signer.sign(text.as_bytes())?);
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"{sig}\""
    );
    Ok(vec![("date", date), ("signature", signature)])
}

pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

fn request_target(method: &str, url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{method} {}?{q}", url.path()),
        None => format!("{method} {}", url.path()),
    }
}

/// Why a signed request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    #[error("the request is not signed")]
    Unsigned,
    #[error("malformed Signature header: {0}")]
    Malformed(String),
    #[error("the signature does not cover {0}")]
    NotCovered(&'static str),
    #[error("the Digest does not match the body")]
    Digest,
    #[error("the Date is outside the accepted window")]
    Expired,
    #[error("the signature does not verify")]
    Forged,
    #[error("the key belongs to {owner}, not to the activity's actor {actor}")]
    WrongOwner { owner: String, actor: String },
    #[error("cannot get the sender's key: {0}")]
    Key(String),
}

/// A parsed `Signature` header whose digest and date were checked; the
/// signature itself is checked by `verify` once the key is known.
#[derive(Debug)]
pub struct Pending {
    pub key_id: String,
    signing_string: String,
    signature: Vec<u8>,
}

/// First half of verification: parse, check coverage, date and (for a
/// request with a body, i.e. not GET) digest. `lookup(name)` returns a
/// request header (lower-case name).
pub fn check(
    method: &str,
    path_and_query: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Pending, Rejected> {
    let raw = lookup("signature")
        .or_else(|| {
            lookup("authorization").and_then(|a| a.strip_prefix("Signature ").map(String::from))
        })
        .ok_or(Rejected::Unsigned)?;
    let params = parse_params(&raw)?;
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let key_id = get("keyId").ok_or_else(|| Rejected::Malformed("no keyId".into()))?;
    let signature = get("signature")
        .and_then(|s| STANDARD.decode(s.as_bytes()).ok())
        .ok_or_else(|| Rejected::Malformed("no base64 signature".into()))?;
    let headers = get("headers")
        .unwrap_or_else(|| "date".into())
        .to_ascii_lowercase();
    let names: Vec<&str> = headers.split_whitespace().collect();
    let with_body = !method.eq_ignore_ascii_case("GET");
    for needed in ["(request-target)", "host", "digest"] {
        if needed == "digest" && !with_body {
            continue;
        }
        if !names.contains(&needed) {
            return Err(Rejected::NotCovered(match needed {
                "host" => "host",
                "digest" => "digest",
                _ => "(request-target)",
            }));
        }
    }
    if !names.contains(&"date") && !names.contains(&"(created)") {
        return Err(Rejected::NotCovered("date"));
    }
    // The date: the Date header, or the (created) parameter.
    let signed_at = match lookup("date") {
        Some(d) if names.contains(&"date") => httpdate::parse_http_date(&d)
            .map(DateTime::<Utc>::from)
            .map_err(|_| Rejected::Malformed("bad Date".into()))?,
        _ => get("created")
            .and_then(|c| c.parse::<i64>().ok())
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or_else(|| Rejected::Malformed("no date".into()))?,
    };
    let age = (now - signed_at).num_seconds();
    if age > MAX_AGE_SECS || -age > MAX_SKEW_SECS {
        return Err(Rejected::Expired);
    }
    if with_body {
        let digest = lookup("digest").ok_or(Rejected::Digest)?;
        if !digest_matches(&digest, body) {
            return Err(Rejected::Digest);
        }
    }
    let mut lines = Vec::with_capacity(names.len());
    for name in &names {
        let value = match *name {
            "(request-target)" => format!("{} {path_and_query}", method.to_ascii_lowercase()),
            "(created)" => get("created").unwrap_or_default(),
            "(expires)" => get("expires").unwrap_or_default(),
            other => lookup(other)
                .ok_or_else(|| Rejected::Malformed(format!("signed header {other} is missing")))?,
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(Pending {
        key_id,
        signing_string: lines.join("\n"),
        signature,
    })
}

impl Pending {
    /// Second half: the RSA check with the sender's public key.
    pub fn verify(&self, public_pem: &str) -> Result<(), Rejected> {
        match super::keys::verify(public_pem, self.signing_string.as_bytes(), &self.signature) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Rejected::Forged),
            Err(e) => Err(Rejected::Key(e.to_string())),
        }
    }
}

/// The host of the `keyId` a `Signature` header value names, unverified:
/// what a refused request claimed to be, for the operator's eyes.
pub fn claimed_key_host(raw: &str) -> Option<String> {
    let params = parse_params(raw).ok()?;
    let (_, key_id) = params.iter().find(|(n, _)| n == "keyId")?;
    Url::parse(key_id).ok()?.host_str().map(str::to_string)
}

/// `SHA-256=…` (any of a comma-separated list; other algorithms ignored).
fn digest_matches(header: &str, body: &[u8]) -> bool {
    let ours = STANDARD.encode(Sha256::digest(body));
    header.split(',').any(|part| {
        let part = part.trim();
        part.get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("sha-256="))
            && part.get(8..) == Some(ours.as_str())
    })
}

/// `a="b",c="d"` → pairs; quoted values may contain commas.
fn parse_params(raw: &str) -> Result<Vec<(String, String)>, Rejected> {
    let mut out = Vec::new();
    let mut rest = raw.trim();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| Rejected::Malformed("expected name=value".into()))?;
        let name = rest[..eq].trim().to_string();
        rest = &rest[eq + 1..];
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let end = q
                .find('"')
                .ok_or_else(|| Rejected::Malformed("unterminated quote".into()))?;
            value = q[..end].to_string();
            rest = &q[end + 1..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        out.push((name, value));
        rest = rest.trim_start().trim_start_matches(',').trim_start();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::keys;

    fn signed(body: &[u8], now: DateTime<Utc>) -> (String, Vec<(&'static str, String)>) {
        let (private, public) = keys::generate().unwrap();
        let signer = Signer::from_pkcs8_pem(&private).unwrap();
        let url = Url::parse("http://127.0.0.1:8080/inbox").unwrap();
        (
            public,
            sign_post(&signer, "https://a.example/u#k", &url, body, now).unwrap(),
        )
    }

    fn lookup<'a>(h: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |n| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone())
    }

    #[test]
    fn our_own_signature_verifies_and_a_changed_body_does_not() {
        let now = Utc::now();
        let (public, h) = signed(b"{}", now);
        let p = check("POST", "/inbox", &lookup(&h), b"{}", now).unwrap();
        assert_eq!(p.key_id, "https://a.example/u#k");
        p.verify(&public).unwrap();
        let err = check("POST", "/inbox", &lookup(&h), b"{ }", now).unwrap_err();
        assert_eq!(err, Rejected::Digest);
        let other = check("POST", "/users/x/inbox", &lookup(&h), b"{}", now).unwrap();
        assert_eq!(other.verify(&public), Err(Rejected::Forged));
    }

    #[test]
    fn a_signature_two_hours_old_or_two_hours_ahead_is_expired() {
        for hours in [-2, 2] {
            let then = Utc::now() - chrono::Duration::hours(hours);
            let (_, h) = signed(b"{}", then);
            let err = check("POST", "/inbox", &lookup(&h), b"{}", Utc::now()).unwrap_err();
            assert_eq!(err, Rejected::Expired, "{hours} h");
        }
        let recent = Utc::now() - chrono::Duration::minutes(50);
        let (_, h) = signed(b"{}", recent);
        assert!(check("POST", "/inbox", &lookup(&h), b"{}", Utc::now()).is_ok());
    }

    #[test]
    fn a_signed_get_verifies_for_its_own_path_only() {
        let (private, public) = keys::generate().unwrap();
        let signer = Signer::from_pkcs8_pem(&private).unwrap();
        let url = Url::parse("http://127.0.0.1:8080/users/a?x=1").unwrap();
        let now = Utc::now();
        let mut h = sign_get(&signer, "https://b.example/u#k", &url, now).unwrap();
        h.push(("host", "127.0.0.1:8080".into()));
        let p = check("GET", "/users/a?x=1", &lookup(&h), b"", now).unwrap();
        p.verify(&public).unwrap();
        let other = check("GET", "/users/b?x=1", &lookup(&h), b"", now).unwrap();
        assert_eq!(other.verify(&public), Err(Rejected::Forged));
        // A POST must carry a signed Digest; a GET signature lacks one.
        assert_eq!(
            check("POST", "/users/a?x=1", &lookup(&h), b"", now).unwrap_err(),
            Rejected::NotCovered("digest")
        );
    }

    #[test]
    fn quoted_values_may_hold_commas() {
        let p = parse_params(r#"keyId="a,b",headers="x y", algorithm=hs2019"#).unwrap();
        assert_eq!(p[0].1, "a,b");
        assert_eq!(p[2], ("algorithm".into(), "hs2019".into()));
    }

    #[test]
    fn a_claimed_key_host_is_read_from_the_key_id_only() {
        let h = r#"keyId="https://mastodon.example:8443/users/a#main-key",algorithm="rsa-sha256",signature="AAAA""#;
        assert_eq!(claimed_key_host(h).as_deref(), Some("mastodon.example"));
        assert_eq!(claimed_key_host(r#"algorithm="x",signature="y""#), None);
        assert_eq!(claimed_key_host(r#"keyId="not a url""#), None);
        assert_eq!(claimed_key_host("garbage"), None);
    }
}
