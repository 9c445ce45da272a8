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

// Response adapts an http.ResponseWriter to core.Response.
func Response(w http.ResponseWriter) core.Response { return response{w} }

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

// response adapts http.ResponseWriter to core.Response.
type response struct{ w http.ResponseWriter }

// Header reads several fields of one header (two Access-Control-Expose-Headers lines set by
// app middleware, say) as one comma-joined list, so appending never drops any.
func (p response) Header(name string) string    { return JoinedHeader(p.w.Header(), name) }
func (p response) SetHeader(name, value string) { p.w.Header().Set(name, value) }
func (p response) AddHeader(name, value string) { p.w.Header().Add(name, value) }
func (p response) DelHeader(name string)        { p.w.Header().Del(name) }
func (p response) Write(status int, contentType string, body []byte) {
	if contentType != "" {
		p.w.Header().Set("Content-Type", contentType)
	}
	p.w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = p.w.Write(body)
	}
}
