package adaptertest

// HTTPSuite: POST /auth/signout.

import "testing"

func (s *suite) testSignOut(t *testing.T) {
	t.Run("header_mode", func(t *testing.T) { s.signOutOK(t, headerMode) })
	t.Run("cookie_mode", func(t *testing.T) { s.signOutOK(t, cookieMode) })
	t.Run("no_token", s.signOutNoToken)
	t.Run("get_not_allowed", s.signOutGet)
	t.Run("cookie_without_rid", s.signOutCookieWithoutRID)
	t.Run("cookie_hostile_origin", s.signOutCookieHostileOrigin)
}

func (s *suite) signOutOK(t *testing.T, mode transfer) {
	a := s.signIn(t, AliceEmail, mode)
	other := s.signIn(t, AliceEmail, mode)
	r := a.do(t, "POST", "/auth/signout", nil, withOrigin(WebsiteOrigin))
	mustStatus(t, r, 200)
	if body := r.json(t); body["status"] != "OK" || len(body) != 1 {
		t.Errorf("%s: want exactly {\"status\":\"OK\"}", r)
	}
	expectCleared(t, r, s)
	a.expectDead(t)
	// Signing out one device leaves the user's other sessions alone.
	other.expectAlive(t)
}

func (s *suite) signOutNoToken(t *testing.T) {
	r := s.c.do(t, "POST", "/auth/signout", nil, withRID("session"))
	expectMessage(t, r, 401, "unauthorised")
}

func (s *suite) signOutGet(t *testing.T) {
	for _, mode := range []transfer{headerMode, cookieMode} {
		a := s.signIn(t, AliceEmail, mode)
		r := a.do(t, "GET", "/auth/signout", nil)
		mustStatus(t, r, 405)
		expectUntouched(t, r, s)
		a.expectAlive(t)
	}
}

// signOutCookieWithoutRID: a cross-site form POST (no rid) must not log the user out.
func (s *suite) signOutCookieWithoutRID(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	r := a.do(t, "POST", "/auth/signout", nil, withRID(""))
	mustStatus(t, r, 403)
	expectUntouched(t, r, s)
	a.expectAlive(t)
	a.refreshOK(t)
	a.expectAlive(t)
}

func (s *suite) signOutCookieHostileOrigin(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	for _, opt := range []reqOpt{withOrigin(hostileOrigin), withHeader("Sec-Fetch-Site", "cross-site")} {
		r := a.do(t, "POST", "/auth/signout", nil, opt)
		mustStatus(t, r, 403)
		expectUntouched(t, r, s)
	}
	a.expectAlive(t)
}
