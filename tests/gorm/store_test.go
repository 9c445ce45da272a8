package gormtest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// TestNilAndEmptyColumns: nil Data, Payload and Secret come back nil; empty ones come back
// empty; timestamps come back in UTC with microseconds.
func TestNilAndEmptyColumns(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := newStore(t, b, gormstore.Options{})
		r := record("u", epoch.Add(123456*time.Microsecond))
		r.Data, r.Payload, r.Secret = nil, nil, nil
		mustCreate(t, s, r)
		got := mustGet(t, s, r.Handle)
		if got.Data != nil || got.Payload != nil || got.Secret != nil {
			t.Errorf("nil columns came back as %q %q %x", got.Data, got.Payload, got.Secret)
		}
		if !got.CreatedAt.Equal(r.CreatedAt) || got.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, r.CreatedAt)
		}
		r2 := record("u", epoch)
		r2.Data, r2.Payload = []byte{}, []byte{}
		mustCreate(t, s, r2)
		got = mustGet(t, s, r2.Handle)
		if got.Data == nil || len(got.Data) != 0 || got.Payload == nil || len(got.Payload) != 0 {
			t.Errorf("empty columns came back as %#v %#v", got.Data, got.Payload)
		}
	})
}

// TestIdenticalValuesUpdate: an update whose new values equal the old ones still reports the
// matched row. MySQL counts changed rows unless the DSN sets clientFoundRows=true (the test DSN
// does not); the store bumps write_seq so that it never depends on that setting.
func TestIdenticalValuesUpdate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := newStore(t, b, gormstore.Options{})
		ctx := context.Background()
		r := record("u", epoch)
		mustCreate(t, s, r)
		cases := []struct {
			name string
			ch   core.Change
		}{
			{"empty change", core.Change{}},
			{"same expiry", core.Change{ExpiresAt: r.ExpiresAt}},
			{"same last active", core.Change{LastActiveAt: r.LastActiveAt}},
			{"same rotation", core.Change{CurrentHash: r.CurrentHash, PreviousHash: r.PreviousHash, RotatedAt: r.RotatedAt}},
		}
		for _, c := range cases {
			for range 2 {
				ok, err := s.Update(ctx, r.Handle, core.Cond{LiveAt: epoch, CurrentHash: r.CurrentHash, Version: 1}, c.ch)
				if err != nil || !ok {
					t.Errorf("%s: Update = %v, %v; want true, nil", c.name, ok, err)
				}
			}
		}
		if got := mustGet(t, s, r.Handle); got.Version != 1 || got.CurrentHash != r.CurrentHash {
			t.Errorf("identical updates changed the record: %+v", got)
		}
	})
}

// TestKeysCompareExactly: handles, user ids and hashes are compared byte for byte on every
// database (MySQL's default collations would fold case and ignore trailing spaces).
func TestKeysCompareExactly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := newStore(t, b, gormstore.Options{})
		ctx := context.Background()
		users := []string{"alice", "Alice", "alice ", "ålice"}
		for _, u := range users {
			mustCreate(t, s, record(u, epoch))
		}
		for _, u := range users {
			recs, err := s.ListByUser(ctx, u, epoch)
			if err != nil || len(recs) != 1 || recs[0].UserID != u {
				t.Errorf("ListByUser(%q) = %d records, %v; want exactly its own", u, len(recs), err)
			}
		}
		r := record("bob", epoch)
		r.Handle = "AbCdEfGhIjKlMnOpQrStUv"
		r.CurrentHash = "abcdef"
		mustCreate(t, s, r)
		for _, h := range []string{"abcdefghijklmnopqrstuv", "ABCDEFGHIJKLMNOPQRSTUV", r.Handle + " "} {
			if _, err := s.Get(ctx, h); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("Get(%q) = %v, want ErrNotFound", h, err)
			}
		}
		if ok, err := s.Update(ctx, r.Handle, core.Cond{CurrentHash: "ABCDEF"}, core.Change{Revoke: true}); ok || err != nil {
			t.Errorf("Update with an upper-cased hash = %v, %v; want false, nil", ok, err)
		}
		hs, err := s.RevokeByUser(ctx, "ALICE", "")
		if err != nil || len(hs) != 0 {
			t.Errorf("RevokeByUser(ALICE) = %v, %v; want nothing", hs, err)
		}
	})
}

// TestRevokeByUserConcurrent: concurrent RevokeByUser calls for one user report every handle
// exactly once between them, never a handle another call revoked.
func TestRevokeByUserConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := newStore(t, b, gormstore.Options{})
		ctx := context.Background()
		const sessions, callers = 40, 16
		var want []string
		for i := range sessions {
			r := record("victim", epoch.Add(time.Duration(i)*time.Millisecond))
			mustCreate(t, s, r)
			want = append(want, r.Handle)
		}
		keep := record("victim", epoch)
		mustCreate(t, s, keep)
		mustCreate(t, s, record("bystander", epoch))

		results := make([][]string, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = s.RevokeByUser(ctx, "victim", keep.Handle)
			}()
		}
		close(start)
		wg.Wait()
		var got []string
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("RevokeByUser: %v", errs[i])
			}
			got = append(got, results[i]...)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("handles reported %d times in total for %d sessions (duplicates or misses)", len(got), len(want))
		}
		if mustGet(t, s, keep.Handle).Revoked {
			t.Error("the excepted session was revoked")
		}
		if l, _ := s.ListByUser(ctx, "bystander", epoch); len(l) != 1 {
			t.Error("another user's session was touched")
		}
	})
}

// TestDeleteExpiredBoundary: rows expiring exactly at the cut-off go, later ones stay; revoked
// rows go whatever their expiry.
func TestDeleteExpiredBoundary(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := newStore(t, b, gormstore.Options{})
		ctx := context.Background()
		at := record("u", epoch) // expires epoch+1h exactly
		later := record("u", epoch.Add(time.Microsecond))
		revoked := record("u", epoch.Add(time.Minute))
		mustCreate(t, s, at, later, revoked)
		if ok, err := s.Update(ctx, revoked.Handle, core.Cond{}, core.Change{Revoke: true}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		n, err := s.DeleteExpired(ctx, epoch.Add(time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
		}
		if _, err := s.Get(ctx, later.Handle); err != nil {
			t.Errorf("live row deleted: %v", err)
		}
		for _, h := range []string{at.Handle, revoked.Handle} {
			if _, err := s.Get(ctx, h); !errors.Is(err, core.ErrNotFound) {
				t.Errorf("dead row %s survived: %v", h, err)
			}
		}
	})
}

// TestTablePrefix: two stores with different prefixes share one database without seeing each
// other's rows, and their indexes do not collide (PostgreSQL index names are per schema).
func TestTablePrefix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		db, _ := b.open(t, testdb.Quiet())
		a, err := gormstore.New(db, gormstore.Options{TablePrefix: "app1_", AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		c, err := gormstore.New(db, gormstore.Options{TablePrefix: "app2_", AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		if a.SessionsTable() != "app1_sessions" || a.SigningKeysTable() != "app1_signing_keys" {
			t.Errorf("table names %s, %s", a.SessionsTable(), a.SigningKeysTable())
		}
		r := record("u", epoch)
		mustCreate(t, a, r)
		if _, err := c.Get(context.Background(), r.Handle); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("prefixed stores share rows: %v", err)
		}
		for _, tbl := range []string{"app1_sessions", "app2_sessions", "app1_signing_keys", "app2_signing_keys"} {
			if !db.Migrator().HasTable(tbl) {
				t.Errorf("table %s missing", tbl)
			}
		}
		for _, idx := range []string{"idx_app1_sessions_user_id", "idx_app1_sessions_expires_at"} {
			if !db.Table("app1_sessions").Migrator().HasIndex("app1_sessions", idx) {
				t.Errorf("index %s missing", idx)
			}
		}
		for _, bad := range []string{"x-", "a b", "a;drop", string(make([]byte, 33))} {
			if _, err := gormstore.New(db, gormstore.Options{TablePrefix: bad}); err == nil {
				t.Errorf("TablePrefix %q accepted", bad)
			}
		}
	})
}

// TestEngineOverStore: a short end-to-end run (issue, refresh, replay, theft) through the engine.
func TestEngineOverStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := newStore(t, b, gormstore.Options{})
		e, clk := newEngine(t, s)
		ctx := context.Background()
		t0, err := e.IssueTokens(ctx, "carol", core.CreateOptions{IP: "192.0.2.9", UserAgent: "ua"})
		if err != nil {
			t.Fatal(err)
		}
		t1, err := e.RefreshTokens(ctx, t0.RefreshToken, core.RefreshMeta{})
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.RefreshTokens(ctx, t0.RefreshToken, core.RefreshMeta{})
		if err != nil || again.RefreshToken != t1.RefreshToken {
			t.Fatalf("replay inside grace: %v (same child: %v)", err, err == nil && again.RefreshToken == t1.RefreshToken)
		}
		clk.Advance(time.Minute)
		if _, err := e.RefreshTokens(ctx, t0.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrTokenTheft) {
			t.Fatalf("old token after grace: %v, want theft", err)
		}
		if _, err := e.RefreshTokens(ctx, t1.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrUnauthorised) {
			t.Fatalf("victim's token after theft: %v, want unauthorised", err)
		}
		if l, err := e.ListSessions(ctx, "carol"); err != nil || len(l) != 0 {
			t.Fatalf("ListSessions after theft = %d, %v", len(l), err)
		}
	})
}

// TestRevokeAll: core.AllRevoker revokes every live session (of every user) in one statement
// and counts only the rows it changed; revoked sessions stay revoked and are not counted again.
func TestRevokeAll(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := newStore(t, b, gormstore.Options{})
		ctx := context.Background()
		var handles []string
		for i := range 6 {
			r := record([]string{"a", "b", "c"}[i%3], epoch)
			mustCreate(t, s, r)
			handles = append(handles, r.Handle)
		}
		if ok, err := s.Update(ctx, handles[0], core.Cond{}, core.Change{Revoke: true}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		var ar core.AllRevoker = s
		n, err := ar.RevokeAll(ctx)
		if err != nil || n != 5 {
			t.Fatalf("RevokeAll = %d, %v; want 5", n, err)
		}
		for _, h := range handles {
			if !mustGet(t, s, h).Revoked {
				t.Errorf("%s survived RevokeAll", h)
			}
		}
		if n, err := ar.RevokeAll(ctx); err != nil || n != 0 {
			t.Errorf("second RevokeAll = %d, %v; want 0", n, err)
		}
	})
}
