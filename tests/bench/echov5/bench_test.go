package bench

import (
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v5"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echov5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/benchkit"
)

// jwtMiddleware is NOT a published middleware: labstack/echo-jwt has no release for Echo v5
// (the module proxy serves only /v4, which needs Echo v4). It does per request what echo-jwt
// v4 does, with golang-jwt/v5 (the library echo-jwt wraps): take the Bearer token, parse and
// verify it with one algorithm and key, store the token on the context under "user", or answer
// 401. It leaves out echo-jwt's extractor chain and error handler, so it is a floor for what
// a JWT middleware costs on Echo v5.
func jwtMiddleware(alg string, key any) echo.MiddlewareFunc {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
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

// respond is the one handler body of every row: 200 text/plain with the user id that the
// row's middleware established.
func respond(c *echo.Context, userID string) error { return c.String(http.StatusOK, userID) }

func router(h echo.HandlerFunc, mw ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.GET("/api/me", h, mw...)
	return e
}

// ratchetRouter protects /api/me with the adapter's Require over e.
func ratchetRouter(e *core.Engine) http.Handler {
	return router(func(c *echo.Context) error {
		return respond(c, echoratchet.MustSession(c).UserID())
	}, echoratchet.New(e).Require)
}

// jwtRouter protects /api/me with jwtMiddleware; the handler reads the token's subject.
func jwtRouter(alg string, key any) http.Handler {
	return router(func(c *echo.Context) error {
		t, _ := c.Get("user").(*jwt.Token)
		if t == nil {
			return echo.ErrUnauthorized
		}
		sub, _ := t.Claims.GetSubject()
		return respond(c, sub)
	}, jwtMiddleware(alg, key))
}

// rows are the variants of one side-by-side run, all on the fixture's claims.
func rows(tb testing.TB) []benchkit.Row {
	f := benchkit.NewFixture(tb)
	row := func(name string, h http.Handler, tok string) benchkit.Row {
		return benchkit.Row{Name: name, Handler: h, Req: benchkit.Request(tok), Bad: benchkit.Request(benchkit.Tampered(tok))}
	}
	return []benchkit.Row{
		{Name: "bare", Handler: router(func(c *echo.Context) error { return respond(c, benchkit.UserID) }), Req: benchkit.Request(f.Token)},
		row("ratchet_warm", ratchetRouter(f.Warm), f.Token),
		row("ratchet_cold", ratchetRouter(f.Cold), f.Token),
		row("golangjwt_mw_hs256", jwtRouter("HS256", f.HS256Key), f.HS256Token),
		row("golangjwt_mw_eddsa", jwtRouter("EdDSA", f.PublicKey), f.Token),
	}
}

// BenchmarkEchoV5 is one GET /api/me through Echo v5 per op, in every row of the same run:
// bare Echo v5, ratchet's Require on a warm token (verify cache on) and cold (cache off: the
// EdDSA signature is verified on every request), and a plain golang-jwt middleware (no
// echo-jwt exists for v5; see jwtMiddleware) with HS256 and EdDSA. The same handler body and
// request shape in every row.
func BenchmarkEchoV5(b *testing.B) { benchkit.RunRows(b, rows(b)) }

// TestSameWork: every row answers 200 with the user id, and every authenticating row refuses
// a tampered token, so the benchmark never measures a shortcut.
func TestSameWork(t *testing.T) { benchkit.CheckRows(t, rows(t)) }
