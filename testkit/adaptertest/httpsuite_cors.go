package adaptertest

// HTTPSuite: CORS for the website origin (protocol §1.11): exact origin, credentials, the SDK's
// request headers, and nothing at all for other origins.

import (
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) testCORS(t *testing.T) {
	t.Run("preflight_allowed_origin", s.corsPreflightAllowed)
	t.Run("preflight_hostile_origin", s.corsPreflightHostile)
	t.Run("actual_requests", s.corsActual)
}

// sdkRequestHeaders are the headers the frontend SDK adds, plus content-type.
var sdkRequestHeaders = []string{"rid", "st-auth-mode", "authorization", "fdi-version", "anti-csrf", "content-type"}

func (s *suite) preflight(t *testing.T, origin, path, method string) *result {
	t.Helper()
	return s.c.do(t, "OPTIONS", path, nil, withOrigin(origin),
		withHeader("Access-Control-Request-Method", method),
		withHeader("Access-Control-Request-Headers", strings.Join(sdkRequestHeaders, ",")))
}

func expectNoWildcard(t *testing.T, r *result) {
	t.Helper()
	if r.get("Access-Control-Allow-Origin") == "*" {
		t.Errorf("%s: Access-Control-Allow-Origin: * (never with credentials)", r)
	}
}

func (s *suite) corsPreflightAllowed(t *testing.T) {
	for _, c := range []struct{ path, method string }{
		{s.refreshPath, "POST"},
		{"/auth/signin", "POST"},
		{"/auth/signout", "POST"},
		{"/auth/sessions", "GET"},
		{"/api/me", "GET"},
		{"/api/notes", "POST"},
	} {
		r := s.preflight(t, WebsiteOrigin, c.path, c.method)
		if r.Status < 200 || r.Status > 299 {
			t.Errorf("preflight %s %s: want 2xx: %s", c.method, c.path, r)
			continue
		}
		expectNoWildcard(t, r)
		if got := r.get("Access-Control-Allow-Origin"); got != WebsiteOrigin {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", r, got, WebsiteOrigin)
		}
		if got := r.get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("%s: Access-Control-Allow-Credentials %q, want true", r, got)
		}
		allowed := strings.Join(r.Header.Values("Access-Control-Allow-Headers"), ",")
		for _, h := range sdkRequestHeaders {
			if !containsFold(allowed, h) {
				t.Errorf("%s: Access-Control-Allow-Headers %q does not allow %s", r, allowed, h)
			}
		}
		methods := strings.Join(r.Header.Values("Access-Control-Allow-Methods"), ",")
		if methods != "" && !containsFold(methods, c.method) {
			t.Errorf("%s: Access-Control-Allow-Methods %q does not allow %s", r, methods, c.method)
		}
	}
}

func (s *suite) corsPreflightHostile(t *testing.T) {
	for _, origin := range []string{hostileOrigin, "null", WebsiteOrigin + ".evil.example"} {
		for _, path := range []string{s.refreshPath, "/api/me"} {
			r := s.preflight(t, origin, path, "POST")
			if acao := r.get("Access-Control-Allow-Origin"); acao != "" {
				t.Errorf("%s: Access-Control-Allow-Origin %q for the hostile origin %q", r, acao, origin)
			}
			if r.get("Access-Control-Allow-Credentials") == "true" && r.get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s: allows credentials for %q", r, origin)
			}
		}
	}
	s.expectHealthy(t)
}

func (s *suite) corsActual(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	r := a.do(t, "GET", "/api/me", nil, withOrigin(WebsiteOrigin))
	mustStatus(t, r, 200)
	expectNoWildcard(t, r)
	if got := r.get("Access-Control-Allow-Origin"); got != WebsiteOrigin {
		t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", r, got, WebsiteOrigin)
	}
	if got := r.get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("%s: Access-Control-Allow-Credentials %q, want true", r, got)
	}
	// The answer depends on Origin, so shared caches must key on it.
	if vary := strings.Join(r.Header.Values("Vary"), ","); !containsFold(vary, "Origin") {
		t.Errorf("%s: Vary %q does not list Origin", r, vary)
	}
	// The SDK reads front-token and the token headers from the refresh response, so a browser
	// must be allowed to see them.
	r = a.do(t, "POST", s.refreshPath, nil, withOrigin(WebsiteOrigin))
	mustStatus(t, r, 200)
	expectNoWildcard(t, r)
	expectExposed(t, r, core.HeaderFrontToken, core.HeaderAccessToken, core.HeaderRefreshToken)
	if got := r.get("Access-Control-Allow-Origin"); got != WebsiteOrigin {
		t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", r, got, WebsiteOrigin)
	}
	a.absorb(r)
	// Errors must be readable cross-origin too, or the SDK cannot see the 401.
	r = s.c.do(t, "GET", "/api/me", nil, withOrigin(WebsiteOrigin))
	mustStatus(t, r, 401)
	if got := r.get("Access-Control-Allow-Origin"); got != WebsiteOrigin {
		t.Errorf("%s: a 401 without Access-Control-Allow-Origin is invisible to the SDK", r)
	}
	// A hostile origin gets the same answer a non-browser client would, but no CORS headers.
	r = a.do(t, "GET", "/api/me", nil, withOrigin(hostileOrigin))
	if acao := r.get("Access-Control-Allow-Origin"); acao != "" {
		t.Errorf("%s: Access-Control-Allow-Origin %q for a hostile origin", r, acao)
	}
}
