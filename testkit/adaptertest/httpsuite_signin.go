package adaptertest

// HTTPSuite: POST /auth/signin.

import (
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) testSignIn(t *testing.T) {
	t.Run("header_mode", s.signInHeaderMode)
	t.Run("cookie_mode", s.signInCookieMode)
	t.Run("wrong_password", func(t *testing.T) {
		s.signInRejected(t, AliceEmail, "not-the-password")
	})
	t.Run("unknown_user", func(t *testing.T) {
		s.signInRejected(t, "mallory@example.com", DemoPassword)
	})
	t.Run("malformed_json", s.signInMalformed)
	t.Run("wrong_content_type", s.signInContentType)
	t.Run("body_at_limit", s.signInBodyAtLimit)
	t.Run("oversized_body", s.signInOversized)
	t.Run("disallowed_origin", s.signInDisallowedOrigin)
	t.Run("allowed_origin", s.signInAllowedOrigin)
	t.Run("fixation", s.signInFixation)
	t.Run("switch_transfer_mode", s.signInSwitchMode)
}

func (s *suite) signInHeaderMode(t *testing.T) {
	now := s.fx.Clock.Now()
	r := s.c.do(t, "POST", "/auth/signin", signInBody(t, AliceEmail))
	mustStatus(t, r, 200)
	body := r.json(t)
	if body["status"] != "OK" {
		t.Errorf("status %v, want OK", body["status"])
	}
	user, _ := body["user"].(map[string]any)
	if user["id"] != "user-alice" || user["email"] != AliceEmail {
		t.Errorf("user %v, want id user-alice and email %s", body["user"], AliceEmail)
	}
	ft := expectHeaderIssue(t, r)
	if ft.UID != "user-alice" {
		t.Errorf("front-token uid %q, want user-alice", ft.UID)
	}
	// exp is whole seconds: ate lies in (now+TTL-1s, now+TTL].
	hi := now.Add(FixtureAccessTTL).UnixMilli()
	if ft.ATE > hi || ft.ATE <= hi-1000 {
		t.Errorf("front-token ate %d, want about now+%s = %d", ft.ATE, FixtureAccessTTL, hi)
	}
	for _, claim := range []string{"sub", "sessionHandle", "refreshTokenHash1", "exp", "iat"} {
		if _, ok := ft.UP[claim]; !ok {
			t.Errorf("front-token up has no %q", claim)
		}
	}
	if h, _ := ft.UP["sessionHandle"].(string); !core.ValidHandle(h) {
		t.Errorf("up.sessionHandle %q is not a session handle", h)
	}
	if ft.UP["role"] != "admin" {
		t.Errorf("up.role = %v, want the custom claim admin", ft.UP["role"])
	}
	if n := len(r.Header.Values("Set-Cookie")); n != 0 {
		t.Errorf("header mode sets %d cookies, want none: %q", n, r.Header.Values("Set-Cookie"))
	}
	me := s.c.do(t, "GET", "/api/me", nil, withBearer(r.get(core.HeaderAccessToken)))
	mustStatus(t, me, 200)
	if got := me.json(t)["userId"]; got != "user-alice" {
		t.Errorf("/api/me with the new token: userId %v", got)
	}
}

func (s *suite) signInCookieMode(t *testing.T) {
	r := s.c.do(t, "POST", "/auth/signin", signInBody(t, BobEmail), withHeader(core.HeaderAuthMode, "cookie"))
	mustStatus(t, r, 200)
	if st := r.json(t)["status"]; st != "OK" {
		t.Errorf("status %v, want OK", st)
	}
	if lines := r.Header.Values("Set-Cookie"); len(lines) != 2 {
		t.Errorf("want exactly two Set-Cookie headers (access and refresh), got %d: %q", len(lines), lines)
	}
	ft := expectCookieIssue(t, r, s)
	if ft.UID != "user-bob" || ft.UP["role"] != "user" {
		t.Errorf("front-token uid %q role %v, want user-bob / user", ft.UID, ft.UP["role"])
	}
	a := &agent{s: s, mode: cookieMode, userID: "user-bob", jar: newJar()}
	a.absorb(r)
	me := a.do(t, "GET", "/api/me", nil)
	mustStatus(t, me, 200)
	if got := me.json(t)["userId"]; got != "user-bob" {
		t.Errorf("/api/me with the new cookie: userId %v", got)
	}
}

// signInRejected: a failed sign-in is 200 WRONG_CREDENTIALS_ERROR (a 401 would send the SDK
// into its refresh logic) and hands out nothing.
func (s *suite) signInRejected(t *testing.T, email, password string) {
	for _, mode := range []string{"", "cookie"} {
		r := s.c.do(t, "POST", "/auth/signin", jsonBody(t, map[string]string{"email": email, "password": password}),
			withHeader(core.HeaderAuthMode, mode))
		mustStatus(t, r, 200)
		body := r.json(t)
		if body["status"] != "WRONG_CREDENTIALS_ERROR" || len(body) != 1 {
			t.Errorf("%s: want exactly {\"status\":\"WRONG_CREDENTIALS_ERROR\"}", r)
		}
		expectNoTokens(t, r, s)
		if r.has(core.HeaderFrontToken) {
			t.Errorf("%s: a failed sign-in must not send a front-token", r)
		}
	}
}

func (s *suite) signInMalformed(t *testing.T) {
	for _, body := range []string{
		`{"email":`,
		`not json`,
		`null`,
		`[]`,
		`"alice"`,
		`{}`,
		`{"email":1,"password":"x"}`,
		`{"email":"alice@example.com"}`,
		`{"email":"alice@example.com","password":"demo-password"} {"x":1}`,
		`{"email":"bob@example.com","email":"alice@example.com","password":"demo-password"}`,
		`{"email":` + strings.Repeat("[", 30000) + strings.Repeat("]", 30000) + `,"password":"x"}`,
		"{\"email\":\"alice@example.com\",\"password\":\"demo-password\xff\"}",
	} {
		r := s.c.do(t, "POST", "/auth/signin", []byte(body))
		expectSomeMessage(t, r, 400)
		expectNoTokens(t, r, s)
	}
	s.expectHealthy(t)
}

func (s *suite) signInContentType(t *testing.T) {
	good := signInBody(t, AliceEmail)
	for _, c := range []struct {
		ct   string
		body []byte
	}{
		{"text/plain", good},
		{"text/plain;charset=UTF-8", good},
		{"application/x-www-form-urlencoded", []byte("email=alice%40example.com&password=demo-password")},
		{"multipart/form-data; boundary=xyz", []byte("--xyz\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n" +
			AliceEmail + "\r\n--xyz\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" +
			DemoPassword + "\r\n--xyz--\r\n")},
		{"", good},
	} {
		r := s.c.do(t, "POST", "/auth/signin", c.body, withContentType(c.ct))
		if r.Status != 415 {
			t.Errorf("Content-Type %q: want 415: %s", c.ct, r)
		}
		expectNoTokens(t, r, s)
	}
	// Parameters on application/json are fine.
	r := s.c.do(t, "POST", "/auth/signin", good, withContentType("application/json; charset=utf-8"))
	mustStatus(t, r, 200)
}

// paddedSignIn is a valid sign-in body of exactly n bytes, so only its size can fail it.
func paddedSignIn(t *testing.T, n int) []byte {
	prefix := `{"email":"` + AliceEmail + `","password":"` + DemoPassword + `","pad":"`
	pad := n - len(prefix) - len(`"}`)
	if pad < 0 {
		t.Fatalf("cannot pad a sign-in body to %d bytes", n)
	}
	return []byte(prefix + strings.Repeat("x", pad) + `"}`)
}

const signInLimit = 64 << 10

func (s *suite) signInBodyAtLimit(t *testing.T) {
	r := s.c.do(t, "POST", "/auth/signin", paddedSignIn(t, signInLimit))
	mustStatus(t, r, 200)
	expectHeaderIssue(t, r)
}

func (s *suite) signInOversized(t *testing.T) {
	for _, n := range []int{signInLimit + 1, signInLimit + 4096} {
		r := s.c.do(t, "POST", "/auth/signin", paddedSignIn(t, n))
		if r.Status != 413 {
			t.Errorf("a %d-byte body: want 413: %s", n, r)
		}
		expectNoTokens(t, r, s)
	}
	s.expectHealthy(t)
}

func (s *suite) signInDisallowedOrigin(t *testing.T) {
	for _, c := range []struct{ name, value string }{
		{"Origin", hostileOrigin},
		{"Origin", "null"},
		{"Origin", WebsiteOrigin + ".evil.example"},
		{"Origin", strings.Replace(WebsiteOrigin, "http://", "https://", 1)},
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
	} {
		for _, mode := range []string{"", "cookie"} {
			r := s.c.do(t, "POST", "/auth/signin", signInBody(t, AliceEmail),
				withHeader(c.name, c.value), withHeader(core.HeaderAuthMode, mode))
			if r.Status != 403 {
				t.Errorf("%s: %s: want 403: %s", c.name, c.value, r)
			}
			expectNoTokens(t, r, s)
			if acao := r.get("Access-Control-Allow-Origin"); acao != "" && acao != WebsiteOrigin {
				t.Errorf("%s: Access-Control-Allow-Origin %q for a disallowed origin", r, acao)
			}
		}
	}
	s.expectHealthy(t)
}

func (s *suite) signInAllowedOrigin(t *testing.T) {
	// A real browser on the website origin calling the API host sends both headers.
	for _, mode := range []transfer{headerMode, cookieMode} {
		r := s.c.do(t, "POST", "/auth/signin", signInBody(t, AliceEmail), withOrigin(WebsiteOrigin),
			withHeader("Sec-Fetch-Site", "cross-site"), withHeader(core.HeaderAuthMode, string(mode)))
		mustStatus(t, r, 200)
		if mode == headerMode {
			expectHeaderIssue(t, r)
		} else {
			expectCookieIssue(t, r, s)
		}
		if got := r.get("Access-Control-Allow-Origin"); got != WebsiteOrigin {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", r, got, WebsiteOrigin)
		}
		if got := r.get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("%s: Access-Control-Allow-Credentials %q, want true", r, got)
		}
	}
	// Without Origin, same-origin and user-initiated navigations are fine.
	for _, sfs := range []string{"same-origin", "none"} {
		r := s.c.do(t, "POST", "/auth/signin", signInBody(t, AliceEmail), withHeader("Sec-Fetch-Site", sfs))
		mustStatus(t, r, 200)
	}
}

// signInFixation: tokens presented with a sign-in belong to a session that is revoked, so a
// token planted before authentication never becomes (or stays) a valid session.
func (s *suite) signInFixation(t *testing.T) {
	cases := []struct {
		name  string
		mode  transfer
		plant func(old *agent) reqOpt
	}{
		{"header_access_token", headerMode, func(old *agent) reqOpt { return withBearer(old.access) }},
		{"header_refresh_token", headerMode, func(old *agent) reqOpt { return withBearer(old.rt) }},
		// What a browser sends to /auth/signin: the access cookie (Path=/) only.
		{"cookie_access", cookieMode, func(old *agent) reqOpt { return withCookieHeader(old.jar.header("/auth/signin")) }},
		// A refresh cookie planted on Path=/ by an attacker.
		{"cookie_refresh", cookieMode, func(old *agent) reqOpt {
			return withCookieHeader(s.refreshCookie + "=" + old.refreshToken())
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := s.signIn(t, AliceEmail, c.mode)
			old.expectAlive(t)
			fresh := s.signIn(t, AliceEmail, c.mode, c.plant(old))
			if fresh.handle(t) == old.handle(t) {
				t.Fatal("the sign-in reused the presented session instead of creating a new one")
			}
			if fresh.refreshToken() == old.refreshToken() {
				t.Fatal("the sign-in handed back the presented refresh token")
			}
			old.expectDead(t)
			fresh.expectAlive(t)
			fresh.refreshOK(t)
			fresh.expectAlive(t)
		})
	}
	// An attacker plants their own session in the victim's browser before the victim signs in.
	t.Run("planted_foreign_session", func(t *testing.T) {
		attacker := s.signIn(t, BobEmail, cookieMode)
		victim := s.signIn(t, AliceEmail, cookieMode, withCookieHeader(attacker.jar.header("/auth/signin")))
		if victim.handle(t) == attacker.handle(t) {
			t.Fatal("the victim was signed into the attacker's session")
		}
		attacker.expectDead(t)
		r := victim.do(t, "GET", "/api/me/strict", nil)
		mustStatus(t, r, 200)
		if got := r.json(t)["userId"]; got != "user-alice" {
			t.Errorf("the victim's session belongs to %v", got)
		}
	})
	// Tokens of an expired access token are revoked too (the signature still proves them).
	t.Run("expired_access_token", func(t *testing.T) {
		old := s.signIn(t, AliceEmail, headerMode)
		s.fx.Clock.Advance(FixtureAccessTTL + time.Second)
		fresh := s.signIn(t, AliceEmail, headerMode, withBearer(old.access))
		old.expectDead(t)
		fresh.expectAlive(t)
	})
}

// signInSwitchMode: a client that moves from cookies to headers is not left with a second,
// older session in its cookie jar: the sign-in revokes it and expires the cookies it sent, and
// the first header-mode refresh expires the path-scoped refresh cookie as well.
func (s *suite) signInSwitchMode(t *testing.T) {
	old := s.signIn(t, AliceEmail, cookieMode)
	stale := old.jar.header("/auth/signin") // what a browser sends there: the access cookie
	r := s.c.do(t, "POST", "/auth/signin", signInBody(t, AliceEmail), withCookieHeader(stale))
	mustStatus(t, r, 200)
	expectHeaderIssue(t, r)
	if c := r.cookie(s.accessCookie); c == nil || c.Value != "" || c.Path != "/" {
		t.Errorf("%s: want the stale access cookie expired on Path=/ (got %q)", r, r.rawSetCookie(s.accessCookie))
	}
	old.expectDead(t)
	fresh := &agent{s: s, mode: headerMode, userID: "user-alice", jar: newJar()}
	fresh.absorb(r)
	r = fresh.do(t, "POST", s.refreshPath, nil, withCookieHeader(s.refreshCookie+"="+old.refreshToken()))
	mustStatus(t, r, 200)
	expectHeaderIssue(t, r)
	if c := r.cookie(s.refreshCookie); c == nil || c.Value != "" || c.Path != s.refreshPath {
		t.Errorf("%s: want the stale refresh cookie expired on its path (got %q)", r, r.rawSetCookie(s.refreshCookie))
	}
	fresh.absorb(r)
	fresh.expectAlive(t)
}
