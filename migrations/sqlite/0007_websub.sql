-- WebSub both ways. `websub_subscriptions`: our subscriptions to outlets'
-- hubs, one per source, the callback named by a random id. `websub_subscribers`:
-- who subscribed to our own hub. `websub_deliveries`: the durable queue of
-- feed copies our hub pushes, retried with the federation backoff.
CREATE TABLE websub_subscriptions (
    id            TEXT PRIMARY KEY,
    source_id     TEXT NOT NULL UNIQUE,
    hub           TEXT NOT NULL,
    topic         TEXT NOT NULL,
    secret        TEXT NOT NULL,
    state         TEXT NOT NULL,
    lease_seconds BIGINT,
    expires_at    BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE websub_subscribers (
    topic         TEXT NOT NULL,
    callback      TEXT NOT NULL,
    secret        TEXT,
    state         TEXT NOT NULL,
    lease_seconds BIGINT NOT NULL,
    expires_at    BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (topic, callback)
);

CREATE TABLE websub_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    topic           TEXT NOT NULL,
    callback        TEXT NOT NULL,
    host            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX websub_deliveries_due ON websub_deliveries (status, next_attempt_at);
