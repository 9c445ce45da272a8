package adaptertest

// HTTPSuite: access-token payload updates through the app's /api/payload route, which re-issues
// the access token and front-token on the same response.

import (
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) testPayload(t *testing.T) {
	t.Run("header_mode", s.payloadHeaderMode)
	t.Run("cookie_mode", s.payloadCookieMode)
	t.Run("protected_claim", s.payloadProtected)
}

func (s *suite) payloadHeaderMode(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	oldAT, oldRT, handle := a.access, a.rt, a.handle(t)
	s.fx.Clock.Advance(time.Second)
	r := a.do(t, "POST", "/api/payload", jsonBody(t, map[string]string{"theme": "dark"}))
	mustStatus(t, r, 200)
	at := r.get(core.HeaderAccessToken)
	if at == "" || at == oldAT {
		t.Fatalf("%s: want a new st-access-token", r)
	}
	if r.get(core.HeaderRefreshToken) != "" {
		t.Errorf("%s: a payload update must not rotate the refresh token", r)
	}
	ft := frontToken(t, r, at)
	if ft.UP["theme"] != "dark" || ft.UP["role"] != "admin" || ft.UP["sessionHandle"] != handle {
		t.Errorf("front-token up after the merge: %v", ft.UP)
	}
	expectExposed(t, r, core.HeaderFrontToken, core.HeaderAccessToken)
	expectNoStore(t, r)
	a.absorb(r)
	if a.rt != oldRT {
		t.Fatal("the refresh token changed")
	}
	a.expectAlive(t)

	// The new claim lives in the session and survives a refresh.
	ft = expectHeaderIssue(t, a.refreshOK(t))
	if ft.UP["theme"] != "dark" {
		t.Errorf("after refresh up.theme = %v, want dark", ft.UP["theme"])
	}
	// A null removes a claim.
	r = a.do(t, "POST", "/api/payload", []byte(`{"theme":null}`))
	mustStatus(t, r, 200)
	if ft := frontToken(t, r, r.get(core.HeaderAccessToken)); ft.UP["theme"] != nil {
		t.Errorf("up.theme = %v after deleting it", ft.UP["theme"])
	}
}

func (s *suite) payloadCookieMode(t *testing.T) {
	a := s.signIn(t, BobEmail, cookieMode)
	old := a.accessToken()
	s.fx.Clock.Advance(time.Second)
	r := a.do(t, "POST", "/api/payload", jsonBody(t, map[string]string{"theme": "dark"}))
	mustStatus(t, r, 200)
	c := cookieAttrs(t, r, s.accessCookie, "/")
	if c.Value == old {
		t.Errorf("the access cookie was not re-issued")
	}
	if r.cookie(s.refreshCookie) != nil {
		t.Errorf("a payload update must not touch the refresh cookie")
	}
	if ft := frontToken(t, r, c.Value); ft.UP["theme"] != "dark" || ft.UP["role"] != "user" {
		t.Errorf("front-token up after the merge: %v", ft.UP)
	}
	a.absorb(r)
	a.expectAlive(t)
	a.refreshOK(t)
	if got := jwtPart(t, a.accessToken(), 1)["theme"]; got != "dark" {
		t.Errorf("after refresh the access token's theme = %v", got)
	}
}

func (s *suite) payloadProtected(t *testing.T) {
	a := s.signIn(t, BobEmail, headerMode)
	for _, body := range []string{`{"sub":"user-alice"}`, `{"sessionHandle":"x"}`, `{"exp":9999999999}`,
		`{"refreshTokenHash1":"00"}`, `{"iss":"evil","theme":"dark"}`} {
		r := a.do(t, "POST", "/api/payload", []byte(body))
		mustStatus(t, r, 400)
		expectNoTokens(t, r, s)
		if r.has(core.HeaderFrontToken) {
			t.Errorf("%s: sends a front-token", r)
		}
	}
	r := a.do(t, "GET", "/api/me", nil)
	mustStatus(t, r, 200)
	if r.json(t)["userId"] != "user-bob" {
		t.Errorf("%s: bob's identity changed", r)
	}
	ft := expectHeaderIssue(t, a.refreshOK(t))
	if ft.UP["theme"] != nil || ft.UID != "user-bob" {
		t.Errorf("a refused update leaked into the session: %v", ft.UP)
	}
}
