// Package gormstore is ratchet's session store over GORM. It runs on PostgreSQL,
// MySQL/MariaDB and SQLite, in whatever database the app already uses; the app opens the
// *gorm.DB with the driver of its choice (this module requires gorm.io/gorm only) and hands it
// to New:
//
//	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
//		Logger: logger.Default.LogMode(logger.Warn), // the store never logs values anyway
//	})
//	store, err := gormstore.New(db, gormstore.Options{AutoMigrate: true, JanitorInterval: time.Hour})
//	defer store.Close()
//	kek, previous, err := core.KEKFromEnv() // RATCHET_KEK: the signing keys are sealed under it
//	keys, err := core.NewStoreKeyRing(ctx, store, core.KeyRingOptions{KEK: kek, PreviousKEKs: previous})
//	defer keys.Close()
//	engine, err := core.New(core.Config{Store: store, Keys: keys})
//	defer engine.Close() // stops the engine's revocation poller
//
// core.New refuses this store without Config.Keys: per-process keys would make every instance
// refuse the others' tokens (core.NewEphemeralKeyRing is the explicit opt-out for tests).
//
// # Transitions
//
// Every write is one statement; no update path reads, decides and writes, and nothing is ever
// upserted or saved whole. The refresh states of docs/ROTATION.md map onto:
//
//   - sign-in: Create, one INSERT (a duplicate handle fails);
//   - rotate (step 5a): Update, UPDATE … SET current_hash, previous_hash, rotated_at,
//     expires_at, last_active_at WHERE handle = ? AND revoked = false AND expires_at > ? AND
//     current_hash = ?, decided by the rows affected (0 means a concurrent refresh won);
//   - rotate without a read (core.Rotator, "One round trip"): Rotate, the same UPDATE with
//     history computed in SQL and two more conditions (version = ?, and a history that
//     begins with previous_hash), decided by the rows affected (0: the engine reads and
//     decides as above);
//   - replay (5b): no write;
//   - theft (5c), sign-out, revocation: UPDATE … SET revoked = true, revoked_at = ? WHERE
//     handle = ? AND revoked = false;
//   - data and payload writes: UPDATE … SET data/payload, version = version + 1 WHERE
//     handle = ? AND revoked = false AND expires_at > ? AND version = ?;
//   - revoke all of a user's sessions: RevokeByUser (below);
//   - revoke every session (core.AllRevoker, incident response): RevokeAll, UPDATE … SET
//     revoked = true, revoked_at = ? WHERE revoked = false;
//   - purge: DeleteExpired, DELETE … WHERE (revoked = true OR expires_at <= ?) AND
//     (revoked_at IS NULL OR revoked_at <= ?), which keeps recently revoked rows for the
//     revocation feed (Options.FeedRetention); on MySQL/MariaDB, where that statement would
//     lock every session, lock-free reads of up to 1,000 handles and a DELETE of those by
//     primary key with the same condition.
//
// Every revocation sets revoked_at to the store's clock (Options.Clock) in the revoking
// statement itself.
//
// Every UPDATE also sets write_seq = write_seq + 1. MySQL reports changed rows, not matched
// rows, unless the DSN sets clientFoundRows=true; with the bump a matched row is always a
// changed row, so the store is correct with or without that setting.
//
// RevokeByUser must return exactly the handles it revoked. On PostgreSQL and SQLite it is one
// statement, UPDATE … RETURNING handle. MySQL and MariaDB have no UPDATE … RETURNING, so there
// it is one transaction: SELECT handle … FOR UPDATE locks the user's unrevoked rows (and, under
// InnoDB's default REPEATABLE READ, the index gap, so no session of that user can be inserted
// meanwhile), then UPDATE … WHERE handle IN (…) AND revoked = false revokes exactly those.
//
// # Schema
//
// Three tables, "sessions", "signing_keys" and "audit_events" (with Options.TablePrefix in
// front). Sessions are keyed by handle and indexed by user_id (listing never scans),
// expires_at (the janitor) and (revoked_at, handle) (the revocation feed). Record.IdleTimeout is stored in milliseconds
// (idle_timeout_ms) and a zero Record.AbsoluteExpiresAt as NULL.
// Timestamps are stored in UTC with microsecond precision (timestamptz, DATETIME(6), and
// UTC text on SQLite). On MySQL the handle, user id and hash columns are VARBINARY, so they
// compare byte for byte. Data and payload are JSON as text (NULL for a nil slice). Migrate
// (or Options.AutoMigrate) creates the tables with GORM's AutoMigrate; MigrationFS holds the
// equivalent versioned SQL files for teams with their own migration tool: 0001 creates the
// tables, 0002 adds idle_timeout_ms, absolute_expires_at, revoked_at and the feed's index,
// 0003 adds history, 0004 creates audit_events.
//
// # Audit log
//
// The store implements core.AuditLog, core.EventCounter and core.LiveCounter: engines over it
// write their security events to audit_events (keyed by the event ID, indexed by (user_id, id),
// (handle, id) and (time, type)), list them newest first with keyset paging on the ID, count
// them by type over a time range, and count live sessions. See docs/GORM.md, "Audit events".
//
// # Revocation feed
//
// The store implements core.RevocationFeed, so engines over it poll RevokedSince (every 2 s
// by default) and refuse sessions revoked by other instances without a read per request; call
// Engine.Close when done. RevokedSince reads the (revoked_at, handle) index from a cursor
// that encodes a position in that order. Because each instance stamps revoked_at with its own
// clock before its statement commits, the cursor stays Options.FeedOverlap (default 10 s)
// behind the reader's clock and that window is read again on every poll: instances' clocks
// must agree to within the overlap (run NTP). A backlog longer than Options.FeedPageSize is
// delivered over several polls.
//
// # Errors and cancellation
//
// Database failures come back as *Error, which wraps the driver's error, the context's error
// when the context ended, ErrBusy for a busy SQLite database and ErrDeadlock for a deadlock
// victim (a write chosen as one is sent again, up to three times in all, before the error is
// returned: the victim's statement left no trace); the engine wraps them again
// so that errors.Is(err, core.ErrStore) holds. A missing handle is core.ErrNotFound. Every
// query runs with the caller's context. A write whose context ends while the statement is at
// the server is reported as failed, but the server may still complete it (neither pgx nor
// go-sql-driver/mysql cancels the statement on the server by default): its outcome is
// unknown, as for any lost connection, and the rotation design makes a retry safe.
//
// # SQLite
//
// New switches the database to WAL mode (readers never wait for the writer) and refuses a
// connection whose busy_timeout is 0. Writers still take turns: a writer that cannot get the
// lock within busy_timeout fails with an error matching ErrBusy; it is never reported as
// success or as "no row matched". The busy timeout is per connection, so set it in the DSN,
// e.g. "file:app.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
// (github.com/glebarez/sqlite and modernc.org/sqlite default to 5000 ms). A wait for the lock
// is bounded by busy_timeout, not by the context.
//
// # MySQL and MariaDB
//
// The DSN must set parseTime=true (New checks). loc may be anything; the store writes and reads
// UTC. InnoDB is required (the tables are created with ENGINE=InnoDB).
//
// # Logging
//
// The store runs its statements on a session of the app's *gorm.DB whose logger never prints
// parameter values, whatever the app's ParameterizedQueries setting; apps should still set
// ParameterizedQueries: true for their own queries. It also skips GORM's default write
// transaction, so each write is a single round trip.
//
// # Janitor
//
// DeleteExpired purges revoked and expired rows. Options.JanitorInterval starts a goroutine
// that calls it periodically, then deletes the audit events older than Options.AuditRetention
// (default 90 days); Close stops it and waits for it.
package gormstore
