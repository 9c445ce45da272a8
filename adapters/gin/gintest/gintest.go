// Package gintest is test support for the gin adapter: it serves adaptertest's fixture (the
// library routes plus the app routes listed in the adaptertest.Fixture doc comment) on a gin
// router, so that adaptertest.HTTPSuite can run against gin over any core.Store. The adapter's
// own tests, the gin-contrib/cors tests and the cross-store conformance module build their
// servers with it. It is not meant for production code.
//
//	f, _ := adaptertest.NewFixture(store)
//	srv := httptest.NewServer(gintest.NewServer(f))
//	defer srv.Close()
//	adaptertest.HTTPSuite(t, f.Target(srv.URL))
package gintest

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

const contentJSON = "application/json; charset=utf-8"

// Routes registers the app routes listed in the adaptertest.Fixture doc comment on r.
func Routes(r gin.IRouter, a *ginratchet.Adapter, f *adaptertest.Fixture) {
	r.GET("/api/me", a.Require, func(c *gin.Context) { me(c, f) })
	r.GET("/api/me/strict", a.RequireStoreCheck, func(c *gin.Context) { me(c, f) })
	r.GET("/api/optional", a.Optional, func(c *gin.Context) {
		if _, ok := ginratchet.Session(c); !ok {
			c.Data(http.StatusOK, contentJSON, f.Anonymous())
			return
		}
		me(c, f)
	})
	r.GET("/api/notes", a.Require, func(c *gin.Context) {
		reply(c, a)(f.Notes(c.Request.Context(), ginratchet.MustSession(c)))
	})
	r.POST("/api/notes", a.Require, withBody(func(c *gin.Context, body []byte) {
		reply(c, a)(f.AddNote(c.Request.Context(), ginratchet.MustSession(c), body))
	}))
	r.POST("/api/payload", a.Require, withBody(func(c *gin.Context, body []byte) {
		reply(c, a)(f.MergePayload(c.Request.Context(), ginratchet.MustSession(c), body))
	}))
	r.GET("/api/admin", a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}}),
		func(c *gin.Context) { me(c, f) })
}

// NewServer is the fixture server with the adapter's own CORS middleware: Server(f, nil)
// as an http.Handler.
func NewServer(f *adaptertest.Fixture) http.Handler {
	r, _ := Server(f, nil)
	return r
}

// Server is a gin router with CORS, the library routes under the fixture's base path and the
// app routes. cors is the CORS middleware to install first (nil: the adapter's own).
func Server(f *adaptertest.Fixture, cors gin.HandlerFunc) (*gin.Engine, *ginratchet.Adapter) {
	a := ginratchet.New(f.Engine)
	r := gin.New()
	if cors == nil {
		cors = a.CORS
	}
	r.Use(cors)
	a.Mount(r)
	Routes(r, a, f)
	return r, a
}

func me(c *gin.Context, f *adaptertest.Fixture) {
	c.Data(http.StatusOK, contentJSON, f.Me(ginratchet.MustSession(c)))
}

// reply writes a fixture helper's result: an error goes through the adapter's WriteError.
func reply(c *gin.Context, a *ginratchet.Adapter) func(int, []byte, error) {
	return func(status int, body []byte, err error) {
		if err != nil {
			a.WriteError(c, err)
			return
		}
		c.Data(status, contentJSON, body)
	}
}

func withBody(h func(*gin.Context, []byte)) gin.HandlerFunc {
	return func(c *gin.Context) {
		body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
		if err != nil {
			c.Data(http.StatusRequestEntityTooLarge, contentJSON, []byte(`{"message":"body too large"}`))
			return
		}
		h(c, body)
	}
}
