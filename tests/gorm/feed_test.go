package gormtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// The revocation feed (core.RevocationFeed): revoked_at on every revocation path, the cursor,
// the overlap, paging, and the engines' background poller.

// feedStore opens a fresh store on b whose clock is a fake one at epoch.
func feedStore(t *testing.T, b backend, opts gormstore.Options) (*gormstore.Store, *core.FakeClock, *gorm.DB) {
	t.Helper()
	clk := core.NewFakeClock(epoch)
	opts.Clock = clk
	s, db := newStore(t, b, opts)
	return s, clk, db
}

// poll calls RevokedSince or fails the test.
func poll(t *testing.T, s *gormstore.Store, cursor string, lookback time.Duration) ([]string, string) {
	t.Helper()
	handles, next, err := s.RevokedSince(context.Background(), cursor, lookback)
	if err != nil {
		t.Fatalf("RevokedSince: %v", err)
	}
	if next == "" {
		t.Fatal("RevokedSince returned an empty cursor")
	}
	return handles, next
}

// revokedAt reads the revoked_at column of handle; the zero time for NULL.
func revokedAt(t *testing.T, s *gormstore.Store, db *gorm.DB, handle string) time.Time {
	t.Helper()
	var rows []struct {
		RevokedAt *time.Time `gorm:"column:revoked_at"`
	}
	if err := db.Table(s.SessionsTable()).Select("revoked_at").Where("handle = ?", handle).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("no row %s", handle)
	}
	if rows[0].RevokedAt == nil {
		return time.Time{}
	}
	return rows[0].RevokedAt.UTC()
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestRevokedAtEveryPath: every way a row becomes revoked (Update with Change.Revoke,
// RevokeByUser, RevokeAll, Create of a revoked record) records the store's clock in
// revoked_at, and the feed reports them in revocation order; writes that do not revoke leave
// revoked_at NULL.
func TestRevokedAtEveryPath(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, clk, db := feedStore(t, b, gormstore.Options{})
		single, bulk1, bulk2, keep, late := record("u1", epoch), record("bulk", epoch), record("bulk", epoch), record("bulk", epoch), record("u2", epoch)
		mustCreate(t, s, single, bulk1, bulk2, keep, late)
		step := func() time.Time { clk.Advance(1500 * time.Microsecond); return clk.Now() }

		t1 := step()
		if ok, err := s.Update(ctx, single.Handle, core.Cond{CurrentHash: single.CurrentHash}, core.Change{Revoke: true}); !ok || err != nil {
			t.Fatalf("Update(Revoke) = %v, %v", ok, err)
		}
		t2 := step()
		if hs, err := s.RevokeByUser(ctx, "bulk", keep.Handle); err != nil || len(hs) != 2 {
			t.Fatalf("RevokeByUser = %q, %v", hs, err)
		}
		t3 := step()
		born := record("u3", epoch)
		born.Revoked = true
		mustCreate(t, s, born)
		step()
		if ok, err := s.Update(ctx, late.Handle, core.Cond{}, core.Change{LastActiveAt: epoch.Add(time.Minute), Data: []byte(`{}`)}); !ok || err != nil {
			t.Fatalf("Update = %v, %v", ok, err)
		}
		if at := revokedAt(t, s, db, late.Handle); !at.IsZero() {
			t.Errorf("a write that does not revoke set revoked_at = %v", at)
		}
		t5 := step()
		if n, err := s.RevokeAll(ctx); err != nil || n != 2 {
			t.Fatalf("RevokeAll = %d, %v; want 2 (keep and late)", n, err)
		}

		want := map[string]time.Time{
			single.Handle: t1, bulk1.Handle: t2, bulk2.Handle: t2, born.Handle: t3, keep.Handle: t5, late.Handle: t5,
		}
		for h, at := range want {
			if got := revokedAt(t, s, db, h); !got.Equal(at.Truncate(time.Microsecond)) {
				t.Errorf("revoked_at of %s = %v, want the store's clock %v", h, got, at)
			}
		}

		handles, _ := poll(t, s, "", time.Hour)
		if len(handles) != len(want) {
			t.Fatalf("feed = %d handles, want %d", len(handles), len(want))
		}
		groups := [][]string{{single.Handle}, {bulk1.Handle, bulk2.Handle}, {born.Handle}, {keep.Handle, late.Handle}}
		i := 0
		for _, g := range groups {
			if got := sorted(handles[i : i+len(g)]); !slices.Equal(got, sorted(g)) {
				t.Errorf("feed is not in revocation order: %q at %d, want %q", got, i, g)
			}
			i += len(g)
		}
	})
}

// TestRevocationFeedCursor: the empty cursor looks back lookback; a revocation is reported
// again while it is within FeedOverlap of the reader's clock and not after; a revocation
// stamped by a writer whose clock is behind the reader's by less than FeedOverlap is still
// seen (one behind by more is not: instances' clocks must agree to within the overlap); a
// stale cursor is moved up to now − lookback.
func TestRevocationFeedCursor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, clk, db := feedStore(t, b, gormstore.Options{FeedOverlap: 10 * time.Second})
		revoke := func(s *gormstore.Store) string {
			t.Helper()
			r := record("feed", epoch)
			mustCreate(t, s, r)
			if ok, err := s.Update(ctx, r.Handle, core.Cond{}, core.Change{Revoke: true}); !ok || err != nil {
				t.Fatalf("revoke = %v, %v", ok, err)
			}
			return r.Handle
		}
		// A second store (another instance) over the same database, with its own clock.
		otherClock := core.NewFakeClock(epoch)
		other, err := gormstore.New(db, gormstore.Options{Clock: otherClock})
		if err != nil {
			t.Fatal(err)
		}

		old := revoke(s)
		clk.Advance(2 * time.Minute)
		if hs, _ := poll(t, s, "", time.Minute); len(hs) != 0 {
			t.Errorf("empty cursor, lookback 1m: %q, want nothing older than the lookback", hs)
		}
		hs, start := poll(t, s, "", 3*time.Minute)
		if !slices.Equal(hs, []string{old}) {
			t.Errorf("empty cursor, lookback 3m: %q, want [%s]", hs, old)
		}

		h1 := revoke(s)
		hs, c := poll(t, s, start, time.Hour)
		if !slices.Equal(hs, []string{h1}) {
			t.Fatalf("after a revocation: %q, want [%s]", hs, h1)
		}
		if hs, c = poll(t, s, c, time.Hour); !slices.Equal(hs, []string{h1}) {
			t.Errorf("within the overlap: %q, want [%s] again", hs, h1)
		}
		clk.Advance(11 * time.Second)
		// The clock has passed h1 by the overlap: this poll still reports it (its cursor was
		// set before) and moves the cursor past it.
		if hs, c = poll(t, s, c, time.Hour); !slices.Equal(hs, []string{h1}) {
			t.Errorf("the poll that moves past the overlap: %q, want [%s]", hs, h1)
		}
		if hs, c = poll(t, s, c, time.Hour); len(hs) != 0 {
			t.Errorf("past the overlap: %q, want nothing", hs)
		}

		// Another instance's clock is 6 s behind; its revocation commits after we polled.
		otherClock.Advance(clk.Now().Sub(epoch) - 6*time.Second)
		h2 := revoke(other)
		if hs, c = poll(t, s, c, time.Hour); !slices.Equal(hs, []string{h2}) {
			t.Errorf("a revocation stamped 6 s behind (overlap 10 s): %q, want [%s]", hs, h2)
		}
		clk.Advance(time.Minute)
		_, c = poll(t, s, c, time.Hour)
		hs, c = poll(t, s, c, time.Hour)
		if len(hs) != 0 {
			t.Fatalf("caught up: %q", hs)
		}
		otherClock.Advance(time.Minute - 20*time.Second) // now 26 s behind
		revoke(other)
		if hs, _ = poll(t, s, c, time.Hour); len(hs) != 0 {
			t.Errorf("a revocation stamped 26 s behind the reader (overlap 10 s) = %q; the test expects it missed (clocks must agree within the overlap)", hs)
		}

		// A stale cursor is moved up to now − lookback; lookback ≤ 0 turns that off.
		clk.Advance(time.Hour)
		h4 := revoke(s)
		if hs, _ = poll(t, s, start, time.Minute); !slices.Equal(hs, []string{h4}) {
			t.Errorf("stale cursor, lookback 1m: %q, want only [%s]", hs, h4)
		}
		if hs, _ = poll(t, s, start, 0); len(hs) != 4 || hs[len(hs)-1] != h4 {
			t.Errorf("stale cursor, no lookback: %q, want everything since the cursor (4, ending with %s)", hs, h4)
		}
	})
}

// TestRevocationFeedPaging: a backlog larger than FeedPageSize is delivered page by page, each
// page continuing where the last stopped, through a group of identical timestamps (RevokeAll)
// too. A full page still within FeedOverlap of the clock is read again until the clock has
// passed it (a bounded wait), never skipped.
func TestRevocationFeedPaging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, clk, _ := feedStore(t, b, gormstore.Options{FeedPageSize: 3, FeedOverlap: 5 * time.Second})
		var all []string
		for i := range 10 {
			r := record(fmt.Sprintf("u%d", i), epoch)
			mustCreate(t, s, r)
			all = append(all, r.Handle)
		}
		if n, err := s.RevokeAll(ctx); err != nil || n != 10 {
			t.Fatalf("RevokeAll = %d, %v", n, err)
		}
		first, c := poll(t, s, "", time.Hour)
		if len(first) != 3 {
			t.Fatalf("first page: %d handles, want 3", len(first))
		}
		again, c := poll(t, s, c, time.Hour)
		if !slices.Equal(again, first) {
			t.Errorf("a full page within the overlap: %q, want the same page %q again", again, first)
		}
		clk.Advance(6 * time.Second)
		var got []string
		for range 10 {
			var hs []string
			hs, c = poll(t, s, c, time.Hour)
			got = append(got, hs...)
			if len(hs) < 3 {
				break
			}
		}
		if !slices.Equal(sorted(got), sorted(all)) {
			t.Errorf("pages delivered %d handles (%d distinct), want each of the %d exactly once",
				len(got), len(slices.Compact(sorted(got))), len(all))
		}
		if !slices.Equal(got[:3], first) {
			t.Errorf("paging did not start at the first page")
		}
		if hs, _ := poll(t, s, c, time.Hour); len(hs) != 0 {
			t.Errorf("after the backlog: %q, want nothing", hs)
		}
	})
}

// TestRevocationFeedBadCursor: a cursor the store did not produce is an error, never a panic
// or a silent restart; a cancelled context is an error too.
func TestRevocationFeedBadCursor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _, _ := feedStore(t, b, gormstore.Options{})
		ctx := context.Background()
		_, good, err := s.RevokedSince(ctx, "", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RevokedSince(ctx, good, time.Minute); err != nil {
			t.Errorf("a cursor the store returned: %v", err)
		}
		for _, c := range []string{"x", "1", "1:", "1::", "2:0:", "1:abc:aGk", "1:12", "1:12:!!", "1:12:aGk=",
			"1:99999999999999999999:aGk", "1:-:aGk", " 1:12:aGk", good + "\x00"} {
			hs, next, err := s.RevokedSince(ctx, c, time.Minute)
			if err == nil || hs != nil || next != "" {
				t.Errorf("cursor %q: %q, %q, %v; want an error", c, hs, next, err)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := s.RevokedSince(cctx, good, time.Minute); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %v", err)
		}
	})
}

// TestDeleteExpiredKeepsFeedRows: DeleteExpired leaves rows revoked less than FeedRetention
// ago for the feed (expired or not), and purges them afterwards.
func TestDeleteExpiredKeepsFeedRows(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, clk, _ := feedStore(t, b, gormstore.Options{FeedRetention: time.Hour})
		fresh, expired := record("u", epoch), record("u", epoch.Add(-2*time.Hour))
		mustCreate(t, s, fresh, expired)
		for _, r := range []*core.Record{fresh, expired} {
			if ok, err := s.Update(ctx, r.Handle, core.Cond{}, core.Change{Revoke: true}); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		if n, err := s.DeleteExpired(ctx, clk.Now().Add(59*time.Minute)); err != nil || n != 0 {
			t.Errorf("DeleteExpired within the retention = %d, %v; want 0", n, err)
		}
		if hs, _ := poll(t, s, "", time.Hour); len(hs) != 2 {
			t.Errorf("feed after DeleteExpired = %q, want both revocations", hs)
		}
		if n, err := s.DeleteExpired(ctx, clk.Now().Add(time.Hour)); err != nil || n != 2 {
			t.Errorf("DeleteExpired after the retention = %d, %v; want 2", n, err)
		}
	})
}

// feedSignal is a store whose feed reports each completed RevokedSince call.
type feedSignal struct {
	*gormstore.Store
	polled chan struct{}
}

func (f feedSignal) RevokedSince(ctx context.Context, cursor string, lookback time.Duration) ([]string, string, error) {
	hs, next, err := f.Store.RevokedSince(ctx, cursor, lookback)
	select {
	case f.polled <- struct{}{}:
	default:
	}
	return hs, next, err
}

// TestRevocationPoller: an engine's background poller (core.New starts it for a
// RevocationFeed store) picks up a revocation made through another engine, and Close stops
// it without leaking its goroutine.
func TestRevocationPoller(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, _ := newStore(t, b, gormstore.Options{})
		// Warm the pool so that its connections are not mistaken for the poller's goroutines.
		if _, _, err := s.RevokedSince(ctx, "", time.Minute); err != nil {
			t.Fatal(err)
		}
		opts := []goleak.Option{goleak.IgnoreCurrent(),
			goleak.IgnoreAnyFunction("github.com/go-sql-driver/mysql.(*mysqlConn).startWatcher.func1")}

		key, err := core.GenerateKey(core.AlgEdDSA)
		if err != nil {
			t.Fatal(err)
		}
		ring, err := core.NewStaticKeyRing(key)
		if err != nil {
			t.Fatal(err)
		}
		feed := feedSignal{Store: s, polled: make(chan struct{}, 1)}
		mk := func(interval time.Duration) *core.Engine {
			e, err := core.New(core.Config{Store: feed, Keys: ring, Clock: core.NewFakeClock(epoch),
				RevocationPollInterval: interval, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = e.Close() })
			return e
		}
		a, watcher := mk(-1), mk(5*time.Millisecond)
		tk, err := a.IssueTokens(ctx, "polly", core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := watcher.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); err != nil {
			t.Fatalf("the watcher refuses a live session: %v", err)
		}
		if ok, err := a.RevokeSession(ctx, tk.Handle); !ok || err != nil {
			t.Fatalf("RevokeSession = %v, %v", ok, err)
		}
		// Keep watching polls until the watcher refuses the session. The signal fires when a
		// poll's query returns, a moment before the engine records what it read, and a poll can
		// fail transiently; so check after each poll, and fail only if many polls go by.
		select {
		case <-feed.polled:
		default:
		}
		deadline := time.After(30 * time.Second)
		refused := false
		for polls := 0; polls < 50 && !refused; polls++ {
			select {
			case <-feed.polled:
			case <-deadline:
				t.Fatal("the poller did not poll")
			}
			_, err := watcher.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{})
			refused = errors.Is(err, core.ErrUnauthorised)
		}
		if !refused {
			t.Errorf("the watcher accepts a session revoked on another engine after 50 polls")
		}
		for _, e := range []*core.Engine{a, watcher} {
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
		}
		goleak.VerifyNone(t, opts...)
	})
}
