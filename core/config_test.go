package core

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// nopStore satisfies Store for config tests that never touch it.
type nopStore struct{ Store }

func TestConfigDefaults(t *testing.T) {
	e, err := New(Config{Store: nopStore{}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.Config()
	checks := []struct {
		name      string
		got, want any
	}{
		{"AccessTTL", c.AccessTTL, DefaultAccessTTL},
		{"RefreshTTL", c.RefreshTTL, DefaultRefreshTTL},
		{"AbsoluteTTL", c.AbsoluteTTL, DefaultAbsoluteTTL},
		{"RotationGrace", c.RotationGrace, DefaultRotationGrace},
		{"BasePath", c.BasePath, "/auth"},
		{"Algorithm", c.Algorithm, AlgEdDSA},
		{"SameSite", c.Cookies.SameSite, http.SameSiteLaxMode},
		{"Issuer", c.Issuer, "ratchet"},
		{"access cookie", e.accessCookie, "__Host-sAccessToken"},
		{"refresh cookie", e.refreshCookie, "__Secure-sRefreshToken"},
		{"refresh path", e.refreshPath, "/auth/session/refresh"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if !e.secureCookies {
		t.Error("cookies must be Secure by default")
	}
}

func TestConfigRejectsBadCombinations(t *testing.T) {
	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"no store":                 {Config{}, "Store is required"},
		"unknown algorithm":        {Config{Store: nopStore{}, Algorithm: "HS256"}, "unknown algorithm"},
		"none algorithm":           {Config{Store: nopStore{}, Algorithm: "none"}, "unknown algorithm"},
		"SameSite None insecure":   {Config{Store: nopStore{}, Cookies: CookieConfig{SameSite: http.SameSiteNoneMode, Insecure: true}}, "SameSite=None"},
		"wildcard origin":          {Config{Store: nopStore{}, AllowedOrigins: []string{"*"}}, "wildcard"},
		"partial wildcard origin":  {Config{Store: nopStore{}, AllowedOrigins: []string{"https://*.example.com"}}, "wildcard"},
		"origin with path":         {Config{Store: nopStore{}, AllowedOrigins: []string{"https://app.example.com/x"}}, "must be an origin"},
		"origin with userinfo":     {Config{Store: nopStore{}, AllowedOrigins: []string{"https://u@app.example.com"}}, "must be an origin"},
		"origin without scheme":    {Config{Store: nopStore{}, AllowedOrigins: []string{"app.example.com"}}, "must be an origin"},
		"refresh shorter":          {Config{Store: nopStore{}, AccessTTL: time.Hour, RefreshTTL: 30 * time.Minute}, "RefreshTTL"},
		"refresh equal":            {Config{Store: nopStore{}, AccessTTL: time.Hour, RefreshTTL: time.Hour}, "RefreshTTL"},
		"absolute shorter":         {Config{Store: nopStore{}, RefreshTTL: 48 * time.Hour, AbsoluteTTL: 24 * time.Hour}, "AbsoluteTTL"},
		"tiny access TTL":          {Config{Store: nopStore{}, AccessTTL: time.Millisecond}, "AccessTTL"},
		"negative grace":           {Config{Store: nopStore{}, RotationGrace: -time.Second}, "RotationGrace"},
		"huge grace":               {Config{Store: nopStore{}, RotationGrace: time.Hour}, "RotationGrace"},
		"huge skew":                {Config{Store: nopStore{}, ClockSkew: time.Hour}, "ClockSkew"},
		"base path no slash":       {Config{Store: nopStore{}, BasePath: "auth"}, "BasePath"},
		"base path trailing slash": {Config{Store: nopStore{}, BasePath: "/auth/"}, "BasePath"},
		"base path injection":      {Config{Store: nopStore{}, BasePath: "/a;b"}, "BasePath"},
		"insecure with https API":  {Config{Store: nopStore{}, APIOrigin: "https://api.example.com", Cookies: CookieConfig{Insecure: true}}, "Insecure"},
		"cookie domain injection":  {Config{Store: nopStore{}, Cookies: CookieConfig{Domain: "example.com; Path=/x"}}, "Domain"},
		"cookie domain CRLF":       {Config{Store: nopStore{}, Cookies: CookieConfig{Domain: "example.com\r\nX: y"}}, "Domain"},
		"unknown CSRF mode":        {Config{Store: nopStore{}, AntiCSRF: 7}, "AntiCSRF"},
		"negative cache":           {Config{Store: nopStore{}, VerifyCacheSize: -1}, "VerifyCacheSize"},
		"negative body limit":      {Config{Store: nopStore{}, MaxBodyBytes: -1}, "MaxBodyBytes"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil {
				t.Fatalf("New accepted a bad config")
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not match ErrConfig", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestConfigCookieModes(t *testing.T) {
	e, err := New(Config{Store: nopStore{}, APIOrigin: "http://127.0.0.1:3000"})
	if err != nil {
		t.Fatal(err)
	}
	if !e.secureCookies || e.accessCookie != "__Host-sAccessToken" {
		t.Errorf("http API alone: secure=%v name=%q, want Secure prefixed cookies", e.secureCookies, e.accessCookie)
	}
	var logged bytes.Buffer
	e, err = New(Config{Store: nopStore{}, APIOrigin: "http://127.0.0.1:3000", Cookies: CookieConfig{Insecure: true},
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if e.secureCookies || e.accessCookie != "sAccessToken" {
		t.Errorf("Insecure: secure=%v name=%q, want plain cookies", e.secureCookies, e.accessCookie)
	}
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "Cookies.Insecure") {
		t.Errorf("the Insecure opt-out was not warned about at start-up: %q", logged.String())
	}
	e, err = New(Config{Store: nopStore{}, Cookies: CookieConfig{Domain: "example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.accessCookie != "__Secure-sAccessToken" {
		t.Errorf("with Domain the access cookie cannot be __Host-: got %q", e.accessCookie)
	}
	e, err = New(Config{Store: nopStore{}, APIOrigin: "HTTPS://API.Example.com", AllowedOrigins: []string{"HTTPS://App.Example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Config().Issuer != "https://api.example.com/auth" {
		t.Errorf("issuer = %q", e.Config().Issuer)
	}
	if !e.OriginAllowed("https://app.example.com") {
		t.Error("allowed origin must be normalised to lower case")
	}
}

func TestConfigKeyRing(t *testing.T) {
	for _, alg := range []string{AlgEdDSA, AlgES256, AlgRS256} {
		k, err := GenerateKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewStaticKeyRing(k); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
		k.Algorithm = map[string]string{AlgEdDSA: AlgES256, AlgES256: AlgRS256, AlgRS256: AlgEdDSA}[alg]
		if _, err := NewStaticKeyRing(k); err == nil {
			t.Errorf("a %s key was accepted under %s", alg, k.Algorithm)
		}
	}
	k, _ := GenerateKey(AlgEdDSA)
	if _, err := NewStaticKeyRing(k, k); err == nil {
		t.Error("duplicate kid accepted")
	}
	bad := *k
	bad.ID = "../../etc/passwd"
	if _, err := NewStaticKeyRing(&bad); err == nil {
		t.Error("kid with path characters accepted")
	}
	if _, err := NewStaticKeyRing(); err == nil {
		t.Error("empty ring accepted")
	}
}
