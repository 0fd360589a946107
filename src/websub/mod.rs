//! WebSub (W3C Recommendation, 2018) both ways. `subscriber`: we subscribe
//! to the hubs our sources' feeds advertise, verify intent, renew leases
//! and check `X-Hub-Signature` on every push (the callback route is in
//! `http::websub`). `hub`: with `websub.hub = "builtin"` we are the hub of
//! our own feeds; `delivery` pushes changed feeds to its subscribers
//! through a durable queue.

pub mod delivery;
pub mod hub;
pub mod subscriber;

use hmac::{Hmac, KeyInit, Mac};

use crate::config::Config;

/// Where a hub pushes content for subscription `id`.
pub fn callback_url(config: &Config, id: &str) -> String {
    crate::publish::public(config, &format!("/websub/callback/{id}"))
}

/// `sha256=HEX`, the `X-Hub-Signature` of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks an `X-Hub-Signature` header (`sha256=…`, or the older `sha1=…`;
/// sha384/sha512 too) against `body`, in constant time. Anything else,
/// including a missing header, is `false`.
pub fn signature_ok(secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    let Some((method, hex_sig)) = header.and_then(|h| h.trim().split_once('=')) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let key = secret.as_bytes();
    match method.to_ascii_lowercase().as_str() {
        "sha1" => verify::<Hmac<sha1::Sha1>>(key, body, &expected),
        "sha256" => verify::<Hmac<sha2::Sha256>>(key, body, &expected),
        "sha384" => verify::<Hmac<sha2::Sha384>>(key, body, &expected),
        "sha512" => verify::<Hmac<sha2::Sha512>>(key, body, &expected),
        _ => false,
    }
}

fn verify<M: Mac + KeyInit>(key: &[u8], body: &[u8], expected: &[u8]) -> bool {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_with_the_secret_is_accepted_and_others_are_not() {
        let body = b"<feed>new</feed>";
        let good = sign("s3cret", body);
        assert!(signature_ok("s3cret", Some(&good), body));
        assert!(!signature_ok("other", Some(&good), body));
        assert!(!signature_ok(
            "s3cret",
            Some(&good),
            b"<feed>changed</feed>"
        ));
        assert!(!signature_ok("s3cret", None, body));
        assert!(!signature_ok("s3cret", Some("sha256=zz"), body));
        assert!(!signature_ok("s3cret", Some("md5=00"), body));
    }

    #[test]
    fn the_older_sha1_signature_is_accepted() {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"k").unwrap();
        mac.update(b"body");
        let header = format!("sha1={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signature_ok("k", Some(&header), b"body"));
        assert!(!signature_ok("k", Some(&header), b"bodz"));
    }
}
