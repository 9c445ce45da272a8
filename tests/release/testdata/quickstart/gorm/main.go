// Quick start with the GORM store on SQLite (github.com/glebarez/sqlite: pure Go, no cgo),
// served by net/http: sessions and signing keys live in ratchet.db and survive a restart.
// Run it with RATCHET_KEK set (openssl rand -base64 32), then sign in as
// alice@example.com / demo-password. For PostgreSQL or MySQL/MariaDB, open the *gorm.DB with
// that driver instead (docs/GORM.md).
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

func main() {
	ctx := context.Background()
	dsn := "file:ratchet.db?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{})
	if err != nil {
		log.Fatal(err)
	}
	store, err := gormstore.New(db, gormstore.Options{AutoMigrate: true, JanitorInterval: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // stops the janitor; the *gorm.DB stays yours

	// The signing keys are kept in the database, sealed under the key-encryption key in
	// RATCHET_KEK; every instance needs the same value.
	kek, previous, err := core.KEKFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	keys, err := core.NewStoreKeyRing(ctx, store, core.KeyRingOptions{KEK: kek, PreviousKEKs: previous})
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()

	engine, err := core.New(core.Config{
		Store:          store,
		Keys:           keys,
		AllowedOrigins: []string{"http://localhost:3000"}, // the website
		Authenticate:   signIn,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
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
