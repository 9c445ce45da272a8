// Package echoratchet is the Echo (github.com/labstack/echo/v4) adapter of ratchet.
//
//	a := echoratchet.New(engine)
//	e := echo.New()
//	e.Use(a.CORS)                        // credentialed CORS for Config.AllowedOrigins
//	a.Mount(e)                           // signin, refresh, signout, sessions, JWKS under /auth
//	e.GET("/api/me", me, a.Require)      // 401 unless signed in
//
// Handlers read the session with echoratchet.Session(c), which also reports whether there is
// one, or echoratchet.MustSession(c) behind Require. Require, Optional and RequireStoreCheck are
// echo.MiddlewareFunc values; Verify builds one from core.VerifyOptions, for claim validators.
//
// # Errors and Echo's HTTPErrorHandler
//
// Session failures never travel as a returned error: the middleware, the library routes and
// Adapter.WriteError write core's status, headers and body through echo.Response and return
// nil, so a custom e.HTTPErrorHandler cannot rewrite them and the bodies are byte-identical to
// every other ratchet adapter. Errors that app handlers return still reach HTTPErrorHandler
// as usual.
//
// # CORS
//
// Use Adapter.CORS, or Echo's middleware.CORSWithConfig with AllowOrigins set to the engine's
// AllowedOrigins, AllowHeaders core.CORSAllowedHeaders() and AllowCredentials true. Either way,
// install it with e.Use before any session middleware. Access-Control-Expose-Headers set by
// such middleware is extended, never overwritten, when tokens are written.
//
// # Route groups and base paths
//
// Mount(e) registers the routes at Config.BasePath. To put them under a group (to share its
// middleware), create the group at the base path itself: with BasePath "/api/v1/auth",
// a.Mount(e.Group("/api/v1/auth")) or a.Mount(api.Group("/auth")) when api is
// e.Group("/api/v1").
//
// # Echo version
//
// go.mod requires echo v4.0.0 (January 2019), the first release of the /v4 module path and so
// the lowest version this adapter can name. The whole test suite, adaptertest.HTTPSuite
// included, passes against it with its own minimal dependencies (GOWORK=off), and against
// v4.1.0, v4.1.6, v4.1.10, v4.1.15–v4.1.17, v4.2.1, v4.5.0, v4.7.2, v4.9.0, v4.10.2, v4.11.4,
// v4.12.0, v4.13.4, v4.14.0, v4.15.4 and v4.16.0. The adapter uses only API that every v4
// release has: MiddlewareFunc, Context.Get/Set, Echo.Any, Group.Any and echo.Response. A
// minimum is only a floor: Go's minimal version selection gives an app the newer echo it
// requires itself, and apps should run a patched one (releases before v4.9.0 have known
// vulnerabilities; before v4.5.0 echo's JWT middleware requires github.com/dgrijalva/jwt-go,
// which therefore appears in this module's requirement graph).
package echoratchet
