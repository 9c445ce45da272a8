package core_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// recordingObserver keeps every operation (with whether it failed) and every event type.
type recordingObserver struct {
	mu     sync.Mutex
	name   string
	ops    []string // "op" or "op!" for a failure, in the order they ended
	events []string
	log    *[]string // shared by several observers: "name:start:op" and "name:end:op"
}

func (o *recordingObserver) StartOp(ctx context.Context, op string) (context.Context, func(error)) {
	o.note("start:" + op)
	return ctx, func(err error) {
		o.note("end:" + op)
		o.mu.Lock()
		defer o.mu.Unlock()
		if err != nil {
			op += "!"
		}
		o.ops = append(o.ops, op)
	}
}

func (o *recordingObserver) note(s string) {
	if o.log != nil {
		*o.log = append(*o.log, o.name+":"+s)
	}
}

func (o *recordingObserver) Event(_ context.Context, ev core.SecurityEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, ev.Type+"/"+ev.Actor)
}

func (o *recordingObserver) take() (ops, events []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ops, events = o.ops, o.events
	o.ops, o.events = nil, nil
	return ops, events
}

func observedEngine(t *testing.T, obs core.Observer) (*core.Engine, *core.FakeClock) {
	t.Helper()
	clock := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e, err := core.New(core.Config{Store: memory.New(), Clock: clock, RevocationPollInterval: -1, Logger: discardLogger(), Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e, clock
}

func TestObserverSeesOperationsAndStoreCalls(t *testing.T) {
	obs := &recordingObserver{}
	e, clock := observedEngine(t, obs)
	ctx := context.Background()

	tok, err := e.IssueTokens(ctx, "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := obs.take()
	if !slices.Contains(ops, core.OpStoreCreate) || ops[len(ops)-1] != core.OpIssueTokens {
		t.Fatalf("IssueTokens ops = %v; want store.create inside issue_tokens", ops)
	}

	next, err := e.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{})
	if err != nil {
		t.Fatal(err)
	}
	ops, events := obs.take()
	// The engine knows the session it just created, so the rotation is one statement.
	if want := []string{core.OpStoreRotate, core.OpRefresh}; !slices.Equal(ops, want) {
		t.Fatalf("refresh ops = %v; want %v", ops, want)
	}
	if !slices.Contains(events, core.EventRefresh+"/") {
		t.Fatalf("refresh events = %v; want %s", events, core.EventRefresh)
	}

	// The warm path (a cached token, no store check) reports nothing; the strict check does.
	for range 2 {
		if _, err := e.VerifyAccessToken(ctx, next.AccessToken, core.VerifyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if ops, _ := obs.take(); len(ops) != 0 {
		t.Fatalf("plain verify reported %v; want nothing", ops)
	}
	if _, err := e.VerifyAccessToken(ctx, next.AccessToken, core.VerifyOptions{CheckDatabase: true}); err != nil {
		t.Fatal(err)
	}
	if ops, _ := obs.take(); !slices.Equal(ops, []string{core.OpStoreGet, core.OpVerifyStrict}) {
		t.Fatalf("strict verify ops = %v", ops)
	}

	// A failed operation ends with its error: a refresh token replayed after the grace window
	// is theft.
	clock.Advance(core.DefaultRotationGrace + time.Second)
	if _, err := e.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrTokenTheft) {
		t.Fatalf("replay = %v; want theft", err)
	}
	ops, events = obs.take()
	if ops[len(ops)-1] != core.OpRefresh+"!" || !slices.Contains(events, core.EventTokenTheft+"/") {
		t.Fatalf("replay ops = %v, events = %v; want a failed refresh and a theft event", ops, events)
	}

	// Events raised under WithActor name the actor.
	tok2, _ := e.IssueTokens(ctx, "u2", core.CreateOptions{})
	obs.take()
	if hs, err := e.RevokeAllForUser(core.WithActor(ctx, "admin-7"), "u2"); err != nil || len(hs) != 1 || hs[0] != tok2.Handle {
		t.Fatalf("RevokeAllForUser = %v, %v", hs, err)
	}
	if _, events := obs.take(); !slices.Contains(events, core.EventRevoked+"/admin-7") {
		t.Fatalf("revoke events = %v; want the actor named", events)
	}
	if _, err := e.RevokeAllSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if ops, _ := obs.take(); !slices.Contains(ops, core.OpStoreRevokeAll) {
		t.Fatalf("RevokeAllSessions ops = %v", ops)
	}
}

func TestObserversNestInOrder(t *testing.T) {
	var log []string
	a, b := &recordingObserver{name: "a", log: &log}, &recordingObserver{name: "b", log: &log}
	if core.Observers(nil, a) != core.Observer(a) {
		t.Fatal("Observers of one observer should be that observer")
	}
	e, _ := observedEngine(t, core.Observers(a, nil, b))
	tok, err := e.IssueTokens(context.Background(), "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a:start:issue_tokens", "b:start:issue_tokens", "a:start:store.create", "b:start:store.create",
		"b:end:store.create", "a:end:store.create", "b:end:issue_tokens", "a:end:issue_tokens"}
	if !slices.Equal(log, want) {
		t.Fatalf("call order = %v\nwant %v", log, want)
	}
	if _, err := e.RevokeAllForUser(context.Background(), tok.UserID); err != nil {
		t.Fatal(err)
	}
	_, ea := a.take()
	_, eb := b.take()
	if len(ea) == 0 || !slices.Equal(ea, eb) {
		t.Fatalf("events a = %v, b = %v; want the same, non-empty", ea, eb)
	}
}

func TestStatsCountVerifyCacheAndFeed(t *testing.T) {
	s := memory.New()
	e, err := core.New(core.Config{Store: s, Logger: discardLogger(), RevocationPollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	tok, err := e.IssueTokens(ctx, "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := e.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	st := e.Stats()
	if !st.VerifyCache.Enabled || st.VerifyCache.Misses != 1 || st.VerifyCache.Hits != 2 || st.VerifyCache.Entries != 1 {
		t.Fatalf("verify cache stats = %+v; want 1 miss, 2 hits, 1 entry", st.VerifyCache)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.Stats().Feed.LastPoll.IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("the revocation feed was never polled")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if f := e.Stats().Feed; !f.Enabled || f.Failures != 0 {
		t.Fatalf("feed stats = %+v", f)
	}
}

func TestOutcome(t *testing.T) {
	storeErr := &core.StoreError{Op: "get", Err: errors.New("connection refused")}
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, core.OutcomeOK},
		{&core.Error{Kind: core.ErrUnauthorised}, core.OutcomeRejected},
		{fmt.Errorf("wrapped: %w", &core.Error{Kind: core.ErrTokenTheft}), core.OutcomeRejected},
		{errors.Join(errors.New("x"), &core.Error{Kind: core.ErrCSRF}), core.OutcomeRejected},
		{core.ErrWrongCredentials, core.OutcomeRejected},
		{core.ErrSessionLimit, core.OutcomeRejected},
		{core.ErrNotFound, core.OutcomeRejected},
		{&core.Error{Kind: core.ErrOverloaded}, core.OutcomeShed},
		{storeErr, core.OutcomeError},
		{fmt.Errorf("refresh: %w", storeErr), core.OutcomeError},
		{context.DeadlineExceeded, core.OutcomeError},
		{errors.New("something unexpected"), core.OutcomeError},
	} {
		if got := core.Outcome(c.err); got != c.want {
			t.Errorf("Outcome(%v) = %s; want %s", c.err, got, c.want)
		}
	}
	err := fmt.Errorf("w: %w", &core.Error{Kind: core.ErrUnauthorised})
	if n := testing.AllocsPerRun(100, func() { core.Outcome(err) }); n != 0 {
		t.Errorf("Outcome allocates %v times; want 0", n)
	}
}
