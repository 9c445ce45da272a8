package fiberratchet_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/adapters/fiber/fibertest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// TestSetCookiesAllSurvive: the two token cookies survive next to cookies the app sets with
// Fiber's c.Cookie before and after the library route runs.
//
// adaptercheck.SetCookieHeadersAllSurvive runs first, with one app cookie set before the chain.
func TestSetCookiesAllSurvive(t *testing.T) {
	pref := newApp()
	pref.Use(func(c *fiber.Ctx) error {
		c.Cookie(&fiber.Cookie{Name: "app_pref", Value: "dark", Path: "/"})
		return c.Next()
	})
	pf := newFixture(t)
	fibertest.Mount(pref, fiberratchet.New(pf.Engine), pf)
	adaptercheck.SetCookieHeadersAllSurvive(t, serve(t, pref))

	f := newFixture(t)
	a := fiberratchet.New(f.Engine)
	app := newApp()
	app.Use(func(c *fiber.Ctx) error {
		c.Cookie(&fiber.Cookie{Name: "theme", Value: "dark"})
		err := c.Next()
		c.Cookie(&fiber.Cookie{Name: "lang", Value: "en"})
		return err
	})
	a.Mount(app)
	url := serve(t, app)

	r := do(t, "POST", url+"/auth/signin", signInBody(adaptertest.AliceEmail, adaptertest.DemoPassword), "st-auth-mode", "cookie")
	if r.Status != 200 {
		t.Fatalf("sign-in: %v", r)
	}
	want := []string{"theme", "sAccessToken", "sRefreshToken", "lang"}
	if got := r.setCookieNames(); !slices.Equal(got, want) {
		t.Fatalf("Set-Cookie names = %q, want %q", got, want)
	}
	for _, line := range r.Header.Values("Set-Cookie")[1:3] {
		if !strings.Contains(line, "HttpOnly") || strings.HasSuffix(line, "=") {
			t.Errorf("token cookie mangled: %q", line)
		}
	}
	if r.cookie("sAccessToken") == "" || r.cookie("sRefreshToken") == "" {
		t.Fatalf("token cookies lost their values: %q", r.Header.Values("Set-Cookie"))
	}

	// Sign-out clears both: the clearing cookies survive as well.
	out := do(t, "POST", url+"/auth/signout", nil, "Cookie", "sAccessToken="+r.cookie("sAccessToken"), "rid", "session")
	if out.Status != 200 {
		t.Fatalf("sign-out: %v", out)
	}
	want = []string{"theme", "sAccessToken", "sRefreshToken", "lang"}
	if got := out.setCookieNames(); !slices.Equal(got, want) {
		t.Fatalf("sign-out Set-Cookie names = %q, want %q", got, want)
	}
	for _, line := range out.Header.Values("Set-Cookie")[1:3] {
		if !strings.Contains(line, "=;") || !strings.Contains(line, "Max-Age=0") {
			t.Errorf("clearing cookie mangled: %q", line)
		}
	}
}

// TestSameNameSetCookiesKeptInOrder: fasthttp keeps Set-Cookie lines in a special list; lines
// with the same cookie name must neither collapse nor reorder (the browser applies the last).
func TestSameNameSetCookiesKeptInOrder(t *testing.T) {
	f := newFixture(t)
	url := fiberServer(t, f)
	in := do(t, "POST", url+"/auth/signin", signInBody(adaptertest.AliceEmail, adaptertest.DemoPassword), "st-auth-mode", "cookie")
	r := do(t, "GET", url+"/api/churn", nil, "Cookie", "sAccessToken="+in.cookie("sAccessToken"), "rid", "session")
	if r.Status != 200 {
		t.Fatalf("churn: %v", r)
	}
	lines := r.Header.Values("Set-Cookie")
	want := []string{"sAccessToken", "sAccessToken", "sAccessToken", "sRefreshToken"}
	if got := r.setCookieNames(); !slices.Equal(got, want) {
		t.Fatalf("Set-Cookie names = %q, want %q (lines %q)", got, want, lines)
	}
	v1, v2 := cookieVal(lines[0]), cookieVal(lines[1])
	if v1 == "" || v2 == "" || v1 == v2 || v1 == in.cookie("sAccessToken") {
		t.Errorf("the two re-issued access tokens should be distinct and new: %q", lines[:2])
	}
	for _, line := range lines[2:] {
		if cookieVal(line) != "" || !strings.Contains(line, "Max-Age=0") {
			t.Errorf("expected a clearing cookie, got %q", line)
		}
	}
}

func cookieVal(line string) string {
	_, rest, _ := strings.Cut(line, "=")
	v, _, _ := strings.Cut(rest, ";")
	return v
}

// TestExposeHeadersAppended: the core appends to Access-Control-Expose-Headers; what app
// middleware or Fiber's CORS middleware put there first stays, and fasthttp keeps it all in
// one field.
func TestExposeHeadersAppended(t *testing.T) {
	const tokensExposed = "st-access-token, st-refresh-token, front-token"
	// oneField: a sign-in on url answers exactly one Access-Control-Expose-Headers field, want.
	oneField := func(t *testing.T, url, want string) {
		t.Helper()
		r := do(t, "POST", url+"/auth/signin", signInBody(adaptertest.AliceEmail, adaptertest.DemoPassword),
			"Origin", adaptertest.WebsiteOrigin)
		if r.Status != 200 {
			t.Fatalf("sign-in: %v", r)
		}
		if got := r.Header.Values("Access-Control-Expose-Headers"); !slices.Equal(got, []string{want}) {
			t.Fatalf("Access-Control-Expose-Headers = %q, want %q", got, want)
		}
	}
	// withApp is the fixture app behind mw (no CORS middleware).
	withApp := func(t *testing.T, mw fiber.Handler) string {
		f := newFixture(t)
		app := newApp()
		app.Use(mw)
		fibertest.Mount(app, fiberratchet.New(f.Engine), f)
		return serve(t, app)
	}
	t.Run("app middleware", func(t *testing.T) {
		adaptercheck.ExposeHeadersOneField(t, withApp(t, func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderAccessControlExposeHeaders, "X-Request-Id")
			return c.Next()
		}))
	})
	t.Run("several fields", func(t *testing.T) {
		url := withApp(t, func(c *fiber.Ctx) error {
			c.Response().Header.Add(fiber.HeaderAccessControlExposeHeaders, "X-Request-Id")
			c.Response().Header.Add(fiber.HeaderAccessControlExposeHeaders, "X-Trace-Id")
			return c.Next()
		})
		adaptercheck.ExposeHeadersAppended(t, url)
		oneField(t, url, "X-Request-Id, X-Trace-Id, "+tokensExposed)
	})
	t.Run("fiber cors", func(t *testing.T) {
		cfg := fiberCORSConfig()
		cfg.ExposeHeaders = "X-Request-Id,X-Trace-Id" // written as given
		app, _ := fixtureApp(newFixture(t), cors.New(cfg))
		url := serve(t, app)
		adaptercheck.ExposeHeadersKeptBehindCORS(t, url, "fiber cors")
		oneField(t, url, "X-Request-Id,X-Trace-Id, "+tokensExposed)
	})
}

// TestFiberCORSOrdering: with Fiber's CORS middleware first (or the adapter's), preflights
// never reach the session layer, and error answers of the session layer still carry CORS
// headers (or the browser could not read the 401 that starts a refresh): adaptercheck's
// CORSOrdering. Session middleware placed before the CORS middleware lets OPTIONS through.
func TestFiberCORSOrdering(t *testing.T) {
	o := adaptertest.WebsiteOrigin
	t.Run("cors first", func(t *testing.T) {
		app, _ := fixtureApp(newFixture(t), fiberCORS())
		adaptercheck.CORSOrdering(t, serve(t, app), adaptercheck.Preflight204(), adaptercheck.PreflightPaths("/auth/signin"))
	})

	t.Run("session middleware before cors", func(t *testing.T) {
		f := newFixture(t)
		a := fiberratchet.New(f.Engine)
		app := newApp()
		api := app.Group("/api", a.Require, fiberCORS())
		api.Get("/me", func(c *fiber.Ctx) error { return c.Send(f.Me(fiberratchet.MustSession(c))) })
		url := serve(t, app)
		r := do(t, "OPTIONS", url+"/api/me", nil, "Origin", o, "Access-Control-Request-Method", "GET")
		if r.Status != fiber.StatusNoContent {
			t.Fatalf("preflight: %v", r)
		}
		if r.Header.Get("Access-Control-Allow-Origin") != o || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("preflight CORS headers: %q", r.Header)
		}
		for _, h := range core.CORSAllowedHeaders() {
			if !adaptercheck.ListHas(r.Header, "Access-Control-Allow-Headers", h) {
				t.Errorf("Access-Control-Allow-Headers %q lacks %q", r.Header.Get("Access-Control-Allow-Headers"), h)
			}
		}
		if r := do(t, "GET", url+"/api/me", nil, "Origin", o); r.Status != 401 {
			t.Fatalf("GET without a session: %v", r)
		}
	})

	t.Run("adapter cors", func(t *testing.T) {
		app, _ := fixtureApp(newFixture(t), nil)
		adaptercheck.CORSOrdering(t, serve(t, app), adaptercheck.Preflight204(), adaptercheck.NoCredentialsForDisallowed())
	})
}

// fiberCORSConfig is Fiber's CORS middleware configured as the frontend SDK needs.
func fiberCORSConfig() cors.Config {
	return cors.Config{
		AllowOrigins:     adaptertest.WebsiteOrigin,
		AllowHeaders:     core.CORSAllowHeaders,
		AllowCredentials: true,
	}
}

// fiberCORS is github.com/gofiber/fiber/v2/middleware/cors configured for the fixture.
func fiberCORS() fiber.Handler { return cors.New(fiberCORSConfig()) }

// TestGroupsAndCustomBasePath mounts the library routes on a nested group (with group
// middleware) under a custom base path and runs adaptercheck.CustomBasePath there; Fiber also
// serves an app route under the base path, and routes outside the group are untouched.
func TestGroupsAndCustomBasePath(t *testing.T) {
	e, err := core.New(core.Config{
		Store:          memory.New(),
		BasePath:       "/api/v1/auth",
		AllowedOrigins: []string{adaptertest.WebsiteOrigin},
		Cookies:        core.CookieConfig{Insecure: true},
		Authenticate:   adaptertest.DemoAuthenticate,
	})
	if err != nil {
		t.Fatal(err)
	}
	a := fiberratchet.New(e)
	app := newApp()
	app.Use(a.CORS)
	v1 := app.Group("/api").Group("/v1", func(c *fiber.Ctx) error {
		c.Set("X-Group", "api")
		return c.Next()
	})
	a.Mount(v1)
	v1.Get("/me", a.Require, func(c *fiber.Ctx) error { return c.SendString(fiberratchet.MustSession(c).UserID()) })
	v1.Get("/auth/custom", func(c *fiber.Ctx) error { return c.SendString("app route under the base path") })
	app.Get("/health", func(c *fiber.Ctx) error { return c.SendString("ok") })
	url := serve(t, app)

	adaptercheck.CustomBasePath(t, url)
	if r := do(t, "GET", url+"/api/v1/auth/custom", nil); r.Status != 200 || string(r.Body) != "app route under the base path" {
		t.Fatalf("app route under the base path: %v", r)
	}
	if r := do(t, "GET", url+"/health", nil); r.Status != 200 {
		t.Fatalf("route outside the group: %v", r)
	}
	if r := do(t, "POST", url+"/api/v1/signin", signInBody(adaptertest.AliceEmail, adaptertest.DemoPassword)); r.Status != 404 {
		t.Errorf("POST /api/v1/signin outside the base path: %v", r)
	}
}

// TestMountOnApp: mounted on the app, only the base path is served; other routes registered
// before or after are untouched.
func TestMountOnApp(t *testing.T) {
	f := newFixture(t)
	a := fiberratchet.New(f.Engine)
	app := newApp()
	app.Get("/before", func(c *fiber.Ctx) error { return c.SendString("before") })
	a.Mount(app)
	app.Get("/after", func(c *fiber.Ctx) error { return c.SendString("after") })
	app.Get("/authors", func(c *fiber.Ctx) error { return c.SendString("authors") })
	url := serve(t, app)
	for p, want := range map[string]string{"/before": "before", "/after": "after", "/authors": "authors"} {
		if r := do(t, "GET", url+p, nil); r.Status != 200 || string(r.Body) != want {
			t.Errorf("GET %s: %v", p, r)
		}
	}
	if r := do(t, "GET", url+"/auth/nothing-here", nil); r.Status != 404 {
		t.Errorf("unknown library path: %v", r)
	}
	if r := do(t, "GET", url+"/auth/jwt/jwks.json", nil); r.Status != 200 {
		t.Errorf("jwks: %v", r)
	}
}

// TestOptionsPassesThrough: Verify never answers OPTIONS itself, whatever the token state,
// with every session middleware installed globally; and the handler sees no session.
func TestOptionsPassesThrough(t *testing.T) {
	f := newFixture(t)
	a := fiberratchet.New(f.Engine)
	app := newApp()
	for _, mw := range []fiber.Handler{a.Require, a.RequireStoreCheck, a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}})} {
		app.Use(mw)
	}
	app.Options("/api/thing", func(c *fiber.Ctx) error {
		if _, ok := fiberratchet.Session(c); ok {
			return c.Status(500).SendString("a session on OPTIONS")
		}
		return c.SendString("options reached /api/thing")
	})
	adaptercheck.OptionsPassThrough(t, serve(t, app), []string{"/api/thing"}, "/api/thing")
}

// TestSessionHelpers covers Session, MustSession and New's nil check.
func TestSessionHelpers(t *testing.T) {
	f := newFixture(t)
	a := fiberratchet.New(f.Engine)
	app := newApp()
	app.Get("/none", func(c *fiber.Ctx) error {
		if s, ok := fiberratchet.Session(c); ok || s != nil {
			t.Errorf("Session without middleware = %v, %v", s, ok)
		}
		defer func() {
			if recover() == nil {
				t.Error("MustSession did not panic without a session")
			}
		}()
		fiberratchet.MustSession(c)
		return nil
	})
	app.Get("/optional", a.Optional, func(c *fiber.Ctx) error {
		s, ok := fiberratchet.Session(c)
		if !ok {
			return c.SendString("anonymous")
		}
		return c.SendString(s.UserID())
	})
	url := serve(t, app)
	do(t, "GET", url+"/none", nil)
	if r := do(t, "GET", url+"/optional", nil); string(r.Body) != "anonymous" {
		t.Errorf("optional without token: %v", r)
	}
	// No library routes here: the engine issues the session directly.
	tok, err := f.Engine.IssueTokens(nilCtx(), "user-bob", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, "GET", url+"/optional", nil, "Authorization", "Bearer "+tok.AccessToken); string(r.Body) != "user-bob" {
		t.Errorf("optional with token: %v", r)
	}
	if r := do(t, "GET", url+"/optional", nil, "Authorization", "Bearer a.b.c", "Cookie", "sAccessToken=a.b.c"); r.Status != 401 {
		t.Errorf("optional with a bad token: %v", r)
	}

	defer func() {
		if recover() == nil {
			t.Error("New(nil) did not panic")
		}
	}()
	fiberratchet.New(nil)
}

// TestDisabledRoutes: a route switched off in core.Config.Routes gets the core's 404, unless
// the app serves it, before or after Mount.
func TestDisabledRoutes(t *testing.T) {
	eng, err := core.New(core.Config{Store: memory.New(), Authenticate: adaptertest.DemoAuthenticate,
		Routes: core.Routes{DisableJWKS: true, DisableSignIn: true, DisableSessions: true}})
	if err != nil {
		t.Fatal(err)
	}
	app := newApp()
	app.Post("/auth/signin", func(c *fiber.Ctx) error { return c.SendString("app sign-in") })
	fiberratchet.New(eng).Mount(app)
	app.Get("/auth/sessions", func(c *fiber.Ctx) error { return c.SendString("app sessions") })
	adaptercheck.DisabledRoutes(t, serve(t, app))
}
