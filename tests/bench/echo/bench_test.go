package bench

import (
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echo"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/benchkit"
)

// respond is the one handler body of every row: 200 text/plain with the user id that the
// row's middleware established.
func respond(c echo.Context, userID string) error { return c.String(http.StatusOK, userID) }

func router(h echo.HandlerFunc, mw ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.GET("/api/me", h, mw...)
	return e
}

// ratchetRouter protects /api/me with the adapter's Require over e.
func ratchetRouter(e *core.Engine) http.Handler {
	return router(func(c echo.Context) error {
		return respond(c, echoratchet.MustSession(c).UserID())
	}, echoratchet.New(e).Require)
}

// echoJWT protects /api/me with labstack/echo-jwt configured by cfg; the handler reads the
// subject of the token echo-jwt stored under "user".
func echoJWT(cfg echojwt.Config) http.Handler {
	return router(func(c echo.Context) error {
		t, _ := c.Get("user").(*jwt.Token)
		if t == nil {
			return echo.ErrUnauthorized
		}
		sub, _ := t.Claims.GetSubject()
		return respond(c, sub)
	}, echojwt.WithConfig(cfg))
}

// rows are the variants of one side-by-side run, all on the fixture's claims.
func rows(tb testing.TB) []benchkit.Row {
	f := benchkit.NewFixture(tb)
	row := func(name string, h http.Handler, tok string) benchkit.Row {
		return benchkit.Row{Name: name, Handler: h, Req: benchkit.Request(tok), Bad: benchkit.Request(benchkit.Tampered(tok))}
	}
	return []benchkit.Row{
		{Name: "bare", Handler: router(func(c echo.Context) error { return respond(c, benchkit.UserID) }), Req: benchkit.Request(f.Token)},
		row("ratchet_warm", ratchetRouter(f.Warm), f.Token),
		row("ratchet_cold", ratchetRouter(f.Cold), f.Token),
		row("jwt_hs256", echoJWT(echojwt.Config{SigningKey: f.HS256Key, SigningMethod: "HS256"}), f.HS256Token),
		// echo-jwt verifies EdDSA with its own settings: ratchet's very token, with the
		// engine's public key.
		row("jwt_eddsa", echoJWT(echojwt.Config{SigningKey: f.PublicKey, SigningMethod: "EdDSA"}), f.Token),
	}
}

// BenchmarkEcho is one GET /api/me through Echo v4 per op, in every row of the same run: bare
// Echo, ratchet's Require on a warm token (verify cache on) and cold (cache off: the EdDSA
// signature is verified on every request), and labstack/echo-jwt with HS256 and EdDSA. The
// same handler body and request shape in every row.
func BenchmarkEcho(b *testing.B) { benchkit.RunRows(b, rows(b)) }

// TestSameWork: every row answers 200 with the user id, and every authenticating row refuses
// a tampered token, so the benchmark never measures a shortcut.
func TestSameWork(t *testing.T) { benchkit.CheckRows(t, rows(t)) }
