package echoratchet_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echov5"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
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
	adaptercheck.SetCookieHeadersAllSurvive(t, serve(t, e).URL)
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
	adaptercheck.ExposeHeadersAppended(t, serve(t, e).URL)

	// Echo's own CORS middleware with ExposeHeaders, then core's additions.
	f2 := newFixture(t)
	srv2 := serve(t, fixtureApp(f2, echoCORS("X-Request-Id", "X-Trace-Id")))
	adaptercheck.ExposeHeadersKeptBehindCORS(t, srv2.URL, "middleware.CORS")
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
			adaptercheck.CORSOrdering(t, srv.URL)
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
	adaptercheck.OptionsPassThrough(t, serve(t, e).URL, []string{"/require", "/strict", "/verify", "/global/x"}, "/global/x")
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
	adaptercheck.CustomBasePath(t, serve(t, e).URL)
	// The Mount middleware ran once for each library request: signin, sessions, refresh, jwks,
	// delete, signout.
	if routeMW != 6 {
		t.Errorf("Mount middleware ran %d times, want 6", routeMW)
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
	adaptercheck.DisabledRoutes(t, srv.URL)
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
	adaptercheck.ErrorsMatchNetHTTP(t, f, serve(t, e).URL)
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
