package echoratchet_test

import (
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	echoratchet "github.com/ratchetauth/ratchet/adapters/echo"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

func TestCreateSessionSetsContext(t *testing.T) {
	a := echoratchet.New(testkit.NewMemoryEngine(t))
	e := echo.New()
	e.POST("/login", func(c echo.Context) error {
		if _, err := a.CreateSession(c, testkit.CreateSessionUser, core.CreateOptions{}); err != nil {
			return a.WriteError(c, err)
		}
		if s, ok := echoratchet.Session(c); ok {
			return c.String(200, s.UserID())
		}
		return c.NoContent(500)
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	testkit.CheckCreateSessionSetsContext(t, srv.URL+"/login")
}
