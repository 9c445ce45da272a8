// Quick start on Echo v4: the library routes under /auth and one protected route, with
// sessions in memory. Run it, then sign in as alice@example.com / demo-password.
package main

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echo"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func main() {
	engine, err := core.New(core.Config{
		Store:          memory.New(),                      // stores/gorm in production
		AllowedOrigins: []string{"http://localhost:3000"}, // the website
		Authenticate:   signIn,
	})
	if err != nil {
		log.Fatal(err)
	}
	a := echoratchet.New(engine)
	e := echo.New()
	e.Use(a.CORS)
	a.Mount(e) // POST /auth/signin, /auth/session/refresh, /auth/signout; /auth/sessions; JWKS
	e.GET("/api/me", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"userId": echoratchet.MustSession(c).UserID()})
	}, a.Require)
	log.Fatal(e.Start(addr()))
}

// signIn checks the demo user's password; replace it with your user store.
func signIn(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
	if r.Email != "alice@example.com" || r.Password != "demo-password" {
		return nil, core.ErrWrongCredentials
	}
	return &core.Identity{UserID: "alice", User: map[string]string{"email": r.Email}}, nil
}

// addr is $ADDR, or localhost:8080.
func addr() string {
	if a := os.Getenv("ADDR"); a != "" {
		return a
	}
	return "localhost:8080"
}
