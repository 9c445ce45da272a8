package echoratchet_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echov5"
	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
)

// Cookie names of the fixture engine (Insecure cookies are unprefixed).
const (
	accessCookie  = "sAccessToken"
	refreshCookie = "sRefreshToken"
)

// TestSetCookieHeadersAllSurvive: a cookie set by app middleware and both token cookies arrive
// as separate Set-Cookie fields on every path that writes cookies.
func TestSetCookieHeadersAllSurvive(t *testing.T) {
	f := newFixture(t)
	if access, refresh := testkit.CookieNames(f.Engine); access != accessCookie || refresh != refreshCookie {
		t.Fatalf("fixture cookie names changed: %s, %s", access, refresh)
	}
	e := fixtureApp(f, nil)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			c.SetCookie(&http.Cookie{Name: "app_pref", Value: "dark", Path: "/"})
			return next(c)
		}
	})
	srv := serve(t, e)

	names := func(h http.Header) []string {
		var out []string
		for _, c := range (&http.Response{Header: h}).Cookies() {
			out = append(out, c.Name)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"app_pref", accessCookie, refreshCookie}
	slices.Sort(want)

	// Sign-in in cookie mode.
	in := signIn(t, srv.URL+"/auth/signin", "st-auth-mode", "cookie")
	if got := names(in.Header); !slices.Equal(got, want) {
		t.Fatalf("sign-in Set-Cookie names = %v, want %v (raw %q)", got, want, in.Header.Values("Set-Cookie"))
	}
	rt := cookieNamed(in.Header, refreshCookie)

	// Refresh in cookie mode.
	ref := do(t, "POST", srv.URL+"/auth/session/refresh", "", "rid", "session", "Cookie", refreshCookie+"="+rt.Value)
	if ref.Status != 200 {
		t.Fatalf("refresh: %d %s", ref.Status, ref.Body)
	}
	if got := names(ref.Header); !slices.Equal(got, want) {
		t.Errorf("refresh Set-Cookie names = %v, want %v", got, want)
	}

	// A failed refresh clears both cookies, next to the app's.
	bad := do(t, "POST", srv.URL+"/auth/session/refresh", "", "rid", "session", "Cookie", refreshCookie+"=garbage")
	if bad.Status != 401 {
		t.Fatalf("garbage refresh: %d %s", bad.Status, bad.Body)
	}
	if got := names(bad.Header); !slices.Equal(got, want) {
		t.Errorf("failed refresh Set-Cookie names = %v, want %v", got, want)
	}
	if c := cookieNamed(bad.Header, accessCookie); c == nil || c.MaxAge >= 0 {
		t.Errorf("access cookie not cleared: %+v", c)
	}

	// Header-mode sign-in from a client holding old cookies clears them.
	hdr := signIn(t, srv.URL+"/auth/signin", "Cookie", accessCookie+"=old", "Cookie", refreshCookie+"=old")
	if got := names(hdr.Header); !slices.Equal(got, want) {
		t.Errorf("header-mode sign-in Set-Cookie names = %v, want %v", got, want)
	}
}

// exposeMiddleware plays app middleware that exposes its own headers, with two fields.
func exposeMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		h := c.Response().Header()
		h.Set("Access-Control-Expose-Headers", "X-Request-Id")
		h.Add("Access-Control-Expose-Headers", "X-Trace-Id")
		return next(c)
	}
}

// TestExposeHeadersAppended: core's token headers are added to Access-Control-Expose-Headers
// that app middleware (or Echo's CORS middleware) already set, never replacing it.
func TestExposeHeadersAppended(t *testing.T) {
	f := newFixture(t)
	e := fixtureApp(f, nil)
	e.Use(exposeMiddleware)
	srv := serve(t, e)

	check := func(what string, h http.Header, want ...string) {
		t.Helper()
		for _, w := range append([]string{"X-Request-Id", "X-Trace-Id"}, want...) {
			if !listHas(h, "Access-Control-Expose-Headers", w) {
				t.Errorf("%s: Access-Control-Expose-Headers %q lacks %s", what, h.Values("Access-Control-Expose-Headers"), w)
			}
		}
	}
	in := signIn(t, srv.URL+"/auth/signin")
	check("sign-in", in.Header, core.HeaderAccessToken, core.HeaderRefreshToken, core.HeaderFrontToken)

	at := in.Header.Get(core.HeaderAccessToken)
	pl := do(t, "POST", srv.URL+"/api/payload", `{"theme":"dark"}`, "Authorization", "Bearer "+at, "Content-Type", "application/json")
	if pl.Status != 200 {
		t.Fatalf("payload: %d %s", pl.Status, pl.Body)
	}
	check("payload re-issue", pl.Header, core.HeaderAccessToken, core.HeaderFrontToken)

	bad := do(t, "POST", srv.URL+"/auth/session/refresh", "", "Authorization", "Bearer garbage")
	if bad.Status != 401 {
		t.Fatalf("garbage refresh: %d %s", bad.Status, bad.Body)
	}
	check("clear tokens", bad.Header, core.HeaderAccessToken, core.HeaderRefreshToken, core.HeaderFrontToken)

	// Echo's own CORS middleware with ExposeHeaders, then core's additions.
	f2 := newFixture(t)
	srv2 := serve(t, fixtureApp(f2, echoCORS("X-Request-Id", "X-Trace-Id")))
	in2 := signIn(t, srv2.URL+"/auth/signin", "Origin", adaptertest.WebsiteOrigin)
	check("sign-in behind middleware.CORS", in2.Header, core.HeaderAccessToken, core.HeaderRefreshToken, core.HeaderFrontToken)
}

// echoCORS is Echo's CORS middleware configured as the adapter docs ask.
func echoCORS(expose ...string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:     []string{adaptertest.WebsiteOrigin},
		AllowMethods:     []string{"GET", "POST", "PUT", "PATCH", "DELETE"},
		AllowHeaders:     core.CORSAllowedHeaders(),
		AllowCredentials: true,
		ExposeHeaders:    expose,
	})
}

// TestEchoCORSMiddlewareOrdering: with middleware.CORSWithConfig installed by e.Use, preflights
// never reach the session middleware or the engine's 405, and our 401s still carry the CORS
// headers a browser needs to let the SDK read them.
func TestEchoCORSMiddlewareOrdering(t *testing.T) {
	for _, tc := range []struct {
		name string
		cors func(a *echoratchet.Adapter) echo.MiddlewareFunc
	}{
		{"echo middleware.CORSWithConfig", func(*echoratchet.Adapter) echo.MiddlewareFunc { return echoCORS() }},
		{"adapter CORS", func(a *echoratchet.Adapter) echo.MiddlewareFunc { return a.CORS }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			srv := serve(t, fixtureApp(f, tc.cors(echoratchet.New(f.Engine))))
			origin := adaptertest.WebsiteOrigin

			for _, path := range []string{"/api/me", "/api/notes", "/auth/session/refresh", "/auth/signout"} {
				pre := do(t, "OPTIONS", srv.URL+path, "", "Origin", origin,
					"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "rid, content-type, st-auth-mode")
				if pre.Status != 204 && pre.Status != 200 {
					t.Errorf("preflight %s: %d %s", path, pre.Status, pre.Body)
				}
				if pre.Header.Get("Access-Control-Allow-Origin") != origin || pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
					t.Errorf("preflight %s: allow-origin %q, credentials %q", path,
						pre.Header.Get("Access-Control-Allow-Origin"), pre.Header.Get("Access-Control-Allow-Credentials"))
				}
				for _, h := range core.CORSAllowedHeaders() {
					if !listHas(pre.Header, "Access-Control-Allow-Headers", h) {
						t.Errorf("preflight %s: Allow-Headers %q lacks %s", path, pre.Header.Get("Access-Control-Allow-Headers"), h)
					}
				}
			}

			// A 401 from the middleware keeps the CORS headers.
			no := do(t, "GET", srv.URL+"/api/me", "", "Origin", origin)
			if no.Status != 401 || no.Body != `{"message":"unauthorised"}` {
				t.Errorf("no token: %d %s", no.Status, no.Body)
			}
			if no.Header.Get("Access-Control-Allow-Origin") != origin {
				t.Errorf("401 without Access-Control-Allow-Origin: %v", no.Header)
			}

			// Cookie-mode sign-in and an authenticated cross-origin call.
			in := signIn(t, srv.URL+"/auth/signin", "Origin", origin, "st-auth-mode", "cookie")
			if !listHas(in.Header, "Access-Control-Expose-Headers", core.HeaderFrontToken) {
				t.Errorf("sign-in does not expose front-token: %q", in.Header.Values("Access-Control-Expose-Headers"))
			}
			at := cookieNamed(in.Header, accessCookie)
			me := do(t, "GET", srv.URL+"/api/me", "", "Origin", origin, "Cookie", accessCookie+"="+at.Value)
			if me.Status != 200 || me.Header.Get("Access-Control-Allow-Origin") != origin {
				t.Errorf("me: %d %s (allow-origin %q)", me.Status, me.Body, me.Header.Get("Access-Control-Allow-Origin"))
			}

			// Another origin gets no CORS grant.
			evil := do(t, "GET", srv.URL+"/api/me", "", "Origin", "http://evil.test", "Cookie", accessCookie+"="+at.Value)
			if got := evil.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("disallowed origin granted: %q", got)
			}
		})
	}
}

// TestOptionsPassThroughSessionMiddleware: OPTIONS reaches the handler behind every session
// middleware, even with no CORS middleware and no token, and even when the session
// middleware is installed globally.
func TestOptionsPassThroughSessionMiddleware(t *testing.T) {
	f := newFixture(t)
	a := echoratchet.New(f.Engine)
	e := echo.New()
	ok := func(c *echo.Context) error { return c.String(http.StatusOK, "options reached "+c.Path()) }
	e.OPTIONS("/require", ok, a.Require)
	e.OPTIONS("/strict", ok, a.RequireStoreCheck)
	e.OPTIONS("/verify", ok, a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}}))
	g := e.Group("/global", a.Require)
	g.OPTIONS("/x", ok)
	g.GET("/x", ok)
	srv := serve(t, e)
	for _, p := range []string{"/require", "/strict", "/verify", "/global/x"} {
		r := do(t, "OPTIONS", srv.URL+p, "", "Origin", adaptertest.WebsiteOrigin, "Access-Control-Request-Method", "GET")
		if r.Status != 200 || r.Body != "options reached "+p {
			t.Errorf("OPTIONS %s: %d %q", p, r.Status, r.Body)
		}
	}
	if r := do(t, "GET", srv.URL+"/global/x", ""); r.Status != 401 {
		t.Errorf("GET /global/x without a token: %d %s", r.Status, r.Body)
	}
}

// TestGroupAndCustomBasePath mounts the routes on a nested group at BasePath /api/v1/auth:
// the group's middleware runs, the cookies are scoped to the custom path, and nothing answers
// at the default /auth.
func TestGroupAndCustomBasePath(t *testing.T) {
	eng, err := core.New(core.Config{
		Store: memory.New(), BasePath: "/api/v1/auth", Cookies: core.CookieConfig{Insecure: true},
		Authenticate: adaptertest.DemoAuthenticate,
	})
	if err != nil {
		t.Fatal(err)
	}
	a := echoratchet.New(eng)
	e := echo.New()
	api := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			c.Response().Header().Set("X-Group", "api")
			return next(c)
		}
	})
	var routeMW int
	a.Mount(api.Group("/auth"), func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			routeMW++
			return next(c)
		}
	})
	api.GET("/me", func(c *echo.Context) error {
		return c.String(http.StatusOK, echoratchet.MustSession(c).UserID())
	}, a.Require)
	srv := serve(t, e)

	in := signIn(t, srv.URL+"/api/v1/auth/signin", "st-auth-mode", "cookie")
	if in.Header.Get("X-Group") != "api" || routeMW != 1 {
		t.Errorf("group middleware header %q, Mount middleware ran %d times", in.Header.Get("X-Group"), routeMW)
	}
	rc := cookieNamed(in.Header, refreshCookie)
	if rc == nil || rc.Path != "/api/v1/auth/session/refresh" {
		t.Fatalf("refresh cookie %+v, want Path /api/v1/auth/session/refresh", rc)
	}
	at := cookieNamed(in.Header, accessCookie).Value
	if r := do(t, "GET", srv.URL+"/api/v1/me", "", "Cookie", accessCookie+"="+at); r.Status != 200 || r.Body != "user-alice" {
		t.Errorf("me: %d %s", r.Status, r.Body)
	}
	ref := do(t, "POST", srv.URL+"/api/v1/auth/session/refresh", "", "rid", "session", "Cookie", refreshCookie+"="+rc.Value)
	if ref.Status != 200 || cookieNamed(ref.Header, refreshCookie) == nil {
		t.Errorf("refresh: %d %s", ref.Status, ref.Body)
	}
	if r := do(t, "GET", srv.URL+"/api/v1/auth/jwt/jwks.json", ""); r.Status != 200 || !strings.Contains(r.Body, `"keys"`) {
		t.Errorf("jwks: %d %s", r.Status, r.Body)
	}
	if r := do(t, "DELETE", srv.URL+"/api/v1/auth/sessions/nope", "", "Cookie", accessCookie+"="+at, "rid", "session"); r.Status != 404 || r.Body != `{"message":"session not found"}` {
		t.Errorf("delete unknown session: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", srv.URL+"/auth/signin", signInBody, "Content-Type", "application/json"); r.Status != 404 {
		t.Errorf("default base path still answers: %d %s", r.Status, r.Body)
	}

	// A group that is not the base path is refused at startup instead of serving 404s.
	defer func() {
		if recover() == nil {
			t.Error("Mount on a group away from the base path did not panic")
		}
	}()
	a.Mount(e.Group("/api"))
}

// TestMountOnEcho registers one route at the default base path of the *echo.Echo: the
// catch-all BasePath+"/*" as Echo v5's any-method route (v4's Any registered one route per
// known method), so every method, including ones Echo has no constant for, reaches the engine.
func TestMountOnEcho(t *testing.T) {
	f := newFixture(t)
	a := echoratchet.New(f.Engine)
	e := echo.New()
	a.Mount(e)
	var got []string
	for _, r := range e.Router().Routes() {
		got = append(got, r.Method+" "+r.Path)
	}
	if want := []string{echo.RouteAny + " /auth/*"}; !slices.Equal(got, want) {
		t.Errorf("Mount registered %v, want %v", got, want)
	}
	// Unsupported methods get core's 405, not Echo's: known, WebDAV and unknown methods alike.
	srv := serve(t, e)
	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE", "PROPFIND", "BREW"} {
		r := do(t, m, srv.URL+"/auth/signin", "")
		if r.Status != 405 || r.Header.Get("Allow") != "POST" || r.Body != `{"message":"method not allowed"}` {
			t.Errorf("%s signin: %d %q %s", m, r.Status, r.Header.Get("Allow"), r.Body)
		}
	}
	if r := do(t, "HEAD", srv.URL+"/auth/signin", ""); r.Status != 405 || r.Header.Get("Allow") != "POST" {
		t.Errorf("HEAD signin: %d %q", r.Status, r.Header.Get("Allow"))
	}
	if r := do(t, "BREW", srv.URL+"/auth/nope", ""); r.Status != 404 || r.Body != `{"message":"not found"}` {
		t.Errorf("BREW unknown path: %d %s, want the core's 404", r.Status, r.Body)
	}
}

// TestDisabledRoutes: a route switched off in core.Config.Routes gets the core's 404, like any
// unknown path under the base path, unless the app serves it: Echo prefers the app's static
// route to the adapter's catch-all, whichever order they are registered in.
func TestDisabledRoutes(t *testing.T) {
	eng, err := core.New(core.Config{Store: memory.New(), Authenticate: adaptertest.DemoAuthenticate,
		Routes: core.Routes{DisableJWKS: true, DisableSignIn: true, DisableSessions: true}})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = rewritingErrorHandler
	e.POST("/auth/signin", func(c *echo.Context) error { return c.String(http.StatusOK, "app sign-in") })
	echoratchet.New(eng).Mount(e)
	e.GET("/auth/sessions", func(c *echo.Context) error { return c.String(http.StatusOK, "app sessions") })
	srv := serve(t, e)
	if r := do(t, "GET", srv.URL+"/auth/jwt/jwks.json", ""); r.Status != 404 || r.Body != `{"message":"not found"}` {
		t.Errorf("disabled JWKS: %d %s, want the core's 404", r.Status, r.Body)
	}
	if r := do(t, "POST", srv.URL+"/auth/signin", signInBody, "Content-Type", "application/json"); r.Status != 200 || r.Body != "app sign-in" {
		t.Errorf("app's own sign-in (registered before Mount): %d %s", r.Status, r.Body)
	}
	if r := do(t, "GET", srv.URL+"/auth/sessions", ""); r.Status != 200 || r.Body != "app sessions" {
		t.Errorf("app's own sessions route (registered after Mount): %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", srv.URL+"/auth/session/refresh", ""); r.Status != 401 {
		t.Errorf("refresh still mounted: %d %s", r.Status, r.Body)
	}
	// Another method on the app's static route falls back to the catch-all: the core answers.
	if r := do(t, "DELETE", srv.URL+"/auth/signin", ""); r.Status != 404 || r.Body != `{"message":"not found"}` {
		t.Errorf("DELETE beside the app's POST /auth/signin: %d %s, want the core's 404", r.Status, r.Body)
	}
}

// TestAppMethodRouteBeatsMount: a route the app registers for one method on an enabled library
// path takes that method over, before or after Mount; the other methods still reach the core.
func TestAppMethodRouteBeatsMount(t *testing.T) {
	for _, before := range []bool{true, false} {
		t.Run(fmt.Sprintf("app route first=%v", before), func(t *testing.T) {
			f := newFixture(t)
			a := echoratchet.New(f.Engine)
			e := echo.New()
			own := func(c *echo.Context) error { return c.String(http.StatusOK, "app jwks page") }
			if before {
				e.GET("/auth/jwt/jwks.json", own)
			}
			a.Mount(e)
			if !before {
				e.GET("/auth/jwt/jwks.json", own)
			}
			srv := serve(t, e)
			if r := do(t, "GET", srv.URL+"/auth/jwt/jwks.json", ""); r.Status != 200 || r.Body != "app jwks page" {
				t.Errorf("GET jwks: %d %s", r.Status, r.Body)
			}
			if r := do(t, "POST", srv.URL+"/auth/jwt/jwks.json", ""); r.Status != 405 || r.Header.Get("Allow") != "GET, HEAD" ||
				r.Body != `{"message":"method not allowed"}` {
				t.Errorf("POST jwks: %d %q %s, want the core's 405", r.Status, r.Header.Get("Allow"), r.Body)
			}
		})
	}
}

// rewritingErrorHandler is an app's HTTPErrorHandler that rewrites every error it sees.
func rewritingErrorHandler(c *echo.Context, err error) {
	code := 500
	var sc echo.HTTPStatusCoder
	if errors.As(err, &sc) {
		code = sc.StatusCode()
	}
	_ = c.JSON(code, map[string]string{"rewritten": fmt.Sprint(err)})
}

// TestHTTPErrorHandlerDoesNotRewriteOurBodies: with an app HTTPErrorHandler that rewrites
// every error, each error the adapter answers is byte-identical (status, body and the
// protocol headers) to what the net/http adapter answers for the same request on the same
// engine; and errors the app's handlers return still go through the app's handler.
func TestHTTPErrorHandlerDoesNotRewriteOurBodies(t *testing.T) {
	f := newFixture(t)
	e := fixtureApp(f, nil)
	e.HTTPErrorHandler = rewritingErrorHandler
	a := echoratchet.New(f.Engine)
	e.GET("/api/teapot", func(c *echo.Context) error {
		return echo.NewHTTPError(http.StatusTeapot, "short and stout")
	}, a.Require)
	e.GET("/api/plain-error", func(c *echo.Context) error {
		return errors.New("app failure")
	}, a.Require)
	echoSrv := serve(t, e)
	refSrv := serve(t, nethttptest.NewServer(f))

	alice := signIn(t, echoSrv.URL+"/auth/signin").Header.Get(core.HeaderAccessToken)
	bobIn := do(t, "POST", echoSrv.URL+"/auth/signin",
		`{"email":"`+adaptertest.BobEmail+`","password":"`+adaptertest.DemoPassword+`"}`, "Content-Type", "application/json")
	bobTok := bobIn.Header.Get(core.HeaderAccessToken)
	cookieIn := signIn(t, echoSrv.URL+"/auth/signin", "st-auth-mode", "cookie")
	cookieAT := cookieNamed(cookieIn.Header, accessCookie).Value

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
		{"csrf: cookie POST without rid", "POST", "/api/notes", `{"text":"x"}`, []string{"Cookie", accessCookie + "=" + cookieAT}, 403},
		{"csrf: foreign origin", "POST", "/api/notes", `{"text":"x"}`, []string{"Cookie", accessCookie + "=" + cookieAT, "rid", "session", "Origin", "http://evil.test"}, 403},
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
		got := do(t, tc.method, echoSrv.URL+tc.path, tc.body, tc.headers...)
		want := do(t, tc.method, refSrv.URL+tc.path, tc.body, tc.headers...)
		if want.Status != tc.status {
			t.Fatalf("%s: reference server answered %d %s, want %d", tc.name, want.Status, want.Body, tc.status)
		}
		if got.Status != want.Status {
			t.Errorf("%s: status %d, net/http %d", tc.name, got.Status, want.Status)
		}
		sameBytes(t, tc.name+": body", got.Body, want.Body)
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
	got := do(t, "GET", echoSrv.URL+"/api/me", "", "Authorization", "Bearer "+alice)
	want := do(t, "GET", refSrv.URL+"/api/me", "", "Authorization", "Bearer "+alice)
	if got.Status != 401 || want.Status != 401 {
		t.Errorf("expired token: %d, net/http %d", got.Status, want.Status)
	}
	sameBytes(t, "expired token: body", got.Body, want.Body)
	sameBytes(t, "expired token: body", got.Body, `{"message":"try refresh token"}`)
	alice = signIn(t, echoSrv.URL+"/auth/signin").Header.Get(core.HeaderAccessToken)

	// The app's own errors still go through its HTTPErrorHandler.
	tea := do(t, "GET", echoSrv.URL+"/api/teapot", "", "Authorization", "Bearer "+alice)
	if tea.Status != http.StatusTeapot || !strings.Contains(tea.Body, "rewritten") || !strings.Contains(tea.Body, "short and stout") {
		t.Errorf("app HTTPError: %d %s", tea.Status, tea.Body)
	}
	pe := do(t, "GET", echoSrv.URL+"/api/plain-error", "", "Authorization", "Bearer "+alice)
	if pe.Status != 500 || !strings.Contains(pe.Body, "app failure") {
		t.Errorf("app error: %d %s", pe.Status, pe.Body)
	}
	// ...but only once the session passed: without one the middleware answers first.
	noTea := do(t, "GET", echoSrv.URL+"/api/teapot", "")
	if noTea.Status != 401 || noTea.Body != `{"message":"unauthorised"}` {
		t.Errorf("teapot without a token: %d %s", noTea.Status, noTea.Body)
	}
}

// TestNewPanicsOnNilEngine guards the constructor.
func TestNewPanicsOnNilEngine(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(nil) did not panic")
		}
	}()
	echoratchet.New(nil)
}

// TestSessionHelpersWithoutMiddleware: without a session middleware there is no session.
func TestSessionHelpersWithoutMiddleware(t *testing.T) {
	e := echo.New()
	c := e.NewContext(httptestRequest(), nil)
	if s, ok := echoratchet.Session(c); ok || s != nil {
		t.Errorf("Session = %v, %v without a middleware", s, ok)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustSession did not panic without a session")
		}
	}()
	echoratchet.MustSession(c)
}

func httptestRequest() *http.Request {
	r, _ := http.NewRequest("GET", "/", nil)
	return r
}

// TestEchoResponseStateAndHooks: in Echo v5 c.Response() is an http.ResponseWriter; the
// adapter writes through it, so the request's *echo.Response records the status and the
// committed state of our answers (middleware reads them after next), its Before hooks run, and
// app middleware that replaces the writer (body dump here) sees our bodies.
func TestEchoResponseStateAndHooks(t *testing.T) {
	f := newFixture(t)
	e := fixtureApp(f, nil)
	type seen struct {
		status    int
		committed bool
		dumped    string
	}
	got := make(chan seen, 1)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if r, err := echo.UnwrapResponse(c.Response()); err == nil {
				r.Before(func() { r.Header().Set("X-Before", "ran") })
			}
			err := next(c)
			var s seen
			if r, uerr := echo.UnwrapResponse(c.Response()); uerr == nil {
				s.status, s.committed = r.Status, r.Committed
			}
			s.dumped = c.Get("dumped").(string)
			got <- s
			return err
		}
	}, middleware.BodyDump(func(c *echo.Context, _, res []byte, _ error) { c.Set("dumped", string(res)) }))
	srv := serve(t, e)

	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/api/me", `{"message":"unauthorised"}`},                // middleware
		{"POST", "/auth/session/refresh", `{"message":"unauthorised"}`}, // library route
		{"GET", "/auth/signin", `{"message":"method not allowed"}`},     // engine's 405
	} {
		r := do(t, tc.method, srv.URL+tc.path, "")
		s := <-got
		if r.Body != tc.body || r.Header.Get("X-Before") != "ran" {
			t.Errorf("%s %s: %d %s, X-Before %q", tc.method, tc.path, r.Status, r.Body, r.Header.Get("X-Before"))
		}
		if s.status != r.Status || !s.committed || s.dumped != tc.body {
			t.Errorf("%s %s: echo.Response saw status %d committed %v body %q; client got %d", tc.method, tc.path, s.status, s.committed, s.dumped, r.Status)
		}
	}
}
