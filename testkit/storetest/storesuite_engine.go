package storetest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// Engine settings of the store suite. All are whole seconds, so every time the engine writes
// has whole milliseconds.
const (
	suiteAccessTTL   = 10 * time.Minute
	suiteRefreshTTL  = 2 * time.Hour
	suiteAbsoluteTTL = 8 * time.Hour
	suiteGrace       = 30 * time.Second
)

// engineFixture is an engine over the store under test, with a fake clock and hooks that
// record token-theft notifications.
type engineFixture struct {
	e     *core.Engine
	clock *core.FakeClock
	store core.Store

	thefts      atomic.Int64 // OnTokenTheft calls
	theftEvents atomic.Int64 // token_theft events seen by OnSecurityEvent
	mu          sync.Mutex
	lastTheft   core.SecurityEvent
}

// newEngine builds the suite's engine over store. mutate, if given, adjusts the config first.
func newEngine(t *testing.T, store core.Store, mutate ...func(*core.Config)) *engineFixture {
	t.Helper()
	fx := &engineFixture{clock: core.NewFakeClock(suiteEpoch), store: store}
	cfg := core.Config{
		Store:         store,
		Keys:          testkit.EphemeralKeyRing(t),
		Clock:         fx.clock,
		AccessTTL:     suiteAccessTTL,
		RefreshTTL:    suiteRefreshTTL,
		AbsoluteTTL:   suiteAbsoluteTTL,
		RotationGrace: suiteGrace,
		Cookies:       core.CookieConfig{Insecure: true},
		// The suite checks semantics, not overload: bursts (32 concurrent appends on a
		// one-connection SQLite pool) wait for their slot instead of being shed.
		Admission: core.Admission{MaxWait: 2 * time.Minute, OpTimeout: 2 * time.Minute},
		Logger:    slog.New(slog.DiscardHandler),
		OnTokenTheft: func(_ context.Context, ev core.SecurityEvent) {
			fx.thefts.Add(1)
			fx.mu.Lock()
			fx.lastTheft = ev
			fx.mu.Unlock()
		},
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			if ev.Type == core.EventTokenTheft {
				fx.theftEvents.Add(1)
			}
		},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	e, err := core.New(cfg)
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	fx.e = e
	return fx
}

// issue signs a new session in or fails the test.
func (fx *engineFixture) issue(t *testing.T, userID string, opts ...core.CreateOptions) *core.Tokens {
	t.Helper()
	var o core.CreateOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	tk, err := fx.e.IssueTokens(context.Background(), userID, o)
	if err != nil {
		t.Fatalf("Issue(%s): %v", userID, err)
	}
	if tk.UserID != userID || !core.ValidHandle(tk.Handle) || tk.RefreshToken == "" || tk.AccessToken == "" {
		t.Fatalf("Issue(%s) returned incomplete tokens: user %q handle %q", userID, tk.UserID, tk.Handle)
	}
	return tk
}

// refresh rotates token and fails the test unless that succeeds.
func (fx *engineFixture) refresh(t *testing.T, token string) *core.Tokens {
	t.Helper()
	tk, err := fx.e.RefreshTokens(context.Background(), token, testkit.RefreshMeta)
	if err != nil {
		t.Fatalf("Refresh at +%s: %v", fx.clock.Now().Sub(suiteEpoch), err)
	}
	return tk
}

// refreshFails requires Refresh(token) to fail with an error matching kind, and returns it.
func (fx *engineFixture) refreshFails(t *testing.T, what, token string, kind error) error {
	t.Helper()
	tk, err := fx.e.RefreshTokens(context.Background(), token, testkit.RefreshMeta)
	if err == nil {
		t.Fatalf("%s: Refresh succeeded (handle %s), want an error matching %v", what, tk.Handle, kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("%s: Refresh error %v, want one matching %v", what, err, kind)
	}
	if kind == core.ErrUnauthorised && errors.Is(err, core.ErrTokenTheft) {
		t.Fatalf("%s: Refresh reported theft (%v), want plain unauthorised", what, err)
	}
	return err
}

// verify checks an access token and fails the test unless it is accepted.
func (fx *engineFixture) verify(t *testing.T, what, accessToken string, checkDB bool) *core.Session {
	t.Helper()
	s, err := fx.e.VerifyAccessToken(context.Background(), accessToken, core.VerifyOptions{CheckDatabase: checkDB})
	if err != nil {
		t.Fatalf("%s: Verify(CheckDatabase=%v): %v", what, checkDB, err)
	}
	return s
}

// verifyFails requires Verify to fail with an error matching kind.
func (fx *engineFixture) verifyFails(t *testing.T, what, accessToken string, checkDB bool, kind error) {
	t.Helper()
	_, err := fx.e.VerifyAccessToken(context.Background(), accessToken, core.VerifyOptions{CheckDatabase: checkDB})
	testkit.WantKind(t, what+": Verify(CheckDatabase="+map[bool]string{true: "true", false: "false"}[checkDB]+")", err, kind)
}

// row loads the session's stored record.
func (fx *engineFixture) row(t *testing.T, handle string) *core.Record {
	t.Helper()
	return mustGet(t, fx.store, handle)
}

// wantThefts checks how often the theft hooks have fired so far.
func (fx *engineFixture) wantThefts(t *testing.T, what string, n int64) {
	t.Helper()
	if got := fx.thefts.Load(); got != n {
		t.Errorf("%s: OnTokenTheft fired %d times, want %d", what, got, n)
	}
	if got := fx.theftEvents.Load(); got != n {
		t.Errorf("%s: %d token_theft security events, want %d", what, got, n)
	}
}

// wantLineage checks that the row points at the given link of the refresh lineage.
func wantLineage(t *testing.T, what string, rec *core.Record, current, previous string) {
	t.Helper()
	if rec.CurrentHash != storedHash(current) {
		t.Errorf("%s: CurrentHash is not H2 of the newest refresh token", what)
	}
	wantPrev := ""
	if previous != "" {
		wantPrev = storedHash(previous)
	}
	if rec.PreviousHash != wantPrev {
		t.Errorf("%s: PreviousHash is not H2 of the parent token (got %.12q, want %.12q)", what, rec.PreviousHash, wantPrev)
	}
}

func testIssueRecord(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	user := randUser(t, "alice")
	tk := fx.issue(t, user, core.CreateOptions{
		Payload: map[string]any{"role": "admin"}, Data: map[string]any{"theme": "dark"},
		IP: "192.0.2.44", UserAgent: "Firefox/999",
	})
	rec := fx.row(t, tk.Handle)
	want := &core.Record{
		Handle: tk.Handle, UserID: user, Secret: rec.Secret, CurrentHash: storedHash(tk.RefreshToken),
		RotatedAt: suiteEpoch, CreatedAt: suiteEpoch, ExpiresAt: suiteEpoch.Add(suiteRefreshTTL),
		LastActiveAt: suiteEpoch, Version: 1,
		IdleTimeout: suiteRefreshTTL, AbsoluteExpiresAt: suiteEpoch.Add(suiteAbsoluteTTL),
		Data: []byte(`{"theme":"dark"}`), Payload: []byte(`{"role":"admin"}`),
		IP: "192.0.2.44", UserAgent: "Firefox/999",
	}
	checkRecord(t, "record written by Issue", want, rec)
	if len(rec.Secret) != 32 {
		t.Errorf("stored secret has %d bytes, want 32", len(rec.Secret))
	}
	if !utcMillis(tk.RefreshExpiry).Equal(suiteEpoch.Add(suiteRefreshTTL)) {
		t.Errorf("RefreshExpiry = %s, want now+RefreshTTL", tk.RefreshExpiry)
	}
	sess := fx.verify(t, "fresh access token", tk.AccessToken, true)
	if sess.UserID() != user || sess.Handle() != tk.Handle || sess.Claim("role") != "admin" {
		t.Errorf("verified session = user %q handle %q role %v; want %q %q admin", sess.UserID(), sess.Handle(), sess.Claim("role"), user, tk.Handle)
	}
}
