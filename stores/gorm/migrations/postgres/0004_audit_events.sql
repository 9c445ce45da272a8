-- ratchet GORM store, schema version 4 (PostgreSQL): the audit log (core.AuditLog, see
-- docs/AUDIT.md). Apply after 0003. Equivalent to gormstore's AutoMigrate with no
-- TablePrefix; see docs/GORM.md, "Audit events". A new table: existing tables are untouched.
--
-- id is core.NewAuditID (32 hex digits, time first): listing walks the primary key, or the
-- (user_id, id) or (handle, id) index, backwards; (time, type) serves retention and counts.

CREATE TABLE audit_events (
    id          varchar(32)    NOT NULL,
    "time"      timestamptz(6) NOT NULL,
    "type"      varchar(64)    NOT NULL,
    user_id     varchar(255)   NOT NULL,
    handle      varchar(64)    NOT NULL,
    ip          varchar(64)    NOT NULL,
    user_agent  varchar(512)   NOT NULL,
    reason      varchar(1024)  NOT NULL,
    actor       varchar(255)   NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX idx_audit_events_user_id ON audit_events (user_id, id);

CREATE INDEX idx_audit_events_handle ON audit_events (handle, id);

CREATE INDEX idx_audit_events_time ON audit_events ("time", "type");
