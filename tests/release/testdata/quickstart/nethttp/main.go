// Quick start on net/http: the library routes under /auth and one protected route, with
// sessions in memory. Run it, then sign in as alice@example.com / demo-password.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
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
	a := httpratchet.New(engine)
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler()) // signin, session/refresh, signout, sessions, jwt/jwks.json
	mux.Handle("GET /api/me", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, httpratchet.MustSession(r.Context()).UserID())
	})))
	log.Fatal(http.ListenAndServe(addr(), a.CORS(mux)))
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
