package ginratchet_test

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

func TestCreateSessionSetsContext(t *testing.T) {
	a := ginratchet.New(testkit.NewMemoryEngine(t))
	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		if _, err := a.CreateSession(c, testkit.CreateSessionUser, core.CreateOptions{}); err != nil {
			a.WriteError(c, err)
			return
		}
		if s, ok := ginratchet.Session(c); ok {
			c.String(200, s.UserID())
			return
		}
		c.Status(500)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	testkit.CheckCreateSessionSetsContext(t, srv.URL+"/login")
}
