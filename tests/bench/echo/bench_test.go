package bench

import (
	"net/http"
	"testing"

	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/benchkit"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echo"
)

func ok(c echo.Context) error { return c.String(http.StatusOK, "ok") }

// BenchmarkEcho measures one GET through Echo's router per op, in every variant of the same
// run: a bare handler, the ratchet middleware (warm verified-token cache, cold cache, cookie
// transfer, strict store check) and echo-jwt verifying the same EdDSA token.
func BenchmarkEcho(b *testing.B) {
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
			e.GET("/api/me", func(c echo.Context) error {
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

	b.Run("echojwt_eddsa", func(b *testing.B) {
		s := benchkit.NewSetup(b, core.Config{})
		e := echo.New()
		e.GET("/api/me", func(c echo.Context) error {
			if c.Get("user") == nil {
				return c.NoContent(http.StatusInternalServerError)
			}
			return ok(c)
		}, echojwt.WithConfig(echojwt.Config{SigningKey: benchkit.PublicKey(b, s.Engine), SigningMethod: "EdDSA"}))
		benchkit.Run(b, e, s.Bearer())
	})
}
