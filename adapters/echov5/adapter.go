package echoratchet

import (
	"fmt"

	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/httpio"
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
		s, ok := v.a.e.Authorize(r.Context(), httpio.Request(r), responseOf(c), v.opts)
		if !ok {
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

// Mount serves every path under the engine's BasePath with the core (core.Engine.ServeAuth):
// the library routes (core.Engine.Routes), 405 for a wrong method, and the core's 404 for
// anything else, the same bytes as every other adapter. It registers one route,
// BasePath+"/*", as Echo v5's any-method route (echo.RouteAny), so every method reaches the
// engine, including ones Echo has no constant for. Echo prefers static and parameter routes
// to it, and a route for one method to an any-method route, so a route the app registers
// under the base path itself (a replacement for one switched off in core.Config.Routes, say)
// still wins. On an *echo.Echo the route goes under the base path. On an *echo.Group the
// group must be the base path itself, since Echo does not reveal a group's prefix: with
// BasePath "/api/v1/auth", a.Mount(e.Group("/api/v1/auth")) or a.Mount(api.Group("/auth"))
// where api is e.Group("/api/v1"). Echo v5 has no e.Host: with echo.NewVirtualHostHandler,
// mount on each host's own *echo.Echo. Mount panics if the route would land anywhere else. m
// adds route-level middleware (a rate limiter, say).
func (a *Adapter) Mount(r Router, m ...echo.MiddlewareFunc) {
	base := a.e.Config().BasePath
	prefix := base
	if _, ok := r.(*echo.Group); ok {
		prefix = ""
	}
	if rt := r.Any(prefix+"/*", a.serveAuth, m...); rt.Path != base+"/*" {
		panic(fmt.Sprintf("echoratchet: Mount registered %q, want %q: mount on the *echo.Echo or on a group created at the base path", rt.Path, base+"/*"))
	}
}

func (a *Adapter) serveAuth(c *echo.Context) error {
	r := c.Request()
	a.e.ServeBase(r.Context(), httpio.Request(r), responseOf(c))
	return nil
}

// CORS is middleware that sets credentialed CORS headers for the engine's AllowedOrigins and
// answers preflights. Install it with e.Use (or e.Pre) before the session middleware. Apps
// that prefer Echo's own middleware.CORSWithConfig can use that instead, with AllowHeaders
// core.CORSAllowedHeaders() and AllowCredentials true.
func (a *Adapter) CORS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if a.e.HandleCORS(httpio.Request(c.Request()), responseOf(c)) {
			return nil
		}
		return next(c)
	}
}

// CreateSession signs userID in on this request, writes the tokens to the response, in the
// transfer method the client asked for, and makes the session available to Session(c).
func (a *Adapter) CreateSession(c *echo.Context, userID string, opts core.CreateOptions) (*core.Session, error) {
	r := c.Request()
	s, err := a.e.CreateSession(r.Context(), httpio.Request(r), responseOf(c), userID, opts)
	if err == nil {
		c.Set(contextKey, s)
	}
	return s, err
}

// WriteError writes err as the protocol's status and body (clearing tokens where the protocol
// says so, and through core.Config.ErrorHandler) and returns nil: like every adapter's
// WriteError it ends the request, so a handler ends with return a.WriteError(c, err), and
// Echo's HTTPErrorHandler never rewrites the answer.
func (a *Adapter) WriteError(c *echo.Context, err error) error {
	r := c.Request()
	a.e.WriteError(r.Context(), httpio.Request(r), responseOf(c), err)
	return nil
}
