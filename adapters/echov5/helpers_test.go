package echoratchet_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// result is one captured HTTP response.
type result struct {
	Status int
	Header http.Header
	Body   string
}

// do sends one request; headers alternate name, value.
func do(t testing.TB, method, url, body string, headers ...string) result {
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
	return result{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// signInBody is alice's sign-in request.
const signInBody = `{"email":"` + adaptertest.AliceEmail + `","password":"` + adaptertest.DemoPassword + `"}`

// signIn signs alice in at url (header mode unless headers say otherwise) and returns the response.
func signIn(t testing.TB, url string, headers ...string) result {
	t.Helper()
	r := do(t, "POST", url, signInBody, append([]string{"Content-Type", "application/json"}, headers...)...)
	if r.Status != 200 {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	return r
}

// cookieNamed returns the Set-Cookie of name, or nil.
func cookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// listHas reports whether a comma-separated header value list holds item (case-insensitive).
func listHas(h http.Header, name, item string) bool {
	for _, v := range h.Values(name) {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), item) {
				return true
			}
		}
	}
	return false
}

// sameBytes fails unless got equals want byte for byte.
func sameBytes(t testing.TB, what string, got, want string) {
	t.Helper()
	if !bytes.Equal([]byte(got), []byte(want)) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}
