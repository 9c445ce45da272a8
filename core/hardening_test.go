package core_test

import (
	"bytes"
	"context"
	"errors"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// S-28: a payload whose token would not fit in a 4096-byte cookie is refused before anything
// is stored, instead of being silently dropped by the browser.
func TestOversizedPayloadRefusedBeforeWriting(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	e, _ := core.New(core.Config{Store: store, Logger: discardLogger()})
	big := strings.Repeat("x", 3000)
	if _, err := e.IssueTokens(ctx, "u1", core.CreateOptions{Payload: map[string]any{"blob": big}}); !errors.Is(err, core.ErrTokenTooLarge) {
		t.Fatalf("Issue with a 3 KB claim: %v, want ErrTokenTooLarge", err)
	}
	if store.Len() != 0 {
		t.Fatalf("a session was stored for an unsignable token")
	}
	tk, err := e.IssueTokens(ctx, "u1", core.CreateOptions{Payload: map[string]any{"small": "ok"}})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := store.Get(ctx, tk.Handle)
	if _, err := e.MergePayload(ctx, tk.Handle, map[string]any{"blob": big}); !errors.Is(err, core.ErrTokenTooLarge) {
		t.Fatalf("MergePayload with a 3 KB claim: %v", err)
	}
	after, _ := store.Get(ctx, tk.Handle)
	if !bytes.Equal(before.Payload, after.Payload) || before.Version != after.Version {
		t.Fatal("the oversized payload was written")
	}
	if _, err := e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{}); err != nil {
		t.Fatalf("session broken after the refused merge: %v", err)
	}
}

// S-52: an optional audience is issued and required.
func TestAudience(t *testing.T) {
	ctx := context.Background()
	key, _ := core.GenerateKey(core.AlgEdDSA)
	ring, _ := core.NewStaticKeyRing(key)
	store := memory.New()
	api, _ := core.New(core.Config{Store: store, Keys: ring, Audience: "https://api.example.com", Logger: discardLogger(), RevocationPollInterval: -1})
	other, _ := core.New(core.Config{Store: store, Keys: ring, Audience: "https://billing.example.com", Logger: discardLogger(), RevocationPollInterval: -1})
	none, _ := core.New(core.Config{Store: store, Keys: ring, Logger: discardLogger(), RevocationPollInterval: -1})
	tk, err := api.IssueTokens(ctx, "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := api.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{})
	if err != nil || s.Claim("aud") != "https://api.example.com" {
		t.Fatalf("own audience: %v, aud=%v", err, s)
	}
	if _, err := other.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); err == nil {
		t.Fatal("a token for another audience was accepted")
	}
	plain, _ := none.IssueTokens(ctx, "u1", core.CreateOptions{})
	if _, err := api.VerifyAccessToken(ctx, plain.AccessToken, core.VerifyOptions{}); err == nil {
		t.Fatal("a token without aud was accepted by an engine that requires one")
	}
}

// S-08 and S-66: unknown tokens and tripped limits are security events.
func TestUnknownTokenAndRateLimitEvents(t *testing.T) {
	ctx := context.Background()
	var types []string
	e, _ := core.New(core.Config{Store: memory.New(), Logger: discardLogger(),
		RateLimits: core.RateLimits{RefreshFailuresPerIP: core.NewMemoryLimiter(2, time.Minute, nil)},
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			types = append(types, ev.Type)
			if strings.Contains(ev.Reason, "guess") {
				t.Errorf("event reason leaks the token: %q", ev.Reason)
			}
		}})
	if _, err := e.RefreshTokens(ctx, guessToken(1), core.RefreshMeta{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpratchet.New(e).Handler())
	defer srv.Close()
	for i := range 3 {
		req, _ := http.NewRequest("POST", srv.URL+"/auth/session/refresh", nil)
		req.Header.Set("Authorization", "Bearer "+guessToken(i+2))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	joined := strings.Join(types, ",")
	if !strings.Contains(joined, core.EventUnknownToken) || !strings.Contains(joined, core.EventRateLimited) {
		t.Fatalf("events = %s, want unknown_token and rate_limited", joined)
	}
}

// S-13 (option) and S-61 (option) over HTTP.
func TestClearSiteDataAndRecentAuthForSessionRoutes(t *testing.T) {
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e, _ := core.New(core.Config{Store: memory.New(), Clock: clk, Logger: discardLogger(),
		ClearSiteData: `"cache", "storage"`, RecentAuthForSessionRoutes: 5 * time.Minute})
	ctx := context.Background()
	a, _ := e.IssueTokens(ctx, "u1", core.CreateOptions{})
	b, _ := e.IssueTokens(ctx, "u1", core.CreateOptions{})
	srv := httptest.NewServer(httpratchet.New(e).Handler())
	defer srv.Close()
	call := func(method, path, tok string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	clk.Advance(6 * time.Minute)
	a2, err := e.RefreshTokens(ctx, a.RefreshToken, core.RefreshMeta{}) // a fresh token, but an old sign-in
	if err != nil {
		t.Fatal(err)
	}
	if res := call("POST", "/auth/sessions/revoke-others", a2.AccessToken); res.StatusCode != 403 {
		t.Fatalf("revoke-others with a 6-minute-old sign-in: %d, want 403", res.StatusCode)
	}
	if res := call("DELETE", "/auth/sessions/"+b.Handle, a2.AccessToken); res.StatusCode != 403 {
		t.Fatalf("revoking another session with a stale sign-in: %d, want 403", res.StatusCode)
	}
	if _, err := e.VerifyAccessToken(ctx, b.AccessToken, core.VerifyOptions{CheckDatabase: true}); err != nil {
		t.Fatalf("the other session was revoked despite the 403: %v", err)
	}
	c, _ := e.IssueTokens(ctx, "u1", core.CreateOptions{}) // a fresh sign-in
	if res := call("POST", "/auth/sessions/revoke-others", c.AccessToken); res.StatusCode != 200 {
		t.Fatalf("revoke-others right after sign-in: %d", res.StatusCode)
	}
	res := call("POST", "/auth/signout", c.AccessToken)
	if res.StatusCode != 200 || res.Header.Get("Clear-Site-Data") != `"cache", "storage"` {
		t.Fatalf("signout: %d, Clear-Site-Data %q", res.StatusCode, res.Header.Get("Clear-Site-Data"))
	}
}

// S-67: a hostile User-Agent cannot forge log records.
func TestLogInjectionIsEscaped(t *testing.T) {
	var buf lockedBuffer
	e, _ := core.New(core.Config{Store: memory.New(), Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	srv := httptest.NewServer(httpratchet.New(e).Handler())
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/auth/session/refresh", nil)
	req.Header.Set("Authorization", "Bearer "+guessToken(7))
	req.Header.Set("User-Agent", "evil\n{\"event\":\"sign_in\",\"user_id\":\"admin\"}")
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
	}
	// net/http refuses a raw newline in a header, so also go through the engine directly.
	_, _ = e.RefreshTokens(context.Background(), guessToken(8), core.RefreshMeta{UserAgent: "evil\n{\"event\":\"sign_in\"}"})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, `{"event"`) {
			t.Fatalf("an injected line became a record: %s", l)
		}
	}
	// The engine normalises every client string before using it: the newline became U+FFFD.
	if !strings.Contains(buf.String(), "evil\uFFFD"+`{\"event\":\"sign_in\"}`) {
		t.Fatalf("the hostile User-Agent was not logged normalised and escaped:\n%s", buf.String())
	}
}

// S-01: token and secret code never imports math/rand or a UUID library.
func TestNoWeakRandomness(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if p == "math/rand" || p == "math/rand/v2" || strings.Contains(p, "uuid") {
				t.Errorf("%s imports %s", f, p)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d files checked", checked)
	}
}
