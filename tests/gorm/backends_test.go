package gormtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ratchetauth/ratchet/internal/testenv"
)

// poolSize is the connection pool of every test database: the concurrency tests run 64+
// goroutines over it.
const poolSize = 16

// backend is one database the store must work on.
type backend struct {
	name    string // postgres, mysql, sqlite
	service string // for NeedService
	// open creates a fresh, empty database (schema, database or file) and returns a GORM
	// handle on it plus the DSN it used; the database is dropped at the end of the test.
	open func(t testing.TB, cfg *gorm.Config) (*gorm.DB, string)
	// dialector opens a DSN.
	dialector func(dsn string) gorm.Dialector
	// addr and via, for networked databases: the host:port a DSN points at, and the same DSN
	// pointed at another address.
	addr func(t testing.TB, dsn string) string
	via  func(t testing.TB, dsn, addr string) string
}

func (b backend) networked() bool { return b.addr != nil }

var backends = []backend{
	{name: "postgres", service: "PostgreSQL", open: openPostgres, dialector: postgres.Open, addr: pgAddr, via: pgVia},
	{name: "mysql", service: "MariaDB/MySQL", open: openMySQL, dialector: mysql.Open, addr: mysqlAddr, via: mysqlVia},
	{name: "sqlite", service: "SQLite", open: openSQLite, dialector: sqlite.Open},
}

func pgAddr(t testing.TB, dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// pgVia appends host and port: in a keyword/value DSN the last setting wins.
func pgVia(t testing.TB, dsn, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return dsn + " host=" + host + " port=" + port
}

func mysqlAddr(t testing.TB, dsn string) string {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Addr
}

func mysqlVia(t testing.TB, dsn, addr string) string {
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = addr
	return cfg.FormatDSN()
}

// forEachBackend runs fn as a subtest per database.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func quietConfig() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard}
}

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

// adminSQL opens a plain database/sql handle and pings it, or reports the service missing.
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
func openPostgres(t testing.TB, cfg *gorm.Config) (*gorm.DB, string) {
	t.Helper()
	admin := adminSQL(t, "PostgreSQL", "pgx", pgBaseDSN())
	schema := uniqueName("rt_")
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	dsn := pgBaseDSN() + " search_path=" + schema
	db, err := gorm.Open(postgres.Open(dsn), cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool(t, db)
	return db, dsn
}

// openMySQL creates a database of its own. The DSN deliberately does not set
// clientFoundRows: the store must not depend on it.
func openMySQL(t testing.TB, cfg *gorm.Config) (*gorm.DB, string) {
	t.Helper()
	admin := adminSQL(t, "MariaDB/MySQL", "mysql", mysqlServerDSN())
	name := uniqueName("rt_")
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	dsn := strings.TrimSuffix(mysqlServerDSN(), "/") + "/" + name + "?parseTime=true&loc=UTC"
	db, err := gorm.Open(mysql.Open(dsn), cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool(t, db)
	return db, dsn
}

// openSQLite creates a database file in the test's temporary directory, in WAL mode with a
// generous busy timeout (the tests run up to 64 concurrent writers on 2 cores under -race).
func openSQLite(t testing.TB, cfg *gorm.Config) (*gorm.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ratchet.db")
	dsn := sqliteDSN(path, 30000)
	db, err := gorm.Open(sqlite.Open(dsn), cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool(t, db)
	return db, dsn
}

func sqliteDSN(path string, busyMillis int) string {
	return fmt.Sprintf("file:%s?_pragma=journal_mode(WAL)&_pragma=busy_timeout(%d)", path, busyMillis)
}
