package adaptertest

import (
	"net/http"
	"testing"
)

// TestFetchWatchCounts shows that the fetch watch used by the jku/x5u attacks can fail: a
// request made to it before the barrier is counted and reported.
func TestFetchWatchCounts(t *testing.T) {
	w := newFetchWatch(t)
	if n, hits := w.fetched(t); n != 0 || len(hits) != 0 {
		t.Fatalf("idle watch: %d connections, hits %q", n, hits)
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := hc.Get(w.srv.URL + "/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	n, hits := w.fetched(t)
	if n != 1 || len(hits) != 1 || hits[0] != "GET /jwks.json" {
		t.Fatalf("after one fetch: %d connections, hits %q; want 1 and [GET /jwks.json]", n, hits)
	}
}
