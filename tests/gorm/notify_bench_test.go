package gormtest

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/stores/gorm/pglisten"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// BenchmarkRevocationNotifyCost is what the NOTIFY adds to a revocation on PostgreSQL:
//
//   - store-revoke: Store.Update with Revoke, as the engine calls it: the conditional UPDATE,
//     then SELECT pg_notify(…) (two round trips);
//   - update-only: the same UPDATE statement without the notification (what the store did
//     before, and still does on MySQL/MariaDB and SQLite);
//   - pg_notify-only: the notification statement alone.
//
// Run it with a fixed count, e.g. -benchtime 2000x.
//
// An engine with a pglisten listener runs on the channel throughout, as in production (a
// NOTIFY with listeners also signals their backends).
func BenchmarkRevocationNotifyCost(b *testing.B) {
	ctx := context.Background()
	db, dsn := postgresBackend(b).open(b, testdb.Quiet())
	s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	key, _ := core.GenerateKey(core.AlgEdDSA)
	ring, _ := core.NewStaticKeyRing(key)
	quiet := slog.New(slog.DiscardHandler)
	e, err := core.New(core.Config{Store: s, Keys: ring, Logger: quiet, RevocationPollInterval: noPoll,
		ChangeNotifier: pglisten.New(dsn, s.NotifyChannel(), pglisten.WithLogger(quiet))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })

	// stock holds live sessions to revoke; refill tops it up outside the timed calls.
	var stock []string
	refill := func() {
		if len(stock) >= 3 {
			return
		}
		now := time.Now().UTC()
		for range 500 {
			r := record("bench", now)
			mustCreate(b, s, r)
			stock = append(stock, r.Handle)
		}
	}
	fresh := func() string {
		h := stock[len(stock)-1]
		stock = stock[:len(stock)-1]
		return h
	}
	plain := db.Session(&gorm.Session{SkipDefaultTransaction: true}) // as the store runs its statements
	payload := "revoked:" + randHandle()
	ops := []struct {
		name string
		run  func(b *testing.B)
	}{
		{"store-revoke", func(b *testing.B) {
			if ok, err := s.Update(ctx, fresh(), core.Cond{}, core.Change{Revoke: true}); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}},
		{"update-only", func(b *testing.B) {
			res := plain.WithContext(ctx).Table(s.SessionsTable()).Where("handle = ? AND revoked = false", fresh()).
				Updates(map[string]any{"revoked": true, "revoked_at": time.Now().UTC(), "write_seq": gorm.Expr("write_seq + 1")})
			if res.Error != nil || res.RowsAffected != 1 {
				b.Fatal(res.Error, res.RowsAffected)
			}
		}},
		{"pg_notify-only", func(b *testing.B) {
			if err := plain.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", s.NotifyChannel(), payload).Error; err != nil {
				b.Fatal(err)
			}
		}},
	}
	// The three run in turn within every iteration, so that the machine's varying load hits
	// them alike; each is timed on its own and reported as a median (ns/op is their sum, plus
	// creating the sessions).
	times := make([][]time.Duration, len(ops))
	for b.Loop() {
		refill()
		for i, op := range ops {
			start := time.Now()
			op.run(b)
			times[i] = append(times[i], time.Since(start))
		}
	}
	med := make([]float64, len(ops))
	for i, op := range ops {
		slices.Sort(times[i])
		med[i] = float64(times[i][len(times[i])/2].Microseconds())
		b.ReportMetric(med[i], op.name+"-p50-µs")
	}
	b.ReportMetric(med[0]-med[1], "added-by-notify-p50-µs")
}
