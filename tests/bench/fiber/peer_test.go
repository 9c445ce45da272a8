package bench_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// setup is an engine on the memory store (EdDSA, the default), a session for user-bench and
// the engine's public key, taken from its JWKS as any gateway would.
func setup(tb testing.TB, cfg core.Config) (*core.Engine, string, ed25519.PublicKey) {
	tb.Helper()
	cfg.Store = memory.New()
	e, err := core.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	t, err := e.IssueTokens(context.Background(), "user-bench", core.CreateOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := e.Config().Keys.JWKS()
	if err != nil {
		tb.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Alg string }
	}
	if err := json.Unmarshal(doc, &set); err != nil || len(set.Keys) == 0 {
		tb.Fatalf("JWKS %s: %v", doc, err)
	}
	k := set.Keys[0]
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || k.Kty != "OKP" || k.Crv != "Ed25519" || len(x) != ed25519.PublicKeySize {
		tb.Fatalf("JWKS key %+v is not an Ed25519 key: %v", k, err)
	}
	return e, t.AccessToken, ed25519.PublicKey(x)
}

func newApp() *fiber.App { return fiber.New(fiber.Config{DisableStartupMessage: true}) }

// bareApp is Fiber alone.
func bareApp() *fiber.App {
	app := newApp()
	app.Get("/api/me", func(c *fiber.Ctx) error { return c.SendString("user-bench") })
	return app
}

// ratchetApp protects /api/me with fiberratchet's Require.
func ratchetApp(e *core.Engine) *fiber.App {
	a := fiberratchet.New(e)
	app := newApp()
	app.Get("/api/me", a.Require, func(c *fiber.Ctx) error {
		return c.SendString(fiberratchet.MustSession(c).UserID())
	})
	return app
}

// peerApp protects /api/me with gofiber/contrib/jwt, pinned to EdDSA and the engine's key.
func peerApp(pub ed25519.PublicKey) *fiber.App {
	app := newApp()
	app.Get("/api/me", jwtware.New(jwtware.Config{
		SigningKey: jwtware.SigningKey{JWTAlg: "EdDSA", Key: pub},
	}), func(c *fiber.Ctx) error {
		sub, _ := c.Locals("user").(*jwt.Token).Claims.GetSubject()
		return c.SendString(sub)
	})
	return app
}

// call serves one GET /api/me with the bearer token in process and returns status and body.
func call(h fasthttp.RequestHandler, ctx *fasthttp.RequestCtx) (int, string) {
	h(ctx)
	st, body := ctx.Response.StatusCode(), string(ctx.Response.Body())
	ctx.Response.Reset()
	return st, body
}

func request(tok string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fiber.MethodGet)
	ctx.Request.SetRequestURI("/api/me")
	if tok != "" {
		ctx.Request.Header.Set("Authorization", "Bearer "+tok)
	}
	return &ctx
}

// TestSameWork checks that every benchmarked variant accepts the token and that both
// verifiers refuse a tampered one, so the benchmark compares real verification.
func TestSameWork(t *testing.T) {
	e, tok, pub := setup(t, core.Config{})
	tampered := tok[:len(tok)-4] + "AAAA"
	for name, app := range map[string]*fiber.App{"ratchet": ratchetApp(e), "contrib/jwt": peerApp(pub)} {
		h := app.Handler()
		if st, body := call(h, request(tok)); st != 200 || body != "user-bench" {
			t.Errorf("%s with a valid token: %d %q", name, st, body)
		}
		if st, _ := call(h, request(tampered)); st != 401 {
			t.Errorf("%s with a tampered token: %d", name, st)
		}
	}
	if st, body := call(bareApp().Handler(), request("")); st != 200 || body != "user-bench" {
		t.Errorf("bare: %d %q", st, body)
	}
}

func bench(b *testing.B, app *fiber.App, tok string) {
	h := app.Handler()
	ctx := request(tok)
	if st, body := call(h, ctx); st != 200 || body != "user-bench" { // also warms caches
		b.Fatalf("GET /api/me = %d %q", st, body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h(ctx)
		ctx.Response.Reset()
	}
}

// BenchmarkFiberBare is the baseline: Fiber with no auth at all.
func BenchmarkFiberBare(b *testing.B) { bench(b, bareApp(), "") }

// BenchmarkRatchetRequire is fiberratchet's Require on a warm token (verify cache on, the
// default).
func BenchmarkRatchetRequire(b *testing.B) {
	e, tok, _ := setup(b, core.Config{})
	bench(b, ratchetApp(e), tok)
}

// BenchmarkRatchetRequireNoCache is Require with the verify cache off: an EdDSA signature
// check per request, like the peer.
func BenchmarkRatchetRequireNoCache(b *testing.B) {
	e, tok, _ := setup(b, core.Config{DisableVerifyCache: true})
	bench(b, ratchetApp(e), tok)
}

// BenchmarkContribJWT is github.com/gofiber/contrib/jwt verifying the same EdDSA token.
func BenchmarkContribJWT(b *testing.B) {
	_, tok, pub := setup(b, core.Config{})
	bench(b, peerApp(pub), tok)
}
