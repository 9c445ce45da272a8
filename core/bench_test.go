package core_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func benchEngine(b *testing.B) *core.Engine { return benchEngineWith(b, core.Config{}) }

// BenchmarkCreateSession: a new session (row + root refresh token + signed access token).
func BenchmarkCreateSession(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	b.ReportAllocs()
	for range b.N {
		if _, err := e.IssueTokens(ctx, "user-1", core.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshSession: one rotation per iteration, each from the previous child.
func BenchmarkRefreshSession(b *testing.B) {
	e := benchEngine(b)
	ctx := context.Background()
	t, err := e.IssueTokens(ctx, "user-1", core.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if t, err = e.RefreshTokens(ctx, t.RefreshToken, core.RefreshMeta{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRevokeSession: revoking a live session. The rows are inserted straight into the
// store (no token signing) so that setup stays cheap even for large b.N.
func BenchmarkRevokeSession(b *testing.B) {
	store := memory.New()
	e, err := core.New(core.Config{Store: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	handles := make([]string, b.N)
	now := time.Now()
	for i := range handles {
		h := base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(make([]byte, 8), uint64(i)))
		h = (h + "AAAAAAAAAAAAAAAAAAAAAA")[:22]
		if err := store.Create(ctx, &core.Record{Handle: h, UserID: "user-1", CreatedAt: now,
			ExpiresAt: now.Add(time.Hour), Version: 1}); err != nil {
			b.Fatal(err)
		}
		handles[i] = h
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, h := range handles {
		if ok, err := e.RevokeSession(ctx, h); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkSessionFloor puts IssueTokens and RefreshTokens (memory store) beside their floor,
// in one run: one bare Ed25519 signature of a signing input of the same size, plus the
// hashing and randomness the operation cannot avoid (issue: 80 random bytes, the tag's HMAC,
// H1 and H2 of the token; refresh: three HMACs (the tag check, the child and its tag), H2 of
// the presented token, H1 and H2 of the child). "ratchet" is the default configuration (the
// audit log on, written by its background goroutine); "ratchet-audit-off" disables it.
// "interleaved" alternates the floor and ratchet's default call by call and reports their
// ratio, the figure to read on a machine that is not quiet. docs/BENCHMARKS.md gives the
// figures and the target (1.3x the floor).
func BenchmarkSessionFloor(b *testing.B) {
	ctx := context.Background()
	engines := map[string]*core.Engine{
		"ratchet":           benchEngine(b),
		"ratchet-audit-off": benchEngineWith(b, core.Config{Audit: core.AuditConfig{Disable: true}}),
	}
	sample, err := engines["ratchet"].IssueTokens(ctx, "user-1", core.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(sample.AccessToken[:strings.LastIndexByte(sample.AccessToken, '.')])
	_, priv, _ := ed25519.GenerateKey(nil)
	secret := make([]byte, 32)
	hmacOf := func(parts ...[]byte) []byte {
		m := hmac.New(sha256.New, secret)
		for _, p := range parts {
			m.Write(p)
		}
		return m.Sum(nil)
	}
	hashes := func(token string) {
		h1 := sha256.Sum256([]byte(token))
		_ = sha256.Sum256([]byte(hex.EncodeToString(h1[:])))
	}
	random := make([]byte, 80)
	floor := map[string]func(){
		"issue": func() {
			_, _ = rand.Read(random)
			_ = hmacOf([]byte("rt-tag"), random[:16], random[48:])
			hashes(sample.RefreshToken)
			_ = ed25519.Sign(priv, input)
		},
		"refresh": func() {
			body := hmacOf([]byte("rt-next"), secret)
			_ = hmacOf([]byte("rt-tag"), body)
			_ = hmacOf([]byte("rt-tag"), body)
			hashes(sample.RefreshToken)
			hashes(sample.RefreshToken)
			_ = ed25519.Sign(priv, input)
		},
	}
	// ours returns op over e: an issue, or the next rotation of one session's lineage.
	ours := func(b *testing.B, e *core.Engine, op string) func() {
		if op == "issue" {
			return func() {
				if _, err := e.IssueTokens(ctx, "user-1", core.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		}
		t, err := e.IssueTokens(ctx, "user-1", core.CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return func() {
			if t, err = e.RefreshTokens(ctx, t.RefreshToken, core.RefreshMeta{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, op := range []string{"issue", "refresh"} {
		b.Run(op+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				floor[op]()
			}
		})
		for _, name := range []string{"ratchet", "ratchet-audit-off"} {
			b.Run(op+"/"+name, func(b *testing.B) {
				run := ours(b, engines[name], op)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					run()
				}
			})
		}
		b.Run(op+"/interleaved", func(b *testing.B) {
			run := ours(b, engines["ratchet"], op)
			b.ResetTimer()
			interleave(b, floor[op], run)
		})
	}
}

func benchEngineWith(b *testing.B, cfg core.Config) *core.Engine {
	b.Helper()
	cfg.Store, cfg.Logger = memory.New(), slog.New(slog.DiscardHandler)
	e, err := core.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })
	return e
}

// interleave runs bare and ours b.N times each, alternating which goes first, and reports
// each one's time per call and their ratio: both see the same load, so the ratio holds on a
// machine that is not quiet where rows measured seconds apart do not.
func interleave(b *testing.B, bare, ours func()) {
	var tb, to time.Duration
	for i := range b.N {
		t0 := time.Now()
		if i%2 == 0 {
			bare()
		}
		t1 := time.Now()
		ours()
		t2 := time.Now()
		if i%2 == 1 {
			bare()
		}
		t3 := time.Now()
		tb += t1.Sub(t0) + t3.Sub(t2)
		to += t2.Sub(t1)
	}
	b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(to.Nanoseconds())/float64(b.N), "ratchet-ns/op")
	b.ReportMetric(float64(to)/float64(tb), "ratchet/bare")
}
