package gormstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Migrate serialises itself with the database's own lock, so that any number of instances can
// start at once on an empty database (docs/GORM.md, "Concurrent start"):
//
//   - PostgreSQL: the session-level advisory lock pg_advisory_lock(K), where K is the 64-bit
//     FNV-1a hash of "ratchet-migrate:<current_schema()>.<sessions table>" read as a signed
//     bigint (migrationLockKey);
//   - MySQL/MariaDB: the user lock GET_LOCK("ratchet-migrate:<DATABASE()>.<sessions table>"),
//     or, when that is longer than the 64 characters MySQL allows, "ratchet-migrate:" and the
//     16 hex digits of the same hash (migrationLockName);
//   - SQLite: the database's write lock, taken with BEGIN IMMEDIATE; the migration runs inside
//     that transaction and commits (or rolls back) as a whole.
//
// The lock is taken on one dedicated connection (advisory and user locks belong to a session),
// the migration runs on that connection after the lock is granted, so every catalogue query it
// makes sees what an earlier holder committed, and the lock is released on the way out whatever
// happens (error or panic), with a context of its own so that a cancelled caller cannot leave it
// held. A connection whose release failed is closed rather than returned to the pool: closing
// the session releases the lock.
//
// Waiting honours the context. The server waits in slices of at most maxLockWait (or up to the
// context's deadline, if sooner), and the context is checked between slices, so a wait whose
// client went away does not outlive it by more than one slice on the server either.

const (
	migrationLockPrefix = "ratchet-migrate:"
	// maxLockWait bounds one server-side wait for the migration lock.
	maxLockWait = 10 * time.Second
	// lockReleaseTimeout bounds the release of the migration lock.
	lockReleaseTimeout = 10 * time.Second
	// maxLockNameLen is MySQL's limit on the name of a user lock.
	maxLockNameLen = 64
)

// migrationLockKey is the PostgreSQL advisory-lock key of the tables in schema whose sessions
// table is named table.
func migrationLockKey(schema, table string) int64 {
	return int64(fnv64a(migrationLockPrefix + schema + "." + table))
}

// migrationLockName is the MySQL/MariaDB user-lock name of the tables in database whose
// sessions table is named table. User locks are server-wide, hence the database name.
func migrationLockName(database, table string) string {
	name := migrationLockPrefix + database + "." + table
	if len(name) <= maxLockNameLen {
		return name
	}
	return fmt.Sprintf("%s%016x", migrationLockPrefix, fnv64a(name))
}

func fnv64a(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// migrationLock is one database's lock, bound to one dedicated connection.
type migrationLock interface {
	// acquire waits at most wait for the lock; false without an error means the wait ran out.
	acquire(db *gorm.DB, wait time.Duration) (bool, error)
	// during returns the session the migration runs on while the lock is held.
	during(db *gorm.DB) *gorm.DB
	// release gives the lock up. ok reports whether the migration completed without error
	// (SQLite commits its transaction then, and rolls it back otherwise).
	release(db *gorm.DB, ok bool) error
	// String names the lock in errors.
	String() string
}

// withMigrationLock runs fn on one dedicated connection while holding the migration lock.
// Errors that are not already *Error (fn's are) come back wrapped as the "migrate" operation.
func (s *Store) withMigrationLock(ctx context.Context, fn func(db *gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "migrate", err)
	}
	if s.dialect == dialectSQLite {
		// This store's own writers first: they would only meet the lock on SQLite's busy handler.
		release, err := s.gate(ctx)
		if err != nil {
			return wrap(ctx, "migrate", fmt.Errorf("waiting for the store's write gate: %w", err))
		}
		defer release()
	}
	err := s.db.WithContext(ctx).Connection(func(db *gorm.DB) (err error) {
		// Connection hands over a chained instance, whose statement (and error) every call
		// would share; start each statement afresh on the dedicated connection instead.
		db = db.Session(&gorm.Session{NewDB: true})
		conn, ok := db.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return fmt.Errorf("no dedicated connection for the migration lock (got %T)", db.Statement.ConnPool)
		}
		lock, err := s.newMigrationLock(db, conn)
		if err != nil {
			return fmt.Errorf("preparing the migration lock: %w", err)
		}
		if err := acquireMigrationLock(ctx, db, lock); err != nil {
			return err
		}
		completed := false
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockReleaseTimeout)
			defer cancel()
			if rerr := lock.release(db.WithContext(rctx), completed && err == nil); rerr != nil {
				// Closing the session releases the lock (and rolls back SQLite's transaction);
				// never hand a connection that may still hold it back to the pool.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				if err == nil {
					err = fmt.Errorf("releasing the migration lock %s: %w", lock, rerr)
				}
			}
		}()
		err = fn(lock.during(db))
		completed = true
		return err
	})
	if e := (*Error)(nil); err != nil && !errors.As(err, &e) {
		err = wrap(ctx, "migrate", err)
	}
	return err
}

// acquireMigrationLock waits for lock until it is granted or ctx ends, in server-side waits of
// at most maxLockWait.
func acquireMigrationLock(ctx context.Context, db *gorm.DB, lock migrationLock) error {
	// The waits are not logged: a wait is not a slow query, and a slice that ran out (an error
	// on PostgreSQL and SQLite) is expected and retried. The outcome is Migrate's result.
	db = db.Session(&gorm.Session{NewDB: true, Logger: db.Logger.LogMode(logger.Silent)})
	for {
		wait := maxLockWait
		if deadline, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(deadline))
		}
		if err := ctx.Err(); err != nil || wait <= 0 {
			return gaveUp(ctx, lock, nil)
		}
		got, err := lock.acquire(db, max(wait, time.Millisecond))
		switch {
		case got:
			return nil
		case ctx.Err() != nil:
			return gaveUp(ctx, lock, err)
		case err != nil:
			return wrap(ctx, "migrate", fmt.Errorf("taking the migration lock %s: %w", lock, err))
		}
	}
}

// gaveUp is the error of a wait for the lock that the context ended.
func gaveUp(ctx context.Context, lock migrationLock, cause error) error {
	ended := context.Cause(ctx)
	if ended == nil { // the deadline has passed, but the context has not noticed yet
		ended = context.DeadlineExceeded
	}
	err := fmt.Errorf("gave up waiting for the migration lock %s, which another session holds: %w",
		lock, ended)
	if cause != nil && !errors.Is(cause, ctx.Err()) {
		err = fmt.Errorf("%w (%v)", err, cause)
	}
	return wrap(ctx, "migrate", err)
}

func (s *Store) newMigrationLock(db *gorm.DB, conn *sql.Conn) (migrationLock, error) {
	switch s.dialect {
	case dialectPostgres:
		var schema sql.NullString
		if err := db.Raw("SELECT current_schema()").Row().Scan(&schema); err != nil {
			return nil, err
		}
		id := migrationLockPrefix + schema.String + "." + s.sessions
		return &pgLock{key: migrationLockKey(schema.String, s.sessions), id: id}, nil
	case dialectMySQL:
		var database sql.NullString
		if err := db.Raw("SELECT DATABASE()").Row().Scan(&database); err != nil {
			return nil, err
		}
		return &mysqlLock{name: migrationLockName(database.String, s.sessions)}, nil
	case dialectSQLite:
		return &sqliteLock{conn: conn}, nil
	}
	return nil, fmt.Errorf("unsupported dialect %q", s.dialect)
}

// pgLock is a session-level advisory lock. Each wait runs in a short transaction that sets
// lock_timeout locally, so the session's own setting is untouched afterwards.
type pgLock struct {
	key int64
	id  string
}

func (l *pgLock) String() string {
	return fmt.Sprintf("pg_advisory_lock(%d) (%q)", l.key, l.id)
}

func (l *pgLock) acquire(db *gorm.DB, wait time.Duration) (bool, error) {
	err := db.Transaction(func(tx *gorm.DB) error {
		timeout := fmt.Sprintf("%dms", max(wait.Milliseconds(), 1))
		if err := tx.Exec("SELECT set_config('lock_timeout', ?, true)", timeout).Error; err != nil {
			return err
		}
		return tx.Exec("SELECT pg_advisory_lock(?)", l.key).Error
	})
	if err == nil {
		return true, nil
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "55P03", "57014": // lock_not_available (lock_timeout), query_canceled (statement_timeout)
			return false, nil
		}
	}
	return false, err
}

func (l *pgLock) during(db *gorm.DB) *gorm.DB { return db }

func (l *pgLock) release(db *gorm.DB, _ bool) error {
	var released bool
	if err := db.Raw("SELECT pg_advisory_unlock(?)", l.key).Row().Scan(&released); err != nil {
		return err
	}
	if !released {
		return errors.New("pg_advisory_unlock reported the lock not held")
	}
	return nil
}

// mysqlLock is a MySQL/MariaDB user lock (GET_LOCK), held by the session.
type mysqlLock struct{ name string }

func (l *mysqlLock) String() string { return fmt.Sprintf("GET_LOCK(%q)", l.name) }

func (l *mysqlLock) acquire(db *gorm.DB, wait time.Duration) (bool, error) {
	// Whole seconds: MySQL truncates a fractional timeout (MariaDB would honour it).
	seconds := int64(math.Ceil(wait.Seconds()))
	var got sql.NullInt64
	if err := db.Raw("SELECT GET_LOCK(?, ?)", l.name, max(seconds, 1)).Row().Scan(&got); err != nil {
		return false, err
	}
	switch {
	case !got.Valid:
		return false, errors.New("GET_LOCK returned NULL")
	case got.Int64 == 1:
		return true, nil
	case got.Int64 == 0:
		return false, nil
	}
	return false, fmt.Errorf("GET_LOCK returned %d", got.Int64)
}

func (l *mysqlLock) during(db *gorm.DB) *gorm.DB { return db }

func (l *mysqlLock) release(db *gorm.DB, _ bool) error {
	var released sql.NullInt64
	if err := db.Raw("SELECT RELEASE_LOCK(?)", l.name).Row().Scan(&released); err != nil {
		return err
	}
	if !released.Valid || released.Int64 != 1 {
		return fmt.Errorf("RELEASE_LOCK returned %v, want 1", released)
	}
	return nil
}

// sqliteLock is SQLite's write lock: a BEGIN IMMEDIATE transaction on the dedicated
// connection, which the migration then runs in. Each wait is bounded by lowering the
// connection's busy_timeout, which is restored once the wait is over.
type sqliteLock struct {
	conn *sql.Conn
}

func (l *sqliteLock) String() string { return "BEGIN IMMEDIATE (the SQLite write lock)" }

func (l *sqliteLock) acquire(db *gorm.DB, wait time.Duration) (got bool, err error) {
	var busy int64
	if err := db.Raw("PRAGMA busy_timeout").Row().Scan(&busy); err != nil {
		return false, err
	}
	if err := db.Exec(fmt.Sprintf("PRAGMA busy_timeout = %d", max(wait.Milliseconds(), 1))).Error; err != nil {
		return false, err
	}
	defer func() {
		// The connection goes back to the app's pool: its busy_timeout must be the app's again,
		// even when the caller's context has ended.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(db.Statement.Context), lockReleaseTimeout)
		defer cancel()
		rdb := db.WithContext(rctx)
		if rerr := rdb.Exec(fmt.Sprintf("PRAGMA busy_timeout = %d", busy)).Error; rerr != nil {
			if got {
				_ = rdb.Exec("ROLLBACK").Error
			}
			got, err = false, fmt.Errorf("restoring busy_timeout: %w", rerr)
			_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if err := db.Exec("BEGIN IMMEDIATE").Error; err != nil {
		if isBusy(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// during runs the migration inside the BEGIN IMMEDIATE transaction. GORM sees a transaction
// (sqliteTx has Commit and Rollback), so a migrator step that opens one of its own, such as the
// SQLite migrator's table rebuild, nests in a savepoint instead of failing on BEGIN.
func (l *sqliteLock) during(db *gorm.DB) *gorm.DB {
	tx := db.WithContext(db.Statement.Context) // a copy of the statement, to point elsewhere
	tx.Statement.ConnPool = &sqliteTx{l.conn}
	return tx
}

func (l *sqliteLock) release(db *gorm.DB, ok bool) error {
	if ok {
		if err := db.Exec("COMMIT").Error; err == nil {
			return nil
		} else if rerr := db.Exec("ROLLBACK").Error; rerr != nil {
			return errors.Join(fmt.Errorf("commit: %w", err), fmt.Errorf("rollback: %w", rerr))
		} else {
			return fmt.Errorf("commit (rolled back): %w", err)
		}
	}
	return db.Exec("ROLLBACK").Error
}

// sqliteTx is the dedicated connection inside its BEGIN IMMEDIATE transaction, as GORM's
// ConnPool. Only the lock ends the transaction: Commit and Rollback refuse, and there is no
// BeginTx, so that GORM neither ends it early nor tries to open another.
type sqliteTx struct{ conn *sql.Conn }

var (
	_ gorm.ConnPool    = (*sqliteTx)(nil)
	_ gorm.TxCommitter = (*sqliteTx)(nil)
)

func (t *sqliteTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.conn.PrepareContext(ctx, query)
}

func (t *sqliteTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.conn.ExecContext(ctx, query, args...)
}

func (t *sqliteTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.conn.QueryContext(ctx, query, args...)
}

func (t *sqliteTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.conn.QueryRowContext(ctx, query, args...)
}

var errMigrationTx = errors.New("gormstore: the migration transaction ends with the migration lock")

func (*sqliteTx) Commit() error   { return errMigrationTx }
func (*sqliteTx) Rollback() error { return errMigrationTx }
