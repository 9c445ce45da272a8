package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
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
	want := Settings{Addr: "127.0.0.1:3000", WebsiteOrigin: "http://127.0.0.1:3000", AccessTTL: 15 * time.Minute,
		DemoPassword: "demo-password"}
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
}

func TestLoadValues(t *testing.T) {
	s, err := Load(env("ADDR", "127.0.0.1:8080", "DATABASE_URL", "sqlite://x.db", "ACCESS_TOKEN_TTL", "2s",
		"CLOCK_SKEW", "1s", "ROTATION_GRACE", "10s", "WEBSITE_ORIGIN", "http://localhost:5173/", "DEMO_PASSWORD", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Addr: "127.0.0.1:8080", DatabaseURL: "sqlite://x.db", AccessTTL: 2 * time.Second, ClockSkew: time.Second,
		RotationGrace: 10 * time.Second, WebsiteOrigin: "http://localhost:5173", DemoPassword: "pw"}
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
	} {
		_, err := Load(env(tc.k, tc.v))
		if err == nil || !strings.Contains(err.Error(), tc.k) {
			t.Errorf("%s=%q: error %v does not name the variable", tc.k, tc.v, err)
		}
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
