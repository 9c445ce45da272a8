package gormtest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// The audit log's contract (append, list, filters, paging, retention, counts) is checked on
// every database by storetest.StoreSuite (TestStoreSuite/<db>/AuditLog/…). The tests here
// cover what is particular to the GORM store: cursors it did not produce, the ID shape it
// accepts, several INSERTs in one transaction, DELETE in batches, values longer than their
// columns, time precision, and table prefixes.

func auditEv(user, handle, typ string, at time.Time) core.AuditEvent {
	return core.AuditEvent{ID: core.NewAuditID(at), Time: at, Type: typ, UserID: user, Handle: handle,
		IP: "192.0.2.44", UserAgent: "gormtest", Reason: "test"}
}

func mustAppendEvents(t *testing.T, s *gormstore.Store, evs ...core.AuditEvent) {
	t.Helper()
	if err := s.AppendEvents(context.Background(), evs); err != nil {
		t.Fatalf("AppendEvents(%d events): %v", len(evs), err)
	}
}

// countAll counts every stored event (through CountEvents, over all time).
func countAll(t *testing.T, s *gormstore.Store) int64 {
	t.Helper()
	m, err := s.CountEvents(context.Background(), time.Unix(0, 0), epoch.AddDate(100, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range m {
		n += c
	}
	return n
}

func TestAuditEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		t.Run("BadCursor", func(t *testing.T) { testAuditBadCursor(t, b) })
		t.Run("BadIDs", func(t *testing.T) { testAuditBadIDs(t, b) })
		t.Run("ManyEventsInOneCall", func(t *testing.T) { testAuditManyInOneCall(t, b) })
		t.Run("DeleteInBatches", func(t *testing.T) { testAuditDeleteInBatches(t, b) })
		t.Run("LongAndInvalidStrings", func(t *testing.T) { testAuditLongStrings(t, b) })
		t.Run("MicrosecondsRoundTrip", func(t *testing.T) { testAuditMicroseconds(t, b) })
		t.Run("TablePrefix", func(t *testing.T) { testAuditTablePrefix(t, b) })
	})
}

// testAuditBadCursor: a cursor that is not an ID this store could have returned is an error
// (never a panic, never an unfiltered page); a well-formed ID is a position even when no event
// has it.
func testAuditBadCursor(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := newStore(t, b, gormstore.Options{})
	evs := []core.AuditEvent{auditEv("u", "h", core.EventSignIn, epoch), auditEv("u", "h", core.EventRefresh, epoch.Add(time.Second))}
	mustAppendEvents(t, s, evs...)
	for _, c := range []string{"x", strings.Repeat("0", 31), strings.Repeat("0", 33), strings.ToUpper(evs[1].ID),
		strings.Repeat("g", 32), "' OR '1'='1' -- " + strings.Repeat("0", 16), "1:12345:aGFuZGxl", evs[1].ID + " "} {
		got, next, err := s.ListEvents(ctx, core.AuditQuery{Cursor: c})
		if err == nil {
			t.Errorf("ListEvents with cursor %q = %d events, next %q; want an error", c, len(got), next)
		}
	}
	got, _, err := s.ListEvents(ctx, core.AuditQuery{Cursor: strings.Repeat("f", 32)})
	if err != nil || len(got) != 2 {
		t.Errorf("cursor past every ID: %d events, %v; want both", len(got), err)
	}
	got, next, err := s.ListEvents(ctx, core.AuditQuery{Cursor: strings.Repeat("0", 32)})
	if err != nil || len(got) != 0 || next != "" {
		t.Errorf("cursor before every ID: %d events, next %q, %v; want none", len(got), next, err)
	}
}

// testAuditBadIDs: an event whose ID is not core.NewAuditID's shape, or a duplicate ID, fails
// the whole call; nothing of it is stored.
func testAuditBadIDs(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := newStore(t, b, gormstore.Options{})
	stored := auditEv("u", "h", core.EventSignIn, epoch)
	mustAppendEvents(t, s, stored)
	for name, bad := range map[string]string{
		"empty": "", "short": "abc", "uppercase": strings.ToUpper(core.NewAuditID(epoch)),
		"too long": core.NewAuditID(epoch) + "0", "not hex": strings.Repeat("z", 32),
	} {
		ev := auditEv("u", "h", core.EventRefresh, epoch)
		ev.ID = bad
		batch := []core.AuditEvent{auditEv("u", "h", core.EventRefresh, epoch), ev, auditEv("u", "h", core.EventRefresh, epoch)}
		if err := s.AppendEvents(ctx, batch); err == nil {
			t.Errorf("AppendEvents with a %s ID succeeded", name)
		}
	}
	dupInBatch := auditEv("u", "h", core.EventRefresh, epoch)
	if err := s.AppendEvents(ctx, []core.AuditEvent{dupInBatch, auditEv("u", "h", core.EventRefresh, epoch), dupInBatch}); err == nil {
		t.Error("AppendEvents with a duplicate ID in the batch succeeded")
	}
	if err := s.AppendEvents(ctx, []core.AuditEvent{auditEv("u", "h", core.EventRefresh, epoch), stored}); err == nil {
		t.Error("AppendEvents with the ID of a stored event succeeded")
	}
	if n := countAll(t, s); n != 1 {
		t.Errorf("%d events stored after the failed calls, want only the first one", n)
	}
}

// testAuditManyInOneCall: more events than one INSERT takes (500) go in several INSERTs of one
// transaction: all are stored, and a failure in the last INSERT stores none of the call.
func testAuditManyInOneCall(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := newStore(t, b, gormstore.Options{})
	batch := func(n int, from time.Time) []core.AuditEvent {
		evs := make([]core.AuditEvent, n)
		for i := range evs {
			evs[i] = auditEv("many", randHandle(), core.EventRefresh, from.Add(time.Duration(i)*time.Millisecond))
		}
		return evs
	}
	first := batch(1234, epoch)
	mustAppendEvents(t, s, first...)
	if n := countAll(t, s); n != 1234 {
		t.Fatalf("%d events stored, want 1234", n)
	}
	second := batch(1234, epoch.Add(time.Hour))
	second[len(second)-1] = first[0] // fails in the third INSERT, after two succeeded
	if err := s.AppendEvents(ctx, second); err == nil {
		t.Fatal("AppendEvents with a stored ID in its last INSERT succeeded")
	}
	if n := countAll(t, s); n != 1234 {
		t.Errorf("%d events stored after the failed call, want 1234: the call was not all or none", n)
	}
	// Paging over them all visits each once, newest first.
	var ids []string
	for cursor := ""; ; {
		evs, next, err := s.ListEvents(ctx, core.AuditQuery{UserID: "many", Limit: core.MaxAuditLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			ids = append(ids, ev.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(ids) != 1234 || !slices.IsSortedFunc(ids, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("paging listed %d events (sorted newest first: %v), want 1234", len(ids),
			slices.IsSortedFunc(ids, func(a, b string) int { return strings.Compare(b, a) }))
	}
}

// testAuditDeleteInBatches: a backlog larger than one DELETE statement (5,000 rows) is deleted
// completely, and the count is exact.
func testAuditDeleteInBatches(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := newStore(t, b, gormstore.Options{})
	const old = 10001 // two full statements and one more row
	evs := make([]core.AuditEvent, 0, old+10)
	for i := range old {
		evs = append(evs, auditEv("del", "", core.EventRefresh, epoch.Add(-time.Duration(i+1)*time.Millisecond)))
	}
	for i := range 10 {
		evs = append(evs, auditEv("del", "", core.EventSignIn, epoch.Add(time.Duration(i)*time.Millisecond)))
	}
	mustAppendEvents(t, s, evs...)
	n, err := s.DeleteEventsBefore(ctx, epoch)
	if err != nil || n != old {
		t.Fatalf("DeleteEventsBefore = %d, %v; want %d", n, err, old)
	}
	if n := countAll(t, s); n != 10 {
		t.Errorf("%d events left, want the 10 at or after the cut-off", n)
	}
	if n, err := s.DeleteEventsBefore(ctx, epoch); err != nil || n != 0 {
		t.Errorf("second DeleteEventsBefore = %d, %v; want 0", n, err)
	}
}

// testAuditLongStrings: values longer than their columns are cut on a rune boundary and
// invalid UTF-8 or NUL becomes U+FFFD, so that the batch is stored rather than refused.
func testAuditLongStrings(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := newStore(t, b, gormstore.Options{})
	long := strings.Repeat("é", 3000) // 6,000 bytes
	ev := auditEv(strings.Repeat("ü", 200), "h", core.EventRevoked, epoch)
	ev.Reason, ev.UserAgent, ev.IP = long, "Mozilla\x00/5.0 \xff\xfe", strings.Repeat("1", 100)
	ok := auditEv("u", "h", core.EventSignIn, epoch)
	if err := s.AppendEvents(ctx, []core.AuditEvent{ev, ok}); err != nil {
		t.Fatalf("AppendEvents with long and invalid strings: %v", err)
	}
	got, _, err := s.ListEvents(ctx, core.AuditQuery{Types: []string{core.EventRevoked}})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListEvents = %d, %v", len(got), err)
	}
	g := got[0]
	for name, c := range map[string]struct {
		got, from string
		max       int
	}{
		"reason": {g.Reason, ev.Reason, 1024}, "user id": {g.UserID, ev.UserID, 255}, "ip": {g.IP, ev.IP, 64},
	} {
		if !utf8.ValidString(c.got) || len(c.got) > c.max || len(c.got) < c.max-3 || !strings.HasPrefix(c.from, c.got) {
			t.Errorf("%s stored as %d bytes (valid UTF-8 %v); want a prefix of the original, cut on a rune boundary at %d bytes",
				name, len(c.got), utf8.ValidString(c.got), c.max)
		}
	}
	if want := "Mozilla\uFFFD/5.0 \uFFFD"; g.UserAgent != want {
		t.Errorf("user agent stored as %q, want %q", g.UserAgent, want)
	}
	// The event is listed under the cut user id, and under the original: filters are cut alike.
	for _, u := range []string{g.UserID, ev.UserID} {
		if got, _, err := s.ListEvents(ctx, core.AuditQuery{UserID: u}); err != nil || len(got) != 1 {
			t.Errorf("listing by a user id of %d bytes: %d events, %v; want the event", len(u), len(got), err)
		}
	}
	// A filter no column could hold (invalid UTF-8, which PostgreSQL refuses) finds nothing,
	// without an error.
	if got, _, err := s.ListEvents(ctx, core.AuditQuery{UserID: "\xff\x00", Handle: "\xfe", Types: []string{"\xff"}}); err != nil || len(got) != 0 {
		t.Errorf("listing by invalid UTF-8: %d events, %v; want none and no error", len(got), err)
	}
}

// testAuditMicroseconds: times are stored in UTC to the microsecond, on every database.
func testAuditMicroseconds(t *testing.T, b backend) {
	ctx := context.Background()
	s, _ := newStore(t, b, gormstore.Options{})
	at := epoch.Add(123456789 * time.Nanosecond).In(time.FixedZone("UTC+3", 3*3600))
	mustAppendEvents(t, s, auditEv("us", "", core.EventSignIn, at))
	got, _, err := s.ListEvents(ctx, core.AuditQuery{UserID: "us"})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListEvents = %d, %v", len(got), err)
	}
	if want := at.UTC().Truncate(time.Microsecond); !got[0].Time.Equal(want) || got[0].Time.Location() != time.UTC {
		t.Errorf("time read back as %v, want %v in UTC", got[0].Time, want)
	}
	// The range filters honour the microseconds.
	for _, tc := range []struct {
		since, until time.Time
		want         int
	}{
		{at.Add(-time.Microsecond), at, 0},
		{at.Truncate(time.Microsecond), at.Add(time.Microsecond), 1},
		{at.Add(time.Microsecond), at.Add(time.Second), 0},
	} {
		evs, _, err := s.ListEvents(ctx, core.AuditQuery{Since: tc.since, Until: tc.until})
		if err != nil || len(evs) != tc.want {
			t.Errorf("ListEvents [%v, %v) = %d, %v; want %d", tc.since, tc.until, len(evs), err, tc.want)
		}
	}
}

// testAuditTablePrefix: the audit table takes the prefix, and two prefixed stores on one
// database keep their events apart.
func testAuditTablePrefix(t *testing.T, b backend) {
	ctx := context.Background()
	db, _ := b.open(t, testdb.Quiet())
	a, err := gormstore.New(db, gormstore.Options{TablePrefix: "app1_", AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := gormstore.New(db, gormstore.Options{TablePrefix: "app2_", AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.AuditEventsTable() != "app1_audit_events" {
		t.Errorf("AuditEventsTable() = %q", a.AuditEventsTable())
	}
	for _, idx := range []string{"idx_app1_audit_events_user_id", "idx_app1_audit_events_handle", "idx_app1_audit_events_time"} {
		if !db.Migrator().HasIndex("app1_audit_events", idx) {
			t.Errorf("index %s missing", idx)
		}
	}
	mustAppendEvents(t, a, auditEv("u", "h", core.EventSignIn, epoch))
	if evs, _, err := c.ListEvents(ctx, core.AuditQuery{}); err != nil || len(evs) != 0 {
		t.Errorf("the other prefix lists %d events, %v", len(evs), err)
	}
	if evs, _, err := a.ListEvents(ctx, core.AuditQuery{}); err != nil || len(evs) != 1 {
		t.Errorf("the store lists %d of its events, %v", len(evs), err)
	}
}
