-- Federation: our actors' key pairs, their followers, one post per (actor,
-- story), every activity we send (dereferenceable), the durable delivery
-- queue, remote actors cached for their keys, inbox de-duplication, receiving
-- hosts' health, counted interactions and the planner's watermark.
CREATE TABLE fed_actors (
    username        TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    public_key_pem  TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE TABLE fed_followers (
    actor        TEXT NOT NULL,
    follower     TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT,
    follow_id    TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (actor, follower)
);

CREATE TABLE fed_posts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor         TEXT NOT NULL,
    story_id      BIGINT NOT NULL,
    object_json   TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    delivered     BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    update_due_at BIGINT,
    deleted_at    BIGINT,
    UNIQUE (actor, story_id)
);
CREATE INDEX fed_posts_due ON fed_posts (update_due_at);

CREATE TABLE fed_activities (
    id         TEXT PRIMARY KEY,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    post_id    BIGINT,
    json       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX fed_activities_post ON fed_activities (post_id);

CREATE TABLE fed_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id     TEXT NOT NULL,
    actor           TEXT NOT NULL,
    inbox           TEXT NOT NULL,
    host            TEXT NOT NULL,
    ordering_key    TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX fed_deliveries_due ON fed_deliveries (status, next_attempt_at);
CREATE INDEX fed_deliveries_order ON fed_deliveries (host, ordering_key, status);

CREATE TABLE fed_remote_actors (
    id             TEXT PRIMARY KEY,
    key_id         TEXT,
    public_key_pem TEXT,
    inbox          TEXT,
    shared_inbox   TEXT,
    fetched_at     BIGINT NOT NULL
);
CREATE INDEX fed_remote_actors_key ON fed_remote_actors (key_id);

CREATE TABLE fed_inbox_seen (
    activity_id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);

CREATE TABLE fed_hosts (
    host          TEXT PRIMARY KEY,
    failing_since BIGINT,
    unavailable   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE fed_interactions (
    activity_id TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    object      TEXT,
    created_at  BIGINT NOT NULL
);

CREATE TABLE fed_state (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
