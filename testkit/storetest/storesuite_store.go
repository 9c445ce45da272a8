package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testenv"
)

// This file checks the core.Store contract directly, one method or one Cond/Change field at a
// time.

func testCreateGetRoundTrip(t *testing.T, s core.Store) {
	now := suiteEpoch.Add(123 * time.Millisecond)
	rec := newRecord(t, randUser(t, "alice"), now)
	rec.PreviousHash = randHash(t)
	rec.RotatedAt = now.Add(5*time.Minute + 7*time.Millisecond)
	rec.ExpiresAt = now.Add(36*time.Hour + 9*time.Millisecond)
	rec.LastActiveAt = now.Add(4*time.Minute + 999*time.Millisecond)
	rec.Version = 7
	rec.Data = []byte(`{"nested":{"a":[1,2,3],"b":null},"s":"x\"y","unicode":"żółw ✓"}`)
	rec.Payload = []byte(`{"plan":"pro","n":42.5,"ok":true}`)
	rec.IP = "2001:db8::1"
	rec.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) ratchet-storetest"
	want := copyRecord(rec)
	mustCreate(t, s, rec)
	checkRecord(t, "Get after Create", want, mustGet(t, s, rec.Handle))

	// A revoked record round-trips too (Revoked is a persisted column, not only a side effect).
	rev := newRecord(t, rec.UserID, now)
	rev.Revoked = true
	wantRev := copyRecord(rev)
	mustCreate(t, s, rev)
	checkRecord(t, "Get of a record created revoked", wantRev, mustGet(t, s, rev.Handle))
}

func testCreateGetRoundTripNonUTC(t *testing.T, s core.Store) {
	// Production engines use time.Now(), which is in the local zone. The instant must survive.
	zone := time.FixedZone("UTC-7", -7*60*60)
	created := time.Date(2030, 6, 30, 23, 30, 15, 250_000_000, zone) // next day in UTC
	rec := newRecord(t, randUser(t, "zoned"), created)
	rec.ExpiresAt = created.Add(90 * time.Minute)
	want := copyRecord(rec)
	mustCreate(t, s, rec)
	got := mustGet(t, s, rec.Handle)
	checkRecord(t, "Get of a record with non-UTC times", want, got)

	// Liveness must use the instant, not the wall clock of some zone.
	live, err := s.ListByUser(context.Background(), rec.UserID, created.Add(89*time.Minute).UTC())
	if err != nil {
		t.Fatalf("ListByUser: %v", err)
	}
	if len(live) != 1 {
		t.Errorf("ListByUser 1 minute before expiry (UTC now, non-UTC record) = %d records, want 1", len(live))
	}
	live, err = s.ListByUser(context.Background(), rec.UserID, created.Add(91*time.Minute).UTC())
	if err != nil {
		t.Fatalf("ListByUser: %v", err)
	}
	if len(live) != 0 {
		t.Errorf("ListByUser 1 minute after expiry (UTC now, non-UTC record) = %d records, want 0", len(live))
	}
}

func testCreateDuplicate(t *testing.T, s core.Store) {
	rec := newRecord(t, randUser(t, "alice"), suiteEpoch)
	want := copyRecord(rec)
	mustCreate(t, s, rec)
	dup := newRecord(t, randUser(t, "mallory"), suiteEpoch.Add(time.Hour))
	dup.Handle = rec.Handle
	if err := s.Create(context.Background(), dup); err == nil {
		t.Fatal("Create with a duplicate handle succeeded, want an error")
	}
	checkRecord(t, "original after a rejected duplicate Create", want, mustGet(t, s, rec.Handle))
	list, err := s.ListByUser(context.Background(), dup.UserID, suiteEpoch)
	if err != nil {
		t.Fatalf("ListByUser: %v", err)
	}
	if len(list) != 0 {
		t.Errorf("the rejected duplicate's user has %d live sessions, want 0", len(list))
	}
}

func testGetMissing(t *testing.T, s core.Store) {
	mustCreate(t, s, newRecord(t, randUser(t, "alice"), suiteEpoch))
	rec, err := s.Get(context.Background(), randHandle(t))
	if !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("Get of a missing handle: got (%v, %v), want an error matching core.ErrNotFound", rec, err)
	}
}

func testRecordsAreCopies(t *testing.T, s core.Store) {
	rec := newRecord(t, randUser(t, "alice"), suiteEpoch)
	want := copyRecord(rec)
	mustCreate(t, s, rec)
	// Mutate the record passed to Create.
	rec.CurrentHash, rec.Revoked, rec.Secret[0], rec.Data[2] = "mutated", true, rec.Secret[0]^0xff, 'X'
	got := mustGet(t, s, want.Handle)
	checkRecord(t, "after mutating the record passed to Create", want, got)
	// Mutate a record returned by Get.
	got.CurrentHash, got.Version, got.Secret[1] = "mutated", 99, got.Secret[1]^0xff
	if len(got.Payload) > 2 {
		got.Payload[2] = 'X'
	}
	checkRecord(t, "after mutating a record returned by Get", want, mustGet(t, s, want.Handle))
	// Mutate a record returned by ListByUser.
	list, err := s.ListByUser(context.Background(), want.UserID, suiteEpoch)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListByUser = %d records, %v; want 1", len(list), err)
	}
	list[0].Revoked, list[0].UserAgent, list[0].CurrentHash = true, "mutated", "mutated"
	checkRecord(t, "after mutating a record returned by ListByUser", want, mustGet(t, s, want.Handle))
}

func testUpdateMissing(t *testing.T, s core.Store) {
	ok, err := s.Update(context.Background(), randHandle(t), core.Cond{}, core.Change{Revoke: true})
	if err != nil || ok {
		t.Fatalf("Update of a missing handle = (%v, %v), want (false, nil)", ok, err)
	}
	if _, err := s.Get(context.Background(), randHandle(t)); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("Get after Update of a missing handle: %v, want ErrNotFound (Update must never upsert)", err)
	}
}

// testUpdateCond checks each Cond field matching and not matching. A matching update must
// apply the change; a non-matching one must change nothing at all.
func testUpdateCond(t *testing.T, s core.Store) {
	created := suiteEpoch
	expires := created.Add(2 * time.Hour)
	cases := []struct {
		name  string
		setup func(r *core.Record)
		cond  func(r *core.Record) core.Cond
		match bool
	}{
		{"zero Cond on a live row", nil, func(*core.Record) core.Cond { return core.Cond{} }, true},
		{"zero Cond on an expired row", func(r *core.Record) { r.ExpiresAt = created.Add(-time.Hour) },
			func(*core.Record) core.Cond { return core.Cond{} }, true},
		{"LiveAt before ExpiresAt", nil,
			func(*core.Record) core.Cond { return core.Cond{LiveAt: expires.Add(-time.Millisecond)} }, true},
		{"LiveAt equal to ExpiresAt", nil,
			func(*core.Record) core.Cond { return core.Cond{LiveAt: expires} }, false},
		{"LiveAt after ExpiresAt", nil,
			func(*core.Record) core.Cond { return core.Cond{LiveAt: expires.Add(time.Hour)} }, false},
		{"CurrentHash equal", nil,
			func(r *core.Record) core.Cond { return core.Cond{CurrentHash: r.CurrentHash} }, true},
		{"CurrentHash different", nil,
			func(*core.Record) core.Cond { return core.Cond{CurrentHash: randHash(t)} }, false},
		{"CurrentHash equal to PreviousHash only", func(r *core.Record) { r.PreviousHash = randHash(t) },
			func(r *core.Record) core.Cond { return core.Cond{CurrentHash: r.PreviousHash} }, false},
		{"Version equal", func(r *core.Record) { r.Version = 5 },
			func(*core.Record) core.Cond { return core.Cond{Version: 5} }, true},
		{"Version lower", func(r *core.Record) { r.Version = 5 },
			func(*core.Record) core.Cond { return core.Cond{Version: 4} }, false},
		{"Version higher", func(r *core.Record) { r.Version = 5 },
			func(*core.Record) core.Cond { return core.Cond{Version: 6} }, false},
		{"revoked row, zero Cond", func(r *core.Record) { r.Revoked = true },
			func(*core.Record) core.Cond { return core.Cond{} }, false},
		{"revoked row, all other fields matching", func(r *core.Record) { r.Revoked = true },
			func(r *core.Record) core.Cond {
				return core.Cond{LiveAt: created, CurrentHash: r.CurrentHash, Version: r.Version}
			}, false},
		{"all fields matching", nil,
			func(r *core.Record) core.Cond {
				return core.Cond{LiveAt: created, CurrentHash: r.CurrentHash, Version: r.Version}
			}, true},
		{"all but LiveAt matching", nil,
			func(r *core.Record) core.Cond {
				return core.Cond{LiveAt: expires, CurrentHash: r.CurrentHash, Version: r.Version}
			}, false},
		{"all but CurrentHash matching", nil,
			func(r *core.Record) core.Cond {
				return core.Cond{LiveAt: created, CurrentHash: randHash(t), Version: r.Version}
			}, false},
		{"all but Version matching", nil,
			func(r *core.Record) core.Cond {
				return core.Cond{LiveAt: created, CurrentHash: r.CurrentHash, Version: r.Version + 1}
			}, false},
	}
	user := randUser(t, "cond")
	for _, tc := range cases {
		rec := newRecord(t, user, created)
		rec.ExpiresAt = expires
		if tc.setup != nil {
			tc.setup(rec)
		}
		before := copyRecord(rec)
		mustCreate(t, s, rec)
		cond := tc.cond(before)
		newLast := created.Add(17 * time.Minute)
		ch := core.Change{LastActiveAt: newLast, Data: []byte(`{"updated":true}`)}
		ok, err := s.Update(context.Background(), before.Handle, cond, ch)
		if err != nil {
			t.Errorf("%s: Update(%s): %v", tc.name, fmtCond(cond), err)
			continue
		}
		if ok != tc.match {
			t.Errorf("%s: Update(%s) = %v, want %v", tc.name, fmtCond(cond), ok, tc.match)
		}
		want := copyRecord(before)
		if tc.match {
			want.LastActiveAt, want.Data, want.Version = newLast, ch.Data, before.Version+1
		}
		got := mustGet(t, s, before.Handle)
		if d := recordDiff(want, got); len(d) > 0 {
			if tc.match {
				t.Errorf("%s: the matching update was not applied exactly: %v", tc.name, d)
			} else {
				t.Errorf("%s: the non-matching update changed the row: %v", tc.name, d)
			}
		}
	}
}

// testUpdateChange applies each Change field (the rotation triple counts as one) alone and
// checks that exactly the named columns changed.
func testUpdateChange(t *testing.T, s core.Store) {
	created := suiteEpoch
	later := created.Add(42*time.Minute + 5*time.Millisecond)
	newHash, prevHash := randHash(t), randHash(t)
	// History is opaque to stores; this is the engine's longest form (9 entries).
	history := strings.TrimSuffix(strings.Repeat(randHash(t)+".1893456000123456,", 9), ",")
	cases := []struct {
		name   string
		change core.Change
		apply  func(r *core.Record)
	}{
		{"Revoke", core.Change{Revoke: true}, func(r *core.Record) { r.Revoked = true }},
		{"rotation (CurrentHash, PreviousHash, RotatedAt, History)",
			core.Change{CurrentHash: newHash, PreviousHash: prevHash, RotatedAt: later, History: history},
			func(r *core.Record) {
				r.CurrentHash, r.PreviousHash, r.RotatedAt, r.History = newHash, prevHash, later, history
			}},
		{"rotation clearing History", core.Change{CurrentHash: newHash, PreviousHash: prevHash, RotatedAt: later},
			func(r *core.Record) {
				r.CurrentHash, r.PreviousHash, r.RotatedAt, r.History = newHash, prevHash, later, ""
			}},
		{"ExpiresAt", core.Change{ExpiresAt: later.Add(time.Hour)},
			func(r *core.Record) { r.ExpiresAt = later.Add(time.Hour) }},
		{"ExpiresAt earlier", core.Change{ExpiresAt: created.Add(time.Minute)},
			func(r *core.Record) { r.ExpiresAt = created.Add(time.Minute) }},
		{"LastActiveAt", core.Change{LastActiveAt: later}, func(r *core.Record) { r.LastActiveAt = later }},
		{"Data", core.Change{Data: []byte(`{"k":"v2"}`)},
			func(r *core.Record) { r.Data = []byte(`{"k":"v2"}`); r.Version++ }},
		{"Data empty object", core.Change{Data: []byte(`{}`)},
			func(r *core.Record) { r.Data = []byte(`{}`); r.Version++ }},
		{"Payload", core.Change{Payload: []byte(`{"role":"admin"}`)},
			func(r *core.Record) { r.Payload = []byte(`{"role":"admin"}`); r.Version++ }},
		{"full refresh write", core.Change{CurrentHash: newHash, PreviousHash: prevHash, RotatedAt: later,
			History: history, ExpiresAt: later.Add(2 * time.Hour), LastActiveAt: later},
			func(r *core.Record) {
				r.CurrentHash, r.PreviousHash, r.RotatedAt, r.History = newHash, prevHash, later, history
				r.ExpiresAt, r.LastActiveAt = later.Add(2*time.Hour), later
			}},
	}
	user := randUser(t, "change")
	for _, tc := range cases {
		rec := newRecord(t, user, created)
		rec.Version = 3
		want := copyRecord(rec)
		mustCreate(t, s, rec)
		ok, err := s.Update(context.Background(), rec.Handle, core.Cond{LiveAt: created, Version: 3}, tc.change)
		if err != nil || !ok {
			t.Errorf("%s: Update(%s) = (%v, %v), want (true, nil)", tc.name, fmtChange(tc.change), ok, err)
			continue
		}
		tc.apply(want)
		if d := recordDiff(want, mustGet(t, s, rec.Handle)); len(d) > 0 {
			t.Errorf("%s: after Update(%s) the row is wrong: %v", tc.name, fmtChange(tc.change), d)
		}
	}
}

// testUpdateVersionBump checks that every Data or Payload write bumps Version by exactly one,
// that other writes leave it alone, and that the bumped version is what the next
// Version-conditioned write must name.
func testUpdateVersionBump(t *testing.T, s core.Store) {
	rec := newRecord(t, randUser(t, "ver"), suiteEpoch)
	mustCreate(t, s, rec)
	h := rec.Handle
	steps := []struct {
		name string
		ch   core.Change
		bump int64
	}{
		{"Data", core.Change{Data: []byte(`{"a":1}`)}, 1},
		{"Payload", core.Change{Payload: []byte(`{"p":1}`)}, 1},
		{"Data and Payload together", core.Change{Data: []byte(`{"a":2}`), Payload: []byte(`{"p":2}`)}, 1},
		{"LastActiveAt", core.Change{LastActiveAt: suiteEpoch.Add(time.Minute)}, 0},
		{"rotation", core.Change{CurrentHash: randHash(t), PreviousHash: rec.CurrentHash, RotatedAt: suiteEpoch.Add(time.Minute)}, 0},
		{"the same Data again", core.Change{Data: []byte(`{"a":2}`)}, 1},
	}
	version := rec.Version
	for _, st := range steps {
		mustUpdate(t, s, h, core.Cond{Version: version}, st.ch, true)
		got := mustGet(t, s, h).Version
		if got != version+st.bump {
			t.Fatalf("%s write: Version went from %d to %d, want %d", st.name, version, got, version+st.bump)
		}
		if st.bump > 0 {
			// The old version no longer matches.
			mustUpdate(t, s, h, core.Cond{Version: version}, core.Change{Data: []byte(`{"stale":true}`)}, false)
		}
		version = got
	}
	if d := mustGet(t, s, h).Data; !sameJSON(d, []byte(`{"a":2}`)) {
		t.Errorf("Data = %s after the stale write was refused, want {\"a\":2}", d)
	}
}

func testRevokeTerminal(t *testing.T, s core.Store) {
	rec := newRecord(t, randUser(t, "rev"), suiteEpoch)
	mustCreate(t, s, rec)
	h := rec.Handle
	mustUpdate(t, s, h, core.Cond{LiveAt: suiteEpoch, CurrentHash: rec.CurrentHash, Version: 1}, core.Change{Revoke: true}, true)
	revoked := mustGet(t, s, h)
	if !revoked.Revoked {
		t.Fatal("Revoked = false after a successful revoke")
	}
	want := copyRecord(revoked)
	// Nothing matches a revoked row again, whatever the condition or change.
	later := suiteEpoch.Add(time.Minute)
	for _, ch := range []core.Change{
		{Revoke: true},
		{CurrentHash: randHash(t), PreviousHash: rec.CurrentHash, RotatedAt: later},
		{ExpiresAt: later.Add(time.Hour)},
		{LastActiveAt: later},
		{Data: []byte(`{"resurrected":true}`)},
		{Payload: []byte(`{"resurrected":true}`)},
	} {
		for _, cond := range []core.Cond{{}, {CurrentHash: rec.CurrentHash}, {Version: revoked.Version}, {LiveAt: suiteEpoch}} {
			mustUpdate(t, s, h, cond, ch, false)
		}
	}
	checkRecord(t, "revoked row after later updates", want, mustGet(t, s, h))
	// A revoked row is still returned by Get (the engine needs it to answer unauthorised).
	if !mustGet(t, s, h).Revoked {
		t.Error("Get no longer reports the row as revoked")
	}
}

func handlesOf(recs []*core.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Handle
	}
	return out
}

func testListByUser(t *testing.T, s core.Store) {
	ctx := context.Background()
	now := suiteEpoch.Add(24 * time.Hour)
	alice, bob := randUser(t, "alice"), randUser(t, "bob")
	mk := func(user string, createdAgo, expiresIn time.Duration, revoked bool) *core.Record {
		r := newRecord(t, user, now.Add(-createdAgo))
		r.ExpiresAt = now.Add(expiresIn)
		r.Revoked = revoked
		mustCreate(t, s, r)
		return r
	}
	oldest := mk(alice, 10*time.Hour, time.Hour, false)
	newest := mk(alice, time.Hour, time.Hour, false)
	middle := mk(alice, 5*time.Hour, time.Millisecond, false) // expires 1 ms after now
	mk(alice, 2*time.Hour, time.Hour, true)                   // revoked
	mk(alice, 3*time.Hour, 0, false)                          // expires exactly at now: dead
	mk(alice, 4*time.Hour, -time.Minute, false)               // expired
	bobs := mk(bob, 30*time.Minute, time.Hour, false)

	got, err := s.ListByUser(ctx, alice, now)
	if err != nil {
		t.Fatalf("ListByUser(alice): %v", err)
	}
	want := []string{newest.Handle, middle.Handle, oldest.Handle}
	if !slices.Equal(handlesOf(got), want) {
		t.Fatalf("ListByUser(alice) = %q, want the live rows newest first %q", handlesOf(got), want)
	}
	// Listing returns the session's metadata only: its cost must not grow with what sessions
	// store, so the secret, data and payload are never read.
	meta := copyRecord(newest)
	meta.Secret, meta.Data, meta.Payload = nil, nil, nil
	checkRecord(t, "ListByUser row (metadata only)", meta, got[0])
	if got[0].Secret != nil || got[0].Data != nil || got[0].Payload != nil {
		t.Errorf("ListByUser returned the secret, data or payload (%d, %d, %d bytes); it must leave them nil",
			len(got[0].Secret), len(got[0].Data), len(got[0].Payload))
	}

	got, err = s.ListByUser(ctx, bob, now)
	if err != nil {
		t.Fatalf("ListByUser(bob): %v", err)
	}
	if !slices.Equal(handlesOf(got), []string{bobs.Handle}) {
		t.Errorf("ListByUser(bob) = %q, want only %q", handlesOf(got), bobs.Handle)
	}
	got, err = s.ListByUser(ctx, randUser(t, "nobody"), now)
	if err != nil || len(got) != 0 {
		t.Errorf("ListByUser(unknown user) = %q, %v; want no records and no error", handlesOf(got), err)
	}
	// Liveness is evaluated at the given now, not at wall-clock time.
	got, err = s.ListByUser(ctx, alice, now.Add(-9*time.Hour))
	if err != nil {
		t.Fatalf("ListByUser(alice, earlier): %v", err)
	}
	if len(got) != 5 {
		t.Errorf("ListByUser(alice, 9h earlier) = %d rows, want 5: every unrevoked row that expires after the given now", len(got))
	}
}

func testRevokeByUser(t *testing.T, s core.Store) {
	ctx := context.Background()
	alice, bob := randUser(t, "alice"), randUser(t, "bob")
	var aliceLive []string
	for i := range 3 {
		r := newRecord(t, alice, suiteEpoch.Add(time.Duration(i)*time.Minute))
		mustCreate(t, s, r)
		aliceLive = append(aliceLive, r.Handle)
	}
	expired := newRecord(t, alice, suiteEpoch)
	// Expired in real time too, so a store that filters on its own clock (NOW()) is caught.
	expired.CreatedAt = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	expired.ExpiresAt = expired.CreatedAt.Add(time.Hour)
	mustCreate(t, s, expired)
	aliceLive = append(aliceLive, expired.Handle) // unrevoked, so RevokeByUser revokes it too
	already := newRecord(t, alice, suiteEpoch)
	already.Revoked = true
	mustCreate(t, s, already)
	bobRec := newRecord(t, bob, suiteEpoch)
	bobWant := copyRecord(bobRec)
	mustCreate(t, s, bobRec)

	got, err := s.RevokeByUser(ctx, alice, "")
	if err != nil {
		t.Fatalf("RevokeByUser(alice): %v", err)
	}
	slices.Sort(got)
	slices.Sort(aliceLive)
	if !slices.Equal(got, aliceLive) {
		t.Fatalf("RevokeByUser(alice) returned %q, want exactly the previously unrevoked handles %q", got, aliceLive)
	}
	for _, h := range append(aliceLive, already.Handle) {
		if !mustGet(t, s, h).Revoked {
			t.Errorf("alice's %s is not revoked after RevokeByUser", h)
		}
	}
	checkRecord(t, "bob's session after RevokeByUser(alice)", bobWant, mustGet(t, s, bobRec.Handle))

	got, err = s.RevokeByUser(ctx, alice, "")
	if err != nil || len(got) != 0 {
		t.Errorf("second RevokeByUser(alice) = %q, %v; want nothing revoked", got, err)
	}
	got, err = s.RevokeByUser(ctx, randUser(t, "nobody"), "")
	if err != nil || len(got) != 0 {
		t.Errorf("RevokeByUser(unknown user) = %q, %v; want nothing revoked and no error", got, err)
	}
}

func testRevokeByUserExcept(t *testing.T, s core.Store) {
	ctx := context.Background()
	alice, bob := randUser(t, "alice"), randUser(t, "bob")
	var recs []*core.Record
	for i := range 4 {
		r := newRecord(t, alice, suiteEpoch.Add(time.Duration(i)*time.Minute))
		mustCreate(t, s, r)
		recs = append(recs, r)
	}
	keep := copyRecord(recs[2])
	bobRec := newRecord(t, bob, suiteEpoch)
	mustCreate(t, s, bobRec)

	// except naming another user's session protects nothing of alice's and touches nothing of bob's.
	got, err := s.RevokeByUser(ctx, alice, keep.Handle)
	if err != nil {
		t.Fatalf("RevokeByUser(alice, except): %v", err)
	}
	want := []string{recs[0].Handle, recs[1].Handle, recs[3].Handle}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("RevokeByUser(alice, except %s) returned %q, want %q", keep.Handle, got, want)
	}
	checkRecord(t, "the excepted session", keep, mustGet(t, s, keep.Handle))
	list, err := s.ListByUser(ctx, alice, suiteEpoch)
	if err != nil || !slices.Equal(handlesOf(list), []string{keep.Handle}) {
		t.Errorf("ListByUser(alice) after RevokeByUser with except = %q, %v; want only %q", handlesOf(list), err, keep.Handle)
	}

	got, err = s.RevokeByUser(ctx, bob, keep.Handle)
	if err != nil || !slices.Equal(got, []string{bobRec.Handle}) {
		t.Errorf("RevokeByUser(bob, except alice's handle) = %q, %v; want [%s]", got, err, bobRec.Handle)
	}
	checkRecord(t, "alice's excepted session after revoking bob", keep, mustGet(t, s, keep.Handle))
}

func testDeleteExpired(t *testing.T, s core.Store) {
	d, ok := s.(core.ExpiredDeleter)
	if !ok {
		t.Skipf("%T does not implement core.ExpiredDeleter", s)
	}
	ctx := context.Background()
	before := suiteEpoch.Add(24 * time.Hour)
	user := randUser(t, "purge")
	mk := func(expiresIn time.Duration, revoked bool) *core.Record {
		r := newRecord(t, user, suiteEpoch)
		r.ExpiresAt = before.Add(expiresIn)
		r.Revoked = revoked
		mustCreate(t, s, r)
		return r
	}
	keep := []*core.Record{mk(time.Hour, false), mk(time.Millisecond, false)}
	gone := []*core.Record{mk(time.Hour, true), mk(-time.Hour, false), mk(0, false), mk(-time.Hour, true)}

	n, err := d.DeleteExpired(ctx, before)
	if err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	if n != int64(len(gone)) {
		t.Errorf("DeleteExpired = %d, want %d (revoked rows and rows expiring at or before the cut-off)", n, len(gone))
	}
	for _, r := range gone {
		if _, err := s.Get(ctx, r.Handle); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("Get(%s) after DeleteExpired (revoked=%v, expires %s): %v, want ErrNotFound",
				r.Handle, r.Revoked, r.ExpiresAt.Sub(before), err)
		}
	}
	for _, r := range keep {
		checkRecord(t, "live row after DeleteExpired", r, mustGet(t, s, r.Handle))
	}
	list, err := s.ListByUser(ctx, user, before)
	if err != nil || len(list) != len(keep) {
		t.Errorf("ListByUser after DeleteExpired = %d rows, %v; want %d", len(list), err, len(keep))
	}
	n, err = d.DeleteExpired(ctx, before)
	if err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v; want 0, nil", n, err)
	}
	// The user index still works for new sessions of a user whose rows were purged.
	fresh := newRecord(t, user, before)
	mustCreate(t, s, fresh)
	list, err = s.ListByUser(ctx, user, before)
	if err != nil || len(list) != len(keep)+1 {
		t.Errorf("ListByUser after creating a new session = %d rows, %v; want %d", len(list), err, len(keep)+1)
	}
}

func testCancelledContext(t *testing.T, s core.Store) {
	rec := newRecord(t, randUser(t, "ctx"), suiteEpoch)
	mustCreate(t, s, rec)
	want := copyRecord(rec)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	fresh := newRecord(t, rec.UserID, suiteEpoch)
	if err := s.Create(ctx, fresh); err == nil {
		t.Error("Create with a cancelled context returned no error")
	}
	if _, err := s.Get(context.Background(), fresh.Handle); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("the record of a Create with a cancelled context exists anyway (Get: %v)", err)
	}
	if _, err := s.Get(ctx, rec.Handle); err == nil {
		t.Error("Get with a cancelled context returned no error")
	}
	if ok, err := s.Update(ctx, rec.Handle, core.Cond{}, core.Change{Revoke: true}); err == nil {
		t.Errorf("Update with a cancelled context returned (%v, nil)", ok)
	}
	if _, err := s.ListByUser(ctx, rec.UserID, suiteEpoch); err == nil {
		t.Error("ListByUser with a cancelled context returned no error")
	}
	if _, err := s.RevokeByUser(ctx, rec.UserID, ""); err == nil {
		t.Error("RevokeByUser with a cancelled context returned no error")
	}
	if d, ok := s.(core.ExpiredDeleter); ok {
		if _, err := d.DeleteExpired(ctx, suiteEpoch.Add(100*time.Hour)); err == nil {
			t.Error("DeleteExpired with a cancelled context returned no error")
		}
	}
	checkRecord(t, "row after operations with a cancelled context", want, mustGet(t, s, rec.Handle))
}

func testRevokeAll(t *testing.T, s core.Store) {
	r, ok := s.(core.AllRevoker)
	if !ok {
		testenv.NeedService(t, "core.AllRevoker", fmt.Errorf("%T does not implement it", s))
		return
	}
	ctx := context.Background()
	var recs []*core.Record
	for i := range 3 {
		rec := newRecord(t, randUser(t, fmt.Sprintf("all%d", i)), suiteEpoch)
		mustCreate(t, s, rec)
		recs = append(recs, rec)
	}
	dead := newRecord(t, randUser(t, "alldead"), suiteEpoch)
	dead.Revoked = true
	mustCreate(t, s, dead)
	n, err := r.RevokeAll(ctx)
	if err != nil {
		t.Fatalf("RevokeAll: %v", err)
	}
	if n != int64(len(recs)) {
		t.Errorf("RevokeAll = %d, want %d (already revoked rows are not counted)", n, len(recs))
	}
	for _, rec := range recs {
		got, err := s.Get(ctx, rec.Handle)
		if err != nil || !got.Revoked {
			t.Errorf("%s after RevokeAll: revoked=%v err=%v", rec.Handle, got != nil && got.Revoked, err)
		}
		if ok, _ := s.Update(ctx, rec.Handle, core.Cond{}, core.Change{LastActiveAt: suiteEpoch.Add(time.Hour)}); ok {
			t.Errorf("%s: an update matched after RevokeAll", rec.Handle)
		}
	}
	if n, err := r.RevokeAll(ctx); err != nil || n != 0 {
		t.Errorf("second RevokeAll = %d, %v; want 0", n, err)
	}
}
