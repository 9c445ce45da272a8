package demotest

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// jar is the test clients' cookie jar for the loopback test servers. It keeps each cookie by
// name and sends it back on the paths it was set for, Secure or not, as browsers do for
// http://127.0.0.1 and http://localhost (potentially trustworthy origins), which is where the
// examples run in development with Secure, __Host-/__Secure- prefixed cookies.
// net/http/cookiejar does the same for loopback hosts only in recent Go releases
// (golang/go#60997); with older toolchains it never sends a Secure cookie over http://, and
// the tests must not depend on the toolchain.
//
// It ignores Domain (every test server is one loopback host) and holds one cookie per name,
// which is all the examples set.
type jar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func newJar() *jar { return &jar{cookies: map[string]*http.Cookie{}} }

// SetCookies implements http.CookieJar: a cookie that is expired or has Max-Age ≤ 0 is removed.
func (j *jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now()
	for _, c := range cookies {
		if c.MaxAge < 0 || (!c.Expires.IsZero() && !c.Expires.After(now)) {
			delete(j.cookies, c.Name)
			continue
		}
		path := c.Path
		if path == "" || path[0] != '/' {
			path = defaultPath(u.Path)
		}
		j.cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value, Path: path}
	}
}

// Cookies implements http.CookieJar: the cookies whose Path matches u's path (RFC 6265 5.1.4).
func (j *jar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	p := u.Path
	if p == "" {
		p = "/"
	}
	var out []*http.Cookie
	for _, c := range j.cookies {
		if p == c.Path || strings.HasPrefix(p, c.Path) && (strings.HasSuffix(c.Path, "/") || p[len(c.Path)] == '/') {
			out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	return out
}

// has reports whether the jar holds a cookie called name.
func (j *jar) has(name string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	_, ok := j.cookies[name]
	return ok
}

// value is the value of the cookie called name, "" when there is none.
func (j *jar) value(name string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	if c, ok := j.cookies[name]; ok {
		return c.Value
	}
	return ""
}

// defaultPath is RFC 6265 5.1.4's default-path of a request path.
func defaultPath(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
