// Command echo is the ratchet demo on Echo v4: go run ./examples/echo.
//
// Everything but the routing lives in examples/internal/demo; see the example contract for
// the environment variables and routes.
package main

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echo"
	"github.com/ratchetauth/ratchet/examples/internal/demo"
)

func main() {
	demo.Main("Echo", server)
}

// server builds the Echo app around the ready engine.
func server(app *demo.App) demo.Server {
	a := echoratchet.New(app.Engine)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Pre(a.CORS) // before routing, so preflights of any path are answered
	e.Use(middleware.Recover())
	a.Mount(e) // signin, session/refresh, signout, sessions, jwt/jwks.json

	e.GET("/", func(c echo.Context) error { return c.Blob(http.StatusOK, demo.ContentTypeHTML, demo.Page) })
	me := func(c echo.Context) error {
		return c.Blob(http.StatusOK, demo.ContentTypeJSON, demo.Me(echoratchet.MustSession(c)))
	}
	e.GET("/api/me", me, a.Require)
	e.GET("/api/me/strict", me, a.RequireStoreCheck)
	e.GET("/api/notes", func(c echo.Context) error {
		body, err := demo.Notes(c.Request().Context(), echoratchet.MustSession(c))
		if err != nil {
			return a.WriteError(c, err)
		}
		return c.Blob(http.StatusOK, demo.ContentTypeJSON, body)
	}, a.Require)
	e.POST("/api/notes", func(c echo.Context) error {
		s := echoratchet.MustSession(c)
		status, body, err := demo.AddNote(c.Request().Context(), s, c.Request().Header.Values("Content-Encoding"), c.Request().Body)
		if err != nil {
			return a.WriteError(c, err)
		}
		return c.Blob(status, demo.ContentTypeJSON, body)
	}, a.Require)

	if app.Metrics != nil { // METRICS=1
		e.GET("/metrics", echo.WrapHandler(app.Metrics))
	}

	return app.HTTPServer(e)
}
