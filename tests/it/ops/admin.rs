//! `/admin`: off without a token, 401 without the right one, and for the
//! operator a page with the sources' health and each entry's linking
//! reason, served under a strict CSP with remote text escaped — checked in
//! the HTML as sent and in the DOM headless Chromium built from it.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use super::{app, App};
use crate::support::{sample_entry, Src};

const TOKEN: &str = "correct-horse-battery-staple";

fn sources() -> Vec<Src<'static>> {
    vec![
        Src {
            id: "harbor",
            url: "https://harborledger.example/feed",
            language: "en",
            role: "outlet",
        },
        Src {
            id: "wire-fr",
            url: "https://wire.example.org/fr/feed",
            language: "fr",
            role: "publisher",
        },
    ]
}

async fn with_story() -> App {
    let app = app(
        &sources(),
        &format!("[admin]\ntoken = \"{TOKEN}\"\n\n[[actors]]\nusername = \"wire\"\n"),
    )
    .await;
    let mut original = sample_entry("harbor", 1, "en");
    original.title = "Harbour <b>cranes</b> & the tide".into();
    original.links.clear();
    // The French version names the English one as its alternate: hreflang.
    let mut french = sample_entry("wire-fr", 1, "fr");
    french.title = "Les grues du port".into();
    app.add(&[original]).await;
    app.add(&[french]).await;
    app
}

#[tokio::test]
async fn without_a_configured_token_the_admin_pages_do_not_exist() {
    let app = app(&sources(), "").await;
    for path in ["/admin", "/admin/login?token=x", "/admin/style.css"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn the_page_refuses_a_missing_or_wrong_token_and_serves_the_right_one() {
    let app = with_story().await;
    let none = app.client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body = none.text().await.unwrap();
    assert!(body.contains("needs the admin token"), "{body}");
    assert!(!body.contains("Les grues du port"), "nothing leaks: {body}");

    for wrong in [
        "correct-horse-battery-stapl",
        "correct-horse-battery-staplex",
        "",
    ] {
        let r = app
            .client
            .get(app.url("/admin"))
            .bearer_auth(wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{wrong:?}");
        let login = app
            .client
            .get(app.url(&format!("/admin/login?token={wrong}")))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 401, "{wrong:?}");
        assert!(login.headers().get("set-cookie").is_none());
    }
    // A forged cookie holding the raw token is not a session.
    let forged = app
        .client
        .get(app.url("/admin"))
        .header("cookie", format!("wirebridge_admin={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let ok = app
        .client
        .get(app.url("/admin"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let csp = ok.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(ok.headers()["cache-control"], "no-store");
    let html = ok.text().await.unwrap();
    assert!(!html.contains("<script"), "no script at all");
    assert!(!html.contains("style="), "no inline style");
    assert!(
        html.contains("Harbour &lt;b&gt;cranes&lt;/b&gt; &amp; the tide"),
        "escaped: {html}"
    );
    assert!(!html.contains("<b>cranes</b>"));
}

#[tokio::test]
async fn a_login_form_sets_an_http_only_strict_cookie_that_opens_the_page() {
    let app = with_story().await;
    let r = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(
        !cookie.contains(TOKEN),
        "the cookie does not carry the token itself"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let page = app
        .client
        .get(app.url("/admin"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

/// The DOM Chromium built for `url`.
async fn rendered(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg("--dump-dom")
    .arg(url)
    .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(90), cmd.output())
        .await
        .expect("chromium finished within 90 s")
        .expect("chromium is needed (Debian package `chromium`, installed by .ci/run)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 DOM")
}

#[tokio::test]
async fn in_a_browser_the_status_page_shows_sources_and_why_entries_were_linked() {
    let app = with_story().await;

    let refused = rendered(&app.url("/admin")).await;
    assert!(refused.contains("needs the admin token"), "{refused}");
    assert!(!refused.contains("harborledger.example"), "{refused}");

    // A one-time login link: the redirect sets the cookie, the browser
    // follows it to the page.
    let dom = rendered(&app.url(&format!("/admin/login?token={TOKEN}"))).await;
    assert!(dom.contains("<h2>Sources</h2>"), "{dom}");
    for expected in [
        "id=\"source-harbor\"",
        "id=\"source-wire-fr\"",
        "https://harborledger.example/feed",
        "not polled yet",
        "Recent stories",
        "Les grues du port",
        "Harbour &lt;b&gt;cranes&lt;/b&gt; &amp; the tide",
        "started the story",
        "<span class=\"rule\">hreflang</span>",
        "@wire",
    ] {
        assert!(dom.contains(expected), "{expected} in {dom}");
    }
    // The languages of the story, and the rule's own explanation.
    let story = regex::Regex::new(
        r#"<p class="langs"><span class="lang">en</span> <span class="lang">fr</span>"#,
    )
    .unwrap();
    assert!(story.is_match(&dom), "{dom}");
    let stored = app
        .store
        .entry_by_url("https://wire.example.org/fr/story-1")
        .await
        .unwrap();
    let why = stored
        .link
        .and_then(|l| l.why)
        .expect("a reason was recorded");
    assert!(dom.contains(&why), "the reason `{why}` is shown: {dom}");
}
