package routers

import (
	"net/http"
	"net/http/httptest"
	"testing"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// app is the fixture and its net/http adapter; each router registers nethttptest.AppRoutes
// (the app routes documented on adaptertest.Fixture) its own way.
type app struct {
	f *adaptertest.Fixture
	a *httpratchet.Adapter
}

func newApp(t *testing.T) *app {
	t.Helper()
	f, err := adaptertest.NewFixture(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	return &app{f: f, a: httpratchet.New(f.Engine)}
}

// appRoutes is nethttptest.AppRoutes for this fixture.
func (x *app) appRoutes() []nethttptest.Route { return nethttptest.AppRoutes(x.a, x.f) }

// run serves h (wrapped in the adapter's CORS) and runs the suite against it.
func (x *app) run(t *testing.T, h http.Handler) {
	t.Helper()
	srv := httptest.NewServer(x.a.CORS(h))
	t.Cleanup(srv.Close)
	adaptertest.HTTPSuite(t, x.f.Target(srv.URL))
}
