package ginratchet_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

func init() { gin.SetMode(gin.TestMode) }

// The framework-neutral helpers are adaptercheck's, shared with the other adapters' tests.
const signInBody = adaptercheck.SignInBody

var newFixture = adaptercheck.NewFixture

// listen serves h on a real listener until the test ends and returns its URL.
func listen(t testing.TB, h http.Handler) string { return adaptercheck.Serve(t, h).URL }

// newEngine is the fixture's configuration with a different base path and routes.
func newEngine(t testing.TB, base string, routes core.Routes) *core.Engine {
	t.Helper()
	e, err := core.New(core.Config{
		Store:          memory.New(),
		BasePath:       base,
		Routes:         routes,
		AllowedOrigins: []string{adaptertest.WebsiteOrigin},
		Cookies:        core.CookieConfig{Insecure: true},
		Authenticate:   adaptertest.DemoAuthenticate,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// exchange and serve: one request served in-process (testkit.Serve).
type exchange = testkit.Exchange

var serve = testkit.Serve

// signIn signs a user in through {base}/signin and returns the exchange. mode is "header" or
// "cookie".
func signIn(t testing.TB, h http.Handler, base, mode, body string, hdr ...string) exchange {
	t.Helper()
	x := serve(h, "POST", base+"/signin", body, append([]string{core.HeaderAuthMode, mode}, hdr...)...)
	if x.Status != 200 || !strings.Contains(x.Body, `"OK"`) {
		t.Fatalf("sign-in: %d %s", x.Status, x.Body)
	}
	return x
}

// bearer signs alice in in header mode and returns the Authorization value.
func bearer(t testing.TB, h http.Handler, base string) string {
	t.Helper()
	x := signIn(t, h, base, "header", signInBody)
	return "Bearer " + x.Header.Get(core.HeaderAccessToken)
}
