// Package demo holds what the example apps share: settings from the environment, the demo
// users, the demo page and the app handlers' logic. Each example only wires it into its
// framework.
package demo

import (
	"context"
	"crypto/subtle"
	"fmt"
	"os"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// Settings are read from the environment (see shared EXAMPLE-CONTRACT.md).
type Settings struct {
	Addr          string
	DatabaseURL   string
	AccessTTL     time.Duration
	ClockSkew     time.Duration
	RotationGrace time.Duration
	WebsiteOrigin string
	DemoPassword  string
}

// FromEnv reads Settings, applying the documented defaults.
func FromEnv() (Settings, error) {
	s := Settings{
		Addr:         getenv("ADDR", "127.0.0.1:3000"),
		DatabaseURL:  os.Getenv("DATABASE_URL"),
		DemoPassword: getenv("DEMO_PASSWORD", "demo-password"),
	}
	s.WebsiteOrigin = getenv("WEBSITE_ORIGIN", "http://"+s.Addr)
	var err error
	if s.AccessTTL, err = duration("ACCESS_TOKEN_TTL", 15*time.Minute); err != nil {
		return s, err
	}
	if s.ClockSkew, err = duration("CLOCK_SKEW", 0); err != nil {
		return s, err
	}
	if s.RotationGrace, err = duration("ROTATION_GRACE", 0); err != nil {
		return s, err
	}
	return s, nil
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func duration(k string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(k)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q is not a valid Go duration", k, v)
	}
	return d, nil
}

// EngineConfig builds the engine configuration for these settings over store.
func (s Settings) EngineConfig(store core.Store) core.Config {
	return core.Config{
		Store:          store,
		AccessTTL:      s.AccessTTL,
		ClockSkew:      s.ClockSkew,
		RotationGrace:  s.RotationGrace,
		AllowedOrigins: []string{s.WebsiteOrigin},
		APIOrigin:      "http://" + s.Addr,
		Authenticate:   s.authenticate,
	}
}

// Users are the demo accounts: email → user id.
var Users = map[string]string{
	"alice@example.com": "user-alice",
	"bob@example.com":   "user-bob",
}

func (s Settings) authenticate(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
	id, ok := Users[r.Email]
	// Compare even for unknown users so both failures cost the same.
	match := subtle.ConstantTimeCompare([]byte(r.Password), []byte(s.DemoPassword)) == 1
	if !ok || !match {
		return nil, core.ErrWrongCredentials
	}
	return &core.Identity{UserID: id, User: map[string]string{"id": id, "email": r.Email}}, nil
}

// Banner is printed at start.
func (s Settings) Banner(framework, storage string) string {
	return fmt.Sprintf(`ratchet %s demo listening on http://%s  (storage: %s)
  demo users: alice@example.com / bob@example.com, password %q
  WARNING: demo credentials and settings, for local development only.
`, framework, s.Addr, storage, s.DemoPassword)
}
