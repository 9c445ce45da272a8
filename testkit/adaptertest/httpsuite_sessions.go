package adaptertest

// HTTPSuite: GET /auth/sessions and DELETE /auth/sessions/{handle}.

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
)

func (s *suite) testSessions(t *testing.T) {
	t.Run("list", s.sessionsList)
	t.Run("list_requires_session", s.sessionsListNoSession)
	t.Run("delete_other_own_session", s.sessionsDeleteOther)
	t.Run("delete_current_session", s.sessionsDeleteCurrent)
	t.Run("delete_foreign_session", s.sessionsDeleteForeign)
	t.Run("delete_junk_handles", s.sessionsDeleteJunk)
	t.Run("delete_cookie_without_rid", s.sessionsDeleteCookieWithoutRID)
}

// listSessions returns the caller's sessions as decoded JSON objects.
func (s *suite) listSessions(t *testing.T, a *agent) (*result, []map[string]any) {
	t.Helper()
	r := a.do(t, "GET", "/auth/sessions", nil)
	mustStatus(t, r, 200)
	raw, ok := r.json(t)["sessions"].([]any)
	if !ok {
		t.Fatalf("%s: want {\"sessions\":[…]}", r)
	}
	out := make([]map[string]any, 0, len(raw))
	for _, e := range raw {
		m, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("%s: a session entry is not an object", r)
		}
		out = append(out, m)
	}
	return r, out
}

// onlySession revokes, through the route itself, every other session of a's user, so the
// listing below is exact even though earlier subtests left sessions behind.
func (s *suite) onlySession(t *testing.T, a *agent) {
	t.Helper()
	_, list := s.listSessions(t, a)
	for _, e := range list {
		if h, _ := e["sessionHandle"].(string); h != a.handle(t) {
			mustStatus(t, a.do(t, "DELETE", "/auth/sessions/"+url.PathEscape(h), nil), 200)
		}
	}
}

func (s *suite) sessionsList(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	s.onlySession(t, a)
	a.refreshOK(t) // a previous token exists now too
	b := s.signIn(t, AliceEmail, cookieMode, withHeader("User-Agent", "httpsuite-device-b/1.0"))
	issued := []string{a.access, a.rt, b.accessToken(), b.refreshToken()}

	for _, viewer := range []*agent{a, b} {
		r, list := s.listSessions(t, viewer)
		expectNoStore(t, r)
		if len(list) != 2 {
			t.Fatalf("%s: want exactly 2 sessions", r)
		}
		current := 0
		handles := map[string]bool{}
		for _, e := range list {
			h, _ := e["sessionHandle"].(string)
			handles[h] = true
			if e["current"] == true {
				current++
				if h != viewer.handle(t) {
					t.Errorf("%s: current:true on %s, but the caller is %s", r, h, viewer.handle(t))
				}
			} else if e["current"] != false {
				t.Errorf("%s: \"current\" must be a boolean", r)
			}
			for _, k := range []string{"createdAt", "lastActiveAt", "expiresAt"} {
				if v, ok := e[k].(float64); !ok || v <= 0 {
					t.Errorf("%s: %s must be a positive number (ms), got %v", r, k, e[k])
				}
			}
			for _, k := range []string{"ip", "userAgent"} {
				if _, ok := e[k].(string); !ok {
					t.Errorf("%s: %s must be a string", r, k)
				}
			}
			if h == b.handle(t) && e["userAgent"] != "httpsuite-device-b/1.0" {
				t.Errorf("%s: b's userAgent is %v", r, e["userAgent"])
			}
		}
		if current != 1 {
			t.Errorf("%s: %d entries are current, want exactly 1", r, current)
		}
		if !handles[a.handle(t)] || !handles[b.handle(t)] {
			t.Errorf("%s: want the handles of both sign-ins", r)
		}
		s.expectNoSecrets(t, r, issued, []string{a.handle(t), b.handle(t)})
	}
}

// expectNoSecrets requires that body contains no issued token, no token hash (H1 or H2) and
// no session secret. The secrets are only visible in the store, so it is read here.
func (s *suite) expectNoSecrets(t *testing.T, r *result, tokens, handles []string) {
	t.Helper()
	var secrets []string
	for _, tok := range tokens {
		h1 := sha256Hex(tok)
		secrets = append(secrets, tok, h1, sha256Hex(h1))
	}
	for _, h := range handles {
		rec, err := s.fx.Store.Get(t.Context(), h)
		if err != nil {
			t.Fatalf("store: %v", err)
		}
		secrets = append(secrets, rec.CurrentHash, rec.PreviousHash,
			hex.EncodeToString(rec.Secret), base64.StdEncoding.EncodeToString(rec.Secret),
			base64.RawURLEncoding.EncodeToString(rec.Secret))
	}
	body := string(r.Body)
	for _, sec := range secrets {
		if sec != "" && strings.Contains(body, sec) {
			t.Errorf("%s: the body leaks a token, token hash or session secret (%s)", r, short(sec))
		}
	}
	for _, k := range []string{"refreshToken", "accessToken", "hash", "secret", "Hash", "Secret"} {
		if strings.Contains(body, k) {
			t.Errorf("%s: the body has a member like %q", r, k)
		}
	}
}

func (s *suite) sessionsListNoSession(t *testing.T) {
	expectMessage(t, s.c.do(t, "GET", "/auth/sessions", nil), 401, "unauthorised")
	a := s.signIn(t, AliceEmail, headerMode)
	mustStatus(t, a.do(t, "POST", "/auth/signout", nil), 200)
	// The listing checks the database: a signed-out session cannot list.
	mustStatus(t, s.c.do(t, "GET", "/auth/sessions", nil, withBearer(a.access)), 401)
}

func (s *suite) sessionsDeleteOther(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	b := s.signIn(t, AliceEmail, cookieMode)
	r := a.do(t, "DELETE", "/auth/sessions/"+b.handle(t), nil)
	mustStatus(t, r, 200)
	if body := r.json(t); body["status"] != "OK" {
		t.Errorf("%s: want {\"status\":\"OK\"}", r)
	}
	expectUntouched(t, r, s) // the caller's own tokens stay
	b.expectDead(t)
	a.expectAlive(t)
	_, list := s.listSessions(t, a)
	for _, e := range list {
		if e["sessionHandle"] == b.handle(t) {
			t.Errorf("the revoked session is still listed")
		}
	}
	// Deleting it again: it is gone.
	mustStatus(t, a.do(t, "DELETE", "/auth/sessions/"+b.handle(t), nil), 404)
}

func (s *suite) sessionsDeleteCurrent(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	r := a.do(t, "DELETE", "/auth/sessions/"+a.handle(t), nil)
	mustStatus(t, r, 200)
	expectCleared(t, r, s)
	a.expectDead(t)
}

func (s *suite) sessionsDeleteForeign(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	bob := s.signIn(t, BobEmail, headerMode)
	r := alice.do(t, "DELETE", "/auth/sessions/"+bob.handle(t), nil)
	mustStatus(t, r, 404)
	// No IDOR oracle: another user's handle looks exactly like one that does not exist.
	missing := alice.do(t, "DELETE", "/auth/sessions/"+strings.Repeat("A", len(bob.handle(t))), nil)
	if missing.Status != r.Status || string(missing.Body) != string(r.Body) {
		t.Errorf("a foreign handle (%s) and a missing one (%s) answer differently", r, missing)
	}
	bob.expectAlive(t)
	bob.refreshOK(t)
	bob.expectAlive(t)
	alice.expectAlive(t)
}

func (s *suite) sessionsDeleteJunk(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	for _, h := range []string{
		url.PathEscape("../../etc/passwd"),
		url.PathEscape("1' OR '1'='1"),
		strings.Repeat("a", 300),
		url.PathEscape("\x00"),
		url.PathEscape(a.handle(t) + "\n"),
		url.PathEscape(a.handle(t) + "/x"),
		"",
	} {
		r := a.do(t, "DELETE", "/auth/sessions/"+h, nil)
		if r.Status != 404 {
			t.Errorf("junk handle %q: want 404: %s", h, r)
		}
	}
	a.expectAlive(t)
	s.expectHealthy(t)
}

func (s *suite) sessionsDeleteCookieWithoutRID(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	b := s.signIn(t, AliceEmail, headerMode)
	r := a.do(t, "DELETE", "/auth/sessions/"+b.handle(t), nil, withRID(""))
	mustStatus(t, r, 403)
	r = a.do(t, "DELETE", "/auth/sessions/"+b.handle(t), nil, withOrigin(hostileOrigin))
	mustStatus(t, r, 403)
	b.expectAlive(t)
	a.expectAlive(t)
}
