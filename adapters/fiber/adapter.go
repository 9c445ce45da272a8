package fiberratchet

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/ratchetauth/ratchet/core"
)

// Adapter connects an Engine to Fiber.
type Adapter struct {
	e          *core.Engine
	base       string    // e's BasePath
	groupCheck sync.Once // checkHeaderLimit, for a Mount on a group
}

// New returns an adapter for e. It panics if e is nil: that is a programming error.
func New(e *core.Engine) *Adapter {
	if e == nil {
		panic("fiberratchet: New called with a nil *core.Engine")
	}
	return &Adapter{e: e, base: e.Config().BasePath}
}

// Engine returns the underlying engine.
func (a *Adapter) Engine() *core.Engine { return a.e }

// localsKey is the c.Locals key of the verified session. It is a string because Fiber before
// v2.45 only accepts string keys.
const localsKey = "github.com/ratchetauth/ratchet/adapters/fiber.session"

// Session returns the request's verified session, if a middleware put one there. The session
// is bound to this request's response: do not keep it after the handler returns.
func Session(c *fiber.Ctx) (*core.Session, bool) {
	s, ok := c.Locals(localsKey).(*core.Session)
	return s, ok && s != nil
}

// MustSession returns the session or panics; use it only behind Require, RequireStoreCheck or Verify
// without Optional.
func MustSession(c *fiber.Ctx) *core.Session {
	s, ok := Session(c)
	if !ok {
		panic("fiberratchet: no session in context; is the route behind Require?")
	}
	return s
}

// Verify returns middleware that verifies the session with opts and stores it for Session.
// A failure is answered with the protocol's status and body, and the chain stops. OPTIONS
// requests pass through untouched so CORS preflights work. Claim validators go in
// opts.Validators.
func (a *Adapter) Verify(opts core.VerifyOptions) fiber.Handler {
	return func(c *fiber.Ctx) error { return a.verify(c, opts) }
}

// Require is middleware that demands a session, verified statelessly.
func (a *Adapter) Require(c *fiber.Ctx) error { return a.verify(c, core.VerifyOptions{}) }

// Optional is middleware that lets requests without any token through without a session. An
// invalid or expired token is still refused.
func (a *Adapter) Optional(c *fiber.Ctx) error {
	return a.verify(c, core.VerifyOptions{Optional: true})
}

// RequireStoreCheck is middleware that demands a session and checks the store (CheckDatabase), so
// revocation takes effect immediately.
func (a *Adapter) RequireStoreCheck(c *fiber.Ctx) error {
	return a.verify(c, core.VerifyOptions{CheckDatabase: true})
}

func (a *Adapter) verify(c *fiber.Ctx, opts core.VerifyOptions) error {
	s, ok := a.e.Authorize(c.UserContext(), request{c}, response{c}, opts)
	if !ok {
		return nil
	}
	if s != nil {
		c.Locals(localsKey, s)
	}
	return c.Next()
}

// Mount serves every path under the engine's BasePath with the core (core.Engine.ServeAuth):
// the library routes (core.Engine.Routes), 405 for a wrong method, and the core's 404 for
// anything else, the same bytes as every other adapter. r is the app, or a group whose prefix
// the engine's BasePath starts with (on any other group the routes are unreachable). A path
// under the base path that is not a library route goes on to the app's own routes first (a
// replacement for a route switched off in core.Config.Routes, say); only when none serves it
// does the core answer 404. mw adds route-level middleware (a rate limiter, say), run for
// every request under the base path. Register CORS before Mount.
//
// Mount panics if the app reads fewer request-header bytes (fiber.Config.ReadBufferSize,
// default 4096) than the session's tokens may need (core.Config.TokenHeaderBudget plus
// core.TokenHeaderHeadroom): every request of a user with a large payload would otherwise get
// 431 until the session expires. On a group, whose app Fiber before v2.36 does not expose,
// the check runs on the first request and logs an error instead.
func (a *Adapter) Mount(r fiber.Router, mw ...fiber.Handler) {
	if app, ok := r.(*fiber.App); ok {
		if err := a.checkHeaderLimit(app); err != nil {
			panic(err.Error())
		}
		a.groupCheck.Do(func() {}) // checked
		r.Use(append([]any{a.base}, a.only(mw)...)...)
		return
	}
	// A group does not expose its prefix before Fiber v2.36, so the handler runs for the
	// whole group and lets everything outside the base path through.
	r.Use(a.only(mw)...)
}

// only wraps each route-level middleware so that it runs for requests under the base path
// only, then appends serveAuth. (app.Use(base, …) already limits them; on a group it does not.)
func (a *Adapter) only(mw []fiber.Handler) []any {
	hs := make([]any, 0, len(mw)+1)
	for _, m := range mw {
		hs = append(hs, fiber.Handler(func(c *fiber.Ctx) error {
			if !a.e.OwnsPath(c.Path()) {
				return c.Next()
			}
			return m(c)
		}))
	}
	return append(hs, fiber.Handler(a.serveAuth))
}

// checkHeaderLimit compares the app's header buffer with what the engine's tokens may need.
func (a *Adapter) checkHeaderLimit(app *fiber.App) error {
	have := app.Config().ReadBufferSize
	if have <= 0 {
		have = fiber.DefaultReadBufferSize
	}
	if need := a.e.TokenHeaderBudget() + core.TokenHeaderHeadroom; have < need {
		return fmt.Errorf("fiberratchet: fiber.Config.ReadBufferSize is %d bytes, but the engine's tokens may need %d "+
			"(core.Config.TokenHeaderBudget %d + core.TokenHeaderHeadroom %d): raise ReadBufferSize to at least %d, or lower TokenHeaderBudget",
			have, need, a.e.TokenHeaderBudget(), core.TokenHeaderHeadroom, need)
	}
	return nil
}

func (a *Adapter) serveAuth(c *fiber.Ctx) error {
	a.groupCheck.Do(func() {
		if err := a.checkHeaderLimit(c.App()); err != nil {
			slog.Error(err.Error())
		}
	})
	if !a.e.OwnsPath(c.Path()) {
		return c.Next()
	}
	if a.e.ServeAuth(c.UserContext(), request{c}, response{c}) {
		return nil
	}
	// Not a library route: the app's own routes come first; when none serves it, the core
	// answers.
	err := c.Next()
	if unmatched(c, err) {
		a.e.WriteNotFound(c.UserContext(), request{c}, response{c})
		return nil
	}
	return err
}

// unmatched reports whether c.Next found no route: Fiber's router then returns a 404
// *fiber.Error with nothing written (recent releases), or, in older ones (v2.26, the floor), writes
// "Cannot METHOD path" with 404 itself and returns nil.
func unmatched(c *fiber.Ctx, err error) bool {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code == fiber.StatusNotFound && len(c.Response().Body()) == 0
	}
	return err == nil && c.Response().StatusCode() == fiber.StatusNotFound &&
		string(c.Response().Body()) == "Cannot "+c.Method()+" "+c.Path()
}

// CORS is middleware that sets credentialed CORS headers for the engine's AllowedOrigins and
// answers preflights. Register it first, before Mount and any Verify. Fiber's own
// middleware/cors works as well when configured with core.CORSAllowedHeaders() and
// AllowCredentials.
func (a *Adapter) CORS(c *fiber.Ctx) error {
	if a.e.HandleCORS(request{c}, response{c}) {
		return nil
	}
	return c.Next()
}

// CreateSession signs userID in on this request, writes the tokens to the response and makes
// the session available to Session(c).
func (a *Adapter) CreateSession(c *fiber.Ctx, userID string, opts core.CreateOptions) (*core.Session, error) {
	s, err := a.e.CreateSession(c.UserContext(), request{c}, response{c}, userID, opts)
	if err == nil {
		c.Locals(localsKey, s)
	}
	return s, err
}

// WriteError writes err as the protocol's status and body (through core.Config.ErrorHandler)
// and returns nil: like every adapter's WriteError it ends the request, so a handler ends with
// return a.WriteError(c, err), and Fiber's ErrorHandler never rewrites the answer.
func (a *Adapter) WriteError(c *fiber.Ctx, err error) error {
	a.e.WriteError(c.UserContext(), request{c}, response{c}, err)
	return nil
}
