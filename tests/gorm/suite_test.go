package gormtest

import (
	"testing"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/testkit/storetest"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// newStore opens a fresh database on b and returns a migrated store over it.
func newStore(t testing.TB, b backend, opts gormstore.Options) (*gormstore.Store, *gorm.DB) {
	t.Helper()
	db, _ := b.open(t, testdb.Quiet())
	opts.AutoMigrate = true
	s, err := gormstore.New(db, opts)
	if err != nil {
		t.Fatalf("gormstore.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, db
}

// TestStoreSuite runs the conformance suite on every database, each subtest in a database
// (schema, database or file) of its own.
func TestStoreSuite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		storetest.StoreSuite(t, func(t *testing.T) core.Store {
			s, _ := newStore(t, b, gormstore.Options{})
			return s
		})
	})
}
