// Command fiber is the ratchet demo on Fiber v2: go run ./examples/fiber.
//
// Everything but the routing lives in examples/internal/demo; see the example contract for
// the environment variables and routes.
package main

import (
	"context"
	"net"

	"github.com/gofiber/fiber/v2"
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
	f := fiber.New(fiber.Config{DisableStartupMessage: true})
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
	f.Get("/api/me/strict", a.Strict, me)
	f.Get("/api/notes", a.Require, func(c *fiber.Ctx) error {
		body, err := demo.Notes(c.UserContext(), fiberratchet.MustSession(c))
		if err != nil {
			return a.WriteError(c, err)
		}
		return send(c, fiber.StatusOK, body)
	})
	f.Post("/api/notes", a.Require, func(c *fiber.Ctx) error {
		status, body, err := demo.AddNote(c.UserContext(), fiberratchet.MustSession(c), c.Body())
		if err != nil {
			return a.WriteError(c, err)
		}
		return send(c, status, body)
	})

	return fiberServer{f}
}

func send(c *fiber.Ctx, status int, body []byte) error {
	c.Set(fiber.HeaderContentType, demo.ContentTypeJSON)
	return c.Status(status).Send(body)
}

// fiberServer lets demo.Run serve and stop the Fiber app.
type fiberServer struct{ *fiber.App }

func (s fiberServer) Serve(ln net.Listener) error        { return s.Listener(ln) }
func (s fiberServer) Shutdown(ctx context.Context) error { return s.ShutdownWithContext(ctx) }
