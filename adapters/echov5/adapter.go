package echoratchet

import (
	"fmt"

	"github.com/labstack/echo/v5"
	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
)

// Adapter connects an Engine to Echo v5.
type Adapter struct {
	e                         *core.Engine
	require, optional, strict *verifier
}

// New returns an adapter for e. It panics if e is nil: that is a programming error.
func New(e *core.Engine) *Adapter {
	if e == nil {
		panic("echoratchet: New called with a nil *core.Engine")
	}
	a := &Adapter{e: e}
	a.require = &verifier{a: a}
	a.optional = &verifier{a: a, opts: core.VerifyOptions{Optional: true}}
	a.strict = &verifier{a: a, opts: core.VerifyOptions{CheckDatabase: true}}
	return a
}

// Engine returns the underlying engine.
func (a *Adapter) Engine() *core.Engine { return a.e }

// contextKey is the *echo.Context key under which the middleware stores the session.
const contextKey = "github.com/ratchetauth/ratchet/adapters/echov5.session"

// Session returns the session that Require, RequireStoreCheck, Optional or Verify stored on c. ok is
// false when there is none: no session middleware ran, or Optional found no token.
func Session(c *echo.Context) (*core.Session, bool) {
	s, ok := c.Get(contextKey).(*core.Session)
	return s, ok && s != nil
}

// MustSession returns the session or panics; use it only behind Require, RequireStoreCheck or Verify.
func MustSession(c *echo.Context) *core.Session {
	s, ok := Session(c)
	if !ok {
		panic("echoratchet: no session on the *echo.Context; is the route behind Require?")
	}
	return s
}

// Verify returns middleware that verifies the session with opts and stores it on the context
// for Session. A failed check is answered by the adapter itself, with core's status and
// body, and the handler returns nil, so Echo's HTTPErrorHandler never rewrites it. OPTIONS
// requests pass through untouched so CORS preflights work.
func (a *Adapter) Verify(opts core.VerifyOptions) echo.MiddlewareFunc {
	return (&verifier{a: a, opts: opts}).middleware
}

// Require is middleware that demands a session, verified statelessly.
func (a *Adapter) Require(next echo.HandlerFunc) echo.HandlerFunc { return a.require.middleware(next) }

// Optional is middleware that lets requests without any token through without a session.
func (a *Adapter) Optional(next echo.HandlerFunc) echo.HandlerFunc {
	return a.optional.middleware(next)
}

// RequireStoreCheck is middleware that demands a session and checks the store (CheckDatabase), so a
// revocation takes effect immediately.
func (a *Adapter) RequireStoreCheck(next echo.HandlerFunc) echo.HandlerFunc {
	return a.strict.middleware(next)
}

// verifier is one middleware configuration. Echo v5 wraps route and group middleware once,
// when the route is registered, but releases before v5.2.0 wrap e.Use middleware anew on
// every request, so middleware(next) may run per request: keeping the options behind one
// pointer makes its closure two words.
type verifier struct {
	a    *Adapter
	opts core.VerifyOptions
}

func (v *verifier) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		r := c.Request()
		if r.Method == "OPTIONS" {
			return next(c)
		}
		resp := response{c.Response()}
		s, err := v.a.e.GetSession(r.Context(), httpratchet.Request(r), resp, v.opts)
		if err != nil {
			v.a.e.WriteError(r.Context(), resp, err)
			return nil
		}
		if s != nil {
			c.Set(contextKey, s)
		}
		return next(c)
	}
}

// Router is what Mount registers routes on: *echo.Echo or *echo.Group. (It is not
// echo.Router, Echo's own routing interface.)
type Router interface {
	Any(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) echo.RouteInfo
}

// Mount registers the library routes (signin, session/refresh, signout, sessions,
// sessions/revoke-others, sessions/:handle, jwt/jwks.json), each as one Echo "any method"
// route; the engine answers a wrong method with 405 itself. On an *echo.Echo they go under
// the engine's base path. On an *echo.Group the group must be the base path itself, since
// Echo does not reveal a group's prefix: with BasePath "/api/v1/auth",
// a.Mount(e.Group("/api/v1/auth")) or a.Mount(api.Group("/auth")) where api is
// e.Group("/api/v1"). Echo v5 has no e.Host: with echo.NewVirtualHostHandler, mount on the
// host's own *echo.Echo. Mount panics if the routes would land anywhere else. m adds
// route-level middleware (a rate limiter, say). Routes switched off in core.Config.Routes are
// not registered, so the app may serve those paths itself. A route the app registers for one
// method on one of these paths (e.GET("/auth/signin", h)) takes precedence over Mount's
// any-method route in Echo v5, whichever is registered first.
func (a *Adapter) Mount(r Router, m ...echo.MiddlewareFunc) {
	cfg := a.e.Config()
	prefix := cfg.BasePath
	if _, ok := r.(*echo.Group); ok {
		prefix = ""
	}
	add := func(off bool, p string) {
		if off {
			return
		}
		if rt := r.Any(prefix+p, a.serveAuth, m...); rt.Path != cfg.BasePath+p {
			panic(fmt.Sprintf("echoratchet: Mount registered %q, want %q: mount on the *echo.Echo or on a group created at the base path", rt.Path, cfg.BasePath+p))
		}
	}
	rt := cfg.Routes
	add(rt.DisableSignIn || cfg.Authenticate == nil, "/signin")
	add(rt.DisableRefresh, "/session/refresh")
	add(rt.DisableSignOut, "/signout")
	add(rt.DisableSessions, "/sessions")
	add(rt.DisableSessions, "/sessions/revoke-others")
	add(rt.DisableSessions, "/sessions/:handle") // the engine reads the handle from the path
	add(rt.DisableJWKS, "/jwt/jwks.json")
}

func (a *Adapter) serveAuth(c *echo.Context) error {
	r := c.Request()
	if !a.e.ServeAuth(r.Context(), httpratchet.Request(r), response{c.Response()}) {
		return echo.ErrNotFound // only if app middleware rewrote the path
	}
	return nil
}

// CORS is middleware that sets credentialed CORS headers for the engine's AllowedOrigins and
// answers preflights. Install it with e.Use (or e.Pre) before the session middleware. Apps
// that prefer Echo's own middleware.CORSWithConfig can use that instead, with AllowHeaders
// core.CORSAllowedHeaders and AllowCredentials true.
func (a *Adapter) CORS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if a.e.HandleCORS(httpratchet.Request(c.Request()), response{c.Response()}) {
			return nil
		}
		return next(c)
	}
}

// CreateSession signs userID in on this request and writes the tokens to the response, in the
// transfer method the client asked for.
func (a *Adapter) CreateSession(c *echo.Context, userID string, opts core.CreateOptions) (*core.Session, error) {
	r := c.Request()
	return a.e.CreateSession(r.Context(), httpratchet.Request(r), response{c.Response()}, userID, opts)
}

// WriteError writes err as the protocol's status and body (clearing tokens where the protocol
// says so) and returns nil, so a handler can end with return a.WriteError(c, err).
func (a *Adapter) WriteError(c *echo.Context, err error) error {
	a.e.WriteError(c.Request().Context(), response{c.Response()}, err)
	return nil
}
