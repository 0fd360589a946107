#!/usr/bin/env bash
# Feed serving next to nginx, on loopback, in one run (not run in CI).
#
#   bash benches/feeds.sh            # needs wrk and nginx (Debian packages)
#
# Builds the release binary, starts the demo (config/demo.toml: bundled
# files, no network) on a free port with a fresh database, waits until its
# stories are in, saves /feeds/en.atom, serves the same bytes as a static
# file with nginx, and loads both with wrk: the 200 path and the 304 path
# (If-None-Match with the server's own ETag). Prints requests/s and our
# share of nginx's. Both servers and wrk share this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y wrk nginx curl)" >&2; exit 1; }
done

cargo build --release --quiet --bin wirebridge
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ours_port=$(free_port)
nginx_port=$(free_port)

# The demo config, moved to a free port and a fresh database.
cp -r config/demo "$work/demo"
sed -e "s|127.0.0.1:8080|127.0.0.1:$ours_port|g" \
    -e "s|sqlite://data/demo.sqlite|sqlite://$work/bench.sqlite|" \
    config/demo.toml > "$work/demo.toml"
RUST_LOG=info,sqlx=warn target/release/wirebridge serve --config "$work/demo.toml" >"$work/wirebridge.log" 2>&1 &
pids+=($!)
ours="http://127.0.0.1:$ours_port"
# Wait for the first poll of all six demo sources, then for the feed cache.
sources=$(grep -c '^\[\[sources\]\]' "$work/demo.toml")
for _ in $(seq 1 300); do
    [ "$(grep -c 'polled' "$work/wirebridge.log")" -ge "$sources" ] && break
    sleep 0.2
done
sleep 2
mkdir -p "$work/www/feeds"
curl -sf -D "$work/ours.headers" "$ours/feeds/en.atom" -o "$work/www/feeds/en.atom"
ours_etag=$(grep -i '^etag:' "$work/ours.headers" | cut -d' ' -f2- | tr -d '\r')
echo "feed: $(wc -c < "$work/www/feeds/en.atom") bytes, $(grep -o '<entry' "$work/www/feeds/en.atom" | wc -l) entries, ETag $ours_etag"

cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    types { application/atom+xml atom; }
    client_body_temp_path $work/nginx-tmp;
    proxy_temp_path $work/nginx-tmp;
    fastcgi_temp_path $work/nginx-tmp;
    uwsgi_temp_path $work/nginx-tmp;
    scgi_temp_path $work/nginx-tmp;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
        add_header Cache-Control "public, max-age=300";
    }
}
NGINX
mkdir -p "$work/nginx-tmp"
# nginx's workers run as an unprivileged user: let them read the file.
chmod 755 "$work" && chmod -R a+rX "$work/www"
nginx -e "$work/nginx.error.log" -c "$work/nginx.conf" 2>>"$work/nginx.error.log" &
pids+=($!)
theirs="http://127.0.0.1:$nginx_port"
for _ in $(seq 1 50); do curl -sf "$theirs/feeds/en.atom" -o /dev/null && break; sleep 0.1; done
nginx_etag=$(curl -sfI "$theirs/feeds/en.atom" | grep -i '^etag:' | cut -d' ' -f2- | tr -d '\r')
cmp -s <(curl -sf "$theirs/feeds/en.atom") "$work/www/feeds/en.atom" \
    || { echo "nginx does not serve the same bytes:" >&2; cat "$work/nginx.error.log" >&2; exit 1; }
for pair in "$ours|$ours_etag" "$theirs|$nginx_etag"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: ${pair#*|}" "${pair%%|*}/feeds/en.atom")
    [ "$code" = 304 ] || { echo "${pair%%|*}: If-None-Match answered $code, not 304" >&2; exit 1; }
done

rps() { # url [header]
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency)
    [ $# -gt 1 ] && args+=(-H "$2")
    wrk "${args[@]}" "$1" | tee -a "$work/wrk.log" | awk '/Requests\/sec/ {print $2}'
}
ours_200=$(rps "$ours/feeds/en.atom")
nginx_200=$(rps "$theirs/feeds/en.atom")
ours_304=$(rps "$ours/feeds/en.atom" "If-None-Match: $ours_etag")
nginx_304=$(rps "$theirs/feeds/en.atom" "If-None-Match: $nginx_etag")
grep -E 'Non-2xx|Socket errors' "$work/wrk.log" | grep -v '304' || true

printf '\n%-6s %14s %14s %8s\n' path wirebridge nginx ratio
for p in 200 304; do
    o=ours_$p; n=nginx_$p
    printf '%-6s %14s %14s %7.0f%%\n' "$p" "${!o}" "${!n}" "$(echo "${!o} ${!n}" | awk '{print 100*$1/$2}')"
done
echo "(requests/s, wrk -t$THREADS -c$CONNECTIONS -d$DURATION on loopback; goal: at least 70% of nginx)"
