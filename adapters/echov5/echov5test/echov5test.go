// Package echov5test is test support for the Echo v5 adapter: it serves adaptertest's fixture
// (the library routes plus the app routes listed in the adaptertest.Fixture doc comment) with
// Echo v5, so that adaptertest.HTTPSuite can run against Echo v5 over any core.Store. The
// adapter's own tests build their servers with it, and so can the cross-store conformance
// module. It is not meant for production code.
//
//	f, _ := adaptertest.NewFixture(store)
//	srv := httptest.NewServer(echov5test.NewServer(f))
//	defer srv.Close()
//	adaptertest.HTTPSuite(t, f.Target(srv.URL))
package echov5test

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v5"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echov5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// NewServer is the fixture server with the adapter's own CORS middleware: Server(f, nil) as
// an http.Handler.
func NewServer(f *adaptertest.Fixture) http.Handler { return Server(f, nil) }

// Server serves the fixture contract (adaptertest.Fixture's doc comment) with Echo v5: the
// library routes via Mount and the app routes behind the adapter's middleware. cors is
// installed with e.Use; nil means the adapter's own CORS middleware.
func Server(f *adaptertest.Fixture, cors echo.MiddlewareFunc) *echo.Echo {
	a := echoratchet.New(f.Engine)
	e := echo.New()
	if cors == nil {
		cors = a.CORS
	}
	e.Use(cors)
	a.Mount(e)

	me := func(c *echo.Context) error {
		return c.JSONBlob(http.StatusOK, f.Me(echoratchet.MustSession(c)))
	}
	e.GET("/api/me", me, a.Require)
	e.GET("/api/me/strict", me, a.RequireStoreCheck)
	e.GET("/api/optional", func(c *echo.Context) error {
		s, ok := echoratchet.Session(c)
		if !ok {
			return c.JSONBlob(http.StatusOK, f.Anonymous())
		}
		return c.JSONBlob(http.StatusOK, f.Me(s))
	}, a.Optional)
	e.GET("/api/notes", func(c *echo.Context) error {
		status, body, err := f.Notes(c.Request().Context(), echoratchet.MustSession(c))
		return reply(a, c, status, body, err)
	}, a.Require)
	e.POST("/api/notes", func(c *echo.Context) error {
		in, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, 64<<10))
		if err != nil {
			return err
		}
		status, body, err := f.AddNote(c.Request().Context(), echoratchet.MustSession(c), in)
		return reply(a, c, status, body, err)
	}, a.Require)
	e.POST("/api/payload", func(c *echo.Context) error {
		in, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, 64<<10))
		if err != nil {
			return err
		}
		status, body, err := f.MergePayload(c.Request().Context(), echoratchet.MustSession(c), in)
		return reply(a, c, status, body, err)
	}, a.Require)
	e.GET("/api/admin", me, a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}}))
	return e
}

// reply writes a Fixture helper's result: the error through the adapter, else the JSON body.
func reply(a *echoratchet.Adapter, c *echo.Context, status int, body []byte, err error) error {
	if err != nil {
		return a.WriteError(c, err)
	}
	return c.JSONBlob(status, body)
}
