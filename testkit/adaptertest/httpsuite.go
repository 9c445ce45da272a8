package adaptertest

import (
	"github.com/ratchetauth/ratchet/internal/testkit"
	"net/http"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

// HTTPSuite drives the whole wire protocol over real HTTP against a running fixture server:
// sign-in, verification, refresh and rotation (R1–R3 over the wire), sign-out, session data,
// payload updates, the sessions routes, JWKS and CORS. It is black-box: it uses only net/http
// clients, moves time with target.Fixture.Clock and reads target.Fixture.Store only where a
// wire-level check is impossible (for example, that a session secret never leaks).
//
// The server must mount the library routes under /auth and the app routes documented on
// Fixture, with CORS enabled for WebsiteOrigin. Every adapter in this repository (net/http
// with ServeMux, chi and gorilla/mux; Gin; Echo; Fiber) runs it unchanged.
//
// Subtests run sequentially because they share the fixture's clock; each one signs in afresh
// and does not depend on any other. The suite needs a fresh fixture per call only in that it
// advances the fixture's clock (by far less than the refresh lifetime).
func HTTPSuite(t *testing.T, target Target) {
	t.Helper()
	if target.URL == "" || target.Fixture == nil || target.Fixture.Engine == nil || target.Fixture.Clock == nil {
		t.Fatal("adaptertest.HTTPSuite: Target needs a URL and a Fixture built by NewFixture")
	}
	s := &suite{c: newClient(t, target), fx: target.Fixture, e: target.Fixture.Engine}
	s.accessCookie, s.refreshCookie = testkit.CookieNames(s.e)
	s.refreshPath = testkit.RefreshPath(s.e)

	// Fail fast, with one clear message, if the server is not serving the fixture at all.
	if r := s.c.do(t, "GET", "/auth/jwt/jwks.json", nil); r.Status != 200 {
		t.Fatalf("the target does not serve the library routes under /auth: %s", r)
	}

	t.Run("signin", s.testSignIn)
	t.Run("verification", s.testVerification)
	t.Run("refresh", s.testRefresh)
	t.Run("signout", s.testSignOut)
	t.Run("notes", s.testNotes)
	t.Run("payload", s.testPayload)
	t.Run("sessions", s.testSessions)
	t.Run("devices", s.testDevices)
	t.Run("jwks", s.testJWKS)
	t.Run("wire", s.testWire)
	t.Run("cors", s.testCORS)
	t.Run("management", s.testManagement)
	t.Run("hardening", s.testHardening)
	t.Run("attacks", s.testAttacks)
	t.Run("admin", s.testAdmin) // last: it ends by revoking every session
}

// suite is one HTTPSuite run.
type suite struct {
	c  *client
	fx *Fixture
	e  *core.Engine

	accessCookie, refreshCookie, refreshPath string
}

// hostileOrigin is an origin the fixture does not allow.
const hostileOrigin = "http://evil.example"

// transfer is a token transfer method as the client chooses it at sign-in.
type transfer string

const (
	headerMode transfer = "header"
	cookieMode transfer = "cookie"
)

// agent is one signed-in client (a browser tab or an app install) that behaves like the
// frontend SDK: it sends rid and st-auth-mode, attaches its tokens (Authorization: Bearer in
// header mode, path-scoped cookies in cookie mode) and keeps what responses give it.
type agent struct {
	s      *suite
	mode   transfer
	userID string
	access string // header mode: from st-access-token
	rt     string // header mode: from st-refresh-token
	front  string
	jar    *jar // cookie mode
}

func userIDOf(email string) string {
	switch email {
	case AliceEmail:
		return "user-alice"
	case BobEmail:
		return "user-bob"
	case CarolEmail:
		return "user-carol"
	}
	return ""
}

// signInBody is the JSON of a sign-in with DemoPassword.
func signInBody(t *testing.T, email string) []byte {
	return jsonBody(t, map[string]string{"email": email, "password": DemoPassword})
}

// signIn signs email in with the given transfer method; header mode sends no st-auth-mode,
// which must default to header. It fails the test unless the sign-in succeeds.
func (s *suite) signIn(t *testing.T, email string, mode transfer, opts ...reqOpt) *agent {
	t.Helper()
	a := &agent{s: s, mode: mode, userID: userIDOf(email), jar: newJar()}
	if mode == cookieMode {
		opts = append([]reqOpt{withHeader(core.HeaderAuthMode, "cookie")}, opts...)
	}
	r := s.c.do(t, "POST", "/auth/signin", signInBody(t, email), opts...)
	if r.Status != 200 {
		t.Fatalf("sign-in of %s failed: %s", email, r)
	}
	if st := r.json(t)["status"]; st != "OK" {
		t.Fatalf("sign-in of %s: status %v, want OK: %s", email, st, r)
	}
	a.absorb(r)
	if a.accessToken() == "" || a.refreshToken() == "" {
		t.Fatalf("sign-in of %s in %s mode returned no tokens: %s (headers %v)", email, mode, r, r.Header)
	}
	return a
}

// absorb keeps the tokens a response hands out, as the SDK does.
func (a *agent) absorb(r *result) {
	if r.has(core.HeaderAccessToken) {
		a.access = r.get(core.HeaderAccessToken)
	}
	if r.has(core.HeaderRefreshToken) {
		a.rt = r.get(core.HeaderRefreshToken)
	}
	a.jar.update(r.setCookies(), a.s.fx.Clock.Now())
	if r.has(core.HeaderFrontToken) {
		if v := r.get(core.HeaderFrontToken); v == "remove" {
			a.front = ""
		} else {
			a.front = v
		}
	}
}

// accessToken is the agent's current access token.
func (a *agent) accessToken() string {
	if a.mode == cookieMode {
		return a.jar.get(a.s.accessCookie)
	}
	return a.access
}

// refreshToken is the agent's current refresh token.
func (a *agent) refreshToken() string {
	if a.mode == cookieMode {
		return a.jar.get(a.s.refreshCookie)
	}
	return a.rt
}

// handle is the session handle of the agent's access token.
func (a *agent) handle(t *testing.T) string {
	t.Helper()
	h, _ := jwtPart(t, a.accessToken(), 1)["sessionHandle"].(string)
	if h == "" {
		t.Fatal("access token has no sessionHandle")
	}
	return h
}

// creds attaches the agent's tokens for a request to path, as the SDK would.
func (a *agent) creds(path string) reqOpt {
	if a.mode == cookieMode {
		return withCookieHeader(a.jar.header(path))
	}
	tok := a.access
	if path == a.s.refreshPath {
		tok = a.rt
	}
	if tok == "" {
		return func(*http.Request) {}
	}
	return withBearer(tok)
}

// sdkHeaders are the headers the frontend SDK adds: rid ("session" on refresh and sign-out,
// "anti-csrf" elsewhere) and st-auth-mode.
func (a *agent) sdkHeaders(path string) []reqOpt {
	rid := "anti-csrf"
	if path == a.s.refreshPath || path == "/auth/signout" {
		rid = "session"
	}
	return []reqOpt{withRID(rid), withHeader(core.HeaderAuthMode, string(a.mode))}
}

// do sends a request with the agent's credentials and SDK headers; opts come last and can
// override or remove any of them (withRID("") removes rid). It does not absorb the response.
func (a *agent) do(t *testing.T, method, path string, body []byte, opts ...reqOpt) *result {
	t.Helper()
	all := append(a.sdkHeaders(path), a.creds(path))
	return a.s.c.do(t, method, path, body, append(all, opts...)...)
}

// refreshOK refreshes, requires 200 and absorbs the new tokens.
func (a *agent) refreshOK(t *testing.T) *result {
	t.Helper()
	r := a.do(t, "POST", a.s.refreshPath, nil)
	if r.Status != 200 {
		t.Fatalf("refresh in %s mode failed: %s", a.mode, r)
	}
	a.absorb(r)
	return r
}

// expectAlive requires the session to pass the strict (database-checked) route.
func (a *agent) expectAlive(t *testing.T) {
	t.Helper()
	r := a.do(t, "GET", "/api/me/strict", nil)
	if r.Status != 200 {
		t.Fatalf("session should still be alive, but the strict route says %s", r)
	}
	if got := r.json(t)["userId"]; got != a.userID {
		t.Errorf("strict route userId = %v, want %s", got, a.userID)
	}
}

// expectDead requires the session to be gone: the strict route and the refresh route both
// answer 401. It does not change the agent.
func (a *agent) expectDead(t *testing.T) {
	t.Helper()
	if r := a.do(t, "GET", "/api/me/strict", nil); r.Status != 401 {
		t.Errorf("session should be dead, but the strict route says %s", r)
	}
	if r := a.do(t, "POST", a.s.refreshPath, nil); r.Status != 401 {
		t.Errorf("session should be dead, but refresh says %s", r)
	}
}

// expectHealthy checks that the server still works for a legitimate user after an attack:
// a fresh sign-in verifies, refreshes and passes the strict route.
func (s *suite) expectHealthy(t *testing.T) {
	t.Helper()
	a := s.signIn(t, AliceEmail, headerMode)
	if r := a.do(t, "GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("health check: /api/me with a fresh session: %s", r)
	}
	a.refreshOK(t)
	a.expectAlive(t)
}

// containsFold reports whether a comma-separated header list contains name.
func containsFold(list, name string) bool {
	for _, item := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(item), name) {
			return true
		}
	}
	return false
}
