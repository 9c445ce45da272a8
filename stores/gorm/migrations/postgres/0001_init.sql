-- ratchet GORM store, schema version 1 (PostgreSQL).
-- Equivalent to gormstore's AutoMigrate with no TablePrefix. See docs/GORM.md.

CREATE TABLE sessions (
    handle          varchar(64)    NOT NULL,
    user_id         varchar(255)   NOT NULL,
    secret          bytea,
    current_hash    varchar(128)   NOT NULL,
    previous_hash   varchar(128)   NOT NULL,
    rotated_at      timestamptz(6) NOT NULL,
    created_at      timestamptz(6) NOT NULL,
    expires_at      timestamptz(6) NOT NULL,
    last_active_at  timestamptz(6) NOT NULL,
    revoked         boolean        NOT NULL,
    version         bigint         NOT NULL,
    write_seq       bigint         NOT NULL,
    data            text,
    payload         text,
    ip              varchar(64)    NOT NULL,
    user_agent      varchar(512)   NOT NULL,
    PRIMARY KEY (handle)
);

CREATE INDEX idx_sessions_user_id ON sessions (user_id);

CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);

CREATE TABLE signing_keys (
    kid              varchar(64)    NOT NULL,
    algorithm        varchar(16)    NOT NULL,
    public_key       bytea          NOT NULL,
    private_key_enc  bytea          NOT NULL,
    created_at       timestamptz(6) NOT NULL,
    not_before       timestamptz(6) NOT NULL,
    retire_at        timestamptz(6) NOT NULL,
    revoked          boolean        NOT NULL,
    PRIMARY KEY (kid)
);
