package core_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"log/slog"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func benchEngine(b *testing.B) *core.Engine {
	b.Helper()
	e, err := core.New(core.Config{Store: memory.New(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

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
