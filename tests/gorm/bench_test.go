package gormtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// benchClients are the concurrency levels every benchmark runs at.
var benchClients = []int{1, 32}

// runClients runs b.N operations spread over the given number of concurrent clients and
// reports throughput and latency percentiles besides ns/op.
func runClients(b *testing.B, clients int, op func(client, i int) error) {
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(c, i); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
}

// BenchmarkStore measures, on each database, sign-in (Engine.IssueTokens: one INSERT), refresh
// (Engine.Refresh: SELECT by handle + one conditional UPDATE), revoke (Engine.RevokeSession:
// one conditional UPDATE) and list-by-user (Engine.ListSessions: one indexed SELECT), at 1 and
// 32 concurrent clients over a pool of 32 connections.
func BenchmarkStore(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s, db := newStore(b, be, gormstore.Options{})
			sqlDB, _ := db.DB()
			sqlDB.SetMaxOpenConns(32)
			sqlDB.SetMaxIdleConns(32)
			e, _ := newEngine(b, s)
			ctx := context.Background()
			// list: 200 users with 5 sessions each.
			for u := range 200 {
				for range 5 {
					if _, err := e.IssueTokens(ctx, fmt.Sprintf("lister-%d", u), core.CreateOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			}
			for _, clients := range benchClients {
				b.Run(fmt.Sprintf("create/clients=%d", clients), func(b *testing.B) {
					runClients(b, clients, func(_, i int) error {
						_, err := e.IssueTokens(ctx, fmt.Sprintf("creator-%d", i%1000), core.CreateOptions{IP: "192.0.2.1", UserAgent: "bench"})
						return err
					})
				})
				b.Run(fmt.Sprintf("refresh/clients=%d", clients), func(b *testing.B) {
					tokens := make([]string, clients)
					for c := range tokens {
						tk, err := e.IssueTokens(ctx, fmt.Sprintf("refresher-%d", c), core.CreateOptions{})
						if err != nil {
							b.Fatal(err)
						}
						tokens[c] = tk.RefreshToken
					}
					runClients(b, clients, func(c, _ int) error {
						tk, err := e.RefreshTokens(ctx, tokens[c], core.RefreshMeta{})
						if err == nil {
							tokens[c] = tk.RefreshToken
						}
						return err
					})
				})
				b.Run(fmt.Sprintf("revoke/clients=%d", clients), func(b *testing.B) {
					handles := make([]string, b.N)
					for i := range handles {
						r := record(fmt.Sprintf("revokee-%d", i%1000), epoch)
						if err := s.Create(ctx, r); err != nil {
							b.Fatal(err)
						}
						handles[i] = r.Handle
					}
					runClients(b, clients, func(_, i int) error {
						ok, err := e.RevokeSession(ctx, handles[i])
						if err == nil && !ok {
							err = fmt.Errorf("session %s was not revoked", handles[i])
						}
						return err
					})
				})
				b.Run(fmt.Sprintf("list/clients=%d", clients), func(b *testing.B) {
					runClients(b, clients, func(_, i int) error {
						l, err := e.ListSessions(ctx, fmt.Sprintf("lister-%d", i%200))
						if err == nil && len(l) != 5 {
							err = fmt.Errorf("listed %d sessions, want 5", len(l))
						}
						return err
					})
				})
			}
		})
	}
}
