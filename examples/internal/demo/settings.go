package demo

import (
	"fmt"
	"net"
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
	DemoPassword    string // DEMO_PASSWORD: the password of both demo users
	// KEK is RATCHET_KEK, the base64 key-encryption key. When set, the signing keys live in
	// the database (sealed under it) instead of in memory, so access tokens survive a restart
	// and every instance on the same database shares them.
	KEK string
}

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
	s.WebsiteOrigin = strings.TrimSuffix(get("WEBSITE_ORIGIN", "http://"+s.Addr), "/")
	if !strings.HasPrefix(s.WebsiteOrigin, "http://") && !strings.HasPrefix(s.WebsiteOrigin, "https://") {
		return s, fmt.Errorf("WEBSITE_ORIGIN=%q must be an origin such as http://127.0.0.1:3000", s.WebsiteOrigin)
	}
	var err error
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
	if err != nil {
		return s, err
	}
	if s.KEK = get(core.KEKEnv, ""); s.KEK != "" {
		if _, err := core.ParseKEK(s.KEK); err != nil {
			return s, fmt.Errorf("%s is not a valid key-encryption key (32 bytes, base64; generate one with `openssl rand -base64 32`)", core.KEKEnv)
		}
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

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}
