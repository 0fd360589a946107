//! The text form of an HTTP request that the `signature` and `inbox`
//! targets read, so that seeds are readable requests and mutations stay
//! close to real ones:
//!
//! ```text
//! POST /users/wire/inbox
//! @sign -30
//! date: Tue, 04 Mar 2025 11:59:30 GMT
//! +digest: SHA-512=AAAA
//! -content-type
//!
//! {"type": "Follow", ...}
//! ```
//!
//! The first line is the method and the request target. `@sign N` signs
//! the request with the fixed fuzzing key as of `NOW + N` seconds, the way
//! we sign our own deliveries (host, date, digest, content-type and the
//! signature, computed over the body below); the lines after it edit the
//! result: `name: value` replaces a header, `+name: value` adds a value,
//! `-name` removes it. After the first empty line comes the body.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use url::Url;
use wirebridge::federation::keys::Signer;
use wirebridge::federation::signature;

/// Our host: the one every request must be signed for.
pub const HOST: &str = "wire.example.org";
/// The key the `@sign` line signs with (`fuzz-only.*.pem`, generated once
/// for fuzzing with openssl and used nowhere else).
pub const KEY_ID: &str = "https://remote.example/users/alice#main-key";
pub const PUBLIC_PEM: &str = include_str!("fuzz-only.pub.pem");
const PRIVATE_PEM: &str = include_str!("fuzz-only.key.pem");

/// The fixed "now" of every check, so a seed's literal Date stays valid.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_741_089_600, 0).expect("a fixed instant") // 2025-03-04T12:00Z
}

pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `Some(offset)` when signed and not edited afterwards.
    pub untouched_signature: Option<i64>,
}

impl Request {
    pub fn read(data: &[u8]) -> Option<Request> {
        let split = data.windows(2).position(|w| w == b"\n\n");
        let (head, body) = match split {
            Some(i) => (&data[..i], data[i + 2..].to_vec()),
            None => (data, Vec::new()),
        };
        let head = std::str::from_utf8(head).ok()?;
        let mut lines = head.lines();
        let (method, target) = lines.next()?.split_once(' ')?;
        let mut req = Request {
            method: method.to_string(),
            target: target.to_string(),
            headers: Vec::new(),
            body,
            untouched_signature: None,
        };
        for line in lines {
            if let Some(offset) = line.strip_prefix("@sign ") {
                let offset: i64 = offset.trim().parse().ok()?;
                req.sign(offset.clamp(-1_000_000_000, 1_000_000_000));
            } else if let Some(name) = line.strip_prefix('-') {
                req.untouched_signature = None;
                let name = name.trim().to_ascii_lowercase();
                req.headers.retain(|(n, _)| *n != name);
            } else if let Some((name, value)) = line.split_once(':') {
                req.untouched_signature = None;
                let (add, name) = match name.strip_prefix('+') {
                    Some(n) => (true, n),
                    None => (false, name),
                };
                let name = name.trim().to_ascii_lowercase();
                if !add {
                    req.headers.retain(|(n, _)| *n != name);
                }
                req.headers.push((name, value.trim().to_string()));
            }
        }
        Some(req)
    }

    fn sign(&mut self, offset: i64) {
        let Ok(url) = Url::parse(&format!("https://{HOST}{}", self.target)) else {
            return;
        };
        static SIGNER: OnceLock<Signer> = OnceLock::new();
        let signer =
            SIGNER.get_or_init(|| Signer::from_pkcs8_pem(PRIVATE_PEM).expect("the fuzzing key"));
        let at = now() + chrono::Duration::seconds(offset);
        let headers = if self.method.eq_ignore_ascii_case("GET") {
            signature::sign_get(signer, KEY_ID, &url, at).map(|mut h| {
                h.push(("host", HOST.to_string()));
                h
            })
        } else {
            signature::sign_post(signer, KEY_ID, &url, &self.body, at)
        };
        let headers = headers.expect("signing with the fuzzing key");
        for (name, value) in headers {
            self.headers.retain(|(n, _)| n != name);
            self.headers.push((name.to_string(), value));
        }
        // Our signer writes the URL's own form of the target; only a target
        // already in that form can verify.
        let written = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let plain_method = matches!(self.method.as_str(), "POST" | "GET");
        self.untouched_signature = (written == self.target && plain_method).then_some(offset);
    }

    /// Header lookup as the inbox does it: every value of the name that
    /// HTTP could carry (visible ASCII), joined with ", ".
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        move |name: &str| {
            let values: Vec<&str> = self
                .headers
                .iter()
                .filter(|(n, v)| {
                    n == name && v.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
                })
                .map(|(_, v)| v.as_str())
                .collect();
            (!values.is_empty()).then(|| values.join(", "))
        }
    }

    /// Whether a signature we made, unedited, is within the Date window.
    pub fn fresh_untouched_signature(&self) -> bool {
        self.untouched_signature.is_some_and(|o| o.abs() <= 3600)
    }
}
