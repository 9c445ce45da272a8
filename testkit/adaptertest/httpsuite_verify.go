package adaptertest

// HTTPSuite: access-token verification on the app routes (/api/me, /api/optional, /api/admin).

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func (s *suite) testVerification(t *testing.T) {
	t.Run("header_token", func(t *testing.T) { s.verifyOK(t, headerMode) })
	t.Run("cookie_token", func(t *testing.T) { s.verifyOK(t, cookieMode) })
	t.Run("no_token", s.verifyNoToken)
	t.Run("expired_token", s.verifyExpired)
	t.Run("tampered_token", s.verifyTampered)
	t.Run("garbage_token", s.verifyGarbage)
	t.Run("optional", s.verifyOptional)
	t.Run("duplicate_access_cookies", s.verifyDuplicateCookies)
	t.Run("claim_validator", s.verifyAdmin)
}

func (s *suite) verifyOK(t *testing.T, mode transfer) {
	a := s.signIn(t, AliceEmail, mode)
	for _, opts := range [][]reqOpt{nil, {withRID("")}} { // a GET needs no rid
		r := a.do(t, "GET", "/api/me", nil, opts...)
		mustStatus(t, r, 200)
		body := r.json(t)
		if body["userId"] != "user-alice" || body["sessionHandle"] != a.handle(t) || len(body) != 2 {
			t.Errorf("%s: want exactly {\"userId\":\"user-alice\",\"sessionHandle\":%q}", r, a.handle(t))
		}
		// Verification is stateless and issues nothing (R7).
		expectUntouched(t, r, s)
	}
	r := a.do(t, "GET", "/api/me/strict", nil)
	mustStatus(t, r, 200)
	if body := r.json(t); body["sessionHandle"] != a.handle(t) {
		t.Errorf("%s: strict route returns another session", r)
	}
}

func (s *suite) verifyNoToken(t *testing.T) {
	for _, path := range []string{"/api/me", "/api/me/strict", "/api/notes", "/api/admin"} {
		r := s.c.do(t, "GET", path, nil)
		expectMessage(t, r, 401, "unauthorised")
		// No token at all: nothing to clear (a concurrent refresh elsewhere must not be undone).
		if r.has("front-token") {
			t.Errorf("%s: sends front-token %q without any token in the request", r, r.get("front-token"))
		}
	}
	// An Authorization header that is not ours is no session either.
	r := s.c.do(t, "GET", "/api/me", nil, withHeader("Authorization", "Basic YWxpY2U6cHc="))
	expectMessage(t, r, 401, "unauthorised")
}

func (s *suite) verifyExpired(t *testing.T) {
	h := s.signIn(t, AliceEmail, headerMode)
	c := s.signIn(t, AliceEmail, cookieMode)
	for _, a := range []*agent{h, c} {
		// Warm any verification cache first: expiry must still win.
		mustStatus(t, a.do(t, "GET", "/api/me", nil), 200)
	}
	s.fx.Clock.Advance(FixtureAccessTTL + time.Second)
	for _, a := range []*agent{h, c} {
		for _, path := range []string{"/api/me", "/api/me/strict", "/api/optional"} {
			r := a.do(t, "GET", path, nil)
			expectMessage(t, r, 401, "try refresh token")
			expectUntouched(t, r, s)
		}
		a.refreshOK(t)
		mustStatus(t, a.do(t, "GET", "/api/me", nil), 200)
	}
}

// flip changes one character in the middle of s to another base64url character.
func flip(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func (s *suite) verifyTampered(t *testing.T) {
	a := s.signIn(t, BobEmail, headerMode)
	parts := strings.Split(a.access, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a compact JWT")
	}
	// Bob promotes himself to alice and admin, keeping his signature.
	claims := jwtPart(t, a.access, 1)
	claims["sub"], claims["role"] = "user-alice", "admin"
	forgedPayload := base64.RawURLEncoding.EncodeToString(jsonBytes(claims))
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"` +
		jwtPart(t, a.access, 0)["kid"].(string) + `"}`))
	for _, c := range []struct {
		name, tok, msg string
	}{
		{"signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), "try refresh token"},
		{"payload", parts[0] + "." + forgedPayload + "." + parts[2], "try refresh token"},
		{"alg_none", noneHeader + "." + forgedPayload + ".", ""},
		{"alg_none_with_signature", noneHeader + "." + forgedPayload + "." + parts[2], ""},
	} {
		for _, viaCookie := range []bool{false, true} {
			opt := withBearer(c.tok)
			if viaCookie {
				opt = withCookieHeader(s.accessCookie + "=" + c.tok)
			}
			for _, path := range []string{"/api/me", "/api/admin"} {
				r := s.c.do(t, "GET", path, nil, opt)
				if c.msg != "" {
					expectMessage(t, r, 401, c.msg)
				} else {
					mustStatus(t, r, 401)
				}
			}
		}
	}
	// The real token is unaffected.
	mustStatus(t, a.do(t, "GET", "/api/me", nil), 200)
	a.expectAlive(t)
	s.expectHealthy(t)
}

func (s *suite) verifyGarbage(t *testing.T) {
	for _, tok := range []string{
		"garbage",
		"a.b.c",
		"..",
		"eyJhbGciOiJFZERTQSJ9.e30.",
		strings.Repeat("A", 300) + "." + strings.Repeat("B", 300) + "." + strings.Repeat("C", 300),
		"%00%0d%0a",
	} {
		for _, opt := range []reqOpt{withBearer(tok), withCookieHeader(s.accessCookie + "=" + tok)} {
			r := s.c.do(t, "GET", "/api/me", nil, opt)
			mustStatus(t, r, 401)
		}
	}
	// A token far beyond any real one: refused, never a crash (431 from a server that bounds
	// its header size is fine too).
	huge := strings.Repeat("x", 6000)
	for _, opt := range []reqOpt{withBearer(huge), withCookieHeader(s.accessCookie + "=" + huge)} {
		if r := s.c.do(t, "GET", "/api/me", nil, opt); r.Status != 401 && r.Status != 431 {
			t.Errorf("want 401 (or 431): %s", r)
		}
	}
	s.expectHealthy(t)
}

func (s *suite) verifyOptional(t *testing.T) {
	r := s.c.do(t, "GET", "/api/optional", nil)
	mustStatus(t, r, 200)
	if body := r.json(t); len(body) != 1 || body["userId"] != nil {
		t.Errorf("%s: want the anonymous body {\"userId\":null}", r)
	}
	a := s.signIn(t, AliceEmail, headerMode)
	r = a.do(t, "GET", "/api/optional", nil)
	mustStatus(t, r, 200)
	if body := r.json(t); body["userId"] != "user-alice" || body["sessionHandle"] != a.handle(t) {
		t.Errorf("%s: want alice's session", r)
	}
	// A token that is present but bad is an error, not "anonymous".
	parts := strings.Split(a.access, ".")
	bad := parts[0] + "." + parts[1] + "." + flip(parts[2])
	expectMessage(t, s.c.do(t, "GET", "/api/optional", nil, withBearer(bad)), 401, "try refresh token")
	mustStatus(t, s.c.do(t, "GET", "/api/optional", nil, withCookieHeader(s.accessCookie+"="+bad)), 401)
	mustStatus(t, s.c.do(t, "GET", "/api/optional", nil, withCookieHeader(s.accessCookie+"=garbage")), 401)
}

func (s *suite) verifyDuplicateCookies(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	b := s.signIn(t, AliceEmail, cookieMode)
	at, bt := a.accessToken(), b.accessToken()
	for _, opts := range [][]reqOpt{
		{withCookieHeader(s.accessCookie + "=" + at + "; " + s.accessCookie + "=" + bt)},
		{withCookieHeader(s.accessCookie + "=" + at + "; " + s.accessCookie + "=" + at)},
		{withCookieHeader(s.accessCookie + "=" + at), withCookieHeader(s.accessCookie + "=" + bt)},
	} {
		r := s.c.do(t, "GET", "/api/me", nil, opts...)
		expectMessage(t, r, 401, "try refresh token")
	}
	a.expectAlive(t)
	b.expectAlive(t)
}

func (s *suite) verifyAdmin(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	r := alice.do(t, "GET", "/api/admin", nil)
	mustStatus(t, r, 200)
	if got := r.json(t)["userId"]; got != "user-alice" {
		t.Errorf("%s: want alice", r)
	}
	bob := s.signIn(t, BobEmail, headerMode)
	r = bob.do(t, "GET", "/api/admin", nil)
	mustStatus(t, r, 403)
	body := r.json(t)
	errs, _ := body["claimValidationErrors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("%s: want claimValidationErrors", r)
	}
	if first, _ := errs[0].(map[string]any); first["id"] != FixtureRoleClaim {
		t.Errorf("%s: claimValidationErrors[0].id = %v, want %s", r, first["id"], FixtureRoleClaim)
	}
	if body["message"] != "invalid claim" {
		t.Errorf("%s: message %v, want invalid claim", r, body["message"])
	}
	// A failed claim is not a session problem: bob keeps his session.
	expectUntouched(t, r, s)
	bob.expectAlive(t)
}
