package gormtest

// Revocation latency across instances, measured (issue 7, docs/BENCHMARKS.md "Revocation
// latency across instances"): two engines, each with its own store and connection pool on one
// PostgreSQL schema, the real background poller on the system clock. A session is revoked on
// engine A; engine B's stateless Verify is polled until it refuses the session's access token.
//
// This is a measurement, not a timing assertion: the test fails only if B still accepts the
// token after a generous deadline (10 s), or if A accepts it after revoking it. The measured
// delays are reported with t.Logf.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// latencyDeadline is how long B may take to refuse a revoked session before the test fails.
const latencyDeadline = 10 * time.Second

// postgresBackend is the PostgreSQL entry of backends.
func postgresBackend(t testing.TB) backend {
	for _, b := range backends {
		if b.name == "postgres" {
			return b
		}
	}
	t.Fatal("no postgres backend")
	return backend{}
}

// twoInstances opens two stores on one fresh PostgreSQL schema (two pools, as two processes
// would have) and an engine on each with a shared key ring and the given poll interval.
func twoInstances(t testing.TB, interval time.Duration) (a, b *core.Engine) {
	t.Helper()
	pg := postgresBackend(t)
	db, dsn := pg.open(t, quietConfig())
	sa, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	db2, err := gorm.Open(pg.dialector(dsn), quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	pool(t, db2)
	sb, err := gormstore.New(db2, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sa.Close(); _ = sb.Close() })
	key, err := core.GenerateKey(core.AlgEdDSA)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := core.NewStaticKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(s core.Store) *core.Engine {
		e, err := core.New(core.Config{Store: s, Keys: ring, RevocationPollInterval: interval,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() }) // runs before the stores close
		return e
	}
	return mk(sa), mk(sb)
}

// TestRevocationLatencyAcrossInstances measures, for the default poll interval and a short
// one, the delay between RevokeSession on engine A and engine B refusing the access token.
// Each revocation happens at a random phase of B's poll cycle (a random wait of up to one
// interval), so the samples spread over the cycle instead of all landing just after a poll.
func TestRevocationLatencyAcrossInstances(t *testing.T) {
	n := 20
	if testing.Short() {
		n = 5
	}
	for _, interval := range []time.Duration{core.DefaultRevocationPollInterval, 250 * time.Millisecond} {
		t.Run(interval.String(), func(t *testing.T) {
			ctx := context.Background()
			a, b := twoInstances(t, interval)
			toks := make([]*core.Tokens, n)
			for i := range toks {
				tk, err := a.Issue(ctx, fmt.Sprintf("latency-%d", i), core.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := b.Verify(ctx, tk.AccessToken, core.VerifyOptions{}); err != nil {
					t.Fatalf("B refuses a live session: %v", err)
				}
				toks[i] = tk
			}
			delays := make([]time.Duration, n)
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i, tk := range toks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// A random phase of B's poll cycle (not a synchronisation: any value works).
					<-time.After(rand.N(interval))
					start := time.Now()
					if ok, err := a.RevokeSession(ctx, tk.Handle); !ok || err != nil {
						errs <- fmt.Errorf("RevokeSession = %v, %v", ok, err)
						return
					}
					// The revoking instance refuses at once: no waiting, no poll.
					if _, err := a.Verify(ctx, tk.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrUnauthorised) {
						errs <- fmt.Errorf("A still accepts the session it revoked: %v", err)
						return
					}
					deadline := start.Add(latencyDeadline)
					for {
						_, err := b.Verify(ctx, tk.AccessToken, core.VerifyOptions{})
						if errors.Is(err, core.ErrUnauthorised) {
							delays[i] = time.Since(start)
							return
						}
						if err != nil {
							errs <- fmt.Errorf("B.Verify: %v", err)
							return
						}
						if time.Now().After(deadline) {
							errs <- fmt.Errorf("B still accepts a session revoked on A %s ago (poll interval %s)", latencyDeadline, interval)
							return
						}
						<-time.After(time.Millisecond) // poll resolution of the measurement
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if t.Failed() {
				return
			}
			slices.Sort(delays)
			q := func(p float64) time.Duration { return delays[int(p*float64(len(delays)-1)+0.5)] }
			t.Logf("revocation latency A→B, poll interval %s, %d revocations: min %s, median %s, p90 %s, max %s",
				interval, n, delays[0].Round(time.Millisecond), q(0.5).Round(time.Millisecond),
				q(0.9).Round(time.Millisecond), delays[n-1].Round(time.Millisecond))
		})
	}
}

// BenchmarkVerifyRevocationSet is the per-request cost of the revocation feature on the
// stateless path: a warm (cached) Verify with the poller off, with the poller on and nothing
// revoked, and with the poller on and a few hundred revoked handles remembered.
func BenchmarkVerifyRevocationSet(b *testing.B) {
	for _, c := range []struct {
		name     string
		interval time.Duration
		revoked  int
	}{
		{"poll=off", -1, 0},
		{"poll=2s/revoked=0", 0, 0},
		{"poll=2s/revoked=500", 0, 500},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			a, e := twoInstances(b, c.interval)
			_ = a
			for i := range c.revoked {
				tk, err := e.Issue(ctx, fmt.Sprintf("revokee-%d", i), core.CreateOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.RevokeSession(ctx, tk.Handle); err != nil {
					b.Fatal(err)
				}
			}
			tk, err := e.Issue(ctx, "reader", core.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.Verify(ctx, tk.AccessToken, core.VerifyOptions{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.Verify(ctx, tk.AccessToken, core.VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
