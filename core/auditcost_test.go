package core_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/httpio"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// The audit log's cost (docs/BENCHMARKS.md, "Audit log"): each benchmark runs with the audit
// writer off, on with a sink that accepts and forgets every batch (the engine's own cost:
// building, queueing and handing over the events), and on with the memory store keeping
// every event (the engine's cost plus that store's, and the garbage collector's work on a
// heap that keeps growing).

// discardAudit is a memory store whose audit log accepts every batch and keeps nothing.
type discardAudit struct{ *memory.Store }

func (discardAudit) AppendEvents(context.Context, []core.AuditEvent) error { return nil }

const (
	auditOff     = "audit=off"
	auditDiscard = "audit=discard"
	auditMemory  = "audit=memory"
)

func auditCostEngine(tb testing.TB, mode string) *core.Engine {
	tb.Helper()
	var store core.Store = memory.New()
	if mode == auditDiscard {
		store = discardAudit{memory.New()}
	}
	e, err := core.New(core.Config{Store: store, Logger: slog.New(slog.DiscardHandler), Audit: core.AuditConfig{Disable: mode == auditOff},
		Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
			return &core.Identity{UserID: "user-1"}, nil
		}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	return e
}

func auditModes(b *testing.B, run func(b *testing.B, e *core.Engine)) {
	for _, mode := range []string{auditOff, auditDiscard, auditMemory} {
		b.Run(mode, func(b *testing.B) { run(b, auditCostEngine(b, mode)) })
	}
}

// BenchmarkAuditCost compares the warm verify, the sign-in route and a refresh with the audit
// writer off and on.
func BenchmarkAuditCost(b *testing.B) {
	ctx := context.Background()
	b.Run("verify_warm", func(b *testing.B) {
		auditModes(b, func(b *testing.B, e *core.Engine) {
			t, err := e.IssueTokens(ctx, "user-1", core.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := e.VerifyAccessToken(ctx, t.AccessToken, core.VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("signin_route", func(b *testing.B) {
		auditModes(b, func(b *testing.B, e *core.Engine) {
			b.ReportAllocs()
			for range b.N {
				if status := signInRoute(e); status != 200 {
					b.Fatal(status)
				}
			}
		})
	})
	b.Run("refresh", func(b *testing.B) {
		auditModes(b, func(b *testing.B, e *core.Engine) {
			t, err := e.IssueTokens(ctx, "user-1", core.CreateOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if t, err = e.RefreshTokens(ctx, t.RefreshToken, core.RefreshMeta{IP: "203.0.113.9"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// signInRoute serves one POST /auth/signin (header mode) and returns the status.
func signInRoute(e *core.Engine) int {
	req := httptest.NewRequest("POST", "/auth/signin", strings.NewReader(`{"email":"a@example.com","password":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeAuth(context.Background(), httpio.Request(req), httpio.Response(rec))
	return rec.Code
}

// TestAuditAddsNoAllocationToWarmVerify: verifying a cached token emits no event, so the audit
// writer costs it nothing (allocation counts are exact, unlike times).
func TestAuditAddsNoAllocationToWarmVerify(t *testing.T) {
	ctx := context.Background()
	var allocs [2]float64
	for i, on := range []bool{false, true} {
		mode := auditOff
		if on {
			mode = auditMemory
		}
		e := auditCostEngine(t, mode)
		tok, err := e.IssueTokens(ctx, "user-1", core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if status := signInRoute(e); status != 200 { // an event, so the writer has worked
			t.Fatal(status)
		}
		for deadline := time.Now().Add(10 * time.Second); on && e.AuditStats().Written == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if on && e.AuditStats().Written == 0 {
			t.Fatal("the audit writer wrote nothing")
		}
		allocs[i] = testing.AllocsPerRun(200, func() {
			if _, err := e.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if allocs[1] != allocs[0] {
		t.Fatalf("warm verify allocates %v times with the audit log and %v without; want the same", allocs[1], allocs[0])
	}
}
