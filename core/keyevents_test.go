package core_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// Key rotation and revocation are security events (S-67), carrying the public kid only.
func TestKeyLifecycleEvents(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	kek, _ := core.NewKEK()
	ring, err := core.NewStoreKeyRing(ctx, store, core.KeyRingOptions{KEK: kek, Clock: clk, Logger: discardLogger(), ReloadInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	var mu sync.Mutex
	var events []core.SecurityEvent
	e, err := core.New(core.Config{Store: store, Keys: ring, Clock: clk, Logger: discardLogger(), RevocationPollInterval: -1,
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	kid, err := ring.RotateNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.RevokeKey(ctx, kid); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var created, revoked bool
	for _, ev := range events {
		created = created || (ev.Type == core.EventKeyCreated && strings.Contains(ev.Reason, kid))
		revoked = revoked || (ev.Type == core.EventKeyRevoked && strings.Contains(ev.Reason, kid))
	}
	if !created || !revoked {
		t.Fatalf("events %+v: want key_created and key_revoked for %s", events, kid)
	}
}
