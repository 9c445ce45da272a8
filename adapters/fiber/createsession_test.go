package fiberratchet_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/adapters/fiber/fibertest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

func TestCreateSessionSetsContext(t *testing.T) {
	a := fiberratchet.New(testkit.NewMemoryEngine(t))
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/login", func(c *fiber.Ctx) error {
		if _, err := a.CreateSession(c, testkit.CreateSessionUser, core.CreateOptions{}); err != nil {
			return a.WriteError(c, err)
		}
		if s, ok := fiberratchet.Session(c); ok {
			return c.SendString(s.UserID())
		}
		return c.SendStatus(500)
	})
	url, shutdown, err := fibertest.Serve(app)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown() }()
	testkit.CheckCreateSessionSetsContext(t, url+"/login")
}
