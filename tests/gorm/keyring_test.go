package gormtest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/testkit/keystoretest"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// TestKeyRingSuite runs the shared key ring's suite on every database: concurrent starts and
// rotations of ≥8 instances, rotations under load, revocation, KEK handling, JWKS.
func TestKeyRingSuite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		keystoretest.KeyRingSuite(t, func(t *testing.T) core.Store {
			s, _ := newStore(t, b, gormstore.Options{})
			return s
		})
	})
}

// TestKeyRingSeparateProcesses starts 8 instances at the same moment, each with a connection
// pool and store of its own on one database (as 8 processes would be; on SQLite they contend
// for the file lock through busy_timeout instead of one store's write gate), then rotates them
// all at once. Each step must leave exactly one new key, shared by all instances.
func TestKeyRingSeparateProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const n = 8
		ctx := context.Background()
		first, dsn := b.open(t, testdb.Quiet())
		if _, err := gormstore.New(first, gormstore.Options{AutoMigrate: true}); err != nil {
			t.Fatal(err)
		}
		stores := make([]*gormstore.Store, n)
		for i := range stores {
			db, err := gorm.Open(b.dialector(dsn), testdb.Quiet())
			if err != nil {
				t.Fatal(err)
			}
			testdb.Pool(t, db)
			if stores[i], err = gormstore.New(db, gormstore.Options{}); err != nil {
				t.Fatal(err)
			}
		}
		clock := core.NewFakeClock(epoch)
		kek, _ := core.NewKEK()
		opts := core.KeyRingOptions{KEK: kek, Clock: clock, ReloadInterval: -1, Logger: slog.New(slog.DiscardHandler)}
		rings := make([]*core.StoreKeyRing, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				rings[i], errs[i] = core.NewStoreKeyRing(ctx, stores[i], opts)
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		for _, r := range rings {
			t.Cleanup(func() { _ = r.Close() })
		}
		agree := func(wantKeys int) {
			t.Helper()
			keys, err := stores[0].ListKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != wantKeys {
				t.Fatalf("%d keys in the store, want %d", len(keys), wantKeys)
			}
			want, err := rings[0].SigningKey()
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rings {
				if k, err := r.SigningKey(); err != nil || k.ID != want.ID {
					t.Fatalf("instance %d signs with %v (%v), instance 0 with %s", i, k, err, want.ID)
				}
			}
		}
		agree(1)
		for round := 2; round <= 4; round++ {
			clock.Advance(core.DefaultRotationInterval)
			for i := range n {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = rings[i].Reload(ctx) }()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			clock.Advance(core.DefaultSigningDelay)
			agree(round)
		}
	})
}
