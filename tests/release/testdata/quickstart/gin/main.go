// Quick start on Gin: the library routes under /auth and one protected route, with sessions
// in memory. Run it, then sign in as alice@example.com / demo-password.
package main

import (
	"context"
	"log"
	"os"

	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
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
	a := ginratchet.New(engine)
	r := gin.Default()
	r.Use(a.CORS) // first: gin applies Use only to routes registered after it
	a.Mount(r)    // POST /auth/signin, /auth/session/refresh, /auth/signout; /auth/sessions; JWKS
	r.GET("/api/me", a.Require, func(c *gin.Context) {
		c.JSON(200, gin.H{"userId": ginratchet.MustSession(c).UserID()})
	})
	log.Fatal(r.Run(addr()))
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
