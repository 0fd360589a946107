-- Stories: every language version of one article. Each entry belongs to at
-- most one story (NULL until linked); entry_keys is the index the linker
-- finds candidates through; link_overrides are the operator's corrections.
CREATE TABLE stories (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_seen_at BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    retracted_at  BIGINT,
    merged_into   BIGINT
);

ALTER TABLE entries ADD COLUMN story_id BIGINT REFERENCES stories(id);
ALTER TABLE entries ADD COLUMN role TEXT;
ALTER TABLE entries ADD COLUMN link_rule TEXT;
ALTER TABLE entries ADD COLUMN link_why TEXT;
ALTER TABLE entries ADD COLUMN duplicate_of BIGINT;
CREATE INDEX entries_story ON entries (story_id);

CREATE TABLE entry_keys (
    key      TEXT NOT NULL,
    entry_id BIGINT NOT NULL REFERENCES entries(id),
    PRIMARY KEY (key, entry_id)
);
CREATE INDEX entry_keys_entry ON entry_keys (entry_id);

CREATE TABLE link_overrides (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT NOT NULL,
    url_a      TEXT NOT NULL,
    url_b      TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX link_overrides_a ON link_overrides (url_a);
CREATE INDEX link_overrides_b ON link_overrides (url_b);
CREATE INDEX stories_first_seen ON stories (first_seen_at);
