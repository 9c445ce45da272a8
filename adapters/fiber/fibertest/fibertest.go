// Package fibertest is test support for the Fiber adapter: it serves adaptertest's fixture
// (the library routes plus the app routes listed in the adaptertest.Fixture doc comment) with
// Fiber, on a real loopback listener, so that adaptertest.HTTPSuite can run against Fiber over
// any core.Store. The adapter's own tests and the cross-store conformance module build their
// servers with it. It is not meant for production code.
//
//	f, _ := adaptertest.NewFixture(store)
//	url, shutdown, err := fibertest.Serve(fibertest.NewApp(f))
//	if err != nil {
//		t.Fatal(err)
//	}
//	defer shutdown() // after the suite's clients closed their idle connections
//	adaptertest.HTTPSuite(t, f.Target(url))
package fibertest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// ShutdownWait bounds how long a shutdown func returned by Serve waits for open connections
// to finish before it gives up with an error.
const ShutdownWait = 10 * time.Second

// Server limits of the fixture app, as a production app would set them: fasthttp reads a
// whole request (headers and body) within ReadTimeout, drops a keep-alive connection idle for
// IdleTimeout, and buffers at most BodyLimit bytes of body before a handler runs.
const (
	ReadTimeout  = 15 * time.Second
	WriteTimeout = 30 * time.Second
	IdleTimeout  = 60 * time.Second
	BodyLimit    = 256 << 10
)

// MaxBody caps the bodies the fixture's app routes read (POST /api/notes, /api/payload).
const MaxBody = 64 << 10

// NewApp is the fixture server with the adapter's own CORS middleware.
func NewApp(f *adaptertest.Fixture) *fiber.App {
	app, _ := App(f, nil)
	return app
}

// App is the fixture server: a quiet Fiber app with the server limits above (otherwise
// Fiber's defaults, mutable strings over reused buffers included) with cors first (nil: the adapter's own CORS middleware), the
// library routes and the app routes. It also returns the adapter, for tests that add routes.
func App(f *adaptertest.Fixture, cors fiber.Handler) (*fiber.App, *fiberratchet.Adapter) {
	a := fiberratchet.New(f.Engine)
	if cors == nil {
		cors = a.CORS
	}
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ReadTimeout:           ReadTimeout,
		WriteTimeout:          WriteTimeout,
		IdleTimeout:           IdleTimeout,
		BodyLimit:             BodyLimit,
	})
	app.Use(cors)
	Mount(app, a, f)
	return app, a
}

// Mount registers the library routes and the fixture's app routes on r (the app or a group
// under which the engine's BasePath lies). r's prefix must be "" for the /api routes to land
// where HTTPSuite expects them.
func Mount(r fiber.Router, a *fiberratchet.Adapter, f *adaptertest.Fixture) {
	a.Mount(r)
	api := r.Group("/api")
	api.Get("/me", a.Require, func(c *fiber.Ctx) error {
		return Reply(a, c, 200, f.Me(fiberratchet.MustSession(c)), nil)
	})
	api.Get("/me/strict", a.RequireStoreCheck, func(c *fiber.Ctx) error {
		return Reply(a, c, 200, f.Me(fiberratchet.MustSession(c)), nil)
	})
	api.Get("/optional", a.Optional, func(c *fiber.Ctx) error {
		if s, ok := fiberratchet.Session(c); ok {
			return Reply(a, c, 200, f.Me(s), nil)
		}
		return Reply(a, c, 200, f.Anonymous(), nil)
	})
	api.Get("/notes", a.Require, func(c *fiber.Ctx) error {
		st, body, err := f.Notes(c.UserContext(), fiberratchet.MustSession(c))
		return Reply(a, c, st, body, err)
	})
	api.Post("/notes", a.Require, func(c *fiber.Ctx) error {
		in, refused := Body(c)
		if refused != nil {
			return Reply(a, c, refused.Status, refused.Body, nil)
		}
		st, body, err := f.AddNote(c.UserContext(), fiberratchet.MustSession(c), in)
		return Reply(a, c, st, body, err)
	})
	api.Post("/payload", a.Require, func(c *fiber.Ctx) error {
		in, refused := Body(c)
		if refused != nil {
			return Reply(a, c, refused.Status, refused.Body, nil)
		}
		st, body, err := f.MergePayload(c.UserContext(), fiberratchet.MustSession(c), in)
		return Reply(a, c, st, body, err)
	})
	api.Get("/admin", a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}}),
		func(c *fiber.Ctx) error {
			return Reply(a, c, 200, f.Me(fiberratchet.MustSession(c)), nil)
		})
}

// Refusal is the answer to a request body a route will not read.
type Refusal struct {
	Status int
	Body   []byte
}

// Body returns the raw request body for a route that takes JSON, or the refusal to send: 415
// for any Content-Encoding but identity, 413 for a body over MaxBody. It never calls
// c.Body(), which inflates the body per Content-Encoding without a bound (one 1 KB request
// with "gzip, gzip" can cost a GiB).
func Body(c *fiber.Ctx) ([]byte, *Refusal) {
	// Every Content-Encoding field, each a comma-separated list (VisitAll rather than
	// PeekAll, which the fasthttp of the pinned Fiber floor lacks).
	encoded := false
	c.Request().Header.VisitAll(func(k, v []byte) {
		if !bytes.EqualFold(k, []byte(fiber.HeaderContentEncoding)) {
			return
		}
		for _, coding := range bytes.Split(v, []byte(",")) {
			if cd := bytes.TrimSpace(coding); len(cd) > 0 && !bytes.EqualFold(cd, []byte("identity")) {
				encoded = true
			}
		}
	})
	if encoded {
		return nil, &Refusal{fiber.StatusUnsupportedMediaType,
			[]byte(`{"message":"Content-Encoding is not supported: send the body uncompressed"}`)}
	}
	body := c.Request().Body()
	if len(body) > MaxBody {
		return nil, &Refusal{fiber.StatusRequestEntityTooLarge, []byte(`{"message":"request body too large"}`)}
	}
	return body, nil
}

// Reply writes a fixture helper's answer as JSON, with the Content-Type the core writes, or
// its error through the adapter's WriteError.
func Reply(a *fiberratchet.Adapter, c *fiber.Ctx, status int, body []byte, err error) error {
	if err != nil {
		return a.WriteError(c, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Status(status).Send(body)
}

// Serve runs app on a real listener on 127.0.0.1:0 and returns its base URL and a func that
// shuts it down. fasthttp's Shutdown waits for every open connection, including ones a client
// dialled and never used (net/http dials spares): close the clients' idle connections before
// calling shutdown. shutdown gives up after ShutdownWait with an error.
func Serve(app *fiber.App) (url string, shutdown func() error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("fibertest: listen: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	shutdown = func() error {
		stopped := make(chan error, 1)
		go func() { stopped <- app.Shutdown() }()
		select {
		case err := <-stopped:
			if err != nil {
				return fmt.Errorf("fibertest: shutdown: %w", err)
			}
		case <-time.After(ShutdownWait):
			return errors.New("fibertest: shutdown: connections still open after " + ShutdownWait.String())
		}
		if err := <-done; err != nil {
			return fmt.Errorf("fibertest: serve: %w", err)
		}
		return nil
	}
	return "http://" + ln.Addr().String(), shutdown, nil
}
