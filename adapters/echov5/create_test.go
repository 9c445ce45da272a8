package echoratchet_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/core"

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
	srv := serve(t, e)

	in := do(t, "POST", srv.URL+"/login/carol", "")
	at := in.Header.Get(core.HeaderAccessToken)
	if in.Status != 200 || at == "" || in.Header.Get(core.HeaderFrontToken) == "" {
		t.Fatalf("login: %d %s %v", in.Status, in.Body, in.Header)
	}
	if me := do(t, "GET", srv.URL+"/me", "", "Authorization", "Bearer "+at); me.Status != 200 || me.Body != "carol pro" {
		t.Errorf("me: %d %s", me.Status, me.Body)
	}
	ck := do(t, "POST", srv.URL+"/login/dave", "", "st-auth-mode", "cookie")
	if cookieNamed(ck.Header, accessCookie) == nil || cookieNamed(ck.Header, refreshCookie) == nil {
		t.Errorf("cookie-mode login set no cookies: %v", ck.Header.Values("Set-Cookie"))
	}
	no := do(t, "POST", srv.URL+"/login/nobody", "")
	if no.Status != 401 || no.Body != `{"message":"unauthorised"}` || no.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("WriteError: %d %q %s", no.Status, no.Header.Get("Content-Type"), no.Body)
	}
}
