// Command gin is the ratchet demo on Gin: go run ./examples/gin (or make run).
//
// Everything but the routing lives in examples/internal/demo; see the example contract for
// the environment variables and routes.
package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/examples/internal/demo"
)

func main() {
	demo.Main("Gin", server)
}

// server builds the Gin app around the ready engine.
func server(app *demo.App) demo.Server {
	gin.SetMode(gin.ReleaseMode)
	a := ginratchet.New(app.Engine)
	r := gin.New()
	r.Use(gin.Recovery(), a.CORS) // CORS first: gin applies Use only to routes added later
	a.Mount(r)                    // signin, session/refresh, signout, sessions, jwt/jwks.json

	r.GET("/", func(c *gin.Context) { c.Data(http.StatusOK, demo.ContentTypeHTML, demo.Page) })
	me := func(c *gin.Context) {
		c.Data(http.StatusOK, demo.ContentTypeJSON, demo.Me(ginratchet.MustSession(c)))
	}
	r.GET("/api/me", a.Require, me)
	r.GET("/api/me/strict", a.RequireStoreCheck, me)
	r.GET("/api/notes", a.Require, func(c *gin.Context) {
		body, err := demo.Notes(c.Request.Context(), ginratchet.MustSession(c))
		if err != nil {
			a.WriteError(c, err)
			return
		}
		c.Data(http.StatusOK, demo.ContentTypeJSON, body)
	})
	r.POST("/api/notes", a.Require, func(c *gin.Context) {
		s := ginratchet.MustSession(c)
		status, body, err := demo.AddNote(c.Request.Context(), s, c.Request.Header.Values("Content-Encoding"), c.Request.Body)
		if err != nil {
			a.WriteError(c, err)
			return
		}
		c.Data(status, demo.ContentTypeJSON, body)
	})

	if app.Metrics != nil { // METRICS=1
		r.GET("/metrics", gin.WrapH(app.Metrics))
	}

	return app.HTTPServer(r)
}
