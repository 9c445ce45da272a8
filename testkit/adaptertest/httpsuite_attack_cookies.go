package adaptertest

// HTTPSuite attacks on the token cookies: exact attributes (S-13, S-23, S-25..S-27),
// shadowed and duplicate cookies (S-29), and session fixation through planted cookies
// (S-07, S-08). The fixture serves plain HTTP, so its cookies are not Secure and carry no
// __Host-/__Secure- prefix; core/cookieattrs_test.go checks the Secure, prefixed variant.

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) attackCookies(t *testing.T) {
	t.Run("exact_attributes", s.cookieExactAttributes)
	t.Run("shadowed_names", s.cookieShadowed)
	t.Run("duplicates", s.cookieDuplicates)
}

// setCookieLine is one parsed Set-Cookie header: name, value and attributes with lower-cased
// names (a flag attribute maps to "").
type setCookieLine struct {
	raw, name, value string
	attrs            map[string]string
}

func parseSetCookies(t *testing.T, r *result) map[string]setCookieLine {
	t.Helper()
	out := map[string]setCookieLine{}
	for _, raw := range r.Header.Values("Set-Cookie") {
		parts := strings.Split(raw, ";")
		name, value, ok := strings.Cut(strings.TrimSpace(parts[0]), "=")
		if !ok {
			t.Fatalf("%s: Set-Cookie without a name=value pair: %q", r, raw)
		}
		// raw is kept for messages with the value shortened: tokens stay out of test logs.
		l := setCookieLine{raw: strings.Replace(raw, value, short(value), 1), name: name, value: value, attrs: map[string]string{}}
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			k = strings.ToLower(k)
			if _, dup := l.attrs[k]; dup {
				t.Errorf("%s: Set-Cookie %s repeats the attribute %s", r, name, k)
			}
			l.attrs[k] = v
		}
		if _, dup := out[name]; dup {
			t.Errorf("%s: two Set-Cookie headers for %s", r, name)
		}
		out[name] = l
	}
	return out
}

// expectCookieLine checks one token cookie exactly: only the attributes ratchet writes, the
// given Path, HttpOnly, an explicit SameSite of Lax or Strict, no Domain, Secure exactly when
// the name is prefixed (and __Host- with Path=/), and a value that needs no quoting.
func (s *suite) expectCookieLine(t *testing.T, r *result, l setCookieLine, path string, clearing bool) {
	t.Helper()
	allowed := map[string]bool{"path": true, "expires": true, "max-age": true, "httponly": true, "samesite": true, "secure": true}
	for k := range l.attrs {
		if !allowed[k] {
			t.Errorf("%s: %s has the unexpected attribute %q: %q", r, l.name, k, l.raw)
		}
	}
	if l.attrs["path"] != path {
		t.Errorf("%s: %s has Path=%q, want %q", r, l.name, l.attrs["path"], path)
	}
	if _, ok := l.attrs["httponly"]; !ok {
		t.Errorf("%s: %s is not HttpOnly", r, l.name)
	}
	if ss := l.attrs["samesite"]; ss != "Lax" && ss != "Strict" {
		t.Errorf("%s: %s has SameSite=%q, want Lax or Strict", r, l.name, ss)
	}
	_, secure := l.attrs["secure"]
	prefixed := strings.HasPrefix(l.name, "__Host-") || strings.HasPrefix(l.name, "__Secure-")
	if secure != prefixed {
		t.Errorf("%s: %s: Secure=%v, but a prefixed name must be Secure and the fixture's plain-HTTP names are not", r, l.name, secure)
	}
	if strings.HasPrefix(l.name, "__Host-") && l.attrs["path"] != "/" {
		t.Errorf("%s: a __Host- cookie must have Path=/", r)
	}
	for _, c := range l.value {
		if !(c == '.' || c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			t.Errorf("%s: the %s value contains %q, which needs quoting or escaping", r, l.name, c)
			break
		}
	}
	now := s.fx.Clock.Now()
	exp, err := http.ParseTime(l.attrs["expires"])
	if err != nil {
		t.Errorf("%s: %s has no valid Expires: %q", r, l.name, l.attrs["expires"])
		return
	}
	if clearing {
		if l.value != "" || l.attrs["max-age"] != "0" || !exp.Before(now) {
			t.Errorf("%s: the clearing %s must be empty with Max-Age=0 and a past Expires: %q", r, l.name, l.raw)
		}
		return
	}
	if _, ok := l.attrs["max-age"]; ok {
		t.Errorf("%s: an issued %s has Max-Age: %q", r, l.name, l.raw)
	}
	if l.value == "" || !exp.After(now) || exp.After(now.Add(s.e.Config().RefreshTTL)) {
		t.Errorf("%s: %s must be set and expire within the session's idle lifetime (%s): %q",
			r, l.name, s.e.Config().RefreshTTL, l.raw)
	}
}

// cookieExactAttributes: issue (sign-in, refresh) and clear (sign-out) write exactly the two
// token cookies, and a clear repeats the name, Path, SameSite and Secure of the issue, so the
// browser really deletes the cookie it holds.
func (s *suite) cookieExactAttributes(t *testing.T) {
	r := s.c.do(t, "POST", "/auth/signin", signInBody(t, AliceEmail), withHeader(core.HeaderAuthMode, "cookie"))
	mustStatus(t, r, 200)
	a := &agent{s: s, mode: cookieMode, userID: "user-alice", jar: newJar()}
	a.absorb(r)
	check := func(r *result, clearing bool) map[string]setCookieLine {
		t.Helper()
		lines := parseSetCookies(t, r)
		if len(lines) != 2 {
			t.Fatalf("%s: want exactly the two token cookies, got %d Set-Cookie headers", r, len(r.Header.Values("Set-Cookie")))
		}
		ac, ok1 := lines[s.accessCookie]
		rc, ok2 := lines[s.refreshCookie]
		if !ok1 || !ok2 {
			t.Fatalf("%s: want %s and %s, got %v", r, s.accessCookie, s.refreshCookie, keys(lines))
		}
		s.expectCookieLine(t, r, ac, "/", clearing)
		s.expectCookieLine(t, r, rc, s.refreshPath, clearing)
		if !clearing && ac.attrs["expires"] != rc.attrs["expires"] {
			// Both cookies live exactly as long as the session (docs/SECURITY.md, deviations).
			t.Errorf("%s: the access cookie expires at %s, the refresh cookie at %s", r, ac.attrs["expires"], rc.attrs["expires"])
		}
		return lines
	}
	issued := check(r, false)
	s.fx.Clock.Advance(time.Second)
	r = a.do(t, "POST", s.refreshPath, nil)
	mustStatus(t, r, 200)
	check(r, false)
	a.absorb(r)
	r = a.do(t, "POST", "/auth/signout", nil)
	mustStatus(t, r, 200)
	cleared := check(r, true)
	for name, is := range issued {
		cl := cleared[name]
		for _, k := range []string{"path", "samesite", "domain"} {
			if is.attrs[k] != cl.attrs[k] {
				t.Errorf("%s: issued with %s=%q but cleared with %q", name, k, is.attrs[k], cl.attrs[k])
			}
		}
		_, s1 := is.attrs["secure"]
		_, s2 := cl.attrs["secure"]
		if s1 != s2 {
			t.Errorf("%s: Secure differs between issue and clear", name)
		}
	}
}

// shadowNames are cookie names a browser keeps apart from name (so another site or script can
// plant them next to the real cookie) but a careless parser might fold into it.
func shadowNames(name string) []string {
	base := strings.TrimPrefix(strings.TrimPrefix(name, "__Host-"), "__Secure-")
	return []string{
		strings.ToLower(name),
		strings.ToUpper(name),
		"__Host-" + base,
		"__host-" + base,
		"__Secure-" + base,
		"__secure-" + base,
		"__HOST-" + base,
		base + "_",
		"x" + name,
	}
}

// cookieShadowed: a cookie whose name only resembles the token cookie's is never read, in
// either order next to the real one, and never on its own.
func (s *suite) cookieShadowed(t *testing.T) {
	s.coolDown(t)
	victim := s.signIn(t, AliceEmail, cookieMode)
	attacker := s.signIn(t, BobEmail, cookieMode)
	aBefore := s.record(t, attacker.handle(t))
	for _, twin := range shadowNames(s.accessCookie) {
		if twin == s.accessCookie {
			continue
		}
		genuine, planted := s.accessCookie+"="+victim.accessToken(), twin+"="+attacker.accessToken()
		for _, line := range []string{genuine + "; " + planted, planted + "; " + genuine} {
			r := s.c.do(t, "GET", "/api/me/strict", nil, withCookieHeader(line))
			mustStatus(t, r, 200)
			if got := r.json(t)["userId"]; got != victim.userID {
				t.Errorf("Cookie %s next to the real one: authenticated as %v", twin, got)
			}
		}
		r := s.c.do(t, "GET", "/api/me/strict", nil, withCookieHeader(planted))
		expectMessage(t, r, 401, "unauthorised")
	}
	for _, twin := range shadowNames(s.refreshCookie) {
		if twin == s.refreshCookie {
			continue
		}
		planted := twin + "=" + attacker.refreshToken()
		r := s.c.do(t, "POST", s.refreshPath, nil, withCookieHeader(planted), withRID("session"), withOrigin(WebsiteOrigin))
		expectMessage(t, r, 401, "unauthorised")
		// Next to the real one, only the victim's token is used.
		r = victim.do(t, "POST", s.refreshPath, nil, withCookieHeader(planted))
		mustStatus(t, r, 200)
		if ft := frontToken(t, r, r.cookie(s.accessCookie).Value); ft.UID != victim.userID {
			t.Errorf("refresh with %s planted: tokens issued for %s", twin, ft.UID)
		}
		victim.absorb(r)
	}
	s.expectUnchanged(t, aBefore, "shadowed cookies")
	victim.expectAlive(t)
	attacker.expectAlive(t)
}

// cookieDuplicates: two cookies with the token cookie's exact name (a planted one next to the
// real one), in both orders and in one or two Cookie headers, never authenticate either
// session and never rotate or revoke them. (Refresh answers with a clear, which logs the
// browser out: the price of refusing to guess which cookie is genuine.)
func (s *suite) cookieDuplicates(t *testing.T) {
	s.coolDown(t)
	victim := s.signIn(t, AliceEmail, cookieMode)
	attacker := s.signIn(t, BobEmail, cookieMode)
	vBefore, aBefore := s.record(t, victim.handle(t)), s.record(t, attacker.handle(t))
	pairs := func(name, v, a string) [][]reqOpt {
		return [][]reqOpt{
			{withCookieHeader(name + "=" + v + "; " + name + "=" + a)},
			{withCookieHeader(name + "=" + a + "; " + name + "=" + v)},
			{withCookieHeader(name + "=" + v), withCookieHeader(name + "=" + a)},
			{withCookieHeader(name + "=" + a), withCookieHeader(name + "=" + v)},
			{withCookieHeader(name + "=" + v + "; " + name + "=" + v)},
		}
	}
	for _, opts := range pairs(s.accessCookie, victim.accessToken(), attacker.accessToken()) {
		for _, path := range []string{"/api/me", "/api/me/strict"} {
			r := s.c.do(t, "GET", path, nil, opts...)
			expectMessage(t, r, 401, "try refresh token")
			expectUntouched(t, r, s)
		}
		r := s.c.do(t, "POST", "/auth/signout", nil, append(opts, withRID("session"), withOrigin(WebsiteOrigin))...)
		mustStatus(t, r, 401)
	}
	for _, opts := range pairs(s.refreshCookie, victim.refreshToken(), attacker.refreshToken()) {
		r := s.c.do(t, "POST", s.refreshPath, nil, append(opts, withRID("session"), withOrigin(WebsiteOrigin))...)
		expectMessage(t, r, 401, "unauthorised")
		expectNoTokens(t, r, s)
	}
	s.expectUnchanged(t, vBefore, "duplicate cookies")
	s.expectUnchanged(t, aBefore, "duplicate cookies")
	victim.expectAlive(t)
	victim.refreshOK(t)
	attacker.expectAlive(t)
	attacker.refreshOK(t)
}

// attackFixation (S-07, S-08): cookies an attacker planted before sign-in are never adopted.
// A refresh or access token the server never issued is refused and creates nothing; a sign-in
// carrying planted cookies yields a new session with new values; an attacker's genuine session
// planted in the victim's browser is revoked by the victim's sign-in.
func (s *suite) attackFixation(t *testing.T) {
	s.coolDown(t)
	plantedRT, plantedHandle := randomRefreshToken(t)
	plantedAT := seg(t, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "s-planted", "version": "5"}) + "." +
		seg(t, map[string]any{"sub": "user-alice", "sessionHandle": plantedHandle, "exp": s.fx.Clock.Now().Add(time.Hour).Unix()}) + "." +
		b64url(make([]byte, 64))
	planted := s.accessCookie + "=" + plantedAT + "; " + s.refreshCookie + "=" + plantedRT

	// Never issued, so never accepted.
	for _, opts := range [][]reqOpt{
		{withCookieHeader(planted), withRID("session"), withOrigin(WebsiteOrigin)},
		{withBearer(plantedRT), withRID("session")},
	} {
		r := s.c.do(t, "POST", s.refreshPath, nil, opts...)
		expectMessage(t, r, 401, "unauthorised")
		expectNoTokens(t, r, s)
		if strings.Contains(string(r.Body), plantedHandle) || strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ""), plantedHandle) {
			t.Errorf("%s: the planted value is echoed", r)
		}
	}
	s.expectTokenRejected(t, "planted access token", plantedAT)
	s.expectNoRow(t, plantedHandle)

	// A sign-in with the planted cookies makes a new session with new values.
	victim := s.signIn(t, AliceEmail, cookieMode, withCookieHeader(planted))
	if victim.handle(t) == plantedHandle || victim.refreshToken() == plantedRT || victim.accessToken() == plantedAT {
		t.Fatal("the sign-in adopted a planted value")
	}
	if strings.HasPrefix(victim.refreshToken(), plantedHandle) {
		t.Fatal("the new refresh token carries the planted handle")
	}
	s.expectNoRow(t, plantedHandle)
	victim.expectAlive(t)
	r := s.c.do(t, "POST", s.refreshPath, nil, withCookieHeader(s.refreshCookie+"="+plantedRT), withRID("session"))
	expectMessage(t, r, 401, "unauthorised")

	// Sign-in revokes the sessions behind *genuine* tokens it is shown. Forgeries that name a
	// victim's session (a tampered expired access token, a forged JWT with the victim's
	// handle, refresh tokens with the victim's handle and a wrong tag) revoke nothing, even
	// though the attacker signs in successfully with them.
	target := s.signIn(t, BobEmail, headerMode)
	tBefore := s.record(t, target.handle(t))
	tp := strings.Split(target.access, ".")
	rp := strings.Split(target.rt, ".")
	s.fx.Clock.Advance(FixtureAccessTTL + time.Second) // the access token is now expired too
	forgedAT := tp[0] + "." + tp[1] + "." + flip(tp[2])
	namedAT := tp[0] + "." + seg(t, map[string]any{"sub": "user-bob", "sessionHandle": target.handle(t),
		"refreshTokenHash1": sha256Hex(target.rt), "iss": jwtPart(t, target.access, 1)["iss"],
		"exp": s.fx.Clock.Now().Add(time.Hour).Unix(), "iat": s.fx.Clock.Now().Unix()}) + "." + tp[2]
	var forgedRTs []string
	if len(rp) == 3 {
		forgedRTs = forge(t, target.rt)
	}
	for _, tok := range append([]string{forgedAT, namedAT}, forgedRTs...) {
		for _, mode := range []transfer{headerMode, cookieMode} {
			s.signIn(t, AliceEmail, mode, withBearer(tok))
			s.signIn(t, AliceEmail, mode, withCookieHeader(s.accessCookie+"="+tok+"; "+s.refreshCookie+"="+tok))
		}
	}
	s.expectUnchanged(t, tBefore, "forged tokens presented at sign-in")
	target.refreshOK(t)
	target.expectAlive(t)

	// The attacker's own genuine session, planted in the victim's browser, dies at the
	// victim's sign-in, and the victim is never signed into it.
	for _, mode := range []transfer{cookieMode, headerMode} {
		attacker := s.signIn(t, BobEmail, cookieMode)
		plant := withCookieHeader(attacker.jar.header("/auth/signin") + "; " + s.refreshCookie + "=" + attacker.refreshToken())
		before := len(s.fx.Events())
		v := s.signIn(t, AliceEmail, mode, plant)
		if v.handle(t) == attacker.handle(t) {
			t.Fatalf("%s: the victim was signed into the attacker's session", mode)
		}
		attacker.expectDead(t)
		// The event names the session's owner, so the audit log files it under the attacker.
		fixed := 0
		for _, ev := range s.fx.Events()[before:] {
			if ev.Type == core.EventFixationReset && ev.Handle == attacker.handle(t) && ev.UserID == "user-bob" {
				fixed++
			}
		}
		if fixed != 1 {
			t.Errorf("%s: %d fixation_revoked events for the attacker's session with its user; want 1", mode, fixed)
		}
		r := v.do(t, "GET", "/api/me/strict", nil)
		mustStatus(t, r, 200)
		if got := r.json(t)["userId"]; got != "user-alice" {
			t.Errorf("%s: the victim's session belongs to %v", mode, got)
		}
	}
	s.expectHealthy(t)
}

// expectNoRow requires that the store has no session under handle.
func (s *suite) expectNoRow(t *testing.T, handle string) {
	t.Helper()
	if _, err := s.fx.Store.Get(t.Context(), handle); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("store: a row exists for the planted handle %s (err %v)", short(handle), err)
	}
}

func keys(m map[string]setCookieLine) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
