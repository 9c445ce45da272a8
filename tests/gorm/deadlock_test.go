package gormtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// TestDeadlockVictimIsRetried makes the database choose a store write as a deadlock victim and
// checks that the store runs it again instead of failing the request.
//
// On MariaDB the deadlock is the one InnoDB builds around a single-row update by primary key
// (a refresh's rotation, a conditional update): the write holds the session's row lock and,
// because it changes expires_at, needs to insert into a gap of the expires_at index; another
// transaction (here the test's, in real life the janitor's range DELETE) holds that gap and
// then asks for the row. PostgreSQL takes no gap locks, so there a single-row update cannot be
// a victim; a multi-row revocation can, as on MariaDB: the store's UPDATE holds one of the
// user's rows and waits for the other, which the test's transaction holds before asking for
// the first.
//
// The victim must be the store's statement, not the test's transaction: MariaDB rolls back
// the transaction that has changed less (the test's inserts ballast first), PostgreSQL the
// one whose deadlock check runs first (the store's, which waited first).
func TestDeadlockVictimIsRetried(t *testing.T) {
	cases := []struct {
		name     string
		backends []string
		// lock takes, in the test's transaction, what the write will wait for and returns
		// the statement that closes the cycle.
		lock  func(t *testing.T, b backend, exec func(string, ...any), rec *core.Record, other string) string
		write func(e *core.Engine, s *gormstore.Store, tk *core.Tokens) error
		// check runs after the write succeeded.
		check func(t *testing.T, s *gormstore.Store, before *core.Record, other string)
	}{
		{
			name: "refresh's one-statement rotation", backends: []string{"mysql"},
			lock: lockExpiresAtGaps,
			write: func(e *core.Engine, s *gormstore.Store, tk *core.Tokens) error {
				_, err := e.RefreshTokens(context.Background(), tk.RefreshToken, core.RefreshMeta{})
				return err
			},
			check: expiresAtMoved,
		},
		{
			name: "conditional update", backends: []string{"mysql"},
			lock: lockExpiresAtGaps,
			write: func(e *core.Engine, s *gormstore.Store, tk *core.Tokens) error {
				ok, err := s.Update(context.Background(), tk.Handle, core.Cond{LiveAt: epoch},
					core.Change{ExpiresAt: epoch.Add(365 * 24 * time.Hour)})
				if err == nil && !ok {
					err = errors.New("Update matched no row")
				}
				return err
			},
			check: expiresAtMoved,
		},
		{
			name: "revocation of a user's sessions", backends: []string{"postgres", "mysql"},
			lock: func(t *testing.T, b backend, exec func(string, ...any), rec *core.Record, other string) string {
				// The store's UPDATE visits the rows in insertion order (PostgreSQL's
				// sequential scan of a tiny table: rec, then other) or handle order
				// (MariaDB's user_id index): the test holds the one visited second.
				first, second := rec.Handle, other
				if b.name == "mysql" && rec.Handle > other {
					first, second = other, rec.Handle
				}
				exec("SELECT handle FROM sessions WHERE handle = ? FOR UPDATE", second)
				return first
			},
			write: func(e *core.Engine, s *gormstore.Store, tk *core.Tokens) error {
				revoked, err := s.RevokeByUser(context.Background(), "dora", "")
				if err == nil && len(revoked) != 2 {
					err = fmt.Errorf("RevokeByUser revoked %d sessions, want 2", len(revoked))
				}
				return err
			},
			check: func(t *testing.T, s *gormstore.Store, before *core.Record, other string) {
				for _, h := range []string{before.Handle, other} {
					if !mustGet(t, s, h).Revoked {
						t.Errorf("session %s not revoked", h)
					}
				}
			},
		},
	}
	for _, c := range cases {
		for _, name := range c.backends {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				b := backendNamed(t, name)
				s, db := newStore(t, b, gormstore.Options{})
				e, clk := newEngine(t, s)
				tk, err := e.IssueTokens(context.Background(), "dora", core.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				other, err := e.IssueTokens(context.Background(), "dora", core.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				before := mustGet(t, s, tk.Handle)
				// A write a minute later moves expires_at, so its row's index entry moves too.
				clk.Advance(time.Minute)

				holder, _ := dedicated(t, db)
				ctx := context.Background()
				exec := func(q string, args ...any) {
					t.Helper()
					if _, err := holder.ExecContext(ctx, placeholders(b, q), args...); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				exec("CREATE TABLE ballast (n INT PRIMARY KEY)")
				exec("BEGIN")
				t.Cleanup(func() { _, _ = holder.ExecContext(ctx, "ROLLBACK") })
				// MariaDB's weight: it rolls back the transaction that has changed less.
				for i := range 200 {
					exec("INSERT INTO ballast VALUES (?)", i)
				}
				closing := c.lock(t, b, exec, before, other.Handle)

				done := make(chan error, 1)
				go func() { done <- c.write(e, s, tk) }()
				waitUntilBlocking(t, b, holder, done)

				// The cycle: the store's statement holds a row and waits for this transaction;
				// this asks for that row. It is granted only once the database has rolled the
				// store's statement back.
				var handle string
				if err := holder.QueryRowContext(ctx, placeholders(b, "SELECT handle FROM sessions WHERE handle = ? FOR UPDATE"),
					closing).Scan(&handle); err != nil {
					t.Fatalf("the test's transaction was chosen instead of the store's statement: %v", err)
				}
				exec("COMMIT")

				if err := <-done; err != nil {
					t.Fatalf("a write chosen as a deadlock victim failed instead of running again: %v", err)
				}
				c.check(t, s, before, other.Handle)
			})
		}
	}
}

// lockExpiresAtGaps locks every gap of the expires_at index above rec's entry, where a write
// that moves rec's expires_at inserts its new entry, and returns rec's handle.
func lockExpiresAtGaps(t *testing.T, _ backend, exec func(string, ...any), rec *core.Record, _ string) string {
	exec("SELECT handle FROM sessions FORCE INDEX (idx_sessions_expires_at) WHERE expires_at > ? FOR UPDATE",
		rec.ExpiresAt)
	return rec.Handle
}

func expiresAtMoved(t *testing.T, s *gormstore.Store, before *core.Record, _ string) {
	if after := mustGet(t, s, before.Handle); !after.ExpiresAt.After(before.ExpiresAt) {
		t.Errorf("expires_at %v after the write, %v before: the retried write did not land",
			after.ExpiresAt, before.ExpiresAt)
	}
}

// placeholders rewrites q's ? placeholders as PostgreSQL's $1, $2, … for b, which a raw
// connection (not GORM) needs.
func placeholders(b backend, q string) string {
	if b.name != "postgres" {
		return q
	}
	var out strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// waitUntilBlocking returns once another transaction waits for a lock holder's transaction
// holds: the store's statement.
func waitUntilBlocking(t *testing.T, b backend, holder *sql.Conn, done <-chan error) {
	t.Helper()
	// pg_locks, not pg_stat_activity: the latter is one snapshot for a whole transaction.
	q := "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
	if b.name == "mysql" {
		q = "SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS w " +
			"JOIN information_schema.INNODB_TRX x ON x.trx_id = w.blocking_trx_id " +
			"WHERE x.trx_mysql_thread_id = CONNECTION_ID()"
	}
	// A hang guard, not a timing assertion: the statement waits until the deadlock.
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		if err := holder.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the store's write ended without waiting for the test's transaction: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the store's write never waited for the test's transaction")
		}
		// InnoDB refreshes its information_schema lock tables only when nobody has read them
		// for 100 ms: a faster poll would read the same stale snapshot forever.
		time.Sleep(250 * time.Millisecond)
	}
}

// TestDeadlockRetryBound: a write the database keeps choosing as a victim is sent at most
// three times, then fails with an error that matches gormstore.ErrDeadlock and core.ErrStore,
// having written nothing; any other error is not retried. The victims are injected through a
// GORM callback, as the drivers' own error values (pgconn.PgError, mysql.MySQLError), before
// the statement reaches the database, which is what a victim's rollback leaves behind:
// TestDeadlockVictimIsRetried builds real deadlocks, but no database makes the same statement
// lose three times running.
func TestDeadlockRetryBound(t *testing.T) {
	victims := map[string][]error{
		"postgres": {&pgconn.PgError{Code: "40P01", Message: "deadlock detected"},
			&pgconn.PgError{Code: "40001", Message: "could not serialize access due to concurrent update"}},
		"mysql": {&mysqldrv.MySQLError{Number: 1213, SQLState: [5]byte{'4', '0', '0', '0', '1'},
			Message: "Deadlock found when trying to get lock; try restarting transaction"},
			&mysqldrv.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}},
	}
	others := map[string]error{
		"postgres": &pgconn.PgError{Code: "55P03", Message: "lock not available"},
		"mysql":    &mysqldrv.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"},
	}
	for _, name := range []string{"postgres", "mysql"} {
		for i, victim := range victims[name] {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				testDeadlockRetryBound(t, backendNamed(t, name), victim, others[name])
			})
		}
	}
}

func testDeadlockRetryBound(t *testing.T, b backend, victim, other error) {
	ctx := context.Background()
	s, db := newStore(t, b, gormstore.Options{})
	e, clk := newEngine(t, s)
	tk, err := e.IssueTokens(ctx, "erin", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := mustGet(t, s, tk.Handle)
	clk.Advance(time.Minute)

	// inject fails the next n rotations with err, counting every rotation sent.
	var inject struct {
		n     int
		err   error
		tries int
	}
	hook := func(tx *gorm.DB) {
		if !strings.Contains(tx.Statement.SQL.String(), "CASE WHEN history") {
			return
		}
		inject.tries++
		if inject.n > 0 {
			inject.n--
			_ = tx.AddError(inject.err)
		}
	}
	if err := db.Callback().Raw().Before("gorm:raw").Register("test:deadlock_victim", hook); err != nil {
		t.Fatal(err)
	}
	refresh := func(n int, injected error) (*core.Tokens, error) {
		inject.n, inject.err, inject.tries = n, injected, 0
		return e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{})
	}

	// A victim every time: three attempts, then ErrDeadlock; nothing written.
	if got, err := refresh(1000, victim); got != nil || !errors.Is(err, gormstore.ErrDeadlock) || !errors.Is(err, core.ErrStore) {
		t.Fatalf("refresh whose every attempt is a victim = %v, %v; want an error matching ErrDeadlock and ErrStore", got != nil, err)
	}
	if inject.tries != 3 {
		t.Errorf("a write chosen as a victim every time was sent %d times, want 3", inject.tries)
	}
	if rec := mustGet(t, s, tk.Handle); rec.CurrentHash != before.CurrentHash {
		t.Fatal("a refresh that failed rotated the token")
	}
	// Another error: sent once, not matching ErrDeadlock.
	if got, err := refresh(1000, other); got != nil || err == nil || errors.Is(err, gormstore.ErrDeadlock) {
		t.Fatalf("refresh failing with %v = %v, %v; want an error not matching ErrDeadlock", other, got != nil, err)
	}
	if inject.tries != 1 {
		t.Errorf("a write that failed with %v was sent %d times, want 1", other, inject.tries)
	}
	// Two victims, then the real statement: the refresh succeeds on its third attempt.
	got, err := refresh(2, victim)
	if err != nil {
		t.Fatalf("refresh whose first two attempts were victims: %v", err)
	}
	if inject.tries != 3 {
		t.Errorf("sent %d times, want 3", inject.tries)
	}
	if rec := mustGet(t, s, tk.Handle); rec.CurrentHash == before.CurrentHash || got.RefreshToken == tk.RefreshToken {
		t.Error("the third attempt did not rotate the token")
	}
}
