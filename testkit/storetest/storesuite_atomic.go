package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// R5: every state transition is one conditional write. These subtests race many writers with
// the same condition and require exactly one winner, whose change is the one stored.

// raceWriters is how many goroutines contend in the R5 subtests.
const raceWriters = 64

// raceRounds bounds how often each R5 race is repeated.
const raceRounds = 5

func testAtomicCurrentHash(t *testing.T, s core.Store) {
	rec := newRecord(t, randUser(t, "r5"), suiteEpoch)
	mustCreate(t, s, rec)
	for round := range raceRounds {
		before := mustGet(t, s, rec.Handle)
		cur := before.CurrentHash
		now := suiteEpoch.Add(time.Duration(round+1) * time.Minute)
		next := make([]string, raceWriters)
		for i := range next {
			next[i] = randHash(t)
		}
		winners, errs := raceUpdates(s, rec.Handle, func(i int) (core.Cond, core.Change) {
			return core.Cond{LiveAt: now, CurrentHash: cur},
				core.Change{CurrentHash: next[i], PreviousHash: cur, RotatedAt: now, ExpiresAt: now.Add(2 * time.Hour), LastActiveAt: now}
		})
		for _, err := range errs {
			t.Errorf("round %d: Update: %v", round, err)
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d of %d concurrent updates conditioned on the same CurrentHash reported success, want exactly 1 (winners %v)",
				round, len(winners), raceWriters, winners)
		}
		w := winners[0]
		want := copyRecord(before)
		want.CurrentHash, want.PreviousHash, want.RotatedAt, want.History = next[w], cur, now, "" // History is set with every rotation
		want.ExpiresAt, want.LastActiveAt = now.Add(2*time.Hour), now
		checkRecord(t, fmt.Sprintf("round %d: row after the race (winner %d)", round, w), want, mustGet(t, s, rec.Handle))
	}
}

func testAtomicVersion(t *testing.T, s core.Store) {
	rec := newRecord(t, randUser(t, "r5"), suiteEpoch)
	mustCreate(t, s, rec)
	for round := range raceRounds {
		before := mustGet(t, s, rec.Handle)
		v := before.Version
		data := func(i int) []byte { return fmt.Appendf(nil, `{"writer":%d,"round":%d}`, i, round) }
		winners, errs := raceUpdates(s, rec.Handle, func(i int) (core.Cond, core.Change) {
			if i%2 == 0 {
				return core.Cond{LiveAt: suiteEpoch, Version: v}, core.Change{Data: data(i)}
			}
			return core.Cond{LiveAt: suiteEpoch, Version: v}, core.Change{Payload: data(i)}
		})
		for _, err := range errs {
			t.Errorf("round %d: Update: %v", round, err)
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d of %d concurrent updates conditioned on Version %d reported success, want exactly 1 (winners %v)",
				round, len(winners), raceWriters, v, winners)
		}
		w := winners[0]
		want := copyRecord(before)
		want.Version = v + 1
		if w%2 == 0 {
			want.Data = data(w)
		} else {
			want.Payload = data(w)
		}
		checkRecord(t, fmt.Sprintf("round %d: row after the race (winner %d)", round, w), want, mustGet(t, s, rec.Handle))
	}
}

func testAtomicRevoke(t *testing.T, s core.Store) {
	for round := range raceRounds {
		rec := newRecord(t, randUser(t, "r5"), suiteEpoch)
		mustCreate(t, s, rec)
		// Half the writers revoke, half try a data write on the live row: once the revoke lands
		// no data write may, and exactly one revoke reports success.
		var revokes atomic.Int64
		_, errs := raceUpdates(s, rec.Handle, func(i int) (core.Cond, core.Change) {
			if i%2 == 0 {
				return core.Cond{}, core.Change{Revoke: true}
			}
			return core.Cond{LiveAt: suiteEpoch, Version: 1}, core.Change{Data: fmt.Appendf(nil, `{"w":%d}`, i)}
		}, func(i int, ok bool) {
			if ok && i%2 == 0 {
				revokes.Add(1)
			}
		})
		for _, err := range errs {
			t.Errorf("round %d: Update: %v", round, err)
		}
		if n := revokes.Load(); n != 1 {
			t.Fatalf("round %d: %d concurrent revokes of one session reported success, want exactly 1", round, n)
		}
		got := mustGet(t, s, rec.Handle)
		if !got.Revoked {
			t.Fatalf("round %d: row is not revoked after the race", round)
		}
		if got.Version > 2 {
			t.Errorf("round %d: Version = %d: more than one write conditioned on Version 1 landed", round, got.Version)
		}
	}
}

// raceUpdates runs raceWriters concurrent Updates on handle, writer i using build(i), and
// returns the indexes of the writers whose Update reported true, and any errors. Optional
// observers see each writer's result.
func raceUpdates(s core.Store, handle string, build func(i int) (core.Cond, core.Change), observe ...func(i int, ok bool)) ([]int, []error) {
	oks := make([]bool, raceWriters)
	errs := make([]error, raceWriters)
	testkit.Concurrently(raceWriters, func(i int) {
		cond, ch := build(i)
		oks[i], errs[i] = s.Update(context.Background(), handle, cond, ch)
		for _, o := range observe {
			o(i, oks[i])
		}
	})
	var winners []int
	var failures []error
	for i := range raceWriters {
		if errs[i] != nil {
			failures = append(failures, fmt.Errorf("writer %d: %w", i, errs[i]))
		}
		if oks[i] {
			winners = append(winners, i)
		}
	}
	return winners, failures
}
