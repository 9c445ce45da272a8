package fiberratchet_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// churn re-issues the access token twice and then revokes the session, so one response
// carries three Set-Cookie lines for the access cookie and one for the refresh cookie.
func churn(ctxSession func() *core.Session) (int, []byte, error) {
	s := ctxSession()
	for _, v := range []string{"a", "b"} {
		if err := s.MergePayload(nilCtx(), map[string]any{"step": v}); err != nil {
			return 0, nil, err
		}
	}
	if err := s.Revoke(nilCtx()); err != nil {
		return 0, nil, err
	}
	return 200, []byte(`{"status":"OK"}`), nil
}

// referenceServer serves the fixture (nethttptest) through the net/http reference adapter,
// plus GET /api/churn.
func referenceServer(t *testing.T, f *adaptertest.Fixture) string {
	h, mux, a := nethttptest.Server(f, nil)
	mux.Handle("GET /api/churn", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, body, err := churn(func() *core.Session { return httpratchet.MustSession(r.Context()) })
		nethttptest.Reply(a, w, r, st, body, err)
	})))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// fiberServer serves the same fixture (fibertest), plus GET /api/churn, through the Fiber
// adapter.
func fiberServer(t *testing.T, f *adaptertest.Fixture) string {
	app, a := fixtureApp(f, nil)
	app.Get("/api/churn", a.Require, func(c *fiber.Ctx) error {
		st, body, err := churn(func() *core.Session { return fiberratchet.MustSession(c) })
		return send(a, c, st, body, err)
	})
	return serve(t, app)
}

// comparedHeaders are the headers the core writes; they must match the reference exactly,
// token values aside.
var comparedHeaders = []string{
	"Content-Type", "Cache-Control", "Allow", "Set-Cookie", "Front-Token", "St-Access-Token",
	"St-Refresh-Token", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age",
	"Access-Control-Expose-Headers", "Vary",
}

// shape keeps status, body and the compared headers, with token values replaced by a
// placeholder: they differ between two sign-ins, everything else must not.
func shape(r *reply, keepBody bool) map[string][]string {
	out := map[string][]string{"status": {http.StatusText(r.Status)}}
	if keepBody {
		out["body"] = []string{string(r.Body)}
	}
	for _, name := range comparedHeaders {
		vals, ok := r.Header[name]
		if !ok {
			continue
		}
		var norm []string
		for _, v := range vals {
			switch name {
			case "Set-Cookie":
				n, rest, _ := strings.Cut(v, "=")
				val, attrs, _ := strings.Cut(rest, ";")
				if val != "" {
					val = "<token>"
				}
				v = n + "=" + val + ";" + attrs
			case "St-Access-Token", "St-Refresh-Token", "Front-Token":
				if v != "" && v != "remove" {
					v = "<token>"
				}
			}
			norm = append(norm, v)
		}
		out[name] = norm
	}
	return out
}

// TestByteIdenticalToNetHTTP sends the same requests to the Fiber adapter and to the net/http
// reference adapter over one engine and demands the same status, body and core headers.
func TestByteIdenticalToNetHTTP(t *testing.T) {
	f := newFixture(t)
	ref, fib := referenceServer(t, f), fiberServer(t, f)
	o := adaptertest.WebsiteOrigin

	// login signs alice in on base and returns her tokens in both transfer methods.
	type toks struct{ at, rt, cat, crt string }
	login := func(base, email string) toks {
		h := do(t, "POST", base+"/auth/signin", signInBody(email, adaptertest.DemoPassword))
		c := do(t, "POST", base+"/auth/signin", signInBody(email, adaptertest.DemoPassword), "st-auth-mode", "cookie")
		if h.Status != 200 || c.Status != 200 {
			t.Fatalf("sign-in on %s: %v / %v", base, h, c)
		}
		return toks{h.Header.Get("St-Access-Token"), h.Header.Get("St-Refresh-Token"), c.cookie("sAccessToken"), c.cookie("sRefreshToken")}
	}

	type tc struct {
		name     string
		method   string
		path     string
		body     []byte
		hdr      func(tk toks) []string
		keepBody bool
	}
	none := func(toks) []string { return nil }
	cases := []tc{
		{"no token", "GET", "/api/me", nil, none, true},
		{"garbage bearer", "GET", "/api/me", nil, func(toks) []string { return []string{"Authorization", "Bearer abc.def.ghi"} }, true},
		{"garbage cookie", "GET", "/api/me", nil, func(toks) []string { return []string{"Cookie", "sAccessToken=abc.def.ghi", "rid", "session"} }, true},
		{"duplicate cookies", "GET", "/api/me", nil, func(k toks) []string {
			return []string{"Cookie", "sAccessToken=" + k.cat, "Cookie", "sAccessToken=" + k.cat, "rid", "session"}
		}, true},
		{"cookie without rid", "POST", "/auth/signout", nil, func(k toks) []string { return []string{"Cookie", "sAccessToken=" + k.cat} }, true},
		{"valid bearer", "GET", "/api/me/strict", nil, func(k toks) []string { return []string{"Authorization", "Bearer " + k.at} }, false},
		{"claim failure", "GET", "/api/admin", nil, func(toks) []string { return nil }, true},
		{"refresh without token", "POST", "/auth/session/refresh", nil, none, true},
		{"refresh garbage cookie", "POST", "/auth/session/refresh", nil, func(toks) []string { return []string{"Cookie", "sRefreshToken=nope", "rid", "session"} }, true},
		{"refresh header mode", "POST", "/auth/session/refresh", nil, func(k toks) []string { return []string{"Authorization", "Bearer " + k.rt} }, true},
		{"refresh cookie mode", "POST", "/auth/session/refresh", nil, func(k toks) []string {
			return []string{"Cookie", "sRefreshToken=" + k.crt, "Cookie", "sAccessToken=" + k.cat, "rid", "session"}
		}, true},
		{"signin wrong method", "GET", "/auth/signin", nil, none, true},
		{"signin text/plain", "POST", "/auth/signin", []byte(`{}`), func(toks) []string { return []string{"Content-Type", "text/plain"} }, true},
		{"signin malformed", "POST", "/auth/signin", []byte(`{"email":`), none, true},
		{"signin wrong password", "POST", "/auth/signin", signInBody(adaptertest.AliceEmail, "nope"), none, true},
		{"signin evil origin", "POST", "/auth/signin", signInBody(adaptertest.AliceEmail, adaptertest.DemoPassword), func(toks) []string { return []string{"Origin", "http://evil.test"} }, true},
		{"signin header mode", "POST", "/auth/signin", signInBody(adaptertest.AliceEmail, adaptertest.DemoPassword), func(toks) []string { return []string{"Origin", o} }, true},
		{"signin cookie mode over old cookies", "POST", "/auth/signin", signInBody(adaptertest.BobEmail, adaptertest.DemoPassword), func(k toks) []string {
			return []string{"st-auth-mode", "cookie", "Cookie", "sAccessToken=" + k.cat + "; sRefreshToken=" + k.crt}
		}, true},
		{"delete unknown session", "DELETE", "/auth/sessions/nope", nil, func(k toks) []string { return []string{"Authorization", "Bearer " + k.at} }, true},
		{"jwks", "GET", "/auth/jwt/jwks.json", nil, none, true},
		{"jwks head", "HEAD", "/auth/jwt/jwks.json", nil, none, true},
		{"preflight", "OPTIONS", "/auth/signin", nil, func(toks) []string { return []string{"Origin", o, "Access-Control-Request-Method", "POST"} }, true},
		{"preflight evil", "OPTIONS", "/api/me", nil, func(toks) []string {
			return []string{"Origin", "http://evil.test", "Access-Control-Request-Method", "GET"}
		}, true},
		{"same-name cookies", "GET", "/api/churn", nil, func(k toks) []string { return []string{"Cookie", "sAccessToken=" + k.cat, "rid", "session"} }, true},
		{"signout cookie mode", "POST", "/auth/signout", nil, func(k toks) []string {
			return []string{"Cookie", "sAccessToken=" + k.cat, "rid", "session", "Origin", o}
		}, true},
	}
	for _, c := range cases {
		// The clock moves a second per case (both servers see the same time): alice signs in
		// about a hundred times, past the fixture's FixtureMaxSessions, and EvictOldest must
		// find her oldest sessions by creation time rather than pick among equal ones (which
		// revoked a session a case had just signed in with).
		f.Clock.Advance(time.Second)
		t.Run(c.name, func(t *testing.T) {
			var got [2]map[string][]string
			for i, base := range []string{ref, fib} {
				tk := login(base, adaptertest.AliceEmail)
				hdr := c.hdr(tk)
				if c.name == "claim failure" {
					bob := login(base, adaptertest.BobEmail)
					hdr = []string{"Authorization", "Bearer " + bob.at}
				}
				got[i] = shape(do(t, c.method, base+c.path, c.body, hdr...), c.keepBody)
			}
			if !reflect.DeepEqual(got[0], got[1]) {
				t.Errorf("Fiber differs from net/http\n net/http: %q\n fiber:    %q", got[0], got[1])
			}
		})
	}
}
