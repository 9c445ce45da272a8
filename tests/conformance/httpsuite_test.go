package conformance

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ratchetauth/ratchet/adapters/echo/echotest"
	"github.com/ratchetauth/ratchet/adapters/fiber/fibertest"
	"github.com/ratchetauth/ratchet/adapters/gin/gintest"
	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// adapter serves a fixture and returns its base URL; the server stops when the test ends.
type adapter struct {
	name  string
	serve func(t *testing.T, f *adaptertest.Fixture) string
}

var adapters = []adapter{
	{name: "nethttp", serve: func(t *testing.T, f *adaptertest.Fixture) string { return serveHandler(t, netHTTPServer(f)) }},
	{name: "gin", serve: func(t *testing.T, f *adaptertest.Fixture) string { return serveHandler(t, gintest.NewServer(f)) }},
	{name: "echo", serve: func(t *testing.T, f *adaptertest.Fixture) string { return serveHandler(t, echotest.NewServer(f)) }},
	{name: "fiber", serve: serveFiber},
}

// TestHTTPSuite runs the wire-protocol conformance suite, attack section included, on every
// adapter with the GORM store on every database: database × adapter, one after the other (a
// run is several seconds of database round trips; running them side by side on a small
// machine only trades them for timeouts). Each run has a database, schema or file of its own.
func TestHTTPSuite(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			for _, a := range adapters {
				t.Run(a.name, func(t *testing.T) {
					f, err := adaptertest.NewFixture(newGORMStore(t, db))
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = f.Engine.Close() }) // before the store closes (cleanups run last-in first-out)
					adaptertest.HTTPSuite(t, f.Target(a.serve(t, f)))
				})
			}
		})
	}
}

func serveHandler(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// serveFiber runs the fibertest app on a real loopback listener. The suite's clients close
// their idle connections in their own cleanups, which run before this one.
func serveFiber(t *testing.T, f *adaptertest.Fixture) string {
	url, shutdown, err := fibertest.Serve(fibertest.NewApp(f))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := shutdown(); err != nil {
			t.Error(err)
		}
	})
	return url
}

// netHTTPServer serves the fixture with the net/http adapter: its CORS, the library routes
// under /auth/ and the app routes adaptertest.Fixture documents.
func netHTTPServer(f *adaptertest.Fixture) http.Handler {
	a := httpratchet.New(f.Engine)
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
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
				reply(w, r, http.StatusRequestEntityTooLarge, []byte(`{"message":"body too large"}`), nil)
				return
			}
			h(w, r, body)
		}
	}
	mux.Handle("GET /api/me", a.Require(me))
	mux.Handle("GET /api/me/strict", a.RequireStoreCheck(me))
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
	mux.Handle("GET /api/admin", a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}})(me))
	return a.CORS(mux)
}
