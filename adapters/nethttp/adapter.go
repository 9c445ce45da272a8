package httpratchet

import (
	"context"
	"net/http"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/httpio"
)

// Adapter connects an Engine to net/http.
type Adapter struct {
	e *core.Engine
}

// New returns an adapter for e. It panics if e is nil: that is a programming error.
func New(e *core.Engine) *Adapter {
	if e == nil {
		panic("httpratchet: New called with a nil *core.Engine")
	}
	return &Adapter{e: e}
}

// Engine returns the underlying engine.
func (a *Adapter) Engine() *core.Engine { return a.e }

type ctxKey struct{}

// Session returns the request's verified session, if a middleware (or CreateSession) put one
// there.
func Session(ctx context.Context) (*core.Session, bool) {
	s, ok := ctx.Value(ctxKey{}).(*core.Session)
	return s, ok && s != nil
}

// MustSession returns the session or panics; use it only behind Require or RequireStoreCheck.
func MustSession(ctx context.Context) *core.Session {
	s, ok := Session(ctx)
	if !ok {
		panic("httpratchet: no session in context; is the route behind Require?")
	}
	return s
}

// Verify returns middleware that verifies the session with opts (core.Engine.Authorize: OPTIONS
// passes through so CORS preflights work). On failure it writes the protocol's error response
// and does not call next.
func (a *Adapter) Verify(opts core.VerifyOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st := &verified{Context: r.Context(), Writer: httpio.Writer{W: w}}
			s, ok := a.e.Authorize(r.Context(), httpio.Request(r), st, opts)
			if !ok {
				return
			}
			if s != nil {
				st.s = s
				r = r.WithContext(st)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// verified is the one allocation Verify makes for a request (besides net/http's own copy of the
// request in WithContext). It is the core.Response the engine writes through (the embedded
// Writer's methods: handing the core a pointer allocates nothing, where boxing a Writer would),
// and, once the session is verified, the request's context: the parent's, plus the session
// under ctxKey (what context.WithValue would have been, in a second allocation).
type verified struct {
	context.Context
	httpio.Writer
	s *core.Session
}

// Value answers ctxKey with the session and every other key from the parent context.
func (v *verified) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return v.s
	}
	return v.Context.Value(key)
}

// Require is Verify with a required session and stateless verification.
func (a *Adapter) Require(next http.Handler) http.Handler {
	return a.Verify(core.VerifyOptions{})(next)
}

// Optional is Verify that lets requests without any token through without a session.
func (a *Adapter) Optional(next http.Handler) http.Handler {
	return a.Verify(core.VerifyOptions{Optional: true})(next)
}

// RequireStoreCheck is Verify with CheckDatabase: revocation takes effect immediately.
func (a *Adapter) RequireStoreCheck(next http.Handler) http.Handler {
	return a.Verify(core.VerifyOptions{CheckDatabase: true})(next)
}

// Router is what Mount registers on: *http.ServeMux, chi.Router, or anything with Handle.
type Router interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers Handler, wrapped in mw (outermost first), at BasePath+"/" on r: every path
// under the base path is the library's (see Handler). Routes more specific than the base
// path that the app registers on r itself (a replacement for a route switched off in
// core.Config.Routes, say) take precedence, as ServeMux and chi always do.
func (a *Adapter) Mount(r Router, mw ...func(http.Handler) http.Handler) {
	var h http.Handler = a.Handler()
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	r.Handle(a.e.Config().BasePath+"/", h)
}

// Handler serves the library routes under the engine's base path and answers anything else
// under it with the core's 404 (core.Engine.WriteNotFound), like every adapter. Mount it at
// the base path: mux.Handle("/auth/", a.Handler()), or use Mount.
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.e.ServeBase(r.Context(), httpio.Request(r), httpio.Response(w))
	})
}

// Routes is middleware that serves every path under the base path like Handler (the library
// routes, and the core's 404 for the rest) and passes every other request to next. Wrap the
// whole app with it when the router cannot mount a prefix.
func (a *Adapter) Routes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.e.OwnsPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		a.e.ServeBase(r.Context(), httpio.Request(r), httpio.Response(w))
	})
}

// CORS sets credentialed CORS headers for the engine's AllowedOrigins and answers preflights.
// Put it outermost, before Routes and any Verify.
func (a *Adapter) CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.e.HandleCORS(httpio.Request(r), httpio.Response(w)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// CreateSession signs userID in on this request, writes the tokens to w and puts the session
// on r's context for Session(r.Context()), as every adapter does: r is updated in place
// (*r = *r.WithContext(…)), so the handler keeps using the same *http.Request.
func (a *Adapter) CreateSession(w http.ResponseWriter, r *http.Request, userID string, opts core.CreateOptions) (*core.Session, error) {
	s, err := a.e.CreateSession(r.Context(), httpio.Request(r), httpio.Response(w), userID, opts)
	if err == nil {
		*r = *r.WithContext(context.WithValue(r.Context(), ctxKey{}, s))
	}
	return s, err
}

// WriteError writes err as the protocol's status and body (through core.Config.ErrorHandler).
// Like every adapter's WriteError it ends the request: return right after it.
func (a *Adapter) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	a.e.WriteError(r.Context(), httpio.Request(r), httpio.Response(w), err)
}
