//! The private-address guard (direct, by name, via redirect), `file:`
//! sources and refused schemes.

use super::*;

#[tokio::test]
async fn a_loopback_target_is_forbidden_and_never_contacted() {
    let server = serve(feed_route()).await;
    let fetcher = fetcher(settings());
    // An IP literal is refused before sending; a name is refused by the
    // resolver at connect time.
    let by_name = Url::parse(&format!("http://localhost:{}/feed", server.addr.port()))
        .expect("test URL parses");
    for url in [server.url("/feed"), by_name] {
        let outcome = fetcher.fetch(&url, &Validators::default()).await;
        let error = failure(outcome);
        assert!(
            matches!(error, FetchError::Forbidden(_)),
            "{url}: {error:?}"
        );
    }
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_forbidden_and_never_followed() {
    let other = serve(feed_route()).await;
    let q = other.addr.port();
    let targets = [
        "http://[::ffff:127.0.0.1]:{P}/feed".to_owned(),
        format!("http://localhost:{q}/feed"),
        format!("http://127.0.0.1:{q}/feed"),
    ];
    let target = Arc::new(Mutex::new(String::new()));
    let feed_hits = Arc::new(AtomicUsize::new(0));
    let (to, counter) = (Arc::clone(&target), Arc::clone(&feed_hits));
    let server = serve(
        Router::new()
            .route(
                "/start",
                get(move || async move {
                    redirect(StatusCode::MOVED_PERMANENTLY, &to.lock().expect("lock"))
                }),
            )
            .route(
                "/feed",
                get(move || async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    FEED
                }),
            ),
    )
    .await;
    // Only the first server is trusted, and only on its own exact address.
    let fetcher = trusting(&server);
    for template in targets {
        let url = template.replace("{P}", &server.addr.port().to_string());
        *target.lock().expect("lock") = url.clone();
        let outcome = fetcher
            .fetch(&server.url("/start"), &Validators::default())
            .await;
        let error = failure(outcome);
        assert!(
            matches!(error, FetchError::Forbidden(_)),
            "{url}: {error:?}"
        );
    }
    assert_eq!(feed_hits.load(Ordering::SeqCst), 0);
    assert_eq!(other.hits(), 0);
}

#[tokio::test]
async fn allowing_private_addresses_turns_the_guard_off() {
    let server = serve(feed_route()).await;
    let fetcher = fetcher(FetchSettings {
        allow_private_addresses: true,
        ..settings()
    });
    let by_name = Url::parse(&format!("http://localhost:{}/feed", server.addr.port()))
        .expect("test URL parses");
    let got = fetched(fetcher.fetch(&by_name, &Validators::default()).await);
    assert_eq!(got.body, Bytes::from_static(FEED.as_bytes()));
}

#[tokio::test]
async fn a_file_url_is_read_from_disk() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(FEED.as_bytes()).expect("write temp file");
    let url = Url::from_file_path(file.path()).expect("absolute path");
    let got = fetched(
        fetcher(settings())
            .fetch(&url, &Validators::default())
            .await,
    );
    assert_eq!(got.body, Bytes::from_static(FEED.as_bytes()));
    assert_eq!(got.validators, Validators::default());
    assert_eq!(got.final_url, url);
}

#[tokio::test]
async fn a_file_over_the_cap_is_too_large() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(&vec![b'x'; CAP as usize + 1])
        .expect("write temp file");
    let url = Url::from_file_path(file.path()).expect("absolute path");
    let outcome = fetcher(settings())
        .fetch(&url, &Validators::default())
        .await;
    assert!(matches!(failure(outcome), FetchError::TooLarge(CAP)));
}

#[tokio::test]
async fn a_redirect_onto_the_local_disk_and_odd_schemes_are_refused() {
    let server = serve(Router::new().route(
        "/feed",
        get(|| async { redirect(StatusCode::FOUND, "file:///etc/hostname") }),
    ))
    .await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert!(matches!(failure(outcome), FetchError::Scheme(s) if s == "file"));

    let ftp = Url::parse("ftp://127.0.0.1/feed.xml").expect("test URL parses");
    let outcome = fetcher(settings())
        .fetch(&ftp, &Validators::default())
        .await;
    assert!(matches!(failure(outcome), FetchError::Scheme(s) if s == "ftp"));
}
