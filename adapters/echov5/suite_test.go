package echoratchet_test

import (
	"testing"

	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// TestHTTPSuite runs the shared wire-protocol conformance suite, attack section included,
// against the Echo v5 adapter, with the adapter's CORS middleware.
func TestHTTPSuite(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, fixtureApp(f, nil))
	adaptertest.HTTPSuite(t, f.Target(srv.URL))
}

// TestHTTPSuiteEchoCORS runs the suite again with Echo's own middleware.CORSWithConfig in place
// of the adapter's CORS, configured as the package documentation says.
func TestHTTPSuiteEchoCORS(t *testing.T) {
	f := newFixture(t)
	srv := serve(t, fixtureApp(f, echoCORS()))
	adaptertest.HTTPSuite(t, f.Target(srv.URL))
}
