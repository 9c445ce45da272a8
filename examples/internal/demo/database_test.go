package demo

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

func TestParseDatabaseURL(t *testing.T) {
	for _, tc := range []struct{ in, kind, dsn, display string }{
		{"", "sqlite", "ratchet-demo.db?_pragma=busy_timeout(5000)", "sqlite://ratchet-demo.db"},
		{"sqlite://data/app.db", "sqlite", "data/app.db?_pragma=busy_timeout(5000)", "sqlite://data/app.db"},
		{"sqlite:///var/lib/app.db", "sqlite", "/var/lib/app.db?_pragma=busy_timeout(5000)", "sqlite:///var/lib/app.db"},
		{"sqlite://a.db?_pragma=busy_timeout(100)", "sqlite", "a.db?_pragma=busy_timeout(100)", "sqlite://a.db"},
		{"postgres://u:pw@db:5432/app?sslmode=disable", "postgres", "postgres://u:pw@db:5432/app?connect_timeout=10&sslmode=disable", "postgres://u:xxxxx@db:5432/app?connect_timeout=10&sslmode=disable"},
		{"postgresql://u@db/app?connect_timeout=3", "postgres", "postgresql://u@db/app?connect_timeout=3", "postgresql://u@db/app?connect_timeout=3"},
		{"mysql://u:pw@tcp(db:3306)/app", "mysql", "u:pw@tcp(db:3306)/app?parseTime=true&timeout=10s", "mysql://u:xxxxx@tcp(db:3306)/app?parseTime=true&timeout=10s"},
		{"mysql://u:pw@db:3307/app", "mysql", "u:pw@tcp(db:3307)/app?parseTime=true&timeout=10s", "mysql://u:xxxxx@tcp(db:3307)/app?parseTime=true&timeout=10s"},
	} {
		d, err := ParseDatabaseURL(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if d.Kind != tc.kind || d.DSN != tc.dsn || d.Display != tc.display {
			t.Errorf("%q:\n got  %+v\n want {Kind:%s DSN:%s Display:%s}", tc.in, d, tc.kind, tc.dsn, tc.display)
		}
	}
}

func TestParseDatabaseURLErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"app.db", "no scheme"},
		{"mongodb://h/db", "not supported"},
		{"sqlite://", "needs a file path"},
		{"sqlite://:memory:", "in-memory"},
		{"postgres:///app", "no host"},
		{"postgres://u:hunter2@h:bad/app", "not a valid postgres URL"},
		{"mysql://u:hunter2@tcp(h:3306)/", "names no MySQL database"},
		{"mysql://u:hunter2@tcp(h:3306", "not a valid MySQL DSN"},
	} {
		_, err := ParseDatabaseURL(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.in, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error shows the password: %v", tc.in, err)
		}
	}
}

func TestOpenSQLite(t *testing.T) {
	s, _ := Load(env("DATABASE_URL", "sqlite://"+filepath.Join(t.TempDir(), "x.db")))
	app, err := SetupWith(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = openURL(t, "sqlite://"+filepath.Join(t.TempDir(), "missing", "x.db"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing directory: %v", err)
	}
}

func openURL(t *testing.T, raw string) (*App, error) {
	t.Helper()
	return SetupWith(context.Background(), mustLoad(t, raw)) // with a KEK, required for the network databases
}

// The postgres:// and mysql:// forms against the machine's PostgreSQL and MariaDB, each in a
// database of its own. Skipped when a server is missing, except under CI=true.
func TestOpenServers(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		d := testdb.NewPostgres(t, "demo_open_")
		setupAndSignIn(t, d.URL)
		onePooledConnection(t, d.URL)
	})
	t.Run("mysql", func(t *testing.T) {
		d := testdb.NewMariaDB(t, "demo_open_")
		setupAndSignIn(t, d.URL)
		onePooledConnection(t, d.URL)
	})
	t.Run("sqlite", func(t *testing.T) {
		onePooledConnection(t, "sqlite://"+filepath.Join(t.TempDir(), "one.db"))
	})
}

// onePooledConnection runs the engine's store work on a pool of one connection: no operation
// may hold a connection while it waits for another (it would wait forever), so any pool size
// the operator picks works.
func onePooledConnection(t *testing.T, raw string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app, err := SetupWith(ctx, mustLoad(t, raw, "DB_MAX_OPEN_CONNS", "1"))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if n := app.SQL.Stats().MaxOpenConnections; n != 1 {
		t.Fatalf("pool bound %d, want 1", n)
	}
	tok, err := app.Engine.IssueTokens(ctx, "user-bob", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next, err := app.Engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{})
	if err != nil {
		t.Fatalf("refresh on one connection: %v", err)
	}
	if _, err := app.Engine.VerifyAccessToken(ctx, next.AccessToken, core.VerifyOptions{CheckDatabase: true}); err != nil {
		t.Fatalf("strict verify on one connection: %v", err)
	}
	list, err := app.Engine.ListSessions(ctx, "user-bob")
	if err != nil || len(list) == 0 {
		t.Fatalf("sessions on one connection: %v %v", list, err)
	}
	if _, err := app.Engine.RevokeAllForUser(ctx, "user-bob"); err != nil {
		t.Fatalf("revoking bob's sessions on one connection: %v", err)
	}
}

// testKEK is the RATCHET_KEK of these tests: one for all, as for the instances of one app.
var _, testKEK = core.NewKEK()

// mustLoad is the settings for DATABASE_URL=raw, RATCHET_KEK=testKEK and kv.
func mustLoad(t *testing.T, raw string, kv ...string) Settings {
	t.Helper()
	s, err := Load(env(append([]string{"DATABASE_URL", raw, "RATCHET_KEK", testKEK}, kv...)...))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A network database without RATCHET_KEK stops the app before it connects: the instances
// would otherwise sign with keys of their own and refuse each other's tokens.
func TestNetworkDatabaseNeedsKEK(t *testing.T) {
	for _, raw := range []string{"postgres://u:hunter2@127.0.0.1:1/db?sslmode=disable", "mysql://u:hunter2@tcp(127.0.0.1:1)/db"} {
		s, err := Load(env("DATABASE_URL", raw))
		if err != nil {
			t.Fatal(err)
		}
		a, err := SetupWith(context.Background(), s)
		if err == nil {
			_ = a.Close()
			t.Fatalf("%s without RATCHET_KEK: started", raw)
		}
		if !strings.Contains(err.Error(), "RATCHET_KEK") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s without RATCHET_KEK: %v", raw, err)
		}
	}
}

// setupAndSignIn opens the store through DATABASE_URL and issues and lists a session.
func setupAndSignIn(t *testing.T, raw string) {
	app, err := openURL(t, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if got, want := app.SQL.Stats().MaxOpenConnections, DefaultPools[app.Database.Kind].MaxOpen; got != want {
		t.Errorf("pool bound %d, want %d", got, want)
	}
	ctx := context.Background()
	if _, err := app.Engine.IssueTokens(ctx, "user-alice", core.CreateOptions{Data: map[string]any{"notes": []any{"x"}}}); err != nil {
		t.Fatal(err)
	}
	list, err := app.Engine.ListSessions(ctx, "user-alice")
	if err != nil || len(list) != 1 {
		t.Fatalf("sessions: %v %v", list, err)
	}
}
