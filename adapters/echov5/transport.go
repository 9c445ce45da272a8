package echoratchet

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/httpio"
)

// response adapts the writer of c.Response() to core.Response. In Echo v5 c.Response() is an
// http.ResponseWriter, and unless app middleware replaced it (c.SetResponse) it is the
// *echo.Response of the request: writing through it (not the raw writer underneath) keeps
// Echo's Committed, Status and Size right and runs the app's Before/After hooks, and it means
// Echo's HTTPErrorHandler never sees our errors.
//
// W is *echo.Response in that usual case (see responseOf): a struct of one pointer goes into
// an interface as is, so handing it to the core as a core.Response allocates nothing, where a
// struct holding the http.ResponseWriter interface (two words) is copied to the heap on every
// request.
type response[W http.ResponseWriter] struct{ w W }

// responseOf is c.Response() as a core.Response.
func responseOf(c *echo.Context) core.Response {
	if r, ok := c.Response().(*echo.Response); ok {
		return response[*echo.Response]{r}
	}
	return response[http.ResponseWriter]{c.Response()}
}

// Header joins repeated fields with ", " (core.Response's contract).
func (p response[W]) Header(name string) string    { return httpio.JoinedHeader(p.w.Header(), name) }
func (p response[W]) SetHeader(name, value string) { p.w.Header().Set(name, value) }
func (p response[W]) AddHeader(name, value string) { p.w.Header().Add(name, value) }
func (p response[W]) DelHeader(name string)        { p.w.Header().Del(name) }
func (p response[W]) Write(status int, contentType string, body []byte) {
	if contentType != "" {
		p.w.Header().Set(echo.HeaderContentType, contentType)
	}
	p.w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = p.w.Write(body)
	}
}
