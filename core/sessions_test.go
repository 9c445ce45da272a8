package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func TestAuthTimeSurvivesRefreshAndRequireRecentAuth(t *testing.T) {
	ctx := context.Background()
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e, err := core.New(core.Config{Store: memory.New(), Clock: clk, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	signedIn := clk.Now()
	tok, err := e.IssueTokens(ctx, "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	recent := core.VerifyOptions{Validators: []core.ClaimValidator{e.RequireRecentAuth(5 * time.Minute)}}
	if _, err := e.VerifyAccessToken(ctx, tok.AccessToken, recent); err != nil {
		t.Fatalf("fresh sign-in refused by RequireRecentAuth: %v", err)
	}
	clk.Advance(6 * time.Minute)
	tok, err = e.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.AuthTime().Equal(signedIn) {
		t.Errorf("auth_time moved on refresh: %v, want %v", s.AuthTime(), signedIn)
	}
	_, err = e.VerifyAccessToken(ctx, tok.AccessToken, recent)
	var re *core.Error
	if !errors.Is(err, core.ErrInvalidClaim) || !errors.As(err, &re) || re.Claims[0].ID != "auth_time" {
		t.Fatalf("6-minute-old sign-in passed RequireRecentAuth(5m): %v", err)
	}
	if err := s.MergePayload(ctx, map[string]any{"auth_time": 1}); !errors.Is(err, core.ErrProtectedClaim) {
		t.Errorf("auth_time must be protected: %v", err)
	}
}

func TestRevokeAllSessions(t *testing.T) {
	ctx := context.Background()
	e, err := core.New(core.Config{Store: memory.New(), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var toks []*core.Tokens
	for _, u := range []string{"a", "b", "c"} {
		tk, err := e.IssueTokens(ctx, u, core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tk)
	}
	if n, err := e.RevokeAllSessions(ctx); err != nil || n != 3 {
		t.Fatalf("RevokeAllSessions = %d, %v", n, err)
	}
	for _, tk := range toks {
		if _, err := e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrUnauthorised) {
			t.Errorf("refresh after RevokeAllSessions: %v", err)
		}
		if _, err := e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{CheckDatabase: true}); !errors.Is(err, core.ErrUnauthorised) {
			t.Errorf("strict verify after RevokeAllSessions: %v", err)
		}
	}
	if n, _ := e.RevokeAllSessions(ctx); n != 0 {
		t.Errorf("second RevokeAllSessions revoked %d", n)
	}
}
