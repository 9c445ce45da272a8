package core_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

type limitServer struct {
	srv *httptest.Server
	clk *core.FakeClock
	e   *core.Engine
}

func newLimitServer(t *testing.T, cfg core.Config) *limitServer {
	t.Helper()
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg.Store, cfg.Clock, cfg.Cookies.Insecure = memory.New(), clk, true
	cfg.Logger = discardLogger()
	cfg.Authenticate = func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
		if r.Password != "right" {
			return nil, core.ErrWrongCredentials
		}
		return &core.Identity{UserID: r.Email}, nil
	}
	e, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpratchet.New(e).Handler())
	t.Cleanup(srv.Close)
	return &limitServer{srv: srv, clk: clk, e: e}
}

func (s *limitServer) post(t *testing.T, path, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

func (s *limitServer) signIn(t *testing.T, email, pw string, hdr map[string]string) (*http.Response, string) {
	return s.post(t, "/auth/signin", fmt.Sprintf(`{"email":%q,"password":%q}`, email, pw), hdr)
}

func TestSignInThrottledPerAccount(t *testing.T) {
	s := newLimitServer(t, core.Config{})
	for i := range 10 {
		if res, body := s.signIn(t, "alice", "wrong", nil); res.StatusCode != 200 || !strings.Contains(body, "WRONG_CREDENTIALS") {
			t.Fatalf("attempt %d: %d %s", i, res.StatusCode, body)
		}
	}
	res, body := s.signIn(t, "ALICE ", "right", nil)
	if res.StatusCode != 429 || body != `{"message":"too many requests"}` {
		t.Fatalf("11th attempt: %d %s, want 429", res.StatusCode, body)
	}
	ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 15*60 {
		t.Fatalf("Retry-After = %q", res.Header.Get("Retry-After"))
	}
	if res.Header.Get("st-access-token") != "" {
		t.Fatal("tokens issued while throttled")
	}
	if res, _ := s.signIn(t, "bob", "right", nil); res.StatusCode != 200 || res.Header.Get("st-access-token") == "" {
		t.Fatalf("another account is blocked too: %d", res.StatusCode)
	}
	s.clk.Advance(15 * time.Minute)
	if res, _ := s.signIn(t, "alice", "right", nil); res.StatusCode != 200 || res.Header.Get("st-access-token") == "" {
		t.Fatalf("still blocked after the window: %d", res.StatusCode)
	}
}

func TestSuccessfulSignInsAreNotThrottled(t *testing.T) {
	s := newLimitServer(t, core.Config{})
	for i := range 120 {
		if res, _ := s.signIn(t, "alice", "right", nil); res.StatusCode != 200 {
			t.Fatalf("sign-in %d: %d", i, res.StatusCode)
		}
	}
}

func TestSignInThrottledPerIP(t *testing.T) {
	s := newLimitServer(t, core.Config{})
	for i := range 30 {
		s.signIn(t, fmt.Sprintf("user%d", i), "wrong", nil)
	}
	if res, _ := s.signIn(t, "fresh", "right", nil); res.StatusCode != 429 {
		t.Fatalf("31st failure from one IP: %d, want 429", res.StatusCode)
	}
}

func TestRefreshGuessingThrottledAndXFFIgnoredFromUntrustedPeer(t *testing.T) {
	s := newLimitServer(t, core.Config{})
	good, _ := s.signIn(t, "alice", "right", nil)
	rt := good.Header.Get("st-refresh-token")
	for i := range 60 {
		// A rotating X-Forwarded-For from an untrusted peer must not reset the counter.
		hdr := map[string]string{"Authorization": "Bearer " + guessToken(i), "X-Forwarded-For": fmt.Sprintf("10.0.0.%d", i)}
		if res, _ := s.post(t, "/auth/session/refresh", "", hdr); res.StatusCode != 401 {
			t.Fatalf("guess %d: %d", i, res.StatusCode)
		}
	}
	res, body := s.post(t, "/auth/session/refresh", "", map[string]string{"Authorization": "Bearer " + rt, "X-Forwarded-For": "10.9.9.9"})
	if res.StatusCode != 429 || res.Header.Get("front-token") != "" {
		t.Fatalf("after 60 guesses: %d %s (front-token %q), want 429 without clearing", res.StatusCode, body, res.Header.Get("front-token"))
	}
	s.clk.Advance(time.Minute)
	if res, _ := s.post(t, "/auth/session/refresh", "", map[string]string{"Authorization": "Bearer " + rt}); res.StatusCode != 200 {
		t.Fatalf("the genuine token after the window: %d", res.StatusCode)
	}
}

func TestTrustedProxyForwardedClientsAreCountedSeparately(t *testing.T) {
	s := newLimitServer(t, core.Config{TrustedProxies: []string{"127.0.0.1/32", "::1"}})
	for i := range 30 {
		s.signIn(t, fmt.Sprintf("u%d", i), "wrong", map[string]string{"X-Forwarded-For": "203.0.113.7"})
	}
	if res, _ := s.signIn(t, "x", "right", map[string]string{"X-Forwarded-For": "203.0.113.7"}); res.StatusCode != 429 {
		t.Fatalf("client behind the proxy not throttled: %d", res.StatusCode)
	}
	// A client that forges a left-most entry is still identified by what the proxy appended.
	if res, _ := s.signIn(t, "x", "right", map[string]string{"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}); res.StatusCode != 429 {
		t.Fatalf("spoofed left-most XFF escaped the limit: %d", res.StatusCode)
	}
	if res, _ := s.signIn(t, "x", "right", map[string]string{"X-Forwarded-For": "203.0.113.8"}); res.StatusCode != 200 {
		t.Fatalf("another client behind the proxy was blocked: %d", res.StatusCode)
	}
}

func TestRateLimitsCanBeDisabled(t *testing.T) {
	s := newLimitServer(t, core.Config{RateLimits: core.RateLimits{Disable: true}})
	for range 40 {
		s.signIn(t, "alice", "wrong", nil)
	}
	if res, _ := s.signIn(t, "alice", "right", nil); res.StatusCode != 200 {
		t.Fatalf("disabled limits still throttle: %d", res.StatusCode)
	}
}

func TestTrustedProxiesValidated(t *testing.T) {
	if _, err := core.New(core.Config{Store: memory.New(), TrustedProxies: []string{"not-an-ip"}}); err == nil {
		t.Fatal("bad TrustedProxies accepted")
	}
}

// guessToken is a well-formed refresh token for a session that does not exist.
func guessToken(i int) string {
	b := func(n int) string {
		raw := make([]byte, n)
		raw[0] = byte(i)
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	return b(16) + "." + b(32) + "." + b(16)
}
