package fiberratchet_test

import (
	"context"
	"net"
	"testing"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/sessiontest"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// newFixture builds the HTTPSuite fixture engine on the memory store.
func newFixture(t testing.TB) *sessiontest.Fixture {
	t.Helper()
	f, err := sessiontest.NewFixture(memory.New())
	if err != nil {
		t.Fatalf("NewFixture: %v", err)
	}
	return f
}

// newApp is a Fiber app configured as tests want it: quiet, otherwise Fiber's defaults
// (mutable strings over reused buffers included).
func newApp() *fiber.App {
	return fiber.New(fiber.Config{DisableStartupMessage: true})
}

// serve runs app on a real listener on 127.0.0.1 until the test ends, and returns its URL.
func serve(t testing.TB, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		// fasthttp's Shutdown waits for every connection, including ones the client dialled
		// and never used (net/http dials spares); close the client's side first.
		hc.CloseIdleConnections()
		if err := app.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// send writes a fixture handler's answer, or its error through the adapter's WriteError.
func send(a *fiberratchet.Adapter, c *fiber.Ctx, status int, body []byte, err error) error {
	if err != nil {
		return a.WriteError(c, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(status).Send(body)
}

// mountFixture registers the library routes and the fixture's app routes on r (the app or a
// group under which the engine's BasePath lies). r's prefix must be "" for the /api routes to
// land where HTTPSuite expects them.
func mountFixture(a *fiberratchet.Adapter, f *sessiontest.Fixture, r fiber.Router) {
	a.Mount(r)
	api := r.Group("/api")
	api.Get("/me", a.Require, func(c *fiber.Ctx) error {
		return send(a, c, 200, f.Me(fiberratchet.MustSession(c)), nil)
	})
	api.Get("/me/strict", a.Strict, func(c *fiber.Ctx) error {
		return send(a, c, 200, f.Me(fiberratchet.MustSession(c)), nil)
	})
	api.Get("/optional", a.Optional, func(c *fiber.Ctx) error {
		if s, ok := fiberratchet.Session(c); ok {
			return send(a, c, 200, f.Me(s), nil)
		}
		return send(a, c, 200, f.Anonymous(), nil)
	})
	api.Get("/notes", a.Require, func(c *fiber.Ctx) error {
		st, body, err := f.Notes(c.UserContext(), fiberratchet.MustSession(c))
		return send(a, c, st, body, err)
	})
	api.Post("/notes", a.Require, func(c *fiber.Ctx) error {
		st, body, err := f.AddNote(c.UserContext(), fiberratchet.MustSession(c), c.Body())
		return send(a, c, st, body, err)
	})
	api.Post("/payload", a.Require, func(c *fiber.Ctx) error {
		st, body, err := f.MergePayload(c.UserContext(), fiberratchet.MustSession(c), c.Body())
		return send(a, c, st, body, err)
	})
	api.Get("/admin", a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}}),
		func(c *fiber.Ctx) error {
			return send(a, c, 200, f.Me(fiberratchet.MustSession(c)), nil)
		})
}

// fixtureApp is the HTTPSuite server: cors is the CORS middleware to use first (nil for the
// adapter's own).
func fixtureApp(f *sessiontest.Fixture, cors fiber.Handler) (*fiber.App, *fiberratchet.Adapter) {
	a := fiberratchet.New(f.Engine)
	if cors == nil {
		cors = a.CORS
	}
	app := newApp()
	app.Use(cors)
	mountFixture(a, f, app)
	return app, a
}

// nilCtx is the context of calls made outside any request.
func nilCtx() context.Context { return context.Background() }
