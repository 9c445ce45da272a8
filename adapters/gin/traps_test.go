package ginratchet_test

// Framework traps of gin, each with its own test.

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/adapters/gin/gintest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// appServer is the fixture app (gintest.Routes) behind mw and the adapter's CORS, served on
// a real listener; it returns the URL.
func appServer(t *testing.T, mw ...gin.HandlerFunc) string {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	r := gin.New()
	r.Use(append(mw, a.CORS)...)
	a.Mount(r)
	gintest.Routes(r, a, f)
	return listen(t, r)
}

// TestSetCookieHeadersAllSurvive: the app's cookie and both token cookies reach the client on
// sign-in, refresh and sign-out (gin's c.SetCookie and the core's AddHeader share one header).
func TestSetCookieHeadersAllSurvive(t *testing.T) {
	adaptercheck.SetCookieHeadersAllSurvive(t, appServer(t, func(c *gin.Context) {
		c.SetCookie("app_pref", "dark", 0, "/", "", false, true)
	}))
}

// TestExposeHeadersAppended: the core appends the protocol's headers to an
// Access-Control-Expose-Headers value set earlier by app middleware instead of replacing it,
// whether the app set one field (which stays one) or two.
func TestExposeHeadersAppended(t *testing.T) {
	adaptercheck.ExposeHeadersOneField(t, appServer(t, func(c *gin.Context) {
		c.Writer.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
		c.Writer.Header().Set("X-Request-Id", "req-1")
	}))
	adaptercheck.ExposeHeadersAppended(t, appServer(t, func(c *gin.Context) {
		c.Writer.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
		c.Writer.Header().Add("Access-Control-Expose-Headers", "X-Trace-Id")
	}))
}

// TestCORSOrdering: with a.CORS registered first on the engine, preflights are answered even
// for routes without an OPTIONS handler (gin runs engine middleware on its 404 chain), session
// middleware never sees them, and error responses carry CORS headers so the browser SDK can
// read a 401 and refresh.
func TestCORSOrdering(t *testing.T) {
	r, _ := gintest.Server(newFixture(t), nil)
	adaptercheck.CORSOrdering(t, listen(t, r), adaptercheck.Preflight204(), adaptercheck.NoCredentialsForDisallowed(),
		adaptercheck.PreflightPaths("/api/me/strict", "/api/admin", "/auth/signin", "/nowhere"))
}

// TestOptionsPassesSessionMiddleware: a plain OPTIONS request is not the middleware's business,
// with no CORS at all (adaptercheck.OptionsPassThrough), and when the session middleware runs
// before CORS the preflight still gets CORS's answer.
func TestOptionsPassesSessionMiddleware(t *testing.T) {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	mws := map[string]gin.HandlerFunc{
		"Require": a.Require, "Strict": a.RequireStoreCheck, "Optional": a.Optional,
		"Verify": a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}}),
	}
	reached := func(c *gin.Context) { c.String(200, "options reached "+c.Request.URL.Path) }
	r := gin.New()
	var paths []string
	for name, mw := range mws {
		r.OPTIONS("/"+name, mw, reached)
		paths = append(paths, "/"+name)
	}
	g := r.Group("/global", a.Require)
	g.OPTIONS("/x", reached)
	g.GET("/x", reached)
	adaptercheck.OptionsPassThrough(t, listen(t, r), append(paths, "/global/x"), "/global/x")

	for name, mw := range mws {
		r := gin.New()
		r.Use(mw, a.CORS)
		r.OPTIONS("/api/thing", func(c *gin.Context) { c.String(200, "handled") })
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
// engine itself, on groups that are a prefix of the base path and on a group at the base path,
// and runs adaptercheck.CustomBasePath (a whole cookie-mode session) through each. The
// "X-Group" header it wants comes from engine middleware: gin groups of the different mounts
// do not all lie on /api/v1.
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
			r.Use(a.CORS, func(c *gin.Context) { c.Header("X-Group", "api") })
			a.Mount(mount(r))
			r.GET("/api/v1/me", a.Require, func(c *gin.Context) { c.String(200, ginratchet.MustSession(c).UserID()) })
			adaptercheck.CustomBasePath(t, listen(t, r))
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
// middleware (adaptercheck.DisabledRoutes), since gin panics when a route is registered beside
// the catch-all.
func TestDisabledRoutes(t *testing.T) {
	a := ginratchet.New(newEngine(t, "/auth", core.Routes{DisableJWKS: true, DisableSignIn: true, DisableSessions: true}))
	r := gin.New()
	a.Mount(r, func(c *gin.Context) {
		switch c.Request.Method + " " + c.Request.URL.Path {
		case "POST /auth/signin":
			c.String(200, "app sign-in")
			c.Abort()
		case "GET /auth/sessions":
			c.String(200, "app sessions")
			c.Abort()
		}
	})
	adaptercheck.DisabledRoutes(t, listen(t, r))
	for _, p := range []string{"/auth/sessions/abc", "/auth/nope", "/auth/"} {
		if x := serve(r, "GET", p, ""); x.Status != 404 || x.Body != `{"message":"not found"}` {
			t.Errorf("disabled or unknown %s: %d %q, want the core's 404", p, x.Status, x.Body)
		}
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
	bob := "Bearer " + signIn(t, setup, "/auth", "header", adaptercheck.BobSignInBody).Header.Get(core.HeaderAccessToken)
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
