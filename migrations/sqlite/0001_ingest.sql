-- Sources and their polling state; entries as normalized. Timestamps are
-- epoch milliseconds (sqlx's Any driver carries integers, not timestamps).
CREATE TABLE sources (
    id                   TEXT PRIMARY KEY,
    url                  TEXT NOT NULL,
    effective_url        TEXT,
    etag                 TEXT,
    last_modified        TEXT,
    body_hash            TEXT,
    title                TEXT,
    next_poll_at         BIGINT NOT NULL,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_attempt_at      BIGINT,
    last_success_at      BIGINT,
    gone                 BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL
);

CREATE TABLE entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id       TEXT NOT NULL REFERENCES sources(id),
    entry_key       TEXT NOT NULL,
    guid            TEXT,
    url             TEXT,
    language        TEXT NOT NULL,
    language_origin TEXT NOT NULL,
    title           TEXT NOT NULL,
    summary         TEXT,
    content         TEXT,
    authors         TEXT NOT NULL,
    translators     TEXT NOT NULL,
    categories      TEXT NOT NULL,
    image           TEXT,
    links           TEXT NOT NULL,
    published_at    BIGINT,
    updated_at      BIGINT,
    content_hash    TEXT NOT NULL,
    revision        BIGINT NOT NULL DEFAULT 1,
    first_seen_at   BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    changed_at      BIGINT NOT NULL,
    UNIQUE (source_id, entry_key)
);

CREATE INDEX entries_url ON entries (url);
CREATE INDEX entries_language_published ON entries (language, published_at);
CREATE INDEX entries_changed ON entries (changed_at);
