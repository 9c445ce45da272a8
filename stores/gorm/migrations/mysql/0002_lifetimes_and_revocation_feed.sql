-- ratchet GORM store, schema version 2 (MySQL 8 / MariaDB 10.5+): per-session lifetimes and
-- the revocation feed. Apply after 0001. Equivalent to gormstore's AutoMigrate with no
-- TablePrefix; see docs/GORM.md. Existing rows keep working: idle_timeout_ms 0 and a NULL
-- absolute_expires_at mean the engine's configured lifetimes, and a NULL revoked_at keeps a
-- row out of the feed.
--
-- One ALTER TABLE: InnoDB adds the columns in place and builds the index online
-- (concurrent reads and writes continue).

ALTER TABLE sessions
    ADD COLUMN idle_timeout_ms      bigint      NOT NULL DEFAULT 0,
    ADD COLUMN absolute_expires_at  datetime(6) NULL,
    ADD COLUMN revoked_at           datetime(6) NULL,
    ADD INDEX idx_sessions_revoked_at (revoked_at, handle);
