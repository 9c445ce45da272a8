package ginratchet_test

import (
	"net/http/httptest"
	"testing"

	"github.com/ratchetauth/ratchet/adapters/gin/gintest"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// TestHTTPSuite runs the shared conformance suite, unchanged, against the gin adapter on the
// memory store, with the adapter's own CORS middleware.
func TestHTTPSuite(t *testing.T) {
	f, err := adaptertest.NewFixture(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := gintest.Server(f, nil)
	srv := httptest.NewServer(r)
	defer srv.Close()
	adaptertest.HTTPSuite(t, f.Target(srv.URL))
}
