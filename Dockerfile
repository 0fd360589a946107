# Build: the release binary, with exactly the locked dependencies.
FROM rust:1-bookworm AS builder
WORKDIR /src
# Everything .dockerignore lets through: every target Cargo.toml names
# (benches, tests) must exist for the manifest to load.
COPY . .
RUN cargo build --release --locked --bin wirebridge

# Run: a slim Debian with CA certificates (feeds are fetched over HTTPS) and
# an unprivileged user that owns the /data volume where SQLite lives.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin wirebridge \
    && mkdir -p /data /etc/wirebridge \
    && chown wirebridge:wirebridge /data
COPY --from=builder /src/target/release/wirebridge /usr/local/bin/wirebridge
COPY config/wirebridge.example.toml /etc/wirebridge/wirebridge.example.toml
USER wirebridge
# From `/`, the default database URL sqlite://data/wirebridge.sqlite lands in
# the volume.
WORKDIR /
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["wirebridge"]
CMD ["serve", "--config", "/etc/wirebridge/wirebridge.toml"]
