-- The last inbox rejections, for `/admin`: written by every process that
-- shares the database, at most one batch a second each, and pruned in the
-- same write to the newest 200 and the last seven days. `suppressed` counts
-- the rejections that process saw but did not keep just before this one.
CREATE TABLE inbox_rejections (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    key_host   TEXT,
    suppressed BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX inbox_rejections_at ON inbox_rejections (at);
