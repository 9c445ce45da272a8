package bench_test

import (
	"testing"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/benchkit"
)

// respond is the one handler body of every row: 200 text/plain with the user id that the
// row's middleware established.
func respond(c *fiber.Ctx, userID string) error { return c.SendString(userID) }

func router(handlers ...fiber.Handler) fasthttp.RequestHandler {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/api/me", handlers...)
	return app.Handler()
}

// ratchetRouter protects /api/me with the adapter's Require over e.
func ratchetRouter(e *core.Engine) fasthttp.RequestHandler {
	return router(fiberratchet.New(e).Require, func(c *fiber.Ctx) error {
		return respond(c, fiberratchet.MustSession(c).UserID())
	})
}

// contribJWT protects /api/me with gofiber/contrib/jwt pinned to one algorithm and key; the
// handler reads the subject of the token it stored under "user".
func contribJWT(alg string, key any) fasthttp.RequestHandler {
	return router(jwtware.New(jwtware.Config{SigningKey: jwtware.SigningKey{JWTAlg: alg, Key: key}}), func(c *fiber.Ctx) error {
		t, _ := c.Locals("user").(*jwt.Token)
		if t == nil {
			return fiber.ErrUnauthorized
		}
		sub, _ := t.Claims.GetSubject()
		return respond(c, sub)
	})
}

// row is one line of the run: Fiber's handler and the request (and, for the authenticating
// rows, the same request with a tampered token).
type row struct {
	name     string
	h        fasthttp.RequestHandler
	req, bad *fasthttp.RequestCtx
}

// request is GET /api/me with "Authorization: Bearer tok", served in process (no network).
func request(tok string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fiber.MethodGet)
	ctx.Request.SetRequestURI("/api/me")
	ctx.Request.Header.Set("Authorization", "Bearer "+tok)
	return &ctx
}

// rows are the variants of one side-by-side run, all on the fixture's claims.
func rows(tb testing.TB) []row {
	f := benchkit.NewFixture(tb)
	auth := func(name string, h fasthttp.RequestHandler, tok string) row {
		return row{name, h, request(tok), request(benchkit.Tampered(tok))}
	}
	return []row{
		{"bare", router(func(c *fiber.Ctx) error { return respond(c, benchkit.UserID) }), request(f.Token), nil},
		auth("ratchet_warm", ratchetRouter(f.Warm), f.Token),
		auth("ratchet_cold", ratchetRouter(f.Cold), f.Token),
		auth("jwt_hs256", contribJWT("HS256", f.HS256Key), f.HS256Token),
		// contrib/jwt verifies EdDSA with its own settings: ratchet's very token, with the
		// engine's public key.
		auth("jwt_eddsa", contribJWT("EdDSA", f.PublicKey), f.Token),
	}
}

// serve runs one request and returns its status and body; the response is reset, so ctx can
// serve again.
func serve(h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx) (int, string) {
	h(ctx)
	st, body := ctx.Response.StatusCode(), string(ctx.Response.Body())
	ctx.Response.Reset()
	return st, body
}

// ok reports whether the last response was 200 with the user id, then resets it.
func ok(ctx *fasthttp.RequestCtx) bool {
	good := ctx.Response.StatusCode() == 200 && string(ctx.Response.Body()) == benchkit.UserID
	ctx.Response.Reset()
	return good
}

// BenchmarkFiber is one GET /api/me through Fiber per op, in every row of the same run: bare
// Fiber, ratchet's Require on a warm token (verify cache on) and cold (cache off: the EdDSA
// signature is verified on every request), and gofiber/contrib/jwt with HS256 and EdDSA. The
// same handler body and request shape in every row. A last row alternates bare and warm.
func BenchmarkFiber(b *testing.B) {
	rs := rows(b)
	defer b.Run("warm_vs_bare_interleaved", func(b *testing.B) {
		// bare and ratchet_warm alternated in blocks (benchkit.Interleave): their ratio is the
		// figure to read when the machine is not quiet.
		serve := func(r row) func() {
			return func() {
				r.h(r.req)
				if r.req.Response.StatusCode() != 200 {
					b.Fatalf("%s: status %d", r.name, r.req.Response.StatusCode())
				}
				r.req.Response.Reset()
			}
		}
		benchkit.Interleave(b, serve(rs[0]), serve(rs[1]))
	})
	for _, r := range rs {
		b.Run(r.name, func(b *testing.B) {
			if st, body := serve(r.h, r.req); st != 200 || body != benchkit.UserID { // also warms caches
				b.Fatalf("warm-up: %d %q", st, body)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r.h(r.req)
				r.req.Response.Reset()
			}
			b.StopTimer()
			r.h(r.req)
			if !ok(r.req) {
				b.Fatal("last request failed")
			}
		})
	}
}

// TestSameWork: every row answers 200 with the user id, and every authenticating row refuses
// a tampered token with 401, so the benchmark never measures a shortcut.
func TestSameWork(t *testing.T) {
	for _, r := range rows(t) {
		if st, body := serve(r.h, r.req); st != 200 || body != benchkit.UserID {
			t.Errorf("%s: %d %q", r.name, st, body)
		}
		if r.bad != nil {
			if st, body := serve(r.h, r.bad); st != 401 {
				t.Errorf("%s with a tampered token: %d %q, want 401", r.name, st, body)
			}
		}
	}
}
