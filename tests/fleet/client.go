package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Wire messages of the 401 answers (the example contract's wire rules).
const (
	msgTryRefresh   = "try refresh token"
	msgUnauthorised = "unauthorised"
	msgTheft        = "token theft detected"
)

// Routes, as the statistics name them.
const (
	routeMe       = "me"
	routeStrict   = "me/strict"
	routeNotes    = "notes"
	routeNotesGet = "notes (GET)"
	routeRefresh  = "refresh"
	routeSignIn   = "signin"
	routeSignOut  = "signout"
)

// Jar is what a browser keeps for one session: the tokens (header mode: the st-access-token
// and st-refresh-token values; cookie mode: the two cookies, whatever their names) and the
// session generation, bumped at every sign-in. It is copied by value; nothing prints it.
type Jar struct {
	Gen                     int
	Access, Refresh         string
	AccessName, RefreshName string // cookie names in cookie mode
	Cookie                  bool
}

// reply is what the fleet reads from one HTTP exchange.
type reply struct {
	status                  int
	msg                     string // the "message" of a JSON error body
	body                    []byte
	access                  *string // a token the response set; "" when it cleared it; nil when untouched
	refresh                 *string
	accessName, refreshName string
	err                     error // transport error (refused, reset, timeout)
	dur                     time.Duration
}

func (r reply) ok() bool { return r.err == nil && r.status == 200 }

// HTTP is the fleet's client side: one keep-alive pool shared by every simulated browser,
// round-robin over the instances (like a load balancer without affinity).
type HTTP struct {
	addrs   []string
	rr      atomic.Uint64
	client  *http.Client
	origin  string // WEBSITE_ORIGIN, sent as Origin
	timeout time.Duration
}

// NewHTTP builds the client. timeout bounds each exchange.
func NewHTTP(addrs []string, origin string, timeout time.Duration, conns int) *HTTP {
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &HTTP{addrs: addrs, origin: origin, timeout: timeout,
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// CloseIdle drops the idle keep-alive connections, so that the instances' descriptor counts
// settle.
func (h *HTTP) CloseIdle() { h.client.Transport.(*http.Transport).CloseIdleConnections() }

func (h *HTTP) next() string { return h.addrs[h.rr.Add(1)%uint64(len(h.addrs))] }

// exchange sends one request to the next instance. The jar's tokens go where a browser with
// the SDK would put them: Authorization: Bearer in header mode (the refresh token on the
// refresh route), the Cookie header in cookie mode (the refresh cookie only on its path).
func (h *HTTP) exchange(ctx context.Context, method, path string, body []byte, j Jar, refresh bool) reply {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+h.next()+path, rd)
	if err != nil {
		return reply{err: err}
	}
	req.Header.Set("Origin", h.origin)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	tok, name := j.Access, j.AccessName
	if refresh {
		tok, name = j.Refresh, j.RefreshName
	}
	switch {
	case tok == "":
	case j.Cookie:
		req.Header.Set("Cookie", name+"="+tok)
	default:
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if j.Cookie && method != "GET" {
		rid := "anti-csrf"
		if refresh || path == "/auth/signout" {
			rid = "session"
		}
		req.Header.Set("rid", rid)
	}
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return reply{err: err, dur: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	r := reply{status: resp.StatusCode, body: b, dur: time.Since(start)}
	if err != nil {
		r.err = err
		return r
	}
	if resp.StatusCode >= 400 {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &m)
		r.msg = m.Message
	}
	readTokens(resp, &r)
	return r
}

// readTokens picks the tokens a response issued or cleared, in either transfer method.
func readTokens(resp *http.Response, r *reply) {
	if vs, ok := resp.Header[http.CanonicalHeaderKey("st-access-token")]; ok && len(vs) > 0 {
		v := vs[0]
		r.access = &v
	}
	if vs, ok := resp.Header[http.CanonicalHeaderKey("st-refresh-token")]; ok && len(vs) > 0 {
		v := vs[0]
		r.refresh = &v
	}
	// Cookies are read by hand, by name suffix: the names may carry __Host-/__Secure-
	// prefixes and the Secure attribute even over http, which a cookie jar would refuse.
	for _, c := range resp.Cookies() {
		v := c.Value
		if c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			v = ""
		}
		switch {
		case strings.HasSuffix(c.Name, "sAccessToken"):
			r.access, r.accessName = &v, c.Name
		case strings.HasSuffix(c.Name, "sRefreshToken"):
			r.refresh, r.refreshName = &v, c.Name
		}
	}
	if resp.Header.Get("front-token") == "remove" {
		empty := ""
		if r.access == nil {
			r.access = &empty
		}
		if r.refresh == nil {
			r.refresh = &empty
		}
	}
}

func (h *HTTP) signIn(ctx context.Context, email, password string, cookie bool) (reply, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+h.next()+"/auth/signin", bytes.NewReader(body))
	if err != nil {
		return reply{err: err}, err
	}
	mode := "header"
	if cookie {
		mode = "cookie"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", h.origin)
	req.Header.Set("st-auth-mode", mode)
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return reply{err: err, dur: time.Since(start)}, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	r := reply{status: resp.StatusCode, body: b, dur: time.Since(start), err: err}
	if err == nil && resp.StatusCode == 200 {
		var m struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal(b, &m)
		if m.Status != "OK" {
			// WRONG_CREDENTIALS_ERROR would be the fleet's own bug: stop rather than retry.
			return r, errors.New("sign-in answered status " + m.Status)
		}
	}
	readTokens(resp, &r)
	return r, nil
}
