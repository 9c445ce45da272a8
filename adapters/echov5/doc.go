// Package echoratchet is the Echo v5 (github.com/labstack/echo/v5) adapter of ratchet.
//
// Its import path is github.com/ratchetauth/ratchet/adapters/echov5, but its package name is
// echoratchet, the same as the Echo v4 adapter's (adapters/echo), with the same API in v5's
// types: an app moving from Echo v4 to v5 changes the import path and keeps every
// echoratchet.X call.
//
//	a := echoratchet.New(engine)
//	e := echo.New()
//	e.Use(a.CORS)                        // credentialed CORS for Config.AllowedOrigins
//	a.Mount(e)                           // signin, refresh, signout, sessions, JWKS under /auth
//	e.GET("/api/me", me, a.Require)      // 401 unless signed in
//
// Handlers read the session with echoratchet.Session(c), which also reports whether there is
// one, or echoratchet.MustSession(c) behind Require; c is Echo v5's *echo.Context. Require,
// Optional and RequireStoreCheck are echo.MiddlewareFunc values; Verify builds one from
// core.VerifyOptions, for claim validators.
//
// # Errors and Echo's HTTPErrorHandler
//
// Session failures never travel as a returned error: the middleware, the library routes and
// Adapter.WriteError write core's status, headers and body through c.Response() (the
// request's *echo.Response) and return nil, so a custom e.HTTPErrorHandler cannot rewrite
// them and the bodies are byte-identical to every other ratchet adapter. Errors that app
// handlers return still reach HTTPErrorHandler as usual. (Echo v5's HTTPErrorHandler is
// func(c *echo.Context, err error), and the router's echo.ErrNotFound is no *echo.HTTPError:
// read its status through echo.HTTPStatusCoder.)
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
// Mount(e) registers one Echo v5 any-method route (echo.RouteAny), Config.BasePath+"/*", and
// the core answers everything under it: the library routes, 405 for a wrong method and its 404
// for any other path. To put it under a group (to share its middleware), create the group at
// the base path itself: with BasePath "/api/v1/auth", a.Mount(e.Group("/api/v1/auth")) or
// a.Mount(api.Group("/auth")) when api is e.Group("/api/v1"). Echo v5 has no e.Host: with
// echo.NewVirtualHostHandler, mount on each host's own *echo.Echo.
//
// # Echo version
//
// go.mod requires echo v5.0.0 (January 2026), the first release of the /v5 module path and so
// the lowest version this adapter can name; Echo v5 itself needs Go 1.25, so this module's go
// directive is 1.25.0. The whole test suite, adaptertest.HTTPSuite included, passes against
// it with its own minimal dependencies (GOWORK=off), and against v5.1.0, v5.2.0, v5.3.0,
// v5.3.1, v5.4.3 and v5.4.6. The adapter uses only API that every v5 release has:
// MiddlewareFunc, Context.Get/Set, Context.Response, Echo.Any, Group.Any and RouteInfo. A
// minimum is only a floor: Go's minimal version selection gives an app the newer echo it
// requires itself, and apps should run a patched one (Echo's changelog lists security fixes in
// v5.0.2, v5.0.3, v5.1.0, v5.1.1, v5.2.0, v5.2.1, v5.4.0, v5.4.5 and v5.4.6).
package echoratchet
