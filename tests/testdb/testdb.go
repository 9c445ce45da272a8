// Package testdb is the one place ratchet's tests get a database: a PostgreSQL schema, a
// MariaDB/MySQL database or an SQLite file of the test's own, created fresh with a unique name
// and dropped when the test ends. The GORM store's tests (tests/gorm), the cross-store
// conformance module (tests/conformance) and the example apps' tests (examples/internal/demo)
// use it; it is a test-only module that no library module requires.
//
// The servers are the machine's: RATCHET_PG_DSN (a keyword/value DSN of the test database;
// default host=127.0.0.1 port=5432 user=postgres dbname=test) and RATCHET_MYSQL_DSN (a
// go-sql-driver/mysql DSN of the server, without a database; default root@tcp(127.0.0.1:3306)/).
// A server that does not answer fails the test when CI=true and skips it loudly otherwise
// (testenv.NeedService).
//
//	db, dsn := testdb.Postgres(t, "rt_")    // *gorm.DB on a fresh schema, and its DSN
//	d := testdb.NewMariaDB(t, "demo_pool_") // just the database: d.URL, d.Admin, d.DSN
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the admin connections
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ratchetauth/ratchet/internal/testenv"
)

// Kind names a database server.
type Kind string

// The kinds of database the tests run on.
const (
	Postgres Kind = "postgres"
	MariaDB  Kind = "mariadb" // MariaDB or MySQL
	SQLite   Kind = "sqlite"
)

// Service is the name NeedService reports for a missing server of kind.
func (k Kind) Service() string {
	switch k {
	case Postgres:
		return "PostgreSQL"
	case MariaDB:
		return "MariaDB/MySQL"
	}
	return "SQLite"
}

// PoolSize is the connection pool Open and Pool give a database: the concurrency tests run
// 64+ goroutines over it, queueing for its connections.
const PoolSize = 16

// SQLiteBusyMillis is the busy timeout of the DSNs NewSQLite returns: generous, for up to 64
// concurrent writers on 2 cores under -race.
const SQLiteBusyMillis = 30000

// PostgresDSN is the keyword/value DSN of the PostgreSQL test database (RATCHET_PG_DSN).
func PostgresDSN() string {
	if v := os.Getenv("RATCHET_PG_DSN"); v != "" {
		return v
	}
	return "host=127.0.0.1 port=5432 user=postgres dbname=test sslmode=disable connect_timeout=5"
}

// MariaDBDSN is the DSN of the MariaDB/MySQL test server, without a database
// (RATCHET_MYSQL_DSN).
func MariaDBDSN() string {
	if v := os.Getenv("RATCHET_MYSQL_DSN"); v != "" {
		return v
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// SQLiteDSN is the DSN of the SQLite file at path, in WAL mode with the given busy timeout.
func SQLiteDSN(path string, busyMillis int) string {
	return fmt.Sprintf("file:%s?_pragma=journal_mode(WAL)&_pragma=busy_timeout(%d)", path, busyMillis)
}

// Quiet is a GORM configuration whose logger discards everything.
func Quiet() *gorm.Config { return &gorm.Config{Logger: logger.Discard} }

// Dialector opens dsn with the GORM driver of kind.
func Dialector(kind Kind, dsn string) gorm.Dialector {
	switch kind {
	case Postgres:
		return postgres.Open(dsn)
	case MariaDB:
		return gormmysql.Open(dsn)
	}
	return sqlite.Open(dsn)
}

var validPrefix = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// UniqueName is prefix followed by 12 random hex digits: a schema, database or channel name
// no other test, nor a concurrent test binary, uses. prefix must be a lowercase SQL
// identifier of at most 41 characters.
func UniqueName(prefix string) string {
	if !validPrefix.MatchString(prefix) {
		panic("testdb: prefix " + strconv.Quote(prefix) + " is not a short lowercase SQL identifier")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Admin opens an administrative database/sql connection to the server of kind (Postgres or
// MariaDB) and pings it; it is closed when the test ends. A server that does not answer
// within 5 s fails the test with CI=true and skips it loudly otherwise.
func Admin(t testing.TB, kind Kind) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", PostgresDSN()
	if kind == MariaDB {
		driver, dsn = "mysql", MariaDBDSN()
	}
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
		testenv.NeedService(t, kind.Service(), err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// create runs the CREATE statement on admin now and the DROP statement when the test ends
// (before admin closes: cleanups run last-in first-out).
func create(t testing.TB, admin *sql.DB, createSQL, dropSQL string) {
	t.Helper()
	if _, err := admin.Exec(createSQL); err != nil {
		t.Fatalf("%s: %v", createSQL, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(dropSQL); err != nil {
			t.Errorf("%s: %v", dropSQL, err)
		}
	})
}

// Database is a fresh, empty database of one test, dropped when the test ends.
type Database struct {
	Kind Kind
	// Name is the PostgreSQL schema, the MariaDB database or the SQLite file's path.
	Name string
	// DSN reaches the database with its Go driver (pgx keyword/value, go-sql-driver/mysql with
	// parseTime, glebarez/sqlite): what Open opens.
	DSN string
	// URL is the same database as the example apps' DATABASE_URL: postgres://… with
	// search_path and application_name set to Name, mysql://…, sqlite://….
	URL string
	// Admin is the administrative connection to the server (nil for SQLite), open until the
	// database is dropped.
	Admin *sql.DB
}

// NewPostgres creates a schema of its own, named UniqueName(prefix), in the PostgreSQL test
// database. Its DSN and URL point search_path at it, so unqualified tables land there; the URL
// also names the app's connections after it (application_name), the DSN leaves that to the
// test.
func NewPostgres(t testing.TB, prefix string) *Database {
	t.Helper()
	admin := Admin(t, Postgres)
	name := UniqueName(prefix)
	create(t, admin, "CREATE SCHEMA "+name, "DROP SCHEMA "+name+" CASCADE")
	cfg, err := pgconn.ParseConfig(PostgresDSN())
	if err != nil {
		t.Fatalf("RATCHET_PG_DSN: %v", err)
	}
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), Path: "/" + cfg.Database}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	q := url.Values{"search_path": {name}, "application_name": {name}}
	if cfg.TLSConfig == nil {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return &Database{
		Kind: Postgres, Name: name, Admin: admin, URL: u.String(),
		DSN: PostgresDSN() + " search_path=" + name,
	}
}

// NewMariaDB creates a database of its own, named UniqueName(prefix), on the MariaDB/MySQL test
// server. The DSN deliberately does not set clientFoundRows: the store must not depend on it.
func NewMariaDB(t testing.TB, prefix string) *Database {
	t.Helper()
	admin := Admin(t, MariaDB)
	name := UniqueName(prefix)
	create(t, admin, "CREATE DATABASE "+name, "DROP DATABASE "+name)
	cfg, err := mysql.ParseDSN(MariaDBDSN())
	if err != nil {
		t.Fatalf("RATCHET_MYSQL_DSN: %v", err)
	}
	cfg.DBName = name
	app := cfg.FormatDSN()
	cfg.ParseTime, cfg.Loc = true, time.UTC
	return &Database{Kind: MariaDB, Name: name, Admin: admin, DSN: cfg.FormatDSN(), URL: "mysql://" + app}
}

// NewSQLite is a database file in the test's temporary directory, removed with it; its DSN
// is SQLiteDSN(path, SQLiteBusyMillis).
func NewSQLite(t testing.TB) *Database {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ratchet.db")
	return &Database{Kind: SQLite, Name: path, DSN: SQLiteDSN(path, SQLiteBusyMillis), URL: "sqlite://" + path}
}

// New is NewPostgres, NewMariaDB or NewSQLite by kind (prefix is unused for SQLite).
func New(t testing.TB, kind Kind, prefix string) *Database {
	t.Helper()
	switch kind {
	case Postgres:
		return NewPostgres(t, prefix)
	case MariaDB:
		return NewMariaDB(t, prefix)
	}
	return NewSQLite(t)
}

// Open opens the database with GORM and cfg (nil: Quiet()), with a pool of PoolSize that
// closes when the test ends (before the database is dropped).
func (d *Database) Open(t testing.TB, cfg *gorm.Config) *gorm.DB {
	t.Helper()
	if cfg == nil {
		cfg = Quiet()
	}
	db, err := gorm.Open(Dialector(d.Kind, d.DSN), cfg)
	if err != nil {
		t.Fatalf("open %s database %s: %v", d.Kind, d.Name, err)
	}
	Pool(t, db)
	return db
}

// Pool bounds db's pool to PoolSize connections and closes it when the test ends.
func Pool(t testing.TB, db *gorm.DB) {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(PoolSize)
	sqlDB.SetMaxIdleConns(PoolSize)
	t.Cleanup(func() { _ = sqlDB.Close() })
}

// Open creates a fresh database of kind (New) and opens it with GORM (Database.Open with
// Quiet()); it returns the handle and its DSN.
func Open(t testing.TB, kind Kind, prefix string) (*gorm.DB, string) {
	t.Helper()
	d := New(t, kind, prefix)
	return d.Open(t, nil), d.DSN
}
