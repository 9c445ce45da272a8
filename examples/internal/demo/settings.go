package demo

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// Settings are the example's configuration, read from the environment by FromEnv.
type Settings struct {
	Addr        string // ADDR: listen address
	DatabaseURL string // DATABASE_URL: "" means an SQLite file in the working directory
	AccessTTL   time.Duration
	ClockSkew   time.Duration
	// RotationGrace is ROTATION_GRACE; zero when unset, which the engine reads as its default.
	RotationGrace time.Duration
	// NoRotationGrace records an explicit ROTATION_GRACE=0: no reuse window at all.
	NoRotationGrace bool
	WebsiteOrigin   string // WEBSITE_ORIGIN: the one browser origin allowed to call the API
	// APIOrigin is API_ORIGIN, the API's public origin: the access token's issuer, and https
	// behind a TLS proxy. Every instance of one deployment sets the same value.
	APIOrigin    string
	DemoPassword string // DEMO_PASSWORD: the password of both demo users
	// KEK holds RATCHET_KEK and RATCHET_KEK_PREVIOUS; nil when they are unset. With it, the
	// signing keys live in the database (sealed under it), so access tokens survive a restart
	// and every instance on the same database shares them. Required for PostgreSQL and MySQL.
	KEK *KEKs
	// DBMaxOpenConns and DBMaxIdleConns are DB_MAX_OPEN_CONNS and DB_MAX_IDLE_CONNS; zero
	// means the default for the database (see Settings.Pool).
	DBMaxOpenConns, DBMaxIdleConns int
	// Timeouts are the HTTP server's; the defaults, overridable for tests by the examples'
	// READ_HEADER_TIMEOUT, READ_TIMEOUT, WRITE_TIMEOUT and IDLE_TIMEOUT.
	Timeouts Timeouts
	// Metrics is METRICS=1: the engine reports to Prometheus (metrics/prometheus) and the app
	// serves GET /metrics. Off by default.
	Metrics bool
}

// KEKs are the key-encryption keys read with core.KEKFromGetenv: RATCHET_KEK seals the signing
// keys, RATCHET_KEK_PREVIOUS lists older KEKs accepted while re-wrapping. They print as a
// placeholder, so that printing Settings never shows them.
type KEKs struct {
	Current  []byte
	Previous [][]byte
}

func (KEKs) String() string { return "[KEK redacted]" }

// Timeouts bound how long a client may hold a connection of the example's HTTP server.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers (net/http only: fasthttp's Read covers
	// the headers and the body).
	ReadHeader time.Duration
	// Read bounds reading a whole request, headers and body.
	Read time.Duration
	// Write bounds writing the response (net/http: from the end of the headers' read).
	Write time.Duration
	// Idle bounds how long a keep-alive connection may wait for its next request.
	Idle time.Duration
}

// OrDefault is t with DefaultTimeouts in place of the zero fields: the examples never serve
// without a timeout.
func (t Timeouts) OrDefault() Timeouts {
	d := DefaultTimeouts
	return Timeouts{ReadHeader: cmp.Or(t.ReadHeader, d.ReadHeader), Read: cmp.Or(t.Read, d.Read),
		Write: cmp.Or(t.Write, d.Write), Idle: cmp.Or(t.Idle, d.Idle)}
}

// DefaultTimeouts are the server timeouts of the examples.
var DefaultTimeouts = Timeouts{ReadHeader: 5 * time.Second, Read: 15 * time.Second, Write: 30 * time.Second, Idle: 60 * time.Second}

// Defaults of the settings that have one.
const (
	DefaultAddr         = "127.0.0.1:3000"
	DefaultAccessTTL    = 15 * time.Minute
	DefaultDemoPassword = "demo-password"
	// DefaultSQLiteFile is the database used when DATABASE_URL is unset, relative to the
	// working directory.
	DefaultSQLiteFile = "ratchet-demo.db"
	// maxLeeway is the engine's bound on ClockSkew and RotationGrace.
	maxLeeway = 5 * time.Minute
)

// FromEnv reads Settings from the process environment.
func FromEnv() (Settings, error) { return Load(os.Getenv) }

// Load reads Settings through getenv, applies the documented defaults and validates them. An
// empty variable counts as unset. Errors name the variable and say what is expected.
func Load(getenv func(string) string) (Settings, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	s := Settings{
		Addr:         get("ADDR", DefaultAddr),
		DatabaseURL:  get("DATABASE_URL", ""),
		DemoPassword: get("DEMO_PASSWORD", DefaultDemoPassword),
	}
	if host, port, err := net.SplitHostPort(s.Addr); err != nil || !validPort(port) || strings.ContainsAny(host, "/?#@ ") {
		return s, fmt.Errorf("ADDR=%q is not a listen address such as 127.0.0.1:3000", s.Addr)
	}
	var err error
	if s.WebsiteOrigin, err = origin("WEBSITE_ORIGIN", get("WEBSITE_ORIGIN", "http://"+s.Addr)); err != nil {
		return s, err
	}
	if s.APIOrigin, err = origin("API_ORIGIN", get("API_ORIGIN", "http://"+s.Addr)); err != nil {
		return s, err
	}
	dur := func(k string, def time.Duration) (time.Duration, bool) {
		v := get(k, "")
		if v == "" || err != nil {
			return def, false
		}
		d, perr := time.ParseDuration(v)
		if perr != nil || d < 0 {
			err = fmt.Errorf("%s=%q is not a valid duration (a Go duration such as 2s, 90s or 15m)", k, v)
			return def, false
		}
		return d, true
	}
	s.AccessTTL, _ = dur("ACCESS_TOKEN_TTL", DefaultAccessTTL)
	s.ClockSkew, _ = dur("CLOCK_SKEW", 0)
	grace, set := dur("ROTATION_GRACE", 0)
	s.RotationGrace, s.NoRotationGrace = grace, set && grace == 0
	timeout := func(k string, def time.Duration) time.Duration {
		d, set := dur(k, def)
		if set && d == 0 && err == nil {
			err = fmt.Errorf("%s=0 would switch the timeout off: give a positive Go duration such as 5s", k)
		}
		return d
	}
	s.Timeouts = Timeouts{
		ReadHeader: timeout("READ_HEADER_TIMEOUT", DefaultTimeouts.ReadHeader),
		Read:       timeout("READ_TIMEOUT", DefaultTimeouts.Read),
		Write:      timeout("WRITE_TIMEOUT", DefaultTimeouts.Write),
		Idle:       timeout("IDLE_TIMEOUT", DefaultTimeouts.Idle),
	}
	if err != nil {
		return s, err
	}
	if s.DBMaxOpenConns, err = poolSize("DB_MAX_OPEN_CONNS", get("DB_MAX_OPEN_CONNS", "")); err != nil {
		return s, err
	}
	if s.DBMaxIdleConns, err = poolSize("DB_MAX_IDLE_CONNS", get("DB_MAX_IDLE_CONNS", "")); err != nil {
		return s, err
	}
	if s.DBMaxOpenConns > 0 && s.DBMaxIdleConns > s.DBMaxOpenConns {
		return s, fmt.Errorf("DB_MAX_IDLE_CONNS=%d is more than DB_MAX_OPEN_CONNS=%d: the idle connections are part of the pool", s.DBMaxIdleConns, s.DBMaxOpenConns)
	}
	if v := get("METRICS", ""); v != "" {
		if s.Metrics, err = strconv.ParseBool(v); err != nil {
			return s, fmt.Errorf("METRICS=%q must be 1 (serve Prometheus metrics at /metrics) or 0", v)
		}
	}
	if get(core.KEKEnv, "") != "" || get(core.PreviousKEKsEnv, "") != "" {
		// The errors name the variable, never its value.
		k := &KEKs{}
		if k.Current, k.Previous, err = core.KEKFromGetenv(getenv); err != nil {
			return s, err
		}
		s.KEK = k
	}
	switch {
	case s.AccessTTL < time.Second:
		return s, fmt.Errorf("ACCESS_TOKEN_TTL=%s is too short: the minimum is 1s", s.AccessTTL)
	case s.AccessTTL >= core.DefaultRefreshTTL:
		return s, fmt.Errorf("ACCESS_TOKEN_TTL=%s must be shorter than the session's idle lifetime (%s)", s.AccessTTL, core.DefaultRefreshTTL)
	case s.ClockSkew > maxLeeway:
		return s, fmt.Errorf("CLOCK_SKEW=%s is too long: at most %s", s.ClockSkew, maxLeeway)
	case s.RotationGrace > maxLeeway:
		return s, fmt.Errorf("ROTATION_GRACE=%s is too long: at most %s", s.RotationGrace, maxLeeway)
	}
	return s, nil
}

// maxPoolSize bounds DB_MAX_OPEN_CONNS and DB_MAX_IDLE_CONNS: a larger value is a typo.
const maxPoolSize = 10000

// poolSize parses a pool bound: empty is 0 (the default), otherwise a positive integer.
func poolSize(k, v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPoolSize {
		return 0, fmt.Errorf("%s=%q is not a positive integer (a number of database connections, 1 to %d)", k, v, maxPoolSize)
	}
	return n, nil
}

// origin checks that v is an origin, scheme://host[:port] with an optional trailing slash,
// and returns it in the form the engine compares (lower case, no slash).
func origin(k, v string) (string, error) {
	shown := v
	if strings.Contains(v, "@") {
		shown = maskAfterAt(v) // whatever precedes @ may be a password
	}
	bad := fmt.Errorf("%s=%q must be an origin such as http://127.0.0.1:3000 or https://app.example.com (scheme and host, no path)", k, shown)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(u.Host, " \\") {
		return "", bad
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil && !validPort(port) {
		return "", bad
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}
