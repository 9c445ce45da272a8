package adaptertest

// HTTPSuite: server-side session data through the app's /api/notes routes, and what a signed-out
// session can still do.

import (
	"testing"
	"time"
)

func (s *suite) testNotes(t *testing.T) {
	t.Run("append_and_read", func(t *testing.T) { s.notesAppend(t, headerMode) })
	t.Run("append_and_read_cookie", func(t *testing.T) { s.notesAppend(t, cookieMode) })
	t.Run("per_session", s.notesPerSession)
	t.Run("cookie_without_rid", s.notesCookieWithoutRID)
	t.Run("bad_body", s.notesBadBody)
	t.Run("after_signout", s.notesAfterSignOut)
}

// notes extracts {"notes":[…]} as strings; the list must be an array, never null.
func notes(t *testing.T, r *result) []string {
	t.Helper()
	mustStatus(t, r, 200)
	raw, ok := r.json(t)["notes"].([]any)
	if !ok {
		t.Fatalf("%s: \"notes\" must be a JSON array", r)
	}
	out := make([]string, 0, len(raw))
	for _, n := range raw {
		str, _ := n.(string)
		out = append(out, str)
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s *suite) addNote(t *testing.T, a *agent, text string) []string {
	t.Helper()
	return notes(t, a.do(t, "POST", "/api/notes", jsonBody(t, map[string]string{"text": text})))
}

func (s *suite) notesAppend(t *testing.T, mode transfer) {
	a := s.signIn(t, AliceEmail, mode)
	if got := notes(t, a.do(t, "GET", "/api/notes", nil)); len(got) != 0 {
		t.Errorf("a new session has notes %q", got)
	}
	if got := s.addNote(t, a, "first"); !sameStrings(got, []string{"first"}) {
		t.Errorf("after one note: %q", got)
	}
	if got := s.addNote(t, a, "sécond ✓"); !sameStrings(got, []string{"first", "sécond ✓"}) {
		t.Errorf("after two notes: %q", got)
	}
	if got := notes(t, a.do(t, "GET", "/api/notes", nil)); !sameStrings(got, []string{"first", "sécond ✓"}) {
		t.Errorf("GET /api/notes: %q", got)
	}
	// Data lives with the session, so it survives a refresh.
	a.refreshOK(t)
	if got := notes(t, a.do(t, "GET", "/api/notes", nil)); len(got) != 2 {
		t.Errorf("after refresh: %q", got)
	}
}

func (s *suite) notesPerSession(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	b := s.signIn(t, AliceEmail, headerMode)
	s.addNote(t, a, "only in a")
	if got := notes(t, b.do(t, "GET", "/api/notes", nil)); len(got) != 0 {
		t.Errorf("another session of the same user sees %q", got)
	}
}

func (s *suite) notesCookieWithoutRID(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	r := a.do(t, "POST", "/api/notes", jsonBody(t, map[string]string{"text": "forged"}), withRID(""))
	mustStatus(t, r, 403)
	expectUntouched(t, r, s)
	r = a.do(t, "POST", "/api/notes", jsonBody(t, map[string]string{"text": "forged"}), withOrigin(hostileOrigin))
	mustStatus(t, r, 403)
	if got := notes(t, a.do(t, "GET", "/api/notes", nil)); len(got) != 0 {
		t.Errorf("a CSRF-rejected request wrote %q", got)
	}
	if got := s.addNote(t, a, "real"); !sameStrings(got, []string{"real"}) {
		t.Errorf("with rid: %q", got)
	}
}

func (s *suite) notesBadBody(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	for _, body := range []string{`{"nope":1}`, `{"text":`, `[]`} {
		r := a.do(t, "POST", "/api/notes", []byte(body))
		expectSomeMessage(t, r, 400)
	}
	if got := notes(t, a.do(t, "GET", "/api/notes", nil)); len(got) != 0 {
		t.Errorf("rejected bodies wrote %q", got)
	}
}

// notesAfterSignOut: after sign-out the strict route and every database-backed operation refuse
// at once, and so does the stateless route (/api/me) on the instance that signed the session
// out, which remembers its revocations without a database read (R7). Other instances learn it
// through the revocation feed within Config.RevocationPollInterval.
func (s *suite) notesAfterSignOut(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	s.addNote(t, a, "before")
	at := a.access
	mustStatus(t, a.do(t, "POST", "/auth/signout", nil), 200)

	mustStatus(t, s.c.do(t, "GET", "/api/me/strict", nil, withBearer(at)), 401)
	mustStatus(t, s.c.do(t, "GET", "/api/notes", nil, withBearer(at)), 401)
	// No write may land on a revoked session (R6).
	mustStatus(t, s.c.do(t, "POST", "/api/notes", jsonBody(t, map[string]string{"text": "after"}), withBearer(at)), 401)
	mustStatus(t, s.c.do(t, "POST", "/api/payload", jsonBody(t, map[string]string{"theme": "x"}), withBearer(at)), 401)
	// Stateless verification on this instance: refused at once, and after exp it is simply expired.
	expectMessage(t, s.c.do(t, "GET", "/api/me", nil, withBearer(at)), 401, "unauthorised")
	s.fx.Clock.Advance(FixtureAccessTTL + time.Second)
	expectMessage(t, s.c.do(t, "GET", "/api/me", nil, withBearer(at)), 401, "try refresh token")
	rec, err := s.fx.Store.Get(t.Context(), a.handle(t))
	if err != nil || !rec.Revoked {
		t.Errorf("store: the signed-out session should be revoked (err %v)", err)
	}
}
