//! Limits that keep a hostile server from holding us: the total deadline,
//! the body cap on decompressed bytes, gzip bombs.

use super::*;

/// A raw server that accepts one connection, answers with `head`, then
/// sends `drip` one byte per second for at most 30 seconds.
async fn raw_server(head: &'static str, drip: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for _ in 0..30 {
            if drip && socket.write_all(b"<").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    addr
}

fn raw_url(addr: SocketAddr) -> Url {
    Url::parse(&format!("http://{addr}/feed")).expect("test URL parses")
}

#[tokio::test]
async fn a_server_dripping_one_byte_a_second_is_cut_off_at_the_deadline() {
    let addr = raw_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 1000\r\n\r\n",
        true,
    )
    .await;
    let fetcher = fetcher(FetchSettings {
        total_timeout: Duration::from_secs(2),
        trusted_addresses: vec![addr],
        ..settings()
    });
    let started = Instant::now();
    let outcome = fetcher.fetch(&raw_url(addr), &Validators::default()).await;
    assert!(matches!(failure(outcome), FetchError::Timeout(_)));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    // The server promises 50 MB and sends none of it: only the header can
    // make this end quickly, well before the 5-second deadline.
    let addr = raw_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 50000000\r\n\r\n",
        false,
    )
    .await;
    let fetcher = fetcher(FetchSettings {
        trusted_addresses: vec![addr],
        ..settings()
    });
    let started = Instant::now();
    let outcome = fetcher.fetch(&raw_url(addr), &Validators::default()).await;
    assert!(matches!(failure(outcome), FetchError::TooLarge(CAP)));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_streamed_body_over_the_cap_is_refused() {
    // Chunked, no Content-Length: only counting the bytes can catch it.
    let server = serve(Router::new().route(
        "/feed",
        get(|| async {
            let chunks =
                (0..40).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'a'; 64 * 1024])));
            axum::body::Body::from_stream(futures::stream::iter(chunks))
        }),
    ))
    .await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert!(matches!(failure(outcome), FetchError::TooLarge(CAP)));
}

fn gzip(data_len: usize, byte: u8) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![byte; 1024 * 1024];
    let mut left = data_len;
    while left > 0 {
        let n = left.min(block.len());
        encoder.write_all(&block[..n]).expect("gzip in memory");
        left -= n;
    }
    encoder.finish().expect("gzip in memory")
}

fn gzip_server_route(body: Vec<u8>) -> Router {
    let body = Bytes::from(body);
    Router::new().route(
        "/feed",
        get(move || async move {
            (
                [
                    (header::CONTENT_ENCODING, "gzip"),
                    (header::CONTENT_TYPE, "application/rss+xml"),
                ],
                body,
            )
        }),
    )
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_by_its_decompressed_size() {
    let bomb = gzip(50 * 1024 * 1024, 0);
    assert!(bomb.len() < 200 * 1024, "the bomb is small on the wire");
    let server = serve(gzip_server_route(bomb)).await;
    let outcome = trusting(&server)
        .fetch(&server.url("/feed"), &Validators::default())
        .await;
    assert!(matches!(failure(outcome), FetchError::TooLarge(CAP)));
}

#[tokio::test]
async fn a_gzipped_feed_arrives_decompressed() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(FEED.as_bytes()).expect("gzip in memory");
    let server = serve(gzip_server_route(encoder.finish().expect("gzip"))).await;
    let got = fetched(
        trusting(&server)
            .fetch(&server.url("/feed"), &Validators::default())
            .await,
    );
    assert_eq!(got.body, Bytes::from_static(FEED.as_bytes()));
}
