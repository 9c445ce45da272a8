package demotest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/examples/internal/demo"
)

// agent is one HTTP client: a cookie jar (cookie mode) or a bearer token (header mode).
type agent struct {
	t      *testing.T
	base   string
	hc     *http.Client
	jar    *jar
	bearer string
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

func newAgent(t *testing.T, base string) *agent {
	j := newJar()
	return &agent{t: t, base: base, jar: j, hc: &http.Client{Jar: j}}
}

// do sends a request; hdr is name, value, name, value…
func (a *agent) do(method, path, body string, hdr ...string) reply {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if tokenCookie(c.Name) == "" {
			a.t.Errorf("%s %s set cookie %q: the examples set only the two token cookies", method, path, c.Name)
		}
	}
	return reply{res.StatusCode, res.Header, b}
}

// tokenCookie says which token cookie name is: "access", "refresh" or "" for neither. The
// names are prefixed (__Host-, __Secure-) when the cookies are Secure.
func tokenCookie(name string) string {
	switch name {
	case "sAccessToken", "__Host-sAccessToken":
		return "access"
	case "sRefreshToken", "__Secure-sRefreshToken":
		return "refresh"
	}
	return ""
}

// checkTokenCookies checks the contract's cookie rules on a response that issues tokens in
// cookie mode: exactly the two token cookies, HttpOnly, the access cookie on Path=/ and the
// refresh cookie on the refresh route, SameSite set, no Domain; Secure exactly when the names
// carry the __Host-/__Secure- prefixes (a __Host- cookie also on Path=/). It reports whether
// the cookies are Secure.
func checkTokenCookies(t *testing.T, what string, h http.Header) (secure bool) {
	t.Helper()
	raw := h.Values("Set-Cookie")
	cookies := (&http.Response{Header: h}).Cookies()
	if len(raw) != 2 || len(cookies) != 2 {
		t.Fatalf("%s: %d Set-Cookie fields, want the two token cookies", what, len(raw))
	}
	seen := map[string]bool{}
	for i, c := range cookies {
		kind := tokenCookie(c.Name)
		wantPath := map[string]string{"access": "/", "refresh": "/auth/session/refresh"}[kind]
		prefixed := strings.HasPrefix(c.Name, "__")
		switch {
		case kind == "" || seen[kind]:
			t.Errorf("%s: unexpected cookie %q", what, c.Name)
		case !c.HttpOnly || c.Path != wantPath || c.Domain != "" || !strings.Contains(strings.ToLower(raw[i]), "samesite="):
			t.Errorf("%s: %s cookie %q: HttpOnly %v, Path %q (want %q), Domain %q, SameSite in %q",
				what, kind, c.Name, c.HttpOnly, c.Path, wantPath, c.Domain, attributes(raw[i]))
		case c.Secure != prefixed:
			t.Errorf("%s: cookie %q has Secure=%v: Secure cookies and only they carry the __Host-/__Secure- prefix", what, c.Name, c.Secure)
		}
		seen[kind] = true
		if i == 0 {
			secure = c.Secure
		} else if c.Secure != secure {
			t.Errorf("%s: one token cookie is Secure, the other not", what)
		}
	}
	return secure
}

// attributes is a Set-Cookie field without its value, for messages: never print a token.
func attributes(setCookie string) string {
	_, attrs, _ := strings.Cut(setCookie, ";")
	return attrs
}

// post sends a POST whose transport error is returned, not fatal: a server may close the
// connection on an oversized body before reading it.
func (a *agent) post(path, body string, hdr ...string) (int, error) {
	req, err := http.NewRequest("POST", a.base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// gz is b gzip-compressed.
func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func expect(t *testing.T, what string, r reply, status int, body string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d (body %s)", what, r.status, status, r.body)
	}
	if body != "" && !sameJSON(r.body, []byte(body)) {
		t.Fatalf("%s: body %s, want %s", what, r.body, body)
	}
}

// sameJSON compares two JSON documents by value (member order does not matter).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return strings.TrimSpace(string(a)) == strings.TrimSpace(string(b))
	}
	return reflect.DeepEqual(x, y)
}

// Contract serves build's app and checks the example contract's routes and bodies over real
// HTTP: the page, sign-in in both modes, /api/me, /api/me/strict, notes, the sessions routes,
// sign-out, the 401 bodies, CSRF and CORS. The real-browser suite in e2e/ goes further.
//
// It runs twice: with the defaults, and with an https API_ORIGIN, whose cookies are Secure
// and prefixed (__Host-, __Secure-) as they are for every APIOrigin once the core stops
// dropping Secure on http://; the test clients send them back over http:// as browsers do on
// loopback.
func Contract(t *testing.T, build func(*demo.App) demo.Server) {
	t.Run("defaults", func(t *testing.T) { contract(t, build, nil) })
	t.Run("secure cookies", func(t *testing.T) {
		contract(t, build, map[string]string{"API_ORIGIN": "https://api.ratchet.test"})
	})
}

func contract(t *testing.T, build func(*demo.App) demo.Server, env map[string]string) {
	base := Start(t, build, env)
	origin := base // WEBSITE_ORIGIN defaults to http:// + ADDR

	anon := newAgent(t, base)
	page := anon.do("GET", "/", "")
	expect(t, "GET /", page, 200, "")
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(page.body), "ratchet") {
		t.Fatalf("GET / is not the demo page: %s", ct)
	}
	expect(t, "GET /api/me without a session", anon.do("GET", "/api/me", ""), 401, `{"message":"unauthorised"}`)
	expect(t, "GET /api/me with a forged token", anon.do("GET", "/api/me", "", "Authorization", "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"), 401, "")

	wrong := anon.do("POST", "/auth/signin", `{"email":"alice@example.com","password":"nope"}`)
	expect(t, "wrong password", wrong, 200, `{"status":"WRONG_CREDENTIALS_ERROR"}`)
	if len(wrong.header.Values("Set-Cookie")) != 0 || wrong.header.Get("front-token") != "" {
		t.Fatal("a failed sign-in issued tokens")
	}
	expect(t, "sign-in from a foreign origin", anon.do("POST", "/auth/signin",
		`{"email":"alice@example.com","password":"demo-password"}`, "Origin", "http://evil.example"), 403, "")
	expect(t, "malformed sign-in", anon.do("POST", "/auth/signin", `{"email":`), 400, "")
	huge := `{"email":"alice@example.com","password":"` + strings.Repeat("p", 70<<10) + `"}`
	if r := anon.do("POST", "/auth/signin", huge); r.status != 413 && r.status != 400 {
		t.Fatalf("a sign-in body over 64 KiB: status %d, want 413 or 400", r.status)
	}
	// Only failed sign-ins are rate-limited: a user can sign in 100 times in a row.
	for i := 0; i < 100; i++ {
		r := newAgent(t, base).do("POST", "/auth/signin", `{"email":"bob@example.com","password":"demo-password"}`)
		expect(t, fmt.Sprintf("successful sign-in #%d", i+1), r, 200, "")
	}

	// alice: cookie mode.
	alice := newAgent(t, base)
	in := alice.do("POST", "/auth/signin", `{"email":"alice@example.com","password":"demo-password"}`, "st-auth-mode", "cookie", "Origin", origin)
	expect(t, "alice signs in", in, 200, "")
	if u, _ := in.json(t)["user"].(map[string]any); in.json(t)["status"] != "OK" || u["email"] != "alice@example.com" {
		t.Fatalf("sign-in body %s", in.body)
	}
	if in.header.Get("front-token") == "" {
		t.Fatal("cookie-mode sign-in: no front-token")
	}
	if secure := checkTokenCookies(t, "cookie-mode sign-in", in.header); !secure && env["API_ORIGIN"] != "" {
		t.Fatalf("API_ORIGIN=%s: the token cookies are not Secure", env["API_ORIGIN"])
	}
	me := alice.do("GET", "/api/me", "")
	expect(t, "alice GET /api/me", me, 200, "")
	handle, _ := me.json(t)["sessionHandle"].(string)
	if me.json(t)["userId"] != "user-alice" || handle == "" {
		t.Fatalf("/api/me body %s", me.body)
	}
	expect(t, "alice GET /api/me/strict", alice.do("GET", "/api/me/strict", ""), 200, string(me.body))

	expect(t, "POST /api/notes by cookie without rid", alice.do("POST", "/api/notes", `{"text":"a"}`), 403, `{"message":"anti-csrf check failed"}`)
	expect(t, "POST /api/notes a", alice.do("POST", "/api/notes", `{"text":"a"}`, "rid", "anti-csrf"), 200, `{"notes":["a"]}`)
	expect(t, "POST /api/notes b", alice.do("POST", "/api/notes", `{"text":"b"}`, "rid", "anti-csrf", "Origin", origin), 200, `{"notes":["a","b"]}`)
	expect(t, "GET /api/notes", alice.do("GET", "/api/notes", ""), 200, `{"notes":["a","b"]}`)
	expect(t, "POST /api/notes with a bad body", alice.do("POST", "/api/notes", `{"txt":1}`, "rid", "x"), 400, "")
	big := `{"text":"` + strings.Repeat("x", demo.MaxBody) + `"}`
	if r := alice.do("POST", "/api/notes", big, "rid", "x"); r.status != 413 && r.status != 400 {
		t.Fatalf("oversized note: status %d", r.status)
	}
	// Bodies are read raw and through a bound: an encoded note is refused, never inflated.
	note := []byte(`{"text":"zipped"}`)
	for _, c := range []struct{ encoding, body string }{
		{"gzip", string(gz(note))},
		{"gzip, gzip", string(gz(gz(note)))},
		{"x-gzip", string(gz(note))},
		{"deflate", string(note)},
		{"br", string(note)},
		{"identity, gzip", string(gz(note))},
		{"GZIP", string(gz(note))},
	} {
		r := alice.do("POST", "/api/notes", c.body, "rid", "x", "Content-Encoding", c.encoding)
		expect(t, "POST /api/notes with Content-Encoding: "+c.encoding, r, 415, "")
		if m := r.json(t); m["message"] == nil {
			t.Fatalf("POST /api/notes with Content-Encoding %s: body %s, want {\"message\":…}", c.encoding, r.body)
		}
	}
	// A body far over the bound (and over Fiber's BodyLimit): refused, or the connection is
	// closed before it is read, but never a 5xx.
	if st, err := alice.post("/api/notes", `{"text":"`+strings.Repeat("y", 1<<20)+`"}`, "rid", "x"); err == nil && st != 413 && st != 400 {
		t.Fatalf("a 1 MiB note: status %d, want 413 or 400", st)
	}
	expect(t, "POST /api/notes with Content-Encoding: identity", alice.do("POST", "/api/notes", `{"text":"c"}`, "rid", "x", "Content-Encoding", "identity"), 200, `{"notes":["a","b","c"]}`)
	expect(t, "GET /api/notes after the refused bodies", alice.do("GET", "/api/notes", ""), 200, `{"notes":["a","b","c"]}`)
	zipped := anon.do("POST", "/auth/signin", string(gz([]byte(`{"email":"alice@example.com","password":"demo-password"}`))), "Content-Encoding", "gzip")
	if zipped.status < 400 || zipped.status >= 500 || zipped.header.Get("st-access-token") != "" || len(zipped.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("a gzip-encoded sign-in: status %d, tokens issued %v; want a 4xx and no tokens", zipped.status, zipped.header.Get("front-token") != "")
	}

	// bob: header mode.
	bob := newAgent(t, base)
	bin := bob.do("POST", "/auth/signin", `{"email":"bob@example.com","password":"demo-password"}`)
	expect(t, "bob signs in (header mode)", bin, 200, "")
	bob.bearer = bin.header.Get("st-access-token")
	if bob.bearer == "" || bin.header.Get("st-refresh-token") == "" || len(bin.header.Values("Set-Cookie")) != 0 {
		t.Fatal("header-mode sign-in must send the tokens in headers, not cookies")
	}
	bobMe := bob.do("GET", "/api/me/strict", "")
	expect(t, "bob GET /api/me/strict", bobMe, 200, "")
	bobHandle, _ := bobMe.json(t)["sessionHandle"].(string)
	expect(t, "bob's notes start empty", bob.do("GET", "/api/notes", ""), 200, `{"notes":[]}`)

	// Sessions routes.
	list := alice.do("GET", "/auth/sessions", "")
	expect(t, "GET /auth/sessions", list, 200, "")
	sessions, _ := list.json(t)["sessions"].([]any)
	if len(sessions) != 1 || sessions[0].(map[string]any)["sessionHandle"] != handle || sessions[0].(map[string]any)["current"] != true {
		t.Fatalf("alice's sessions: %s", list.body)
	}
	expect(t, "alice deletes bob's session", alice.do("DELETE", "/auth/sessions/"+bobHandle, "", "rid", "x"), 404, "")
	expect(t, "bob deletes his own session", bob.do("DELETE", "/auth/sessions/"+bobHandle, ""), 200, `{"status":"OK"}`)
	expect(t, "bob after revocation, strict", bob.do("GET", "/api/me/strict", ""), 401, `{"message":"unauthorised"}`)

	// The page's "sign out all other devices" route.
	alice2 := newAgent(t, base)
	expect(t, "alice signs in again", alice2.do("POST", "/auth/signin", `{"email":"alice@example.com","password":"demo-password"}`, "st-auth-mode", "cookie"), 200, "")
	expect(t, "revoke-others", alice2.do("POST", "/auth/sessions/revoke-others", "", "rid", "x"), 200, `{"status":"OK","revoked":1}`)
	expect(t, "alice's first session after revoke-others", alice.do("GET", "/api/me/strict", ""), 401, `{"message":"unauthorised"}`)
	alice = alice2

	// Sign-out.
	out := alice.do("POST", "/auth/signout", "", "rid", "session")
	expect(t, "alice signs out", out, 200, `{"status":"OK"}`)
	if out.header.Get("front-token") != "remove" {
		t.Fatalf("sign-out front-token %q, want remove", out.header.Get("front-token"))
	}
	expect(t, "alice after sign-out", alice.do("GET", "/api/me/strict", ""), 401, `{"message":"unauthorised"}`)

	// CORS for WEBSITE_ORIGIN only.
	pre := anon.do("OPTIONS", "/api/notes", "", "Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,rid")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != origin || pre.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight from WEBSITE_ORIGIN: %d %v", pre.status, pre.header)
	}
	if h := anon.do("OPTIONS", "/api/notes", "", "Origin", "http://evil.example", "Access-Control-Request-Method", "POST").header.Get("Access-Control-Allow-Origin"); h != "" {
		t.Fatalf("preflight from a foreign origin got Access-Control-Allow-Origin %q", h)
	}
	expect(t, "JWKS", anon.do("GET", "/auth/jwt/jwks.json", ""), 200, "")
}
