package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// R6: no resurrection. Data writers, payload writers and refreshers hammer one session while a
// revoke lands in the middle. Every write that reported success must be in the final row,
// nothing may change after the revoke completed, and every operation that starts after it
// must fail with ErrUnauthorised.

const (
	r6Rounds         = 5
	r6DataWriters    = 4 // Engine.UpdateData
	r6PayloadWriters = 2 // Engine.MergePayload
	r6Refreshers     = 8 // concurrent Engine.Refresh calls per refresh step
	r6PostOps        = 3 // operations each worker performs after the revoke completed
	r6GiveUp         = 5000
)

// r6State is shared by the workers of one round.
type r6State struct {
	revokeStarted atomic.Bool
	revokeDone    atomic.Bool
	successes     atomic.Int64
	threshold     int64
	ready         chan struct{} // closed once threshold operations succeeded
	readyOnce     sync.Once
	giveUp        chan struct{} // closed when a worker ran r6GiveUp operations without a revoke
	giveUpOnce    sync.Once

	mu       sync.Mutex
	problems []string
	items    []string       // data items whose append reported success
	payload  map[string]int // payload key -> last value whose merge reported success
	bumps    int64          // successful Data/Payload writes
	lastTok  string         // last refresh token a refresh returned
}

func (st *r6State) problem(format string, args ...any) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.problems) < 20 {
		st.problems = append(st.problems, fmt.Sprintf(format, args...))
	}
}

func (st *r6State) succeeded() {
	if st.successes.Add(1) >= st.threshold {
		st.readyOnce.Do(func() { close(st.ready) })
	}
}

// run loops op until the worker has done r6PostOps operations after the revoke. op returns
// the errors of the calls it made (one for most operations, several for a concurrent refresh
// step); the op counts as successful if any call succeeded, and onSuccess records what it
// wrote.
func (st *r6State) run(name string, op func(n int) []error, onSuccess func(n int)) {
	post := 0
	for n := 0; ; n++ {
		if n == r6GiveUp && !st.revokeStarted.Load() {
			st.problem("%s: %d operations and the revoke has not started: too few successes", name, n)
			st.giveUpOnce.Do(func() { close(st.giveUp) })
		}
		after := st.revokeDone.Load()
		errs := op(n)
		before := !st.revokeStarted.Load()
		ok := false
		for _, err := range errs {
			switch {
			case err == nil && after:
				st.problem("%s op %d succeeded although it started after the revoke completed", name, n)
			case err == nil:
				ok = true
			case !errors.Is(err, core.ErrUnauthorised):
				st.problem("%s op %d: unexpected error %v", name, n, err)
			case before:
				st.problem("%s op %d failed with %v although it finished before the revoke started", name, n, err)
			}
		}
		if ok {
			onSuccess(n)
			st.succeeded()
		}
		if after {
			if post++; post >= r6PostOps {
				return
			}
		}
	}
}

func testR6NoResurrection(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	for round := range r6Rounds {
		r6Round(t, fx, round)
		if t.Failed() {
			return
		}
	}
}

func r6Round(t *testing.T, fx *engineFixture, round int) {
	t.Helper()
	ctx := context.Background()
	tk := fx.issue(t, randUser(t, "r6"), core.CreateOptions{Data: map[string]any{"items": []any{}}})
	h := tk.Handle
	sess := fx.verify(t, "session", tk.AccessToken, false)
	st := &r6State{
		// Revoke at a different point each round. The threshold stays well below the engine's
		// 64 compare-and-swap attempts: a data write only loses to another write's success,
		// so no writer can exhaust its retries before the revoke.
		threshold: int64(3 + 8*round),
		ready:     make(chan struct{}), giveUp: make(chan struct{}), payload: map[string]int{},
	}

	var wg sync.WaitGroup
	start := make(chan struct{})
	worker := func(name string, op func(n int) []error, onSuccess func(n int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st.run(name, op, onSuccess)
		}()
	}
	appendItem := func(item string) func(map[string]any) error {
		return func(m map[string]any) error {
			items, _ := m["items"].([]any)
			m["items"] = append(items, item)
			return nil
		}
	}
	recordItem := func(item string) {
		st.mu.Lock()
		st.items = append(st.items, item)
		st.bumps++
		st.mu.Unlock()
	}
	recordPayload := func(key string, n int) {
		st.mu.Lock()
		st.payload[key] = n
		st.bumps++
		st.mu.Unlock()
	}
	for w := range r6DataWriters {
		worker(fmt.Sprintf("UpdateData#%d", w),
			func(n int) []error { return r6One(fx.e.UpdateData(ctx, h, appendItem(fmt.Sprintf("d%d-%d", w, n)))) },
			func(n int) { recordItem(fmt.Sprintf("d%d-%d", w, n)) })
	}
	for w := range r6PayloadWriters {
		key := fmt.Sprintf("p%d", w)
		worker("MergePayload#"+key,
			func(n int) []error { _, err := fx.e.MergePayload(ctx, h, map[string]any{key: n}); return r6One(err) },
			func(n int) { recordPayload(key, n) })
	}
	worker("Session.UpdateData",
		func(n int) []error { return r6One(sess.UpdateData(ctx, appendItem(fmt.Sprintf("s-%d", n)))) },
		func(n int) { recordItem(fmt.Sprintf("s-%d", n)) })
	worker("Session.MergePayload",
		func(n int) []error { return r6One(sess.MergePayload(ctx, map[string]any{"q": n})) },
		func(n int) { recordPayload("q", n) })
	tok := tk.RefreshToken
	worker("Refresh", func(int) []error { return r6RefreshStep(ctx, fx, st, &tok) }, func(int) {
		st.mu.Lock()
		st.lastTok = tok
		st.mu.Unlock()
	})

	revoked := make(chan *core.Record, 1)
	go func() {
		select {
		case <-st.ready:
		case <-st.giveUp:
		}
		st.revokeStarted.Store(true)
		ok, err := fx.e.RevokeSession(ctx, h)
		if err != nil || !ok {
			st.problem("RevokeSession of the live session = %v, %v; want true", ok, err)
		}
		snap, err := fx.store.Get(ctx, h)
		if err != nil {
			st.problem("Get after the revoke: %v", err)
		}
		st.revokeDone.Store(true)
		revoked <- snap
	}()
	close(start)
	wg.Wait()
	snap := <-revoked

	for _, p := range st.problems {
		t.Errorf("round %d: %s", round, p)
	}
	if snap == nil {
		t.FailNow()
	}
	if !snap.Revoked {
		t.Fatalf("round %d: row not revoked right after RevokeSession", round)
	}
	final := fx.row(t, h)
	checkRecord(t, fmt.Sprintf("round %d: row at the end vs right after the revoke", round), snap, final)

	// Every write that reported success is in the final row, and nothing else is.
	var data struct {
		Items []string `json:"items"`
	}
	if err := json.Unmarshal(final.Data, &data); err != nil {
		t.Fatalf("round %d: stored data %s: %v", round, final.Data, err)
	}
	got, want := slices.Sorted(slices.Values(data.Items)), slices.Sorted(slices.Values(st.items))
	if !slices.Equal(got, want) {
		t.Errorf("round %d: final data has %d items, %d appends reported success: lost, phantom or duplicated writes\n got  %q\n want %q",
			round, len(got), len(want), got, want)
	}
	var payload map[string]any
	if err := json.Unmarshal(final.Payload, &payload); err != nil {
		t.Fatalf("round %d: stored payload %s: %v", round, final.Payload, err)
	}
	for key, n := range st.payload {
		if payload[key] != float64(n) {
			t.Errorf("round %d: payload %s = %v, but the last successful merge wrote %d", round, key, payload[key], n)
		}
	}
	if final.Version != 1+st.bumps {
		t.Errorf("round %d: Version = %d, want 1 + %d successful data/payload writes", round, final.Version, st.bumps)
	}
	if st.lastTok != "" && final.CurrentHash != storedHash(st.lastTok) {
		t.Errorf("round %d: CurrentHash is not the last refresh token any refresh returned", round)
	}
	fx.wantThefts(t, fmt.Sprintf("round %d", round), 0)

	// Afterwards, everything on the session fails with ErrUnauthorised.
	_, err := fx.e.RefreshTokens(ctx, tok, testkit.RefreshMeta)
	testkit.WantKind(t, "Refresh after the revoke", err, core.ErrUnauthorised)
	err = fx.e.UpdateData(ctx, h, appendItem("late"))
	testkit.WantKind(t, "UpdateData after the revoke", err, core.ErrUnauthorised)
	_, err = fx.e.MergePayload(ctx, h, map[string]any{"late": true})
	testkit.WantKind(t, "MergePayload after the revoke", err, core.ErrUnauthorised)
	_, err = sess.Data(ctx)
	testkit.WantKind(t, "Data after the revoke", err, core.ErrUnauthorised)
	_, err = fx.e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{CheckDatabase: true})
	testkit.WantKind(t, "strict Verify after the revoke", err, core.ErrUnauthorised)
	checkRecord(t, fmt.Sprintf("round %d: row after late operations", round), snap, fx.row(t, h))
}

// r6RefreshStep refreshes *tok from r6Refreshers goroutines at once and returns their
// errors. Successful calls must agree on the child, which becomes *tok.
func r6RefreshStep(ctx context.Context, fx *engineFixture, st *r6State, tok *string) []error {
	res := make([]*core.Tokens, r6Refreshers)
	errs := make([]error, r6Refreshers)
	testkit.Concurrently(r6Refreshers, func(i int) { res[i], errs[i] = fx.e.RefreshTokens(ctx, *tok, testkit.RefreshMeta) })
	child := ""
	for i := range r6Refreshers {
		if errs[i] != nil {
			continue
		}
		if child == "" {
			child = res[i].RefreshToken
		} else if res[i].RefreshToken != child {
			st.problem("concurrent refreshes returned different tokens: the lineage forked")
		}
	}
	if child != "" {
		*tok = child
	}
	return errs
}

// r6One wraps a single error for r6State.run.
func r6One(err error) []error { return []error{err} }
