-- An entry's URL is kept as its publisher wrote it (what readers follow);
-- its canonical form, for look-ups and matching, gets a column of its own.
-- Rows stored before held the canonical form in `url`: it is their
-- canonical URL too, and the next poll that sees them restores the
-- published one.
ALTER TABLE entries ADD COLUMN canonical_url TEXT;
UPDATE entries SET canonical_url = url;
CREATE INDEX entries_canonical_url ON entries (canonical_url);
DROP INDEX entries_url;
