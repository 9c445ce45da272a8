package ginratchet_test

// Framework traps of gin, each with its own test.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/adapters/gin/gintest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// appMiddleware is what apps put in front of everything: it sets its own cookie and exposes
// its own header before the adapter runs.
func appMiddleware(c *gin.Context) {
	c.SetCookie("app", "1", 0, "/", "", false, true)
	c.Writer.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
	c.Writer.Header().Set("X-Request-Id", "req-1")
}

func appServer(t *testing.T) (http.Handler, *adaptertest.Fixture) {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	r := gin.New()
	r.Use(appMiddleware, a.CORS)
	a.Mount(r)
	gintest.Routes(r, a, f)
	return r, f
}

// TestSetCookieHeadersAllSurvive: the app's cookie and both token cookies reach the client on
// sign-in, refresh and sign-out (gin's c.SetCookie and the core's AddHeader share one header).
func TestSetCookieHeadersAllSurvive(t *testing.T) {
	r, _ := appServer(t)
	check := func(step string, x exchange, wantValues bool) map[string]*http.Cookie {
		t.Helper()
		lines := x.Header.Values("Set-Cookie")
		c := cookies(x.Header)
		if len(lines) != 3 || c["app"] == nil || c["sAccessToken"] == nil || c["sRefreshToken"] == nil {
			t.Fatalf("%s: %d %s: Set-Cookie lines %q, want app, sAccessToken and sRefreshToken", step, x.Status, x.Body, lines)
		}
		if wantValues != (c["sAccessToken"].Value != "" && c["sRefreshToken"].Value != "") {
			t.Fatalf("%s: token cookies %q, want values: %v", step, lines, wantValues)
		}
		return c
	}
	c := check("sign-in", signIn(t, r, "/auth", "cookie", signInBody), true)
	x := serve(r, "POST", "/auth/session/refresh", "", "Cookie", cookieLine(t, c["sRefreshToken"]), "rid", "session")
	if x.Status != 200 {
		t.Fatalf("refresh: %d %s", x.Status, x.Body)
	}
	c = check("refresh", x, true)
	x = serve(r, "POST", "/auth/signout", "", "Cookie", cookieLine(t, c["sAccessToken"]), "rid", "session")
	if x.Status != 200 {
		t.Fatalf("sign-out: %d %s", x.Status, x.Body)
	}
	check("sign-out", x, false)
}

// TestExposeHeadersAppended: the core appends the protocol's headers to an
// Access-Control-Expose-Headers value set earlier by app middleware instead of replacing it.
func TestExposeHeadersAppended(t *testing.T) {
	r, _ := appServer(t)
	check := func(step string, x exchange, want ...string) {
		t.Helper()
		lines := x.Header.Values("Access-Control-Expose-Headers")
		if len(lines) != 1 {
			t.Fatalf("%s: Access-Control-Expose-Headers lines %q, want one", step, lines)
		}
		for _, n := range append([]string{"X-Request-Id"}, want...) {
			if !listHas(lines[0], n) {
				t.Errorf("%s: Access-Control-Expose-Headers %q lacks %s", step, lines[0], n)
			}
		}
	}
	x := signIn(t, r, "/auth", "header", signInBody, "Origin", adaptertest.WebsiteOrigin)
	check("sign-in", x, core.HeaderFrontToken, core.HeaderAccessToken, core.HeaderRefreshToken)
	auth := "Bearer " + x.Header.Get(core.HeaderAccessToken)

	p := serve(r, "POST", "/api/payload", `{"theme":"dark"}`, "Authorization", auth, "Origin", adaptertest.WebsiteOrigin)
	if p.Status != 200 {
		t.Fatalf("payload: %d %s", p.Status, p.Body)
	}
	check("payload merge", p, core.HeaderFrontToken, core.HeaderAccessToken)

	e := serve(r, "POST", "/auth/session/refresh", "", "Authorization", "Bearer nonsense", "Origin", adaptertest.WebsiteOrigin)
	if e.Status != 401 {
		t.Fatalf("refresh with garbage: %d %s", e.Status, e.Body)
	}
	check("token-clearing error", e, core.HeaderFrontToken, core.HeaderAccessToken, core.HeaderRefreshToken)
}

// TestCORSOrdering: with a.CORS registered first on the engine, preflights are answered even
// for routes without an OPTIONS handler (gin runs engine middleware on its 404 chain), session
// middleware never sees them, and error responses carry CORS headers so the browser SDK can
// read a 401 and refresh.
func TestCORSOrdering(t *testing.T) {
	f := newFixture(t)
	r, _ := gintest.Server(f, nil)
	origin := adaptertest.WebsiteOrigin
	for _, path := range []string{"/api/me", "/api/me/strict", "/api/admin", "/auth/signin", "/auth/session/refresh", "/nowhere"} {
		x := serve(r, "OPTIONS", path, "", "Origin", origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "rid, fdi-version, anti-csrf, authorization, st-auth-mode, content-type")
		if x.Status != 204 || x.Body != "" || x.Header.Get("Access-Control-Allow-Origin") != origin ||
			x.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("preflight %s: %d %q %v", path, x.Status, x.Body, x.Header)
		}
		for _, h := range core.CORSAllowedHeaders() {
			if !listHas(x.Header.Get("Access-Control-Allow-Headers"), h) {
				t.Errorf("preflight %s: Access-Control-Allow-Headers %q lacks %s", path, x.Header.Get("Access-Control-Allow-Headers"), h)
			}
		}
	}
	x := serve(r, "GET", "/api/me", "", "Origin", origin)
	if x.Status != 401 || x.Header.Get("Access-Control-Allow-Origin") != origin || x.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("401 from Require: %d %v, want CORS headers on the error", x.Status, x.Header)
	}
	x = serve(r, "OPTIONS", "/api/me", "", "Origin", "http://evil.test", "Access-Control-Request-Method", "GET")
	if x.Status != 204 || x.Header.Get("Access-Control-Allow-Origin") != "" || x.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight from a disallowed origin: %d %v, want 204 without CORS grants", x.Status, x.Header)
	}
}

// TestOptionsPassesSessionMiddleware: a plain OPTIONS request is not the middleware's business,
// even when the session middleware runs before CORS or there is no CORS at all.
func TestOptionsPassesSessionMiddleware(t *testing.T) {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	for name, mw := range map[string]gin.HandlerFunc{
		"Require": a.Require, "Strict": a.RequireStoreCheck, "Optional": a.Optional,
		"Verify": a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}}),
	} {
		r := gin.New()
		r.Use(mw, a.CORS)
		r.OPTIONS("/api/thing", func(c *gin.Context) { c.String(200, "handled") })
		if x := serve(r, "OPTIONS", "/api/thing", ""); x.Status != 200 || x.Body != "handled" {
			t.Errorf("%s: plain OPTIONS: %d %q", name, x.Status, x.Body)
		}
		x := serve(r, "OPTIONS", "/api/thing", "", "Origin", adaptertest.WebsiteOrigin, "Access-Control-Request-Method", "GET")
		if x.Status != 204 || x.Header.Get("Access-Control-Allow-Origin") != adaptertest.WebsiteOrigin {
			t.Errorf("%s before CORS: preflight: %d %v", name, x.Status, x.Header)
		}
	}
}

// TestPreflightStatusIsCommitted: an outer middleware that sets a status after the chain
// cannot turn the core's 204 preflight (written without a body) into something else.
func TestPreflightStatusIsCommitted(t *testing.T) {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		c.Status(http.StatusTeapot)
	}, a.CORS)
	x := serve(r, "OPTIONS", "/x", "", "Origin", adaptertest.WebsiteOrigin, "Access-Control-Request-Method", "GET")
	if x.Status != 204 {
		t.Fatalf("preflight answered %d, want the core's 204", x.Status)
	}
}

// TestGroupsAndCustomBasePath mounts the library routes with BasePath "/api/v1/auth" on the
// engine itself, on a group that is a prefix of the base path and on a group at the base path,
// and runs a whole cookie-mode session through each.
func TestGroupsAndCustomBasePath(t *testing.T) {
	const base = "/api/v1/auth"
	mounts := map[string]func(*gin.Engine) gin.IRouter{
		"engine":           func(r *gin.Engine) gin.IRouter { return r },
		"group /api/v1":    func(r *gin.Engine) gin.IRouter { return r.Group("/api/v1") },
		"nested groups":    func(r *gin.Engine) gin.IRouter { return r.Group("/api").Group("/v1/") },
		"group at base":    func(r *gin.Engine) gin.IRouter { return r.Group(base) },
		"group with slash": func(r *gin.Engine) gin.IRouter { return r.Group("/api/") },
	}
	for name, mount := range mounts {
		t.Run(name, func(t *testing.T) {
			a := ginratchet.New(newEngine(t, base, core.Routes{}))
			r := gin.New()
			r.Use(a.CORS)
			a.Mount(mount(r))
			private := r.Group("/api/v1/private", a.Require)
			private.GET("/me", func(c *gin.Context) { c.String(200, ginratchet.MustSession(c).UserID()) })

			if x := serve(r, "POST", "/auth/signin", signInBody); x.Status != 404 {
				t.Fatalf("default base path still served: %d %s", x.Status, x.Body)
			}
			x := signIn(t, r, base, "cookie", signInBody)
			c := cookies(x.Header)
			if c["sRefreshToken"] == nil || c["sRefreshToken"].Path != base+"/session/refresh" {
				t.Fatalf("refresh cookie %+v, want Path %s/session/refresh", c["sRefreshToken"], base)
			}
			at := cookieLine(t, c["sAccessToken"])
			if me := serve(r, "GET", "/api/v1/private/me", "", "Cookie", at); me.Status != 200 || me.Body != "user-alice" {
				t.Fatalf("group behind Require: %d %s", me.Status, me.Body)
			}
			if me := serve(r, "GET", "/api/v1/private/me", ""); me.Status != 401 {
				t.Fatalf("group behind Require without a token: %d %s", me.Status, me.Body)
			}
			if s := serve(r, "GET", base+"/sessions", "", "Cookie", at); s.Status != 200 || !strings.Contains(s.Body, `"current":true`) {
				t.Fatalf("sessions: %d %s", s.Status, s.Body)
			}
			if j := serve(r, "GET", base+"/jwt/jwks.json", ""); j.Status != 200 || !strings.Contains(j.Body, `"keys"`) {
				t.Fatalf("jwks: %d %s", j.Status, j.Body)
			}
			x = serve(r, "POST", base+"/session/refresh", "", "Cookie", cookieLine(t, c["sRefreshToken"]), "rid", "session")
			if x.Status != 200 || cookies(x.Header)["sAccessToken"] == nil {
				t.Fatalf("refresh: %d %s", x.Status, x.Body)
			}
			x = serve(r, "POST", base+"/signout", "", "Cookie", cookieLine(t, cookies(x.Header)["sAccessToken"]), "rid", "session")
			if x.Status != 200 {
				t.Fatalf("sign-out: %d %s", x.Status, x.Body)
			}
		})
	}
}

func TestMountOnForeignGroupPanics(t *testing.T) {
	for _, g := range []string{"/other", "/api/v", "/api/v1/auth/signin"} {
		t.Run(g, func(t *testing.T) {
			a := ginratchet.New(newEngine(t, "/api/v1/auth", core.Routes{}))
			defer func() {
				if recover() == nil {
					t.Fatalf("Mount on group %s did not panic", g)
				}
			}()
			a.Mount(gin.New().Group(g))
		})
	}
}

// TestDisabledRoutes: the base path is the library's. A switched-off route gets the core's 404
// like any unknown path under it; an app that serves one itself does it in Mount's route-level
// middleware, since gin panics when a route is registered beside the catch-all.
func TestDisabledRoutes(t *testing.T) {
	a := ginratchet.New(newEngine(t, "/auth", core.Routes{DisableJWKS: true, DisableSessions: true}))
	r := gin.New()
	a.Mount(r, func(c *gin.Context) {
		if c.Request.URL.Path == "/auth/jwt/jwks.json" {
			c.String(200, "app's own")
			c.Abort()
		}
	})
	if x := serve(r, "GET", "/auth/jwt/jwks.json", ""); x.Status != 200 || x.Body != "app's own" {
		t.Errorf("disabled JWKS served by the app: %d %q", x.Status, x.Body)
	}
	for _, p := range []string{"/auth/sessions", "/auth/sessions/abc", "/auth/nope", "/auth/"} {
		if x := serve(r, "GET", p, ""); x.Status != 404 || x.Body != `{"message":"not found"}` {
			t.Errorf("disabled or unknown %s: %d %q, want the core's 404", p, x.Status, x.Body)
		}
	}
	if x := serve(r, "GET", "/auth/signin", ""); x.Status != 405 {
		t.Errorf("enabled sign-in route: GET answered %d, want the core's 405", x.Status)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a route under the mounted base path did not panic")
		}
	}()
	r.GET("/auth/custom", func(c *gin.Context) {})
}

// TestAbortSemantics: a failed verification writes the core's error, calls c.Abort, and
// nothing registered after the middleware runs: neither later middleware (engine, group or
// route level) nor the handler. Outer middleware sees c.IsAborted() after c.Next returns.
// The same chains with a good token run to the end, so the test can tell the difference.
func TestAbortSemantics(t *testing.T) {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	setup := gin.New()
	a.Mount(setup)
	bob := "Bearer " + signIn(t, setup, "/auth", "header", bobSignInBody()).Header.Get(core.HeaderAccessToken)
	alice := bearer(t, setup, "/auth")
	tampered := alice[:len(alice)-4] + "AAAA" // well formed, bad signature

	cases := []struct {
		name       string
		mw         gin.HandlerFunc
		bad, good  string
		wantStatus int
		wantBody   string
	}{
		{"Require without token", a.Require, "", alice, 401, `{"message":"unauthorised"}`},
		{"Strict without token", a.RequireStoreCheck, "", alice, 401, `{"message":"unauthorised"}`},
		{"Optional with a bad signature", a.Optional, tampered, "", 401, `{"message":"try refresh token"}`},
		{"Verify with failing claim", a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}}), bob, alice, 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ran []string
			var outerAborted bool
			r := gin.New()
			r.Use(func(c *gin.Context) {
				c.Next()
				outerAborted = c.IsAborted()
			})
			g := r.Group("/g", tc.mw)
			g.Use(func(*gin.Context) { ran = append(ran, "group middleware after") })
			g.GET("/x", func(*gin.Context) { ran = append(ran, "route middleware") },
				func(c *gin.Context) { ran = append(ran, "handler"); c.String(200, "ok") })

			x := serve(r, "GET", "/g/x", "", "Authorization", tc.bad)
			if x.Status != tc.wantStatus || (tc.wantBody != "" && x.Body != tc.wantBody) {
				t.Errorf("failed verification: %d %s, want %d %s", x.Status, x.Body, tc.wantStatus, tc.wantBody)
			}
			if len(ran) != 0 || !outerAborted {
				t.Errorf("after a failed verification: ran %v, outer middleware saw IsAborted=%v; want nothing run and aborted", ran, outerAborted)
			}

			ran = nil
			x = serve(r, "GET", "/g/x", "", "Authorization", tc.good)
			if x.Status != 200 || len(ran) != 3 || outerAborted {
				t.Errorf("good request: %d %s, ran %v, aborted %v; want the whole chain", x.Status, x.Body, ran, outerAborted)
			}
		})
	}
}
