-- ratchet GORM store, schema version 4 (MySQL 8 / MariaDB 10.5+): the audit log
-- (core.AuditLog, see docs/AUDIT.md). Apply after 0003. Equivalent to gormstore's AutoMigrate
-- with no TablePrefix; see docs/GORM.md, "Audit events". A new table: existing tables are
-- untouched.
--
-- id is core.NewAuditID (32 hex digits, time first): listing walks the primary key, or the
-- (user_id, id) or (handle, id) index, backwards; (time, type) serves retention and counts.
-- The identifiers are VARBINARY (exact comparison, and index keys of at most 287 bytes, far
-- below InnoDB's limit).

CREATE TABLE audit_events (
    id          varbinary(32)  NOT NULL,
    `time`      datetime(6)    NOT NULL,
    `type`      varbinary(64)  NOT NULL,
    user_id     varbinary(255) NOT NULL,
    handle      varbinary(64)  NOT NULL,
    ip          varchar(64)    NOT NULL,
    user_agent  varchar(512)   NOT NULL,
    reason      varchar(1024)  NOT NULL,
    actor       varbinary(255) NOT NULL,
    PRIMARY KEY (id),
    INDEX idx_audit_events_user_id (user_id, id),
    INDEX idx_audit_events_handle (handle, id),
    INDEX idx_audit_events_time (`time`, `type`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
