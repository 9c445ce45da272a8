package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// liveCounterContract runs the "LiveCounter/…" subtests when the store implements
// core.LiveCounter (the admin API's count of live sessions). The capability is optional: a
// store without it is logged and the group does nothing (it never skips, so it passes under
// CI=true too).
//
// A record is live at now when it is unrevoked and its ExpiresAt is after now; the subtests
// hold live, revoked (by Update, by RevokeByUser, created revoked), expired and exactly
// expiring records, and count them at several instants, to the millisecond.
func liveCounterContract(t *testing.T, newStore func(t *testing.T) core.Store) {
	if _, ok := newStore(t).(core.LiveCounter); !ok {
		t.Logf("the store does not implement core.LiveCounter (optional): the LiveCounter group has nothing to test")
		return
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s core.Store)
	}{
		{"Empty", testLiveCountEmpty},
		{"LiveRevokedExpired", testLiveCountStates},
		{"AfterRevocations", testLiveCountAfterRevocations},
		{"CancelledContext", testLiveCountCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func mustCountLive(t *testing.T, s core.Store, now time.Time) int64 {
	t.Helper()
	n, err := s.(core.LiveCounter).CountLive(context.Background(), now)
	if err != nil {
		t.Fatalf("CountLive(%s): %v", fmtTime(now), err)
	}
	return n
}

func testLiveCountEmpty(t *testing.T, s core.Store) {
	if n := mustCountLive(t, s, suiteEpoch); n != 0 {
		t.Errorf("CountLive on an empty store = %d, want 0", n)
	}
}

// testLiveCountStates: newRecord's records expire two hours after their creation.
func testLiveCountStates(t *testing.T, s core.Store) {
	now := suiteEpoch
	u := randUser(t, "live")
	live := []*core.Record{newRecord(t, u, now), newRecord(t, u, now.Add(-time.Hour)), newRecord(t, randUser(t, "live"), now)}
	expired := newRecord(t, u, now.Add(-3*time.Hour))     // expired an hour ago
	expiringNow := newRecord(t, u, now.Add(-2*time.Hour)) // ExpiresAt == now: not live at now
	revoked := newRecord(t, u, now)                       // revoked below
	createdRevoked := newRecord(t, u, now)                // revoked from the start
	revokedExpired := newRecord(t, u, now.Add(-3*time.Hour))
	createdRevoked.Revoked, revokedExpired.Revoked = true, true
	for _, r := range append(live, expired, expiringNow, revoked, createdRevoked, revokedExpired) {
		mustCreate(t, s, r)
	}
	mustUpdate(t, s, revoked.Handle, core.Cond{}, core.Change{Revoke: true}, true)

	for _, tc := range []struct {
		name string
		at   time.Time
		want int64
	}{
		{"now", now, 3},
		{"a millisecond before now (the row expiring at now is live)", now.Add(-time.Millisecond), 4},
		{"an hour and a millisecond before now (the expired row too)", now.Add(-time.Hour - time.Millisecond), 5},
		{"an hour before now (the expired row expires exactly then)", now.Add(-time.Hour), 4},
		{"an hour from now (the row created an hour ago expires)", now.Add(time.Hour), 2},
		{"a millisecond before two hours from now", now.Add(2*time.Hour - time.Millisecond), 2},
		{"two hours from now (everything has expired)", now.Add(2 * time.Hour), 0},
		{"now, in another time zone", now.In(time.FixedZone("UTC-7", -7*3600)), 3},
	} {
		if n := mustCountLive(t, s, tc.at); n != tc.want {
			t.Errorf("CountLive at %s = %d, want %d", tc.name, n, tc.want)
		}
	}
	// A write that extends a session makes it live again at a later instant.
	mustUpdate(t, s, expiringNow.Handle, core.Cond{}, core.Change{ExpiresAt: now.Add(time.Minute)}, true)
	if n := mustCountLive(t, s, now); n != 4 {
		t.Errorf("CountLive after extending a session = %d, want 4", n)
	}
}

func testLiveCountAfterRevocations(t *testing.T, s core.Store) {
	ctx := context.Background()
	now := suiteEpoch
	alice, bob := randUser(t, "alice"), randUser(t, "bob")
	var alices []*core.Record
	for range 3 {
		r := newRecord(t, alice, now)
		mustCreate(t, s, r)
		alices = append(alices, r)
	}
	for range 2 {
		mustCreate(t, s, newRecord(t, bob, now))
	}
	if n := mustCountLive(t, s, now); n != 5 {
		t.Fatalf("CountLive = %d, want 5", n)
	}
	revoked, err := s.RevokeByUser(ctx, alice, alices[0].Handle)
	if err != nil || len(revoked) != 2 {
		t.Fatalf("RevokeByUser = %q, %v; want 2 handles", revoked, err)
	}
	if n := mustCountLive(t, s, now); n != 3 {
		t.Errorf("CountLive after revoking two of alice's sessions = %d, want 3", n)
	}
	if r, ok := s.(core.AllRevoker); ok {
		if _, err := r.RevokeAll(ctx); err != nil {
			t.Fatalf("RevokeAll: %v", err)
		}
		if n := mustCountLive(t, s, now); n != 0 {
			t.Errorf("CountLive after RevokeAll = %d, want 0", n)
		}
	}
}

func testLiveCountCancelled(t *testing.T, s core.Store) {
	mustCreate(t, s, newRecord(t, randUser(t, "cancel"), suiteEpoch))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.(core.LiveCounter).CountLive(ctx, suiteEpoch); err == nil {
		t.Error("CountLive with a cancelled context succeeded")
	}
}
