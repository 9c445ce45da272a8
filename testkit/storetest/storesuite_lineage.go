package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// R8 (docs/ROTATION.md): a genuine token is judged by its own history. One superseded less
// than a grace window before its request arrived is honoured with the lineage's current
// token, however many rotations happened since; one superseded longer ago is theft.

// testDelayedAncestorsHonoured: tabs that fell behind (a grandparent, a great-grandparent…)
// get the current token, nothing is revoked, and the lineage goes on.
func testDelayedAncestorsHonoured(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	tk := []*core.Tokens{fx.issue(t, randUser(t, "r8"))}
	for i := range 5 {
		fx.clock.Advance(time.Second)
		tk = append(tk, fx.refresh(t, tk[i].RefreshToken))
	}
	current := tk[5]
	for depth := 5; depth >= 1; depth-- {
		got, err := fx.e.RefreshTokens(context.Background(), tk[5-depth].RefreshToken, testkit.RefreshMeta)
		if err != nil {
			t.Fatalf("T%d, %d rotations behind and superseded %s ago: %v, want the current token",
				5-depth, depth, fx.clock.Now().Sub(suiteEpoch.Add(time.Duration(6-depth)*time.Second)), err)
		}
		if got.RefreshToken != current.RefreshToken {
			t.Fatalf("T%d (%d behind) was answered with another token than the current one", 5-depth, depth)
		}
		fx.verify(t, fmt.Sprintf("access token answered to T%d", 5-depth), got.AccessToken, true)
	}
	rec := fx.row(t, current.Handle)
	if rec.Revoked || rec.CurrentHash != storedHash(current.RefreshToken) {
		t.Fatalf("after honouring delayed ancestors: revoked %v, current moved %v", rec.Revoked, rec.CurrentHash != storedHash(current.RefreshToken))
	}
	fx.wantThefts(t, "after delayed ancestors inside their windows", 0)
	// The strict check accepts access tokens of the remembered lineage: a tab still holding
	// the access token minted for T3 is not logged out by a strict route.
	fx.verify(t, "access token of T3 (two behind) on a strict route", tk[3].AccessToken, true)
	next := fx.refresh(t, current.RefreshToken)
	wantLineage(t, "after the lineage went on", fx.row(t, current.Handle), next.RefreshToken, current.RefreshToken)
}

// testAncestorPastItsWindowIsTheft: each token's window starts when it was superseded, and
// only its own window counts.
func testAncestorPastItsWindowIsTheft(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	t0 := fx.issue(t, randUser(t, "r8"))
	t1 := fx.refresh(t, t0.RefreshToken) // T0 superseded at +0
	fx.clock.Advance(suiteGrace - time.Second)
	t2 := fx.refresh(t, t1.RefreshToken) // T1 superseded at +29 s
	fx.clock.Advance(time.Second)        // +30 s: T0's window has closed, T1's has not
	got, err := fx.e.RefreshTokens(context.Background(), t1.RefreshToken, testkit.RefreshMeta)
	if err != nil || got.RefreshToken != t2.RefreshToken {
		t.Fatalf("T1, superseded 1 s ago: %v, want the current token T2", err)
	}
	fx.wantThefts(t, "T1 inside its own window", 0)
	_, err = fx.e.RefreshTokens(context.Background(), t0.RefreshToken, testkit.RefreshMeta)
	if !errors.Is(err, core.ErrTokenTheft) {
		t.Fatalf("T0, superseded a grace window ago: %v, want ErrTokenTheft", err)
	}
	if !fx.row(t, t0.Handle).Revoked {
		t.Fatal("theft of T0 did not revoke the session")
	}
	fx.wantThefts(t, "T0 past its window", 1)
	fx.refreshFails(t, "T2 after the theft", t2.RefreshToken, core.ErrUnauthorised)
}

// slowReadStore delays Get the way a queue for a database connection does: when armed, Get
// moves the suite's clock forward before reading.
type slowReadStore struct {
	core.Store
	clock *core.FakeClock
	delay atomic.Int64 // nanoseconds; 0: not armed
}

func (s *slowReadStore) Get(ctx context.Context, handle string) (*core.Record, error) {
	if d := s.delay.Load(); d > 0 {
		s.clock.Advance(time.Duration(d))
	}
	return s.Store.Get(ctx, handle)
}

// testArrivalTimeDecides: a duplicate that arrived inside the grace window but waited for
// the store past it is still a duplicate (issue: 50 simultaneous refreshes on a loaded
// PostgreSQL revoked the session). And a stamp from the edge of the server wins.
func testArrivalTimeDecides(t *testing.T, s core.Store) {
	slow := &slowReadStore{Store: s}
	fx := newEngine(t, slow)
	slow.clock = fx.clock
	t0 := fx.issue(t, randUser(t, "arrival"))
	t1 := fx.refresh(t, t0.RefreshToken)
	fx.clock.Advance(time.Second)
	slow.delay.Store(int64(3 * suiteGrace)) // the read returns three grace windows later
	got, err := fx.e.RefreshTokens(context.Background(), t0.RefreshToken, testkit.RefreshMeta)
	slow.delay.Store(0)
	if err != nil {
		t.Fatalf("a duplicate that arrived 1 s after the rotation but was read 90 s later: %v, want the same child", err)
	}
	if got.RefreshToken != t1.RefreshToken {
		t.Fatal("the delayed duplicate got another token than the child T1")
	}
	fx.wantThefts(t, "after a slow read", 0)
	if fx.row(t, t0.Handle).Revoked {
		t.Fatal("a slow read revoked the session")
	}

	// An adapter may stamp the arrival earlier than the engine sees the request; the first
	// stamp wins, in both directions.
	t2 := fx.refresh(t, t1.RefreshToken) // T1 superseded now
	early := core.WithArrival(context.Background(), fx.clock.Now().Add(suiteGrace-time.Second))
	if got, err := fx.e.RefreshTokens(early, t1.RefreshToken, testkit.RefreshMeta); err != nil || got.RefreshToken != t2.RefreshToken {
		t.Fatalf("T1 stamped as arriving 29 s after it was superseded: %v, want the current token", err)
	}
	late := core.WithArrival(context.Background(), fx.clock.Now().Add(suiteGrace))
	if _, err := fx.e.RefreshTokens(late, t1.RefreshToken, testkit.RefreshMeta); !errors.Is(err, core.ErrTokenTheft) {
		t.Fatalf("T1 stamped as arriving a grace window after it was superseded: %v, want ErrTokenTheft", err)
	}
}

// testHistoryBound: the history is bounded. A genuine token older than it, while the history
// is still inside the window, is refused without revoking anything (it may be honest); once
// the window has passed, it is theft like any old token.
func testHistoryBound(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	t0 := fx.issue(t, randUser(t, "bound"))
	tok := t0
	for range 12 {
		tok = fx.refresh(t, tok.RefreshToken)
	}
	rec := fx.row(t, t0.Handle)
	if n := len(rec.History); n == 0 || n > 1024 {
		t.Fatalf("History after 12 rotations is %d bytes; want a bounded, non-empty history", n)
	}
	err := fx.refreshFails(t, "T0, 12 rotations behind inside the window", t0.RefreshToken, core.ErrUnauthorised)
	if errors.Is(err, core.ErrTokenTheft) {
		t.Fatal("T0 beyond the bounded history, inside the window, counted as theft")
	}
	if r := fx.row(t, t0.Handle); r.Revoked {
		t.Fatal("T0 beyond the bounded history revoked the session")
	}
	fx.wantThefts(t, "beyond the history inside the window", 0)
	fx.clock.Advance(suiteGrace)
	if _, err := fx.e.RefreshTokens(context.Background(), t0.RefreshToken, testkit.RefreshMeta); !errors.Is(err, core.ErrTokenTheft) {
		t.Fatalf("T0 a grace window later: %v, want ErrTokenTheft", err)
	}
}
