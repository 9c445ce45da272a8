package fiberratchet

import (
	"fmt"
	"log/slog"
	"strings"
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
	if c.Method() == fiber.MethodOptions {
		return c.Next()
	}
	ctx, resp := c.UserContext(), response{c}
	s, err := a.e.GetSession(ctx, request{c}, resp, opts)
	if err != nil {
		a.e.WriteError(ctx, resp, err)
		return nil
	}
	if s != nil {
		c.Locals(localsKey, s)
	}
	return c.Next()
}

// Mount serves the library routes (signin, session/refresh, signout, sessions,
// sessions/{handle}, jwt/jwks.json) on r: the app, or a group whose prefix the engine's
// BasePath starts with (on any other group they are unreachable). Requests under the base path
// that are not library routes go on to the next handler. Register CORS before Mount.
//
// Mount panics if the app reads fewer request-header bytes (fiber.Config.ReadBufferSize,
// default 4096) than the session's tokens may need (core.Config.TokenHeaderBudget plus
// core.TokenHeaderHeadroom): every request of a user with a large payload would otherwise get
// 431 until the session expires. On a group, whose app Fiber before v2.36 does not expose,
// the check runs on the first request and logs an error instead.
func (a *Adapter) Mount(r fiber.Router) {
	if app, ok := r.(*fiber.App); ok {
		if err := a.checkHeaderLimit(app); err != nil {
			panic(err.Error())
		}
		a.groupCheck.Do(func() {}) // checked
		app.Use(a.base, a.serveAuth)
		return
	}
	// A group does not expose its prefix before Fiber v2.36, so the handler runs for the
	// whole group and lets everything outside the base path through.
	r.Use(a.serveAuth)
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
	// Cheap early exit: ServeAuth would refuse the path too, but only after copying it.
	if !strings.HasPrefix(c.Path(), a.base) {
		return c.Next()
	}
	if a.e.ServeAuth(c.UserContext(), request{c}, response{c}) {
		return nil
	}
	return c.Next()
}

// CORS is middleware that sets credentialed CORS headers for the engine's AllowedOrigins and
// answers preflights. Register it first, before Mount and any Verify. Fiber's own
// middleware/cors works as well when configured with core.CORSAllowedHeaders and
// AllowCredentials.
func (a *Adapter) CORS(c *fiber.Ctx) error {
	if a.e.HandleCORS(request{c}, response{c}) {
		return nil
	}
	return c.Next()
}

// CreateSession signs userID in on this request and writes the tokens to the response.
func (a *Adapter) CreateSession(c *fiber.Ctx, userID string, opts core.CreateOptions) (*core.Session, error) {
	return a.e.CreateSession(c.UserContext(), request{c}, response{c}, userID, opts)
}

// WriteError writes err as the protocol's status and body. It returns nil, so a handler can
// end with return a.WriteError(c, err).
func (a *Adapter) WriteError(c *fiber.Ctx, err error) error {
	a.e.WriteError(c.UserContext(), response{c}, err)
	return nil
}
