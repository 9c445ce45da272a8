package gormtest_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// A GORM store on an embedded SQLite file (pure Go, no cgo), driving the engine through
// sign-in, a refresh and a sign-out of every session. PostgreSQL and MySQL differ only in the
// gorm.Open line; see docs/GORM.md.
func Example() {
	dir, _ := os.MkdirTemp("", "ratchet-example")
	defer os.RemoveAll(dir)
	dsn := "file:" + filepath.Join(dir, "app.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"

	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger: logger.Default.LogMode(logger.Warn),
	})
	if err != nil {
		log.Fatal(err)
	}
	store, err := gormstore.New(db, gormstore.Options{AutoMigrate: true, JanitorInterval: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	// The signing keys live in the store too, sealed under a key-encryption key, so every
	// instance signs with the same key. In production the KEK comes from the environment,
	// read explicitly: kek, previous, err := core.KEKFromEnv() (RATCHET_KEK).
	kek, _ := core.NewKEK()
	ring, err := core.NewStoreKeyRing(context.Background(), store, core.KeyRingOptions{KEK: kek})
	if err != nil {
		log.Fatal(err)
	}
	defer ring.Close()

	// The store is a core.RevocationFeed: the engine polls it in the background (every 2 s by
	// default) for revocations made by other instances, until Close.
	engine, err := core.New(core.Config{Store: store, Keys: ring})
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()
	ctx := context.Background()
	first, err := engine.IssueTokens(ctx, "user-1", core.CreateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	next, err := engine.RefreshTokens(ctx, first.RefreshToken, core.RefreshMeta{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rotated:", next.RefreshToken != first.RefreshToken)

	sessions, _ := engine.ListSessions(ctx, "user-1")
	fmt.Println("sessions:", len(sessions))

	revoked, _ := engine.RevokeAllForUser(ctx, "user-1")
	fmt.Println("revoked:", len(revoked))
	// Output:
	// rotated: true
	// sessions: 1
	// revoked: 1
}
