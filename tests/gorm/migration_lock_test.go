package gormtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// The migration lock as docs/GORM.md ("Concurrent start") documents it, computed here
// independently so that the tests below also check the documentation.

func docFNV(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// docPgKey: the 64-bit FNV-1a hash of "ratchet-migrate:<schema>.<sessions table>" as a bigint.
func docPgKey(schema, sessions string) int64 {
	return int64(docFNV("ratchet-migrate:" + schema + "." + sessions))
}

// docMySQLName: "ratchet-migrate:<database>.<sessions table>", or, beyond 64 characters,
// "ratchet-migrate:" and the 16 hex digits of its FNV-1a hash.
func docMySQLName(database, sessions string) string {
	name := "ratchet-migrate:" + database + "." + sessions
	if len(name) > 64 {
		name = fmt.Sprintf("ratchet-migrate:%016x", docFNV(name))
	}
	return name
}

// lockHolder is another instance holding the migration lock of one set of tables, on a
// dedicated connection of its own *gorm.DB.
type lockHolder struct {
	b       backend
	conn    *sql.Conn
	db      *gorm.DB // a session on conn
	pgKey   int64
	myName  string
	holding bool
}

// dedicated returns a session of db pinned to one connection, closed at the end of the test.
func dedicated(t *testing.T, db *gorm.DB) (*sql.Conn, *gorm.DB) {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	s := db.Session(&gorm.Session{NewDB: true, Context: context.Background()})
	s.Statement.ConnPool = conn
	return conn, s
}

func newLockHolder(t *testing.T, b backend, dsn, prefix string) *lockHolder {
	t.Helper()
	h := &lockHolder{b: b}
	h.conn, h.db = dedicated(t, openInstance(t, b, dsn))
	switch b.name {
	case "postgres":
		var schema string
		if err := h.db.Raw("SELECT current_schema()").Row().Scan(&schema); err != nil {
			t.Fatal(err)
		}
		h.pgKey = docPgKey(schema, prefix+"sessions")
	case "mysql":
		var database string
		if err := h.db.Raw("SELECT DATABASE()").Row().Scan(&database); err != nil {
			t.Fatal(err)
		}
		h.myName = docMySQLName(database, prefix+"sessions")
	}
	t.Cleanup(func() {
		if h.holding {
			h.unlock(t)
		}
	})
	return h
}

func (h *lockHolder) lock(t *testing.T) {
	t.Helper()
	switch h.b.name {
	case "postgres":
		if err := h.db.Exec("SELECT pg_advisory_lock(?)", h.pgKey).Error; err != nil {
			t.Fatal(err)
		}
	case "mysql":
		var got sql.NullInt64
		if err := h.db.Raw("SELECT GET_LOCK(?, 0)", h.myName).Row().Scan(&got); err != nil || got.Int64 != 1 {
			t.Fatalf("GET_LOCK(%q) = %v, %v", h.myName, got, err)
		}
	case "sqlite":
		if err := h.db.Exec("BEGIN IMMEDIATE").Error; err != nil {
			t.Fatal(err)
		}
	}
	h.holding = true
}

func (h *lockHolder) unlock(t *testing.T) {
	t.Helper()
	h.holding = false
	var err error
	switch h.b.name {
	case "postgres":
		err = h.db.Exec("SELECT pg_advisory_unlock(?)", h.pgKey).Error
	case "mysql":
		err = h.db.Exec("SELECT RELEASE_LOCK(?)", h.myName).Error
	case "sqlite":
		err = h.db.Exec("COMMIT").Error
	}
	if err != nil {
		t.Fatal(err)
	}
}

// free reports whether the lock can be taken at once (and gives it back).
func (h *lockHolder) free(t *testing.T) bool {
	t.Helper()
	switch h.b.name {
	case "postgres":
		var got bool
		if err := h.db.Raw("SELECT pg_try_advisory_lock(?)", h.pgKey).Row().Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got {
			h.db.Exec("SELECT pg_advisory_unlock(?)", h.pgKey)
		}
		return got
	case "mysql":
		var got int64
		if err := h.db.Raw("SELECT IS_FREE_LOCK(?)", h.myName).Row().Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got == 1
	default:
		var busy int64
		if err := h.db.Raw("PRAGMA busy_timeout").Row().Scan(&busy); err != nil {
			t.Fatal(err)
		}
		h.db.Exec("PRAGMA busy_timeout = 0")
		defer h.db.Exec(fmt.Sprintf("PRAGMA busy_timeout = %d", busy))
		if err := h.db.Exec("BEGIN IMMEDIATE").Error; err != nil {
			return false
		}
		h.db.Exec("ROLLBACK")
		return true
	}
}

// waiting reports whether another session is queued on the lock. (SQLite's busy handler is
// invisible from outside; there it reports true.)
func (h *lockHolder) waiting(t *testing.T) bool {
	t.Helper()
	var n int64
	var err error
	switch h.b.name {
	case "postgres":
		u := uint64(h.pgKey)
		err = h.db.Raw(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 1`,
			int64(u>>32), int64(u&0xffffffff)).Row().Scan(&n)
	case "mysql":
		err = h.db.Raw(`SELECT count(*) FROM information_schema.PROCESSLIST
			WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE '%GET_LOCK%'`).Row().Scan(&n)
	default:
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// onStatement calls fn before every statement db runs whose SQL contains marker (any case).
func onStatement(t *testing.T, db *gorm.DB, marker string, fn func(*gorm.DB)) {
	t.Helper()
	hook := func(d *gorm.DB) {
		if strings.Contains(strings.ToUpper(d.Statement.SQL.String()), strings.ToUpper(marker)) {
			fn(d)
		}
	}
	name := "gormtest:" + marker
	if err := db.Callback().Raw().Before("gorm:raw").Register(name, hook); err != nil {
		t.Fatal(err)
	}
	if err := db.Callback().Row().Before("gorm:row").Register(name, hook); err != nil {
		t.Fatal(err)
	}
}

// lockStatement is the statement with which the store waits for the lock.
var lockStatement = map[string]string{"postgres": "pg_advisory_lock", "mysql": "GET_LOCK", "sqlite": "BEGIN IMMEDIATE"}

// TestMigrateWaitsAndRereads: an instance that starts while another holds the migration lock
// waits, and, once the other has created the tables and let go, finds them: it succeeds and
// does not try to create them. Its one-connection pool shows that lock, migration and release all run on
// the same connection, and that the connection comes back with its settings unchanged.
func TestMigrateWaitsAndRereads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		want, _ := b.open(t, testdb.Quiet())
		if _, err := gormstore.New(want, gormstore.Options{AutoMigrate: true}); err != nil {
			t.Fatal(err)
		}
		_, dsn := b.open(t, testdb.Quiet())
		holder := newLockHolder(t, b, dsn, "")

		var out syncBuffer
		db := openInstance(t, b, dsn)
		sqlDB, _ := db.DB()
		sqlDB.SetMaxOpenConns(1)
		before := sessionSetting(t, b, db)
		// A temporary table lives as long as its connection: it shows below that the pool's one
		// connection was handed back, not closed.
		temp := "CREATE TEMPORARY TABLE conn_marker (x int)"
		if err := db.Exec(temp).Error; err != nil {
			t.Fatal(err)
		}
		asked := make(chan struct{})
		var once atomic.Bool
		onStatement(t, db, lockStatement[b.name], func(*gorm.DB) {
			if once.CompareAndSwap(false, true) {
				close(asked)
			}
		})
		s, err := gormstore.New(db.Session(&gorm.Session{Logger: verboseLogger(&out)}), gormstore.Options{})
		if err != nil {
			t.Fatal(err)
		}

		holder.lock(t)
		done := make(chan error, 1)
		go func() { done <- s.Migrate(context.Background()) }()
		select {
		case <-asked:
		case err := <-done:
			t.Fatalf("Migrate returned while another instance held the lock: %v", err)
		}
		for !holder.waiting(t) {
			select {
			case err := <-done:
				t.Fatalf("Migrate returned while another instance held the lock: %v", err)
			case <-time.After(10 * time.Millisecond):
			}
		}
		// The other instance migrates (with the SQL files, on its lock's connection: on SQLite,
		// inside its write transaction) and lets go.
		applyMigrations(t, holder.db, b.name)
		holder.unlock(t)
		if err := <-done; err != nil {
			t.Fatalf("Migrate after waiting: %v", err)
		}
		// (Whether AutoMigrate over the SQL files' schema has any DDL left to do at all is
		// TestMigrationFiles' business; here it must not try to create the tables.)
		createTable := regexp.MustCompile("(?i)CREATE TABLE\\s+[`\"]?(sessions|signing_keys)\\b")
		for _, l := range strings.Split(out.String(), "\n") {
			if createTable.MatchString(l) {
				t.Errorf("Migrate did not see the tables created while it waited: %s", l)
			}
		}
		sameSchema(t, want, db)
		if after := sessionSetting(t, b, db); after != before {
			t.Errorf("the pool's connection came back with %s, was %s", after, before)
		}
		if err := db.Exec("SELECT x FROM conn_marker").Error; err != nil {
			t.Errorf("the pool's connection did not come back: %v", err)
		}
		if !holder.free(t) {
			t.Error("the migration lock is still held after Migrate returned")
		}
	})
}

// sessionSetting is the session setting the store changes while it waits for the lock
// (lock_timeout, busy_timeout), read on db's pool.
func sessionSetting(t *testing.T, b backend, db *gorm.DB) string {
	t.Helper()
	var v string
	var err error
	switch b.name {
	case "postgres":
		err = db.Raw("SELECT 'lock_timeout=' || current_setting('lock_timeout')").Row().Scan(&v)
	case "mysql":
		return ""
	default:
		var ms int64
		err = db.Raw("PRAGMA busy_timeout").Row().Scan(&ms)
		v = fmt.Sprint("busy_timeout=", ms)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMigrateLockDeadline: while another instance holds the lock, Migrate gives up when its
// context's deadline passes, with an error that names the lock and matches
// context.DeadlineExceeded; it leaves nothing held, and succeeds once the lock is free. A
// 32-character TablePrefix makes the MySQL lock name the hashed form.
func TestMigrateLockDeadline(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, prefix := range []string{"", "p0123456789abcdef0123456789abcd_"} {
			t.Run(fmt.Sprintf("prefix%d", len(prefix)), func(t *testing.T) {
				_, dsn := b.open(t, testdb.Quiet())
				holder := newLockHolder(t, b, dsn, prefix)
				db := openInstance(t, b, dsn)
				sqlDB, _ := db.DB()
				sqlDB.SetMaxOpenConns(1)
				before := sessionSetting(t, b, db)
				s, err := gormstore.New(db, gormstore.Options{TablePrefix: prefix})
				if err != nil {
					t.Fatal(err)
				}
				holder.lock(t)
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				err = s.Migrate(ctx)
				var e *gormstore.Error
				if err == nil || !errors.As(err, &e) || !errors.Is(err, context.DeadlineExceeded) ||
					!strings.Contains(err.Error(), "migration lock") {
					t.Fatalf("Migrate while the lock is held = %v; want a *gormstore.Error naming the lock and matching context.DeadlineExceeded", err)
				}
				t.Logf("%v", err)
				if b.name == "mysql" && !strings.Contains(err.Error(), holder.myName) {
					t.Errorf("the error does not name the lock %q: %v", holder.myName, err)
				}
				if b.name == "postgres" && !strings.Contains(err.Error(), fmt.Sprint(holder.pgKey)) {
					t.Errorf("the error does not name the key %d: %v", holder.pgKey, err)
				}
				if s.SessionsTable() != prefix+"sessions" {
					t.Fatal(s.SessionsTable())
				}
				holder.unlock(t)
				if err := s.Migrate(context.Background()); err != nil {
					t.Fatalf("Migrate once the lock is free: %v", err)
				}
				if after := sessionSetting(t, b, db); after != before {
					t.Errorf("the pool's connection came back with %s, was %s", after, before)
				}
				if !holder.free(t) {
					t.Error("the migration lock is still held after Migrate returned")
				}
			})
		}
	})
}

// TestMigrateReleasesLock: a migration that fails, or panics, half-way still releases the lock
// (on SQLite its transaction is rolled back: no table is left behind), and the next Migrate
// succeeds.
func TestMigrateReleasesLock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, mode := range []string{"error", "panic"} {
			t.Run(mode, func(t *testing.T) {
				_, dsn := b.open(t, testdb.Quiet())
				holder := newLockHolder(t, b, dsn, "")
				db := openInstance(t, b, dsn)
				s, err := gormstore.New(db, gormstore.Options{})
				if err != nil {
					t.Fatal(err)
				}
				boom := errors.New("boom")
				var armed atomic.Bool
				armed.Store(true)
				// Fail on the second table: the first one has been created by then.
				onStatement(t, db, "signing_keys", func(d *gorm.DB) {
					if !armed.Load() || !strings.Contains(strings.ToUpper(d.Statement.SQL.String()), "CREATE TABLE") {
						return
					}
					if mode == "panic" {
						panic(boom)
					}
					_ = d.AddError(boom)
				})
				var recovered any
				func() {
					defer func() { recovered = recover() }()
					err = s.Migrate(context.Background())
				}()
				switch mode {
				case "panic":
					if recovered != boom {
						t.Fatalf("Migrate recovered %v; want the panic to pass through", recovered)
					}
				default:
					if !errors.Is(err, boom) {
						t.Fatalf("Migrate = %v; want the migration's error", err)
					}
				}
				if !holder.free(t) {
					t.Fatal("the migration lock is still held after a failed Migrate")
				}
				if b.name == "sqlite" && db.Migrator().HasTable("sessions") {
					t.Error("the failed migration was not rolled back")
				}
				armed.Store(false)
				if err := s.Migrate(context.Background()); err != nil {
					t.Fatalf("Migrate after a failed one: %v", err)
				}
				if !db.Migrator().HasTable("signing_keys") {
					t.Error("no signing_keys table")
				}
			})
		}
	})
}

// TestMigrationLockPerTables: the lock covers one set of tables (PostgreSQL: schema and
// sessions table; MySQL/MariaDB: database and sessions table), so a store with another
// TablePrefix migrates while it is held. (SQLite's lock is the whole file's: no such test.)
func TestMigrationLockPerTables(t *testing.T) {
	for _, b := range backends {
		if !b.networked() {
			continue
		}
		t.Run(b.name, func(t *testing.T) { testMigrationLockPerTables(t, b) })
	}
}

func testMigrationLockPerTables(t *testing.T, b backend) {
	_, dsn := b.open(t, testdb.Quiet())
	holder := newLockHolder(t, b, dsn, "a_")
	holder.lock(t)
	s, err := gormstore.New(openInstance(t, b, dsn), gormstore.Options{TablePrefix: "b_"})
	if err != nil {
		t.Fatal(err)
	}
	// A safety net, not a measurement: the same lock would keep Migrate waiting to the end.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate of b_ tables while a_'s lock is held: %v", err)
	}
}

// TestSQLiteMigrateRebuildsInsideLock: on SQLite the migration runs inside the lock's
// BEGIN IMMEDIATE transaction, and a step that opens a transaction of its own (the SQLite
// migrator rebuilds a table to change a column's type) nests in a savepoint instead of failing
// on BEGIN.
func TestSQLiteMigrateRebuildsInsideLock(t *testing.T) {
	b := backends[2]
	want, _ := b.open(t, testdb.Quiet())
	if _, err := gormstore.New(want, gormstore.Options{AutoMigrate: true}); err != nil {
		t.Fatal(err)
	}
	db, _ := b.open(t, testdb.Quiet())
	// A signing_keys table whose algorithm column has the wrong type.
	err := db.Exec(`CREATE TABLE signing_keys (kid text NOT NULL, algorithm integer NOT NULL,
		public_key blob NOT NULL, private_key_enc blob NOT NULL, created_at datetime NOT NULL,
		not_before datetime NOT NULL, retire_at datetime NOT NULL, revoked numeric NOT NULL,
		PRIMARY KEY (kid))`).Error
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	if _, err := gormstore.New(db.Session(&gorm.Session{Logger: verboseLogger(&out)}), gormstore.Options{AutoMigrate: true}); err != nil {
		t.Fatalf("Migrate over a table to rebuild: %v", err)
	}
	if !strings.Contains(out.String(), "SAVEPOINT") || !strings.Contains(out.String(), "signing_keys__temp") {
		t.Errorf("the table was not rebuilt in a savepoint:\n%s", out.String())
	}
	c1, _ := shapeOf(t, want, "signing_keys")
	c2, _ := shapeOf(t, db, "signing_keys")
	if !slices.Equal(c1, c2) {
		t.Errorf("signing_keys after the rebuild:\n%+v\nwant\n%+v", c2, c1)
	}
}
