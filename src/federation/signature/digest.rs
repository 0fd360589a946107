//! Body digests: `Digest: SHA-256=…` (RFC 3230, what cavage signatures
//! cover) and RFC 9530 `Content-Digest: sha-256=:…:` (a structured
//! dictionary, parsed with `sfv`; what RFC 9421 signatures cover). Pure.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest as _, Sha256, Sha512};
use subtle::ConstantTimeEq;

/// `Digest` for `body`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)))
}

/// `Digest`: `SHA-256=…` (any of a comma-separated list; other algorithms
/// ignored).
pub fn digest_matches(header: &str, body: &[u8]) -> bool {
    let ours = STANDARD.encode(Sha256::digest(body));
    header.split(',').any(|part| {
        let part = part.trim();
        part.get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("sha-256="))
            && part.get(8..) == Some(ours.as_str())
    })
}

/// `Content-Digest` for `body` (RFC 9530 §2).
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// `Content-Digest` holds `sha-256` or `sha-512` (the algorithms RFC 9530
/// registers as active), and every one of them present matches `body`.
/// Unknown algorithms are ignored, as §4 allows; a header with none we
/// know proves nothing and does not match.
pub fn content_digest_matches(header: &str, body: &[u8]) -> bool {
    let Ok(dict) = sfv::Parser::new(header).parse_dictionary::<sfv::Dictionary>() else {
        return false;
    };
    let mut known = 0;
    for (name, entry) in &dict {
        let ours: Vec<u8> = match name.as_str() {
            "sha-256" => Sha256::digest(body).to_vec(),
            "sha-512" => Sha512::digest(body).to_vec(),
            _ => continue,
        };
        let sfv::ListEntry::Item(item) = entry else {
            return false;
        };
        let Some(theirs) = item.bare_item.as_byte_sequence() else {
            return false;
        };
        if !bool::from(ours.ct_eq(theirs)) {
            return false;
        }
        known += 1;
    }
    known > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_digest_of_ours_matches_its_body_only() {
        let header = content_digest(b"{\"type\":\"Follow\"}");
        assert!(content_digest_matches(&header, b"{\"type\":\"Follow\"}"));
        assert!(!content_digest_matches(&header, b"{\"type\":\"Block\"}"));
    }

    #[test]
    fn sha_512_counts_unknown_algorithms_are_skipped_and_none_known_fails() {
        let body = b"hello";
        let sha512 = format!("sha-512=:{}:", STANDARD.encode(Sha512::digest(body)));
        assert!(content_digest_matches(&sha512, body));
        let mixed = format!("md5=:AAAA:, {}", content_digest(body));
        assert!(content_digest_matches(&mixed, body));
        assert!(!content_digest_matches("md5=:AAAA:", body));
        // Both present: both must match.
        let one_wrong = format!("{}, sha-512=:AAAA:", content_digest(body));
        assert!(!content_digest_matches(&one_wrong, body));
        // Not a byte sequence, not a dictionary.
        assert!(!content_digest_matches("sha-256=abc", body));
        assert!(!content_digest_matches("((", body));
    }

    #[test]
    fn a_legacy_digest_matches_in_either_case() {
        let header = digest_header(b"x");
        assert!(digest_matches(&header, b"x"));
        assert!(digest_matches(&header.replace("SHA-256", "sha-256"), b"x"));
        assert!(!digest_matches(&header, b"y"));
    }
}
