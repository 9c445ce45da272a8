package adaptertest

// HTTPSuite: the "your devices" view: device labels, lifetimes and POST /auth/sessions/revoke-others.

import (
	"testing"
)

func (s *suite) testDevices(t *testing.T) {
	t.Run("entry_fields", s.devicesEntryFields)
	t.Run("revoke_others", s.devicesRevokeOthers)
	t.Run("revoke_others_cookie_without_rid", s.devicesRevokeOthersCSRF)
	t.Run("revoke_others_requires_session", s.devicesRevokeOthersNoSession)
}

func (s *suite) devicesEntryFields(t *testing.T) {
	ua := "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
	a := s.signIn(t, AliceEmail, headerMode, withHeader("User-Agent", ua))
	_, list := s.listSessions(t, a)
	var mine map[string]any
	for _, e := range list {
		if e["sessionHandle"] == a.handle(t) {
			mine = e
		}
	}
	if mine == nil {
		t.Fatal("the caller's session is not listed")
	}
	if mine["device"] != "Firefox on Linux" || mine["userAgent"] != ua {
		t.Errorf("device = %v, userAgent = %v", mine["device"], mine["userAgent"])
	}
	created, _ := mine["createdAt"].(float64)
	idle, _ := mine["expiresAt"].(float64)
	abs, _ := mine["absoluteExpiresAt"].(float64)
	if !(created > 0 && idle > created && abs >= idle) {
		t.Errorf("want createdAt < expiresAt <= absoluteExpiresAt, got %v %v %v", created, idle, abs)
	}
}

func (s *suite) devicesRevokeOthers(t *testing.T) {
	for _, mode := range []transfer{headerMode, cookieMode} {
		t.Run(string(mode), func(t *testing.T) {
			keep := s.signIn(t, AliceEmail, mode)
			other1 := s.signIn(t, AliceEmail, headerMode)
			other2 := s.signIn(t, AliceEmail, cookieMode)
			bob := s.signIn(t, BobEmail, headerMode)
			r := keep.do(t, "POST", "/auth/sessions/revoke-others", nil)
			mustStatus(t, r, 200)
			body := r.json(t)
			if body["status"] != "OK" {
				t.Errorf("%s: want status OK", r)
			}
			if n, _ := body["revoked"].(float64); n < 2 {
				t.Errorf("%s: want at least the two other sessions revoked", r)
			}
			expectUntouched(t, r, s)
			other1.expectDead(t)
			other2.expectDead(t)
			keep.expectAlive(t)
			bob.expectAlive(t)
			_, list := s.listSessions(t, keep)
			if len(list) != 1 || list[0]["sessionHandle"] != keep.handle(t) || list[0]["current"] != true {
				t.Errorf("after revoke-others the list should be exactly the current session: %v", list)
			}
		})
	}
}

func (s *suite) devicesRevokeOthersCSRF(t *testing.T) {
	keep := s.signIn(t, AliceEmail, cookieMode)
	other := s.signIn(t, AliceEmail, headerMode)
	r := s.c.do(t, "POST", "/auth/sessions/revoke-others", nil, keep.creds("/auth/sessions/revoke-others"))
	mustStatus(t, r, 403)
	other.expectAlive(t)
	keep.expectAlive(t)
}

func (s *suite) devicesRevokeOthersNoSession(t *testing.T) {
	mustStatus(t, s.c.do(t, "POST", "/auth/sessions/revoke-others", nil, withRID("session")), 401)
	mustStatus(t, s.c.do(t, "GET", "/auth/sessions/revoke-others", nil), 405)
}
