-- ratchet GORM store, schema version 4 (SQLite 3.35+): the audit log (core.AuditLog, see
-- docs/AUDIT.md). Apply after 0003. Equivalent to gormstore's AutoMigrate with no
-- TablePrefix; see docs/GORM.md, "Audit events". A new table: existing tables are untouched.
-- Timestamps are UTC text, as in 0001.
--
-- id is core.NewAuditID (32 hex digits, time first): listing walks the primary key, or the
-- (user_id, id) or (handle, id) index, backwards; (time, type) serves retention and counts.

CREATE TABLE audit_events (
    id          text     NOT NULL,
    "time"      datetime NOT NULL,
    "type"      text     NOT NULL,
    user_id     text     NOT NULL,
    handle      text     NOT NULL,
    ip          text     NOT NULL,
    user_agent  text     NOT NULL,
    reason      text     NOT NULL,
    actor       text     NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX idx_audit_events_user_id ON audit_events (user_id, id);

CREATE INDEX idx_audit_events_handle ON audit_events (handle, id);

CREATE INDEX idx_audit_events_time ON audit_events ("time", "type");
