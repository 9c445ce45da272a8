package gormtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

type janitorRun struct {
	n   int64
	err error
}

// TestJanitor: the janitor deletes dead rows on its own, by the configured clock, reports each
// run, reports failures, and Close stops it without leaking its goroutine.
func TestJanitor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db, _ := b.open(t, testdb.Quiet())
		// Warm the pool so that connections opened later (and their driver goroutines) are
		// not mistaken for the janitor's.
		if _, err := gormstore.New(db, gormstore.Options{AutoMigrate: true}); err != nil {
			t.Fatal(err)
		}
		opts := []goleak.Option{goleak.IgnoreCurrent(),
			// go-sql-driver/mysql runs one watcher goroutine per connection.
			goleak.IgnoreAnyFunction("github.com/go-sql-driver/mysql.(*mysqlConn).startWatcher.func1")}

		clk := core.NewFakeClock(epoch)
		runs := make(chan janitorRun, 1024)
		s, err := gormstore.New(db, gormstore.Options{
			JanitorInterval: 5 * time.Millisecond, Clock: clk,
			OnJanitor: func(n int64, err error) {
				select {
				case runs <- janitorRun{n, err}:
				default:
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		live, dead := record("ivy", epoch), record("ivy", epoch.Add(-2*time.Hour))
		mustCreate(t, s, live, dead)

		// Wait (bounded) for a run that deleted the dead row.
		deadline := time.After(30 * time.Second)
		for deleted := int64(0); deleted < 1; {
			select {
			case r := <-runs:
				if r.err != nil {
					t.Fatalf("janitor run failed: %v", r.err)
				}
				deleted += r.n
			case <-deadline:
				t.Fatal("the janitor never deleted the expired row")
			}
		}
		if _, err := s.Get(ctx, dead.Handle); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("expired row still there: %v", err)
		}
		if _, err := s.Get(ctx, live.Handle); err != nil {
			t.Errorf("live row deleted: %v", err)
		}

		// Time passes on the janitor's clock: the other row goes too.
		clk.Advance(2 * time.Hour)
		deadline = time.After(30 * time.Second)
		for done := false; !done; {
			select {
			case r := <-runs:
				done = r.err == nil && r.n == 1
			case <-deadline:
				t.Fatal("the janitor ignored its clock")
			}
		}

		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil { // idempotent
			t.Fatal(err)
		}
		goleak.VerifyNone(t, opts...)
	})
}

// TestJanitorReportsFailures: a janitor whose database is gone reports the error, wrapped.
func TestJanitorReportsFailures(t *testing.T) {
	db, _ := testdb.Open(t, testdb.SQLite, "")
	runs := make(chan janitorRun, 1024)
	s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true, JanitorInterval: 5 * time.Millisecond,
		OnJanitor: func(n int64, err error) {
			select {
			case runs <- janitorRun{n, err}:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sqlDB, _ := db.DB()
	_ = sqlDB.Close()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case r := <-runs:
			var se *gormstore.Error
			if r.err == nil {
				continue // a run that started before the pool was closed
			}
			if !errors.As(r.err, &se) || se.Op != "delete expired" {
				t.Fatalf("janitor reported %v, want a *gormstore.Error for delete expired", r.err)
			}
			return
		case <-deadline:
			t.Fatal("the janitor never reported the failure")
		}
	}
}
