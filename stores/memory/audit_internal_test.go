package memory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// Past maxAuditEvents the oldest quarter goes, from the indexes too.
func TestAuditLogBound(t *testing.T) {
	defer func(n int) { maxAuditEvents = n }(maxAuditEvents)
	maxAuditEvents = 8
	s := New()
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 9 {
		at := t0.Add(time.Duration(i) * time.Second)
		ev := core.AuditEvent{ID: core.NewAuditID(at), Time: at, Type: core.EventSignIn, UserID: "u", Handle: fmt.Sprint("h", i%2)}
		ids = append(ids, ev.ID)
		if err := s.AppendEvents(ctx, []core.AuditEvent{ev}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []core.AuditQuery{{}, {UserID: "u"}} {
		evs, _, err := s.ListEvents(ctx, q)
		if err != nil || len(evs) != 6 || evs[0].ID != ids[8] || evs[5].ID != ids[3] {
			t.Fatalf("ListEvents(%+v) after the bound = %d events, %v; want the newest 6", q, len(evs), err)
		}
	}
	evs, _, _ := s.ListEvents(ctx, core.AuditQuery{Handle: "h0"})
	if len(evs) != 3 { // h0 had events 0, 2, 4, 6, 8; 0 and 2 were dropped
		t.Errorf("ListEvents(handle h0) = %d events, want 3", len(evs))
	}
	if len(s.audit.byUser["u"]) != 6 || len(s.audit.byHandle["h1"]) != 3 {
		t.Errorf("indexes not trimmed: %d user, %d h1", len(s.audit.byUser["u"]), len(s.audit.byHandle["h1"]))
	}
}
