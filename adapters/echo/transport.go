package echoratchet

import (
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// request adapts an Echo request to core.Request. It reads the *http.Request directly:
// Echo's RealIP and proxy-header helpers are deliberately not used.
type request struct{ r *http.Request }

func (q request) Method() string { return q.r.Method }
func (q request) Path() string   { return q.r.URL.Path }
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

// response adapts *echo.Response to core.Response. Writing through echo.Response (not the
// raw http.ResponseWriter) keeps Echo's Committed, Status and Size right and runs the app's
// Before/After hooks, and it means Echo's HTTPErrorHandler never sees our errors.
type response struct{ r *echo.Response }

// Header joins repeated fields with ", ", so a list header that app middleware built with
// several Add calls (Access-Control-Expose-Headers) is extended rather than truncated.
func (p response) Header(name string) string {
	v := p.r.Header().Values(name)
	switch len(v) {
	case 0:
		return ""
	case 1:
		return v[0]
	}
	return strings.Join(v, ", ")
}
func (p response) SetHeader(name, value string) { p.r.Header().Set(name, value) }
func (p response) AddHeader(name, value string) { p.r.Header().Add(name, value) }
func (p response) DelHeader(name string)        { p.r.Header().Del(name) }
func (p response) Write(status int, contentType string, body []byte) {
	if contentType != "" {
		p.r.Header().Set(echo.HeaderContentType, contentType)
	}
	p.r.WriteHeader(status)
	if len(body) > 0 {
		_, _ = p.r.Write(body)
	}
}
