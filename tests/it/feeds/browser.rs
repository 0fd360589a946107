//! What a person sees in a browser: headless Chromium (Debian's package,
//! installed by .ci/run) loads `/` and a feed (which it is answered with a
//! page for, by its `Accept`), and the test reads the DOM it rendered:
//! languages, stories, Arabic laid out right to left.

use std::time::Duration;

use super::{multilingual_story, original, world, World};

const ACTORS: &str = "[[actors]]\nusername = \"wire\"\ndisplay_name = \"The Wire\"\n\n\
[[actors]]\nusername = \"wire_ar\"\nlanguages = [\"ar\"]\n";

/// The DOM after Chromium rendered `path`.
async fn rendered(w: &World, path: &str) -> String {
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
    .arg(w.url(path))
    .kill_on_drop(true);
    let run = cmd.output();
    let out = tokio::time::timeout(Duration::from_secs(90), run)
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
async fn the_home_page_shows_languages_handles_and_stories_with_arabic_right_to_left() {
    let w = world(ACTORS).await;
    multilingual_story(&w, 1).await;
    w.add(&original(2, "Harbour cranes <stand> idle & rust"))
        .await;
    let raw = w.text("/").await;
    for (hreflang, href) in [
        ("fr", "/feeds/fr.atom"),
        ("pt-BR", "/feeds/pt-BR.rss"),
        ("ar", "/feeds/ar.json"),
    ] {
        let tag = regex::Regex::new(&format!(
            r#"<link rel="alternate" type="[^"]+" hreflang="{hreflang}" title="[^"]+" href="{href}">"#
        ))
        .unwrap();
        assert!(tag.is_match(&raw), "autodiscovery for {hreflang}: {raw}");
    }
    assert!(
        raw.contains("Harbour cranes &lt;stand&gt; idle &amp; rust"),
        "escaped"
    );

    let dom = rendered(&w, "/").await;
    for name in [
        "English",
        "Português (Brasil)",
        "Deutsch",
        "Français",
        "العربية",
    ] {
        assert!(dom.contains(name), "language {name} listed: {dom}");
    }
    assert!(dom.contains("@wire@wire.example.org"), "{dom}");
    assert!(dom.contains("@wire_ar@wire.example.org"), "{dom}");
    assert!(dom.contains("Dockworkers walk out, part 1"), "{dom}");
    assert!(
        dom.contains("Les dockers votent la grève, partie 1"),
        "{dom}"
    );
    assert!(
        dom.contains("Harbour cranes &lt;stand&gt; idle &amp; rust"),
        "{dom}"
    );
    let rtl = regex::Regex::new(
        r#"<li lang="ar" dir="rtl"><span class="lang">العربية</span> <a href="[^"]+">عمال الموانئ يضربون، الجزء 1</a></li>"#,
    )
    .unwrap();
    assert!(
        rtl.is_match(&dom),
        "the Arabic version sits in a dir=rtl element: {dom}"
    );
}

#[tokio::test]
async fn a_feed_opened_in_a_browser_reads_as_a_page_with_arabic_right_to_left() {
    let w = world("").await;
    multilingual_story(&w, 1).await;
    let dom = rendered(&w, "/feeds/all.atom").await;
    assert!(
        dom.contains("<h1 id=\"feed-title\">The Wire — all languages</h1>"),
        "the feed's page, not its XML: {dom}"
    );
    assert!(dom.contains("Copy its address into your feed reader"));
    let address = "value=\"https://wire.example.org/feeds/all.atom\"";
    assert!(dom.contains(address), "the address to copy: {dom}");
    assert!(
        dom.contains("Estivadores entram em greve, parte 1"),
        "{dom}"
    );
    let rtl = regex::Regex::new(
        r#"<article class="entry" lang="ar" dir="rtl">\s*<h2><a href="[^"]+">عمال الموانئ يضربون، الجزء 1</a></h2>"#,
    )
    .unwrap();
    assert!(rtl.is_match(&dom), "Arabic entry right to left: {dom}");
    let ltr = regex::Regex::new(r#"<article class="entry" lang="fr" dir="ltr">"#).unwrap();
    assert!(ltr.is_match(&dom), "{dom}");
    for path in ["/feeds/ar.rss", "/feeds/ar.json"] {
        let page = rendered(&w, path).await;
        assert!(
            page.contains("<article class=\"entry\" lang=\"ar\" dir=\"rtl\">"),
            "{path} too: {page}"
        );
    }
}
