package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func TestSessionLimitEvictsOldest(t *testing.T) {
	ctx := context.Background()
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	var evicted []string
	e, _ := core.New(core.Config{Store: memory.New(), Clock: clk, Logger: discardLogger(), MaxSessionsPerUser: 3,
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			if ev.Type == core.EventRevoked {
				evicted = append(evicted, ev.Handle)
			}
		}})
	var toks []*core.Tokens
	for range 5 {
		tk, err := e.IssueTokens(ctx, "u1", core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tk)
		clk.Advance(time.Second)
	}
	list, _ := e.ListSessions(ctx, "u1")
	if len(list) != 3 {
		t.Fatalf("%d live sessions, want 3", len(list))
	}
	if len(evicted) != 2 || evicted[0] != toks[0].Handle || evicted[1] != toks[1].Handle {
		t.Fatalf("evicted %v, want the two oldest", evicted)
	}
	if _, err := e.RefreshTokens(ctx, toks[0].RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Errorf("evicted session still refreshes: %v", err)
	}
	if _, err := e.RefreshTokens(ctx, toks[4].RefreshToken, core.RefreshMeta{}); err != nil {
		t.Errorf("newest session broken: %v", err)
	}
	if _, err := e.IssueTokens(ctx, "u2", core.CreateOptions{}); err != nil {
		t.Errorf("another user affected: %v", err)
	}
}

func TestSessionLimitRefuses(t *testing.T) {
	ctx := context.Background()
	e, _ := core.New(core.Config{Store: memory.New(), Logger: discardLogger(), MaxSessionsPerUser: 2, SessionLimit: core.RefuseNew})
	for range 2 {
		if _, err := e.IssueTokens(ctx, "u1", core.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.IssueTokens(ctx, "u1", core.CreateOptions{}); !errors.Is(err, core.ErrSessionLimit) {
		t.Fatalf("third session: %v, want ErrSessionLimit", err)
	}
	if list, _ := e.ListSessions(ctx, "u1"); len(list) != 2 {
		t.Fatalf("%d sessions", len(list))
	}
}

func TestRefreshAnomalyPolicy(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		action  core.AnomalyAction
		wantErr bool
		event   bool
	}{{core.AnomalyAllow, false, false}, {core.AnomalyLog, false, true}, {core.AnomalyRevoke, true, false}} {
		var seen []core.Anomaly
		var events int
		e, _ := core.New(core.Config{Store: memory.New(), Logger: discardLogger(),
			RefreshAnomaly: func(_ context.Context, a core.Anomaly) core.AnomalyAction { seen = append(seen, a); return tc.action },
			OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
				if ev.Type == core.EventAnomaly {
					events++
				}
			}})
		tk, _ := e.IssueTokens(ctx, "u1", core.CreateOptions{IP: "192.0.2.1", UserAgent: "A"})
		tk, err := e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{IP: "192.0.2.1", UserAgent: "A"})
		if err != nil || len(seen) != 0 {
			t.Fatalf("same client: err=%v, hook called %d times", err, len(seen))
		}
		_, err = e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{IP: "198.51.100.9", UserAgent: "B"})
		if (err != nil) != tc.wantErr || (events > 0) != tc.event || len(seen) != 1 || seen[0].SignInIP != "192.0.2.1" || seen[0].IP != "198.51.100.9" {
			t.Fatalf("action %d: err=%v events=%d seen=%+v", tc.action, err, events, seen)
		}
		if tc.wantErr {
			if !errors.Is(err, core.ErrUnauthorised) {
				t.Fatalf("revoke verdict gave %v", err)
			}
			if _, err := e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{CheckDatabase: true}); !errors.Is(err, core.ErrUnauthorised) {
				t.Fatalf("session not revoked: %v", err)
			}
		}
	}
}

func TestLifetimePolicyPerSession(t *testing.T) {
	ctx := context.Background()
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e, _ := core.New(core.Config{Store: memory.New(), Clock: clk, Logger: discardLogger(),
		LifetimePolicy: func(_ context.Context, userID string, payload map[string]any) (core.Lifetime, error) {
			if payload["role"] == "admin" {
				return core.Lifetime{Idle: time.Hour, Absolute: 8 * time.Hour}, nil
			}
			return core.Lifetime{}, nil
		}})
	admin, err := e.IssueTokens(ctx, "root", core.CreateOptions{Payload: map[string]any{"role": "admin"}})
	if err != nil {
		t.Fatal(err)
	}
	user, err := e.IssueTokens(ctx, "joe", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := e.SessionInfo(ctx, admin.Handle)
	if !info.ExpiresAt.Equal(clk.Now().Add(time.Hour)) || !info.AbsoluteExpiresAt.Equal(clk.Now().Add(8*time.Hour)) {
		t.Fatalf("admin lifetimes: idle %v, absolute %v", info.ExpiresAt, info.AbsoluteExpiresAt)
	}
	if !admin.RefreshExpiry.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("refresh cookie expiry %v outlives the idle timeout", admin.RefreshExpiry)
	}
	// Keep the admin active every 50 minutes: the absolute lifetime still ends it at 8 h.
	for i := 0; ; i++ {
		clk.Advance(50 * time.Minute)
		admin, err = e.RefreshTokens(ctx, admin.RefreshToken, core.RefreshMeta{})
		if err != nil {
			if !errors.Is(err, core.ErrUnauthorised) || i < 9 {
				t.Fatalf("refresh %d (at +%d min): %v", i, (i+1)*50, err)
			}
			break
		}
		if admin.RefreshExpiry.After(info.AbsoluteExpiresAt) {
			t.Fatalf("refresh pushed expiry past the absolute lifetime")
		}
	}
	// The ordinary user keeps the defaults.
	uinfo, _ := e.SessionInfo(ctx, user.Handle)
	if !uinfo.AbsoluteExpiresAt.Equal(uinfo.CreatedAt.Add(core.DefaultAbsoluteTTL)) {
		t.Errorf("default user absolute expiry = %v", uinfo.AbsoluteExpiresAt)
	}
	bad, _ := core.New(core.Config{Store: memory.New(), Logger: discardLogger(),
		LifetimePolicy: func(context.Context, string, map[string]any) (core.Lifetime, error) {
			return core.Lifetime{Idle: time.Minute}, nil // shorter than the access token
		}})
	if _, err := bad.IssueTokens(ctx, "x", core.CreateOptions{}); err == nil {
		t.Error("an idle timeout shorter than the access-token lifetime was accepted")
	}
}
