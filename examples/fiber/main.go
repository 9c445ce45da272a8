// Command fiber is the ratchet demo on Fiber v2: go run ./examples/fiber.
//
// Everything but the routing lives in examples/internal/demo; see the example contract for
// the environment variables and routes.
package main

import (
	"bytes"
	"context"
	"net"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/examples/internal/demo"
)

func main() {
	demo.Main("Fiber", server)
}

// server builds the Fiber app around the ready engine.
func server(app *demo.App) demo.Server {
	a := fiberratchet.New(app.Engine)
	t := app.Settings.Timeouts.OrDefault()
	f := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		// fasthttp's ReadTimeout covers the headers and the body (there is no header timeout
		// of its own); IdleTimeout ends keep-alive connections that send nothing.
		ReadTimeout:  t.Read,
		WriteTimeout: t.Write,
		IdleTimeout:  t.Idle,
		// fasthttp reads a whole body into memory before the handler runs: keep that small.
		// Room above demo.MaxBody lets the routes answer an oversized body with their own 413.
		BodyLimit: 2 * demo.MaxBody,
	})
	f.Use(recover.New(), a.CORS) // CORS first, so preflights are answered before anything else
	a.Mount(f)                   // signin, session/refresh, signout, sessions, jwt/jwks.json

	f.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, demo.ContentTypeHTML)
		return c.Send(demo.Page)
	})
	me := func(c *fiber.Ctx) error {
		return send(c, fiber.StatusOK, demo.Me(fiberratchet.MustSession(c)))
	}
	f.Get("/api/me", a.Require, me)
	f.Get("/api/me/strict", a.RequireStoreCheck, me)
	f.Get("/api/notes", a.Require, func(c *fiber.Ctx) error {
		body, err := demo.Notes(c.UserContext(), fiberratchet.MustSession(c))
		if err != nil {
			return a.WriteError(c, err)
		}
		return send(c, fiber.StatusOK, body)
	})
	f.Post("/api/notes", a.Require, func(c *fiber.Ctx) error {
		// The raw body: c.Body() would inflate it per Content-Encoding, without a bound.
		body := bytes.NewReader(c.Request().Body())
		status, reply, err := demo.AddNote(c.UserContext(), fiberratchet.MustSession(c), contentEncoding(c), body)
		if err != nil {
			return a.WriteError(c, err)
		}
		return send(c, status, reply)
	})

	if app.Metrics != nil { // METRICS=1: the net/http handler through Fiber's adaptor
		f.Get("/metrics", adaptor.HTTPHandler(app.Metrics))
	}

	return fiberServer{f}
}

// contentEncoding is the request's Content-Encoding field values.
func contentEncoding(c *fiber.Ctx) []string {
	var v []string
	for _, b := range c.Request().Header.PeekAll(fiber.HeaderContentEncoding) {
		v = append(v, string(b))
	}
	return v
}

func send(c *fiber.Ctx, status int, body []byte) error {
	c.Set(fiber.HeaderContentType, demo.ContentTypeJSON)
	return c.Status(status).Send(body)
}

// fiberServer lets demo.Run serve and stop the Fiber app.
type fiberServer struct{ *fiber.App }

func (s fiberServer) Serve(ln net.Listener) error        { return s.Listener(ln) }
func (s fiberServer) Shutdown(ctx context.Context) error { return s.ShutdownWithContext(ctx) }
