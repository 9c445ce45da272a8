package fiberratchet_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// Example wires ratchet into a Fiber app, signs in and calls a protected route. app.Test
// serves the requests in memory; a real app calls app.Listen.
func Example() {
	engine, err := core.New(core.Config{
		Store: memory.New(),
		Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
			if r.Email != "ada@example.com" || r.Password != "correct horse" {
				return nil, core.ErrWrongCredentials
			}
			return &core.Identity{UserID: "user-ada", User: map[string]string{"email": r.Email}}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	a := fiberratchet.New(engine)

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(a.CORS)
	a.Mount(app)
	app.Get("/api/me", a.Require, func(c *fiber.Ctx) error {
		return c.SendString("hello " + fiberratchet.MustSession(c).UserID())
	})

	// Unauthenticated: the core's 401.
	resp, _ := app.Test(httptest.NewRequest("GET", "/api/me", nil))
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))

	// Sign in (header mode), then present the access token.
	req := httptest.NewRequest("POST", "/auth/signin", strings.NewReader(`{"email":"ada@example.com","password":"correct horse"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, _ = app.Test(req)
	fmt.Println(resp.StatusCode, resp.Header.Get("front-token") != "")

	req = httptest.NewRequest("GET", "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+resp.Header.Get("st-access-token"))
	resp, _ = app.Test(req)
	body, _ = io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 401 {"message":"unauthorised"}
	// 200 true
	// 200 hello user-ada
}
