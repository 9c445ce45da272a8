package fiberratchet_test

import (
	"testing"

	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// TestHTTPSuite runs the shared wire-protocol conformance suite against the Fiber adapter with
// its own CORS middleware.
func TestHTTPSuite(t *testing.T) {
	f := newFixture(t)
	app, _ := fixtureApp(f, nil)
	adaptertest.HTTPSuite(t, f.Target(serve(t, app)))
}

// TestHTTPSuiteFiberCORS runs the suite with Fiber's own CORS middleware in front instead.
func TestHTTPSuiteFiberCORS(t *testing.T) {
	f := newFixture(t)
	app, _ := fixtureApp(f, fiberCORS())
	adaptertest.HTTPSuite(t, f.Target(serve(t, app)))
}
