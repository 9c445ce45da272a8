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
// Require, Optional and Strict are gin.HandlerFuncs themselves; Verify builds one with claim
// validators or other core.VerifyOptions.
//
// With gin-contrib/cors instead of a.CORS, configure it with the website origins,
// AllowHeaders: core.CORSAllowedHeaders and AllowCredentials: true, and Use it on the
// *gin.Engine before anything else.
//
// # gin version
//
// The module requires github.com/gin-gonic/gin v1.4.0, the lowest release it supports:
// v1.4.0 is the first gin release with a go.mod, and the adapter's tests pass with -race on
// v1.4.0, v1.5.0, v1.6.3, v1.7.7, v1.8.1, v1.9.1, v1.10.1, v1.11.0 and v1.12.0. Under v1.3.0
// (no go.mod) the go command resolves gin's dependencies to their latest releases, so this
// module's go.mod would list unrelated, arbitrarily new versions. The requirement is a floor
// only: an app that requires a newer gin builds with that one. Older gin releases have known
// advisories (none in the parts this adapter uses, which never calls c.ClientIP); apps should
// require a current gin themselves.
package ginratchet
