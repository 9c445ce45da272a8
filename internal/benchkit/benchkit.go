// Package benchkit holds the framework-neutral half of the router benchmarks under
// tests/bench: the fixture every row shares (engines, a signed-in session, the peers' tokens),
// the one request and response shape, a reusable response sink and the loop that serves one
// request through an http.Handler b.N times. Each benchmark module keeps only its framework's
// routing. It is internal: it promises nothing beyond what those benchmarks need.
package benchkit

import (
	"net/http"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// sink is a reusable http.ResponseWriter, so every variant pays the same (near zero, no
// allocation once its body buffer has grown) for the response side and the numbers show only
// routing, middleware and handler. Like net/http's own writer it is an io.StringWriter, so a
// handler's io.WriteString copies no string to a new []byte.
type sink struct {
	h      http.Header
	status int
	body   []byte
}

func (s *sink) Header() http.Header         { return s.h }
func (s *sink) WriteHeader(code int)        { s.status = code }
func (s *sink) Write(p []byte) (int, error) { s.body = append(s.body, p...); return len(p), nil }
func (s *sink) WriteString(p string) (int, error) {
	s.body = append(s.body, p...)
	return len(p), nil
}
func (s *sink) reset() { clear(s.h); s.status, s.body = 0, s.body[:0] }

// Get is GET /api/me from 192.0.2.1, with header set to value unless header is empty.
func Get(header, value string) *http.Request {
	r, _ := http.NewRequest("GET", "/api/me", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	if header != "" {
		r.Header.Set(header, value)
	}
	return r
}

// Cookie is Get with tok in e's access-token cookie.
func Cookie(e *core.Engine, tok string) *http.Request {
	access, _ := testkit.CookieNames(e)
	return Get("Cookie", access+"="+tok)
}
