package gormtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

var epoch = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randHandle() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// record returns a live record of user created at created.
func record(user string, created time.Time) *core.Record {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return &core.Record{
		Handle: randHandle(), UserID: user, Secret: secret,
		CurrentHash: randHex(32), RotatedAt: created, CreatedAt: created,
		ExpiresAt: created.Add(time.Hour), LastActiveAt: created, Version: 1,
		Data: []byte(`{"k":"v"}`), Payload: []byte(`{}`), IP: "192.0.2.1", UserAgent: "gormtest",
	}
}

func mustCreate(t testing.TB, s core.Store, recs ...*core.Record) {
	t.Helper()
	for _, r := range recs {
		if err := s.Create(context.Background(), r); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
}

func mustGet(t testing.TB, s core.Store, handle string) *core.Record {
	t.Helper()
	r, err := s.Get(context.Background(), handle)
	if err != nil {
		t.Fatalf("Get(%s): %v", handle, err)
	}
	return r
}

// newEngine returns an engine over s with a fake clock at epoch, closed at the end of the
// test. It does not poll the revocation feed in the background (tests that need the feed
// call testkit.PollRevocations, or start their own engines).
func newEngine(t testing.TB, s core.Store) (*core.Engine, *core.FakeClock) {
	t.Helper()
	clk := core.NewFakeClock(epoch)
	return newEngineWith(t, s, clk), clk
}

// newEngineAt is newEngine with the fake clock at now.
func newEngineAt(t testing.TB, s core.Store, now time.Time) *core.Engine {
	t.Helper()
	return newEngineWith(t, s, core.NewFakeClock(now))
}

// Its signing keys are per-process (core.NewEphemeralKeyRing), chosen explicitly: the store
// could share keys, but these tests check sessions, and the key ring has tests of its own.
func newEngineWith(t testing.TB, s core.Store, clk core.Clock) *core.Engine {
	t.Helper()
	keys, err := core.NewEphemeralKeyRing("")
	if err != nil {
		t.Fatal(err)
	}
	e, err := core.New(core.Config{Store: s, Keys: keys, Clock: clk, RotationGrace: 30 * time.Second,
		RevocationPollInterval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}
