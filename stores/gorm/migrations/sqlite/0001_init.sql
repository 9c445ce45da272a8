-- ratchet GORM store, schema version 1 (SQLite 3.35+).
-- Equivalent to gormstore's AutoMigrate with no TablePrefix. See docs/GORM.md.
-- Timestamps are stored as UTC text ("2006-01-02 15:04:05.999999+00:00"); the store always
-- writes UTC so that text order is time order. Run the database in WAL mode with a busy
-- timeout (PRAGMA journal_mode=WAL; busy_timeout on every connection).

CREATE TABLE sessions (
    handle          text     NOT NULL,
    user_id         text     NOT NULL,
    secret          blob,
    current_hash    text     NOT NULL,
    previous_hash   text     NOT NULL,
    rotated_at      datetime NOT NULL,
    created_at      datetime NOT NULL,
    expires_at      datetime NOT NULL,
    last_active_at  datetime NOT NULL,
    revoked         numeric  NOT NULL,
    version         integer  NOT NULL,
    write_seq       integer  NOT NULL,
    data            text,
    payload         text,
    ip              text     NOT NULL,
    user_agent      text     NOT NULL,
    PRIMARY KEY (handle)
);

CREATE INDEX idx_sessions_user_id ON sessions (user_id);

CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);

CREATE TABLE signing_keys (
    kid              text     NOT NULL,
    algorithm        text     NOT NULL,
    public_key       blob     NOT NULL,
    private_key_enc  blob     NOT NULL,
    created_at       datetime NOT NULL,
    not_before       datetime NOT NULL,
    retire_at        datetime NOT NULL,
    revoked          numeric  NOT NULL,
    PRIMARY KEY (kid)
);
