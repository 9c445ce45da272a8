package gormtest

// Revocation latency across instances, measured (issue 7, docs/BENCHMARKS.md "Revocation
// latency across instances"): two engines, each with its own store and connection pool on one
// PostgreSQL schema, the real background poller on the system clock. A session is revoked on
// engine A; engine B's stateless Verify is polled until it refuses the session's access token.
//
// The push variant (issue "Fleet-grade", item 4) gives each engine a pglisten listener and
// sets the poll to an hour, so that only the NOTIFY sent after the revocation explains B's
// refusal; TestKeyRevocationLatencyPush does the same for a revoked signing key.
//
// This is a measurement, not a timing assertion: the test fails only if B still accepts the
// token after a generous deadline (10 s), or if A accepts it after revoking it. The measured
// delays are reported with t.Logf. RATCHET_LATENCY_N sets the number of revocations per case
// (default 200 for the push, 20 for the polls; -short: 20 and 5).

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
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
// would have) and an engine on each with a shared key ring and the given poll interval
// (newPair in notify_test.go).
func twoInstances(t testing.TB, interval time.Duration) (a, b *core.Engine) {
	t.Helper()
	p := newPair(t, pairOpts{poll: interval})
	return p.a.engine, p.b.engine
}

// latencyN is the number of revocations per case: RATCHET_LATENCY_N, else def.
func latencyN(t testing.TB, def, short int) int {
	if v := os.Getenv("RATCHET_LATENCY_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("RATCHET_LATENCY_N=%q", v)
		}
		return n
	}
	if testing.Short() {
		return short
	}
	return def
}

// quantiles reports a sorted sample's distribution.
func quantiles(d []time.Duration) string {
	d = slices.Clone(d)
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1)+0.5)].Round(100 * time.Microsecond) }
	return fmt.Sprintf("min %s, p50 %s, p90 %s, p99 %s, max %s", q(0), q(0.5), q(0.9), q(0.99), q(1))
}

// TestRevocationLatencyAcrossInstances measures the delay between RevokeSession on engine A
// and engine B refusing the access token: with the push (pglisten; the poll set to an hour),
// and with the default poll interval and a short one. Each revocation starts after a random
// wait (up to one poll interval, or n × 50 ms, whichever is longer), so the samples spread
// over B's poll cycle instead of all landing just after a poll, and the push is measured at
// about 20 revocations a second rather than in one burst.
func TestRevocationLatencyAcrossInstances(t *testing.T) {
	for _, c := range []struct {
		name     string
		interval time.Duration
		push     bool
		n        int
		backend  string
	}{
		{"push", noPoll, true, latencyN(t, 200, 20), ""},
		{core.DefaultRevocationPollInterval.String(), core.DefaultRevocationPollInterval, false, latencyN(t, 20, 5), ""},
		{"250ms", 250 * time.Millisecond, false, latencyN(t, 20, 5), ""},
		// Where there is no push, the poll bounds the delay: MariaDB and SQLite.
		{"mysql/" + core.DefaultRevocationPollInterval.String(), core.DefaultRevocationPollInterval, false, latencyN(t, 20, 5), "mysql"},
		{"sqlite/" + core.DefaultRevocationPollInterval.String(), core.DefaultRevocationPollInterval, false, latencyN(t, 20, 5), "sqlite"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			p := newPair(t, pairOpts{poll: c.interval, push: c.push, backend: c.backend})
			a, b := p.a.engine, p.b.engine
			n, interval := c.n, c.interval
			window := time.Duration(n) * 50 * time.Millisecond
			if !c.push {
				window = max(window, interval)
			}
			toks := make([]*core.Tokens, n)
			for i := range toks {
				tk, err := a.IssueTokens(ctx, fmt.Sprintf("latency-%d", i), core.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := b.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); err != nil {
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
					<-time.After(rand.N(window))
					start := time.Now()
					if ok, err := a.RevokeSession(ctx, tk.Handle); !ok || err != nil {
						errs <- fmt.Errorf("RevokeSession = %v, %v", ok, err)
						return
					}
					// The revoking instance refuses at once: no waiting, no poll.
					if _, err := a.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrUnauthorised) {
						errs <- fmt.Errorf("A still accepts the session it revoked: %v", err)
						return
					}
					deadline := start.Add(latencyDeadline)
					for {
						_, err := b.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{})
						if errors.Is(err, core.ErrUnauthorised) {
							delays[i] = time.Since(start)
							return
						}
						if err != nil {
							errs <- fmt.Errorf("B.Verify: %v", err)
							return
						}
						if time.Now().After(deadline) {
							errs <- fmt.Errorf("B still accepts a session revoked on A %s ago (%s)", latencyDeadline, c.name)
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
			how := "poll interval " + interval.String()
			if c.push {
				how = "push (LISTEN/NOTIFY; poll interval " + interval.String() + ")"
			}
			t.Logf("revocation latency A→B (%s), %s, %d revocations: %s", c.name, how, n, quantiles(delays))
		})
	}
}

// TestKeyRevocationLatencyPush measures the delay between RevokeKey on instance A's key ring
// and instance B both refusing a token signed with the key and signing with another one,
// with the push on and B's ring never reloading by itself. The revocations run one after
// another (each creates a replacement key).
func TestKeyRevocationLatencyPush(t *testing.T) {
	ctx := context.Background()
	n := latencyN(t, 20, 5)
	p := newPair(t, pairOpts{poll: noPoll, push: true, storeRing: true})
	delays := make([]time.Duration, 0, n)
	for i := range n {
		tk, err := p.b.engine.IssueTokens(ctx, fmt.Sprintf("key-latency-%d", i), core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		kid := tokenKid(t, tk.AccessToken)
		mustVerify(t, p.b.engine, tk.AccessToken)
		start := time.Now()
		if err := p.a.ring.RevokeKey(ctx, kid); err != nil {
			t.Fatal(err)
		}
		deadline := start.Add(latencyDeadline)
		for {
			_, verr := p.b.engine.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{})
			sk, serr := p.b.ring.SigningKey()
			if verr != nil && serr == nil && sk.ID != kid {
				delays = append(delays, time.Since(start))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("B still uses key %s revoked on A %s ago (verify: %v)", kid, latencyDeadline, verr)
			}
			<-time.After(time.Millisecond)
		}
	}
	t.Logf("key revocation latency A→B, push (LISTEN/NOTIFY; no ring reload), %d revocations: %s", n, quantiles(delays))
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
				tk, err := e.IssueTokens(ctx, fmt.Sprintf("revokee-%d", i), core.CreateOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.RevokeSession(ctx, tk.Handle); err != nil {
					b.Fatal(err)
				}
			}
			tk, err := e.IssueTokens(ctx, "reader", core.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
