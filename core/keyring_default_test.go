package core_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// durableStore stands in for a database store (the GORM one): the memory store, which keeps
// keys (core.KeyStore), saying that its data is not process-local, as if every instance of an
// app reached it.
type durableStore struct{ *memory.Store }

func (durableStore) ProcessLocal() bool { return false }

// quietConfig is an engine configuration over s that logs nothing.
func quietConfig(s core.Store) core.Config {
	return core.Config{Store: s, Logger: slog.New(slog.DiscardHandler), RevocationPollInterval: -1}
}

// New with Config.Keys nil builds per-process keys only over a store that is process-local or
// cannot keep keys; over a store that can share keys it refuses, writing nothing, and says
// what to configure.
func TestDefaultKeyRingRule(t *testing.T) {
	mem := memory.New()
	for name, s := range map[string]core.Store{
		"process-local store":            mem,
		"wrapper of a process-local one": struct{ *memory.Store }{memory.New()},
		"store without KeyStore":         struct{ core.Store }{memory.New()},
	} {
		e, err := core.New(quietConfig(s))
		if err != nil {
			t.Fatalf("%s: %v, want the per-process default", name, err)
		}
		if _, ok := e.Config().Keys.(*core.StaticKeyRing); !ok {
			t.Errorf("%s: default key ring %T, want a *core.StaticKeyRing", name, e.Config().Keys)
		}
		mustRoundTrip(t, name, e, e)
		_ = e.Close()
	}
	if keys, _ := mem.ListKeys(context.Background()); len(keys) != 0 {
		t.Fatalf("the default key ring wrote %d keys to the store", len(keys))
	}

	durable := durableStore{memory.New()}
	for name, s := range map[string]core.Store{
		"ProcessLocal false": durable,
		"ProcessLocal missing": struct {
			core.Store
			core.KeyStore
		}{durable.Store, durable.Store},
	} {
		_, err := core.New(quietConfig(s))
		if !errors.Is(err, core.ErrConfig) {
			t.Fatalf("%s: %v, want ErrConfig", name, err)
		}
		for _, want := range []string{"Config.Keys", "core.NewStoreKeyRing", "core.KEKFromEnv", core.KEKEnv, "core.NewEphemeralKeyRing", "refuse the others' tokens"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not say %q", name, err, want)
			}
		}
	}
	if keys, _ := durable.ListKeys(context.Background()); len(keys) != 0 {
		t.Fatalf("a refused engine wrote %d keys to the store", len(keys))
	}
}

// Over a store that can share keys, the explicit per-process opt-out works, and so does the
// shared ring, whose instances accept each other's tokens.
func TestDefaultKeyRingExplicitChoices(t *testing.T) {
	durable := durableStore{memory.New()}

	eph, err := core.NewEphemeralKeyRing("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := quietConfig(durable)
	cfg.Keys = eph
	e, err := core.New(cfg)
	if err != nil {
		t.Fatalf("explicit NewEphemeralKeyRing over a shared store: %v", err)
	}
	if e.Config().Keys != core.KeyRing(eph) {
		t.Fatal("the engine does not use the given ephemeral ring")
	}
	mustRoundTrip(t, "ephemeral", e, e)
	_ = e.Close()

	kek, _ := core.NewKEK()
	engines := make([]*core.Engine, 2)
	for i := range engines {
		ring, err := core.NewStoreKeyRing(context.Background(), durable, core.KeyRingOptions{
			KEK: kek, ReloadInterval: -1, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ring.Close() })
		cfg := quietConfig(durable)
		cfg.Keys = ring
		if engines[i], err = core.New(cfg); err != nil {
			t.Fatalf("shared ring over a shared store: %v", err)
		}
		t.Cleanup(func() { _ = engines[i].Close() })
	}
	mustRoundTrip(t, "store key ring, instance 0 to 1", engines[0], engines[1])
	mustRoundTrip(t, "store key ring, instance 1 to 0", engines[1], engines[0])
}

// The default and ephemeral rings use the configured algorithm and a fresh key every time.
func TestNewEphemeralKeyRing(t *testing.T) {
	seen := map[string]bool{}
	for alg, want := range map[string]string{"": core.AlgEdDSA, core.AlgEdDSA: core.AlgEdDSA, core.AlgES256: core.AlgES256, core.AlgRS256: core.AlgRS256} {
		r, err := core.NewEphemeralKeyRing(alg)
		if err != nil {
			t.Fatalf("%q: %v", alg, err)
		}
		k, err := r.SigningKey()
		if err != nil || k.Algorithm != want {
			t.Fatalf("%q: signing key %v, %v; want %s", alg, k, err, want)
		}
		if seen[k.ID] {
			t.Fatalf("%q: kid %s reused", alg, k.ID)
		}
		seen[k.ID] = true
	}
	if _, err := core.NewEphemeralKeyRing("HS256"); !errors.Is(err, core.ErrConfig) {
		t.Fatalf("HS256: %v, want ErrConfig", err)
	}
	cfg := quietConfig(memory.New())
	cfg.Algorithm = core.AlgES256
	e, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if k, err := e.Config().Keys.SigningKey(); err != nil || k.Algorithm != core.AlgES256 {
		t.Fatalf("default ring with Algorithm ES256: %v, %v", k, err)
	}
}

// mustRoundTrip issues a session on from and verifies its access token on to.
func mustRoundTrip(t *testing.T, name string, from, to *core.Engine) {
	t.Helper()
	ctx := context.Background()
	tok, err := from.IssueTokens(ctx, "user-1", core.CreateOptions{})
	if err != nil {
		t.Fatalf("%s: issue: %v", name, err)
	}
	if _, err := to.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{}); err != nil {
		t.Fatalf("%s: verify: %v", name, err)
	}
}
