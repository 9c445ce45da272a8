package bench

import (
	"crypto/ed25519"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/benchkit"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echov5"
)

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

// BenchmarkEchoV5 measures one GET through Echo v5's router per op, in every variant of the
// same run: a bare handler, the ratchet middleware (warm verified-token cache, cold cache,
// cookie transfer, strict store check) and golang-jwt verifying the same EdDSA token.
func BenchmarkEchoV5(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		e := echo.New()
		e.GET("/api/me", ok)
		benchkit.Run(b, e, benchkit.Get("", ""))
	})

	ratchet := func(name string, cfg core.Config, mw func(*echoratchet.Adapter) echo.MiddlewareFunc, cookie bool) {
		b.Run(name, func(b *testing.B) {
			s := benchkit.NewSetup(b, cfg)
			a := echoratchet.New(s.Engine)
			e := echo.New()
			e.GET("/api/me", func(c *echo.Context) error {
				if _, ok := echoratchet.Session(c); !ok {
					return c.NoContent(http.StatusInternalServerError)
				}
				return ok(c)
			}, mw(a))
			req := s.Bearer()
			if cookie {
				req = s.Cookie()
			}
			benchkit.Run(b, e, req)
		})
	}
	require := func(a *echoratchet.Adapter) echo.MiddlewareFunc { return a.Require }
	ratchet("ratchet_require", core.Config{}, require, false)
	ratchet("ratchet_require_cookie", core.Config{}, require, true)
	ratchet("ratchet_require_nocache", core.Config{DisableVerifyCache: true}, require, false)
	ratchet("ratchet_strict", core.Config{}, func(a *echoratchet.Adapter) echo.MiddlewareFunc { return a.RequireStoreCheck }, false)

	b.Run("golangjwt_eddsa", func(b *testing.B) {
		s := benchkit.NewSetup(b, core.Config{})
		e := echo.New()
		e.GET("/api/me", func(c *echo.Context) error {
			if c.Get("user") == nil {
				return c.NoContent(http.StatusInternalServerError)
			}
			return ok(c)
		}, jwtMiddleware(benchkit.PublicKey(b, s.Engine)))
		benchkit.Run(b, e, s.Bearer())
	})
}
