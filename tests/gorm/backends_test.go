package gormtest

import (
	"net"
	"strconv"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/tests/testdb"
)

// backend is one database the store must work on; testdb creates and drops its databases.
type backend struct {
	name string // postgres, mysql, sqlite
	kind testdb.Kind
	// addr and via, for networked databases: the host:port a DSN points at, and the same DSN
	// pointed at another address.
	addr func(t testing.TB, dsn string) string
	via  func(t testing.TB, dsn, addr string) string
}

func (b backend) networked() bool { return b.addr != nil }

// open creates a fresh, empty database (schema, database or file) and returns a GORM handle
// on it (cfg; a pool of testdb.PoolSize) plus the DSN it used; the database is dropped at the
// end of the test.
func (b backend) open(t testing.TB, cfg *gorm.Config) (*gorm.DB, string) {
	t.Helper()
	d := testdb.New(t, b.kind, "rt_")
	return d.Open(t, cfg), d.DSN
}

// dialector opens a DSN.
func (b backend) dialector(dsn string) gorm.Dialector { return testdb.Dialector(b.kind, dsn) }

var backends = []backend{
	{name: "postgres", kind: testdb.Postgres, addr: pgAddr, via: pgVia},
	{name: "mysql", kind: testdb.MariaDB, addr: mysqlAddr, via: mysqlVia},
	{name: "sqlite", kind: testdb.SQLite},
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
