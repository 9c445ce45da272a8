package echoratchet_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"

	"github.com/ratchetauth/ratchet/adapters/echov5/echov5test"
)

// newFixture builds the adaptertest fixture engine on the memory store.
func newFixture(t testing.TB) *adaptertest.Fixture {
	t.Helper()
	f, err := adaptertest.NewFixture(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fixtureApp is echov5test.Server: the fixture contract served with Echo v5, cors first (nil:
// the adapter's own CORS middleware).
func fixtureApp(f *adaptertest.Fixture, cors echo.MiddlewareFunc) *echo.Echo {
	return echov5test.Server(f, cors)
}

// serve starts an httptest server for h and closes it when the test ends.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
