package core_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// signalStore reports each ListKeys on a channel.
type signalStore struct {
	*memory.Store
	lists chan struct{}
}

func (s *signalStore) ListKeys(ctx context.Context) ([]core.StoredKey, error) {
	select {
	case s.lists <- struct{}{}:
	default:
	}
	return s.Store.ListKeys(ctx)
}

// The background loop reloads on its own and stops on Close.
func TestStoreKeyRingBackgroundReload(t *testing.T) {
	s := &signalStore{Store: memory.New(), lists: make(chan struct{}, 1)}
	kek, _ := core.NewKEK()
	r, err := core.NewStoreKeyRing(context.Background(), s, core.KeyRingOptions{
		KEK: kek, ReloadInterval: 10 * time.Millisecond, SigningDelay: time.Second, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	for len(s.lists) > 0 { // drop the start-up reads
		<-s.lists
	}
	select {
	case <-s.lists:
	case <-time.After(30 * time.Second):
		t.Fatal("no background reload within 30 s at a 10 ms interval")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

// An engine refuses a ring whose explicit overlap is shorter than two access-token lifetimes,
// and raises a defaulted one.
func TestStoreKeyRingOverlapCheckedByEngine(t *testing.T) {
	kek, _ := core.NewKEK()
	newRing := func(overlap time.Duration) *core.StoreKeyRing {
		r, err := core.NewStoreKeyRing(context.Background(), memory.New(), core.KeyRingOptions{
			KEK: kek, Overlap: overlap, ReloadInterval: -1, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		return r
	}
	r := newRing(time.Hour)
	_, err := core.New(core.Config{Store: memory.New(), Keys: r, AccessTTL: 45 * time.Minute})
	if !errors.Is(err, core.ErrConfig) {
		t.Fatalf("Overlap 1h with AccessTTL 45m: %v, want ErrConfig", err)
	}
	r = newRing(0)
	if _, err := core.New(core.Config{Store: memory.New(), Keys: r, AccessTTL: 45 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if r.Overlap() != 90*time.Minute {
		t.Fatalf("defaulted Overlap %v, want 90m", r.Overlap())
	}
}

func TestNewStoreKeyRingNeedsKeyStore(t *testing.T) {
	kek, _ := core.NewKEK()
	var s struct{ core.Store }
	if _, err := core.NewStoreKeyRing(context.Background(), s, core.KeyRingOptions{KEK: kek}); !errors.Is(err, core.ErrConfig) {
		t.Fatalf("a store without KeyStore: %v, want ErrConfig", err)
	}
	for name, o := range map[string]core.KeyRingOptions{
		"algorithm": {KEK: kek, Algorithm: "HS256"},
		"interval":  {KEK: kek, RotationInterval: time.Second},
		"delay":     {KEK: kek, SigningDelay: -time.Second},
		"overlap":   {KEK: kek, Overlap: -time.Second},
	} {
		if _, err := core.NewStoreKeyRing(context.Background(), memory.New(), o); !errors.Is(err, core.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

// The ring never reads the environment: without KeyRingOptions.KEK it refuses, even with
// RATCHET_KEK set, and says where the KEK goes.
func TestNewStoreKeyRingIgnoresEnvironment(t *testing.T) {
	_, text := core.NewKEK()
	t.Setenv(core.KEKEnv, text)
	s := memory.New()
	_, err := core.NewStoreKeyRing(context.Background(), s, core.KeyRingOptions{ReloadInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, core.ErrKEK) || !strings.Contains(err.Error(), "KeyRingOptions.KEK") || !strings.Contains(err.Error(), "KEKFromEnv") {
		t.Fatalf("no KeyRingOptions.KEK with RATCHET_KEK set: %v; want ErrKEK pointing at KeyRingOptions.KEK and KEKFromEnv", err)
	}
	if strings.Contains(err.Error(), text) {
		t.Fatal("the error repeats the environment's KEK")
	}
	if keys, err := s.ListKeys(context.Background()); err != nil || len(keys) != 0 {
		t.Fatalf("the refused ring wrote %d keys (%v)", len(keys), err)
	}
}
