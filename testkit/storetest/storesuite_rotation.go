package storetest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// R1–R4: refresh-token rotation, replay inside the grace window, concurrency, theft detection
// and forgeries, all through Engine.Refresh.

// r2Goroutines and r2Rounds size the concurrent-refresh test (R2).
const (
	r2Goroutines = 64
	r2Rounds     = 5
)

func testR1LostResponse(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	t0 := fx.issue(t, randUser(t, "r1"))
	t1 := fx.refresh(t, t0.RefreshToken)
	if t1.RefreshToken == t0.RefreshToken {
		t.Fatal("refresh returned the presented refresh token unchanged")
	}
	rotated := fx.row(t, t0.Handle)
	wantLineage(t, "after the first refresh", rotated, t1.RefreshToken, t0.RefreshToken)

	// The response carrying t1 was lost: the client retries with t0, several times, until just
	// before the grace window closes.
	for _, step := range []time.Duration{0, suiteGrace / 2, suiteGrace/2 - time.Second} {
		fx.clock.Advance(step)
		elapsed := fx.clock.Now().Sub(suiteEpoch)
		retry, err := fx.e.RefreshTokens(context.Background(), t0.RefreshToken, testkit.RefreshMeta)
		if err != nil {
			t.Fatalf("retry with the parent token %s after the rotation: %v (want success inside the %s grace window)", elapsed, err, suiteGrace)
		}
		if retry.RefreshToken != t1.RefreshToken {
			t.Fatalf("retry %s after the rotation returned a different refresh token than the lost response; want the identical child", elapsed)
		}
		if retry.Handle != t0.Handle || retry.UserID != t0.UserID {
			t.Fatalf("retry returned session %s/%s, want %s/%s", retry.UserID, retry.Handle, t0.UserID, t0.Handle)
		}
		fx.verify(t, "access token of the retry", retry.AccessToken, true)
		checkRecord(t, fmt.Sprintf("row after the retry at +%s (a replay must not write)", elapsed), rotated, fx.row(t, t0.Handle))
	}
	fx.wantThefts(t, "after in-window retries", 0)

	// The child the client finally kept works.
	t2 := fx.refresh(t, t1.RefreshToken)
	wantLineage(t, "after refreshing the retried child", fx.row(t, t0.Handle), t2.RefreshToken, t1.RefreshToken)
	fx.wantThefts(t, "after refreshing the child", 0)
}

func testR1AfterGrace(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	t0 := fx.issue(t, randUser(t, "r1"))
	t1 := fx.refresh(t, t0.RefreshToken)
	fx.clock.Advance(suiteGrace) // the window is [rotated_at, rotated_at+grace)
	fx.refreshFails(t, "retry of the parent exactly when the grace window closes", t0.RefreshToken, core.ErrTokenTheft)
	if !fx.row(t, t0.Handle).Revoked {
		t.Fatal("session is not revoked after a replay outside the grace window")
	}
	fx.wantThefts(t, "replay after the grace window", 1)
	fx.refreshFails(t, "the child after theft", t1.RefreshToken, core.ErrUnauthorised)
}

func testR2Concurrent(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	t0 := fx.issue(t, randUser(t, "r2"))
	tok := t0.RefreshToken
	for round := range r2Rounds {
		fx.clock.Advance(time.Second)
		results := make([]*core.Tokens, r2Goroutines)
		errs := make([]error, r2Goroutines)
		testkit.Concurrently(r2Goroutines, func(i int) {
			results[i], errs[i] = fx.e.RefreshTokens(context.Background(), tok, testkit.RefreshMeta)
		})
		var child string
		failed := 0
		for i := range r2Goroutines {
			if errs[i] != nil {
				failed++
				if failed <= 3 {
					t.Errorf("round %d: concurrent refresh %d failed: %v", round, i, errs[i])
				}
				continue
			}
			if child == "" {
				child = results[i].RefreshToken
			}
			if results[i].RefreshToken != child {
				t.Errorf("round %d: concurrent refresh %d returned a different refresh token: the lineage forked", round, i)
			}
			if results[i].Handle != t0.Handle {
				t.Errorf("round %d: concurrent refresh %d returned handle %s, want %s", round, i, results[i].Handle, t0.Handle)
			}
		}
		if failed > 0 {
			t.Fatalf("round %d: %d of %d concurrent refreshes of the same token failed, want all to succeed", round, failed, r2Goroutines)
		}
		if child == tok {
			t.Fatalf("round %d: refresh returned the presented token", round)
		}
		rec := fx.row(t, t0.Handle)
		if rec.Revoked {
			t.Fatalf("round %d: session revoked by concurrent refreshes", round)
		}
		wantLineage(t, fmt.Sprintf("round %d", round), rec, child, tok)
		fx.verify(t, fmt.Sprintf("round %d: access token of a concurrent refresh", round), results[r2Goroutines-1].AccessToken, true)
		tok = child
	}
	fx.wantThefts(t, "after concurrent refreshes", 0)
	last := fx.refresh(t, tok)
	wantLineage(t, "after refreshing the agreed token", fx.row(t, t0.Handle), last.RefreshToken, tok)
}

func testR3Theft(t *testing.T, s core.Store, previousAfterGrace bool) {
	fx := newEngine(t, s)
	user := randUser(t, "r3")
	bystander := fx.issue(t, user) // another session of the same user, on another device
	t0 := fx.issue(t, user)
	t1 := fx.refresh(t, t0.RefreshToken)
	// T0 was superseded now; a grace window later, it can no longer be honoured.
	fx.clock.Advance(suiteGrace)
	t2 := fx.refresh(t, t1.RefreshToken)
	fx.verify(t, "victim's access token before the theft", t2.AccessToken, true)

	stale, what := t0.RefreshToken, "the grandparent token T0, superseded a grace window ago"
	if previousAfterGrace {
		fx.clock.Advance(suiteGrace)
		stale, what = t1.RefreshToken, "the previous token T1 after the grace window"
	}
	_, err := fx.e.RefreshTokens(context.Background(), stale, testkit.RefreshMeta)
	if !errors.Is(err, core.ErrTokenTheft) {
		t.Fatalf("presenting %s: got %v, want an error matching core.ErrTokenTheft", what, err)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("theft error %v is not a *core.Error", err)
	}
	if ce.UserID != user || ce.Handle != t0.Handle {
		t.Errorf("theft error names user %q session %q, want %q %q", ce.UserID, ce.Handle, user, t0.Handle)
	}
	if !ce.ClearTokens {
		t.Error("theft error does not ask to clear the tokens")
	}
	fx.wantThefts(t, "after the theft", 1)
	fx.mu.Lock()
	ev := fx.lastTheft
	fx.mu.Unlock()
	if ev.UserID != user || ev.Handle != t0.Handle || ev.Type != core.EventTokenTheft {
		t.Errorf("OnTokenTheft event = %+v, want type %s user %q handle %q", ev, core.EventTokenTheft, user, t0.Handle)
	}
	if !fx.row(t, t0.Handle).Revoked {
		t.Fatal("session is not revoked after theft")
	}

	// Both lineages are dead: the victim's newest token and its access token, and the thief's.
	fx.refreshFails(t, "victim's newest refresh token after theft", t2.RefreshToken, core.ErrUnauthorised)
	fx.verifyFails(t, "victim's access token after theft", t2.AccessToken, true, core.ErrUnauthorised)
	fx.refreshFails(t, "the stolen token again", stale, core.ErrUnauthorised)
	fx.refreshFails(t, "the first token again", t0.RefreshToken, core.ErrUnauthorised)
	fx.wantThefts(t, "after further attempts on the revoked session", 1)

	// Theft on one session does not touch the user's other sessions.
	fx.refresh(t, bystander.RefreshToken)
}

func testCheckDatabaseLineage(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	t0 := fx.issue(t, randUser(t, "lineage"))
	t1 := fx.refresh(t, t0.RefreshToken)
	fx.verify(t, "access token of the previous refresh token", t0.AccessToken, true)
	fx.verify(t, "access token of the current refresh token", t1.AccessToken, true)
	t2 := fx.refresh(t, t1.RefreshToken)
	// R8: a token two rotations old whose refresh token was superseded inside the grace
	// window is still on the remembered lineage (a tab that fell behind).
	fx.verify(t, "access token two rotations old, inside the window", t0.AccessToken, true)
	fx.verify(t, "access token of the previous refresh token", t1.AccessToken, true)
	fx.verify(t, "access token of the current refresh token", t2.AccessToken, true)
	// Past the window, the next rotation forgets it.
	fx.clock.Advance(suiteGrace)
	t3 := fx.refresh(t, t2.RefreshToken)
	fx.verifyFails(t, "access token superseded a grace window ago", t0.AccessToken, true, core.ErrUnauthorised)
	fx.verifyFails(t, "access token superseded a grace window ago", t1.AccessToken, true, core.ErrUnauthorised)
	fx.verify(t, "access token of the previous refresh token", t2.AccessToken, true)
	fx.verify(t, "access token of the current refresh token", t3.AccessToken, true)
	// Without CheckDatabase verification is stateless: the old token is valid until it expires.
	fx.verify(t, "old access token without CheckDatabase", t0.AccessToken, false)
}

// flipChar replaces the character at i of a base64url string with the next one of the
// alphabet, so the string stays well-formed but decodes to different bytes.
func flipChar(s string, i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	j := strings.IndexByte(alphabet, s[i])
	return s[:i] + string(alphabet[(j+1)%64]) + s[i+1:]
}

// setTrailingBit sets the lowest unused bit of the last character of a base64url field: a
// lenient decoder reads the same bytes, a strict one refuses the string.
func setTrailingBit(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := len(s) - 1
	j := strings.IndexByte(alphabet, s[i])
	return s[:i] + string(alphabet[j|1]) + s[i+1:]
}

func testR4Forgeries(t *testing.T, s core.Store) {
	fx := newEngine(t, s)
	victim := fx.issue(t, randUser(t, "victim"))
	other := fx.issue(t, randUser(t, "other"))
	v1 := fx.refresh(t, victim.RefreshToken) // the victim has a previous token too
	cur := v1.RefreshToken
	parts := strings.Split(cur, ".")
	if len(parts) != 3 {
		t.Fatalf("refresh token has %d dot-separated fields, want 3 (docs/ROTATION.md)", len(parts))
	}
	handle, body, tag := parts[0], parts[1], parts[2]
	oparts := strings.Split(other.RefreshToken, ".")
	oldTag := strings.Split(victim.RefreshToken, ".")[2]
	rnd := func(n int) string { return base64.RawURLEncoding.EncodeToString(testkit.RandBytes(t, n)) }

	forgeries := []struct{ name, token string }{
		{"tag first char changed", handle + "." + body + "." + flipChar(tag, 0)},
		{"tag middle char changed", handle + "." + body + "." + flipChar(tag, len(tag)/2)},
		{"body first char changed", handle + "." + flipChar(body, 0) + "." + tag},
		{"body middle char changed", handle + "." + flipChar(body, len(body)/2) + "." + tag},
		{"tag with non-canonical trailing bits", handle + "." + body + "." + setTrailingBit(tag)},
		{"body with non-canonical trailing bits", handle + "." + setTrailingBit(body) + "." + tag},
		{"another real session's handle, rest kept", oparts[0] + "." + body + "." + tag},
		{"victim's handle with another session's body and tag", handle + "." + oparts[1] + "." + oparts[2]},
		{"previous token's tag on the current body", handle + "." + body + "." + oldTag},
		{"victim's handle, random body and tag", handle + "." + rnd(32) + "." + rnd(16)},
		{"unknown handle, random body and tag", rnd(16) + "." + rnd(32) + "." + rnd(16)},
		{"random garbage", rnd(65)},
		{"random garbage of the right length", rnd(67)[:len(cur)]},
		{"one character short", cur[:len(cur)-1]},
		{"one character long", cur + "A"},
		{"trailing space", cur + " "},
		{"handle only", handle},
		{"fields swapped", body + "." + handle + "." + tag},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(cur)},
		{"non-base64 character in body", handle + "." + body[:5] + "!" + body[6:] + "." + tag},
		{"empty", ""},
		{"dots only", strings.Repeat(".", len(cur))},
		{"access token in place of the refresh token", v1.AccessToken},
	}
	before, otherBefore := fx.row(t, victim.Handle), fx.row(t, other.Handle)
	for _, f := range forgeries {
		if f.token == cur {
			continue // the standard-alphabet rewrite is a no-op when the token has no - or _
		}
		_, err := fx.e.RefreshTokens(context.Background(), f.token, testkit.RefreshMeta)
		if !errors.Is(err, core.ErrUnauthorised) || errors.Is(err, core.ErrTokenTheft) {
			t.Errorf("forgery %q: got %v, want plain ErrUnauthorised", f.name, err)
		}
		checkRecord(t, "victim's row after forgery "+f.name, before, fx.row(t, victim.Handle))
		checkRecord(t, "other session's row after forgery "+f.name, otherBefore, fx.row(t, other.Handle))
	}
	fx.wantThefts(t, "after forgeries", 0)
	// The victim's and the other user's current tokens still work.
	fx.refresh(t, cur)
	fx.refresh(t, other.RefreshToken)
}
