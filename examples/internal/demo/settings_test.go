package demo

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	s, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Addr: "127.0.0.1:3000", WebsiteOrigin: "http://127.0.0.1:3000", APIOrigin: "http://127.0.0.1:3000",
		AccessTTL: 15 * time.Minute, DemoPassword: "demo-password", Timeouts: DefaultTimeouts}
	if s != want {
		t.Fatalf("defaults: got %+v, want %+v", s, want)
	}
	e, err := core.New(s.EngineConfig(memory.New()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Config()
	if cfg.RotationGrace != core.DefaultRotationGrace || cfg.ClockSkew != 0 || cfg.AccessTTL != 15*time.Minute {
		t.Fatalf("engine: grace %v, skew %v, ttl %v", cfg.RotationGrace, cfg.ClockSkew, cfg.AccessTTL)
	}
	if len(cfg.AllowedOrigins) != 1 || cfg.AllowedOrigins[0] != "http://127.0.0.1:3000" {
		t.Fatalf("allowed origins %v", cfg.AllowedOrigins)
	}
	if cfg.APIOrigin != "http://127.0.0.1:3000" || cfg.Issuer != "http://127.0.0.1:3000/auth" {
		t.Fatalf("api origin %q, issuer %q", cfg.APIOrigin, cfg.Issuer)
	}
	if cfg.Cookies.Insecure {
		t.Fatal("the examples opt out of Secure cookies")
	}
	if d := DefaultTimeouts; d.ReadHeader <= 0 || d.Read < d.ReadHeader || d.Write <= 0 || d.Idle <= 0 {
		t.Fatalf("default timeouts %+v", d)
	}
}

func TestLoadValues(t *testing.T) {
	s, err := Load(env("ADDR", "127.0.0.1:8080", "DATABASE_URL", "sqlite://x.db", "ACCESS_TOKEN_TTL", "2s",
		"CLOCK_SKEW", "1s", "ROTATION_GRACE", "10s", "WEBSITE_ORIGIN", "http://localhost:5173/", "DEMO_PASSWORD", "pw",
		"API_ORIGIN", "HTTPS://API.Example.com/", "DB_MAX_OPEN_CONNS", "7", "DB_MAX_IDLE_CONNS", "3",
		"READ_HEADER_TIMEOUT", "1s", "READ_TIMEOUT", "2s", "WRITE_TIMEOUT", "3s", "IDLE_TIMEOUT", "4s"))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Addr: "127.0.0.1:8080", DatabaseURL: "sqlite://x.db", AccessTTL: 2 * time.Second, ClockSkew: time.Second,
		RotationGrace: 10 * time.Second, WebsiteOrigin: "http://localhost:5173", DemoPassword: "pw",
		APIOrigin: "https://api.example.com", DBMaxOpenConns: 7, DBMaxIdleConns: 3,
		Timeouts: Timeouts{ReadHeader: time.Second, Read: 2 * time.Second, Write: 3 * time.Second, Idle: 4 * time.Second}}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	e, err := core.New(s.EngineConfig(memory.New()))
	if err != nil {
		t.Fatal(err)
	}
	if g := e.Config().RotationGrace; g != 10*time.Second {
		t.Fatalf("grace %v", g)
	}
	// API_ORIGIN is the issuer, and an https origin makes the cookies Secure and prefixed.
	if iss := e.Config().Issuer; iss != "https://api.example.com/auth" {
		t.Fatalf("issuer %q", iss)
	}
	if n, _ := testkit.CookieNames(e); n != "__Host-sAccessToken" {
		t.Fatalf("access cookie %q with an https API_ORIGIN", n)
	}
	srv := (&App{Settings: s}).HTTPServer(nil)
	if srv.ReadHeaderTimeout != time.Second || srv.ReadTimeout != 2*time.Second || srv.WriteTimeout != 3*time.Second || srv.IdleTimeout != 4*time.Second {
		t.Fatalf("server timeouts: header %v, read %v, write %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
}

// The server never runs without a timeout: Settings built by hand get the defaults.
func TestHTTPServerTimeouts(t *testing.T) {
	srv := (&App{}).HTTPServer(nil)
	d := DefaultTimeouts
	if srv.ReadHeaderTimeout != d.ReadHeader || srv.ReadTimeout != d.Read || srv.WriteTimeout != d.Write || srv.IdleTimeout != d.Idle {
		t.Fatalf("server timeouts: header %v, read %v, write %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
}

// The pool is bounded on every database; DB_MAX_OPEN_CONNS and DB_MAX_IDLE_CONNS override it.
func TestPool(t *testing.T) {
	for _, tc := range []struct {
		kind       string
		env        []string
		open, idle int
	}{
		{"postgres", nil, 20, 10},
		{"mysql", nil, 20, 10},
		{"sqlite", nil, 8, 8},
		{"postgres", []string{"DB_MAX_OPEN_CONNS", "5"}, 5, 5},
		{"postgres", []string{"DB_MAX_OPEN_CONNS", "50"}, 50, 10},
		{"mysql", []string{"DB_MAX_IDLE_CONNS", "20"}, 20, 20},
		{"sqlite", []string{"DB_MAX_OPEN_CONNS", "1"}, 1, 1},
		{"postgres", []string{"DB_MAX_OPEN_CONNS", "40", "DB_MAX_IDLE_CONNS", "40"}, 40, 40},
	} {
		s, err := Load(env(tc.env...))
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Pool(tc.kind)
		if err != nil || p.MaxOpen != tc.open || p.MaxIdle != tc.idle {
			t.Errorf("%s %v: pool %+v %v, want open %d idle %d", tc.kind, tc.env, p, err, tc.open, tc.idle)
		}
		if tc.kind != "sqlite" && p.MaxIdleTime <= 0 {
			t.Errorf("%s: idle connections are never closed", tc.kind)
		}
	}
	s, _ := Load(env("DB_MAX_IDLE_CONNS", "21"))
	if _, err := s.Pool("postgres"); err == nil || !strings.Contains(err.Error(), "DB_MAX_IDLE_CONNS") {
		t.Errorf("idle above the default open bound: %v", err)
	}
}

// ROTATION_GRACE=0 is an explicit "no reuse window", not the library default that an unset
// variable gives.
func TestRotationGraceZero(t *testing.T) {
	s, err := Load(env("ROTATION_GRACE", "0s"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := core.New(s.EngineConfig(memory.New()))
	if err != nil {
		t.Fatal(err)
	}
	if g := e.Config().RotationGrace; g <= 0 || g >= time.Millisecond {
		t.Fatalf("ROTATION_GRACE=0s gave a grace of %v, want effectively none", g)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ k, v string }{
		{"ACCESS_TOKEN_TTL", "soon"},
		{"ACCESS_TOKEN_TTL", "-1s"},
		{"ACCESS_TOKEN_TTL", "500ms"},
		{"CLOCK_SKEW", "abc"},
		{"ROTATION_GRACE", "5"},
		{"ROTATION_GRACE", "6m"},
		{"CLOCK_SKEW", "1h"},
		{"ACCESS_TOKEN_TTL", "9999h"},
		{"WEBSITE_ORIGIN", "example.com"},
		{"ADDR", "3000"},
		{"RATCHET_KEK", "c2hvcnQ="},
		{"ADDR", "127.0.0.1:99999"},
		{"API_ORIGIN", "api.example.com"},
		{"API_ORIGIN", "https://api.example.com/auth"},
		{"API_ORIGIN", "https://api.example.com?x"},
		{"API_ORIGIN", "ftp://api.example.com"},
		{"API_ORIGIN", "https://user@api.example.com"},
		{"API_ORIGIN", "https://api.example.com:99999"},
		{"WEBSITE_ORIGIN", "http://app.example.com/page"},
		{"DB_MAX_OPEN_CONNS", "0"},
		{"DB_MAX_OPEN_CONNS", "-5"},
		{"DB_MAX_OPEN_CONNS", "many"},
		{"DB_MAX_OPEN_CONNS", "2.5"},
		{"DB_MAX_IDLE_CONNS", "0"},
		{"DB_MAX_IDLE_CONNS", "x"},
		{"READ_TIMEOUT", "0s"},
		{"READ_HEADER_TIMEOUT", "soon"},
		{"WRITE_TIMEOUT", "-1s"},
		{"IDLE_TIMEOUT", "0"},
		{"METRICS", "yes"},
	} {
		_, err := Load(env(tc.k, tc.v))
		if err == nil || !strings.Contains(err.Error(), tc.k) {
			t.Errorf("%s=%q: error %v does not name the variable", tc.k, tc.v, err)
		}
	}
}

func TestOriginErrorHidesPassword(t *testing.T) {
	_, err := Load(env("API_ORIGIN", "https://user:hunter2@api.example.com"))
	if err == nil || !strings.Contains(err.Error(), "API_ORIGIN") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("API_ORIGIN with a password: %v", err)
	}
}

func TestIdleAboveOpen(t *testing.T) {
	_, err := Load(env("DB_MAX_OPEN_CONNS", "5", "DB_MAX_IDLE_CONNS", "6"))
	if err == nil || !strings.Contains(err.Error(), "DB_MAX_IDLE_CONNS") {
		t.Fatalf("idle 6 > open 5: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	s, _ := Load(env("DEMO_PASSWORD", "secret"))
	id, err := s.Authenticate(t.Context(), &core.SignInRequest{Email: " Bob@Example.com", Password: "secret"})
	if err != nil || id.UserID != "user-bob" {
		t.Fatalf("bob: %v %v", id, err)
	}
	for _, r := range []core.SignInRequest{{Email: "bob@example.com", Password: "demo-password"}, {Email: "eve@example.com", Password: "secret"}} {
		if _, err := s.Authenticate(t.Context(), &r); err != core.ErrWrongCredentials {
			t.Errorf("%s: %v, want ErrWrongCredentials", r.Email, err)
		}
	}
}

// RATCHET_KEK and RATCHET_KEK_PREVIOUS are read through core.KEKFromGetenv; printing the
// settings never shows them.
func TestLoadKEKs(t *testing.T) {
	cur, curText := core.NewKEK()
	old, oldText := core.NewKEK()
	s, err := Load(env("RATCHET_KEK", curText, "RATCHET_KEK_PREVIOUS", oldText))
	if err != nil {
		t.Fatal(err)
	}
	if s.KEK == nil || !bytes.Equal(s.KEK.Current, cur) || len(s.KEK.Previous) != 1 || !bytes.Equal(s.KEK.Previous[0], old) {
		t.Fatal("RATCHET_KEK and RATCHET_KEK_PREVIOUS were not both read")
	}
	printed := fmt.Sprintf("%v %+v", s, s)
	if strings.Contains(printed, curText) || strings.Contains(printed, oldText) || strings.Contains(printed, fmt.Sprint(cur)) {
		t.Fatal("printing the settings shows a KEK")
	}
	if _, err := Load(env("RATCHET_KEK_PREVIOUS", oldText)); err == nil || !strings.Contains(err.Error(), "RATCHET_KEK") {
		t.Fatalf("RATCHET_KEK_PREVIOUS without RATCHET_KEK: %v, want an error naming RATCHET_KEK", err)
	}
	if s, err := Load(env()); err != nil || s.KEK != nil {
		t.Fatalf("no KEK variables: %v, %v; want no KEK", s.KEK, err)
	}
}

// TestLoadMetrics: METRICS is off by default and a boolean.
func TestLoadMetrics(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "1": true, "true": true, "false": false} {
		s, err := Load(env("METRICS", v))
		if err != nil || s.Metrics != want {
			t.Errorf("METRICS=%q: Metrics %v, %v; want %v", v, s.Metrics, err, want)
		}
	}
}
