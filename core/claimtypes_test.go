package core_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func TestClaimsFetchedAtSignInAndRefreshedWhenStale(t *testing.T) {
	ctx := context.Background()
	var roles atomic.Value
	roles.Store([]string{"reader"})
	var fetches atomic.Int32
	roleClaim := core.ArrayClaim("st-role", 10*time.Minute, func(context.Context, string) ([]string, error) {
		fetches.Add(1)
		return roles.Load().([]string), nil
	})
	verifiedEmail := core.BooleanClaim("st-ev", time.Hour, func(context.Context, string) (bool, error) { return true, nil })
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e, err := core.New(core.Config{Store: memory.New(), Clock: clk, Logger: discardLogger(),
		Claims: []*core.Claim{roleClaim, verifiedEmail}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.IssueTokens(ctx, "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin := core.VerifyOptions{Validators: []core.ClaimValidator{roleClaim.Includes("admin", 0)}}
	reader := core.VerifyOptions{Validators: []core.ClaimValidator{roleClaim.Includes("reader", 0), verifiedEmail.IsTrue(0)}}
	if _, err := e.VerifyAccessToken(ctx, tok.AccessToken, reader); err != nil {
		t.Fatalf("reader refused: %v", err)
	}
	if _, err := e.VerifyAccessToken(ctx, tok.AccessToken, admin); !errors.Is(err, core.ErrInvalidClaim) {
		t.Fatalf("non-admin accepted as admin: %v", err)
	}
	roles.Store([]string{"reader", "admin"})
	clk.Advance(5 * time.Minute)
	if tok, err = e.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
		t.Fatal(err)
	}
	if fetches.Load() != 1 {
		t.Fatalf("a fresh claim was re-fetched (%d fetches)", fetches.Load())
	}
	if _, err := e.VerifyAccessToken(ctx, tok.AccessToken, admin); err == nil {
		t.Fatal("role changed before MaxAge elapsed; the claim should still be cached")
	}
	clk.Advance(6 * time.Minute)
	if tok, err = e.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
		t.Fatal(err)
	}
	if fetches.Load() != 2 {
		t.Fatalf("stale claim not re-fetched (%d fetches)", fetches.Load())
	}
	s, err := e.VerifyAccessToken(ctx, tok.AccessToken, admin)
	if err != nil {
		t.Fatalf("admin refused after the claim was refreshed: %v", err)
	}
	if v, _, ok := roleClaim.Value(s); !ok || len(v.([]any)) != 2 {
		t.Errorf("claim value = %v", v)
	}
	// A validator with its own max age rejects a value older than it.
	clk.Advance(3 * time.Minute)
	if _, err := e.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{Validators: []core.ClaimValidator{roleClaim.Includes("admin", time.Minute)}}); !errors.Is(err, core.ErrInvalidClaim) {
		t.Fatalf("3-minute-old value passed a 1-minute max age: %v", err)
	}
}

func TestClaimFetchFailureKeepsSessionAlive(t *testing.T) {
	ctx := context.Background()
	var fail atomic.Bool
	c := core.PrimitiveClaim("plan", time.Minute, func(context.Context, string) (any, error) {
		if fail.Load() {
			return nil, errors.New("billing service down")
		}
		return "pro", nil
	})
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e, _ := core.New(core.Config{Store: memory.New(), Clock: clk, Logger: discardLogger(), Claims: []*core.Claim{c}})
	tok, err := e.IssueTokens(ctx, "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	clk.Advance(2 * time.Minute)
	tok, err = e.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{})
	if err != nil {
		t.Fatalf("a claim source outage broke refresh: %v", err)
	}
	if _, err := e.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{Validators: []core.ClaimValidator{c.HasValue("pro", 0)}}); err != nil {
		t.Fatalf("old value lost: %v", err)
	}
	if _, err := e.IssueTokens(ctx, "u2", core.CreateOptions{}); err == nil {
		t.Fatal("sign-in succeeded without its claims")
	}
}

func TestClaimConfigValidation(t *testing.T) {
	fetch := func(context.Context, string) (any, error) { return 1, nil }
	for name, cl := range map[string][]*core.Claim{
		"protected": {core.PrimitiveClaim("sub", 0, fetch)},
		"no fetch":  {{Key: "x"}},
		"duplicate": {core.PrimitiveClaim("x", 0, fetch), core.PrimitiveClaim("x", 0, fetch)},
	} {
		if _, err := core.New(core.Config{Store: memory.New(), Claims: cl}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestInvalidClaimWireFormat(t *testing.T) {
	c := core.BooleanClaim("st-ev", time.Hour, func(context.Context, string) (bool, error) { return false, nil })
	e, _ := core.New(core.Config{Store: memory.New(), Logger: discardLogger(), Claims: []*core.Claim{c}})
	tok, err := e.IssueTokens(context.Background(), "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := httpratchet.New(e)
	h := a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{c.IsTrue(0)}})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("handler ran despite a failed claim")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := `{"claimValidationErrors":[{"id":"st-ev","reason":{"actualValue":false,"expectedValue":true,"message":"wrong value"}}],"message":"invalid claim"}`
	if res.StatusCode != 403 || string(body) != want {
		t.Fatalf("got %d %s\nwant 403 %s", res.StatusCode, body, want)
	}
}
