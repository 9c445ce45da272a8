package echoratchet_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echov5"
)

// TestCreateSessionAndWriteError: an app's own sign-in handler creates a session with
// CreateSession, and WriteError answers with core's body.
func TestCreateSessionAndWriteError(t *testing.T) {
	f := newFixture(t)
	a := echoratchet.New(f.Engine)
	e := echo.New()
	e.POST("/login/:user", func(c *echo.Context) error {
		if c.Param("user") == "nobody" {
			return a.WriteError(c, &core.Error{Kind: core.ErrUnauthorised, Reason: "unknown user"})
		}
		s, err := a.CreateSession(c, c.Param("user"), core.CreateOptions{Payload: map[string]any{"plan": "pro"}})
		if err != nil {
			return a.WriteError(c, err)
		}
		return c.String(http.StatusOK, s.Handle())
	})
	e.GET("/me", func(c *echo.Context) error {
		s := echoratchet.MustSession(c)
		return c.String(http.StatusOK, s.UserID()+" "+s.Claim("plan").(string))
	}, a.Require)
	adaptercheck.CreateSessionAndWriteError(t, serve(t, e).URL)
}
