-- ratchet GORM store, schema version 2 (SQLite 3.35+): per-session lifetimes and the
-- revocation feed. Apply after 0001. Equivalent to gormstore's AutoMigrate with no
-- TablePrefix; see docs/GORM.md. Existing rows keep working: idle_timeout_ms 0 and a NULL
-- absolute_expires_at mean the engine's configured lifetimes, and a NULL revoked_at keeps a
-- row out of the feed. Timestamps are UTC text, as in 0001.

ALTER TABLE sessions ADD COLUMN idle_timeout_ms integer NOT NULL DEFAULT 0;

ALTER TABLE sessions ADD COLUMN absolute_expires_at datetime;

ALTER TABLE sessions ADD COLUMN revoked_at datetime;

CREATE INDEX idx_sessions_revoked_at ON sessions (revoked_at, handle);
