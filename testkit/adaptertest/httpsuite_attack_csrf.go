package adaptertest

// HTTPSuite attacks: cross-site request forgery against every state-changing route in cookie
// mode (S-30, S-33, S-34), and safe methods that must never change state (S-14, S-35).

import (
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) attackCSRF(t *testing.T) {
	t.Run("missing_rid", func(t *testing.T) {
		s.csrfEverywhere(t, map[string][]reqOpt{
			"no rid":                      {withRID("")},
			"no rid, allowed Origin":      {withRID(""), withOrigin(WebsiteOrigin)},
			"no rid, same-origin fetch":   {withRID(""), withHeader("Sec-Fetch-Site", "same-origin")},
			"no rid, text/plain body":     {withRID(""), withContentType("text/plain")},
			"no rid, form body":           {withRID(""), withContentType("application/x-www-form-urlencoded")},
			"no rid, st-auth-mode cookie": {withRID(""), withHeader(core.HeaderAuthMode, "cookie")},
		})
	})
	t.Run("hostile_origin", func(t *testing.T) {
		attacks := map[string][]reqOpt{}
		for _, o := range hostileOrigins() {
			attacks["Origin "+o] = []reqOpt{withOrigin(o)}
			// A cross-site page also sends Sec-Fetch-Site; the Origin alone must decide.
			attacks["Origin "+o+", Sec-Fetch-Site same-origin"] = []reqOpt{withOrigin(o), withHeader("Sec-Fetch-Site", "same-origin")}
		}
		s.csrfEverywhere(t, attacks)
	})
	t.Run("sec_fetch_site", func(t *testing.T) {
		s.csrfEverywhere(t, map[string][]reqOpt{
			"Sec-Fetch-Site cross-site": {withHeader("Sec-Fetch-Site", "cross-site")},
			"Sec-Fetch-Site same-site":  {withHeader("Sec-Fetch-Site", "same-site")},
		})
	})
	t.Run("cross_site_form_without_cookies", s.csrfFormWithoutCookies)
	t.Run("signin_hostile_origin", s.csrfSignIn)
	t.Run("simple_content_types", s.csrfSimpleContentTypes)
}

// hostileOrigins are Origin values that must not pass for WebsiteOrigin
// ("http://app.ratchet.test"): other sites, a suffix domain, userinfo tricks, another scheme
// or port, and the serialisations browsers never send for the real origin.
func hostileOrigins() []string {
	u, _ := url.Parse(WebsiteOrigin)
	other := "https"
	if u.Scheme == "https" {
		other = "http"
	}
	return []string{
		hostileOrigin,
		"null",
		other + "://" + u.Host,                // scheme changed (a downgrade when the site is https)
		WebsiteOrigin + ".evil.example",       // suffix domain
		u.Scheme + "://user@" + u.Host,        // userinfo naming the real host
		WebsiteOrigin + "@evil.example",       // userinfo naming the real host, evil host
		u.Scheme + "://evil." + u.Host,        // subdomain of the real host
		u.Scheme + "://" + u.Host + ":8443",   // another port
		WebsiteOrigin + "/",                   // not an origin serialisation
		WebsiteOrigin + ".",                   // trailing dot
		"evil.example/" + WebsiteOrigin,       // the real origin inside a path
		WebsiteOrigin + ", " + hostileOrigin,  // a list
		hostileOrigin + " " + WebsiteOrigin,   // space-separated
		"file://",                             // local files
		u.Scheme + "://" + u.Host + "%2eevil", // encoded dot
	}
}

// csrfTarget is one state-changing request of a cookie-mode victim.
type csrfTarget struct{ method, path, body string }

// csrfEverywhere sends every state-changing request of a cookie-mode victim with each
// attack's options (on top of the SDK's headers and the victim's cookies) and requires 403
// anti-csrf each time, with nothing issued or cleared and nothing changed in the store.
func (s *suite) csrfEverywhere(t *testing.T, attacks map[string][]reqOpt) {
	victim := s.signIn(t, AliceEmail, cookieMode)
	other := s.signIn(t, AliceEmail, headerMode)
	vBefore, oBefore := s.record(t, victim.handle(t)), s.record(t, other.handle(t))
	targets := []csrfTarget{
		{"POST", s.refreshPath, ""},
		{"POST", "/auth/signout", ""},
		{"POST", "/api/notes", `{"text":"forged"}`},
		{"POST", "/api/payload", `{"theme":"forged"}`},
		{"DELETE", "/auth/sessions/" + other.handle(t), ""},
		{"DELETE", "/auth/sessions/" + victim.handle(t), ""},
		{"POST", "/auth/sessions/revoke-others", ""},
	}
	for name, opts := range attacks {
		for _, tg := range targets {
			var body []byte
			if tg.body != "" {
				body = []byte(tg.body)
			}
			r := victim.do(t, tg.method, tg.path, body, opts...)
			if r.Status != 403 {
				t.Errorf("%s on %s %s: want 403: %s", name, tg.method, tg.path, r)
				continue
			}
			expectMessage(t, r, 403, "anti-csrf check failed")
			expectUntouched(t, r, s)
			if acao := r.get("Access-Control-Allow-Origin"); acao != "" && acao != WebsiteOrigin {
				t.Errorf("%s: Access-Control-Allow-Origin %q for a forged request", r, acao)
			}
		}
	}
	s.expectUnchanged(t, vBefore, "CSRF attempts")
	s.expectUnchanged(t, oBefore, "CSRF attempts")
	if got := notes(t, victim.do(t, "GET", "/api/notes", nil)); len(got) != 0 {
		t.Errorf("a forged request wrote notes %q", got)
	}
	// The genuine SDK request still works: it is the attack that failed, not the route.
	victim.refreshOK(t)
	victim.expectAlive(t)
	other.expectAlive(t)
}

// csrfFormWithoutCookies: forced logout. A cross-site form POST is a top-level navigation:
// with SameSite=Lax the browser leaves the token cookies out of the request, yet it applies
// any Set-Cookie in the answer (RFC 6265bis §5.7: top-level navigations may set cookies of
// any SameSite value). An answer that clears the tokens would therefore log the victim out
// from any site. The library routes must refuse such a request without touching anything.
func (s *suite) csrfFormWithoutCookies(t *testing.T) {
	victim := s.signIn(t, AliceEmail, cookieMode)
	before := s.record(t, victim.handle(t))
	form := []reqOpt{withContentType("application/x-www-form-urlencoded")}
	for name, opts := range map[string][]reqOpt{
		"hostile Origin":            append([]reqOpt{withOrigin(hostileOrigin), withHeader("Sec-Fetch-Site", "cross-site")}, form...),
		"Origin null":               append([]reqOpt{withOrigin("null"), withHeader("Sec-Fetch-Site", "cross-site")}, form...),
		"Sec-Fetch-Site cross-site": append([]reqOpt{withHeader("Sec-Fetch-Site", "cross-site")}, form...),
		"Sec-Fetch-Site same-site":  append([]reqOpt{withHeader("Sec-Fetch-Site", "same-site")}, form...),
	} {
		for _, path := range []string{s.refreshPath, "/auth/signout", "/auth/sessions/revoke-others"} {
			r := s.c.do(t, "POST", path, []byte("x=1"), opts...)
			if r.Status != 401 && r.Status != 403 {
				t.Errorf("%s on %s: want 401 or 403: %s", name, path, r)
			}
			if r.Status == 403 {
				expectMessage(t, r, 403, "anti-csrf check failed")
			}
			// What the browser would apply: no cleared cookies, no front-token: remove.
			expectUntouched(t, r, s)
		}
	}
	s.expectUnchanged(t, before, "cross-site forms")
	victim.expectAlive(t)
	victim.refreshOK(t)
	victim.expectAlive(t)
}

// csrfSignIn: a cross-site sign-in (login CSRF, S-11) issues nothing, in either mode.
func (s *suite) csrfSignIn(t *testing.T) {
	before := s.liveCount(t, "user-alice")
	for _, o := range hostileOrigins() {
		for _, mode := range []string{"", "cookie"} {
			r := s.c.do(t, "POST", "/auth/signin", signInBody(t, AliceEmail), withOrigin(o), withHeader(core.HeaderAuthMode, mode))
			expectMessage(t, r, 403, "anti-csrf check failed")
			expectNoTokens(t, r, s)
			if len(r.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("%s: a refused sign-in sets cookies", r)
			}
		}
	}
	if after := s.liveCount(t, "user-alice"); after != before {
		t.Errorf("refused sign-ins created %d sessions", after-before)
	}
	s.expectHealthy(t)
}

// liveCount is the number of the user's live sessions in the store.
func (s *suite) liveCount(t *testing.T, userID string) int {
	t.Helper()
	recs, err := s.fx.Store.ListByUser(context.Background(), userID, s.fx.Clock.Now())
	if err != nil {
		t.Fatalf("store: ListByUser: %v", err)
	}
	return len(recs)
}

// csrfSimpleContentTypes: the JSON sign-in route refuses the content types a cross-site form
// or a no-cors fetch can send, and lookalikes of application/json (CVE-2022-41919); a JSON app
// route reached with cookies and a simple content type is refused by the rid check.
func (s *suite) csrfSimpleContentTypes(t *testing.T) {
	before := s.liveCount(t, "user-alice")
	good := signInBody(t, AliceEmail)
	for _, ct := range []string{
		"text/plain",
		"text/plain; charset=utf-8",
		"text/plain; application/json",
		"text/plain;application/json",
		"application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; charset=application/json",
		"multipart/form-data; boundary=application/json",
		"application/json, text/plain",
		"application/jsonp",
		"application/json-patch+json",
		"Application/JSON",
		"APPLICATION/JSON",
		"application/ json",
		"application /json",
		"text/json",
		"*/*",
	} {
		for _, mode := range []string{"", "cookie"} {
			r := s.c.do(t, "POST", "/auth/signin", bodyFor(ct, good), withContentType(ct), withHeader(core.HeaderAuthMode, mode))
			if r.Status != 415 {
				t.Errorf("Content-Type %q: want 415: %s", ct, r)
			}
			expectNoTokens(t, r, s)
		}
	}
	if after := s.liveCount(t, "user-alice"); after != before {
		t.Errorf("refused sign-ins created %d sessions", after-before)
	}
	victim := s.signIn(t, AliceEmail, cookieMode)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		r := victim.do(t, "POST", "/api/notes", bodyFor(ct, []byte(`{"text":"forged"}`)), withContentType(ct), withRID(""))
		expectMessage(t, r, 403, "anti-csrf check failed")
	}
	if got := notes(t, victim.do(t, "GET", "/api/notes", nil)); len(got) != 0 {
		t.Errorf("a simple-content-type request wrote notes %q", got)
	}
}

// attackSafeMethods: GET, HEAD and plain OPTIONS on every state-changing library route answer
// 405 (OPTIONS: 405 or an empty preflight answer) and change nothing: no sign-in, no sign-out,
// no rotation, no revocation.
func (s *suite) attackSafeMethods(t *testing.T) {
	for _, mode := range []transfer{headerMode, cookieMode} {
		t.Run(string(mode), func(t *testing.T) {
			a := s.signIn(t, AliceEmail, mode)
			other := s.signIn(t, AliceEmail, headerMode)
			aBefore, oBefore := s.record(t, a.handle(t)), s.record(t, other.handle(t))
			live := s.liveCount(t, "user-alice")
			creds := url.Values{"email": {AliceEmail}, "password": {DemoPassword}}.Encode()
			paths := []string{
				"/auth/signin",
				"/auth/signin?" + creds,
				"/auth/signout",
				s.refreshPath,
				"/auth/sessions/" + other.handle(t),
				"/auth/sessions/" + a.handle(t),
				"/auth/sessions/revoke-others",
			}
			for _, method := range []string{"GET", "HEAD", "OPTIONS"} {
				for _, path := range paths {
					r := a.do(t, method, path, nil, withOrigin(WebsiteOrigin))
					switch {
					case method == "OPTIONS" && r.Status == 204:
					case r.Status != 405:
						t.Errorf("%s %s: want 405: %s", method, path, r)
					case r.get("Allow") == "":
						t.Errorf("%s: 405 without an Allow header", r)
					}
					expectUntouched(t, r, s)
				}
			}
			// A GET carrying a sign-in body is still not a sign-in.
			r := s.c.do(t, "GET", "/auth/signin", signInBody(t, AliceEmail))
			mustStatus(t, r, 405)
			expectNoTokens(t, r, s)
			s.expectUnchanged(t, aBefore, "safe methods")
			s.expectUnchanged(t, oBefore, "safe methods")
			if got := s.liveCount(t, "user-alice"); got != live {
				t.Errorf("safe methods changed alice's live sessions from %d to %d", live, got)
			}
			a.expectAlive(t)
			other.expectAlive(t)
		})
	}
}

// bodyFor is what a cross-site form would really send with content type ct: a well-formed
// multipart body for multipart types (servers that pre-parse multipart would otherwise refuse
// it before the library sees it), the JSON itself otherwise.
func bodyFor(ct string, jsonDoc []byte) []byte {
	// Read the boundary by hand: a cross-site form's boundary may hold characters (such as
	// "/") that mime.ParseMediaType only accepts quoted.
	_, after, ok := strings.Cut(ct, "boundary=")
	boundary, _, _ := strings.Cut(after, ";")
	boundary = strings.Trim(strings.TrimSpace(boundary), `"`)
	if !ok || !strings.HasPrefix(strings.ToLower(ct), "multipart/") || boundary == "" {
		return jsonDoc
	}
	var b strings.Builder
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(boundary); err != nil {
		return jsonDoc
	}
	var fields map[string]any
	_ = json.Unmarshal(jsonDoc, &fields)
	for k, v := range fields {
		_ = w.WriteField(k, fmt.Sprint(v))
	}
	_ = w.Close()
	return []byte(b.String())
}
