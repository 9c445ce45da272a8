package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// rotatorContract runs the "Rotator/…" subtests when the store implements core.Rotator (the
// one-statement rotation). The capability is optional: a store without it is logged and the
// group does nothing (it never skips, so it passes under CI=true too). The Engine group
// exercises the engine's use of it; these subtests pin the contract itself: the exact row
// after a rotation, every condition on its own, the history arithmetic, and atomicity.
func rotatorContract(t *testing.T, newStore func(t *testing.T) core.Store) {
	if _, ok := newStore(t).(core.Rotator); !ok {
		t.Logf("the store does not implement core.Rotator (optional): the Rotator group has nothing to test")
		return
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s core.Store)
	}{
		{"Applies", testRotateApplies},
		{"HistoryKeepsWholeEntries", testRotateHistoryBound},
		{"Conditions", testRotateConditions},
		{"R5_Atomic", testRotateAtomic},
		{"CancelledContext", testRotateCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// Entries of the suite's rotations have the engine's fixed width (64 + 1 + 16), but the store
// must treat them as opaque text.
const (
	suiteEntryLen   = 81
	suiteHistoryMax = 3*suiteEntryLen + 2 // three whole entries
)

func suiteEntry(hash string, at time.Time) string {
	return fmt.Sprintf("%s.%016d", hash, at.UnixMicro())
}

// freshRow is a record as sign-in writes it: no previous token and no history.
func freshRow(t *testing.T, now time.Time) *core.Record {
	rec := newRecord(t, randUser(t, "rotate"), now)
	rec.History = ""
	return rec
}

func mustRotate(t *testing.T, s core.Store, handle string, r core.Rotation, want bool) {
	t.Helper()
	ok, err := s.(core.Rotator).Rotate(context.Background(), handle, r)
	if err != nil {
		t.Fatalf("Rotate(%s): %v", handle, err)
	}
	if ok != want {
		t.Fatalf("Rotate(%s, From %.8s Version %d at %s) = %v, want %v", handle, r.From, r.Version, fmtTime(r.At), ok, want)
	}
}

// rotation is the rotation of rec's current token to a new random one at at.
func rotation(t *testing.T, rec *core.Record, at time.Time) core.Rotation {
	return core.Rotation{From: rec.CurrentHash, To: randHash(t), At: at, ExpiresAt: at.Add(time.Hour),
		Version: rec.Version, Entry: suiteEntry(rec.CurrentHash, at), HistoryMax: suiteHistoryMax}
}

func testRotateApplies(t *testing.T, s core.Store) {
	now := suiteEpoch
	rec := freshRow(t, now)
	mustCreate(t, s, rec)
	at := now.Add(5 * time.Minute)
	r := rotation(t, rec, at)
	mustRotate(t, s, rec.Handle, r, true)
	want := copyRecord(rec)
	want.PreviousHash, want.CurrentHash, want.RotatedAt, want.LastActiveAt, want.ExpiresAt = r.From, r.To, at, at, r.ExpiresAt
	want.History = r.Entry
	checkRecord(t, "after the first rotation", want, mustGet(t, s, rec.Handle))

	// The second prepends its entry; nothing else moves (Data, Payload, Version, lifetimes).
	r2 := rotation(t, want, at.Add(time.Minute))
	mustRotate(t, s, rec.Handle, r2, true)
	want.PreviousHash, want.CurrentHash, want.RotatedAt, want.LastActiveAt, want.ExpiresAt = r2.From, r2.To, r2.At, r2.At, r2.ExpiresAt
	want.History = r2.Entry + "," + r.Entry
	checkRecord(t, "after the second rotation", want, mustGet(t, s, rec.Handle))
}

// testRotateHistoryBound rotates past the bound: History keeps the newest whole entries.
func testRotateHistoryBound(t *testing.T, s core.Store) {
	now := suiteEpoch
	rec := freshRow(t, now)
	mustCreate(t, s, rec)
	var entries []string
	cur := copyRecord(rec)
	for i := range 6 {
		r := rotation(t, cur, now.Add(time.Duration(i+1)*time.Second))
		mustRotate(t, s, rec.Handle, r, true)
		entries = append([]string{r.Entry}, entries...)
		cur.PreviousHash, cur.CurrentHash = r.From, r.To
		want := strings.Join(entries[:min(len(entries), 3)], ",")
		if got := mustGet(t, s, rec.Handle).History; got != want {
			t.Fatalf("History after %d rotations:\n got %q\nwant %q", i+1, got, want)
		}
	}
}

// testRotateConditions: each condition alone refuses the write and leaves the row as it was.
func testRotateConditions(t *testing.T, s core.Store) {
	now := suiteEpoch
	cases := []struct {
		name  string
		setup func(rec *core.Record) // before Create
		alter func(r *core.Rotation, rec *core.Record)
		after func(t *testing.T, rec *core.Record) // after Create, before Rotate
	}{
		{name: "missing handle", alter: func(r *core.Rotation, _ *core.Record) {}, after: func(t *testing.T, rec *core.Record) {
			rec.Handle = randHandle(t)
		}},
		{name: "revoked", after: func(t *testing.T, rec *core.Record) {
			mustUpdate(t, s, rec.Handle, core.Cond{}, core.Change{Revoke: true}, true)
		}},
		{name: "expired at the write", alter: func(r *core.Rotation, rec *core.Record) { r.At = rec.ExpiresAt }},
		{name: "expired before the write", alter: func(r *core.Rotation, rec *core.Record) { r.At = rec.ExpiresAt.Add(time.Second) }},
		{name: "another current token", alter: func(r *core.Rotation, _ *core.Record) { r.From = randHash(t) }},
		{name: "another version", alter: func(r *core.Rotation, rec *core.Record) { r.Version = rec.Version + 1 }},
		{name: "history without the previous token", setup: func(rec *core.Record) {
			rec.PreviousHash = randHash(t)
			rec.History = suiteEntry(randHash(t), now.Add(-time.Minute))
		}},
		{name: "empty history with a previous token", setup: func(rec *core.Record) {
			rec.PreviousHash = randHash(t)
			rec.History = ""
		}},
	}
	for _, tc := range cases {
		rec := freshRow(t, now)
		if tc.setup != nil {
			tc.setup(rec)
		}
		mustCreate(t, s, rec)
		handle := rec.Handle
		if tc.after != nil {
			tc.after(t, rec)
		}
		r := rotation(t, rec, now.Add(time.Minute))
		if tc.alter != nil {
			tc.alter(&r, rec)
		}
		before := mustGet(t, s, handle)
		ok, err := s.(core.Rotator).Rotate(context.Background(), rec.Handle, r)
		if err != nil || ok {
			t.Errorf("%s: Rotate = %v, %v; want false, nil", tc.name, ok, err)
		}
		checkRecord(t, tc.name+": a refused rotation changed the row", before, mustGet(t, s, handle))
	}

	// And the history condition is met by a row whose History begins with its previous token.
	rec := freshRow(t, now)
	rec.PreviousHash = randHash(t)
	rec.History = suiteEntry(rec.PreviousHash, now)
	mustCreate(t, s, rec)
	mustRotate(t, s, rec.Handle, rotation(t, rec, now.Add(time.Minute)), true)
}

// testRotateAtomic: 64 rotations of the same current token at once; exactly one wins, and the
// row holds its result (R5).
func testRotateAtomic(t *testing.T, s core.Store) {
	now := suiteEpoch
	rec := freshRow(t, now)
	mustCreate(t, s, rec)
	const n = 64
	rots := make([]core.Rotation, n)
	for i := range rots {
		rots[i] = rotation(t, rec, now.Add(time.Duration(i+1)*time.Millisecond))
	}
	var wg sync.WaitGroup
	won := make([]bool, n)
	errs := make([]error, n)
	for i := range rots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			won[i], errs[i] = s.(core.Rotator).Rotate(context.Background(), rec.Handle, rots[i])
		}()
	}
	wg.Wait()
	winner := -1
	for i := range won {
		if errs[i] != nil {
			t.Fatalf("rotation %d: %v", i, errs[i])
		}
		if won[i] {
			if winner >= 0 {
				t.Fatalf("rotations %d and %d both won", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no rotation won")
	}
	got := mustGet(t, s, rec.Handle)
	if got.CurrentHash != rots[winner].To || got.History != rots[winner].Entry || !got.RotatedAt.Equal(rots[winner].At) {
		t.Errorf("the row does not hold the winning rotation's write")
	}
}

func testRotateCancelled(t *testing.T, s core.Store) {
	rec := freshRow(t, suiteEpoch)
	mustCreate(t, s, rec)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, err := s.(core.Rotator).Rotate(ctx, rec.Handle, rotation(t, rec, suiteEpoch.Add(time.Second))); err == nil || ok {
		t.Errorf("Rotate with a cancelled context = %v, %v; want an error", ok, err)
	}
	checkRecord(t, "after a cancelled Rotate", rec, mustGet(t, s, rec.Handle))
}
