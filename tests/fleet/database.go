package main

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
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// Database is the isolated database of one run: created fresh, dropped at the end.
type Database struct {
	Kind     string // "postgres", "mariadb" or "sqlite"
	Name     string // the database's name (the file for SQLite)
	Upstream string // host:port of the real server; "" for SQLite
	// URL builds the instances' DATABASE_URL for a server reached at addr (the proxy).
	URL  func(addr string) string
	drop func(context.Context) error
}

// Drop removes the database. It is safe to call once the instances have stopped.
func (d *Database) Drop(ctx context.Context) error {
	if d == nil || d.drop == nil {
		return nil
	}
	return d.drop(ctx)
}

// uniqueName is a database name no other run uses: fleet_<unix time>_<random>.
func uniqueName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "ratchet_fleet_" + strconv.FormatInt(time.Now().Unix(), 10) + "_" + hex.EncodeToString(b[:])
}

// CreateDatabase creates a uniquely named database on the server of kind (or an SQLite file in
// dir). pgAdmin and mysqlAdmin are how the fleet reaches the servers to create and drop.
func CreateDatabase(ctx context.Context, kind, dir, pgAdmin, mysqlAdmin string) (*Database, error) {
	switch kind {
	case "postgres":
		return createPostgres(ctx, pgAdmin)
	case "mariadb":
		return createMariaDB(ctx, mysqlAdmin)
	case "sqlite":
		path := filepath.Join(dir, "fleet.db")
		return &Database{
			Kind: kind, Name: path,
			URL: func(string) string { return "sqlite://" + path }, // path is absolute: sqlite:///abs
			drop: func(context.Context) error {
				for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
					if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
						return err
					}
				}
				return nil
			},
		}, nil
	default:
		return nil, fmt.Errorf("unknown database %q (postgres, mariadb or sqlite)", kind)
	}
}

func adminExec(ctx context.Context, driver, dsn string, stmts ...string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func createPostgres(ctx context.Context, admin string) (*Database, error) {
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		return nil, fmt.Errorf("-pg-admin is not a PostgreSQL DSN: %v", err)
	}
	name := uniqueName()
	if err := adminExec(ctx, "pgx", admin, `CREATE DATABASE "`+name+`"`); err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: create database: %w", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), err)
	}
	user, pass := cfg.User, cfg.Password
	return &Database{
		Kind: "postgres", Name: name, Upstream: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))),
		URL: func(addr string) string {
			u := url.URL{Scheme: "postgres", Host: addr, Path: "/" + name, RawQuery: "sslmode=disable"}
			if pass != "" {
				u.User = url.UserPassword(user, pass)
			} else {
				u.User = url.User(user)
			}
			return u.String()
		},
		drop: func(ctx context.Context) error {
			return adminExec(ctx, "pgx", admin, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
		},
	}, nil
}

func createMariaDB(ctx context.Context, admin string) (*Database, error) {
	cfg, err := mysql.ParseDSN(admin)
	if err != nil {
		return nil, fmt.Errorf("-mysql-admin is not a MySQL DSN: %v", err)
	}
	name := uniqueName()
	if err := adminExec(ctx, "mysql", admin, "CREATE DATABASE `"+name+"`"); err != nil {
		return nil, fmt.Errorf("MariaDB at %s: create database: %w", cfg.Addr, err)
	}
	return &Database{
		Kind: "mariadb", Name: name, Upstream: cfg.Addr,
		URL: func(addr string) string {
			c := cfg.Clone()
			c.Net, c.Addr, c.DBName = "tcp", addr, name
			return "mysql://" + c.FormatDSN()
		},
		drop: func(ctx context.Context) error {
			return adminExec(ctx, "mysql", admin, "DROP DATABASE IF EXISTS `"+name+"`")
		},
	}, nil
}
