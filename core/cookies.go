package core

import (
	"net/http"
	"strings"
	"time"
)

// Response header names of the SuperTokens protocol.
const (
	HeaderFrontToken   = "front-token"
	HeaderAccessToken  = "st-access-token"
	HeaderRefreshToken = "st-refresh-token"
	HeaderAuthMode     = "st-auth-mode"
	HeaderRID          = "rid"
	headerExpose       = "Access-Control-Expose-Headers"
)

// cookieValue finds name in a Cookie header without allocating. It returns the value and how
// many cookies carry exactly that name (case-sensitive, so a lower-cased "__host-" twin is a
// different cookie and is ignored).
func cookieValue(header, name string) (string, int) {
	var val string
	n := 0
	for len(header) > 0 {
		var part string
		if i := strings.IndexByte(header, ';'); i >= 0 {
			part, header = header[:i], header[i+1:]
		} else {
			part, header = header, ""
		}
		part = strings.TrimSpace(part)
		eq := strings.IndexByte(part, '=')
		if eq < 0 || strings.TrimSpace(part[:eq]) != name {
			continue
		}
		v := strings.TrimSpace(part[eq+1:])
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		val = v
		n++
	}
	return val, n
}

func (e *Engine) cookie(name, value, path string, expires time.Time) string {
	c := http.Cookie{
		Name: name, Value: value, Path: path, Expires: expires,
		HttpOnly: true, Secure: e.secureCookies, SameSite: e.cfg.Cookies.SameSite,
	}
	if !strings.HasPrefix(name, "__Host-") {
		c.Domain = e.cfg.Cookies.Domain
	}
	if value == "" {
		c.Expires, c.MaxAge = time.Unix(0, 0), -1
	}
	return c.String()
}

// writeTokens puts freshly issued tokens on the response in the given transfer method.
func (e *Engine) writeTokens(tx txContext, t *Tokens, req Request) {
	r := tx.resp
	r.SetHeader("Cache-Control", "no-store")
	if tx.transfer == TransferCookie {
		r.AddHeader("Set-Cookie", e.cookie(e.accessCookie, t.AccessToken, "/", t.RefreshExpiry))
		r.AddHeader("Set-Cookie", e.cookie(e.refreshCookie, t.RefreshToken, e.refreshPath, t.RefreshExpiry))
	} else {
		r.SetHeader(HeaderAccessToken, t.AccessToken)
		r.SetHeader(HeaderRefreshToken, t.RefreshToken)
		appendExpose(r, HeaderAccessToken, HeaderRefreshToken)
		if req != nil {
			e.clearStaleCookies(r, req)
		}
	}
	r.SetHeader(HeaderFrontToken, t.FrontToken)
	appendExpose(r, HeaderFrontToken)
}

// clearStaleCookies removes cookies of the other transfer method, so a client switching to
// header mode is not left with a second, older session in its cookie jar.
func (e *Engine) clearStaleCookies(r Response, req Request) {
	ch := req.CookieHeader()
	if _, n := cookieValue(ch, e.accessCookie); n > 0 {
		r.AddHeader("Set-Cookie", e.cookie(e.accessCookie, "", "/", time.Time{}))
	}
	if _, n := cookieValue(ch, e.refreshCookie); n > 0 {
		r.AddHeader("Set-Cookie", e.cookie(e.refreshCookie, "", e.refreshPath, time.Time{}))
	}
}

// writeAccess re-issues only the access token (after MergePayload).
func (e *Engine) writeAccess(tx txContext, at string, v *verified, sessionExpiry time.Time) {
	r := tx.resp
	r.SetHeader("Cache-Control", "no-store")
	if tx.transfer == TransferCookie {
		r.AddHeader("Set-Cookie", e.cookie(e.accessCookie, at, "/", sessionExpiry))
	} else {
		r.SetHeader(HeaderAccessToken, at)
		appendExpose(r, HeaderAccessToken)
	}
	r.SetHeader(HeaderFrontToken, frontToken(v))
	appendExpose(r, HeaderFrontToken)
}

// clearTokens removes the session from the client in both transfer methods.
func (e *Engine) clearTokens(r Response) {
	r.SetHeader("Cache-Control", "no-store")
	r.AddHeader("Set-Cookie", e.cookie(e.accessCookie, "", "/", time.Time{}))
	r.AddHeader("Set-Cookie", e.cookie(e.refreshCookie, "", e.refreshPath, time.Time{}))
	r.SetHeader(HeaderAccessToken, "")
	r.SetHeader(HeaderRefreshToken, "")
	r.SetHeader(HeaderFrontToken, frontTokenRemove)
	appendExpose(r, HeaderFrontToken, HeaderAccessToken, HeaderRefreshToken)
}

// appendExpose adds names to Access-Control-Expose-Headers, keeping what is already there.
func appendExpose(r Response, names ...string) {
	cur := r.Header(headerExpose)
	out := cur
	for _, n := range names {
		if !headerListHas(cur, n) {
			if out != "" {
				out += ", "
			}
			out += n
			cur = out
		}
	}
	if out != r.Header(headerExpose) {
		r.SetHeader(headerExpose, out)
	}
}

func headerListHas(list, name string) bool {
	for len(list) > 0 {
		var item string
		if i := strings.IndexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			item, list = list, ""
		}
		if strings.EqualFold(strings.TrimSpace(item), name) {
			return true
		}
	}
	return false
}
