package echoratchet

import (
	"github.com/labstack/echo/v4"
	"github.com/ratchetauth/ratchet/internal/httpio"
)

// response adapts *echo.Response to core.Response. Writing through echo.Response (not the
// raw http.ResponseWriter) keeps Echo's Committed, Status and Size right and runs the app's
// Before/After hooks, and it means Echo's HTTPErrorHandler never sees our errors.
type response struct{ r *echo.Response }

// Header joins repeated fields with ", " (core.Response's contract).
func (p response) Header(name string) string    { return httpio.JoinedHeader(p.r.Header(), name) }
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
