//! Politeness: validators echoed and returned verbatim, status codes as
//! outcomes, cache hints, and how we introduce ourselves.

use super::*;

#[tokio::test]
async fn a_200_returns_the_body_and_the_validators_verbatim() {
    let server = serve(Router::new().route(
        "/feed",
        get(|| async {
            (
                [
                    (header::CONTENT_TYPE, "application/rss+xml; charset=utf-8"),
                    (header::ETAG, "W/\"v1-harbour\""),
                    (header::LAST_MODIFIED, "Tue, 05 Mar 2024 08:00:00 GMT"),
                    (header::CACHE_CONTROL, "public, max-age=600"),
                ],
                FEED,
            )
        }),
    ))
    .await;
    let url = server.url("/feed");
    let got = fetched(trusting(&server).fetch(&url, &Validators::default()).await);
    assert_eq!(got.body, Bytes::from_static(FEED.as_bytes()));
    assert_eq!(got.validators.etag.as_deref(), Some("W/\"v1-harbour\""));
    assert_eq!(
        got.validators.last_modified.as_deref(),
        Some("Tue, 05 Mar 2024 08:00:00 GMT")
    );
    assert_eq!(
        got.content_type.as_deref(),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(got.cache.max_age, Some(Duration::from_secs(600)));
    assert_eq!(got.final_url, url);
    assert_eq!(got.moved_permanently_to, None);
}

#[tokio::test]
async fn a_304_echoes_the_stored_validators_verbatim() {
    let received = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let log = Arc::clone(&received);
    let server = serve(Router::new().route(
        "/feed",
        get(move |headers: HeaderMap| async move {
            let text = |name| {
                headers
                    .get(name)
                    .and_then(|v: &header::HeaderValue| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned()
            };
            let pair = (text(header::IF_NONE_MATCH), text(header::IF_MODIFIED_SINCE));
            log.lock().expect("log lock").push(pair);
            (
                StatusCode::NOT_MODIFIED,
                [(header::CACHE_CONTROL, "max-age=120")],
            )
        }),
    ))
    .await;
    let validators = Validators {
        etag: Some("W/\"abc\"".to_owned()),
        last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
    };
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &validators)
        .await;
    match outcome {
        FetchOutcome::NotModified { cache } => {
            assert_eq!(cache.max_age, Some(Duration::from_secs(120)));
        }
        other => panic!("expected NotModified, got {other:?}"),
    }
    let received = received.lock().expect("log lock").clone();
    assert_eq!(
        received,
        vec![(
            "W/\"abc\"".to_owned(),
            "Wed, 21 Oct 2015 07:28:00 GMT".to_owned()
        )]
    );
}

/// A server answering every path with `status` and `headers`.
async fn status_server(status: StatusCode, headers: Vec<(header::HeaderName, String)>) -> Server {
    serve(Router::new().route(
        "/feed",
        get(move || async move {
            let mut response = (status, "not a feed").into_response();
            for (name, value) in headers {
                let value = value.parse().expect("test header value");
                response.headers_mut().insert(name, value);
            }
            response
        }),
    ))
    .await
}

#[tokio::test]
async fn a_410_means_gone() {
    let server = status_server(StatusCode::GONE, vec![]).await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert!(matches!(outcome, FetchOutcome::Gone), "{outcome:?}");
}

#[tokio::test]
async fn a_429_with_retry_after_in_seconds_is_rate_limited() {
    let headers = vec![(header::RETRY_AFTER, "120".to_owned())];
    let server = status_server(StatusCode::TOO_MANY_REQUESTS, headers).await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    match outcome {
        FetchOutcome::RateLimited { cache, status } => {
            assert_eq!(status, 429);
            assert_eq!(cache.retry_after, Some(Duration::from_secs(120)));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn a_429_with_retry_after_as_a_date_is_rate_limited_until_then() {
    let in_an_hour = std::time::SystemTime::now() + Duration::from_secs(3600);
    let headers = vec![(header::RETRY_AFTER, httpdate::fmt_http_date(in_an_hour))];
    let server = status_server(StatusCode::TOO_MANY_REQUESTS, headers).await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    match outcome {
        FetchOutcome::RateLimited { cache, .. } => {
            let delay = cache.retry_after.expect("a retry-after hint");
            // The HTTP-date has one-second resolution and the test takes time.
            assert!(
                delay > Duration::from_secs(3500) && delay <= Duration::from_secs(3600),
                "{delay:?}"
            );
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

#[tokio::test]
async fn a_503_with_retry_after_is_rate_limited_and_without_it_is_a_failure() {
    let headers = vec![(header::RETRY_AFTER, "30".to_owned())];
    let server = status_server(StatusCode::SERVICE_UNAVAILABLE, headers).await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert!(
        matches!(outcome, FetchOutcome::RateLimited { status: 503, .. }),
        "{outcome:?}"
    );

    let server = status_server(StatusCode::SERVICE_UNAVAILABLE, vec![]).await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert!(matches!(failure(outcome), FetchError::Status(503)));
}

#[tokio::test]
async fn a_500_is_a_failed_status() {
    let server = status_server(StatusCode::INTERNAL_SERVER_ERROR, vec![]).await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert!(matches!(failure(outcome), FetchError::Status(500)));
}

#[tokio::test]
async fn the_server_is_told_who_we_are_and_what_we_accept() {
    let seen = Arc::new(Mutex::new((String::new(), String::new())));
    let log = Arc::clone(&seen);
    let server = serve(Router::new().route(
        "/feed",
        get(move |headers: HeaderMap| async move {
            let text = |name| {
                headers
                    .get(name)
                    .and_then(|v: &header::HeaderValue| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned()
            };
            *log.lock().expect("lock") = (text(header::USER_AGENT), text(header::ACCEPT));
            FEED
        }),
    ))
    .await;
    // The poller's settings from a file that leaves `user_agent` out: the
    // default names us and the operator's contact, the public URL.
    let toml = crate::support::config_toml("sqlite::memory:", &[]).replace(
        "https://wire.example.org",
        "https://ops.example.org/contact",
    );
    let config =
        wirebridge::config::Config::parse(std::path::Path::new("ua.toml"), &toml).expect("config");
    let poller = fetcher(FetchSettings {
        trusted_addresses: vec![server.addr],
        ..wirebridge::net::FetchSettings::from_config(&config)
    });
    fetched(
        poller
            .fetch(&server.url("/feed"), &Validators::default())
            .await,
    );
    let (agent, accept) = seen.lock().expect("lock").clone();
    assert_eq!(
        agent,
        format!(
            "wirebridge/{} (+https://ops.example.org/contact)",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(accept.starts_with("application/rss+xml"), "{accept}");
}
