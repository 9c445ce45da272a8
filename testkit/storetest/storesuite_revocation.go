package storetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/internal/testkit"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testenv"
)

// The engine's listing and revocation API over the store.

func infoHandles(list []core.SessionInfo) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Handle
	}
	return out
}

func testRevocationAPI(t *testing.T, s core.Store) {
	ctx := context.Background()
	fx := newEngine(t, s)
	alice, bob := randUser(t, "alice"), randUser(t, "bob")
	var a []*core.Tokens
	for i := range 3 {
		a = append(a, fx.issue(t, alice, core.CreateOptions{
			IP: "192.0.2.1", UserAgent: "device-" + string(rune('A'+i)),
			Data: map[string]any{"i": i}, Payload: map[string]any{"n": i},
		}))
		fx.clock.Advance(time.Minute)
	}
	b := fx.issue(t, bob)

	list, err := fx.e.ListSessions(ctx, alice)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if want := []string{a[2].Handle, a[1].Handle, a[0].Handle}; !slices.Equal(infoHandles(list), want) {
		t.Fatalf("ListSessions(alice) = %q, want newest first %q", infoHandles(list), want)
	}
	if got := list[2]; got.UserID != alice || got.UserAgent != "device-A" || got.IP != "192.0.2.1" ||
		!utcMillis(got.CreatedAt).Equal(suiteEpoch) || !utcMillis(got.AbsoluteExpiresAt).Equal(suiteEpoch.Add(suiteAbsoluteTTL)) ||
		got.Data != nil || got.Payload != nil {
		t.Errorf("ListSessions(alice)[2] = %+v, want the first session's details without its data and payload", got)
	}
	info, err := fx.e.SessionInfo(ctx, a[1].Handle)
	if err != nil || info.Handle != a[1].Handle || info.UserAgent != "device-B" {
		t.Fatalf("SessionInfo(%s) = %+v, %v", a[1].Handle, info, err)
	}
	if info.Data["i"] != float64(1) || info.Payload["n"] != float64(1) {
		t.Errorf("SessionInfo(%s) data %v payload %v, want the session's own", a[1].Handle, info.Data, info.Payload)
	}
	if _, err := fx.e.SessionInfo(ctx, randHandle(t)); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("SessionInfo(unknown) error %v, want ErrNotFound", err)
	}

	// Sign out everywhere else.
	revoked, err := fx.e.RevokeOtherSessions(ctx, alice, a[2].Handle)
	if err != nil {
		t.Fatalf("RevokeOtherSessions: %v", err)
	}
	slices.Sort(revoked)
	want := []string{a[0].Handle, a[1].Handle}
	slices.Sort(want)
	if !slices.Equal(revoked, want) {
		t.Fatalf("RevokeOtherSessions(alice, keep newest) = %q, want %q", revoked, want)
	}
	list, err = fx.e.ListSessions(ctx, alice)
	if err != nil || !slices.Equal(infoHandles(list), []string{a[2].Handle}) {
		t.Errorf("ListSessions(alice) after RevokeOtherSessions = %q, %v; want only the kept one", infoHandles(list), err)
	}
	for _, tk := range a[:2] {
		fx.refreshFails(t, "refresh of a session revoked by RevokeOtherSessions", tk.RefreshToken, core.ErrUnauthorised)
		fx.verifyFails(t, "strict verify of a session revoked by RevokeOtherSessions", tk.AccessToken, true, core.ErrUnauthorised)
		// The revoking engine refuses the session at once even without CheckDatabase: it
		// remembers what it revoked (no store read on the hot path, R7).
		fx.verifyFails(t, "stateless verify on the revoking engine", tk.AccessToken, false, core.ErrUnauthorised)
	}
	a2 := fx.refresh(t, a[2].RefreshToken)

	// Revoke one session by handle.
	ok, err := fx.e.RevokeSession(ctx, a[2].Handle)
	if err != nil || !ok {
		t.Fatalf("RevokeSession(live) = %v, %v; want true", ok, err)
	}
	ok, err = fx.e.RevokeSession(ctx, a[2].Handle)
	if err != nil || ok {
		t.Errorf("second RevokeSession = %v, %v; want false, nil", ok, err)
	}
	ok, err = fx.e.RevokeSession(ctx, randHandle(t))
	if err != nil || ok {
		t.Errorf("RevokeSession(unknown) = %v, %v; want false, nil", ok, err)
	}
	fx.refreshFails(t, "refresh after RevokeSession", a2.RefreshToken, core.ErrUnauthorised)
	if _, err := fx.e.SessionInfo(ctx, a[2].Handle); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("SessionInfo of a revoked session: %v, want ErrNotFound", err)
	}

	// Sign bob out everywhere; alice has nothing left to revoke.
	revoked, err = fx.e.RevokeAllForUser(ctx, bob)
	if err != nil || !slices.Equal(revoked, []string{b.Handle}) {
		t.Errorf("RevokeAllForUser(bob) = %q, %v; want [%s]", revoked, err, b.Handle)
	}
	fx.refreshFails(t, "bob's refresh after RevokeAllForUser", b.RefreshToken, core.ErrUnauthorised)
	revoked, err = fx.e.RevokeAllForUser(ctx, alice)
	if err != nil || len(revoked) != 0 {
		t.Errorf("RevokeAllForUser(alice) with every session already revoked = %q, %v; want none", revoked, err)
	}

	// Session.Revoke on a verified session.
	c := fx.issue(t, alice)
	sess := fx.verify(t, "new session", c.AccessToken, true)
	if err := sess.Revoke(ctx); err != nil {
		t.Fatalf("Session.Revoke: %v", err)
	}
	fx.verifyFails(t, "strict verify after Session.Revoke", c.AccessToken, true, core.ErrUnauthorised)
	fx.refreshFails(t, "refresh after Session.Revoke", c.RefreshToken, core.ErrUnauthorised)
	fx.wantThefts(t, "after revocations", 0)
}

// testRevocationFeed: a session revoked through one engine is refused by a second engine over
// the same store after that engine polls the feed, without CheckDatabase (issue: revocation
// latency across instances).
func testRevocationFeed(t *testing.T, newStore func(t *testing.T) core.Store) {
	store := newStore(t)
	if _, ok := store.(core.RevocationFeed); !ok {
		testenv.NeedService(t, "core.RevocationFeed", fmt.Errorf("%T does not implement it", store))
		return
	}
	ctx := context.Background()
	clk := core.NewFakeClock(suiteEpoch)
	ring := testkit.EphemeralKeyRing(t)
	mk := func() *core.Engine {
		e, err := core.New(core.Config{Store: store, Keys: ring, Clock: clk, RevocationPollInterval: -1,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		return e
	}
	a, b := mk(), mk()
	if err := testkit.PollRevocations(ctx, b); err != nil {
		t.Fatalf("initial poll: %v", err)
	}
	victim, err := a.IssueTokens(ctx, randUser(t, "feed"), core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bystander, err := a.IssueTokens(ctx, randUser(t, "feed2"), core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.VerifyAccessToken(ctx, victim.AccessToken, core.VerifyOptions{}); err != nil {
		t.Fatalf("engine B refuses a live session: %v", err)
	}
	if ok, err := a.RevokeSession(ctx, victim.Handle); err != nil || !ok {
		t.Fatalf("RevokeSession on A: %v %v", ok, err)
	}
	if _, err := a.VerifyAccessToken(ctx, victim.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Errorf("engine A still accepts the session it revoked: %v", err)
	}
	if err := testkit.PollRevocations(ctx, b); err != nil {
		t.Fatalf("poll: %v", err)
	}
	if _, err := b.VerifyAccessToken(ctx, victim.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Errorf("engine B accepts a revoked session after polling the feed: %v", err)
	}
	if _, err := b.VerifyAccessToken(ctx, bystander.AccessToken, core.VerifyOptions{}); err != nil {
		t.Errorf("engine B refuses an unrelated live session: %v", err)
	}
	// An engine that starts after the revocation learns it from the lookback window.
	c := mk()
	if err := testkit.PollRevocations(ctx, c); err != nil {
		t.Fatalf("poll: %v", err)
	}
	if _, err := c.VerifyAccessToken(ctx, victim.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Errorf("a newly started engine accepts a session revoked before it started: %v", err)
	}
	// Bulk revocations travel too.
	user := randUser(t, "feedbulk")
	t1, _ := a.IssueTokens(ctx, user, core.CreateOptions{})
	t2, _ := a.IssueTokens(ctx, user, core.CreateOptions{})
	if _, err := a.RevokeAllForUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	if err := testkit.PollRevocations(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []*core.Tokens{t1, t2} {
		if _, err := b.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrUnauthorised) {
			t.Errorf("RevokeAllForUser on A not seen by B: %v", err)
		}
	}
}
