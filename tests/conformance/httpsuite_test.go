package conformance

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ratchetauth/ratchet/adapters/echo/echotest"
	"github.com/ratchetauth/ratchet/adapters/echov5/echov5test"
	"github.com/ratchetauth/ratchet/adapters/fiber/fibertest"
	"github.com/ratchetauth/ratchet/adapters/gin/gintest"
	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// adapter serves a fixture and returns its base URL; the server stops when the test ends.
type adapter struct {
	name  string
	serve func(t *testing.T, f *adaptertest.Fixture) string
}

var adapters = []adapter{
	{name: "nethttp", serve: func(t *testing.T, f *adaptertest.Fixture) string { return serveHandler(t, nethttptest.NewServer(f)) }},
	{name: "gin", serve: func(t *testing.T, f *adaptertest.Fixture) string { return serveHandler(t, gintest.NewServer(f)) }},
	{name: "echo", serve: func(t *testing.T, f *adaptertest.Fixture) string { return serveHandler(t, echotest.NewServer(f)) }},
	{name: "echov5", serve: func(t *testing.T, f *adaptertest.Fixture) string { return serveHandler(t, echov5test.NewServer(f)) }},
	{name: "fiber", serve: serveFiber},
}

// TestHTTPSuite runs the wire-protocol conformance suite, attack section included, on every
// adapter with the GORM store on every database: database × adapter, one after the other (a
// run is several seconds of database round trips; running them side by side on a small
// machine only trades them for timeouts). Each run has a database, schema or file of its own.
func TestHTTPSuite(t *testing.T) {
	for _, db := range databases {
		t.Run(string(db), func(t *testing.T) {
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
