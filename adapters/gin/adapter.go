package ginratchet

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
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
// opts.Validators). On failure it writes the protocol's error response and aborts the chain,
// so no later middleware or handler runs. OPTIONS requests pass through untouched so CORS
// preflights work.
func (a *Adapter) Verify(opts core.VerifyOptions) gin.HandlerFunc {
	return func(c *gin.Context) { a.verify(c, opts) }
}

// Require is middleware that demands a session, verified statelessly:
// r.GET("/api/me", a.Require, me).
func (a *Adapter) Require(c *gin.Context) { a.verify(c, core.VerifyOptions{}) }

// Optional is middleware that lets requests without any token through without a session. An
// invalid or expired token still fails.
func (a *Adapter) Optional(c *gin.Context) { a.verify(c, core.VerifyOptions{Optional: true}) }

// RequireStoreCheck is middleware that demands a session and checks the store (CheckDatabase), so a
// revocation takes effect immediately.
func (a *Adapter) RequireStoreCheck(c *gin.Context) {
	a.verify(c, core.VerifyOptions{CheckDatabase: true})
}

func (a *Adapter) verify(c *gin.Context, opts core.VerifyOptions) {
	if c.Request.Method == http.MethodOptions {
		return // gin runs the next handler when a middleware returns without aborting
	}
	ctx, resp := c.Request.Context(), response{c}
	s, err := a.e.GetSession(ctx, httpratchet.Request(c.Request), resp, opts)
	if err != nil {
		a.e.WriteError(ctx, resp, err)
		c.Abort()
		return
	}
	if s != nil {
		c.Set(sessionKey, s)
	}
}

// Mount registers the library routes (signin, session/refresh, signout, sessions,
// sessions/{handle}, jwt/jwks.json) under the engine's BasePath. r is the *gin.Engine or a
// *gin.RouterGroup whose path is a prefix of BasePath: with BasePath "/api/v1/auth", both
// a.Mount(router) and a.Mount(router.Group("/api/v1")) serve /api/v1/auth/signin; any other
// gin.IRouter is taken to be the root. Routes switched off in core.Config.Routes are not
// registered. Each route accepts every method, so a
// wrong method gets the core's 405 with Allow, exactly as in the net/http adapter.
//
// gin applies middleware only to routes registered after Use: call r.Use(a.CORS) first.
func (a *Adapter) Mount(r gin.IRouter) {
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
	rt := cfg.Routes
	add := func(off bool, path string) {
		if !off {
			r.Any(prefix+path, a.serveAuth)
		}
	}
	add(rt.DisableSignIn || cfg.Authenticate == nil, "/signin")
	add(rt.DisableRefresh, "/session/refresh")
	add(rt.DisableSignOut, "/signout")
	add(rt.DisableSessions, "/sessions")
	add(rt.DisableSessions, "/sessions/*rest") // sessions/{handle}; the core parses the path
	add(rt.DisableJWKS, "/jwt/jwks.json")
}

func (a *Adapter) serveAuth(c *gin.Context) {
	if !a.e.ServeAuth(c.Request.Context(), httpratchet.Request(c.Request), response{c}) {
		c.AbortWithStatus(http.StatusNotFound) // unreachable unless the path was rewritten
	}
}

// CORS is middleware that sets credentialed CORS headers for the engine's AllowedOrigins and
// answers preflights (aborting the chain). Register it first, on the *gin.Engine, so it also
// runs for preflights of routes that have no OPTIONS handler: router.Use(a.CORS).
func (a *Adapter) CORS(c *gin.Context) {
	if a.e.HandleCORS(httpratchet.Request(c.Request), response{c}) {
		c.Abort()
	}
}

// CreateSession signs userID in on this request, writes the tokens to the response and makes
// the session available to Session(c).
func (a *Adapter) CreateSession(c *gin.Context, userID string, opts core.CreateOptions) (*core.Session, error) {
	s, err := a.e.CreateSession(c.Request.Context(), httpratchet.Request(c.Request), response{c}, userID, opts)
	if err == nil {
		c.Set(sessionKey, s)
	}
	return s, err
}

// WriteError writes err as the protocol's status and body and aborts the chain.
func (a *Adapter) WriteError(c *gin.Context, err error) {
	a.e.WriteError(c.Request.Context(), response{c}, err)
	c.Abort()
}
