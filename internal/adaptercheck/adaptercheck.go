// Package adaptercheck holds the framework-neutral half of the adapters' own tests: an HTTP
// client for a served app, and checks that take the URL of an app served with the adaptertest
// fixture (or a route set the check names), so that every adapter module runs the same
// requests and the same expectations and keeps only its framework's wiring. It is internal:
// it promises nothing beyond what ratchet's own adapter tests need.
package adaptercheck

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// Cookie names of the fixture engine (Insecure cookies are unprefixed).
const (
	AccessCookie  = "sAccessToken"
	RefreshCookie = "sRefreshToken"
)

// SignInBody is alice's sign-in request.
const SignInBody = `{"email":"` + adaptertest.AliceEmail + `","password":"` + adaptertest.DemoPassword + `"}`

// BobSignInBody is bob's sign-in request (bob is not an admin).
const BobSignInBody = `{"email":"` + adaptertest.BobEmail + `","password":"` + adaptertest.DemoPassword + `"}`

// Result is one captured HTTP response.
type Result struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends one request over the network; headers alternate name, value.
func Do(t testing.TB, method, url, body string, headers ...string) Result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Result{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// SignIn signs alice in at url (header mode unless headers say otherwise) and returns the
// response, failing the test unless it is a 200.
func SignIn(t testing.TB, url string, headers ...string) Result {
	t.Helper()
	r := Do(t, "POST", url, SignInBody, append([]string{"Content-Type", "application/json"}, headers...)...)
	if r.Status != 200 {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	return r
}

// CookieNamed returns the Set-Cookie of name, or nil.
func CookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ListHas reports whether a comma-separated header value list holds item (case-insensitive).
func ListHas(h http.Header, name, item string) bool {
	for _, v := range h.Values(name) {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), item) {
				return true
			}
		}
	}
	return false
}

// SameBytes fails unless got equals want byte for byte.
func SameBytes(t testing.TB, what string, got, want string) {
	t.Helper()
	if !bytes.Equal([]byte(got), []byte(want)) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// NewFixture builds the adaptertest fixture engine on the memory store.
func NewFixture(t testing.TB) *adaptertest.Fixture {
	t.Helper()
	f, err := adaptertest.NewFixture(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Serve starts an httptest server for h and closes it when the test ends.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
