package fiberratchet_test

import (
	"context"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// benchEngine is an engine on the memory store with a session for user-bench.
func benchEngine(b *testing.B, cfg core.Config) (*core.Engine, *core.Tokens) {
	b.Helper()
	cfg.Store = memory.New()
	e, err := core.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	t, err := e.IssueTokens(context.Background(), "user-bench", core.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return e, t
}

// benchServe runs GET /api/me through app's fasthttp handler in process (no network), with
// the header pairs, and demands 200 and the body want every time.
func benchServe(b *testing.B, app *fiber.App, want string, hdr ...string) {
	b.Helper()
	h := app.Handler()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(fiber.MethodGet)
	ctx.Request.SetRequestURI("/api/me")
	for i := 0; i+1 < len(hdr); i += 2 {
		ctx.Request.Header.Set(hdr[i], hdr[i+1])
	}
	check := func() {
		if ctx.Response.StatusCode() != 200 || string(ctx.Response.Body()) != want {
			b.Fatalf("GET /api/me = %d %q", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	h(&ctx) // warm: the first request fills the verify cache
	check()
	ctx.Response.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h(&ctx)
		ctx.Response.Reset()
	}
	b.StopTimer()
	h(&ctx)
	check()
}

func meHandler(c *fiber.Ctx) error { return c.SendString(fiberratchet.MustSession(c).UserID()) }

// BenchmarkBare is Fiber alone: the handler Require-protected routes use, minus Require.
func BenchmarkBare(b *testing.B) {
	app := newApp()
	app.Get("/api/me", func(c *fiber.Ctx) error { return c.SendString("user-bench") })
	benchServe(b, app, "user-bench")
}

// BenchmarkRequireHeader: Require with a warm access token in Authorization: Bearer.
func BenchmarkRequireHeader(b *testing.B) {
	e, t := benchEngine(b, core.Config{})
	a := fiberratchet.New(e)
	app := newApp()
	app.Get("/api/me", a.Require, meHandler)
	benchServe(b, app, "user-bench", "Authorization", "Bearer "+t.AccessToken)
}

// BenchmarkRequireCookie: Require with a warm access token in the cookie (plus rid).
func BenchmarkRequireCookie(b *testing.B) {
	e, t := benchEngine(b, core.Config{Cookies: core.CookieConfig{Insecure: true}})
	a := fiberratchet.New(e)
	app := newApp()
	app.Get("/api/me", a.Require, meHandler)
	access, _ := testkit.CookieNames(e)
	benchServe(b, app, "user-bench", "Cookie", access+"="+t.AccessToken, "rid", "session")
}

// BenchmarkRequireNoCache: Require with the verify cache off, so every request checks the
// EdDSA signature.
func BenchmarkRequireNoCache(b *testing.B) {
	e, t := benchEngine(b, core.Config{DisableVerifyCache: true})
	a := fiberratchet.New(e)
	app := newApp()
	app.Get("/api/me", a.Require, meHandler)
	benchServe(b, app, "user-bench", "Authorization", "Bearer "+t.AccessToken)
}

// BenchmarkStrict: RequireStoreCheck (CheckDatabase) on the memory store.
func BenchmarkStrict(b *testing.B) {
	e, t := benchEngine(b, core.Config{})
	a := fiberratchet.New(e)
	app := newApp()
	app.Get("/api/me", a.RequireStoreCheck, meHandler)
	benchServe(b, app, "user-bench", "Authorization", "Bearer "+t.AccessToken)
}
