package routers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// app holds the fixture's app handlers (documented on adaptertest.Fixture) as plain
// http.Handlers, ready to be registered on any router.
type app struct {
	f *adaptertest.Fixture
	a *httpratchet.Adapter

	me, strict, optional, notes, addNote, payload, admin http.Handler
}

func newApp(t *testing.T) *app {
	t.Helper()
	f, err := adaptertest.NewFixture(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	x := &app{f: f, a: httpratchet.New(f.Engine)}
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, f.Me(httpratchet.MustSession(r.Context())))
	})
	x.me = x.a.Require(me)
	x.strict = x.a.RequireStoreCheck(me)
	x.admin = x.a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}})(me)
	x.optional = x.a.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := httpratchet.Session(r.Context()); ok {
			writeJSON(w, 200, f.Me(s))
			return
		}
		writeJSON(w, 200, f.Anonymous())
	}))
	x.notes = x.a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, b, err := f.Notes(r.Context(), httpratchet.MustSession(r.Context()))
		x.reply(w, r, st, b, err)
	}))
	x.addNote = x.a.Require(x.withBody(f.AddNote))
	x.payload = x.a.Require(x.withBody(f.MergePayload))
	return x
}

type bodyHandler func(ctx context.Context, s *core.Session, body []byte) (int, []byte, error)

func (x *app) withBody(h bodyHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			writeJSON(w, 413, []byte(`{"message":"body too large"}`))
			return
		}
		st, out, err := h(r.Context(), httpratchet.MustSession(r.Context()), b)
		x.reply(w, r, st, out, err)
	})
}

func (x *app) reply(w http.ResponseWriter, r *http.Request, status int, body []byte, err error) {
	if err != nil {
		x.a.WriteError(w, r, err)
		return
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// run serves h (wrapped in the adapter's CORS) and runs the suite against it.
func (x *app) run(t *testing.T, h http.Handler) {
	t.Helper()
	srv := httptest.NewServer(x.a.CORS(h))
	t.Cleanup(srv.Close)
	adaptertest.HTTPSuite(t, x.f.Target(srv.URL))
}
