package adaptertest

// HTTPSuite: the attack section. Every attack goes over real HTTP through the adapter under
// test and ends with a check that a legitimate session still works. docs/SECURITY.md maps the
// subtests to the S-items of the security checklist.
//
// Forging a token that is *validly signed* but wrong in some other way (a crit header, a
// missing exp, a duplicate member) needs the server's own signing key: without it the
// signature check alone would reject the token, and the attack would prove nothing about the
// check it targets. Those attacks take the key from the fixture engine's key ring, and each
// group first shows that a token minted the same way with nothing wrong in it is accepted.

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) testAttacks(t *testing.T) {
	// Earlier groups leave failed refreshes on the per-IP limiter; start from a clean window
	// so that 429 never masks the answer an attack is about.
	s.coolDown(t)
	t.Run("jwt", s.attackJWT)
	t.Run("kind_confusion", s.attackKindConfusion)
	t.Run("uniform_errors", s.attackUniformErrors)
	t.Run("csrf", s.attackCSRF)
	t.Run("safe_methods", s.attackSafeMethods)
	t.Run("cookies", s.attackCookies)
	t.Run("fixation", s.attackFixation)
	t.Run("forged_refresh", s.attackForgedRefresh)
	t.Run("session_routes", s.attackSessionRoutes)
}

// coolDown moves the clock past the refresh-guessing limiter's window (one minute by
// default), so that earlier failed refreshes from 127.0.0.1 do not turn a later 401 into 429.
// It stays far below the access-token lifetime, so agents keep working.
func (s *suite) coolDown(t *testing.T) {
	t.Helper()
	s.fx.Clock.Advance(time.Minute + time.Second)
}

// Exact bodies of the two 401 answers of the protocol. An attack may get either, and never
// anything that names the reason.
var (
	body401TryRefresh   = []byte(`{"message":"try refresh token"}`)
	body401Unauthorised = []byte(`{"message":"unauthorised"}`)
)

// reasonWords must never appear in an error body: they would tell an attacker which check
// their token failed.
var reasonWords = []string{"kid", "alg", "signature", "expired", "exp", "iss", "typ", "crit", "malformed",
	"sql", "key", "json", "base64", "revoked", "handle", "invalid", "token is"}

// expectRejected requires a 401 whose body is exactly one of the two protocol bodies (never a
// reason) and that issues no token.
func (s *suite) expectRejected(t *testing.T, r *result, what string) {
	t.Helper()
	if r.Status != 401 {
		t.Errorf("%s: want 401: %s", what, r)
		return
	}
	if !bytes.Equal(r.Body, body401TryRefresh) && !bytes.Equal(r.Body, body401Unauthorised) {
		t.Errorf("%s: the 401 body must be one of the protocol's fixed bodies: %s", what, r)
	}
	low := strings.ToLower(string(r.Body))
	for _, w := range reasonWords {
		if strings.Contains(low, w) {
			t.Errorf("%s: the body names a reason (%q): %s", what, w, r)
		}
	}
	if ct := r.get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want JSON", what, ct)
	}
	expectNoTokens(t, r, s)
}

// expectRejectedOrTooLarge is expectRejected that also accepts the server refusing an
// oversized request before the library sees it (400 or 431, as net/http and fasthttp do).
func (s *suite) expectRejectedOrTooLarge(t *testing.T, r *result, what string) {
	t.Helper()
	if r.Status == 400 || r.Status == 431 {
		expectNoTokens(t, r, s)
		return
	}
	s.expectRejected(t, r, what)
}

// record reads a session's row, for the checks that an attack changed nothing in the store
// (a wire-level check cannot see that a refresh token was not rotated behind the client's
// back).
func (s *suite) record(t *testing.T, handle string) core.Record {
	t.Helper()
	rec, err := s.fx.Store.Get(t.Context(), handle)
	if err != nil {
		t.Fatalf("store: Get(%s): %v", handle, err)
	}
	return *rec
}

// expectUnchanged requires that the session row is still live with the same lineage, data and
// payload as before.
func (s *suite) expectUnchanged(t *testing.T, before core.Record, what string) {
	t.Helper()
	now := s.fx.Clock.Now()
	after := s.record(t, before.Handle)
	switch {
	case after.Revoked || !after.Live(now):
		t.Errorf("%s: the session %s was revoked or expired", what, short(before.Handle))
	case after.CurrentHash != before.CurrentHash || after.PreviousHash != before.PreviousHash:
		t.Errorf("%s: the session %s was rotated", what, short(before.Handle))
	case after.Version != before.Version || !bytes.Equal(after.Data, before.Data) || !bytes.Equal(after.Payload, before.Payload):
		t.Errorf("%s: the data or payload of session %s changed", what, short(before.Handle))
	}
}

// fetchWatch is a loopback HTTP server that counts every connection made to it. Attacks that
// name it in a token (jku, x5u) prove that the server under test never fetches key material.
type fetchWatch struct {
	srv      *httptest.Server
	mu       sync.Mutex
	conns    int // every connection accepted, barriers included
	barriers int
	hits     []string
}

func newFetchWatch(t *testing.T) *fetchWatch {
	t.Helper()
	w := &fetchWatch{}
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/barrier" {
			w.mu.Lock()
			w.hits = append(w.hits, r.Method+" "+r.URL.Path)
			w.mu.Unlock()
		}
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"keys":[]}`))
	}))
	w.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			w.mu.Lock()
			w.conns++
			w.mu.Unlock()
		}
	}
	w.srv.Start() // httptest listens on 127.0.0.1
	t.Cleanup(w.srv.Close)
	return w
}

// fetched reports how many connections other than the barrier's reached the watch, and the
// requests they made. The barrier is one request on a fresh connection: the server's accept
// loop records connections in order, so every connection accepted before the barrier's has
// been counted by the time the barrier is answered.
func (w *fetchWatch) fetched(t *testing.T) (int, []string) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	w.mu.Lock()
	w.barriers++
	w.mu.Unlock()
	resp, err := hc.Get(w.srv.URL + "/barrier")
	if err != nil {
		t.Fatalf("fetch watch barrier: %v", err)
	}
	_ = resp.Body.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conns - w.barriers, append([]string(nil), w.hits...)
}
