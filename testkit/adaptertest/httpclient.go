package adaptertest

// The HTTP client HTTPSuite drives servers with: plain net/http requests with explicit headers
// and cookies, captured responses, JSON decoding, and a small path-aware cookie jar that
// behaves like a browser's for the two token cookies.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// client sends requests to one fixture server.
type client struct {
	base string
	fx   *Fixture
	hc   *http.Client
}

func newClient(t *testing.T, target Target) *client {
	tr := &http.Transport{
		Proxy:               nil, // loopback only; never an environment proxy
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		ForceAttemptHTTP2:   false,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{
		base: strings.TrimRight(target.URL, "/"),
		fx:   target.Fixture,
		hc: &http.Client{
			Transport: tr,
			// A safety net against a hung server, not a timing assertion.
			Timeout: 2 * time.Minute,
			// Redirects are answers to check, never to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// reqOpt changes an outgoing request.
type reqOpt func(*http.Request)

// withHeader sets a request header; an empty value removes it.
func withHeader(name, value string) reqOpt {
	return func(r *http.Request) {
		if value == "" {
			r.Header.Del(name)
			return
		}
		r.Header.Set(name, value)
	}
}

// withBearer sends Authorization: Bearer tok.
func withBearer(tok string) reqOpt { return withHeader("Authorization", "Bearer "+tok) }

// withCookieHeader appends a raw Cookie header line.
func withCookieHeader(line string) reqOpt {
	return func(r *http.Request) {
		if line != "" {
			r.Header.Add("Cookie", line)
		}
	}
}

// withOrigin sends an Origin header.
func withOrigin(o string) reqOpt { return withHeader("Origin", o) }

// withRID sends the rid header the frontend SDK adds to every request.
func withRID(v string) reqOpt { return withHeader("rid", v) }

// withContentType overrides the default application/json of a request with a body.
func withContentType(ct string) reqOpt { return withHeader("Content-Type", ct) }

// result is a completed exchange, fully read.
type result struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         []byte
}

// do sends one request and stops the test if it cannot be sent. A non-nil body is sent as
// application/json unless an option changes the content type. Every 5xx is reported as an
// error: no input may crash the server.
func (c *client) do(t *testing.T, method, path string, body []byte, opts ...reqOpt) *result {
	t.Helper()
	r, err := c.send(method, path, body, opts...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.Status >= 500 {
		t.Errorf("%s: a server error is never an acceptable answer", r)
	}
	return r
}

// send is do without a *testing.T, for use from several goroutines.
func (c *client) send(method, path string, body []byte, opts ...reqOpt) (*result, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return &result{Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// String describes the exchange for failure messages (the body is truncated).
func (r *result) String() string {
	b := string(r.Body)
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return r.Method + " " + r.Path + " → " + strconv.Itoa(r.Status) + " " + b
}

// json decodes the body as a JSON object.
func (r *result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil || m == nil {
		t.Fatalf("%s: body is not a JSON object: %v", r, err)
	}
	return m
}

// has reports whether the response carries the header at all (possibly with an empty value).
func (r *result) has(name string) bool {
	_, ok := r.Header[http.CanonicalHeaderKey(name)]
	return ok
}

// get returns the header's first value.
func (r *result) get(name string) string { return r.Header.Get(name) }

// setCookies parses every Set-Cookie header.
func (r *result) setCookies() []*http.Cookie {
	return (&http.Response{Header: r.Header}).Cookies()
}

// cookie returns the last Set-Cookie for name, or nil.
func (r *result) cookie(name string) *http.Cookie {
	var found *http.Cookie
	for _, c := range r.setCookies() {
		if c.Name == name {
			found = c
		}
	}
	return found
}

// rawSetCookie returns the raw Set-Cookie line for name, or "".
func (r *result) rawSetCookie(name string) string {
	var found string
	for _, line := range r.Header.Values("Set-Cookie") {
		if n, _, ok := strings.Cut(line, "="); ok && strings.TrimSpace(n) == name {
			found = line
		}
	}
	return found
}

// jar is a minimal browser cookie jar for one host: cookies are keyed by name and path, sent
// to request paths they path-match (RFC 6265 §5.1.4), longer paths first, and removed by an
// empty value, Max-Age<=0 or an Expires in the (fake) past.
type jar struct {
	m map[string]*http.Cookie
}

func newJar() *jar { return &jar{m: map[string]*http.Cookie{}} }

func (j *jar) update(cs []*http.Cookie, now time.Time) {
	for _, c := range cs {
		p := c.Path
		if p == "" {
			p = "/"
		}
		key := c.Name + "\x00" + p
		if c.Value == "" || c.MaxAge < 0 || (!c.Expires.IsZero() && !c.Expires.After(now)) {
			delete(j.m, key)
			continue
		}
		cc := *c
		cc.Path = p
		j.m[key] = &cc
	}
}

// get returns the value of the cookie name (any path), or "".
func (j *jar) get(name string) string {
	for _, c := range j.m {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// header is the Cookie header a browser would send to path.
func (j *jar) header(path string) string {
	var cs []*http.Cookie
	for _, c := range j.m {
		if pathMatch(path, c.Path) {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(a, b int) bool {
		if len(cs[a].Path) != len(cs[b].Path) {
			return len(cs[a].Path) > len(cs[b].Path)
		}
		return cs[a].Name < cs[b].Name
	})
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == cookiePath {
		return true
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

// jsonBody marshals v for a request body.
func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal request body: %v", err)
	}
	return b
}

// jwtPart decodes segment i (0 header, 1 payload) of a compact JWT without verifying it.
func jwtPart(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a compact JWT", short(tok))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("access token segment %d is not base64url: %v", i, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("access token segment %d is not a JSON object: %v", i, err)
	}
	return m
}

// sha256Hex is lowercase hex SHA-256, the refreshTokenHash1 construction.
func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// short abbreviates a token for messages: tokens are secrets even in tests' logs.
func short(tok string) string {
	if len(tok) <= 12 {
		return tok
	}
	return tok[:8] + "…"
}
