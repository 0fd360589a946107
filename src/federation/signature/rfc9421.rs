//! RFC 9421 HTTP Message Signatures as the fediverse uses them (Mastodon
//! 4.5+, Fedify, WordPress): `rsa-v1_5-sha256` over `@method`,
//! `@target-uri` and, with a body, RFC 9530 `content-digest`; `created`
//! and `keyid` always. Signing builds the signature base of §2.5; checking
//! parses `Signature-Input` / `Signature` with `sfv`, applies our policy
//! and rebuilds the base the sender must have signed. Pure: no I/O.
//!
//! Written here rather than taken from a crate: `httpsig` signs RSA with
//! the `rsa` crate (RUSTSEC-2023-0071); `actpub-httpsig` (aws-lc-rs) is a
//! young 0.2 with its own key and request model, and would not spare us
//! the part that is ours anyway — which components we demand, the window,
//! and the target URI taken from `server.public_url` (behind a TLS proxy
//! the socket knows neither the scheme nor the authority a sender used).

use chrono::{DateTime, Utc};
use sfv::{
    DictSerializer, Dictionary, Integer, KeyRef, ListEntry, ListSerializer, Parser, StringRef,
};
use url::Url;

use super::digest::{content_digest, content_digest_matches};
use super::{Pending, Received, Rejected, Scheme, MAX_AGE_SECS, MAX_SKEW_SECS};
use crate::federation::keys::{KeyError, Signer};

/// The label of the one signature we send.
const LABEL: &str = "sig1";
/// The only algorithm our keys (RSA) and the fediverse use.
pub const ALG: &str = "rsa-v1_5-sha256";

/// Headers to add to a request: `content-digest` (with a body),
/// `signature-input` and `signature`.
pub fn sign(
    signer: &Signer,
    key_id: &str,
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, String)>, KeyError> {
    let mut target = url.clone();
    target.set_fragment(None);
    let digest = body.map(content_digest);
    let mut components = vec!["@method", "@target-uri"];
    if digest.is_some() {
        components.push("content-digest");
    }
    let params = signature_params(&components, now.timestamp(), key_id)?;
    let mut base = String::new();
    for c in &components {
        let value = match *c {
            "@method" => method.to_ascii_uppercase(),
            "@target-uri" => target.to_string(),
            _ => digest.clone().unwrap_or_default(),
        };
        base.push_str(&format!("\"{c}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {params}"));
    let signature = signer.sign(base.as_bytes())?;
    let mut dict = DictSerializer::new();
    let _ = dict.bare_item(key(LABEL)?, signature.as_slice());
    let signature = dict.finish().unwrap_or_default();
    let mut headers = Vec::with_capacity(3);
    if let Some(d) = digest {
        headers.push(("content-digest", d));
    }
    headers.push(("signature-input", format!("{LABEL}={params}")));
    headers.push(("signature", signature));
    Ok(headers)
}

/// `("@method" "@target-uri" …);created=…;keyid="…";alg="…"`.
fn signature_params(components: &[&str], created: i64, key_id: &str) -> Result<String, KeyError> {
    let bad = |e: sfv::Error| KeyError::KeyId(e.to_string());
    let mut list = ListSerializer::new();
    {
        let mut inner = list.inner_list();
        for c in components {
            let _ = inner.bare_item(StringRef::from_str(c).map_err(bad)?);
        }
        let _ = inner
            .finish()
            .parameter(key("created")?, Integer::try_from(created).map_err(bad)?)
            .parameter(key("keyid")?, StringRef::from_str(key_id).map_err(bad)?)
            .parameter(key("alg")?, StringRef::from_str(ALG).map_err(bad)?);
    }
    Ok(list.finish().unwrap_or_default())
}

fn key(name: &str) -> Result<&KeyRef, KeyError> {
    KeyRef::from_str(name).map_err(|e| KeyError::KeyId(e.to_string()))
}

/// `Accept-Signature` (§5.1): one `rsa-v1_5-sha256` signature with
/// `created`, over what `check` demands.
pub fn accept_signature(with_body: bool) -> String {
    let mut components = vec!["\"@method\"", "\"@target-uri\""];
    if with_body {
        components.push("\"content-digest\"");
    }
    format!("{LABEL}=({});created;alg=\"{ALG}\"", components.join(" "))
}

/// The `keyid` of the first signature a `Signature-Input` names, unverified.
pub fn claimed_key_id(input: &str) -> Option<String> {
    let inputs: Dictionary = Parser::new(input).parse_dictionary().ok()?;
    inputs.values().find_map(|entry| match entry {
        ListEntry::InnerList(list) => list
            .params
            .get("keyid")
            .and_then(|v| v.as_string())
            .map(|s| s.as_str().to_string()),
        ListEntry::Item(_) => None,
    })
}

/// First half of verification: the first signature (in `Signature-Input`
/// order) that meets our policy, with its base rebuilt; the error of the
/// first one when none does.
pub fn check(req: &Received, now: DateTime<Utc>) -> Result<Pending, Rejected> {
    let input = (req.lookup)("signature-input").ok_or(Rejected::Unsigned)?;
    let signatures = (req.lookup)("signature")
        .ok_or_else(|| Rejected::Malformed("Signature-Input without Signature".into()))?;
    let inputs: Dictionary = Parser::new(&input)
        .parse_dictionary()
        .map_err(|e| Rejected::Malformed(format!("Signature-Input: {e}")))?;
    let signatures: Dictionary = Parser::new(&signatures)
        .parse_dictionary()
        .map_err(|e| Rejected::Malformed(format!("Signature: {e}")))?;
    let mut first = None;
    for (label, entry) in &inputs {
        match one(req, label.as_str(), entry, &signatures, now) {
            Ok(pending) => return Ok(pending),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.unwrap_or_else(|| Rejected::Malformed("empty Signature-Input".into())))
}

fn one(
    req: &Received,
    label: &str,
    entry: &ListEntry,
    signatures: &Dictionary,
    now: DateTime<Utc>,
) -> Result<Pending, Rejected> {
    let ListEntry::InnerList(list) = entry else {
        return Err(Rejected::Malformed(format!("{label} is not a list")));
    };
    let mut names: Vec<&str> = Vec::with_capacity(list.items.len());
    for item in &list.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or_else(|| Rejected::Malformed("a component is not a string".into()))?
            .as_str();
        // `;sf`, `;bs`, `;req`, `;name`…: no fediverse sender uses them.
        if !item.params.is_empty() {
            return Err(Rejected::Malformed(format!(
                "component parameters on {name} are not supported"
            )));
        }
        // §2: an identifier must not repeat.
        if names.contains(&name) {
            return Err(Rejected::Malformed(format!("{name} is covered twice")));
        }
        names.push(name);
    }
    let param = |k: &str| list.params.get(k);
    let created = param("created").ok_or(Rejected::NoCreated)?;
    let created = created
        .as_integer()
        .map(i64::from)
        .ok_or_else(|| Rejected::Malformed("created is not an integer".into()))?;
    let key_id = param("keyid")
        .and_then(|k| k.as_string())
        .map(|k| k.as_str().to_string())
        .ok_or_else(|| Rejected::Malformed("no keyid".into()))?;
    if let Some(alg) = param("alg") {
        let alg = alg.as_string().map(|a| a.as_str()).unwrap_or_default();
        if alg != ALG {
            return Err(Rejected::Malformed(format!("unsupported alg `{alg}`")));
        }
    }
    let age = now.timestamp() - created;
    if age > MAX_AGE_SECS || -age > MAX_SKEW_SECS {
        return Err(Rejected::Expired);
    }
    if let Some(expires) = param("expires") {
        let expires = expires
            .as_integer()
            .map(i64::from)
            .ok_or_else(|| Rejected::Malformed("expires is not an integer".into()))?;
        if now.timestamp() > expires {
            return Err(Rejected::Expired);
        }
    }
    let (path, query) = split_target(req.target);
    if !names.contains(&"@method") {
        return Err(Rejected::NotCovered("@method"));
    }
    let whole_target = names.contains(&"@target-uri");
    let parts = names.contains(&"@authority")
        && names.contains(&"@path")
        && (query.is_none() || names.contains(&"@query"));
    if !whole_target && !parts {
        return Err(Rejected::NotCovered("@target-uri"));
    }
    if req.has_body() {
        if !names.contains(&"content-digest") {
            return Err(Rejected::NotCovered("content-digest"));
        }
        let header = (req.lookup)("content-digest").ok_or(Rejected::ContentDigest)?;
        if !content_digest_matches(&header, req.body) {
            return Err(Rejected::ContentDigest);
        }
    }
    let signature = match signatures.get(label) {
        Some(ListEntry::Item(item)) => item.bare_item.as_byte_sequence().map(<[u8]>::to_vec),
        _ => None,
    }
    .ok_or_else(|| Rejected::Malformed(format!("no signature labelled {label}")))?;

    let mut base = String::new();
    for name in &names {
        let value = component(req, name, path, query)?;
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    // The parameters as sent, re-serialized canonically (§2.3).
    let mut params = ListSerializer::new();
    params.members([entry]);
    base.push_str(&format!(
        "\"@signature-params\": {}",
        params.finish().unwrap_or_default()
    ));
    Ok(Pending {
        scheme: Scheme::Rfc9421,
        key_id,
        message: base,
        signature,
    })
}

/// `path` and `query` (without `?`) of a request target.
fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// One covered component's value (§2.1, §2.2), derived from our public
/// origin and the request as received.
fn component(
    req: &Received,
    name: &str,
    path: &str,
    query: Option<&str>,
) -> Result<String, Rejected> {
    let (scheme, authority) = req
        .origin
        .split_once("://")
        .unwrap_or(("https", req.origin));
    Ok(match name {
        "@method" => req.method.to_string(),
        "@target-uri" => format!("{}{}", req.origin, req.target),
        "@authority" => authority.to_ascii_lowercase(),
        "@scheme" => scheme.to_ascii_lowercase(),
        "@request-target" => req.target.to_string(),
        "@path" if path.is_empty() => "/".to_string(),
        "@path" => path.to_string(),
        "@query" => format!("?{}", query.unwrap_or_default()),
        derived if derived.starts_with('@') => {
            return Err(Rejected::Malformed(format!(
                "derived component {derived} is not supported"
            )))
        }
        // Field names are lower case in the base (§2.1).
        header if header.bytes().any(|b| b.is_ascii_uppercase()) => {
            return Err(Rejected::Malformed(format!(
                "component {header} is not lower case"
            )))
        }
        header => (req.lookup)(header)
            .map(|v| v.trim().to_string())
            .ok_or_else(|| Rejected::Malformed(format!("signed header {header} is missing")))?,
    })
}

#[cfg(test)]
mod tests;
