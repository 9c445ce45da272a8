package gormtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/sessiontest"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// TestHTTPSuite runs the wire-protocol conformance suite, attack section included, through
// the net/http adapter with the GORM store on every database: what an app gets from ratchet
// over HTTP holds on the store it runs in production, not only on the memory store the
// adapters' own suites use. Each database gets a schema, database or file of its own.
func TestHTTPSuite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		store, _ := newStore(t, b, gormstore.Options{})
		f, err := sessiontest.NewFixture(store)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Engine.Close() }) // before the store closes (cleanups run last-in first-out)
		a := httpratchet.New(f.Engine)
		mux := http.NewServeMux()
		mux.Handle("/auth/", a.Handler())
		mountFixtureApp(mux, f, a)
		srv := httptest.NewServer(a.CORS(mux))
		t.Cleanup(srv.Close)
		sessiontest.HTTPSuite(t, f.Target(srv.URL))
	})
}

// mountFixtureApp registers the app routes sessiontest.Fixture documents.
func mountFixtureApp(mux *http.ServeMux, f *sessiontest.Fixture, a *httpratchet.Adapter) {
	session := func(r *http.Request) *core.Session { return httpratchet.MustSession(r.Context()) }
	reply := func(w http.ResponseWriter, r *http.Request, status int, body []byte, err error) {
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reply(w, r, 200, f.Me(session(r)), nil) })
	withBody := func(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
			if err != nil {
				reply(w, r, 413, []byte(`{"message":"body too large"}`), nil)
				return
			}
			h(w, r, body)
		}
	}
	mux.Handle("GET /api/me", a.Require(me))
	mux.Handle("GET /api/me/strict", a.Strict(me))
	mux.Handle("GET /api/optional", a.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := httpratchet.Session(r.Context()); ok {
			reply(w, r, 200, f.Me(s), nil)
			return
		}
		reply(w, r, 200, f.Anonymous(), nil)
	})))
	mux.Handle("GET /api/notes", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, body, err := f.Notes(r.Context(), session(r))
		reply(w, r, st, body, err)
	})))
	mux.Handle("POST /api/notes", a.Require(withBody(func(w http.ResponseWriter, r *http.Request, in []byte) {
		st, body, err := f.AddNote(r.Context(), session(r), in)
		reply(w, r, st, body, err)
	})))
	mux.Handle("POST /api/payload", a.Require(withBody(func(w http.ResponseWriter, r *http.Request, in []byte) {
		st, body, err := f.MergePayload(r.Context(), session(r), in)
		reply(w, r, st, body, err)
	})))
	admin := a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}})
	mux.Handle("GET /api/admin", admin(me))
}
