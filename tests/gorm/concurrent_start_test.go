package gormtest

import (
	"fmt"
	"sync"
	"testing"

	"gorm.io/gorm"

	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// openInstance opens dsn as a separate app instance would: its own *gorm.DB and its own small
// connection pool, closed at the end of the test.
func openInstance(t testing.TB, b backend, dsn string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(b.dialector(dsn), testdb.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(2)
	t.Cleanup(func() { _ = sqlDB.Close() })
	// Connect now, so that the instances race on the migration, not on the handshake.
	if err := sqlDB.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

// startAll runs gormstore.New with AutoMigrate on every db at once and returns each error.
func startAll(dbs []*gorm.DB) []error {
	errs := make([]error, len(dbs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// TestConcurrentStart: 8 instances (each its own *gorm.DB and pool, like 8 processes) start
// at once with AutoMigrate on a fresh, empty database, 8 times on each database. Every start
// must succeed, and the schema must be exactly the one a single instance creates.
func TestConcurrentStart(t *testing.T) {
	const instances, trials = 8, 8
	forEachBackend(t, func(t *testing.T, b backend) {
		want, _ := b.open(t, testdb.Quiet())
		if _, err := gormstore.New(want, gormstore.Options{AutoMigrate: true}); err != nil {
			t.Fatal(err)
		}
		failed := 0
		for trial := range trials {
			t.Run(fmt.Sprint("trial", trial), func(t *testing.T) {
				_, dsn := b.open(t, testdb.Quiet()) // a fresh, empty schema / database / file
				dbs := make([]*gorm.DB, instances)
				for i := range dbs {
					dbs[i] = openInstance(t, b, dsn)
				}
				for i, err := range startAll(dbs) {
					if err != nil {
						failed++
						t.Errorf("instance %d: %v", i, err)
					}
				}
				sameSchema(t, want, dbs[0])
			})
		}
		t.Logf("%s: %d of %d concurrent starts failed", b.name, failed, instances*trials)
		if failed > 0 {
			t.Errorf("%s: %d of %d concurrent starts failed; want 0", b.name, failed, instances*trials)
		}
	})
}
