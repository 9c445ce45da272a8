package echoratchet_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/ratchetauth/ratchet/internal/testkit"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echo"
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
		return func(c echo.Context) error {
			c.SetCookie(&http.Cookie{Name: "app_pref", Value: "dark", Path: "/"})
			return next(c)
		}
	})
	adaptercheck.SetCookieHeadersAllSurvive(t, serve(t, e).URL)
}

// exposeMiddleware plays app middleware that exposes its own headers, with two fields.
func exposeMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
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
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "options reached "+c.Path()) }
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
		return func(c echo.Context) error {
			c.Response().Header().Set("X-Group", "api")
			return next(c)
		}
	})
	var routeMW int
	a.Mount(api.Group("/auth"), func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			routeMW++
			return next(c)
		}
	})
	api.GET("/me", func(c echo.Context) error {
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

// TestMountOnEcho registers every route at the default base path of the *echo.Echo.
func TestMountOnEcho(t *testing.T) {
	f := newFixture(t)
	a := echoratchet.New(f.Engine)
	e := echo.New()
	a.Mount(e)
	got := map[string]bool{}
	for _, r := range e.Routes() {
		got[r.Method+" "+r.Path] = true
	}
	for _, m := range []string{"GET", "POST", "DELETE", "OPTIONS"} {
		if !got[m+" /auth/*"] {
			t.Errorf("route %s /auth/* not registered", m)
		}
	}
	// Unsupported methods get core's 405, not Echo's.
	srv := serve(t, e)
	r := do(t, "GET", srv.URL+"/auth/signin", "")
	if r.Status != 405 || r.Header.Get("Allow") != "POST" || r.Body != `{"message":"method not allowed"}` {
		t.Errorf("GET signin: %d %q %s", r.Status, r.Header.Get("Allow"), r.Body)
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
	e.POST("/auth/signin", func(c echo.Context) error { return c.String(http.StatusOK, "app sign-in") })
	echoratchet.New(eng).Mount(e)
	e.GET("/auth/sessions", func(c echo.Context) error { return c.String(http.StatusOK, "app sessions") })
	srv := serve(t, e)
	adaptercheck.DisabledRoutes(t, srv.URL)
}

// rewritingErrorHandler is an app's HTTPErrorHandler that rewrites every error it sees.
func rewritingErrorHandler(err error, c echo.Context) {
	code := 500
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
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
	e.GET("/api/teapot", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusTeapot, "short and stout")
	}, a.Require)
	e.GET("/api/plain-error", func(c echo.Context) error {
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
