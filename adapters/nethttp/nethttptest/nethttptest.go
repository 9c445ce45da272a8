// Package nethttptest is test support for the net/http adapter: it serves adaptertest's
// fixture (the library routes plus the app routes listed in the adaptertest.Fixture doc
// comment) with net/http, so that adaptertest.HTTPSuite can run against the net/http adapter
// over any core.Store. The adapter's own tests, the other adapters' byte-for-byte comparisons
// with net/http, the router tests (chi, gorilla/mux, which register AppRoutes themselves) and
// the cross-store conformance module build their servers with it. It is not meant for
// production code.
//
//	f, _ := adaptertest.NewFixture(store)
//	srv := httptest.NewServer(nethttptest.NewServer(f))
//	defer srv.Close()
//	adaptertest.HTTPSuite(t, f.Target(srv.URL))
package nethttptest

import (
	"context"
	"io"
	"net/http"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// ContentJSON is the Content-Type of every app route's answer, the one the core writes.
const ContentJSON = "application/json; charset=utf-8"

// MaxBody caps the bodies the fixture's app routes read (POST /api/notes, /api/payload); a
// larger one is answered 413.
const MaxBody = 64 << 10

// Route is one app route of the fixture: a method, a path without wildcards and its handler,
// already behind the adapter's middleware.
type Route struct {
	Method, Path string
	Handler      http.Handler
}

// AppRoutes returns the app routes listed in the adaptertest.Fixture doc comment, served with
// a, for any router: http.ServeMux (Routes), chi (r.Method(rt.Method, rt.Path, rt.Handler)),
// gorilla/mux (r.Handle(rt.Path, rt.Handler).Methods(rt.Method)).
func AppRoutes(a *httpratchet.Adapter, f *adaptertest.Fixture) []Route {
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Reply(a, w, r, http.StatusOK, f.Me(httpratchet.MustSession(r.Context())), nil)
	})
	optional := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := httpratchet.Session(r.Context()); ok {
			Reply(a, w, r, http.StatusOK, f.Me(s), nil)
			return
		}
		Reply(a, w, r, http.StatusOK, f.Anonymous(), nil)
	})
	notes := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, body, err := f.Notes(r.Context(), httpratchet.MustSession(r.Context()))
		Reply(a, w, r, st, body, err)
	})
	admin := a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}})
	return []Route{
		{"GET", "/api/me", a.Require(me)},
		{"GET", "/api/me/strict", a.RequireStoreCheck(me)},
		{"GET", "/api/optional", a.Optional(optional)},
		{"GET", "/api/notes", a.Require(notes)},
		{"POST", "/api/notes", a.Require(withBody(a, f.AddNote))},
		{"POST", "/api/payload", a.Require(withBody(a, f.MergePayload))},
		{"GET", "/api/admin", admin(me)},
	}
}

// Routes registers the app routes on mux with method patterns ("GET /api/me"). The library
// routes are the caller's: mux.Handle("/auth/", a.Handler()), or a.Routes around the mux.
func Routes(mux *http.ServeMux, a *httpratchet.Adapter, f *adaptertest.Fixture) {
	for _, rt := range AppRoutes(a, f) {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
}

// NewServer is the fixture server with the adapter's own CORS middleware: the handler of
// Server(f, nil).
func NewServer(f *adaptertest.Fixture) http.Handler {
	h, _, _ := Server(f, nil)
	return h
}

// Server is the fixture server: an http.ServeMux with the library routes under /auth/ and the
// app routes, inside cors (nil: the adapter's own CORS middleware). It returns the handler to
// serve, the mux (for tests that add routes; a route added later is served too) and the
// adapter.
func Server(f *adaptertest.Fixture, cors func(http.Handler) http.Handler) (http.Handler, *http.ServeMux, *httpratchet.Adapter) {
	a := httpratchet.New(f.Engine)
	if cors == nil {
		cors = a.CORS
	}
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	Routes(mux, a, f)
	return cors(mux), mux, a
}

// Reply writes a fixture helper's answer as JSON, or its error through the adapter's
// WriteError (which maps a revoked session to 401 and clears tokens).
func Reply(a *httpratchet.Adapter, w http.ResponseWriter, r *http.Request, status int, body []byte, err error) {
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ContentJSON)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// withBody serves a fixture helper that takes the request body, read through MaxBody.
func withBody(a *httpratchet.Adapter, h func(context.Context, *core.Session, []byte) (int, []byte, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			Reply(a, w, r, http.StatusRequestEntityTooLarge, []byte(`{"message":"body too large"}`), nil)
			return
		}
		st, body, err := h(r.Context(), httpratchet.MustSession(r.Context()), in)
		Reply(a, w, r, st, body, err)
	})
}
