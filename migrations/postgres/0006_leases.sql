-- Several `serve` processes on one PostgreSQL database: a source is polled
-- by whoever holds its lease, once per interval. A crashed holder's lease
-- simply expires.
ALTER TABLE sources ADD COLUMN lease_owner TEXT;
ALTER TABLE sources ADD COLUMN lease_until BIGINT;
