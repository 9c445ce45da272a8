package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// auditContract runs the "AuditLog/…" subtests when the store implements core.AuditLog. The
// capability is optional: a store without it is logged and the group does nothing (it never
// skips, so it passes under CI=true too).
func auditContract(t *testing.T, newStore func(t *testing.T) core.Store) {
	if _, ok := newStore(t).(core.AuditLog); !ok {
		t.Logf("the store does not implement core.AuditLog (optional): the AuditLog group has nothing to test")
		return
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, l core.AuditLog)
	}{
		{"AppendListNewestFirst", testAuditAppendList},
		{"Filters", testAuditFilters},
		{"LimitBounds", testAuditLimitBounds},
		{"KeysetPagingUnderConcurrentAppends", testAuditPaging},
		{"DeleteBefore", testAuditDeleteBefore},
		{"ReturnedEventsAreCopies", testAuditCopies},
		{"CancelledContext", testAuditCancelled},
		{"CountEvents", testAuditCountEvents},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t).(core.AuditLog)) })
	}
	t.Run("EngineWrites", func(t *testing.T) { testAuditEngineWrites(t, newStore(t)) })
}

// auditEvent returns a fully populated event at at (whole milliseconds).
func auditEvent(t *testing.T, user, handle, typ string, at time.Time) core.AuditEvent {
	t.Helper()
	return core.AuditEvent{ID: core.NewAuditID(at), Time: at, Type: typ, UserID: user, Handle: handle,
		IP: "203.0.113.9", UserAgent: "ratchet-storetest/1.0", Reason: "storetest", Actor: ""}
}

func mustAppend(t *testing.T, l core.AuditLog, evs ...core.AuditEvent) {
	t.Helper()
	if err := l.AppendEvents(context.Background(), evs); err != nil {
		t.Fatalf("AppendEvents(%d events): %v", len(evs), err)
	}
}

func mustList(t *testing.T, l core.AuditLog, q core.AuditQuery) ([]core.AuditEvent, string) {
	t.Helper()
	evs, next, err := l.ListEvents(context.Background(), q)
	if err != nil {
		t.Fatalf("ListEvents(%+v): %v", q, err)
	}
	return evs, next
}

func eventIDs(evs []core.AuditEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// newestFirst returns the IDs of evs, newest first.
func newestFirst(evs ...core.AuditEvent) []string {
	ids := eventIDs(evs)
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids
}

func sameEvent(a, b core.AuditEvent) bool {
	return a.ID == b.ID && utcMillis(a.Time).Equal(utcMillis(b.Time)) && a.Type == b.Type && a.UserID == b.UserID &&
		a.Handle == b.Handle && a.IP == b.IP && a.UserAgent == b.UserAgent && a.Reason == b.Reason && a.Actor == b.Actor
}

func testAuditAppendList(t *testing.T, l core.AuditLog) {
	if evs, next := mustList(t, l, core.AuditQuery{}); len(evs) != 0 || next != "" {
		t.Fatalf("empty log lists %d events, next %q", len(evs), next)
	}
	u := randUser(t, "audit")
	var all []core.AuditEvent
	for i := range 5 {
		ev := auditEvent(t, u, randHandle(t), core.EventSignIn, suiteEpoch.Add(time.Duration(i)*time.Second))
		if i == 3 {
			ev.Actor = "admin-1"
			ev.Time = ev.Time.In(time.FixedZone("UTC+2", 2*3600))
		}
		all = append(all, ev)
	}
	// Appended out of order, in two batches.
	mustAppend(t, l, all[3], all[0], all[4])
	mustAppend(t, l, all[1], all[2])
	got, next := mustList(t, l, core.AuditQuery{})
	if want := newestFirst(all...); !slices.Equal(eventIDs(got), want) || next != "" {
		t.Fatalf("ListEvents = %q next %q, want newest first %q and no next page", eventIDs(got), next, want)
	}
	for i, ev := range got {
		if want := all[4-i]; !sameEvent(ev, want) {
			t.Errorf("event %d = %+v, want %+v", i, ev, want)
		}
	}
	if err := l.AppendEvents(context.Background(), nil); err != nil {
		t.Errorf("AppendEvents(nil) = %v, want nil", err)
	}
}

func testAuditFilters(t *testing.T, l core.AuditLog) {
	alice, bob := randUser(t, "alice"), randUser(t, "bob")
	ha, hb := randHandle(t), randHandle(t)
	at := func(s int) time.Time { return suiteEpoch.Add(time.Duration(s) * time.Second) }
	evs := []core.AuditEvent{
		auditEvent(t, alice, ha, core.EventSignIn, at(0)),
		auditEvent(t, alice, ha, core.EventRefresh, at(1)),
		auditEvent(t, bob, hb, core.EventSignIn, at(2)),
		auditEvent(t, alice, randHandle(t), core.EventTokenTheft, at(3)),
		auditEvent(t, bob, hb, core.EventRefresh, at(4)),
		auditEvent(t, "", "", core.EventKeyCreated, at(5)),
	}
	mustAppend(t, l, evs...)
	for _, tc := range []struct {
		name string
		q    core.AuditQuery
		want []core.AuditEvent
	}{
		{"user", core.AuditQuery{UserID: alice}, []core.AuditEvent{evs[0], evs[1], evs[3]}},
		{"handle", core.AuditQuery{Handle: hb}, []core.AuditEvent{evs[2], evs[4]}},
		{"user and handle", core.AuditQuery{UserID: alice, Handle: ha}, []core.AuditEvent{evs[0], evs[1]}},
		{"user and other's handle", core.AuditQuery{UserID: alice, Handle: hb}, nil},
		{"types", core.AuditQuery{Types: []string{core.EventSignIn, core.EventKeyCreated}}, []core.AuditEvent{evs[0], evs[2], evs[5]}},
		{"user and type", core.AuditQuery{UserID: bob, Types: []string{core.EventRefresh}}, []core.AuditEvent{evs[4]}},
		{"since inclusive", core.AuditQuery{Since: at(3)}, evs[3:]},
		{"until exclusive", core.AuditQuery{Until: at(2)}, evs[:2]},
		{"range", core.AuditQuery{Since: at(1), Until: at(4)}, evs[1:4]},
		{"range and user", core.AuditQuery{UserID: alice, Since: at(1), Until: at(4)}, []core.AuditEvent{evs[1], evs[3]}},
		{"unknown user", core.AuditQuery{UserID: randUser(t, "nobody")}, nil},
	} {
		got, next := mustList(t, l, tc.q)
		if want := newestFirst(tc.want...); !slices.Equal(eventIDs(got), want) || next != "" {
			t.Errorf("%s: ListEvents = %q next %q, want %q", tc.name, eventIDs(got), next, want)
		}
	}
}

func testAuditLimitBounds(t *testing.T, l core.AuditLog) {
	u := randUser(t, "limit")
	n := core.MaxAuditLimit + 20
	evs := make([]core.AuditEvent, n)
	for i := range evs {
		evs[i] = auditEvent(t, u, "", core.EventRefresh, suiteEpoch.Add(time.Duration(i)*time.Millisecond))
	}
	mustAppend(t, l, evs...)
	all := newestFirst(evs...)
	for _, tc := range []struct{ limit, want int }{
		{0, core.DefaultAuditLimit}, {-1, core.DefaultAuditLimit}, {1, 1}, {7, 7},
		{core.MaxAuditLimit, core.MaxAuditLimit}, {core.MaxAuditLimit + 1, core.MaxAuditLimit}, {1 << 30, core.MaxAuditLimit},
	} {
		got, next := mustList(t, l, core.AuditQuery{UserID: u, Limit: tc.limit})
		if !slices.Equal(eventIDs(got), all[:tc.want]) {
			t.Errorf("Limit %d: %d events, want the newest %d", tc.limit, len(got), tc.want)
		}
		if next == "" {
			t.Errorf("Limit %d: no next cursor although %d events remain", tc.limit, n-tc.want)
		}
	}
	// A page that ends exactly at the last event has no next page.
	got, next := mustList(t, l, core.AuditQuery{UserID: u, Limit: 20, Cursor: mustCursorAt(t, l, u, n-20)})
	if len(got) != 20 || next != "" {
		t.Errorf("last full page: %d events, next %q; want 20 and no next page", len(got), next)
	}
}

// mustCursorAt pages through u's events, MaxAuditLimit at a time and then smaller, until
// skip events are behind the cursor.
func mustCursorAt(t *testing.T, l core.AuditLog, u string, skip int) string {
	t.Helper()
	cursor := ""
	for skip > 0 {
		evs, next := mustList(t, l, core.AuditQuery{UserID: u, Limit: min(skip, core.MaxAuditLimit), Cursor: cursor})
		if next == "" {
			t.Fatalf("paging stopped with %d events still to skip", skip)
		}
		skip -= len(evs)
		cursor = next
	}
	return cursor
}

// testAuditPaging pages through a user's events, a few at a time, while other goroutines
// append newer events for the same user and for others: the pages hold every event that
// existed when paging started exactly once, newest first.
func testAuditPaging(t *testing.T, l core.AuditLog) {
	u := randUser(t, "paging")
	var before []core.AuditEvent
	for i := range 103 {
		// Two events share each millisecond: the ID decides their order.
		before = append(before, auditEvent(t, u, randHandle(t), core.EventRefresh, suiteEpoch.Add(time.Duration(i/2)*time.Millisecond)))
	}
	mustAppend(t, l, before...)
	want := newestFirst(before...)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var appended atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 200; i++ {
				user := u
				if w%2 == 1 {
					user = randUser(t, "other")
				}
				at := suiteEpoch.Add(time.Hour + time.Duration(w*1000+i)*time.Millisecond)
				if err := l.AppendEvents(context.Background(), []core.AuditEvent{auditEvent(t, user, "", core.EventSignIn, at)}); err != nil {
					t.Errorf("concurrent AppendEvents: %v", err)
					return
				}
				appended.Add(1)
			}
		}()
	}
	// Events appended while paging are newer than every pre-existing one, so they may only
	// show up on the first page; the pre-existing ones must come exactly once, in order.
	var got []string
	cursor := ""
	listed := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatal("paging does not end")
		}
		evs, next := mustList(t, l, core.AuditQuery{UserID: u, Limit: 7, Cursor: cursor})
		for _, id := range eventIDs(evs) {
			if listed[id] {
				t.Fatalf("event %s listed twice while paging", id)
			}
			listed[id] = true
			if id <= want[0] {
				got = append(got, id)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	cancel()
	wg.Wait()
	if !slices.Equal(got, want) {
		t.Fatalf("paging returned %d events, want the %d older ones exactly once, newest first:\ngot  %q\nwant %q", len(got), len(want), got, want)
	}
	// Paging over every user's events with a type filter also visits each once.
	seen := map[string]bool{}
	cursor = ""
	for {
		evs, next := mustList(t, l, core.AuditQuery{Types: []string{core.EventSignIn}, Limit: 33, Cursor: cursor})
		for _, ev := range evs {
			if seen[ev.ID] {
				t.Fatalf("event %s listed twice", ev.ID)
			}
			seen[ev.ID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if n := appended.Load(); int64(len(seen)) != n {
		t.Errorf("paging over all sign_in events saw %d, want the %d appended", len(seen), n)
	}
}

func testAuditDeleteBefore(t *testing.T, l core.AuditLog) {
	u := randUser(t, "retention")
	var evs []core.AuditEvent
	for i := range 6 {
		evs = append(evs, auditEvent(t, u, randHandle(t), core.EventSignIn, suiteEpoch.Add(time.Duration(i)*time.Hour)))
	}
	mustAppend(t, l, evs...)
	ctx := context.Background()
	n, err := l.DeleteEventsBefore(ctx, suiteEpoch.Add(3*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("DeleteEventsBefore(+3h) = %d, %v; want 3 (the cut-off is exclusive)", n, err)
	}
	got, _ := mustList(t, l, core.AuditQuery{UserID: u})
	if want := newestFirst(evs[3:]...); !slices.Equal(eventIDs(got), want) {
		t.Errorf("after DeleteEventsBefore: %q, want %q", eventIDs(got), want)
	}
	if got, _ := mustList(t, l, core.AuditQuery{Handle: evs[0].Handle}); len(got) != 0 {
		t.Errorf("a deleted event is still listed by its session: %q", eventIDs(got))
	}
	if n, err := l.DeleteEventsBefore(ctx, suiteEpoch.Add(3*time.Hour)); err != nil || n != 0 {
		t.Errorf("second DeleteEventsBefore = %d, %v; want 0", n, err)
	}
}

func testAuditCopies(t *testing.T, l core.AuditLog) {
	u := randUser(t, "copies")
	in := []core.AuditEvent{auditEvent(t, u, randHandle(t), core.EventSignIn, suiteEpoch)}
	orig := in[0]
	mustAppend(t, l, in...)
	in[0].Type, in[0].Reason = "mutated", "mutated"
	got, _ := mustList(t, l, core.AuditQuery{UserID: u})
	if len(got) != 1 || !sameEvent(got[0], orig) {
		t.Fatalf("after mutating the appended slice: %+v, want %+v", got, orig)
	}
	got[0].Type, got[0].UserID = "mutated", "mutated"
	types := []string{core.EventSignIn}
	again, _ := mustList(t, l, core.AuditQuery{UserID: u, Types: types})
	types[0] = "mutated"
	if len(again) != 1 || !sameEvent(again[0], orig) {
		t.Errorf("after mutating a listed event: %+v, want %+v", again, orig)
	}
}

func testAuditCancelled(t *testing.T, l core.AuditLog) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.AppendEvents(ctx, []core.AuditEvent{auditEvent(t, "u", "", core.EventSignIn, suiteEpoch)}); err == nil {
		t.Error("AppendEvents with a cancelled context succeeded")
	}
	if _, _, err := l.ListEvents(ctx, core.AuditQuery{}); err == nil {
		t.Error("ListEvents with a cancelled context succeeded")
	}
	if _, err := l.DeleteEventsBefore(ctx, suiteEpoch); err == nil {
		t.Error("DeleteEventsBefore with a cancelled context succeeded")
	}
}

// testAuditEngineWrites: an engine over the store writes the events it emits, and Close
// flushes them; Engine.ListSecurityEvents reads them and DeleteExpired applies the retention.
func testAuditEngineWrites(t *testing.T, s core.Store) {
	ctx := context.Background()
	clk := core.NewFakeClock(suiteEpoch)
	e, err := core.New(core.Config{Store: s, Keys: testkit.EphemeralKeyRing(t), Clock: clk, RevocationPollInterval: -1,
		Logger: slog.New(slog.DiscardHandler), Audit: core.AuditConfig{FlushInterval: time.Hour, Retention: 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	u := randUser(t, "engine")
	var handles []string
	for range 3 {
		tk, err := e.IssueTokens(ctx, u, core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, tk.Handle)
	}
	revoked, err := e.RevokeAllForUser(ctx, u)
	if err != nil || len(revoked) != 3 {
		t.Fatalf("RevokeAllForUser = %q, %v", revoked, err)
	}
	if err := e.Close(); err != nil { // flushes the queue (FlushInterval is an hour)
		t.Fatal(err)
	}
	evs, _, err := e.ListSecurityEvents(ctx, core.AuditQuery{UserID: u, Types: []string{core.EventRevoked}})
	if err != nil {
		t.Fatalf("ListSecurityEvents: %v", err)
	}
	var got []string
	for _, ev := range evs {
		if ev.ID == "" || !utcMillis(ev.Time).Equal(suiteEpoch) || ev.UserID != u {
			t.Errorf("stored event %+v, want an ID, the fake clock's time and the user", ev)
		}
		got = append(got, ev.Handle)
	}
	slices.Sort(got)
	slices.Sort(handles)
	if !slices.Equal(got, handles) {
		t.Errorf("session_revoked events name %q, want %q", got, handles)
	}
	if st := e.AuditStats(); !st.Enabled || st.Written != 3 || st.Dropped != 0 || st.Failed != 0 || st.Queued != 0 {
		t.Errorf("AuditStats = %+v, want 3 written", st)
	}
	clk.Advance(25 * time.Hour)
	if _, err := e.DeleteExpired(ctx); err != nil {
		t.Logf("DeleteExpired: %v", err) // a store without ExpiredDeleter; the events go anyway
	}
	if evs, _, err := e.ListSecurityEvents(ctx, core.AuditQuery{UserID: u}); err != nil || len(evs) != 0 {
		t.Errorf("after the retention: %d events, %v; want none", len(evs), fmt.Sprint(err))
	}
}

// testAuditCountEvents checks core.EventCounter when the audit log implements it (it is
// optional: without it the subtest logs so and passes): counts by type over [since, until),
// exact at both boundaries (to the millisecond), empty and reversed ranges, and a cancelled
// context.
func testAuditCountEvents(t *testing.T, l core.AuditLog) {
	c, ok := l.(core.EventCounter)
	if !ok {
		t.Logf("the audit log does not implement core.EventCounter (optional): nothing to test")
		return
	}
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return suiteEpoch.Add(d) }
	u, h := randUser(t, "count"), randHandle(t)
	var evs []core.AuditEvent
	add := func(typ string, when time.Time, n int) {
		for range n {
			evs = append(evs, auditEvent(t, u, h, typ, when))
		}
	}
	add(core.EventSignIn, at(-time.Millisecond), 1)           // just before the range
	add(core.EventSignIn, at(0), 2)                           // on since: counted
	add(core.EventRefresh, at(0), 1)                          // on since: counted
	add(core.EventRefresh, at(30*time.Minute), 4)             // inside
	add(core.EventTokenTheft, at(45*time.Minute), 1)          // inside
	add(core.EventRefresh, at(time.Hour-time.Millisecond), 1) // the last millisecond inside
	add(core.EventSignOut, at(time.Hour), 3)                  // on until: not counted
	add(core.EventKeyCreated, at(2*time.Hour), 1)             // after
	mustAppend(t, l, evs...)

	check := func(name string, since, until time.Time, want map[string]int64) {
		t.Helper()
		got, err := c.CountEvents(ctx, since, until)
		if err != nil {
			t.Fatalf("%s: CountEvents(%s, %s): %v", name, fmtTime(since), fmtTime(until), err)
		}
		for typ, n := range got {
			if n != want[typ] {
				t.Errorf("%s: CountEvents(%s, %s)[%s] = %d, want %d", name, fmtTime(since), fmtTime(until), typ, n, want[typ])
			}
		}
		for typ, n := range want {
			if got[typ] != n {
				t.Errorf("%s: CountEvents(%s, %s)[%s] = %d, want %d", name, fmtTime(since), fmtTime(until), typ, got[typ], n)
			}
		}
	}
	check("the hour", at(0), at(time.Hour), map[string]int64{
		core.EventSignIn: 2, core.EventRefresh: 6, core.EventTokenTheft: 1})
	check("since inclusive, to the millisecond", at(-time.Millisecond), at(time.Millisecond), map[string]int64{
		core.EventSignIn: 3, core.EventRefresh: 1})
	check("until exclusive, to the millisecond", at(time.Hour-time.Millisecond), at(time.Hour), map[string]int64{
		core.EventRefresh: 1})
	check("events on until, counted from until", at(time.Hour), at(time.Hour+time.Millisecond), map[string]int64{
		core.EventSignOut: 3})
	check("everything", at(-time.Hour), at(3*time.Hour), map[string]int64{
		core.EventSignIn: 3, core.EventRefresh: 6, core.EventTokenTheft: 1, core.EventSignOut: 3, core.EventKeyCreated: 1})
	check("non-UTC bounds", at(0).In(time.FixedZone("UTC-5", -5*3600)), at(time.Hour).In(time.FixedZone("UTC+9", 9*3600)),
		map[string]int64{core.EventSignIn: 2, core.EventRefresh: 6, core.EventTokenTheft: 1})
	check("from the zero time", time.Time{}, at(time.Hour), map[string]int64{
		core.EventSignIn: 3, core.EventRefresh: 6, core.EventTokenTheft: 1})
	check("empty range", at(30*time.Minute), at(30*time.Minute), nil)
	check("reversed range", at(time.Hour), at(0), nil)
	check("range without events", at(10*time.Hour), at(11*time.Hour), nil)
	check("range between events", at(time.Millisecond), at(30*time.Minute), nil)

	// Deleted events are no longer counted.
	if _, err := l.DeleteEventsBefore(ctx, at(time.Minute)); err != nil {
		t.Fatalf("DeleteEventsBefore: %v", err)
	}
	check("after DeleteEventsBefore", at(-time.Hour), at(time.Hour), map[string]int64{
		core.EventRefresh: 5, core.EventTokenTheft: 1})

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.CountEvents(cctx, at(0), at(time.Hour)); err == nil {
		t.Error("CountEvents with a cancelled context succeeded")
	}
}
