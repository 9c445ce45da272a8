package gormtest

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// TestDefaultKeyRing: the GORM store can keep the signing keys every instance shares, so
// core.New refuses to invent per-process keys over it (two instances would refuse each
// other's tokens) and says what to set. The shared ring, with its KEK read by
// core.KEKFromEnv, makes two instances (separate pools on one database, as two processes)
// accept each other's tokens; core.NewEphemeralKeyRing is the explicit opt-out, whose
// instances do not.
func TestDefaultKeyRing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		first, dsn := b.open(t, testdb.Quiet())
		a, err := gormstore.New(first, gormstore.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		db, err := gorm.Open(b.dialector(dsn), testdb.Quiet())
		if err != nil {
			t.Fatal(err)
		}
		testdb.Pool(t, db)
		bStore, err := gormstore.New(db, gormstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = bStore.Close() })
		stores := []*gormstore.Store{a, bStore}
		config := func(s core.Store, keys core.KeyRing) core.Config {
			return core.Config{Store: s, Keys: keys, RevocationPollInterval: -1, Logger: slog.New(slog.DiscardHandler)}
		}

		// Config.Keys nil: refused, and nothing written.
		_, err = core.New(config(a, nil))
		if !errors.Is(err, core.ErrConfig) || !strings.Contains(err.Error(), "core.NewStoreKeyRing") ||
			!strings.Contains(err.Error(), "core.KEKFromEnv") || !strings.Contains(err.Error(), "core.NewEphemeralKeyRing") {
			t.Fatalf("core.New over the GORM store without Keys: %v; want ErrConfig naming what to set", err)
		}
		if keys, err := a.ListKeys(ctx); err != nil || len(keys) != 0 {
			t.Fatalf("the refused engine left %d keys (%v)", len(keys), err)
		}

		// The production setup: the store's ring, KEK from the environment.
		kek, _ := core.NewKEK()
		t.Setenv(core.KEKEnv, base64.StdEncoding.EncodeToString(kek))
		t.Setenv(core.PreviousKEKsEnv, "")
		cur, previous, err := core.KEKFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		shared := make([]*core.Engine, 2)
		for i, s := range stores {
			ring, err := core.NewStoreKeyRing(ctx, s, core.KeyRingOptions{KEK: cur, PreviousKEKs: previous,
				ReloadInterval: -1, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ring.Close() })
			if shared[i], err = core.New(config(s, ring)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = shared[i].Close() })
		}
		for i, e := range shared {
			tok, err := e.IssueTokens(ctx, "user-shared", core.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := shared[1-i].VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{}); err != nil {
				t.Fatalf("instance %d refuses the token of instance %d over the shared ring: %v", 1-i, i, err)
			}
		}

		// The explicit opt-out starts, with keys of its own per instance.
		ephemeral := make([]*core.Engine, 2)
		for i, s := range stores {
			keys, err := core.NewEphemeralKeyRing("")
			if err != nil {
				t.Fatal(err)
			}
			if ephemeral[i], err = core.New(config(s, keys)); err != nil {
				t.Fatalf("core.New with an explicit NewEphemeralKeyRing: %v", err)
			}
			t.Cleanup(func() { _ = ephemeral[i].Close() })
		}
		tok, err := ephemeral[0].IssueTokens(ctx, "user-ephemeral", core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ephemeral[1].VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrTryRefresh) {
			t.Fatalf("per-process keys: the other instance answered %v, want ErrTryRefresh (it cannot know the key)", err)
		}
	})
}
