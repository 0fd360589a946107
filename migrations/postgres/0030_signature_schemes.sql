-- Which HTTP signature scheme each receiving host accepted ('rfc9421' or
-- 'cavage'), learnt by double-knocking: every instance sharing the database
-- signs its first request to that host in the remembered scheme. A row
-- older than the memory's lifetime is ignored, so a host that upgraded is
-- offered RFC 9421 again.
CREATE TABLE fed_signature_schemes (
    host       TEXT PRIMARY KEY,
    scheme     TEXT NOT NULL,
    decided_at BIGINT NOT NULL
);
