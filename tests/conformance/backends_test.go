package conformance

import (
	"testing"

	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// databases are the databases the GORM store runs on; each run gets a file, schema or
// database of its own from testdb, dropped at the end.
var databases = []testdb.Kind{testdb.SQLite, testdb.Postgres, testdb.MariaDB}

// newGORMStore opens a fresh database and a migrated GORM store on it, closed at the end of
// the test.
func newGORMStore(t testing.TB, kind testdb.Kind) *gormstore.Store {
	t.Helper()
	db, _ := testdb.Open(t, kind, "rtc_")
	s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatalf("gormstore.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
