package adaptercheck

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// SetCookieHeadersAllSurvive: on the fixture app at url, with app middleware that sets the
// cookie "app_pref" on every answer, that cookie and both token cookies arrive as separate
// Set-Cookie fields on every path that writes cookies.
func SetCookieHeadersAllSurvive(t *testing.T, url string) {
	t.Helper()
	names := func(h http.Header) []string {
		var out []string
		for _, c := range (&http.Response{Header: h}).Cookies() {
			out = append(out, c.Name)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"app_pref", AccessCookie, RefreshCookie}
	slices.Sort(want)

	// Sign-in in cookie mode.
	in := SignIn(t, url+"/auth/signin", "st-auth-mode", "cookie")
	if got := names(in.Header); !slices.Equal(got, want) {
		t.Fatalf("sign-in Set-Cookie names = %v, want %v (raw %q)", got, want, in.Header.Values("Set-Cookie"))
	}
	rt := CookieNamed(in.Header, RefreshCookie)

	// step posts to path with the headers, wants status and the three cookies.
	step := func(what, path string, status int, headers ...string) Result {
		t.Helper()
		r := Do(t, "POST", url+path, "", append([]string{"rid", "session"}, headers...)...)
		if r.Status != status {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
		if got := names(r.Header); !slices.Equal(got, want) {
			t.Errorf("%s Set-Cookie names = %v, want %v", what, got, want)
		}
		return r
	}

	// Refresh in cookie mode.
	ref := step("refresh", "/auth/session/refresh", 200, "Cookie", RefreshCookie+"="+rt.Value)
	for _, n := range []string{AccessCookie, RefreshCookie} {
		if c := CookieNamed(ref.Header, n); c == nil || c.Value == "" {
			t.Errorf("refresh: %s has no value: %q", n, ref.Header.Values("Set-Cookie"))
		}
	}

	// A failed refresh clears both cookies, next to the app's.
	bad := step("failed refresh", "/auth/session/refresh", 401, "Cookie", RefreshCookie+"=garbage")
	if c := CookieNamed(bad.Header, AccessCookie); c == nil || c.MaxAge >= 0 {
		t.Errorf("access cookie not cleared: %+v", c)
	}

	// Header-mode sign-in from a client holding old cookies clears them.
	hdr := SignIn(t, url+"/auth/signin", "Cookie", AccessCookie+"=old", "Cookie", RefreshCookie+"=old")
	if got := names(hdr.Header); !slices.Equal(got, want) {
		t.Errorf("header-mode sign-in Set-Cookie names = %v, want %v", got, want)
	}

	// Sign-out in cookie mode clears both token cookies, next to the app's.
	at := CookieNamed(ref.Header, AccessCookie)
	if at == nil {
		t.Fatalf("refresh set no access cookie: %q", ref.Header.Values("Set-Cookie"))
	}
	out := step("sign-out", "/auth/signout", 200, "Cookie", AccessCookie+"="+at.Value)
	for _, n := range []string{AccessCookie, RefreshCookie} {
		if c := CookieNamed(out.Header, n); c == nil || c.Value != "" || c.MaxAge >= 0 {
			t.Errorf("sign-out: %s not cleared: %+v", n, c)
		}
	}
}

// appExposed are the headers the app's middleware exposes in ExposeHeadersAppended.
var appExposed = []string{"X-Request-Id", "X-Trace-Id"}

// exposes fails unless h's Access-Control-Expose-Headers holds the app's headers and want.
func exposes(t *testing.T, what string, h http.Header, want ...string) {
	t.Helper()
	for _, w := range append(slices.Clone(appExposed), want...) {
		if !ListHas(h, "Access-Control-Expose-Headers", w) {
			t.Errorf("%s: Access-Control-Expose-Headers %q lacks %s", what, h.Values("Access-Control-Expose-Headers"), w)
		}
	}
}

// ExposeHeadersAppended: on the fixture app at url, behind app middleware that exposes
// X-Request-Id and X-Trace-Id (two header fields), core's token headers are added to
// Access-Control-Expose-Headers on sign-in, on a payload re-issue and on clearing the tokens,
// never replacing the app's.
func ExposeHeadersAppended(t *testing.T, url string) {
	t.Helper()
	in := SignIn(t, url+"/auth/signin")
	exposes(t, "sign-in", in.Header, core.HeaderAccessToken, core.HeaderRefreshToken, core.HeaderFrontToken)

	at := in.Header.Get(core.HeaderAccessToken)
	pl := Do(t, "POST", url+"/api/payload", `{"theme":"dark"}`, "Authorization", "Bearer "+at, "Content-Type", "application/json")
	if pl.Status != 200 {
		t.Fatalf("payload: %d %s", pl.Status, pl.Body)
	}
	exposes(t, "payload re-issue", pl.Header, core.HeaderAccessToken, core.HeaderFrontToken)

	bad := Do(t, "POST", url+"/auth/session/refresh", "", "Authorization", "Bearer garbage")
	if bad.Status != 401 {
		t.Fatalf("garbage refresh: %d %s", bad.Status, bad.Body)
	}
	exposes(t, "clear tokens", bad.Header, core.HeaderAccessToken, core.HeaderRefreshToken, core.HeaderFrontToken)
}

// ExposeHeadersOneField: on the fixture app at url, behind app middleware that sets
// Access-Control-Expose-Headers to the one field "X-Request-Id", core's token headers are
// appended to that field (never a second one, never replacing the app's) on sign-in, on a
// payload re-issue and on clearing the tokens; on sign-in the field is exactly the app's
// header and then the three token headers.
func ExposeHeadersOneField(t *testing.T, url string) {
	t.Helper()
	one := func(what string, h http.Header, want ...string) {
		t.Helper()
		lines := h.Values("Access-Control-Expose-Headers")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "X-Request-Id, ") {
			t.Fatalf("%s: Access-Control-Expose-Headers fields %q, want one beginning with the app's X-Request-Id", what, lines)
		}
		for _, w := range want {
			if !ListHas(h, "Access-Control-Expose-Headers", w) {
				t.Errorf("%s: Access-Control-Expose-Headers %q lacks %s", what, lines[0], w)
			}
		}
	}
	in := SignIn(t, url+"/auth/signin", "Origin", adaptertest.WebsiteOrigin)
	one("sign-in", in.Header, core.HeaderAccessToken, core.HeaderRefreshToken, core.HeaderFrontToken)
	if got, want := in.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id, st-access-token, st-refresh-token, front-token"; got != want {
		t.Errorf("sign-in: Access-Control-Expose-Headers %q, want %q", got, want)
	}
	at := in.Header.Get(core.HeaderAccessToken)
	pl := Do(t, "POST", url+"/api/payload", `{"theme":"dark"}`, "Authorization", "Bearer "+at,
		"Content-Type", "application/json", "Origin", adaptertest.WebsiteOrigin)
	if pl.Status != 200 {
		t.Fatalf("payload: %d %s", pl.Status, pl.Body)
	}
	one("payload re-issue", pl.Header, core.HeaderAccessToken, core.HeaderFrontToken)
	bad := Do(t, "POST", url+"/auth/session/refresh", "", "Authorization", "Bearer garbage", "Origin", adaptertest.WebsiteOrigin)
	if bad.Status != 401 {
		t.Fatalf("garbage refresh: %d %s", bad.Status, bad.Body)
	}
	one("clear tokens", bad.Header, core.HeaderAccessToken, core.HeaderRefreshToken, core.HeaderFrontToken)
}

// ExposeHeadersKeptBehindCORS: on the fixture app at url behind the framework's own CORS
// middleware configured to expose X-Request-Id and X-Trace-Id, a cross-origin sign-in
// exposes those and core's token headers (what names the middleware in messages).
func ExposeHeadersKeptBehindCORS(t *testing.T, url, what string) {
	t.Helper()
	in := SignIn(t, url+"/auth/signin", "Origin", adaptertest.WebsiteOrigin)
	exposes(t, "sign-in behind "+what, in.Header, core.HeaderAccessToken, core.HeaderRefreshToken, core.HeaderFrontToken)
}

// CORSOrdering: on the fixture app at url behind a CORS middleware allowing
// adaptertest.WebsiteOrigin, preflights never reach the session middleware or the engine's
// 405, 401s still carry the CORS headers a browser needs to let the SDK read them, a
// cookie-mode cross-origin session works, and another origin gets no grant.
//
// Options ask for more: PreflightPaths adds paths to preflight, Preflight204 demands exactly
// a 204 without a body, NoCredentialsForDisallowed no credentials header for another origin.
func CORSOrdering(t *testing.T, url string, opts ...CORSOption) {
	t.Helper()
	var o corsOptions
	for _, opt := range opts {
		opt(&o)
	}
	origin := adaptertest.WebsiteOrigin
	for _, path := range append([]string{"/api/me", "/api/notes", "/auth/session/refresh", "/auth/signout"}, o.paths...) {
		pre := Do(t, "OPTIONS", url+path, "", "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "rid, content-type, st-auth-mode")
		if o.only204 && (pre.Status != 204 || pre.Body != "") {
			t.Errorf("preflight %s: %d %q, want 204 without a body", path, pre.Status, pre.Body)
		} else if pre.Status != 204 && pre.Status != 200 {
			t.Errorf("preflight %s: %d %s", path, pre.Status, pre.Body)
		}
		if pre.Header.Get("Access-Control-Allow-Origin") != origin || pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("preflight %s: allow-origin %q, credentials %q", path,
				pre.Header.Get("Access-Control-Allow-Origin"), pre.Header.Get("Access-Control-Allow-Credentials"))
		}
		for _, h := range core.CORSAllowedHeaders() {
			if !ListHas(pre.Header, "Access-Control-Allow-Headers", h) {
				t.Errorf("preflight %s: Allow-Headers %q lacks %s", path, pre.Header.Get("Access-Control-Allow-Headers"), h)
			}
		}
	}

	// A 401 from the middleware keeps the CORS headers.
	no := Do(t, "GET", url+"/api/me", "", "Origin", origin)
	if no.Status != 401 || no.Body != `{"message":"unauthorised"}` {
		t.Errorf("no token: %d %s", no.Status, no.Body)
	}
	if no.Header.Get("Access-Control-Allow-Origin") != origin || no.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("401 without Access-Control-Allow-Origin and -Credentials: %v", no.Header)
	}

	// Header-mode cross-origin sign-in and a bearer call.
	hin := SignIn(t, url+"/auth/signin", "Origin", origin)
	if hin.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("header-mode sign-in: allow-origin %q", hin.Header.Get("Access-Control-Allow-Origin"))
	}
	bme := Do(t, "GET", url+"/api/me", "", "Origin", origin, "Authorization", "Bearer "+hin.Header.Get(core.HeaderAccessToken))
	if bme.Status != 200 || bme.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("bearer me: %d %s (allow-origin %q)", bme.Status, bme.Body, bme.Header.Get("Access-Control-Allow-Origin"))
	}

	// Cookie-mode sign-in and an authenticated cross-origin call.
	in := SignIn(t, url+"/auth/signin", "Origin", origin, "st-auth-mode", "cookie")
	if !ListHas(in.Header, "Access-Control-Expose-Headers", core.HeaderFrontToken) {
		t.Errorf("sign-in does not expose front-token: %q", in.Header.Values("Access-Control-Expose-Headers"))
	}
	at := CookieNamed(in.Header, AccessCookie)
	me := Do(t, "GET", url+"/api/me", "", "Origin", origin, "Cookie", AccessCookie+"="+at.Value)
	if me.Status != 200 || me.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("me: %d %s (allow-origin %q)", me.Status, me.Body, me.Header.Get("Access-Control-Allow-Origin"))
	}

	// Another origin gets no CORS grant.
	evil := Do(t, "GET", url+"/api/me", "", "Origin", "http://evil.test", "Cookie", AccessCookie+"="+at.Value)
	if got := evil.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("disallowed origin granted: %q", got)
	}
	evilPre := Do(t, "OPTIONS", url+"/api/me", "", "Origin", "http://evil.test", "Access-Control-Request-Method", "GET")
	if o.only204 && evilPre.Status != 204 {
		t.Errorf("preflight from a disallowed origin: %d, want 204", evilPre.Status)
	}
	if evilPre.Header.Get("Access-Control-Allow-Origin") != "" ||
		(o.noCredentials && evilPre.Header.Get("Access-Control-Allow-Credentials") != "") {
		t.Errorf("preflight from a disallowed origin granted: %v", evilPre.Header)
	}
}

// CORSOption asks CORSOrdering for more than its default checks.
type CORSOption func(*corsOptions)

type corsOptions struct {
	paths         []string
	only204       bool
	noCredentials bool
}

// NoCredentialsForDisallowed has CORSOrdering demand that a disallowed origin's preflight
// carries no Access-Control-Allow-Credentials either (some CORS middleware sends it without
// an Allow-Origin, which grants nothing).
func NoCredentialsForDisallowed() CORSOption { return func(o *corsOptions) { o.noCredentials = true } }

// PreflightPaths has CORSOrdering preflight these paths as well (routes without an OPTIONS
// handler, or no route at all, where a framework runs middleware on its 404 chain).
func PreflightPaths(paths ...string) CORSOption {
	return func(o *corsOptions) { o.paths = append(o.paths, paths...) }
}

// Preflight204 has CORSOrdering demand exactly a 204 without a body for every preflight,
// a disallowed origin's included.
func Preflight204() CORSOption { return func(o *corsOptions) { o.only204 = true } }

// OptionsPassThrough: an app at url answers "options reached "+path with a 200 to OPTIONS on
// each path (each behind a session middleware, no token, no CORS middleware); guarded is a
// path that also answers GET behind one, which must then be a 401.
func OptionsPassThrough(t *testing.T, url string, paths []string, guarded string) {
	t.Helper()
	for _, p := range paths {
		r := Do(t, "OPTIONS", url+p, "", "Origin", adaptertest.WebsiteOrigin, "Access-Control-Request-Method", "GET")
		if r.Status != 200 || r.Body != "options reached "+p {
			t.Errorf("OPTIONS %s: %d %q", p, r.Status, r.Body)
		}
		if r := Do(t, "OPTIONS", url+p, "", "Authorization", "Bearer garbage"); r.Status != 200 || r.Body != "options reached "+p {
			t.Errorf("plain OPTIONS %s with a garbage token: %d %q", p, r.Status, r.Body)
		}
	}
	if r := Do(t, "GET", url+guarded, ""); r.Status != 401 {
		t.Errorf("GET %s without a token: %d %s", guarded, r.Status, r.Body)
	}
}

// CustomBasePath: an app at url mounts the library at BasePath /api/v1/auth on a group
// /api/v1 whose middleware sets "X-Group: api", serves GET /api/v1/me (the user ID, behind
// Require), and nothing at /auth. Cookies are scoped to the custom path, every library route
// answers there (a whole cookie-mode session, sign-out included), and the default base path
// does not.
func CustomBasePath(t *testing.T, url string) {
	t.Helper()
	in := SignIn(t, url+"/api/v1/auth/signin", "st-auth-mode", "cookie")
	if in.Header.Get("X-Group") != "api" {
		t.Errorf("group middleware header %q", in.Header.Get("X-Group"))
	}
	rc := CookieNamed(in.Header, RefreshCookie)
	if rc == nil || rc.Path != "/api/v1/auth/session/refresh" {
		t.Fatalf("refresh cookie %+v, want Path /api/v1/auth/session/refresh", rc)
	}
	at := CookieNamed(in.Header, AccessCookie).Value
	if r := Do(t, "GET", url+"/api/v1/me", "", "Cookie", AccessCookie+"="+at); r.Status != 200 || r.Body != "user-alice" {
		t.Errorf("me: %d %s", r.Status, r.Body)
	}
	if r := Do(t, "GET", url+"/api/v1/me", ""); r.Status != 401 {
		t.Errorf("me without a token: %d %s", r.Status, r.Body)
	}
	if r := Do(t, "GET", url+"/api/v1/auth/sessions", "", "Cookie", AccessCookie+"="+at); r.Status != 200 || !strings.Contains(r.Body, `"current":true`) {
		t.Errorf("sessions: %d %s", r.Status, r.Body)
	}
	ref := Do(t, "POST", url+"/api/v1/auth/session/refresh", "", "rid", "session", "Cookie", RefreshCookie+"="+rc.Value)
	if ref.Status != 200 || CookieNamed(ref.Header, RefreshCookie) == nil {
		t.Errorf("refresh: %d %s", ref.Status, ref.Body)
	}
	if r := Do(t, "GET", url+"/api/v1/auth/jwt/jwks.json", ""); r.Status != 200 || !strings.Contains(r.Body, `"keys"`) {
		t.Errorf("jwks: %d %s", r.Status, r.Body)
	}
	if r := Do(t, "DELETE", url+"/api/v1/auth/sessions/nope", "", "Cookie", AccessCookie+"="+at, "rid", "session"); r.Status != 404 || r.Body != `{"message":"session not found"}` {
		t.Errorf("delete unknown session: %d %s", r.Status, r.Body)
	}
	if r := Do(t, "POST", url+"/auth/signin", SignInBody, "Content-Type", "application/json"); r.Status != 404 {
		t.Errorf("default base path still answers: %d %s", r.Status, r.Body)
	}
	if nat := CookieNamed(ref.Header, AccessCookie); nat != nil {
		if r := Do(t, "POST", url+"/api/v1/auth/signout", "", "rid", "session", "Cookie", AccessCookie+"="+nat.Value); r.Status != 200 {
			t.Errorf("sign-out: %d %s", r.Status, r.Body)
		}
	}
}

// DisabledRoutes: an app at url mounts an engine with JWKS, sign-in and sessions switched off
// and serves its own POST /auth/signin ("app sign-in", registered before Mount) and GET
// /auth/sessions ("app sessions", after). The disabled JWKS gets the core's 404, the app's
// routes answer, and refresh is still mounted.
func DisabledRoutes(t *testing.T, url string) {
	t.Helper()
	if r := Do(t, "GET", url+"/auth/jwt/jwks.json", ""); r.Status != 404 || r.Body != `{"message":"not found"}` {
		t.Errorf("disabled JWKS: %d %s, want the core's 404", r.Status, r.Body)
	}
	if r := Do(t, "POST", url+"/auth/signin", SignInBody, "Content-Type", "application/json"); r.Status != 200 || r.Body != "app sign-in" {
		t.Errorf("app's own sign-in (registered before Mount): %d %s", r.Status, r.Body)
	}
	if r := Do(t, "GET", url+"/auth/sessions", ""); r.Status != 200 || r.Body != "app sessions" {
		t.Errorf("app's own sessions route (registered after Mount): %d %s", r.Status, r.Body)
	}
	if r := Do(t, "POST", url+"/auth/session/refresh", ""); r.Status != 401 {
		t.Errorf("refresh still mounted: %d %s", r.Status, r.Body)
	}
}

// CreateSessionAndWriteError: an app at url signs in any user at POST /login/{user} with
// CreateSession (payload plan=pro, answering the session handle), answers "nobody" with
// WriteError(ErrUnauthorised), and serves GET /me ("{user} {plan}") behind Require.
func CreateSessionAndWriteError(t *testing.T, url string) {
	t.Helper()
	in := Do(t, "POST", url+"/login/carol", "")
	at := in.Header.Get(core.HeaderAccessToken)
	if in.Status != 200 || at == "" || in.Header.Get(core.HeaderFrontToken) == "" {
		t.Fatalf("login: %d %s %v", in.Status, in.Body, in.Header)
	}
	if me := Do(t, "GET", url+"/me", "", "Authorization", "Bearer "+at); me.Status != 200 || me.Body != "carol pro" {
		t.Errorf("me: %d %s", me.Status, me.Body)
	}
	ck := Do(t, "POST", url+"/login/dave", "", "st-auth-mode", "cookie")
	cat := CookieNamed(ck.Header, AccessCookie)
	if cat == nil || CookieNamed(ck.Header, RefreshCookie) == nil || ck.Header.Get(core.HeaderFrontToken) == "" {
		t.Fatalf("cookie-mode login: %d, cookies %v, front-token %q", ck.Status, ck.Header.Values("Set-Cookie"), ck.Header.Get(core.HeaderFrontToken))
	}
	if me := Do(t, "GET", url+"/me", "", "Cookie", AccessCookie+"="+cat.Value); me.Status != 200 || me.Body != "dave pro" {
		t.Errorf("me with the cookie session: %d %s", me.Status, me.Body)
	}
	no := Do(t, "POST", url+"/login/nobody", "")
	if no.Status != 401 || no.Body != `{"message":"unauthorised"}` || no.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("WriteError: %d %q %s", no.Status, no.Header.Get("Content-Type"), no.Body)
	}
}

// ErrorsMatchNetHTTP: the fixture app at url, on f's engine, whose error handler rewrites
// every error it sees into a body holding "rewritten", and which serves GET /api/teapot (an
// app 418 "short and stout") and GET /api/plain-error (an app error "app failure") behind
// Require. Every error the adapter answers is byte-identical (status, body and the protocol
// headers) to what the net/http adapter answers for the same request on the same engine; the
// app's own errors still go through the app's handler, but only once the session passed.
func ErrorsMatchNetHTTP(t *testing.T, f *adaptertest.Fixture, url string) {
	t.Helper()
	ref := Serve(t, nethttptest.NewServer(f)).URL

	alice := SignIn(t, url+"/auth/signin").Header.Get(core.HeaderAccessToken)
	bobIn := Do(t, "POST", url+"/auth/signin", BobSignInBody, "Content-Type", "application/json")
	bobTok := bobIn.Header.Get(core.HeaderAccessToken)
	cookieIn := SignIn(t, url+"/auth/signin", "st-auth-mode", "cookie")
	cookieAT := CookieNamed(cookieIn.Header, AccessCookie).Value

	type req struct {
		name, method, path, body string
		headers                  []string
		status                   int
	}
	cases := []req{
		{"no token", "GET", "/api/me", "", nil, 401},
		{"strict no token", "GET", "/api/me/strict", "", nil, 401},
		{"malformed bearer", "GET", "/api/me", "", []string{"Authorization", "Bearer a.b.c"}, 401},
		{"invalid claim", "GET", "/api/admin", "", []string{"Authorization", "Bearer " + bobTok}, 403},
		{"csrf: cookie POST without rid", "POST", "/api/notes", `{"text":"x"}`, []string{"Cookie", AccessCookie + "=" + cookieAT}, 403},
		{"csrf: foreign origin", "POST", "/api/notes", `{"text":"x"}`, []string{"Cookie", AccessCookie + "=" + cookieAT, "rid", "session", "Origin", "http://evil.test"}, 403},
		{"refresh without token", "POST", "/auth/session/refresh", "", nil, 401},
		{"refresh with garbage", "POST", "/auth/session/refresh", "", []string{"Authorization", "Bearer garbage"}, 401},
		{"signin wrong method", "GET", "/auth/signin", "", nil, 405},
		{"signin wrong content type", "POST", "/auth/signin", "{}", []string{"Content-Type", "text/plain"}, 415},
		{"signin bad body", "POST", "/auth/signin", `{"email":1}`, []string{"Content-Type", "application/json"}, 400},
		{"signin wrong password", "POST", "/auth/signin", `{"email":"` + adaptertest.AliceEmail + `","password":"x"}`, []string{"Content-Type", "application/json"}, 200},
		{"signout without token", "POST", "/auth/signout", "", nil, 401},
		{"sessions without token", "GET", "/auth/sessions", "", nil, 401},
		{"revoke-others without token", "POST", "/auth/sessions/revoke-others", "", nil, 401},
		{"revoke-others wrong method", "GET", "/auth/sessions/revoke-others", "", nil, 405},
		{"delete unknown session", "DELETE", "/auth/sessions/unknown", "", []string{"Authorization", "Bearer " + alice}, 404},
	}
	compared := []string{"Content-Type", "Cache-Control", "Allow", "front-token", "st-access-token", "st-refresh-token",
		"Access-Control-Expose-Headers", "Set-Cookie", "Vary"}
	for _, tc := range cases {
		got := Do(t, tc.method, url+tc.path, tc.body, tc.headers...)
		want := Do(t, tc.method, ref+tc.path, tc.body, tc.headers...)
		if want.Status != tc.status {
			t.Fatalf("%s: reference server answered %d %s, want %d", tc.name, want.Status, want.Body, tc.status)
		}
		if got.Status != want.Status {
			t.Errorf("%s: status %d, net/http %d", tc.name, got.Status, want.Status)
		}
		SameBytes(t, tc.name+": body", got.Body, want.Body)
		if strings.Contains(got.Body, "rewritten") {
			t.Errorf("%s: HTTPErrorHandler rewrote the body: %s", tc.name, got.Body)
		}
		for _, h := range compared {
			if g, w := got.Header.Values(h), want.Header.Values(h); !slices.Equal(g, w) {
				t.Errorf("%s: header %s = %q, net/http %q", tc.name, h, g, w)
			}
		}
	}

	// An expired access token: try refresh.
	f.Clock.Advance(adaptertest.FixtureAccessTTL + time.Second)
	got := Do(t, "GET", url+"/api/me", "", "Authorization", "Bearer "+alice)
	want := Do(t, "GET", ref+"/api/me", "", "Authorization", "Bearer "+alice)
	if got.Status != 401 || want.Status != 401 {
		t.Errorf("expired token: %d, net/http %d", got.Status, want.Status)
	}
	SameBytes(t, "expired token: body", got.Body, want.Body)
	SameBytes(t, "expired token: body", got.Body, `{"message":"try refresh token"}`)
	alice = SignIn(t, url+"/auth/signin").Header.Get(core.HeaderAccessToken)

	// The app's own errors still go through its error handler.
	tea := Do(t, "GET", url+"/api/teapot", "", "Authorization", "Bearer "+alice)
	if tea.Status != http.StatusTeapot || !strings.Contains(tea.Body, "rewritten") || !strings.Contains(tea.Body, "short and stout") {
		t.Errorf("app HTTPError: %d %s", tea.Status, tea.Body)
	}
	pe := Do(t, "GET", url+"/api/plain-error", "", "Authorization", "Bearer "+alice)
	if pe.Status != 500 || !strings.Contains(pe.Body, "app failure") {
		t.Errorf("app error: %d %s", pe.Status, pe.Body)
	}
	// ...but only once the session passed: without one the middleware answers first.
	noTea := Do(t, "GET", url+"/api/teapot", "")
	if noTea.Status != 401 || noTea.Body != `{"message":"unauthorised"}` {
		t.Errorf("teapot without a token: %d %s", noTea.Status, noTea.Body)
	}
}
