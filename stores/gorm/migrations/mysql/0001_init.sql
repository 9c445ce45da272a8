-- ratchet GORM store, schema version 1 (MySQL 8 / MariaDB 10.5+).
-- Equivalent to gormstore's AutoMigrate with no TablePrefix. See docs/GORM.md.
-- Identifiers and hashes are VARBINARY so that they compare byte for byte; the DSN must set
-- parseTime=true.

CREATE TABLE sessions (
    handle          varbinary(64)  NOT NULL,
    user_id         varbinary(255) NOT NULL,
    secret          longblob,
    current_hash    varbinary(128) NOT NULL,
    previous_hash   varbinary(128) NOT NULL,
    rotated_at      datetime(6)    NOT NULL,
    created_at      datetime(6)    NOT NULL,
    expires_at      datetime(6)    NOT NULL,
    last_active_at  datetime(6)    NOT NULL,
    revoked         boolean        NOT NULL,
    version         bigint         NOT NULL,
    write_seq       bigint         NOT NULL,
    data            longtext,
    payload         longtext,
    ip              varchar(64)    NOT NULL,
    user_agent      varchar(512)   NOT NULL,
    PRIMARY KEY (handle),
    INDEX idx_sessions_user_id (user_id),
    INDEX idx_sessions_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE signing_keys (
    kid              varbinary(64) NOT NULL,
    algorithm        varchar(16)   NOT NULL,
    public_key       longblob      NOT NULL,
    private_key_enc  longblob      NOT NULL,
    created_at       datetime(6)   NOT NULL,
    not_before       datetime(6)   NOT NULL,
    retire_at        datetime(6)   NOT NULL,
    revoked          boolean       NOT NULL,
    PRIMARY KEY (kid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
