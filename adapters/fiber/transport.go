package fiberratchet

import (
	"bytes"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// request adapts *fiber.Ctx to core.Request. Fiber hands out strings that alias fasthttp's
// reused buffers, so every value is copied before the core sees it: the core keeps some of
// them (the access token in the Session, user agents in the store, handles in events).
type request struct{ c *fiber.Ctx }

func (q request) Method() string {
	// The common methods map to constants, which needs no copy and no allocation.
	switch m := q.c.Method(); m {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodOptions:
		return fiber.MethodOptions
	default:
		return strings.Clone(m)
	}
}

func (q request) Path() string { return strings.Clone(q.c.Path()) }

// Query copies the raw query string out of fasthttp's reused buffer.
func (q request) Query() string { return string(q.c.Request().URI().QueryString()) }

// Header copies the first value of the header. fasthttp answers Peek("Host") with the host.
func (q request) Header(name string) string { return string(q.c.Request().Header.Peek(name)) }

// CookieHeader rebuilds the Cookie header from every Cookie field, joined with "; ". fasthttp
// parses cookies lazily and, before parsing, Peek("Cookie") would return only the first field.
func (q request) CookieHeader() string {
	var b strings.Builder
	q.c.Request().Header.VisitAllCookie(func(k, v []byte) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		if len(k) > 0 {
			b.Write(k)
			b.WriteByte('=')
		}
		b.Write(v)
	})
	return b.String()
}

// Body is the raw request body (no Content-Encoding decoding, as net/http). The core reads it
// to the end during the handler.
func (q request) Body() io.Reader { return bytes.NewReader(q.c.Request().Body()) }

func (q request) RemoteAddr() string { return q.c.Context().RemoteAddr().String() }

// response adapts the fasthttp response of a *fiber.Ctx to core.Response. fasthttp copies the
// values it is given, so the core's strings and bodies are never aliased.
type response struct{ c *fiber.Ctx }

// Header joins every field named name with ", " (Peek would return only the first).
func (p response) Header(name string) string {
	var b strings.Builder
	p.c.Response().Header.VisitAll(func(k, v []byte) {
		if equalFoldASCII(k, name) {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.Write(v)
		}
	})
	return b.String()
}

// SetHeader replaces every field named name: fasthttp's Set alone overwrites only the first.
func (p response) SetHeader(name, value string) {
	h := &p.c.Response().Header
	h.Del(name)
	h.Set(name, value)
}

// AddHeader appends a header line. For Set-Cookie, fasthttp keeps each added line as is, in
// order, even when two carry the same cookie name (see the trap tests).
func (p response) AddHeader(name, value string) { p.c.Response().Header.Add(name, value) }
func (p response) DelHeader(name string)        { p.c.Response().Header.Del(name) }

func (p response) Write(status int, contentType string, body []byte) {
	r := p.c.Response()
	if contentType != "" {
		r.Header.SetContentType(contentType)
	}
	r.SetStatusCode(status)
	r.SetBody(body)
}

// equalFoldASCII compares a header name case-insensitively without allocating.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
