package gormstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ratchetauth/ratchet/core"
)

// Dialector names (gorm.Dialector.Name) the store supports.
const (
	dialectPostgres = "postgres"
	dialectMySQL    = "mysql"
	dialectSQLite   = "sqlite"
)

// Options configures a Store. The zero value is valid: tables "sessions", "signing_keys" and
// "audit_events", no automatic migration, no janitor, the system clock and the default
// revocation-feed settings.
type Options struct {
	// TablePrefix is prepended to every table name (and, through GORM's naming, to their index
	// names). Letters, digits and underscores only, at most 32 characters.
	TablePrefix string
	// AutoMigrate makes New create or update the tables with GORM's AutoMigrate (see Migrate).
	// Teams with their own migration tool leave it off and apply the SQL files in
	// migrations/ (also available as MigrationFS) instead.
	AutoMigrate bool
	// JanitorInterval, when positive, starts a goroutine that calls DeleteExpired that often,
	// and then prunes the audit log (AuditRetention). Close stops it. Zero means no janitor:
	// call DeleteExpired (or Engine.DeleteExpired, which also applies the engine's audit
	// retention) yourself.
	JanitorInterval time.Duration
	// AuditRetention is how long the janitor keeps audit events: after DeleteExpired, every run
	// calls DeleteEventsBefore(now − AuditRetention), now being Clock's. Default
	// core.DefaultAuditRetention (90 days); negative keeps events forever. Without a janitor it
	// is unused (Engine.DeleteExpired applies the engine's Config.Audit.Retention instead).
	AuditRetention time.Duration
	// OnAuditPrune, if set, is called after every janitor run that pruned the audit log, with
	// the number of events deleted and the error, if any. Default: failures are logged to
	// Logger.
	OnAuditPrune func(deleted int64, err error)
	// Clock is the store's notion of "now": the revocation time it records (revoked_at), the
	// present of the revocation feed, and the janitor's cut-off. Default: the system clock.
	// Instances sharing a database should have NTP-synchronised clocks; see FeedOverlap.
	Clock core.Clock
	// OnJanitor, if set, is called after every janitor run with the number of rows deleted and
	// the error, if any. Default: failures are logged to Logger.
	OnJanitor func(deleted int64, err error)
	// Logger receives janitor failures when OnJanitor is nil, and failed change
	// notifications (PostgreSQL NOTIFY, see NotifyChannel). Default: slog.Default().
	Logger *slog.Logger

	// FeedOverlap is how far back behind the present the revocation feed (RevokedSince) keeps
	// re-reading: a revocation whose revoked_at is older than the reader's clock minus
	// FeedOverlap is assumed to be committed and visible. It must cover the longest write
	// (statement plus commit) and the clock skew between the instances sharing the database.
	// Re-read revocations are reported again, which the feed's contract allows.
	// Default DefaultFeedOverlap; negative is an error.
	FeedOverlap time.Duration
	// FeedPageSize bounds the handles one RevokedSince call returns; the cursor then points
	// into the middle of the backlog and the next call continues. Default DefaultFeedPageSize;
	// negative is an error.
	FeedPageSize int
	// FeedRetention keeps revoked rows out of DeleteExpired's reach for this long after their
	// revocation (measured against DeleteExpired's before), so that every engine, including
	// one that starts later and looks back AccessTTL + ClockSkew, can still read them from
	// the feed. Set it above the engines' AccessTTL + ClockSkew. Default
	// DefaultFeedRetention; negative is an error.
	FeedRetention time.Duration
}

// Defaults of the revocation-feed options.
const (
	DefaultFeedOverlap   = 10 * time.Second
	DefaultFeedPageSize  = 5000
	DefaultFeedRetention = 24 * time.Hour
)

// Store is a core.Store (and core.ExpiredDeleter, core.AllRevoker, core.RevocationFeed,
// core.AuditLog, core.EventCounter and core.LiveCounter) over GORM. It is safe for concurrent
// use.
// Every state transition is one conditional UPDATE whose rows-affected count decides the
// outcome; see the package documentation for how each maps onto docs/ROTATION.md.
type Store struct {
	db       *gorm.DB
	dialect  string
	sessions string
	keys     string
	events   string // audit events (audit.go)
	clock    core.Clock
	stmts    statements // the hot paths' SQL (statements.go)

	auditRetention time.Duration

	feedOverlap   time.Duration
	feedPageSize  int
	feedRetention time.Duration

	// writeGate serialises this store's writes on SQLite, which has one writer at a time:
	// waiting here honours the context and costs nothing, whereas writers queued on SQLite's
	// busy handler sleep in growing steps and collapse throughput under contention. Other
	// processes on the same file are still handled by busy_timeout. Nil on other databases.
	writeGate chan struct{}

	notify notifier // PostgreSQL change notifications (notify.go)

	janitorStop context.CancelFunc
	janitorDone chan struct{}
	closeOnce   sync.Once
}

var (
	_ core.Store          = (*Store)(nil)
	_ core.ExpiredDeleter = (*Store)(nil)
	_ core.AllRevoker     = (*Store)(nil)
	_ core.RevocationFeed = (*Store)(nil)
)

// New returns a Store over db, which must use the PostgreSQL, MySQL/MariaDB or SQLite
// dialector. The app keeps ownership of db: Close does not close it.
//
// New checks the connection's settings and fails loudly when they would break the store:
// on MySQL the DSN needs parseTime=true; on SQLite New switches the database to WAL mode and
// requires a non-zero busy_timeout.
//
// The store runs its queries on a session of db that never logs parameter values (tokens are
// hashed, but user ids, IPs and session data are still nobody's business in a log), and that
// skips GORM's default write transaction so that every write is a single statement.
func New(db *gorm.DB, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("gormstore: nil *gorm.DB")
	}
	if !validPrefix(opts.TablePrefix) {
		return nil, fmt.Errorf("gormstore: invalid TablePrefix %q: use at most 32 letters, digits and underscores", opts.TablePrefix)
	}
	if opts.JanitorInterval < 0 {
		return nil, fmt.Errorf("gormstore: negative JanitorInterval %v", opts.JanitorInterval)
	}
	if opts.FeedOverlap < 0 || opts.FeedPageSize < 0 || opts.FeedRetention < 0 {
		return nil, fmt.Errorf("gormstore: negative FeedOverlap (%v), FeedPageSize (%d) or FeedRetention (%v)",
			opts.FeedOverlap, opts.FeedPageSize, opts.FeedRetention)
	}
	s := &Store{
		db: db.Session(&gorm.Session{
			NewDB:                  true,
			SkipDefaultTransaction: true,
			Logger:                 withoutParams(db.Logger),
		}),
		dialect:       db.Dialector.Name(),
		sessions:      opts.TablePrefix + "sessions",
		keys:          opts.TablePrefix + "signing_keys",
		events:        opts.TablePrefix + "audit_events",
		clock:         opts.Clock,
		feedOverlap:   cmp.Or(opts.FeedOverlap, DefaultFeedOverlap),
		feedPageSize:  cmp.Or(opts.FeedPageSize, DefaultFeedPageSize),
		feedRetention: cmp.Or(opts.FeedRetention, DefaultFeedRetention),

		auditRetention: cmp.Or(opts.AuditRetention, core.DefaultAuditRetention),
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	switch s.dialect {
	case dialectSQLite:
		s.writeGate = make(chan struct{}, 1)
	case dialectPostgres, dialectMySQL:
	default:
		return nil, fmt.Errorf("gormstore: unsupported dialect %q (want postgres, mysql or sqlite)", s.dialect)
	}
	s.stmts = newStatements(s.dialect, s.sessions)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.checkConnection(ctx); err != nil {
		return nil, err
	}
	if err := s.initNotify(ctx, opts.Logger); err != nil {
		return nil, err
	}
	if opts.AutoMigrate {
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	if opts.JanitorInterval > 0 {
		s.startJanitor(opts)
	}
	return s, nil
}

func validPrefix(p string) bool {
	if len(p) > 32 {
		return false
	}
	for _, c := range p {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// checkConnection verifies the per-dialect settings the store relies on.
func (s *Store) checkConnection(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	switch s.dialect {
	case dialectMySQL:
		var now time.Time
		if err := db.Raw("SELECT CURRENT_TIMESTAMP(6)").Row().Scan(&now); err != nil {
			if ctx.Err() == nil && strings.Contains(err.Error(), "Scan") {
				return fmt.Errorf("gormstore: MySQL DSN must set parseTime=true: %w", err)
			}
			return wrap(ctx, "connect", err)
		}
	case dialectSQLite:
		var mode string
		if err := db.Raw("PRAGMA journal_mode=WAL").Row().Scan(&mode); err != nil {
			return wrap(ctx, "enable WAL", err)
		}
		if mode = strings.ToLower(mode); mode != "wal" && mode != "memory" {
			return fmt.Errorf("gormstore: SQLite refused WAL mode (journal_mode=%s)", mode)
		}
		var ms int64
		if err := db.Raw("PRAGMA busy_timeout").Row().Scan(&ms); err != nil {
			return wrap(ctx, "read busy_timeout", err)
		}
		if ms <= 0 {
			return errors.New("gormstore: SQLite busy_timeout is 0: concurrent writers would fail at once; " +
				"set it on every connection, e.g. DSN ?_pragma=busy_timeout(5000)")
		}
	default:
		if err := db.Exec("SELECT 1").Error; err != nil {
			return wrap(ctx, "connect", err)
		}
	}
	return nil
}

// SessionsTable returns the name of the sessions table, prefix included.
func (s *Store) SessionsTable() string { return s.sessions }

// SigningKeysTable returns the name of the signing-keys table, prefix included.
func (s *Store) SigningKeysTable() string { return s.keys }

// now is the store's clock, as written to the database.
func (s *Store) now() time.Time { return dbTime(s.clock.Now()) }

// gate waits for this store's turn to write on SQLite; elsewhere it returns at once.
func (s *Store) gate(ctx context.Context) (release func(), err error) {
	if s.writeGate == nil {
		return func() {}, nil
	}
	select {
	case s.writeGate <- struct{}{}:
		return func() { <-s.writeGate }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Store) table(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table(s.sessions)
}

// rowTable is the sessions table for a statement that changes one row by handle. On a small
// table MariaDB's single-table UPDATE may prefer the expires_at index to the primary key for
// "handle = ? AND expires_at > ?"; it then locks gaps of the very index it changes, and two
// updates of one session deadlock (Error 1213) where they should queue on the row's lock. The
// hint keeps them on the primary key, as s.stmts.rotate does.
func (s *Store) rowTable(ctx context.Context) *gorm.DB {
	if s.dialect == dialectMySQL {
		return s.db.WithContext(ctx).Table("? "+mysqlPrimaryKeyHint, clause.Table{Name: s.sessions})
	}
	return s.table(ctx)
}

// Create implements core.Store: one INSERT. A duplicate handle fails with the driver's
// unique-violation error, wrapped in *Error. A record created already revoked gets the
// store's clock as its revoked_at, like any other revocation.
func (s *Store) Create(ctx context.Context, rec *core.Record) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "create", err)
	}
	release, err := s.gate(ctx)
	if err != nil {
		return wrap(ctx, "create", err)
	}
	defer release()
	// The statement is newStatements' insert (statements.go), built once in New.
	args := insertArgs(toRow(rec, s.now()))
	return wrap(ctx, "create", retryDeadlocks(ctx, func() error {
		return s.db.WithContext(ctx).Exec(s.stmts.insert, args...).Error
	}))
}

// Get implements core.Store: one SELECT by primary key. A missing handle is core.ErrNotFound.
func (s *Store) Get(ctx context.Context, handle string) (*core.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, "get", err)
	}
	// The statement is newStatements' get (statements.go), built once in New, its row read
	// without reflection. An unknown handle is routine (garbled or forged tokens): no error
	// is logged for it.
	rows, err := s.db.WithContext(ctx).Raw(s.stmts.get, handle).Rows()
	if err != nil {
		return nil, wrap(ctx, "get", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, wrap(ctx, "get", err)
		}
		return nil, core.ErrNotFound
	}
	row, err := scanSession(rows)
	if err == nil {
		err = rows.Close()
	}
	if err != nil {
		return nil, wrap(ctx, "get", err)
	}
	return row.record(), nil
}

// Update implements core.Store as exactly one statement,
//
//	UPDATE sessions SET <ch>, write_seq = write_seq + 1
//	 WHERE handle = ? AND revoked = false [AND expires_at > ?] [AND current_hash = ?] [AND version = ?]
//
// and reports whether it changed a row. A revocation (ch.Revoke) also sets revoked_at to the
// store's clock, in the same statement. write_seq is bumped on every update so that MySQL,
// which counts changed rather than matched rows, never reports 0 for a matched row whose new
// values happen to equal the old ones.
func (s *Store) Update(ctx context.Context, handle string, cond core.Cond, ch core.Change) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, wrap(ctx, "update", err)
	}
	release, err := s.gate(ctx)
	if err != nil {
		return false, wrap(ctx, "update", err)
	}
	defer release()
	set := map[string]any{"write_seq": gorm.Expr("write_seq + 1")}
	if ch.Revoke {
		set["revoked"] = true
		set["revoked_at"] = s.now()
	}
	if ch.CurrentHash != "" {
		set["current_hash"] = ch.CurrentHash
		set["previous_hash"] = ch.PreviousHash
		set["rotated_at"] = dbTime(ch.RotatedAt)
		set["history"] = ch.History
	}
	if !ch.ExpiresAt.IsZero() {
		set["expires_at"] = dbTime(ch.ExpiresAt)
	}
	if !ch.LastActiveAt.IsZero() {
		set["last_active_at"] = dbTime(ch.LastActiveAt)
	}
	if ch.Data != nil {
		set["data"] = string(ch.Data)
	}
	if ch.Payload != nil {
		set["payload"] = string(ch.Payload)
	}
	if ch.Data != nil || ch.Payload != nil {
		set["version"] = gorm.Expr("version + 1")
	}
	q := s.rowTable(ctx).Where("handle = ? AND revoked = false", handle)
	if !cond.LiveAt.IsZero() {
		q = q.Where("expires_at > ?", dbTime(cond.LiveAt))
	}
	if cond.CurrentHash != "" {
		q = q.Where("current_hash = ?", cond.CurrentHash)
	}
	if cond.Version != 0 {
		q = q.Where("version = ?", cond.Version)
	}
	// q is sent once per attempt, hence a fresh session of it each time.
	res, err := sendRetrying(ctx, func() *gorm.DB { return q.Session(&gorm.Session{}).Updates(set) })
	if err != nil {
		return false, wrap(ctx, "update", err)
	}
	if ch.Revoke && res.RowsAffected > 0 {
		s.notifyRevoked(ctx, handle)
	}
	return res.RowsAffected > 0, nil
}

// listColumns are the columns ListByUser reads: metadata only, never the secret, data or
// payload, so listing costs the same however much the sessions store (core.Store).
var listColumns = []string{"handle", "user_id", "current_hash", "previous_hash", "rotated_at", "history", "created_at",
	"expires_at", "last_active_at", "revoked", "version", "ip", "user_agent", "idle_timeout_ms", "absolute_expires_at"}

// ListByUser implements core.Store: one SELECT on the user_id index, newest first (ties by
// handle, in byte order on every database).
func (s *Store) ListByUser(ctx context.Context, userID string, now time.Time) ([]*core.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, "list", err)
	}
	var rows []sessionRow
	err := s.table(ctx).Select(listColumns).
		Where("user_id = ? AND revoked = false AND expires_at > ?", userID, dbTime(now)).
		Order("created_at DESC").Find(&rows).Error
	if err != nil {
		return nil, wrap(ctx, "list", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]*core.Record, len(rows))
	for i := range rows {
		out[i] = rows[i].record()
	}
	slices.SortStableFunc(out, func(a, b *core.Record) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Handle, b.Handle)
	})
	return out, nil
}

// RevokeByUser implements core.Store. It sets revoked_at to the store's clock in the revoking
// statement. The revoked handles are exactly the rows this call changed, even under
// concurrent calls:
//   - PostgreSQL and SQLite: one statement, UPDATE … RETURNING handle.
//   - MySQL/MariaDB (no UPDATE … RETURNING): one transaction that locks the user's unrevoked
//     rows with SELECT … FOR UPDATE and then revokes exactly those rows.
func (s *Store) RevokeByUser(ctx context.Context, userID, except string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, "revoke by user", err)
	}
	release, err := s.gate(ctx)
	if err != nil {
		return nil, wrap(ctx, "revoke by user", err)
	}
	defer release()
	// Find, never Scan, for raw statements: GORM's Scan logs through a recorder that prints
	// parameter values whatever the logger's settings.
	var handles []string
	err = retryDeadlocks(ctx, func() (err error) {
		handles = nil
		if s.dialect == dialectMySQL {
			handles, err = s.revokeByUserLocking(ctx, userID, except)
			return err
		}
		return s.db.WithContext(ctx).Raw(
			"UPDATE ? SET revoked = true, revoked_at = ?, write_seq = write_seq + 1 "+
				"WHERE user_id = ? AND revoked = false AND handle <> ? RETURNING handle",
			clause.Table{Name: s.sessions}, s.now(), userID, except).Find(&handles).Error
	})
	if err != nil {
		return nil, wrap(ctx, "revoke by user", err)
	}
	if len(handles) == 0 {
		return nil, nil
	}
	slices.Sort(handles)
	s.notifyRevoked(ctx, handles...)
	return handles, nil
}

func (s *Store) revokeByUserLocking(ctx context.Context, userID, except string) ([]string, error) {
	var handles []string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Raw("SELECT handle FROM ? WHERE user_id = ? AND revoked = false AND handle <> ? FOR UPDATE",
			clause.Table{Name: s.sessions}, userID, except).Find(&handles).Error
		if err != nil || len(handles) == 0 {
			return err
		}
		res := tx.Exec("UPDATE ? SET revoked = true, revoked_at = ?, write_seq = write_seq + 1 WHERE handle IN ? AND revoked = false",
			clause.Table{Name: s.sessions}, s.now(), handles)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != int64(len(handles)) {
			// Impossible while the rows are locked; refuse to report handles we did not revoke.
			return fmt.Errorf("revoked %d rows, locked %d", res.RowsAffected, len(handles))
		}
		return nil
	})
	return handles, err
}

// DeleteExpired implements core.ExpiredDeleter: one DELETE of the rows that are revoked or
// whose expires_at is at or before before, except rows revoked less than
// Options.FeedRetention before before: those stay until the revocation feed no longer needs
// them (a deleted row would never reach the engines that had not polled it yet).
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, wrap(ctx, "delete expired", err)
	}
	if s.dialect == dialectMySQL {
		n, err := s.deleteExpiredByHandle(ctx, dbTime(before), dbTime(before.Add(-s.feedRetention)))
		return n, wrap(ctx, "delete expired", err)
	}
	release, err := s.gate(ctx)
	if err != nil {
		return 0, wrap(ctx, "delete expired", err)
	}
	defer release()
	res := s.db.WithContext(ctx).Exec("DELETE FROM ? WHERE "+purgeCondition,
		clause.Table{Name: s.sessions}, dbTime(before), dbTime(before.Add(-s.feedRetention)))
	if res.Error != nil {
		return 0, wrap(ctx, "delete expired", res.Error)
	}
	return res.RowsAffected, nil
}

// purgeCondition is the rows DeleteExpired deletes, on every database: revoked or expired,
// except those revoked less than FeedRetention ago. Its arguments: before, then
// before − FeedRetention.
const purgeCondition = "(revoked = true OR expires_at <= ?) AND (revoked_at IS NULL OR revoked_at <= ?)"

// sessionDeleteBatch bounds each of deleteExpiredByHandle's statements.
const sessionDeleteBatch = 1000

// deleteExpiredByHandle is DeleteExpired on MySQL/MariaDB. The one statement the other
// databases run can use no index there (its OR spans two columns), and under REPEATABLE READ
// InnoDB locks every row a DELETE scans, live sessions included, until the statement ends:
// every refresh waited for the janitor. A DELETE by a range of an index is no cure either: it
// locks the row just past the range, a live session. So the rows are found by lock-free reads,
// one index each, in batches,
//
//	SELECT handle FROM sessions WHERE expires_at <= ? AND (revoked_at IS NULL OR revoked_at <= ?) ORDER BY expires_at LIMIT 1000
//	SELECT handle FROM sessions WHERE revoked_at <= ? AND revoked = true ORDER BY revoked_at LIMIT 1000
//	SELECT handle FROM sessions WHERE revoked = true AND revoked_at IS NULL LIMIT 1000
//
// (the last finds rows revoked before schema version 2, which no index serves), and deleted
// by primary key with DeleteExpired's condition checked again, so a row that changed in
// between stays:
//
//	DELETE s FROM sessions AS s FORCE INDEX (PRIMARY) WHERE handle IN (…) AND <purgeCondition>
//
// The hint (which only the multi-table DELETE accepts) keeps the optimizer off the
// revoked_at index, whose NULL range is every live session. TestJanitorLocksNoLiveSession
// holds these statements' locks and locks every live session beside them.
func (s *Store) deleteExpiredByHandle(ctx context.Context, before, revokedBefore time.Time) (int64, error) {
	tbl := clause.Table{Name: s.sessions}
	db := s.db.WithContext(ctx)
	finders := []struct {
		sql  string
		args []any
	}{
		{"SELECT handle FROM ? WHERE expires_at <= ? AND (revoked_at IS NULL OR revoked_at <= ?) ORDER BY expires_at LIMIT ?",
			[]any{tbl, before, revokedBefore, sessionDeleteBatch}},
		{"SELECT handle FROM ? WHERE revoked_at <= ? AND revoked = true ORDER BY revoked_at LIMIT ?",
			[]any{tbl, revokedBefore, sessionDeleteBatch}},
		{"SELECT handle FROM ? WHERE revoked = true AND revoked_at IS NULL LIMIT ?",
			[]any{tbl, sessionDeleteBatch}},
	}
	var total int64
	for _, f := range finders {
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			var handles []string
			if err := db.Raw(f.sql, f.args...).Find(&handles).Error; err != nil {
				return total, err
			}
			if len(handles) == 0 {
				break
			}
			n, err := rowsAffected(db.Exec("DELETE s FROM ? AS s "+mysqlPrimaryKeyHint+" WHERE handle IN ? AND "+purgeCondition,
				tbl, handles, before, revokedBefore))
			total += n
			if err != nil {
				return total, err
			}
			if len(handles) < sessionDeleteBatch { // the finder has no more
				break
			}
		}
	}
	return total, nil
}

// RevokeAll implements core.AllRevoker (incident response): one UPDATE that revokes every
// unrevoked session, setting revoked_at to the store's clock, and reports how many it revoked.
func (s *Store) RevokeAll(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, wrap(ctx, "revoke all", err)
	}
	release, err := s.gate(ctx)
	if err != nil {
		return 0, wrap(ctx, "revoke all", err)
	}
	defer release()
	res, err := sendRetrying(ctx, func() *gorm.DB {
		return s.db.WithContext(ctx).Exec(
			"UPDATE ? SET revoked = true, revoked_at = ?, write_seq = write_seq + 1 WHERE revoked = false",
			clause.Table{Name: s.sessions}, s.now())
	})
	if err != nil {
		return 0, wrap(ctx, "revoke all", err)
	}
	if res.RowsAffected > 0 {
		s.notifyRevoked(ctx) // no handles: read the feed
	}
	return res.RowsAffected, nil
}

// PoolSize implements core.PoolSizer: the database/sql pool's MaxOpenConns (0 when
// unbounded), which the engine's admission control (core.Admission) defaults to. Bound the
// pool (sql.DB.SetMaxOpenConns) before building the engine; docs/GORM.md says what to set.
func (s *Store) PoolSize() int {
	sqlDB, err := s.db.DB()
	if err != nil {
		return 0
	}
	return sqlDB.Stats().MaxOpenConnections
}
