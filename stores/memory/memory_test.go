package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/keystoretest"
	"github.com/ratchetauth/ratchet/testkit/storetest"
)

func TestStoreSuite(t *testing.T) {
	storetest.StoreSuite(t, func(*testing.T) core.Store { return memory.New() })
}

func TestLenCountsDeadRowsUntilDeleted(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, h := range []string{"AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBA", "CCCCCCCCCCCCCCCCCCCCCA"} {
		rec := &core.Record{Handle: h, UserID: "u", CreatedAt: now, ExpiresAt: now.Add(time.Duration(i) * time.Hour), Version: 1}
		if err := s.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RevokeByUser(ctx, "u", "CCCCCCCCCCCCCCCCCCCCCA"); err != nil {
		t.Fatal(err)
	}
	if n := s.Len(); n != 3 {
		t.Fatalf("Len = %d after revoking, want 3: revoked rows stay until DeleteExpired", n)
	}
	n, err := s.DeleteExpired(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("Len = %d after DeleteExpired, want 1", n)
	}
}

func TestRevokeByUserSortsHandles(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	hs := []string{"CCCCCCCCCCCCCCCCCCCCCA", "AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBA"}
	for _, h := range hs {
		if err := s.Create(ctx, &core.Record{Handle: h, UserID: "u", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RevokeByUser(ctx, "u", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != hs[1] || got[1] != hs[2] || got[2] != hs[0] {
		t.Fatalf("RevokeByUser = %q, want the handles in sorted order", got)
	}
}

func TestKeyRingSuite(t *testing.T) {
	keystoretest.KeyRingSuite(t, func(*testing.T) core.Store { return memory.New() })
}
