//! Redirects followed by hand: permanent vs temporary chains, loops, and
//! the hop limit.

use super::*;

/// `/start` answers with `first`, `/middle` with `second`, `/feed` is the feed.
async fn two_hop_server(first: StatusCode, second: StatusCode) -> Server {
    serve(
        feed_route()
            .route(
                "/start",
                get(move || async move { redirect(first, "/middle") }),
            )
            .route(
                "/middle",
                get(move || async move { redirect(second, "/feed") }),
            ),
    )
    .await
}

#[tokio::test]
async fn permanent_redirects_report_the_new_url() {
    for status in [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::PERMANENT_REDIRECT,
    ] {
        let server = two_hop_server(status, status).await;
        let got = fetched(
            trusting(&server)
                .fetch(&server.url("/start"), &Validators::default())
                .await,
        );
        assert_eq!(got.body, Bytes::from_static(FEED.as_bytes()), "{status}");
        assert_eq!(got.final_url, server.url("/feed"), "{status}");
        assert_eq!(
            got.moved_permanently_to,
            Some(server.url("/feed")),
            "{status}"
        );
    }
}

#[tokio::test]
async fn temporary_redirects_keep_the_old_url() {
    for status in [
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
        StatusCode::TEMPORARY_REDIRECT,
    ] {
        let server = two_hop_server(status, status).await;
        let got = fetched(
            trusting(&server)
                .fetch(&server.url("/start"), &Validators::default())
                .await,
        );
        assert_eq!(got.final_url, server.url("/feed"), "{status}");
        assert_eq!(got.moved_permanently_to, None, "{status}");
    }
}

#[tokio::test]
async fn a_permanent_then_temporary_chain_keeps_the_old_url() {
    let server = two_hop_server(StatusCode::MOVED_PERMANENTLY, StatusCode::FOUND).await;
    let got = fetched(
        trusting(&server)
            .fetch(&server.url("/start"), &Validators::default())
            .await,
    );
    assert_eq!(got.final_url, server.url("/feed"));
    assert_eq!(got.moved_permanently_to, None);
}

#[tokio::test]
async fn a_redirect_loop_is_detected() {
    let server = serve(
        Router::new()
            .route("/a", get(|| async { redirect(StatusCode::FOUND, "/b") }))
            .route("/b", get(|| async { redirect(StatusCode::FOUND, "/a") })),
    )
    .await;
    let outcome = trusting(&server)
        .fetch(&server.url("/a"), &Validators::default())
        .await;
    assert!(matches!(failure(outcome), FetchError::RedirectLoop(_)));
    assert_eq!(
        server.hits(),
        2,
        "the loop is seen before /a is asked again"
    );
}

#[tokio::test]
async fn five_redirects_are_followed_and_six_are_too_many() {
    // /r/N redirects to /r/N-1; /r/0 is the feed.
    let server = serve(Router::new().route(
        "/r/{n}",
        get(|Path(n): Path<u32>| async move {
            match n {
                0 => FEED.into_response(),
                n => redirect(StatusCode::FOUND, &format!("/r/{}", n - 1)),
            }
        }),
    ))
    .await;
    let fetcher = trusting(&server);
    let five = fetcher
        .fetch(&server.url("/r/5"), &Validators::default())
        .await;
    assert_eq!(fetched(five).final_url, server.url("/r/0"));

    let before = server.hits();
    let six = fetcher
        .fetch(&server.url("/r/6"), &Validators::default())
        .await;
    assert!(matches!(failure(six), FetchError::TooManyRedirects(5)));
    assert_eq!(server.hits() - before, 6, "the sixth target is never asked");
}
