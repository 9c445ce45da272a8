package gormtest

import (
	"context"
	"errors"
	"slices"
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

// TestJanitorReportsFailures: a janitor whose database is gone reports the errors of both
// steps, wrapped: deleting expired sessions (OnJanitor) and pruning the audit log
// (OnAuditPrune).
func TestJanitorReportsFailures(t *testing.T) {
	db, _ := testdb.Open(t, testdb.SQLite, "")
	runs, pruned := make(chan janitorRun, 1024), make(chan janitorRun, 1024)
	s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true, JanitorInterval: 5 * time.Millisecond,
		OnJanitor: reportTo(runs), OnAuditPrune: reportTo(pruned)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sqlDB, _ := db.DB()
	_ = sqlDB.Close()
	deadline := time.After(30 * time.Second)
	for _, step := range []struct {
		op   string
		runs chan janitorRun
	}{{"delete expired", runs}, {"delete events", pruned}} {
		for reported := false; !reported; {
			select {
			case r := <-step.runs:
				var se *gormstore.Error
				if r.err == nil {
					continue // a run that started before the pool was closed
				}
				if !errors.As(r.err, &se) || se.Op != step.op {
					t.Fatalf("janitor reported %v, want a *gormstore.Error for %s", r.err, step.op)
				}
				reported = true
			case <-deadline:
				t.Fatalf("the janitor never reported the failure to %s", step.op)
			}
		}
	}
}

// reportTo is an OnJanitor or OnAuditPrune callback that sends each run to ch (dropping runs
// when ch is full).
func reportTo(ch chan janitorRun) func(int64, error) {
	return func(n int64, err error) {
		select {
		case ch <- janitorRun{n, err}:
		default:
		}
	}
}

// waitDeleted waits (bounded) until the runs reported on ch have deleted want rows in total,
// failing on an error or on more than want.
func waitDeleted(t *testing.T, ch chan janitorRun, want int64, what string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for deleted := int64(0); deleted < want; {
		select {
		case r := <-ch:
			if r.err != nil {
				t.Fatalf("janitor run failed: %v", r.err)
			}
			if deleted += r.n; deleted > want {
				t.Fatalf("the janitor deleted %d %s, want %d", deleted, what, want)
			}
		case <-deadline:
			t.Fatalf("the janitor deleted fewer than %d %s", want, what)
		}
	}
}

// TestJanitorPrunesAuditEvents: after deleting expired sessions, every janitor run deletes the
// audit events older than Options.AuditRetention by the store's clock: 90 days by default,
// never when it is negative.
func TestJanitorPrunesAuditEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		remaining := func(t *testing.T, s *gormstore.Store) []time.Time {
			t.Helper()
			evs, _, err := s.ListEvents(ctx, core.AuditQuery{Limit: core.MaxAuditLimit})
			if err != nil {
				t.Fatal(err)
			}
			var out []time.Time
			for _, ev := range evs {
				out = append(out, ev.Time)
			}
			slices.SortFunc(out, time.Time.Compare)
			return out
		}
		start := func(t *testing.T, clk core.Clock, retention time.Duration, at ...time.Time) (*gormstore.Store, chan janitorRun, chan janitorRun) {
			t.Helper()
			db, _ := b.open(t, testdb.Quiet())
			setup, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range at {
				mustAppendEvents(t, setup, auditEv("j", "", core.EventSignIn, a))
			}
			runs, pruned := make(chan janitorRun, 1024), make(chan janitorRun, 1024)
			s, err := gormstore.New(db, gormstore.Options{JanitorInterval: 5 * time.Millisecond, Clock: clk,
				AuditRetention: retention, OnJanitor: reportTo(runs), OnAuditPrune: reportTo(pruned)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s, runs, pruned
		}

		t.Run("Retention", func(t *testing.T) {
			clk := core.NewFakeClock(epoch)
			s, _, pruned := start(t, clk, 24*time.Hour,
				epoch.Add(-48*time.Hour), epoch.Add(-24*time.Hour-time.Millisecond), epoch.Add(-23*time.Hour), epoch)
			waitDeleted(t, pruned, 2, "events older than a day")
			if got, want := remaining(t, s), []time.Time{epoch.Add(-23 * time.Hour), epoch}; !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Errorf("events left %v, want %v", got, want)
			}
			clk.Advance(2 * time.Hour) // the janitor's clock: the event of 23 h ago is now 25 h old
			waitDeleted(t, pruned, 1, "events older than a day")
			if got, want := remaining(t, s), []time.Time{epoch}; !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Errorf("events left %v, want %v", got, want)
			}
		})
		t.Run("DefaultNinetyDays", func(t *testing.T) {
			day := 24 * time.Hour
			s, _, pruned := start(t, core.NewFakeClock(epoch), 0, epoch.Add(-91*day), epoch.Add(-89*day))
			waitDeleted(t, pruned, 1, "events older than 90 days")
			if got, want := remaining(t, s), []time.Time{epoch.Add(-89 * day)}; !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Errorf("events left %v, want %v", got, want)
			}
		})
		t.Run("NegativeKeepsForever", func(t *testing.T) {
			old := epoch.AddDate(-10, 0, 0)
			s, runs, pruned := start(t, core.NewFakeClock(epoch), -1, old)
			for range 3 { // three complete janitor runs
				select {
				case r := <-runs:
					if r.err != nil {
						t.Fatal(r.err)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("the janitor did not run")
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if len(pruned) != 0 {
				t.Errorf("OnAuditPrune called %d times with a negative AuditRetention", len(pruned))
			}
			if got := remaining(t, s); len(got) != 1 {
				t.Errorf("events left %v, want the ten-year-old one", got)
			}
		})
	})
}
