// Package httpio adapts net/http's request and response to core.Request and core.Response.
// The net/http, Gin and Echo adapters share it (their requests are *http.Request); it is
// internal because it is glue, not API: an app talks to its framework's adapter.
package httpio

import (
	"io"
	"net/http"
	"strings"

	"github.com/ratchetauth/ratchet/core"
)

// Request adapts an *http.Request to core.Request.
func Request(r *http.Request) core.Request { return request{r} }

// Response adapts an http.ResponseWriter to core.Response (a Writer; converting it to the
// interface allocates, see Writer).
func Response(w http.ResponseWriter) core.Response { return Writer{w} }

// JoinedHeader returns every field of the header name in h joined with ", ", which is what
// core.Response.Header must return: app middleware may have added a list header (such as
// Access-Control-Expose-Headers) in several fields, and appending must keep all of them.
func JoinedHeader(h http.Header, name string) string {
	v := h.Values(name)
	if len(v) == 1 {
		return v[0]
	}
	return strings.Join(v, ", ")
}

// request adapts *http.Request to core.Request.
type request struct{ r *http.Request }

func (q request) Method() string { return q.r.Method }
func (q request) Path() string   { return q.r.URL.Path }
func (q request) Query() string  { return q.r.URL.RawQuery }
func (q request) Header(name string) string {
	if name == "Host" {
		return q.r.Host
	}
	// Core asks for canonical names ("Authorization", "Origin"): indexing the map directly
	// skips Get's canonicalisation, a tenth of a warm request. Other spellings still work.
	if v, ok := q.r.Header[name]; ok {
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	return q.r.Header.Get(name)
}
func (q request) CookieHeader() string {
	v := q.r.Header["Cookie"]
	switch len(v) {
	case 0:
		return ""
	case 1:
		return v[0]
	}
	return strings.Join(v, "; ")
}
func (q request) Body() io.Reader {
	if q.r.Body == nil {
		return http.NoBody
	}
	return q.r.Body
}
func (q request) RemoteAddr() string { return q.r.RemoteAddr }

// Writer adapts http.ResponseWriter to core.Response. It holds an interface (two words), so
// converting a Writer to core.Response copies it to the heap: one allocation per request. An
// adapter that allocates a per-request struct anyway can embed a Writer in it and hand the
// core a pointer to that struct instead (adapters/nethttp does).
type Writer struct{ W http.ResponseWriter }

// Header reads several fields of one header (two Access-Control-Expose-Headers lines set by
// app middleware, say) as one comma-joined list, so appending never drops any.
func (p Writer) Header(name string) string    { return JoinedHeader(p.W.Header(), name) }
func (p Writer) SetHeader(name, value string) { p.W.Header().Set(name, value) }
func (p Writer) AddHeader(name, value string) { p.W.Header().Add(name, value) }
func (p Writer) DelHeader(name string)        { p.W.Header().Del(name) }
func (p Writer) Write(status int, contentType string, body []byte) {
	if contentType != "" {
		p.W.Header().Set("Content-Type", contentType)
	}
	p.W.WriteHeader(status)
	if len(body) > 0 {
		_, _ = p.W.Write(body)
	}
}
