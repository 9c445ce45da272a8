package ginratchet

import (
	"github.com/gin-gonic/gin"
	"github.com/ratchetauth/ratchet/internal/httpio"
)

// response adapts a gin.Context to core.Response. It reads c.Writer at each call, so a
// middleware further down the chain that wraps the writer still sees the session's headers.
// It goes through the writer's header map, never c.Header, because c.Header deletes a header
// set to "" and the protocol sends empty st-access-token/st-refresh-token on sign-out.
type response struct{ c *gin.Context }

func (p response) Header(name string) string {
	return httpio.JoinedHeader(p.c.Writer.Header(), name)
}
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
