// Package benchkit holds the framework-neutral half of the router benchmarks under
// tests/bench: an engine with one live session, a reusable response sink and the loop that
// serves one request through an http.Handler b.N times. Each benchmark module keeps only its
// framework's routing. It is internal: it promises nothing beyond what those benchmarks need.
package benchkit

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// sink is a reusable http.ResponseWriter, so every variant pays the same (near zero) for the
// response side and the numbers show only routing plus middleware.
type sink struct {
	h      http.Header
	status int
	n      int
}

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) WriteHeader(code int)        { s.status = code }
func (s *sink) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }
func (s *sink) reset()                      { clear(s.h); s.status, s.n = 0, 0 }

// Setup is one engine with one live session.
type Setup struct {
	Engine *core.Engine
	Tokens *core.Tokens
}

// NewSetup builds cfg's engine on a memory store and issues one session (user-bench, role
// admin).
func NewSetup(b *testing.B, cfg core.Config) Setup {
	b.Helper()
	cfg.Store = memory.New()
	e, err := core.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	t, err := e.IssueTokens(context.Background(), "user-bench", core.CreateOptions{Payload: map[string]any{"role": "admin"}})
	if err != nil {
		b.Fatal(err)
	}
	return Setup{Engine: e, Tokens: t}
}

// PublicKey reads the engine's Ed25519 verification key from its JWKS, the way a gateway
// would, so a JWT middleware verifies the very same token with the very same key.
func PublicKey(b *testing.B, e *core.Engine) ed25519.PublicKey {
	b.Helper()
	doc, err := e.Config().Keys.JWKS()
	if err != nil {
		b.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kty, Crv, X string } `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil || len(set.Keys) != 1 || set.Keys[0].Crv != "Ed25519" {
		b.Fatalf("JWKS %s: %v", doc, err)
	}
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		b.Fatalf("JWK x: %v", err)
	}
	return ed25519.PublicKey(x)
}

// Run serves req through h b.N times after checking one response (200, the 2 bytes "ok").
func Run(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	w := &sink{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != http.StatusOK || w.n != 2 {
		b.Fatalf("warm-up request: status %d, %d bytes", w.status, w.n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.reset()
		h.ServeHTTP(w, req)
	}
	b.StopTimer()
	if w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
}

// Get is GET /api/me from 192.0.2.1, with header set to value unless header is empty.
func Get(header, value string) *http.Request {
	r, _ := http.NewRequest("GET", "/api/me", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	if header != "" {
		r.Header.Set(header, value)
	}
	return r
}

// Bearer is Get with the session's access token in the Authorization header.
func (s Setup) Bearer() *http.Request { return Get("Authorization", "Bearer "+s.Tokens.AccessToken) }

// Cookie is Get with the session's access token in the engine's access cookie.
func (s Setup) Cookie() *http.Request {
	access, _ := testkit.CookieNames(s.Engine)
	return Get("Cookie", access+"="+s.Tokens.AccessToken)
}
