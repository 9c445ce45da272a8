package adaptertest

// HTTPSuite attacks: token-kind confusion, uniform errors, forged refresh tokens aimed at a
// victim's handle, and the sessions routes (IDOR, injection through handles).

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/ratchetauth/ratchet/core"
)

// attackKindConfusion: a refresh token is never an access token and the reverse (S-53).
func (s *suite) attackKindConfusion(t *testing.T) {
	s.coolDown(t)
	h := s.signIn(t, AliceEmail, headerMode)
	c := s.signIn(t, AliceEmail, cookieMode)
	hBefore, cBefore := s.record(t, h.handle(t)), s.record(t, c.handle(t))
	for _, a := range []*agent{h, c} {
		s.expectTokenRejected(t, string(a.mode)+" refresh token as access token", a.refreshToken())
		s.expectTokenRejected(t, string(a.mode)+" front-token as access token", a.front)
		s.expectTokenRejected(t, string(a.mode)+" session handle as access token", a.handle(t))
		for _, tok := range []string{a.accessToken(), a.handle(t), a.front} {
			for _, opts := range [][]reqOpt{
				{withBearer(tok), withRID("session")},
				{withCookieHeader(s.refreshCookie + "=" + tok), withRID("session"), withOrigin(WebsiteOrigin)},
			} {
				r := s.c.do(t, "POST", s.refreshPath, nil, opts...)
				s.expectRejected(t, r, string(a.mode)+" access token, handle or front-token as refresh token")
			}
		}
	}
	// Tokens are read from the Authorization header and the cookies only: never from the
	// URL (where logs, Referer and history keep them) or a form field.
	for _, a := range []*agent{h, c} {
		q := "?" + url.Values{"access_token": {a.accessToken()}, "token": {a.accessToken()}}.Encode()
		for _, path := range []string{"/api/me" + q, "/api/me/strict" + q} {
			s.expectRejected(t, s.c.do(t, "GET", path, nil), "access token in the query")
		}
		form := url.Values{"access_token": {a.accessToken()}, "refresh_token": {a.refreshToken()}, "token": {a.accessToken()}}.Encode()
		r := s.c.do(t, "POST", "/auth/signout?"+form, []byte(form), withContentType("application/x-www-form-urlencoded"), withRID("session"))
		s.expectRejected(t, r, "access token in the query and a form field")
		r = s.c.do(t, "POST", s.refreshPath+"?"+form, []byte(form), withContentType("application/x-www-form-urlencoded"), withRID("session"))
		s.expectRejected(t, r, "refresh token in the query and a form field")
	}
	s.expectUnchanged(t, hBefore, "kind confusion")
	s.expectUnchanged(t, cBefore, "kind confusion")
	for _, a := range []*agent{h, c} {
		a.expectAlive(t)
		a.refreshOK(t)
		a.expectAlive(t)
	}
	s.expectHealthy(t)
}

// attackUniformErrors (S-64): expired, tampered, unknown-kid, foreign-key, revoked and
// malformed tokens all answer 401 with one of the protocol's two fixed bodies, the same
// headers for the same body, and nothing that names the reason. Expired tokens must say
// "try refresh token" (the SDK refreshes on it).
func (s *suite) attackUniformErrors(t *testing.T) {
	f := s.newForger(t)
	parts := strings.Split(f.genuine, ".")
	now := s.fx.Clock.Now().Unix()
	revoked := s.signIn(t, AliceEmail, headerMode)
	mustStatus(t, revoked.do(t, "POST", "/auth/signout", nil), 200)
	foreign := s.newForgerKeyless(t, f)

	cases := []struct {
		name, tok  string
		tryRefresh bool // must be the try-refresh answer
	}{
		{"expired", f.ours(t, f.ourHeader(nil), f.payload(map[string]any{"exp": now - 1})), true},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), false},
		{"tampered payload", parts[0] + "." + seg(t, f.payload(map[string]any{"sub": "user-bob"})) + "." + parts[2], false},
		{"unknown kid", f.ours(t, f.ourHeader(map[string]any{"kid": "s-000000000000000000000000"}), f.payload(nil)), false},
		{"foreign key", foreign, false},
		{"revoked", revoked.access, false},
		{"malformed JWS", "eyJ.eyJ.AAAA", false},
		{"garbage JSON", seg(t, rawJSON("{")) + "." + parts[1] + "." + parts[2], false},
		{"1 KiB JWS", parts[0] + "." + strings.Repeat("A", 1<<10) + "." + parts[2], false},
		// Not JWS-shaped: a Bearer value like this is not ours and is ignored (no token at
		// all), so it is sent as the access cookie only.
		{"malformed cookie", "not-a-token", false},
	}
	type answer struct {
		name    string
		body    []byte
		headers string
	}
	var answers []answer
	for _, c := range cases {
		for _, path := range []string{"/api/me/strict", "/api/notes"} {
			for _, via := range []string{"bearer", "cookie"} {
				if via == "bearer" && !looksLikeCompactJWS(c.tok) {
					continue
				}
				opt := withBearer(c.tok)
				if via == "cookie" {
					opt = withCookieHeader(s.accessCookie + "=" + c.tok)
				}
				r := s.c.do(t, "GET", path, nil, opt)
				what := c.name + " via " + via + " on " + path
				s.expectRejected(t, r, what)
				if c.tryRefresh && !bytes.Equal(r.Body, body401TryRefresh) {
					t.Errorf("%s: want the try-refresh answer: %s", what, r)
				}
				answers = append(answers, answer{what, r.Body, headerNames(r.Header)})
			}
		}
	}
	// Same body, same headers: nothing but the body tells the answers apart.
	first := map[string]answer{}
	for _, a := range answers {
		if prev, ok := first[string(a.body)]; !ok {
			first[string(a.body)] = a
		} else if prev.headers != a.headers {
			t.Errorf("%q and %q answer %s with different headers:\n %s\n %s", prev.name, a.name, a.body, prev.headers, a.headers)
		}
	}
	// A genuine token that expired on the clock gets the same answer as one minted expired.
	s.fx.Clock.Advance(FixtureAccessTTL + time.Second)
	r := s.c.do(t, "GET", "/api/me/strict", nil, withBearer(f.genuine))
	s.expectRejected(t, r, "genuine expired token")
	if !bytes.Equal(r.Body, body401TryRefresh) || headerNames(r.Header) != first[string(body401TryRefresh)].headers {
		t.Errorf("a genuinely expired token answers differently from a minted expired one: %s", r)
	}
	f.victim.refreshOK(t)
	f.victim.expectAlive(t)
	s.expectHealthy(t)
}

// newForgerKeyless returns the victim's claims signed by a key the server does not know,
// under the server's kid and algorithm.
func (s *suite) newForgerKeyless(t *testing.T, f *forger) string {
	t.Helper()
	k, err := core.GenerateKey(f.key.Algorithm)
	if err != nil {
		t.Fatal(err)
	}
	return signWith(t, f.key.Algorithm, k.Private, seg(t, f.ourHeader(nil)), seg(t, f.payload(nil)))
}

// headerNames lists the response's header names, without Date, as one comparable string.
func headerNames(h http.Header) string {
	var names []string
	for k := range h {
		if k != "Date" {
			names = append(names, k+"="+strings.Join(h.Values(k), "|"))
		}
	}
	sort.Strings(names)
	return strings.Join(names, "; ")
}

// swapCase changes the case of the first letter in s; "" if s has none.
func swapCase(s string) string {
	for i, r := range s {
		switch {
		case unicode.IsLower(r):
			return s[:i] + string(unicode.ToUpper(r)) + s[i+1:]
		case unicode.IsUpper(r):
			return s[:i] + string(unicode.ToLower(r)) + s[i+1:]
		}
	}
	return ""
}

// randomRefreshToken is a well-formed refresh token the server never issued.
func randomRefreshToken(t *testing.T) (token, handle string) {
	t.Helper()
	b := make([]byte, 16+32+16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	handle = b64url(b[:16])
	return handle + "." + b64url(b[16:48]) + "." + b64url(b[48:]), handle
}

// attackForgedRefresh (S-41, R4): refresh tokens forged around a victim's handle are refused
// as unauthorised (never as theft), and the victim's row is not touched: not revoked, not
// rotated.
func (s *suite) attackForgedRefresh(t *testing.T) {
	s.coolDown(t)
	victim := s.signIn(t, AliceEmail, cookieMode)
	prev := victim.refreshToken()
	victim.refreshOK(t)
	cur := victim.refreshToken()
	attacker := s.signIn(t, BobEmail, headerMode)
	vBefore, aBefore := s.record(t, victim.handle(t)), s.record(t, attacker.handle(t))
	cp, pp, ap := strings.Split(cur, "."), strings.Split(prev, "."), strings.Split(attacker.rt, ".")
	if len(cp) != 3 || len(ap) != 3 || len(pp) != 3 {
		t.Skip("the refresh token is not <handle>.<body>.<tag>; the handle-reuse forgeries do not apply")
	}
	forgeries := map[string]string{
		"attacker's body and tag on the victim's handle": cp[0] + "." + ap[1] + "." + ap[2],
		"victim's body and tag on the attacker's handle": ap[0] + "." + cp[1] + "." + cp[2],
		"previous body with the current tag":             cp[0] + "." + pp[1] + "." + cp[2],
		"current body with the previous tag":             cp[0] + "." + cp[1] + "." + pp[2],
	}
	if h := swapCase(cp[0]); h != "" {
		forgeries["victim's token with the handle's case changed"] = h + "." + cp[1] + "." + cp[2]
		forgeries["previous token with the handle's case changed"] = swapCase(pp[0]) + "." + pp[1] + "." + pp[2]
	}
	// A lenient decoder would read these as the victim's genuine current token: the tag would
	// verify, the hash would not match, and the genuine-but-unknown token would count as
	// theft.
	if nb, ok := nonCanonical(cp[1]); ok {
		forgeries["current token, body with trailing bits"] = cp[0] + "." + nb + "." + cp[2]
	}
	if nt, ok := nonCanonical(cp[2]); ok {
		forgeries["current token, tag with trailing bits"] = cp[0] + "." + cp[1] + "." + nt
	}
	if nh, ok := nonCanonical(cp[0]); ok {
		forgeries["current token, handle with trailing bits"] = nh + "." + cp[1] + "." + cp[2]
	}
	for i, f := range forge(t, cur) {
		forgeries["random forgery of the current token #"+string(rune('1'+i))] = f
	}
	for i, f := range forge(t, prev) {
		forgeries["random forgery of the previous token #"+string(rune('1'+i))] = f
	}
	for name, tok := range forgeries {
		for _, opts := range [][]reqOpt{
			{withBearer(tok), withRID("session")},
			{withCookieHeader(s.refreshCookie + "=" + tok), withRID("session"), withOrigin(WebsiteOrigin)},
		} {
			r := s.c.do(t, "POST", s.refreshPath, nil, opts...)
			if r.Status == 429 {
				t.Fatalf("%s: the refresh-guessing limiter answered; the attack needs a fresh window: %s", name, r)
			}
			expectMessage(t, r, 401, "unauthorised")
			expectNoTokens(t, r, s)
		}
	}
	s.expectUnchanged(t, vBefore, "forged refresh tokens")
	s.expectUnchanged(t, aBefore, "forged refresh tokens")
	s.coolDown(t)
	victim.refreshOK(t)
	victim.expectAlive(t)
	attacker.refreshOK(t)
	attacker.expectAlive(t)
	s.expectHealthy(t)
}

// attackSessionRoutes (S-62, S-70): another user's handle is indistinguishable from a missing
// one, and handles carrying paths, SQL, NUL, odd encodings or a case-changed real handle are
// 404 without touching any session.
func (s *suite) attackSessionRoutes(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	alice2 := s.signIn(t, AliceEmail, cookieMode)
	bob := s.signIn(t, BobEmail, headerMode)
	bobBefore, a2Before := s.record(t, bob.handle(t)), s.record(t, alice2.handle(t))

	notFound := alice.do(t, "DELETE", "/auth/sessions/"+bob.handle(t), nil)
	mustStatus(t, notFound, 404)
	missing, _ := randomRefreshToken(t)
	for _, h := range []string{missing[:22], strings.Repeat("A", 22)} {
		r := alice.do(t, "DELETE", "/auth/sessions/"+h, nil)
		if r.Status != notFound.Status || !bytes.Equal(r.Body, notFound.Body) || headerNames(r.Header) != headerNames(notFound.Header) {
			t.Errorf("a foreign handle and a missing one answer differently:\n %s\n %s", notFound, r)
		}
	}
	// Reading or listing never reveals another user's session either.
	if r := alice.do(t, "GET", "/auth/sessions/"+bob.handle(t), nil); r.Status != 405 {
		t.Errorf("GET on a session handle: want 405: %s", r)
	}
	_, list := s.listSessions(t, alice)
	for _, e := range list {
		h, _ := e["sessionHandle"].(string)
		if h == bob.handle(t) {
			t.Errorf("alice's session list shows bob's session")
		} else if rec := s.record(t, h); rec.UserID != alice.userID {
			t.Errorf("alice's session list shows a session of %s", rec.UserID)
		}
	}

	junk := []string{
		url.PathEscape("../../etc/passwd"),
		url.PathEscape("..\\..\\windows\\win.ini"),
		"%2e%2e%2f%2e%2e%2fsignout",
		"..%252f..%252fsignout",
		url.PathEscape("1' OR '1'='1"),
		url.PathEscape(`x'; UPDATE sessions SET revoked=true; --`),
		url.PathEscape(`" OR ""="`),
		url.PathEscape(bob.handle(t) + "' OR '1'='1"),
		url.PathEscape(bob.handle(t) + "%"),
		url.PathEscape(bob.handle(t)) + "%00",
		url.PathEscape("\x00" + bob.handle(t)),
		url.PathEscape(bob.handle(t) + " "),
		url.PathEscape(strings.Repeat("Ａ", 22)),
		"%C0%AE%C0%AE%2F",
		url.PathEscape(strings.Repeat("A", 21) + "="),
		url.PathEscape(bob.handle(t) + "=="),
		strings.Repeat("a", 1<<10),
		url.PathEscape("*"),
		url.PathEscape("%"),
	}
	for _, h := range []string{swapCase(bob.handle(t)), swapCase(alice2.handle(t))} {
		if h != "" {
			junk = append(junk, h) // a store that compares handles case-insensitively would match
		}
	}
	if nh, ok := nonCanonical(alice2.handle(t)); ok {
		junk = append(junk, nh) // the same 16 bytes to a lenient base64 decoder
	}
	for _, h := range junk {
		for _, a := range []*agent{alice, alice2} {
			r := a.do(t, "DELETE", "/auth/sessions/"+h, nil)
			if r.Status != 404 {
				t.Errorf("DELETE /auth/sessions/%s: want 404: %s", short(h), r)
			}
			expectUntouched(t, r, s)
		}
	}
	s.expectUnchanged(t, bobBefore, "junk handles")
	s.expectUnchanged(t, a2Before, "junk handles")

	// Signing out everywhere else ends alice's other session and never bob's.
	r := alice.do(t, "POST", "/auth/sessions/revoke-others", nil)
	mustStatus(t, r, 200)
	s.expectUnchanged(t, bobBefore, "revoke-others by another user")
	alice2.expectDead(t)
	alice.expectAlive(t)
	bob.expectAlive(t)
	s.expectHealthy(t)
}
