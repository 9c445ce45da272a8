package ginratchet_test

import (
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/adapters/gin/gintest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
)

func TestNewNilEnginePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(nil) did not panic")
		}
	}()
	ginratchet.New(nil)
}

// TestResponsesMatchNetHTTP sends the same requests to the gin adapter and to the net/http
// adapter over one engine and requires identical status, headers and bodies: every error
// response is written by the core, so any difference is an adapter bug.
func TestResponsesMatchNetHTTP(t *testing.T) {
	f := newFixture(t)
	adaptercheck.ResponsesMatchNetHTTP(t, f, listen(t, gintest.NewServer(f)))
}

func TestSessionHelpers(t *testing.T) {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	if a.Engine() != f.Engine {
		t.Fatal("Engine() is not the engine passed to New")
	}
	r := gin.New()
	a.Mount(r)
	var seen []string
	r.GET("/none", func(c *gin.Context) {
		if s, ok := ginratchet.Session(c); ok || s != nil {
			t.Error("Session reported a session on a route without middleware")
		}
		func() {
			defer func() {
				if recover() != nil {
					seen = append(seen, "panic")
				}
			}()
			ginratchet.MustSession(c)
		}()
		c.Status(204)
	})
	r.GET("/some", a.Require, func(c *gin.Context) {
		s, ok := ginratchet.Session(c)
		if !ok || s != ginratchet.MustSession(c) {
			t.Error("Session and MustSession disagree behind Require")
		}
		seen = append(seen, s.UserID())
		c.Status(204)
	})
	serve(r, "GET", "/none", "")
	serve(r, "GET", "/some", "", "Authorization", bearer(t, r, "/auth"))
	if strings.Join(seen, ",") != "panic,user-alice" {
		t.Fatalf("seen %v, want MustSession to panic without a session and Session to find alice", seen)
	}
}

// TestCreateSession replaces the library's sign-in route with an app route that calls
// CreateSession (adaptercheck.CreateSessionAndWriteError): the tokens are written and the
// session is available to the same request.
func TestCreateSession(t *testing.T) {
	e := newEngine(t, "/auth", core.Routes{DisableSignIn: true})
	a := ginratchet.New(e)
	r := gin.New()
	a.Mount(r)
	r.POST("/login/:user", func(c *gin.Context) {
		if c.Param("user") == "nobody" {
			a.WriteError(c, &core.Error{Kind: core.ErrUnauthorised, Reason: "unknown user"})
			return
		}
		s, err := a.CreateSession(c, c.Param("user"), core.CreateOptions{Payload: map[string]any{"plan": "pro"}})
		if err != nil {
			a.WriteError(c, err)
			return
		}
		if got, ok := ginratchet.Session(c); !ok || got != s {
			t.Error("CreateSession did not make the session available to Session(c)")
		}
		c.String(200, s.Handle())
	})
	r.GET("/me", a.Require, func(c *gin.Context) {
		s := ginratchet.MustSession(c)
		c.String(200, s.UserID()+" "+s.Claim("plan").(string))
	})

	if x := serve(r, "POST", "/auth/signin", signInBody); x.Status != 404 {
		t.Fatalf("disabled sign-in route: %d %s, want 404", x.Status, x.Body)
	}
	adaptercheck.CreateSessionAndWriteError(t, listen(t, r))
}

// TestWriteErrorAborts: WriteError writes the core's bytes and stops the chain.
func TestWriteErrorAborts(t *testing.T) {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	r := gin.New()
	ran := false
	r.GET("/x", func(c *gin.Context) {
		a.WriteError(c, &core.Error{Kind: core.ErrTryRefresh})
	}, func(*gin.Context) { ran = true })
	x := serve(r, "GET", "/x", "")
	if x.Status != 401 || x.Body != `{"message":"try refresh token"}` || x.Header.Get("Content-Type") != "application/json; charset=utf-8" || ran {
		t.Fatalf("WriteError: %d %q %v, later handler ran: %v", x.Status, x.Body, x.Header, ran)
	}
}
