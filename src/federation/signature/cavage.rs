//! draft-cavage-12 HTTP Signatures, as Mastodon speaks them: signing over
//! aws-lc-rs, and our policy on the ones we receive (`(request-target)`,
//! `host`, a date and, with a body, `digest` must be covered; the Date
//! window; the Digest). Pure: no I/O.
//!
//! The `Signature` header is parsed by hand: it is not an RFC 8941
//! structured field (unquoted `algorithm=hs2019` and commas inside quotes
//! both occur), so `sfv` cannot read it, and no maintained crate parses
//! it without also verifying with the `rsa` crate.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use url::Url;

use super::digest::{digest_header, digest_matches};
use super::{Pending, Rejected, Scheme, MAX_AGE_SECS, MAX_SKEW_SECS};
use crate::federation::keys::{KeyError, Signer};

/// What we sign on every POST, in this order.
const SIGNED: &str = "(request-target) host date digest content-type";
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// Headers to put on a signed POST of `body` to `url`.
pub fn sign_post(
    signer: &Signer,
    key_id: &str,
    url: &Url,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, String)>, KeyError> {
    let host = super::authority(url);
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
    let host = super::authority(url);
    let date = httpdate::fmt_http_date(now.into());
    let target = request_target("get", url);
    let text = format!("(request-target): {target}\nhost: {host}\ndate: {date}");
    let sig = STANDARD.encode(signer.sign(text.as_bytes())?);
    let signature = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"{sig}\""
    );
    Ok(vec![("date", date), ("signature", signature)])
}

fn request_target(method: &str, url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{method} {}?{q}", url.path()),
        None => format!("{method} {}", url.path()),
    }
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
        scheme: Scheme::Cavage,
        key_id,
        message: lines.join("\n"),
        signature,
    })
}

/// The `keyId` a `Signature` header value names, unverified.
pub fn claimed_key_id(raw: &str) -> Option<String> {
    let params = parse_params(raw).ok()?;
    params
        .into_iter()
        .find(|(n, _)| n == "keyId")
        .map(|(_, v)| v)
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
    fn a_claimed_key_id_is_read_from_the_key_id_only() {
        let h = r#"keyId="https://mastodon.example:8443/users/a#main-key",algorithm="rsa-sha256",signature="AAAA""#;
        assert_eq!(
            claimed_key_id(h).as_deref(),
            Some("https://mastodon.example:8443/users/a#main-key")
        );
        assert_eq!(claimed_key_id(r#"algorithm="x",signature="y""#), None);
        assert_eq!(claimed_key_id("garbage"), None);
    }
}
