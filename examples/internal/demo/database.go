package demo

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ConnectTimeout bounds how long opening the database may take before the app gives up.
const ConnectTimeout = 10 * time.Second

// Pool bounds the database/sql connection pool.
type Pool struct {
	MaxOpen     int           // SetMaxOpenConns: connections the app holds at most, busy or idle
	MaxIdle     int           // SetMaxIdleConns: connections kept open while idle (≤ MaxOpen)
	MaxIdleTime time.Duration // SetConnMaxIdleTime: an idle connection older than this is closed; 0 keeps it
	MaxLifetime time.Duration // SetConnMaxLifetime: any connection older than this is replaced; 0 keeps it
}

// DefaultPools are the pool bounds per database kind when DB_MAX_OPEN_CONNS and
// DB_MAX_IDLE_CONNS are unset. A network database serves several instances: 20 connections
// per instance leaves room for five instances under PostgreSQL's default max_connections
// (100) and seven under MySQL's (151). Idle connections are closed after 5 minutes and
// replaced after 30, well within the servers' own timeouts. SQLite writes take turns behind
// the store's write gate (one writer per store) and WAL lets readers run beside it, so a
// handful of connections is all it can use; they stay open.
var DefaultPools = map[string]Pool{
	"postgres": {MaxOpen: 20, MaxIdle: 10, MaxIdleTime: 5 * time.Minute, MaxLifetime: 30 * time.Minute},
	"mysql":    {MaxOpen: 20, MaxIdle: 10, MaxIdleTime: 5 * time.Minute, MaxLifetime: 30 * time.Minute},
	"sqlite":   {MaxOpen: 8, MaxIdle: 8},
}

// Pool is the connection pool for a database of this kind: DefaultPools[kind] with
// DB_MAX_OPEN_CONNS and DB_MAX_IDLE_CONNS applied. With only DB_MAX_OPEN_CONNS set, the idle
// bound shrinks to fit under it; DB_MAX_IDLE_CONNS alone above the default open bound is an
// error naming it.
func (s Settings) Pool(kind string) (Pool, error) {
	p, ok := DefaultPools[kind]
	if !ok {
		return Pool{}, fmt.Errorf("database kind %q is not supported", kind)
	}
	if s.DBMaxOpenConns > 0 {
		p.MaxOpen = s.DBMaxOpenConns
		p.MaxIdle = min(p.MaxIdle, p.MaxOpen)
	}
	if s.DBMaxIdleConns > 0 {
		if s.DBMaxIdleConns > p.MaxOpen {
			return Pool{}, fmt.Errorf("DB_MAX_IDLE_CONNS=%d is more than the pool's %d open connections (set DB_MAX_OPEN_CONNS too)", s.DBMaxIdleConns, p.MaxOpen)
		}
		p.MaxIdle = s.DBMaxIdleConns
	}
	return p, nil
}

// String describes the pool for the banner.
func (p Pool) String() string {
	s := fmt.Sprintf("at most %d connections, %d kept idle", p.MaxOpen, p.MaxIdle)
	if p.MaxIdleTime > 0 {
		s += fmt.Sprintf(" for up to %s", p.MaxIdleTime)
	}
	return s
}

// Database is a parsed DATABASE_URL.
type Database struct {
	Kind    string // "sqlite", "postgres" or "mysql"
	DSN     string // what the GORM driver is opened with
	Display string // the URL with any password masked, for messages
	File    string // the SQLite file, "" for the network databases
}

// ParseDatabaseURL understands the forms of the example contract:
//
//	""                                   an SQLite file named DefaultSQLiteFile in the working directory
//	sqlite://PATH                        a relative path (sqlite:///abs/path.db for an absolute one)
//	postgres://user:pass@host:port/db    also postgresql://; any libpq URL parameter
//	mysql://user:pass@tcp(host:port)/db  a go-sql-driver DSN after the scheme; mysql://user:pass@host:port/db also works
//
// It checks the shape only; Open connects.
func ParseDatabaseURL(raw string) (Database, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = "sqlite://" + DefaultSQLiteFile
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Database{}, fmt.Errorf("DATABASE_URL %q has no scheme: use sqlite://PATH, postgres://… or mysql://…", maskAfterAt(raw))
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		return parseSQLite(rest)
	case "postgres", "postgresql":
		return parsePostgres(raw)
	case "mysql", "mariadb":
		return parseMySQL(rest)
	default:
		return Database{}, fmt.Errorf("DATABASE_URL scheme %q is not supported: use sqlite://PATH, postgres://… or mysql://…", scheme)
	}
}

func parseSQLite(rest string) (Database, error) {
	path, query, _ := strings.Cut(rest, "?")
	if path == "" {
		return Database{}, errors.New("DATABASE_URL sqlite:// needs a file path, e.g. sqlite://ratchet-demo.db or sqlite:///var/lib/app/app.db")
	}
	if path == ":memory:" || strings.Contains(query, "mode=memory") {
		return Database{}, errors.New("DATABASE_URL: an in-memory SQLite database is not supported by the examples (each pooled connection would see its own empty database); use a file")
	}
	// A busy writer waits instead of failing at once; the store refuses a zero busy_timeout.
	if !strings.Contains(query, "busy_timeout") {
		query = joinQuery(query, "_pragma=busy_timeout(5000)")
	}
	return Database{Kind: "sqlite", DSN: path + "?" + query, Display: "sqlite://" + path, File: path}, nil
}

func parsePostgres(raw string) (Database, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Database{}, fmt.Errorf("DATABASE_URL is not a valid postgres URL: %v", scrubURLError(err))
	}
	if u.Host == "" {
		return Database{}, fmt.Errorf("DATABASE_URL %q has no host: use postgres://user:pass@host:5432/dbname", u.Redacted())
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", fmt.Sprint(int(ConnectTimeout/time.Second)))
		u.RawQuery = q.Encode()
	}
	return Database{Kind: "postgres", DSN: u.String(), Display: u.Redacted()}, nil
}

func parseMySQL(rest string) (Database, error) {
	cfg, err := mysqldriver.ParseDSN(rest)
	if err != nil {
		// The URL form, mysql://user:pass@host:port/db.
		u, uerr := url.Parse("mysql://" + rest)
		if uerr != nil || u.Host == "" || strings.ContainsAny(u.Host, "()") {
			return Database{}, fmt.Errorf("DATABASE_URL is not a valid MySQL DSN (want mysql://user:pass@tcp(host:port)/db): %v", err)
		}
		cfg = mysqldriver.NewConfig()
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.Net, cfg.Addr = "tcp", u.Host
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		for k, vs := range u.Query() {
			if cfg.Params == nil {
				cfg.Params = map[string]string{}
			}
			cfg.Params[k] = vs[0]
		}
	}
	if cfg.DBName == "" {
		return Database{}, errors.New("DATABASE_URL names no MySQL database: use mysql://user:pass@tcp(host:port)/dbname")
	}
	cfg.ParseTime = true // the store needs it
	if cfg.Timeout == 0 {
		cfg.Timeout = ConnectTimeout
	}
	shown := *cfg
	if shown.Passwd != "" {
		shown.Passwd = "xxxxx"
	}
	return Database{Kind: "mysql", DSN: cfg.FormatDSN(), Display: "mysql://" + shown.FormatDSN()}, nil
}

func joinQuery(q, add string) string {
	if q == "" {
		return add
	}
	return q + "&" + add
}

// maskAfterAt hides what could be a password in a URL we could not parse.
func maskAfterAt(s string) string {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return "…" + s[i:]
	}
	return s
}

// scrubURLError drops the URL from a url.Error, which would repeat the password.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Open connects to the database with the pool bounded by p and checks that it answers within
// ConnectTimeout. GORM logs only warnings and errors, with parameterized queries so no value
// reaches a log.
func (d Database) Open(ctx context.Context, p Pool) (*gorm.DB, error) {
	var dial gorm.Dialector
	switch d.Kind {
	case "sqlite":
		path, _, _ := strings.Cut(d.DSN, "?")
		if dir := filepath.Dir(path); dir != "" {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return nil, fmt.Errorf("database %s: directory %q does not exist", d.Display, dir)
			}
		}
		dial = sqlite.Open(d.DSN)
	case "postgres":
		dial = postgres.Open(d.DSN)
	case "mysql":
		dial = mysql.Open(d.DSN)
	default:
		return nil, fmt.Errorf("database kind %q is not supported", d.Kind)
	}
	db, err := gorm.Open(dial, &gorm.Config{
		DisableAutomaticPing: true, // pinged below, with a deadline
		Logger: logger.New(log.New(os.Stderr, "", log.LstdFlags), logger.Config{
			SlowThreshold:             time.Second,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
		}),
	})
	if err != nil { // the MySQL dialector already connects here, to read the server version
		return nil, fmt.Errorf("cannot connect to database %s: %w", d.Display, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", d.Display, err)
	}
	sqlDB.SetMaxOpenConns(p.MaxOpen)
	sqlDB.SetMaxIdleConns(p.MaxIdle)
	sqlDB.SetConnMaxIdleTime(p.MaxIdleTime)
	sqlDB.SetConnMaxLifetime(p.MaxLifetime)
	pctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("cannot connect to database %s: %w", d.Display, err)
	}
	return db, nil
}
