package adaptercheck

import (
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// Creds are the tokens a NetHTTPCase may send, signed in afresh on each server for each case
// (some cases rotate or revoke what they send).
type Creds struct {
	Access, Refresh             string // alice, header mode
	AccessCookie, RefreshCookie string // alice, cookie mode
	Bob                         string // bob's access token (not an admin), header mode
	Revoked                     string // bob's access token of a signed-out session
}

// NetHTTPCase is one request ResponsesMatchNetHTTP sends to the adapter and to net/http.
type NetHTTPCase struct {
	Name, Method, Path, Body string
	Headers                  func(Creds) []string // nil: none
}

// MatchOption changes what ResponsesMatchNetHTTP compares or sends.
type MatchOption func(*matchOptions)

type matchOptions struct {
	ref      string
	coreOnly bool
	extra    []NetHTTPCase
}

// Reference compares with the net/http server at url (on the same engine) instead of
// nethttptest's fixture server: for a caller whose extra cases need routes of their own.
func Reference(url string) MatchOption { return func(o *matchOptions) { o.ref = url } }

// CoreHeadersOnly compares only the headers the core writes (CoreHeaders), for frameworks
// whose server adds headers of its own.
func CoreHeadersOnly() MatchOption { return func(o *matchOptions) { o.coreOnly = true } }

// ExtraCases sends these requests as well.
func ExtraCases(cases ...NetHTTPCase) MatchOption {
	return func(o *matchOptions) { o.extra = append(o.extra, cases...) }
}

// CoreHeaders are the headers the core writes.
var CoreHeaders = []string{
	"Content-Type", "Cache-Control", "Allow", "Set-Cookie", "Front-Token", "St-Access-Token",
	"St-Refresh-Token", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age",
	"Access-Control-Expose-Headers", "Vary",
}

// transportHeaders differ between any two servers.
var transportHeaders = []string{"Date", "Content-Length"}

var sessionHandle = regexp.MustCompile(`"sessionHandle":"[^"]*"`)

// shape keeps status, body and headers, with token values and session handles replaced by a
// placeholder: they differ between two sign-ins, everything else must not.
func shape(r Result, coreOnly bool) map[string][]string {
	out := map[string][]string{
		"status": {http.StatusText(r.Status)},
		"body":   {sessionHandle.ReplaceAllString(r.Body, `"sessionHandle":"<handle>"`)},
	}
	for name, vals := range r.Header {
		if slices.Contains(transportHeaders, name) || (coreOnly && !slices.Contains(CoreHeaders, name)) {
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

// login signs alice (both modes) and bob (twice, one signed out) in on base.
func login(t *testing.T, f *adaptertest.Fixture, base string) Creds {
	t.Helper()
	in := func(body string, headers ...string) Result {
		return Do(t, "POST", base+"/auth/signin", body, append([]string{"Content-Type", "application/json"}, headers...)...)
	}
	h, c, b, gone := in(SignInBody), in(SignInBody, "st-auth-mode", "cookie"), in(BobSignInBody), in(BobSignInBody)
	for _, r := range []Result{h, c, b, gone} {
		if r.Status != 200 {
			t.Fatalf("sign-in on %s: %d %s", base, r.Status, r.Body)
		}
	}
	revoked := gone.Header.Get(core.HeaderAccessToken)
	if out := Do(t, "POST", base+"/auth/signout", "", "Authorization", "Bearer "+revoked); out.Status != 200 {
		t.Fatalf("sign-out on %s: %d %s", base, out.Status, out.Body)
	}
	cr := Creds{Access: h.Header.Get(core.HeaderAccessToken), Refresh: h.Header.Get(core.HeaderRefreshToken),
		Bob: b.Header.Get(core.HeaderAccessToken), Revoked: revoked}
	if ac := CookieNamed(c.Header, AccessCookie); ac != nil {
		cr.AccessCookie = ac.Value
	}
	if rc := CookieNamed(c.Header, RefreshCookie); rc != nil {
		cr.RefreshCookie = rc.Value
	}
	return cr
}

func hdrs(h ...string) func(Creds) []string { return func(Creds) []string { return h } }

// netHTTPCases are the requests every adapter is compared on.
func netHTTPCases() []NetHTTPCase {
	o := adaptertest.WebsiteOrigin
	json := "application/json"
	return []NetHTTPCase{
		{"no token", "GET", "/api/me", "", nil},
		{"malformed bearer", "GET", "/api/me", "", hdrs("Authorization", "Bearer abc.def.ghi")},
		{"bad signature", "GET", "/api/me", "", func(k Creds) []string { return []string{"Authorization", "Bearer " + k.Bob[:len(k.Bob)-4] + "AAAA"} }},
		{"garbage cookie", "GET", "/api/me", "", hdrs("Cookie", AccessCookie+"=abc.def.ghi", "rid", "session")},
		{"duplicate junk access cookies", "GET", "/api/me", "", hdrs("Cookie", AccessCookie+"=a", "Cookie", AccessCookie+"=b")},
		{"duplicate access cookies", "GET", "/api/me", "", func(k Creds) []string {
			return []string{"Cookie", AccessCookie + "=" + k.AccessCookie, "Cookie", AccessCookie + "=" + k.AccessCookie, "rid", "session"}
		}},
		{"optional with garbage", "GET", "/api/optional", "", hdrs("Authorization", "Bearer abc.def.ghi")},
		{"optional anonymous", "GET", "/api/optional", "", nil},
		{"valid bearer", "GET", "/api/me", "", func(k Creds) []string { return []string{"Authorization", "Bearer " + k.Access} }},
		{"valid bearer strict", "GET", "/api/me/strict", "", func(k Creds) []string { return []string{"Authorization", "Bearer " + k.Access} }},
		{"invalid claim", "GET", "/api/admin", "", func(k Creds) []string { return []string{"Authorization", "Bearer " + k.Bob} }},
		{"strict revoked", "GET", "/api/me/strict", "", func(k Creds) []string { return []string{"Authorization", "Bearer " + k.Revoked} }},
		{"cookie signout without rid", "POST", "/auth/signout", "", func(k Creds) []string { return []string{"Cookie", AccessCookie + "=" + k.AccessCookie} }},
		{"cookie signout bad origin", "POST", "/auth/signout", "", func(k Creds) []string {
			return []string{"Cookie", AccessCookie + "=" + k.AccessCookie, "rid", "session", "Origin", "http://evil.test"}
		}},
		{"signout cookie mode", "POST", "/auth/signout", "", func(k Creds) []string {
			return []string{"Cookie", AccessCookie + "=" + k.AccessCookie, "rid", "session", "Origin", o}
		}},
		{"refresh without token", "POST", "/auth/session/refresh", "", nil},
		{"refresh garbage", "POST", "/auth/session/refresh", "", hdrs("Authorization", "Bearer nonsense")},
		{"refresh garbage cookie", "POST", "/auth/session/refresh", "", hdrs("Cookie", RefreshCookie+"=nope", "rid", "session")},
		{"refresh header mode", "POST", "/auth/session/refresh", "", func(k Creds) []string { return []string{"Authorization", "Bearer " + k.Refresh} }},
		{"refresh cookie mode", "POST", "/auth/session/refresh", "", func(k Creds) []string {
			return []string{"Cookie", RefreshCookie + "=" + k.RefreshCookie, "Cookie", AccessCookie + "=" + k.AccessCookie, "rid", "session"}
		}},
		{"signin wrong method", "GET", "/auth/signin", "", nil},
		{"jwks wrong method", "POST", "/auth/jwt/jwks.json", "", nil},
		{"signin text/plain", "POST", "/auth/signin", "", hdrs("Content-Type", "text/plain")},
		{"signin text/plain body", "POST", "/auth/signin", "{}", hdrs("Content-Type", "text/plain")},
		{"signin not json", "POST", "/auth/signin", "{", hdrs("Content-Type", json)},
		{"signin malformed", "POST", "/auth/signin", `{"email":`, hdrs("Content-Type", json)},
		{"signin wrong password", "POST", "/auth/signin", `{"email":"` + adaptertest.AliceEmail + `","password":"x"}`, hdrs("Content-Type", json)},
		{"signin evil origin", "POST", "/auth/signin", SignInBody, hdrs("Content-Type", json, "Origin", "http://evil.test")},
		{"signin header mode", "POST", "/auth/signin", SignInBody, hdrs("Content-Type", json, "Origin", o)},
		{"signin cookie mode over old cookies", "POST", "/auth/signin", BobSignInBody, func(k Creds) []string {
			return []string{"Content-Type", json, "st-auth-mode", "cookie", "Cookie", AccessCookie + "=" + k.AccessCookie + "; " + RefreshCookie + "=" + k.RefreshCookie}
		}},
		{"sessions without token", "GET", "/auth/sessions", "", nil},
		{"delete unknown handle", "DELETE", "/auth/sessions/nope", "", func(k Creds) []string { return []string{"Authorization", "Bearer " + k.Bob} }},
		{"delete nested handle", "DELETE", "/auth/sessions/a/b", "", func(k Creds) []string { return []string{"Authorization", "Bearer " + k.Bob} }},
		{"jwks", "GET", "/auth/jwt/jwks.json", "", nil},
		{"jwks head", "HEAD", "/auth/jwt/jwks.json", "", nil},
		{"preflight allowed", "OPTIONS", "/api/me", "", hdrs("Origin", o, "Access-Control-Request-Method", "GET")},
		{"preflight auth route", "OPTIONS", "/auth/signin", "", hdrs("Origin", o, "Access-Control-Request-Method", "POST")},
		{"preflight disallowed", "OPTIONS", "/api/me", "", hdrs("Origin", "http://evil.test", "Access-Control-Request-Method", "GET")},
		{"cors 401", "GET", "/api/me", "", hdrs("Origin", o)},
	}
}

// ResponsesMatchNetHTTP: the fixture app at url, on f's engine, answers every request of a
// common list (errors, sign-in, refresh, sign-out, JWKS, preflights, the app routes) with the
// same status, body and headers as the net/http adapter does on the same engine, token
// values and session handles aside (each server signs its own sessions in for each case).
func ResponsesMatchNetHTTP(t *testing.T, f *adaptertest.Fixture, url string, opts ...MatchOption) {
	t.Helper()
	var o matchOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.ref == "" {
		o.ref = Serve(t, nethttptest.NewServer(f)).URL
	}
	for _, c := range append(netHTTPCases(), o.extra...) {
		// The clock moves a second per case (both servers see the same time, so cookie
		// expiries match): alice signs in past the fixture's FixtureMaxSessions, and
		// EvictOldest must find her oldest sessions by creation time rather than pick among
		// equal ones (which would revoke a session a case had just signed in with).
		f.Clock.Advance(time.Second)
		t.Run(c.Name, func(t *testing.T) {
			var got [2]map[string][]string
			for i, base := range []string{o.ref, url} {
				var h []string
				if c.Headers != nil {
					h = c.Headers(login(t, f, base))
				}
				got[i] = shape(Do(t, c.Method, base+c.Path, c.Body, h...), o.coreOnly)
			}
			if !reflect.DeepEqual(got[0], got[1]) {
				t.Errorf("differs from net/http\n net/http: %q\n adapter:  %q", got[0], got[1])
			}
		})
	}
}
