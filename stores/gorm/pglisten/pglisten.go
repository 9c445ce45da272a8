// Package pglisten receives the change notifications that gormstore sends on PostgreSQL
// (NOTIFY after every committed revocation and key-ring change) and hands them to a ratchet
// engine, so that a session revoked, or a signing key revoked, on one instance is refused by
// every instance within milliseconds instead of at the next revocation poll or key-ring
// reload:
//
//	store, err := gormstore.New(db, gormstore.Options{})
//	engine, err := core.New(core.Config{
//		Store:          store,
//		Keys:           ring, // a *core.StoreKeyRing: NotifyKeys reloads it
//		ChangeNotifier: pglisten.New(directDSN, store.NotifyChannel()),
//	})
//
// A Listener holds one dedicated connection (not from the app's pool) that runs LISTEN and
// waits. The engine calls Listen, and calls it again after a pause when the connection fails;
// every (re)connect first delivers a "read the revocation feed" and a "reload the keys"
// notification, so that whatever was sent while the listener was away is picked up at once.
// Polling stays on as the fallback.
//
// LISTEN needs a session of its own: behind PgBouncer in transaction or statement pooling
// mode the notifications never arrive. Give New a connection string that reaches PostgreSQL
// directly (or a PgBouncer pool in session mode).
//
// This module is the only one of ratchet that requires a PostgreSQL driver
// (github.com/jackc/pgx/v5); gormstore itself requires gorm.io/gorm only.
package pglisten

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ratchetauth/ratchet/core"
)

// Defaults.
const (
	// DefaultApplicationName is the listener connection's application_name (visible in
	// pg_stat_activity) unless the connection string or WithApplicationName sets one.
	DefaultApplicationName = "ratchet-pglisten"
	// DefaultPingInterval: after this long without a notification the listener checks its
	// connection with an empty query, so that a connection that died silently (a network
	// partition, a failover) is noticed and replaced.
	DefaultPingInterval = 30 * time.Second
	// DefaultConnectTimeout applies when the connection string sets no connect_timeout.
	DefaultConnectTimeout = 10 * time.Second
)

// pingTimeout bounds one liveness check.
const pingTimeout = 10 * time.Second

// malformedLogEvery rate-limits the warnings about malformed payloads.
const malformedLogEvery = time.Minute

// Listener is a core.ChangeNotifier over PostgreSQL LISTEN. It is safe for concurrent use:
// every Listen call opens a connection of its own, so one Listener may serve several engines.
type Listener struct {
	cfg      *pgx.ConnConfig // nil when the connection string did not parse
	cfgErr   error
	channel  string
	password string // to scrub from errors
	log      *slog.Logger
	appName  string
	ping     time.Duration

	mu         sync.Mutex
	lastWarn   time.Time
	suppressed int
}

var _ core.ChangeNotifier = (*Listener)(nil)

// Option configures a Listener.
type Option func(*Listener)

// WithLogger sets the logger for connection and payload events. Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(ln *Listener) {
		if l != nil {
			ln.log = l
		}
	}
}

// WithApplicationName sets the connection's application_name, overriding the connection
// string's. Default: the connection string's, else DefaultApplicationName.
func WithApplicationName(name string) Option {
	return func(ln *Listener) { ln.appName = name }
}

// WithPingInterval sets how long the connection may stay silent before the listener checks
// it. Default DefaultPingInterval; values below one second are raised to one second.
func WithPingInterval(d time.Duration) Option {
	return func(ln *Listener) { ln.ping = max(d, time.Second) }
}

// New returns a Listener for channel (gormstore's Store.NotifyChannel) on the database
// connString points at (keyword/value or URL form, as pgx accepts; the PG* environment
// variables fill what it leaves out). It does not connect: Listen does, and Check tests the
// settings once. A connection string that does not parse, or an invalid channel, makes every
// Listen and Check fail with the reason; the connection string's password never appears in
// an error or a log.
func New(connString, channel string, opts ...Option) *Listener {
	l := &Listener{channel: channel, log: slog.Default(), ping: DefaultPingInterval}
	for _, o := range opts {
		o(l)
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		// pgx redacts the password from most, but not all, malformed strings: give no details.
		l.cfgErr = errors.New("pglisten: the connection string does not parse (details withheld: they could include the password)")
		return l
	}
	l.password = cfg.Password
	switch {
	case l.appName != "":
		cfg.RuntimeParams["application_name"] = l.appName
	case cfg.RuntimeParams["application_name"] == "":
		cfg.RuntimeParams["application_name"] = DefaultApplicationName
	}
	l.appName = cfg.RuntimeParams["application_name"]
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if err := checkChannel(channel); err != nil {
		l.cfgErr = err
		return l
	}
	l.cfg = cfg
	return l
}

// checkChannel accepts what PostgreSQL accepts as a channel without truncating it.
func checkChannel(ch string) error {
	switch {
	case ch == "":
		return errors.New("pglisten: empty channel (gormstore's NotifyChannel is empty on databases other than PostgreSQL)")
	case len(ch) > 63:
		return fmt.Errorf("pglisten: channel %q is longer than PostgreSQL's 63-byte identifiers", ch)
	case strings.ContainsRune(ch, 0):
		return errors.New("pglisten: channel contains a NUL byte")
	}
	return nil
}

// Channel returns the channel the listener listens on.
func (l *Listener) Channel() string { return l.channel }

// Check connects once, runs LISTEN and disconnects: a start-up check that the connection
// string, the credentials and the route to PostgreSQL work (Listen itself only ever reports
// failures to the engine's log).
func (l *Listener) Check(ctx context.Context) error {
	conn, err := l.connect(ctx)
	if err != nil {
		return err
	}
	l.close(conn)
	return nil
}

// Listen implements core.ChangeNotifier: it connects, runs LISTEN on the channel, delivers a
// revocation notification without handles ("read the feed") and a key notification (catching
// up with whatever was sent while no connection was listening), then delivers every
// notification on the channel until ctx ends (it returns nil) or the connection fails (it
// returns the error; the engine calls Listen again after a pause).
func (l *Listener) Listen(ctx context.Context, fn func(core.Notification)) error {
	conn, err := l.connect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer l.close(conn)
	l.log.Info("pglisten: listening for change notifications", "channel", l.channel,
		"host", l.cfg.Host, "database", l.cfg.Database, "application_name", l.appName, "backend_pid", conn.PgConn().PID())
	fn(core.Notification{Kind: core.NotifyRevoked})
	fn(core.Notification{Kind: core.NotifyKeys})
	for {
		wctx, cancel := context.WithTimeout(ctx, l.ping)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) || conn.IsClosed() {
				return l.scrub(fmt.Errorf("pglisten: waiting for notifications: %w", err))
			}
			// Silent for a ping interval: check that the connection is still alive.
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err = conn.Ping(pctx)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return l.scrub(fmt.Errorf("pglisten: connection check: %w", err))
			}
			continue
		}
		if n == nil || n.Channel != l.channel {
			continue
		}
		note, ok := Parse(n.Payload)
		if !ok {
			l.warnMalformed(len(n.Payload), n.PID)
		}
		fn(note)
	}
}

// connect opens the connection and runs LISTEN.
func (l *Listener) connect(ctx context.Context) (*pgx.Conn, error) {
	if l.cfgErr != nil {
		return nil, l.cfgErr
	}
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, l.scrub(fmt.Errorf("pglisten: connect: %w", err))
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		l.close(conn)
		return nil, l.scrub(fmt.Errorf("pglisten: LISTEN %s: %w", l.channel, err))
	}
	return conn, nil
}

// close closes conn without waiting long for a server that is gone.
func (l *Listener) close(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// warnMalformed logs a payload that did not parse (never the payload itself), at most once
// a minute.
func (l *Listener) warnMalformed(size int, pid uint32) {
	l.mu.Lock()
	now := time.Now()
	if !l.lastWarn.IsZero() && now.Sub(l.lastWarn) < malformedLogEvery {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.lastWarn, l.suppressed = now, 0
	l.mu.Unlock()
	l.log.Warn("pglisten: malformed notification payload; reading the revocation feed instead",
		"channel", l.channel, "payload_bytes", size, "sender_pid", pid, "malformed_not_logged", suppressed)
}

// scrub hides the password in err's message, should a driver or server message ever quote
// it; errors.Is and errors.As still see the original error.
func (l *Listener) scrub(err error) error {
	if l.password == "" || !strings.Contains(err.Error(), l.password) {
		return err
	}
	return &scrubbedError{err: err, pw: l.password}
}

type scrubbedError struct {
	err error
	pw  string
}

func (e *scrubbedError) Error() string { return strings.ReplaceAll(e.err.Error(), e.pw, "xxxxx") }
func (e *scrubbedError) Unwrap() error { return e.err }
