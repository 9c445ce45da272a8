package ginratchet

import (
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// request adapts the *http.Request under a gin.Context to core.Request.
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

// RemoteAddr is the peer address. gin's ClientIP is deliberately not used: it trusts proxy
// headers unless the app configures trusted proxies, and the core never trusts them.
func (q request) RemoteAddr() string { return q.r.RemoteAddr }

// response adapts a gin.Context to core.Response. It reads c.Writer at each call, so a
// middleware further down the chain that wraps the writer still sees the session's headers.
// It goes through the writer's header map, never c.Header, because c.Header deletes a header
// set to "" and the protocol sends empty st-access-token/st-refresh-token on sign-out.
type response struct{ c *gin.Context }

func (p response) Header(name string) string    { return p.c.Writer.Header().Get(name) }
func (p response) SetHeader(name, value string) { p.c.Writer.Header().Set(name, value) }
func (p response) AddHeader(name, value string) { p.c.Writer.Header().Add(name, value) }
func (p response) DelHeader(name string)        { p.c.Writer.Header().Del(name) }
func (p response) Write(status int, contentType string, body []byte) {
	w := p.c.Writer
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	if len(body) == 0 {
		// gin defers the status line until the first body write; send it now so an aborted
		// chain cannot change it.
		w.WriteHeaderNow()
		return
	}
	_, _ = w.Write(body)
}
