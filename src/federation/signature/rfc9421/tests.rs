use chrono::{DateTime, Duration, Utc};
use url::Url;

use super::*;
use crate::federation::keys::{self, Signer};
use crate::federation::signature::{self, Received, Rejected, Scheme};

const ORIGIN: &str = "https://wire.example";

fn signer() -> (Signer, String) {
    let (private, public) = keys::generate().unwrap();
    (Signer::from_pkcs8_pem(&private).unwrap(), public)
}

/// Checks a request to `target` carrying `headers` and `body`.
fn checked(
    method: &str,
    target: &str,
    headers: &[(&'static str, String)],
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<signature::Pending, Rejected> {
    let lookup = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.clone())
    };
    signature::check(
        &Received {
            method,
            origin: ORIGIN,
            target,
            lookup: &lookup,
            body,
        },
        now,
    )
}

fn post(
    signer: &Signer,
    path: &str,
    body: &[u8],
    at: DateTime<Utc>,
) -> Vec<(&'static str, String)> {
    let url = Url::parse(&format!("{ORIGIN}{path}")).unwrap();
    sign(
        signer,
        "https://a.example/u#main-key",
        "POST",
        &url,
        Some(body),
        at,
    )
    .unwrap()
}

fn replace(h: &mut [(&'static str, String)], name: &str, value: String) {
    for (k, v) in h.iter_mut() {
        if *k == name {
            *v = value.clone();
        }
    }
}

#[test]
fn our_own_post_signature_verifies_and_names_its_key() {
    let (signer, public) = signer();
    let now = Utc::now();
    let h = post(&signer, "/users/wire/inbox", b"{}", now);
    let p = checked("POST", "/users/wire/inbox", &h, b"{}", now).unwrap();
    assert_eq!(p.scheme, Scheme::Rfc9421);
    assert_eq!(p.key_id, "https://a.example/u#main-key");
    p.verify(&public).unwrap();
    let input = &h.iter().find(|(k, _)| *k == "signature-input").unwrap().1;
    assert!(
        input.starts_with(r#"sig1=("@method" "@target-uri" "content-digest");created="#),
        "{input}"
    );
    assert!(input.ends_with(r#";keyid="https://a.example/u#main-key";alg="rsa-v1_5-sha256""#));
}

#[test]
fn a_signature_made_for_another_path_or_method_does_not_verify() {
    let (signer, public) = signer();
    let now = Utc::now();
    let h = post(&signer, "/users/wire/inbox", b"{}", now);
    let elsewhere = checked("POST", "/inbox", &h, b"{}", now).unwrap();
    assert_eq!(elsewhere.verify(&public), Err(Rejected::Forged));
    let put = checked("PUT", "/users/wire/inbox", &h, b"{}", now).unwrap();
    assert_eq!(put.verify(&public), Err(Rejected::Forged));
}

#[test]
fn a_changed_body_and_a_content_digest_recomputed_for_it_are_both_refused() {
    let (signer, public) = signer();
    let now = Utc::now();
    let mut h = post(&signer, "/inbox", br#"{"type":"Follow"}"#, now);
    let tampered = br#"{"type":"Block"}"#;
    assert_eq!(
        checked("POST", "/inbox", &h, tampered, now).unwrap_err(),
        Rejected::ContentDigest
    );
    // The digest fits the new body, but the signature covered the old one.
    replace(&mut h, "content-digest", content_digest(tampered));
    let p = checked("POST", "/inbox", &h, tampered, now).unwrap();
    assert_eq!(p.verify(&public), Err(Rejected::Forged));
    // No Content-Digest at all.
    h.retain(|(k, _)| *k != "content-digest");
    assert_eq!(
        checked("POST", "/inbox", &h, tampered, now).unwrap_err(),
        Rejected::ContentDigest
    );
}

/// Signs `components` (already serialized, e.g. `"@method" "@path"`) with
/// `params`, the way a sender we do not control might.
fn custom(
    signer: &Signer,
    method: &str,
    target: &str,
    body: &[u8],
    components: &str,
    params: &str,
) -> Vec<(&'static str, String)> {
    let mut h = vec![("content-digest", content_digest(body))];
    let lookup = |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
    let (path, query) = super::split_target(target);
    let req = Received {
        method,
        origin: ORIGIN,
        target,
        lookup: &lookup,
        body,
    };
    let mut base = String::new();
    for name in components.split(' ') {
        let name = name.trim_matches('"');
        let value = super::component(&req, name, path, query).unwrap();
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    let inner = format!("({components}){params}");
    base.push_str(&format!("\"@signature-params\": {inner}"));
    let sig = signer.sign(base.as_bytes()).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig);
    h.push(("signature-input", format!("sig1={inner}")));
    h.push(("signature", format!("sig1=:{b64}:")));
    h
}

#[test]
fn a_signature_without_created_is_refused() {
    let (signer, _) = signer();
    let h = custom(
        &signer,
        "POST",
        "/inbox",
        b"{}",
        r#""@method" "@target-uri" "content-digest""#,
        r#";keyid="https://a.example/u#k""#,
    );
    assert_eq!(
        checked("POST", "/inbox", &h, b"{}", Utc::now()).unwrap_err(),
        Rejected::NoCreated
    );
}

#[test]
fn a_signature_that_leaves_the_target_unsigned_is_refused() {
    let (signer, _) = signer();
    let now = Utc::now().timestamp();
    let params = format!(r#";created={now};keyid="https://a.example/u#k""#);
    for components in [
        r#""@method" "content-digest""#,
        // The path alone could be replayed at another server.
        r#""@method" "@path" "content-digest""#,
    ] {
        let h = custom(&signer, "POST", "/inbox", b"{}", components, &params);
        assert_eq!(
            checked("POST", "/inbox", &h, b"{}", Utc::now()).unwrap_err(),
            Rejected::NotCovered("@target-uri"),
            "{components}"
        );
    }
    let h = custom(
        &signer,
        "POST",
        "/inbox",
        b"{}",
        r#""@target-uri" "content-digest""#,
        &params,
    );
    assert_eq!(
        checked("POST", "/inbox", &h, b"{}", Utc::now()).unwrap_err(),
        Rejected::NotCovered("@method")
    );
    let h = custom(
        &signer,
        "POST",
        "/inbox",
        b"{}",
        r#""@method" "@target-uri""#,
        &params,
    );
    assert_eq!(
        checked("POST", "/inbox", &h, b"{}", Utc::now()).unwrap_err(),
        Rejected::NotCovered("content-digest")
    );
}

#[test]
fn authority_and_path_stand_for_the_target_and_a_query_must_be_signed_too() {
    let (signer, public) = signer();
    let now = Utc::now().timestamp();
    let params = format!(r#";created={now};keyid="https://a.example/u#k""#);
    let h = custom(
        &signer,
        "GET",
        "/users/wire/outbox",
        b"",
        r#""@method" "@authority" "@path""#,
        &params,
    );
    let p = checked("GET", "/users/wire/outbox", &h, b"", Utc::now()).unwrap();
    p.verify(&public).unwrap();
    let h = custom(
        &signer,
        "GET",
        "/users/wire/outbox?page=2",
        b"",
        r#""@method" "@authority" "@path""#,
        &params,
    );
    assert_eq!(
        checked("GET", "/users/wire/outbox?page=2", &h, b"", Utc::now()).unwrap_err(),
        Rejected::NotCovered("@target-uri")
    );
    let both = r#""@method" "@authority" "@path" "@query""#;
    let h = custom(
        &signer,
        "GET",
        "/users/wire/outbox?page=2",
        b"",
        both,
        &params,
    );
    let p = checked("GET", "/users/wire/outbox?page=2", &h, b"", Utc::now()).unwrap();
    p.verify(&public).unwrap();
}

#[test]
fn signatures_outside_the_window_expired_ones_and_other_algorithms_are_refused() {
    let (signer, _) = signer();
    for hours in [-2, 2] {
        let then = Utc::now() + Duration::hours(hours);
        let h = post(&signer, "/inbox", b"{}", then);
        assert_eq!(
            checked("POST", "/inbox", &h, b"{}", Utc::now()).unwrap_err(),
            Rejected::Expired,
            "{hours} h"
        );
    }
    let now = Utc::now().timestamp();
    let components = r#""@method" "@target-uri" "content-digest""#;
    let past = format!(r#";created={now};expires={};keyid="k""#, now - 10);
    let h = custom(&signer, "POST", "/inbox", b"{}", components, &past);
    assert_eq!(
        checked("POST", "/inbox", &h, b"{}", Utc::now()).unwrap_err(),
        Rejected::Expired
    );
    let pss = format!(r#";created={now};keyid="k";alg="rsa-pss-sha512""#);
    let h = custom(&signer, "POST", "/inbox", b"{}", components, &pss);
    assert!(matches!(
        checked("POST", "/inbox", &h, b"{}", Utc::now()).unwrap_err(),
        Rejected::Malformed(m) if m.contains("rsa-pss-sha512")
    ));
}

#[test]
fn a_repeated_component_or_garbage_headers_are_malformed() {
    let (signer, _) = signer();
    let now = Utc::now().timestamp();
    let params = format!(r#";created={now};keyid="k""#);
    let twice = r#""@method" "@target-uri" "content-digest" "content-digest""#;
    let h = custom(&signer, "POST", "/inbox", b"{}", twice, &params);
    assert!(matches!(
        checked("POST", "/inbox", &h, b"{}", Utc::now()).unwrap_err(),
        Rejected::Malformed(_)
    ));
    for (input, sig) in [
        ("sig1=(", "sig1=:AA==:"),
        (r#"sig1=("@method");created=1"#, "sig1=\"not bytes\""),
        (r#"sig1="not a list""#, "sig1=:AA==:"),
    ] {
        let h = vec![
            ("signature-input", input.to_string()),
            ("signature", sig.to_string()),
        ];
        assert!(
            matches!(
                checked("GET", "/", &h, b"", Utc::now()).unwrap_err(),
                Rejected::Malformed(_) | Rejected::NoCreated | Rejected::Expired
            ),
            "{input} {sig}"
        );
    }
}

/// RFC 9421 §2.5's example request and signature base, byte for byte.
#[test]
fn the_signature_base_of_the_rfc_example_is_rebuilt_exactly() {
    let body = br#"{"hello": "world"}"#;
    let headers = [
        ("host", "example.com".to_string()),
        ("date", "Tue, 20 Apr 2021 02:07:55 GMT".to_string()),
        ("content-type", "application/json".to_string()),
        (
            "content-digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
                .to_string(),
        ),
        ("content-length", "18".to_string()),
        (
            "signature-input",
            r#"sig1=("@method" "@authority" "@path" "content-digest" "content-length" "content-type");created=1618884473;keyid="test-key-rsa-pss""#
                .to_string(),
        ),
        ("signature", "sig1=:AA==:".to_string()),
    ];
    let lookup = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.clone())
    };
    let at = DateTime::from_timestamp(1618884473, 0).unwrap();
    let p = signature::check(
        &Received {
            method: "POST",
            origin: "https://example.com",
            target: "/foo?param=Value&Pet=dog",
            lookup: &lookup,
            body,
        },
        at,
    );
    // The example leaves out `@query`; our policy would refuse that, so
    // the base is checked through `one` with the query-less target.
    assert_eq!(p.unwrap_err(), Rejected::NotCovered("@target-uri"));
    let p = signature::check(
        &Received {
            method: "POST",
            origin: "https://example.com",
            target: "/foo",
            lookup: &lookup,
            body,
        },
        at,
    )
    .unwrap();
    let expected = concat!(
        "\"@method\": POST\n",
        "\"@authority\": example.com\n",
        "\"@path\": /foo\n",
        "\"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n",
        "\"content-length\": 18\n",
        "\"content-type\": application/json\n",
        "\"@signature-params\": (\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-length\" \"content-type\");created=1618884473;keyid=\"test-key-rsa-pss\"",
    );
    assert_eq!(p.message, expected);
}

#[test]
fn accept_signature_asks_for_what_we_check() {
    assert_eq!(
        accept_signature(true),
        r#"sig1=("@method" "@target-uri" "content-digest");created;alg="rsa-v1_5-sha256""#
    );
    assert_eq!(
        accept_signature(false),
        r#"sig1=("@method" "@target-uri");created;alg="rsa-v1_5-sha256""#
    );
    // It is a dictionary a structured-field parser reads.
    let dict: Dictionary = Parser::new(&accept_signature(true))
        .parse_dictionary()
        .unwrap();
    assert!(dict.contains_key("sig1"));
}

#[test]
fn a_get_is_signed_without_a_digest_and_the_fragment_is_not_part_of_the_target() {
    let (signer, public) = signer();
    let now = Utc::now();
    let url = Url::parse(&format!("{ORIGIN}/users/wire#main-key")).unwrap();
    let h = sign(
        &signer,
        "https://b.example/actor#main-key",
        "GET",
        &url,
        None,
        now,
    )
    .unwrap();
    assert!(h.iter().all(|(k, _)| *k != "content-digest"));
    let p = checked("GET", "/users/wire", &h, b"", now).unwrap();
    p.verify(&public).unwrap();
}
