package cors

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/adapters/gin/gintest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

func init() { gin.SetMode(gin.TestMode) }

// ginCORS is gin-contrib/cors configured as the Fixture doc asks: the website origin,
// core.CORSAllowedHeaders and credentials. X-Request-Id stands for the app's own exposed
// header, which the core must append to rather than replace.
func ginCORS() gin.HandlerFunc {
	return cors.New(cors.Config{
		AllowOrigins:     []string{adaptertest.WebsiteOrigin},
		AllowMethods:     []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
		AllowHeaders:     core.CORSAllowedHeaders(),
		ExposeHeaders:    []string{"X-Request-Id"},
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	})
}

func newFixture(t *testing.T) *adaptertest.Fixture {
	t.Helper()
	f, err := adaptertest.NewFixture(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// forAllowedOrigins runs mw only for requests without an Origin or from an origin the engine
// allows. gin-contrib/cors answers every other origin itself, with an empty 403 (see
// TestGinContribCORSRefusesOtherOrigins), so without this the core's own answer to a
// cross-site request, 403 {"message":"anti-csrf check failed"}, never reaches the client.
func forAllowedOrigins(e *core.Engine, mw gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if o := c.GetHeader("Origin"); o != "" && !e.OriginAllowed(o) {
			return
		}
		mw(c)
	}
}

// TestHTTPSuite runs the shared conformance suite, unchanged, with gin-contrib/cors in place
// of the adapter's CORS middleware for the website's origin.
func TestHTTPSuite(t *testing.T) {
	f := newFixture(t)
	r, _ := gintest.Server(f, forAllowedOrigins(f.Engine, ginCORS()))
	srv := httptest.NewServer(r)
	defer srv.Close()
	adaptertest.HTTPSuite(t, f.Target(srv.URL))
}

// serve is one request served in-process.
var serve = testkit.Serve

func listHas(list, name string) bool {
	for _, item := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(item), name) {
			return true
		}
	}
	return false
}

// TestOrdering: gin-contrib/cors on the engine, before Mount and the session middleware.
// Preflights of protected routes and of the library routes are answered by cors without
// reaching the session middleware; a 401 from Require still carries the CORS grant (so the
// SDK can read it and refresh); the core appends its headers to the Expose-Headers value cors
// set; and the preflight allows every header the SDK sends.
func TestOrdering(t *testing.T) {
	f := newFixture(t)
	r, _ := gintest.Server(f, ginCORS())
	origin := adaptertest.WebsiteOrigin

	for _, path := range []string{"/api/me", "/api/me/strict", "/api/admin", "/api/notes", "/auth/signin", "/auth/session/refresh", "/auth/signout"} {
		x := serve(r, "OPTIONS", path, "", "Origin", origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", core.CORSAllowHeaders)
		if x.Status != 204 || x.Header.Get("Access-Control-Allow-Origin") != origin || x.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("preflight %s: %d %q %v", path, x.Status, x.Body, x.Header)
		}
		for _, h := range core.CORSAllowedHeaders() {
			if !listHas(x.Header.Get("Access-Control-Allow-Headers"), h) {
				t.Errorf("preflight %s: Access-Control-Allow-Headers %q lacks %s", path, x.Header.Get("Access-Control-Allow-Headers"), h)
			}
		}
	}

	x := serve(r, "GET", "/api/me", "", "Origin", origin)
	if x.Status != 401 || x.Body != `{"message":"unauthorised"}` || x.Header.Get("Access-Control-Allow-Origin") != origin ||
		x.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("401 from Require: %d %q %v, want the core's body with the CORS grant", x.Status, x.Body, x.Header)
	}

	x = serve(r, "POST", "/auth/signin", `{"email":"`+adaptertest.AliceEmail+`","password":"`+adaptertest.DemoPassword+`"}`, "Origin", origin)
	if x.Status != 200 || x.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("sign-in: %d %q %v", x.Status, x.Body, x.Header)
	}
	lines := x.Header.Values("Access-Control-Expose-Headers")
	if len(lines) != 1 {
		t.Fatalf("Access-Control-Expose-Headers lines %q, want one", lines)
	}
	for _, n := range []string{"X-Request-Id", core.HeaderFrontToken, core.HeaderAccessToken, core.HeaderRefreshToken} {
		if !listHas(lines[0], n) {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", lines[0], n)
		}
	}
	auth := "Bearer " + x.Header.Get(core.HeaderAccessToken)
	if me := serve(r, "GET", "/api/me", "", "Origin", origin, "Authorization", auth); me.Status != 200 || me.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("/api/me with a token: %d %q %v", me.Status, me.Body, me.Header)
	}
}

// TestSessionMiddlewareBeforeCORS: an app that registers the session middleware before
// gin-contrib/cors still gets its preflights answered (OPTIONS passes through Require), but
// its 401s carry no CORS grant, which is why cors must come first.
func TestSessionMiddlewareBeforeCORS(t *testing.T) {
	f := newFixture(t)
	a := ginratchet.New(f.Engine)
	r := gin.New()
	r.Use(a.Require, ginCORS())
	r.GET("/api/me", func(c *gin.Context) { c.String(200, ginratchet.MustSession(c).UserID()) })
	origin := adaptertest.WebsiteOrigin

	x := serve(r, "OPTIONS", "/api/me", "", "Origin", origin, "Access-Control-Request-Method", "GET")
	if x.Status != 204 || x.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("preflight behind Require: %d %v", x.Status, x.Header)
	}
	x = serve(r, "GET", "/api/me", "", "Origin", origin)
	if x.Status != 401 || x.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("401 with Require before cors: %d %v; Require aborts before cors runs, so no grant is expected", x.Status, x.Header)
	}
}

// TestGinContribCORSRefusesOtherOrigins documents what gin-contrib/cors, used on its own, does
// to a request from an origin it does not allow: it aborts with an empty 403 before the
// session middleware or the library routes run. The request is still refused and changes
// nothing, but the client gets gin-contrib/cors's answer instead of the core's
// {"message":"anti-csrf check failed"}.
func TestGinContribCORSRefusesOtherOrigins(t *testing.T) {
	f := newFixture(t)
	r, _ := gintest.Server(f, ginCORS())
	signin := `{"email":"` + adaptertest.AliceEmail + `","password":"` + adaptertest.DemoPassword + `"}`
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/auth/signin", signin},
		{"POST", "/auth/session/refresh", ""},
		{"GET", "/api/me", ""},
	} {
		x := serve(r, tc.method, tc.path, tc.body, "Origin", "http://evil.test", core.HeaderAuthMode, "cookie")
		if x.Status != 403 || x.Body != "" || x.Header.Get("Access-Control-Allow-Origin") != "" ||
			x.Header.Get(core.HeaderFrontToken) != "" || len(x.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("%s %s from another origin: %d %q %v", tc.method, tc.path, x.Status, x.Body, x.Header)
		}
	}
	if n, err := f.Engine.ListSessions(context.Background(), "user-alice"); err != nil || len(n) != 0 {
		t.Errorf("sessions after refused sign-ins: %v %v, want none", n, err)
	}
	// Behind forAllowedOrigins the core answers them itself.
	r, _ = gintest.Server(f, forAllowedOrigins(f.Engine, ginCORS()))
	x := serve(r, "POST", "/auth/signin", signin, "Origin", "http://evil.test")
	if x.Status != 403 || x.Body != `{"message":"anti-csrf check failed"}` {
		t.Errorf("sign-in from another origin behind forAllowedOrigins: %d %q", x.Status, x.Body)
	}
}
