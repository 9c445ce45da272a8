package bench

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"github.com/ratchetauth/ratchet/stores/memory"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echov5"
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

// setup is one engine with one live session.
type setup struct {
	engine *core.Engine
	tokens *core.Tokens
}

func newSetup(b *testing.B, cfg core.Config) setup {
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
	return setup{engine: e, tokens: t}
}

// publicKey reads the engine's Ed25519 verification key from its JWKS, the way a gateway
// would, so the JWT middleware verifies the very same token with the very same key.
func publicKey(b *testing.B, e *core.Engine) ed25519.PublicKey {
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

// jwtMiddleware is what echo-jwt does per request, with golang-jwt/v5 directly: take the
// Bearer token, parse and verify it (EdDSA only, with the key), store the token on the
// context under "user", or answer 401.
func jwtMiddleware(key ed25519.PublicKey) echo.MiddlewareFunc {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}))
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			raw, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
			if !ok {
				return echo.ErrUnauthorized
			}
			tok, err := parser.Parse(raw, keyFunc)
			if err != nil || !tok.Valid {
				return echo.ErrUnauthorized
			}
			c.Set("user", tok)
			return next(c)
		}
	}
}

func ok(c *echo.Context) error { return c.String(http.StatusOK, "ok") }

// run serves req through h b.N times after checking one response.
func run(b *testing.B, h http.Handler, req *http.Request) {
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

func get(header, value string) *http.Request {
	r, _ := http.NewRequest("GET", "/api/me", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	if header != "" {
		r.Header.Set(header, value)
	}
	return r
}

// BenchmarkEchoV5 measures one GET through Echo v5's router per op, in every variant of the
// same run: a bare handler, the ratchet middleware (warm verified-token cache, cold cache,
// cookie transfer, strict store check) and golang-jwt verifying the same EdDSA token.
func BenchmarkEchoV5(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		e := echo.New()
		e.GET("/api/me", ok)
		run(b, e, get("", ""))
	})

	ratchet := func(name string, cfg core.Config, mw func(*echoratchet.Adapter) echo.MiddlewareFunc, cookie bool) {
		b.Run(name, func(b *testing.B) {
			s := newSetup(b, cfg)
			a := echoratchet.New(s.engine)
			e := echo.New()
			e.GET("/api/me", func(c *echo.Context) error {
				if _, ok := echoratchet.Session(c); !ok {
					return c.NoContent(http.StatusInternalServerError)
				}
				return ok(c)
			}, mw(a))
			req := get("Authorization", "Bearer "+s.tokens.AccessToken)
			if cookie {
				req = get("Cookie", cookieName(s.engine)+"="+s.tokens.AccessToken)
			}
			run(b, e, req)
		})
	}
	require := func(a *echoratchet.Adapter) echo.MiddlewareFunc { return a.Require }
	ratchet("ratchet_require", core.Config{}, require, false)
	ratchet("ratchet_require_cookie", core.Config{}, require, true)
	ratchet("ratchet_require_nocache", core.Config{DisableVerifyCache: true}, require, false)
	ratchet("ratchet_strict", core.Config{}, func(a *echoratchet.Adapter) echo.MiddlewareFunc { return a.RequireStoreCheck }, false)

	b.Run("golangjwt_eddsa", func(b *testing.B) {
		s := newSetup(b, core.Config{})
		e := echo.New()
		e.GET("/api/me", func(c *echo.Context) error {
			if c.Get("user") == nil {
				return c.NoContent(http.StatusInternalServerError)
			}
			return ok(c)
		}, jwtMiddleware(publicKey(b, s.engine)))
		run(b, e, get("Authorization", "Bearer "+s.tokens.AccessToken))
	})
}

// cookieName is the engine's access cookie name.
func cookieName(e *core.Engine) string {
	access, _ := testkit.CookieNames(e)
	return access
}
