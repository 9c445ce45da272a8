-- ratchet GORM store, schema version 2 (PostgreSQL): per-session lifetimes and the revocation
-- feed. Apply after 0001. Equivalent to gormstore's AutoMigrate with no TablePrefix; see
-- docs/GORM.md. Existing rows keep working: idle_timeout_ms 0 and a NULL absolute_expires_at
-- mean the engine's configured lifetimes, and a NULL revoked_at keeps a row out of the feed.
--
-- Adding the columns is instant (no table rewrite). CREATE INDEX blocks writes to sessions
-- while it builds; on a large, busy table, run it instead as
-- CREATE INDEX CONCURRENTLY idx_sessions_revoked_at ON sessions (revoked_at, handle);
-- outside a transaction.

ALTER TABLE sessions ADD COLUMN idle_timeout_ms bigint NOT NULL DEFAULT 0;

ALTER TABLE sessions ADD COLUMN absolute_expires_at timestamptz(6);

ALTER TABLE sessions ADD COLUMN revoked_at timestamptz(6);

CREATE INDEX idx_sessions_revoked_at ON sessions (revoked_at, handle);
