package memory

import (
	"context"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// The per-user index must not keep entries for purged sessions, or it would grow forever.
func TestDeleteExpiredCleansUserIndex(t *testing.T) {
	ctx := context.Background()
	s := New()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(h, user string, expires time.Time) {
		t.Helper()
		if err := s.Create(ctx, &core.Record{Handle: h, UserID: user, CreatedAt: now, ExpiresAt: expires}); err != nil {
			t.Fatal(err)
		}
	}
	mk("AAAAAAAAAAAAAAAAAAAAAA", "gone", now)
	mk("BBBBBBBBBBBBBBBBBBBBBA", "gone", now.Add(-time.Hour))
	mk("CCCCCCCCCCCCCCCCCCCCCA", "kept", now)
	mk("DDDDDDDDDDDDDDDDDDDDDA", "kept", now.Add(time.Hour))
	if n, err := s.DeleteExpired(ctx, now); err != nil || n != 3 {
		t.Fatalf("DeleteExpired = %d, %v; want 3", n, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.byUser["gone"]; ok {
		t.Error("the index still has an entry for a user whose sessions were all purged")
	}
	if u := s.byUser["kept"]; len(u) != 1 {
		t.Errorf("index of the remaining user has %d handles, want 1", len(u))
	}
	if len(s.byID) != 1 {
		t.Errorf("%d records left, want 1", len(s.byID))
	}
}
