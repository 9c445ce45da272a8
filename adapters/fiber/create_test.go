package fiberratchet_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
)

// TestCreateSessionAndWriteError: an app's own sign-in handler creates a session with
// CreateSession, and WriteError answers with core's body.
func TestCreateSessionAndWriteError(t *testing.T) {
	a := fiberratchet.New(newFixture(t).Engine)
	app := newApp()
	app.Post("/login/:user", func(c *fiber.Ctx) error {
		if c.Params("user") == "nobody" {
			return a.WriteError(c, &core.Error{Kind: core.ErrUnauthorised, Reason: "unknown user"})
		}
		s, err := a.CreateSession(c, c.Params("user"), core.CreateOptions{Payload: map[string]any{"plan": "pro"}})
		if err != nil {
			return a.WriteError(c, err)
		}
		return c.SendString(s.Handle())
	})
	app.Get("/me", a.Require, func(c *fiber.Ctx) error {
		s := fiberratchet.MustSession(c)
		return c.SendString(s.UserID() + " " + s.Claim("plan").(string))
	})
	adaptercheck.CreateSessionAndWriteError(t, serve(t, app))
}
