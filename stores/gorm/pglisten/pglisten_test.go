package pglisten

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testenv"
)

// These tests need PostgreSQL (RATCHET_PG_DSN, default 127.0.0.1:5432, user postgres, db
// test); they fail under CI=true when it is missing and skip loudly otherwise. LISTEN and
// NOTIFY touch no table: each test isolates itself with a channel and an application_name of
// its own.

// waitLimit is a safety net against a hung test, not a timing assertion.
const waitLimit = time.Minute

func baseDSN() string {
	if v := os.Getenv("RATCHET_PG_DSN"); v != "" {
		return v
	}
	return "host=127.0.0.1 port=5432 user=postgres dbname=test sslmode=disable connect_timeout=5"
}

// quiet is the logger of the tests that do not read the log.
var quiet = WithLogger(slog.New(slog.DiscardHandler))

func unique(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// admin connects to PostgreSQL for sending notifications and inspecting sessions.
func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, baseDSN())
	if err != nil {
		testenv.NeedService(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func notify(t *testing.T, conn *pgx.Conn, channel, payload string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		t.Fatal(err)
	}
}

// listening is one Listen call running in the background.
type listening struct {
	notes  chan core.Notification // what it delivers
	done   chan struct{}          // closed when it has returned
	err    error                  // what it returned, once done
	cancel context.CancelFunc
}

// run starts Listen in the background; it is stopped at the end of the test.
func run(t *testing.T, l *Listener) *listening {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &listening{notes: make(chan core.Notification, 64), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(r.done)
		r.err = l.Listen(ctx, func(n core.Notification) { r.notes <- n })
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// returned waits for Listen to return by itself and reports its error.
func (r *listening) returned(t *testing.T) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(waitLimit):
		t.Fatal("Listen did not return")
		return nil
	}
}

// stop ends Listen's context; if it was still running, it must return nil.
func (r *listening) stop(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
		return
	default:
	}
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Listen after its context ended: %v, want nil", r.err)
		}
	case <-time.After(waitLimit):
		t.Error("Listen did not return after its context ended")
	}
}

func next(t *testing.T, notes chan core.Notification) core.Notification {
	t.Helper()
	select {
	case n := <-notes:
		return n
	case <-time.After(waitLimit):
		t.Fatal("no notification")
		return core.Notification{}
	}
}

func expect(t *testing.T, notes chan core.Notification, kind string, handles ...string) {
	t.Helper()
	n := next(t, notes)
	if n.Kind != kind || strings.Join(n.Handles, ",") != strings.Join(handles, ",") {
		t.Fatalf("got %+v, want kind %s handles %v", n, kind, handles)
	}
}

// catchUp expects the two notifications every (re)connect delivers first.
func catchUp(t *testing.T, notes chan core.Notification) {
	t.Helper()
	expect(t, notes, core.NotifyRevoked)
	expect(t, notes, core.NotifyKeys)
}

// TestListen: after connecting, the listener asks for a feed read and a key reload, then
// delivers the channel's notifications in order, parsed; malformed payloads become feed reads
// (logged without their content), and other channels are not heard.
func TestListen(t *testing.T) {
	conn := admin(t)
	channel := unique("ratchet_test_")
	var logs bytes.Buffer
	l := New(baseDSN(), channel, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err := l.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := run(t, l)
	notes := r.notes
	catchUp(t, notes) // LISTEN has run: nothing sent from now on is missed
	notify(t, conn, channel, "revoked:"+h1)
	notify(t, conn, channel+"x", "keys") // another channel
	notify(t, conn, channel, "keys")
	notify(t, conn, channel, "revoked:"+h1+","+h2)
	notify(t, conn, channel, "revoked:not-a-handle-secretish")
	notify(t, conn, channel, "revoked")
	expect(t, notes, core.NotifyRevoked, h1)
	expect(t, notes, core.NotifyKeys)
	expect(t, notes, core.NotifyRevoked, h1, h2)
	expect(t, notes, core.NotifyRevoked)
	expect(t, notes, core.NotifyRevoked)
	r.stop(t)
	if !strings.Contains(logs.String(), "malformed notification payload") || strings.Contains(logs.String(), "secretish") {
		t.Errorf("log should report the malformed payload without its content:\n%s", logs.String())
	}
	select {
	case n := <-notes:
		t.Errorf("unexpected notification %+v", n)
	default:
	}
}

// TestListenConnectionLoss: when the server ends the listener's session, Listen returns an
// error (the engine reconnects), and a new Listen catches up and hears new notifications.
func TestListenConnectionLoss(t *testing.T) {
	conn := admin(t)
	channel, app := unique("ratchet_test_"), unique("pglisten_test_")
	l := New(baseDSN(), channel, WithApplicationName(app), quiet)
	r := run(t, l)
	catchUp(t, r.notes)
	var killed int
	if err := conn.QueryRow(context.Background(),
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d backends named %s, want 1", killed, app)
	}
	err := r.returned(t)
	if err == nil {
		t.Fatal("Listen returned nil after losing its connection")
	}
	t.Logf("Listen after the backend was terminated: %v", err)
	r2 := run(t, l)
	catchUp(t, r2.notes)
	notify(t, conn, channel, "revoked:"+h2)
	expect(t, r2.notes, core.NotifyRevoked, h2)
}

// TestListenIdleCheck: a silent connection is checked every ping interval and kept while it
// answers.
func TestListenIdleCheck(t *testing.T) {
	conn := admin(t)
	channel, app := unique("ratchet_test_"), unique("pglisten_test_")
	l := New(baseDSN(), channel, WithPingInterval(time.Second), WithApplicationName(app), quiet)
	r := run(t, l)
	catchUp(t, r.notes)
	// Wait until a check has gone by (observed, not timed: the listener's backend has run
	// something after its LISTEN).
	deadline := time.Now().Add(waitLimit)
	for {
		var q string
		err := conn.QueryRow(context.Background(),
			"SELECT coalesce(max(query), '') FROM pg_stat_activity WHERE application_name = $1", app).Scan(&q)
		if err != nil {
			t.Fatal(err)
		}
		if q != "" && !strings.HasPrefix(q, "LISTEN") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the listener never checked its idle connection (last query %q)", q)
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case <-r.done:
		t.Fatalf("Listen returned on an idle, healthy connection: %v", r.err)
	default:
	}
	notify(t, conn, channel, "keys")
	expect(t, r.notes, core.NotifyKeys)
}

// TestNoPasswordInErrors: neither the errors Listen returns (which the engine logs) nor the
// listener's own logs show the connection string's password, for a refused connection, an
// unparsable string in both forms, and a failing LISTEN.
func TestNoPasswordInErrors(t *testing.T) {
	const pw = "s3cr3t-Pw-9f2c"
	var logs bytes.Buffer
	log := WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	for name, dsn := range map[string]string{
		"refused":     "host=127.0.0.1 port=1 user=u dbname=d password=" + pw + " connect_timeout=5",
		"refused-url": "postgres://u:" + pw + "@127.0.0.1:1/d?connect_timeout=5",
		"bad-url":     "postgres://u:" + pw + "@127.0.0.1:notaport/d",
		"bad-kv":      "host=127.0.0.1 password=" + pw + " port=notaport",
		"bad-quote":   "host=127.0.0.1 password = '" + pw + " port=5432",
	} {
		t.Run(name, func(t *testing.T) {
			l := New(dsn, "ratchet_x", log)
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			err := l.Listen(ctx, func(core.Notification) { t.Error("delivered without a connection") })
			if err == nil {
				t.Fatal("Listen succeeded")
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the password: %v", err)
			}
			if err := l.Check(ctx); err == nil || strings.Contains(err.Error(), pw) {
				t.Errorf("Check: %v", err)
			}
		})
	}
	// A real server refusing the session (no such database): the error comes from the server.
	admin(t)
	l := New(baseDSN()+" dbname=rt_no_such_db password="+pw, "ratchet_x", log)
	if err := l.Check(context.Background()); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("Check against a missing database: %v", err)
	} else {
		t.Logf("Check against a missing database: %v", err)
	}
	if strings.Contains(logs.String(), pw) {
		t.Errorf("the log shows the password:\n%s", logs.String())
	}
	// The scrubber itself, should a message ever quote the password.
	l = New(baseDSN()+" password="+pw, "ratchet_x")
	err := l.scrub(errors.New("server said: password " + pw + " is wrong"))
	if strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "xxxxx") {
		t.Errorf("scrub: %v", err)
	}
}

// TestInvalidChannel: channels PostgreSQL would truncate or refuse are refused up front.
func TestInvalidChannel(t *testing.T) {
	for _, ch := range []string{"", strings.Repeat("c", 64), "a\x00b"} {
		if err := New(baseDSN(), ch).Check(context.Background()); err == nil {
			t.Errorf("channel %q accepted", ch)
		}
	}
	if New(baseDSN(), strings.Repeat("c", 63)).cfgErr != nil {
		t.Error("a 63-byte channel refused")
	}
}
