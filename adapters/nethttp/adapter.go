package httpratchet

import (
	"context"
	"net/http"

	"github.com/ratchetauth/ratchet/core"
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

// Session returns the request's verified session, if a middleware put one there.
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

// Verify returns middleware that verifies the session with opts. OPTIONS requests pass
// through untouched so CORS preflights work.
func (a *Adapter) Verify(opts core.VerifyOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			resp := response{w}
			s, err := a.e.GetSession(r.Context(), request{r}, resp, opts)
			if err != nil {
				a.e.WriteError(r.Context(), resp, err)
				return
			}
			if s != nil {
				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, s))
			}
			next.ServeHTTP(w, r)
		})
	}
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

// Handler serves the library routes under the engine's base path and answers 404 for anything
// else. Mount it at the base path: mux.Handle("/auth/", a.Handler()).
func (a *Adapter) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.e.ServeAuth(r.Context(), request{r}, response{w}) {
			http.NotFound(w, r)
		}
	})
}

// Routes is middleware that serves the library routes and passes every other request to next.
// Wrap the whole app with it when the router cannot mount a prefix.
func (a *Adapter) Routes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.e.ServeAuth(r.Context(), request{r}, response{w}) {
			next.ServeHTTP(w, r)
		}
	})
}

// CORS sets credentialed CORS headers for the engine's AllowedOrigins and answers preflights.
// Put it outermost, before Routes and any Verify.
func (a *Adapter) CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.e.HandleCORS(request{r}, response{w}) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// CreateSession signs userID in on this request and writes the tokens to w.
func (a *Adapter) CreateSession(w http.ResponseWriter, r *http.Request, userID string, opts core.CreateOptions) (*core.Session, error) {
	return a.e.CreateSession(r.Context(), request{r}, response{w}, userID, opts)
}

// WriteError writes err as the protocol's status and body.
func (a *Adapter) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	a.e.WriteError(r.Context(), response{w}, err)
}
