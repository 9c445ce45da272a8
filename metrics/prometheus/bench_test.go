package promratchet_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratchetauth/ratchet/core"
	promratchet "github.com/ratchetauth/ratchet/metrics/prometheus"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// BenchmarkRefresh is a refresh-token rotation (RefreshTokens over the memory store: the
// one-statement rotation, a refresh event, new tokens) without an observer and with the
// Prometheus one. The difference is what the observer costs per refresh: two timed
// operations (refresh, store.rotate) and one event.
func BenchmarkRefresh(b *testing.B) {
	for _, bc := range []struct {
		name     string
		observer func(b *testing.B) core.Observer
	}{
		{"observer=off", func(*testing.B) core.Observer { return nil }},
		{"observer=prometheus", func(b *testing.B) core.Observer {
			m, err := promratchet.New(promratchet.Options{Registerer: prometheus.NewRegistry()})
			if err != nil {
				b.Fatal(err)
			}
			return m
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := core.Config{Store: memory.New(), AllowedOrigins: []string{"http://app.example"}, Authenticate: authenticate,
				Logger: quietLogger(), Audit: core.AuditConfig{Disable: true}}
			if o := bc.observer(b); o != nil {
				cfg.Observer = o
			}
			e, err := core.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			ctx := context.Background()
			tok, err := e.IssueTokens(ctx, userID, core.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if tok, err = e.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkObserverPerRefresh is the observer's own work for one refresh, without the
// refresh: the refresh operation holding the one-statement rotation, and the refresh event. BenchmarkRefresh's difference is this, lost in the noise of the signature.
func BenchmarkObserverPerRefresh(b *testing.B) {
	m, err := promratchet.New(promratchet.Options{Registerer: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ev := core.SecurityEvent{Type: core.EventRefresh, UserID: userID}
	b.ReportAllocs()
	for range b.N {
		ctx, end := m.StartOp(ctx, core.OpRefresh)
		_, endRotate := m.StartOp(ctx, core.OpStoreRotate)
		endRotate(nil)
		m.Event(ctx, ev)
		end(nil)
	}
}
