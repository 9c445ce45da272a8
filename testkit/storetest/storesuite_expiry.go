package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// Idle, absolute and access-token expiry, driven by the fake clock.

func testIdleExpiry(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	user := randUser(t, "idle")
	active := fx.issue(t, user)
	idle := fx.issue(t, user)

	fx.clock.Advance(suiteRefreshTTL - time.Second)
	kept := fx.refresh(t, active.RefreshToken)
	if want := fx.clock.Now().Add(suiteRefreshTTL); !utcMillis(kept.RefreshExpiry).Equal(utcMillis(want)) {
		t.Errorf("RefreshExpiry after a refresh = %s, want now+RefreshTTL = %s", kept.RefreshExpiry, want)
	}
	if want := fx.clock.Now().Add(suiteRefreshTTL); !utcMillis(fx.row(t, active.Handle).ExpiresAt).Equal(utcMillis(want)) {
		t.Errorf("stored ExpiresAt after a refresh = %s, want now+RefreshTTL = %s", fx.row(t, active.Handle).ExpiresAt, want)
	}

	fx.clock.Advance(time.Second) // exactly RefreshTTL after sign-in: the idle session is dead
	fx.refreshFails(t, "refresh exactly RefreshTTL after the last activity", idle.RefreshToken, core.ErrUnauthorised)
	if fx.row(t, idle.Handle).Revoked {
		t.Error("idle expiry set Revoked; it should only let the row expire")
	}
	if _, err := fx.e.SessionInfo(context.Background(), idle.Handle); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("SessionInfo of an idle-expired session: %v, want ErrNotFound", err)
	}
	list, err := fx.e.ListSessions(context.Background(), user)
	if err != nil || len(list) != 1 || list[0].Handle != active.Handle {
		t.Errorf("ListSessions after idle expiry = %v, %v; want only the active session", list, err)
	}
	// The active session is still alive.
	fx.refresh(t, kept.RefreshToken)
}

func testIdleKeptAlive(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	tok := fx.issue(t, randUser(t, "alive")).RefreshToken
	// Five refreshes, RefreshTTL/2 apart: 2.5×RefreshTTL in total, still inside AbsoluteTTL.
	for i := range 5 {
		fx.clock.Advance(suiteRefreshTTL / 2)
		tk, err := fx.e.RefreshTokens(context.Background(), tok, testkit.RefreshMeta)
		if err != nil {
			t.Fatalf("refresh %d at +%s (every RefreshTTL/2): %v", i, fx.clock.Now().Sub(suiteEpoch), err)
		}
		if want := fx.clock.Now().Add(suiteRefreshTTL); !utcMillis(tk.RefreshExpiry).Equal(utcMillis(want)) {
			t.Errorf("refresh %d: RefreshExpiry = %s, want %s", i, tk.RefreshExpiry, want)
		}
		tok = tk.RefreshToken
	}
}

func testAbsoluteLifetime(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	t0 := fx.issue(t, randUser(t, "abs"))
	created := fx.clock.Now()
	abs := created.Add(suiteAbsoluteTTL)
	info, err := fx.e.SessionInfo(context.Background(), t0.Handle)
	if err != nil {
		t.Fatalf("SessionInfo: %v", err)
	}
	if !utcMillis(info.AbsoluteExpiresAt).Equal(utcMillis(abs)) {
		t.Errorf("AbsoluteExpiresAt = %s, want CreatedAt+AbsoluteTTL = %s", info.AbsoluteExpiresAt, abs)
	}
	tok := t0.RefreshToken
	// Refresh well inside the idle window each time, so only the absolute lifetime can end it.
	for _, at := range []time.Duration{110 * time.Minute, 220 * time.Minute, 330 * time.Minute, 440 * time.Minute,
		suiteAbsoluteTTL - time.Minute} {
		fx.clock.Set(created.Add(at))
		tk, err := fx.e.RefreshTokens(context.Background(), tok, testkit.RefreshMeta)
		if err != nil {
			t.Fatalf("refresh at +%s (before the absolute lifetime %s): %v", at, suiteAbsoluteTTL, err)
		}
		if utcMillis(tk.RefreshExpiry).After(utcMillis(abs)) {
			t.Errorf("refresh at +%s: RefreshExpiry %s is past CreatedAt+AbsoluteTTL %s", at, tk.RefreshExpiry, abs)
		}
		if got := fx.row(t, t0.Handle).ExpiresAt; utcMillis(got).After(utcMillis(abs)) {
			t.Errorf("refresh at +%s: stored ExpiresAt %s is past CreatedAt+AbsoluteTTL %s", at, got, abs)
		}
		if want := earliest(created.Add(at+suiteRefreshTTL), abs); !utcMillis(tk.RefreshExpiry).Equal(utcMillis(want)) {
			t.Errorf("refresh at +%s: RefreshExpiry = %s, want min(now+RefreshTTL, CreatedAt+AbsoluteTTL) = %s", at, tk.RefreshExpiry, want)
		}
		tok = tk.RefreshToken
	}
	fx.clock.Set(abs) // one minute after the last refresh: idle-wise alive, absolutely dead
	fx.refreshFails(t, "first refresh at CreatedAt+AbsoluteTTL", tok, core.ErrUnauthorised)
	list, err := fx.e.ListSessions(context.Background(), t0.UserID)
	if err != nil || len(list) != 0 {
		t.Errorf("ListSessions after the absolute lifetime = %d sessions, %v; want none", len(list), err)
	}
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func testAccessExpiry(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	t0 := fx.issue(t, randUser(t, "access"))
	fx.verify(t, "fresh access token", t0.AccessToken, false) // also fills the verify cache
	if !t0.AccessExpiry.Equal(suiteEpoch.Add(suiteAccessTTL)) {
		t.Errorf("AccessExpiry = %s, want now+AccessTTL = %s", t0.AccessExpiry, suiteEpoch.Add(suiteAccessTTL))
	}
	fx.clock.Advance(suiteAccessTTL - time.Second)
	fx.verify(t, "access token one second before exp", t0.AccessToken, false)
	fx.verify(t, "access token one second before exp", t0.AccessToken, true)
	fx.clock.Advance(time.Second)
	fx.verifyFails(t, "access token at exp", t0.AccessToken, false, core.ErrTryRefresh)
	fx.verifyFails(t, "access token at exp", t0.AccessToken, true, core.ErrTryRefresh)

	t1 := fx.refresh(t, t0.RefreshToken)
	fx.verify(t, "access token after refresh", t1.AccessToken, true)
	fx.verifyFails(t, "expired access token after refresh", t0.AccessToken, false, core.ErrTryRefresh)
}
