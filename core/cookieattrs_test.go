package core_test

// Exact Set-Cookie lines with Secure cookies: the __Host-/__Secure- prefixes, Path, no Domain,
// SameSite, HttpOnly, and clears that repeat every attribute of the issue. HTTPSuite's
// fixture serves plain HTTP with unprefixed cookies, so the Secure variant is tested here.

import (
	"context"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

type cookieServer struct {
	srv *httptest.Server
	clk *core.FakeClock
	e   *core.Engine
}

func newCookieServer(t *testing.T, cfg core.Config) *cookieServer {
	t.Helper()
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC))
	cfg.Store, cfg.Clock, cfg.Logger = memory.New(), clk, discardLogger()
	cfg.Authenticate = func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
		return &core.Identity{UserID: r.Email}, nil
	}
	e, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := httpratchet.New(e)
	mux := http.NewServeMux()
	mux.Handle(e.Config().BasePath+"/", a.Handler())
	mux.Handle("GET /me", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, httpratchet.MustSession(r.Context()).UserID())
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &cookieServer{srv: srv, clk: clk, e: e}
}

func (s *cookieServer) do(t *testing.T, method, path, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return res, string(b)
}

// signIn signs email in with cookies and returns the response and the cookie values by name.
func (s *cookieServer) signIn(t *testing.T, email string) (*http.Response, map[string]string) {
	t.Helper()
	res, body := s.do(t, "POST", s.e.Config().BasePath+"/signin", `{"email":"`+email+`","password":"x"}`, "st-auth-mode", "cookie")
	if res.StatusCode != 200 {
		t.Fatalf("sign-in: %d %s", res.StatusCode, body)
	}
	vals := map[string]string{}
	for _, c := range res.Cookies() {
		vals[c.Name] = c.Value
	}
	return res, vals
}

// attrLines returns each Set-Cookie line as "name" plus its sorted attributes, the value and
// the Expires date replaced by placeholders, e.g. "__Host-sAccessToken; Expires=<set>;
// HttpOnly; Path=/; SameSite=Lax; Secure".
func attrLines(t *testing.T, res *http.Response, wantExpires time.Time) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range res.Header.Values("Set-Cookie") {
		parts := strings.Split(line, ";")
		name, value, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
		var attrs []string
		for _, p := range parts[1:] {
			p = strings.TrimSpace(p)
			if v, ok := strings.CutPrefix(p, "Expires="); ok {
				exp, err := http.ParseTime(v)
				switch {
				case err != nil:
					t.Errorf("%s: bad Expires %q", name, v)
				case exp.Equal(time.Unix(0, 0)):
					p = "Expires=<epoch>"
				case exp.Equal(wantExpires):
					p = "Expires=<session>"
				default:
					t.Errorf("%s: Expires %v, want the session's idle expiry %v", name, exp, wantExpires)
				}
			}
			attrs = append(attrs, p)
		}
		slices.Sort(attrs)
		if value == "" {
			name += "="
		}
		if _, dup := out[name]; dup {
			t.Errorf("two Set-Cookie lines for %s", name)
		}
		out[name] = strings.Join(append([]string{name}, attrs...), "; ")
	}
	return out
}

func TestSecureCookieAttributesExact(t *testing.T) {
	cases := []struct {
		name string
		cfg  core.Config
		// want maps "name" (issued) and "name=" (cleared) to the sorted attribute line.
		want map[string]string
	}{
		{"default", core.Config{}, map[string]string{
			"__Host-sAccessToken":     "__Host-sAccessToken; Expires=<session>; HttpOnly; Path=/; SameSite=Lax; Secure",
			"__Secure-sRefreshToken":  "__Secure-sRefreshToken; Expires=<session>; HttpOnly; Path=/auth/session/refresh; SameSite=Lax; Secure",
			"__Host-sAccessToken=":    "__Host-sAccessToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/; SameSite=Lax; Secure",
			"__Secure-sRefreshToken=": "__Secure-sRefreshToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/auth/session/refresh; SameSite=Lax; Secure",
		}},
		{"https API origin, SameSite Strict, other base path", core.Config{APIOrigin: "https://api.example.com",
			BasePath: "/api/auth", Cookies: core.CookieConfig{SameSite: http.SameSiteStrictMode}}, map[string]string{
			"__Host-sAccessToken":     "__Host-sAccessToken; Expires=<session>; HttpOnly; Path=/; SameSite=Strict; Secure",
			"__Secure-sRefreshToken":  "__Secure-sRefreshToken; Expires=<session>; HttpOnly; Path=/api/auth/session/refresh; SameSite=Strict; Secure",
			"__Host-sAccessToken=":    "__Host-sAccessToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/; SameSite=Strict; Secure",
			"__Secure-sRefreshToken=": "__Secure-sRefreshToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/api/auth/session/refresh; SameSite=Strict; Secure",
		}},
		{"Domain configured: __Secure- access cookie", core.Config{Cookies: core.CookieConfig{Domain: "example.com"}}, map[string]string{
			"__Secure-sAccessToken":   "__Secure-sAccessToken; Domain=example.com; Expires=<session>; HttpOnly; Path=/; SameSite=Lax; Secure",
			"__Secure-sRefreshToken":  "__Secure-sRefreshToken; Domain=example.com; Expires=<session>; HttpOnly; Path=/auth/session/refresh; SameSite=Lax; Secure",
			"__Secure-sAccessToken=":  "__Secure-sAccessToken=; Domain=example.com; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/; SameSite=Lax; Secure",
			"__Secure-sRefreshToken=": "__Secure-sRefreshToken=; Domain=example.com; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/auth/session/refresh; SameSite=Lax; Secure",
		}},
		{"SameSite None", core.Config{Cookies: core.CookieConfig{SameSite: http.SameSiteNoneMode}}, map[string]string{
			"__Host-sAccessToken":     "__Host-sAccessToken; Expires=<session>; HttpOnly; Path=/; SameSite=None; Secure",
			"__Secure-sRefreshToken":  "__Secure-sRefreshToken; Expires=<session>; HttpOnly; Path=/auth/session/refresh; SameSite=None; Secure",
			"__Host-sAccessToken=":    "__Host-sAccessToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/; SameSite=None; Secure",
			"__Secure-sRefreshToken=": "__Secure-sRefreshToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/auth/session/refresh; SameSite=None; Secure",
		}},
		// An http API origin alone never downgrades the cookies (a TLS proxy may sit in front,
		// and browsers take Secure cookies from http://127.0.0.1).
		{"plain HTTP API origin: still Secure and prefixed", core.Config{APIOrigin: "http://127.0.0.1:8080"}, map[string]string{
			"__Host-sAccessToken":     "__Host-sAccessToken; Expires=<session>; HttpOnly; Path=/; SameSite=Lax; Secure",
			"__Secure-sRefreshToken":  "__Secure-sRefreshToken; Expires=<session>; HttpOnly; Path=/auth/session/refresh; SameSite=Lax; Secure",
			"__Host-sAccessToken=":    "__Host-sAccessToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/; SameSite=Lax; Secure",
			"__Secure-sRefreshToken=": "__Secure-sRefreshToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/auth/session/refresh; SameSite=Lax; Secure",
		}},
		{"explicit Insecure opt-out: no Secure, no prefix", core.Config{APIOrigin: "http://127.0.0.1:8080", Cookies: core.CookieConfig{Insecure: true}}, map[string]string{
			"sAccessToken":   "sAccessToken; Expires=<session>; HttpOnly; Path=/; SameSite=Lax",
			"sRefreshToken":  "sRefreshToken; Expires=<session>; HttpOnly; Path=/auth/session/refresh; SameSite=Lax",
			"sAccessToken=":  "sAccessToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/; SameSite=Lax",
			"sRefreshToken=": "sRefreshToken=; Expires=<epoch>; HttpOnly; Max-Age=0; Path=/auth/session/refresh; SameSite=Lax",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newCookieServer(t, tc.cfg)
			base := s.e.Config().BasePath
			sessionExp := s.clk.Now().Add(s.e.Config().RefreshTTL)
			res, vals := s.signIn(t, "alice")
			check := func(step string, res *http.Response, exp time.Time, clearing bool) {
				t.Helper()
				got := attrLines(t, res, exp)
				for name, want := range tc.want {
					if strings.HasSuffix(name, "=") != clearing {
						continue
					}
					if got[name] != want {
						t.Errorf("%s: Set-Cookie\n got  %q\n want %q", step, got[name], want)
					}
				}
				if len(got) != 2 {
					t.Errorf("%s: %d Set-Cookie lines, want 2: %q", step, len(got), got)
				}
			}
			check("sign-in", res, sessionExp, false)

			access, refresh := testkit.CookieNames(s.e)
			s.clk.Advance(time.Minute)
			res, _ = s.do(t, "POST", base+"/session/refresh", "", "rid", "session",
				"Cookie", refresh+"="+vals[refresh])
			if res.StatusCode != 200 {
				t.Fatalf("refresh: %d", res.StatusCode)
			}
			check("refresh", res, s.clk.Now().Add(s.e.Config().RefreshTTL), false)
			for _, c := range res.Cookies() {
				vals[c.Name] = c.Value
			}
			res, _ = s.do(t, "POST", base+"/signout", "", "rid", "session", "Cookie", access+"="+vals[access])
			if res.StatusCode != 200 {
				t.Fatalf("sign-out: %d", res.StatusCode)
			}
			check("sign-out", res, time.Time{}, true)
		})
	}
}

// TestPrefixedCookieShadowing: with Secure cookies, a twin whose name differs only in the
// prefix's case, or that uses the other prefix, is a different cookie and is never read; two
// cookies with the exact name are refused rather than guessed between.
func TestPrefixedCookieShadowing(t *testing.T) {
	s := newCookieServer(t, core.Config{})
	_, victim := s.signIn(t, "victim")
	_, attacker := s.signIn(t, "attacker")
	access, refresh := testkit.CookieNames(s.e)
	if access != "__Host-sAccessToken" || refresh != "__Secure-sRefreshToken" {
		t.Fatalf("cookie names %q, %q", access, refresh)
	}
	me := func(cookie string) (int, string) {
		res, body := s.do(t, "GET", "/me", "", "Cookie", cookie)
		return res.StatusCode, body
	}
	for _, twin := range []string{"__host-sAccessToken", "__HOST-sAccessToken", "__Secure-sAccessToken", "__secure-sAccessToken", "sAccessToken"} {
		planted := twin + "=" + attacker[access]
		genuine := access + "=" + victim[access]
		for _, line := range []string{genuine + "; " + planted, planted + "; " + genuine} {
			if code, body := me(line); code != 200 || body != "victim" {
				t.Errorf("Cookie %q next to the real one: %d %q, want 200 victim", twin, code, body)
			}
		}
		if code, body := me(planted); code != 401 || body != `{"message":"unauthorised"}` {
			t.Errorf("only %s: %d %s, want 401 unauthorised (no token)", twin, code, body)
		}
	}
	for _, line := range []string{
		access + "=" + victim[access] + "; " + access + "=" + attacker[access],
		access + "=" + attacker[access] + "; " + access + "=" + victim[access],
	} {
		if code, body := me(line); code != 401 || body != `{"message":"try refresh token"}` {
			t.Errorf("duplicate %s: %d %s, want 401 try refresh token", access, code, body)
		}
	}
	for _, twin := range []string{"__secure-sRefreshToken", "__SECURE-sRefreshToken", "__Host-sRefreshToken", "sRefreshToken"} {
		res, body := s.do(t, "POST", "/auth/session/refresh", "", "rid", "session", "Cookie", twin+"="+attacker[refresh])
		if res.StatusCode != 401 || body != `{"message":"unauthorised"}` {
			t.Errorf("refresh with only %s: %d %s, want 401 unauthorised", twin, res.StatusCode, body)
		}
	}
	// The attacker's session was never used, so it still refreshes.
	res, _ := s.do(t, "POST", "/auth/session/refresh", "", "rid", "session", "Cookie", refresh+"="+attacker[refresh])
	if res.StatusCode != 200 {
		t.Errorf("the attacker's own refresh: %d", res.StatusCode)
	}
}
