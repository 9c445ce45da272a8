package core_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// faultyStore fails Get, or revoking one handle, on demand, in front of a real memory store.
type faultyStore struct {
	core.Store
	failGet    atomic.Bool
	failRevoke atomic.Value // handle whose revocation fails
}

var errInjected = errors.New("injected store fault")

func (s *faultyStore) Get(ctx context.Context, h string) (*core.Record, error) {
	if s.failGet.Load() {
		return nil, errInjected
	}
	return s.Store.Get(ctx, h)
}

func (s *faultyStore) Update(ctx context.Context, h string, c core.Cond, ch core.Change) (bool, error) {
	if ch.Revoke && s.failRevoke.Load() == h {
		return false, errInjected
	}
	return s.Store.Update(ctx, h, c, ch)
}

// A sign-in that carries an earlier session's tokens (fixation) and meets a store error ends
// in the old state or the new one, never in between: no skipped revoke, and never a revoked
// session without a new one.
func TestSignInFailsClosedOnStoreErrors(t *testing.T) {
	for _, fault := range []string{"genuineness check", "revoke"} {
		t.Run(fault, func(t *testing.T) {
			store := &faultyStore{Store: memory.New()}
			e, err := core.New(core.Config{Store: store, Logger: discardLogger(), Cookies: core.CookieConfig{Insecure: true},
				Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
					return &core.Identity{UserID: r.Email}, nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(httpratchet.New(e).Handler())
			defer srv.Close()
			signIn := func(refreshCookie string) *http.Response {
				req, _ := http.NewRequest("POST", srv.URL+"/auth/signin", strings.NewReader(`{"email":"u1","password":"x"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("st-auth-mode", "cookie")
				if refreshCookie != "" {
					req.Header.Set("Cookie", "sRefreshToken="+refreshCookie)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res
			}
			first := signIn("")
			var old string
			for _, c := range first.Cookies() {
				if c.Name == "sRefreshToken" {
					old = c.Value
				}
			}
			if first.StatusCode != 200 || old == "" {
				t.Fatalf("first sign-in: %d", first.StatusCode)
			}
			if fault == "revoke" {
				store.failRevoke.Store(old[:22]) // the first session's handle
			} else {
				store.failGet.Store(true)
			}
			res := signIn(old) // a sign-in presenting the first session's refresh token
			store.failGet.Store(false)
			store.failRevoke.Store("")
			if res.StatusCode != 503 {
				t.Fatalf("sign-in while the %s fails: %d, want 503", fault, res.StatusCode)
			}
			if len(res.Cookies()) != 0 || res.Header.Get("front-token") != "" {
				t.Errorf("the failed sign-in handed out tokens: %v", res.Header)
			}
			live, err := store.ListByUser(context.Background(), "u1", e.Config().Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(live) != 1 {
				t.Fatalf("%d live sessions after the failed sign-in; want only the first one (old state)", len(live))
			}
			if _, err := e.RefreshTokens(context.Background(), old, core.RefreshMeta{}); err != nil {
				t.Fatalf("the first session no longer refreshes after the failed sign-in: %v", err)
			}
		})
	}
}

// The public API never shares the engine's internals (issue: e.Config().AllowedOrigins[0] =
// "https://evil.example" made that origin allowed).
func TestPublicAPIReturnsCopies(t *testing.T) {
	ctx := context.Background()
	e, err := core.New(core.Config{Store: memory.New(), Logger: discardLogger(), AllowedOrigins: []string{"https://app.example"},
		TrustedProxies: []string{"10.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Config()
	cfg.AllowedOrigins[0] = "https://evil.example"
	cfg.TrustedProxies[0] = "0.0.0.0/0"
	if e.OriginAllowed("https://evil.example") || !e.OriginAllowed("https://app.example") {
		t.Fatal("changing the slice returned by Config changed the engine's allowed origins")
	}
	if got := e.Config().TrustedProxies[0]; got != "10.0.0.1" {
		t.Fatalf("Config().TrustedProxies[0] = %q after changing a copy", got)
	}

	tk, err := e.IssueTokens(ctx, "u1", core.CreateOptions{Payload: map[string]any{"roles": []any{"user"}, "org": map[string]any{"id": "o1"}}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.MergePayload(ctx, tk.Handle, map[string]any{"plan": "pro"})
	if err != nil || info.Handle != tk.Handle || info.Payload["plan"] != "pro" {
		t.Fatalf("MergePayload = %+v, %v", info, err)
	}
	// The verified claims are cached and shared by every request with the same token:
	// nothing a handler does to what it reads may change what the next request sees.
	s, err := e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Claim("roles").([]any)[0] = "admin"
	s.Payload()["org"].(map[string]any)["id"] = "o2"
	s.Payload()["roles"].([]any)[0] = "admin"
	again, err := e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Claim("roles").([]any)[0] != "user" || again.Claim("org").(map[string]any)["id"] != "o1" {
		t.Fatalf("a handler's change to the claims it read leaked into the cache: roles %v org %v",
			again.Claim("roles"), again.Claim("org"))
	}
}
