-- hreflang alternates read from an article's own page (sources with
-- page_lookups): kept apart from the entry so they never count as an edit.
CREATE TABLE page_alternates (
    entry_id   BIGINT NOT NULL REFERENCES entries(id),
    href       TEXT NOT NULL,
    hreflang   TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (entry_id, href)
);
