package ginratchet

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/httpio"
)

// Adapter connects an Engine to gin.
type Adapter struct {
	e *core.Engine
}

// New returns an adapter for e. It panics if e is nil: that is a programming error.
func New(e *core.Engine) *Adapter {
	if e == nil {
		panic("ginratchet: New called with a nil *core.Engine")
	}
	return &Adapter{e: e}
}

// Engine returns the underlying engine.
func (a *Adapter) Engine() *core.Engine { return a.e }

// sessionKey is the gin.Context key of the verified session. gin keys are strings (any in
// newer releases), so the key is namespaced by the import path.
const sessionKey = "github.com/ratchetauth/ratchet/adapters/gin.session"

// Session returns the request's verified session, if a middleware (or CreateSession) put one
// there. Like the gin.Context it lives in, the session is valid only while the request is
// being handled: do not use it from a goroutine that outlives the handler.
func Session(c *gin.Context) (*core.Session, bool) {
	v, _ := c.Get(sessionKey)
	s, ok := v.(*core.Session)
	return s, ok && s != nil
}

// MustSession returns the session or panics; use it only behind Require, RequireStoreCheck or a Verify
// without Optional.
func MustSession(c *gin.Context) *core.Session {
	s, ok := Session(c)
	if !ok {
		panic("ginratchet: no session in gin.Context; is the route behind Require?")
	}
	return s
}

// Verify returns middleware that verifies the session with opts (claim validators go in
// opts.Validators), by core.Engine.Authorize: OPTIONS passes through so CORS preflights work. On
// failure it writes the protocol's error response and aborts the chain, so no later middleware
// or handler runs.
func (a *Adapter) Verify(opts core.VerifyOptions) gin.HandlerFunc {
	return func(c *gin.Context) { a.verify(c, opts) }
}

// Require is middleware that demands a session, verified statelessly:
// r.GET("/api/me", a.Require, me).
func (a *Adapter) Require(c *gin.Context) { a.verify(c, core.VerifyOptions{}) }

// Optional is middleware that lets requests without any token through without a session. An
// invalid or expired token still fails.
func (a *Adapter) Optional(c *gin.Context) { a.verify(c, core.VerifyOptions{Optional: true}) }

// RequireStoreCheck is middleware that demands a session and checks the store (CheckDatabase),
// so a revocation takes effect immediately.
func (a *Adapter) RequireStoreCheck(c *gin.Context) {
	a.verify(c, core.VerifyOptions{CheckDatabase: true})
}

func (a *Adapter) verify(c *gin.Context, opts core.VerifyOptions) {
	s, ok := a.e.Authorize(c.Request.Context(), httpio.Request(c.Request), response{c}, opts)
	if !ok {
		c.Abort()
		return
	}
	if s != nil {
		c.Set(sessionKey, s)
	}
}

// Mount serves every path under the engine's BasePath with the core (core.Engine.ServeAuth):
// the library routes (core.Engine.Routes), 405 for a wrong method, and the core's 404 for
// anything else, the same bytes as every other adapter. r is the *gin.Engine or a
// *gin.RouterGroup whose path is a prefix of BasePath: with BasePath "/api/v1/auth", both
// a.Mount(router) and a.Mount(router.Group("/api/v1")) serve /api/v1/auth/signin; any other
// gin.IRouter is taken to be the root. mw adds route-level middleware (a rate limiter, say).
//
// Mount registers one catch-all route, BasePath+"/*path", because gin's router cannot mix a
// catch-all with other routes under the same prefix: the base path belongs to ratchet, and
// gin panics at start-up if the app registers a route under it. Serve app routes elsewhere.
// gin applies middleware only to routes registered after Use: call r.Use(a.CORS) first.
func (a *Adapter) Mount(r gin.IRouter, mw ...gin.HandlerFunc) {
	cfg := a.e.Config()
	prefix := cfg.BasePath
	if g, ok := r.(interface{ BasePath() string }); ok {
		gb := strings.TrimSuffix(g.BasePath(), "/")
		rest, ok := strings.CutPrefix(prefix, gb)
		if !ok || (rest != "" && rest[0] != '/') {
			panic("ginratchet: Mount on group " + g.BasePath() + ", which is not a prefix of BasePath " + cfg.BasePath)
		}
		prefix = rest
	}
	r.Any(prefix+"/*path", append(mw[:len(mw):len(mw)], a.serveAuth)...)
}

func (a *Adapter) serveAuth(c *gin.Context) {
	a.e.ServeBase(c.Request.Context(), httpio.Request(c.Request), response{c})
}

// CORS is middleware that sets credentialed CORS headers for the engine's AllowedOrigins and
// answers preflights (aborting the chain). Register it first, on the *gin.Engine, so it also
// runs for preflights of routes that have no OPTIONS handler: router.Use(a.CORS).
func (a *Adapter) CORS(c *gin.Context) {
	if a.e.HandleCORS(httpio.Request(c.Request), response{c}) {
		c.Abort()
	}
}

// CreateSession signs userID in on this request, writes the tokens to the response and makes
// the session available to Session(c).
func (a *Adapter) CreateSession(c *gin.Context, userID string, opts core.CreateOptions) (*core.Session, error) {
	s, err := a.e.CreateSession(c.Request.Context(), httpio.Request(c.Request), response{c}, userID, opts)
	if err == nil {
		c.Set(sessionKey, s)
	}
	return s, err
}

// WriteError writes err as the protocol's status and body (through core.Config.ErrorHandler)
// and aborts the chain: like every adapter's WriteError, it ends the request.
func (a *Adapter) WriteError(c *gin.Context, err error) {
	a.e.WriteError(c.Request.Context(), httpio.Request(c.Request), response{c}, err)
	c.Abort()
}
