// Package echoratchet is the Echo (github.com/labstack/echo/v4) adapter of ratchet.
//
//	a := echoratchet.New(engine)
//	e := echo.New()
//	e.Use(a.CORS)                        // credentialed CORS for Config.AllowedOrigins
//	a.Mount(e)                           // signin, refresh, signout, sessions, JWKS under /auth
//	e.GET("/api/me", me, a.Require)      // 401 unless signed in
//
// Handlers read the session with echoratchet.Session(c), which also reports whether there is
// one, or echoratchet.MustSession(c) behind Require. Require, Optional and Strict are
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
// AllowedOrigins, AllowHeaders core.CORSAllowedHeaders and AllowCredentials true. Either way,
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
// The module requires echo v4.1.16, the oldest v4 release the Go module proxy serves; the
// test suite and sessiontest.HTTPSuite pass against it (run with GOWORK=off, since the
// workspace may select a newer echo). Versions up to v4.16 were checked as well. The adapter
// uses only API present across all of v4 (MiddlewareFunc, Group, Any, echo.Response).
package echoratchet
