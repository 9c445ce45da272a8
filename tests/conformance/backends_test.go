package conformance

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ratchetauth/ratchet/internal/testenv"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// The database helpers follow tests/gorm's (which live in that module's tests and
// cannot be imported): a file, schema or database of its own per run, dropped at the end.

// poolSize is each run's connection pool.
const poolSize = 16

// database is one database the GORM store runs on.
type database struct {
	name string
	// open creates a fresh, empty database and returns a GORM handle on it; the database is
	// dropped when the test ends.
	open func(t testing.TB) *gorm.DB
}

var databases = []database{
	{name: "sqlite", open: openSQLite},
	{name: "postgres", open: openPostgres},
	{name: "mariadb", open: openMySQL},
}

// newGORMStore opens a fresh database and a migrated GORM store on it, closed at the end of
// the test.
func newGORMStore(t testing.TB, db database) *gormstore.Store {
	t.Helper()
	s, err := gormstore.New(db.open(t), gormstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatalf("gormstore.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func gormConfig() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }

func pgBaseDSN() string {
	if v := os.Getenv("RATCHET_PG_DSN"); v != "" {
		return v
	}
	return "host=127.0.0.1 port=5432 user=postgres dbname=test sslmode=disable connect_timeout=5"
}

func mysqlServerDSN() string {
	if v := os.Getenv("RATCHET_MYSQL_DSN"); v != "" {
		return v
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// adminSQL opens a plain database/sql handle and pings it, or reports the service missing
// (testenv.NeedService: a loud skip, a failure with CI=true).
func adminSQL(t testing.TB, service, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if db != nil {
			_ = db.Close()
		}
		testenv.NeedService(t, service, err)
	}
	return db
}

func pool(t testing.TB, db *gorm.DB) {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(poolSize)
	sqlDB.SetMaxIdleConns(poolSize)
	t.Cleanup(func() { _ = sqlDB.Close() })
}

// openPostgres creates a schema of its own and points search_path at it.
func openPostgres(t testing.TB) *gorm.DB {
	t.Helper()
	admin := adminSQL(t, "PostgreSQL", "pgx", pgBaseDSN())
	schema := uniqueName("rtc_")
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		_ = admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	db, err := gorm.Open(postgres.Open(pgBaseDSN()+" search_path="+schema), gormConfig())
	if err != nil {
		t.Fatal(err)
	}
	pool(t, db)
	return db
}

// openMySQL creates a database of its own on MariaDB or MySQL.
func openMySQL(t testing.TB) *gorm.DB {
	t.Helper()
	admin := adminSQL(t, "MariaDB/MySQL", "mysql", mysqlServerDSN())
	name := uniqueName("rtc_")
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		_ = admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	dsn := strings.TrimSuffix(mysqlServerDSN(), "/") + "/" + name + "?parseTime=true&loc=UTC"
	db, err := gorm.Open(mysql.Open(dsn), gormConfig())
	if err != nil {
		t.Fatal(err)
	}
	pool(t, db)
	return db
}

// openSQLite creates a database file in the test's temporary directory, in WAL mode with a
// generous busy timeout.
func openSQLite(t testing.TB) *gorm.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ratchet.db")
	dsn := fmt.Sprintf("file:%s?_pragma=journal_mode(WAL)&_pragma=busy_timeout(%d)", path, 30000)
	db, err := gorm.Open(sqlite.Open(dsn), gormConfig())
	if err != nil {
		t.Fatal(err)
	}
	pool(t, db)
	return db
}
