// Package ginratchet is the gin adapter of ratchet: session middleware, the library routes
// mounted on a router or group, a CORS middleware and context helpers, all delegating to
// core.Engine so that every response is byte-identical to the net/http adapter's.
//
//	a := ginratchet.New(engine)
//	router := gin.New()
//	router.Use(a.CORS)                   // first: gin applies Use only to routes added later
//	a.Mount(router)                      // signin, refresh, signout, sessions, JWKS
//	router.GET("/api/me", a.Require, me) // 401 unless signed in
//
// Handlers read the session with Session(c) or MustSession(c). A failed verification writes
// the protocol's error response and calls c.Abort, so no later middleware or handler runs.
// Require, Optional and RequireStoreCheck are gin.HandlerFuncs themselves; Verify builds one with claim
// validators or other core.VerifyOptions.
//
// With gin-contrib/cors instead of a.CORS, configure it with the website origins,
// AllowHeaders: core.CORSAllowedHeaders() and AllowCredentials: true, and Use it on the
// *gin.Engine before anything else. It answers requests from any other origin itself, with
// an empty 403, so those clients never see the core's {"message":"anti-csrf check failed"}.
//
// # gin version
//
// The module requires github.com/gin-gonic/gin v1.5.0, the lowest release that works. The
// requirement is a floor: an app that requires a newer gin builds with that one. The adapter's
// tests, HTTPSuite included, pass with -race on v1.5.0, v1.6.3, v1.7.7, v1.8.1, v1.9.1,
// v1.10.1, v1.11.0 and v1.12.0, and an app requiring any of v1.6.3 to v1.12.0 next to this
// module builds. Older releases do not work:
//   - v1.4.0 passes the tests on its own, but its go.mod requires github.com/ugorji/go
//     v1.1.4, whose root module still contains the codec package. Every gin from v1.5.0 on
//     imports github.com/ugorji/go/codec from its own module, so an app on a current gin
//     would fail with "ambiguous import: found package github.com/ugorji/go/codec in multiple
//     modules". The tests/cors module, which runs this adapter on a newer gin, catches that.
//   - v1.3.0 has no go.mod, so the go command would resolve its dependencies to their latest
//     releases and list them all here.
//
// Old gin releases have published advisories, none of them in the parts this adapter uses (it
// never calls c.ClientIP); apps should require a current gin themselves.
package ginratchet
