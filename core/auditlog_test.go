package core_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// gatedAuditStore is a memory store whose AppendEvents waits until release is closed (or its
// context ends), or fails with fail when set.
type gatedAuditStore struct {
	*memory.Store
	release chan struct{}
	fail    error
}

func (s *gatedAuditStore) AppendEvents(ctx context.Context, evs []core.AuditEvent) error {
	if s.fail != nil {
		return s.fail
	}
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Store.AppendEvents(ctx, evs)
}

func auditEngine(t *testing.T, s core.Store, audit core.AuditConfig) *core.Engine {
	t.Helper()
	e, err := core.New(core.Config{Store: s, Clock: core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
		RevocationPollInterval: -1, Logger: discardLogger(), Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// signInAndRevoke issues n sessions for user and revokes them all: n session_revoked events.
func signInAndRevoke(t *testing.T, e *core.Engine, user string, n int) {
	t.Helper()
	ctx := context.Background()
	for range n {
		if _, err := e.IssueTokens(ctx, user, core.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if hs, err := e.RevokeAllForUser(ctx, user); err != nil || len(hs) != n {
		t.Fatalf("RevokeAllForUser = %d handles, %v; want %d", len(hs), err, n)
	}
}

func listAll(t *testing.T, l core.AuditLog, q core.AuditQuery) []core.AuditEvent {
	t.Helper()
	var out []core.AuditEvent
	for {
		evs, next, err := l.ListEvents(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
		if next == "" {
			return out
		}
		q.Cursor = next
	}
}

func TestAuditCloseFlushes(t *testing.T) {
	s := memory.New()
	e := auditEngine(t, s, core.AuditConfig{FlushInterval: time.Hour, BatchSize: 1000})
	signInAndRevoke(t, e, "u1", 5)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	evs := listAll(t, s, core.AuditQuery{UserID: "u1"})
	if len(evs) != 5 {
		t.Fatalf("%d events stored after Close, want 5", len(evs))
	}
	for _, ev := range evs {
		if ev.Type != core.EventRevoked || ev.ID == "" || ev.Handle == "" {
			t.Errorf("stored event %+v", ev)
		}
	}
	if st := e.AuditStats(); !st.Enabled || st.Written != 5 || st.Dropped != 0 || st.Queued != 0 {
		t.Errorf("AuditStats after Close = %+v, want 5 written", st)
	}
	// After Close an event is dropped and counted, never written and never blocking.
	if _, err := e.RevokeAllForUser(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
	signInAndRevoke(t, e, "u2", 1)
	if st := e.AuditStats(); st.Dropped != 1 {
		t.Errorf("AuditStats after an event past Close = %+v, want 1 dropped", st)
	}
	// The engine lists what the store holds.
	got, next, err := e.ListSecurityEvents(context.Background(), core.AuditQuery{UserID: "u1", Limit: 2})
	if err != nil || len(got) != 2 || next == "" {
		t.Errorf("ListSecurityEvents(limit 2) = %d events, next %q, %v", len(got), next, err)
	}
}

// A store that does not answer never holds up the requests that emit events: the queue fills,
// further events are dropped and counted, and Close writes what was queued once the store
// answers.
func TestAuditBlockedStoreDoesNotBlockRequests(t *testing.T) {
	s := &gatedAuditStore{Store: memory.New(), release: make(chan struct{})}
	e := auditEngine(t, s, core.AuditConfig{QueueSize: 2, BatchSize: 1, FlushInterval: time.Hour, WriteTimeout: time.Hour})
	released := false
	release := func() {
		if !released {
			released = true
			close(s.release)
		}
	}
	t.Cleanup(release) // runs before the engine's Close: a failure below must not hang it
	const n = 20
	signInAndRevoke(t, e, "u1", n) // returns although AppendEvents is stuck
	st := e.AuditStats()
	// The writer takes the whole queue when it wakes (one or two events, depending on when it
	// woke) and writes it batch by batch, stuck on the first; the queue holds two more.
	if st.Dropped < n-4 || st.Written != 0 {
		t.Fatalf("AuditStats with the store blocked = %+v, want at least %d dropped and none written", st, n-4)
	}
	release()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	st = e.AuditStats()
	if st.Written+st.Dropped != n || st.Failed != 0 || st.Queued != 0 {
		t.Errorf("AuditStats after Close = %+v, want written + dropped = %d", st, n)
	}
	if got := len(listAll(t, s.Store, core.AuditQuery{})); uint64(got) != st.Written {
		t.Errorf("store holds %d events, AuditStats says %d written", got, st.Written)
	}
}

func TestAuditFailedWritesAreCounted(t *testing.T) {
	s := &gatedAuditStore{Store: memory.New(), fail: errors.New("disk full")}
	e := auditEngine(t, s, core.AuditConfig{})
	signInAndRevoke(t, e, "u1", 3)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if st := e.AuditStats(); st.Failed != 3 || st.Written != 0 || st.Dropped != 0 {
		t.Errorf("AuditStats = %+v, want 3 failed", st)
	}
}

func TestAuditDisabledAndAbsent(t *testing.T) {
	s := memory.New()
	e := auditEngine(t, s, core.AuditConfig{Disable: true})
	signInAndRevoke(t, e, "u1", 2)
	_ = e.Close()
	if evs := listAll(t, s, core.AuditQuery{}); len(evs) != 0 {
		t.Errorf("Audit.Disable: %d events stored", len(evs))
	}
	if st := e.AuditStats(); st != (core.AuditStats{}) {
		t.Errorf("Audit.Disable: AuditStats = %+v, want zero", st)
	}
	if _, _, err := e.ListSecurityEvents(context.Background(), core.AuditQuery{}); !errors.Is(err, core.ErrNoAuditLog) {
		t.Errorf("ListSecurityEvents with Audit.Disable: %v, want ErrNoAuditLog", err)
	}
	if _, err := e.PruneSecurityEvents(context.Background()); !errors.Is(err, core.ErrNoAuditLog) {
		t.Errorf("PruneSecurityEvents with Audit.Disable: %v, want ErrNoAuditLog", err)
	}
	for _, bad := range []core.AuditConfig{{QueueSize: -1}, {BatchSize: -1}, {FlushInterval: -1}, {WriteTimeout: -1}} {
		if _, err := core.New(core.Config{Store: memory.New(), Audit: bad}); !errors.Is(err, core.ErrConfig) {
			t.Errorf("New with Audit %+v: %v, want ErrConfig", bad, err)
		}
	}
	if c := e.Config().Audit; c.QueueSize != core.DefaultAuditQueueSize || c.Retention != core.DefaultAuditRetention {
		t.Errorf("Audit defaults = %+v", c)
	}
}

func TestAuditRetention(t *testing.T) {
	s := memory.New()
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e, err := core.New(core.Config{Store: s, Clock: clk, RevocationPollInterval: -1, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	old := clk.Now().Add(-core.DefaultAuditRetention - time.Second)
	recent := clk.Now().Add(-core.DefaultAuditRetention + time.Second)
	if err := s.AppendEvents(context.Background(), []core.AuditEvent{
		{ID: core.NewAuditID(old), Time: old, Type: core.EventSignIn, UserID: "u"},
		{ID: core.NewAuditID(recent), Time: recent, Type: core.EventSignIn, UserID: "u"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DeleteExpired(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := listAll(t, s, core.AuditQuery{})
	if len(evs) != 1 || !evs[0].Time.Equal(recent) {
		t.Errorf("after DeleteExpired: %v, want only the event within the retention", fmt.Sprint(evs))
	}
}

func TestNewAuditIDOrder(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	prev := ""
	for i := range 1000 {
		id := core.NewAuditID(t0.Add(time.Duration(i) * time.Microsecond))
		if len(id) != 32 || seen[id] || id <= prev {
			t.Fatalf("NewAuditID #%d = %q after %q: want 32 hex digits, unique, increasing with time", i, id, prev)
		}
		seen[id], prev = true, id
	}
}
