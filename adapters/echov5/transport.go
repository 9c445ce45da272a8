package echoratchet

import (
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/internal/httpio"
)

// response adapts the writer of c.Response() to core.Response. In Echo v5 c.Response() is an
// http.ResponseWriter, and unless app middleware replaced it (c.SetResponse) it is the
// *echo.Response of the request: writing through it (not the raw writer underneath) keeps
// Echo's Committed, Status and Size right and runs the app's Before/After hooks, and it means
// Echo's HTTPErrorHandler never sees our errors.
type response struct{ w http.ResponseWriter }

// Header joins repeated fields with ", " (core.Response's contract).
func (p response) Header(name string) string    { return httpio.JoinedHeader(p.w.Header(), name) }
func (p response) SetHeader(name, value string) { p.w.Header().Set(name, value) }
func (p response) AddHeader(name, value string) { p.w.Header().Add(name, value) }
func (p response) DelHeader(name string)        { p.w.Header().Del(name) }
func (p response) Write(status int, contentType string, body []byte) {
	if contentType != "" {
		p.w.Header().Set(echo.HeaderContentType, contentType)
	}
	p.w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = p.w.Write(body)
	}
}
