package ginratchet_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/adapters/gin/gintest"
	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

func TestNewNilEnginePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New(nil) did not panic")
		}
	}()
	ginratchet.New(nil)
}

// TestResponsesMatchNetHTTP sends the same requests, carrying the same tokens, to the gin
// adapter and to the net/http adapter over one engine and requires identical status, headers
// and bodies: every error response is written by the core, so any difference is an adapter bug.
func TestResponsesMatchNetHTTP(t *testing.T) {
	f := newFixture(t)
	gr, _ := gintest.Server(f, nil)
	nh := nethttptest.NewServer(f)

	bob := signIn(t, gr, "/auth", "header", adaptercheck.BobSignInBody)
	bobAuth := "Bearer " + bob.Header.Get(core.HeaderAccessToken)
	alice := cookies(signIn(t, gr, "/auth", "cookie", signInBody).Header)
	aliceCookies := cookieLine(t, alice["sAccessToken"], alice["sRefreshToken"])
	gone := bearer(t, gr, "/auth")
	if x := serve(gr, "POST", "/auth/signout", "", "Authorization", gone); x.Status != 200 {
		t.Fatalf("sign-out: %d %s", x.Status, x.Body)
	}

	cases := []struct {
		name, method, path, body string
		hdr                      []string
	}{
		{"no token", "GET", "/api/me", "", nil},
		{"malformed bearer", "GET", "/api/me", "", []string{"Authorization", "Bearer abc.def.ghi"}},
		{"bad signature", "GET", "/api/me", "", []string{"Authorization", bobAuth[:len(bobAuth)-4] + "AAAA"}},
		{"duplicate access cookies", "GET", "/api/me", "", []string{"Cookie", "sAccessToken=a", "Cookie", "sAccessToken=b"}},
		{"optional with garbage", "GET", "/api/optional", "", []string{"Authorization", "Bearer abc.def.ghi"}},
		{"optional anonymous", "GET", "/api/optional", "", nil},
		{"valid bearer", "GET", "/api/me", "", []string{"Authorization", bobAuth}},
		{"invalid claim", "GET", "/api/admin", "", []string{"Authorization", bobAuth}},
		{"strict revoked", "GET", "/api/me/strict", "", []string{"Authorization", gone}},
		{"cookie signout without rid", "POST", "/auth/signout", "", []string{"Cookie", aliceCookies}},
		{"cookie signout bad origin", "POST", "/auth/signout", "", []string{"Cookie", aliceCookies, "rid", "session", "Origin", "http://evil.test"}},
		{"refresh without token", "POST", "/auth/session/refresh", "", nil},
		{"refresh garbage", "POST", "/auth/session/refresh", "", []string{"Authorization", "Bearer nonsense"}},
		{"signin wrong method", "GET", "/auth/signin", "", nil},
		{"jwks wrong method", "POST", "/auth/jwt/jwks.json", "", nil},
		{"signin text/plain", "POST", "/auth/signin", "", []string{"Content-Type", "text/plain"}},
		{"signin not json", "POST", "/auth/signin", "{", nil},
		{"signin wrong password", "POST", "/auth/signin", `{"email":"alice@example.com","password":"x"}`, nil},
		{"sessions without token", "GET", "/auth/sessions", "", nil},
		{"delete unknown handle", "DELETE", "/auth/sessions/nope", "", []string{"Authorization", bobAuth}},
		{"delete nested handle", "DELETE", "/auth/sessions/a/b", "", []string{"Authorization", bobAuth}},
		{"jwks", "GET", "/auth/jwt/jwks.json", "", nil},
		{"jwks head", "HEAD", "/auth/jwt/jwks.json", "", nil},
		{"preflight allowed", "OPTIONS", "/api/me", "", []string{"Origin", adaptertest.WebsiteOrigin, "Access-Control-Request-Method", "GET"}},
		{"preflight auth route", "OPTIONS", "/auth/signin", "", []string{"Origin", adaptertest.WebsiteOrigin, "Access-Control-Request-Method", "POST"}},
		{"preflight disallowed", "OPTIONS", "/api/me", "", []string{"Origin", "http://evil.test", "Access-Control-Request-Method", "GET"}},
		{"cors 401", "GET", "/api/me", "", []string{"Origin", adaptertest.WebsiteOrigin}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := serve(nh, tc.method, tc.path, tc.body, tc.hdr...)
			got := serve(gr, tc.method, tc.path, tc.body, tc.hdr...)
			if got.Status != want.Status || got.Body != want.Body {
				t.Errorf("gin %d %q, net/http %d %q", got.Status, got.Body, want.Status, want.Body)
			}
			// Content-Length is the framework's business on the app's own 200s (gin ≥ 1.12
			// sets it in c.Data); a real server adds it to both anyway.
			got.Header.Del("Content-Length")
			want.Header.Del("Content-Length")
			if !reflect.DeepEqual(got.Header, want.Header) {
				t.Errorf("headers differ\ngin:      %v\nnet/http: %v", got.Header, want.Header)
			}
		})
	}
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
