// Package fiberratchet is the Fiber v2 adapter of ratchet.
//
//	a := fiberratchet.New(engine)
//	app := fiber.New()
//	app.Use(a.CORS)                        // first, so preflights and errors carry CORS headers
//	a.Mount(app)                           // signin, refresh, signout, sessions, JWKS under BasePath
//	app.Get("/api/me", a.Require, me)      // 401 unless signed in
//	app.Get("/api/admin", a.Verify(core.VerifyOptions{Validators: adminOnly}), admin)
//
// Handlers read the session with fiberratchet.Session(c) or MustSession(c). A failed
// verification writes the protocol's error response (the same bytes as every other adapter,
// produced by the core) and does not call c.Next. Require, Optional, RequireStoreCheck and Verify let
// OPTIONS requests through untouched, so CORS preflights work wherever the CORS middleware
// sits. Fiber's own middleware/cors may replace a.CORS: configure it with AllowOrigins,
// AllowHeaders: core.CORSAllowHeaders and AllowCredentials: true.
//
// Mount takes the app or a group: a.Mount(app.Group("/api/v1")) serves a BasePath of
// "/api/v1/auth". Requests under the base path that are not library routes go on to the next
// handler.
//
// # fasthttp buffers
//
// Fiber's strings and byte slices (c.Get, c.Path, c.Cookies, c.Body) point into fasthttp
// buffers that are reused as soon as the handler returns. The adapter copies every value it
// hands to the core, which keeps some of them (the access token in the Session, the user agent
// in the store, handles in security events). The *core.Session itself is bound to the
// request's response: use it inside the handler only, never from a goroutine that outlives it.
// The core's calls get c.UserContext(), so deadlines and tracing set with c.SetUserContext
// reach the store. Fiber's Config.DisableHeaderNormalizing is not supported: with it,
// fasthttp matches request header names case-sensitively, so a client's "authorization"
// would not be found.
//
// # Fiber version
//
// The module requires github.com/gofiber/fiber/v2 v2.26.0, the lowest release it supports:
// it is the oldest release on the module proxy with Ctx.UserContext, which carries the
// request's context into the store. The whole test suite, HTTPSuite included, passes under
// -race on v2.26.0, v2.36.0, v2.39.0, v2.45.0 and v2.52.0 (memory store, Go 1.26). The two
// older v2 releases on the proxy, v2.1.0 and v2.7.1, lack UserContext, and even with it
// stubbed out they fail the tests: their fasthttp (1.16, 1.18) reorders Set-Cookie lines
// against cookies set with c.Cookie, and v2.7.1 once answered a sign-in with "404 Cannot
// POST /". The pin is a floor: Go's minimal version selection gives an app the newer Fiber it
// requires, and apps should run a current v2.52.x for its security fixes.
package fiberratchet
