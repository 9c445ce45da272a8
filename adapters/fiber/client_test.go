package fiberratchet_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// hc talks to the test servers over loopback only, never through an environment proxy.
var hc = &http.Client{
	Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// reply is a completed exchange, fully read.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends method url with body (sent as application/json unless a header says otherwise)
// and header pairs ("Name", "value", …; only "Cookie" may repeat, as separate fields).
func do(t testing.TB, method, url string, body []byte, hdr ...string) *reply {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatalf("request %s %s: %v", method, url, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Cookie" {
			req.Header.Add(hdr[i], hdr[i+1]) // several Cookie fields are a case to test
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func (r *reply) String() string { return http.StatusText(r.Status) + " " + string(r.Body) }

// cookie returns the value of the last Set-Cookie for name.
func (r *reply) cookie(name string) string {
	v := ""
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			v = c.Value
		}
	}
	return v
}

// setCookieNames lists the names of the Set-Cookie lines, in order.
func (r *reply) setCookieNames() []string {
	var out []string
	for _, line := range r.Header.Values("Set-Cookie") {
		n, _, _ := strings.Cut(line, "=")
		out = append(out, n)
	}
	return out
}

// signInBody is the JSON body of a sign-in.
func signInBody(email, password string) []byte {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return b
}
