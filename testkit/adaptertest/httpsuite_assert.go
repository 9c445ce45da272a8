package adaptertest

// Assertions shared by the HTTPSuite files: statuses, protocol bodies, token issue and
// clearing, cache and CORS exposure headers.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

// mustStatus stops the subtest unless r has the status.
func mustStatus(t *testing.T, r *result, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("want %d: %s", want, r)
	}
}

// expectMessage requires status and the body {"message": msg}.
func expectMessage(t *testing.T, r *result, status int, msg string) {
	t.Helper()
	mustStatus(t, r, status)
	if got, _ := r.json(t)["message"].(string); got != msg {
		t.Errorf("%s: message %q, want %q", r, got, msg)
	}
}

// expectSomeMessage requires status and a non-empty {"message": string} body.
func expectSomeMessage(t *testing.T, r *result, status int) {
	t.Helper()
	mustStatus(t, r, status)
	if got, _ := r.json(t)["message"].(string); got == "" {
		t.Errorf("%s: want a non-empty string \"message\"", r)
	}
}

// expectNoTokens requires that r hands out no token of any kind.
func expectNoTokens(t *testing.T, r *result, s *suite) {
	t.Helper()
	for _, h := range []string{core.HeaderAccessToken, core.HeaderRefreshToken} {
		if v := r.get(h); v != "" {
			t.Errorf("%s: carries a %s header", r, h)
		}
	}
	if v := r.get(core.HeaderFrontToken); v != "" && v != "remove" {
		t.Errorf("%s: carries a front-token", r)
	}
	for _, c := range r.setCookies() {
		if (c.Name == s.accessCookie || c.Name == s.refreshCookie) && c.Value != "" {
			t.Errorf("%s: sets the %s cookie", r, c.Name)
		}
	}
}

// expectUntouched requires that r neither issues nor clears anything: no front-token header,
// no token headers and no token cookies. CSRF rejections and try-refresh answers look so.
func expectUntouched(t *testing.T, r *result, s *suite) {
	t.Helper()
	for _, h := range []string{core.HeaderFrontToken, core.HeaderAccessToken, core.HeaderRefreshToken} {
		if r.has(h) {
			t.Errorf("%s: must not touch the client's tokens, but sends %s: %q", r, h, r.get(h))
		}
	}
	for _, c := range r.setCookies() {
		if c.Name == s.accessCookie || c.Name == s.refreshCookie {
			t.Errorf("%s: must not touch the client's tokens, but sets the %s cookie", r, c.Name)
		}
	}
}

// expectCleared requires the protocol's "clear the session" answer: front-token: remove,
// empty st-access-token and st-refresh-token headers, both cookies expired on their own
// paths, the headers exposed to browsers and Cache-Control: no-store.
func expectCleared(t *testing.T, r *result, s *suite) {
	t.Helper()
	if got := r.get(core.HeaderFrontToken); got != "remove" {
		t.Errorf("%s: front-token %q, want remove", r, got)
	}
	for _, h := range []string{core.HeaderAccessToken, core.HeaderRefreshToken} {
		if !r.has(h) {
			t.Errorf("%s: want an empty %s header (the SDK deletes its stored token on an empty value)", r, h)
		} else if v := r.get(h); v != "" {
			t.Errorf("%s: %s should be empty", r, h)
		}
	}
	now := s.fx.Clock.Now()
	for _, want := range []struct{ name, path string }{{s.accessCookie, "/"}, {s.refreshCookie, s.refreshPath}} {
		c := r.cookie(want.name)
		switch {
		case c == nil:
			t.Errorf("%s: does not clear the %s cookie", r, want.name)
		case c.Value != "":
			t.Errorf("%s: the clearing %s cookie has a value", r, want.name)
		case c.Path != want.path:
			t.Errorf("%s: %s is cleared on Path=%q, want %q (a different path leaves the real cookie alive)",
				r, want.name, c.Path, want.path)
		case !(c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(now))):
			t.Errorf("%s: the clearing %s cookie neither has Max-Age=0 nor an Expires in the past: %q",
				r, want.name, r.rawSetCookie(want.name))
		}
	}
	expectExposed(t, r, core.HeaderFrontToken)
	expectNoStore(t, r)
}

// expectNoStore requires Cache-Control: no-store.
func expectNoStore(t *testing.T, r *result) {
	t.Helper()
	if cc := r.get("Cache-Control"); !containsFold(cc, "no-store") {
		t.Errorf("%s: Cache-Control %q, want no-store", r, cc)
	}
}

// expectExposed requires Access-Control-Expose-Headers to list every name.
func expectExposed(t *testing.T, r *result, names ...string) {
	t.Helper()
	list := strings.Join(r.Header.Values("Access-Control-Expose-Headers"), ",")
	for _, n := range names {
		if !containsFold(list, n) {
			t.Errorf("%s: Access-Control-Expose-Headers %q does not list %s", r, list, n)
		}
	}
}

// frontToken decodes r's front-token and checks it against the access token it describes:
// uid is the user, ate is exp in milliseconds and up is the full JWT payload.
func frontToken(t *testing.T, r *result, accessToken string) *core.FrontTokenInfo {
	t.Helper()
	raw := r.get(core.HeaderFrontToken)
	if raw == "" || raw == "remove" {
		t.Fatalf("%s: want a front-token, got %q", r, raw)
	}
	ft, err := core.DecodeFrontToken(raw)
	if err != nil {
		t.Fatalf("%s: front-token is not standard base64 JSON: %v", r, err)
	}
	payload := jwtPart(t, accessToken, 1)
	if sub, _ := payload["sub"].(string); ft.UID != sub || sub == "" {
		t.Errorf("front-token uid %q, access token sub %q", ft.UID, sub)
	}
	exp, _ := payload["exp"].(float64)
	if ft.ATE != int64(exp)*1000 {
		t.Errorf("front-token ate %d, want exp*1000 = %d", ft.ATE, int64(exp)*1000)
	}
	if !jsonEqual(ft.UP, payload) {
		t.Errorf("front-token up is not the access token's payload:\n up  %v\n jwt %v", ft.UP, payload)
	}
	return ft
}

// jsonEqual compares two decoded JSON values.
func jsonEqual(a, b any) bool {
	return string(jsonBytes(a)) == string(jsonBytes(b))
}

// expectHeaderIssue checks a header-mode token issue: new st-access-token/st-refresh-token,
// a matching front-token, exposure and no-store. It returns the decoded front-token.
func expectHeaderIssue(t *testing.T, r *result) *core.FrontTokenInfo {
	t.Helper()
	at, rt := r.get(core.HeaderAccessToken), r.get(core.HeaderRefreshToken)
	if at == "" || rt == "" {
		t.Fatalf("%s: want st-access-token and st-refresh-token", r)
	}
	ft := frontToken(t, r, at)
	if got, _ := ft.UP["refreshTokenHash1"].(string); got != sha256Hex(rt) {
		t.Errorf("up.refreshTokenHash1 is not SHA-256(st-refresh-token)")
	}
	expectExposed(t, r, core.HeaderFrontToken, core.HeaderAccessToken, core.HeaderRefreshToken)
	expectNoStore(t, r)
	return ft
}

// cookieAttrs checks a token cookie that is set (not cleared): HttpOnly, an explicit SameSite,
// no Domain and the given Path.
func cookieAttrs(t *testing.T, r *result, name, path string) *http.Cookie {
	t.Helper()
	c := r.cookie(name)
	if c == nil {
		t.Fatalf("%s: no Set-Cookie for %s (got %q)", r, name, r.Header.Values("Set-Cookie"))
	}
	raw := strings.ToLower(r.rawSetCookie(name))
	if c.Value == "" {
		t.Errorf("%s: %s is set empty", r, name)
	}
	if !c.HttpOnly {
		t.Errorf("%s: %s is not HttpOnly", r, name)
	}
	if c.SameSite == 0 || !strings.Contains(raw, "samesite=") {
		t.Errorf("%s: %s has no SameSite attribute", r, name)
	}
	if c.Domain != "" || strings.Contains(raw, "domain=") {
		t.Errorf("%s: %s has a Domain attribute; it must be host-only", r, name)
	}
	if c.Path != path {
		t.Errorf("%s: %s has Path=%q, want %q", r, name, c.Path, path)
	}
	return c
}

// expectCookieIssue checks a cookie-mode token issue: both cookies with their exact
// attributes, a matching front-token, no token headers, exposure and no-store.
func expectCookieIssue(t *testing.T, r *result, s *suite) *core.FrontTokenInfo {
	t.Helper()
	ac := cookieAttrs(t, r, s.accessCookie, "/")
	rc := cookieAttrs(t, r, s.refreshCookie, s.refreshPath)
	now := s.fx.Clock.Now()
	for _, c := range []*http.Cookie{ac, rc} {
		if c.MaxAge < 0 || (!c.Expires.IsZero() && !c.Expires.After(now)) {
			t.Errorf("%s: freshly issued %s cookie is already expired", r, c.Name)
		}
	}
	for _, h := range []string{core.HeaderAccessToken, core.HeaderRefreshToken} {
		if r.get(h) != "" {
			t.Errorf("%s: cookie mode must not send %s", r, h)
		}
	}
	ft := frontToken(t, r, ac.Value)
	if got, _ := ft.UP["refreshTokenHash1"].(string); got != sha256Hex(rc.Value) {
		t.Errorf("up.refreshTokenHash1 is not SHA-256 of the refresh cookie")
	}
	expectExposed(t, r, core.HeaderFrontToken)
	expectNoStore(t, r)
	return ft
}
